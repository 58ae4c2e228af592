"""Sections 4-6: the aggregation engine, on a database of its own.

Order: load the smaller table, rebuild, time incremental updates on it (section 5, first half);
load up to the full count, time the rebuild (section 4); time updates again (section 5); check
the stored figures against a rebuild after each batch of updates; serve one area's daily
figures through gunicorn (section 6), and one area's year on the dashboard (section 7).
"""

import os
import time
from collections.abc import Iterator

from django.db import connection

from bench import daily, dashboard, figdata, rebuild, refresh
from bench.results import Section
from bench.server import Gunicorn
from tracker.figures import engine, sql, versions

TEMP_FILE_LIMIT = "20GB"


def _guard(timeout: int) -> None:
    """A statement the bench gives up on stops in PostgreSQL too, and none fills the disk with
    temporary files: for this process's connections and those of its children."""
    os.environ["PGOPTIONS"] = (
        f"-c statement_timeout={timeout}s -c temp_file_limit={TEMP_FILE_LIMIT}"
    )
    connection.close()  # the next query connects with them


def _load(p: figdata.Plan, total: int) -> None:
    count = total - p.made
    start = time.perf_counter()
    figdata.load(p, count)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE tracker_report")
        cursor.execute("VACUUM ANALYZE tracker_historicalreport")
        cursor.execute("VACUUM ANALYZE tracker_calendarday")
    print(f"  ({count:,} reports loaded in {time.perf_counter() - start:.0f} s)", flush=True)


def _settle() -> None:
    """VACUUM ANALYZE the tables a rebuild rewrote, as autovacuum soon does on a running system
    (it wakes every minute and a rebuild inserts far more than its threshold): incremental
    updates are measured on a settled database, not in the minute after a rebuild."""
    start = time.perf_counter()
    with connection.cursor() as cursor:
        for table in (*sql.DERIVED_TABLES, versions.TABLE):
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(f"  (derived tables vacuumed in {time.perf_counter() - start:.1f} s)", flush=True)


def _check(label: str, timeout: int) -> tuple[str, int | None, float]:
    differing, seconds, output = rebuild.check(timeout)
    if differing is None:
        print(output[-2000:], flush=True)
    return label, differing, seconds


def run(size, *, workers: int, concurrency: int, token: str) -> Iterator[Section]:
    """Yields each section as it is measured."""
    _guard(size.timeout)
    p = figdata.plan()
    engine.calendar_ensure()
    _load(p, size.few_reports)
    engine.rebuild()
    _settle()
    few = refresh.measure(p, size.updates, seed=1, budget=size.update_budget)
    checks = [_check(f"after the updates at {few.reports:,}", size.timeout)]
    _load(p, size.figure_reports)
    section = rebuild.run(timeout=size.timeout)
    yield section
    if section.problems:
        return  # no fresh figures to go on from
    _settle()
    many = refresh.measure(p, size.updates, seed=2, budget=size.update_budget)
    checks.append(_check(f"after the updates at {many.reports:,}", size.timeout))
    yield refresh.section(few, many, checks)
    with Gunicorn(workers, size.timeout) as gunicorn:
        yield daily.run(
            gunicorn.port,
            token,
            p.daily_area.pcode,
            count=size.daily_gets,
            rounds=2,
            concurrency=concurrency,
        )
        yield dashboard.run(
            gunicorn.port,
            token,
            "bench-viewer",
            first=p.first,
            last=p.last,
            count=size.dashboard_gets,
            rounds=2,
        )
