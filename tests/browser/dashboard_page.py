"""Reading the dashboard page in the browser: when it is drawn, what its charts hold, its
configuration, and the API as its scripts call it."""


def wait_ready(browser) -> None:
    state = browser.wait(
        lambda d: d.execute_script("return document.body.dataset.state"),
        message="the dashboard never finished drawing",
    )
    assert state == "ready", browser.find("#status").text


def chart(browser, canvas: str) -> dict:
    """What Chart.js holds for the chart on `canvas`: its labels and its datasets' data."""
    return browser.driver.execute_script(
        """const chart = Chart.getChart(document.getElementById(arguments[0]));
        return {labels: chart.data.labels, datasets: chart.data.datasets.map(
          (d) => ({label: d.label, pcode: d.pcode || null, data: d.data}))};""",
        canvas,
    )


def api(browser, path: str) -> dict:
    """GET an API path with the browser's own session, as the page's scripts do."""
    return browser.driver.execute_async_script(
        """const done = arguments[arguments.length - 1];
        fetch(arguments[0], {headers: {Accept: "application/json"}})
          .then((r) => r.json()).then(done, (e) => done({error: String(e)}));""",
        path,
    )


def config(browser) -> dict:
    return browser.driver.execute_script(
        "return JSON.parse(document.getElementById('dashboard-config').textContent)"
    )
