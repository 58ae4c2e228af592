"""Every request gets an id that its log lines and its response carry."""

import logging
import re
import uuid
from contextvars import ContextVar

REQUEST_ID_HEADER = "X-Request-ID"
# An id a proxy or client sends is kept when it is short and plain (it goes into log lines).
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:+/=-]{1,128}")
request_id: ContextVar[str] = ContextVar("request_id", default="-")


class RequestIdMiddleware:
    """Outermost: takes a sane incoming `X-Request-ID` or makes one, for the log lines written
    while the request runs (RequestIdFilter) and for the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get(REQUEST_ID_HEADER, "")
        value = given if SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        request.request_id = value  # for lines logged after this returns (Django's 4xx and 5xx)
        token = request_id.set(value)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response[REQUEST_ID_HEADER] = value
        return response


class RequestIdFilter(logging.Filter):
    """Gives every log record the id of the request it was written for ("-" outside one)."""

    def filter(self, record):
        request = getattr(record, "request", None)
        record.request_id = getattr(request, "request_id", None) or request_id.get()
        return True
