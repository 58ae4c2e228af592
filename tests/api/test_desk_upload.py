"""Staff upload an agency's spreadsheet at the desk: a preview of every row as it will be
stored (names matched to p-codes, candidates of ambiguous ones, errors, duplicates) before
anything is written, then the same reports as the API's bulk import would store."""

import datetime
import io

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook

from api import spreadsheets
from tests.api.conftest import client_for
from tests.factories import AgencyFactory, AreaFactory, ReportFactory, StaffFactory, UserFactory
from tracker import services
from tracker.models import AreaAlias, Report, ReportRevision, ReportStatus, Role
from tracker.services.reports import SUBMITTED_FIELDS

pytestmark = pytest.mark.django_db

URL = reverse("desk-upload")
DAY = datetime.date(2024, 11, 28)
HEADER = "area,period_start,period_end,killed,displaced,destination,external_id,source_name\n"
CSV = HEADER + (
    "Tell Zaytun,2024-11-28,,3,,,SCD-1,White Helmets\n"  # a name with one area
    "Qalbin,2024-11-28,,5,,,SCD-2,White Helmets\n"  # the governorate's and the district's name
    "ZZ070001,2024-11-30,2024-11-29,2,,,SCD-3,White Helmets\n"  # ends before it starts
    "ZZ0700,2024-11-27,2024-11-28,,900,Zarqani,SCD-4,White Helmets\n"  # destination by alias
)


@pytest.fixture
def syria():
    country = AreaFactory(pcode="ZZ", name_en="Syria")
    idleb = AreaFactory(pcode="ZZ07", parent=country, name_en="Qalbin", name_ar="قلبين")
    district = AreaFactory(pcode="ZZ0700", parent=idleb, name_en="Qalbin", name_ar="قلبين")
    AreaFactory(pcode="ZZ070001", parent=district, name_en="Tell Zaytun", name_ar="تل زيتون")
    aleppo = AreaFactory(pcode="ZZ02", parent=country, name_en="Marjan")
    ain = AreaFactory(pcode="ZZ0205", parent=aleppo, name_en="Ain Zarqa", name_ar="عين زرقا")
    AreaAlias.objects.create(area=ain, alias="Zarqani", language="en")
    return country


@pytest.fixture
def staff(client):
    user = StaffFactory(username="desk-staff")
    client.force_login(user)
    return user


@pytest.fixture
def scd():
    return AgencyFactory(code="SCD")


def upload(client, agency, text: str | bytes, name="reports.csv"):
    content = text.encode() if isinstance(text, str) else text
    return client.post(URL, {"agency": agency.pk, "file": SimpleUploadedFile(name, content)})


def by_number(response) -> dict:
    return {row.number: row for row in response.context["preview"].rows}


def confirm(client, preview_response, **choices):
    data = {"signed": preview_response.context["signed"], "_confirm": "", **choices}
    return client.post(URL, data, follow=True)


def test_the_preview_names_bad_rows_and_ambiguous_names_and_writes_nothing(
    client, staff, syria, scd
):
    response = upload(client, scd, CSV)
    assert response.status_code == 200
    assert (Report.objects.count(), Report.history.count()) == (0, 0)
    rows = by_number(response)
    assert rows[1].fields["area"].pcode == "ZZ070001" and not rows[1].errors
    assert rows[1].names[0].given == "Tell Zaytun"
    ambiguous = rows[2].errors["area"][0]
    assert "'Qalbin' may mean" in ambiguous and "ZZ07 Qalbin" in ambiguous
    assert "ZZ0700 Qalbin (level 2, in Qalbin)" in ambiguous
    assert [a.pcode for a, _, _ in rows[2].names[0].candidates] == ["ZZ07", "ZZ0700"]
    assert rows[3].errors == {"period_end": ["The period cannot end before it starts."]}
    assert rows[4].fields["destination"].pcode == "ZZ0205" and not rows[4].errors
    html = response.content.decode()
    assert "The period cannot end before it starts." in html
    assert 'name="choice-2-area"' in html and "ZZ0700 Qalbin (level 2, in Qalbin)" in html
    written = '<br><small class="name-match">written &ldquo;Zarqani&rdquo;</small>'
    assert f"ZZ0205 Ain Zarqa {written}" in " ".join(html.split())
    assert "2 report(s) will be created" in html and "2 row(s) will not be stored" in html


