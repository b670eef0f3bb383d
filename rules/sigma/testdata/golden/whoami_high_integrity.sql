-- Sigma rule "Whoami At High Integrity", compiled by huntsql from whoami_high_integrity.yml.
SELECT
    "@timestamp",
    "host.name",
    "event.code",
    "winlog.channel",
    "process.executable",
    "process.command_line",
    "process.parent.executable",
    "user.name",
    CASE WHEN "winlog.channel" = 'Microsoft-Windows-Sysmon/Operational' AND "event.code" = '1' THEN "winlog.event_data"['Image'] WHEN "winlog.channel" = 'Security' AND "event.code" = '4688' THEN "winlog.event_data"['NewProcessName'] END AS "Image",
    CASE WHEN "winlog.channel" = 'Microsoft-Windows-Sysmon/Operational' AND "event.code" = '1' THEN "winlog.event_data"['IntegrityLevel'] WHEN "winlog.channel" = 'Security' AND "event.code" = '4688' THEN CASE "winlog.event_data"['MandatoryLabel'] WHEN 'S-1-16-0' THEN 'Untrusted' WHEN 'S-1-16-4096' THEN 'Low' WHEN 'S-1-16-8192' THEN 'Medium' WHEN 'S-1-16-8448' THEN 'Medium' WHEN 'S-1-16-12288' THEN 'High' WHEN 'S-1-16-16384' THEN 'System' WHEN 'S-1-16-20480' THEN 'Protected' END END AS "IntegrityLevel",
    [{'file': "huntsql.source_file", 'offset': "huntsql.source_offset"}] AS "huntsql.evidence"
FROM events
WHERE (
  -- source sysmon_1
  ("winlog.channel" = 'Microsoft-Windows-Sysmon/Operational' AND "event.code" = '1')
  AND coalesce((ends_with(lower("winlog.event_data"['Image']), '\whoami.exe')
     AND lower("winlog.event_data"['IntegrityLevel']) = 'high'), false)
)
   OR (
  -- source security_4688
  ("winlog.channel" = 'Security' AND "event.code" = '4688')
  AND coalesce((ends_with(lower("winlog.event_data"['NewProcessName']), '\whoami.exe')
     AND lower(CASE "winlog.event_data"['MandatoryLabel'] WHEN 'S-1-16-0' THEN 'Untrusted' WHEN 'S-1-16-4096' THEN 'Low' WHEN 'S-1-16-8192' THEN 'Medium' WHEN 'S-1-16-8448' THEN 'Medium' WHEN 'S-1-16-12288' THEN 'High' WHEN 'S-1-16-16384' THEN 'System' WHEN 'S-1-16-20480' THEN 'Protected' END) = 'high'), false)
)
ORDER BY "@timestamp", "huntsql.source_file", "huntsql.source_offset"
