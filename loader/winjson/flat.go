package winjson

import (
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"huntsql/loader/rows"
	"huntsql/loader/timestamp"
	"huntsql/loader/winevent"
)

// flatNormalizer maps flat Windows-event JSON: the System fields and the
// EventData side by side in one object, as NXLog's im_msvistalog writes it
// (and Logstash passes it on, and the OTRF Security-Datasets ship it):
//
//	{"EventTime":"2020-09-21 01:58:38","Hostname":"WORKSTATION5.theshire.local",
//	 "EventID":4688,"SourceName":"Microsoft-Windows-Security-Auditing","Channel":"Security",
//	 "NewProcessName":"C:\\Windows\\System32\\cmd.exe",…,"EventReceivedTime":…,
//	 "SourceModuleName":"eventlog","SourceModuleType":"im_msvistalog"}
//
// Members named as a System field (see headerSlots, in the case and spelling
// variants the tools use) fill the System header; transport members that
// NXLog and Logstash add are dropped (they stay in event.original); every
// other member is EventData. Nested "EventData"/"UserData" objects are
// flattened into EventData too.
type flatNormalizer struct {
	texts
	p    fastjson.Parser
	ev   winevent.Event
	m    *winevent.Mapper
	loc  *time.Location
	vals [nSlots]string
	key  []byte // scratch for fold
}

// slot is a System field a flat member may fill.
type slot int

const (
	sDrop slot = iota // transport or rendering data: not an event field
	sEventID
	sChannel
	sLogName
	sHostname
	sComputer
	sComputerName
	sSourceName
	sProviderName
	sProvider
	sEventTime
	sTimeCreated
	sAtTimestamp
	sTimeGenerated
	sRecordNumber
	sEventRecordID
	sProviderGUID
	sVersion
	sLevel
	sTask
	sTaskValue
	sCategory
	sOpcode
	sOpcodeValue
	sKeywords
	sMessage
	sQualifiers
	sProcessID
	sThreadID
	sUserID
	sActivityID
	nSlots
)

// headerSlots maps member names, compared by fold (lower case, without '_'),
// to System fields: EventID, event_id and EventId are one field.
var headerSlots = map[string]slot{
	"eventid":           sEventID,
	"eventcode":         sEventID,
	"channel":           sChannel,
	"logname":           sLogName,
	"hostname":          sHostname,
	"computer":          sComputer,
	"computername":      sComputerName,
	"sourcename":        sSourceName,
	"providername":      sProviderName,
	"provider":          sProvider,
	"eventtime":         sEventTime,
	"timecreated":       sTimeCreated,
	"@timestamp":        sAtTimestamp,
	"timegenerated":     sTimeGenerated,
	"recordnumber":      sRecordNumber,
	"eventrecordid":     sEventRecordID,
	"recordid":          sEventRecordID,
	"providerguid":      sProviderGUID,
	"version":           sVersion,
	"level":             sLevel,
	"task":              sTask,
	"taskvalue":         sTaskValue,
	"category":          sCategory,
	"opcode":            sOpcode,
	"opcodevalue":       sOpcodeValue,
	"keywords":          sKeywords,
	"message":           sMessage,
	"qualifiers":        sQualifiers,
	"severity":          sDrop,
	"severityvalue":     sDrop,
	"eventreceivedtime": sDrop,
	"sourcemodulename":  sDrop,
	"sourcemoduletype":  sDrop,
	"@version":          sDrop,
	"@metadata":         sDrop,
}

// exactSlots are System names matched exactly: their other spellings are
// EventData of common events (4688's ProcessId is the creator process, not
// the logging one; NXLog's is ProcessID).
var exactSlots = map[string]slot{
	"ProcessID":          sProcessID,
	"ExecutionProcessID": sProcessID,
	"ThreadID":           sThreadID,
	"ExecutionThreadID":  sThreadID,
	"UserID":             sUserID,
	"ActivityID":         sActivityID,
	// System/Security/@UserID resolved by NXLog: not EventData.
	"Domain":      sDrop,
	"AccountName": sDrop,
	"AccountType": sDrop,
	// Logstash's transport fields (host is the sender, often a collector).
	"host":              sDrop,
	"port":              sDrop,
	"tags":              sDrop,
	"RelatedActivityID": sDrop,
}

// nxlogEventTypes are the values of NXLog's EventType header; any other
// EventType (Sysmon 12–14's SetValue, CreateKey, …) is EventData.
var nxlogEventTypes = map[string]bool{
	"AUDIT_SUCCESS": true, "AUDIT_FAILURE": true, "CRITICAL": true, "ERROR": true,
	"WARNING": true, "INFO": true, "VERBOSE": true,
}

