"""The public figures: without a token when PUBLIC_FIGURES is on, down to PUBLIC_MAX_LEVEL,
small numbers withheld so that no subtraction of published numbers gives one back, and
PUBLIC_RATE per client address. Figures are made by the engine from verified reports."""

import csv
import datetime
import io
from collections import defaultdict

import hxl
import pytest
from rest_framework.test import APIClient

from api.throttling import AddressRateThrottle
from tests.api.conftest import client_for
from tests.factories import AgencyFactory, AreaFactory, UserFactory
from tracker import services
from tracker.models import METRICS, Area, Role

pytestmark = pytest.mark.django_db
URL = "/api/v1/public/figures/daily/"
DAY = datetime.date(2024, 11, 28)
NEXT_DAY = DAY + datetime.timedelta(days=1)


@pytest.fixture
def public(settings):
    settings.PUBLIC_FIGURES = True
    return APIClient()  # no token


@pytest.fixture
def country(django_capture_on_commit_callbacks):
    """Country ZZ: governorate ZZ01 with districts ZZ0101..03 (and a sub-district), ZZ02 with
    one district. On DAY: 3, 12 and 20 killed in ZZ01's districts (20 with 17 children), 30 in
    ZZ02's; on NEXT_DAY 2 killed in ZZ02's district alone, 40 in ZZ01's third. Two agencies."""
    zz = AreaFactory(pcode="ZZ")
    idleb, aleppo = AreaFactory(pcode="ZZ01", parent=zz), AreaFactory(pcode="ZZ02", parent=zz)
    areas = {pcode: AreaFactory(pcode=pcode, parent=idleb) for pcode in ("ZZ0101", "ZZ0102")}
    areas["ZZ0103"] = AreaFactory(pcode="ZZ0103", parent=idleb, name_en="=Third")
    areas["ZZ0201"] = AreaFactory(pcode="ZZ0201", parent=aleppo)
    areas["ZZ010101"] = AreaFactory(pcode="ZZ010101", parent=areas["ZZ0101"])
    verifier = UserFactory(agency=AgencyFactory(code="CHECK"), role=Role.VERIFIER)
    reporter = UserFactory(agency=AgencyFactory(code="OCHA"), role=Role.REPORTER)
    reports = [("ZZ0101", DAY, {"killed": 3}), ("ZZ0102", DAY, {"killed": 12}),
               ("ZZ0103", DAY, {"killed": 20, "killed_children": 17}),
               ("ZZ0201", DAY, {"killed": 30}), ("ZZ0201", NEXT_DAY, {"killed": 2}),
               ("ZZ0103", NEXT_DAY, {"killed": 40})]  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        for pcode, day, counts in reports:
            report = services.report_create(
                agency=reporter.agency, submitted_by=reporter, area=areas[pcode],
                period_start=day, **counts,
            )  # fmt: skip
            services.report_verify(report=report, user=verifier)
        services.report_create(  # pending: never public
            agency=reporter.agency, submitted_by=reporter, area=areas["ZZ0102"], period_start=DAY,
            displaced=400,
        )  # fmt: skip
    return client_for(reporter)


def rows_by_area(client, day, url=URL) -> dict[str, dict]:
    answer = client.get(url, {"date_from": day, "date_to": day})
    assert answer.status_code == 200, answer.content
    return {row["area"]: row for row in answer.json()["results"]}


def test_off_by_default_the_public_urls_answer_404():
    assert APIClient().get(URL).status_code == 404


def test_figures_are_served_without_a_token_and_without_pending_reports(public, country):
    rows = rows_by_area(public, DAY)
    assert set(rows) == {"ZZ", "ZZ01", "ZZ02", "ZZ0101", "ZZ0102", "ZZ0103", "ZZ0201"}
    assert all("pending_reports" not in row for row in rows.values())
    assert rows["ZZ01"]["killed"] == 35 and rows["ZZ01"]["country_code"] == "ZZ"
    assert rows["ZZ0103"]["adm1_code"] == "ZZ01" and rows["ZZ0103"]["withheld"] == [
        "killed_cumulative", "killed_children", "killed_children_cumulative"
    ]  # fmt: skip
    assert public.get(URL, {"level": 3}).json() == {
        "level": ["Select a valid choice. 3 is not one of the available choices."]
    }
    assert "area" in public.get(URL, {"area": "ZZ010101"}).json()  # deeper than level 2
    assert set(public.get(URL, {"as_of": "2024-11-28"}).json()) == {"as_of"}


def test_no_withheld_number_comes_back_by_subtracting_published_ones(public, country):
    """A governorate and all but one of its districts would give back that one: the smallest
    other district is withheld with it (secondary suppression)."""
    shown, exact = rows_by_area(public, DAY), rows_by_area(country, DAY, "/api/v1/figures/daily/")
    assert exact["ZZ0101"]["killed"] == 3  # the agencies still see it
    small, sibling = shown["ZZ0101"], shown["ZZ0102"]
    assert (small["killed"], small["killed_low"], small["killed_high"]) == (None, None, None)
    assert "killed" in small["withheld"] and sibling["killed"] is None
    assert shown["ZZ01"]["killed"] - shown["ZZ0103"]["killed"] == 3 + 12  # not 3
    # 20 killed, 17 of them children: 3 adults. The children's count is withheld.
    assert shown["ZZ0103"]["killed"] == 20 and shown["ZZ0103"]["killed_children"] is None
    # Running totals below the governorates would give each day back: withheld.
    assert {row["killed_cumulative"] for a, row in shown.items() if len(a) == 6} == {None}
    assert shown["ZZ01"]["killed_cumulative"] == 35 and shown["ZZ"]["killed_cumulative"] == 65


