"""Reads. Each returns a queryset already carrying what its callers need."""

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet

from tracker.models import (
    Area,
    DailyFigure,
    ImportJob,
    Report,
    ReportRevision,
    ReportStatus,
    RevisionStatus,
    Role,
    User,
)


def areas_with_parents() -> QuerySet[Area]:
    return Area.objects.select_related("parent")


def area_descendants(area: Area, *, include_self: bool = True) -> QuerySet[Area]:
    """Areas below `area`, found through stored ancestry."""
    below = Area.objects.filter(path__startswith=area.path)
    return below if include_self else below.exclude(pk=area.pk)


def reports_in_area(area: Area) -> QuerySet[Report]:
    return Report.objects.filter(area__path__startswith=area.path)


def reports_visible_to(user: User) -> QuerySet[Report]:
    """The reports `user` may read: every verified report, and all of its own agency's.

    Verifiers read everything. A report another agency once saw verified stays visible to it
    when it is withdrawn or rejected, so that clients syncing with `updated_since` learn of it.
    """
    pending = ReportRevision.objects.filter(status=RevisionStatus.PENDING).select_related(
        "area", "destination", "submitted_by"
    )
    reports = Report.objects.select_related(
        "agency", "area", "destination", "submitted_by"
    ).prefetch_related(Prefetch("revisions", queryset=pending, to_attr="pending_revisions"))
    if user.role == Role.VERIFIER:
        return reports
    public = Q(status=ReportStatus.VERIFIED) | Q(
        status__in=(ReportStatus.WITHDRAWN, ReportStatus.REJECTED), verified_at__isnull=False
    )
    return reports.filter(public | Q(agency_id=user.agency_id))


def import_jobs_visible_to(user: User) -> QuerySet[ImportJob]:
    """The bulk imports of the user's agency."""
    return ImportJob.objects.filter(agency_id=user.agency_id)


def sees_private_fields(user: User, report: Report) -> bool:
    """Who submitted a report, its notes and reasons are for its agency and the verifiers."""
    return user.role == Role.VERIFIER or user.agency_id == report.agency_id


def area_search(text: str) -> QuerySet[Area]:
    """Areas whose p-code, English or Arabic name or an alias contains `text`."""
    return (
        areas_with_parents()
        .filter(
            Q(pcode__istartswith=text)
            | Q(name_en__icontains=text)
            | Q(name_ar__icontains=text)
            | Q(aliases__alias__icontains=text)
        )
        .distinct()
    )


def figures_with_areas() -> QuerySet[DailyFigure]:
    return DailyFigure.objects.select_related("area").order_by("area__pcode", "date")


def service_health() -> dict:
    """What a worker or a probe sees: the database it reads and how much reference data it has."""
    return {
        "database": connection.vendor,
        "areas": Area.objects.count(),
        "reports": Report.objects.count(),
    }
