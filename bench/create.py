"""Goal 1: report creation through the API >= 0.5x a minimal Django view doing the same insert."""

import json

from bench.results import Section, verdict
from bench.server import alternate, status_problems

API_PATH = "/api/v1/reports/"
MINIMAL_PATH = "/bench/minimal-report/"
# The same statement every time: confirmed, as a duplicate must be (it is still checked and marked).
BODY = json.dumps(
    {"area": "SY0700", "period_start": "2024-11-28", "killed": 3, "duplicate": "confirmed"}
)
GOAL = 0.5


def run(port: int, token: str, *, count: int, rounds: int, concurrency: int, time_limit: int):
    targets = {
        "api": (API_PATH, {"Content-Type": "application/json", "Authorization": f"Token {token}"}),
        "minimal": (MINIMAL_PATH, {"Content-Type": "application/json"}),
    }

    totals = alternate(
        port,
        targets,
        method="POST",
        body=BODY,
        count=count,
        rounds=rounds,
        concurrency=concurrency,
        time_limit=time_limit,
        warm=4 * concurrency,
    )
    api, minimal = totals["api"], totals["minimal"]
    ratio = api.rate / minimal.rate if minimal.rate else 0.0
    section = Section(
        f"1. Report creation: {count} POSTs each, {rounds} alternating rounds, "
        f"{concurrency} client threads"
    )
    section.add("body", BODY)
    section.add(f"API      POST {API_PATH}", f"{api.rate:8.1f} req/s  {api.codes()}")
    section.add(f"minimal  POST {MINIMAL_PATH}", f"{minimal.rate:8.1f} req/s  {minimal.codes()}")
    section.add(
        "ratio API / minimal", f"{ratio:8.2f}x     goal >= {GOAL}x: {verdict(ratio >= GOAL)}"
    )
    section.problems += status_problems(totals, 201, count // rounds * rounds)
    return section
