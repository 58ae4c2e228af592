"""The SQL of the engine: three statements a level, the same for a full rebuild (every area of
the level, from the first day) and an incremental recompute (a few areas, from a day on).

1. `insert_agencies`: each agency's own totals per area and day (rules 1-4) and its running
   totals (rule 7), from the area's verified reports and the running totals stored before the
   first day recomputed; plus the agencies present below (for `agency_count`).
2. `insert_pending`: pending reports covering each day, the area's own and its children's.
3. `insert_figures`: rules 5-7 over those agency rows and the children's stored figures.

Metrics are columns side by side, as in the tables; only cumulative series are taken apart per
metric (rule 2 orders each metric's totals on its own).

`scope(area_id, agency_id, since_n, since_day, until_n, until_day)` names the areas and the days
whose rows are replaced: figures from `since` on (running totals carry everything forward);
agency rows and pending counts from `since` to `until` (above the area of a changed report only
the days it covers change); `by_agency` statements replace only that agency's agency rows (a
report changes only its agency's). The few
expressions that differ between PostgreSQL and SQLite (day numbers, a range of days) come from
`Dialect`.
"""

from dataclasses import dataclass
from functools import cache

from tracker.models.figures import METRICS

SUFFIXES = ("", "_low", "_high", "_cumulative")
FIGURE_COLUMNS = [f"{name}{suffix}" for name in METRICS for suffix in SUFFIXES]


@dataclass(frozen=True)
class Dialect:
    postgresql: bool

    def number(self, day: str) -> str:
        """A date's ordinal, as Python's date.toordinal() counts."""
        if self.postgresql:
            return f"({day} - DATE '0001-01-01' + 1)"
        return f"CAST(julianday({day}) - 1721424.5 AS INTEGER)"

    def day(self, number: str) -> str:
        if self.postgresql:
            return f"(DATE '0001-01-01' + ({number} - 1))"
        return f"date({number} + 1721424.5)"

    def greatest(self, a: str, b: str) -> str:
        """The larger of two values, a missing one taking no part: PostgreSQL's GREATEST (SQLite's
        max() of two is missing when either is)."""
        if self.postgresql:
            return f"GREATEST({a}, {b})"
        return (
            f"CASE WHEN {a} IS NULL THEN {b} WHEN {b} IS NULL OR {a} >= {b} THEN {a} ELSE {b} END"
        )

    def days(self, alias: str, first: str, last: str) -> str:
        """A join giving `alias.n` for every day number from `first` to `last`."""
        if self.postgresql:
            return f"CROSS JOIN LATERAL generate_series({first}, {last}) AS {alias}(n)"
        return f"JOIN tracker_calendarday {alias} ON {alias}.n BETWEEN {first} AND {last}"


def _scope(scope: str) -> str:
    return f"scope(area_id, agency_id, since_n, since_day, until_n, until_day) AS ({scope})"


def later(a: str, b: str) -> str:
    return f"CASE WHEN {a} > {b} THEN {a} ELSE {b} END"


def earlier(a: str, b: str) -> str:
    return f"CASE WHEN {a} < {b} THEN {a} ELSE {b} END"


def plus(a: str, b: str) -> str:
    """a + b, where a missing value counts as 0 unless both are missing."""
    both_missing = f"{a} IS NULL AND {b} IS NULL"
    return f"CASE WHEN {both_missing} THEN NULL ELSE COALESCE({a}, 0) + COALESCE({b}, 0) END"


def total(value: str) -> str:
    """SUM as a 64-bit integer: PostgreSQL's SUM of bigints is a numeric, slow to add up again."""
    return f"CAST(SUM({value}) AS BIGINT)"


def share(count: str, k: str, span: str) -> str:
    """Rule 3: days 1..k of `span` together get ceil(count*k/span); this is day k+1's part."""
    c = f"CAST({count} AS BIGINT)"
    return f"({c} * ({k} + 1) + {span} - 1) / {span} - ({c} * {k} + {span} - 1) / {span}"


def _columns(template: str) -> str:
    return ", ".join(template.format(m=m, i=i) for i, m in enumerate(METRICS))


def _agency(column: str, by_agency: bool) -> str:
    return f" AND {column} = s.agency_id" if by_agency else ""


