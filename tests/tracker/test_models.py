"""Invariants the database itself enforces, whatever code writes the rows."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from tests.factories import AreaFactory, ReportFactory
from tracker.models import DailyFigure, ReportRevision

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "fields",
    [
        {"displaced": -5},
        {"period_end": datetime.date(2024, 11, 1)},
        {"displaced": None},
        {"displaced": None, "killed": 2, "killed_children": 3},
        {"injured": 1, "injured_children": 2},
        {"status": "lost"},
        {"period_start": datetime.date(1850, 1, 1), "period_end": datetime.date(1850, 1, 3)},
        {"period_end": datetime.date(2100, 1, 1)},
    ],
)
def test_report_constraints(fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportFactory(**fields)


def test_area_constraints():
    with pytest.raises(IntegrityError), transaction.atomic():
        AreaFactory(level=1, parent=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        AreaFactory(level=4, parent=AreaFactory())


def test_one_daily_figure_per_area_and_day_with_low_value_high_in_order():
    area, day = AreaFactory(), datetime.date(2024, 12, 2)
    now = datetime.datetime(2024, 12, 3, tzinfo=datetime.UTC)
    DailyFigure.objects.create(
        area=area,
        date=day,
        computed_at=now,
        killed=25,
        killed_low=6,
        killed_high=52,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        DailyFigure.objects.create(area=area, date=day, computed_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        DailyFigure.objects.create(
            area=area,
            date=day.replace(day=3),
            computed_at=now,
            killed=60,
            killed_low=6,
            killed_high=52,
        )
    big = 5_000_000_000  # sums over agencies and areas overflow 32 bits
    figure = DailyFigure.objects.create(
        area=area,
        date=day.replace(day=4),
        computed_at=now,
        displaced=big,
        displaced_low=big,
        displaced_high=big,
        displaced_cumulative=big,
    )
    figure.refresh_from_db()
    assert figure.displaced_cumulative == big


def revision_of(report, **fields) -> ReportRevision:
    values = {"number": 1, "killed": 1}
    values.update(period_start=report.period_start, period_end=report.period_end)
    values.update(fields)
    return ReportRevision.objects.create(
        report=report, area=report.area, submitted_by=report.submitted_by, **values
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"period_start": datetime.date(1850, 1, 1), "period_end": datetime.date(1850, 1, 3)},
        {"period_end": datetime.date(2100, 1, 1)},
        {"killed": None},
        {"killed": 2, "killed_children": 3},
        {"status": "lost"},
    ],
)
def test_revision_constraints(fields):
    report = ReportFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        revision_of(report, **fields)


def test_at_most_one_pending_revision_per_report():
    report = ReportFactory(status="verified")
    revision_of(report)
    with pytest.raises(IntegrityError), transaction.atomic():
        revision_of(report, number=2)
    revision_of(ReportFactory(status="verified"))  # another report's
    ReportRevision.objects.filter(report=report).update(status="superseded")
    revision_of(report, number=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        revision_of(report, number=2, status="rejected")  # numbers are unique per report
