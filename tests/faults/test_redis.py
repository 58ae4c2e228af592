"""Redis down or hung, as agencies keep writing: every write is kept and answered, the worker
lives through it, and the figures catch up by themselves once Redis is back."""

import time
from contextlib import contextmanager

import psycopg2
import pytest
from django.db import connection

from tests.conftest import require, wait_until
from tests.factories import AreaFactory, UserFactory, token_for
from tracker.figures.engine import LOCK_SPACE
from tracker.models import Report, ReportStatus, Role, StaleFigure
from tracker.services.figures import figures_differences

pytestmark = [pytest.mark.services, pytest.mark.slow]
OUTAGE_SECONDS = 30


@contextmanager
def refreshes_blocked_at(area):
    """Hold `area`'s refresh lock: a refresh that reaches it waits, its message unacknowledged."""
    blocker = psycopg2.connect(**connection.get_connection_params())
    blocker.autocommit = True
    with blocker.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_SPACE, area.pk])

    def waiting():
        """a refresh waits for the lock"""
        with blocker.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                " AND classid = %s AND objid = %s",
                [LOCK_SPACE, area.pk],
            )
            return cursor.fetchone()[0] > 0

    try:
        yield waiting
    finally:
        with blocker.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_SPACE, area.pk])
        blocker.close()


class Agencies:
    """A reporter submitting reports and a verifier verifying each, through the API."""

    def __init__(self, web, areas):
        self.web, self.areas, self.statuses, self.created = web, areas, [], []
        self.reporter = token_for(UserFactory(role=Role.REPORTER))
        self.verifier = token_for(UserFactory(role=Role.VERIFIER))

    def submit_and_verify(self) -> None:
        n = len(self.created)
        report = {"area": self.areas[n % 2].pcode, "period_start": f"2024-11-{1 + n % 28:02d}",
                  "killed": 1 + n}  # fmt: skip
        answer = self.web.call("POST", "/api/v1/reports/", self.reporter, report)
        self.statuses.append(answer.status)
        if answer.status == 201:
            self.created.append(answer.body["id"])
            verify = f"/api/v1/reports/{answer.body['id']}/verify/"
            self.statuses.append(self.web.call("POST", verify, self.verifier).status)


def test_redis_down_for_30_seconds_loses_no_write_and_the_worker_catches_up(
    start_worker, start_web, private_redis
):
    require("PostgreSQL (set DATABASE_URL)", connection.vendor == "postgresql")
    country = AreaFactory()
    districts = [AreaFactory(parent=AreaFactory(parent=country)) for _ in range(2)]
    web = start_web(redis_url=private_redis.url)
    worker = start_worker(broker_url=private_redis.url, beat=True, pool="prefork")
    agencies = Agencies(web, districts)

    with refreshes_blocked_at(country) as refresh_waits:  # Redis dies mid-refresh
        agencies.submit_and_verify()
        wait_until(refresh_waits, 60)
        private_redis.kill()
    back_at = time.monotonic() + OUTAGE_SECONDS
    while time.monotonic() < back_at:
        agencies.submit_and_verify()
        time.sleep(0.05)
    private_redis.start()
    for _ in range(5):
        agencies.submit_and_verify()

    assert set(agencies.statuses) == {200, 201}, sorted(set(agencies.statuses))
    verified = Report.objects.filter(pk__in=agencies.created, status=ReportStatus.VERIFIED)
    assert verified.count() == len(agencies.created) > OUTAGE_SECONDS

    def refreshed():
        """the sweep refreshed every stale cell, by a worker still alive"""
        assert worker.poll() is None, "the worker died (see worker0.log in the test's tmp_path)"
        return not StaleFigure.objects.exists()

    wait_until(refreshed, 60)
    assert figures_differences() == 0
    assert worker.poll() is None


def test_a_hung_redis_costs_a_request_a_fraction_of_a_second(start_web, hung_redis):
    districts = [AreaFactory(parent=AreaFactory(parent=AreaFactory())) for _ in range(2)]
    web = start_web(redis_url=hung_redis)
    agencies = Agencies(web, districts)
    # Every gunicorn worker loads the code of a listing, a submission and a verification and
    # connects to the database: the first of each in a worker costs more than Redis, not less.
    for _ in range(4):
        web.call("GET", "/api/v1/reports/", agencies.reporter)
        agencies.submit_and_verify()
    assert set(agencies.statuses) == {200, 201}

    for _ in range(3):
        listing = web.call("GET", "/api/v1/reports/", agencies.reporter)
        created = web.call("POST", "/api/v1/reports/", agencies.reporter,
                           {"area": districts[0].pcode, "period_start": "2024-11-28",
                            "killed": 1 + len(agencies.created)})  # fmt: skip
        assert (listing.status, created.status) == (200, 201)
        agencies.created.append(created.body["id"])
        verified = web.call(
            "POST", f"/api/v1/reports/{created.body['id']}/verify/", agencies.verifier
        )
        assert verified.status == 200
        assert max(listing.seconds, created.seconds, verified.seconds) < 1, (
            listing.seconds,
            created.seconds,
            verified.seconds,
        )
    assert Report.objects.filter(status=ReportStatus.VERIFIED).count() == 4 + 3
