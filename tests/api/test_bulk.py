"""Bulk import: JSON, CSV body, CSV file; dry runs; all or nothing unless atomic=false."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tracker.models import Report, ReportStatus

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/bulk/"
CSV = (
    "area,period_start,period_end,killed,injured,displaced,cumulative,external_id,source_name\n"
    "ZZ0101,2024-11-27,,4,15,,,SCD-1,White Helmets\n"
    "ZZ0102,2024-11-27,2024-11-29,,,7350,false,SRC-1,SRC\n"
    "ZZ01,2024-11-26,2024-11-28,,,14000,true,OCHA-1,OCHA\n"
)


def test_json_list_creates_every_row(api, areas):
    rows = [
        {"area": "ZZ0101", "period_start": "2024-11-27", "killed": 4},
        {"area": "ZZ0102", "period_start": "2024-11-27", "displaced": 100, "external_id": "A"},
    ]
    response = api.post(URL, rows, format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "dry_run": False,
        "atomic": True,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
        "errors": [],
    }
    report = Report.objects.get(external_id="A")
    assert (report.agency.code, report.status, report.period_end.isoformat()) == (
        "OCHA",
        ReportStatus.PENDING,
        "2024-11-27",
    )
    assert report.history.get().history_user.username == "reporter"


def test_csv_body_and_csv_file_give_the_same_reports(api, areas):
    assert api.post(URL, CSV, content_type="text/csv").json()["created"] == 3
    first = list(
        Report.objects.order_by("external_id").values(
            "area__pcode", "displaced", "killed", "cumulative"
        )
    )
    # Let the file create them again: withdrawn, they are neither the same ids nor duplicates.
    Report.objects.update(external_id="", status=ReportStatus.WITHDRAWN)
    upload = SimpleUploadedFile("reports.csv", CSV.encode(), content_type="text/csv")
    response = api.post(URL, {"file": upload}, format="multipart")
    assert response.json()["created"] == 3
    again = Report.objects.exclude(external_id="").order_by("external_id")
    assert list(again.values("area__pcode", "displaced", "killed", "cumulative")) == first
    cumulative = Report.objects.get(external_id="OCHA-1")
    assert cumulative.cumulative and cumulative.killed is None


def test_one_bad_row_rejects_all_by_default_naming_rows_and_fields(api, areas):
    bad = CSV + "ZZ9999,2024-11-27,,3,,,,,\n" + "ZZ0101,2024-02-30,,-1,,,,,\n"
    response = api.post(URL, bad, content_type="text/csv")
    assert response.status_code == 400
    summary = response.json()
    assert (summary["created"], summary["rejected"]) == (0, 2)
    assert [e["row"] for e in summary["errors"]] == [4, 5]
    assert "area" in summary["errors"][0]["errors"]
    assert {"period_start", "killed"} <= summary["errors"][1]["errors"].keys()
    assert not Report.objects.exists()


def test_atomic_false_keeps_the_valid_rows(api, areas):
    bad = CSV + "ZZ0101,2024-11-27,,5,,,,,\n" + "ZZ0101,2024-11-28,,,,,,,\n"
    summary = api.post(URL + "?atomic=false", bad, content_type="text/csv").json()
    assert (summary["created"], summary["rejected"]) == (4, 1)
    assert summary["errors"][0]["row"] == 5
    assert Report.objects.count() == 4


def test_dry_run_writes_nothing_but_counts_what_would_happen(api, areas):
    api.post(URL, CSV, content_type="text/csv")
    changed = CSV.replace("SCD-1,White Helmets", "SCD-1,White Helmets (revised)")
    new_row = "ZZ0102,2024-11-30,,1,,,,SCD-2,\n"
    summary = api.post(URL + "?dry_run=true", changed + new_row, content_type="text/csv").json()
    assert (summary["created"], summary["updated"], summary["unchanged"]) == (1, 1, 2)
    assert Report.objects.count() == 3
    assert not Report.objects.filter(source_name__contains="revised").exists()


def test_reposting_external_ids_corrects_instead_of_duplicating(api, verifier_api, areas):
    api.post(URL, CSV, content_type="text/csv")
    verified = Report.objects.get(external_id="SRC-1")
    verifier_api.post(f"/api/v1/reports/{verified.pk}/verify/")
    changed = CSV.replace(",,,7350,false,SRC-1", ",,,7400,false,SRC-1").replace(
        "4,15,,,SCD-1", "5,15,,,SCD-1"
    )
    summary = api.post(URL, changed, content_type="text/csv").json()
    assert (summary["created"], summary["updated"], summary["unchanged"]) == (0, 2, 1)
    assert Report.objects.get(external_id="SCD-1").killed == 5  # pending: corrected in place
    corrected = Report.objects.get(external_id="SRC-1")  # verified: a pending revision
    assert (corrected.displaced, corrected.status) == (7350, ReportStatus.VERIFIED)
    assert corrected.pending_revision().displaced == 7400
    again = api.post(URL, changed, content_type="text/csv").json()
    assert (again["updated"], again["unchanged"]) == (0, 3)
    assert corrected.revisions.count() == 1


def test_a_repeated_external_id_in_one_upload_is_refused(api, areas):
    rows = [
        {"area": "ZZ0101", "period_start": "2024-11-27", "killed": n, "external_id": "X"}
        for n in (1, 2)
    ]
    summary = api.post(URL, rows, format="json").json()
    assert summary["errors"] == [
        {"row": 2, "errors": {"external_id": ["Repeats row 1 of this upload."]}}
    ]


def test_a_second_cumulative_series_is_refused_within_an_upload(api, areas):
    rows = [
        {
            "area": "ZZ01",
            "period_start": "2024-11-26",
            "period_end": "2024-11-28",
            "displaced": 10,
            "cumulative": True,
        },
        {
            "area": "ZZ01",
            "period_start": "2024-11-27",
            "period_end": "2024-11-29",
            "displaced": 12,
            "cumulative": True,
        },
    ]
    summary = api.post(URL + "?atomic=false", rows, format="json").json()
    assert summary["created"] == 1
    assert summary["errors"][0]["row"] == 2 and "period_start" in summary["errors"][0]["errors"]


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        ('{"area": "ZZ0101"}', "application/json", "JSON list"),
        ("[1, 2", "application/json", "JSON parse error"),
        ("", "text/csv", "empty"),
        ("area,period_start\nZZ0101,2024-11-27,extra\n", "text/csv", "more cells"),
        ("area\x00,x\n", "text/csv", "NUL"),
    ],
)
def test_malformed_uploads_are_400(api, areas, body, content_type, message):
    response = api.post(URL, body, content_type=content_type)
    assert response.status_code == 400
    assert message in str(response.json())
    assert not Report.objects.exists()


def test_csv_that_is_not_utf8_is_refused(api, areas):
    response = api.post(
        URL, "area,period_start\nحلب,2024-11-27\n".encode("cp1256"), content_type="text/csv"
    )
    assert response.status_code == 400 and "UTF-8" in str(response.json())


def test_a_row_correcting_a_rejected_report_is_rejected_naming_it(api, verifier_api, areas):
    api.post(URL, CSV, content_type="text/csv")
    rejected = Report.objects.get(external_id="SRC-1")
    verifier_api.post(f"/api/v1/reports/{rejected.pk}/reject/", {"reason": "x"}, format="json")
    changed = CSV.replace(",,,7350,false,SRC-1", ",,,7400,false,SRC-1")
    summary = api.post(URL + "?atomic=false", changed, content_type="text/csv").json()
    assert (summary["unchanged"], summary["rejected"]) == (2, 1)
    (error,) = summary["errors"]
    assert (
        error["row"] == 2
        and f"Report {rejected.pk} is rejected" in error["errors"]["external_id"][0]
    )
    assert Report.objects.get(external_id="SRC-1").displaced == 7350
