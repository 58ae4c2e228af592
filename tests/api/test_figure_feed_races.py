"""The figures change feed under concurrent refreshes, each on its own PostgreSQL connection: a
refresh that commits late never lands behind a cursor a client already holds."""

import threading
import time
from datetime import date

import pytest
from django.db import connection, transaction

from tests.api.conftest import client_for
from tests.conftest import ON_CI, require
from tests.factories import AgencyFactory, AreaFactory, ReportFactory, UserFactory
from tracker.figures.engine import calendar_ensure
from tracker.models import Role
from tracker.services.figures import figures_mark, figures_refresh

CHANGES = "/api/v1/figures/daily/changes/"
DAY = date(2024, 11, 28)


@pytest.fixture
def districts(transactional_db):
    """A verified report in a district of each of two countries, its figures not yet made."""
    if ON_CI:
        require("PostgreSQL (set DATABASE_URL)", connection.vendor == "postgresql")
    calendar_ensure()  # committed now, so that neither refresh waits for the other to fill it
    agency = AgencyFactory()
    places = []
    for country in ("ZZ", "YY"):
        district = AreaFactory(
            pcode=f"{country}0101",
            parent=AreaFactory(pcode=f"{country}01", parent=AreaFactory(pcode=country)),
        )
        ReportFactory(agency=agency, area=district, period_start=DAY, status="verified", killed=4)
        places.append((district.pk, agency.pk))
    return places


def refresh_in_thread(place, *, committed: threading.Event | None = None, hold=None):
    """A worker's refresh of `place` on its own connection; with `hold`, it stays uncommitted
    (after `holding` is set) until `hold` is set."""
    holding = threading.Event()

    def run():
        try:
            with transaction.atomic():
                figures_mark(stale={place: (DAY, DAY)})
                figures_refresh()
                holding.set()
                if hold is not None:
                    assert hold.wait(60)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, holding


def follow(api, url: str) -> tuple[list, str]:
    """Every change from `url` on, following `next` until a page is empty; and that `next`."""
    changes = []
    while True:
        page = api.get(url).json()
        if not page["results"]:
            return changes, page["next"]
        changes += page["results"]
        url = page["next"]


def test_a_refresh_committing_late_is_on_the_next_page(districts):
    api = client_for(UserFactory(role=Role.VIEWER))
    before, cursor = follow(api, CHANGES + "?page_size=2")
    assert before == []
    hold = threading.Event()
    late, holding = refresh_in_thread(districts[0], hold=hold)
    assert holding.wait(60)  # written, uncommitted
    early, _ = refresh_in_thread(districts[1])  # another country: no lock of the first's
    time.sleep(1)
    seen, cursor_then = follow(api, cursor)
    assert seen == [] and cursor_then == cursor
    assert early.is_alive()  # its versions wait for the late one's commit: the feed's order
    hold.set()
    late.join(60)
    early.join(60)

    changes, _ = follow(api, cursor_then)
    areas = [change["area"] for change in changes]
    assert sorted(areas[:3]) == ["ZZ", "ZZ01", "ZZ0101"]  # the late refresh, first
    assert sorted(areas[3:]) == ["YY", "YY01", "YY0101"]
    assert {change["killed"] for change in changes} == {4}
