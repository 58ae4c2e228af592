"""Bulk-inserted reports read back exactly as written, history included, on either database."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from tests.factories import AgencyFactory, AreaFactory, UserFactory
from tracker.models import Report
from tracker.services.fast_insert import reports_insert

pytestmark = pytest.mark.django_db


def test_awkward_text_survives_and_each_report_gets_its_creation_history():
    agency = AgencyFactory()
    user = UserFactory(agency=agency)
    area, destination = AreaFactory(), AreaFactory()
    notes = 'tab\there, new\nline, back\\slash, "quotes", \\N, عربي, \r'
    start, end = datetime.date(2024, 11, 27), datetime.date(2024, 11, 29)
    reports = [
        dict(
            area=area,
            period_start=start,
            period_end=end,
            displaced=n,
            cumulative=n % 2 == 0,
            destination=destination if n else None,
            notes=notes,
            external_id=f"E{n}",
        )
        for n in range(3)
    ]
    reports_insert(reports, agency=agency, user=user)
    stored = list(Report.objects.order_by("external_id"))
    assert [(r.displaced, r.killed, r.cumulative, r.notes) for r in stored] == [
        (n, None, n % 2 == 0, notes) for n in range(3)
    ]
    assert [r.destination_id for r in stored] == [None, destination.pk, destination.pk]
    assert stored[0].created_at == stored[0].updated_at
    for report in stored:
        (created,) = report.history.all()
        assert (created.history_type, created.history_user, created.notes) == ("+", user, notes)
    later = Report.objects.create(  # the ids reserved do not collide with later ones
        agency=agency, submitted_by=user, area=area, period_start=datetime.date(2024, 11, 30),
        period_end=datetime.date(2024, 11, 30), killed=1,
    )  # fmt: skip
    assert later.pk > max(r.pk for r in stored)


def test_an_external_id_taken_meanwhile_is_djangos_integrity_error():
    """The bulk import falls back to one by one on it; the driver's own error was a 500."""
    agency = AgencyFactory()
    user = UserFactory(agency=agency)
    report = dict(area=AreaFactory(), period_start=datetime.date(2024, 11, 27),
                  period_end=datetime.date(2024, 11, 27), killed=1, external_id="SAME")  # fmt: skip
    reports_insert([report], agency=agency, user=user)
    with pytest.raises(IntegrityError), transaction.atomic():
        reports_insert([{**report, "killed": 2}], agency=agency, user=user)
    assert Report.objects.get(external_id="SAME").killed == 1
