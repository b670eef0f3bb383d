-- Sigma rule "Whoami.EXE Execution Anomaly", compiled by huntsql from proc_creation_win_whoami_parent_anomaly.yml.
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
    "winlog.event_data"['ParentImage'] AS "ParentImage",
    [{'file': "huntsql.source_file", 'offset': "huntsql.source_offset"}] AS "huntsql.evidence"
FROM events
WHERE (
  -- source sysmon_1
  ("winlog.channel" = 'Microsoft-Windows-Sysmon/Operational' AND "event.code" = '1')
  AND (coalesce((ends_with(lower("winlog.event_data"['Image']), '\whoami.exe')
     OR lower("winlog.event_data"['OriginalFileName']) = 'whoami.exe'), false)
  AND NOT (coalesce((ends_with(lower("winlog.event_data"['ParentImage']), '\cmd.exe')
       OR ends_with(lower("winlog.event_data"['ParentImage']), '\powershell_ise.exe')
       OR ends_with(lower("winlog.event_data"['ParentImage']), '\powershell.exe')
       OR ends_with(lower("winlog.event_data"['ParentImage']), '\pwsh.exe')), false)
  OR coalesce("winlog.event_data"['ParentImage'] IS NULL, false)
  OR coalesce(("winlog.event_data"['ParentImage'] = '' OR lower("winlog.event_data"['ParentImage']) = '-'), false))
  AND NOT (coalesce(ends_with(lower("winlog.event_data"['ParentImage']), ':\program files\microsoft monitoring agent\agent\monitoringhost.exe'), false)))
)
ORDER BY "@timestamp", "huntsql.source_file", "huntsql.source_offset"
