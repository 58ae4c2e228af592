WITH scope(area_id, agency_id, since_n, since_day, until_n, until_day) AS (VALUES (%s, %s, %s, %s, %s, %s)),
changed AS (  -- cells whose figures no current version holds
    SELECT f.area_id, f.date, 0 AS removed, %s AS valid_from, f.computed_at,
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
          AND v.displaced IS f.displaced AND v.displaced_low IS f.displaced_low AND v.displaced_high IS f.displaced_high AND v.displaced_cumulative IS f.displaced_cumulative AND
           v.returned IS f.returned AND v.returned_low IS f.returned_low AND v.returned_high IS f.returned_high AND v.returned_cumulative IS f.returned_cumulative AND
           v.killed IS f.killed AND v.killed_low IS f.killed_low AND v.killed_high IS f.killed_high AND v.killed_cumulative IS f.killed_cumulative AND
           v.injured IS f.injured AND v.injured_low IS f.injured_low AND v.injured_high IS f.injured_high AND v.injured_cumulative IS f.injured_cumulative AND
           v.killed_children IS f.killed_children AND v.killed_children_low IS f.killed_children_low AND v.killed_children_high IS f.killed_children_high AND v.killed_children_cumulative IS f.killed_children_cumulative AND
           v.injured_children IS f.injured_children AND v.injured_children_low IS f.injured_children_low AND v.injured_children_high IS f.injured_children_high AND v.injured_children_cumulative IS f.injured_children_cumulative AND
           v.report_count IS f.report_count AND v.agency_count IS f.agency_count AND v.pending_reports IS f.pending_reports)
),
removed AS (  -- tombstones: current versions whose cell is gone
    SELECT v.area_id, v.date, 1, %s, v.computed_at, CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), 0, 0, 0
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
