"""Bad input: a clear 4xx naming the field, nothing stored, never a 500."""

import datetime
import json

import pytest
from django.utils import timezone

from tracker.models import Report

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/"
GOOD = {"area": "ZZ0101", "period_start": "2024-11-28", "killed": 3}
TOMORROW = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"area": "SY9999"}, "area"),
        ({"area": None}, "area"),
        ({"killed": -1}, "killed"),
        ({"killed": 1.5}, "killed"),
        ({"killed": "many"}, "killed"),
        ({"killed": 2**31}, "killed"),
        ({"killed": 10**30}, "killed"),
        ({"period_end": "2024-11-01"}, "period_end"),
        ({"period_start": TOMORROW, "period_end": TOMORROW}, "period_end"),
        ({"period_start": "2024-02-30"}, "period_start"),
        ({"period_start": "yesterday"}, "period_start"),
        ({"period_start": "2023-01-01", "period_end": "2024-11-28"}, "period_end"),
        ({"killed_children": 4}, "killed_children"),
        ({"killed": None}, "non_field_errors"),
        ({"notes": "a\x00b"}, "notes"),
        ({"source_name": "x" * 201}, "source_name"),
        ({"external_id": "x" * 201}, "external_id"),
        ({"source_url": "javascript:alert(1)"}, "source_url"),
        ({"destination": "nowhere"}, "destination"),
        ({"cumulative": "perhaps"}, "cumulative"),
        ({"colour": "red"}, "colour"),
        ({"area\x00": "ZZ0101"}, "area\x00"),
    ],
)
def test_each_bad_field_is_named_and_nothing_is_stored(api, areas, change, field):
    body = {**GOOD, **change}
    response = api.post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"area": "ZZ0101", ', "application/json"),
        ("[1, 2, 3]", "application/json"),
        ('"just a string"', "application/json"),
        ("\xff\xfe", "application/json"),
    ],
)
def test_malformed_json_is_400(api, areas, body, content_type):
    response = api.post(URL, body, content_type=content_type)
    assert response.status_code == 400
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    "params",
    [
        {"area": "SY9999"},
        {"area": "a\x00b"},
        {"agency": "x" * 5000},
        {"status": "lost"},
        {"date_from": "2024-02-30"},
        {"updated_since": "last tuesday"},
        {"page": "ten"},
        {"page": "999999"},
        {"page_size": str(10**9)},
    ],
)
def test_bad_query_parameters_are_4xx_naming_them(api, areas, params):
    response = api.get(URL, params)
    assert 400 <= response.status_code < 500
    name = next(iter(params))
    assert name in response.json() or name in str(response.json()).lower()


@pytest.mark.parametrize("path", ["abc/", "99999999999999999999999/", "1%00/", "-1/"])
def test_bad_ids_in_the_path_are_404(api, path):
    assert api.get(URL + path).status_code == 404


def test_area_path_with_nul_or_overlong_pcode_is_404(api):
    assert api.get("/api/v1/areas/SY%00/").status_code == 404
    assert api.get("/api/v1/areas/" + "S" * 5000 + "/").status_code == 404


def test_a_body_over_the_limit_is_413(api, areas, settings):
    settings.MAX_BODY_BYTES = 1000
    response = api.post(URL, {**GOOD, "notes": "x" * 2000}, format="json")
    assert response.status_code == 413
    assert not Report.objects.exists()


def test_patching_with_bad_values_changes_nothing(api, areas):
    report = api.post(URL, GOOD, format="json").json()
    response = api.patch(f"{URL}{report['id']}/", {"killed": -4}, format="json")
    assert response.status_code == 400 and "killed" in response.json()
    assert Report.objects.get().killed == 3


def test_rate_limit_answers_429_with_retry_after(api, areas, settings):
    from api.throttling import TokenRateThrottle

    TokenRateThrottle.THROTTLE_RATES = {"token": "3/hour"}  # a window's end: 1 in 3600
    try:
        codes = [api.get(URL).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert int(api.get(URL)["Retry-After"]) > 0
    finally:
        TokenRateThrottle.THROTTLE_RATES = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]


# Found by the schemathesis run; each was a 500.


def test_a_lone_surrogate_is_refused_as_400_naming_the_field(api, areas):
    response = api.post(URL, '{"\\ud800": 1, "area": "\\ud800x"}', content_type="application/json")
    assert response.status_code == 400
    # Echoed as U+FFFD: a lone surrogate is not text, and JSON parsers refuse or mangle it.
    errors = json.loads(response.content.decode("utf-8"))
    assert "area" in errors and errors["\ufffd"] == ["Unknown field."]


def test_nul_in_a_body_with_an_idempotency_key_is_400_and_replayed(api, areas):
    body = '{"area": "ZZ\\u0000", "period_start": "2024-11-28", "killed": 1}'
    first = api.post(URL, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="n-1")
    again = api.post(URL, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="n-1")
    assert first.status_code == again.status_code == 400
    assert again.content == first.content


