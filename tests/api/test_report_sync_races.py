"""The report sync feed under concurrent writes, each writer on its own database connection
(README, "Syncing reports"): a transaction that commits late is not passed by, and a sync racing
with verifications and rejections ends with every report in its latest version, none lost and
no version served twice."""

import random
import threading
import time
from collections import Counter

import pytest
from django.db import connection, transaction

from tests.api.conftest import client_for
from tests.conftest import ON_CI, require
from tests.factories import AgencyFactory, AreaFactory, ReportFactory, UserFactory
from tracker import services
from tracker.models import Report, Role

URL = "/api/v1/reports/"
EPOCH = "1900-01-01T00:00:00Z"


@pytest.fixture
def on_postgresql(transactional_db):
    require("PostgreSQL (set DATABASE_URL)", connection.vendor == "postgresql")


@pytest.fixture
def committed(transactional_db):
    """Each writer commits on its own connection: PostgreSQL on CI, SQLite's turns elsewhere."""
    if ON_CI:
        require("PostgreSQL (set DATABASE_URL)", connection.vendor == "postgresql")


@pytest.fixture
def agency_reports():
    agency = AgencyFactory(code="OCHA")
    reporter = UserFactory(agency=agency, role=Role.REPORTER)
    area = AreaFactory(parent=AreaFactory())
    return reporter, lambda n: ReportFactory.create_batch(
        n, agency=agency, submitted_by=reporter, area=area
    )


def read_on(api, url: str) -> dict:
    return api.get(url).json()


def test_a_late_commit_is_not_passed_by(on_postgresql, agency_reports, settings):
    """A verifier's transaction stamps a report, then stays open while another report is
    written and committed after it; a client syncing meanwhile must not pass the first report
    by. No margin: the open transaction alone holds the feed back."""
    settings.SYNC_MARGIN_SECONDS = 0
    reporter, reports_of = agency_reports
    late, _ = reports_of(2)
    verifier = UserFactory(agency=reporter.agency, role=Role.VERIFIER)
    api = client_for(reporter)
    stamped, release = threading.Event(), threading.Event()

    def slow_verifier():
        try:
            with transaction.atomic():
                services.report_reject(report=late, user=verifier, reason="counted twice")
                stamped.set()
                release.wait(30)
        finally:
            connection.close()

    page = read_on(api, f"{URL}?updated_since={EPOCH}&page_size=1")
    writer = threading.Thread(target=slow_verifier)
    writer.start()
    try:
        assert stamped.wait(30)
        quick = reports_of(1)[0]  # written and committed after the open transaction stamped
        served = []
        for _ in range(5):  # the client reads on, and finds it has caught up
            page = read_on(api, page["next"])
            served += [r["id"] for r in page["results"]]
        assert page["caught_up"] and quick.pk not in served
    finally:
        release.set()
        writer.join(30)
    rest = []
    while True:
        page = read_on(api, page["next"])
        rest += [(r["id"], r["status"]) for r in page["results"]]
        if page["caught_up"]:
            break
    assert rest == [(late.pk, "rejected"), (quick.pk, "pending")]


def test_a_sync_racing_with_verifications_and_rejections_loses_nothing(committed, agency_reports):
    """With the default margin, a client pages (3 reports a page) while a verifier verifies
    and rejects reports through the API; then it reads on until caught up."""
    reporter, reports_of = agency_reports
    ids = [report.pk for report in reports_of(40)]
    verifier_api = client_for(UserFactory(agency=reporter.agency, role=Role.VERIFIER))
    api = client_for(reporter)
    writing = threading.Event()
    writing.set()

    def verifier():
        pick = random.Random(11)
        try:
            for _ in range(60):
                report = pick.choice(ids)
                status = verifier_api.get(f"{URL}{report}/").json()["status"]
                if status == "pending":
                    verifier_api.post(f"{URL}{report}/verify/")
                elif status == "verified":
                    verifier_api.post(f"{URL}{report}/reject/", {"reason": "double count"})
                else:
                    verifier_api.post(f"{URL}{report}/reopen/", {"reason": "look again"})
                time.sleep(pick.random() * 0.05)
        finally:
            writing.clear()
            connection.close()

    writer = threading.Thread(target=verifier)
    writer.start()
    served = []
    page = read_on(api, f"{URL}?updated_since={EPOCH}&page_size=3")
    try:
        while True:
            served += [(r["id"], r["updated_at"], r["status"]) for r in page["results"]]
            if page["caught_up"] and not writing.is_set() and page["results"] == []:
                break
            if page["caught_up"]:
                time.sleep(0.2)
            page = read_on(api, page["next"])
    finally:
        writer.join(60)
    newest = {}
    for report, updated_at, status in served:
        newest[report] = (updated_at, status)
    now = {
        r["id"]: (r["updated_at"], r["status"])
        for r in read_on(api, f"{URL}?page_size=100")["results"]
    }
    assert newest == now  # every report, each in its latest version
    versions = Counter((report, updated_at) for report, updated_at, _ in served)
    assert max(versions.values()) == 1  # no version twice
    assert len(served) > len(ids)  # reports changed meanwhile came again
    assert Report.objects.exclude(status="pending").exists()
