"""Retry-safe submission from bad connections: idempotency keys, external ids, ETags."""

import hashlib
import json
import threading

import psycopg2
import pytest
from django.db import OperationalError, connection

from api import idempotency
from api.models import IdempotencyRecord
from tests.api.conftest import client_for
from tests.conftest import ON_CI, require
from tests.factories import AreaFactory, UserFactory
from tracker.models import Report, Role

URL = "/api/v1/reports/"
BODY = {"area": "ZZ0101", "period_start": "2024-11-28", "displaced": 120}


@pytest.mark.django_db
def test_same_key_same_body_replays_the_first_answer(api, areas):
    first = api.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Report.objects.count() == 1


@pytest.mark.django_db
def test_same_key_other_body_is_422(api, areas):
    api.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    other = api.post(URL, {**BODY, "displaced": 5}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 422
    assert Report.objects.get().displaced == 120


@pytest.mark.django_db
def test_keys_are_scoped_to_the_caller(api, areas, agency):
    colleague = client_for(UserFactory(agency=agency, role=Role.REPORTER))
    body = {**BODY, "duplicate": "confirmed"}  # the colleague's is the same statement again
    api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert colleague.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1").status_code == 201
    assert Report.objects.count() == 2


@pytest.mark.django_db
def test_a_refused_request_is_replayed_as_refused(api, areas):
    bad = {**BODY, "displaced": -1}
    first = api.post(URL, bad, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    again = api.post(URL, bad, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert first.status_code == again.status_code == 400
    assert again.json() == first.json()


@pytest.mark.django_db
def test_a_stale_if_match_is_412_and_the_current_one_works(api, areas):
    created = api.post(URL, BODY, format="json").json()
    url = f"{URL}{created['id']}/"
    tag = api.get(url)["ETag"]
    assert api.patch(url, {"displaced": 130}, format="json", HTTP_IF_MATCH=tag).status_code == 200
    stale = api.patch(url, {"displaced": 140}, format="json", HTTP_IF_MATCH=tag)
    assert stale.status_code == 412
    assert Report.objects.get().displaced == 130
    fresh = api.get(url)["ETag"]
    assert fresh != tag
    assert api.put(url, BODY, format="json", HTTP_IF_MATCH=fresh).status_code == 200


def fifty_at_once(post) -> list[int]:
    """Send 50 requests from 50 threads at the same moment; return their status codes."""
    start, codes = threading.Barrier(50), []

    def send():
        start.wait()
        try:
            codes.append(post().status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return codes


@pytest.fixture
def concurrent_setup(transactional_db):
    if ON_CI:
        require("PostgreSQL (set DATABASE_URL)", connection.vendor == "postgresql")
    AreaFactory(pcode="ZZ0101", parent=AreaFactory(pcode="ZZ01", parent=AreaFactory(pcode="ZZ")))
    return client_for(UserFactory(role=Role.REPORTER))


def test_fifty_concurrent_posts_with_one_key_leave_one_report(concurrent_setup):
    api = concurrent_setup
    codes = fifty_at_once(lambda: api.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="same"))
    assert Report.objects.count() == 1
    assert set(codes) <= {201, 409} and 201 in codes, codes


def test_fifty_concurrent_posts_with_one_external_id_leave_one_report(concurrent_setup):
    api = concurrent_setup
    body = {**BODY, "external_id": "SRC-77"}
    codes = fifty_at_once(lambda: api.post(URL, body, format="json"))
    assert Report.objects.count() == 1
    assert sorted(set(codes)) == [200, 201] and codes.count(201) == 1, codes


@pytest.mark.django_db
def test_a_key_covers_the_query_string(api, areas):
    """A dry run and the real upload are two requests, whatever key they share."""
    bulk, headers = URL + "bulk/", {"HTTP_IDEMPOTENCY_KEY": "upload-1"}
    checked = api.post(bulk + "?dry_run=true", [BODY], format="json", **headers)
    assert checked.status_code == 200 and checked.json()["dry_run"] is True
    written = api.post(bulk + "?dry_run=false", [BODY], format="json", **headers)
    assert written.status_code == 200 and "Idempotent-Replayed" not in written
    assert written.json()["dry_run"] is False and Report.objects.count() == 1
    again = api.post(bulk + "?atomic=true&dry_run=true", [BODY], format="json", **headers)
    spelt = api.post(bulk + "?dry_run=true&atomic=true", [BODY], format="json", **headers)
    assert spelt["Idempotent-Replayed"] == "true" and spelt.content == again.content
    assert Report.objects.count() == 1


@pytest.mark.django_db
def test_a_database_failure_frees_the_key(api, areas, monkeypatch):
    from tracker import services

    monkeypatch.setattr(services, "report_submit", fail_with(OperationalError("restarting")))
    failed = api.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-db")
    assert failed.status_code == 503 and failed["Retry-After"]
    monkeypatch.undo()
    retried = api.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-db")
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried


def fail_with(error):
    def fail(**kwargs):
        raise error

    return fail


@pytest.fixture
def postgres():
    require("PostgreSQL (set DATABASE_URL)", connection.vendor == "postgresql")


@pytest.mark.django_db
def test_a_key_whose_request_died_is_taken_over_at_once(postgres, api, areas, reporter):
    """Its record is still "in flight", but no request holds its lease: the worker was killed,
    or the database restarted under it."""
    IdempotencyRecord.objects.create(user=reporter, method="POST", path=URL, key="k-died",
                                     body_hash=body_hash(BODY))  # fmt: skip
    retried = api.post(URL, RAW, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-died")
    assert retried.status_code == 201
    assert IdempotencyRecord.objects.get(key="k-died").status == 201


@pytest.mark.django_db
def test_a_key_whose_request_runs_is_409(postgres, api, areas, reporter):
    IdempotencyRecord.objects.create(user=reporter, method="POST", path=URL, key="k-runs",
                                     body_hash=body_hash(BODY))  # fmt: skip
    lease = idempotency._lease_id({"user": reporter, "method": "POST", "path": URL, "query": "",
                                   "key": "k-runs"})  # fmt: skip
    holder = psycopg2.connect(**connection.get_connection_params())  # another request's
    try:
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [lease])
        running = api.post(URL, RAW, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-runs")
        assert running.status_code == 409
        other = api.post(URL, {**BODY, "killed": 1}, format="json", HTTP_IDEMPOTENCY_KEY="k-runs")
        assert other.status_code == 422
    finally:
        holder.close()  # the request ends without an answer
    again = api.post(URL, RAW, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-runs")
    assert again.status_code == 201


RAW = json.dumps(BODY)


def body_hash(body: dict) -> str:
    return hashlib.sha256(b"application/json\n" + json.dumps(body).encode()).hexdigest()
