"""/metrics: for the bearer of METRICS_TOKEN only; request latency and status by endpoint, task
durations and failures, the figures' lag and what waits for verifiers, as Prometheus reads them.
The recipe's test scrapes a worker's task metrics through nginx (tests/deploy)."""

import datetime

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from tasks import celery_app
from tests.api.conftest import client_for
from tests.factories import AreaFactory, ReportFactory, UserFactory
from tracker.models import Role, StaleFigure

pytestmark = pytest.mark.django_db
TOKEN = "p" * 40


@celery_app.task(name="tests.metrics.fails")
def fails():
    raise RuntimeError("the engine is on fire")


def scrape(token: str = TOKEN) -> dict:
    """{(sample name, frozen labels): value} from /metrics."""
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/metrics")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_metrics_are_off_without_a_token_and_refused_without_the_right_one(settings):
    settings.METRICS_TOKEN = None
    assert Client().get("/metrics").status_code == 404
    settings.METRICS_TOKEN = TOKEN
    assert Client().get("/metrics").status_code == 401
    wrong = Client(HTTP_AUTHORIZATION="Bearer " + "x" * 40).get("/metrics")
    assert wrong.status_code == 401 and wrong["WWW-Authenticate"].startswith("Bearer")


def test_requests_by_endpoint_and_status(settings):
    settings.METRICS_TOKEN = TOKEN
    before = scrape()
    api = client_for(UserFactory())
    api.get("/api/v1/reports/")
    api.get("/api/v1/reports/")
    api.post("/api/v1/reports/", {"area": "nowhere"}, format="json")
    after = scrape()
    listed = {"view": "api:report-list", "method": "GET"}
    ok = {"status": "200", **listed}
    bad = {"status": "400", "view": "api:report-list", "method": "POST"}
    for name, labels, more in [
        ("django_http_responses_total_by_status_view_method_total", ok, 2),
        ("django_http_responses_total_by_status_view_method_total", bad, 1),
        ("django_http_requests_latency_seconds_by_view_method_count", listed, 2),
    ]:
        assert value(after, name, **labels) - value(before, name, **labels) == more, name


def test_the_figures_lag_and_what_waits_for_verifiers(settings):
    settings.METRICS_TOKEN = TOKEN
    ReportFactory.create_batch(2)
    ReportFactory(status="verified")
    StaleFigure.objects.create(
        area=AreaFactory(), since=datetime.date(2024, 11, 28), until=datetime.date(2024, 11, 28)
    )
    samples = scrape()
    assert value(samples, "tracker_reports_pending") == 2
    assert value(samples, "tracker_revisions_pending") == 0
    assert value(samples, "tracker_stale_figures") == 1
    assert 0 <= value(samples, "tracker_figures_lag_seconds") < 60


def test_task_durations_by_outcome_and_failures(
    settings, areas_and_verifier, django_capture_on_commit_callbacks
):
    settings.METRICS_TOKEN = TOKEN
    before = scrape()
    area, verifier = areas_and_verifier
    report = ReportFactory(area=area)
    with django_capture_on_commit_callbacks(execute=True):  # the refresh, in-process
        assert verifier.post(f"/api/v1/reports/{report.pk}/verify/").status_code == 200
    fails.apply(throw=False)
    after = scrape()
    refreshed = {"task": "tracker.figures_refresh", "outcome": "success"}
    name = "tracker_task_duration_seconds_count"
    assert value(after, name, **refreshed) - value(before, name, **refreshed) == 1
    failed = {"task": "tests.metrics.fails"}
    assert value(after, "tracker_task_failures_total", **failed) == 1 + value(
        before, "tracker_task_failures_total", **failed
    )


@pytest.fixture
def areas_and_verifier():
    area = AreaFactory(parent=AreaFactory(parent=AreaFactory()))
    return area, client_for(UserFactory(role=Role.VERIFIER))