def _own(d: Dialect, by_agency: bool) -> str:
    return f"""
own AS (  -- rule 1: only verified reports count; plain ones that end before the scope's day
          -- cannot change it, cumulative ones can (a later total corrects earlier ones)
    SELECT r.id, r.agency_id, r.area_id, r.cumulative, r.created_at, s.since_n, s.until_n,
           {d.number("r.period_start")} AS first_n, {d.number("r.period_end")} AS last_n,
           {_columns("r.{m}")}
    FROM tracker_report r
    JOIN scope s ON s.area_id = r.area_id{_agency("r.agency_id", by_agency)}
    WHERE r.status = 'verified' AND (r.cumulative OR r.period_end >= s.since_day)
      AND r.period_start <= s.until_day
)"""


def _shares(d: Dialect) -> str:
    pick = " ".join(f"WHEN {i} THEN o.{m}" for i, m in enumerate(METRICS))
    metrics = ", ".join(f"({i})" for i in range(len(METRICS)))
    return f"""
metric(m) AS (VALUES {metrics}),
plain_shares AS (  -- rule 3 for plain reports, every metric at once; a one-day report (within
                  -- the scope's days, as `own` took only those) is all on its day
    SELECT o.id AS report_id, o.area_id, o.agency_id, o.first_n AS n, 1 AS reports,
           {_columns("o.{m}")}
    FROM own o
    WHERE NOT o.cumulative AND o.first_n = o.last_n
    UNION ALL
    SELECT o.id, o.area_id, o.agency_id, c.n, 1,
           {_columns(share("o.{m}", "(c.n - o.first_n)", "(o.last_n - o.first_n + 1)"))}
    FROM own o {d.days("c", later("o.first_n", "o.since_n"), earlier("o.last_n", "o.until_n"))}
    WHERE NOT o.cumulative AND o.first_n < o.last_n
),
amounts AS (  -- cumulative reports: each metric on its own
    SELECT o.id, o.agency_id, o.area_id, o.created_at, o.first_n, o.last_n, o.since_n, o.until_n,
           m.m AS metric, CASE m.m {pick} END AS amount
    FROM own o CROSS JOIN metric m
    WHERE o.cumulative
),
standing AS (  -- rule 2: of two totals as of one day, the one created last stands
    SELECT *, ROW_NUMBER() OVER (PARTITION BY agency_id, area_id, metric, first_n, last_n
                                 ORDER BY created_at DESC, id DESC) AS latest
    FROM amounts WHERE amount IS NOT NULL
),
lowered AS (  -- rule 2: a later, lower total corrects the earlier ones
    SELECT id, agency_id, area_id, metric, first_n, last_n, since_n, until_n,
           MIN(amount) OVER (PARTITION BY agency_id, area_id, metric, first_n ORDER BY last_n DESC
                             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS total
    FROM standing WHERE latest = 1
),
flows AS (  -- rule 2: each total minus the previous one, over the days after the previous
    SELECT id, agency_id, area_id, metric, since_n, until_n, last_n,
           COALESCE((LAG(last_n) OVER series) + 1, first_n) AS first_n,
           total - COALESCE(LAG(total) OVER series, 0) AS amount
    FROM lowered
    WINDOW series AS (PARTITION BY agency_id, area_id, metric, first_n ORDER BY last_n)
),
series_shares AS (  -- rule 3 for the flows of cumulative series
    SELECT f.id AS report_id, f.area_id, f.agency_id, c.n, f.metric,
           {share("f.amount", "(c.n - f.first_n)", "(f.last_n - f.first_n + 1)")} AS share
    FROM flows f {d.days("c", later("f.first_n", "f.since_n"), earlier("f.last_n", "f.until_n"))}
)"""


