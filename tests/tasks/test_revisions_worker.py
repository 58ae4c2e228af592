"""A real worker and corrections of verified reports: the published figures stay as they are
until a verifier verifies the correction (a pending revision), and stay after it is rejected."""

from tests.conftest import wait_until
from tests.factories import AgencyFactory, AreaFactory, UserFactory
from tracker import services
from tracker.models import DailyFigure, Role, StaleFigure
from tracker.services.figures import figures_differences


def _killed(area) -> list[tuple[int | None, int]]:
    wait_until(lambda: not StaleFigure.objects.exists())
    rows = DailyFigure.objects.filter(area=area).order_by("date")
    return [(row.killed, row.pending_reports) for row in rows]


def test_a_correction_counts_only_once_verified(celery_worker):
    district = AreaFactory(parent=AreaFactory(parent=AreaFactory()))
    reporter = UserFactory(agency=AgencyFactory(), role=Role.REPORTER)
    verifier = UserFactory(role=Role.VERIFIER)

    def correct(killed: int):
        report, _ = services.report_submit(
            agency=reporter.agency, submitted_by=reporter, external_id="SRC-1", area=district,
            period_start="2024-11-27", period_end="2024-11-29", killed=killed,
        )  # fmt: skip
        return report

    report = correct(30)
    services.report_verify(report=report, user=verifier)
    assert _killed(district) == [(10, 0)] * 3

    correct(60)  # a pending revision: the published 10 a day stay, and say a change may come
    assert _killed(district) == [(10, 1)] * 3
    services.report_reject(report=report, user=verifier, reason="the source says 30")
    assert _killed(district) == [(10, 0)] * 3

    correct(90)
    assert _killed(district) == [(10, 1)] * 3
    services.report_verify(report=report, user=verifier)
    assert _killed(district) == [(30, 0)] * 3
    assert figures_differences() == 0
