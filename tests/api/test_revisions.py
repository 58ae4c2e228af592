"""Corrections of a verified report: a pending revision, while the verified values keep counting."""

import pytest

from tests.api.conftest import client_for
from tests.factories import UserFactory
from tracker.models import Report, ReportRevision, Role

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/"
FIGURES = "/api/v1/figures/daily/"


def body(**fields):
    return {"area": "ZZ0101", "period_start": "2024-11-28", "killed": 3, **fields}


@pytest.fixture
def verified(api, verifier_api, areas, django_capture_on_commit_callbacks):
    """A verified report of the reporter's agency, with external id SRC-1."""
    with django_capture_on_commit_callbacks(execute=True):
        report = api.post(URL, body(external_id="SRC-1", notes="from the field"), format="json")
        verifier_api.post(f"{URL}{report.json()['id']}/verify/")
    return report.json()


def killed_in_district(api) -> list:
    return [
        (row["date"], row["killed"])
        for row in api.get(FIGURES, {"area": "ZZ0101"}).json()["results"]
    ]


def test_reposting_keeps_the_verified_values_until_the_revision_is_verified(
    api, verifier_api, verified, django_capture_on_commit_callbacks
):
    url = f"{URL}{verified['id']}/"
    assert killed_in_district(api) == [("2024-11-28", 3)]
    with django_capture_on_commit_callbacks(execute=True):
        corrected = api.post(
            URL, body(external_id="SRC-1", killed=4, period_end="2024-11-29"), format="json"
        )
    assert corrected.status_code == 200
    shown = api.get(url).json()
    assert (shown["status"], shown["killed"], shown["period_end"]) == ("verified", 3, "2024-11-28")
    revision = shown["pending_revision"]
    assert (revision["number"], revision["killed"], revision["period_end"]) == (1, 4, "2024-11-29")
    assert (revision["area"], revision["submitted_by"], revision["notes"]) == (
        "ZZ0101",
        "reporter",
        "",
    )
    assert killed_in_district(api) == [("2024-11-28", 3)]  # the published numbers stay

    with django_capture_on_commit_callbacks(execute=True):
        answer = verifier_api.post(f"{url}verify/")
    assert answer.status_code == 200
    assert (answer.json()["killed"], answer.json()["period_end"]) == (4, "2024-11-29")
    assert answer.json()["pending_revision"] is None
    assert killed_in_district(api) == [("2024-11-28", 2), ("2024-11-29", 2)]
    history = Report.objects.get(pk=verified["id"]).history.order_by("history_id")
    assert [h.history_change_reason for h in history] == [
        "submitted",
        "verified",
        "revision 1 submitted",
        "revision 1 verified",
    ]
    assert ReportRevision.objects.get().status == "verified"


def test_a_rejected_revision_leaves_the_report_as_verified(
    api, verifier_api, verified, django_capture_on_commit_callbacks
):
    url = f"{URL}{verified['id']}/"
    api.patch(url, {"killed": 30}, format="json")
    missing = verifier_api.post(f"{url}reject/", {}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()
    with django_capture_on_commit_callbacks(execute=True):
        rejected = verifier_api.post(
            f"{url}reject/", {"reason": "a typo: 3, not 30"}, format="json"
        )
    assert rejected.status_code == 200
    assert (rejected.json()["status"], rejected.json()["killed"]) == ("verified", 3)
    assert rejected.json()["pending_revision"] is None
    revision = ReportRevision.objects.get()
    assert (revision.status, revision.reason) == ("rejected", "a typo: 3, not 30")
    assert killed_in_district(api) == [("2024-11-28", 3)]
    # With no revision pending, reject acts on the report itself again.
    again = verifier_api.post(f"{url}reject/", {"reason": "not in our area"}, format="json")
    assert again.json()["status"] == "rejected"


def test_patch_proposes_the_verified_values_with_the_patch_and_put_restates(api, verified):
    url = f"{URL}{verified['id']}/"
    patched = api.patch(url, {"injured": 7}, format="json").json()["pending_revision"]
    assert (patched["killed"], patched["injured"], patched["notes"]) == (3, 7, "from the field")
    put = api.put(url, body(displaced=10), format="json").json()
    revision = put["pending_revision"]
    assert (revision["number"], revision["killed"], revision["injured"], revision["displaced"]) == (
        2,
        3,
        None,
        10,
    )
    assert put["notes"] == "from the field"  # the report's own values are untouched
    numbers = ReportRevision.objects.order_by("number").values_list("number", "status", "reason")
    assert list(numbers) == [(1, "superseded", "superseded by revision 2"), (2, "pending", "")]
    refused = api.put(url, body(external_id="OTHER"), format="json")
    assert refused.status_code == 400 and "external_id" in refused.json()


def test_restating_the_verified_values_withdraws_the_pending_revision(api, verified):
    api.post(URL, body(external_id="SRC-1", killed=4), format="json")
    again = api.post(URL, body(external_id="SRC-1", killed=4), format="json")
    assert again.status_code == 200 and ReportRevision.objects.count() == 1
    restated = api.post(URL, body(external_id="SRC-1", notes="from the field"), format="json")
    assert restated.json()["pending_revision"] is None
    assert ReportRevision.objects.get().status == "superseded"


def test_a_new_revision_changes_the_etag(api, verified):
    url = f"{URL}{verified['id']}/"
    tag = api.get(url)["ETag"]
    assert api.patch(url, {"killed": 4}, format="json", HTTP_IF_MATCH=tag).status_code == 200
    assert api.get(url)["ETag"] != tag
    assert api.patch(url, {"killed": 5}, format="json", HTTP_IF_MATCH=tag).status_code == 412
    assert Report.objects.get().pending_revision().killed == 4


def test_other_agencies_see_that_a_revision_is_pending_not_what_it_proposes(
    api, verifier_api, verified, other_agency
):
    api.patch(f"{URL}{verified['id']}/", {"killed": 4}, format="json")
    outsider = client_for(UserFactory(agency=other_agency, role=Role.VIEWER))
    seen = outsider.get(f"{URL}{verified['id']}/").json()
    assert seen["killed"] == 3
    assert set(seen["pending_revision"]) == {"id", "number", "created_at"}
    full = verifier_api.get(f"{URL}{verified['id']}/").json()["pending_revision"]
    assert full["killed"] == 4 and full["submitted_by"] == "reporter"


def test_listing_shows_pending_revisions(api, verified):
    api.patch(f"{URL}{verified['id']}/", {"killed": 4}, format="json")
    api.post(URL, body(killed=9), format="json")
    listed = {r["id"]: r["pending_revision"] for r in api.get(URL).json()["results"]}
    assert listed[verified["id"]]["killed"] == 4
    assert sorted(v is None for v in listed.values()) == [False, True]


def test_withdrawing_supersedes_the_pending_revision(api, verified):
    url = f"{URL}{verified['id']}/"
    api.patch(url, {"killed": 4}, format="json")
    assert api.delete(url + "?reason=sent+by+the+wrong+office").status_code == 204
    revision = ReportRevision.objects.get()
    assert revision.status == "superseded" and "withdrawn" in revision.reason
    assert api.patch(url, {"killed": 5}, format="json").status_code == 409
