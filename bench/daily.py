"""Goal 6: one sub-district's daily figures for a year through the API >= 0.5x the throughput of
a minimal Django view returning the same rows as JSON (bench.views.minimal_daily)."""

import json

from bench.results import Section, verdict
from bench.server import alternate, request, status_problems

GOAL = 0.5
API_PATH = "/api/v1/figures/daily/?area={}&page_size=1000"
MINIMAL_PATH = "/bench/minimal-daily/?area={}"
SKIP = {"computed_at"}  # the same instant, written by two serializers


def _rows(port: int, path: str, headers: dict) -> tuple[int, list[dict]]:
    status, body = request(port, "GET", path, headers=headers)
    return status, json.loads(body).get("results", []) if status == 200 else []


def same_rows(api: list[dict], minimal: list[dict]) -> bool:
    renamed = {"area__pcode": "area", "area__name_en": "area_name",
               "area__name_ar": "area_name_ar", "area__level": "level"}  # fmt: skip
    minimal = [{renamed.get(k, k): v for k, v in row.items() if k not in SKIP} for row in minimal]
    return [{k: v for k, v in row.items() if k not in SKIP} for row in api] == minimal


def run(port: int, token: str, pcode: str, *, count: int, rounds: int, concurrency: int) -> Section:
    targets = {
        "api": (API_PATH.format(pcode), {"Authorization": f"Token {token}"}),
        "minimal": (MINIMAL_PATH.format(pcode), {}),
    }
    answers = {name: _rows(port, path, headers) for name, (path, headers) in targets.items()}

    totals = alternate(
        port, targets, method="GET", body=None, count=count, rounds=rounds,
        concurrency=concurrency, time_limit=300, warm=2 * concurrency,
    )  # fmt: skip
    rows = len(answers["api"][1])
    section = Section(
        f"6. One area's daily figures: GET {targets['api'][0]} ({rows} rows), "
        f"{count} GETs each, {rounds} alternating rounds, {concurrency} client threads"
    )
    api, minimal = totals["api"], totals["minimal"]
    section.add("API", f"{api.rate:8.1f} req/s  {api.codes()}")
    section.add(
        f"minimal  GET {targets['minimal'][0]}", f"{minimal.rate:8.1f} req/s  {minimal.codes()}"
    )
    ratio = api.rate / minimal.rate if minimal.rate else 0.0
    section.add(
        "ratio API / minimal", f"{ratio:8.2f}x     goal >= {GOAL}x: {verdict(ratio >= GOAL)}"
    )
    if rows != 365:
        section.problems.append(f"wanted 365 rows for {pcode}, the API gave {rows}")
    if not same_rows(answers["api"][1], answers["minimal"][1]):
        section.problems.append("the API and the minimal view answer different rows")
    section.problems += status_problems(totals, 200, count // rounds * rounds)
    return section
