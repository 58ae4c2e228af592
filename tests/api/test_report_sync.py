"""The report sync feed (README, "Syncing reports"): a client starts with `updated_since`, follows
`next` links whose cursors keep its place in (updated_at, id) order, and sees every report, each
again when it changes; page numbers stay for browsing, with a count capped for speed."""

import base64
import time

import pytest

from tests.api.conftest import client_for
from tests.factories import ReportFactory, UserFactory
from tracker.models import Role

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/"
EPOCH = "1900-01-01T00:00:00Z"


@pytest.fixture
def no_margin(settings):
    """Serve what is written at once (the margin is for clocks and statements of other
    processes; these tests write in their own)."""
    settings.SYNC_MARGIN_SECONDS = 0


def sync(api, first: dict | str, limit: int = 100) -> tuple[list[dict], dict]:
    """Follow `next` links from the `first` query (or a `next` link) until caught up: the
    reports served, in order, and the last page."""
    seen, page = [], (api.get(first) if isinstance(first, str) else api.get(URL, first)).json()
    for _ in range(limit):
        seen += page["results"]
        if page["caught_up"]:
            return seen, page
        page = api.get(page["next"]).json()
    raise AssertionError("never caught up")


def own_reports(reporter, count, **fields):
    return ReportFactory.create_batch(
        count, agency=reporter.agency, submitted_by=reporter, **fields
    )


def test_a_sync_serves_every_report_once_oldest_change_first_without_a_count(
    api, reporter, no_margin
):
    reports = own_reports(reporter, 7)
    seen, last = sync(api, {"updated_since": EPOCH, "page_size": 3})
    assert [r["id"] for r in seen] == [r.pk for r in reports]
    assert "count" not in last and last["next"]  # a client polls `next` from here on
    first = api.get(URL, {"updated_since": EPOCH, "page_size": 3}).json()
    assert "count" not in first and first["caught_up"] is False and "cursor=" in first["next"]
    assert api.get(last["next"]).json() == {"next": last["next"], "caught_up": True, "results": []}


def test_updated_since_is_inclusive(api, reporter, no_margin):
    first, second = own_reports(reporter, 2)
    seen, _ = sync(api, {"updated_since": first.updated_at.isoformat()})
    assert [r["id"] for r in seen] == [first.pk, second.pk]
    seen, _ = sync(api, {"updated_since": second.updated_at.isoformat()})
    assert [r["id"] for r in seen] == [second.pk]


def test_an_empty_cursor_starts_from_the_first_report(api, reporter, no_margin):
    reports = own_reports(reporter, 3)
    seen, _ = sync(api, {"cursor": "", "page_size": 2})
    assert [r["id"] for r in seen] == [r.pk for r in reports]


def test_a_report_changed_while_paging_comes_again_with_its_new_version(
    api, verifier_api, reporter, no_margin
):
    """The issue's case: a verifier rejects a report on page 1 while the client reads it; with
    page numbers a report of page 2 then moved to page 1 and was never seen."""
    reports = own_reports(reporter, 6)
    page = api.get(URL, {"updated_since": EPOCH, "page_size": 3}).json()
    assert [r["id"] for r in page["results"]] == [r.pk for r in reports[:3]]
    rejected = verifier_api.post(f"{URL}{reports[0].pk}/reject/", {"reason": "double count"})
    assert rejected.status_code == 200
    seen, _ = sync(api, page["next"])
    assert [r["id"] for r in seen] == [r.pk for r in reports[3:]] + [reports[0].pk]
    assert seen[-1]["status"] == "rejected"
    assert seen[-1]["updated_at"] == rejected.json()["updated_at"]


def test_a_report_written_just_now_waits_for_the_margin(api, reporter, settings):
    """A sync stays SYNC_MARGIN_SECONDS behind the newest writes: a report stamped by a slower
    process (another clock, a statement not yet sent) is not passed by."""
    settings.SYNC_MARGIN_SECONDS = 0.5
    report = own_reports(reporter, 1)[0]
    page = api.get(URL, {"updated_since": EPOCH}).json()
    assert page["results"] == [] and page["caught_up"] is True
    time.sleep(0.6)
    later = api.get(page["next"]).json()
    assert [r["id"] for r in later["results"]] == [report.pk]


