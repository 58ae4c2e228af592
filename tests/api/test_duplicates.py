"""The same statement twice is refused unless confirmed; overlapping ones are marked."""

import pytest

from tests.api.conftest import client_for
from tests.factories import UserFactory
from tracker.models import Report, Role

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/"
BULK = "/api/v1/reports/bulk/"
SNHR = {"area": "ZZ", "period_start": "2024-11-27", "period_end": "2024-12-03", "killed": 149}


def test_the_same_statement_again_is_409_naming_the_first(api, areas):
    first = api.post(URL, {**SNHR, "external_id": "SNHR-1"}, format="json").json()
    again = api.post(URL, {**SNHR, "external_id": "SNHR-2", "notes": "resent"}, format="json")
    assert again.status_code == 409
    assert again.json()["duplicate_of"] == first["id"]
    assert f"report {first['id']}" in again.json()["detail"]
    assert '"duplicate": "confirmed"' in again.json()["detail"]
    assert Report.objects.count() == 1


def test_a_confirmed_duplicate_is_kept_and_marked(api, verifier_api, areas):
    first = api.post(URL, SNHR, format="json").json()
    verifier_api.post(f"{URL}{first['id']}/verify/")
    confirmed = api.post(URL, {**SNHR, "duplicate": "confirmed"}, format="json")
    assert confirmed.status_code == 201
    assert confirmed.json()["duplicate_of"] == first["id"]
    assert confirmed.json()["possible_duplicate_of"] == first["id"]
    assert api.post(URL, {**SNHR, "duplicate": "yes"}, format="json").status_code == 400


@pytest.mark.parametrize(
    "change",
    [{"killed": 150}, {"killed_children": 3}, {"period_end": "2024-12-02"}, {"cumulative": True}],
)
def test_any_other_count_period_or_flag_is_another_statement(api, areas, change):
    api.post(URL, SNHR, format="json")
    assert api.post(URL, {**SNHR, **change}, format="json").status_code == 201


def test_other_agencies_and_withdrawn_reports_are_not_duplicates(api, areas, other_agency):
    first = api.post(URL, SNHR, format="json").json()
    other = client_for(UserFactory(agency=other_agency, role=Role.REPORTER))
    assert other.post(URL, SNHR, format="json").status_code == 201
    api.delete(f"{URL}{first['id']}/")
    assert api.post(URL, SNHR, format="json").status_code == 201


