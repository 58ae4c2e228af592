WITH scope(area_id, agency_id, since_n, since_day, until_n, until_day) AS (VALUES (%s, %s, %s, %s, %s, %s)),
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
cumulative_before AS (  -- rule 7: the cumulatives before the first day replaced (the largest:
                        -- they only grow)
    SELECT f.area_id, MAX(f.displaced_cumulative) AS displaced,
           MAX(f.returned_cumulative) AS returned,
           MAX(f.killed_cumulative) AS killed,
           MAX(f.injured_cumulative) AS injured,
           MAX(f.killed_children_cumulative) AS killed_children,
           MAX(f.injured_children_cumulative) AS injured_children
    FROM tracker_dailyfigure f
    JOIN scope s ON s.area_id = f.area_id
    WHERE f.date < s.since_day
    GROUP BY f.area_id
), 
stretches_before AS (  -- each metric's stretch on the day before the first day replaced
    SELECT f.area_id, f.displaced_stretch,
           f.returned_stretch,
           f.killed_stretch,
           f.injured_stretch,
           f.killed_children_stretch,
           f.injured_children_stretch
    FROM tracker_dailyfigure f
    JOIN scope s ON s.area_id = f.area_id
    WHERE f.date = date(s.since_n - 1 + 1721424.5)
),
agencies_before AS (  -- each agency's own reports here in those stretches, before that day
    SELECT af.area_id, af.agency_id,
           CAST(SUM(CASE WHEN af.date >= b.displaced_stretch THEN af.displaced END) AS BIGINT) AS displaced,
           CAST(SUM(CASE WHEN af.date >= b.returned_stretch THEN af.returned END) AS BIGINT) AS returned,
           CAST(SUM(CASE WHEN af.date >= b.killed_stretch THEN af.killed END) AS BIGINT) AS killed,
           CAST(SUM(CASE WHEN af.date >= b.injured_stretch THEN af.injured END) AS BIGINT) AS injured,
           CAST(SUM(CASE WHEN af.date >= b.killed_children_stretch THEN af.killed_children END) AS BIGINT) AS killed_children,
           CAST(SUM(CASE WHEN af.date >= b.injured_children_stretch THEN af.injured_children END) AS BIGINT) AS injured_children
    FROM tracker_agencyfigure af
    JOIN scope s ON s.area_id = af.area_id
    JOIN stretches_before b ON b.area_id = af.area_id
    WHERE af.date < s.since_day AND af.date >= MIN(COALESCE(b.displaced_stretch, '9999-12-31'), COALESCE(b.returned_stretch, '9999-12-31'), COALESCE(b.killed_stretch, '9999-12-31'), COALESCE(b.injured_stretch, '9999-12-31'), COALESCE(b.killed_children_stretch, '9999-12-31'), COALESCE(b.injured_children_stretch, '9999-12-31'))
    GROUP BY af.area_id, af.agency_id
),
largest_before AS (
    SELECT area_id, MAX(displaced) AS displaced,
           MAX(returned) AS returned,
           MAX(killed) AS killed,
           MAX(injured) AS injured,
           MAX(killed_children) AS killed_children,
           MAX(injured_children) AS injured_children FROM agencies_before GROUP BY area_id
),
below_before AS (  -- the children's growth in those stretches, before that day
    SELECT a.parent_id AS area_id,
           CAST(SUM(CASE WHEN f.date >= b.displaced_stretch THEN f.displaced_growth END) AS BIGINT) AS displaced,
           CAST(SUM(CASE WHEN f.date >= b.returned_stretch THEN f.returned_growth END) AS BIGINT) AS returned,
           CAST(SUM(CASE WHEN f.date >= b.killed_stretch THEN f.killed_growth END) AS BIGINT) AS killed,
           CAST(SUM(CASE WHEN f.date >= b.injured_stretch THEN f.injured_growth END) AS BIGINT) AS injured,
           CAST(SUM(CASE WHEN f.date >= b.killed_children_stretch THEN f.killed_children_growth END) AS BIGINT) AS killed_children,
           CAST(SUM(CASE WHEN f.date >= b.injured_children_stretch THEN f.injured_children_growth END) AS BIGINT) AS injured_children
    FROM tracker_area a
    JOIN scope s ON s.area_id = a.parent_id
    JOIN stretches_before b ON b.area_id = a.parent_id
    JOIN tracker_dailyfigure f ON f.area_id = a.id AND f.date < s.since_day AND f.date >= MIN(COALESCE(b.displaced_stretch, '9999-12-31'), COALESCE(b.returned_stretch, '9999-12-31'), COALESCE(b.killed_stretch, '9999-12-31'), COALESCE(b.injured_stretch, '9999-12-31'), COALESCE(b.killed_children_stretch, '9999-12-31'), COALESCE(b.injured_children_stretch, '9999-12-31'))
    GROUP BY a.parent_id
),
carried_accounts AS (  -- a row for each metric's stretch that reached into the first day
    SELECT b.area_id, m.m AS metric, CASE m.m WHEN 0 THEN b.displaced_stretch WHEN 1 THEN b.returned_stretch WHEN 2 THEN b.killed_stretch WHEN 3 THEN b.injured_stretch WHEN 4 THEN b.killed_children_stretch WHEN 5 THEN b.injured_children_stretch END AS stretch,
           CASE m.m WHEN 0 THEN lb.displaced WHEN 1 THEN lb.returned WHEN 2 THEN lb.killed WHEN 3 THEN lb.injured WHEN 4 THEN lb.killed_children WHEN 5 THEN lb.injured_children END AS agencies, CASE m.m WHEN 0 THEN bb.displaced WHEN 1 THEN bb.returned WHEN 2 THEN bb.killed WHEN 3 THEN bb.injured WHEN 4 THEN bb.killed_children WHEN 5 THEN bb.injured_children END AS below,
           CASE m.m WHEN 0 THEN lb.displaced WHEN 1 THEN lb.returned WHEN 2 THEN lb.killed WHEN 3 THEN lb.injured WHEN 4 THEN lb.killed_children WHEN 5 THEN lb.injured_children END AS agencies_before, CASE m.m WHEN 0 THEN bb.displaced WHEN 1 THEN bb.returned WHEN 2 THEN bb.killed WHEN 3 THEN bb.injured WHEN 4 THEN bb.killed_children WHEN 5 THEN bb.injured_children END AS below_before
    FROM stretches_before b
    CROSS JOIN metric m
    LEFT JOIN largest_before lb ON lb.area_id = b.area_id
    LEFT JOIN below_before bb ON bb.area_id = b.area_id
), 
day_figures AS (  -- rules 5 and 6 for each day; rule 7: whether each metric's stretch starts on
                  -- it (1), goes on from the day before (0) or skips it (no report covers it)
    SELECT o.area_id, o.date, o.reports + COALESCE(ch.reports, 0) AS reports, o.agencies,
           COALESCE(p.pending, 0) AS pending,
           CASE WHEN o.displaced IS NULL THEN ch.displaced WHEN ch.displaced IS NULL OR o.displaced >= ch.displaced THEN o.displaced ELSE ch.displaced END AS displaced, CASE WHEN o.displaced_low IS NULL THEN ch.displaced_low WHEN ch.displaced_low IS NULL OR o.displaced_low >= ch.displaced_low THEN o.displaced_low ELSE ch.displaced_low END AS displaced_low, CASE WHEN o.displaced_high IS NULL AND ch.displaced_high IS NULL THEN NULL ELSE COALESCE(o.displaced_high, 0) + COALESCE(ch.displaced_high, 0) END AS displaced_high, ch.displaced_growth AS displaced_grown_below, CASE WHEN NOT (o.displaced IS NOT NULL OR ch.displaced IS NOT NULL) THEN NULL WHEN COALESCE(o.displaced_joined, 0) + COALESCE(ch.displaced_joined, 0) > 0 THEN 0 ELSE 1 END AS displaced_starts,
           CASE WHEN o.returned IS NULL THEN ch.returned WHEN ch.returned IS NULL OR o.returned >= ch.returned THEN o.returned ELSE ch.returned END AS returned, CASE WHEN o.returned_low IS NULL THEN ch.returned_low WHEN ch.returned_low IS NULL OR o.returned_low >= ch.returned_low THEN o.returned_low ELSE ch.returned_low END AS returned_low, CASE WHEN o.returned_high IS NULL AND ch.returned_high IS NULL THEN NULL ELSE COALESCE(o.returned_high, 0) + COALESCE(ch.returned_high, 0) END AS returned_high, ch.returned_growth AS returned_grown_below, CASE WHEN NOT (o.returned IS NOT NULL OR ch.returned IS NOT NULL) THEN NULL WHEN COALESCE(o.returned_joined, 0) + COALESCE(ch.returned_joined, 0) > 0 THEN 0 ELSE 1 END AS returned_starts,
           CASE WHEN o.killed IS NULL THEN ch.killed WHEN ch.killed IS NULL OR o.killed >= ch.killed THEN o.killed ELSE ch.killed END AS killed, CASE WHEN o.killed_low IS NULL THEN ch.killed_low WHEN ch.killed_low IS NULL OR o.killed_low >= ch.killed_low THEN o.killed_low ELSE ch.killed_low END AS killed_low, CASE WHEN o.killed_high IS NULL AND ch.killed_high IS NULL THEN NULL ELSE COALESCE(o.killed_high, 0) + COALESCE(ch.killed_high, 0) END AS killed_high, ch.killed_growth AS killed_grown_below, CASE WHEN NOT (o.killed IS NOT NULL OR ch.killed IS NOT NULL) THEN NULL WHEN COALESCE(o.killed_joined, 0) + COALESCE(ch.killed_joined, 0) > 0 THEN 0 ELSE 1 END AS killed_starts,
           CASE WHEN o.injured IS NULL THEN ch.injured WHEN ch.injured IS NULL OR o.injured >= ch.injured THEN o.injured ELSE ch.injured END AS injured, CASE WHEN o.injured_low IS NULL THEN ch.injured_low WHEN ch.injured_low IS NULL OR o.injured_low >= ch.injured_low THEN o.injured_low ELSE ch.injured_low END AS injured_low, CASE WHEN o.injured_high IS NULL AND ch.injured_high IS NULL THEN NULL ELSE COALESCE(o.injured_high, 0) + COALESCE(ch.injured_high, 0) END AS injured_high, ch.injured_growth AS injured_grown_below, CASE WHEN NOT (o.injured IS NOT NULL OR ch.injured IS NOT NULL) THEN NULL WHEN COALESCE(o.injured_joined, 0) + COALESCE(ch.injured_joined, 0) > 0 THEN 0 ELSE 1 END AS injured_starts,
           CASE WHEN o.killed_children IS NULL THEN ch.killed_children WHEN ch.killed_children IS NULL OR o.killed_children >= ch.killed_children THEN o.killed_children ELSE ch.killed_children END AS killed_children, CASE WHEN o.killed_children_low IS NULL THEN ch.killed_children_low WHEN ch.killed_children_low IS NULL OR o.killed_children_low >= ch.killed_children_low THEN o.killed_children_low ELSE ch.killed_children_low END AS killed_children_low, CASE WHEN o.killed_children_high IS NULL AND ch.killed_children_high IS NULL THEN NULL ELSE COALESCE(o.killed_children_high, 0) + COALESCE(ch.killed_children_high, 0) END AS killed_children_high, ch.killed_children_growth AS killed_children_grown_below, CASE WHEN NOT (o.killed_children IS NOT NULL OR ch.killed_children IS NOT NULL) THEN NULL WHEN COALESCE(o.killed_children_joined, 0) + COALESCE(ch.killed_children_joined, 0) > 0 THEN 0 ELSE 1 END AS killed_children_starts,
           CASE WHEN o.injured_children IS NULL THEN ch.injured_children WHEN ch.injured_children IS NULL OR o.injured_children >= ch.injured_children THEN o.injured_children ELSE ch.injured_children END AS injured_children, CASE WHEN o.injured_children_low IS NULL THEN ch.injured_children_low WHEN ch.injured_children_low IS NULL OR o.injured_children_low >= ch.injured_children_low THEN o.injured_children_low ELSE ch.injured_children_low END AS injured_children_low, CASE WHEN o.injured_children_high IS NULL AND ch.injured_children_high IS NULL THEN NULL ELSE COALESCE(o.injured_children_high, 0) + COALESCE(ch.injured_children_high, 0) END AS injured_children_high, ch.injured_children_growth AS injured_children_grown_below, CASE WHEN NOT (o.injured_children IS NOT NULL OR ch.injured_children IS NOT NULL) THEN NULL WHEN COALESCE(o.injured_children_joined, 0) + COALESCE(ch.injured_children_joined, 0) > 0 THEN 0 ELSE 1 END AS injured_children_starts
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
    SELECT r.area_id, r.date, CASE WHEN CASE WHEN r.displaced_stretch IS NOT NULL THEN r.displaced_running - MAX(CASE WHEN r.previous_day IS NULL OR r.previous_day < r.displaced_stretch THEN r.displaced_running - r.displaced_share END) OVER a END IS NULL AND CASE WHEN r.displaced_stretch = b.displaced_stretch THEN ab.displaced END IS NULL THEN NULL ELSE COALESCE(CASE WHEN r.displaced_stretch IS NOT NULL THEN r.displaced_running - MAX(CASE WHEN r.previous_day IS NULL OR r.previous_day < r.displaced_stretch THEN r.displaced_running - r.displaced_share END) OVER a END, 0) + COALESCE(CASE WHEN r.displaced_stretch = b.displaced_stretch THEN ab.displaced END, 0) END AS displaced,
           CASE WHEN CASE WHEN r.returned_stretch IS NOT NULL THEN r.returned_running - MAX(CASE WHEN r.previous_day IS NULL OR r.previous_day < r.returned_stretch THEN r.returned_running - r.returned_share END) OVER a END IS NULL AND CASE WHEN r.returned_stretch = b.returned_stretch THEN ab.returned END IS NULL THEN NULL ELSE COALESCE(CASE WHEN r.returned_stretch IS NOT NULL THEN r.returned_running - MAX(CASE WHEN r.previous_day IS NULL OR r.previous_day < r.returned_stretch THEN r.returned_running - r.returned_share END) OVER a END, 0) + COALESCE(CASE WHEN r.returned_stretch = b.returned_stretch THEN ab.returned END, 0) END AS returned,
           CASE WHEN CASE WHEN r.killed_stretch IS NOT NULL THEN r.killed_running - MAX(CASE WHEN r.previous_day IS NULL OR r.previous_day < r.killed_stretch THEN r.killed_running - r.killed_share END) OVER a END IS NULL AND CASE WHEN r.killed_stretch = b.killed_stretch THEN ab.killed END IS NULL THEN NULL ELSE COALESCE(CASE WHEN r.killed_stretch IS NOT NULL THEN r.killed_running - MAX(CASE WHEN r.previous_day IS NULL OR r.previous_day < r.killed_stretch THEN r.killed_running - r.killed_share END) OVER a END, 0) + COALESCE(CASE WHEN r.killed_stretch = b.killed_stretch THEN ab.killed END, 0) END AS killed,
           CASE WHEN CASE WHEN r.injured_stretch IS NOT NULL THEN r.injured_running - MAX(CASE WHEN r.previous_day IS NULL OR r.previous_day < r.injured_stretch THEN r.injured_running - r.injured_share END) OVER a END IS NULL AND CASE WHEN r.injured_stretch = b.injured_stretch THEN ab.injured END IS NULL THEN NULL ELSE COALESCE(CASE WHEN r.injured_stretch IS NOT NULL THEN r.injured_running - MAX(CASE WHEN r.previous_day IS NULL OR r.previous_day < r.injured_stretch THEN r.injured_running - r.injured_share END) OVER a END, 0) + COALESCE(CASE WHEN r.injured_stretch = b.injured_stretch THEN ab.injured END, 0) END AS injured,
           CASE WHEN CASE WHEN r.killed_children_stretch IS NOT NULL THEN r.killed_children_running - MAX(CASE WHEN r.previous_day IS NULL OR r.previous_day < r.killed_children_stretch THEN r.killed_children_running - r.killed_children_share END) OVER a END IS NULL AND CASE WHEN r.killed_children_stretch = b.killed_children_stretch THEN ab.killed_children END IS NULL THEN NULL ELSE COALESCE(CASE WHEN r.killed_children_stretch IS NOT NULL THEN r.killed_children_running - MAX(CASE WHEN r.previous_day IS NULL OR r.previous_day < r.killed_children_stretch THEN r.killed_children_running - r.killed_children_share END) OVER a END, 0) + COALESCE(CASE WHEN r.killed_children_stretch = b.killed_children_stretch THEN ab.killed_children END, 0) END AS killed_children,
           CASE WHEN CASE WHEN r.injured_children_stretch IS NOT NULL THEN r.injured_children_running - MAX(CASE WHEN r.previous_day IS NULL OR r.previous_day < r.injured_children_stretch THEN r.injured_children_running - r.injured_children_share END) OVER a END IS NULL AND CASE WHEN r.injured_children_stretch = b.injured_children_stretch THEN ab.injured_children END IS NULL THEN NULL ELSE COALESCE(CASE WHEN r.injured_children_stretch IS NOT NULL THEN r.injured_children_running - MAX(CASE WHEN r.previous_day IS NULL OR r.previous_day < r.injured_children_stretch THEN r.injured_children_running - r.injured_children_share END) OVER a END, 0) + COALESCE(CASE WHEN r.injured_children_stretch = b.injured_children_stretch THEN ab.injured_children END, 0) END AS injured_children
    FROM agency_running r
    LEFT JOIN stretches_before b ON b.area_id = r.area_id
    LEFT JOIN agencies_before ab ON ab.area_id = r.area_id AND ab.agency_id = r.agency_id
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
    SELECT a.area_id, a.date, a.metric, CASE WHEN CASE WHEN a.agencies IS NULL THEN c.agencies WHEN c.agencies IS NULL OR a.agencies >= c.agencies THEN a.agencies ELSE c.agencies END IS NULL THEN CASE WHEN a.below IS NULL AND c.below IS NULL THEN NULL ELSE COALESCE(a.below, 0) + COALESCE(c.below, 0) END WHEN CASE WHEN a.below IS NULL AND c.below IS NULL THEN NULL ELSE COALESCE(a.below, 0) + COALESCE(c.below, 0) END IS NULL OR CASE WHEN a.agencies IS NULL THEN c.agencies WHEN c.agencies IS NULL OR a.agencies >= c.agencies THEN a.agencies ELSE c.agencies END >= CASE WHEN a.below IS NULL AND c.below IS NULL THEN NULL ELSE COALESCE(a.below, 0) + COALESCE(c.below, 0) END THEN CASE WHEN a.agencies IS NULL THEN c.agencies WHEN c.agencies IS NULL OR a.agencies >= c.agencies THEN a.agencies ELSE c.agencies END ELSE CASE WHEN a.below IS NULL AND c.below IS NULL THEN NULL ELSE COALESCE(a.below, 0) + COALESCE(c.below, 0) END END - COALESCE(CASE WHEN CASE WHEN a.agencies_before IS NULL THEN c.agencies_before WHEN c.agencies_before IS NULL OR a.agencies_before >= c.agencies_before THEN a.agencies_before ELSE c.agencies_before END IS NULL THEN CASE WHEN a.below_before IS NULL AND c.below_before IS NULL THEN NULL ELSE COALESCE(a.below_before, 0) + COALESCE(c.below_before, 0) END WHEN CASE WHEN a.below_before IS NULL AND c.below_before IS NULL THEN NULL ELSE COALESCE(a.below_before, 0) + COALESCE(c.below_before, 0) END IS NULL OR CASE WHEN a.agencies_before IS NULL THEN c.agencies_before WHEN c.agencies_before IS NULL OR a.agencies_before >= c.agencies_before THEN a.agencies_before ELSE c.agencies_before END >= CASE WHEN a.below_before IS NULL AND c.below_before IS NULL THEN NULL ELSE COALESCE(a.below_before, 0) + COALESCE(c.below_before, 0) END THEN CASE WHEN a.agencies_before IS NULL THEN c.agencies_before WHEN c.agencies_before IS NULL OR a.agencies_before >= c.agencies_before THEN a.agencies_before ELSE c.agencies_before END ELSE CASE WHEN a.below_before IS NULL AND c.below_before IS NULL THEN NULL ELSE COALESCE(a.below_before, 0) + COALESCE(c.below_before, 0) END END, 0) AS growth
    FROM stretch_accounts a
    LEFT JOIN carried_accounts c
      ON c.area_id = a.area_id AND c.metric = a.metric AND c.stretch = a.stretch
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
