"""The desk's conflict filter: waiting reports that another agency's pending or verified report
contradicts, found by the database for a whole queue (the flags of one page: tracker.desk)."""

from datetime import timedelta

from django.db.models import (
    BooleanField,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.lookups import IsNull

from tracker.desk import COUNTING
from tracker.models import COUNT_FIELDS, Area, Report
from tracker.models.reports import MAX_PERIOD_DAYS


class AmongAreas(Func):
    """`area_id` among some areas: a subquery's, or a list of expressions (an outer row's
    columns). On PostgreSQL `= ANY(ARRAY...)`, which an index on the area reads directly
    (`IN (subquery)` depending on an outer row is a filter run on every row instead)."""

    output_field = BooleanField()

    def __init__(self, areas):
        self.listed = not isinstance(areas, QuerySet)
        areas = list(areas) if self.listed else [Subquery(areas.values("pk"))]
        super().__init__(F("area_id"), *areas)

    def as_sql(self, compiler, connection, template=None):
        compiled = [compiler.compile(e) for e in self.get_source_expressions()]
        (column, _), *areas = compiled
        params = tuple(p for _, ps in compiled for p in ps)
        among = ", ".join(sql for sql, _ in areas)
        if connection.vendor == "postgresql":
            among = f"[{among}]" if self.listed else among
            return f"{column} = ANY(ARRAY{among})", params
        return f"{column} IN {f'({among})' if self.listed else among}", params


# A report's area and those above it: levels run from 0 (a country) to 3 (LOWEST_LEVEL).
CHAIN = ("area_id", "area__parent_id", "area__parent__parent_id", "area__parent__parent__parent_id")
LOWEST_LEVEL = 3


def conflicting() -> Q:
    """For filtering: another agency's pending or verified report in the same, a larger or a
    smaller area on overlapping days with a different count (the report's own values).
    The areas above come from the report's parents (a few ids, read through the index); the
    areas below, from stored ancestry, are looked for only above the lowest level."""
    above = AmongAreas(OuterRef(name) for name in CHAIN)
    below = Area.objects.filter(path__startswith=OuterRef(OuterRef("area__path"))).exclude(
        pk=OuterRef(OuterRef("area_id"))
    )
    return Q(Exists(_conflicts_in(above))) | (
        Q(area__level__lt=LOWEST_LEVEL) & Q(Exists(_conflicts_in(AmongAreas(below.order_by()))))
    )


def _conflicts_in(areas: AmongAreas) -> QuerySet:
    differ = Q()
    for name in COUNT_FIELDS:
        differ |= (
            Q(**{f"{name}__isnull": False})
            & Q(IsNull(OuterRef(name), False))
            & ~Q(**{name: OuterRef(name)})
        )
    last = ExpressionWrapper(
        OuterRef("period_end") + timedelta(days=MAX_PERIOD_DAYS), output_field=DateField()
    )
    return (
        Report.objects.filter(areas, status__in=COUNTING)
        .filter(period_end__gte=OuterRef("period_start"), period_end__lte=last)
        .filter(period_start__lte=OuterRef("period_end"))
        .exclude(agency=OuterRef("agency"))
        .filter(differ)
    )
