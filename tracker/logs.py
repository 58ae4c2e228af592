"""Log lines as JSON objects, each carrying the id of the request or task it was written for.

The request's id is set by `tracker.middleware.RequestIdMiddleware`; a task's by the worker's
signal handlers (`tasks/observe.py`), through `task_id` here, so `tracker` knows nothing of Celery.
"""

import logging
from contextvars import ContextVar

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from tracker.middleware import request_id

task_id: ContextVar[str] = ContextVar("task_id", default="")

# Django attaches the request object and the socket to some records: not for a log line;
# `context` is the text format's (the task's id, or the request's).
_LEFT_OUT = ["request", "server_time", "socket", "context"]


class ContextFilter(logging.Filter):
    """Gives every record `request_id` ("-" outside a request), `task_id` ("" outside a task)
    and `context`, the one of them that is set."""

    def filter(self, record):
        request = getattr(record, "request", None)
        record.request_id = getattr(request, "request_id", None) or request_id.get()
        record.task_id = task_id.get()
        record.context = record.task_id or record.request_id
        return True


class JsonFormatter(_JsonFormatter):
    """One JSON object a line: time, level, logger, message, request_id, the record's extras
    (status, duration_ms, user, agency, task, outcome, ...) and the traceback as `exc_info`."""

    def __init__(self, *args, **kwargs):
        super().__init__(
            ["asctime", "levelname", "name", "message"],
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            reserved_attrs=[*RESERVED_ATTRS, *_LEFT_OUT],
        )

    def add_fields(self, log_record, record, message_dict):
        super().add_fields(log_record, record, message_dict)
        if not log_record.get("task_id"):
            log_record.pop("task_id", None)  # outside a task
