"""One place that turns domain and infrastructure errors into clear 4xx and 503 responses."""

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http.request import RawPostDataException
from rest_framework import exceptions, status
from rest_framework.views import exception_handler

from tracker.errors import Duplicate, NotAllowed, Stale, StateError, error_dict
from tracker.middleware import (
    DATABASE_UNAVAILABLE,
    RETRY_AFTER_SECONDS,
    is_database_unavailable,
    log_database_unavailable,
)


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The report changed since you read it: GET it again, then retry."
    default_code = "precondition_failed"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The body is larger than this service accepts (MAX_BODY_BYTES)."
    default_code = "too_large"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class Unprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "unprocessable"


class DatabaseUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = DATABASE_UNAVAILABLE
    default_code = "database_unavailable"
    wait = RETRY_AFTER_SECONDS  # DRF sends it as Retry-After


def handle(exc, context):
    duplicate_of = exc.duplicate_of if isinstance(exc, Duplicate) else None
    if is_database_unavailable(exc):
        log_database_unavailable(exc)
        exc = DatabaseUnavailable()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(error_dict(exc))
    elif isinstance(exc, Stale):
        exc = PreconditionFailed()
    elif isinstance(exc, StateError):
        exc = Conflict(str(exc))
    elif isinstance(exc, NotAllowed):
        exc = exceptions.PermissionDenied(str(exc))
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, RawPostDataException):
        exc = exceptions.ParseError("The body could not be read.")
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ParseError):  # the body as a whole is the field at fault
        response.data = {"body": [str(exc.detail)]}
    elif isinstance(response.data, list):
        response.data = {"non_field_errors": response.data}
    if duplicate_of is not None:
        response.data["duplicate_of"] = duplicate_of
    return response
