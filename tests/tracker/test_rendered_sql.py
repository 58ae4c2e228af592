"""The engine's SQL as checked in (tracker/figures/rendered/): every statement the engine runs is
there, as the code renders it, so that a review of a change shows its SQL diff."""

import re
from datetime import date

import pytest
from django.db import connection

from tests.factories import AgencyFactory, AreaFactory, UserFactory
from tracker.figures import engine, prepared, render
from tracker.figures.explain import explain_cell
from tracker.models import Report

pytestmark = pytest.mark.django_db
ROW = r"\(%s, %s, %s, %s, %s, %s\)"
ONE_PLACE = re.compile(rf"VALUES {ROW}(, {ROW})+")  # SQLite: the files show a scope of one place


def test_the_rendered_files_are_what_the_code_renders():
    stale = [str(path.relative_to(render.RENDERED)) for path in render.stale_files()]
    assert stale == [], "run `python manage.py render_sql` and commit tracker/figures/rendered/"


def _as_received(statement: str) -> set[str]:
    """A rendered statement as the database may receive it: as it is, or prepared (PostgreSQL's
    refreshes, numbered)."""
    return {statement.strip(), prepared._numbered(statement.strip())[0]}


def test_every_statement_the_engine_runs_is_rendered(calendar):
    dialect = "postgresql" if connection.vendor == "postgresql" else "sqlite"
    rendered = {
        received
        for path, text in render.statements().items()
        if path.parent.name == dialect
        for received in _as_received(text)
    }
    if connection.vendor == "postgresql":  # prepare them again, so that their texts are seen
        prepared._prepared.pop(connection.connection, None)
        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")
    country = AreaFactory(pcode="ZZ")
    district = AreaFactory(pcode="ZZ11", parent=AreaFactory(pcode="ZZ1", parent=country))
    agency = AgencyFactory()
    ran = []

    def record(execute, sql, params, many, context):
        ran.append(
            sql.removeprefix("PREPARE ").partition(" AS ")[2] if sql.startswith("PREPARE") else sql
        )
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        Report.objects.create(
            agency=agency, submitted_by=UserFactory(agency=agency), area=district,
            period_start="2024-11-27", period_end="2024-11-29", killed=9, status="verified",
        )  # fmt: skip
        engine.rebuild()
        engine.refresh({(district.pk, agency.pk): (date(2024, 11, 27), date(2024, 11, 29))})
        engine.refresh({(district.pk, None): (date(2024, 11, 27), date(2024, 11, 29))})
        explain_cell(country, date(2024, 11, 28))
    engine_statements = [
        ONE_PLACE.sub(engine.values_scope(1), sql.strip()) for sql in ran if "scope(area_id" in sql
    ]
    assert len(engine_statements) > 20
    unrendered = [sql[:300] for sql in engine_statements if sql not in rendered]
    assert unrendered == []
