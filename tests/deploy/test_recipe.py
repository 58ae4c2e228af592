"""The production recipe, started by its one command (`bin/production ENV_FILE`) against
PostgreSQL and a Redis of the test's own: through nginx, the API answers, a submission is
verified and its figure appears, refreshed by the real worker; static files are nginx's own;
supervisord starts a killed worker again; and everything stops on SIGTERM."""

import io
import json
import os
import signal
import urllib.request

import pytest
from django.core.management import call_command
from django.db import connection

from tests.conftest import require, wait_until
from tests.deploy.conftest import Web, get
from tests.factories import AreaFactory

pytestmark = [pytest.mark.slow, pytest.mark.services]
MAX_BODY_BYTES = 100_000


def issue_token(username: str, role: str) -> str:
    out = io.StringIO()
    call_command("issue_token", username, agency="SMOKE", role=role, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


class Agency:
    def __init__(self, url: str, area: str):
        self.web, self.area = Web(url), area
        self.reporter = issue_token("smoke-reporter", "reporter")
        self.verifier = issue_token("smoke-verifier", "verifier")

    def submit_and_verify(self, day: str, killed: int, headers: dict | None = None) -> None:
        report = {"area": self.area, "period_start": day, "killed": killed}
        created = self.web.call("POST", "/api/v1/reports/", self.reporter, report, headers)
        assert created.status == 201, created.body
        verified = self.web.call("POST", f"/api/v1/reports/{created.body['id']}/verify/",
                                 self.verifier, headers=headers)  # fmt: skip
        assert verified.status == 200, verified.body

    def wait_for_figure(self, day: str, killed: int, headers: dict | None = None) -> None:
        path = f"/api/v1/figures/daily/?area={self.area}&date_from={day}&date_to={day}"

        def figure():
            """the worker refreshed the verified report's figure"""
            answer = self.web.call("GET", path, self.reporter, headers=headers)
            assert answer.status == 200, answer.body
            return [row["killed"] for row in answer.body["results"]] == [killed]

        wait_until(figure, 60)


def test_the_recipe_serves_through_nginx_with_a_worker_and_beat(start_recipe, private_redis):
    require("PostgreSQL (set DATABASE_URL)", connection.vendor == "postgresql")
    area = AreaFactory(parent=AreaFactory(parent=AreaFactory())).pcode
    recipe = start_recipe(redis_url=private_redis.url, MAX_BODY_BYTES=str(MAX_BODY_BYTES))

    status, headers, body = get(f"{recipe.url}/api/v1/health/")
    assert (status, headers["Server"], json.loads(body)["database"]) == (200, "nginx", "postgresql")
    agency = Agency(recipe.url, area)
    agency.submit_and_verify("2024-11-28", killed=7)
    agency.wait_for_figure("2024-11-28", killed=7)

    status, headers, _ = get(f"{recipe.url}/static/admin/css/base.css")
    assert (status, headers["Content-Type"]) == (200, "text/css")  # nginx's, from STATIC_ROOT
    too_large = urllib.request.Request(
        f"{recipe.url}/api/v1/reports/bulk/", data=b"x" * (MAX_BODY_BYTES + 1), method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(too_large, timeout=10)
    assert refused.value.code == 413
    assert json.loads(refused.value.read())["detail"].startswith("The body is larger than")

    worker = recipe.pid("worker")
    os.kill(worker, signal.SIGKILL)
    wait_until(lambda: recipe.pid("worker") not in (0, worker), 30)
    agency.submit_and_verify("2024-11-29", killed=3)
    agency.wait_for_figure("2024-11-29", killed=3)

    assert "beat: Acquired lock" in recipe.log("beat")
    assert "RUNNING" in recipe.supervisorctl("status", "proxy")
