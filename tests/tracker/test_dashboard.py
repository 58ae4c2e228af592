"""The dashboard's pages: for signed-in staff and agency users; the explanation of a figure; the
charting library served by the tracker itself; a few queries whatever the size."""

import datetime
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import AgencyFactory, AreaFactory, ReportFactory, StaffFactory, UserFactory
from tracker.figures import engine
from tracker.models import ReportStatus, Role

pytestmark = pytest.mark.django_db
CHART_JS = "vendor/chart.js-4.6.1/chart.umd.min.js"


@pytest.fixture
def viewer_client(client):
    user = UserFactory(agency=AgencyFactory(code="UNHCR"), role=Role.VIEWER)
    user.set_password("viewer-pass")
    user.save()
    return client, user


def test_an_agency_user_signs_in_and_sees_the_founding_scenario(viewer_client, scenario):
    client, user = viewer_client
    assert client.get("/dashboard/").url == "/login/?next=/dashboard/"
    signed_in = client.post(
        "/login/?next=/dashboard/", {"username": user.username, "password": "viewer-pass"}
    )
    assert signed_in.status_code == 302 and signed_in.url == "/dashboard/"
    html = client.get("/dashboard/").content.decode()
    assert "Syrian Arab Republic" in html
    assert '<bdi id="area-name-ar" lang="ar" dir="rtl">الجمهورية العربية السورية</bdi>' in html
    assert 'value="2024-11-26"' in html and 'value="2024-12-04"' in html
    config = json.loads(re.search(r'id="dashboard-config"[^>]*>(.*?)</script>', html)[1])
    period = "area=SY&date_from=2024-11-26&date_to=2024-12-04"
    assert config["overview_url"] == f"/api/v1/figures/overview/?{period}"
    assert "/api/v1/figures/daily/?area=SY&amp;date_from=2024-11-26&amp;date_to=2024-12-04" in html
    assert "format=hxl" in html and "level=1" in html  # the governorates' exports


def test_the_wrong_password_is_refused(viewer_client):
    client, user = viewer_client
    response = client.post("/login/", {"username": user.username, "password": "wrong"})
    assert response.status_code == 200 and "correct username and password" in response.text
    assert client.get("/dashboard/").status_code == 302


def test_a_drilled_down_area_names_the_areas_above_it(client, scenario):
    client.force_login(StaffFactory())
    html = client.get("/dashboard/", {"area": "SY0700", "metric": "killed"}).content.decode()
    assert "Idleb" in html and "district SY0700" in html
    assert "?area=SY07&amp;date_from=" in html and "metric=killed" in html  # back up a level
    assert 'href="/admin/"' in html  # staff also get the admin


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"area": "NOWHERE"}, "<code>area</code>: Unknown area p-code NOWHERE."),
        ({"date_from": "28/11/2024"}, "<code>date_from</code>: Enter a valid date."),
        ({"metric": "happiness"}, "<code>metric</code>: Select a valid choice."),
        ({"date_from": "2024-12-01", "date_to": "2024-11-01"}, "<code>date_to</code>: The period"),
    ],
)
def test_bad_queries_are_400_naming_the_field(client, params, message):
    client.force_login(StaffFactory())
    response = client.get("/dashboard/", params)
    assert response.status_code == 400 and message in response.text


def test_a_figure_explained(client, scenario):
    client.force_login(UserFactory(role=Role.VIEWER))
    response = client.get(
        "/dashboard/explain/", {"area": "SY07", "date": "2024-11-28", "metric": "killed"}
    )
    html = response.content.decode()
    # README's worked example: killed in Idleb on 28 Nov 2024.
    assert '<span class="big" id="value-killed">5</span>' in html
    assert "low 4, high 12; cumulative 12" in html
    assert "the sum of the areas below, larger than the area&#x27;s own reports (rule 6)" in html
    assert "26 Nov 2024 &ndash; 28 Nov 2024" in html  # OCHA's report, 12 over three days
    assert "<td>12</td><td>4</td>" in html  # reported 12, 4 of them on this day
    assert "OCHA (largest)" in html and "cumulative <strong>12</strong>" in html
    assert "/api/v1/reports/" in html  # an agency user reads the reports through the API


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date": "2024-11-28"}, "<code>area</code>: This field is required."),
        ({"area": "SY07", "date": "soon"}, "<code>date</code>: Enter a valid date."),
        ({"area": "SY07", "date": "2024-11-28", "metric": "x"}, "<code>metric</code>:"),
    ],
)
def test_explanation_of_a_bad_query_is_400(client, params, message):
    client.force_login(StaffFactory())
    response = client.get("/dashboard/explain/", params)
    assert response.status_code == 400 and message in response.text


def test_pages_need_a_login(client):
    for path in ("/dashboard/", "/dashboard/explain/?area=SY&date=2024-11-28"):
        assert client.get(path).url.startswith("/login/?next=/dashboard/")


def test_home_leads_to_the_dashboard_the_admin_and_the_api_docs(client):
    html = client.get("/").content.decode()
    assert all(f'href="{path}"' in html for path in ("/dashboard/", "/admin/", "/api/docs/"))


def test_the_charting_library_is_served_by_the_tracker_with_its_licence(client):
    client.force_login(StaffFactory())
    assert f'src="/static/{CHART_JS}"' in client.get("/dashboard/").text
    script = client.get(f"/static/{CHART_JS}")
    assert script.status_code == 200
    assert b"Chart.js v4.6.1" in b"".join(script.streaming_content)[:200]
    licence = Path(settings.BASE_DIR) / "tracker/static" / Path(CHART_JS).parent / "LICENSE.md"
    assert "MIT License" in licence.read_text()


def _hierarchy(children: int, days: int):
    governorate = AreaFactory(parent=AreaFactory())
    for number in range(children):
        district = AreaFactory(parent=governorate, latitude=35 + number / 10, longitude=36)
        for day in range(days):
            ReportFactory(
                area=district,
                period_start=datetime.date(2024, 11, 1) + datetime.timedelta(days=day),
                killed=3,
                status=ReportStatus.VERIFIED,
            )
    engine.rebuild()
    return governorate


def test_pages_take_the_same_queries_whatever_the_days_and_areas_below(client):
    client.force_login(StaffFactory())
    counts = []
    for children, days in ((1, 2), (5, 25)):
        governorate = _hierarchy(children, days)
        with CaptureQueriesContext(connection) as page:
            assert client.get("/dashboard/", {"area": governorate.pcode}).status_code == 200
        day = {"area": governorate.pcode, "date": "2024-11-02"}
        with CaptureQueriesContext(connection) as explanation:
            assert client.get("/dashboard/explain/", day).status_code == 200
        counts.append((len(page), len(explanation)))
    assert counts[0] == counts[1]
    assert counts[0][0] <= 8 and counts[0][1] <= 15
