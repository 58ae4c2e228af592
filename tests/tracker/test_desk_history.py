"""Every decision shows in the report's history and in the admin's Recent actions, saying who
and when, in local time."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime

from tests.factories import ReportFactory, StaffFactory
from tracker.models import ReportStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def verifier(client):
    user = StaffFactory(username="desk-verifier")
    client.force_login(user)
    return user


def decide(client, report, **data):
    page = reverse("admin:tracker_report_change", args=[report.pk])
    return client.post(page, {"updated_at": report.updated_at.isoformat(), **data}, follow=True)


def test_history_names_who_verified_and_when_in_local_time(client, verifier, settings):
    assert settings.TIME_ZONE == "Asia/Damascus"
    report = ReportFactory()
    decide(client, report, _verify="")
    report.refresh_from_db()
    html = client.get(reverse("admin:tracker_report_history", args=[report.pk])).content.decode()
    assert "desk-verifier" in html  # changed by, and the new verified_by
    assert "Deleted user" not in html  # verified_by was empty, not a deleted user
    local = date_format(localtime(report.verified_at), "DATETIME_FORMAT")
    assert f"&nbsp;&rarr;&nbsp;&nbsp;{local}" in html
    assert "+00:00" not in html and str(report.verified_at) not in html


def test_recent_actions_show_everyones_decisions_with_who_and_when(client, verifier):
    verified, rejected = ReportFactory(), ReportFactory()
    decide(client, verified, _verify="")
    decide(client, rejected, _reject="", reason="counted twice")
    client.force_login(StaffFactory(username="someone-else"))
    html = client.get(reverse("admin:index")).content.decode()
    for entry in LogEntry.objects.all():
        when = localtime(entry.action_time).strftime("%Y-%m-%d %H:%M")
        assert (
            "desk-verifier, <time datetime=" in html and f">{when}</time> (Asia/Damascus)" in html
        )
    assert "rejected: counted twice" in html and ">verified<" in html
    assert {e.object_id for e in LogEntry.objects.filter(user=verifier)} == {
        str(verified.pk),
        str(rejected.pk),
    }


def test_bulk_decisions_each_in_history_and_recent_actions(client, verifier):
    reports = ReportFactory.create_batch(2)
    client.post(
        reverse("admin:tracker_deskreport_changelist"),
        {"action": "reject_reports", "_selected_action": [r.pk for r in reports], "reason": "old"},
    )
    for report in reports:
        report.refresh_from_db()
        assert report.status == ReportStatus.REJECTED
        last = report.history.first()
        assert (last.history_user, last.history_change_reason) == (verifier, "rejected: old")
        entry = LogEntry.objects.get(object_id=str(report.pk))
        assert (entry.user, entry.get_change_message()) == (verifier, "rejected: old")
