"""The engine's statements on PostgreSQL, prepared once per connection with the areas passed as
arrays, which saves parsing and planning them again for every refresh."""

import re
import weakref

from django.db import connection

_prepared: "weakref.WeakKeyDictionary[object, set[str]]" = weakref.WeakKeyDictionary()


def _numbered(statement: str) -> tuple[str, int]:
    """%s placeholders as $1, $2, ... (and %% as %), with how many there are."""
    count = 0

    def number(match):
        nonlocal count
        if match.group(0) == "%%":
            return "%"
        count += 1
        return f"${count}"

    return re.sub(r"%%|%s", number, statement), count


def execute(name: str, statement: str, params: list) -> None:
    """Run `statement` (with %s placeholders) as the prepared statement `name`."""
    connection.ensure_connection()
    known = _prepared.setdefault(connection.connection, set())
    with connection.cursor() as cursor:
        if name not in known:
            text, count = _numbered(statement)
            if count != len(params):
                raise ValueError(f"{name}: {count} placeholders for {len(params)} values")
            cursor.execute(f"PREPARE {name} AS {text}")
            known.add(name)
        marks = ", ".join(["%s"] * len(params))
        cursor.execute(f"EXECUTE {name} ({marks})", params)
