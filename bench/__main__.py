"""`python -m bench [--size small|full] [--part all|reports|figures]`: the benchmarks, each
against its own baseline. Sections 1-3 are about reports (`--part reports`), 4-7 about the
aggregation engine and the dashboard (`--part figures`).

Runs on a database of its own (tracker_bench, created, migrated and dropped here; the engine's
sections get it afresh) and a gunicorn on 127.0.0.1. Prints figures and ratios; never asserts
timings. Exits 1 when a request fails or an answer is wrong (a smoke test), not when a goal is
missed.
"""

import argparse
import os
import sys
import time
from dataclasses import dataclass, replace

import psycopg2

from bench import environment


@dataclass(frozen=True)
class Size:
    creates: int  # POSTs per target, split over `rounds`
    rounds: int
    bulk_rows: int
    listed: int  # reports of the listing's own agency
    stored: int  # reports stored in all for the listing's timings
    listing_gets: int  # GETs per listing page timed
    time_limit: int  # seconds, per round of creates
    timeout: int  # seconds, for one bulk request or rebuild (and gunicorn's worker timeout)
    figure_reports: int  # reports stored for the rebuild and the second incremental run
    few_reports: int  # reports stored for the first incremental run
    updates: int  # incremental updates per table size, at most
    update_budget: int  # seconds per table size, after which no new update starts
    daily_gets: int  # GETs of one area's daily figures, per target
    dashboard_gets: int  # GETs of the dashboard's page and data, per target, one at a time


SIZES = {
    "small": Size(
        creates=200, rounds=2, bulk_rows=2_000, listed=1_200, stored=20_000, listing_gets=20,
        time_limit=60, timeout=120,
        figure_reports=2_000, few_reports=500, updates=20, update_budget=5, daily_gets=100,
        dashboard_gets=10,
    ),
    "full": Size(
        creates=2_000, rounds=4, bulk_rows=200_000, listed=1_200, stored=1_000_000,
        listing_gets=100, time_limit=300, timeout=1800,
        figure_reports=1_000_000, few_reports=10_000, updates=30, update_budget=300,
        daily_gets=1_000, dashboard_gets=100,
    ),
}  # fmt: skip


def arguments(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--size", choices=SIZES, default="small")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--concurrency", type=int, help="client threads (default 2 x workers)")
    parser.add_argument("--part", choices=("all", "reports", "figures"), default="all")
    parser.add_argument("--reports", type=int, help="reports stored for sections 4-5 (as --size)")
    parser.add_argument("--listed", type=int, help="reports stored for section 3 (as --size)")
    parser.add_argument("--keep-db", action="store_true", help="leave tracker_bench in place")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = arguments(argv)
    size = SIZES[args.size]
    if args.reports:
        size = replace(size, figure_reports=max(args.reports, size.few_reports))
    if args.listed:
        size = replace(size, stored=args.listed)
    concurrency = args.concurrency or 2 * args.workers
    chosen = environment.configure()
    try:
        environment.create_database()
    except psycopg2.Error as error:
        print(f"Cannot create {environment.DB_NAME}: {error}", file=sys.stderr)
        return 2
    try:
        return _run(args, size, concurrency, chosen)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep_db:
            environment.drop_database()


def _run(args, size: Size, concurrency: int, chosen: dict[str, str]) -> int:
    import django

    django.setup()
    tokens = environment.migrate_and_seed_users()
    server = chosen["DATABASE_URL"].rsplit("@", 1)[-1]
    print(
        f"bench --size {args.size} --part {args.part}: PostgreSQL {server}, "
        f"Redis {chosen['REDIS_URL'] or 'none'}, gunicorn {args.workers} sync workers "
        f"(timeout {size.timeout} s), {os.cpu_count()} CPUs\n",
        flush=True,
    )
    started, sections = time.monotonic(), []
    if args.part in ("all", "reports"):
        for section in _reports(args, size, concurrency, tokens):
            sections.append(section)
            print(section.show() + "\n", flush=True)
    if args.part in ("all", "figures"):
        from bench import figures

        if args.part == "all":
            tokens = _fresh_database()
        for section in figures.run(
            size, workers=args.workers, concurrency=concurrency, token=tokens["bench-viewer"]
        ):
            sections.append(section)
            print(section.show() + "\n", flush=True)
    problems = [problem for section in sections for problem in section.problems]
    print(f"{len(problems)} problem(s); {time.monotonic() - started:.0f} s")
    return 1 if problems else 0


def _reports(args, size: Size, concurrency: int, tokens: dict[str, str]):
    """Sections 1-3, each yielded as it is measured."""
    from bench import bulk, create, listing
    from bench.server import Gunicorn, Worker

    with Gunicorn(args.workers, size.timeout) as gunicorn:
        yield create.run(
            gunicorn.port,
            tokens["bench-reporter"],
            count=size.creates,
            rounds=size.rounds,
            concurrency=concurrency,
            time_limit=size.time_limit,
        )
        with Worker():  # for the bulk imports only: section 1 ran without one, as before
            yield bulk.run(
                gunicorn.port, tokens["bench-bulk"], rows=size.bulk_rows, timeout=size.timeout
            )
    yield listing.run(tokens, count=size.listed, stored=size.stored, gets=size.listing_gets)


def _fresh_database() -> dict[str, str]:
    """The engine's sections start from an empty, migrated database."""
    from django.db import connections

    connections.close_all()
    environment.create_database()
    return environment.migrate_and_seed_users()


if __name__ == "__main__":
    sys.exit(main())