def test_updated_since_with_any_valid_offset_works(api):
    response = api.get(URL, {"updated_since": "2024-11-28T00:00:00-16:00"})
    assert response.status_code == 200


def test_a_method_a_url_does_not_have_is_405(api, verifier_api):
    assert api.generic("TRACE", URL).status_code == 405
    report = api.post(URL, GOOD, format="json")
    assert report.status_code == 400  # no areas here: only the method matters below
    assert verifier_api.get(f"{URL}1/verify/").status_code == 405


def test_unknown_api_urls_answer_json_404(api):
    response = api.get("/api/v1/nothing-here/")
    assert response.status_code == 404 and response.json() == {"detail": "No such resource."}


def test_malformed_json_names_the_body(api):
    response = api.post(URL, "{", content_type="application/json")
    assert response.status_code == 400 and "body" in response.json()


def test_a_period_outside_the_calendar_is_400_naming_the_field_and_the_bounds(api, areas):
    """Regression: a verified report over 1850-01-01..03 produced figures a rebuild dropped."""
    old = {**GOOD, "period_start": "1850-01-01", "period_end": "1850-01-03"}
    response = api.post(URL, old, format="json")
    assert response.status_code == 400
    (message,) = response.json()["period_start"]
    assert "1900-01-01" in message and "2099-12-31" in message
    assert not Report.objects.exists()
    bulk = api.post(URL + "bulk/", [old], format="json").json()
    assert "1900-01-01" in bulk["errors"][0]["errors"]["period_start"][0]


def test_a_correction_outside_the_calendar_is_400(api, verifier_api, areas):
    report = api.post(URL, GOOD, format="json").json()
    verifier_api.post(f"{URL}{report['id']}/verify/")
    response = api.patch(f"{URL}{report['id']}/", {"period_start": "1899-12-31"}, format="json")
    assert response.status_code == 400 and "1900-01-01" in response.json()["period_start"][0]
    assert not Report.objects.get().revisions.exists()


@pytest.mark.parametrize("url", [URL, URL + "bulk/"])
@pytest.mark.parametrize("depth", [33, 300, 5000, 100_000])
def test_json_nested_deep_is_400_saying_so(api, areas, url, depth):
    """Python's decoder recurses: 1,000 levels was a RecursionError, a 500, and a few hundred
    broke what walks the data afterwards."""
    for body in ("[" * depth + "]" * depth, '{"area": ' + "[" * depth + "]" * depth + "}"):
        response = api.post(url, body, content_type="application/json")
        assert response.status_code == 400, response.content[:200]
        assert "nested" in response.json()["body"][0]
    assert not Report.objects.exists()


def test_json_nested_as_deep_as_allowed_is_read(api, areas):
    body = '{"area": "ZZ0101", "period_start": "2024-11-28", "killed": 3, "notes": %s}'
    response = api.post(URL, body % ("[" * 31 + "]" * 31), content_type="application/json")
    assert response.status_code == 400 and list(response.json()) == ["notes"]


@pytest.mark.parametrize("value", ["²", "1²", "¹", "١٠", "𝟙", "٣", "1e3", " 10", "10.0", "0"])
def test_page_size_in_other_digits_is_400_naming_it(api, value):
    for url in (URL, "/api/v1/figures/daily/", "/api/v1/areas/"):
        response = api.get(url, {"page_size": value})
        assert response.status_code == 400, (url, response.content)
        assert "page_size" in response.json()


@pytest.mark.parametrize("page", ["²", "١", "𝟙"])
def test_a_page_in_other_digits_is_4xx(api, page):
    assert api.get(URL, {"page": page}).status_code in (200, 404)


@pytest.mark.parametrize(
    "value",
    [
        "0000-01-01T00:00:00Z",
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00",
        "0001-01-01",
        "0001-01-01T00:00:00+23:59",
        "1899-12-31T23:59:59Z",
        "2100-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "9999-12-31T23:59:59-23:59",
        "99999-01-01T00:00:00Z",
        "+99999-01-01T00:00:00Z",
        "2024-11-28T00:00:00+99:00",
        "2024-11-28T00:00:00+24:00",
        "2024-11-28T99:00:00Z",
        "2024-11-28T00:00:00+0000000000000000000001:00",
    ],
)
def test_extreme_updated_since_is_400_naming_it(api, value):
    response = api.get(URL, {"updated_since": value})
    assert response.status_code == 400, response.content
    assert "updated_since" in response.json()


@pytest.mark.parametrize(
    "value", ["1900-01-01T00:00:00Z", "2024-11-28T00:00:00+15:59", "2099-12-31T00:00:00-23:59"]
)
def test_updated_since_at_the_bounds_is_read(api, value):
    assert api.get(URL, {"updated_since": value}).status_code == 200
