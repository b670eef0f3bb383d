package wintext

import (
	"slices"
	"strconv"
	"strings"

	"huntsql/loader/winevent"
)

// The rendered message of a classic record is the only place its event data
// survives. Security messages are headed sections of tab-indented
// "Label:<tabs>value" lines (Subject:, Process Information:, …) with a few
// unindented "Label:<tabs>value" lines; Sysmon messages are "Name: value"
// lines whose labels are the EventData names themselves (appendSysmonData). A
// layout says, per
// event id, which section and label hold which EventData value, in the order
// the event's XML lists them, so the classic record fills the same Data as its
// XML twin and one mapping (package winevent) serves both.

// slot is where a value sits in a message: the heading of its section ("" for
// an unindented label line; anySection for either) and its label.
type slot struct{ section, label string }

const anySection = "*"

// field names the EventData value found at any of its slots (the first found
// wins: Windows versions word some headings differently).
type field struct {
	name  string
	slots []slot
}

type layout []field

// Slots shared by several events.
var (
	subject = []field{
		{"SubjectUserSid", at("Subject", "Creator Subject")("Security ID")},
		{"SubjectUserName", at("Subject", "Creator Subject")("Account Name")},
		{"SubjectDomainName", at("Subject", "Creator Subject")("Account Domain")},
		{"SubjectLogonId", at("Subject", "Creator Subject")("Logon ID")},
	}
	logonType = field{"LogonType", at(anySection)("Logon Type")}
	network   = []field{
		{"WorkstationName", at("Network Information")("Workstation Name")},
		{"IpAddress", at("Network Information")("Source Network Address", "Network Address")},
		{"IpPort", at("Network Information")("Source Port", "Port")},
	}
	authDetails = []field{
		{"LogonProcessName", at("Detailed Authentication Information")("Logon Process")},
		{"AuthenticationPackageName", at("Detailed Authentication Information")("Authentication Package")},
		{"TransmittedServices", at("Detailed Authentication Information")("Transited Services")},
		{"LmPackageName", at("Detailed Authentication Information")("Package Name (NTLM only)")},
		{"KeyLength", at("Detailed Authentication Information")("Key Length")},
	}
)

// at builds the slots of a value: at(sections…)(labels…) is every label in
// every section.
func at(sections ...string) func(labels ...string) []slot {
	return func(labels ...string) []slot {
		var s []slot
		for _, sec := range sections {
			for _, l := range labels {
				s = append(s, slot{sec, l})
			}
		}
		return s
	}
}

func join(parts ...[]field) layout {
	var l layout
	for _, p := range parts {
		l = append(l, p...)
	}
	return l
}

func one(name string, slots []slot) []field { return []field{{name, slots}} }