def test_reposting_an_external_id_unchanged_is_not_a_duplicate(api, areas):
    first = api.post(URL, {**SNHR, "external_id": "SNHR-1"}, format="json")
    again = api.post(URL, {**SNHR, "external_id": "SNHR-1"}, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["duplicate_of"] is None


def test_overlapping_reports_about_nested_areas_are_marked(api, verifier_api, areas):
    district = api.post(
        URL, {"area": "ZZ0101", "period_start": "2024-11-28", "killed": 5}, format="json"
    ).json()
    assert district["possible_duplicate_of"] is None
    country = api.post(URL, SNHR, format="json").json()
    assert country["possible_duplicate_of"] == district["id"]
    governorate = api.post(
        URL, {"area": "ZZ01", "period_start": "2024-12-01", "killed": 2}, format="json"
    ).json()
    assert governorate["possible_duplicate_of"] == country["id"]  # the earliest overlapping
    elsewhere = api.post(
        URL, {"area": "ZZ0102", "period_start": "2024-11-30", "killed": 2}, format="json"
    ).json()
    assert elsewhere["possible_duplicate_of"] == country["id"]  # above it, not beside it
    later = api.post(
        URL, {"area": "ZZ0102", "period_start": "2024-12-04", "killed": 2}, format="json"
    ).json()
    assert later["possible_duplicate_of"] is None  # no shared day
    verified = verifier_api.post(f"{URL}{country['id']}/verify/").json()
    assert (verified["status"], verified["possible_duplicate_of"]) == ("verified", district["id"])
    marks = Report.objects.get(pk=country["id"]).history.values_list(
        "possible_duplicate_of", flat=True
    )
    assert set(marks) == {district["id"]}


def test_a_running_total_is_not_marked_against_its_own_series(api, areas):
    series = {"area": "ZZ01", "period_start": "2024-11-26", "cumulative": True}
    api.post(URL, {**series, "period_end": "2024-11-28", "displaced": 100}, format="json")
    later = api.post(URL, {**series, "period_end": "2024-11-30", "displaced": 150}, format="json")
    assert later.status_code == 201 and later.json()["possible_duplicate_of"] is None
    plain = api.post(
        URL, {"area": "ZZ01", "period_start": "2024-11-29", "displaced": 50}, format="json"
    )
    assert plain.json()["possible_duplicate_of"] is not None


def test_other_agencies_reports_are_not_marked(api, areas, other_agency):
    api.post(URL, SNHR, format="json")
    other = client_for(UserFactory(agency=other_agency, role=Role.REPORTER))
    mine = other.post(URL, {**SNHR, "area": "ZZ0101", "killed": 3}, format="json").json()
    assert mine["possible_duplicate_of"] is None


def test_bulk_rows_repeating_a_statement_are_rejected_unless_confirmed(api, areas):
    stored = api.post(URL, SNHR, format="json").json()
    rows = [
        {"area": "ZZ0101", "period_start": "2024-11-28", "killed": 5},
        SNHR,
        {**SNHR, "duplicate": "confirmed"},
        {"area": "ZZ0101", "period_start": "2024-11-28", "killed": 5},
        {"area": "ZZ0102", "period_start": "2024-12-05", "killed": 1},
    ]
    summary = api.post(BULK + "?atomic=false", rows, format="json").json()
    assert (summary["created"], summary["rejected"]) == (3, 2)
    (second, fourth) = summary["errors"]
    assert (second["row"], second["errors"]["duplicate_of"]) == (2, stored["id"])
    assert "duplicate" in second["errors"]
    assert fourth["row"] == 4 and "row 1 of this upload" in fourth["errors"]["duplicate"][0]
    confirmed = Report.objects.get(duplicate_of=stored["id"])
    assert confirmed.possible_duplicate_of_id == stored["id"]
    district = Report.objects.get(area__pcode="ZZ0101")
    assert district.possible_duplicate_of_id == stored["id"]
    assert Report.objects.get(area__pcode="ZZ0102").possible_duplicate_of_id is None


def test_bulk_marks_rows_against_earlier_rows_of_the_upload(api, areas):
    csv = (
        "area,period_start,period_end,killed,cumulative,duplicate\n"
        "ZZ0101,2024-11-27,,4,,\n"
        "ZZ01,2024-11-26,2024-11-28,12,,\n"
        "ZZ01,2024-11-26,2024-11-28,12,,confirmed\n"
        "ZZ0102,2024-11-30,,1,,\n"
    )
    summary = api.post(BULK, csv, content_type="text/csv").json()
    assert (summary["created"], summary["rejected"]) == (4, 0), summary
    reports = list(Report.objects.order_by("id"))
    assert [r.possible_duplicate_of_id for r in reports] == [
        None,
        reports[0].pk,
        reports[0].pk,
        None,
    ]
    assert [r.duplicate_of_id for r in reports] == [None, None, reports[1].pk, None]


def test_bulk_duplicates_refuse_everything_when_atomic_and_in_a_dry_run(api, areas):
    api.post(URL, SNHR, format="json")
    response = api.post(BULK, [SNHR], format="json")
    assert response.status_code == 400 and response.json()["rejected"] == 1
    dry = api.post(
        BULK + "?dry_run=true&atomic=false", [SNHR, {**SNHR, "killed": 1}], format="json"
    ).json()
    assert (dry["created"], dry["rejected"]) == (1, 1)
    assert Report.objects.count() == 1
