"""Every request gets an id that its log lines and its response carry; a database that is down
or restarting answers 503 with `Retry-After`, never 500.

The API's exception handler (api/exceptions.py) turns database errors in API views into the same
503; `DatabaseUnavailableMiddleware` does it for the other views (the admin), and the 500
handler for errors raised outside any view.
"""

import logging
import re
import uuid
from contextvars import ContextVar

from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse

REQUEST_ID_HEADER = "X-Request-ID"
# An id a proxy or client sends is kept when it is short and plain (it goes into log lines).
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:+/=-]{1,128}")
request_id: ContextVar[str] = ContextVar("request_id", default="-")

RETRY_AFTER_SECONDS = 5
DATABASE_UNAVAILABLE = (
    "The database is unavailable (restarting or down); the request may not have been applied. "
    "Retry it in a few seconds (with the same Idempotency-Key or external_id)."
)
logger = logging.getLogger(__name__)


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


def is_database_unavailable(error: BaseException) -> bool:
    """The database cannot be reached or dropped the connection: Django's wrapped errors, the
    driver's own (code using its cursor directly), or an error raised because of one (a task
    run in-process retried it, then gave up)."""
    driver = getattr(connection, "Database", None)
    kinds = (OperationalError, InterfaceError)
    if driver is not None:
        kinds += (driver.OperationalError, driver.InterfaceError)
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, kinds):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def log_database_unavailable(error: BaseException) -> None:
    logger.warning("Database unavailable, answering 503: %s", str(error).strip() or repr(error))


def database_unavailable_response(request) -> HttpResponse:
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": DATABASE_UNAVAILABLE}, status=503)
    else:
        response = HttpResponse(DATABASE_UNAVAILABLE, status=503, content_type="text/plain")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    """For views outside the API (the admin): a database error is a 503, not a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_database_unavailable(exception):
            return None
        log_database_unavailable(exception)
        return database_unavailable_response(request)
