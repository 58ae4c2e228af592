WITH scope(area_id, agency_id, since_n, since_day, until_n, until_day) AS (SELECT id, CAST(NULL AS BIGINT), %s, %s, %s, %s FROM tracker_area WHERE level = %s),
metric(m) AS (VALUES (0), (1), (2), (3), (4), (5)),
agency_rows AS (  -- the agency rows replaced figures are made of (read once)
    SELECT af.*
    FROM tracker_agencyfigure af
    JOIN scope s ON s.area_id = af.area_id
    WHERE af.date >= s.since_day
),
own_figures AS (  -- rule 5 over the area's own reports: largest, smallest and summed agency
                  -- totals; a row for every day an agency covers here or below (rule 1)
    SELECT af.area_id, af.date, COUNT(*) AS agencies, SUM(af.reports) AS reports, MAX(af.displaced) AS displaced, MIN(af.displaced) AS displaced_low, CAST(SUM(af.displaced) AS BIGINT) AS displaced_high, MAX(af.displaced_joined) AS displaced_joined,
           MAX(af.returned) AS returned, MIN(af.returned) AS returned_low, CAST(SUM(af.returned) AS BIGINT) AS returned_high, MAX(af.returned_joined) AS returned_joined,
           MAX(af.killed) AS killed, MIN(af.killed) AS killed_low, CAST(SUM(af.killed) AS BIGINT) AS killed_high, MAX(af.killed_joined) AS killed_joined,
           MAX(af.injured) AS injured, MIN(af.injured) AS injured_low, CAST(SUM(af.injured) AS BIGINT) AS injured_high, MAX(af.injured_joined) AS injured_joined,
           MAX(af.killed_children) AS killed_children, MIN(af.killed_children) AS killed_children_low, CAST(SUM(af.killed_children) AS BIGINT) AS killed_children_high, MAX(af.killed_children_joined) AS killed_children_joined,
           MAX(af.injured_children) AS injured_children, MIN(af.injured_children) AS injured_children_low, CAST(SUM(af.injured_children) AS BIGINT) AS injured_children_high, MAX(af.injured_children_joined) AS injured_children_joined
    FROM agency_rows af
    GROUP BY af.area_id, af.date
),
pending_counts AS MATERIALIZED (  -- read once, not looked up day by day
    SELECT p.area_id, p.date, p.pending
    FROM tracker_pendingfigure p
    JOIN scope s ON s.area_id = p.area_id
    WHERE p.date >= s.since_day
), 
children_figures AS (  -- rule 6: the sum of the children's values; rule 7: how much their
                       -- cumulatives grew, and whether a stretch below joins the day before
    SELECT a.parent_id AS area_id, f.date, SUM(f.report_count) AS reports, CAST(SUM(f.displaced) AS BIGINT) AS displaced, CAST(SUM(f.displaced_low) AS BIGINT) AS displaced_low, CAST(SUM(f.displaced_high) AS BIGINT) AS displaced_high,
           CAST(SUM(f.returned) AS BIGINT) AS returned, CAST(SUM(f.returned_low) AS BIGINT) AS returned_low, CAST(SUM(f.returned_high) AS BIGINT) AS returned_high,
           CAST(SUM(f.killed) AS BIGINT) AS killed, CAST(SUM(f.killed_low) AS BIGINT) AS killed_low, CAST(SUM(f.killed_high) AS BIGINT) AS killed_high,
           CAST(SUM(f.injured) AS BIGINT) AS injured, CAST(SUM(f.injured_low) AS BIGINT) AS injured_low, CAST(SUM(f.injured_high) AS BIGINT) AS injured_high,
           CAST(SUM(f.killed_children) AS BIGINT) AS killed_children, CAST(SUM(f.killed_children_low) AS BIGINT) AS killed_children_low, CAST(SUM(f.killed_children_high) AS BIGINT) AS killed_children_high,
           CAST(SUM(f.injured_children) AS BIGINT) AS injured_children, CAST(SUM(f.injured_children_low) AS BIGINT) AS injured_children_low, CAST(SUM(f.injured_children_high) AS BIGINT) AS injured_children_high,
           CAST(SUM(f.displaced_growth) AS BIGINT) AS displaced_growth,
           CAST(SUM(f.returned_growth) AS BIGINT) AS returned_growth,
           CAST(SUM(f.killed_growth) AS BIGINT) AS killed_growth,
           CAST(SUM(f.injured_growth) AS BIGINT) AS injured_growth,
           CAST(SUM(f.killed_children_growth) AS BIGINT) AS killed_children_growth,
           CAST(SUM(f.injured_children_growth) AS BIGINT) AS injured_children_growth,
           MAX(CASE WHEN f.displaced_stretch < f.date THEN 1 ELSE 0 END) AS displaced_joined,
           MAX(CASE WHEN f.returned_stretch < f.date THEN 1 ELSE 0 END) AS returned_joined,
           MAX(CASE WHEN f.killed_stretch < f.date THEN 1 ELSE 0 END) AS killed_joined,
           MAX(CASE WHEN f.injured_stretch < f.date THEN 1 ELSE 0 END) AS injured_joined,
           MAX(CASE WHEN f.killed_children_stretch < f.date THEN 1 ELSE 0 END) AS killed_children_joined,
           MAX(CASE WHEN f.injured_children_stretch < f.date THEN 1 ELSE 0 END) AS injured_children_joined
    FROM tracker_area a
    JOIN scope s ON s.area_id = a.parent_id
    JOIN tracker_dailyfigure f ON f.area_id = a.id AND f.date >= s.since_day
    GROUP BY a.parent_id, f.date
), 
cumulative_before AS (SELECT CAST(NULL AS BIGINT) AS area_id, CAST(NULL AS BIGINT) AS displaced, CAST(NULL AS BIGINT) AS returned, CAST(NULL AS BIGINT) AS killed, CAST(NULL AS BIGINT) AS injured, CAST(NULL AS BIGINT) AS killed_children, CAST(NULL AS BIGINT) AS injured_children WHERE 1 = 0), 
stretches_before AS (SELECT CAST(NULL AS BIGINT) AS area_id, CAST(NULL AS DATE) AS displaced_stretch, CAST(NULL AS DATE) AS returned_stretch, CAST(NULL AS DATE) AS killed_stretch, CAST(NULL AS DATE) AS injured_stretch, CAST(NULL AS DATE) AS killed_children_stretch, CAST(NULL AS DATE) AS injured_children_stretch WHERE 1 = 0),
agencies_before AS (SELECT CAST(NULL AS BIGINT) AS area_id, CAST(NULL AS BIGINT) AS agency_id, CAST(NULL AS BIGINT) AS displaced, CAST(NULL AS BIGINT) AS returned, CAST(NULL AS BIGINT) AS killed, CAST(NULL AS BIGINT) AS injured, CAST(NULL AS BIGINT) AS killed_children, CAST(NULL AS BIGINT) AS injured_children WHERE 1 = 0),
largest_before AS (SELECT CAST(NULL AS BIGINT) AS area_id, CAST(NULL AS BIGINT) AS displaced, CAST(NULL AS BIGINT) AS returned, CAST(NULL AS BIGINT) AS killed, CAST(NULL AS BIGINT) AS injured, CAST(NULL AS BIGINT) AS killed_children, CAST(NULL AS BIGINT) AS injured_children WHERE 1 = 0),
below_before AS (SELECT CAST(NULL AS BIGINT) AS area_id, CAST(NULL AS BIGINT) AS displaced, CAST(NULL AS BIGINT) AS returned, CAST(NULL AS BIGINT) AS killed, CAST(NULL AS BIGINT) AS injured, CAST(NULL AS BIGINT) AS killed_children, CAST(NULL AS BIGINT) AS injured_children WHERE 1 = 0), 
day_figures AS (  -- rules 5 and 6 for each day; rule 7: whether each metric's stretch starts on
                  -- it (1), goes on from the day before (0) or skips it (no report covers it)
    SELECT o.area_id, o.date, o.reports + COALESCE(ch.reports, 0) AS reports, o.agencies,
           COALESCE(p.pending, 0) AS pending,
           GREATEST(o.displaced, ch.displaced) AS displaced, GREATEST(o.displaced_low, ch.displaced_low) AS displaced_low, CASE WHEN o.displaced_high IS NULL AND ch.displaced_high IS NULL THEN NULL ELSE COALESCE(o.displaced_high, 0) + COALESCE(ch.displaced_high, 0) END AS displaced_high, ch.displaced_growth AS displaced_grown_below, CASE WHEN NOT (o.displaced IS NOT NULL OR ch.displaced IS NOT NULL) THEN NULL WHEN COALESCE(o.displaced_joined, 0) + COALESCE(ch.displaced_joined, 0) > 0 THEN 0 ELSE 1 END AS displaced_starts,
           GREATEST(o.returned, ch.returned) AS returned, GREATEST(o.returned_low, ch.returned_low) AS returned_low, CASE WHEN o.returned_high IS NULL AND ch.returned_high IS NULL THEN NULL ELSE COALESCE(o.returned_high, 0) + COALESCE(ch.returned_high, 0) END AS returned_high, ch.returned_growth AS returned_grown_below, CASE WHEN NOT (o.returned IS NOT NULL OR ch.returned IS NOT NULL) THEN NULL WHEN COALESCE(o.returned_joined, 0) + COALESCE(ch.returned_joined, 0) > 0 THEN 0 ELSE 1 END AS returned_starts,
           GREATEST(o.killed, ch.killed) AS killed, GREATEST(o.killed_low, ch.killed_low) AS killed_low, CASE WHEN o.killed_high IS NULL AND ch.killed_high IS NULL THEN NULL ELSE COALESCE(o.killed_high, 0) + COALESCE(ch.killed_high, 0) END AS killed_high, ch.killed_growth AS killed_grown_below, CASE WHEN NOT (o.killed IS NOT NULL OR ch.killed IS NOT NULL) THEN NULL WHEN COALESCE(o.killed_joined, 0) + COALESCE(ch.killed_joined, 0) > 0 THEN 0 ELSE 1 END AS killed_starts,
           GREATEST(o.injured, ch.injured) AS injured, GREATEST(o.injured_low, ch.injured_low) AS injured_low, CASE WHEN o.injured_high IS NULL AND ch.injured_high IS NULL THEN NULL ELSE COALESCE(o.injured_high, 0) + COALESCE(ch.injured_high, 0) END AS injured_high, ch.injured_growth AS injured_grown_below, CASE WHEN NOT (o.injured IS NOT NULL OR ch.injured IS NOT NULL) THEN NULL WHEN COALESCE(o.injured_joined, 0) + COALESCE(ch.injured_joined, 0) > 0 THEN 0 ELSE 1 END AS injured_starts,
           GREATEST(o.killed_children, ch.killed_children) AS killed_children, GREATEST(o.killed_children_low, ch.killed_children_low) AS killed_children_low, CASE WHEN o.killed_children_high IS NULL AND ch.killed_children_high IS NULL THEN NULL ELSE COALESCE(o.killed_children_high, 0) + COALESCE(ch.killed_children_high, 0) END AS killed_children_high, ch.killed_children_growth AS killed_children_grown_below, CASE WHEN NOT (o.killed_children IS NOT NULL OR ch.killed_children IS NOT NULL) THEN NULL WHEN COALESCE(o.killed_children_joined, 0) + COALESCE(ch.killed_children_joined, 0) > 0 THEN 0 ELSE 1 END AS killed_children_starts,
           GREATEST(o.injured_children, ch.injured_children) AS injured_children, GREATEST(o.injured_children_low, ch.injured_children_low) AS injured_children_low, CASE WHEN o.injured_children_high IS NULL AND ch.injured_children_high IS NULL THEN NULL ELSE COALESCE(o.injured_children_high, 0) + COALESCE(ch.injured_children_high, 0) END AS injured_children_high, ch.injured_children_growth AS injured_children_grown_below, CASE WHEN NOT (o.injured_children IS NOT NULL OR ch.injured_children IS NOT NULL) THEN NULL WHEN COALESCE(o.injured_children_joined, 0) + COALESCE(ch.injured_children_joined, 0) > 0 THEN 0 ELSE 1 END AS injured_children_starts
    FROM own_figures o
    LEFT JOIN children_figures ch ON ch.area_id = o.area_id AND ch.date = o.date
    LEFT JOIN pending_counts p ON p.area_id = o.area_id AND p.date = o.date
),

