"""A report's page and the bulk confirmation show what a decision would make of the daily
figures: the engine's own numbers, equal to the figures once the decision is made, and nothing
of the preview stays behind."""

import datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import AgencyFactory, AreaFactory, ReportFactory, StaffFactory
from tracker import services
from tracker.desk_preview import COMPARED
from tracker.models import (
    AgencyFigure,
    DailyFigure,
    PendingFigure,
    Report,
    ReportRevision,
    ReportStatus,
    StaleFigure,
)
from tracker.services.figures import figures_rebuild

pytestmark = pytest.mark.django_db

DAY = datetime.date(2024, 11, 28)
DESK = "admin:tracker_deskreport_changelist"


@pytest.fixture
def staff(client):
    user = StaffFactory()
    client.force_login(user)
    return user


@pytest.fixture
def idleb():
    """A sub-district with its district, governorate and country, and one verified report
    there (another agency's: 3 killed on DAY), its figures computed."""
    country = AreaFactory(pcode="ZZSY")
    governorate = AreaFactory(parent=country, pcode="ZZSY07")
    district = AreaFactory(parent=governorate, pcode="ZZSY0700")
    sub = AreaFactory(parent=district, pcode="ZZSY070000")
    ReportFactory(
        agency=AgencyFactory(code="SCD"),
        area=sub,
        period_start=DAY,
        status=ReportStatus.VERIFIED,
        killed=3,
        displaced=None,
    )
    figures_rebuild()
    return sub


def page(report):
    return reverse("admin:tracker_report_change", args=[report.pk])


def stored(cells) -> dict:
    figures = DailyFigure.objects.filter(
        area__in={a for a, _ in cells}, date__in={d for _, d in cells}
    )
    return {(f.area_id, f.date): {c: getattr(f, c) for c in COMPARED} for f in figures}


def previewed(rows) -> dict:
    return {(r.area.pk, r.date): r for r in rows}


def everything() -> tuple:
    """What a preview must leave as it was: reports, their history and revisions, the figures
    and their derived rows, the stale marks, the admin's log."""
    figures = list(DailyFigure.objects.order_by("area", "date").values(*COMPARED, "computed_at"))
    return (
        list(Report.objects.order_by("id").values()),
        Report.history.count(),
        list(ReportRevision.objects.order_by("id").values()),
        figures,
        AgencyFigure.objects.count(),
        PendingFigure.objects.count(),
        StaleFigure.objects.count(),
        LogEntry.objects.count(),
    )


def test_the_preview_is_what_verifying_makes_of_the_figures(
    client, staff, idleb, django_capture_on_commit_callbacks
):
    report = ReportFactory(
        agency=AgencyFactory(code="SRC"),
        area=idleb,
        period_start=DAY - datetime.timedelta(days=1),
        period_end=DAY,
        killed=10,
        displaced=None,
    )
    before = everything()
    with django_capture_on_commit_callbacks() as queued:
        response = client.get(page(report))
    assert queued == []  # no refresh enqueued
    assert everything() == before  # nothing written, nothing left stale
    preview = response.context["desk"]["preview"]
    rows = previewed(preview["rows"])
    # The sub-district and the three areas above it, on both days.
    assert {(r.area.pcode, r.date) for r in rows.values()} == {
        (pcode, day)
        for pcode in ("ZZSY070000", "ZZSY0700", "ZZSY07", "ZZSY")
        for day in (DAY - datetime.timedelta(days=1), DAY)
    }
    killed = {(r.area.pcode, r.date): r.values[2] for r in rows.values()}
    assert killed["ZZSY070000", DAY] == ("killed", 3, 5)  # SRC's 5 of 10 beats SCD's 3
    assert killed["ZZSY", DAY - datetime.timedelta(days=1)] == ("killed", None, 5)
    html = response.content.decode()
    assert "if this report is verified" in html and "3 &rarr; <strong>5</strong>" in html

    with django_capture_on_commit_callbacks(execute=True):
        services.report_verify(report=report, user=staff)
    after = stored(rows)
    for cell, row in rows.items():
        assert {m: after[cell][m] for m, _, _ in row.values} == {m: a for m, _, a in row.values}
        assert after[cell]["pending_reports"] == row.pending[1]


