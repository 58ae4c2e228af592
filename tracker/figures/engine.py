"""Running the engine's passes: incrementally for a few areas, or a full rebuild.

Both go level by level from the sub-districts up, each level from its own reports and its
children's freshly stored figures, with the same SQL (tracker.figures.sql).
"""

from datetime import date, timedelta

from django.db import connection, transaction
from django.utils import timezone

from tracker.figures import prepared, sql
from tracker.models import Area, CalendarDay, DailyFigure, FigureAgency, FigureRecompute

LEVELS = (3, 2, 1, 0)
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2099, 12, 31)
LOCK_SPACE = 7_301  # pg_advisory_xact_lock(LOCK_SPACE, area id): one lock per governorate


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


def _pass(level: int, scope: str, params: list, replace: bool, run) -> None:
    """One level: (re)write the figures and contributing agencies of the scope's areas."""
    children = level < 3
    if replace:
        run(
            f"figures_drop_agencies_{level}", sql.delete_rows("tracker_figureagency", scope), params
        )
        run(f"figures_drop_figures_{level}", sql.delete_rows("tracker_dailyfigure", scope), params)
    run(f"figures_agencies_{level}", sql.insert_agencies(scope, children), params)
    run(f"figures_figures_{level}", sql.insert_figures(scope, children), [*params, timezone.now()])


def _run(name: str, statement: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _lock(governorates: list[int], countries: list[int]) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite lets one writer in at a time
    with connection.cursor() as cursor:
        for area_id in [*sorted(governorates), *sorted(countries)]:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_SPACE, area_id])


def _affected(dirty: dict[int, date]) -> dict[int, dict[int, int]]:
    """{level: {area id: first day ordinal}} for the dirty areas and all their ancestors."""
    paths = dict(Area.objects.filter(pk__in=dirty).values_list("pk", "path"))
    pcodes = {pcode for path in paths.values() for pcode in path.split("/") if pcode}
    areas = {pcode: (pk, level) for pk, pcode, level in
             Area.objects.filter(pcode__in=pcodes).values_list("pk", "pcode", "level")}  # fmt: skip
    by_level: dict[int, dict[int, int]] = {level: {} for level in LEVELS}
    for area_id, path in paths.items():
        since = dirty[area_id].toordinal()
        for pcode in filter(None, path.split("/")):
            pk, level = areas[pcode]
            by_level[level][pk] = min(since, by_level[level].get(pk, since))
    return by_level


def recompute(dirty: dict[int, date]) -> None:
    """Recompute the figures of these areas and their ancestors, each from its date on."""
    if not dirty:
        return
    calendar_ensure()
    by_level = _affected(dirty)
    postgresql = connection.vendor == "postgresql"
    with transaction.atomic():
        if postgresql:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        _lock(list(by_level[1]), [])
        for level in LEVELS:
            if level == 0:
                _lock([], list(by_level[0]))  # last: every recompute ends at the country
            areas = sorted(by_level[level].items())
            if not areas:
                continue
            if postgresql:
                params = [[pk for pk, _ in areas], [since for _, since in areas]]
                _pass(level, prepared.ARRAY_SCOPE, params, replace=True, run=prepared.execute)
            else:
                scope = "VALUES " + ", ".join(["(%s, %s)"] * len(areas))
                params = [value for item in areas for value in item]
                _pass(level, scope, params, replace=True, run=_run)


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
        FigureAgency.objects.all().delete()
        DailyFigure.objects.all().delete()
        for level in LEVELS:
            scope = "SELECT id, 0 FROM tracker_area WHERE level = %s"
            _pass(level, scope, [level], replace=False, run=_run)
        FigureRecompute.objects.filter(id__lte=settled).delete()
