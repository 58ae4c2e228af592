"""Inserting many new reports, with their creation history, at the speed of the database.

The ORM's bulk_create prepares every value of every row in Python and builds a history object
per report: most of a 100,000-row import. Here rows go to PostgreSQL with COPY and to SQLite with
executemany, ids reserved up front so the history rows can name their reports. The columns come
from the models, so a new field needs no change here.
"""

import io
from datetime import date, datetime

from django.db import connection
from django.utils import timezone

from tracker.models import Report, User

HISTORY_OWN = {"history_id"}  # filled by the database
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _columns(model) -> list[str]:
    return [f.column for f in model._meta.concrete_fields if f.attname not in HISTORY_OWN]


def _history_row(report_row: dict, user: User, now: datetime) -> dict:
    return {
        **report_row,
        "history_date": now,
        "history_change_reason": "submitted",
        "history_type": "+",
        "history_user_id": user.pk,
    }


def _copy_text(value) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).translate(COPY_ESCAPES)


def _postgresql_copy(table: str, columns: list[str], rows: list[dict]) -> None:
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(_copy_text(row[column]) for column in columns))
        buffer.write("\n")
    buffer.seek(0)
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY {table} ({quoted}) FROM STDIN", buffer)


def _sqlite_value(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _sqlite_insert(table: str, columns: list[str], rows: list[dict]) -> None:
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    marks = ", ".join(["%s"] * len(columns))
    values = [[_sqlite_value(row[column]) for column in columns] for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({marks})", values)


def _reserve_ids(count: int) -> list[int]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [Report._meta.db_table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite lets one writer in at a time, and this transaction is it.
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Report._meta.db_table}")
        first = cursor.fetchone()[0] + 1
        return list(range(first, first + count))


def reports_insert(reports: list[Report], *, user: User) -> None:
    """Insert new, unsaved, already checked reports and their "submitted" history rows.

    Call inside a transaction.
    """
    if not reports:
        return
    now = timezone.now()
    report_columns = _columns(Report)
    history_model = Report.history.model
    rows = []
    for report, report_id in zip(reports, _reserve_ids(len(reports)), strict=True):
        report.pk, report.created_at, report.updated_at = report_id, now, now
        rows.append({f.column: getattr(report, f.attname) for f in Report._meta.concrete_fields})
    history = [_history_row(row, user, now) for row in rows]
    insert = _postgresql_copy if connection.vendor == "postgresql" else _sqlite_insert
    insert(Report._meta.db_table, report_columns, rows)
    insert(history_model._meta.db_table, _columns(history_model), history)
