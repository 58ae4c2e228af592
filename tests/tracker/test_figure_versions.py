"""Figure versions as the engine keeps them: one current version a cell, equal to the figures;
a version only where a cell changed; tombstones for removed cells; and the migration that made
the stored figures the first versions."""

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import AgencyFactory, AreaFactory, ReportFactory, UserFactory
from tracker import services
from tracker.models import VERSIONED_COLUMNS, DailyFigure, FigureVersion, Role
from tracker.services.figures import figures_rebuild, figures_refresh

pytestmark = pytest.mark.django_db
DAY = date(2024, 11, 28)


def figures() -> dict:
    rows = DailyFigure.objects.values_list("area", "date", "computed_at", *VERSIONED_COLUMNS)
    return {(row[0], row[1]): row[2:] for row in rows}


def current_versions() -> dict:
    rows = FigureVersion.objects.filter(valid_to=None, removed=False).values_list(
        "area", "date", "computed_at", *VERSIONED_COLUMNS
    )
    return {(row[0], row[1]): row[2:] for row in rows}


@pytest.fixture
def district(calendar):
    return AreaFactory(
        pcode="ZZ0101", parent=AreaFactory(pcode="ZZ01", parent=AreaFactory(pcode="ZZ"))
    )


def test_a_rejection_closes_the_cells_versions_and_leaves_tombstones(district):
    verifier = UserFactory(role=Role.VERIFIER)
    report = ReportFactory(area=district, period_start=DAY, killed=3, displaced=None)
    services.report_verify(report=report, user=verifier)
    figures_refresh()
    assert FigureVersion.objects.filter(valid_to=None).count() == 3  # the district and above
    services.report_reject(report=report, user=verifier, reason="not in this area")
    figures_refresh()

    assert not DailyFigure.objects.exists()
    assert not FigureVersion.objects.filter(valid_to=None, removed=False).exists()
    tombstones = FigureVersion.objects.filter(removed=True)
    assert sorted(t.area.pcode for t in tombstones) == ["ZZ", "ZZ01", "ZZ0101"]
    assert all(t.valid_to is None and t.killed is None for t in tombstones)
    closed = FigureVersion.objects.filter(removed=False)
    assert [(v.killed, v.valid_to is not None) for v in closed] == [(3, True)] * 3
    assert all(v.valid_to == t.valid_from for v in closed for t in tombstones if t.area == v.area)


def test_a_version_only_where_a_cell_changed(district):
    verifier = UserFactory(role=Role.VERIFIER)
    services.report_verify(
        report=ReportFactory(area=district, period_start=DAY, killed=3), user=verifier
    )
    other = AreaFactory(pcode="ZZ0102", parent=district.parent)
    figures_refresh()
    kept = FigureVersion.objects.count()
    later = ReportFactory(area=other, period_start=DAY, killed=1, agency=AgencyFactory())
    services.report_verify(report=later, user=verifier)
    figures_refresh()
    # ZZ0102 is new; ZZ01 and ZZ changed (their high grew by 1); ZZ0101 did not change
    changed = FigureVersion.objects.filter(id__gt=FigureVersion.objects.order_by("id")[kept - 1].id)
    assert sorted(v.area.pcode for v in changed) == ["ZZ", "ZZ01", "ZZ0102"]
    assert current_versions().keys() == figures().keys()
    versions = FigureVersion.objects.count()
    figures_rebuild()
    assert FigureVersion.objects.count() == versions  # a rebuild that changes nothing adds none
    assert {k: v[1:] for k, v in current_versions().items()} == {
        k: v[1:] for k, v in figures().items()
    }


@pytest.mark.django_db(transaction=True)  # a schema change on SQLite needs no transaction open
def test_the_migration_makes_the_stored_figures_the_first_versions():
    district = AreaFactory(parent=AreaFactory(parent=AreaFactory()))
    services.report_verify(
        report=ReportFactory(area=district, period_start=DAY, killed=3),
        user=UserFactory(role=Role.VERIFIER),
    )
    figures_refresh()
    stored = figures()
    executor = MigrationExecutor(connection)
    executor.migrate([("tracker", "0014_desk_indexes")])
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert current_versions() == stored
    assert all(v.valid_from == v.computed_at for v in FigureVersion.objects.all())
