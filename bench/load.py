"""`python -m bench.load [--seconds 300] [--users N]`: the load test (README, "Benchmarks").

Starts the production recipe (`bin/production`: nginx, gunicorn, a Celery worker and beat) on a
database of its own (`tracker_load`, on DATABASE_URL's PostgreSQL server, dropped at the end)
and a redis-server of its own, loads the founding scenario, then runs locust
(bench/locustfile.py) through nginx for `--seconds`: reads of figures and reports, submissions
and verifications, from `--users` users that never pause, so the rate is the highest the recipe
sustains on this machine. Afterwards it checks that every accepted submission is stored, that
the figures equal a rebuild from the reports and show every verified submission, and prints
each endpoint's rate, p50 and p99, and the lag from a verification to its figure (goal: p99
under 5 s). Exits 1 on a failed request or a wrong or missing answer, not on a missed goal.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from statistics import quantiles
from urllib.parse import urlsplit

from bench import environment
from bench.recipe import PrivateRedis, Recipe
from bench.server import REPO

LAG_GOAL_SECONDS = 5.0
LAST_DAY = "2024-10-31"  # submissions go back from here, before the founding scenario's days


def arguments(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--seconds", type=int, default=300, help="how long locust runs")
    parser.add_argument("--users", type=int, help="locust users (default: 2 per web worker)")
    parser.add_argument("--web-concurrency", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--database", default="tracker_load", help="created and dropped here")
    parser.add_argument("--keep-db", action="store_true", help="leave the database in place")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = arguments(argv)
    server = urlsplit(environment.database_url())
    database_url = server._replace(path=f"/{args.database}").geturl()
    environment.admin(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
    environment.admin(f"CREATE DATABASE {args.database}")
    try:
        with PrivateRedis() as redis_server:
            settings = {
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_server.url,
                "SECRET_KEY": "load-test-only-secret-key",
                "ALLOWED_HOSTS": "127.0.0.1",
                "HTTPS": "false",  # plain HTTP on loopback: the explicit opt-out
                "API_RATE_LIMIT": environment.RATE_LIMIT,  # a handful of tokens, at full speed
                "WEB_CONCURRENCY": str(args.web_concurrency),
            }
            with Recipe(settings) as recipe:
                return _run(args, recipe, settings)
    finally:
        if not args.keep_db:
            environment.admin(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")


def _run(args, recipe: Recipe, settings: dict[str, str]) -> int:
    os.environ.update(settings, DJANGO_SETTINGS_MODULE="tracker.settings")
    import django

    django.setup()
    from bench import load_checks

    config = load_checks.seed(recipe.run_dir / "results.json", LAST_DAY)
    users = args.users or 2 * args.web_concurrency
    print(
        f"bench.load: {args.seconds} s, {users} users through nginx at {recipe.url} "
        f"(gunicorn {args.web_concurrency} workers, a Celery worker and beat), "
        f"{os.cpu_count()} CPUs; load before: {_load_average()}",
        flush=True,
    )
    stats = _locust(recipe, config, users, args.seconds)
    print(f"load average after: {_load_average()}\n")
    results = json.loads(Path(config["results"]).read_text())
    problems = _show(stats, results)
    problems += load_checks.check(results, recipe.healthz)
    for problem in problems:
        print(f"PROBLEM: {problem}")
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


def _locust(recipe: Recipe, config: dict, users: int, seconds: int) -> list[dict]:
    config_file = recipe.run_dir / "locust.json"
    config_file.write_text(json.dumps(config))
    prefix = recipe.run_dir / "locust"
    command = [
        *(sys.executable, "-m", "locust", "-f", str(REPO / "bench" / "locustfile.py")),
        *("--headless", "--users", str(users), "--spawn-rate", str(users)),
        *("--run-time", f"{seconds}s", "--stop-timeout", "10", "--host", recipe.url),
        *("--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"),
    ]
    env = {**os.environ, "LOAD_CONFIG": str(config_file)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    with open(f"{prefix}.log", "w") as log:  # locust's own summary and error report
        subprocess.run(command, env=env, cwd=REPO, stdout=log, stderr=log, timeout=seconds + 300)
    said = Path(f"{prefix}.log").read_text()
    if "Error report" in said:
        print("locust's error report:" + said.split("Error report", 1)[1][:3000])
    with open(f"{prefix}_stats.csv", newline="") as rows:
        return list(csv.DictReader(rows))


def _show(stats: list[dict], results: dict) -> list[str]:
    """Prints each endpoint's figures and the lag; returns the failed requests as problems."""
    print(f"{'endpoint':34} {'requests':>9} {'failed':>7} {'per s':>7} {'p50 ms':>7} {'p99 ms':>7}")
    problems = []
    for row in stats:
        name = "all" if row["Name"] == "Aggregated" else f"{row['Type']} {row['Name']}"
        print(
            f"{name[:34]:34} {row['Request Count']:>9} {row['Failure Count']:>7} "
            f"{float(row['Requests/s']):7.1f} {row['50%']:>7} {row['99%']:>7}"
        )
        if row["Name"] != "Aggregated" and int(row["Failure Count"]):
            problems.append(f"{row['Failure Count']} failed request(s): {name}")
    lags = sorted(results["lags"])
    if len(lags) >= 2:
        cuts = quantiles(lags, n=100, method="inclusive")
        p50, p99 = cuts[49], cuts[98]
        verdict = "met" if p99 < LAG_GOAL_SECONDS else "MISSED"
        print(
            f"\nverification to its figure: {len(lags)} watched of {len(results['verified'])} "
            f"verified; p50 {p50:.2f} s, p99 {p99:.2f} s, max {lags[-1]:.2f} s "
            f"(goal: p99 under {LAG_GOAL_SECONDS:.0f} s: {verdict})"
        )
    else:
        problems.append(f"only {len(lags)} verification(s) watched to their figure")
    problems += [f"report {r['id']}'s figure did not show in 30 s" for r in results["missing"]]
    return problems


def _load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    started = time.monotonic()
    code = main()
    print(f"{time.monotonic() - started:.0f} s in all")
    sys.exit(code)
