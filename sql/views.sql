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
