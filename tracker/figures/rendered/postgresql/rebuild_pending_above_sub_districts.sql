WITH scope(area_id, agency_id, since_n, since_day, until_n, until_day) AS (SELECT id, CAST(NULL AS BIGINT), %s, %s, %s, %s FROM tracker_area WHERE level = %s),
counted AS (  -- pending reports, and pending revisions where they would apply
    SELECT r.area_id, (DATE '0001-01-01' + (c.n - 1)) AS date, 1 AS pending
    FROM tracker_report r
    JOIN scope s ON s.area_id = r.area_id
    CROSS JOIN LATERAL generate_series(CASE WHEN (r.period_start - DATE '0001-01-01' + 1) > s.since_n THEN (r.period_start - DATE '0001-01-01' + 1) ELSE s.since_n END, CASE WHEN (r.period_end - DATE '0001-01-01' + 1) < s.until_n THEN (r.period_end - DATE '0001-01-01' + 1) ELSE s.until_n END) AS c(n)
    WHERE r.status = 'pending' AND r.period_end >= s.since_day
      AND r.period_start <= s.until_day
    UNION ALL
    SELECT r.area_id, (DATE '0001-01-01' + (c.n - 1)) AS date, 1 AS pending
    FROM tracker_reportrevision r
    JOIN scope s ON s.area_id = r.area_id
    CROSS JOIN LATERAL generate_series(CASE WHEN (r.period_start - DATE '0001-01-01' + 1) > s.since_n THEN (r.period_start - DATE '0001-01-01' + 1) ELSE s.since_n END, CASE WHEN (r.period_end - DATE '0001-01-01' + 1) < s.until_n THEN (r.period_end - DATE '0001-01-01' + 1) ELSE s.until_n END) AS c(n)
    WHERE r.status = 'pending' AND r.period_end >= s.since_day
      AND r.period_start <= s.until_day
    UNION ALL
    SELECT a.parent_id, p.date, p.pending
    FROM tracker_area a
    JOIN scope s ON s.area_id = a.parent_id
    JOIN tracker_pendingfigure p ON p.area_id = a.id AND p.date >= s.since_day AND p.date <= s.until_day
)
INSERT INTO tracker_pendingfigure (area_id, date, pending)
SELECT area_id, date, SUM(pending) FROM counted GROUP BY area_id, date
