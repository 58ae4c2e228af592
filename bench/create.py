"""Goal 1: report creation through the API >= 0.5x a minimal Django view doing the same insert."""

import json

from bench.results import Section, verdict
from bench.server import Load, hammer

API_PATH = "/api/v1/reports/"
MINIMAL_PATH = "/bench/minimal-report/"
BODY = json.dumps({"area": "SY0700", "period_start": "2024-11-28", "killed": 3})
GOAL = 0.5


def run(port: int, token: str, *, count: int, rounds: int, concurrency: int, time_limit: int):
    targets = {
        "api": (API_PATH, {"Content-Type": "application/json", "Authorization": f"Token {token}"}),
        "minimal": (MINIMAL_PATH, {"Content-Type": "application/json"}),
    }

    def load(name: str, requests: int) -> Load:
        path, headers = targets[name]
        return hammer(
            port,
            path,
            BODY,
            headers,
            count=requests,
            concurrency=concurrency,
            time_limit=time_limit,
        )

    for name in targets:  # warm up: workers import, connect and fill their caches
        load(name, 4 * concurrency)
    totals = {name: Load() for name in targets}
    per_round = count // rounds
    for round_ in range(rounds):  # alternate, so drift on a shared machine hits both alike
        for name in sorted(targets, reverse=round_ % 2 == 1):
            totals[name] += load(name, per_round)

    api, minimal = totals["api"], totals["minimal"]
    ratio = api.rate / minimal.rate if minimal.rate else 0.0
    section = Section(
        f"1. Report creation: {count} POSTs each, {rounds} alternating rounds, "
        f"{concurrency} client threads"
    )
    section.add("body", BODY)
    section.add(f"API      POST {API_PATH}", f"{api.rate:8.1f} req/s  {_codes(api)}")
    section.add(f"minimal  POST {MINIMAL_PATH}", f"{minimal.rate:8.1f} req/s  {_codes(minimal)}")
    section.add(
        "ratio API / minimal", f"{ratio:8.2f}x     goal >= {GOAL}x: {verdict(ratio >= GOAL)}"
    )
    for name, total in totals.items():
        if set(total.statuses) != {201} or total.requests != per_round * rounds:
            section.problems.append(
                f"{name}: wanted {per_round * rounds} x 201, got {_codes(total)}"
            )
    return section


def _codes(load: Load) -> str:
    return (
        "(" + ", ".join(f"{n} x {code}" for code, n in sorted(load.statuses.items(), key=str)) + ")"
    )