// fold appends k in lower case without '_' to dst: the spelling variants of
// a member name fold to one key of headerSlots.
func fold(dst, k []byte) []byte {
	for _, c := range k {
		switch {
		case c == '_':
		case c >= 'A' && c <= 'Z':
			dst = append(dst, c+'a'-'A')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

func (n *flatNormalizer) Normalize(raw *rows.Raw, src *rows.Source, b *rows.Batch) string {
	if reason := n.parse(raw.Data, &n.ev); reason != "" {
		return reason
	}
	return n.m.Append(&n.ev, winevent.Route{Original: raw.Text(), Line: raw.Line, Offset: raw.Offset}, src, b)
}

func (n *flatNormalizer) parse(data []byte, ev *winevent.Event) string {
	doc, reason := parseObject(&n.p, data)
	if reason != "" {
		return "flat Windows event JSON: " + reason
	}
	if src := doc.Get("_source"); src != nil && src.Type() == fastjson.TypeObject {
		doc = src // an Elasticsearch hit (HELK, exported OTRF data)
	}
	ev.Reset()
	clear(n.vals[:])
	// Newer NXLog names the logging process ExecutionProcessID: ProcessID is
	// then EventData (5156's is the application's process).
	execution := doc.Exists("ExecutionProcessID")
	doc.GetObject().Visit(func(k []byte, v *fastjson.Value) {
		n.key = fold(n.key[:0], k)
		s, header := exactSlots[string(k)]
		if header && execution && (s == sProcessID || s == sThreadID) && k[0] != 'E' {
			header = false
		}
		if !header {
			s, header = headerSlots[string(n.key)]
		}
		if header && s == sProvider && v.Type() != fastjson.TypeString {
			header = false
		}
		if !header && string(k) == "EventType" {
			if nxlogEventTypes[string(appendText(n.scratch[:0], v))] {
				return
			}
		}
		if header {
			if s != sDrop && n.vals[s] == "" {
				n.vals[s] = n.text(v)
			}
			return
		}
		switch string(n.key) {
		case "eventdata", "userdata":
			if v.Type() == fastjson.TypeObject {
				if string(n.key) == "userdata" {
					ev.UserData = true
				}
				v.GetObject().Visit(func(k []byte, v *fastjson.Value) {
					ev.Data = append(ev.Data, winevent.KV{Name: n.keep(k), Value: n.data(v)})
				})
				return
			}
		}
		ev.Data = append(ev.Data, winevent.KV{Name: n.keep(k), Value: n.data(v)})
	})
	val := &n.vals
	ev.EventID = val[sEventID]
	ev.Channel = first(val[sChannel], val[sLogName])
	ev.Computer = first(val[sHostname], val[sComputer], val[sComputerName])
	ev.Provider = first(val[sSourceName], val[sProviderName], val[sProvider])
	ev.ProviderGUID = val[sProviderGUID]
	ev.RecordID = first(val[sEventRecordID], val[sRecordNumber])
	ev.Version = val[sVersion]
	ev.Level = val[sLevel]
	ev.Task = first(val[sTaskValue], numeric(val[sTask]))
	ev.Opcode = first(val[sOpcodeValue], numeric(val[sOpcode]))
	ev.Keywords = hexKeywords(val[sKeywords])
	ev.Qualifiers = val[sQualifiers]
	ev.ProcessID = val[sProcessID]
	ev.ThreadID = val[sThreadID]
	ev.UserID = val[sUserID]
	ev.ActivityID = val[sActivityID]
	if t := first(val[sCategory], nonNumeric(val[sTask])); t != "" {
		ev.SetRendered("Task", t)
	}
	if o := nonNumeric(val[sOpcode]); o != "" {
		ev.SetRendered("Opcode", o)
	}
	if m := val[sMessage]; m != "" {
		ev.SetRendered("Message", m)
	}
	ts, reason := n.eventTime()
	if reason != "" {
		return reason
	}
	ev.TimeCreated = ts
	return ""
}

// eventTime picks the event's time: TimeCreated (the event's own UTC time);
// EventTime when it carries a zone; @timestamp (UTC, set by Logstash/HELK
// from the event time); EventTime without a zone, which NXLog writes in the
// host's local time, read in the load's --timezone; TimeGenerated.
func (n *flatNormalizer) eventTime() (string, string) {
	val := &n.vals
	switch et := val[sEventTime]; {
	case val[sTimeCreated] != "":
		return val[sTimeCreated], ""
	case et != "" && hasZone(et):
		return et, ""
	case val[sAtTimestamp] != "":
		return val[sAtTimestamp], ""
	case et != "":
		us, err := timestamp.Parse(et)
		if err != nil {
			return "", "flat Windows event JSON: unparseable EventTime: " + err.Error()
		}
		t := time.UnixMicro(us).UTC()
		local := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), n.loc)
		return local.UTC().Format("2006-01-02T15:04:05.999999Z"), ""
	case val[sTimeGenerated] != "":
		return val[sTimeGenerated], ""
	}
	return "", "flat Windows event JSON record has no event time (EventTime, TimeCreated, @timestamp or TimeGenerated)"
}

// hasZone reports whether a timestamp is absolute: it has a zone designator
// after its date, or is epoch milliseconds.
func hasZone(s string) bool {
	if numeric(s) != "" {
		return true
	}
	return len(s) > 10 && strings.ContainsAny(s[10:], "Zz+-")
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// numeric returns s when it is decimal digits, else "".
func numeric(s string) string {
	if _, ok := winevent.DecodeInt(s, false); ok {
		return s
	}
	return ""
}

func nonNumeric(s string) string {
	if numeric(s) != "" {
		return ""
	}
	return s
}

// hexKeywords writes System/Keywords as the XML holds it (0x8020000000000000)
// when NXLog gave it as a decimal number, signed (-9214364837600034816) or
// not; other text is kept as it is.
func hexKeywords(s string) string {
	if u, err := strconv.ParseUint(s, 10, 64); err == nil {
		return "0x" + strconv.FormatUint(u, 16)
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return "0x" + strconv.FormatUint(uint64(i), 16)
	}
	return s
}
