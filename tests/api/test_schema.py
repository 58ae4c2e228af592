"""The published schema: answers the schemathesis run found breaking it, each held to the schema;
what the API's surface accepts (documented query parameters only; the formats `format=` and
`Accept` choose); the schema itself in the format asked for."""

import csv
import datetime
import io
import json

import pytest
import schemathesis
import yaml
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.throttling import TokenRateThrottle
from tests.factories import AgencyFactory, UserFactory, token_for
from tracker import services
from tracker.models import Area, Report, Role
from tracker.wsgi import application

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
CONFORMANCE = [
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def declared(method: str, path: str, token: str | None, **request):
    """Sends the request through the app and fails unless the schema declares the answer (its
    status, content type, headers and body); returns the answer."""
    case = schema[path][method].Case(**request)
    headers = {"Authorization": f"Token {token}"} if token else {}
    response = case.call(headers=headers)
    case.validate_response(response, checks=CONFORMANCE)
    return response


@pytest.fixture
def reporter_token(in_process_calls):
    return token_for(UserFactory(agency=AgencyFactory(code="OWN"), role=Role.REPORTER))


# --- Answers found breaking the schema ----------------------------------------------------------


def test_the_country_has_no_parent_and_the_schema_says_so(reporter_token):
    country = declared(
        "GET", "/api/v1/areas/{pcode}/", reporter_token, path_parameters={"pcode": "SY"}
    )
    assert country.json()["parent"] is None
    governorate = declared(
        "GET", "/api/v1/areas/{pcode}/", reporter_token, path_parameters={"pcode": "SY02"}
    )
    assert governorate.json()["parent"] == "SY"


def test_a_bulk_upload_refused_whole_answers_the_declared_summary(reporter_token):
    rows = [
        {"area": "SY0200", "period_start": "2024-11-28", "killed": 3},
        {"area": "nowhere", "period_start": "2024-11-28", "killed": 1},
    ]
    refused = declared(
        "POST", "/api/v1/reports/bulk/", reporter_token, body=rows, media_type="application/json"
    )
    assert refused.status_code == 400
    summary = refused.json()
    assert (summary["created"], summary["rejected"]) == (0, 1)
    assert summary["errors"] == [{"row": 2, "errors": {"area": ["Unknown area p-code nowhere."]}}]
    assert not Report.objects.exists()


def test_a_bulk_upload_that_cannot_be_read_answers_field_errors(reporter_token):
    empty = declared(
        "POST", "/api/v1/reports/bulk/", reporter_token, body=b"", media_type="text/csv"
    )
    assert empty.status_code == 400 and list(empty.json()) == ["body"]
    options = declared(
        "POST",
        "/api/v1/reports/bulk/",
        reporter_token,
        body=[],
        media_type="application/json",
        query={"dry_run": "maybe"},
    )
    assert options.status_code == 400 and list(options.json()) == ["dry_run"]


def test_a_repeated_row_names_the_report_it_repeats(reporter_token):
    row = {"area": "SY0200", "period_start": "2024-11-28", "killed": 3}
    declared("POST", "/api/v1/reports/", reporter_token, body=row, media_type="application/json")
    again = declared(
        "POST", "/api/v1/reports/bulk/", reporter_token, body=[row], media_type="application/json"
    )
    assert again.json()["errors"][0]["errors"]["duplicate_of"] == Report.objects.get().pk


def test_another_agency_sees_a_verified_report_without_private_fields(reporter_token):
    other = UserFactory(agency=AgencyFactory(code="OTHER"), role=Role.REPORTER)
    verifier = UserFactory(agency=AgencyFactory(code="CHECK"), role=Role.VERIFIER)
    report = services.report_create(
        agency=other.agency,
        submitted_by=other,
        area=Area.objects.get(pcode="SY0200"),
        period_start=datetime.date(2024, 11, 28),
        killed=6,
        notes="private",
    )
    report = services.report_verify(report=report, user=verifier)
    services.report_update(report=report, user=other, killed=7)  # a pending revision
    seen = declared(
        "GET", "/api/v1/reports/{id}/", reporter_token, path_parameters={"id": report.pk}
    )
    assert "notes" not in seen.json() and "submitted_by" not in seen.json()
    assert set(seen.json()["pending_revision"]) == {"id", "number", "created_at"}
    assert seen.json()["source_url"] == "" and seen.json()["destination"] is None


def test_errors_answer_with_their_declared_bodies_and_headers(reporter_token):
    assert declared("GET", "/api/v1/me/", "not-a-token").status_code == 401
    missing = declared(
        "GET", "/api/v1/reports/{id}/", reporter_token, path_parameters={"id": 999999}
    )
    assert missing.status_code == 404 and "detail" in missing.json()
    page = declared("GET", "/api/v1/areas/", reporter_token, query={"page": 999})
    assert page.status_code == 404
    stale = declared(
        "POST",
        "/api/v1/reports/",
        reporter_token,
        media_type="application/json",
        body={"area": "SY0200", "period_start": "2024-11-28", "killed": 1},
    )
    edit = declared(
        "PATCH",
        "/api/v1/reports/{id}/",
        reporter_token,
        media_type="application/json",
        path_parameters={"id": stale.json()["id"]},
        body={"killed": 2},
        headers={"If-Match": '"old"'},
    )
    assert edit.status_code == 412


def test_over_the_rate_limit_answers_the_declared_429(reporter_token, monkeypatch):
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "1/hour"})
    declared("GET", "/api/v1/me/", reporter_token)
    limited = declared("GET", "/api/v1/me/", reporter_token)
    assert limited.status_code == 429 and int(limited.headers["retry-after"][0]) > 0


