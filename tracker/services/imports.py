"""Bulk imports too large to answer at once: stored as an ImportJob, run by a worker, followed
at GET /api/v1/reports/bulk/{id}/.

The protocol, as the figures' (tracker/services/figures.py):
- **store**: the upload, in pieces, and its job, queued, in one transaction; once it commits,
  **send** the job to a worker (or run it here and now, without a broker).
- **claim**: a worker takes the job with a conditional UPDATE: a queued job, or a running one
  whose worker has shown no sign of life for STALE_AFTER (it died; its transaction, and every
  row it wrote, died with it). A job claimed MAX_ATTEMPTS times fails.
- **run**: check the rows, import them (tracker/services/bulk.py) in one transaction, keep the
  summary, delete the stored upload. While it runs, `ImportProgress` writes how far it got where
  readers see it at once, which is also its sign of life.
- **sweep**: Celery beat sends again the jobs whose message was lost or whose worker died.

`tracker` never imports `tasks`: the task module registers how a job is sent
(`imports_send_with`).
"""

import logging
import time
from collections.abc import Callable
from datetime import timedelta

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from tracker.models import Agency, ImportChunk, ImportJob, ImportStatus, User
from tracker.services.bulk import ImportSummary, reports_import
from tracker.services.figures import BROKER_ERRORS

logger = logging.getLogger(__name__)
CHUNK_BYTES = 1024 * 1024
ERRORS_KEPT = 1000  # rejected rows whose errors a job keeps; `rejected` counts them all
STALE_AFTER = timedelta(minutes=10)  # a running job without a sign of life this long is dead
RESEND_AFTER = timedelta(minutes=10)  # a queued job not started this long lost its message
MAX_ATTEMPTS = 3
PROGRESS_SECONDS = 1.0  # at most one progress write a second

_send: Callable[[int], object] | None = None
# (job, progress) -> (checked rows, refused rows): the API's reading of a stored upload.
Reader = Callable[[ImportJob, "ImportProgress"], tuple[list, list]]


def imports_send_with(send: Callable[[int], object]) -> None:
    """Register how a job is sent to a worker; the task module does, as Django loads it."""
    global _send
    _send = send


def import_job_for_key(*, user: User, key: str, query: str) -> ImportJob | None:
    """The job a request with this Idempotency-Key (and query string) made, if any."""
    return ImportJob.objects.filter(
        submitted_by=user, idempotency_key=key, idempotency_query=query
    ).first()


@transaction.atomic
def import_job_create(
    *,
    agency: Agency,
    user: User,
    format: str,
    data: bytes,
    rows: int,
    dry_run: bool,
    atomic: bool,
    body_hash: str,
    idempotency_key: str = "",
    idempotency_query: str = "",
) -> ImportJob:
    """Store an upload of `rows` rows as a queued job; it is sent to a worker once this
    commits."""
    job = ImportJob.objects.create(
        agency=agency, submitted_by=user, format=format, rows=rows, dry_run=dry_run,
        atomic=atomic, body_hash=body_hash, body_bytes=len(data),
        idempotency_key=idempotency_key, idempotency_query=idempotency_query,
    )  # fmt: skip
    for number, start in enumerate(range(0, len(data), CHUNK_BYTES)):
        ImportChunk.objects.create(job=job, number=number, data=data[start : start + CHUNK_BYTES])
    transaction.on_commit(lambda: import_job_send(job.pk))
    return job


def import_job_send(job_id: int) -> None:
    """Ask a worker to run the job. With the broker down the job stays queued (it is stored),
    and the sweep sends it once the broker is back."""
    if _send is None:
        raise RuntimeError("No way to send an import is registered: 'tasks' must be installed.")
    ImportJob.objects.filter(pk=job_id).update(enqueued_at=timezone.now())
    try:
        _send(job_id)
    except BROKER_ERRORS as error:
        ImportJob.objects.filter(pk=job_id).update(enqueued_at=None)
        logger.warning("Import %s not sent (%s); the sweep will send it.", job_id, error)


def import_upload(job: ImportJob) -> bytes:
    """The upload as it was stored, read a piece at a time."""
    pieces = ImportChunk.objects.filter(job=job).order_by("number").values_list("data", flat=True)
    return b"".join(bytes(piece) for piece in pieces.iterator(chunk_size=8))


