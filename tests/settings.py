"""Test settings: the real settings, with a test key and tasks in-process unless a test says so."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key")
# The tests and the processes they start serve plain HTTP on loopback (README, "Settings").
os.environ.setdefault("HTTPS", "false")

from tracker.settings import *  # noqa: F403
from tracker.settings import BASE_DIR, DATABASES

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so a worker started by a test reads the same test database.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test-tracker.sqlite3")}

# Ordinary tests run tasks in-process; tests that need a real worker switch this off themselves.
CELERY_TASK_ALWAYS_EAGER = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if REDIS_URL:  # noqa: F405
    from urllib.parse import urlsplit

    # Tests clear the cache between them: keep it out of the broker's Redis database (15 unless
    # TEST_CACHE_DB names another, so that two checkouts can run their suites side by side).
    cache_db = os.environ.get("TEST_CACHE_DB", "15")
    CACHES["default"]["LOCATION"] = urlsplit(REDIS_URL)._replace(path=f"/{cache_db}").geturl()  # noqa: F405
