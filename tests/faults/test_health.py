"""/healthz through gunicorn as services fail: no live worker, Redis killed, PostgreSQL stopped:
503 naming what failed, and 200 again once it is back; /livez answers all along."""

import json
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import wait_until
from tests.faults.test_postgres import DATABASE, manage

pytestmark = [pytest.mark.services, pytest.mark.slow]


def health(web) -> tuple[int, dict, float]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(f"{web.url}/healthz", timeout=30) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    return status, json.loads(body), time.monotonic() - started


def alive(web) -> bool:
    with urllib.request.urlopen(f"{web.url}/livez", timeout=5) as response:
        return response.status == 200


def test_no_worker_then_a_worker_then_redis_killed(start_web, start_worker, private_redis):
    web = start_web(redis_url=private_redis.url)
    status, answer, _ = health(web)
    assert (status, answer["failing"]) == (503, ["worker"])
    assert answer["checks"]["worker"] == {"status": "failing"}  # no detail for anonymous callers

    start_worker(broker_url=private_redis.url)
    wait_until(lambda: health(web)[0] == 200, 60)

    private_redis.kill()
    status, answer, seconds = health(web)
    assert status == 503 and {"redis", "broker", "worker"} <= set(answer["failing"])
    assert "database" not in answer["failing"] and seconds < 10
    assert alive(web)


def test_postgresql_stopped_then_started(start_web, private_postgres):
    private_postgres.create_database(DATABASE)
    manage(private_postgres, "migrate", "--noinput")
    web = start_web(redis_url=None, database_url=private_postgres.url(DATABASE))
    assert health(web)[0] == 200

    private_postgres.stop()
    status, answer, _ = health(web)
    assert status == 503 and answer["failing"] == ["database", "figures_lag"]
    assert alive(web)

    private_postgres.start()
    wait_until(lambda: health(web)[0] == 200, 30)
