"""Request ids in responses and log lines, 500s logged with their traceback whatever DEBUG says."""

import io
import logging

import pytest
from django.test import Client
from rest_framework.test import APIClient

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
    monkeypatch.setattr("api.views.misc.service_health", failing(RuntimeError("engine on fire")))
    response = APIClient(raise_request_exception=False).get(HEALTH, HTTP_X_REQUEST_ID="req-500")
    assert response.status_code == 500
    assert response.json()["request_id"] == response["X-Request-ID"] == "req-500"
    log = stderr_log.getvalue()
    assert "ERROR [req-500] django.request: Internal Server Error: /api/v1/health/" in log
    assert "Traceback (most recent call last)" in log and "RuntimeError: engine on fire" in log