def test_a_districts_only_count_takes_its_governorate_and_its_running_total_along(public, country):
    """On NEXT_DAY ZZ02's 2 killed are all in ZZ0201: the governorate's 2 is the district's.
    Both are withheld; then the country's family has one withheld governorate, so ZZ01 goes
    too, and with it its one reporting district (ZZ01's 40 is ZZ0103's). Their running
    totals, which would give the day back, are withheld from then on."""
    shown = rows_by_area(public, NEXT_DAY)
    assert shown["ZZ0201"]["killed"] is None and shown["ZZ02"]["killed"] is None
    assert shown["ZZ01"]["killed"] is None and shown["ZZ"]["killed"] == 42
    assert shown["ZZ02"]["killed_cumulative"] is None and shown["ZZ01"]["killed_cumulative"] is None
    assert shown["ZZ"]["killed_cumulative"] == 107
    assert shown["ZZ0103"]["killed"] is None and "killed" in shown["ZZ0103"]["withheld"]
    assert rows_by_area(public, DAY)["ZZ02"]["killed_cumulative"] == 30  # the day before stays


def test_every_family_has_none_or_several_withheld_numbers(public, country):
    for day in (DAY, NEXT_DAY):
        shown = rows_by_area(public, day)
        for metric in METRICS:
            families = defaultdict(list)
            for area, row in shown.items():
                if metric in row["withheld"] or row[metric] is not None:
                    families[area[:-2]].append(metric in row["withheld"])
            for parent, children in families.items():
                if parent in shown:
                    withheld = [*children, metric in shown[parent]["withheld"]]
                    assert sum(withheld) != 1, (day, metric, parent)


def test_the_protection_does_not_depend_on_what_is_asked(public, country):
    everything = {(r["area"], r["date"]): r for r in public.get(URL).json()["results"]}
    for params in ({"area": "ZZ01", "level": 2}, {"date_from": NEXT_DAY}, {"area": "ZZ02"}):
        for row in public.get(URL, params).json()["results"]:
            assert row == everything[row["area"], row["date"]]


def test_exports_show_withheld_cells_empty_with_the_same_tags(public, country):
    export = public.get(URL, {"format": "hxl", "date_to": DAY})
    assert export["Content-Disposition"] == 'attachment; filename="public-daily-figures-hxl.csv"'
    header, tags, *rows = csv.reader(io.StringIO(b"".join(export.streaming_content).decode()))
    tagged = dict(zip(header, tags, strict=True))
    assert tagged["withheld"] == "#meta+withheld" and "pending_reports" not in tagged
    by_area = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert by_area["ZZ0101"]["killed"] == "" and "killed" in by_area["ZZ0101"]["withheld"].split()
    assert by_area["ZZ0103"]["area_name"] == "'=Third"
    data = hxl.data([header, tags, *rows]).cache()
    counted = data.count("#adm1+code", aggregators="sum(#affected+killed+total+value) as S#x")
    assert dict(counted.values)["ZZ01"] == 35 + 20  # the governorate and its one shown district


def test_the_rate_is_per_client_address(public, country, monkeypatch, settings):
    monkeypatch.setattr(AddressRateThrottle, "rate", "3/min", raising=False)
    for _ in range(3):
        assert public.get(URL, REMOTE_ADDR="10.0.0.1").status_code == 200
    refused = public.get(URL, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert public.get(URL, REMOTE_ADDR="10.0.0.2").status_code == 200
    # Behind one proxy (the recipe's nginx), the address it saw, not what the client wrote.
    settings.FORWARDED_FOR_PROXIES = 1
    forwarded = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "10.0.0.1, 10.0.0.3"}
    for _ in range(3):
        assert public.get(URL, **forwarded).status_code == 200
    assert public.get(URL, **forwarded).status_code == 429
    assert country.get("/api/v1/figures/daily/").status_code == 200  # tokens: their own budget


def test_a_newly_verified_report_shows_at_once(public, country, django_capture_on_commit_callbacks):
    """The protected figures are kept between requests, until the figures change."""
    assert rows_by_area(public, DAY)["ZZ0102"]["killed"] is None  # the small one's partner
    verifier = UserFactory(agency=AgencyFactory(code="CHECK"), role=Role.VERIFIER)
    other = UserFactory(agency=AgencyFactory(code="SCD"), role=Role.REPORTER)
    with django_capture_on_commit_callbacks(execute=True):
        report = services.report_create(
            agency=other.agency, submitted_by=other, area=Area.objects.get(pcode="ZZ0101"),
            period_start=DAY, killed=9,
        )  # fmt: skip
        services.report_verify(report=report, user=verifier)
    shown = rows_by_area(public, DAY)  # ZZ0101: 9 (low 3: still withheld), its partner goes on
    assert shown["ZZ0101"]["killed"] is None and shown["ZZ0102"]["killed"] is None
    assert shown["ZZ01"]["killed"] == 41  # 9 + 12 + 20
