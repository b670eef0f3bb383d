-- Sigma rule "Suspicious Download Via Certutil.EXE", compiled by huntsql from proc_creation_win_certutil_download.yml.
-- cannot fire on security_4688: needs OriginalFileName
SELECT
    "@timestamp",
    "host.name",
    "event.code",
    "winlog.channel",
    "process.executable",
    "process.command_line",
    "process.parent.executable",
    "user.name",
    "winlog.event_data"['Image'] AS "Image",
    "winlog.event_data"['OriginalFileName'] AS "OriginalFileName",
    "winlog.event_data"['CommandLine'] AS "CommandLine",
    [{'file': "huntsql.source_file", 'offset': "huntsql.source_offset"}] AS "huntsql.evidence"
FROM events
WHERE (
  -- source sysmon_1
  ("winlog.channel" = 'Microsoft-Windows-Sysmon/Operational' AND "event.code" = '1')
  AND (coalesce((ends_with(lower("winlog.event_data"['Image']), '\certutil.exe')
     OR lower("winlog.event_data"['OriginalFileName']) = 'certutil.exe'), false)
  AND coalesce((contains(lower("winlog.event_data"['CommandLine']), 'urlcache ')
       OR contains(lower("winlog.event_data"['CommandLine']), 'verifyctl ')
       OR contains(lower("winlog.event_data"['CommandLine']), 'url ')), false)
  AND coalesce(contains(lower("winlog.event_data"['CommandLine']), 'http'), false))
)
ORDER BY "@timestamp", "huntsql.source_file", "huntsql.source_offset"
