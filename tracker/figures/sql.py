"""The SQL of the engine: three statements a level, the same for a full rebuild (every area of
the level, from the first day) and a refresh of stale cells (a few areas, from a day on).

Every statement starts from `scope`, the areas and days whose rows it replaces (SCOPE_COLUMNS):
figures from `since` on; agency rows and pending counts from `since` to `until`. A statement
`by_agency` replaces only `agency_id`'s agency rows (a report changes only its agency's).
`tracker/figures/rendered/` holds every variant as the database receives it.

Where each rule of DESIGN.md ("How reports become daily figures") is applied:

| rule | statement | CTE |
| --- | --- | --- |
| 1. only verified reports count | insert_agencies | `verified_reports` |
| 2. cumulative series become flows | insert_agencies | `cumulative_amounts`, `standing_totals`, `lowered_totals`, `series_flows` |
| 3. periods become days | insert_agencies | `plain_shares`, `series_shares` |
| 4. one agency, one cell: add | insert_agencies | `agency_days` |
| 5. several agencies: do not add | insert_figures | `own_figures` |
| 6. up the hierarchy | insert_figures | `children_figures`, `day_figures` |
| 7. cumulatives add up stretches | insert_agencies | `plain_shares`, `series_shares` (`<m>_joined`: a report joins a day to the day before) |
| | insert_figures | `day_figures` (where each metric's stretch starts), `day_stretches` (its first day), `agency_running` and `agency_accounts` (each agency's own reports in the stretch so far), `stretch_days` and `stretch_accounts` (the largest agency account and the children's growth so far, a row per metric), `stretch_growth` and `day_growth` (what the largest account grew by), `cumulatives` (separate stretches add up) |
| | a refresh | `stretches_before`, `agencies_before`, `below_before`, `carried_accounts` (the stretch that reaches into the first day replaced, and its accounts by the day before) |

Metrics are columns side by side, as in the tables; only cumulative series (rule 2 orders each
metric's totals on its own) and stretch accounts (each metric's stretches are its own) are
taken apart per metric. The few expressions that differ between
PostgreSQL and SQLite (day numbers, a range of days, the larger of two) come from `Dialect`.
"""  # noqa: E501

from dataclasses import dataclass
from functools import cache

from tracker.models.figures import METRICS

SUFFIXES = ("", "_low", "_high", "_cumulative")
FIGURE_COLUMNS = [f"{name}{suffix}" for name in METRICS for suffix in SUFFIXES]
# What a scope holds, for every statement: the area, the agency whose rows change (NULL: every
# agency's), and the first and last day replaced, as day numbers and as dates.
SCOPE_COLUMNS = "area_id, agency_id, since_n, since_day, until_n, until_day"
NO_DAY = "9999-12-31"  # after every day (SQLite compares dates as text)


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

    def least(self, values: list[str]) -> str:
        """The smallest of these dates, missing ones taking no part (missing when all are)."""
        if self.postgresql:
            return f"LEAST({', '.join(values)})"
        return f"MIN({', '.join(f'COALESCE({v}, {NO_DAY!r})' for v in values)})"

    def rows_of(self, table: str, alias: str, where: str, fresh: bool) -> str:
        """A join giving the rows of `table` (as `alias`) that meet `where`, which may name the
        tables before it. On PostgreSQL a refresh looks each area's few rows up through the
        index with every bound of `where` (a join can leave the days' bounds to a filter, which
        reads all the area's rows); a rebuild, which reads them all, joins as usual."""
        if self.postgresql and not fresh:
            rows = f"SELECT * FROM {table} {alias} WHERE {where} OFFSET 0"
            return f"CROSS JOIN LATERAL ({rows}) {alias}"
        return f"JOIN {table} {alias} ON {where}"

    def days(self, alias: str, first: str, last: str) -> str:
        """A join giving `alias.n` for every day number from `first` to `last`."""
        if self.postgresql:
            return f"CROSS JOIN LATERAL generate_series({first}, {last}) AS {alias}(n)"
        return f"JOIN tracker_calendarday {alias} ON {alias}.n BETWEEN {first} AND {last}"


def _scope(scope: str) -> str:
    return f"scope({SCOPE_COLUMNS}) AS ({scope})"


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


