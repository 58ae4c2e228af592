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
Place = tuple[int, int | None]  # (area id, agency id or None: every agency)
Scope = dict[Place, date]  # each place from its first day on
LEVEL_SCOPE = "SELECT id, CAST(NULL AS BIGINT), %s, %s FROM tracker_area WHERE level = %s"
# Incremental scope on PostgreSQL: four arrays, whatever the number of places.
ARRAY_SCOPE = (
    "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::integer[], %s::date[])"
    " AS s(area_id, agency_id, since_n, since_day)"
)


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


def _scope(places: Scope) -> tuple[str, list]:
    """The scope of these places and its parameters: on PostgreSQL always the same text (arrays),
    so that its statements are prepared once."""
    items = sorted(places.items(), key=lambda item: (item[0][0], item[0][1] or 0))
    if connection.vendor == "postgresql":
        columns = [
            [pk for (pk, _), _ in items],
            [agency for (_, agency), _ in items],
            [since.toordinal() for _, since in items],
            [since for _, since in items],
        ]
        return ARRAY_SCOPE, columns
    values = "VALUES " + ", ".join(["(%s, %s, %s, %s)"] * len(items))
    return values, [
        v for (pk, agency), since in items for v in (pk, agency, since.toordinal(), since)
    ]


def _split(places: Scope) -> dict[bool, Scope]:
    """{by agency: places}: the places of one agency, and those of every agency (None)."""
    split: dict[bool, Scope] = {True: {}, False: {}}
    for key, since in places.items():
        split[key[1] is not None][key] = since
    return {by_agency: rows for by_agency, rows in split.items() if rows}


def _areas(places: Scope) -> Scope:
    """Each area once (agency None), from the first day of any of its places."""
    first: dict[int, date] = {}
    for (pk, _), since in places.items():
        first[pk] = min(since, first.get(pk, since))
    return {(pk, None): since for pk, since in first.items()}


def _pass(level: int, agencies: dict[bool, tuple[str, list]], areas: tuple[str, list], run):
    """One level: the agency rows (`agencies`: {by agency: scope and parameters}), then the
    pending counts and figures of the areas."""
    d, children = dialect(), level < 3
    for by_agency, (scope, params) in agencies.items():
        statement = sql.insert_agencies(d, scope, children, by_agency)
        run(f"figures_agencies_{level}_{by_agency}", statement, params)
    scope, params = areas
    run(f"figures_pending_{level}", sql.insert_pending(d, scope, children), params)
    statement = sql.insert_figures(d, scope, children)
    run(f"figures_figures_{level}", statement, [*params, timezone.now()])


def _drop(places: Scope, run) -> None:
    """Delete the places' derived rows from their first day on; earlier ones stay as they are."""
    for by_agency, rows in _split(places).items():
        scope, params = _scope(rows)
        statement = sql.delete_rows("tracker_agencyfigure", scope, by_agency)
        run(f"figures_drop_agencies_{by_agency}", statement, params)
    scope, params = _scope(_areas(places))
    for table in ("tracker_pendingfigure", "tracker_dailyfigure"):
        run(f"figures_drop_{table}", sql.delete_rows(table, scope), params)


def _no_jit() -> None:
    """PostgreSQL's JIT compiles these statements for longer than they run (for the rebuild too:
    a third of its time at a million reports)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


def _lock(governorates: list[int], countries: list[int]) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite lets one writer in at a time
    with connection.cursor() as cursor:
        for area_id in [*sorted(governorates), *sorted(countries)]:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_SPACE, area_id])


def _affected(dirty: dict[Place, date]) -> dict[int, Scope]:
    """{level: {(area id, agency id): first day}} for the dirty places and all their ancestors;
    an area whose every agency is dirty (agency None) has that one entry."""
    area_ids = {area_id for area_id, _ in dirty}
    paths = dict(Area.objects.filter(pk__in=area_ids).values_list("pk", "path"))
    pcodes = {pcode for path in paths.values() for pcode in path.split("/") if pcode}
    areas = {pcode: (pk, level) for pk, pcode, level in
             Area.objects.filter(pcode__in=pcodes).values_list("pk", "pcode", "level")}  # fmt: skip
    by_level: dict[int, Scope] = {level: {} for level in LEVELS}
    for (area_id, agency_id), since in dirty.items():
        for pcode in filter(None, paths[area_id].split("/")):
            pk, level = areas[pcode]
            key = (pk, agency_id)
            by_level[level][key] = min(since, by_level[level].get(key, since))
    for places in by_level.values():
        every = {pk: since for (pk, agency), since in places.items() if agency is None}
        for pk, agency in [key for key in places if key[1] is not None and key[0] in every]:
            every[pk] = min(every[pk], places.pop((pk, agency)))
        places.update({(pk, None): since for pk, since in every.items()})
    return by_level


def recompute(dirty: dict[Place, date]) -> None:
    """Recompute the figures of these places and their ancestors, each from its date on."""
    if not dirty:
        return
    calendar_ensure()
    by_level = _affected(dirty)
    postgresql = connection.vendor == "postgresql"
    run = prepared.execute if postgresql else _run
    with transaction.atomic():
        _no_jit()
        _lock([pk for pk, _ in by_level[1]], [pk for pk, _ in by_level[0]])
        _drop({key: since for places in by_level.values() for key, since in places.items()}, run)
        for level in LEVELS:
            if places := by_level[level]:
                agencies = {by: _scope(rows) for by, rows in _split(places).items()}
                _pass(level, agencies, _scope(_areas(places)), run)


def rebuild() -> None:
    """Recompute every figure from scratch, in one transaction: readers see the old figures
    until it commits. Pending recomputes recorded before it started are settled by it."""
    calendar_ensure()
    settled = FigureRecompute.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with transaction.atomic():
        _no_jit()
        levels = dict(Area.objects.filter(level__lte=1).values_list("pk", "level"))
        _lock(
            [pk for pk, lv in levels.items() if lv == 1],
            [pk for pk, lv in levels.items() if lv == 0],
        )
        for model in (AgencyFigure, PendingFigure, DailyFigure):
            model.objects.all().delete()  # derived rows: one DELETE each
        for level in LEVELS:
            every = (LEVEL_SCOPE, [FIRST_DAY.toordinal(), FIRST_DAY, level])
            _pass(level, {False: every}, every, _run)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # new statistics for the recomputes' plans
                for table in sql.DERIVED_TABLES:
                    cursor.execute(f"ANALYZE {table}")
        FigureRecompute.objects.filter(id__lte=settled).delete()
