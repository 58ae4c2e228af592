"""`python -m bench [--size small|full]`: the three benchmarks, each against its own baseline.

Runs on a database of its own (tracker_bench, created, migrated and dropped here) and a gunicorn
on 127.0.0.1. Prints figures and ratios; never asserts timings. Exits 1 when a request fails or an
answer is wrong (a smoke test), not when a goal is missed.
"""

import argparse
import os
import sys
import time
from dataclasses import dataclass

import psycopg2

from bench import environment


@dataclass(frozen=True)
class Size:
    creates: int  # POSTs per target, split over `rounds`
    rounds: int
    bulk_rows: int
    listed: int  # reports stored for the listing
    time_limit: int  # seconds, per round of creates
    timeout: int  # seconds, for one bulk request (and gunicorn's worker timeout)


SIZES = {
    "small": Size(creates=200, rounds=2, bulk_rows=2_000, listed=1_200, time_limit=60, timeout=120),
    "full": Size(
        creates=2_000, rounds=4, bulk_rows=100_000, listed=1_200, time_limit=300, timeout=1800
    ),
}


def arguments(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--size", choices=SIZES, default="small")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--concurrency", type=int, help="client threads (default 2 x workers)")
    parser.add_argument("--keep-db", action="store_true", help="leave tracker_bench in place")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = arguments(argv)
    size = SIZES[args.size]
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
    from bench import bulk, create, listing
    from bench.server import Gunicorn

    tokens = environment.migrate_and_seed_users()
    server = chosen["DATABASE_URL"].rsplit("@", 1)[-1]
    print(
        f"bench --size {args.size}: PostgreSQL {server}, Redis {chosen['REDIS_URL'] or 'none'}, "
        f"gunicorn {args.workers} sync workers (timeout {size.timeout} s), {os.cpu_count()} CPUs\n",
        flush=True,
    )
    started, sections = time.monotonic(), []
    with Gunicorn(args.workers, size.timeout) as gunicorn:
        sections.append(
            create.run(
                gunicorn.port,
                tokens["bench-reporter"],
                count=size.creates,
                rounds=size.rounds,
                concurrency=concurrency,
                time_limit=size.time_limit,
            )
        )
        print(sections[-1].show() + "\n", flush=True)
        sections.append(
            bulk.run(gunicorn.port, tokens["bench-bulk"], rows=size.bulk_rows, timeout=size.timeout)
        )
        print(sections[-1].show() + "\n", flush=True)
    sections.append(listing.run(tokens, count=size.listed))
    print(sections[-1].show() + "\n", flush=True)
    problems = [problem for section in sections for problem in section.problems]
    print(f"{len(problems)} problem(s); {time.monotonic() - started:.0f} s")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
