"""The figures' services: the stale-cells protocol, the rebuild and its check.

The protocol keeps daily figures current as reports change. This module owns all of it, with
one word for each of its concepts:

- **stale**: a cell (area, day) whose stored figures may differ from what its reports say now. A
  `StaleFigure` row records a place (area, and the agency whose reports changed) and its days.
- **mark**: record the stale cells of a change in the change's own transaction (`figures_mark`),
  so that a lost message loses no work.
- **enqueue**: once that transaction commits, ask a worker for a refresh. At most one waits in the
  queue: a marker in the broker's Redis says one is queued and has not started, and while it is
  there a change sends nothing (the queued refresh takes its stale cells too). Without a broker
  (no `REDIS_URL`) the refresh runs in this process instead, before the request returns.
- **refresh**: claim stale records, have the engine refresh their cells and those above
  (`engine.refresh`), delete the records (`figures_refresh`). Idempotent: it replaces cells
  from the reports, so running twice or in parallel is safe.
- **sweep**: the refresh that Celery beat runs every `FIGURES_SWEEP_SECONDS` (`figures_sweep`);
  it settles what a lost message, a killed worker or a broker outage left stale.
- **preview**: what a change would make of the figures (`figures_preview`): the change made, its
  stale cells refreshed by the engine and read, then all of it rolled back.

`tracker` never imports `tasks`: the task module registers how a refresh is enqueued
(`figures_enqueue_with`) when Django loads it (`tasks` is an installed app).
"""

import logging
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from functools import cache, reduce
from operator import or_

import kombu.exceptions
import redis
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from tracker.figures import engine, sql
from tracker.figures.engine import Scope
from tracker.models import Area, DailyFigure, StaleFigure
from tracker.models.areas import PATH_SEPARATOR

logger = logging.getLogger(__name__)
CLAIM = 200  # stale records one refresh claims at a time
MARKS_PER_INSERT = 1000  # stale records a statement (five parameters each; SQLite allows 32,766)
# Kept in the broker's Redis while a refresh is queued and has not started: set by whoever
# enqueues one, removed as it starts. Expires anyway, should the message be lost.
QUEUED = "tracker:figures-refresh-queued"
QUEUED_SECONDS = 60
BROKER_ERRORS = (redis.RedisError, kombu.exceptions.OperationalError)


@dataclass(frozen=True)
class RefreshQueue:
    enqueue: Callable[[], object]  # sends one refresh to a worker (or runs it, in process)
    in_process: Callable[[], bool]  # True when enqueue runs the refresh here and now


_queue: RefreshQueue | None = None


def figures_enqueue_with(*, enqueue: Callable[[], object], in_process: Callable[[], bool]) -> None:
    """Register how a refresh is enqueued; the task module does, as Django loads it."""
    global _queue
    _queue = RefreshQueue(enqueue, in_process)


def figures_mark(*, stale: Scope) -> None:
    """Mark stale the places (area, agency) whose figures, and their ancestors', a change
    touches over a window of days, in the caller's transaction; a refresh is enqueued once it
    commits."""
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
    transaction.on_commit(_enqueue_refresh)


def stale_cells(*places: tuple[int, int | None, date, date]) -> Scope:
    """The (area, agency, first day, last day) places a report was and is at, as stale cells: a
    change to a report changes its area's figures from its first day on (a cumulative series
    from its start), and the areas above it on the days it covers."""
    stale: Scope = {}
    for area_id, agency_id, since, until in places:
        stale[area_id, agency_id] = engine.widen(stale.get((area_id, agency_id)), (since, until))
    return stale


@cache
def _broker() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, **settings.REDIS_OPTIONS)  # bounded timeouts


def _enqueue_refresh() -> None:
    """Enqueue a refresh, unless one is queued and has not started: that one starts after this
    commit, and takes every stale record there is then, this one's too. While the worker is busy,
    a change costs one Redis SET instead of a message (a third of the time).

    With the broker down the change is kept all the same (its stale records are committed): the
    sweep refreshes them once the broker is back, and the request that made it succeeds."""
    if _queue is None:
        raise ImproperlyConfigured(
            "No way to enqueue a figures refresh is registered: 'tasks' must be in INSTALLED_APPS."
        )
    if _queue.in_process():
        _queue.enqueue()  # the refresh, here and now
        return
    try:
        if not _broker().set(QUEUED, 1, nx=True, ex=QUEUED_SECONDS):
            return  # one is queued already
    except BROKER_ERRORS as error:
        logger.warning("Figures refresh not enqueued (%s); the sweep will refresh them.", error)
        return
    try:
        _queue.enqueue()
    except BROKER_ERRORS as error:
        with suppress(*BROKER_ERRORS):
            _broker().delete(QUEUED)  # nothing was queued after all
        logger.warning("Figures refresh not enqueued (%s); the sweep will refresh them.", error)


