"""Invariants the database itself enforces, whatever code writes the rows."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from tests.factories import AreaFactory, ReportFactory
from tracker.models import DailyFigure

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
