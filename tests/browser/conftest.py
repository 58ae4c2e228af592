"""Fixtures for the browser tests: one headless Chromium per test run (a fresh profile), the live
server with Syria's areas and the founding scenario, a logged-in staff browser, screenshots.

    def test_something(staff_browser):
        staff_browser.open("/admin/tracker/deskreport/")
        staff_browser.click_and_load(staff_browser.find("a.some-link", clickable=True))
        staff_browser.shot("some-page")          # test-artifacts/some-page.png
"""

from pathlib import Path

import pytest
from django.core.management import call_command

from tests.browser.chromium import Browser, chromium_paths, start_chromium
from tests.conftest import require
from tests.factories import StaffFactory
from tracker.models import Area

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
STAFF_PASSWORD = "browser-staff-pass"


@pytest.fixture(scope="session")
def chromium(django_db_setup, tmp_path_factory):
    """The Selenium driver of one headless Chromium, shared by the run's browser tests.

    It quits before the test database is dropped: the live server's threads serving its
    kept-alive connections hold database connections until then."""
    binary, driver = chromium_paths()
    require(
        "Chromium and chromedriver (apt-get install chromium chromium-driver)",
        bool(binary and driver),
    )
    try:
        import selenium  # noqa: F401
    except ImportError:
        require("selenium (requirements-dev.txt)", False)
    chrome = start_chromium(binary, driver, tmp_path_factory.mktemp("chromium-profile"))
    yield chrome
    chrome.quit()


@pytest.fixture
def browser(transactional_db, chromium, live_server) -> Browser:
    """The shared Chromium, signed out, pointed at the live server (its data is this test's)."""
    chromium.get(f"{live_server.url}/api/v1/health/")  # cookies are deleted for the page's site
    chromium.delete_all_cookies()
    return Browser(chromium, live_server.url)


@pytest.fixture
def founding_scenario(transactional_db) -> None:
    """Syria's areas and the founding scenario, with their figures."""
    if not Area.objects.filter(pcode="SY07").exists():  # an earlier transactional test flushed
        for aliases in ("syria_area_aliases.csv", "syria_area_aliases_tracker.csv"):
            call_command(
                "load_areas", str(FIXTURES / "syria_areas.csv"), aliases=FIXTURES / aliases
            )
    call_command("load_scenario", verbosity=0)


def log_in(browser: Browser, path: str, username: str, password: str) -> None:
    """Sign in through the login form at `path` and wait for the page it leads to."""
    browser.open(path)
    browser.find("input[name=username]").send_keys(username)
    browser.find("input[name=password]").send_keys(password)
    browser.click_and_load(browser.find("[type=submit]", clickable=True))
    assert browser.driver.find_elements("css selector", "input[name=password]") == [], (
        f"{username} could not sign in: {browser.text[:300]}"
    )


@pytest.fixture
def staff_browser(browser, founding_scenario) -> Browser:
    """The browser signed in to the admin as a staff user, on the founding scenario."""
    user = StaffFactory()
    user.set_password(STAFF_PASSWORD)
    user.save()
    log_in(browser, "/admin/login/", user.username, STAFF_PASSWORD)
    return browser