def test_filters_and_a_cursor_combine(api, reporter, areas, other_agency, no_margin):
    inside = own_reports(reporter, 3, area=areas["district"])
    own_reports(reporter, 2, area=areas["other_district"])
    others = ReportFactory(agency=other_agency, area=areas["district"], status="verified")
    hidden = ReportFactory(agency=other_agency, area=areas["district"])  # pending: not ours
    seen, last = sync(api, {"updated_since": EPOCH, "area": "ZZ0101", "page_size": 2})
    assert [r["id"] for r in seen] == [r.pk for r in inside] + [others.pk]
    assert hidden.pk not in [r["id"] for r in seen]
    assert "area=ZZ0101" in last["next"]
    seen, _ = sync(api, {"updated_since": EPOCH, "agency": "SCD", "status": "verified"})
    assert [r["id"] for r in seen] == [others.pk]


def test_other_agencies_learn_of_a_report_taken_back(
    api, verifier_api, reporter, other_agency, no_margin
):
    report = own_reports(reporter, 1)[0]
    verifier_api.post(f"{URL}{report.pk}/verify/")
    outsider = client_for(UserFactory(agency=other_agency, role=Role.VIEWER))
    seen, last = sync(outsider, {"updated_since": EPOCH})
    assert [(r["id"], r["status"]) for r in seen] == [(report.pk, "verified")]
    verifier_api.post(f"{URL}{report.pk}/reject/", {"reason": "wrong area"})
    seen, _ = sync(outsider, last["next"])
    assert [(r["id"], r["status"]) for r in seen] == [(report.pk, "rejected")]


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        "%%%",
        "bm9uc2Vuc2U",  # "nonsense"
        base64.urlsafe_b64encode(b"2024-11-28T09:00:00+00:00 x").decode(),
        base64.urlsafe_b64encode(b"2024-11-28T09:00:00 5").decode(),  # no offset
        base64.urlsafe_b64encode(b"9999-12-31T23:59:59+00:00 5").decode(),
        base64.urlsafe_b64encode(b"2024-11-28T09:00:00+00:00 99999999999999999999").decode(),
        "QQ" * 150,
    ],
)
def test_a_bad_cursor_is_400_naming_it(api, cursor):
    response = api.get(URL, {"cursor": cursor})
    assert response.status_code == 400, response.content
    assert "cursor" in response.json() and "next" in response.json()["cursor"][0]


def test_page_numbers_do_not_mix_with_a_sync(api):
    response = api.get(URL, {"updated_since": EPOCH, "page": 2})
    assert response.status_code == 400 and "page" in response.json()


def test_browsing_counts_exactly_up_to_the_limit_and_pages_on_beyond_it(api, reporter, monkeypatch):
    monkeypatch.setattr("api.pagination.COUNT_LIMIT", 4)
    reports = own_reports(reporter, 9)
    first = api.get(URL, {"page_size": 2}).json()
    assert (first["count"], first["count_exact"]) == (5, False)  # "more than 4"
    deep = api.get(URL, {"page_size": 2, "page": 4}).json()
    assert deep["count_exact"] is False and deep["next"] and len(deep["results"]) == 2
    last = api.get(URL, {"page_size": 2, "page": 5}).json()
    assert (last["count"], last["count_exact"], last["next"]) == (9, True, None)
    assert api.get(URL, {"page_size": 2, "page": "last"}).json()["results"] == last["results"]
    assert api.get(URL, {"page_size": 2, "page": 6}).status_code == 404
    filtered = api.get(URL, {"page_size": 2, "status": "pending", "area": reports[0].area.pcode})
    assert (filtered.json()["count"], filtered.json()["count_exact"]) == (1, True)
