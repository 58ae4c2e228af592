"""Section 7's browser part: how long after a headless Chromium asks for the dashboard its charts,
map and tables are drawn (the page's `data-drawn-ms`, from `performance.now()`), for one area's
year. Needs Chromium, chromedriver and selenium (requirements-dev.txt); without them it says so
and measures nothing."""

import shutil
import statistics
import tempfile

DRAWN = "return document.body.dataset.state && [document.body.dataset.state, " \
        "+document.body.dataset.drawnMs]"  # fmt: skip


def _chromium(profile: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--window-size=1366,900",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)  # fmt: skip
    return webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))


def available() -> str | None:
    """Why the browser part cannot run, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (requirements-dev.txt)"
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        return "Chromium is not installed (apt-get install chromium chromium-driver)"
    return None if shutil.which("chromedriver") else "chromedriver is not installed"


def drawn_ms(port: int, session: str, paths: list[str], count: int) -> dict[str, list[float]]:
    """{path: milliseconds from asking for the page to everything drawn}, `count` times each
    after one to warm the browser's cache (the charting library is cached as in real use)."""
    from selenium.common.exceptions import WebDriverException

    try:
        return _measure(port, session, paths, count)
    except WebDriverException as error:  # a timeout too: the page never drew
        raise RuntimeError(f"{type(error).__name__}: {error.msg}") from error


def _measure(port: int, session: str, paths: list[str], count: int) -> dict[str, list[float]]:
    from selenium.webdriver.support.ui import WebDriverWait

    with tempfile.TemporaryDirectory(prefix="bench-chromium-") as profile:
        chrome = _chromium(profile)
        try:
            base = f"http://127.0.0.1:{port}"
            chrome.get(f"{base}/api/v1/health/")
            chrome.add_cookie({"name": "sessionid", "value": session, "path": "/"})
            times: dict[str, list[float]] = {path: [] for path in paths}
            for round_ in range(count + 1):
                for path in paths:
                    chrome.get(base + path)
                    state, ms = WebDriverWait(chrome, 60).until(lambda d: d.execute_script(DRAWN))
                    if state != "ready":
                        raise RuntimeError(f"the dashboard at {path} did not draw: {state}")
                    if round_:
                        times[path].append(ms)
            return times
        finally:
            chrome.quit()


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
