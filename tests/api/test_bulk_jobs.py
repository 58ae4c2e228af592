"""Uploads over BULK_SYNC_ROWS: 202, stored, run (here in-process, as without a broker) and
followed at the job's resource."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from api.models import IdempotencyRecord
from tests.api.conftest import client_for
from tests.factories import UserFactory
from tracker.models import ImportChunk, ImportJob, Report, Role
from tracker.services import imports

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/bulk/"
ROWS = [
    {"area": "ZZ0101", "period_start": "2024-11-27", "killed": 4, "external_id": "A"},
    {"area": "ZZ0102", "period_start": "2024-11-27", "displaced": 70, "external_id": "B"},
    {"area": "ZZ01", "period_start": "2024-11-26", "period_end": "2024-11-28", "injured": 9},
]
CSV = (
    "area,period_start,period_end,killed,displaced,injured,external_id\n"
    "ZZ0101,2024-11-27,,4,,,A\nZZ0102,2024-11-27,,,70,,B\nZZ01,2024-11-26,2024-11-28,,,9,\n"
)


@pytest.fixture(autouse=True)
def _small_sync_limit(settings):
    settings.BULK_SYNC_ROWS = 2  # three rows make a job


@pytest.fixture
def run_jobs(django_capture_on_commit_callbacks):
    """Posts with the job run once its storing commits (in-process, as without a broker)."""

    def post(client, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(*args, **kwargs)

    return post


def followed(api, response) -> dict:
    assert response.status_code == 202, response.content[:500]
    job = api.get(response["Location"])
    assert job.status_code == 200
    return job.json()


def test_a_large_upload_is_accepted_then_followed_to_its_summary(api, areas, run_jobs):
    response = run_jobs(api, URL, ROWS, format="json")
    assert response.status_code == 202
    accepted = response.json()
    assert response["Location"] == f"{URL}{accepted['id']}/"
    assert (accepted["status"], accepted["rows"], accepted["summary"]) == ("queued", 3, None)
    assert response["Retry-After"] == "2"
    job = followed(api, response)
    assert (job["status"], job["percent"], job["rows_done"], job["format"]) == (
        "done",
        100,
        3,
        "json",
    )
    assert job["summary"] == {
        "dry_run": False, "atomic": True, "created": 3, "updated": 0, "unchanged": 0,
        "rejected": 0, "errors": [],
    }  # fmt: skip
    assert (job["created"], job["errors_omitted"], job["finished_at"] is not None) == (3, 0, True)
    assert Report.objects.count() == 3
    assert Report.objects.get(external_id="A").history.get().history_user.username == "reporter"
    assert not ImportChunk.objects.exists()  # the stored upload goes once the job is done


def test_csv_bodies_and_files_make_jobs_too(api, areas, run_jobs):
    job = followed(api, run_jobs(api, URL, CSV, content_type="text/csv"))
    assert (job["format"], job["summary"]["created"]) == ("csv", 3)
    Report.objects.update(external_id="", status="withdrawn")
    upload = SimpleUploadedFile("reports.csv", CSV.encode(), content_type="text/csv")
    job = followed(api, run_jobs(api, URL, {"file": upload}, format="multipart"))
    assert job["summary"]["created"] == 3
    assert Report.objects.exclude(status="withdrawn").count() == 3


def test_a_job_keeps_the_first_errors_and_counts_them_all(api, areas, run_jobs, monkeypatch):
    monkeypatch.setattr(imports, "ERRORS_KEPT", 2)
    bad = [
        *ROWS,
        *({"area": "ZZ9999", "period_start": "2024-11-27", "killed": n} for n in range(3)),
    ]
    job = followed(api, run_jobs(api, URL, bad, format="json"))
    assert (job["status"], job["rejected"], job["errors_omitted"]) == ("done", 3, 1)
    assert [error["row"] for error in job["errors"]] == [4, 5]
    assert "area" in job["errors"][0]["errors"]
    assert (job["created"], job["summary"]["created"]) == (0, 0)  # all or nothing
    assert not Report.objects.exists()
    kept = followed(api, run_jobs(api, URL + "?atomic=false", bad, format="json"))
    assert (kept["created"], kept["rejected"], kept["atomic"]) == (3, 3, False)


def test_a_dry_run_job_writes_nothing(api, areas, run_jobs):
    job = followed(api, run_jobs(api, URL + "?dry_run=true", ROWS, format="json"))
    assert (job["dry_run"], job["created"]) == (True, 3)
    assert not Report.objects.exists()


def test_a_job_is_seen_by_its_agency_only(api, areas, run_jobs, other_agency, agency):
    location = run_jobs(api, URL, ROWS, format="json")["Location"]
    viewer = client_for(UserFactory(agency=agency, role=Role.VIEWER))
    assert viewer.get(location).status_code == 200
    stranger = client_for(UserFactory(agency=other_agency, role=Role.REPORTER))
    assert stranger.get(location).status_code == 404
    assert api.get(f"{URL}999999/").status_code == 404


def test_a_retried_upload_with_the_same_key_gets_the_same_job(api, areas, run_jobs):
    first = run_jobs(api, URL, ROWS, format="json", HTTP_IDEMPOTENCY_KEY="upload-7")
    again = run_jobs(api, URL, ROWS, format="json", HTTP_IDEMPOTENCY_KEY="upload-7")
    assert (again.status_code, again["Location"]) == (202, first["Location"])
    assert again["Idempotent-Replayed"] == "true"
    # The first answer is gone (purged after a day, or lost to a server error): still the job.
    IdempotencyRecord.objects.all().delete()
    later = run_jobs(api, URL, ROWS, format="json", HTTP_IDEMPOTENCY_KEY="upload-7")
    assert (later.status_code, later["Location"]) == (202, first["Location"])
    assert later.json()["status"] == "done"
    IdempotencyRecord.objects.all().delete()
    other = run_jobs(api, URL, ROWS[:1] * 3, format="json", HTTP_IDEMPOTENCY_KEY="upload-7")
    assert other.status_code == 422
    assert ImportJob.objects.count() == 1 and Report.objects.count() == 3


@pytest.mark.parametrize(
    ("body", "content_type", "field", "message"),
    [
        ("[" + "{}," * 200_000 + "{}]", "application/json", "rows", "At most 200000"),
        (json.dumps(ROWS)[:-1] + ", 5", "application/json", "body", "JSON parse error"),
        (json.dumps(ROWS) + " []", "application/json", "body", "Extra data"),
        (CSV + "ZZ0101,2024-11-27,,,,,,extra\n", "text/csv", "body", "line 5 has more cells"),
        (CSV + "ZZ0101,2024-11-27,,\x00,,,\n", "text/csv", "body", "NUL"),
        ('{"notes": "%s"}' % ("x" * 2_000_000), "application/json", "body", "JSON list"),
    ],
)
def test_a_bad_large_upload_is_400_and_stores_nothing(
    api, areas, body, content_type, field, message
):
    response = api.post(URL, body, content_type=content_type)
    assert response.status_code == 400
    assert list(response.json()) == [field] and message in response.json()[field][0]
    assert not ImportJob.objects.exists() and not Report.objects.exists()


def test_json_nested_in_a_later_row_is_400(api, areas):
    deep = [
        *ROWS,
        {
            "area": "ZZ0101",
            "notes": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
        },
    ]
    response = api.post(URL, deep, format="json")
    assert response.status_code == 400 and "nested" in response.json()["body"][0]
    assert not ImportJob.objects.exists()


def test_a_job_is_stored_until_a_worker_takes_it(api, areas):
    body = json.dumps(ROWS)
    queued = api.post(URL, body, content_type="application/json")
    assert queued.status_code == 202 and queued.json()["status"] == "queued"
    job = ImportJob.objects.get()
    assert (job.rows, job.body_bytes, job.format) == (3, len(body), "json")
    assert imports.import_upload(job) == body.encode()
    assert not Report.objects.exists()