class ImportProgress:
    """Writes how far a running job got, at most once a second, where readers see it at once:
    on PostgreSQL through a connection of its own while the import's transaction is open (that
    transaction's writes are seen only when it commits). Each write is a sign of life."""

    def __init__(self, job: ImportJob):
        self.job, self.last = job, 0.0
        self.connection = None

    def __call__(self, phase: str, done: int) -> None:
        if time.monotonic() - self.last < PROGRESS_SECONDS:
            return
        self.last = time.monotonic()
        rows = max(self.job.rows, 1)
        percent = {"checking": 50 * done // rows, "waiting": 50, "writing": 50 + 50 * done // rows}
        values = [phase, done, min(percent.get(phase, 0), 99), timezone.now(), self.job.pk]
        sql = (
            f"UPDATE {ImportJob._meta.db_table} SET phase = %s, rows_done = %s, percent = %s, "
            "heartbeat_at = %s WHERE id = %s"
        )
        with self._connection().cursor() as cursor:
            cursor.execute(sql, values)

    def _connection(self):
        if connection.vendor != "postgresql" or not connection.in_atomic_block:
            return connection
        if self.connection is None:
            self.connection = connections.create_connection(DEFAULT_DB_ALIAS)
        return self.connection

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def _claim(job_id: int) -> ImportJob | None:
    now = timezone.now()
    claimable = Q(status=ImportStatus.QUEUED) | Q(
        status=ImportStatus.RUNNING, heartbeat_at__lt=now - STALE_AFTER
    )
    taken = ImportJob.objects.filter(claimable, pk=job_id).update(
        status=ImportStatus.RUNNING, started_at=now, heartbeat_at=now, phase="checking",
        rows_done=0, percent=0, attempts=F("attempts") + 1,
    )  # fmt: skip
    if taken != 1:
        return None
    job = ImportJob.objects.select_related("agency", "submitted_by").get(pk=job_id)
    if job.attempts > MAX_ATTEMPTS:
        why = f"Its worker stopped {MAX_ATTEMPTS} times while running it; nothing was written."
        _fail(job, why)
        return None
    return job


def import_job_run(*, job_id: int, read: Reader) -> ImportJob | None:
    """Claim the job and run it: `read` checks the stored upload's rows; then they are imported.
    Returns the job, finished, or None when it was not there to claim (finished already, or
    running elsewhere). A failure is recorded on the job, then raised."""
    job = _claim(job_id)
    if job is None:
        return None
    progress = ImportProgress(job)
    try:
        rows, refused = read(job, progress)
        summary = reports_import(
            agency=job.agency, user=job.submitted_by, rows=rows, refused=refused,
            dry_run=job.dry_run, atomic=job.atomic, progress=progress,
        )  # fmt: skip
    except DatabaseError:
        # The database failed (it went away, or restarts): the job may run again.
        _release(job)
        raise
    except BaseException:
        logger.exception("Import %s failed", job.pk)
        _fail(job, "The import failed on our side; nothing was written. Send the upload again.")
        raise
    finally:
        progress.close()
    _finish(job, summary)
    return job


def _release(job: ImportJob) -> None:
    """Back to the queue, for the retry; never raises (the sweep sends it again, else)."""
    try:
        ImportJob.objects.filter(pk=job.pk, status=ImportStatus.RUNNING).update(
            status=ImportStatus.QUEUED, phase=""
        )
    except DatabaseError as error:
        logger.warning("Import %s stays running until the sweep takes it (%s).", job.pk, error)


def _fail(job: ImportJob, why: str) -> None:
    job.status, job.failure, job.finished_at = ImportStatus.FAILED, why, timezone.now()
    job.phase = ""
    job.save(update_fields=["status", "failure", "finished_at", "phase"])
    ImportChunk.objects.filter(job=job).delete()


def _finish(job: ImportJob, summary: ImportSummary) -> None:
    job.status, job.phase, job.percent = ImportStatus.DONE, "", 100
    job.rows_done, job.finished_at = job.rows, timezone.now()
    for name in ("created", "updated", "unchanged", "rejected"):
        setattr(job, name, getattr(summary, name))
    job.errors = summary.errors[:ERRORS_KEPT]
    job.save()
    ImportChunk.objects.filter(job=job).delete()


def imports_sweep() -> int:
    """Send again the jobs whose message was lost (queued, not started for RESEND_AFTER) or whose
    worker died (running without a sign of life for STALE_AFTER); returns how many."""
    now = timezone.now()
    lost = ImportJob.objects.filter(
        Q(status=ImportStatus.QUEUED, enqueued_at__isnull=True)
        | Q(status=ImportStatus.QUEUED, enqueued_at__lt=now - RESEND_AFTER)
        | Q(status=ImportStatus.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
    )
    sent = 0
    for job_id in lost.values_list("pk", flat=True):
        import_job_send(job_id)
        sent += 1
    if sent:
        logger.info("The imports sweep sent %d job(s) again.", sent)
    return sent
