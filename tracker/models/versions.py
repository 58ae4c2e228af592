"""What the tracker published, and when: every version of every figure cell, and releases.

The engine writes a version in the same transaction as the figures it changes (never deletes
one, never edits one but to close it), so `as_of` can say what the figures were at any moment
and the change feed can list every change, removals as tombstones.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from tracker.models.areas import Area
from tracker.models.figures import METRICS

# The columns of a cell that a version keeps: what the API publishes (computed_at aside, which
# a version keeps but does not compare).
PUBLISHED_COUNTS = ("report_count", "agency_count", "pending_reports")
VERSIONED_COLUMNS = [
    *(f"{m}{s}" for m in METRICS for s in ("", "_low", "_high", "_cumulative")),
    *PUBLISHED_COUNTS,
]


class FigureVersion(models.Model):
    """One version of one figure cell (area, day): its published columns, valid from
    `valid_from` until `valid_to` (open while current). A `removed` version is a tombstone: the
    cell stopped existing then (its last verified report was withdrawn, say).

    Append-only. The id orders versions as they were committed: the engine writes them holding
    a lock it keeps until it commits (tracker.figures.versions.FEED_LOCK), so the change feed can
    page by id without ever passing a version still to be committed."""

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", db_index=False)
    date = models.DateField()
    removed = models.BooleanField(default=False)
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(help_text="When the engine computed these figures.")
    report_count = models.PositiveIntegerField(default=0)
    agency_count = models.PositiveIntegerField(default=0)
    pending_reports = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            # The engine compares a refresh's cells with their current versions through this.
            models.Index(
                fields=["area", "date"], condition=Q(valid_to__isnull=True), name="version_current"
            ),
            models.Index(fields=["area", "date", "valid_from"], name="version_as_of"),
        ]

    def __str__(self) -> str:
        return f"{self.area_id} {self.date} from {self.valid_from}"


for _column in VERSIONED_COLUMNS[: -len(PUBLISHED_COUNTS)]:
    FigureVersion.add_to_class(_column, models.BigIntegerField(null=True, blank=True))


class FigureRelease(models.Model):
    """A named, citable snapshot of the figures: what they were at `as_of`, served the same,
    byte for byte, on every download. Never deleted."""

    name = models.CharField(max_length=200, unique=True)
    notes = models.TextField(blank=True)
    as_of = models.DateTimeField(help_text="The moment whose figures the release serves.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when published by the management command without --user.",
    )

    class Meta:
        ordering = ["-as_of", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.as_of:%Y-%m-%d %H:%M} UTC)"
