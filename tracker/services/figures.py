"""Keeping daily figures current: record what a change makes stale, recompute it after commit."""

import logging
from contextlib import suppress
from datetime import date
from functools import cache

import kombu.exceptions
import redis
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from tracker.figures import engine, sql
from tracker.figures.engine import Scope
from tracker.models import StaleFigure

logger = logging.getLogger(__name__)
CLAIM = 200  # stale records taken at once by one worker
# Kept in the broker's Redis while a refresh is queued and has not started: set by whoever queues
# one, removed as it starts. Expires anyway, should a message be lost.
QUEUED = "tracker:figures-refresh-queued"
QUEUED_SECONDS = 60
BROKER_ERRORS = (redis.RedisError, kombu.exceptions.OperationalError)
MARKS_PER_INSERT = 1000  # stale records a statement (five parameters each; SQLite allows 32,766)


def figures_mark(*, stale: Scope) -> None:
    """Record the places (area, agency) whose figures, and their ancestors', are stale over a
    window of days, in the caller's transaction; a recompute is queued once it commits (run at
    once without Redis)."""
    now = timezone.now()
    rows = [(area, agency, since, until, now) for (area, agency), (since, until) in stale.items()]
    with connection.cursor() as cursor:  # plain INSERTs: a third of bulk_create's cost for a row
        for start in range(0, len(rows), MARKS_PER_INSERT):
            batch = rows[start : start + MARKS_PER_INSERT]
            cursor.execute(
                f"INSERT INTO {StaleFigure._meta.db_table} (area_id, agency_id, since, until,"
                f" created_at) VALUES {', '.join(['(%s, %s, %s, %s, %s)'] * len(batch))}",
                [value for row in batch for value in row],
            )
    transaction.on_commit(_queue_refresh)


@cache
def _broker() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


def _queue_refresh() -> None:
    """Queue a refresh, unless one is queued and has not started: that one starts after this
    commit, and takes every stale record there is then, this one's too. While the worker is busy,
    writes cost one Redis SET instead of a message each (a third of the time).

    With the broker down the change is kept all the same (its stale records are committed): the
    sweep recomputes them once the broker is back, and the request that made it succeeds."""
    from tasks.figures import refresh_figures  # the task module imports this one

    if refresh_figures.app.conf.task_always_eager:
        refresh_figures.delay()  # in this process, now
        return
    try:
        if _broker().set(QUEUED, 1, nx=True, ex=QUEUED_SECONDS):
            refresh_figures.delay()
    except BROKER_ERRORS as error:
        with suppress(*BROKER_ERRORS):
            _broker().delete(QUEUED)  # nothing was queued after all
        logger.warning("Figures refresh not queued (%s); the sweep will refresh them.", error)


def refresh_dequeued() -> None:
    """The queued refresh left the queue (it starts, or was purged): the next change queues
    another."""
    if settings.REDIS_URL:
        _broker().delete(QUEUED)


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
                StaleFigure.objects.select_for_update(skip_locked=True)
                .order_by("id")
                .values_list("id", "area_id", "agency_id", "since", "until")[:CLAIM]
            )
            if not claimed:
                return settled
            engine.refresh(stale_cells(*(row[1:] for row in claimed)))
            StaleFigure.objects.filter(id__in=[row[0] for row in claimed]).delete()
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