// securityLayouts are the Security events whose messages huntsql reads, from
// Microsoft's event reference (the message and the XML of each event).
var securityLayouts = map[string]layout{
	// A new process has been created (v0–v2).
	"4688": join(subject,
		one("NewProcessId", at("Process Information")("New Process ID")),
		one("NewProcessName", at("Process Information")("New Process Name")),
		one("TokenElevationType", at("Process Information")("Token Elevation Type")),
		one("ProcessId", at("Process Information")("Creator Process ID")),
		one("CommandLine", at("Process Information")("Process Command Line")),
		one("TargetUserSid", at("Target Subject")("Security ID")),
		one("TargetUserName", at("Target Subject")("Account Name")),
		one("TargetDomainName", at("Target Subject")("Account Domain")),
		one("TargetLogonId", at("Target Subject")("Logon ID")),
		one("ParentProcessName", at("Process Information")("Creator Process Name")),
		one("MandatoryLabel", at("Process Information")("Mandatory Label")),
	),
	// A process has exited.
	"4689": join(subject,
		one("Status", at("Process Information")("Exit Status")),
		one("ProcessId", at("Process Information")("Process ID")),
		one("ProcessName", at("Process Information")("Process Name")),
	),
	// An account was successfully logged on (v0–v2).
	"4624": join(subject,
		one("TargetUserSid", at("New Logon")("Security ID")),
		one("TargetUserName", at("New Logon")("Account Name")),
		one("TargetDomainName", at("New Logon")("Account Domain")),
		one("TargetLogonId", at("New Logon")("Logon ID")),
		[]field{logonType},
		authDetails[:2],
		network[:1],
		one("LogonGuid", at("New Logon")("Logon GUID")),
		authDetails[2:],
		one("ProcessId", at("Process Information")("Process ID")),
		one("ProcessName", at("Process Information")("Process Name")),
		network[1:],
		one("ImpersonationLevel", at(anySection)("Impersonation Level")),
		one("RestrictedAdminMode", at("Logon Information")("Restricted Admin Mode")),
		one("TargetOutboundUserName", at("New Logon")("Network Account Name")),
		one("TargetOutboundDomainName", at("New Logon")("Network Account Domain")),
		one("VirtualAccount", at("Logon Information")("Virtual Account")),
		one("TargetLinkedLogonId", at("New Logon")("Linked Logon ID")),
		one("ElevatedToken", at("Logon Information")("Elevated Token")),
	),
	// An account failed to log on.
	"4625": join(subject,
		one("TargetUserSid", at("Account For Which Logon Failed")("Security ID")),
		one("TargetUserName", at("Account For Which Logon Failed")("Account Name")),
		one("TargetDomainName", at("Account For Which Logon Failed")("Account Domain")),
		one("Status", at("Failure Information")("Status")),
		one("FailureReason", at("Failure Information")("Failure Reason")),
		one("SubStatus", at("Failure Information")("Sub Status")),
		[]field{logonType},
		authDetails[:2],
		network[:1],
		authDetails[2:],
		one("ProcessId", at("Process Information")("Caller Process ID")),
		one("ProcessName", at("Process Information")("Caller Process Name")),
		network[1:],
	),
	// An account was logged off: the message's Subject is the XML's Target.
	"4634": join(
		one("TargetUserSid", at("Subject")("Security ID")),
		one("TargetUserName", at("Subject")("Account Name")),
		one("TargetDomainName", at("Subject")("Account Domain")),
		one("TargetLogonId", at("Subject")("Logon ID")),
		[]field{logonType},
	),
	// Special privileges assigned to new logon.
	"4672": join(subject, one("PrivilegeList", at("")("Privileges"))),
	// A logon was attempted using explicit credentials.
	"4648": join(subject,
		one("SubjectLogonGuid", at("Subject")("Logon GUID")),
		one("TargetUserName", at("Account Whose Credentials Were Used")("Account Name")),
		one("TargetDomainName", at("Account Whose Credentials Were Used")("Account Domain")),
		one("TargetLogonGuid", at("Account Whose Credentials Were Used")("Logon GUID")),
		one("TargetServerName", at("Target Server")("Target Server Name")),
		one("TargetInfo", at("Target Server")("Additional Information")),
		one("ProcessId", at("Process Information")("Process ID")),
		one("ProcessName", at("Process Information")("Process Name")),
		network[1:],
	),
}

// securityDefault reads the subject of the other Security events.
var securityDefault = layout(subject)

// entry is one labelled value of a message.
type entry struct{ section, label, value string }

// messageEntries reads a message's labelled values. A line "Heading:" alone
// opens a section; "Label:<blanks>value" is an entry of the current section
// when indented, a top-level entry when not; other lines continue the value
// of the entry just above them (Privileges: lists one per line), until a
// blank line.
func messageEntries(msg string, out []entry) []entry {
	section, open := "", false
	for msg != "" {
		var line string
		line, msg, _ = strings.Cut(msg, "\n")
		line = strings.TrimSuffix(line, "\r")
		text := strings.TrimLeft(line, " \t")
		indented := len(text) < len(line)
		if text == "" {
			open = false
			continue
		}
		label, value, ok := labelled(text)
		switch {
		case ok && !indented && value == "" && !strings.ContainsAny(text[len(label)+1:], " \t"):
			section, open = label, false
		case ok:
			if !indented {
				section = ""
			}
			out = append(out, entry{section, label, value})
			open = true
		case open:
			e := &out[len(out)-1]
			e.value += "\n" + line
		}
	}
	return out
}

