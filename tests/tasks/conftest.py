"""Fixtures shared with the fault tests: a Redis server of the test's own, gunicorn."""

from tests.faults.conftest import private_redis, start_web  # noqa: F401
