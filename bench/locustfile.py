"""The load test's traffic (locust; `python -m bench.load` runs it, against the recipe it started).

Each user, with no pause between requests, mixes reads of the figures and of the reports,
submissions and verifications, each with the token of a role allowed to do it. Every submission
is of its own sub-district and day, so its figure, once verified, is its own count: a few
verifications at a time are watched until their figure shows (the lag a user sees). What was
accepted, verified and seen goes to RESULTS (JSON) when the run stops, for bench/load.py to check
against the database.
"""

import itertools
import json
import os
import random
import time
from collections import deque
from datetime import date, timedelta
from pathlib import Path

import gevent
from locust import FastHttpUser, constant, events, task

CONFIG = json.loads(Path(os.environ["LOAD_CONFIG"]).read_text())
WATCHES = 4  # verifications watched at once until their figure shows
WATCH_EVERY = 0.2  # seconds between two looks at a watched figure
WATCH_LIMIT = 30.0  # seconds after which a figure not shown counts as missing

numbers = itertools.count()
to_verify: deque = deque()  # accepted submissions waiting for a verifier
accepted: list[dict] = []
verified: list[dict] = []
lags: list[float] = []
missing: list[dict] = []  # watched verifications whose figure did not show in WATCH_LIMIT
watching: set[int] = set()


def statement(number: int) -> dict:
    """A report of its own sub-district and day (days go back from the last one, area by area)."""
    areas = CONFIG["areas"]
    day = date.fromisoformat(CONFIG["last_day"]) - timedelta(days=number // len(areas))
    return {
        "area": areas[number % len(areas)],
        "period_start": day.isoformat(),
        "killed": 1 + number % 50,
        "displaced": 10 * (number % 97),
        "external_id": f"load-{number}",
        "source_name": "load test",
    }


class Agency(FastHttpUser):
    wait_time = constant(0)

    def on_start(self):
        self.reporter = random.choice(CONFIG["reporters"])

    def _call(self, method, path, token, name, **kwargs):
        headers = {"Authorization": f"Token {token}"}
        with self.client.request(
            method, path, headers=headers, name=name, catch_response=True, **kwargs
        ) as response:
            wanted = 201 if method == "POST" and name == "/reports/" else 200
            if response.status_code != wanted:
                response.failure(f"{response.status_code}: {response.text[:200]}")
                return None
            return response.json()

    @task(4)
    def read_figures(self):
        area = random.choice(CONFIG["read_areas"])
        path = f"/api/v1/figures/daily/?area={area}&date_from=2024-11-20&date_to=2024-12-10"
        self._call("GET", path, CONFIG["viewer"], "/figures/daily/")

    @task(3)
    def read_reports(self):
        size = random.choice((20, 50, 100))
        path = f"/api/v1/reports/?status=verified&page_size={size}"
        self._call("GET", path, CONFIG["viewer"], "/reports/")

    @task(2)
    def submit(self):
        body = statement(next(numbers))
        created = self._call("POST", "/api/v1/reports/", self.reporter, "/reports/", json=body)
        if created is not None:
            report = {"id": created["id"], **body}
            accepted.append(report)
            to_verify.append(report)

    @task(1)
    def verify(self):
        if not to_verify:
            return self.submit()
        report = to_verify.popleft()
        path = f"/api/v1/reports/{report['id']}/verify/"
        if self._call("POST", path, CONFIG["verifier"], "/reports/{id}/verify/") is None:
            return None
        verified.append(report)
        if len(watching) < WATCHES:
            watching.add(report["id"])
            gevent.spawn(self._watch, report, time.monotonic())
        return None

    def _watch(self, report: dict, since: float) -> None:
        """Look at the report's figure until it shows its count."""
        path = (
            f"/api/v1/figures/daily/?area={report['area']}"
            f"&date_from={report['period_start']}&date_to={report['period_start']}"
        )
        try:
            while time.monotonic() - since < WATCH_LIMIT:
                answer = self._call("GET", path, CONFIG["viewer"], "/figures/daily/ (watch)")
                rows = (answer or {}).get("results", [])
                if [row["killed"] for row in rows] == [report["killed"]]:
                    lags.append(time.monotonic() - since)
                    return
                gevent.sleep(WATCH_EVERY)
            missing.append(report)
        finally:
            watching.discard(report["id"])


@events.quitting.add_listener
def _write_results(environment, **kwargs):
    Path(CONFIG["results"]).write_text(
        json.dumps({"accepted": accepted, "verified": verified, "lags": lags, "missing": missing})
    )
