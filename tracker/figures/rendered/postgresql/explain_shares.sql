WITH scope(area_id, agency_id, since_n, since_day, until_n, until_day) AS (VALUES (%s, %s, %s, %s, %s, %s)), 
verified_reports AS (  -- rule 1: only verified reports count; plain ones that end before the
                       -- scope's day cannot change it, cumulative ones can (rule 2)
    SELECT r.id, r.agency_id, r.area_id, r.cumulative, r.created_at, s.since_n, s.until_n,
           (r.period_start - DATE '0001-01-01' + 1) AS first_n, (r.period_end - DATE '0001-01-01' + 1) AS last_n,
           r.displaced,
           r.returned,
           r.killed,
           r.injured,
           r.killed_children,
           r.injured_children
    FROM tracker_report r
    JOIN scope s ON s.area_id = r.area_id
    WHERE r.status = 'verified' AND (r.cumulative OR r.period_end >= s.since_day)
      AND r.period_start <= s.until_day
), 
metric(m) AS (VALUES (0), (1), (2), (3), (4), (5)),
plain_shares AS (  -- rule 3 for plain reports, every metric at once; a one-day report (within
                   -- the scope's days, as `verified_reports` took only those) is all on its day;
                   -- rule 7: a report over several days joins each of them to the day before
    SELECT o.id AS report_id, o.area_id, o.agency_id, o.first_n AS n, 1 AS reports,
           o.displaced,
           o.returned,
           o.killed,
           o.injured,
           o.killed_children,
           o.injured_children, 0 AS displaced_joined,
           0 AS returned_joined,
           0 AS killed_joined,
           0 AS injured_joined,
           0 AS killed_children_joined,
           0 AS injured_children_joined
    FROM verified_reports o
    WHERE NOT o.cumulative AND o.first_n = o.last_n
    UNION ALL
    SELECT o.id, o.area_id, o.agency_id, c.n, 1,
           (CAST(o.displaced AS BIGINT) * ((c.n - o.first_n) + 1) + (o.last_n - o.first_n + 1) - 1) / (o.last_n - o.first_n + 1) - (CAST(o.displaced AS BIGINT) * (c.n - o.first_n) + (o.last_n - o.first_n + 1) - 1) / (o.last_n - o.first_n + 1),
           (CAST(o.returned AS BIGINT) * ((c.n - o.first_n) + 1) + (o.last_n - o.first_n + 1) - 1) / (o.last_n - o.first_n + 1) - (CAST(o.returned AS BIGINT) * (c.n - o.first_n) + (o.last_n - o.first_n + 1) - 1) / (o.last_n - o.first_n + 1),
           (CAST(o.killed AS BIGINT) * ((c.n - o.first_n) + 1) + (o.last_n - o.first_n + 1) - 1) / (o.last_n - o.first_n + 1) - (CAST(o.killed AS BIGINT) * (c.n - o.first_n) + (o.last_n - o.first_n + 1) - 1) / (o.last_n - o.first_n + 1),
           (CAST(o.injured AS BIGINT) * ((c.n - o.first_n) + 1) + (o.last_n - o.first_n + 1) - 1) / (o.last_n - o.first_n + 1) - (CAST(o.injured AS BIGINT) * (c.n - o.first_n) + (o.last_n - o.first_n + 1) - 1) / (o.last_n - o.first_n + 1),
           (CAST(o.killed_children AS BIGINT) * ((c.n - o.first_n) + 1) + (o.last_n - o.first_n + 1) - 1) / (o.last_n - o.first_n + 1) - (CAST(o.killed_children AS BIGINT) * (c.n - o.first_n) + (o.last_n - o.first_n + 1) - 1) / (o.last_n - o.first_n + 1),
           (CAST(o.injured_children AS BIGINT) * ((c.n - o.first_n) + 1) + (o.last_n - o.first_n + 1) - 1) / (o.last_n - o.first_n + 1) - (CAST(o.injured_children AS BIGINT) * (c.n - o.first_n) + (o.last_n - o.first_n + 1) - 1) / (o.last_n - o.first_n + 1),
           CASE WHEN o.displaced IS NOT NULL AND c.n > o.first_n THEN 1 ELSE 0 END AS displaced_joined,
           CASE WHEN o.returned IS NOT NULL AND c.n > o.first_n THEN 1 ELSE 0 END AS returned_joined,
           CASE WHEN o.killed IS NOT NULL AND c.n > o.first_n THEN 1 ELSE 0 END AS killed_joined,
           CASE WHEN o.injured IS NOT NULL AND c.n > o.first_n THEN 1 ELSE 0 END AS injured_joined,
           CASE WHEN o.killed_children IS NOT NULL AND c.n > o.first_n THEN 1 ELSE 0 END AS killed_children_joined,
           CASE WHEN o.injured_children IS NOT NULL AND c.n > o.first_n THEN 1 ELSE 0 END AS injured_children_joined
    FROM verified_reports o
    CROSS JOIN LATERAL generate_series(CASE WHEN o.first_n > o.since_n THEN o.first_n ELSE o.since_n END, CASE WHEN o.last_n < o.until_n THEN o.last_n ELSE o.until_n END) AS c(n)
    WHERE NOT o.cumulative AND o.first_n < o.last_n
),
cumulative_amounts AS (  -- rule 2: cumulative reports, each metric on its own
    SELECT o.id, o.agency_id, o.area_id, o.created_at, o.first_n, o.last_n, o.since_n, o.until_n,
           m.m AS metric, CASE m.m WHEN 0 THEN o.displaced WHEN 1 THEN o.returned WHEN 2 THEN o.killed WHEN 3 THEN o.injured WHEN 4 THEN o.killed_children WHEN 5 THEN o.injured_children END AS amount
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
           (CAST(f.amount AS BIGINT) * ((c.n - f.first_n) + 1) + (f.last_n - f.first_n + 1) - 1) / (f.last_n - f.first_n + 1) - (CAST(f.amount AS BIGINT) * (c.n - f.first_n) + (f.last_n - f.first_n + 1) - 1) / (f.last_n - f.first_n + 1) AS share,
           CASE WHEN c.n > f.first_n THEN 1 ELSE 0 END AS joined
    FROM series_flows f
    CROSS JOIN LATERAL generate_series(CASE WHEN f.first_n > f.since_n THEN f.first_n ELSE f.since_n END, CASE WHEN f.last_n < f.until_n THEN f.last_n ELSE f.until_n END) AS c(n)
)
SELECT report_id, agency_id, metric, n, share FROM series_shares
UNION ALL SELECT report_id, agency_id, 0, n, displaced FROM plain_shares WHERE displaced IS NOT NULL UNION ALL SELECT report_id, agency_id, 1, n, returned FROM plain_shares WHERE returned IS NOT NULL UNION ALL SELECT report_id, agency_id, 2, n, killed FROM plain_shares WHERE killed IS NOT NULL UNION ALL SELECT report_id, agency_id, 3, n, injured FROM plain_shares WHERE injured IS NOT NULL UNION ALL SELECT report_id, agency_id, 4, n, killed_children FROM plain_shares WHERE killed_children IS NOT NULL UNION ALL SELECT report_id, agency_id, 5, n, injured_children FROM plain_shares WHERE injured_children IS NOT NULL
