"""Figures kept current through the services, step by step, equal a full rebuild and the
simple reference, whatever the order of creates, edits, verifications, rejections, withdrawals."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import AgencyFactory, UserFactory
from tests.tracker.figures_reference import METRICS, R
from tests.tracker.test_figures_rules import (
    AREAS,
    DAY0,
    expected,
    make_areas,
    stored_figures,
)
from tracker import services
from tracker.errors import StateError
from tracker.models import (
    VERSIONED_COLUMNS,
    DailyFigure,
    FigureVersion,
    Report,
    ReportRevision,
    Role,
)
from tracker.services.figures import figures_differences, figures_rebuild, figures_refresh

pytestmark = pytest.mark.django_db

counts = st.fixed_dictionaries(
    {m: st.one_of(st.none(), st.integers(0, 30)) for m in ("displaced", "killed", "injured")}
).filter(lambda c: any(v is not None for v in c.values()))
create = st.tuples(
    st.just("create"),
    st.sampled_from("ABC"),
    st.sampled_from(AREAS[:4]),
    st.integers(0, 3),  # first day
    st.integers(0, 3),  # length
    st.booleans(),  # cumulative
    counts,
    st.sampled_from([True, True, False]),  # verified at once
)
act = st.tuples(
    st.sampled_from(["verify", "reject", "withdraw", "edit", "correct"]),
    st.integers(0, 20),  # which report
    counts,
)
move = st.tuples(  # a pending report edited to another area and period
    st.just("move"),
    st.integers(0, 20),
    st.sampled_from(AREAS[:4]),
    st.integers(0, 3),  # first day
    st.integers(0, 3),  # length
)
steps = st.lists(st.one_of(create, create, create, act, move), min_size=2, max_size=12)


def records() -> list[R]:
    """The reports as the rules see them, and pending revisions as pending reports where they
    would apply (they count in `pending_reports` only)."""
    revisions = ReportRevision.objects.filter(status="pending").select_related("report__agency")
    return [
        R(r.pk, r.agency.code, r.area.pcode, r.period_start, r.period_end, r.status,
          r.cumulative, r.created_at, {m: getattr(r, m) for m in METRICS})
        for r in Report.objects.select_related("agency", "area")
    ] + [
        R(-v.pk, v.report.agency.code, v.area.pcode, v.period_start, v.period_end, "pending",
          v.cumulative, v.created_at, {m: getattr(v, m) for m in METRICS})
        for v in revisions.select_related("area")
    ]  # fmt: skip


def current_versions() -> dict:
    """The cells as their current versions say, tombstones left out."""
    current = FigureVersion.objects.filter(valid_to=None, removed=False)
    return {(v[0], v[1]): v[2:] for v in current.values_list("area", "date", *VERSIONED_COLUMNS)}


def daily_figures() -> dict:
    return {
        (v[0], v[1]): v[2:]
        for v in DailyFigure.objects.values_list("area", "date", *VERSIONED_COLUMNS)
    }


def apply(step, areas, reporters, verifier) -> None:
    if step[0] == "create":
        _, agency, area, first, length, cumulative, numbers, verified = step
        start = DAY0 + timedelta(days=0 if cumulative else first)
        reporter = reporters[agency]
        report, _ = services.report_submit(
            agency=reporter.agency, submitted_by=reporter, area=areas[area],
            period_start=start, period_end=start + timedelta(days=first + length),
            cumulative=cumulative, external_id=f"{agency}-{Report.objects.count()}", **numbers,
        )  # fmt: skip
        if verified:
            services.report_verify(report=report, user=verifier)
        return
    kind, which, *rest = step
    reports = list(Report.objects.order_by("id"))
    if not reports:
        return
    report = reports[which % len(reports)]
    reporter = reporters[report.agency.code]
    if kind == "move":
        area, first, length = rest
        start = report.period_start if report.cumulative else DAY0 + timedelta(days=first)
        services.report_update(
            report=report, user=reporter, area=areas[area], period_start=start,
            period_end=start + timedelta(days=first + length),
        )  # fmt: skip
        return
    numbers = rest[0]
    if kind == "verify":
        services.report_verify(report=report, user=verifier)
    elif kind == "reject":
        services.report_reject(report=report, user=verifier, reason="checking")
    elif kind == "withdraw":
        services.report_withdraw(report=report, user=reporter)
    elif kind == "edit":
        services.report_update(report=report, user=reporter, **numbers)
    else:  # a correction re-posts the external id with other counts
        services.report_submit(
            agency=report.agency, submitted_by=reporter, external_id=report.external_id,
            area=report.area, period_start=report.period_start, period_end=report.period_end,
            cumulative=report.cumulative, **numbers,
        )  # fmt: skip


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(steps=steps)
def test_incremental_figures_equal_a_rebuild_and_the_reference(calendar, steps):
    with transaction.atomic():
        areas = make_areas()
        reporters = {
            code: UserFactory(agency=AgencyFactory(code=code), role=Role.REPORTER) for code in "ABC"
        }
        verifier = UserFactory(role=Role.VERIFIER)
        for step in steps:
            try:
                with transaction.atomic():
                    apply(step, areas, reporters, verifier)
            except (ValidationError, StateError):
                continue  # refused as an agency would be; nothing changed
            figures_refresh()
            figures = stored_figures()
            assert figures == expected(records()), step
            assert figures_differences() == 0
            assert current_versions() == daily_figures()
            for row in figures.values():
                for metric in METRICS:
                    if row[metric] is not None:
                        assert row[f"{metric}_low"] <= row[metric] <= row[f"{metric}_high"]
        versions = FigureVersion.objects.count()
        figures_rebuild()  # changes nothing, so writes no version
        assert FigureVersion.objects.count() == versions
        assert current_versions() == daily_figures()
        transaction.set_rollback(True)