def test_a_revision_is_previewed_in_both_places(
    client, staff, idleb, django_capture_on_commit_callbacks
):
    elsewhere = AreaFactory(parent=idleb.parent, pcode="ZZSY070100")
    with django_capture_on_commit_callbacks(execute=True):
        report = services.report_create(
            agency=AgencyFactory(code="SRC"),
            submitted_by=staff,
            area=idleb,
            period_start=DAY,
            killed=8,
        )
        services.report_verify(report=report, user=staff)
        services.report_update(report=report, user=staff, area=elsewhere, killed=6)
    before = everything()
    response = client.get(page(report))
    assert everything() == before
    desk = response.context["desk"]
    assert ("killed", 8, 6) in desk["versions"]
    killed = {(r.area.pcode, r.date): r.values[2][1:] for r in desk["preview"]["rows"]}
    assert killed["ZZSY070000", DAY] == (8, 3)  # SRC's 8 leaves; SCD's 3 stays
    assert killed["ZZSY070100", DAY] == (None, 6)
    assert killed["ZZSY0700", DAY] == (8, 9)  # the children's 3 + 6
    assert "if revision 1 is verified" in response.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        services.report_verify(report=report, user=staff)
    after = stored({(r.area.pk, r.date) for r in desk["preview"]["rows"]})
    for row in desk["preview"]["rows"]:
        assert after[row.area.pk, row.date]["killed"] == row.values[2][2]


def test_a_decided_report_has_no_preview(client, staff, idleb):
    report = ReportFactory(area=idleb, status=ReportStatus.REJECTED)
    desk = client.get(page(report)).context["desk"]
    assert desk["preview"] is None and not desk["decidable"]


def test_bulk_verify_confirmation_lists_the_figure_changes(
    client, staff, idleb, django_capture_on_commit_callbacks
):
    chosen = [ReportFactory(area=idleb, period_start=DAY, killed=k, displaced=None) for k in (4, 7)]
    quiet = ReportFactory(area=idleb, period_start=DAY, status=ReportStatus.WITHDRAWN)
    before = everything()
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(
            reverse(DESK),
            {"action": "verify_reports", "_selected_action": [r.pk for r in chosen]},
        )
    assert queued == [] and everything() == before
    preview = response.context["preview"]
    killed = {r.area.pcode: r.values[2][1:] for r in preview["rows"]}
    assert killed == {p: (3, 7) for p in ("ZZSY070000", "ZZSY0700", "ZZSY07", "ZZSY")}
    assert all(r.changed for r in preview["rows"])
    assert "3 &rarr; <strong>7</strong>" in response.content.decode()

    response = client.post(
        reverse("admin:tracker_report_changelist"),
        {"action": "verify_reports", "_selected_action": [chosen[0].pk, quiet.pk]},
    )
    assert list(response.context["preview"]["problems"]) == [quiet.pk]
    assert f"#{quiet.pk} will be left as it is: Report {quiet.pk} is withdrawn" in (
        response.content.decode()
    )


def test_bulk_reject_confirmation_previews_verified_reports_leaving(client, staff, idleb):
    verified = Report.objects.get(status=ReportStatus.VERIFIED)
    response = client.post(
        reverse("admin:tracker_report_changelist"),
        {"action": "reject_reports", "_selected_action": [verified.pk]},
    )
    killed = {r.area.pcode: r.values[2][1:] for r in response.context["preview"]["rows"]}
    assert killed["ZZSY070000"] == (3, None)
    verified.refresh_from_db()
    assert verified.status == ReportStatus.VERIFIED


def test_the_report_page_costs_the_same_queries_however_many_reports(client, staff, idleb):
    report = ReportFactory(area=idleb, period_start=DAY, killed=5, displaced=None)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(page(report)).status_code == 200
        return len(captured)

    first = queries()
    for n in range(15):
        ReportFactory(agency=AgencyFactory(code=f"A{n}"), area=idleb, period_start=DAY, killed=n)
        ReportFactory(area=idleb.parent, period_start=DAY, status=ReportStatus.VERIFIED)
    figures_rebuild()
    assert queries() == first
