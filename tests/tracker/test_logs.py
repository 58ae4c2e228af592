"""Log lines are JSON objects: a line per request with its id, user, agency, status and
duration; a line per task with its id, outcome and duration; errors with their traceback."""

import io
import json
import logging

import pytest
from rest_framework.test import APIClient

from tasks import celery_app
from tests.api.conftest import client_for
from tests.factories import AreaFactory, ReportFactory, UserFactory
from tracker.models import Role

pytestmark = pytest.mark.django_db


@celery_app.task(name="tests.logs.fails")
def fails():
    raise RuntimeError("no such area in the engine")


@pytest.fixture
def log_lines():
    """What the settings' stderr handler writes, each line parsed as JSON."""
    (handler,) = [h for h in logging.getLogger().handlers if h.get_name() == "stderr"]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    handler.setStream(previous)


def test_a_line_per_request_with_its_id_user_agency_status_and_duration(log_lines):
    reporter = UserFactory(username="field-officer", agency__code="SARC")
    client_for(reporter).get("/api/v1/reports/", HTTP_X_REQUEST_ID="req-42")
    APIClient().get("/api/v1/reports/", HTTP_X_REQUEST_ID="req-43")
    lines = [line for line in log_lines() if line["logger"] == "tracker.access"]
    assert [(x["request_id"], x["user"], x["agency"], x["status"]) for x in lines] == [
        ("req-42", "field-officer", "SARC", 200),
        ("req-43", "-", "-", 401),
    ]
    assert all(x["method"] == "GET" and x["path"] == "/api/v1/reports/" for x in lines)
    assert all(x["duration_ms"] > 0 and x["level"] == "INFO" and x["time"] for x in lines)


def test_a_line_per_task_with_its_id_and_outcome_and_a_failure_with_its_traceback(
    log_lines, django_capture_on_commit_callbacks
):
    report = ReportFactory(area=AreaFactory(parent=AreaFactory()))
    verifier = client_for(UserFactory(role=Role.VERIFIER))
    with django_capture_on_commit_callbacks(execute=True):  # the refresh, in-process
        verifier.post(f"/api/v1/reports/{report.pk}/verify/")
    failed = fails.apply(throw=False)
    tasks = [line for line in log_lines() if line["logger"] == "tasks"]
    assert [(x["task"], x["outcome"], x["level"]) for x in tasks] == [
        ("tracker.figures_refresh", "success", "INFO"),
        ("tests.logs.fails", "failure", "ERROR"),
    ]
    assert all(x["task_id"] and x["duration_ms"] >= 0 for x in tasks)
    assert tasks[1]["task_id"] == failed.id
    (traceback,) = [x for x in log_lines() if "exc_info" in x]
    assert traceback["task_id"] == failed.id and traceback["level"] == "ERROR"
    assert "RuntimeError: no such area in the engine" in traceback["exc_info"]
