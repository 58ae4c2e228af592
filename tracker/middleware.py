"""Every request gets an id that its log lines and its response carry; a database that is down
or restarting answers 503 with `Retry-After`, never 500.

The API's exception handler (api/exceptions.py) turns database errors in API views into the same
503; `DatabaseUnavailableMiddleware` does it for the other views (the admin), and the 500
handler for errors raised outside any view.
"""

import logging
import re
import time
import uuid
from contextvars import ContextVar

from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.utils.functional import SimpleLazyObject, empty

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
access_logger = logging.getLogger("tracker.access")


class RequestIdMiddleware:
    """Outermost: takes a sane incoming `X-Request-ID` or makes one, for the log lines written
    while the request runs (tracker.logs) and for the response."""

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


class AccessLogMiddleware:
    """A line per request (logger `tracker.access`): method, path, status, duration, and who
    asked (user and agency, once authentication has run; "-" for anonymous callers)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        user, agency = _caller(request)
        access_logger.info(
            "%s %s %s %.1f ms", request.method, request.path, response.status_code, duration_ms,
            extra={"method": request.method, "path": request.path,
                   "status": response.status_code, "duration_ms": duration_ms,
                   "user": user, "agency": agency},
        )  # fmt: skip
        return response


def _caller(request) -> tuple[str, str]:
    """The user's name and agency code, without loading a user nobody asked for: a session that
    no view read stays unread (the liveness probe does no I/O)."""
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
        return "-", "-"
    if user is None or not user.is_authenticated:
        return "-", "-"
    agency = user.agency.code if user.agency_id else "-"  # loaded with a token's user
    return user.username, agency


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
