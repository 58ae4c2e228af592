"""The reports contract: what an agency's script sends and gets back."""

import pytest

from tests.api.conftest import client_for
from tests.factories import ReportFactory, UserFactory
from tracker.models import Report, ReportStatus, Role

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/"


def body(**fields):
    return {"area": "ZZ0101", "period_start": "2024-11-28", "killed": 3, **fields}


def test_create_answers_201_with_the_report(api, areas):
    response = api.post(URL, body(injured=0, source_name="SCD statement"), format="json")
    assert response.status_code == 201, response.json()
    report = response.json()
    assert report["agency"] == "OCHA"
    assert report["area"] == "ZZ0101"
    assert report["period_end"] == "2024-11-28"
    assert (report["killed"], report["injured"], report["displaced"]) == (3, 0, None)
    assert report["status"] == "pending"
    assert {"id", "created_at", "updated_at"} <= report.keys()
    assert response["Location"].endswith(f"/reports/{report['id']}/")


@pytest.mark.parametrize("field", ["status", "agency", "verified_by"])
def test_status_agency_or_verifier_in_a_body_are_refused(api, areas, field):
    response = api.post(URL, body(**{field: "verified"}), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Report.objects.exists()


def test_list_detail_and_filters(api, areas, reporter, other_agency):
    own = ReportFactory(agency=reporter.agency, submitted_by=reporter, area=areas["district"])
    ReportFactory(agency=reporter.agency, submitted_by=reporter, area=areas["other_district"])
    others_verified = ReportFactory(
        agency=other_agency, area=areas["district"], status=ReportStatus.VERIFIED
    )
    listing = api.get(URL, {"area": "ZZ0101"}).json()
    assert listing["count"] == 2 and {"next", "previous", "results"} <= listing.keys()
    assert {r["id"] for r in listing["results"]} == {own.pk, others_verified.pk}
    assert api.get(URL, {"area": "ZZ01"}).json()["count"] == 3  # the governorate includes both
    assert api.get(URL, {"agency": "SCD"}).json()["count"] == 1
    assert api.get(URL, {"status": "pending"}).json()["count"] == 2
    detail = api.get(f"{URL}{own.pk}/")
    assert detail.status_code == 200 and detail.json()["id"] == own.pk
    assert detail["ETag"]


def test_date_range_selects_overlapping_periods(api, areas, reporter):
    def report(start, end):
        return ReportFactory(
            agency=reporter.agency, submitted_by=reporter, period_start=start, period_end=end
        ).pk

    inside, overlapping = report("2024-11-28", "2024-11-29"), report("2024-11-20", "2024-11-27")
    report("2024-11-01", "2024-11-05")
    found = api.get(URL, {"date_from": "2024-11-27", "date_to": "2024-11-30"}).json()["results"]
    assert {r["id"] for r in found} == {inside, overlapping}


def test_patch_put_and_their_rules(api, areas, reporter):
    report = api.post(URL, body(injured=5, notes="first"), format="json").json()
    url = f"{URL}{report['id']}/"
    patched = api.patch(url, {"killed": 4}, format="json").json()
    assert (patched["killed"], patched["injured"], patched["notes"]) == (4, 5, "first")
    replaced = api.put(url, body(displaced=10), format="json").json()
    assert (replaced["killed"], replaced["injured"], replaced["displaced"]) == (3, None, 10)
    assert replaced["notes"] == ""


def test_a_verified_report_is_corrected_through_a_pending_revision(api, verifier_api, areas):
    created = api.post(URL, body(external_id="SCD-1"), format="json").json()
    assert verifier_api.post(f"{URL}{created['id']}/verify/").json()["status"] == "verified"
    patched = api.patch(f"{URL}{created['id']}/", {"killed": 4}, format="json")
    assert patched.status_code == 200
    assert (patched.json()["killed"], patched.json()["status"]) == (3, "verified")
    assert patched.json()["pending_revision"]["killed"] == 4
    corrected = api.post(URL, body(external_id="SCD-1", killed=5), format="json")
    assert corrected.status_code == 200
    assert corrected.json()["id"] == created["id"]
    assert (corrected.json()["killed"], corrected.json()["status"]) == (3, "verified")
    assert corrected.json()["pending_revision"]["killed"] == 5


def test_a_rejected_or_withdrawn_report_cannot_be_edited(api, verifier_api, areas):
    for n, end in enumerate(("reject", "withdraw")):
        created = api.post(URL, body(external_id=f"X-{n}", killed=n + 1), format="json").json()
        url = f"{URL}{created['id']}/"
        if end == "reject":
            verifier_api.post(f"{url}reject/", {"reason": "not ours"}, format="json")
        else:
            api.delete(url)
        assert api.patch(url, {"killed": 9}, format="json").status_code == 409
        assert api.put(url, body(killed=9), format="json").status_code == 409
        repost = api.post(URL, body(external_id=f"X-{n}", killed=9), format="json")
        assert repost.status_code == 409 and f"Report {created['id']}" in repost.json()["detail"]
        replay = api.post(URL, body(external_id=f"X-{n}", killed=n + 1), format="json")
        assert replay.status_code == 200  # the unchanged statement is answered, not refused
        assert Report.objects.get(pk=created["id"]).killed == n + 1


def test_reject_needs_a_reason_and_stores_it(api, verifier_api, areas):
    created = api.post(URL, body(), format="json").json()
    url = f"{URL}{created['id']}/reject/"
    missing = verifier_api.post(url, {}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()
    rejected = verifier_api.post(url, {"reason": "Duplicate of SCD's"}, format="json").json()
    assert (rejected["status"], rejected["status_reason"]) == ("rejected", "Duplicate of SCD's")


def test_delete_withdraws_keeps_the_report_listed_and_repeats(api, areas):
    created = api.post(URL, body(), format="json").json()
    url = f"{URL}{created['id']}/"
    assert api.delete(url + "?reason=sent+twice").status_code == 204
    assert api.delete(url).status_code == 204
    withdrawn = api.get(URL, {"status": "withdrawn"}).json()["results"]
    assert [(r["id"], r["status_reason"]) for r in withdrawn] == [(created["id"], "sent twice")]
    assert Report.objects.get(pk=created["id"]).history.count() == 2


def test_withdrawing_a_verified_report_makes_others_see_it_withdrawn(
    api, verifier_api, areas, other_agency
):
    created = api.post(URL, body(notes="internal"), format="json").json()
    verifier_api.post(f"{URL}{created['id']}/verify/")
    assert api.delete(f"{URL}{created['id']}/?reason=counted+twice").status_code == 204
    outsider = client_for(UserFactory(agency=other_agency, role=Role.VIEWER))
    seen = outsider.get(f"{URL}{created['id']}/").json()
    assert seen["status"] == "withdrawn"
    assert "notes" not in seen and "submitted_by" not in seen


def test_pages_hold_up_to_1000_and_refuse_more(api, reporter):
    ReportFactory.create_batch(5, agency=reporter.agency, submitted_by=reporter)
    page = api.get(URL, {"page_size": 2, "page": 2}).json()
    assert len(page["results"]) == 2 and page["next"] and page["previous"]
    assert api.get(URL, {"page_size": 1000}).status_code == 200
    for size in ("1001", str(10**9), "0", "-1", "ten"):
        response = api.get(URL, {"page_size": size})
        assert response.status_code == 400 and "page_size" in response.json()


def test_listing_costs_the_same_queries_whatever_the_page_size(
    api, reporter, django_assert_max_num_queries
):
    ReportFactory.create_batch(60, agency=reporter.agency, submitted_by=reporter)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api.get("/api/v1/me/")  # the token's first use is noted (a write once a minute): not here
    counts = []
    for size in (5, 60):
        with CaptureQueriesContext(connection) as queries:
            assert len(api.get(URL, {"page_size": size}).json()["results"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]
