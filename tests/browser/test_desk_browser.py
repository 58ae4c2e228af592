"""The verification desk in a real browser (headless Chromium), on the founding scenario."""

import datetime
import shutil
import tempfile
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.conftest import require
from tests.factories import AgencyFactory, ReportFactory, StaffFactory
from tracker.models import Area, Report, ReportStatus

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1366,900",
)
PASSWORD = "desk-browser-pass"


def chromium() -> tuple[str | None, str | None]:
    return (
        shutil.which("chromium") or shutil.which("chromium-browser"),
        shutil.which("chromedriver"),
    )


@pytest.fixture
def browser():
    binary, driver = chromium()
    require(
        "Chromium and chromedriver (apt-get install chromium chromium-driver)",
        bool(binary and driver),
    )
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        require("selenium (requirements-dev.txt)", False)
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="desk-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    chrome = webdriver.Chrome(options=options, service=Service(driver))
    chrome.implicitly_wait(5)
    yield chrome
    chrome.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def staff_browser(browser, live_server):
    from selenium.webdriver.common.by import By

    if not Area.objects.filter(pcode="SY07").exists():  # an earlier transactional test flushed
        for aliases in ("syria_area_aliases.csv", "syria_area_aliases_tracker.csv"):
            call_command(
                "load_areas", str(FIXTURES / "syria_areas.csv"), aliases=FIXTURES / aliases
            )
    call_command("load_scenario", verbosity=0)
    user = StaffFactory()
    user.set_password(PASSWORD)
    user.save()
    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys(user.username)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    browser.live_url = live_server.url
    return browser


def shot(browser, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def test_desk_flags_conflict_then_verify_and_reject(staff_browser):
    from selenium.webdriver.common.by import By

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
    browser.get(f"{browser.live_url}/admin/tracker/deskreport/?q=Idlib")
    shot(browser, "desk")
    row = browser.find_element(By.XPATH, f"//a[text()='#{extra.pk}']/ancestor::tr")
    assert "conflict" in row.text

    row.find_element(By.XPATH, f".//a[text()='#{extra.pk}']").click()
    assert "Other reports for the same and nested areas" in browser.page_source
    shot(browser, "report-page")
    browser.find_element(By.NAME, "_verify").click()
    assert f"Report #{extra.pk} verified" in browser.page_source
    extra.refresh_from_db()
    assert extra.status == ReportStatus.VERIFIED

    other = ReportFactory(area=idleb, period_start=day, period_end=day)
    browser.get(f"{browser.live_url}/admin/tracker/report/{other.pk}/change/")
    browser.find_element(By.NAME, "_reject").click()
    assert "Say why the report is rejected" in browser.page_source
    shot(browser, "reject-without-reason")
    other.refresh_from_db()
    assert other.status == ReportStatus.PENDING


def test_bulk_verify_through_the_confirmation_page(staff_browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser = staff_browser
    chosen = ReportFactory.create_batch(2)
    browser.get(f"{browser.live_url}/admin/tracker/deskreport/")
    for report in chosen:
        box = browser.find_element(
            By.CSS_SELECTOR, f"input[name=_selected_action][value='{report.pk}']"
        )
        browser.execute_script("arguments[0].scrollIntoView(); arguments[0].click();", box)
    Select(browser.find_element(By.NAME, "action")).select_by_value("verify_reports")
    browser.find_element(By.NAME, "index").click()
    shot(browser, "bulk-confirm")
    assert "Confirm" in browser.page_source
    browser.find_element(By.CSS_SELECTOR, "input[type=submit][value=Confirm]").click()
    assert "2 report(s) verified" in browser.page_source
    statuses = set(
        Report.objects.filter(pk__in=[r.pk for r in chosen]).values_list("status", flat=True)
    )
    assert statuses == {ReportStatus.VERIFIED}