day_stretches AS (  -- rule 7: the first day of each metric's stretch
    SELECT f.*, CASE WHEN f.displaced_starts IS NOT NULL THEN COALESCE(MAX(CASE WHEN f.displaced_starts = 1 THEN f.date END) OVER w, b.displaced_stretch) END AS displaced_stretch,
           CASE WHEN f.returned_starts IS NOT NULL THEN COALESCE(MAX(CASE WHEN f.returned_starts = 1 THEN f.date END) OVER w, b.returned_stretch) END AS returned_stretch,
           CASE WHEN f.killed_starts IS NOT NULL THEN COALESCE(MAX(CASE WHEN f.killed_starts = 1 THEN f.date END) OVER w, b.killed_stretch) END AS killed_stretch,
           CASE WHEN f.injured_starts IS NOT NULL THEN COALESCE(MAX(CASE WHEN f.injured_starts = 1 THEN f.date END) OVER w, b.injured_stretch) END AS injured_stretch,
           CASE WHEN f.killed_children_starts IS NOT NULL THEN COALESCE(MAX(CASE WHEN f.killed_children_starts = 1 THEN f.date END) OVER w, b.killed_children_stretch) END AS killed_children_stretch,
           CASE WHEN f.injured_children_starts IS NOT NULL THEN COALESCE(MAX(CASE WHEN f.injured_children_starts = 1 THEN f.date END) OVER w, b.injured_children_stretch) END AS injured_children_stretch
    FROM day_figures f
    LEFT JOIN stretches_before b ON b.area_id = f.area_id
    WINDOW w AS (PARTITION BY f.area_id ORDER BY f.date ROWS UNBOUNDED PRECEDING)
),
agency_running AS (  -- rule 7: each agency's own reports here added up so far, day by day
    SELECT af.area_id, af.agency_id, af.date, LAG(af.date) OVER a AS previous_day,
           st.displaced_stretch, COALESCE(af.displaced, 0) AS displaced_share, CAST(SUM(COALESCE(af.displaced, 0)) OVER a AS BIGINT) AS displaced_running,
           st.returned_stretch, COALESCE(af.returned, 0) AS returned_share, CAST(SUM(COALESCE(af.returned, 0)) OVER a AS BIGINT) AS returned_running,
           st.killed_stretch, COALESCE(af.killed, 0) AS killed_share, CAST(SUM(COALESCE(af.killed, 0)) OVER a AS BIGINT) AS killed_running,
           st.injured_stretch, COALESCE(af.injured, 0) AS injured_share, CAST(SUM(COALESCE(af.injured, 0)) OVER a AS BIGINT) AS injured_running,
           st.killed_children_stretch, COALESCE(af.killed_children, 0) AS killed_children_share, CAST(SUM(COALESCE(af.killed_children, 0)) OVER a AS BIGINT) AS killed_children_running,
           st.injured_children_stretch, COALESCE(af.injured_children, 0) AS injured_children_share, CAST(SUM(COALESCE(af.injured_children, 0)) OVER a AS BIGINT) AS injured_children_running
    FROM agency_rows af
    JOIN day_stretches st ON st.area_id = af.area_id AND st.date = af.date
    WINDOW a AS (PARTITION BY af.area_id, af.agency_id ORDER BY af.date ROWS UNBOUNDED PRECEDING)
),
agency_accounts AS (  -- rule 7: each agency's own reports here, added up in the stretch so far
    SELECT r.area_id, r.date, CASE WHEN r.displaced_stretch IS NOT NULL THEN r.displaced_running - MAX(CASE WHEN r.previous_day IS NULL OR r.previous_day < r.displaced_stretch THEN r.displaced_running - r.displaced_share END) OVER a END AS displaced,
           CASE WHEN r.returned_stretch IS NOT NULL THEN r.returned_running - MAX(CASE WHEN r.previous_day IS NULL OR r.previous_day < r.returned_stretch THEN r.returned_running - r.returned_share END) OVER a END AS returned,
           CASE WHEN r.killed_stretch IS NOT NULL THEN r.killed_running - MAX(CASE WHEN r.previous_day IS NULL OR r.previous_day < r.killed_stretch THEN r.killed_running - r.killed_share END) OVER a END AS killed,
           CASE WHEN r.injured_stretch IS NOT NULL THEN r.injured_running - MAX(CASE WHEN r.previous_day IS NULL OR r.previous_day < r.injured_stretch THEN r.injured_running - r.injured_share END) OVER a END AS injured,
           CASE WHEN r.killed_children_stretch IS NOT NULL THEN r.killed_children_running - MAX(CASE WHEN r.previous_day IS NULL OR r.previous_day < r.killed_children_stretch THEN r.killed_children_running - r.killed_children_share END) OVER a END AS killed_children,
           CASE WHEN r.injured_children_stretch IS NOT NULL THEN r.injured_children_running - MAX(CASE WHEN r.previous_day IS NULL OR r.previous_day < r.injured_children_stretch THEN r.injured_children_running - r.injured_children_share END) OVER a END AS injured_children
    FROM agency_running r
    WINDOW a AS (PARTITION BY r.area_id, r.agency_id ORDER BY r.date ROWS UNBOUNDED PRECEDING)
),
largest_agency_accounts AS (
    SELECT area_id, date, MAX(displaced) AS displaced,
           MAX(returned) AS returned,
           MAX(killed) AS killed,
           MAX(injured) AS injured,
           MAX(killed_children) AS killed_children,
           MAX(injured_children) AS injured_children
    FROM agency_accounts GROUP BY area_id, date
),
stretch_days AS (  -- rule 7, a row for each metric's stretch and day: the largest agency
                   -- account that day, and what the children grew by
    SELECT st.area_id, st.date, m.m AS metric, CASE m.m WHEN 0 THEN st.displaced_stretch WHEN 1 THEN st.returned_stretch WHEN 2 THEN st.killed_stretch WHEN 3 THEN st.injured_stretch WHEN 4 THEN st.killed_children_stretch WHEN 5 THEN st.injured_children_stretch END AS stretch,
           CASE m.m WHEN 0 THEN la.displaced WHEN 1 THEN la.returned WHEN 2 THEN la.killed WHEN 3 THEN la.injured WHEN 4 THEN la.killed_children WHEN 5 THEN la.injured_children END AS agencies, CASE m.m WHEN 0 THEN st.displaced_grown_below WHEN 1 THEN st.returned_grown_below WHEN 2 THEN st.killed_grown_below WHEN 3 THEN st.injured_grown_below WHEN 4 THEN st.killed_children_grown_below WHEN 5 THEN st.injured_children_grown_below END AS grown_below
    FROM day_stretches st
    CROSS JOIN metric m
    LEFT JOIN largest_agency_accounts la ON la.area_id = st.area_id AND la.date = st.date
    WHERE CASE m.m WHEN 0 THEN st.displaced_stretch WHEN 1 THEN st.returned_stretch WHEN 2 THEN st.killed_stretch WHEN 3 THEN st.injured_stretch WHEN 4 THEN st.killed_children_stretch WHEN 5 THEN st.injured_children_stretch END IS NOT NULL
),
stretch_accounts AS (  -- rule 7: the largest agency account and the children's growth in the
                       -- stretch, up to this day and up to the day before
    SELECT sd.area_id, sd.date, sd.metric, sd.stretch,
           MAX(sd.agencies) OVER (s ROWS UNBOUNDED PRECEDING) AS agencies,
           MAX(sd.agencies) OVER (s ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS agencies_before, CAST(SUM(sd.grown_below) OVER (s ROWS UNBOUNDED PRECEDING) AS BIGINT) AS below, CAST(SUM(sd.grown_below) OVER (s ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS BIGINT) AS below_before
    FROM stretch_days sd
    WINDOW s AS (PARTITION BY sd.area_id, sd.metric, sd.stretch ORDER BY sd.date)
), 
stretch_growth AS (
    SELECT a.area_id, a.date, a.metric, GREATEST(a.agencies, a.below) - COALESCE(GREATEST(a.agencies_before, a.below_before), 0) AS growth
    FROM stretch_accounts a
),
day_growth AS (
    SELECT area_id, date, MAX(CASE WHEN metric = 0 THEN growth END) AS displaced_growth,
           MAX(CASE WHEN metric = 1 THEN growth END) AS returned_growth,
           MAX(CASE WHEN metric = 2 THEN growth END) AS killed_growth,
           MAX(CASE WHEN metric = 3 THEN growth END) AS injured_growth,
           MAX(CASE WHEN metric = 4 THEN growth END) AS killed_children_growth,
           MAX(CASE WHEN metric = 5 THEN growth END) AS injured_children_growth
    FROM stretch_growth GROUP BY area_id, date
),
cumulatives AS (  -- rule 7: separate stretches add up; quiet days carry the cumulative over
    SELECT st.area_id, st.date, st.reports, st.agencies, st.pending,
           st.displaced, st.displaced_low, st.displaced_high,
           st.returned, st.returned_low, st.returned_high,
           st.killed, st.killed_low, st.killed_high,
           st.injured, st.injured_low, st.injured_high,
           st.killed_children, st.killed_children_low, st.killed_children_high,
           st.injured_children, st.injured_children_low, st.injured_children_high, st.displaced_stretch,
           st.returned_stretch,
           st.killed_stretch,
           st.injured_stretch,
           st.killed_children_stretch,
           st.injured_children_stretch, CASE WHEN b.displaced IS NULL AND CAST(SUM(g.displaced_growth) OVER w AS BIGINT) IS NULL THEN NULL ELSE COALESCE(b.displaced, 0) + COALESCE(CAST(SUM(g.displaced_growth) OVER w AS BIGINT), 0) END AS displaced_cumulative, g.displaced_growth,
           CASE WHEN b.returned IS NULL AND CAST(SUM(g.returned_growth) OVER w AS BIGINT) IS NULL THEN NULL ELSE COALESCE(b.returned, 0) + COALESCE(CAST(SUM(g.returned_growth) OVER w AS BIGINT), 0) END AS returned_cumulative, g.returned_growth,
           CASE WHEN b.killed IS NULL AND CAST(SUM(g.killed_growth) OVER w AS BIGINT) IS NULL THEN NULL ELSE COALESCE(b.killed, 0) + COALESCE(CAST(SUM(g.killed_growth) OVER w AS BIGINT), 0) END AS killed_cumulative, g.killed_growth,
           CASE WHEN b.injured IS NULL AND CAST(SUM(g.injured_growth) OVER w AS BIGINT) IS NULL THEN NULL ELSE COALESCE(b.injured, 0) + COALESCE(CAST(SUM(g.injured_growth) OVER w AS BIGINT), 0) END AS injured_cumulative, g.injured_growth,
           CASE WHEN b.killed_children IS NULL AND CAST(SUM(g.killed_children_growth) OVER w AS BIGINT) IS NULL THEN NULL ELSE COALESCE(b.killed_children, 0) + COALESCE(CAST(SUM(g.killed_children_growth) OVER w AS BIGINT), 0) END AS killed_children_cumulative, g.killed_children_growth,
           CASE WHEN b.injured_children IS NULL AND CAST(SUM(g.injured_children_growth) OVER w AS BIGINT) IS NULL THEN NULL ELSE COALESCE(b.injured_children, 0) + COALESCE(CAST(SUM(g.injured_children_growth) OVER w AS BIGINT), 0) END AS injured_children_cumulative, g.injured_children_growth
    FROM day_stretches st
    LEFT JOIN day_growth g ON g.area_id = st.area_id AND g.date = st.date
    LEFT JOIN cumulative_before b ON b.area_id = st.area_id
    WINDOW w AS (PARTITION BY st.area_id ORDER BY st.date ROWS UNBOUNDED PRECEDING)
)
INSERT INTO tracker_dailyfigure (
           area_id, date, report_count, agency_count, pending_reports, computed_at,
           displaced, displaced_low, displaced_high, displaced_cumulative,
           returned, returned_low, returned_high, returned_cumulative,
           killed, killed_low, killed_high, killed_cumulative,
           injured, injured_low, injured_high, injured_cumulative,
           killed_children, killed_children_low, killed_children_high, killed_children_cumulative,
           injured_children, injured_children_low, injured_children_high, injured_children_cumulative,
           displaced_stretch,
           returned_stretch,
           killed_stretch,
           injured_stretch,
           killed_children_stretch,
           injured_children_stretch,
           displaced_growth,
           returned_growth,
           killed_growth,
           injured_growth,
           killed_children_growth,
           injured_children_growth)
SELECT area_id, date, reports, agencies, pending, %s,
           displaced, displaced_low, displaced_high, displaced_cumulative,
           returned, returned_low, returned_high, returned_cumulative,
           killed, killed_low, killed_high, killed_cumulative,
           injured, injured_low, injured_high, injured_cumulative,
           killed_children, killed_children_low, killed_children_high, killed_children_cumulative,
           injured_children, injured_children_low, injured_children_high, injured_children_cumulative,
           displaced_stretch,
           returned_stretch,
           killed_stretch,
           injured_stretch,
           killed_children_stretch,
           injured_children_stretch,
           CASE WHEN displaced_cumulative IS NOT NULL THEN COALESCE(displaced_growth, 0) END,
           CASE WHEN returned_cumulative IS NOT NULL THEN COALESCE(returned_growth, 0) END,
           CASE WHEN killed_cumulative IS NOT NULL THEN COALESCE(killed_growth, 0) END,
           CASE WHEN injured_cumulative IS NOT NULL THEN COALESCE(injured_growth, 0) END,
           CASE WHEN killed_children_cumulative IS NOT NULL THEN COALESCE(killed_children_growth, 0) END,
           CASE WHEN injured_children_cumulative IS NOT NULL THEN COALESCE(injured_children_growth, 0) END
FROM cumulatives
