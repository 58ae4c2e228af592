"""The engine against the rules: random reports, the stored figures equal an independent,
deliberately simple implementation of DESIGN.md (figures_reference.py)."""

from datetime import date, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import AgencyFactory, AreaFactory, UserFactory
from tests.tracker.figures_reference import METRICS, R, reference_figures
from tracker.figures.engine import rebuild
from tracker.models import DailyFigure, Report

pytestmark = pytest.mark.django_db
DAY0 = date(2024, 11, 26)
AREAS = ("ZZ", "ZZ1", "ZZ2", "ZZ11", "ZZ12", "ZZ21")  # parent: all but the last character
FIELDS = [f"{m}{s}" for m in METRICS for s in ("", "_low", "_high", "_cumulative")] + [
    "report_count",
    "agency_count",
    "pending_reports",
]


def make_areas() -> dict[str, object]:
    areas = {}
    for pcode in AREAS:
        areas[pcode] = AreaFactory(pcode=pcode, parent=areas.get(pcode[:-1]))
    return areas


count = st.one_of(st.none(), st.integers(0, 40), st.integers(0, 10**9))
a_report = st.fixed_dictionaries(
    {
        "agency": st.sampled_from(["A", "B", "C"]),
        "area": st.sampled_from(AREAS),
        "start": st.integers(0, 6),
        "length": st.integers(0, 5),
        "status": st.sampled_from(["verified", "verified", "pending", "rejected", "withdrawn"]),
        "cumulative": st.booleans(),
        "counts": st.fixed_dictionaries({m: count for m in METRICS}),
    }
).filter(lambda r: any(r["counts"][m] is not None for m in METRICS[:4]))


def store(specs, areas):
    """Save reports as given (the engine must not rely on the services' checks)."""
    agencies = {code: AgencyFactory(code=code) for code in "ABC"}
    user = UserFactory(agency=agencies["A"])
    saved = []
    for i, spec in enumerate(specs):
        counts = dict(spec["counts"])
        for child, total in (("killed_children", "killed"), ("injured_children", "injured")):
            if counts[child] is not None and counts[total] is not None:
                counts[child] = min(counts[child], counts[total])
        start = DAY0 + timedelta(days=0 if spec["cumulative"] else spec["start"])
        end = start + timedelta(days=spec["length"] + (spec["start"] if spec["cumulative"] else 0))
        report = Report.objects.create(
            agency=agencies[spec["agency"]], submitted_by=user, area=areas[spec["area"]],
            period_start=start, period_end=end, status=spec["status"],
            cumulative=spec["cumulative"], external_id=f"r{i}", **counts,
        )  # fmt: skip
        saved.append(
            R(report.pk, spec["agency"], spec["area"], start, end, spec["status"],
              spec["cumulative"], report.created_at, counts)
        )  # fmt: skip
    return saved


def stored_figures() -> dict:
    rows = DailyFigure.objects.select_related("area")
    return {(f.area.pcode, f.date): {name: getattr(f, name) for name in FIELDS} for f in rows}


def expected(records) -> dict:
    parents = {pcode: (pcode[:-1] or None) if len(pcode) > 2 else None for pcode in AREAS}
    return reference_figures(records, parents)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(specs=st.lists(a_report, max_size=12))
def test_a_rebuild_equals_the_reference(calendar, specs):
    with transaction.atomic():
        records = store(specs, make_areas())
        rebuild()
        assert stored_figures() == expected(records)
        transaction.set_rollback(True)


def test_the_worked_example_of_design_md():
    """SNHR 149 killed 27 Nov-3 Dec; OCHA 75 over 26 Nov-8 Dec; White Helmets 25 and 25."""
    country = AreaFactory(pcode="ZZ")
    user = UserFactory()
    for agency, start, end, killed in [
        ("SNHR", "2024-11-27", "2024-12-03", 149),
        ("OCHA", "2024-11-26", "2024-12-08", 75),
        ("WH", "2024-12-01", "2024-12-01", 25),
        ("WH", "2024-12-02", "2024-12-02", 25),
    ]:
        Report.objects.create(
            agency=AgencyFactory(code=agency), submitted_by=user, area=country,
            period_start=start, period_end=end, killed=killed, status="verified",
        )  # fmt: skip
    rebuild()
    day = DailyFigure.objects.get(area=country, date="2024-12-02")
    assert (day.killed, day.killed_low, day.killed_high) == (25, 6, 52)
    assert DailyFigure.objects.get(area=country, date="2024-12-08").killed_cumulative == 149
