"""Reads. Each returns a queryset already carrying what its callers need."""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Count, Max, Min, Prefetch, Q, QuerySet
from django.utils import timezone

from tracker.models import (
    METRICS,
    Agency,
    ApiToken,
    Area,
    DailyFigure,
    FigureRelease,
    FigureVersion,
    ImportJob,
    Report,
    ReportRevision,
    ReportStatus,
    RevisionStatus,
    Role,
    StaleFigure,
    User,
)
from tracker.models.tokens import key_digest

FIGURE_SUFFIXES = ("", "_low", "_high", "_cumulative")


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


PUBLIC_ROW_SOURCES = {"area": "area__pcode", "parent": "area__parent__pcode",
                      "level": "area__level", "date": "date"}  # fmt: skip


def figures_version(*, level: int) -> tuple:
    """What changes whenever the figures of the areas down to `level` change: a refresh writes
    a new `computed_at` on every row it writes, and removed rows lower the count."""
    figures = DailyFigure.objects.filter(area__level__lte=level)
    found = figures.aggregate(latest=Max("computed_at"), rows=Count("id"))
    return (found["latest"], found["rows"])


def figure_rows_down_to(*, level: int) -> list[dict]:
    """The figures of every area down to `level`, every day, as rows (dicts of `area` and
    `parent` p-codes, `level`, `date` and the metric columns): what tracker.disclosure.protect
    takes. One query."""
    columns = [f"{metric}{suffix}" for metric in METRICS for suffix in FIGURE_SUFFIXES]
    names = [*PUBLIC_ROW_SOURCES, *columns]
    figures = DailyFigure.objects.filter(area__level__lte=level)
    found = figures.values_list(*PUBLIC_ROW_SOURCES.values(), *columns)
    return [dict(zip(names, values, strict=True)) for values in found.iterator(chunk_size=5000)]


def figures_as_of(moment: datetime) -> QuerySet[FigureVersion]:
    """The figures as the tracker gave them at `moment`: each cell's version valid then (none
    for a cell that had no figures, or had been removed). Ordered as `figures_with_areas`, and a
    cell has one version at a moment, so every answer for a moment past is the same."""
    return (
        FigureVersion.objects.select_related("area")
        .filter(valid_from__lte=moment, removed=False)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=moment))
        .order_by("area__pcode", "date")
    )


def figure_changes(after: int) -> QuerySet[FigureVersion]:
    """Versions committed after the version `after`, in the order they were committed."""
    return FigureVersion.objects.select_related("area").filter(id__gt=after).order_by("id")


def figure_releases() -> QuerySet[FigureRelease]:
    return FigureRelease.objects.select_related("created_by").order_by("-as_of", "-id")


def service_health() -> dict:
    """What a worker or a probe sees: the database it reads and how much reference data it has."""
    return {
        "database": connection.vendor,
        "areas": Area.objects.count(),
        "reports": Report.objects.count(),
    }


def token_by_key(key: str) -> ApiToken | None:
    """The token with this key, its user and the user's agency (one query), or None."""
    return ApiToken.objects.select_related("user__agency").filter(digest=key_digest(key)).first()


def tokens_visible_to(user: User) -> QuerySet[ApiToken]:
    """The tokens `user` may list and revoke: staff every agency's, a viewer its own agency's,
    anyone else none."""
    tokens = ApiToken.objects.select_related("user__agency", "revoked_by")
    if user.is_staff:
        return tokens
    if user.agency_id and user.role == Role.VIEWER:
        return tokens.filter(user__agency_id=user.agency_id)
    return tokens.none()


def members_with_live_tokens(*, agency_code: str) -> QuerySet[User]:
    """An agency's active members holding a token that is neither expired nor revoked."""
    live = ApiToken.objects.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())
    return User.objects.filter(
        agency__code=agency_code, is_active=True, pk__in=live.values("user_id")
    ).order_by("username")


def database_answers() -> None:
    """SELECT 1: raises the database's error when it cannot be reached."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def service_health_for_staff() -> dict:
    """`service_health` without reading every report: PostgreSQL's own estimate of the reports
    (its statistics, kept by autovacuum) once it has one; an exact count before, and on SQLite."""
    reports = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                [Report._meta.db_table],
            )
            estimate = cursor.fetchone()[0]
        reports = estimate if estimate >= 0 else None  # -1: never analysed
    if reports is None:
        reports = Report.objects.count()
    return {"database": connection.vendor, "areas": Area.objects.count(), "reports": reports}


@dataclass(frozen=True)
class FiguresLag:
    """How far the stored figures are behind the reports."""

    seconds: float  # how long the oldest stale figure record has waited; 0 when none waits
    stale: int  # stale figure records waiting for a refresh


def figures_lag() -> FiguresLag:
    """One query over the stale records (a small table: a refresh deletes what it did)."""
    found = StaleFigure.objects.aggregate(oldest=Min("created_at"), stale=Count("id"))
    oldest = found["oldest"]
    seconds = max(0.0, (timezone.now() - oldest).total_seconds()) if oldest else 0.0
    return FiguresLag(seconds=seconds, stale=found["stale"])


def reports_waiting() -> dict[str, int]:
    """Reports and revisions waiting for a verifier. Pending reports are counted agency by
    agency, through the (agency, status) index, not by reading every report."""
    agencies = list(Agency.objects.values_list("id", flat=True))
    pending = Report.objects.filter(agency_id__in=agencies, status=ReportStatus.PENDING)
    return {
        "reports": pending.count(),
        "revisions": ReportRevision.objects.filter(status=RevisionStatus.PENDING).count(),
    }
