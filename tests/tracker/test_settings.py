"""Start-up refuses a missing or malformed setting with a message that names it."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

CHECK = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "CRITICAL"]


def start(**env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    clean["DJANGO_SETTINGS_MODULE"] = "tracker.settings"
    return subprocess.run(
        CHECK,
        env={**clean, **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_without_secret_key_does_not_start():
    result = start(DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
        ({"SECRET_KEY": "k", "TIME_ZONE": "Mars/Olympus"}, "TIME_ZONE='Mars/Olympus'"),
        (
            {"SECRET_KEY": "k", "MAX_BODY_BYTES": "lots"},
            "MAX_BODY_BYTES='lots' is not a whole number",
        ),
        ({"SECRET_KEY": "k", "REDIS_TIMEOUT": "soon"}, "REDIS_TIMEOUT='soon' is not a number"),
        ({"SECRET_KEY": "k", "LOG_FORMAT": "xml"}, "LOG_FORMAT='xml' is not json or text"),
        ({"SECRET_KEY": "k", "HTTPS": "sometimes"}, "HTTPS='sometimes' is not a boolean"),
        ({"SECRET_KEY": "k", "METRICS_TOKEN": "short"}, "METRICS_TOKEN is shorter than 32"),
        ({"SECRET_KEY": "k", "PUBLIC_RATE": "lots"}, "PUBLIC_RATE='lots' is not a rate"),
        ({"SECRET_KEY": "k", "PUBLIC_MAX_LEVEL": "4"}, "PUBLIC_MAX_LEVEL=4 is not between 0"),
        ({"SECRET_KEY": "k", "PUBLIC_MIN_COUNT": "0"}, "PUBLIC_MIN_COUNT=0 is not between 1"),
    ],
)
def test_malformed_values_stop_start_up(env, message):
    result = start(**env)
    assert result.returncode != 0
    assert message in result.stderr


def test_starts_with_a_secret_key_and_debug_off():
    result = start(SECRET_KEY="a-long-random-production-key", DEBUG="false")
    assert result.returncode == 0, result.stderr
