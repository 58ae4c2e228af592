"""Running the engine: incrementally for a few areas from a day on, or a full rebuild.

Both go level by level from the sub-districts up, each level from its own reports and its
children's freshly stored rows, with the same statements (tracker.figures.sql). A refresh reads
an area's reports that can change the days it replaces, and the stored rows of the stretch that
reaches into its first day, so its cost follows the cells it replaces, not the size of the tables.
"""

from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from tracker.calendar import FIRST_DAY, LAST_DAY
from tracker.figures import prepared, sql, versions
from tracker.models import (
    AgencyFigure,
    Area,
    CalendarDay,
    DailyFigure,
    PendingFigure,
    StaleFigure,
)

LEVELS = (3, 2, 1, 0)
REBUILD_WORK_MEM = "96MB"  # sorts of a level's rows in memory, not in temporary files
LOCK_SPACE = 7_301  # pg_advisory_xact_lock(LOCK_SPACE, area id): one lock per governorate
Place = tuple[int, int | None]  # (area id, agency id or None: every agency)
Window = tuple[date, date]  # the first and last day a change touches
Scope = dict[Place, Window]
EVERY_AREA_SCOPE = "SELECT id, CAST(NULL AS BIGINT), %s, %s, %s, %s FROM tracker_area"
LEVEL_SCOPE = f"{EVERY_AREA_SCOPE} WHERE level = %s"
# Incremental scope on PostgreSQL: six arrays, whatever the number of places.
ARRAY_SCOPE = (
    "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::integer[], %s::date[], %s::integer[],"
    f" %s::date[]) AS s({sql.SCOPE_COLUMNS})"
)


def widen(a: Window | None, b: Window) -> Window:
    return b if a is None else (min(a[0], b[0]), max(a[1], b[1]))


def calendar_ensure() -> None:
    """Fill the calendar table if it is missing days (a fresh or flushed database)."""
    if CalendarDay.objects.filter(day__in=(FIRST_DAY, LAST_DAY)).count() == 2:
        return  # filled in one transaction: both ends there means all of it
    known = set(CalendarDay.objects.values_list("day", flat=True))
    days = (FIRST_DAY + timedelta(days=i) for i in range((LAST_DAY - FIRST_DAY).days + 1))
    CalendarDay.objects.bulk_create(
        [CalendarDay(day=day, n=day.toordinal()) for day in days if day not in known],
        batch_size=5000,
        ignore_conflicts=True,  # two processes filling a fresh calendar at once
    )


def dialect() -> sql.Dialect:
    return sql.Dialect(postgresql=connection.vendor == "postgresql")


