-- Sigma correlation "Several Users Created Via Net.EXE" (event_count), compiled by huntsql from net_user_add_burst.yml.
-- Sliding windows: each matching event ends a window of 10m (both ends included);
-- satisfying windows of a group whose last events are at most 10m apart make one detection.
WITH input AS (
    SELECT 'cd219ff3-fa99-45d4-8380-a7d15116c6dc' AS "sigma.rule", "host.name" AS "Computer", NULL AS "sigma.value", "@timestamp", [{'file': "huntsql.source_file", 'offset': "huntsql.source_offset"}] AS "huntsql.evidence"
    FROM events
    WHERE (("winlog.channel" = 'Microsoft-Windows-Sysmon/Operational' AND "event.code" = '1')
      AND (coalesce(((ends_with(lower("winlog.event_data"['Image']), '\net.exe') OR ends_with(lower("winlog.event_data"['Image']), '\net1.exe'))
         OR lower("winlog.event_data"['OriginalFileName']) IN ('net.exe', 'net1.exe')), false)
      AND coalesce((contains(lower("winlog.event_data"['CommandLine']), 'user') AND contains(lower("winlog.event_data"['CommandLine']), 'add')), false)))
),
windows AS (
    -- The window ending at each event.
    SELECT *, min("@timestamp") OVER w AS window_start, count(*) OVER w AS agg
    FROM input
    WINDOW w AS (PARTITION BY "Computer" ORDER BY "@timestamp" RANGE BETWEEN INTERVAL 10 MINUTE PRECEDING AND CURRENT ROW)
),
hits AS (
    SELECT *,
        -- A new detection unless the previous satisfying window of the group ended within the timespan.
        CASE WHEN lag("@timestamp") OVER (PARTITION BY "Computer" ORDER BY "@timestamp") >= "@timestamp" - INTERVAL 10 MINUTE THEN 0 ELSE 1 END AS new_detection
    FROM windows
    WHERE agg >= 2
),
numbered AS (
    SELECT *, sum(new_detection) OVER (PARTITION BY "Computer" ORDER BY "@timestamp" ROWS UNBOUNDED PRECEDING) AS detection
    FROM hits
),
spans AS (
    SELECT "Computer", detection, min(window_start) AS first_seen, max("@timestamp") AS last_seen, max(agg) AS agg
    FROM numbered
    GROUP BY ALL
)
SELECT
    s.first_seen AS "@timestamp",
    s.last_seen AS last_seen,
    s."Computer",
    s.agg AS event_count,
    list_sort(list_distinct(list(i."sigma.rule"))) AS rules,
    list_sort(list_distinct(flatten(list(i."huntsql.evidence")))) AS "huntsql.evidence"
FROM spans s
JOIN input i
  ON i."@timestamp" BETWEEN s.first_seen AND s.last_seen
 AND i."Computer" IS NOT DISTINCT FROM s."Computer"
GROUP BY s.first_seen, s.last_seen, s."Computer", s.detection, s.agg
ORDER BY "@timestamp", "Computer", last_seen
