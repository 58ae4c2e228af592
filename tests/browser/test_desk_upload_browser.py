"""The desk's upload and figures preview in a real browser (headless Chromium), on Syria's
areas and the founding scenario: screenshots under test-artifacts/."""

import datetime
import json
import shutil
import tempfile
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.conftest import require
from tests.factories import AgencyFactory, ReportFactory, StaffFactory
from tracker.models import Area, Report, ReportStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "desk-upload-browser"
DAY = datetime.date(2024, 11, 28)
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", "--window-size=1366,900")  # fmt: skip


@pytest.fixture
def chrome():
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    require("Chromium and chromedriver (apt-get install chromium chromium-driver)", bool(binary))
    require("chromedriver", bool(driver))
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="desk-upload-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    browser = webdriver.Chrome(options=options, service=Service(driver))
    browser.implicitly_wait(5)
    yield browser
    browser.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def desk(chrome, live_server):
    """Staff logged in, over Syria's areas and the founding scenario (its figures computed)."""
    from selenium.webdriver.common.by import By

    if not Area.objects.filter(pcode="SY07").exists():  # an earlier transactional test flushed
        for aliases in ("syria_area_aliases.csv", "syria_area_aliases_tracker.csv"):
            areas = str(ROOT / "fixtures" / "syria_areas.csv")
            call_command("load_areas", areas, aliases=ROOT / "fixtures" / aliases)
    call_command("load_scenario", verbosity=0)
    user = StaffFactory()
    user.set_password(PASSWORD)
    user.save()
    chrome.get(f"{live_server.url}/admin/login/")
    chrome.find_element(By.NAME, "username").send_keys(user.username)
    chrome.find_element(By.NAME, "password").send_keys(PASSWORD)
    submit(chrome, chrome.find_element(By.CSS_SELECTOR, "input[type=submit]"))
    chrome.live_url = live_server.url
    return chrome


def submit(browser, button) -> None:
    """Click a submit button and wait for the next page (a click does not wait for it)."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    page = browser.find_element("tag name", "html")
    button.click()
    WebDriverWait(browser, 20).until(expected_conditions.staleness_of(page))


def shot(browser, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    browser.set_window_size(1366, max(900, browser.execute_script(
        "return document.documentElement.scrollHeight")))  # fmt: skip
    browser.save_screenshot(str(ARTIFACTS / f"{name}.png"))
    browser.set_window_size(1366, 900)


def test_upload_with_a_bad_row_and_an_ambiguous_name(desk, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    agency = AgencyFactory(code="UPL", name="Upload test agency")
    sheet = tmp_path / "agency-sheet.csv"
    sheet.write_text(
        "area,period_start,period_end,killed,displaced,source_name\n"
        "Maaret Tamsrin,2024-11-28,,2,,UPL field team\n"
        "Ariha,2024-11-28,,4,,UPL field team\n"
        "SY0700,2024-11-29,2024-11-27,,300,UPL field team\n"
    )
    desk.get(f"{desk.live_url}/admin/tracker/deskreport/")
    submit(desk, desk.find_element(By.CSS_SELECTOR, ".object-tools a[href$='/upload/']"))
    Select(desk.find_element(By.NAME, "agency")).select_by_visible_text(str(agency))
    desk.find_element(By.NAME, "file").send_keys(str(sheet))
    submit(desk, desk.find_element(By.CSS_SELECTOR, "input[type=submit][value=Preview]"))

    ambiguous, bad = desk.find_element(By.ID, "row-2"), desk.find_element(By.ID, "row-3")
    assert "'Ariha' may mean SY0705 Ariha" in ambiguous.text
    assert "SY070500 Ariha" in ambiguous.text
    assert "period_end: The period cannot end before it starts." in bad.text
    assert "2 row(s) will not be stored" in desk.page_source
    shot(desk, "desk-upload-preview")
    assert not Report.objects.filter(agency=agency).exists()

    Select(desk.find_element(By.NAME, "choice-2-area")).select_by_value("SY0705")
    submit(desk, desk.find_element(By.NAME, "_check"))
    assert "SY0705 Ariha" in desk.find_element(By.ID, "row-2").text
    submit(desk, desk.find_element(By.NAME, "_confirm"))
    assert "UPL: uploaded agency-sheet.csv: 2 report(s) created" in desk.page_source
    shot(desk, "desk-upload-stored")
    stored = Report.objects.filter(agency=agency).order_by("area__pcode")
    assert [(r.area.pcode, r.killed) for r in stored] == [("SY070005", 2), ("SY0705", 4)]


def daily_killed(browser, pcode: str) -> int | None:
    """The API's daily figure, read in the browser (the staff session is logged in)."""
    from selenium.webdriver.common.by import By

    query = f"area={pcode}&date_from={DAY}&date_to={DAY}"
    browser.get(f"{browser.live_url}/api/v1/figures/daily/?{query}")
    rows = json.loads(browser.find_element(By.TAG_NAME, "pre").text)["results"]
    return rows[0]["killed"] if rows else None


def test_verify_and_the_figure_becomes_the_previewed_number(desk):
    from selenium.webdriver.common.by import By

    district = Area.objects.get(pcode="SY0700")
    before = daily_killed(desk, "SY0700")
    report = ReportFactory(
        agency=AgencyFactory(code="PRV"),
        area=district,
        period_start=DAY,
        killed=(before or 0) + 6,
        displaced=None,
        source_name="preview test",
    )
    desk.get(f"{desk.live_url}/admin/tracker/report/{report.pk}/change/")
    cell = desk.find_element(
        By.CSS_SELECTOR,
        f"tr[data-area='SY0700'][data-date='{DAY}'] td[data-metric='killed']",
    )
    preview = (cell.get_attribute("data-now"), cell.get_attribute("data-after"))
    assert preview == (str(before or ""), str((before or 0) + 6))
    above = desk.find_element(
        By.CSS_SELECTOR, f"tr[data-area='SY07'][data-date='{DAY}'] td[data-metric='killed']"
    ).get_attribute("data-after")
    desk.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
    shot(desk, "desk-verify-preview")

    submit(desk, desk.find_element(By.NAME, "_verify"))
    assert f"Report #{report.pk} verified" in desk.page_source
    report.refresh_from_db()
    assert report.status == ReportStatus.VERIFIED
    assert daily_killed(desk, "SY0700") == int(preview[1])
    assert daily_killed(desk, "SY07") == int(above)
    shot(desk, "desk-verify-api-figure")
