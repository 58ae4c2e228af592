from django.conf import settings
from django.db import models
from django.db.models import Q

from tracker.models.agencies import Agency


class ImportStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ImportFormat(models.TextChoices):
    JSON = "json"
    CSV = "csv"


class ImportJob(models.Model):
    """A bulk upload too large to answer at once: stored, processed by a worker, followed at
    its status resource. Its counts are those of the synchronous answer; `errors` keeps the
    first rejected rows' errors (all of them are counted in `rejected`)."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="import_jobs")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="import_jobs"
    )
    status = models.CharField(
        max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    format = models.CharField(max_length=8, choices=ImportFormat.choices)
    dry_run = models.BooleanField(default=False)
    atomic = models.BooleanField(default=True)
    idempotency_key = models.CharField(max_length=255, blank=True)
    idempotency_query = models.CharField(
        max_length=64, blank=True, help_text="Hash of the query string, as the key's scope."
    )
    body_hash = models.CharField(
        max_length=64, help_text="Hash of the content type and body, as the Idempotency-Key's."
    )
    body_bytes = models.PositiveBigIntegerField(default=0)
    rows = models.PositiveIntegerField(help_text="Rows in the upload (reports, not CSV lines).")
    rows_done = models.PositiveIntegerField(default=0, help_text="Rows checked or written so far.")
    phase = models.CharField(max_length=16, blank=True, help_text="checking, waiting, writing")
    percent = models.PositiveSmallIntegerField(default=0, help_text="An estimate of the work done.")
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, help_text="The first rejected rows' errors, by row.")
    failure = models.TextField(blank=True, help_text="Why the job failed, when it did.")
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life of the worker running it."
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "enqueued_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["submitted_by", "idempotency_key", "idempotency_query"],
                condition=~Q(idempotency_key=""),
                name="import_job_one_per_idempotency_key",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values), name="import_job_status_known"
            ),
        ]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)


class ImportChunk(models.Model):
    """A piece of a stored upload, in order: a body is kept in pieces so that neither the web
    process storing it nor the worker reading it holds more than a piece in a query. Deleted
    once its job is finished."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        ordering = ["job", "number"]
        constraints = [
            models.UniqueConstraint(fields=["job", "number"], name="import_chunk_unique"),
        ]

    def __str__(self) -> str:
        return f"piece {self.number} of import {self.job_id}"
