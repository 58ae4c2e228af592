"""Backups: bin/backup dumps the database, bin/restore loads the dump into a fresh database and
checks it. The restored copy holds the same reports, history, tokens and figures, and
`rebuild_figures --check` finds nothing to mend in it."""

import subprocess
from collections import Counter
from urllib.parse import urlsplit

import psycopg2
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from tests.conftest import database_url, require, service_env
from tracker import services
from tracker.models import Area, Report, ReportStatus, User

BIN = settings.BASE_DIR / "bin"
FIXTURES = settings.BASE_DIR / "fixtures"
# Every table a restore must bring back row for row (figures are derived, but a restored service
# must answer the same figures before any refresh).
TABLES = (
    "tracker_agency",
    "tracker_user",
    "tracker_report",
    "tracker_historicalreport",
    "tracker_reportrevision",
    "tracker_apitoken",
    "tracker_dailyfigure",
)


def rows(url: str, table: str) -> list[tuple]:
    with psycopg2.connect(url) as db, db.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} ORDER BY 1")
        return cursor.fetchall()


def admin(url: str, sql: str) -> None:
    db = psycopg2.connect(urlsplit(url)._replace(path="/postgres").geturl())
    db.autocommit = True
    try:
        with db.cursor() as cursor:
            cursor.execute(sql)
    finally:
        db.close()


def run(*command, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(part) for part in command], env=env, cwd=settings.BASE_DIR,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.fixture
def founding_scenario(transactional_db):
    """The founding scenario, with a withdrawal, a pending revision and tokens besides."""
    require("PostgreSQL (set DATABASE_URL)", connection.vendor == "postgresql")
    if not Area.objects.filter(pcode="SY07").exists():  # an earlier transactional test flushed
        call_command("load_areas", FIXTURES / "syria_areas.csv", stdout=None,
                     aliases=FIXTURES / "syria_area_aliases.csv")  # fmt: skip
    call_command("load_scenario", stdout=None)
    verified = Report.objects.filter(status=ReportStatus.VERIFIED).order_by("id")
    services.report_withdraw(
        report=verified[0], user=User.objects.get(pk=verified[0].submitted_by_id), reason="copy"
    )
    revised = verified[1]
    services.report_update(
        report=revised, user=revised.submitted_by, killed=(revised.killed or 0) + 1
    )
    services.user_issue_token(username="backup-viewer", agency_code="OCHA", role="viewer")


@pytest.mark.services
@pytest.mark.slow
def test_a_backup_restores_into_a_fresh_database_with_the_same_reports(founding_scenario, tmp_path):
    source = database_url(connection.settings_dict)
    target = urlsplit(source)._replace(path=f"/{connection.settings_dict['NAME']}_restored")
    target = target.geturl()
    env = service_env(redis_url=None)
    admin(source, f'DROP DATABASE IF EXISTS "{urlsplit(target).path[1:]}" WITH (FORCE)')
    dump = tmp_path / "tracker.dump"
    try:
        backup = run(BIN / "backup", dump, env=env)
        assert backup.returncode == 0, backup.stderr
        restore = run(BIN / "restore", dump, target, env=env)
        assert restore.returncode == 0, restore.stderr + restore.stdout
        assert "0 cell(s) differ from a rebuild." in restore.stdout

        statuses = Counter(row.status for row in Report.objects.all())
        assert statuses[ReportStatus.WITHDRAWN] == 1 and sum(statuses.values()) == 17
        for table in TABLES:
            original = rows(source, table)
            assert original, f"{table} is empty: the test proves nothing about it"
            assert rows(target, table) == original, table

        check = run(".venv/bin/python", "manage.py", "rebuild_figures", "--check",
                    env={**env, "DATABASE_URL": target})  # fmt: skip
        assert check.returncode == 0, check.stderr
        assert check.stdout.strip() == "0 cell(s) differ from a rebuild."

        # A second restore into the same database is refused and changes nothing in it.
        before = rows(target, "tracker_report")
        again = run(BIN / "restore", dump, target, env=env)
        assert again.returncode == 1 and "nothing was restored" in again.stderr
        assert rows(target, "tracker_report") == before
    finally:
        admin(source, f'DROP DATABASE IF EXISTS "{urlsplit(target).path[1:]}" WITH (FORCE)')


def test_backup_refuses_what_it_cannot_back_up(tmp_path):
    env = {**service_env(redis_url=None), "DATABASE_URL": "sqlite:///tracker.sqlite3"}
    refused = run(BIN / "backup", tmp_path / "tracker.dump", env=env)
    assert refused.returncode == 2
    assert "not a PostgreSQL database" in refused.stderr
    assert not (tmp_path / "tracker.dump").exists()
    not_a_dump = tmp_path / "notes.txt"
    not_a_dump.write_text("not a backup")
    refused = run(BIN / "restore", not_a_dump, "postgres://127.0.0.1/x", env=env)
    assert refused.returncode == 2 and "not a backup made by bin/backup" in refused.stderr
