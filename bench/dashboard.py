"""Goal 7: one area's year on the dashboard in under a second, with the figures of section 4's
reports (1,000,000 at --size full). A browser asks for the page, then for its data (GET
/api/v1/figures/overview/: the area's 365 days and the daily values of the areas below); both
are timed one at a time, as one user's browser asks, for a governorate (Aleppo, 8 districts)
and for the country (14 governorates), alternating in rounds with the baseline: the minimal view
of section 6 returning one area's 365 rows, in the same run. Then a headless Chromium opens
the page for each area and waits until everything is drawn (bench/drawing.py): that is what
the goal is about, a person's wait from asking for the page to seeing its charts."""

import json
import statistics
import time

from django.test import Client

from bench import drawing
from bench.results import Section, verdict
from bench.server import request
from tracker.models import User

GOAL_SECONDS = 1.0
AREAS = ("SY02", "SY")
MINIMAL_PATH = "/bench/minimal-daily/?area={}"


def _session(username: str) -> str:
    """A signed-in session of `username`, as the page needs (the API takes the token too)."""
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client.cookies["sessionid"].value


def _times(port: int, path: str, headers: dict, count: int, codes: list) -> list[float]:
    seconds = []
    for _ in range(count):
        start = time.perf_counter()
        status, _ = request(port, "GET", path, headers=headers)
        seconds.append(time.perf_counter() - start)
        codes.append(status)
    return seconds


def _ms(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"median {1000 * statistics.median(ordered):7.1f} ms, p90 {1000 * p90:7.1f} ms"


def run(port: int, token: str, username: str, *, first, last, count: int, rounds: int) -> Section:
    period = f"date_from={first.isoformat()}&date_to={last.isoformat()}"
    session = _session(username)
    cookie = {"Cookie": f"sessionid={session}"}
    targets = {"minimal": (MINIMAL_PATH.format(AREAS[0]), {})}
    for pcode in AREAS:
        targets[f"page {pcode}"] = (f"/dashboard/?area={pcode}&{period}", cookie)
        targets[f"data {pcode}"] = (
            f"/api/v1/figures/overview/?area={pcode}&{period}",
            {"Authorization": f"Token {token}"},
        )
    section = Section(
        f"7. The dashboard, one area's year ({first} to {last}): {count} GETs of each, one at a "
        f"time, {rounds} alternating rounds"
    )
    for name, (path, headers) in targets.items():  # warm up, and check the answers
        status, body = request(port, "GET", path, headers=headers)
        if status != 200:
            section.problems.append(f"{name}: GET {path} answered {status}")
        elif name.startswith("data"):
            answer = json.loads(body)
            days, rows = len(answer["figures"]), len(answer["children_figures"]["rows"])
            section.add(f"{name} answers", f"{days} days, {len(answer['children'])} areas below "
                        f"with {rows} daily rows, {len(body) // 1024} KiB")  # fmt: skip
    times: dict[str, list[float]] = {name: [] for name in targets}
    codes: list = []
    for round_ in range(rounds):
        for name in sorted(targets, reverse=round_ % 2 == 1):
            path, headers = targets[name]
            times[name] += _times(port, path, headers, count // rounds, codes)
    for name in targets:
        section.add(name, _ms(times[name]))
    baseline = statistics.median(times["minimal"])
    for pcode in AREAS:
        page, data = (statistics.median(times[f"{kind} {pcode}"]) for kind in ("page", "data"))
        section.add(
            f"{pcode}: page + data",
            f"{1000 * (page + data):7.1f} ms = {(page + data) / baseline:5.1f}x the minimal view; "
            f"goal < {GOAL_SECONDS:.0f} s: {verdict(page + data < GOAL_SECONDS)}",
        )
    if set(codes) != {200}:
        section.problems.append(f"answers other than 200: {sorted(set(codes), key=str)}")
    _draw(section, port, session, {pcode: targets[f"page {pcode}"][0] for pcode in AREAS}, count)
    return section


def _draw(section: Section, port: int, session: str, pages: dict[str, str], count: int) -> None:
    missing = drawing.available()
    if missing:
        section.add("in a browser", f"not measured: {missing}")
        return
    try:
        times = drawing.drawn_ms(port, session, list(pages.values()), max(3, count // 10))
    except RuntimeError as error:
        section.problems.append(f"the dashboard did not draw in Chromium: {error}")
        return
    for pcode, path in pages.items():
        drawn = drawing.median(times[path]) / 1000
        section.add(
            f"{pcode}: drawn in Chromium",
            f"{1000 * drawn:7.1f} ms after the page was asked for (median of "
            f"{len(times[path])}); goal < {GOAL_SECONDS:.0f} s: {verdict(drawn < GOAL_SECONDS)}",
        )
