"""Keeping daily figures current: record what a change makes stale, recompute it after commit."""

from datetime import date

from django.db import connection, transaction

from tracker.figures import engine, sql
from tracker.figures.engine import Scope
from tracker.models import FigureRecompute

CLAIM = 200  # recomputes taken at once by one worker


def figures_mark(*, stale: Scope) -> None:
    """Record the places (area, agency) whose figures, and their ancestors', are stale over a
    window of days, in the caller's transaction; the recompute is queued once it commits (run at
    once without Redis)."""
    FigureRecompute.objects.bulk_create(
        FigureRecompute(area_id=area_id, agency_id=agency_id, since=since, until=until)
        for (area_id, agency_id), (since, until) in stale.items()
    )
    from tasks.figures import refresh_figures  # the task module imports this one

    transaction.on_commit(refresh_figures.delay)


def stale_cells(*places: tuple[int, int | None, date, date]) -> Scope:
    """The (area, agency, first day, last day) places a report was and is at, as stale cells: a
    change to a report changes its area's figures from its first day on (a cumulative series
    from its start), and the areas above it on the days it covers."""
    stale: Scope = {}
    for area_id, agency_id, since, until in places:
        stale[area_id, agency_id] = engine.widen(stale.get((area_id, agency_id)), (since, until))
    return stale


def figures_refresh() -> int:
    """Recompute the cells recorded as stale, a batch at a time; returns how many records were
    settled. Safe to run twice or in parallel: it recomputes from the reports and replaces."""
    settled = 0
    while True:
        with transaction.atomic():
            claimed = list(
                FigureRecompute.objects.select_for_update(skip_locked=True)
                .order_by("id")
                .values_list("id", "area_id", "agency_id", "since", "until")[:CLAIM]
            )
            if not claimed:
                return settled
            engine.recompute(stale_cells(*(row[1:] for row in claimed)))
            FigureRecompute.objects.filter(id__in=[row[0] for row in claimed]).delete()
            settled += len(claimed)


def figures_rebuild() -> None:
    """Recompute every figure from scratch, atomically."""
    engine.rebuild()


def _compared_columns(table: str) -> list[str]:
    with connection.cursor() as cursor:
        described = connection.introspection.get_table_description(cursor, table)
    return [column.name for column in described if column.name not in ("id", "computed_at")]


def figures_differences() -> int:
    """How many (area, day) cells the stored figures, agency rows or pending counts get wrong:
    a rebuild, compared in the database and undone."""
    columns = {table: ", ".join(_compared_columns(table)) for table in sql.DERIVED_TABLES}
    with transaction.atomic(), connection.cursor() as cursor:
        for table, listed in columns.items():
            cursor.execute(f"CREATE TEMPORARY TABLE stored_{table} AS SELECT {listed} FROM {table}")
        engine.rebuild()
        differing = " UNION ".join(
            f"SELECT area_id, date FROM (SELECT {listed} FROM stored_{table} "
            f"EXCEPT SELECT {listed} FROM {table}) AS gone "
            f"UNION SELECT area_id, date FROM (SELECT {listed} FROM {table} "
            f"EXCEPT SELECT {listed} FROM stored_{table}) AS new"
            for table, listed in columns.items()
        )
        cursor.execute(f"SELECT COUNT(*) FROM ({differing}) AS cells")
        count = cursor.fetchone()[0]
        transaction.set_rollback(True)
    return count
