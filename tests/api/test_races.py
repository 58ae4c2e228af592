"""Two requests at the same moment, each on its own database connection, twenty times: an
`If-Match` lets one edit of a version through and refuses the other (no edit lost), and two new
running totals for one area cannot both start one."""

import threading

import pytest
from django.db import connection

from tests.api.conftest import client_for
from tests.conftest import ON_CI, require
from tests.factories import AgencyFactory, AreaFactory, UserFactory
from tracker.models import Report, Role

URL = "/api/v1/reports/"
RUNS = 20


def at_once(*calls) -> list:
    """Run the calls in threads released together; their responses, in order."""
    start, answers = threading.Barrier(len(calls)), [None] * len(calls)

    def run(index, call):
        start.wait()
        try:
            answers[index] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


@pytest.fixture
def district(transactional_db):
    if ON_CI:
        require("PostgreSQL (set DATABASE_URL)", connection.vendor == "postgresql")
    return AreaFactory(parent=AreaFactory(parent=AreaFactory()))


@pytest.fixture
def reporter_api():
    return client_for(UserFactory(agency=AgencyFactory(), role=Role.REPORTER))


def test_two_edits_of_one_version_one_wins_and_the_other_is_412(district, reporter_api):
    api = reporter_api
    body = {"area": district.pcode, "period_start": "2024-11-28", "killed": 1}
    report_url = f"{URL}{api.post(URL, body, format='json').json()['id']}/"
    for run in range(RUNS):
        tag = api.get(report_url)["ETag"]
        versions = Report.history.count()
        wanted = [10 * run + 2, 10 * run + 3]
        answers = at_once(
            *[
                lambda killed=killed, tag=tag: api.patch(
                    report_url, {"killed": killed}, format="json", HTTP_IF_MATCH=tag
                )
                for killed in wanted
            ]
        )
        codes = [answer.status_code for answer in answers]
        assert sorted(codes) == [200, 412], (run, codes)
        winner = wanted[codes.index(200)]
        assert Report.objects.get().killed == winner == answers[codes.index(200)].json()["killed"]
        assert Report.history.count() == versions + 1  # the refused edit left no trace


def test_two_new_running_totals_for_one_area_one_is_refused(district, reporter_api):
    api = reporter_api
    for run in range(RUNS):
        area = AreaFactory(parent=district.parent)
        totals = [
            {"area": area.pcode, "period_start": start, "period_end": "2024-11-28",
             "killed": 10 + run, "cumulative": True}
            for start in ("2024-11-20", "2024-11-22")
        ]  # fmt: skip
        answers = at_once(*[lambda t=t: api.post(URL, t, format="json") for t in totals])
        codes = sorted(answer.status_code for answer in answers)
        assert codes == [201, 400], (run, [a.content for a in answers])
        refused = next(answer for answer in answers if answer.status_code == 400)
        assert "cumulative series" in refused.json()["period_start"][0]
        assert Report.objects.filter(area=area).count() == 1
