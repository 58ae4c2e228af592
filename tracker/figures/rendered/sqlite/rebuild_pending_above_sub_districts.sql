WITH scope(area_id, agency_id, since_n, since_day, until_n, until_day) AS (SELECT id, CAST(NULL AS BIGINT), %s, %s, %s, %s FROM tracker_area WHERE level = %s),
counted AS (  -- pending reports, and pending revisions where they would apply
    SELECT r.area_id, date(c.n + 1721424.5) AS date, 1 AS pending
    FROM tracker_report r
    JOIN scope s ON s.area_id = r.area_id
    JOIN tracker_calendarday c ON c.n BETWEEN CASE WHEN CAST(julianday(r.period_start) - 1721424.5 AS INTEGER) > s.since_n THEN CAST(julianday(r.period_start) - 1721424.5 AS INTEGER) ELSE s.since_n END AND CASE WHEN CAST(julianday(r.period_end) - 1721424.5 AS INTEGER) < s.until_n THEN CAST(julianday(r.period_end) - 1721424.5 AS INTEGER) ELSE s.until_n END
    WHERE r.status = 'pending' AND r.period_end >= s.since_day
      AND r.period_start <= s.until_day
    UNION ALL
    SELECT r.area_id, date(c.n + 1721424.5) AS date, 1 AS pending
    FROM tracker_reportrevision r
    JOIN scope s ON s.area_id = r.area_id
    JOIN tracker_calendarday c ON c.n BETWEEN CASE WHEN CAST(julianday(r.period_start) - 1721424.5 AS INTEGER) > s.since_n THEN CAST(julianday(r.period_start) - 1721424.5 AS INTEGER) ELSE s.since_n END AND CASE WHEN CAST(julianday(r.period_end) - 1721424.5 AS INTEGER) < s.until_n THEN CAST(julianday(r.period_end) - 1721424.5 AS INTEGER) ELSE s.until_n END
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
