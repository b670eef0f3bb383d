-- Views over `events`, the archive's one table of normalized ECS events.
-- huntsql creates `events` from the archive manifest, then runs this file.
-- Statements are separated by a semicolon at the end of a line.

-- Process events from every source (Elastic Defend, Beats, Windows 4688/4689):
-- the usual starting point for process hunts.
CREATE OR REPLACE TEMP VIEW process_events AS
SELECT *
FROM events
WHERE list_contains("event.category", 'process');

-- Splunk CIM names for process events (the Endpoint.Processes data model, as
-- Splunk_TA_windows maps 4688), beside every ECS column. One place defines
-- them; docs/windows.md lists where each comes from.
--   _time, host, dest          @timestamp, host.name (the event's Computer)
--   user, signature_id         user.name (SubjectUserName), event.code
--   process, process_name, process_path, process_id
--                              process.command_line, .name, .executable, .pid
--   parent_process, parent_process_name, parent_process_path, parent_process_id
--                              process.parent.command_line, .name, .executable, .pid
--   _raw                       event.original
CREATE OR REPLACE TEMP VIEW cim_process AS
SELECT
    "@timestamp" AS _time,
    "host.name" AS host,
    "host.name" AS dest,
    "user.name" AS "user",
    "event.code" AS signature_id,
    "process.command_line" AS process,
    "process.name" AS process_name,
    "process.executable" AS process_path,
    "process.pid" AS process_id,
    "process.parent.command_line" AS parent_process,
    "process.parent.name" AS parent_process_name,
    "process.parent.executable" AS parent_process_path,
    "process.parent.pid" AS parent_process_id,
    "event.original" AS _raw,
    *
FROM events;

-- Splunk's raw-text matching (spec seed-rules.md §3.1), for rules ported from
-- SPL. Splunk lower-cases _raw and splits it at breakers; a search term matches
-- when it stands between breakers.
--   Major breakers: blanks, [ ] < > ( ) { } | ! ; , ' " * & ? + and the
--   sequences -- %21 %26 %2526 %3B %7C %20 %2B %3D %2520 %5D %5B %3A %0A %2C %28 %29.
--   Minor breakers: / : = @ . - $ # % \ _
-- ASCII case folding only, as Splunk's lexicon does.
CREATE OR REPLACE TEMP MACRO splunk_fold(raw) AS
    translate(raw, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz');

-- splunk_term(folded_raw, term): TERM(term), or one bare search word. The term
-- must start at the start of the text or after a breaker (after a major breaker
-- when the term itself holds a minor breaker, as eventcode=4688 does) and end
-- at the end of the text or before a breaker.
CREATE OR REPLACE TEMP MACRO splunk_term(folded, term) AS
    regexp_matches(
        folded,
        '(^|[ \t\r\n\[\]<>(){}|!;,''"*&?+'
            || CASE WHEN regexp_matches(term, '[/:=@.$#%\\_-]') THEN '' ELSE '/:=@.$#%\\_-' END
            || ']|--|%21|%26|%2526|%3b|%7c|%20|%2b|%3d|%2520|%5d|%5b|%3a|%0a|%2c|%28|%29)'
            || regexp_escape(lower(term))
            || '([ \t\r\n\[\]<>(){}|!;,''"*&?+/:=@.$#%\\_-]|$)'
    );

-- splunk_phrase(folded_raw, phrase): a quoted phrase "…": each piece between
-- breakers is a term, and the text holds the phrase itself.
CREATE OR REPLACE TEMP MACRO splunk_phrase(folded, phrase) AS
    contains(folded, lower(phrase))
    AND list_bool_and(list_transform(
        list_filter(regexp_split_to_array(lower(phrase), '[ \t\r\n\[\]<>(){}|!;,''"*&?+/:=@.$#%\\_-]+'), p -> p <> ''),
        p -> splunk_term(folded, p)));

-- sorted_values(list): the distinct non-NULL values of an aggregated list,
-- sorted (byte order for text, numeric for numbers); NULL when there are none.
-- It is what ES|QL VALUES() and SPL values() return, in a stable order.
CREATE OR REPLACE TEMP MACRO sorted_values(l) AS
    CASE WHEN len(list_distinct(l)) = 0 THEN NULL ELSE list_sort(list_distinct(l)) END;

-- The events behind each saved detection (huntsql run --save): one row per
-- detection and event, with every event column.
CREATE OR REPLACE TEMP VIEW detection_events AS
SELECT d.run_id, d.rule_id, d.detection, e.*
FROM (SELECT run_id, rule_id, detection, unnest(evidence) AS ref FROM detections) AS d
JOIN events AS e
  ON e."huntsql.input_sha256" = d.ref.sha256
 AND e."huntsql.source_offset" = d.ref."offset";
