WITH scope(area_id, agency_id, since_n, since_day, until_n, until_day) AS (VALUES (%s, %s, %s, %s, %s, %s))
DELETE FROM tracker_dailyfigure WHERE (id) IN (
    SELECT t.id FROM tracker_dailyfigure t
    JOIN scope s ON s.area_id = t.area_id
    WHERE t.date >= s.since_day)
