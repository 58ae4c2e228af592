"""Inserting many new reports, with their creation history, at the speed of the database.

The ORM's bulk_create prepares every value of every row in Python and builds a history object
per report: most of a 100,000-row import. Here rows go to PostgreSQL with COPY and to SQLite with
executemany, ids reserved up front so the history rows can name their reports. The columns come
from the models, so a new field needs no change here.
"""

import io
from datetime import date, datetime
from operator import itemgetter

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
    kind = type(value)
    if kind is str:
        return value.translate(COPY_ESCAPES)
    if kind is int:
        return str(value)
    if kind is bool:
        return "t" if value else "f"
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    return str(value).translate(COPY_ESCAPES)


def _postgresql_copy(table: str, columns: list[str], rows: list[dict]) -> None:
    """COPY rows given as their columns' texts in COPY's format."""
    buffer = io.StringIO()
    cells = itemgetter(*columns)
    for row in rows:
        buffer.write("\t".join(cells(row)))
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


def report_ids_reserve(count: int) -> list[int]:
    """Ids for `count` new reports, to give reports_insert (call inside its transaction)."""
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


def _report_rows(
    reports: list[dict], ids: list[int], agency, user: User, now: datetime
) -> list[dict]:
    """Column values of new reports from their submitted fields (areas as Area objects; other
    related reports may be given as ids, `duplicate_of_id`)."""
    own = {"agency_id": agency.pk, "submitted_by_id": user.pk, "created_at": now, "updated_at": now}
    plan = []  # (column, own value key, field name, related?, default)
    for f in Report._meta.concrete_fields:
        plan.append((f.column, f.attname, f.name, f.is_relation, f.get_default()))
    rows = []
    for fields, report_id in zip(reports, ids, strict=True):
        row = {}
        for column, attname, name, related, default in plan:
            if attname in own:
                row[column] = own[attname]
            elif related:
                target = fields.get(name)
                row[column] = target.pk if target is not None else fields.get(attname)
            else:
                row[column] = fields.get(name, default)
        row["id"] = report_id
        rows.append(row)
    return rows


def reports_insert(
    reports: list[dict], *, agency, user: User, ids: list[int] | None = None
) -> list[int]:
    """Insert new, already checked reports of `agency`, given as their submitted fields, with
    their "submitted" history rows, under `ids` (from report_ids_reserve) or new ones; returns
    the ids. Call inside a transaction."""
    if not reports:
        return []
    if ids is None:
        ids = report_ids_reserve(len(reports))
    now = timezone.now()
    rows = _report_rows(reports, ids, agency, user, now)
    history_model = Report.history.model
    tables = ((Report._meta.db_table, _columns(Report)),
              (history_model._meta.db_table, _columns(history_model)))  # fmt: skip
    if connection.vendor != "postgresql":
        _sqlite_insert(*tables[0], rows)
        _sqlite_insert(*tables[1], [_history_row(row, user, now) for row in rows])
        return ids
    # Each value's text once, for the report and its history row alike.
    texts = [{column: _copy_text(value) for column, value in row.items()} for row in rows]
    own = {column: _copy_text(value) for column, value in _history_row({}, user, now).items()}
    _postgresql_copy(*tables[0], texts)
    _postgresql_copy(*tables[1], [{**row, **own} for row in texts])
    return ids
