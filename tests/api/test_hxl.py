"""The HXL export as the humanitarian data ecosystem reads it (libhxl, which the HXL Proxy and
HDX's tools use), on the founding scenario: every column's own tag selects that column alone,
and each metric summed per governorate with libhxl is what the JSON adds up to."""

import csv
import io
from collections import defaultdict

import hxl
import pytest

from api.figure_columns import METRIC_TAGS
from tests.api.conftest import client_for
from tests.factories import AgencyFactory, UserFactory
from tracker.models import METRICS, Role

pytestmark = pytest.mark.django_db
URL = "/api/v1/figures/daily/"


@pytest.fixture
def viewer(scenario):
    """A viewer, on the founding scenario."""
    return client_for(UserFactory(agency=AgencyFactory(code="UNHCR"), role=Role.VIEWER))


def hxl_export(client, **params) -> hxl.model.Dataset:
    response = client.get(URL, {**params, "format": "hxl"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return hxl.data(list(csv.reader(io.StringIO(text)))).cache()  # read more than once


def json_rows(client, **params) -> list[dict]:
    rows, page = [], 1
    while True:
        answer = client.get(URL, {**params, "page": page, "page_size": 1000}).json()
        rows += answer["results"]
        if not answer["next"]:
            return rows
        page += 1


def test_every_columns_own_tag_selects_that_column_alone(viewer):
    for params in ({}, {"level": 2}, {"level": 3}):  # every level, districts, none at all
        data = hxl_export(viewer, **params)
        columns = data.columns
        assert len({column.display_tag for column in columns}) == len(columns)
        for column in columns:
            pattern = hxl.model.TagPattern.parse(column.display_tag)
            matched = [other.header for other in columns if pattern.match(other)]
            assert matched == [column.header], column.display_tag


@pytest.mark.parametrize("level", [1, 2])
def test_libhxl_sums_each_metric_per_governorate_as_the_json_adds_up(viewer, level):
    data = hxl_export(viewer, level=level)
    sums = defaultdict(dict)
    for metric in METRICS:
        tag = METRIC_TAGS[metric] + "+value"
        counted = data.count("#adm1+code", aggregators=f"sum({tag}) as Sum#meta+sum")
        for governorate, total in counted.values:
            sums[governorate][metric] = total
    expected = defaultdict(lambda: defaultdict(int))
    for row in json_rows(viewer, level=level):
        for metric in METRICS:
            expected[row["adm1_code"]][metric] += row[metric] or 0
    assert set(sums) == set(expected) and {"SY02", "SY07"} <= set(sums)
    for governorate, totals in expected.items():
        assert {m: int(float(sums[governorate][m] or 0)) for m in METRICS} == totals, governorate
    assert expected["SY07"]["killed"] > 0 and expected["SY07"]["displaced"] > 0


def test_district_rows_carry_their_governorate_and_country(viewer):
    data = hxl_export(viewer, level=2, area="SY07")
    row = next(iter(data))
    assert row.get("#country+code") == "SYR" and row.get("#adm1+code") == "SY07"
    assert row.get("#adm1+name+i_en") == "Idleb" and row.get("#adm1+name+i_ar")
    assert row.get("#adm2+code").startswith("SY07") and row.get("#adm2+name+i_ar")
    assert row.get("#loc+code") == row.get("#adm2+code") and row.get("#loc+level") == "2"
