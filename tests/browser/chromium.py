"""A headless Chromium that waits for what each step needs.

The desk's browser tests used to fail now and then on a busy machine: they read `page_source`
right after clicking a submit button, before the browser had the answer, so they checked the
page they had just left (and the login's POST could be cut short by the next `get`). Every
step here waits explicitly: for the old page to go away and the new one to load after a click
that navigates, for an element to be there (or clickable) before using it, for a script's data
before reading it. Nothing sleeps for a fixed time and nothing relies on an implicit wait.
"""

import shutil
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--window-size=1366,900",
    "--lang=en",
)
WAIT_SECONDS = 30  # generous: the machine may be busy with other suites


def chromium_paths() -> tuple[str | None, str | None]:
    return (
        shutil.which("chromium") or shutil.which("chromium-browser"),
        shutil.which("chromedriver"),
    )


def start_chromium(binary: str, driver: str, profile: Path):
    """A new headless Chromium with its own, empty profile directory."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    chrome = webdriver.Chrome(options=options, service=Service(driver))
    chrome.set_page_load_timeout(120)
    chrome.set_script_timeout(WAIT_SECONDS)
    return chrome


class Browser:
    """One Chromium driven against one server: `open`, `find`, `click_and_load`, `shot`.

    `driver` is the Selenium WebDriver, for anything else."""

    def __init__(self, driver, base_url: str = ""):
        self.driver = driver
        self.base_url = base_url

    def wait(self, condition, seconds: float = WAIT_SECONDS, message: str = ""):
        """Wait for `condition(driver)` to be truthy and return it."""
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, seconds, poll_frequency=0.1).until(condition, message)

    def open(self, path: str) -> None:
        """Load `path` (relative to the server) and wait until the page has loaded."""
        self.driver.get(self.base_url + path if path.startswith("/") else path)
        self.wait_loaded()

    def wait_loaded(self) -> None:
        self.wait(
            lambda d: d.execute_script("return document.readyState") == "complete",
            message="the page did not finish loading",
        )

    def find(self, css: str, *, clickable: bool = False):
        """The element matching `css`, once it is there (and, with `clickable`, usable)."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec

        located = ec.element_to_be_clickable if clickable else ec.presence_of_element_located
        return self.wait(located((By.CSS_SELECTOR, css)), message=f"no element {css!r}")

    def find_xpath(self, xpath: str):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec

        return self.wait(
            ec.presence_of_element_located((By.XPATH, xpath)), message=f"no element {xpath!r}"
        )

    def click_and_load(self, element) -> None:
        """Click something that loads another page (a link, a submit button) and wait for that
        page: the old one must go stale first, so its content is never mistaken for the new."""
        from selenium.webdriver.support import expected_conditions as ec

        old = self.driver.find_element("tag name", "html")
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
        element.click()
        self.wait(ec.staleness_of(old), message="the click loaded no new page")
        self.wait_loaded()

    def wait_for_text(self, text: str, css: str = "body") -> None:
        """Wait until the element matching `css` shows `text`."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec

        self.wait(
            ec.text_to_be_present_in_element((By.CSS_SELECTOR, css), text),
            message=f"{text!r} never appeared in {css!r}",
        )

    @property
    def text(self) -> str:
        return self.driver.find_element("tag name", "body").text

    def shot(self, name: str, *, full_page: bool = False) -> Path:
        """Save a screenshot of the window (or the `full_page`) as test-artifacts/<name>.png."""
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        size = self.driver.get_window_size()
        if full_page:
            height = self.driver.execute_script("return document.documentElement.scrollHeight")
            self.driver.set_window_size(size["width"], min(height + 140, 8000))  # + the window
        try:
            self.driver.save_screenshot(str(path))
        finally:
            if full_page:
                self.driver.set_window_size(size["width"], size["height"])
        return path
