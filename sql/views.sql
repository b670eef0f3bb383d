-- Views over `events`, the archive's one table of normalized ECS events.
-- huntsql creates `events` from the archive manifest, then runs this file.
-- Statements are separated by a semicolon at the end of a line.

-- Process events from every source (Elastic Defend, Beats, Windows 4688/4689):
-- the usual starting point for process hunts.
CREATE OR REPLACE TEMP VIEW process_events AS
SELECT *
FROM events
WHERE list_contains("event.category", 'process');
