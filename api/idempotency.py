"""`Idempotency-Key` on POST: a retry with the same key and body replays the first response.

A key is scoped to the caller, method, path and query string.
"""

import hashlib
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from rest_framework import exceptions

from api.exceptions import Conflict, Unprocessable
from api.models import IdempotencyRecord

HEADER = "Idempotency-Key"
KEEP_FOR = timedelta(hours=24)
# A first request still "in flight" after this long died with its process: let a retry take over.
ABANDONED_AFTER = timedelta(minutes=10)


class Replay(exceptions.APIException):
    """Raised to answer a retry with the stored response instead of processing it again."""

    def __init__(self, record: IdempotencyRecord):
        super().__init__()
        self.record = record


def _body_hash(request) -> str:
    digest = hashlib.sha256(request.content_type.encode() + b"\n")
    digest.update(request.body)
    return digest.hexdigest()


def query_hash(request) -> str:
    """The query string's parameters in order of name (the same request however it is spelt),
    hashed; empty without any."""
    pairs = sorted(
        ((name, value) for name, values in request.GET.lists() for value in values),
        key=lambda pair: pair[0],
    )
    if not pairs:
        return ""
    return hashlib.sha256(repr(pairs).encode("utf-8", "surrogatepass")).hexdigest()


def claim(request) -> IdempotencyRecord | None:
    """Record that this key is being processed, or raise Replay, Conflict or Unprocessable."""
    key = request.headers.get(HEADER)
    if request.method != "POST" or key is None:
        return None
    if not 1 <= len(key) <= 255 or "\x00" in key or not key.isprintable():
        raise exceptions.ValidationError({HEADER: ["Use 1 to 255 printable characters."]})
    scope = {"user": request.user, "method": request.method, "path": request.path,
             "query": query_hash(request), "key": key}  # fmt: skip
    body_hash = _body_hash(request)
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(**scope, body_hash=body_hash)
    except IntegrityError:
        pass
    record = IdempotencyRecord.objects.get(**scope)
    if record.body_hash != body_hash:
        raise Unprocessable(f"This {HEADER} was used with a different body.")
    if record.status is not None:
        raise Replay(record)
    abandoned = timezone.now() - ABANDONED_AFTER
    taken = IdempotencyRecord.objects.filter(pk=record.pk, status=None, created_at__lt=abandoned)
    if taken.update(created_at=timezone.now()) != 1:
        raise Conflict(f"A request with this {HEADER} is still being processed; retry later.")
    return record


def settle(record: IdempotencyRecord, response) -> None:
    """Keep the response, as sent, for replays; after a server error, free the key for a retry."""
    if response.status_code >= 500:
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        return
    record.status = response.status_code
    record.body = bytes(response.rendered_content) if hasattr(response, "rendered_content") else b""
    record.content_type = response.get("Content-Type", "")
    record.location = response.get("Location", "")
    record.save(update_fields=["status", "body", "content_type", "location"])


def replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(
        bytes(record.body), status=record.status, content_type=record.content_type or None
    )
    response["Idempotent-Replayed"] = "true"
    if record.location:
        response["Location"] = record.location
    return response


def purge_expired() -> int:
    """Forget keys older than KEEP_FOR; returns how many."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - KEEP_FOR).delete()
    return deleted


class IdempotentMixin:
    """For API views: POSTs with an `Idempotency-Key` are processed once per caller and body."""

    _idempotency_record = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self._idempotency_record = claim(request)

    def handle_exception(self, exc):
        if isinstance(exc, Replay):
            return replay(exc.record)
        try:
            return super().handle_exception(exc)
        except Exception:
            if self._idempotency_record is not None:  # unhandled: free the key for a retry
                self._idempotency_record.delete()
                self._idempotency_record = None
            raise

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        record, self._idempotency_record = self._idempotency_record, None
        if record is not None:
            try:
                settle(record, response)
            except Exception:
                record.delete()  # never leave a key claimed by a request that is over
                raise
        return response
