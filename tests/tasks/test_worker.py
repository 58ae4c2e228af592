"""Tasks round-trip through a real worker on Redis, which reads the same database as the web."""

import pytest
from django.db import connection

from tasks.health import health
from tests.conftest import ON_CI, require
from tests.factories import ReportFactory
from tracker.selectors import service_health


def test_a_real_worker_answers_from_the_same_database(celery_worker):
    ReportFactory.create_batch(3)
    answer = health.delay().get(timeout=60)
    assert answer == service_health()
    assert answer["reports"] == 3


@pytest.mark.django_db
def test_ci_runs_on_postgresql():
    if ON_CI:
        require("PostgreSQL (set DATABASE_URL)", connection.vendor == "postgresql")
    else:
        pytest.skip("only CI must run on PostgreSQL")