LIST = ",\n           "  # one metric's columns a line, for the rendered statements' readers


def _columns(template: str, sep: str = LIST) -> str:
    return sep.join(template.format(m=m, i=i) for i, m in enumerate(METRICS))


def _agency(column: str, by_agency: bool) -> str:
    return f" AND {column} = s.agency_id" if by_agency else ""


def _verified(d: Dialect, by_agency: bool) -> str:
    return f"""
verified_reports AS (  -- rule 1: only verified reports count; plain ones that end before the
                       -- scope's day cannot change it, cumulative ones can (rule 2)
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
    joins = "CASE WHEN o.{m} IS NOT NULL AND c.n > o.first_n THEN 1 ELSE 0 END AS {m}_joined"
    return f"""
metric(m) AS (VALUES {metrics}),
plain_shares AS (  -- rule 3 for plain reports, every metric at once; a one-day report (within
                   -- the scope's days, as `verified_reports` took only those) is all on its day;
                   -- rule 7: a report over several days joins each of them to the day before
    SELECT o.id AS report_id, o.area_id, o.agency_id, o.first_n AS n, 1 AS reports,
           {_columns("o.{m}")}, {_columns("0 AS {m}_joined")}
    FROM verified_reports o
    WHERE NOT o.cumulative AND o.first_n = o.last_n
    UNION ALL
    SELECT o.id, o.area_id, o.agency_id, c.n, 1,
           {_columns(share("o.{m}", "(c.n - o.first_n)", "(o.last_n - o.first_n + 1)"))},
           {_columns(joins)}
    FROM verified_reports o
    {d.days("c", later("o.first_n", "o.since_n"), earlier("o.last_n", "o.until_n"))}
    WHERE NOT o.cumulative AND o.first_n < o.last_n
),
cumulative_amounts AS (  -- rule 2: cumulative reports, each metric on its own
    SELECT o.id, o.agency_id, o.area_id, o.created_at, o.first_n, o.last_n, o.since_n, o.until_n,
           m.m AS metric, CASE m.m {pick} END AS amount
    FROM verified_reports o CROSS JOIN metric m
    WHERE o.cumulative
),
standing_totals AS (  -- rule 2: of two totals as of one day, the one created last stands
    SELECT *, ROW_NUMBER() OVER (PARTITION BY agency_id, area_id, metric, first_n, last_n
                                 ORDER BY created_at DESC, id DESC) AS latest
    FROM cumulative_amounts WHERE amount IS NOT NULL
),
lowered_totals AS (  -- rule 2: a later, lower total corrects the earlier ones
    SELECT id, agency_id, area_id, metric, first_n, last_n, since_n, until_n,
           MIN(amount) OVER (PARTITION BY agency_id, area_id, metric, first_n ORDER BY last_n DESC
                             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS total
    FROM standing_totals WHERE latest = 1
),
series_flows AS (  -- rule 2: each total minus the previous one, over the days after the previous
    SELECT id, agency_id, area_id, metric, since_n, until_n, last_n,
           COALESCE((LAG(last_n) OVER series) + 1, first_n) AS first_n,
           total - COALESCE(LAG(total) OVER series, 0) AS amount
    FROM lowered_totals
    WINDOW series AS (PARTITION BY agency_id, area_id, metric, first_n ORDER BY last_n)
),
series_shares AS (  -- rule 3 for the flows of cumulative series; rule 7 as for plain reports
    SELECT f.id AS report_id, f.area_id, f.agency_id, c.n, f.metric,
           {share("f.amount", "(c.n - f.first_n)", "(f.last_n - f.first_n + 1)")} AS share,
           CASE WHEN c.n > f.first_n THEN 1 ELSE 0 END AS joined
    FROM series_flows f
    {d.days("c", later("f.first_n", "f.since_n"), earlier("f.last_n", "f.until_n"))}
)"""


def _agency_days(d: Dialect, has_children: bool, by_agency: bool) -> str:
    nulls = _columns("NULL AS {m}")
    below = f"""
    UNION ALL  -- agencies present below, for agency_count
    SELECT a.parent_id, af.agency_id, {d.number("af.date")}, 0, {nulls}, {nulls}
    FROM tracker_agencyfigure af
    JOIN tracker_area a ON a.id = af.area_id
    JOIN scope s ON s.area_id = a.parent_id{_agency("af.agency_id", by_agency)}
    WHERE af.date >= s.since_day AND af.date <= s.until_day"""
    return f"""
series_reports AS (
    SELECT agency_id, area_id, first_n, last_n, since_n, until_n, COUNT(*) AS reports
    FROM verified_reports WHERE cumulative
    GROUP BY agency_id, area_id, first_n, last_n, since_n, until_n
),
series_coverage AS (  -- a cumulative report covers its whole period: the days after a series'
                      -- previous as-of day up to this one are covered by the reports as of this
                      -- day or later
    SELECT agency_id, area_id, since_n, until_n, last_n,
           COALESCE((LAG(last_n) OVER series) + 1, first_n) AS first_n,
           CAST(SUM(reports) OVER (PARTITION BY agency_id, area_id, first_n ORDER BY last_n DESC)
                AS INTEGER) AS reports
    FROM series_reports
    WINDOW series AS (PARTITION BY agency_id, area_id, first_n ORDER BY last_n)
),
agency_parts AS (
    SELECT area_id, agency_id, n, reports, {_columns("{m}")}, {_columns("{m}_joined")}
    FROM plain_shares
    UNION ALL
    SELECT v.area_id, v.agency_id, c.n, v.reports, {nulls}, {nulls}
    FROM series_coverage v
    {d.days("c", later("v.first_n", "v.since_n"), earlier("v.last_n", "v.until_n"))}
    UNION ALL
    SELECT area_id, agency_id, n, 0, {_columns("CASE WHEN metric = {i} THEN share END")},
           {_columns("CASE WHEN metric = {i} THEN joined END")}
    FROM series_shares{below if has_children else ""}
),
agency_days AS (  -- rule 4: one agency, one cell: add
    SELECT area_id, agency_id, n, SUM(reports) AS reports,
           {_columns(total("{m}") + " AS {m}")}, {_columns("MAX({m}_joined) AS {m}_joined")}
    FROM agency_parts GROUP BY area_id, agency_id, n
)"""


@cache  # the same few texts, built once
def insert_agencies(d: Dialect, scope: str, has_children: bool, by_agency: bool) -> str:
    """Each agency's own totals per area and day from `since` to `until`, and whether its
    reports join each day to the day before."""
    columns = _columns("{m}, {m}_joined")
    return f"""WITH {_scope(scope)},
{_verified(d, by_agency)}, {_shares(d)}, {_agency_days(d, has_children, by_agency)}
INSERT INTO tracker_agencyfigure (area_id, date, agency_id, reports, {columns})
SELECT area_id, {d.day("n")}, agency_id, reports, {columns}
FROM agency_days"""


@cache
def insert_pending(d: Dialect, scope: str, has_children: bool, fresh: bool = False) -> str:
    """Pending reports and revisions about each area or below covering each day, from `since` to
    `until`."""
    days = "p.area_id = a.id AND p.date >= s.since_day AND p.date <= s.until_day"
    below = f"""
    UNION ALL
    SELECT a.parent_id, p.date, p.pending
    FROM tracker_area a
    JOIN scope s ON s.area_id = a.parent_id
    {d.rows_of("tracker_pendingfigure", "p", days, fresh)}"""
    first = later(d.number("r.period_start"), "s.since_n")
    last = earlier(d.number("r.period_end"), "s.until_n")
    pending = "\n    UNION ALL".join(
        f"""
    SELECT r.area_id, {d.day("c.n")} AS date, 1 AS pending
    FROM {table} r
    JOIN scope s ON s.area_id = r.area_id
    {d.days("c", first, last)}
    WHERE r.status = 'pending' AND r.period_end >= s.since_day
      AND r.period_start <= s.until_day"""
        for table in ("tracker_report", "tracker_reportrevision")
    )
    return f"""WITH {_scope(scope)},
counted AS (  -- pending reports, and pending revisions where they would apply{pending}{
        below if has_children else ""
    }
)
INSERT INTO tracker_pendingfigure (area_id, date, pending)
SELECT area_id, date, SUM(pending) FROM counted GROUP BY area_id, date"""


def _children(d: Dialect, has_children: bool, fresh: bool) -> str:
    if not has_children:
        nulls = ", ".join(
            f"CAST(NULL AS BIGINT) AS {column}" for column in ["reports", *CHILDREN_COLUMNS]
        )
        return f"""
children_figures AS (SELECT 0 AS area_id, CAST(NULL AS DATE) AS date, {nulls} WHERE 1 = 0)"""
    sums = LIST.join(
        ", ".join(f"{total(f'f.{m}{x}')} AS {m}{x}" for x in ("", "_low", "_high")) for m in METRICS
    )
    return f"""
children_figures AS (  -- rule 6: the sum of the children's values; rule 7: how much their
                       -- cumulatives grew, and whether a stretch below joins the day before
    SELECT a.parent_id AS area_id, f.date, SUM(f.report_count) AS reports, {sums},
           {_columns(total("f.{m}_growth") + " AS {m}_growth")},
           {_columns("MAX(CASE WHEN f.{m}_stretch < f.date THEN 1 ELSE 0 END) AS {m}_joined")}
    FROM tracker_area a
    JOIN scope s ON s.area_id = a.parent_id
    {d.rows_of("tracker_dailyfigure", "f", "f.area_id = a.id AND f.date >= s.since_day", fresh)}
    GROUP BY a.parent_id, f.date
)"""


CHILDREN_COLUMNS = [
    f"{m}{suffix}" for m in METRICS for suffix in ("", "_low", "_high", "_growth", "_joined")
]


def _before(fresh: bool) -> str:
    if fresh:  # a rebuild: nothing is stored before the first day
        nulls = ", ".join(f"CAST(NULL AS BIGINT) AS {m}" for m in METRICS)
        empty = f"SELECT CAST(NULL AS BIGINT) AS area_id, {nulls} WHERE 1 = 0"
        return f"\ncumulative_before AS ({empty})"
    return f"""
cumulative_before AS (  -- rule 7: the cumulatives before the first day replaced (the largest:
                        -- they only grow)
    SELECT f.area_id, {_columns("MAX(f.{m}_cumulative) AS {m}")}
    FROM tracker_dailyfigure f
    JOIN scope s ON s.area_id = f.area_id
    WHERE f.date < s.since_day
    GROUP BY f.area_id
)"""


def _day_figures(d: Dialect) -> str:
    def metric(m: str) -> str:
        covered = f"o.{m} IS NOT NULL OR ch.{m} IS NOT NULL"
        joined = f"COALESCE(o.{m}_joined, 0) + COALESCE(ch.{m}_joined, 0) > 0"
        return (
            f"{d.greatest(f'o.{m}', f'ch.{m}')} AS {m}, "  # rule 6: own or children's, larger
            f"{d.greatest(f'o.{m}_low', f'ch.{m}_low')} AS {m}_low, "
            f"{plus(f'o.{m}_high', f'ch.{m}_high')} AS {m}_high, "  # rule 6: high adds both
            f"ch.{m}_growth AS {m}_grown_below, "
            f"CASE WHEN NOT ({covered}) THEN NULL WHEN {joined} THEN 0 ELSE 1 END AS {m}_starts"
        )

    metrics = ",\n           ".join(metric(m) for m in METRICS)
    return f"""
day_figures AS (  -- rules 5 and 6 for each day; rule 7: whether each metric's stretch starts on
                  -- it (1), goes on from the day before (0) or skips it (no report covers it)
    SELECT o.area_id, o.date, o.reports + COALESCE(ch.reports, 0) AS reports, o.agencies,
           COALESCE(p.pending, 0) AS pending,
           {metrics}
    FROM own_figures o
    LEFT JOIN children_figures ch ON ch.area_id = o.area_id AND ch.date = o.date
    LEFT JOIN pending_counts p ON p.area_id = o.area_id AND p.date = o.date
)"""


def _carried(d: Dialect, fresh: bool) -> str:
    """Rule 7 for a refresh: the stretches that reach into the first day replaced from the day
    before it, and what their accounts had come to by then (a rebuild has none)."""
    if fresh:

        def typed(column: str) -> str:
            kind = "DATE" if column.endswith("_stretch") else "BIGINT"
            return f"CAST(NULL AS {kind}) AS {column}"

        return "\n" + ",\n".join(
            f"{name} AS (SELECT {', '.join(typed(c) for c in columns)} WHERE 1 = 0)"
            for name, columns in (
                ("stretches_before", ["area_id", *(f"{m}_stretch" for m in METRICS)]),
                ("agencies_before", ["area_id", "agency_id", *METRICS]),
                ("largest_before", ["area_id", *METRICS]),
                ("below_before", ["area_id", *METRICS]),
            )
        )
    in_stretch = "CASE WHEN {t}.date >= b.{m}_stretch THEN {t}.{m}{x} END"

    def first(alias: str) -> str:  # the first day of the earliest of the stretches
        return d.least([f"{alias}.{m}_stretch" for m in METRICS])

    stretch_days = f"f.area_id = a.id AND f.date < s.since_day AND f.date >= {first('b')}"

    return f"""
stretches_before AS (  -- each metric's stretch on the day before the first day replaced
    SELECT f.area_id, {_columns("f.{m}_stretch")}
    FROM tracker_dailyfigure f
    JOIN scope s ON s.area_id = f.area_id
    WHERE f.date = {d.day("s.since_n - 1")}
),
agencies_before AS (  -- each agency's own reports here in those stretches, before that day
    SELECT af.area_id, af.agency_id,
           {_columns(total(in_stretch.replace("{t}", "af").replace("{x}", "")) + " AS {m}")}
    FROM tracker_agencyfigure af
    JOIN scope s ON s.area_id = af.area_id
    JOIN stretches_before b ON b.area_id = af.area_id
    WHERE af.date < s.since_day AND af.date >= {first("b")}
    GROUP BY af.area_id, af.agency_id
),
largest_before AS (
    SELECT area_id, {_columns("MAX({m}) AS {m}")} FROM agencies_before GROUP BY area_id
),
below_before AS (  -- the children's growth in those stretches, before that day
    SELECT a.parent_id AS area_id,
           {_columns(total(in_stretch.replace("{t}", "f").replace("{x}", "_growth")) + " AS {m}")}
    FROM tracker_area a
    JOIN scope s ON s.area_id = a.parent_id
    JOIN stretches_before b ON b.area_id = a.parent_id
    {d.rows_of("tracker_dailyfigure", "f", stretch_days, fresh=False)}
    GROUP BY a.parent_id
),
carried_accounts AS (  -- a row for each metric's stretch that reached into the first day
    SELECT b.area_id, m.m AS metric, {_pick("b.{m}_stretch")} AS stretch,
           {_pick("lb.{m}")} AS agencies, {_pick("bb.{m}")} AS below,
           {_pick("lb.{m}")} AS agencies_before, {_pick("bb.{m}")} AS below_before
    FROM stretches_before b
    CROSS JOIN metric m
    LEFT JOIN largest_before lb ON lb.area_id = b.area_id
    LEFT JOIN below_before bb ON bb.area_id = b.area_id
)"""


def _pick(template: str) -> str:
    """One metric's column of an unpivoted row (`metric` numbers METRICS)."""
    whens = " ".join(f"WHEN {i} THEN {template.format(m=m)}" for i, m in enumerate(METRICS))
    return f"CASE m.m {whens} END"


def _stretches(d: Dialect, has_children: bool, fresh: bool) -> str:
    # A day that goes on from the day before, with no first day found since the first day
    # replaced, is in the stretch that reached into it (`stretches_before`).
    stretch = (
        "CASE WHEN f.{m}_starts IS NOT NULL THEN COALESCE("
        "MAX(CASE WHEN f.{m}_starts = 1 THEN f.date END) OVER w, b.{m}_stretch) END AS {m}_stretch"
    )
    # An agency's reports in the stretch so far: its running total less the running total it
    # had before its first row in the stretch (running totals only grow, so the last such
    # "before" is the largest). One ordering of the agency's rows serves every metric.
    before_stretch = (
        "MAX(CASE WHEN r.previous_day IS NULL OR r.previous_day < r.{m}_stretch "
        "THEN r.{m}_running - r.{m}_share END) OVER a"
    )
    agency = "CASE WHEN r.{m}_stretch IS NOT NULL THEN r.{m}_running - " + before_stretch + " END"
    if not fresh:
        agency = plus(agency, "CASE WHEN r.{m}_stretch = b.{m}_stretch THEN ab.{m} END")
    carried = (
        ""
        if fresh
        else """
    LEFT JOIN stretches_before b ON b.area_id = r.area_id
    LEFT JOIN agencies_before ab ON ab.area_id = r.area_id AND ab.agency_id = r.agency_id"""
    )
    now = "ROWS UNBOUNDED PRECEDING"
    then = "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING"
    below = (
        f"CAST(SUM(sd.grown_below) OVER (s {now}) AS BIGINT) AS below, "
        f"CAST(SUM(sd.grown_below) OVER (s {then}) AS BIGINT) AS below_before"
        if has_children
        else "CAST(NULL AS BIGINT) AS below, CAST(NULL AS BIGINT) AS below_before"
    )
    return f"""
day_stretches AS (  -- rule 7: the first day of each metric's stretch
    SELECT f.*, {_columns(stretch)}
    FROM day_figures f
    LEFT JOIN stretches_before b ON b.area_id = f.area_id
    WINDOW w AS (PARTITION BY f.area_id ORDER BY f.date ROWS UNBOUNDED PRECEDING)
),
agency_running AS (  -- rule 7: each agency's own reports here added up so far, day by day
    SELECT af.area_id, af.agency_id, af.date, LAG(af.date) OVER a AS previous_day,
           {
        _columns(
            "st.{m}_stretch, COALESCE(af.{m}, 0) AS {m}_share, "
            "CAST(SUM(COALESCE(af.{m}, 0)) OVER a AS BIGINT) AS {m}_running"
        )
    }
    FROM agency_rows af
    JOIN day_stretches st ON st.area_id = af.area_id AND st.date = af.date
    WINDOW a AS (PARTITION BY af.area_id, af.agency_id ORDER BY af.date ROWS UNBOUNDED PRECEDING)
),
agency_accounts AS (  -- rule 7: each agency's own reports here, added up in the stretch so far
    SELECT r.area_id, r.date, {_columns(agency + " AS {m}")}
    FROM agency_running r{carried}
    WINDOW a AS (PARTITION BY r.area_id, r.agency_id ORDER BY r.date ROWS UNBOUNDED PRECEDING)
),
largest_agency_accounts AS (
    SELECT area_id, date, {_columns("MAX({m}) AS {m}")}
    FROM agency_accounts GROUP BY area_id, date
),
stretch_days AS (  -- rule 7, a row for each metric's stretch and day: the largest agency
                   -- account that day, and what the children grew by
    SELECT st.area_id, st.date, m.m AS metric, {_pick("st.{m}_stretch")} AS stretch,
           {_pick("la.{m}")} AS agencies, {_pick("st.{m}_grown_below")} AS grown_below
    FROM day_stretches st
    CROSS JOIN metric m
    LEFT JOIN largest_agency_accounts la ON la.area_id = st.area_id AND la.date = st.date
    WHERE {_pick("st.{m}_stretch")} IS NOT NULL
),
stretch_accounts AS (  -- rule 7: the largest agency account and the children's growth in the
                       -- stretch, up to this day and up to the day before
    SELECT sd.area_id, sd.date, sd.metric, sd.stretch,
           MAX(sd.agencies) OVER (s {now}) AS agencies,
           MAX(sd.agencies) OVER (s {then}) AS agencies_before, {below}
    FROM stretch_days sd
    WINDOW s AS (PARTITION BY sd.area_id, sd.metric, sd.stretch ORDER BY sd.date)
)"""


def _day_growth(d: Dialect, fresh: bool) -> str:
    """Rule 7: how much each stretch's largest account grew on the day, a column a metric."""
    accounts = ("a.agencies", "a.agencies_before", "a.below", "a.below_before")
    carried = ""
    if not fresh:  # the accounts of the stretch that reached into the first day replaced
        accounts = tuple(
            (d.greatest if name.startswith("a.agencies") else plus)(name, f"c.{name[2:]}")
            for name in accounts
        )
        carried = """
    LEFT JOIN carried_accounts c
      ON c.area_id = a.area_id AND c.metric = a.metric AND c.stretch = a.stretch"""
    now = d.greatest(accounts[0], accounts[2])
    before = d.greatest(accounts[1], accounts[3])
    return f"""
stretch_growth AS (
    SELECT a.area_id, a.date, a.metric, {now} - COALESCE({before}, 0) AS growth
    FROM stretch_accounts a{carried}
),
day_growth AS (
    SELECT area_id, date, {_columns("MAX(CASE WHEN metric = {i} THEN growth END) AS {m}_growth")}
    FROM stretch_growth GROUP BY area_id, date
)"""


@cache
def insert_figures(d: Dialect, scope: str, has_children: bool, fresh: bool = False) -> str:
    """The figure rows of the scope's areas from `since` on, from their agency rows (stored by
    `insert_agencies`) and their children's stored figures. `fresh`: nothing is stored before
    `since` (a rebuild)."""
    own = LIST.join(
        f"MAX(af.{m}) AS {m}, MIN(af.{m}) AS {m}_low, {total(f'af.{m}')} AS {m}_high, "
        f"MAX(af.{m}_joined) AS {m}_joined"
        for m in METRICS
    )
    values = _columns("st.{m}, st.{m}_low, st.{m}_high")
    cumulative = _columns(
        plus("b.{m}", "CAST(SUM(g.{m}_growth) OVER w AS BIGINT)")
        + " AS {m}_cumulative, g.{m}_growth"
    )
    growth = _columns(  # what the cumulative grew since the area's previous row, for its parent
        "CASE WHEN {m}_cumulative IS NOT NULL THEN COALESCE({m}_growth, 0) END"
    )
    stretches = _columns("{m}_stretch")
    figure_columns = _columns("{m}, {m}_low, {m}_high, {m}_cumulative")
    metrics = ", ".join(f"({i})" for i in range(len(METRICS)))
    return f"""WITH {_scope(scope)},
metric(m) AS (VALUES {metrics}),
agency_rows AS (  -- the agency rows replaced figures are made of (read once)
    SELECT af.*
    FROM tracker_agencyfigure af
    JOIN scope s ON s.area_id = af.area_id
    WHERE af.date >= s.since_day
),
own_figures AS (  -- rule 5 over the area's own reports: largest, smallest and summed agency
                  -- totals; a row for every day an agency covers here or below (rule 1)
    SELECT af.area_id, af.date, COUNT(*) AS agencies, SUM(af.reports) AS reports, {own}
    FROM agency_rows af
    GROUP BY af.area_id, af.date
),
pending_counts AS MATERIALIZED (  -- read once, not looked up day by day
    SELECT p.area_id, p.date, p.pending
    FROM tracker_pendingfigure p
    JOIN scope s ON s.area_id = p.area_id
    WHERE p.date >= s.since_day
), {_children(d, has_children, fresh)}, {_before(fresh)}, {_carried(d, fresh)}, {_day_figures(d)},
{_stretches(d, has_children, fresh)}, {_day_growth(d, fresh)},
cumulatives AS (  -- rule 7: separate stretches add up; quiet days carry the cumulative over
    SELECT st.area_id, st.date, st.reports, st.agencies, st.pending,
           {values}, {_columns("st.{m}_stretch")}, {cumulative}
    FROM day_stretches st
    LEFT JOIN day_growth g ON g.area_id = st.area_id AND g.date = st.date
    LEFT JOIN cumulative_before b ON b.area_id = st.area_id
    WINDOW w AS (PARTITION BY st.area_id ORDER BY st.date ROWS UNBOUNDED PRECEDING)
)
INSERT INTO tracker_dailyfigure (
           area_id, date, report_count, agency_count, pending_reports, computed_at,
           {figure_columns},
           {stretches},
           {_columns("{m}_growth")})
SELECT area_id, date, reports, agencies, pending, %s,
           {figure_columns},
           {stretches},
           {growth}
FROM cumulatives"""


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
    """Each verified report's share of each metric over the scope's days in the scope's areas:
    the same CTEs as `insert_agencies` (for explaining figures)."""
    plain = " UNION ALL ".join(
        f"SELECT report_id, agency_id, {i}, n, {m} FROM plain_shares WHERE {m} IS NOT NULL"
        for i, m in enumerate(METRICS)
    )
    return f"""WITH {_scope(scope)}, {_verified(d, by_agency=False)}, {_shares(d)}
SELECT report_id, agency_id, metric, n, share FROM series_shares
UNION ALL {plain}"""
