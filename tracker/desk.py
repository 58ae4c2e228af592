"""The verification desk's reads: what waits for a verifier, and the flags a verifier checks
first (conflicting figures, possible duplicates, outliers), for a page of reports at a time."""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.db.models.lookups import IsNull, StartsWith

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
from tracker.services.reports import report_verify
from tracker.services.revisions import REVISED_FIELDS

COUNTING = (ReportStatus.PENDING, ReportStatus.VERIFIED)
OUTLIER_RATIO = 10  # a count more than ten times every other agency's largest is an outlier


def waiting(model=Report) -> QuerySet[Report]:
    """Pending reports and reports with a pending revision, oldest wait first (of `model`,
    Report or a proxy of it)."""
    pending = ReportRevision.objects.filter(status=RevisionStatus.PENDING)
    since = pending.filter(report=OuterRef("pk")).values("created_at")[:1]
    return (
        model.objects.filter(
            Q(status=ReportStatus.PENDING) | Q(Exists(pending.filter(report=OuterRef("pk"))))
        )
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


def related_areas(paths: list[str]) -> Q:
    """Reports in any of the areas with these stored paths, above or below them (ancestry from
    `Area.path`, never p-code prefixes)."""
    ancestors = {path[: i + 1] for path in paths for i, c in enumerate(path) if c == "/"}
    below = Q()
    for path in set(paths):
        below |= Q(area__path__startswith=path)
    return Q(area__path__in=ancestors) | below


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


def others_for(statements: list[Statement]) -> list[Report]:
    """Every pending or verified report in the same, a larger or a smaller area than any of
    `statements`, on days that overlap theirs: one query."""
    if not statements:
        return []
    start = min(s.period_start for s in statements)
    end = max(s.period_end for s in statements)
    return list(
        Report.objects.filter(
            related_areas([s.area.path for s in statements]),
            status__in=COUNTING,
            period_start__lte=end,
            period_end__gte=start,
        ).select_related("area", "agency")
    )


def flag(reports: list[Report]) -> None:
    """Set `desk_statement` and `desk_flags` on each of `reports`, in one query for them all
    (their pending revisions and areas already loaded)."""
    statements = [statement(report) for report in reports]
    others = others_for(statements)
    for report, s in zip(reports, statements, strict=True):
        report.desk_statement = s
        flags = Flags()
        flags.duplicate = report.possible_duplicate_of_id or report.duplicate_of_id
        around = [
            o
            for o in others
            if o.agency_id != report.agency_id
            and nested(o.area.path, s.area.path)
            and overlap(s, o)
        ]
        flags.conflicts = [o for o in around if differs(s.counts, o)]
        same = [o for o in around if o.area_id == s.area.id]
        for name in COUNT_FIELDS:
            value = s.counts[name]
            if value is None:
                continue
            theirs = [getattr(o, name) for o in same if getattr(o, name) is not None]
            if theirs and value > OUTLIER_RATIO * max(max(theirs), 1):
                flags.outliers.append(
                    f"{name} {value} > {OUTLIER_RATIO}× other agencies' {max(theirs)}"
                )
            if s.area.population is not None and value > s.area.population:
                flags.outliers.append(f"{name} {value} > population {s.area.population}")
        report.desk_flags = flags


def conflicting() -> Exists:
    """For filtering: another agency's pending or verified report in the same, a larger or a
    smaller area on overlapping days with a different count (the report's own values)."""
    outer = OuterRef("area__path")
    differ = Q()
    for name in COUNT_FIELDS:
        differ |= (
            Q(**{f"{name}__isnull": False})
            & Q(IsNull(OuterRef(name), False))
            & ~Q(**{name: OuterRef(name)})
        )
    others = (
        Report.objects.filter(status__in=COUNTING)
        .exclude(agency=OuterRef("agency"))
        .filter(period_start__lte=OuterRef("period_end"), period_end__gte=OuterRef("period_start"))
        .filter(Q(area__path__startswith=outer) | Q(StartsWith(outer, F("area__path"))))
        .filter(differ)
    )
    return Exists(others)


def report_context(report: Report, user) -> dict:
    """What a verifier reads beside a report: the other reports (any agency, any status) for
    the same and nested areas on overlapping days; the daily figures of its area and those
    above on its days now and, when it waits for a decision, as they would be were it (or its
    revision) verified; for a pending revision both versions."""
    revision = report.pending_revision()
    decidable = report.status == ReportStatus.PENDING or revision is not None
    s = statement(report)
    others = (
        Report.objects.filter(
            related_areas([s.area.path]),
            period_start__lte=s.period_end,
            period_end__gte=s.period_start,
        )
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
