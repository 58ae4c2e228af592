"""/healthz names each check and answers 503 when one fails, with no counts for anonymous
callers; /livez does no I/O; /api/v1/health/ counts nothing for anonymous callers. The checks
that need Redis and a worker are in tests/faults/test_health.py."""

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests.api.conftest import client_for
from tests.factories import AreaFactory, ReportFactory, StaffFactory, UserFactory
from tracker.models import StaleFigure

pytestmark = pytest.mark.django_db
TOKEN = "m" * 40


@pytest.fixture(autouse=True)
def without_redis(settings):
    """Tasks in-process: the database and the figures' lag are all there is to check."""
    settings.REDIS_URL = None
    settings.FIGURES_LAG_LIMIT_SECONDS = 60


def stale_for(seconds: int) -> None:
    """A stale figure record that has waited `seconds` (no worker took it)."""
    stale = StaleFigure.objects.create(
        area=AreaFactory(), since=datetime.date(2024, 11, 28), until=datetime.date(2024, 11, 28)
    )
    waited = timezone.now() - datetime.timedelta(seconds=seconds)
    StaleFigure.objects.filter(pk=stale.pk).update(created_at=waited)


def test_healthz_is_200_with_each_check_named_and_nothing_more_for_anonymous_callers():
    ReportFactory.create_batch(2)
    stale_for(5)
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "failing": [],
        "checks": {"database": {"status": "ok"}, "figures_lag": {"status": "ok"}},
    }
    assert "no-cache" in response["Cache-Control"]


def test_figures_lagging_behind_the_limit_is_503_naming_the_check():
    stale_for(600)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["figures_lag"]
    assert response.json()["checks"]["figures_lag"] == {"status": "failing"}  # no age, no count


def test_staff_and_prometheus_see_why_a_check_fails_and_the_figures_lag(settings):
    settings.METRICS_TOKEN = TOKEN
    stale_for(600)
    staff = Client()
    staff.force_login(StaffFactory())
    prometheus = Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    for client in (staff, prometheus):
        answer = client.get("/healthz").json()
        lag = answer["checks"]["figures_lag"]
        assert lag["status"] == "failing"
        assert re.search(r"waited 60\d s \(limit 60 s\)", lag["detail"])  # a second may pass
        assert answer["figures"]["stale"] == 1 and 599 < answer["figures"]["lag_seconds"] < 660
        assert answer["checks"]["database"]["seconds"] >= 0
    anonymous = Client(HTTP_AUTHORIZATION="Bearer not-the-token").get("/healthz").json()
    assert "figures" not in anonymous and "detail" not in anonymous["checks"]["figures_lag"]


def test_livez_reads_no_database_not_even_a_session(django_assert_num_queries):
    client = Client()
    client.force_login(StaffFactory())
    with django_assert_num_queries(0):
        response = client.get("/livez")
    assert response.status_code == 200 and response.json() == {"status": "alive"}


def test_the_api_health_shows_counts_to_staff_only(django_assert_max_num_queries):
    ReportFactory.create_batch(3)
    with django_assert_max_num_queries(1):  # SELECT 1, and no count
        anonymous = APIClient().get("/api/v1/health/")
    assert anonymous.status_code == 200
    assert set(anonymous.json()) == {"status", "database"}
    reporter = client_for(UserFactory()).get("/api/v1/health/").json()
    assert set(reporter) == {"status", "database"}  # an agency's user is not staff

    staff = client_for(StaffFactory()).get("/api/v1/health/").json()
    assert staff["reports"] == 3 and staff["reports_pending"] == 3
    assert staff["areas"] > 0 and staff["stale_figures"] == 0
    assert staff["revisions_pending"] == 0 and staff["figures_lag_seconds"] == 0
