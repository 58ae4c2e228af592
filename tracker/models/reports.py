import hashlib
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from tracker.calendar import FIRST_DAY, LAST_DAY
from tracker.models.agencies import Agency
from tracker.models.areas import Area

COUNT_FIELDS = ("displaced", "returned", "killed", "injured")
CHILD_FIELDS = {"killed_children": "killed", "injured_children": "injured"}
MAX_PERIOD_DAYS = 366


CHECKED_VALUES = ("period_start", "period_end", *COUNT_FIELDS, *CHILD_FIELDS)
# The database's version of the calendar check in report_problems, for reports and revisions.
WITHIN_CALENDAR = Q(period_start__gte=FIRST_DAY, period_end__lte=LAST_DAY)


def report_problems(values: dict, *, today: date) -> dict[str, str]:
    """What is wrong with a report's own values, by field: the database's constraints and the
    period rules, said so that an agency can fix them. `values` may leave out counts."""
    errors: dict[str, str] = {}
    start, end = values.get("period_start"), values.get("period_end")
    calendar = f"Dates run from {FIRST_DAY} to {LAST_DAY} (the tracker's calendar)"
    if start and start < FIRST_DAY:
        errors["period_start"] = f"{calendar}: the period cannot start before {FIRST_DAY}."
    if end and end > LAST_DAY:
        errors["period_end"] = f"{calendar}: the period cannot end after {LAST_DAY}."
    if start and end and not errors:
        if end < start:
            errors["period_end"] = "The period cannot end before it starts."
        elif (end - start) >= timedelta(days=MAX_PERIOD_DAYS):
            errors["period_end"] = f"A period covers at most {MAX_PERIOD_DAYS} days."
        elif end > today:
            errors["period_end"] = "The period cannot end in the future."
    if all(values.get(field) is None for field in COUNT_FIELDS):
        errors["__all__"] = "Give at least one of " + ", ".join(COUNT_FIELDS) + "."
    for child, total in CHILD_FIELDS.items():
        child_count, total_count = values.get(child), values.get(total)
        if child_count is not None and total_count is not None and child_count > total_count:
            errors[child] = f"Cannot be more than {total} ({total_count})."
    return errors


class ReportStatus(models.TextChoices):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


def statement_constraints(prefix: str) -> list[models.BaseConstraint]:
    """The database's checks of a report's statement (its period and counts), for a table of
    reports or of proposed revisions: what report_problems says, bar the dates relative to today."""
    return [
        models.CheckConstraint(
            condition=Q(period_end__gte=F("period_start")), name=f"{prefix}_end_not_before_start"
        ),
        models.CheckConstraint(condition=WITHIN_CALENDAR, name=f"{prefix}_within_calendar"),
        models.CheckConstraint(
            condition=Q(displaced__isnull=False)
            | Q(returned__isnull=False)
            | Q(killed__isnull=False)
            | Q(injured__isnull=False),
            name=f"{prefix}_has_a_count",
        ),
        *(
            models.CheckConstraint(
                condition=Q(**{f"{child}__isnull": True})
                | Q(**{f"{total}__isnull": True})
                | Q(**{f"{child}__lte": F(total)}),
                name=f"{prefix}_{child}_within_{total}",
            )
            for child, total in CHILD_FIELDS.items()
        ),
        *(
            models.CheckConstraint(
                condition=Q(**{f"{field}__gte": 0}) | Q(**{f"{field}__isnull": True}),
                name=f"{prefix}_{field}_not_negative",
            )
            for field in (*COUNT_FIELDS, *CHILD_FIELDS)
        ),
    ]


def _count_field(help_text: str) -> models.PositiveIntegerField:
    return models.PositiveIntegerField(null=True, blank=True, help_text=help_text)


class Report(models.Model):
    """One agency's statement about one area over one period. Null is "not reported", 0 is zero."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="reports")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="submitted_reports"
    )
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="reports")
    period_start = models.DateField()
    period_end = models.DateField()
    displaced = _count_field("People newly displaced from the area.")
    returned = _count_field("People who returned to the area.")
    killed = _count_field("Civilians killed.")
    injured = _count_field("Civilians injured.")
    killed_children = _count_field("Children among the civilians killed.")
    injured_children = _count_field("Children among the civilians injured.")
    cumulative = models.BooleanField(
        default=False, help_text="Counts are running totals since period start, as of period end."
    )
    destination = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.PROTECT, related_name="arrivals"
    )
    external_id = models.CharField(
        max_length=200, blank=True, help_text="The agency's own id for this report."
    )
    source_url = models.URLField(max_length=1000, blank=True)
    source_name = models.CharField(max_length=200, blank=True)
    notes = models.TextField(max_length=10_000, blank=True)
    status = models.CharField(
        max_length=16, choices=ReportStatus.choices, default=ReportStatus.PENDING
    )
    status_reason = models.TextField(
        max_length=2_000,
        blank=True,
        help_text="Why the report was last rejected, withdrawn or reopened.",
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="verified_reports",
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="confirmed_duplicates",
        help_text="The report with the same statement, when the agency confirmed sending it again.",
    )
    possible_duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="possible_duplicates",
        help_text="The agency's earliest pending or verified report about the same, a larger or a "
        "smaller area on overlapping days, when the report was submitted or last changed.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-period_end", "id"]
        indexes = [
            # The engine reads an area's verified reports of one agency, or its pending ones,
            # that end on or after a day.
            models.Index(fields=["area", "status", "agency", "period_end"]),
            models.Index(fields=["agency", "status"]),
            # Syncing reads in (updated_at, id) order from a cursor; browsing, newest period first.
            models.Index(fields=["updated_at", "id"]),
            models.Index(fields=["-period_end", "id"], name="report_listing"),
            # The desk: reports about some areas on days overlapping a period (a range of
            # period_end, as periods are at most MAX_PERIOD_DAYS long), and what waits.
            models.Index(fields=["area", "period_end", "period_start"], name="report_area_period"),
            models.Index(
                fields=["created_at", "id"],
                condition=Q(status="pending"),
                name="report_pending",
            ),
        ]
        constraints = [
            *statement_constraints("report"),
            models.CheckConstraint(
                condition=Q(status__in=ReportStatus.values), name="report_status_known"
            ),
            models.UniqueConstraint(
                fields=["agency", "external_id"],
                condition=~Q(external_id=""),
                name="report_external_id_unique_per_agency",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.agency_id and self.agency} {self.area_id and self.area.pcode}"

    def pending_revision(self):
        """The correction waiting for a verifier, if any (prefetched as `pending_revisions` by
        the selectors)."""
        if hasattr(self, "pending_revisions"):
            return self.pending_revisions[0] if self.pending_revisions else None
        pending = self.revisions.filter(status="pending")
        return pending.select_related("area", "destination", "submitted_by").first()

    def etag(self) -> str:
        """Its version as an HTTP entity tag: a new one whenever the report is saved (a new
        revision too)."""
        version = f"{self.pk}:{self.updated_at.isoformat()}".encode()
        return '"' + hashlib.sha256(version).hexdigest()[:32] + '"'

    def counts(self) -> dict[str, int | None]:
        return {field: getattr(self, field) for field in (*COUNT_FIELDS, *CHILD_FIELDS)}

    def clean(self) -> None:
        values = {name: getattr(self, name) for name in CHECKED_VALUES}
        errors = report_problems(values, today=timezone.localdate())
        if errors:
            raise ValidationError(errors)
