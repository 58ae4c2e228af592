"""Figure versions: after the engine has written a scope's figures, what changed becomes a new
version of each cell, in the same transaction, set-based.

Two statements, over the scope's areas from `since` on (the cells a refresh or rebuild
rewrote):
- `insert_versions`: a version for each cell whose figures differ from its current version (or
  that has none), and a tombstone (`removed`) for each current version whose cell is gone.
  computed_at is not compared: a refresh that recomputes the same figures writes no version.
- `close_versions`: the versions that a newer current one replaced are valid until `moment`.

They run holding FEED_LOCK (PostgreSQL), taken just before and kept until the transaction
commits, with `moment` read once the lock is held: versions are committed one transaction after
another in the order of their ids and of their `valid_from`, so the change feed pages by id,
and the figures as of a moment already past do not change.
"""

from functools import cache

from tracker.figures.sql import SCOPE_COLUMNS, Dialect
from tracker.models.versions import PUBLISHED_COUNTS, VERSIONED_COLUMNS


def _listed(template: str, sep: str = ", ") -> str:
    """The versioned columns through `template` ({c}), `sep` between them, a metric's a line."""
    lines = [VERSIONED_COLUMNS[i : i + 4] for i in range(0, len(VERSIONED_COLUMNS), 4)]
    line_sep = sep.rstrip() + "\n           "
    return line_sep.join(sep.join(template.format(c=c) for c in line) for line in lines)


COLUMNS = _listed("{c}")
TABLE = "tracker_figureversion"  # kept, never purged: not one of sql.DERIVED_TABLES
FEED_LOCK = (7_301, 0)  # in the engine's lock space; area ids start at 1


def _same(d: Dialect, a: str, b: str) -> str:
    """The published columns of `a` and `b` are equal, a missing value equal to a missing one."""
    if d.postgresql:
        return f"({_listed(a + '.{c}')})\n          IS NOT DISTINCT FROM ({_listed(b + '.{c}')})"
    return _listed(f"{a}.{{c}} IS {b}.{{c}}", " AND ")


@cache
def insert_versions(d: Dialect, scope: str) -> str:
    """New versions of the scope's changed cells, and tombstones of its removed ones (the
    parameters: the scope's, then `moment` twice)."""
    true, false = ("TRUE", "FALSE") if d.postgresql else ("1", "0")
    moment = "CAST(%s AS TIMESTAMPTZ)" if d.postgresql else "%s"  # typed for PREPARE
    nulls = ", ".join(
        "0" if c in PUBLISHED_COUNTS else "CAST(NULL AS BIGINT)" for c in VERSIONED_COLUMNS
    )
    return f"""WITH scope({SCOPE_COLUMNS}) AS ({scope}),
changed AS (  -- cells whose figures no current version holds
    SELECT f.area_id, f.date, {false} AS removed, {moment} AS valid_from, f.computed_at,
           {_listed("f.{c}")}
    FROM scope s
    JOIN tracker_dailyfigure f ON f.area_id = s.area_id AND f.date >= s.since_day
    WHERE NOT EXISTS (
        SELECT 1 FROM tracker_figureversion v
        WHERE v.area_id = f.area_id AND v.date = f.date AND v.valid_to IS NULL
          AND NOT v.removed
          AND {_same(d, "v", "f")})
),
removed AS (  -- tombstones: current versions whose cell is gone
    SELECT v.area_id, v.date, {true}, {moment}, v.computed_at, {nulls}
    FROM scope s
    JOIN tracker_figureversion v
      ON v.area_id = s.area_id AND v.date >= s.since_day AND v.valid_to IS NULL
    WHERE NOT v.removed AND NOT EXISTS (
        SELECT 1 FROM tracker_dailyfigure f WHERE f.area_id = v.area_id AND f.date = v.date)
)
INSERT INTO tracker_figureversion (area_id, date, removed, valid_from, computed_at, {COLUMNS})
SELECT * FROM changed
UNION ALL
SELECT * FROM removed"""


@cache
def close_versions(scope: str) -> str:
    """Close the scope's current versions that a newer current version replaced (the
    parameters: the scope's, then `moment`)."""
    return f"""WITH scope({SCOPE_COLUMNS}) AS ({scope})
UPDATE tracker_figureversion SET valid_to = %s WHERE id IN (
    SELECT v.id FROM scope s
    JOIN tracker_figureversion v
      ON v.area_id = s.area_id AND v.date >= s.since_day AND v.valid_to IS NULL
    WHERE EXISTS (
        SELECT 1 FROM tracker_figureversion w
        WHERE w.area_id = v.area_id AND w.date = v.date AND w.valid_to IS NULL AND w.id > v.id))"""
