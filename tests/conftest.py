import os
import signal
import subprocess
import sys
import time
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from tasks import celery_app

ON_CI = os.environ.get("CI", "").lower() == "true"


def require(service: str, available: bool) -> None:
    """Skip a test whose service is missing on a developer's machine; on CI, fail it."""
    if available:
        return
    message = f"{service} is not available"
    if ON_CI:
        pytest.fail(f"CI=true and {message}")
    pytest.skip(message)


def redis_is_up(url: str | None) -> bool:
    if not url:
        return False
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def database_url(db: dict) -> str:
    """A DATABASE_URL that points another process at the database this test uses."""
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_until(condition, seconds: float = 90) -> None:
    """Wait for `condition()` to hold (its docstring says what it is), at most `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {seconds} s: {condition.__doc__}")
        time.sleep(0.2)


def stop(process: subprocess.Popen, seconds: float = 30) -> None:
    """Stop a process a test started (SIGTERM, then SIGKILL to its whole session)."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # its session: a prefork worker's children too
        process.wait(timeout=seconds)


def service_env(*, redis_url: str | None) -> dict:
    """The environment of a worker or web process reading this test's database."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tracker.settings",
        "SECRET_KEY": "tests-only-secret-key",
        "DATABASE_URL": database_url(connection.settings_dict),
        "FIGURES_SWEEP_SECONDS": "2",
    }
    env.pop("REDIS_URL", None)
    return {**env, "REDIS_URL": redis_url} if redis_url else env


@pytest.fixture
def start_worker(transactional_db, tmp_path):
    """Starts real `celery -A tasks worker` processes on Redis (REDIS_URL, or `broker_url`),
    reading the test database; `beat=True` runs the periodic sweep too, every
    FIGURES_SWEEP_SECONDS (2 s); `pool="prefork"` runs two processes, as in production."""
    workers = []

    def start(
        *, beat: bool = False, broker_url: str | None = None, pool: str = "solo"
    ) -> subprocess.Popen:
        if broker_url is None:
            broker_url = os.environ.get("REDIS_URL")
            require("Redis (set REDIS_URL)", redis_is_up(broker_url))
        number = len(workers)
        log = (tmp_path / f"worker{number}.log").open("w")
        command = [sys.executable, "-m", "celery", "-A", "tasks", "worker", f"--pool={pool}",
                   "--without-gossip", "--without-mingle", "--loglevel=INFO"]  # fmt: skip
        if pool == "prefork":
            command.append("--concurrency=2")
        if beat:
            command += ["--beat", "--schedule", str(tmp_path / f"beat{number}")]
        worker = subprocess.Popen(
            command, env=service_env(redis_url=broker_url), cwd=settings.BASE_DIR,
            stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip
        workers.append((worker, log))
        return worker

    from tracker.services.figures import figures_forget_queued

    celery_app.conf.task_always_eager = False
    if redis_is_up(settings.REDIS_URL):
        figures_forget_queued()  # no refresh is queued that an earlier test enqueued
    try:
        yield start
    finally:
        celery_app.conf.task_always_eager = True
        for worker, log in workers:
            stop(worker)
            log.close()


@pytest.fixture
def celery_worker(start_worker):
    """One real worker, started."""
    return start_worker()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def scenario(db, django_capture_on_commit_callbacks) -> None:
    """The founding scenario (README) on the shipped areas, with its figures: what the dashboard
    opens on and the README's numbers come from."""
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_scenario", verbosity=0)
