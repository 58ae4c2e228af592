"""Report services: what agencies and verifiers see happen to a report."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.factories import AgencyFactory, AreaFactory, ReportFactory, StaffFactory, UserFactory
from tracker import services
from tracker.errors import NotAllowed, StateError
from tracker.models import Report, ReportStatus, Role

pytestmark = pytest.mark.django_db
DAY = datetime.date(2024, 11, 28)


@pytest.fixture
def reporter():
    return UserFactory(role=Role.REPORTER)


@pytest.fixture
def verifier():
    return UserFactory(role=Role.VERIFIER)


def submit(reporter, **fields):
    fields.setdefault("area", AreaFactory())
    fields.setdefault("period_start", DAY)
    return services.report_create(agency=reporter.agency, submitted_by=reporter, **fields)


def test_one_day_report_when_period_end_omitted(reporter):
    report = submit(reporter, killed=3)
    assert report.period_end == DAY
    assert report.status == ReportStatus.PENDING
    assert report.displaced is None and report.killed == 3


def test_zero_is_a_reported_zero_and_kept_apart_from_not_reported(reporter):
    report = submit(reporter, killed=0)
    report.refresh_from_db()
    assert report.killed == 0 and report.injured is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"killed": 2, "period_end": DAY - datetime.timedelta(days=1)}, "period_end"),
        ({"killed": 2, "killed_children": 3}, "killed_children"),
        ({"injured": 1, "injured_children": 5}, "injured_children"),
        ({"displaced": -1}, "displaced"),
        ({}, "__all__"),
        ({"killed_children": 2}, "__all__"),
        ({"killed": 1, "period_start": datetime.date(2023, 1, 1), "period_end": DAY}, "period_end"),
        ({"displaced": 5, "source_url": "not a url"}, "source_url"),
        ({"displaced": 5, "status": "verified"}, "status"),
    ],
)
def test_invalid_reports_are_refused_naming_the_field(reporter, fields, field):
    with pytest.raises(ValidationError) as refused:
        submit(reporter, **fields)
    assert field in refused.value.message_dict
    assert Report.objects.count() == 0


def test_a_period_cannot_end_in_the_future(reporter):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        submit(reporter, displaced=1, period_start=tomorrow)
    assert "period_end" in refused.value.message_dict


def test_a_period_of_366_days_is_accepted(reporter):
    start = datetime.date(2024, 1, 1)
    report = submit(
        reporter, displaced=1, period_start=start, period_end=datetime.date(2024, 12, 31)
    )
    assert (report.period_end - report.period_start).days + 1 == 366


def test_cumulative_series_keeps_one_start_date(reporter):
    area = AreaFactory()
    submit(
        reporter, area=area, displaced=100, cumulative=True, period_end=DAY + datetime.timedelta(2)
    )
    same_start = submit(
        reporter, area=area, displaced=150, cumulative=True, period_end=DAY + datetime.timedelta(4)
    )
    assert same_start.pk
    with pytest.raises(ValidationError) as refused:
        submit(
            reporter,
            area=area,
            displaced=90,
            cumulative=True,
            period_start=DAY + datetime.timedelta(1),
            period_end=DAY + datetime.timedelta(3),
        )
    assert "period_start" in refused.value.message_dict
    other_agency = UserFactory()
    assert submit(
        other_agency,
        area=area,
        displaced=90,
        cumulative=True,
        period_start=DAY + datetime.timedelta(1),
    )


def test_correction_through_external_id_of_a_verified_report_is_a_pending_revision(
    reporter, verifier
):
    area = AreaFactory()

    def send(killed):
        return services.report_submit(
            agency=reporter.agency,
            submitted_by=reporter,
            external_id="X-1",
            area=area,
            period_start=DAY,
            killed=killed,
        )

    report, outcome = send(4)
    assert outcome == "created"
    services.report_verify(report=report, user=verifier)

    again, outcome = send(4)
    assert (again.pk, outcome, again.status) == (report.pk, "unchanged", ReportStatus.VERIFIED)

    corrected, outcome = send(6)
    assert (corrected.pk, outcome, corrected.status) == (
        report.pk,
        "updated",
        ReportStatus.VERIFIED,
    )
    assert (corrected.killed, corrected.pending_revision().killed) == (4, 6)
    assert send(6)[1] == "unchanged"  # a retry of the same correction
    services.report_verify(report=corrected, user=verifier)
    corrected.refresh_from_db()
    assert (corrected.killed, corrected.status, corrected.pending_revision()) == (
        6,
        ReportStatus.VERIFIED,
        None,
    )
    assert Report.objects.filter(external_id="X-1").count() == 1
    history = list(corrected.history.order_by("history_id"))
    assert [h.killed for h in history] == [4, 4, 4, 6]
    assert history[-1].history_change_reason == "revision 1 verified"
    assert history[-1].history_user == verifier


def test_external_id_is_unique_per_agency_in_the_database(reporter):
    ReportFactory(agency=reporter.agency, external_id="A-1")
    ReportFactory(external_id="A-1")  # another agency may use the same id
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportFactory(agency=reporter.agency, external_id="A-1")


def test_verify_reject_withdraw_keep_history_with_who_and_why(reporter, verifier):
    report = submit(reporter, displaced=120)
    services.report_verify(report=report, user=verifier)
    services.report_reject(report=report, user=verifier, reason="Counted twice")
    report.refresh_from_db()
    assert report.status == ReportStatus.REJECTED and report.status_reason == "Counted twice"
    history = list(report.history.order_by("history_id"))
    assert [(h.status, h.history_user) for h in history] == [
        (ReportStatus.PENDING, reporter),
        (ReportStatus.VERIFIED, verifier),
        (ReportStatus.REJECTED, verifier),
    ]
    assert history[-1].history_change_reason == "rejected: Counted twice"


def test_withdrawing_keeps_the_report_and_repeating_it_changes_nothing(reporter):
    report = submit(reporter, displaced=10)
    services.report_withdraw(report=report, user=reporter, reason="Sent by mistake")
    services.report_withdraw(report=report, user=reporter)
    report.refresh_from_db()
    assert report.status == ReportStatus.WITHDRAWN and report.status_reason == "Sent by mistake"
    assert report.history.count() == 2


def test_state_rules(reporter, verifier):
    report = submit(reporter, displaced=10)
    services.report_verify(report=report, user=verifier)
    revised = services.report_update(report=report, user=reporter, displaced=11)
    assert (revised.status, revised.displaced) == (ReportStatus.VERIFIED, 10)
    with pytest.raises(StateError):
        services.report_reopen(report=report, user=verifier, reason="not rejected")
    services.report_withdraw(report=report, user=reporter, reason="sent twice")
    assert report.revisions.get().status == "superseded"  # nothing left to decide
    with pytest.raises(StateError):
        services.report_update(report=report, user=reporter, displaced=11)
    with pytest.raises(StateError):
        services.report_verify(report=report, user=verifier)
    with pytest.raises(StateError):
        services.report_reject(report=report, user=verifier, reason="late")


def test_only_verifiers_and_staff_verify_and_a_reason_is_needed_to_reject(reporter, verifier):
    report = submit(reporter, displaced=10)
    with pytest.raises(NotAllowed):
        services.report_verify(report=report, user=reporter)
    with pytest.raises(NotAllowed):
        services.report_withdraw(report=report, user=UserFactory(agency=AgencyFactory()))
    with pytest.raises(ValidationError):
        services.report_reject(report=report, user=verifier, reason="  ")
    assert (
        services.report_verify(report=report, user=StaffFactory()).status == ReportStatus.VERIFIED
    )


def test_editing_a_pending_report_records_old_and_new_values(reporter):
    report = submit(reporter, displaced=10)
    services.report_update(report=report, user=reporter, displaced=12, notes="recount")
    latest, previous = report.history.order_by("-history_id")[:2]
    changes = {c.field: (c.old, c.new) for c in latest.diff_against(previous).changes}
    assert changes == {"displaced": (10, 12), "notes": ("", "recount")}
