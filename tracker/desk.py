"""The verification desk's reads: what waits for a verifier, and the flags a verifier checks
first (conflicting figures, possible duplicates, outliers), for a page of reports at a time."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import (
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce

from tracker.desk_preview import decision_preview
from tracker.models import (
    COUNT_FIELDS,
    Area,
    DailyFigure,
    Report,
    ReportRevision,
    ReportStatus,
    RevisionStatus,
)
from tracker.models.reports import MAX_PERIOD_DAYS
from tracker.services.reports import report_verify
from tracker.services.revisions import REVISED_FIELDS

COUNTING = (ReportStatus.PENDING, ReportStatus.VERIFIED)
OUTLIER_RATIO = 10  # a count more than ten times every other agency's largest is an outlier


def waiting(model=Report) -> QuerySet[Report]:
    """Pending reports and reports with a pending revision, oldest wait first (of `model`,
    Report or a proxy of it). The reports with a pending revision are looked up first, so that
    the database finds the others through its index of pending reports, not by reading every
    report (a pending report has no pending revision: only verified ones are revised)."""
    pending = ReportRevision.objects.filter(status=RevisionStatus.PENDING)
    since = pending.filter(report=OuterRef("pk")).order_by().values("created_at")[:1]
    revised = list(pending.values_list("report_id", flat=True))
    return (
        model.objects.filter(Q(status=ReportStatus.PENDING) | Q(pk__in=revised))
        .select_related("agency", "area__parent__parent")
        .prefetch_related(
            Prefetch(
                "revisions",
                queryset=pending.select_related("area__parent__parent"),
                to_attr="pending_revisions",
            )
        )
        .annotate(waiting_since=Coalesce(Subquery(since), F("created_at")))
        .order_by("waiting_since", "id")
    )


def governorate(area: Area) -> Area | None:
    """The level 1 area above `area` (or itself), from the parents selected with it."""
    while area is not None and area.level > 1:
        area = area.parent
    return area if area is not None and area.level == 1 else None


@dataclass
class Statement:
    """What a row asks the verifier to accept: the pending revision's values, or the report's."""

    area: Area
    period_start: date
    period_end: date
    counts: dict


def statement(report: Report) -> Statement:
    revision = report.pending_revision()
    source = revision if revision is not None else report
    counts = {name: getattr(source, name) for name in COUNT_FIELDS}
    return Statement(source.area, source.period_start, source.period_end, counts)


def related(areas: list[tuple[int, str]], path: str) -> list[int]:
    """The ids of the area at `path`, the areas above it and those below (of `areas`, (id,
    path) pairs): by stored ancestry, never by p-code."""
    return [pk for pk, p in areas if nested(p, path)]


def around(statements: list[Statement], areas: list[tuple[int, str]] | None = None) -> Q:
    """Reports about the same, a larger or a smaller area than any of `statements`, on days
    that overlap its own: for each, its areas by id and its days as a range of `period_end`
    (a period is at most MAX_PERIOD_DAYS long), which the (area, period_end, period_start)
    index reads directly, however many reports there are."""
    areas = areas if areas is not None else list(Area.objects.values_list("pk", "path"))
    found = Q(pk__in=[])
    for path, start, end in {(s.area.path, s.period_start, s.period_end) for s in statements}:
        last = end + timedelta(days=MAX_PERIOD_DAYS)
        ids = related(areas, path)
        found |= Q(area__in=ids, period_end__range=(start, last), period_start__lte=end)
    return found


def nested(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


def overlap(s: Statement, other: Report) -> bool:
    return other.period_start <= s.period_end and s.period_start <= other.period_end


def differs(a: dict, b: Report) -> bool:
    return any(
        a[name] is not None and getattr(b, name) is not None and a[name] != getattr(b, name)
        for name in COUNT_FIELDS
    )


@dataclass
class Flags:
    conflicts: list = field(default_factory=list)
    duplicate: Report | None = None
    outliers: list = field(default_factory=list)

    def labels(self) -> list[str]:
        return [
            label
            for label, on in (
                ("conflict", self.conflicts),
                ("possible duplicate", self.duplicate),
                ("outlier", self.outliers),
            )
            if on
        ]


OTHER_COLUMNS = ("pk", "agency_id", "agency__code", "area_id", "area__pcode", "period_start",
                 "period_end", *COUNT_FIELDS)  # fmt: skip


def others_for(statements: list[Statement], areas: list[tuple[int, str]]) -> dict[int, list]:
    """Every pending or verified report in the same, a larger or a smaller area than any of
    `statements`, on days that overlap its own, by area id: one query, each report the few
    columns the flags need (a governorate's report can meet thousands in the areas below)."""
    found: dict[int, list] = {}
    if statements:
        reports = Report.objects.filter(around(statements, areas), status__in=COUNTING)
        for other in reports.order_by("pk").values_list(*OTHER_COLUMNS, named=True):
            found.setdefault(other.area_id, []).append(other)
    return found


def flag(reports: list[Report]) -> None:
    """Set `desk_statement` and `desk_flags` on each of `reports`, in one query for them all
    (their pending revisions and areas already loaded)."""
    statements = [statement(report) for report in reports]
    areas = list(Area.objects.values_list("pk", "path"))
    others = others_for(statements, areas)
    for report, s in zip(reports, statements, strict=True):
        report.desk_statement = s
        flags = Flags()
        flags.duplicate = report.possible_duplicate_of_id or report.duplicate_of_id
        near = [
            o
            for area_id in related(areas, s.area.path)
            for o in others.get(area_id, ())
            if o.agency_id != report.agency_id and overlap(s, o)
        ]
        flags.conflicts = sorted((o for o in near if differs(s.counts, o)), key=lambda o: o.pk)
        same = [o for o in near if o.area_id == s.area.id]
        flags.outliers = outliers(s, same)
        report.desk_flags = flags


def outliers(s: Statement, same: list) -> list[str]:
    """A count over OUTLIER_RATIO times every other agency's for the same area and days, or
    above the area's population."""
    found = []
    for name in COUNT_FIELDS:
        value = s.counts[name]
        if value is None:
            continue
        theirs = [getattr(o, name) for o in same if getattr(o, name) is not None]
        if theirs and value > OUTLIER_RATIO * max(max(theirs), 1):
            found.append(f"{name} {value} > {OUTLIER_RATIO}× other agencies' {max(theirs)}")
        if s.area.population is not None and value > s.area.population:
            found.append(f"{name} {value} > population {s.area.population}")
    return found


def report_context(report: Report, user) -> dict:
    """What a verifier reads beside a report: the other reports (any agency, any status) for
    the same and nested areas on overlapping days; the daily figures of its area and those
    above on its days now and, when it waits for a decision, as they would be were it (or its
    revision) verified; for a pending revision both versions."""
    revision = report.pending_revision()
    decidable = report.status == ReportStatus.PENDING or revision is not None
    s = statement(report)
    others = (
        Report.objects.filter(around([s]))
        .exclude(pk=report.pk)
        .select_related("agency", "area")
        .order_by("period_start", "agency__code", "id")
    )
    figures = DailyFigure.objects.filter(
        area=s.area, date__gte=s.period_start, date__lte=s.period_end
    ).order_by("date")
    versions = []
    if revision is not None:
        for name in REVISED_FIELDS:
            versions.append((name, getattr(report, name), getattr(revision, name)))
    return {
        "area": s.area,
        "others": list(others[:200]),
        "figures": list(figures[:400]),
        "revision": revision,
        "versions": versions,
        "updated_at": report.updated_at.isoformat(),
        "decidable": decidable,
        "preview": decision_preview(lambda: report_verify(report=report, user=user))
        if decidable
        else None,
    }
