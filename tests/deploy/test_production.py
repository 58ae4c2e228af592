"""Production mode: `check --deploy` is clean with DEBUG=false, SECRET_KEY and ALLOWED_HOSTS
alone, and the recipe with HTTPS on (TLS ending in front of nginx) answers /healthz, takes a
submission and shows its figure through nginx, redirects plain HTTP, sends HSTS, serves
/metrics with the workers' task metrics to the bearer of METRICS_TOKEN, and logs JSON lines."""

import http.client
import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import require
from tests.deploy.conftest import get
from tests.deploy.test_recipe import Agency
from tests.factories import AreaFactory

METRICS_TOKEN = "prometheus-scrapes-with-this-token-0123456789"
HTTPS = {"X-Forwarded-Proto": "https"}  # what the TLS terminator in front of nginx sends


def test_check_deploy_is_clean_with_debug_off_a_secret_key_and_allowed_hosts_alone():
    environment = {
        "PATH": os.environ["PATH"],
        "DEBUG": "false",
        "SECRET_KEY": "Qx7-kV2p_9LwZr4Tn8Hc1Ys6Bd3Fg5Jm0Ae-uWq7Xo2Rt9Pz4Kv8Ni1Lc6Hs3Dy",
        "ALLOWED_HOSTS": "tracker.example.org",
    }
    checked = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=environment, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("System check identified no issues"), checked.stdout
    assert "WARNING" not in checked.stderr, checked.stderr


@pytest.mark.slow
@pytest.mark.services
def test_the_recipe_in_production_mode_through_the_proxy(start_recipe, private_redis):
    require("PostgreSQL (set DATABASE_URL)", connection.vendor == "postgresql")
    area = AreaFactory(parent=AreaFactory(parent=AreaFactory())).pcode
    recipe = start_recipe(redis_url=private_redis.url, HTTPS="true", METRICS_TOKEN=METRICS_TOKEN)

    status, _, body = get(f"{recipe.url}/healthz")  # probes may use plain HTTP
    assert status == 200, body
    assert json.loads(body)["checks"] == {
        name: {"status": "ok"} for name in ("database", "redis", "broker", "worker", "figures_lag")
    }
    assert get(f"{recipe.url}/livez")[0] == 200

    agency = Agency(recipe.url, area)
    host = recipe.url.removeprefix("http://")
    plain = http.client.HTTPConnection(host, timeout=10)
    plain.request("GET", "/api/v1/reports/", headers={"Authorization": f"Token {agency.reporter}"})
    redirected = plain.getresponse()
    assert redirected.status == 301
    assert redirected.headers["Location"] == f"https://{host}/api/v1/reports/"
    plain.close()
    listed = agency.web.call("GET", "/api/v1/reports/", agency.reporter, headers=HTTPS)
    assert listed.status == 200
    assert listed.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    agency.submit_and_verify("2024-11-28", killed=7, headers=HTTPS)
    agency.wait_for_figure("2024-11-28", killed=7, headers=HTTPS)

    bearer = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    scraped = agency.web.call("GET", "/metrics", "", headers=bearer)
    assert scraped.status == 200
    text = scraped.body.decode()
    # Written by the worker's processes, served by gunicorn's: multiprocess mode adds them up.
    refreshes = "tracker_task_duration_seconds_count"
    assert f'{refreshes}{{outcome="success",task="tracker.figures_refresh"}}' in text
    assert 'view="api:report-list"' in text and "tracker_reports_pending 0.0" in text
    assert agency.web.call("GET", "/metrics", agency.reporter, headers=HTTPS).status == 401

    web = json_lines(recipe.log("web"))
    created = [x for x in web if x.get("logger") == "tracker.access" and x["status"] == 201]
    assert created and created[0]["user"] == "smoke-reporter" and created[0]["agency"] == "SMOKE"
    worker = json_lines(recipe.log("worker"))
    refreshes = [x for x in worker if x.get("task") == "tracker.figures_refresh"]
    assert refreshes and all(x["outcome"] == "success" and x["task_id"] for x in refreshes)


def json_lines(log: str) -> list[dict]:
    """A program's log lines that are JSON (gunicorn's and Celery's own start-up lines are not)."""
    return [json.loads(line) for line in log.splitlines() if line.startswith("{")]
