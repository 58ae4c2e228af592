"""Goal 4: a full rebuild <= 2x one hand-written SQL statement for DESIGN.md's rule 5 alone,
in a process whose peak RSS stays under 500 MB; and `rebuild_figures --check` (figures right).

The rule-5 statement expands each verified plain report to its days (through the calendar
table, or with generate_series as the engine does on PostgreSQL), spreads its counts as rule 3
says, adds them per agency, area, day and metric (rule 4), then takes max, min and sum over
agencies (rule 5). Its cells go into a temporary table, rolled back. The baseline is the fastest
of its variants, JIT on and off.
"""

import json
import re
import subprocess
import sys
import time

from django.db import connection, transaction

from bench.results import Section, verdict
from bench.server import REPO
from tracker.figures.engine import REBUILD_WORK_MEM, calendar_ensure
from tracker.models import DailyFigure, FigureVersion, Report

GOAL_RATIO, GOAL_MB = 2, 500
METRICS = "(0, r.displaced), (1, r.returned), (2, r.killed), (3, r.injured), " + (
    "(4, r.killed_children), (5, r.injured_children)"
)
RULE5 = f"""
CREATE TEMPORARY TABLE bench_rule5 AS
WITH flows AS (
    SELECT r.agency_id, r.area_id, m.metric, CAST(m.amount AS BIGINT) AS amount,
           cs.n AS first_n, ce.n AS last_n, ce.n - cs.n + 1 AS span
    FROM tracker_report r
    JOIN tracker_calendarday cs ON cs.day = r.period_start
    JOIN tracker_calendarday ce ON ce.day = r.period_end
    CROSS JOIN LATERAL (VALUES {METRICS}) AS m(metric, amount)
    WHERE r.status = 'verified' AND NOT r.cumulative AND m.amount IS NOT NULL
),
agency_days AS (
    SELECT f.area_id, f.agency_id, f.metric, c.n,
           SUM((f.amount * (c.n - f.first_n + 1) + f.span - 1) / f.span
               - (f.amount * (c.n - f.first_n) + f.span - 1) / f.span) AS total
    FROM flows f
    {{days}}
    GROUP BY f.area_id, f.agency_id, f.metric, c.n
)
SELECT area_id, metric, n, MAX(total) AS value, MIN(total) AS low, SUM(total) AS high
FROM agency_days GROUP BY area_id, metric, n"""


DAYS = {
    # one index range scan per flow (OFFSET 0: not flattened into a join)
    "calendar": "CROSS JOIN LATERAL (SELECT n FROM tracker_calendarday"
    " WHERE n BETWEEN f.first_n AND f.last_n OFFSET 0) c",
    "generate_series": "CROSS JOIN LATERAL generate_series(f.first_n, f.last_n) AS c(n)",
}


def rule5(jit: bool = True, days: str = "calendar", work_mem: str = "") -> tuple[float, int]:
    """Seconds and cells of the rule-5 statement, its table rolled back. `jit=False` turns
    PostgreSQL's JIT compilation off for it: on small tables compiling outlasts running.
    `work_mem`: the memory each sort may take, as the engine's rebuild sets it."""
    with transaction.atomic(), connection.cursor() as cursor:
        if not jit:
            cursor.execute("SET LOCAL jit = off")
        if work_mem:
            cursor.execute(f"SET LOCAL work_mem = '{work_mem}'")
        start = time.perf_counter()
        cursor.execute(RULE5.format(days=DAYS[days]))
        seconds, cells = time.perf_counter() - start, cursor.rowcount
        transaction.set_rollback(True)
    return seconds, cells


def rebuild_in_child(timeout: int) -> dict:
    """engine.rebuild() in `python -m bench.rebuilder`: its seconds, peak RSS and more, or
    {"error": ...} when it failed or outlasted `timeout` seconds."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bench.rebuilder"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=timeout + 30,  # PostgreSQL's statement_timeout should stop it first
        )
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish in {timeout} s"}
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1][:300]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def check(timeout: int) -> tuple[int | None, float, str]:
    """`manage.py rebuild_figures --check`: cells differing (None: unreadable), seconds, output."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "manage.py", "rebuild_figures", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    seconds = time.perf_counter() - start
    found = re.search(r"(\d+) cell\(s\) differ", done.stdout)
    return (int(found.group(1)) if found else None), seconds, (done.stdout + done.stderr).strip()


def stored() -> str:
    total = Report.objects.count()
    verified = Report.objects.filter(status="verified")
    return (
        f"{total:,} reports stored ({verified.count():,} verified, "
        f"{verified.filter(cumulative=True).count():,} of them cumulative)"
    )


def run(*, timeout: int) -> Section:
    calendar_ensure()
    section = Section(f"4. Full rebuild, {stored()}")
    configured, cells = rule5()
    child = rebuild_in_child(timeout)
    if "error" in child:
        section.add("rule 5 alone, one SQL statement", f"{configured:8.2f} s   ({cells:,} cells)")
        section.problems.append(f"engine.rebuild(): {child['error']}")
        return section
    without_jit, _ = rule5(jit=False)
    series, _ = rule5(jit=False, days="generate_series")
    memory, _ = rule5(jit=False, days="generate_series", work_mem=REBUILD_WORK_MEM)
    baseline, seconds = min(configured, without_jit, series, memory), child["seconds"]
    section.add(
        "rule 5 alone, one SQL statement",
        f"{baseline:8.2f} s   (best of {configured:.2f} s as configured, {without_jit:.2f} s "
        f"with jit = off, {series:.2f} s with generate_series, {memory:.2f} s with that and "
        f"work_mem = {REBUILD_WORK_MEM} as the rebuild has; {cells:,} cells)",
    )
    section.add(
        "engine.rebuild()", f"{seconds:8.2f} s   ({DailyFigure.objects.count():,} figure rows)"
    )
    section.add(
        "  of which figure versions",
        f"{child['versions_seconds']:8.2f} s   ({FigureVersion.objects.count():,} versions kept)",
    )
    ratio = seconds / baseline if baseline else float("inf")
    section.add(
        "ratio rebuild / rule 5",
        f"{ratio:8.1f}x   goal <= {GOAL_RATIO}x: {verdict(ratio <= GOAL_RATIO)}",
    )
    mb = child["max_rss_kib"] / 1024
    section.add(
        "peak RSS of the rebuild process",
        f"{mb:8.0f} MB  goal < {GOAL_MB} MB: {verdict(mb < GOAL_MB)}",
    )
    backend = child["backend_max_rss_kib"]
    section.add(
        "PostgreSQL meanwhile",
        f"{child['temp_bytes'] / 2**20:8.0f} MB of temporary files; backend peak RSS "
        + (f"{backend / 1024:.0f} MB" if backend else "unknown (not on this machine)"),
    )
    return section
