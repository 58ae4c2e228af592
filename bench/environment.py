"""The benchmark's own PostgreSQL database, Redis database and users.

The PostgreSQL server comes from DATABASE_URL (when it is a PostgreSQL URL), else
postgres://postgres@127.0.0.1:5432; the database is BENCH_DB_NAME (default `tracker_bench`:
give each checkout that benches at the same time its own), created and dropped here.
Redis is BENCH_REDIS_URL, default redis://127.0.0.1:6379/15, so nothing reaches a developer's queue.
"""

import os
from urllib.parse import urlsplit

import psycopg2
import redis

DB_NAME = os.environ.get("BENCH_DB_NAME", "tracker_bench")
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"
# Loose enough that the throttle runs on every request but never refuses one.
RATE_LIMIT = "1000000000/min"

# username: (agency, role)
USERS = {
    "bench-reporter": ("BENCH", "reporter"),  # creation: the API and the minimal view alike
    "bench-bulk": ("BENCHBULK", "reporter"),
    "bench-lister": ("BENCHLIST", "reporter"),
    "bench-viewer": ("BENCHVIEW", "viewer"),
    "bench-verifier": ("BENCHVERIFY", "verifier"),
}


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = DEFAULT_SERVER
    return urlsplit(url)._replace(path="/" + DB_NAME).geturl()


def redis_url() -> str | None:
    url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS)
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        return None
    return url


def configure() -> dict[str, str]:
    """Point this process and its children at the bench database; returns what was chosen."""
    chosen = {"DATABASE_URL": database_url(), "REDIS_URL": redis_url() or ""}
    os.environ.update(
        chosen,
        DJANGO_SETTINGS_MODULE="bench.settings",
        DEBUG="false",
        HTTPS="false",  # plain HTTP on loopback
        API_RATE_LIMIT=RATE_LIMIT,
        SECRET_KEY=os.environ.get("SECRET_KEY") or "bench-only-secret-key",
    )
    return chosen


def admin(sql: str) -> None:
    """Run `sql` (CREATE or DROP DATABASE) on the server of DATABASE_URL, outside a transaction."""
    server = urlsplit(database_url())._replace(path="/postgres").geturl()
    connection = psycopg2.connect(server)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


def create_database() -> None:
    drop_database()
    admin(f"CREATE DATABASE {DB_NAME}")


def drop_database() -> None:
    admin(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def migrate_and_seed_users() -> dict[str, str]:
    """`manage.py migrate` on the bench database, then a token for each user (after setup)."""
    from django.core.management import call_command

    from tracker.models import Role
    from tracker.services import user_issue_token

    call_command("migrate", verbosity=0, interactive=False)
    return {
        username: user_issue_token(username=username, agency_code=agency, role=Role(role))
        for username, (agency, role) in USERS.items()
    }
