"""`Idempotency-Key` on POST: a retry with the same key and body replays the first response.

A key is scoped to the caller, method, path and query string. While its first request runs the
key is in flight, and a retry gets 409. On PostgreSQL that request holds a session advisory
lock on the key meanwhile (its lease): a request that died (its worker killed, the database
restarted) lost its connection and with it the lease, so a retry takes the key over at once.
Without advisory locks (SQLite) a key still in flight after ABANDONED_AFTER is taken over.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.http import HttpResponse
from django.utils import timezone
from rest_framework import exceptions

from api.exceptions import Conflict, Unprocessable
from api.models import IdempotencyRecord

HEADER = "Idempotency-Key"
KEEP_FOR = timedelta(hours=24)
# Without leases: a first request still "in flight" after this long died with its process.
ABANDONED_AFTER = timedelta(minutes=10)
IN_FLIGHT = f"A request with this {HEADER} is still being processed; retry later."
OTHER_BODY = f"This {HEADER} was used with a different body."
logger = logging.getLogger(__name__)


class Replay(exceptions.APIException):
    """Raised to answer a retry with the stored response instead of processing it again."""

    def __init__(self, record: IdempotencyRecord):
        super().__init__()
        self.record = record


@dataclass
class Claim:
    """A key this request is processing: its record and, on PostgreSQL, the lease it holds."""

    record: IdempotencyRecord
    lease: int | None


def body_hash(request) -> str:
    """The hash of a request's content type and body that tells a retry from another request."""
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


def _lease_id(scope: dict) -> int:
    parts = (str(scope["user"].pk), scope["method"], scope["path"], scope["query"], scope["key"])
    digest = hashlib.sha256("\n".join(parts).encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)  # a bigint advisory lock key


def _lease_take(lease: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [lease])
        return cursor.fetchone()[0]


def _lease_release(lease: int) -> None:
    """Never raises: a lease whose connection is broken is gone with it."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [lease])
    except DatabaseError:
        pass


def claim(request) -> Claim | None:
    """Record that this key is being processed, or raise Replay, Conflict or Unprocessable."""
    key = request.headers.get(HEADER)
    if request.method != "POST" or key is None:
        return None
    if not 1 <= len(key) <= 255 or "\x00" in key or not key.isprintable():
        raise exceptions.ValidationError({HEADER: ["Use 1 to 255 printable characters."]})
    scope = {"user": request.user, "method": request.method, "path": request.path,
             "query": query_hash(request), "key": key}  # fmt: skip
    hashed = body_hash(request)
    if connection.vendor != "postgresql":
        return Claim(_record(scope, hashed, leased=False), lease=None)
    lease = _lease_id(scope)
    if not _lease_take(lease):
        first = IdempotencyRecord.objects.filter(**scope).values_list("body_hash", flat=True)
        if first.first() not in (None, hashed):
            raise Unprocessable(OTHER_BODY)
        raise Conflict(IN_FLIGHT)
    try:
        return Claim(_record(scope, hashed, leased=True), lease=lease)
    except BaseException:
        _lease_release(lease)
        raise


def _record(scope: dict, hashed: str, *, leased: bool) -> IdempotencyRecord:
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(**scope, body_hash=hashed)
    except IntegrityError:
        pass
    record = IdempotencyRecord.objects.get(**scope)
    if record.body_hash != hashed:
        raise Unprocessable(OTHER_BODY)
    if record.status is not None:
        raise Replay(record)
    # In flight, yet nobody holds its lease: the request that claimed it is over, unanswered.
    taken = IdempotencyRecord.objects.filter(pk=record.pk, status=None)
    if not leased:
        taken = taken.filter(created_at__lt=timezone.now() - ABANDONED_AFTER)
    if taken.update(created_at=timezone.now()) != 1:
        raise Conflict(IN_FLIGHT)
    return record


def settle(claim: Claim, response) -> None:
    """Keep the response, as sent, for replays; after a server error (or none: an unhandled
    exception), free the key for a retry. Then let go of the lease. Never raises for a database
    that failed meanwhile: the response stands, and the key is free once the lease is gone (on
    SQLite, after ABANDONED_AFTER)."""
    record = claim.record
    try:
        if response is None or response.status_code >= 500:
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
        else:
            record.status = response.status_code
            record.body = (
                bytes(response.rendered_content) if hasattr(response, "rendered_content") else b""
            )
            record.content_type = response.get("Content-Type", "")
            record.location = response.get("Location", "")
            record.save(update_fields=["status", "body", "content_type", "location"])
    except DatabaseError as error:
        logger.warning("%s %r not settled (the database failed): %s", HEADER, record.key, error)
    except Exception:
        IdempotencyRecord.objects.filter(pk=record.pk).delete()  # never claimed by a request over
        raise
    finally:
        if claim.lease is not None:
            _lease_release(claim.lease)


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

    _idempotency_claim = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self._idempotency_claim = claim(request)

    def handle_exception(self, exc):
        if isinstance(exc, Replay):
            return replay(exc.record)
        try:
            return super().handle_exception(exc)
        except Exception:
            self._settle(None)  # unhandled: free the key for a retry
            raise

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        self._settle(response)
        return response

    def _settle(self, response) -> None:
        taken, self._idempotency_claim = self._idempotency_claim, None
        if taken is not None:
            settle(taken, response)
