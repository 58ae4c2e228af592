"""Goal 5: after one new verified report, the worker's refresh (`figures_refresh()`) takes a
median under 100 ms with a million reports stored, and about as long as with ten thousand: its
cost follows the cells touched, not the table size.

Each update goes through the services (report_create + report_verify in one transaction; they
mark the stale cells). With Redis the commit only enqueues the refresh (no worker listens to the
bench's queue, purged afterwards) and the clock runs around our own `figures_refresh()` call;
without Redis the refresh runs in this process on commit, and the clock runs around that.
"""

import random
import statistics
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction

from bench.figdata import DAYS, Plan
from bench.results import Section, verdict
from tracker.models import Report, StaleFigure
from tracker.services import report_create, report_verify
from tracker.services.figures import figures_forget_queued, figures_refresh

GOAL_MS = 100


@dataclass
class Timings:
    reports: int  # stored while measured
    seconds: list[float]
    unsettled: int  # stale records left behind (should be 0)
    versions: list[float]  # of each refresh's seconds, those writing its figure versions

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000

    @property
    def without_versions_median_ms(self) -> float:
        return (
            statistics.median([s - v for s, v in zip(self.seconds, self.versions, strict=True)])
            * 1000
        )

    @property
    def versions_median_ms(self) -> float:
        return statistics.median(self.versions) * 1000

    @property
    def p90_ms(self) -> float:
        ordered = sorted(self.seconds)
        return ordered[round(0.9 * (len(ordered) - 1))] * 1000


VERSION_STATEMENTS = ("figures_versions", "tracker_figureversion", "clock_timestamp()")


def versions_clock(spent: list[float]):
    """A database execute wrapper adding to `spent[0]` the seconds of the statements that write
    figure versions (tracker.figures.versions; with the feed lock and its moment)."""

    def wrapper(execute, sql, params, many, context):
        if not any(mark in sql for mark in VERSION_STATEMENTS):
            return execute(sql, params, many, context)
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent[0] += time.perf_counter() - started

    return wrapper


def _update(p: Plan, pick: random.Random, area, versions: list[float]) -> float:
    """One new verified report in `area`; seconds of the refresh it causes (and, appended to
    `versions`, of its figure versions' statements)."""
    spent = [0.0]
    with connection.execute_wrapper(versions_clock(spent)):
        seconds = _timed_update(p, pick, area)
    versions.append(spent[0])
    return seconds


def _timed_update(p: Plan, pick: random.Random, area) -> float:
    reporter = pick.choice(p.reporters)
    start = p.first + timedelta(days=pick.randrange(DAYS))
    clock = {}
    with transaction.atomic():
        transaction.on_commit(lambda: clock.setdefault("start", time.perf_counter()))
        report = report_create(
            agency=reporter.agency,
            submitted_by=reporter,
            area=area,
            period_start=start,
            period_end=min(start + timedelta(days=pick.randrange(3)), p.last),
            displaced=pick.randrange(2000),
            killed=pick.randrange(20),
            source_name="bench update",
        )
        report_verify(report=report, user=p.verifier)
        transaction.on_commit(lambda: clock.setdefault("end", time.perf_counter()))
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return clock["end"] - clock["start"]
    start_clock = time.perf_counter()
    figures_refresh()
    return time.perf_counter() - start_clock


def measure(p: Plan, updates: int, seed: int, budget: float) -> Timings:
    """Up to `updates` new reports, nine in ten in sub-districts (four levels), the rest in
    districts; after `budget` seconds no new one starts (at least one is measured)."""
    pick = random.Random(seed)
    subdistricts = [area for area in p.areas if area.level == 3]
    districts = [area for area in p.areas if area.level == 2]
    stored = Report.objects.count()
    stop_at = time.perf_counter() + budget
    _update(p, pick, pick.choice(subdistricts), [])  # warm up: caches, prepared plans
    seconds, versions = [], []
    for i in range(updates):
        if seconds and time.perf_counter() > stop_at:
            break
        area = pick.choice(districts if i % 10 == 9 else subdistricts)
        seconds.append(_update(p, pick, area, versions))
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        from tasks import celery_app

        celery_app.control.purge()  # the queued refreshes whose work we did ourselves
        figures_forget_queued()
    return Timings(stored, seconds, StaleFigure.objects.count(), versions)


def section(few: Timings, many: Timings, checks: list[tuple[str, int | None, float]]) -> Section:
    where = "in this process on commit" if settings.CELERY_TASK_ALWAYS_EAGER else "by us"
    result = Section(
        f"5. Incremental: one new verified report, then figures_refresh() ({where}); "
        "9 in 10 in sub-districts, after one to warm up"
    )
    for timings in (few, many):
        result.add(
            f"{timings.reports:>9,} reports stored",
            f"median {timings.median_ms:7.1f} ms   p90 {timings.p90_ms:7.1f} ms   "
            f"({len(timings.seconds)} updates)",
        )
        result.add(
            "  of which figure versions",
            f"median {timings.versions_median_ms:7.1f} ms   without them: median "
            f"{timings.without_versions_median_ms:7.1f} ms",
        )
        if timings.unsettled:
            result.problems.append(f"{timings.unsettled} stale record(s) left unsettled")
    ratio = many.median_ms / few.median_ms if few.median_ms else float("inf")
    both = verdict(max(many.median_ms, few.median_ms) < GOAL_MS)
    result.add(
        f"ratio of medians {many.reports:,} / {few.reports:,}",
        f"{ratio:7.1f}x    for {many.reports / few.reports:.0f}x the reports; "
        f"both < {GOAL_MS} ms: {both}",
    )
    met = verdict(many.median_ms < GOAL_MS)
    result.add(
        f"median at {many.reports:,}", f"{many.median_ms:7.1f} ms  goal < {GOAL_MS} ms: {met}"
    )
    for label, differing, seconds in checks:
        shown = "unreadable" if differing is None else f"{differing} cell(s) differ"
        result.add(f"rebuild_figures --check {label}", f"{shown}  ({seconds:.1f} s)")
        if differing != 0:
            result.problems.append(f"rebuild_figures --check {label}: {shown}")
    return result
