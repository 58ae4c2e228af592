WITH scope(area_id, agency_id, since_n, since_day, until_n, until_day) AS (VALUES (%s, %s, %s, %s, %s, %s))
DELETE FROM tracker_agencyfigure WHERE (area_id, agency_id, date) IN (
    SELECT t.area_id, t.agency_id, t.date FROM tracker_agencyfigure t
    JOIN scope s ON s.area_id = t.area_id
    WHERE t.date >= s.since_day AND t.date <= s.until_day)
