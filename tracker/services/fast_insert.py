"""Writing many rows, with their history, at the speed of the database.

The ORM's bulk_create prepares every value of every row in Python and builds a history object
per report: most of a 100,000-row import. Here rows go to PostgreSQL with COPY and to SQLite with
executemany, ids reserved up front so the history rows can name their reports. The columns come
from the models, so a new field needs no change here. Rows changed by a statement (a bulk
correction) get their history rows from one INSERT ... SELECT (`history_of_changes`), which fails
loudly should the history model gain a column it does not fill.
"""

import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from operator import itemgetter

from django.db import connection
from django.db.models import Model
from django.utils import timezone

from tracker.models import Report, User

HISTORY_OWN = {"history_id"}  # filled by the database
HISTORY_FILLED = ("history_date", "history_change_reason", "history_type", "history_user_id")
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
    _copy(table, columns, buffer)


def _copy(table: str, columns: list[str], buffer: io.StringIO) -> None:
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    # The driver's cursor, wrapped: a unique violation is Django's IntegrityError, not a 500.
    with connection.cursor() as cursor, connection.wrap_database_errors:
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


def table_insert(table: str, columns: list[str], rows: list[dict]) -> None:
    """Insert rows given as {column: value} into `table`: COPY on PostgreSQL."""
    if connection.vendor != "postgresql":
        _sqlite_insert(table, columns, rows)
        return
    cells = itemgetter(*columns) if len(columns) > 1 else lambda row: (row[columns[0]],)
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(map(_copy_text, cells(row))))
        buffer.write("\n")
    buffer.seek(0)
    _copy(table, columns, buffer)


def ids_reserve(model: type[Model], count: int) -> list[int]:
    """Ids for `count` new rows of `model` (call inside the transaction that inserts them)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite lets one writer in at a time, and this transaction is it.
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        first = cursor.fetchone()[0] + 1
        return list(range(first, first + count))


def report_ids_reserve(count: int) -> list[int]:
    """Ids for `count` new reports, to give reports_insert (call inside its transaction)."""
    return ids_reserve(Report, count)


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


def history_of_changes(
    model: type[Model], reasons: Iterable[tuple[int, str]], *, user: User, now: datetime,
    kind: str = "~",
) -> None:  # fmt: skip
    """A history row for each row of `model` named in `reasons` ((id, reason) pairs), as the
    row stands now: what simple_history records when one is saved, for rows a statement wrote
    (`kind` "+" for rows inserted, "~" for rows changed)."""
    history = model.history.model
    own = {f.column for f in model._meta.concrete_fields}
    columns = _columns(history)
    unknown = [c for c in columns if c not in own and c not in HISTORY_FILLED]
    if unknown:
        raise RuntimeError(
            f"{history._meta.db_table} has columns that bulk writes do not fill: {unknown}. "
            "Teach tracker/services/fast_insert.py's history_of_changes about them."
        )
    filled = {"history_date": now, "history_type": kind, "history_user_id": user.pk}
    selected, params = [], []
    for column in columns:
        if column in own:
            selected.append(f"changed.{connection.ops.quote_name(column)}")
        elif column == "history_change_reason":
            selected.append("reason.reason")
        else:
            selected.append("%s")
            params.append(filled[column])
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    rows = [{"id": id_, "reason": reason} for id_, reason in reasons]
    with (
        staged("history_reason", "(id bigint, reason text)", ["id", "reason"], rows),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            f"INSERT INTO {history._meta.db_table} ({quoted}) "
            f"SELECT {', '.join(selected)} FROM {model._meta.db_table} AS changed "
            "JOIN history_reason AS reason ON changed.id = reason.id",
            params,
        )


@contextmanager
def staged(name: str, definition: str, columns: list[str], rows: list[dict]) -> Iterator[str]:
    """A temporary table `name` holding `rows` (dicts by column) while the block runs."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        cursor.execute(f"CREATE TEMPORARY TABLE {name} {definition}")
    table_insert(name, columns, rows)
    yield name
    # Not after an error: the transaction is over then, and the table with it.
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {name}")