def _run(name: str, statement: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _scope(places: Scope) -> tuple[str, list]:
    """The scope of these places and its parameters: on PostgreSQL always the same text (arrays),
    so that its statements are prepared once."""
    rows = [
        (pk, agency, since.toordinal(), since, until.toordinal(), until)
        for (pk, agency), (since, until) in sorted(places.items(), key=lambda p: str(p[0]))
    ]
    if connection.vendor == "postgresql":
        return ARRAY_SCOPE, [list(column) for column in zip(*rows, strict=True)]
    return values_scope(len(rows)), [value for row in rows for value in row]


def values_scope(places: int) -> str:
    """A scope of `places` rows of parameters, on SQLite (and for explaining one cell)."""
    return "VALUES " + ", ".join(["(%s, %s, %s, %s, %s, %s)"] * places)


def _split(places: Scope) -> dict[bool, Scope]:
    """{by agency: places}: the places of one agency, and those of every agency (None)."""
    split: dict[bool, Scope] = {True: {}, False: {}}
    for key, window in places.items():
        split[key[1] is not None][key] = window
    return {by_agency: rows for by_agency, rows in split.items() if rows}


def _pass(level: int, agencies: dict[bool, tuple[str, list]], areas: tuple[str, list], run,
          fresh: bool = False):  # fmt: skip
    """One level: the agency rows (`agencies`: {by agency: scope and parameters}), then the
    pending counts and figures of the areas. `fresh`: in a rebuild, nothing stored comes before."""
    d, children = dialect(), level < 3
    for by_agency, (scope, params) in agencies.items():
        statement = sql.insert_agencies(d, scope, children, by_agency)
        run(f"figures_agencies_{level}_{by_agency}", statement, params)
    scope, params = areas
    run(f"figures_pending_{level}", sql.insert_pending(d, scope, children, fresh), params)
    statement = sql.insert_figures(d, scope, children, fresh)
    run(f"figures_figures_{level}", statement, [*params, timezone.now()])


def _drop(agencies: Scope, areas: Scope, run) -> None:
    """Delete the derived rows that the passes write again; the others stay as they are."""
    for by_agency, rows in _split(agencies).items():
        scope, params = _scope(rows)
        statement = sql.delete_rows("tracker_agencyfigure", scope, by_agency)
        run(f"figures_drop_agencies_{by_agency}", statement, params)
    scope, params = _scope(areas)
    for table in ("tracker_pendingfigure", "tracker_dailyfigure"):
        run(f"figures_drop_{table}", sql.delete_rows(table, scope), params)


def _settings(refresh: bool) -> None:
    """For this transaction on PostgreSQL: no JIT, which compiles these statements for longer
    than they run (a third of a rebuild's time at a million reports). A rebuild sorts a level's
    agency rows several times: with more memory for each sort than the default 4 MB it spills
    none to disk (about a sixth faster at a million reports). Refreshes also run their
    prepared statements with generic plans (planning them anew took longer than running them),
    and do not wait for their commit to reach the disk: should the server crash first, the
    refresh is lost whole, its stale records with it come back, and the sweep redoes it."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        if not refresh:
            cursor.execute(f"SET LOCAL work_mem = '{REBUILD_WORK_MEM}'")
        if refresh:
            cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            cursor.execute("SET LOCAL synchronous_commit = off")


def feed_moment() -> datetime:
    """Take FEED_LOCK (PostgreSQL; kept until this transaction ends) and say what time it is:
    every version committed before that moment has an earlier `valid_from`, every later one a
    later `valid_from` (tracker.figures.versions)."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            # SQLite lets one writer in at a time: a write, even of nothing, makes this
            # transaction the writer until it ends.
            cursor.execute(f"UPDATE {versions.TABLE} SET id = id WHERE 1 = 0")
            return timezone.now()
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", list(versions.FEED_LOCK))
        cursor.execute("SELECT clock_timestamp()")
        return cursor.fetchone()[0]


def _version(areas: tuple[str, list], run) -> None:
    """New versions of the cells of `areas` (a scope and its parameters) that changed, once
    their figures are written (tracker.figures.versions)."""
    scope, params = areas
    moment = feed_moment()
    insert = versions.insert_versions(dialect(), scope)
    run("figures_versions_insert", insert, [*params, moment, moment])
    run("figures_versions_close", versions.close_versions(scope), [*params, moment])


def _analyze(*tables: str) -> None:
    """New statistics on PostgreSQL for the plans that follow (`table` or `table (columns)`)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {table}")


def _lock(governorates: list[int], countries: list[int]) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite lets one writer in at a time
    with connection.cursor() as cursor:
        for area_id in [*sorted(governorates), *sorted(countries)]:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_SPACE, area_id])


def _affected(stale: Scope) -> tuple[dict[int, Scope], dict[int, Scope]]:
    """The agency rows and the areas to refresh, each {level: {place: window}}, for the stale
    places and all their ancestors. Where a report changed, its agency's rows change from its
    first day to the end (a cumulative series' later flows); above it, and for pending counts,
    only its days do.
    An area whose every agency is stale (agency None) has that one place."""
    area_ids = {area_id for area_id, _ in stale}
    paths = dict(Area.objects.filter(pk__in=area_ids).values_list("pk", "path"))
    pcodes = {pcode for path in paths.values() for pcode in path.split("/") if pcode}
    areas = {pcode: (pk, level) for pk, pcode, level in
             Area.objects.filter(pcode__in=pcodes).values_list("pk", "pcode", "level")}  # fmt: skip
    agencies: dict[int, Scope] = {level: {} for level in LEVELS}
    cells: dict[int, Scope] = {level: {} for level in LEVELS}
    for (area_id, agency_id), (since, until) in stale.items():
        for pcode in filter(None, paths[area_id].split("/")):
            pk, level = areas[pcode]
            window = (since, LAST_DAY if pk == area_id else until)
            agencies[level][pk, agency_id] = widen(agencies[level].get((pk, agency_id)), window)
            cells[level][pk, None] = widen(cells[level].get((pk, None)), (since, until))
    for places in agencies.values():
        every = {pk: window for (pk, agency), window in places.items() if agency is None}
        for pk, agency in [key for key in places if key[1] is not None and key[0] in every]:
            every[pk] = widen(every[pk], places.pop((pk, agency)))
        places.update({(pk, None): window for pk, window in every.items()})
    return agencies, cells


def refresh(stale: Scope) -> None:
    """Refresh the figures of these stale places and their ancestors, over their windows."""
    if not stale:
        return
    calendar_ensure()
    agencies, cells = _affected(stale)
    run = prepared.execute if connection.vendor == "postgresql" else _run
    with transaction.atomic():
        _settings(refresh=True)
        _lock([pk for pk, _ in cells[1]], [pk for pk, _ in cells[0]])
        everywhere = [{k: w for places in d.values() for k, w in places.items()}
                      for d in (agencies, cells)]  # fmt: skip
        _drop(*everywhere, run)
        for level in LEVELS:
            if cells[level]:
                by = {b: _scope(rows) for b, rows in _split(agencies[level]).items()}
                _pass(level, by, _scope(cells[level]), run)
        _version(_scope(everywhere[1]), run)


def rebuild() -> None:
    """Rebuild every figure from the reports, in one transaction: readers see the old figures
    until it commits. Stale records written before it started are settled by it."""
    calendar_ensure()
    settled = StaleFigure.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with transaction.atomic():
        _settings(refresh=False)
        _analyze("tracker_area")  # how many areas each level has (a few hundred rows)
        levels = dict(Area.objects.filter(level__lte=1).values_list("pk", "level"))
        _lock(
            [pk for pk, lv in levels.items() if lv == 1],
            [pk for pk, lv in levels.items() if lv == 0],
        )
        for model in (AgencyFigure, PendingFigure, DailyFigure):
            model.objects.all().delete()  # derived rows: one DELETE each
        days = [FIRST_DAY.toordinal(), FIRST_DAY, LAST_DAY.toordinal(), LAST_DAY]
        for level in LEVELS:
            every = (LEVEL_SCOPE, [*days, level])
            _pass(level, {False: every}, every, _run, fresh=True)
        _analyze(*(f"{table} ({columns})" for table, columns in sql.LOOKUP_COLUMNS.items()))
        _version((EVERY_AREA_SCOPE, days), _run)
        _analyze(versions.TABLE)  # a first rebuild may have written all of it
        StaleFigure.objects.filter(id__lte=settled).delete()