def _agency_rows(d: Dialect, has_children: bool, by_agency: bool) -> str:
    nulls = _columns("NULL AS {m}")
    below = f"""
    UNION ALL  -- agencies present below, for agency_count
    SELECT a.parent_id, af.agency_id, {d.number("af.date")}, 0, {nulls}
    FROM tracker_agencyfigure af
    JOIN tracker_area a ON a.id = af.area_id
    JOIN scope s ON s.area_id = a.parent_id{_agency("af.agency_id", by_agency)}
    WHERE af.date >= s.since_day AND af.date <= s.until_day"""
    return f"""
series_reports AS (
    SELECT agency_id, area_id, first_n, last_n, since_n, until_n, COUNT(*) AS reports
    FROM own WHERE cumulative
    GROUP BY agency_id, area_id, first_n, last_n, since_n, until_n
),
coverage AS (  -- a cumulative report covers its whole period: the days after a series' previous
               -- as-of day up to this one are covered by the reports as of this day or later
    SELECT agency_id, area_id, since_n, until_n, last_n,
           COALESCE((LAG(last_n) OVER series) + 1, first_n) AS first_n,
           CAST(SUM(reports) OVER (PARTITION BY agency_id, area_id, first_n ORDER BY last_n DESC)
                AS INTEGER) AS reports
    FROM series_reports
    WINDOW series AS (PARTITION BY agency_id, area_id, first_n ORDER BY last_n)
),
agency_rows AS (
    SELECT area_id, agency_id, n, reports, {_columns("{m}")} FROM plain_shares
    UNION ALL
    SELECT v.area_id, v.agency_id, c.n, v.reports, {nulls}
    FROM coverage v {d.days("c", later("v.first_n", "v.since_n"), earlier("v.last_n", "v.until_n"))}
    UNION ALL
    SELECT area_id, agency_id, n, 0, {_columns("CASE WHEN metric = {i} THEN share END")}
    FROM series_shares{below if has_children else ""}
),
agency_days AS (  -- rule 4: one agency, one cell: add
    SELECT area_id, agency_id, n, SUM(reports) AS reports,
           {_columns(total("{m}") + " AS {m}")}
    FROM agency_rows GROUP BY area_id, agency_id, n
)"""


@cache  # the same few texts, built once
def insert_agencies(
    d: Dialect, scope: str, has_children: bool, by_agency: bool, fresh: bool = False
) -> str:
    """Each agency's own totals and running totals per area and day, from `since` on. `fresh`:
    nothing is stored before `since` (a rebuild), so no stored running totals are read."""
    metric_columns = _columns("{m}, {m}_running")
    if fresh:  # rule 7: the running totals are the sums so far
        values = ", ".join(f"g.{m}, SUM(g.{m}) OVER w" for m in METRICS)
        before = join = ""
    else:  # rule 7: the running totals go on from those stored before `since`
        values = ", ".join(f"g.{m}, {plus(f'b.{m}', f'SUM(g.{m}) OVER w')}" for m in METRICS)
        join = "\nLEFT JOIN running_before b ON b.area_id = g.area_id AND b.agency_id = g.agency_id"
        before = f""",
running_before AS (  -- running totals only grow, so the largest is the last
    SELECT af.area_id, af.agency_id, {_columns("MAX(af.{m}_running) AS {m}")}
    FROM tracker_agencyfigure af
    JOIN scope s ON s.area_id = af.area_id{_agency("af.agency_id", by_agency)}
    WHERE af.date < s.since_day
    GROUP BY af.area_id, af.agency_id
)"""
    return f"""WITH {_scope(scope)},
{_own(d, by_agency)}, {_shares(d)}, {_agency_rows(d, has_children, by_agency)}{before}
INSERT INTO tracker_agencyfigure (area_id, date, agency_id, reports, {metric_columns})
SELECT g.area_id, {d.day("g.n")}, g.agency_id, g.reports, {values}
FROM agency_days g{join}
WINDOW w AS (PARTITION BY g.area_id, g.agency_id ORDER BY g.n ROWS UNBOUNDED PRECEDING)"""


@cache
def insert_pending(d: Dialect, scope: str, has_children: bool) -> str:
    """Pending reports about each area or below covering each day, from `since` on."""
    below = """
    UNION ALL
    SELECT a.parent_id, p.date, p.pending
    FROM tracker_pendingfigure p
    JOIN tracker_area a ON a.id = p.area_id
    JOIN scope s ON s.area_id = a.parent_id
    WHERE p.date >= s.since_day AND p.date <= s.until_day"""
    first = later(d.number("r.period_start"), "s.since_n")
    last = earlier(d.number("r.period_end"), "s.until_n")
    return f"""WITH {_scope(scope)},
counted AS (
    SELECT r.area_id, {d.day("c.n")} AS date, 1 AS pending
    FROM tracker_report r
    JOIN scope s ON s.area_id = r.area_id
    {d.days("c", first, last)}
    WHERE r.status = 'pending' AND r.period_end >= s.since_day
      AND r.period_start <= s.until_day{below if has_children else ""}
)
INSERT INTO tracker_pendingfigure (area_id, date, pending)
SELECT area_id, date, SUM(pending) FROM counted GROUP BY area_id, date"""