def test_confirm_stores_the_rows_shown_as_the_api_would(client, staff, syria, scd):
    preview = upload(client, scd, CSV)
    response = confirm(client, preview)
    assert "SCD: uploaded reports.csv: 2 report(s) created" in response.content.decode()
    stored = Report.objects.filter(agency=scd).order_by("external_id")
    assert [r.external_id for r in stored] == ["SCD-1", "SCD-4"]
    assert all(r.submitted_by == staff and r.status == ReportStatus.PENDING for r in stored)
    assert stored[0].history.get().history_user == staff

    # The same rows with p-codes, through the API's bulk import, for another agency.
    api = client_for(UserFactory(agency=AgencyFactory(code="API"), role=Role.REPORTER))
    same = HEADER + (
        "ZZ070001,2024-11-28,,3,,,SCD-1,White Helmets\n"
        "ZZ0700,2024-11-27,2024-11-28,,900,ZZ0205,SCD-4,White Helmets\n"
    )
    assert api.post("/api/v1/reports/bulk/", same, content_type="text/csv").status_code == 200
    fields = [*SUBMITTED_FIELDS, "status", "duplicate_of"]
    through_api = Report.objects.filter(agency__code="API").order_by("external_id")
    assert list(stored.values(*fields)) == list(through_api.values(*fields))
    for reports in (stored, through_api):  # the district's report overlaps the sub-district's
        assert [r.possible_duplicate_of for r in reports] == [None, reports[0]]
    entry = LogEntry.objects.get(object_id=str(scd.pk))
    assert entry.user == staff and "2 report(s) created, 0 corrected" in entry.get_change_message()


def test_choosing_a_candidate_then_confirming(client, staff, syria, scd):
    preview = upload(client, scd, CSV)
    checked = client.post(
        URL, {"signed": preview.context["signed"], "_check": "", "choice-2-area": "ZZ0700"}
    )
    row = by_number(checked)[2]
    assert row.fields["area"].pcode == "ZZ0700" and not row.errors and row.names[0].chosen
    # Confirming with another choice than the one checked shows the preview again.
    again = confirm(client, checked, **{"choice-2-area": "ZZ07"})
    assert "You changed a choice of area" in again.content.decode()
    assert Report.objects.count() == 0
    confirm(client, checked, **{"choice-2-area": "ZZ0700"})
    assert Report.objects.get(external_id="SCD-2").area.pcode == "ZZ0700"


def test_an_xlsx_workbook_reads_like_the_csv(client, staff, syria, scd):
    book = Workbook()
    sheet = book.active
    sheet.append(["Area", "Period start", "Period end", "Killed", "Injured", "Cumulative"])
    sheet.append(["تل زيتون", datetime.date(2024, 11, 28), None, 3.0, 12, False])
    sheet.append(["ZZ0700", datetime.datetime(2024, 11, 26), datetime.date(2024, 11, 28), 7, None])
    sheet.append([None, None, None, None, None, None])  # an empty line is no report
    sheet.append(["ZZ0700", "2024-11-29", None, "many", None, None])
    raw = io.BytesIO()
    book.save(raw)
    response = upload(client, scd, raw.getvalue(), name="scd.xlsx")
    rows = by_number(response)
    assert set(rows) == {1, 2, 3}
    assert rows[1].fields["area"].pcode == "ZZ070001"
    assert (rows[1].fields["killed"], rows[1].fields["injured"]) == (3, 12)
    assert rows[2].fields["period_start"] == datetime.date(2024, 11, 26)
    assert rows[3].errors == {"killed": ["A valid integer is required."]}
    confirm(client, response)
    stored = Report.objects.get(area__pcode="ZZ070001")
    assert (stored.period_end, stored.killed, stored.injured) == (DAY, 3, 12)
    assert Report.objects.count() == 2


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("r.xlsx", b"not a workbook", "This is not a readable XLSX workbook"),
        ("r.xls", b"\xd0\xcf\x11\xe0", "Upload a .csv or an .xlsx file"),
        ("r.csv", b"place,killed\nTell Zaytun,3\n", "Unknown columns: place."),
        ("r.csv", b"area,killed\n", "The file has a header line but no reports."),
        ("r.csv", b"area,killed\nTell Zaytun,3,4\n", "CSV line 2 has more cells than the header."),
        ("r.csv", b"area,area\nTell Zaytun,Tell Zaytun\n", "Columns named twice: area."),
        ("r.csv", "area,killed\nTell Zaytun,3\n".encode("utf-16"), "The CSV is not UTF-8"),
        ("r.csv", b"area,killed\n" + b"Tell Zaytun,3\n" * 6, "More than 5 reports in one file"),
        ("r.csv", b"area,killed\n" + b"Tell Zaytun,3\n" * 300, "The file is 0.0 MB; a desk upload"),
    ],
)
def test_bad_files_are_form_errors_naming_the_problem(
    client, staff, syria, scd, monkeypatch, name, content, problem
):
    monkeypatch.setattr(spreadsheets, "MAX_ROWS", 5)
    monkeypatch.setattr(spreadsheets, "MAX_BYTES", 2000)
    response = upload(client, scd, content, name=name)
    assert response.status_code == 400
    assert problem in str(response.context["form"].errors["file"])
    assert Report.objects.count() == 0