def test_a_body_over_the_limit_answers_the_declared_413(reporter_token, settings):
    settings.MAX_BODY_BYTES = 100
    body = {"area": "SY0200", "period_start": "2024-11-28", "notes": "x" * 200}
    too_large = declared("POST", "/api/v1/reports/", reporter_token, body=body,
                         media_type="application/json")  # fmt: skip
    assert too_large.status_code == 413 and not Report.objects.exists()


# --- Query parameters: documented ones only -----------------------------------------------------

LISTS = ("/api/v1/areas/", "/api/v1/reports/", "/api/v1/figures/daily/")


@pytest.mark.parametrize("path", LISTS)
def test_unknown_query_parameters_are_refused_by_name(api, path):
    response = api.get(path, {"datefrom": "2024-11-01", "as_at": "2024-12-01", "page_size": 5})
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"datefrom", "as_at"}
    assert "Unknown query parameter" in errors["datefrom"][0]
    assert "date_from" in errors["datefrom"][0] or path == "/api/v1/areas/"  # what it takes


def test_a_write_with_an_unknown_query_parameter_stores_nothing(api, areas):
    body = {"area": "ZZ0101", "period_start": "2024-11-28", "killed": 1}
    response = api.post("/api/v1/reports/?dryrun=true", body, format="json")
    assert response.status_code == 400 and set(response.json()) == {"dryrun"}
    bulk = api.post("/api/v1/reports/bulk/?dryrun=true", [body], format="json")
    assert bulk.status_code == 400 and set(bulk.json()) == {"dryrun"}
    assert not Report.objects.exists()


def test_a_method_a_url_lacks_is_405_whatever_its_query(api):
    response = api.generic("TRACE", "/api/v1/figures/daily/explain/?area=SY&as_of=x")
    assert response.status_code == 405 and "GET" in response["Allow"]


def test_head_takes_what_get_takes(api):
    assert (
        api.head("/api/v1/figures/daily/explain/", {"area": "SY", "date": "2024-11-28"}).status_code
        == 200
    )
    assert api.head("/api/v1/areas/", {"as_of": "2024-11-28"}).status_code == 400


def _plausible(parameter: dict) -> str:
    kind = parameter.get("schema", {})
    if "enum" in kind:
        return str(kind["enum"][0])
    return {"integer": "1", "boolean": "true"}.get(kind.get("type"), "2024-11-28")


