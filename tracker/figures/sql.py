"""The SQL of one pass of the engine: the figures of some areas of one level, from their own
reports and their children's stored figures. The same statements serve a full rebuild (every area
of the level, from the first day) and an incremental update (a few areas, from a day on), on
PostgreSQL and SQLite alike: days are counted through the calendar table, never with date
arithmetic of one database.

`scope(area_id, since_n)` names the areas to compute and the first day (as an ordinal) whose rows
are replaced. Each CTE says which of DESIGN.md's rules it applies.
"""

from tracker.models.figures import METRICS

SUFFIXES = ("", "_low", "_high", "_cumulative")


def _pick(column_of) -> str:
    """A CASE over the metric number: the column of one row that holds that metric."""
    whens = " ".join(f"WHEN {i} THEN {column_of(name)}" for i, name in enumerate(METRICS))
    return f"CASE m.m {whens} END"


def greatest(a: str, b: str) -> str:
    """The larger of two values, a missing one taking no part (GREATEST is not in SQLite)."""
    return f"CASE WHEN {a} IS NULL THEN {b} WHEN {b} IS NULL OR {a} >= {b} THEN {a} ELSE {b} END"


METRIC_ROWS = "metric(m) AS (VALUES " + ", ".join(f"({i})" for i in range(len(METRICS))) + ")"

OWN_REPORTS = """
own AS (  -- rule 1: only verified reports count
    SELECT r.id, r.agency_id, r.area_id, r.cumulative, r.created_at,
           cs.n AS first_n, ce.n AS last_n,
           r.displaced, r.returned, r.killed, r.injured, r.killed_children, r.injured_children
    FROM tracker_report r
    JOIN scope s ON s.area_id = r.area_id
    JOIN tracker_calendarday cs ON cs.day = r.period_start
    JOIN tracker_calendarday ce ON ce.day = r.period_end
    WHERE r.status = 'verified'
)"""

AMOUNTS = f"""
amounts AS (  -- each metric on its own
    SELECT o.id, o.agency_id, o.area_id, o.cumulative, o.created_at, o.first_n, o.last_n,
           m.m AS metric, {_pick(lambda name: "o." + name)} AS amount
    FROM own o CROSS JOIN metric m
)"""

FLOWS = """
standing AS (  -- rule 2: of two totals as of one day, the one created last stands
    SELECT id, agency_id, area_id, metric, first_n, last_n, amount,
           ROW_NUMBER() OVER (PARTITION BY agency_id, area_id, metric, first_n, last_n
                              ORDER BY created_at DESC, id DESC) AS latest
    FROM amounts WHERE cumulative AND amount IS NOT NULL
),
lowered AS (  -- rule 2: a later, lower total corrects the earlier ones
    SELECT id, agency_id, area_id, metric, first_n, last_n,
           MIN(amount) OVER (PARTITION BY agency_id, area_id, metric, first_n ORDER BY last_n DESC
                             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS total
    FROM standing WHERE latest = 1
),
flows AS (  -- rule 2: cumulative series become flows; plain reports are flows already
    SELECT id AS report_id, agency_id, area_id, metric, first_n, last_n,
           CAST(amount AS BIGINT) AS amount
    FROM amounts WHERE NOT cumulative AND amount IS NOT NULL
    UNION ALL
    SELECT id, agency_id, area_id, metric,
           COALESCE((LAG(last_n) OVER series) + 1, first_n), last_n,
           CAST(total - COALESCE(LAG(total) OVER series, 0) AS BIGINT)
    FROM lowered
    WINDOW series AS (PARTITION BY agency_id, area_id, metric, first_n ORDER BY last_n)
),
shares AS (  -- rule 3: days 1..k of n together get ceil(c*k/n); a share of 0 is a reported 0
    SELECT f.report_id, f.agency_id, f.area_id, f.metric, c.n,
           (f.amount * (c.n - f.first_n + 1) + f.span - 1) / f.span
           - (f.amount * (c.n - f.first_n) + f.span - 1) / f.span AS share
    FROM (SELECT flows.*, last_n - first_n + 1 AS span FROM flows) f
    JOIN tracker_calendarday c ON c.n BETWEEN f.first_n AND f.last_n
),
agency_days AS (  -- rule 4: one agency, one cell: add
    SELECT area_id, agency_id, metric, n, SUM(share) AS total
    FROM shares GROUP BY area_id, agency_id, metric, n
),
own_cells AS (  -- rule 5 over the area's own reports; rule 7's running totals per agency
    SELECT area_id, metric, n, MAX(total) AS value, MIN(total) AS low, SUM(total) AS high,
           MAX(running) AS running
    FROM (SELECT agency_days.*,
                 SUM(total) OVER (PARTITION BY area_id, agency_id, metric ORDER BY n) AS running
          FROM agency_days) t
    GROUP BY area_id, metric, n
)"""