// labelled splits "Label:<blanks>value": the label ends at the first colon
// followed by a blank or the end of the line (so "C:\x" is no label).
func labelled(text string) (label, value string, ok bool) {
	for i := 0; i < len(text); i++ {
		if text[i] != ':' {
			continue
		}
		if i+1 < len(text) && text[i+1] != ' ' && text[i+1] != '\t' {
			continue
		}
		if i == 0 || strings.ContainsAny(text[:i], "\t\\") {
			return "", "", false
		}
		return text[:i], strings.TrimLeft(text[i+1:], " \t"), true
	}
	return "", "", false
}

// appendMessageData appends the event's EventData as its message's entries give it.
func appendMessageData(data []winevent.KV, ev *winevent.Event, entries []entry) []winevent.KV {
	if len(entries) == 0 {
		return data
	}
	switch ev.Provider {
	case winevent.ProviderSecurity:
		l, ok := securityLayouts[ev.EventID]
		if !ok {
			l = securityDefault
		}
		for _, f := range l {
			if v, ok := find(entries, f.slots); ok {
				data = append(data, winevent.KV{Name: f.name, Value: asInXML(f.name, v)})
			}
		}
	}
	return data
}

// find returns the value at the first of slots that the message has.
func find(entries []entry, slots []slot) (string, bool) {
	for _, s := range slots {
		for _, e := range entries {
			if e.label == s.label && (s.section == anySection || e.section == s.section) {
				return e.value, true
			}
		}
	}
	return "", false
}

// isName reports whether s is an EventData name (letters and digits).
func isName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' && i > 0) {
			return false
		}
	}
	return s != ""
}

// asInXML writes a Security message value as the event's XML has it where
// the two differ only in spelling: hexadecimal numbers in lower case
// ("0x3E7" → "0x3e7"), and the well-known accounts the message names instead
// of their SIDs. Other account names stay as rendered: the message says
// CORP\alice where the XML has her SID.
func asInXML(name, v string) string {
	if strings.HasSuffix(name, "Sid") {
		if sid, ok := wellKnownSIDs[strings.ToUpper(v)]; ok {
			return sid
		}
		return v
	}
	if len(v) > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X') && isHex(v[2:]) {
		return strings.ToLower(v)
	}
	return v
}

// wellKnownSIDs are the accounts messages name (as the local system renders
// them, with or without the NT AUTHORITY domain).
var wellKnownSIDs = map[string]string{
	"NULL SID":                     "S-1-0-0",
	"ANONYMOUS LOGON":              "S-1-5-7",
	`NT AUTHORITY\ANONYMOUS LOGON`: "S-1-5-7",
	"SYSTEM":                       "S-1-5-18",
	`NT AUTHORITY\SYSTEM`:          "S-1-5-18",
	"LOCAL SERVICE":                "S-1-5-19",
	`NT AUTHORITY\LOCAL SERVICE`:   "S-1-5-19",
	"NETWORK SERVICE":              "S-1-5-20",
	`NT AUTHORITY\NETWORK SERVICE`: "S-1-5-20",
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return s != ""
}

// appendSysmonData appends the EventData of a Sysmon message: "Name: value"
// lines whose names are the event's EventData names (Sysmon's schema, or any
// name for an event id it does not define); any other line continues the
// value above it, since a command line may span lines. The first line names
// the event ("Process Create:").
func appendSysmonData(data []winevent.KV, eventID, msg string) []winevent.KV {
	id, _ := strconv.Atoi(eventID)
	names := winevent.SysmonData(id)
	known := func(label string) bool {
		if names == nil {
			return isName(label)
		}
		return slices.Contains(names, label)
	}
	start := len(data)
	_, msg, _ = strings.Cut(msg, "\n")
	for msg != "" {
		var line string
		line, msg, _ = strings.Cut(msg, "\n")
		line = strings.TrimSuffix(line, "\r")
		if label, value, ok := strings.Cut(line, ":"); ok && known(label) && (value == "" || value[0] == ' ') {
			data = append(data, winevent.KV{Name: label, Value: strings.TrimPrefix(value, " ")})
			continue
		}
		if len(data) > start {
			data[len(data)-1].Value += "\n" + line
		}
	}
	return data
}
