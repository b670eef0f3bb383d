-- Sigma rule "New User Created Via Net.EXE", compiled by huntsql from proc_creation_win_net_user_add.yml.
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
  AND (coalesce(((ends_with(lower("winlog.event_data"['Image']), '\net.exe') OR ends_with(lower("winlog.event_data"['Image']), '\net1.exe'))
     OR lower("winlog.event_data"['OriginalFileName']) IN ('net.exe', 'net1.exe')), false)
  AND coalesce((contains(lower("winlog.event_data"['CommandLine']), 'user') AND contains(lower("winlog.event_data"['CommandLine']), 'add')), false))
)
ORDER BY "@timestamp", "huntsql.source_file", "huntsql.source_offset"