CHILD_COLUMNS = ", ".join(f"f.{name}{suffix}" for name in METRICS for suffix in SUFFIXES)
CHILD_ROWS = f"""
child_rows AS (  -- rule 6: the children's stored figures, all days
    SELECT a.parent_id AS area_id, f.area_id AS child_id, c.n, f.report_count, {CHILD_COLUMNS}
    FROM tracker_dailyfigure f
    JOIN tracker_area a ON a.id = f.area_id
    JOIN scope s ON s.area_id = a.parent_id
    JOIN tracker_calendarday c ON c.day = f.date
),
child_metrics AS (
    SELECT cr.area_id, cr.child_id, cr.n, m.m AS metric,
           {_pick(lambda name: "cr." + name)} AS value,
           {_pick(lambda name: "cr." + name + "_low")} AS low,
           {_pick(lambda name: "cr." + name + "_high")} AS high,
           {_pick(lambda name: "cr." + name + "_cumulative")} AS cumulative
    FROM child_rows cr CROSS JOIN metric m
),
child_cells AS (  -- rule 6: the sum of the children's values
    SELECT area_id, metric, n, SUM(value) AS value, SUM(low) AS low, SUM(high) AS high
    FROM child_metrics WHERE value IS NOT NULL GROUP BY area_id, metric, n
),
child_growth AS (  -- rule 7: how much the children's cumulatives grew that day
    SELECT area_id, metric, n, SUM(cumulative - previous) AS growth
    FROM (SELECT area_id, metric, n, cumulative,
                 COALESCE(LAG(cumulative) OVER (PARTITION BY child_id, metric ORDER BY n), 0)
                     AS previous
          FROM child_metrics WHERE cumulative IS NOT NULL) t
    GROUP BY area_id, metric, n
)"""

NO_CHILDREN = """
child_rows AS (SELECT 0 AS area_id, 0 AS child_id, 0 AS n, 0 AS report_count WHERE 1 = 0),
child_cells AS (SELECT 0 AS area_id, 0 AS metric, 0 AS n, 0 AS value, 0 AS low, 0 AS high
                WHERE 1 = 0),
child_growth AS (SELECT 0 AS area_id, 0 AS metric, 0 AS n, 0 AS growth WHERE 1 = 0)"""

COVERED = """
own_days AS (  -- rule 1: the days a verified report here covers
    SELECT o.area_id, o.agency_id, c.n FROM own o
    JOIN tracker_calendarday c ON c.n BETWEEN o.first_n AND o.last_n
),
days AS (  -- rule 1: a row where a verified report covers the day here or below
    SELECT area_id, n FROM own_days UNION SELECT area_id, n FROM child_rows
)"""

PRESENCE = """
presence AS (  -- the agencies whose verified reports cover the day here or below
    SELECT area_id, n, agency_id FROM own_days
    UNION
    SELECT a.parent_id, c.n, fa.agency_id
    FROM tracker_figureagency fa
    JOIN tracker_area a ON a.id = fa.area_id
    JOIN scope s ON s.area_id = a.parent_id
    JOIN tracker_calendarday c ON c.day = fa.date
)"""

