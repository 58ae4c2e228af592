"""Fixtures shared with the fault tests: a Redis server of the test's own."""

from tests.faults.conftest import private_redis  # noqa: F401