def _empty(name: str, columns: list[str]) -> str:
    """A CTE of these (integer) columns without rows."""
    nulls = ", ".join(f"CAST(NULL AS BIGINT) AS {column}" for column in columns)
    return f"\n{name} AS (SELECT {nulls} WHERE 1 = 0)"


def _children(fresh: bool) -> str:
    before = (
        _empty("child_before", ["area_id", "child_id", *METRICS])
        if fresh
        else f"""
child_before AS (  -- each child's cumulative before the first day: the largest, as it only grows
    SELECT a.parent_id AS area_id, f.area_id AS child_id, {_columns("MAX(f.{m}_cumulative) AS {m}")}
    FROM tracker_dailyfigure f
    JOIN tracker_area a ON a.id = f.area_id
    JOIN scope s ON s.area_id = a.parent_id
    WHERE f.date < s.since_day
    GROUP BY a.parent_id, f.area_id
)"""
    )
    sums = ", ".join(
        f"{total(f'f.{m}{x}')} AS {m}{x}" for m in METRICS for x in ("", "_low", "_high")
    )
    return f"""{before},
children AS (  -- rule 6: the sum of the children's values; rule 7: how much their cumulatives grew
    SELECT a.parent_id AS area_id, f.date, SUM(f.report_count) AS reports,
           {sums},
           {_columns(total("f.{m}_growth") + " AS {m}_growth")}
    FROM tracker_dailyfigure f
    JOIN tracker_area a ON a.id = f.area_id
    JOIN scope s ON s.area_id = a.parent_id
    WHERE f.date >= s.since_day
    GROUP BY a.parent_id, f.date
),
child_base AS (
    SELECT area_id, {_columns(total("{m}") + " AS {m}")} FROM child_before GROUP BY area_id
)"""


NO_CHILDREN_COLUMNS = ["reports"] + [
    f"{m}{suffix}" for m in METRICS for suffix in ("", "_low", "_high", "_growth")
]


def _no_children() -> str:
    nulls = ", ".join(f"CAST(NULL AS BIGINT) AS {column}" for column in NO_CHILDREN_COLUMNS)
    return f"""
children AS (SELECT 0 AS area_id, CAST(NULL AS DATE) AS date, {nulls} WHERE 1 = 0),
{_empty("child_base", ["area_id", *METRICS])}"""


def _figure_values(d: Dialect, m: str) -> str:
    greatest = d.greatest
    own_cumulative = greatest(f"ob.{m}", f"MAX(o.{m}_running) OVER w")
    child_cumulative = plus(f"cb.{m}", f"SUM(ch.{m}_growth) OVER w")
    return ", ".join(
        [
            greatest(f"o.{m}", f"ch.{m}") + f" AS {m}",  # rule 6: the larger of own and children's
            greatest(f"o.{m}_low", f"ch.{m}_low") + f" AS {m}_low",
            plus(f"o.{m}_high", f"ch.{m}_high") + f" AS {m}_high",  # rule 6: high adds both
            greatest(own_cumulative, child_cumulative) + f" AS {m}_cumulative",  # rule 7
            greatest(f"ob.{m}", f"cb.{m}") + f" AS {m}_before",
        ]
    )


