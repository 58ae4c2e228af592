"""The dashboard in a real browser (headless Chromium) against the live server, on the founding
scenario: what a newcomer sees first, that the charts draw the API's figures, search in Arabic,
drilling down by clicking the map and the breakdown, a number's explanation."""

from datetime import date, timedelta

import pytest

from tests.browser.conftest import log_in
from tests.browser.dashboard_page import api, chart, config, wait_ready
from tests.factories import AgencyFactory, UserFactory
from tracker.models import Role

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]
METRICS = ("displaced", "returned", "killed", "injured")
PASSWORD = "dashboard-viewer-pass"


def assert_charts_draw_the_api_figures(browser) -> None:
    shown = config(browser)
    period = f"date_from={shown['date_from']}&date_to={shown['date_to']}"
    rows = api(browser, f"/api/v1/figures/daily/?area={shown['area']}&{period}&page_size=1000")
    by_day = {row["date"]: row for row in rows["results"]}
    first, last = date.fromisoformat(shown["date_from"]), date.fromisoformat(shown["date_to"])
    days = [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
    assert by_day and set(by_day) <= set(days)
    for metric in METRICS:
        drawn = chart(browser, f"chart-{metric}")
        assert drawn["labels"] == days
        band, value, cumulative = (d["data"] for d in drawn["datasets"])
        for n, day in enumerate(days):
            row = by_day.get(day, {})
            assert value[n] == row.get(metric), (metric, day)
            assert cumulative[n] == row.get(f"{metric}_cumulative"), (metric, day)
            low_high = [row.get(f"{metric}_low"), row.get(f"{metric}_high")]
            assert band[n] == (low_high if row.get(metric) is not None else None), (metric, day)


def click_on_canvas(browser, canvas: str, script: str) -> None:
    """Click the point of the chart on `canvas` that `script` (given `chart`) returns as [x, y]
    in canvas pixels, and wait for the page it leads to."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.support import expected_conditions as ec

    element = browser.find(f"#{canvas}")
    browser.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    x, y = browser.driver.execute_script(
        f"const chart = Chart.getChart(document.getElementById('{canvas}')); {script}"
    )
    width, height = element.size["width"], element.size["height"]
    old = browser.driver.find_element("tag name", "html")
    ActionChains(browser.driver).move_to_element_with_offset(
        element, round(x - width / 2), round(y - height / 2)
    ).click().perform()
    browser.wait(ec.staleness_of(old), message=f"clicking {canvas} went nowhere")
    browser.wait_loaded()


@pytest.fixture
def agency_user(founding_scenario):
    user = UserFactory(agency=AgencyFactory(code="UNHCR"), role=Role.VIEWER)
    user.set_password(PASSWORD)
    user.save()
    return user


def test_a_newcomer_signs_in_and_sees_idleb_and_aleppo_in_late_november(browser, agency_user):
    browser.open("/")
    browser.click_and_load(browser.find("main a[href='/dashboard/']", clickable=True))
    assert "/login/" in browser.driver.current_url
    log_in(browser, browser.driver.current_url, agency_user.username, PASSWORD)
    wait_ready(browser)
    assert browser.find("#area-title").text.startswith("Syrian Arab Republic")
    shown = config(browser)
    assert (shown["date_from"], shown["date_to"]) == ("2024-11-26", "2024-12-04")
    assert_charts_draw_the_api_figures(browser)

    arabic = browser.find("#area-name-ar")
    assert arabic.text == "الجمهورية العربية السورية"
    assert arabic.value_of_css_property("direction") == "rtl"

    below = {d["pcode"] for d in chart(browser, "chart-breakdown")["datasets"] if d["pcode"]}
    assert below == {"SY07", "SY02"}
    overview = api(browser, config(browser)["overview_url"])
    added = {c["pcode"]: c["in_period"] for c in overview["children"]}
    on_map = {p["pcode"]: p for p in chart(browser, "chart-map")["datasets"][0]["data"]}
    assert len(on_map) == 14  # every governorate, at its centroid
    assert (on_map["SY07"]["x"], on_map["SY07"]["y"]) == (36.66667, 35.76667)
    assert {pcode: p["value"] for pcode, p in on_map.items()} == {
        pcode: values["displaced"] for pcode, values in added.items()
    }
    browser.shot("dashboard", full_page=True)

    from selenium.webdriver.support.ui import Select

    Select(browser.find("#metric")).select_by_value("killed")
    browser.wait(lambda d: chart(browser, "chart-map")["datasets"][0]["label"] == "Killed")
    killed = {p["pcode"]: p["value"] for p in chart(browser, "chart-map")["datasets"][0]["data"]}
    assert killed["SY07"] == added["SY07"]["killed"] == 20 and killed["SY02"] == 3

    # Clicking Idleb's bar on 1 December goes down to Idleb.
    click_on_canvas(
        browser,
        "chart-breakdown",
        """const set = chart.data.datasets.findIndex((d) => d.pcode === "SY07");
        const bar = chart.getDatasetMeta(set).data[chart.data.labels.indexOf("2024-12-01")];
        return [bar.x, (bar.y + bar.base) / 2];""",
    )
    wait_ready(browser)
    assert config(browser)["area"] == "SY07" and config(browser)["metric"] == "killed"


def test_search_in_arabic_then_drill_down_on_the_map_and_explain_a_number(staff_browser):
    browser = staff_browser
    browser.open("/dashboard/")
    wait_ready(browser)
    browser.find("#area-search").send_keys("إدلب")
    browser.click_and_load(browser.find("#area-results a[data-pcode='SY07']", clickable=True))
    wait_ready(browser)
    assert browser.find("#area-title").text.startswith("Idleb")
    assert_charts_draw_the_api_figures(browser)

    click_on_canvas(
        browser,
        "chart-map",
        """const i = chart.data.datasets[0].data.findIndex((p) => p.pcode === "SY0700");
        const point = chart.getDatasetMeta(0).data[i];
        return [point.x, point.y];""",
    )
    wait_ready(browser)
    assert "district SY0700" in browser.find("#area-title").text
    assert_charts_draw_the_api_figures(browser)
    browser.shot("dashboard-district", full_page=True)

    cell = browser.find("#figures-table tr[data-date='2024-11-28'] td[data-metric=killed] a")
    assert cell.text == "5"
    browser.click_and_load(cell)
    # README: Idleb district on 28 Nov, the White Helmets' 3 and the Response Coordinators' 5.
    assert browser.find("#value-killed").text == "5"
    assert "low 3, high 8" in browser.text
    assert "the area's own reports: largest agency total (rule 5)" in browser.text
    browser.shot("explanation", full_page=True)
