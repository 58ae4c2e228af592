"""Goal 3: listing reports takes the same number of SQL queries whatever the page size; and
(bench/listing_speed.py) a listing page and a sync page answer in under 100 ms at 1,000,000
reports stored."""

import random
import time
from datetime import date, timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench import listing_speed
from bench.results import Section, verdict
from tracker.models import Area, Report, ReportStatus, User

PATH = "/api/v1/reports/"
PAGE_SIZES = (10, 100, 1000)


def seed(count: int, reporter: User, verifier: User, seed: int = 3) -> None:
    """`count` verified reports of the reporter's agency, with areas and destinations to join.

    Data for the benchmark, written with bulk_create (no history rows), not a way to add reports.
    """
    pick = random.Random(seed)
    areas = list(Area.objects.filter(level__gte=1).values_list("pk", flat=True))
    now = timezone.now()
    reports = []
    for i in range(count):
        start = date(2024, 11, 1) + timedelta(days=pick.randrange(30))
        reports.append(
            Report(
                agency_id=reporter.agency_id,
                submitted_by=reporter,
                area_id=pick.choice(areas),
                destination_id=pick.choice((None, pick.choice(areas))),
                period_start=start,
                period_end=start + timedelta(days=pick.randrange(5)),
                displaced=pick.randrange(5000),
                killed=pick.choice((None, pick.randrange(20))),
                external_id=f"list-{i:05d}",
                notes="seeded for the listing benchmark",
                status=ReportStatus.VERIFIED,
                verified_by=verifier,
                verified_at=now,
            )
        )
    Report.objects.bulk_create(reports, batch_size=1000)


def queries_for(token: str, page_size: int) -> tuple[int, float, int, int]:
    """(SQL queries, seconds, HTTP status, rows listed) for one GET of the list."""
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {token}")
    client.get(PATH, {"page_size": page_size})  # warm: first use of caches and content types
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        response = client.get(PATH, {"page_size": page_size})
        seconds = time.perf_counter() - start
    rows = len(response.json().get("results", [])) if response.status_code == 200 else 0
    return len(queries.captured_queries), seconds, response.status_code, rows


def run(tokens: dict[str, str], *, count: int, stored: int, gets: int) -> Section:
    lister = User.objects.get(username="bench-lister")
    seed(count, lister, User.objects.get(username="bench-verifier"))
    listing_speed.store(stored)
    section = Section(
        f"3. Listing GET {PATH}?page_size=N, {Report.objects.count():,} reports stored "
        f"({count:,} verified ones of agency {lister.agency.code})"
    )
    counts: dict[str, set[int]] = {}
    for username in ("bench-lister", "bench-viewer"):
        for size in PAGE_SIZES:
            queries, seconds, status, rows = queries_for(tokens[username], size)
            counts.setdefault(username, set()).add(queries)
            section.add(
                f"{username:<13} page_size={size:<5}",
                f"{queries:3d} queries  {seconds * 1000:7.1f} ms  {rows} rows",
            )
            if status != 200 or rows != min(size, count):
                section.problems.append(
                    f"{username} page_size={size}: HTTP {status}, {rows} rows listed"
                )
    constant = all(len(seen) == 1 for seen in counts.values())
    section.add("queries constant in N", verdict(constant))
    listing_speed.run(section, tokens, gets=gets)
    return section