COMBINED = f"""
cells AS (
    SELECT d.area_id, d.n, m.m AS metric,
           o.value AS own_value, o.low AS own_low, o.high AS own_high,
           ch.value AS child_value, ch.low AS child_low, ch.high AS child_high,
           MAX(o.running) OVER w AS own_cumulative,
           SUM(g.growth) OVER w AS child_cumulative
    FROM days d CROSS JOIN metric m
    LEFT JOIN own_cells o ON o.area_id = d.area_id AND o.metric = m.m AND o.n = d.n
    LEFT JOIN child_cells ch ON ch.area_id = d.area_id AND ch.metric = m.m AND ch.n = d.n
    LEFT JOIN child_growth g ON g.area_id = d.area_id AND g.metric = m.m AND g.n = d.n
    WINDOW w AS (PARTITION BY d.area_id, m.m ORDER BY d.n ROWS UNBOUNDED PRECEDING)
),
combined AS (  -- rule 6: the larger of own and children's; high adds both. rule 7 likewise
    SELECT area_id, n, metric,
           {greatest("own_value", "child_value")} AS value,
           {greatest("own_low", "child_low")} AS low,
           CASE WHEN own_high IS NULL AND child_high IS NULL THEN NULL
                ELSE COALESCE(own_high, 0) + COALESCE(child_high, 0) END AS high,
           {greatest("own_cumulative", "child_cumulative")} AS cumulative
    FROM cells
),
report_counts AS (
    SELECT area_id, n, SUM(reports) AS reports
    FROM (SELECT area_id, n, 1 AS reports FROM own_days
          UNION ALL SELECT area_id, n, report_count FROM child_rows) t
    GROUP BY area_id, n
),
agency_counts AS (SELECT area_id, n, COUNT(*) AS agencies FROM presence GROUP BY area_id, n),
pending_counts AS (  -- pending reports about the area or below, found through stored ancestry
    SELECT s.area_id, c.n, COUNT(*) AS pending
    FROM scope s
    JOIN tracker_area a ON a.id = s.area_id
    JOIN tracker_area below ON below.path LIKE a.path || '%%'
    JOIN tracker_report r ON r.area_id = below.id AND r.status = 'pending'
    JOIN tracker_calendarday cs ON cs.day = r.period_start
    JOIN tracker_calendarday ce ON ce.day = r.period_end
    JOIN tracker_calendarday c ON c.n BETWEEN cs.n AND ce.n AND c.n >= s.since_n
    GROUP BY s.area_id, c.n
)"""

FIGURE_COLUMNS = [f"{name}{suffix}" for name in METRICS for suffix in SUFFIXES]
_PIVOT = ", ".join(
    f"MAX(CASE WHEN cb.metric = {i} THEN cb.{column} END)"
    for i, name in enumerate(METRICS)
    for column in ("value", "low", "high", "cumulative")
)


def _with(scope: str, has_children: bool) -> str:
    parts = [
        f"scope(area_id, since_n) AS ({scope})",
        METRIC_ROWS,
        OWN_REPORTS,
        AMOUNTS,
        FLOWS,
        CHILD_ROWS if has_children else NO_CHILDREN,
        COVERED,
        PRESENCE,
    ]
    return "WITH " + ",".join(parts)


def insert_figures(scope: str, has_children: bool) -> str:
    """Computes and inserts the figure rows of the scope's areas from their `since_n` on."""
    columns = ", ".join(FIGURE_COLUMNS)
    return f"""{_with(scope, has_children)}, {COMBINED}
INSERT INTO tracker_dailyfigure (area_id, date, report_count, agency_count, pending_reports,
                                 computed_at, {columns})
SELECT cb.area_id, c.day, rc.reports, ac.agencies, COALESCE(pc.pending, 0), %s, {_PIVOT}
FROM combined cb
JOIN scope s ON s.area_id = cb.area_id AND cb.n >= s.since_n
JOIN tracker_calendarday c ON c.n = cb.n
JOIN report_counts rc ON rc.area_id = cb.area_id AND rc.n = cb.n
JOIN agency_counts ac ON ac.area_id = cb.area_id AND ac.n = cb.n
LEFT JOIN pending_counts pc ON pc.area_id = cb.area_id AND pc.n = cb.n
GROUP BY cb.area_id, cb.n, c.day, rc.reports, ac.agencies, pc.pending"""


def insert_agencies(scope: str, has_children: bool) -> str:
    return f"""{_with(scope, has_children)}
INSERT INTO tracker_figureagency (area_id, date, agency_id)
SELECT p.area_id, c.day, p.agency_id
FROM presence p
JOIN scope s ON s.area_id = p.area_id AND p.n >= s.since_n
JOIN tracker_calendarday c ON c.n = p.n"""


def delete_rows(table: str, scope: str) -> str:
    """Deletes the scope's rows of a derived table from their `since_n` on."""
    return f"""WITH scope(area_id, since_n) AS ({scope})
DELETE FROM {table} WHERE id IN (
    SELECT t.id FROM {table} t
    JOIN scope s ON s.area_id = t.area_id
    JOIN tracker_calendarday c ON c.day = t.date
    WHERE c.n >= s.since_n)"""


def own_shares(scope: str) -> str:
    """Each verified report's share of each metric, per day, in the scope's areas (for explain)."""
    return f"""{_with(scope, has_children=False)}
SELECT s.report_id, s.agency_id, s.metric, s.share FROM shares s WHERE s.n = %s"""