def test_duplicates_are_shown_and_refused_or_marked(client, staff, syria, scd):
    stored = ReportFactory(
        agency=scd, area=syria.children.get(pcode="ZZ07"), period_start=datetime.date(2024, 11, 28)
    )
    stored.refresh_from_db()
    text = "area,period_start,displaced,killed,duplicate\n" + (
        "ZZ07,2024-11-28,100,,\n"  # the same statement as the stored report
        "ZZ07,2024-11-28,100,,confirmed\n"  # the same, confirmed
        "ZZ0700,2024-11-28,,4,\n"  # a smaller area on the same day: possible duplicate
        "ZZ0700,2024-11-28,,4,\n"  # the row before, again
    )
    rows = by_number(upload(client, scd, text))
    assert rows[1].errors["duplicate_of"] == stored.pk
    assert rows[2].duplicate_of == stored.pk and not rows[2].errors
    assert rows[3].possible_duplicate_of == f"#{stored.pk}"
    assert "The same statement as row 3 of this upload" in rows[4].errors["duplicate"][0]


def test_a_correction_of_a_verified_report_becomes_a_revision(client, staff, syria, scd):
    stored = ReportFactory(
        agency=scd,
        area=syria.children.get(pcode="ZZ07"),
        period_start=datetime.date(2024, 11, 28),
        external_id="SCD-7",
        killed=2,
        displaced=None,
        status=ReportStatus.VERIFIED,
    )
    preview = upload(client, scd, "area,period_start,killed,external_id\nZZ07,2024-11-28,3,SCD-7\n")
    assert by_number(preview)[1].corrects == (stored.pk, "verified")
    assert "a revision for a verifier" in preview.content.decode()
    confirm(client, preview)
    stored.refresh_from_db()
    assert stored.killed == 2 and ReportRevision.objects.get(report=stored).killed == 3


def test_a_preview_gone_stale_stores_nothing(client, staff, syria, scd):
    preview = upload(client, scd, "area,period_start,killed\nZZ07,2024-11-28,3\n")
    services.report_create(
        agency=scd,
        submitted_by=staff,
        area=syria.children.get(pcode="ZZ07"),
        period_start=datetime.date(2024, 11, 28),
        killed=3,
    )
    response = confirm(client, preview)
    assert "nothing was stored" in response.content.decode()
    assert Report.objects.count() == 1
    tampered = client.post(URL, {"signed": preview.context["signed"][:-2] + "xx", "_confirm": ""})
    assert tampered.status_code == 400 and "upload the file again" in tampered.content.decode()


def test_the_preview_costs_the_same_queries_however_many_rows(client, staff, syria, scd):
    def queries(n: int) -> int:
        text = "area,period_start,killed,destination\n" + "".join(
            f"{name},2024-11-{20 + i % 9},{i},Zarqani\n"
            for i, name in enumerate(["Tell Zaytun", "Qalbin", "ZZ0700"] * n)
        )
        with CaptureQueriesContext(connection) as captured:
            assert upload(client, scd, text).status_code == 200
        return len(captured)

    queries(1)  # the names' index, built once
    assert queries(2) == queries(40)


def test_only_staff_upload(client, syria, scd):
    response = client.get(URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
