"""GET /api/v1/figures/overview/: one area's figures over a period with the areas below it, what
the dashboard draws. Its numbers are the daily figures API's; the query count does not grow."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.api.conftest import client_for
from tests.factories import AgencyFactory, AreaFactory, ReportFactory, UserFactory
from tracker import services
from tracker.figures import engine
from tracker.models import Area, ReportStatus, Role
from tracker.services.figures import figures_refresh

pytestmark = pytest.mark.django_db
URL = "/api/v1/figures/overview/"
DAILY = "/api/v1/figures/daily/"


@pytest.fixture
def viewer():
    return client_for(UserFactory(agency=AgencyFactory(code="UNHCR"), role=Role.VIEWER))


def test_figures_are_the_daily_figures_of_the_api(viewer, scenario):
    period = {"date_from": "2024-11-26", "date_to": "2024-12-04"}
    answer = viewer.get(URL, {"area": "SY07", **period}).json()
    daily = viewer.get(DAILY, {"area": "SY07", **period}).json()["results"]
    assert len(daily) == 9 and len(answer["figures"][0]) == 21  # 4 metrics x 4, and 5 more
    assert answer["figures"] == [{k: row[k] for k in answer["figures"][0]} for row in daily]
    below = viewer.get(DAILY, {"area": "SY07", "level": 2, **period}).json()["results"]
    columns = answer["children_figures"]["columns"]
    assert columns == ["area", "date", "displaced", "returned", "killed", "injured"]
    assert answer["children_figures"]["rows"] == [[row[c] for c in columns] for row in below]


def test_the_areas_below_with_their_centroids_and_what_the_period_added(viewer, scenario):
    answer = viewer.get(URL, {"area": "SY07", "date_from": "2024-11-29", "date_to": "2024-12-01"})
    body = answer.json()
    assert body["area"]["name_ar"] == "إدلب" and body["area"]["parents"][0]["pcode"] == "SY"
    # Idleb's killed: cumulative 12 on 28 Nov, 20 on 1 Dec (README's worked example).
    assert body["area"]["in_period"]["killed"] == 8
    assert body["area"]["in_period"]["returned"] is None  # nobody reported it
    children = {child["pcode"]: child for child in body["children"]}
    assert len(children) == 5 and children["SY0700"]["has_children"]
    assert (children["SY0700"]["latitude"], children["SY0700"]["longitude"]) == (
        35.90691,
        36.75677,
    )  # fixtures/syria_areas.csv
    assert children["SY0700"]["in_period"]["killed"] == 8  # 9 on 28 Nov, 17 on 1 Dec
    assert children["SY0702"]["in_period"]["killed"] is None


def test_opens_on_the_country_over_the_days_it_has_figures(viewer, scenario):
    body = viewer.get(URL).json()
    days = [row["date"] for row in viewer.get(DAILY, {"area": "SY"}).json()["results"]]
    assert body["area"]["pcode"] == "SY"
    assert (body["date_from"], body["date_to"]) == (days[0], days[-1])
    assert days[0] == "2024-11-26" and days[-1] == "2024-12-04"
    below = {child["name_en"] for child in body["children"] if child["in_period"]["displaced"]}
    assert below == {"Idleb", "Aleppo"}


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"area": "NOWHERE"}, "area", "Unknown area p-code NOWHERE."),
        ({"area": "SY", "date_from": "2024-13-01"}, "date_from", "Enter a valid date."),
        ({"date_from": "2024-12-04", "date_to": "2024-11-26"}, "date_to", "ends before it starts"),
        ({"date_from": "2023-01-01", "date_to": "2024-12-31"}, "date_to", "at most 366 days"),
        ({"date_to": "1066-10-14"}, "date_to", "from 1900-01-01"),
    ],
)
def test_bad_queries_are_400_naming_the_field(viewer, params, field, message):
    response = viewer.get(URL, params)
    assert response.status_code == 400
    assert message in response.json()[field][0]


def test_needs_a_login(client):
    assert client.get(URL).status_code == 401


def hierarchy(children: int, days: int):
    """A governorate with `children` districts, each with a verified report on each of `days`."""
    governorate = AreaFactory(parent=AreaFactory(), latitude=35, longitude=36)
    first = datetime.date(2024, 11, 1)
    for number in range(children):
        district = AreaFactory(parent=governorate, latitude=35 + number / 10, longitude=36)
        for day in range(days):
            on = first + datetime.timedelta(days=day)
            ReportFactory(area=district, period_start=on, killed=day, status=ReportStatus.VERIFIED)
    engine.rebuild()
    return governorate


def test_the_query_count_does_not_grow_with_days_or_areas_below(viewer):
    viewer.get("/api/v1/me/")  # the token's first use in a minute writes when it was last used
    counts = []
    for children, days in ((1, 2), (6, 30)):
        governorate = hierarchy(children, days)
        with CaptureQueriesContext(connection) as queries:
            body = viewer.get(URL, {"area": governorate.pcode}).json()
        assert len(body["figures"]) == days and len(body["children"]) == children
        assert len(body["children_figures"]["rows"]) == children * days
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 12


def test_as_of_gives_the_overview_as_the_tracker_gave_it_then(viewer, scenario):
    period = {"area": "SY07", "date_from": "2024-11-26", "date_to": "2024-12-04"}
    before = timezone.now()
    then = viewer.get(URL, period).json()
    verifier = UserFactory(role=Role.VERIFIER)
    report = ReportFactory(area=Area.objects.get(pcode="SY0700"), killed=40, displaced=None,
                           period_start=datetime.date(2024, 12, 2))  # fmt: skip
    services.report_verify(report=report, user=verifier)
    figures_refresh()
    now = viewer.get(URL, period).json()
    assert now["area"]["in_period"]["killed"] > then["area"]["in_period"]["killed"]
    assert viewer.get(URL, {**period, "as_of": before.isoformat()}).json() == then
    later = viewer.get(URL, {**period, "as_of": timezone.now().isoformat()}).json()
    assert later == now
    future = (timezone.now() + datetime.timedelta(days=1)).isoformat()
    for bad in ("soon", future):
        answer = viewer.get(URL, {**period, "as_of": bad})
        assert answer.status_code == 400 and "as_of" in answer.json()
