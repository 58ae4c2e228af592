"""The verification desk in a real browser (headless Chromium), on the founding scenario."""

import datetime

import pytest

from tests.browser.dashboard_page import chart, wait_ready
from tests.factories import AgencyFactory, ReportFactory
from tracker.models import Area, Report, ReportStatus

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_desk_flags_conflict_then_verify_and_reject(staff_browser):
    browser = staff_browser
    day = datetime.date(2024, 11, 28)
    idleb = Area.objects.get(pcode="SY0700")
    extra = ReportFactory(
        agency=AgencyFactory(code="DESKX"),
        area=idleb,
        period_start=day,
        period_end=day,
        killed=9,
        displaced=None,
        source_url="https://example.org/desk",
        source_name="desk test",
    )
    browser.open("/admin/tracker/deskreport/?q=Idlib")
    row = browser.find_xpath(f"//a[text()='#{extra.pk}']/ancestor::tr")
    browser.shot("desk")
    assert "conflict" in row.text

    browser.click_and_load(row.find_element("xpath", f".//a[text()='#{extra.pk}']"))
    assert "Other reports for the same and nested areas" in browser.text
    browser.shot("report-page")
    # The preview: Idleb district's killed on 28 Nov now (5: the Response Coordinators' 5 beat
    # the White Helmets' 3) and once this report's 9 is verified.
    cell = browser.find("tr[data-area='SY0700'][data-date='2024-11-28'] td[data-metric=killed]")
    now, after = cell.get_attribute("data-now"), cell.get_attribute("data-after")
    assert (now, after) == ("5", "9")
    browser.click_and_load(browser.find("[name=_verify]", clickable=True))
    assert f"Report #{extra.pk} verified" in browser.text
    extra.refresh_from_db()
    assert extra.status == ReportStatus.VERIFIED

    # The dashboard now shows the preview's number for that day, in its table and its chart.
    browser.open("/dashboard/?area=SY0700&date_from=2024-11-26&date_to=2024-12-04&metric=killed")
    wait_ready(browser)
    shown = browser.find("#figures-table tr[data-date='2024-11-28'] td[data-metric=killed] a")
    assert shown.text == after
    drawn = chart(browser, "chart-killed")
    value = drawn["datasets"][1]["data"][drawn["labels"].index("2024-11-28")]
    assert str(value) == after
    browser.shot("dashboard-after-verify", full_page=True)

    other = ReportFactory(area=idleb, period_start=day, period_end=day)
    browser.open(f"/admin/tracker/report/{other.pk}/change/")
    browser.click_and_load(browser.find("[name=_reject]", clickable=True))
    assert "Say why the report is rejected" in browser.text
    browser.shot("reject-without-reason")
    other.refresh_from_db()
    assert other.status == ReportStatus.PENDING


def test_bulk_verify_through_the_confirmation_page(staff_browser):
    from selenium.webdriver.support.ui import Select

    browser = staff_browser
    chosen = ReportFactory.create_batch(2)
    browser.open("/admin/tracker/deskreport/")
    for report in chosen:
        box = browser.find(f"input[name=_selected_action][value='{report.pk}']")
        browser.driver.execute_script("arguments[0].scrollIntoView(); arguments[0].click();", box)
        browser.wait(lambda d, box=box: box.is_selected(), message="the box was not ticked")
    Select(browser.find("select[name=action]")).select_by_value("verify_reports")
    browser.click_and_load(browser.find("button[name=index]", clickable=True))
    browser.shot("bulk-confirm")
    confirm = browser.find("input[type=submit][value=Confirm]", clickable=True)
    browser.click_and_load(confirm)
    assert "2 report(s) verified" in browser.text
    statuses = set(
        Report.objects.filter(pk__in=[r.pk for r in chosen]).values_list("status", flat=True)
    )
    assert statuses == {ReportStatus.VERIFIED}
