WITH scope(area_id, agency_id, since_n, since_day, until_n, until_day) AS (SELECT id, CAST(NULL AS BIGINT), %s, %s, %s, %s FROM tracker_area)
UPDATE tracker_figureversion SET valid_to = %s WHERE id IN (
    SELECT v.id FROM scope s
    JOIN tracker_figureversion v
      ON v.area_id = s.area_id AND v.date >= s.since_day AND v.valid_to IS NULL
    WHERE EXISTS (
        SELECT 1 FROM tracker_figureversion w
        WHERE w.area_id = v.area_id AND w.date = v.date AND w.valid_to IS NULL AND w.id > v.id))
