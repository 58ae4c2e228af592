import pytest

from tracker.figures.engine import calendar_ensure


@pytest.fixture
def calendar(db):
    """The calendar filled once, outside the rolled-back transactions of hypothesis's examples."""
    calendar_ensure()
