"""The engine against the rules: random reports, the stored figures equal an independent,
deliberately simple implementation of DESIGN.md (figures_reference.py)."""

from collections import defaultdict
from datetime import date, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import AgencyFactory, AreaFactory, UserFactory
from tests.tracker.figures_reference import METRICS, R, reference_figures
from tracker.figures.engine import rebuild
from tracker.figures.explain import explain_cell
from tracker.models import AgencyFigure, Area, DailyFigure, Report

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
        figures = stored_figures()
        assert figures == expected(records)
        assert_rule_7_guarantees(figures)
        assert_explained(figures)
        transaction.set_rollback(True)


def assert_rule_7_guarantees(figures: dict) -> None:
    """DESIGN.md, rule 7: a cumulative is never below any agency's own running total in the
    area nor the sum of the children's cumulatives, never above the sum of the area's daily
    values so far, and never goes down."""
    own = [
        (r.area.pcode, r.agency_id, r.date, r) for r in AgencyFigure.objects.select_related("area")
    ]
    for (pcode, day), row in figures.items():
        earlier = sorted(d for p, d in figures if p == pcode and d <= day)
        children = [c for c in AREAS if c[:-1] == pcode]
        for m in METRICS:
            cumulative = row[f"{m}_cumulative"]
            values = [figures[pcode, d][m] for d in earlier if figures[pcode, d][m] is not None]
            if cumulative is None:
                assert not values
                continue
            assert cumulative <= sum(values)
            totals = defaultdict(int)  # each agency's own reports here, added up so far
            for area, agency, date_, agency_row in own:
                if area == pcode and date_ <= day:
                    totals[agency] += getattr(agency_row, m) or 0
            assert cumulative >= max(totals.values(), default=0)
            below = [_last(figures, c, day, f"{m}_cumulative") for c in children]
            assert cumulative >= sum(b for b in below if b is not None)
            if len(earlier) > 1:
                assert cumulative >= (figures[pcode, earlier[-2]][f"{m}_cumulative"] or 0)


def _last(figures: dict, pcode: str, day, column: str):
    days = [d for p, d in figures if p == pcode and d <= day]
    return figures[pcode, max(days)][column] if days else None


def assert_explained(figures: dict) -> None:
    """The explain endpoint's numbers come to the stored figure, for every cell and metric."""
    areas = {a.pcode: a for a in Area.objects.filter(pcode__in=AREAS)}
    for (pcode, day), row in figures.items():
        explained = explain_cell(areas[pcode], day)["metrics"]
        for m in METRICS:
            parts = explained[m]["explained"]
            values = (row[m], row[f"{m}_low"], row[f"{m}_high"])
            assert values == (
                (parts["value"], parts["low"], parts["high"]) if parts else (None,) * 3
            )
            cumulative = explained[m]["cumulative"]
            assert row[f"{m}_cumulative"] == (cumulative and cumulative["cumulative"])


def _verified(area, agency: str, start: str, end: str, **counts):
    Report.objects.create(
        agency=AgencyFactory.create(code=agency) if not _agency(agency) else _agency(agency),
        submitted_by=UserFactory(), area=area, period_start=start, period_end=end,
        status="verified", **counts,
    )  # fmt: skip


def _agency(code: str):
    from tracker.models import Agency

    return Agency.objects.filter(code=code).first()


def _cumulatives(area, metric: str = "killed") -> dict[str, int]:
    rows = DailyFigure.objects.filter(area=area).order_by("date")
    return {row.date.isoformat()[5:]: getattr(row, f"{metric}_cumulative") for row in rows}


def test_the_first_worked_example_of_design_md():
    """SNHR 149 killed 27 Nov-3 Dec; OCHA 75 over 26 Nov-8 Dec; White Helmets 25 and 25, all at
    country level: one stretch, which counts SNHR's 149."""
    country = AreaFactory(pcode="ZZ")
    _verified(country, "SNHR", "2024-11-27", "2024-12-03", killed=149)
    _verified(country, "OCHA", "2024-11-26", "2024-12-08", killed=75)
    _verified(country, "WH", "2024-12-01", "2024-12-01", killed=25)
    _verified(country, "WH", "2024-12-02", "2024-12-02", killed=25)
    rebuild()
    day = DailyFigure.objects.get(area=country, date="2024-12-02")
    assert (day.killed, day.killed_low, day.killed_high) == (25, 6, 52)
    assert _cumulatives(country)["12-08"] == 149  # not the 191 of the daily values added up
    cell = explain_cell(country, date(2024, 12, 8))["metrics"]["killed"]["cumulative"]
    assert cell["stretch"] == {
        "first_day": date(2024, 11, 26), "last_day": date(2024, 12, 8), "under_way": False
    }  # fmt: skip
    assert (cell["largest"], cell["accounts"]["SNHR"]["total"]) == ("SNHR", 149)
    assert (cell["accounts"]["OCHA"]["total"], cell["accounts"]["WH"]["total"]) == (75, 50)


def test_the_second_worked_example_of_design_md():
    """Across levels: separate stretches add up; one long report joins them into one."""
    idleb = AreaFactory(pcode="ZZ7")
    district = AreaFactory(pcode="ZZ70", parent=idleb)
    _verified(idleb, "OCHA", "2024-11-26", "2024-11-28", killed=12)
    _verified(district, "WH", "2024-12-01", "2024-12-01", killed=25)
    _verified(district, "WH", "2024-12-02", "2024-12-02", killed=25)
    rebuild()
    assert _cumulatives(idleb) == {
        "11-26": 4, "11-27": 8, "11-28": 12, "12-01": 37, "12-02": 62
    }  # fmt: skip

    # One agency: 7 for a sub-district on 29 Nov, 25 for its district on 2 Dec: 32 by 2 Dec.
    other = AreaFactory(pcode="ZZ71", parent=idleb)
    _verified(AreaFactory(pcode="ZZ710", parent=other), "SRC", "2024-11-29", "2024-11-29", killed=7)
    _verified(other, "SRC", "2024-12-02", "2024-12-02", killed=25)
    rebuild()
    assert _cumulatives(other) == {"11-29": 7, "12-02": 32}

    # SNHR's 149 over 27 Nov-3 Dec about Idleb joins all of these into one stretch: 149.
    _verified(idleb, "SNHR", "2024-11-27", "2024-12-03", killed=149)
    rebuild()
    assert _cumulatives(idleb)["12-03"] == 149
