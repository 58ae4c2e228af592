"""The load test's short mode (README, "Benchmarks"): it starts the recipe itself, sends mixed
traffic through nginx, and passes only when no request failed, every accepted submission is
stored and the figures show every verified one. Its timings are printed, never asserted."""

import shutil
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import require

pytestmark = [pytest.mark.slow, pytest.mark.services]


def test_the_load_test_runs_through_the_recipe_without_a_failed_request():
    require("PostgreSQL (set DATABASE_URL)", connection.vendor == "postgresql")
    require("nginx (apt-get install nginx)", shutil.which("nginx") is not None)
    database = f"{connection.settings_dict['NAME']}_load"  # beside this run's test database
    ran = subprocess.run(
        [sys.executable, "-m", "bench.load", "--seconds", "20", "--users", "4",
         "--web-concurrency", "2", "--database", database],
        cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stdout[-5000:] + ran.stderr[-5000:]
    out = ran.stdout
    for endpoint in ("/figures/daily/", "/reports/", "/reports/{id}/verify/"):
        assert f" {endpoint} " in out, out
    assert "verification to its figure:" in out and " 0 missing;" in out, out
    assert "0 cell(s) differ from a rebuild" in out and "0 problem(s)" in out, out
