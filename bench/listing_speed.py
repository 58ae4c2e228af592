"""Goal 3b: a report listing page and a sync page answer in under 100 ms at 1,000,000 reports.

Each is the median of many GETs through the test client (the whole API: token, throttle,
filters, the capped count or the sync horizon, serializing 100 reports), next to the median of
one plain SQL statement fetching the same rows in the same order (`SELECT * ... ORDER BY ...
LIMIT 100`, through the same psycopg2 connection): the floor any listing pays.
"""

import statistics
import time

from django.db import connection
from django.test import Client

from api.cursors import SyncPosition, cursor_encode
from bench import figdata
from bench.results import Section, verdict
from tracker.models import Area, Report, User

PATH = "/api/v1/reports/"
GOAL_MS = 100
PAGE = 100
VISIBLE = (
    "(status = 'verified' OR (status IN ('withdrawn', 'rejected') AND verified_at IS NOT NULL)"
    " OR agency_id = %s)"
)
BROWSE_SQL = (
    f"SELECT * FROM tracker_report WHERE {VISIBLE} ORDER BY period_end DESC, id LIMIT {PAGE}"
)
SYNC_SQL = (
    f"SELECT * FROM tracker_report WHERE {VISIBLE} AND (updated_at, id) > (%s, %s) "
    f"ORDER BY updated_at, id LIMIT {PAGE}"
)
GOVERNORATE = "SY07"  # Idleb: a sync of one governorate and the areas below it
SYNC_AREA_SQL = SYNC_SQL.replace(
    "WHERE", "WHERE area_id IN (SELECT id FROM tracker_area WHERE path LIKE %s) AND"
)


def store(total: int) -> None:
    """Fill the table up to `total` reports from 5 agencies (the engine benchmarks' stream:
    mostly verified, some pending and rejected, imported 50,000 at a time), then ANALYZE."""
    missing = total - Report.objects.count()
    if missing > 0:
        figdata.load(figdata.plan(), missing)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tracker_report")


def _median_ms(call, gets: int) -> float:
    call()  # warm
    times = []
    for _ in range(gets):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _sql(statement: str, params: list):
    def run():
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.fetchall()

    return run


def _middle() -> SyncPosition:
    """The position halfway through the table in sync order: where a sync that is half done
    goes on."""
    half = Report.objects.count() // 2
    moment, pk = Report.objects.order_by("updated_at", "id").values_list("updated_at", "id")[half]
    return SyncPosition(moment, pk)


def run(section: Section, tokens: dict[str, str], *, gets: int) -> None:
    """Adds the timings, their baselines and ratios to `section`."""
    middle = _middle()
    cursor = cursor_encode(middle)
    below = Area.objects.get(pcode=GOVERNORATE).path + "%"
    worst = 0.0
    for username in ("bench-lister", "bench-viewer", "bench-verifier"):
        user = User.objects.get(username=username)
        client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {tokens[username]}")
        cases = (
            ("browse page 1", {"page_size": PAGE}, BROWSE_SQL, [user.agency_id]),
            ("browse page 50", {"page_size": PAGE, "page": 50}, BROWSE_SQL + " OFFSET 4900",
             [user.agency_id]),
            ("sync, half way", {"page_size": PAGE, "cursor": cursor}, SYNC_SQL,
             [user.agency_id, middle.updated_at, middle.id]),
            (f"sync {GOVERNORATE}", {"page_size": PAGE, "cursor": cursor, "area": GOVERNORATE},
             SYNC_AREA_SQL, [below, user.agency_id, middle.updated_at, middle.id]),
        )  # fmt: skip
        for label, query, statement, params in cases:
            answer = client.get(PATH, query)
            rows = len(answer.json().get("results", [])) if answer.status_code == 200 else 0
            if answer.status_code != 200 or rows != PAGE:
                section.problems.append(f"{username} {label}: HTTP {answer.status_code}, {rows}")
                continue
            api_ms = _median_ms(lambda c=client, q=query: c.get(PATH, q), gets)
            sql_ms = _median_ms(_sql(statement, params), gets)
            worst = max(worst, api_ms)
            section.add(
                f"{username:<14} {label:<15}",
                f"API {api_ms:6.1f} ms  SQL {sql_ms:5.1f} ms  ratio {api_ms / sql_ms:5.1f}",
            )
    stored = Report.objects.count()
    section.add(
        f"median page under {GOAL_MS} ms at {stored:,} reports",
        f"{verdict(worst < GOAL_MS)} (slowest {worst:.1f} ms; median of {gets} GETs each)",
    )
