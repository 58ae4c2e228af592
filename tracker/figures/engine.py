"""Running the engine: incrementally for a few areas from a day on, or a full rebuild.

Both go level by level from the sub-districts up, each level from its own reports and its
children's freshly stored rows, with the same statements (tracker.figures.sql). An incremental
recompute reads an area's reports that can change the days it replaces, and the running totals
stored before them, so its cost follows the cells it replaces, not the size of the tables.
"""

from datetime import date, timedelta

from django.db import connection, transaction
from django.utils import timezone

from tracker.figures import prepared, sql
from tracker.models import (
    AgencyFigure,
    Area,
    CalendarDay,
    DailyFigure,
    FigureRecompute,
    PendingFigure,
)

LEVELS = (3, 2, 1, 0)
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2099, 12, 31)
LOCK_SPACE = 7_301  # pg_advisory_xact_lock(LOCK_SPACE, area id): one lock per governorate
# Incremental scope on PostgreSQL: three arrays, whatever the number of areas.
ARRAY_SCOPE = (
    "SELECT * FROM unnest(%s::bigint[], %s::integer[], %s::date[])"
    " AS s(area_id, since_n, since_day)"
)
LEVEL_SCOPE = "SELECT id, %s, %s FROM tracker_area WHERE level = %s"


def calendar_ensure() -> None:
    """Fill the calendar table if it is missing days (a fresh or flushed database)."""
    if CalendarDay.objects.filter(day__in=(FIRST_DAY, LAST_DAY)).count() == 2:
        return  # filled in one transaction: both ends there means all of it
    known = set(CalendarDay.objects.values_list("day", flat=True))
    days = (FIRST_DAY + timedelta(days=i) for i in range((LAST_DAY - FIRST_DAY).days + 1))
    CalendarDay.objects.bulk_create(
        [CalendarDay(day=day, n=day.toordinal()) for day in days if day not in known],
        batch_size=5000,
    )


def dialect() -> sql.Dialect:
    return sql.Dialect(postgresql=connection.vendor == "postgresql")


def _run(name: str, statement: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _pass(level: int, scope: str, params: list, run) -> None:
    """One level: the agency rows, pending counts and figures of the scope's areas."""
    d, children = dialect(), level < 3
    run(f"figures_agencies_{level}", sql.insert_agencies(d, scope, children), params)
    run(f"figures_pending_{level}", sql.insert_pending(d, scope, children), params)
    run(
        f"figures_figures_{level}",
        sql.insert_figures(d, scope, children),
        [*params, timezone.now()],
    )


def _lock(governorates: list[int], countries: list[int]) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite lets one writer in at a time
    with connection.cursor() as cursor:
        for area_id in [*sorted(governorates), *sorted(countries)]:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_SPACE, area_id])


def _affected(dirty: dict[int, date]) -> dict[int, dict[int, date]]:
    """{level: {area id: first day}} for the dirty areas and all their ancestors."""
    paths = dict(Area.objects.filter(pk__in=dirty).values_list("pk", "path"))
    pcodes = {pcode for path in paths.values() for pcode in path.split("/") if pcode}
    areas = {pcode: (pk, level) for pk, pcode, level in
             Area.objects.filter(pcode__in=pcodes).values_list("pk", "pcode", "level")}  # fmt: skip
    by_level: dict[int, dict[int, date]] = {level: {} for level in LEVELS}
    for area_id, path in paths.items():
        since = dirty[area_id]
        for pcode in filter(None, path.split("/")):
            pk, level = areas[pcode]
            by_level[level][pk] = min(since, by_level[level].get(pk, since))
    return by_level


def _scope(areas: dict[int, date]) -> tuple[str, list]:
    """The scope of these areas (each from its day on) and its parameters."""
    items = sorted(areas.items())
    if connection.vendor == "postgresql":
        columns = [
            [pk for pk, _ in items],
            [d.toordinal() for _, d in items],
            [d for _, d in items],
        ]
        return ARRAY_SCOPE, columns
    values = "VALUES " + ", ".join(["(%s, %s, %s)"] * len(items))
    return values, [value for pk, d in items for value in (pk, d.toordinal(), d)]


def recompute(dirty: dict[int, date]) -> None:
    """Recompute the figures of these areas and their ancestors, each from its date on."""
    if not dirty:
        return
    calendar_ensure()
    by_level = _affected(dirty)
    postgresql = connection.vendor == "postgresql"
    run = prepared.execute if postgresql else _run
    with transaction.atomic():
        _lock(list(by_level[1]), list(by_level[0]))
        everything = {pk: since for level in LEVELS for pk, since in by_level[level].items()}
        scope, params = _scope(everything)
        for table in sql.DERIVED_TABLES:  # rows before an area's first day stay as they are
            run(f"figures_drop_{table}", sql.delete_rows(table, scope), params)
        for level in LEVELS:
            if by_level[level]:
                _pass(level, *_scope(by_level[level]), run=run)


def rebuild() -> None:
    """Recompute every figure from scratch, in one transaction: readers see the old figures
    until it commits. Pending recomputes recorded before it started are settled by it."""
    calendar_ensure()
    settled = FigureRecompute.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with transaction.atomic():
        levels = dict(Area.objects.filter(level__lte=1).values_list("pk", "level"))
        _lock(
            [pk for pk, lv in levels.items() if lv == 1],
            [pk for pk, lv in levels.items() if lv == 0],
        )
        for model in (AgencyFigure, PendingFigure, DailyFigure):
            model.objects.all().delete()  # derived rows: one DELETE each
        for level in LEVELS:
            _pass(level, LEVEL_SCOPE, [FIRST_DAY.toordinal(), FIRST_DAY, level], run=_run)
        FigureRecompute.objects.filter(id__lte=settled).delete()
