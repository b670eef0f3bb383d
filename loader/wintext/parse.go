package wintext

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"huntsql/loader/winevent"
)

// stamp is the wall-clock time of a record's first line; it has no zone.
type stamp struct{ year, month, day, hour, min, sec, nsec int }

// parseStamp reads the timestamp line that starts a classic record:
//
//	MM/DD/YYYY hh:mm:ss[.fff] AM|PM    as the Splunk forwarder writes it
//	MM/DD/YYYY HH:mm:ss[.fff]          24-hour clock
//	YYYY-MM-DD HH:mm:ss[.fff]          24-hour clock, ISO order
//
// Month, day and hour may have one digit; trailing blanks are allowed.
func parseStamp(b []byte) (stamp, bool) {
	b = bytes.TrimRight(b, " \t")
	var t stamp
	var ok bool
	num := func(min, max int) int {
		n, d := 0, 0
		for d < max && len(b) > 0 && b[0] >= '0' && b[0] <= '9' {
			n = n*10 + int(b[0]-'0')
			b, d = b[1:], d+1
		}
		if d < min {
			ok = false
		}
		return n
	}
	sep := func(c byte) {
		if len(b) == 0 || b[0] != c {
			ok = false
			return
		}
		b = b[1:]
	}
	ok = true
	if len(b) >= 5 && b[4] == '-' {
		t.year = num(4, 4)
		sep('-')
		t.month = num(2, 2)
		sep('-')
		t.day = num(2, 2)
	} else {
		t.month = num(1, 2)
		sep('/')
		t.day = num(1, 2)
		sep('/')
		t.year = num(4, 4)
	}
	sep(' ')
	t.hour = num(1, 2)
	sep(':')
	t.min = num(2, 2)
	sep(':')
	t.sec = num(2, 2)
	if ok && len(b) > 0 && b[0] == '.' {
		b = b[1:]
		digits := len(b)
		frac := num(1, 9)
		digits -= len(b)
		for ; digits < 9; digits++ {
			frac *= 10
		}
		t.nsec = frac
	}
	if !ok {
		return t, false
	}
	switch s := string(bytes.ToUpper(bytes.TrimLeft(b, " "))); {
	case s == "" && len(b) == 0:
	case (s == "AM" || s == "PM") && len(b) > len(s): // a blank before AM/PM
		if t.hour < 1 || t.hour > 12 {
			return t, false
		}
		t.hour %= 12
		if s == "PM" {
			t.hour += 12
		}
	default:
		return t, false
	}
	if t.month < 1 || t.month > 12 || t.day < 1 || t.day > daysIn(t.month, t.year) || t.hour > 23 || t.min > 59 || t.sec > 60 {
		return t, false
	}
	return t, true
}

func daysIn(month, year int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// utc reads the wall-clock time in loc and returns it as UTC. A time that a
// daylight-saving change skips or repeats is read as time.Date reads it.
func (t stamp) utc(loc *time.Location) time.Time {
	return time.Date(t.year, time.Month(t.month), t.day, t.hour, t.min, t.sec, t.nsec, loc).UTC()
}

// headerKeys are the Key=value lines Splunk writes between the timestamp line
// and Message=, in the orders its forwarder versions use.
var headerKeys = []string{"LogName", "SourceName", "EventCode", "EventType", "Type", "ComputerName",
	"User", "Sid", "SidType", "TaskCategory", "OpCode", "RecordNumber", "Keywords", "Message"}

// headerKey returns the key of a Key=value header line.
func headerKey(line []byte) (string, bool) {
	eq := bytes.IndexByte(line, '=')
	if eq <= 0 {
		return "", false
	}
	for _, k := range headerKeys {
		if len(k) == eq && string(line[:eq]) == k {
			return k, true
		}
	}
	return "", false
}

// providers maps the source names Splunk writes (the event log's legacy
// source name) to the provider names and GUIDs of the events' XML (as Windows
// renders them), for the providers whose events huntsql maps.
var providers = map[string]struct{ name, guid string }{
	"Microsoft Windows security auditing.": {winevent.ProviderSecurity, "{54849625-5478-4994-A5BA-3E3B0328C30D}"},
	winevent.ProviderSecurity:              {winevent.ProviderSecurity, "{54849625-5478-4994-A5BA-3E3B0328C30D}"},
	winevent.ProviderSysmon:                {winevent.ProviderSysmon, "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}"},
}

// auditKeywords are System/Keywords as the XML of Security events has them,
// by the name the classic text gives them.
var auditKeywords = map[string]string{
	"Audit Success": "0x8020000000000000",
	"Audit Failure": "0x8010000000000000",
}

var errNoEventCode = errors.New("classic WinEventLog record has no EventCode= line")

// Parse reads one classic record into ev: the header lines into the System
// fields, the message into Rendered["Message"] and, where huntsql knows the
// event's message layout, its labelled values into Data under the names the
// event's XML uses. loc is the zone of the timestamp line. Strings in ev may
// share record.
func Parse(record string, loc *time.Location, ev *winevent.Event) error {
	_, err := parse(record, loc, ev, nil)
	return err
}

// parse is Parse with a scratch slice for the message's entries, returned
// for reuse.
func parse(record string, loc *time.Location, ev *winevent.Event, scratch []entry) ([]entry, error) {
	ev.Reset()
	first, _, _ := strings.Cut(record, "\n")
	t, ok := parseStamp([]byte(strings.TrimSuffix(first, "\r")))
	if !ok {
		return scratch, fmt.Errorf("classic WinEventLog record does not start with a timestamp line (MM/DD/YYYY hh:mm:ss AM): %.40q", first)
	}
	ev.TimeCreated = t.utc(loc).Format(time.RFC3339Nano)
	for pos, lineNo := len(first)+1, 2; pos < len(record); lineNo++ {
		line, _, _ := strings.Cut(record[pos:], "\n")
		start := pos
		pos += len(line) + 1
		line = strings.TrimSuffix(line, "\r")
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			if strings.TrimSpace(line) == "" {
				continue
			}
			return scratch, fmt.Errorf("line %d of the classic WinEventLog record is not Key=value before Message=: %.40q", lineNo, line)
		}
		switch key {
		case "LogName":
			ev.Channel = value
		case "SourceName":
			ev.EventSource = value
			ev.Provider = value
			if p, ok := providers[value]; ok {
				ev.Provider, ev.ProviderGUID = p.name, p.guid
			}
		case "EventCode":
			ev.EventID = value
		case "ComputerName":
			ev.Computer = value
		case "RecordNumber":
			ev.RecordID = value
		case "Sid":
			ev.UserID = value
		case "Type":
			ev.SetRendered("Level", value)
		case "TaskCategory":
			ev.SetRendered("Task", value)
		case "OpCode":
			ev.SetRendered("Opcode", value)
		case "Keywords":
			ev.SetRendered("Keywords", value)
			ev.Keywords = auditKeywords[value]
		case "Message":
			// The message runs to the end of the record, its line breaks kept.
			ev.SetRendered("Message", record[start+len("Message="):])
			pos = len(record)
		}
	}
	if ev.EventID == "" {
		return scratch, errNoEventCode
	}
	switch ev.Provider {
	case winevent.ProviderSysmon:
		ev.Data = appendSysmonData(ev.Data, ev.EventID, ev.Rendered["Message"])
	case winevent.ProviderSecurity:
		scratch = messageEntries(ev.Rendered["Message"], scratch[:0])
		ev.Data = appendMessageData(ev.Data, ev, scratch)
	}
	return scratch, nil
}
