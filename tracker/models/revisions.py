from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from tracker.models.areas import Area
from tracker.models.reports import (
    CHECKED_VALUES,
    Report,
    _count_field,
    report_problems,
    statement_constraints,
)


class RevisionStatus(models.TextChoices):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"


class ReportRevision(models.Model):
    """A correction of a verified report, waiting for a verifier: the report keeps counting with
    its verified values until the revision is verified (its values replace them) or rejected.

    The proposed values are plain columns, as on Report, so the figures engine can count pending
    revisions where they would apply (`status = 'pending'`, `area_id`, `period_start`,
    `period_end`)."""

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField(help_text="1 for a report's first revision, then 2...")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField()
    period_end = models.DateField()
    displaced = _count_field("People newly displaced from the area.")
    returned = _count_field("People who returned to the area.")
    killed = _count_field("Civilians killed.")
    injured = _count_field("Civilians injured.")
    killed_children = _count_field("Children among the civilians killed.")
    injured_children = _count_field("Children among the civilians injured.")
    cumulative = models.BooleanField(default=False)
    destination = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_url = models.URLField(max_length=1000, blank=True)
    source_name = models.CharField(max_length=200, blank=True)
    notes = models.TextField(max_length=10_000, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="submitted_revisions"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        max_length=16, choices=RevisionStatus.choices, default=RevisionStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decided_revisions",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(
        max_length=2_000, blank=True, help_text="Why it was rejected or superseded."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["report", "number"]
        indexes = [models.Index(fields=["area", "status", "period_end"])]
        constraints = [
            *statement_constraints("revision"),
            models.UniqueConstraint(
                fields=["report"],
                condition=Q(status=RevisionStatus.PENDING),
                name="revision_one_pending_per_report",
            ),
            models.UniqueConstraint(fields=["report", "number"], name="revision_number_unique"),
            models.CheckConstraint(
                condition=Q(status__in=RevisionStatus.values), name="revision_status_known"
            ),
        ]

    def __str__(self) -> str:
        return f"revision {self.number} of report #{self.report_id}"

    def clean(self) -> None:
        values = {name: getattr(self, name) for name in CHECKED_VALUES}
        errors = report_problems(values, today=timezone.localdate())
        if errors:
            raise ValidationError(errors)
