"""Request ids in responses and log lines, 500s logged with their traceback whatever DEBUG says,
and a database that is unavailable answering 503 with Retry-After on every path."""

import io
import json
import logging

import pytest
from django.contrib.admin.sites import AdminSite
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import InterfaceError, OperationalError
from django.test import Client
from rest_framework.test import APIClient

from tracker.middleware import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS

pytestmark = pytest.mark.django_db
HEALTH = "/api/v1/health/"


@pytest.fixture
def stderr_log():
    """What the settings' stderr handler writes, as production's log would show it."""
    (handler,) = [h for h in logging.getLogger().handlers if h.get_name() == "stderr"]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def failing(error: Exception):
    def fail(*args, **kwargs):
        raise error

    return fail


def test_every_response_carries_a_request_id_and_keeps_a_sane_one_given():
    client = Client()
    made = client.get(HEALTH)["X-Request-ID"]
    assert len(made) == 32 and made != client.get(HEALTH)["X-Request-ID"]
    assert client.get(HEALTH, HTTP_X_REQUEST_ID="lb-4f1c.9")["X-Request-ID"] == "lb-4f1c.9"
    for insane in ("x" * 129, "a b", "a\nb", "é"):
        assert client.get(HEALTH, HTTP_X_REQUEST_ID=insane)["X-Request-ID"] != insane
    assert client.get("/api/v1/nothing/")["X-Request-ID"]  # 404s too


def test_a_500_is_logged_with_its_traceback_and_request_id(settings, monkeypatch, stderr_log):
    settings.DEBUG = False
    monkeypatch.setattr("api.views.misc.database_answers", failing(RuntimeError("engine on fire")))
    response = APIClient(raise_request_exception=False).get(HEALTH, HTTP_X_REQUEST_ID="req-500")
    assert response.status_code == 500
    assert response.json()["request_id"] == response["X-Request-ID"] == "req-500"
    lines = [json.loads(line) for line in stderr_log.getvalue().splitlines()]
    (error,) = [line for line in lines if line["logger"] == "django.request"]
    assert error["level"] == "ERROR" and error["request_id"] == "req-500"
    assert error["message"] == "Internal Server Error: /api/v1/health/"
    assert "Traceback (most recent call last)" in error["exc_info"]
    assert "RuntimeError: engine on fire" in error["exc_info"]


@pytest.mark.parametrize("error", [OperationalError("server closed the connection"),
                                   InterfaceError("connection already closed")])  # fmt: skip
def test_the_database_unavailable_in_an_api_view_is_503_with_retry_after(
    monkeypatch, stderr_log, error
):
    monkeypatch.setattr("api.views.misc.database_answers", failing(error))
    response = APIClient().get(HEALTH, HTTP_X_REQUEST_ID="req-503")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response.json() == {"detail": DATABASE_UNAVAILABLE}
    lines = [json.loads(line) for line in stderr_log.getvalue().splitlines()]
    assert any(
        line["logger"] == "tracker.middleware" and line["request_id"] == "req-503"
        and line["message"].startswith("Database unavailable")
        for line in lines
    )  # fmt: skip


def test_a_database_error_behind_another_error_is_503(monkeypatch):
    """A task run in-process retries a database error, then raises its own."""

    def fail():
        try:
            raise OperationalError("the database system is shutting down")
        except OperationalError as error:
            raise RuntimeError("Retry in 1s") from error

    monkeypatch.setattr("api.views.misc.database_answers", fail)
    assert APIClient().get(HEALTH).status_code == 503


def test_the_database_unavailable_in_the_admin_is_503(monkeypatch, admin_client):
    monkeypatch.setattr(AdminSite, "has_permission", failing(OperationalError("gone")))
    response = admin_client.get("/admin/")
    assert response.status_code == 503 and response["Retry-After"]
    assert response.content.decode() == DATABASE_UNAVAILABLE


def test_the_database_unavailable_in_a_middleware_is_503(monkeypatch):
    monkeypatch.setattr(SessionMiddleware, "process_request", failing(OperationalError("gone")))
    for path in (HEALTH, "/admin/"):
        response = Client(raise_request_exception=False).get(path)
        assert response.status_code == 503 and response["Retry-After"], path