def figures_forget_queued() -> None:
    """Forget that a refresh is queued (its message was purged): the next change enqueues one."""
    if settings.REDIS_URL:
        _broker().delete(QUEUED)


def figures_refresh(*, from_queue: bool = False) -> int:
    """Refresh the cells marked stale, a claim at a time; returns how many stale records were
    refreshed. `from_queue`: this is the refresh a change enqueued, starting now, so the next
    change enqueues another."""
    if from_queue:
        try:
            figures_forget_queued()
        except BROKER_ERRORS as error:  # the marker expires by itself; the refresh matters
            logger.warning("The queued-refresh marker stays until it expires (%s).", error)
    refreshed = 0
    while True:
        with transaction.atomic():
            claimed = list(
                StaleFigure.objects.select_for_update(skip_locked=True)
                .order_by("id")
                .values_list("id", "area_id", "agency_id", "since", "until")[:CLAIM]
            )
            if not claimed:
                return refreshed
            engine.refresh(stale_cells(*(row[1:] for row in claimed)))
            StaleFigure.objects.filter(id__in=[row[0] for row in claimed]).delete()
            refreshed += len(claimed)


@dataclass(frozen=True)
class FigurePreview:
    """A change's figures: each (area, day) it touches, as stored now and as it would be."""

    cells: list[tuple[int, date]]  # (area id, day), areas from the top down, then by day
    areas: dict[int, Area]
    now: dict[tuple[int, date], DailyFigure]
    then: dict[tuple[int, date], DailyFigure]


PREVIEW_CELLS = 5_000  # cells a preview reads at most (a year of a sub-district and above: 1,464)


def _touched(marked: list[tuple[int, int | None, date, date]]) -> tuple[Q, dict[int, Area]]:
    """The figures of the marked areas and the areas above them, over the days marked."""
    paths = dict(Area.objects.filter(pk__in={row[0] for row in marked}).values_list("pk", "path"))
    windows = {(paths[area_id], since, until) for area_id, _, since, until in marked}
    pcodes = {pcode for path, _, _ in windows for pcode in path.split(PATH_SEPARATOR) if pcode}
    areas = {area.pcode: area for area in Area.objects.filter(pcode__in=pcodes)}
    cells = [
        Q(area__in=[areas[p].pk for p in path.split(PATH_SEPARATOR) if p], date__range=window)
        for path, *window in windows
    ]
    return reduce(or_, cells, Q(pk__in=[])), {area.pk: area for area in areas.values()}


def figures_preview(*, change: Callable[[], object]) -> FigurePreview:
    """The daily figures that `change` (a call of services) would touch, now and after it:
    in a savepoint, the change is made, the cells it marks stale are refreshed by the engine
    (tracker.figures.engine, as a worker would) and read, then everything is rolled back, so
    the change, its history, its stale marks and its figures are gone and nothing is enqueued.
    The cells shown are the marked areas and those above them over the days marked. Whatever
    `change` raises is raised, with nothing written."""
    engine.calendar_ensure()  # reference data, kept: filling it in the savepoint, every time, costs
    with transaction.atomic():
        last = StaleFigure.objects.order_by("-id").values_list("id", flat=True).first() or 0
        change()
        marked = list(
            StaleFigure.objects.filter(id__gt=last).values_list(
                "area_id", "agency_id", "since", "until"
            )
        )
        engine.refresh(stale_cells(*marked))
        cells, areas = _touched(marked)
        figures = DailyFigure.objects.filter(cells).order_by("date")[:PREVIEW_CELLS]
        then = {(f.area_id, f.date): f for f in figures}
        transaction.set_rollback(True)
    now = {(f.area_id, f.date): f for f in figures.all()}
    order = sorted(
        now.keys() | then.keys(), key=lambda c: (areas[c[0]].level, areas[c[0]].pcode, c[1])
    )
    return FigurePreview(order, areas, now, then)


def figures_sweep() -> int:
    """The periodic refresh: settles what lost messages, killed workers or a broker outage left
    stale. Returns how many stale records it refreshed."""
    refreshed = figures_refresh()
    if refreshed:
        logger.info("The sweep refreshed %d stale record(s).", refreshed)
    return refreshed


def figures_rebuild() -> None:
    """Rebuild every figure from the reports, atomically."""
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