@cache
def insert_figures(d: Dialect, scope: str, has_children: bool, fresh: bool = False) -> str:
    """The figure rows of the scope's areas from `since` on, from their agency rows (stored by
    `insert_agencies`) and their children's stored figures. `fresh`: as for `insert_agencies`."""
    own = ", ".join(
        f"MAX(af.{m}) AS {m}, MIN(af.{m}) AS {m}_low, {total(f'af.{m}')} AS {m}_high, "
        f"MAX(af.{m}_running) AS {m}_running"
        for m in METRICS
    )
    values = ", ".join(_figure_values(d, m) for m in METRICS)
    own_before = (
        _empty("own_before", ["area_id", *METRICS])
        if fresh
        else f"""
own_before AS (  -- rule 7: the largest agency running total before the first day
    SELECT af.area_id, {_columns("MAX(af.{m}_running) AS {m}")}
    FROM tracker_agencyfigure af
    JOIN scope s ON s.area_id = af.area_id
    WHERE af.date < s.since_day
    GROUP BY af.area_id
)"""
    )
    growth_columns = _columns("{m}_growth")
    growth = _columns(  # for the parent's rule 7: how much the cumulative grew since the last row
        "{m}_cumulative - COALESCE(LAG({m}_cumulative) OVER g, {m}_before, 0)"
    )
    return f"""WITH {_scope(scope)},
own AS (  -- rule 5 over the area's own reports: largest, smallest and summed agency totals;
          -- a row for every day an agency covers here or below (rule 1)
    SELECT af.area_id, af.date, COUNT(*) AS agencies, SUM(af.reports) AS reports, {own}
    FROM tracker_agencyfigure af
    JOIN scope s ON s.area_id = af.area_id
    WHERE af.date >= s.since_day
    GROUP BY af.area_id, af.date
),
{own_before},
pending AS (
    SELECT p.area_id, p.date, p.pending
    FROM tracker_pendingfigure p
    JOIN scope s ON s.area_id = p.area_id
    WHERE p.date >= s.since_day
), {_children(fresh) if has_children else _no_children()},
figures AS (
    SELECT o.area_id, o.date, o.reports + COALESCE(ch.reports, 0) AS reports, o.agencies,
           COALESCE(p.pending, 0) AS pending, {values}
    FROM own o
    LEFT JOIN children ch ON ch.area_id = o.area_id AND ch.date = o.date
    LEFT JOIN own_before ob ON ob.area_id = o.area_id
    LEFT JOIN child_base cb ON cb.area_id = o.area_id
    LEFT JOIN pending p ON p.area_id = o.area_id AND p.date = o.date
    WINDOW w AS (PARTITION BY o.area_id ORDER BY o.date ROWS UNBOUNDED PRECEDING)
)
INSERT INTO tracker_dailyfigure (area_id, date, report_count, agency_count, pending_reports,
                                 computed_at, {", ".join(FIGURE_COLUMNS)}, {growth_columns})
SELECT area_id, date, reports, agencies, pending, %s, {", ".join(FIGURE_COLUMNS)}, {growth}
FROM figures
WINDOW g AS (PARTITION BY area_id ORDER BY date)"""


KEYS = {
    "tracker_agencyfigure": "area_id, agency_id, date",
    "tracker_pendingfigure": "area_id, date",
    "tracker_dailyfigure": "id",
}
DERIVED_TABLES = tuple(KEYS)
# The columns the engine's and the API's plans depend on (they look rows up by these alone).
LOOKUP_COLUMNS = {
    "tracker_agencyfigure": "area_id, agency_id, date",
    "tracker_pendingfigure": "area_id, date",
    "tracker_dailyfigure": "area_id, date",
}


@cache
def delete_rows(table: str, scope: str, by_agency: bool = False) -> str:
    """Deletes the scope's rows of a derived table: figures from `since` on, agency rows and
    pending counts from `since` to `until`."""
    until = "" if table == "tracker_dailyfigure" else " AND t.date <= s.until_day"
    key = KEYS[table]
    keys = ", ".join(f"t.{column}" for column in key.split(", "))
    # IN over the keys, not EXISTS: PostgreSQL plans EXISTS as a scan of the whole table
    return f"""WITH {_scope(scope)}
DELETE FROM {table} WHERE ({key}) IN (
    SELECT {keys} FROM {table} t
    JOIN scope s ON s.area_id = t.area_id{_agency("t.agency_id", by_agency)}
    WHERE t.date >= s.since_day{until})"""


def own_shares(d: Dialect, scope: str) -> str:
    """Each verified report's share of each metric over the scope's days (for explaining one
    day's figure, `since` and `until` are that day) in the scope's area: the same CTEs as
    `insert_agencies`."""
    plain = " UNION ALL ".join(
        f"SELECT report_id, agency_id, {i}, {m} FROM plain_shares WHERE {m} IS NOT NULL"
        for i, m in enumerate(METRICS)
    )
    return f"""WITH {_scope(scope)}, {_own(d, by_agency=False)}, {_shares(d)}
SELECT report_id, agency_id, metric, share FROM series_shares
UNION ALL {plain}"""
