WITH scope(area_id, agency_id, since_n, since_day, until_n, until_day) AS (SELECT id, CAST(NULL AS BIGINT), %s, %s, %s, %s FROM tracker_area),
changed AS (  -- cells whose figures no current version holds
    SELECT f.area_id, f.date, FALSE AS removed, CAST(%s AS TIMESTAMPTZ) AS valid_from, f.computed_at,
           f.displaced, f.displaced_low, f.displaced_high, f.displaced_cumulative,
           f.returned, f.returned_low, f.returned_high, f.returned_cumulative,
           f.killed, f.killed_low, f.killed_high, f.killed_cumulative,
           f.injured, f.injured_low, f.injured_high, f.injured_cumulative,
           f.killed_children, f.killed_children_low, f.killed_children_high, f.killed_children_cumulative,
           f.injured_children, f.injured_children_low, f.injured_children_high, f.injured_children_cumulative,
           f.report_count, f.agency_count, f.pending_reports
    FROM scope s
    JOIN tracker_dailyfigure f ON f.area_id = s.area_id AND f.date >= s.since_day
    WHERE NOT EXISTS (
        SELECT 1 FROM tracker_figureversion v
        WHERE v.area_id = f.area_id AND v.date = f.date AND v.valid_to IS NULL
          AND NOT v.removed
          AND (v.displaced, v.displaced_low, v.displaced_high, v.displaced_cumulative,
           v.returned, v.returned_low, v.returned_high, v.returned_cumulative,
           v.killed, v.killed_low, v.killed_high, v.killed_cumulative,
           v.injured, v.injured_low, v.injured_high, v.injured_cumulative,
           v.killed_children, v.killed_children_low, v.killed_children_high, v.killed_children_cumulative,
           v.injured_children, v.injured_children_low, v.injured_children_high, v.injured_children_cumulative,
           v.report_count, v.agency_count, v.pending_reports)
          IS NOT DISTINCT FROM (f.displaced, f.displaced_low, f.displaced_high, f.displaced_cumulative,
           f.returned, f.returned_low, f.returned_high, f.returned_cumulative,
           f.killed, f.killed_low, f.killed_high, f.killed_cumulative,
           f.injured, f.injured_low, f.injured_high, f.injured_cumulative,
           f.killed_children, f.killed_children_low, f.killed_children_high, f.killed_children_cumulative,
           f.injured_children, f.injured_children_low, f.injured_children_high, f.injured_children_cumulative,
           f.report_count, f.agency_count, f.pending_reports))
),
removed AS (  -- tombstones: current versions whose cell is gone
    SELECT v.area_id, v.date, TRUE, CAST(%s AS TIMESTAMPTZ), v.computed_at, CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), 0, 0, 0
    FROM scope s
    JOIN tracker_figureversion v
      ON v.area_id = s.area_id AND v.date >= s.since_day AND v.valid_to IS NULL
    WHERE NOT v.removed AND NOT EXISTS (
        SELECT 1 FROM tracker_dailyfigure f WHERE f.area_id = v.area_id AND f.date = v.date)
)
INSERT INTO tracker_figureversion (area_id, date, removed, valid_from, computed_at, displaced, displaced_low, displaced_high, displaced_cumulative,
           returned, returned_low, returned_high, returned_cumulative,
           killed, killed_low, killed_high, killed_cumulative,
           injured, injured_low, injured_high, injured_cumulative,
           killed_children, killed_children_low, killed_children_high, killed_children_cumulative,
           injured_children, injured_children_low, injured_children_high, injured_children_cumulative,
           report_count, agency_count, pending_reports)
SELECT * FROM changed
UNION ALL
SELECT * FROM removed
