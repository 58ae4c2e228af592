"""Bulk imports run by real workers: 200,000 rows imported and then corrected through the job
resource, concurrent uploads naming the same new external_ids, and jobs whose message was lost
or whose worker died."""

import json
import threading
import time
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.api.conftest import client_for
from tests.conftest import wait_until
from tests.factories import AgencyFactory, AreaFactory, UserFactory, token_for
from tracker.models import ImportJob, Report, Role
from tracker.services import imports

pytestmark = pytest.mark.services
URL = "/api/v1/reports/bulk/"
FIRST_DAY = date(2024, 1, 1)


@pytest.fixture
def districts():
    country = AreaFactory()
    governorates = [AreaFactory(parent=country) for _ in range(5)]
    return [AreaFactory(parent=governorates[n % 5]) for n in range(50)]


@pytest.fixture
def reporter():
    return UserFactory(agency=AgencyFactory(code="BULK"), role=Role.REPORTER)


def rows(districts, count: int, *, killed: int = 0, prefix: str = "R") -> list[dict]:
    """`count` reports, no two the same statement: one area and day each."""
    return [
        {"area": districts[n % len(districts)].pcode,
         "period_start": (FIRST_DAY + timedelta(days=n // len(districts) % 300)).isoformat(),
         "killed": n % 97 + killed, "injured": n % 13, "external_id": f"{prefix}-{n}"}
        for n in range(count)
    ]  # fmt: skip


def follow(client, response, seconds: float = 900) -> tuple[dict, set]:
    """The job once finished, and the (status, phase) pairs seen on the way."""
    assert response.status_code == 202, response.content[:500]
    location, seen, job = response["Location"], set(), {}

    def finished():
        """the import job finished"""
        nonlocal job
        job = client.get(location).json()
        seen.add((job["status"], job["phase"]))
        return job["status"] in ("done", "failed")

    wait_until(finished, seconds)
    return job, seen


@pytest.mark.slow
def test_200000_rows_imported_then_corrected_through_the_job(celery_worker, districts, reporter):
    api = client_for(reporter)
    count = 200_000
    job, seen = follow(api, api.post(URL, rows(districts, count), format="json"))
    assert (job["status"], job["created"], job["rejected"]) == ("done", count, 0), job
    assert {("running", "checking"), ("running", "writing")} & seen, seen
    assert Report.objects.filter(agency=reporter.agency).count() == count
    assert Report.history.filter(history_type="+").count() == count

    started = time.monotonic()
    body = rows(districts, count, killed=1)
    job, _ = follow(api, api.post(URL, body, format="json"))
    assert (job["status"], job["updated"], job["created"], job["rejected"]) == (
        "done", count, 0, 0,
    ), job  # fmt: skip
    assert time.monotonic() - started < 900
    sample = Report.objects.get(external_id="R-12345")
    assert (sample.killed, sample.status) == (12345 % 97 + 1, "pending")
    assert Report.objects.count() == count
    corrected = Report.history.filter(history_change_reason="corrected")
    assert corrected.count() == count
    assert list(sample.history.order_by("history_id").values_list("killed", flat=True)) == [
        12345 % 97, 12345 % 97 + 1,
    ]  # fmt: skip


@pytest.mark.slow
def test_concurrent_jobs_with_the_same_new_external_ids_give_one_report_each(
    start_worker, districts, reporter
):
    start_worker(pool="prefork")  # two processes: both jobs run at once
    api = client_for(reporter)
    body = rows(districts, 3000)
    responses, barrier = [], threading.Barrier(2)

    def upload():
        barrier.wait()
        try:
            responses.append(api.post(URL, body, format="json"))
        finally:
            connection.close()

    threads = [threading.Thread(target=upload) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    jobs = sorted((follow(api, response)[0] for response in responses), key=lambda j: j["created"])
    assert [(j["status"], j["created"], j["unchanged"], j["rejected"]) for j in jobs] == [
        ("done", 0, 3000, 0), ("done", 3000, 0, 0),
    ]  # fmt: skip
    assert Report.objects.count() == 3000
    assert Report.objects.values("external_id").distinct().count() == 3000


@pytest.mark.slow
def test_concurrent_uploads_answered_at_once_give_one_report_each(start_web, districts, reporter):
    """Through gunicorn, two synchronous uploads with the same new external_ids: was a 500 (an
    uncaught unique violation from COPY) four times in four."""
    web = start_web(redis_url=None)
    token = token_for(reporter)
    body = rows(districts, 800)
    answers, barrier = [], threading.Barrier(2)

    def upload():
        barrier.wait()
        answers.append(web.call("POST", URL, token, body))

    threads = [threading.Thread(target=upload) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcomes = sorted((a.status, a.body["created"], a.body["unchanged"]) for a in answers)
    assert outcomes == [(200, 0, 800), (200, 800, 0)], [a.body for a in answers]
    assert Report.objects.count() == 800


def test_the_sweep_sends_again_jobs_whose_message_was_lost_or_whose_worker_died(
    celery_worker, districts, reporter, monkeypatch
):
    def stored(count: int, prefix: str, killed: int) -> ImportJob:
        data = json.dumps(rows(districts, count, prefix=prefix, killed=killed)).encode()
        return imports.import_job_create(
            agency=reporter.agency, user=reporter, format="json", data=data, rows=count,
            dry_run=False, atomic=True, body_hash=prefix,
        )  # fmt: skip

    with monkeypatch.context() as broker:
        broker.setattr(imports, "_send", lambda job_id: None)  # messages the broker lost
        lost, dead = stored(5, "L", killed=0), stored(7, "D", killed=100)
    long_ago = timezone.now() - timedelta(hours=1)
    ImportJob.objects.filter(pk=lost.pk).update(enqueued_at=long_ago)
    # As if its worker had died running it: its transaction, and all it wrote, died with it.
    ImportJob.objects.filter(pk=dead.pk).update(status="running", heartbeat_at=long_ago, attempts=1)
    assert imports.imports_sweep() == 2

    def both_done():
        """both jobs done"""
        return set(ImportJob.objects.values_list("status", flat=True)) == {"done"}

    wait_until(both_done)
    lost.refresh_from_db()
    dead.refresh_from_db()
    assert (lost.created, dead.created, dead.attempts) == (5, 7, 2)
    assert Report.objects.count() == 12
    assert imports.imports_sweep() == 0
