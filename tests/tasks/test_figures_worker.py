"""A real worker on Redis keeps the figures exact: current after commit, and after being killed
(SIGKILL) in the middle of a refresh and started again."""

import os
import signal

import psycopg2
import pytest
import redis
from django.db import connection

from tests.conftest import redis_is_up, require, wait_until
from tests.factories import AgencyFactory, AreaFactory, UserFactory
from tracker import services
from tracker.figures.engine import LOCK_SPACE
from tracker.models import DailyFigure, Role, StaleFigure
from tracker.services.figures import figures_differences


def figures_settled() -> bool:
    """every stale cell refreshed"""
    return DailyFigure.objects.exists() and not StaleFigure.objects.exists()


def submit_verified(area, killed: int) -> None:
    reporter = UserFactory(agency=AgencyFactory(), role=Role.REPORTER)
    report = services.report_create(
        agency=reporter.agency, submitted_by=reporter, area=area,
        period_start="2024-11-27", period_end="2024-11-29", killed=killed,
    )  # fmt: skip
    services.report_verify(report=report, user=UserFactory(role=Role.VERIFIER))


@pytest.fixture
def district():
    return AreaFactory(parent=AreaFactory(parent=AreaFactory()))


def test_figures_are_current_after_commit(celery_worker, district):
    submit_verified(district, killed=30)
    wait_until(figures_settled)
    assert list(DailyFigure.objects.filter(area=district).values_list("killed", flat=True)) == [
        10,
        10,
        10,
    ]
    assert figures_differences() == 0


def test_a_worker_killed_mid_refresh_loses_nothing(start_worker, district):
    require("PostgreSQL (set DATABASE_URL)", connection.vendor == "postgresql")
    country = district.parent.parent
    blocker = psycopg2.connect(**connection.get_connection_params())
    blocker.autocommit = True
    with blocker.cursor() as cursor:  # the country's lock: a refresh stops before its last level
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_SPACE, country.pk])
    try:
        first = start_worker()
        submit_verified(district, killed=12)

        def worker_waits():
            """the worker has written the lower levels and waits for the country's lock"""
            with blocker.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                    " AND classid = %s AND objid = %s",
                    [LOCK_SPACE, country.pk],
                )
                return cursor.fetchone()[0] > 0

        wait_until(worker_waits)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        with blocker.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_SPACE, country.pk])
        blocker.close()
    # The killed refresh wrote nothing that stays; its stale cells are still marked.
    assert StaleFigure.objects.exists()
    assert not DailyFigure.objects.filter(area=district).exists()

    start_worker(beat=True)  # the periodic sweep finds what the killed worker left
    wait_until(figures_settled)
    assert figures_differences() == 0
    assert DailyFigure.objects.get(area=country, date="2024-11-28").killed == 4


def test_changes_made_while_a_refresh_is_queued_enqueue_none_and_all_count(start_worker, district):
    require("Redis (set REDIS_URL)", redis_is_up(os.environ.get("REDIS_URL")))
    broker = redis.Redis.from_url(os.environ["REDIS_URL"])
    waiting = broker.llen("celery")  # Celery's default queue
    submit_verified(district, killed=30)  # created, then verified: the first change queues
    submit_verified(district, killed=6)  # another agency's
    assert broker.llen("celery") == waiting + 1

    start_worker()
    wait_until(figures_settled)
    day = DailyFigure.objects.get(area=district, date="2024-11-28")
    assert (day.killed, day.killed_high, day.agency_count) == (10, 12, 2)
    assert figures_differences() == 0