def _query_parameters(operation) -> list[dict]:
    return [p for p in operation.definition.raw.get("parameters", []) if p["in"] == "query"]


@pytest.mark.parametrize(
    "operation",
    [
        operation
        for operation in (result.ok() for result in schema.get_all_operations())
        if operation.method.upper() == "GET" and _query_parameters(operation)
    ],
    ids=lambda operation: operation.path,
)
def test_every_documented_query_parameter_is_taken(api, operation):
    """The schema and the views agree on what each operation takes (values may still be bad)."""
    query = {p["name"]: _plausible(p) for p in _query_parameters(operation)}
    response = api.get(operation.path, query)
    refused = response.json() if response.status_code == 400 else {}
    assert not [n for n, messages in refused.items() if "Unknown query parameter" in messages[0]]


# --- Formats: format= and Accept ----------------------------------------------------------------

FIGURES = "/api/v1/figures/daily/"


@pytest.fixture
def figures(api, verifier_api, areas, django_capture_on_commit_callbacks):
    """One district's figure for one day: 4 killed."""
    with django_capture_on_commit_callbacks(execute=True):
        body = {"area": "ZZ0101", "period_start": "2024-11-28", "killed": 4}
        report = api.post("/api/v1/reports/", body, format="json").json()
        verifier_api.post(f"/api/v1/reports/{report['id']}/verify/")


def _rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_figures_export_follows_accept(api, figures):
    as_csv = api.get(FIGURES, {"area": "ZZ0101"}, HTTP_ACCEPT="text/csv")
    assert as_csv["Content-Type"].startswith("text/csv") and "Accept" in as_csv["Vary"]
    header, row = _rows(as_csv)
    assert dict(zip(header, row, strict=True))["killed"] == "4"
    as_hxl = api.get(FIGURES, {"area": "ZZ0101"}, HTTP_ACCEPT="text/csv; profile=hxl")
    assert _rows(as_hxl)[1][0].startswith("#")
    as_json = api.get(FIGURES, {"area": "ZZ0101"}, HTTP_ACCEPT="application/json")
    assert as_json.json()["results"][0]["killed"] == 4
    browser = api.get(FIGURES, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert browser["Content-Type"] == "application/json"


def test_format_wins_over_accept(api, figures):
    query = {"area": "ZZ0101"}
    response = api.get(FIGURES, {**query, "format": "csv"}, HTTP_ACCEPT="application/json")
    assert response["Content-Type"].startswith("text/csv") and len(_rows(response)) == 2
    as_json = api.get(FIGURES, {**query, "format": "json"}, HTTP_ACCEPT="text/csv")
    assert as_json.json()["count"] == 1


def test_export_errors_are_json_and_other_formats_are_refused(api, figures):
    bad = api.get(FIGURES, {"date_from": "2024-13-01"}, HTTP_ACCEPT="text/csv")
    assert bad.status_code == 400 and bad["Content-Type"] == "application/json"
    assert list(bad.json()) == ["date_from"]
    unknown = api.get(FIGURES, {"format": "xlsx"})
    assert unknown.status_code == 400 and "csv" in unknown.json()["format"][0]
    refused = api.get(FIGURES, HTTP_ACCEPT="application/xml")
    assert refused.status_code == 406 and "detail" in refused.json()
    assert api.get("/api/v1/areas/", {"format": "csv"}).status_code == 400


# --- The schema in the format asked for ----------------------------------------------------------


def test_the_schema_answers_in_the_format_asked(client):
    as_json = client.get("/api/schema/", {"format": "json"})
    assert as_json["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert json.loads(as_json.content)["openapi"].startswith("3.")
    accepted = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert accepted["Content-Type"].startswith("application/json")
    assert "/api/v1/reports/" in json.loads(accepted.content)["paths"]
    as_yaml = client.get("/api/schema/")
    assert yaml.safe_load(as_yaml.content)["info"]["title"] == "Displacement tracker API"
    assert client.get("/api/schema/", {"format": "xml"}).status_code == 400
    assert client.get("/api/schema/", {"as_of": "2024-12-01"}).status_code == 400
