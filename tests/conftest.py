import os
import subprocess
import sys
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
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


@pytest.fixture
def start_worker(transactional_db, tmp_path):
    """Starts real `celery -A tasks worker` processes on Redis, reading the test database;
    `start_worker(beat=True)` runs the periodic sweep too, every FIGURES_SWEEP_SECONDS (2 s)."""
    redis_url = os.environ.get("REDIS_URL")
    require("Redis (set REDIS_URL)", redis_is_up(redis_url))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tracker.settings",
        "SECRET_KEY": "tests-only-secret-key",
        "DATABASE_URL": database_url(connection.settings_dict),
        "REDIS_URL": redis_url,
        "FIGURES_SWEEP_SECONDS": "2",
    }
    workers = []

    def start(*, beat: bool = False) -> subprocess.Popen:
        number = len(workers)
        log = (tmp_path / f"worker{number}.log").open("w")
        command = [sys.executable, "-m", "celery", "-A", "tasks", "worker", "--pool=solo",
                   "--without-gossip", "--without-mingle", "--loglevel=INFO"]  # fmt: skip
        if beat:
            command += ["--beat", "--schedule", str(tmp_path / f"beat{number}")]
        worker = subprocess.Popen(command, env=env, cwd=settings.BASE_DIR, stdout=log, stderr=log)
        workers.append((worker, log))
        return worker

    from tracker.services.figures import figures_forget_queued

    celery_app.conf.task_always_eager = False
    figures_forget_queued()  # no refresh is queued that an earlier test enqueued
    try:
        yield start
    finally:
        celery_app.conf.task_always_eager = True
        for worker, log in workers:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
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
