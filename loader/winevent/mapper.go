package winevent

import (
	"fmt"
	"strconv"
	"strings"

	"huntsql/loader/rows"
	"huntsql/loader/timestamp"
	schema "huntsql/sql"
)

// Mapper writes Windows events as archive rows, as Elastic's Windows
// integrations map them (docs/windows.md). Not safe for concurrent use.
type Mapper struct {
	Out
	last lastMapping
}

// NewMapper returns a Mapper.
func NewMapper() *Mapper { return &Mapper{} }

// Out is the row being written, with the helpers a mapping uses.
type Out struct {
	B    *rows.Batch
	warn []string
	rel  related // related.* values gathered while one event is mapped (table.go)
	// kvs is where the rows' winlog.event_data pairs are taken from: one
	// allocation for many events. Batches keep the pairs, so the slab is
	// never written twice: a full slab is replaced, not reused.
	kvs []rows.KV
}

// pairs returns ev.Data as map entries, in storage of their own.
func (o *Out) pairs(data []KV) []rows.KV {
	n := len(data)
	if n > cap(o.kvs) {
		o.kvs = make([]rows.KV, max(n, kvSlab))
	}
	kv := o.kvs[:n:n]
	o.kvs = o.kvs[n:]
	for i, d := range data {
		kv[i] = rows.KV{K: d.Name, V: d.Value}
	}
	return kv
}

// kvSlab is the number of pairs allocated at once.
const kvSlab = 1024

// Col returns the archive column index of an ECS field name; it panics on a
// name the schema lacks, so a typo fails every test at once.
func Col(name string) int { return schema.MustIndex(name) }

var (
	cTS            = Col(schema.Timestamp)
	cOriginal      = Col(schema.Original)
	cWarnings      = Col(schema.Warnings)
	cHostName      = Col("host.name")
	cHostOSType    = Col("host.os.type")
	cMessage       = Col("message")
	cEventCode     = Col("event.code")
	cEventKind     = Col("event.kind")
	cEventModule   = Col("event.module")
	cEventDataset  = Col("event.dataset")
	cEventProvider = Col("event.provider")
	cDSDataset     = Col("data_stream.dataset")
	cDSType        = Col("data_stream.type")
	cChannel       = Col("winlog.channel")
	cProviderName  = Col("winlog.provider_name")
	cProviderGUID  = Col("winlog.provider_guid")
	cEventID       = Col("winlog.event_id")
	cRecordID      = Col("winlog.record_id")
	cComputer      = Col("winlog.computer_name")
	cVersion       = Col("winlog.version")
	cTask          = Col("winlog.task")
	cOpcode        = Col("winlog.opcode")
	cEventData     = Col("winlog.event_data")
	cFile          = Col(schema.SourceFile)
	cLine          = Col(schema.SourceLine)
	cOffset        = Col(schema.SourceOffset)
	cLoad          = Col(schema.LoadID)
)

// Route says how an event reached huntsql, for the rows' provenance.
type Route struct {
	Original string // event.original: the record's exact text
	Line     int64  // 1-based line of the record, 0 when the input has no lines
	Offset   int64  // byte offset of the record in the (decompressed) input
}

// Append writes one row for ev, or returns why ev cannot be archived.
func (m *Mapper) Append(ev *Event, r Route, src *rows.Source, b *rows.Batch) string {
	if ev.TimeCreated == "" {
		return "missing System/TimeCreated/@SystemTime"
	}
	ts, ok := parseSystemTime(ev.TimeCreated)
	var err error
	if !ok {
		ts, err = timestamp.Parse(ev.TimeCreated)
	}
	if err != nil {
		return "unparseable System/TimeCreated/@SystemTime: " + err.Error()
	}
	m.B = b
	m.warn = m.warn[:0]
	b.AddRow()
	b.SetInt(cTS, ts)
	b.SetString(cOriginal, r.Original)
	b.SetString(cFile, src.File)
	if r.Line > 0 {
		b.SetInt(cLine, r.Line)
	}
	b.SetInt(cOffset, r.Offset)
	b.SetString(cLoad, src.LoadID)

	m.Text(cHostName, ev.Computer)
	m.Text(cComputer, ev.Computer)
	b.SetString(cHostOSType, "windows")
	b.SetString(cEventKind, "event")
	m.Text(cEventCode, ev.EventID)
	m.Text(cEventID, ev.EventID)
	m.Text(cEventProvider, ev.Provider)
	m.Text(cProviderName, ev.Provider)
	m.Text(cProviderGUID, ev.ProviderGUID)
	m.Text(cChannel, ev.Channel)
	if module, dataset := DatasetOf(ev.Channel); dataset != "" {
		b.SetString(cEventModule, module)
		b.SetString(cEventDataset, dataset)
		b.SetString(cDSDataset, dataset)
		b.SetString(cDSType, "logs")
	}
	m.Int(cRecordID, "EventRecordID", ev.RecordID, false)
	m.Int(cVersion, "Version", ev.Version, false)
	m.Text(cTask, firstNonEmpty(ev.Rendered["Task"], ev.Task))
	m.Text(cOpcode, firstNonEmpty(ev.Rendered["Opcode"], ev.Opcode))
	m.Text(cMessage, ev.Rendered["Message"])

	if len(ev.Data) > 0 {
		b.SetMap(cEventData, m.pairs(ev.Data))
	}
	def, fn := m.mappingOf(ev)
	if def != nil {
		def(&m.Out, ev)
	}
	if fn != nil {
		fn(&m.Out, ev)
	}
	if len(m.warn) > 0 {
		b.SetList(cWarnings, m.warn)
	}
	return ""
}

// mappingOf returns byDefault[providerOf(ev)] and
// byProvider[providerOf(ev)][ev.EventID]. What the provider and channel
// select is remembered from the last event: a log holds long runs of one
// provider.
func (m *Mapper) mappingOf(ev *Event) (def, fn mapFunc) {
	c := &m.last
	if !c.ok || ev.Provider != c.provider || ev.Channel != c.channel {
		provider := providerOf(ev)
		// The key strings are copied: ev's may point into memory its
		// decoder reuses.
		*c = lastMapping{ok: true, provider: strings.Clone(ev.Provider), channel: strings.Clone(ev.Channel),
			def: byDefault[provider], byID: byProvider[provider]}
	}
	return c.def, c.byID[ev.EventID]
}

// lastMapping is Mapper.mappingOf's memory.
type lastMapping struct {
	ok                bool
	provider, channel string
	def               mapFunc
	byID              map[string]mapFunc
}

// mapFunc maps what is particular to one provider and event id.
type mapFunc func(o *Out, ev *Event)

// Provider names as the System header gives them.
const (
	ProviderSecurity = "Microsoft-Windows-Security-Auditing"
	ProviderSysmon   = "Microsoft-Windows-Sysmon"
	ChannelSysmon    = "Microsoft-Windows-Sysmon/Operational"
)

// byProvider holds the mappings, by provider name then event id. The maps are
// filled by the files that define them (security.go, sysmon.go, …).
var byProvider = map[string]map[string]mapFunc{}

// byChannel names the provider whose mappings apply to a channel's events
// when the event names no provider (some flat JSON and text exports).
var byChannel = map[string]string{
	"Security":    ProviderSecurity,
	ChannelSysmon: ProviderSysmon,
}

// byDefault holds, per provider, what applies to all its events before the
// event's own mapping (which may overwrite it).
var byDefault = map[string]mapFunc{}

func providerOf(ev *Event) string {
	if _, ok := byProvider[ev.Provider]; ok {
		return ev.Provider
	}
	return byChannel[ev.Channel]
}

// Text sets a VARCHAR column; an empty value stays NULL.
func (o *Out) Text(ci int, v string) {
	if v != "" {
		o.B.SetString(ci, v)
	}
}

// List sets a VARCHAR[] column; an empty list stays NULL.
func (o *Out) List(ci int, v []string) { o.B.SetList(ci, v) }

// Warn records a normalization warning for the row (huntsql.warnings).
func (o *Out) Warn(format string, args ...any) { o.warn = append(o.warn, fmt.Sprintf(format, args...)) }

// Int decodes an integer: 0x/0X-prefixed hexadecimal when hex is allowed
// (Windows process ids), else decimal digits. Anything else is NULL with a
// warning; the text stays in event.original and winlog.event_data.
func (o *Out) Int(ci int, field, v string, hex bool) {
	if v == "" {
		return
	}
	if i, ok := DecodeInt(v, hex); ok {
		o.B.SetInt(ci, i)
		return
	}
	o.Warn("%s: not a number: %s (stored NULL)", field, v)
}

// DecodeInt reads decimal digits, or 0x-prefixed hexadecimal when hex is set.
func DecodeInt(v string, hex bool) (int64, bool) {
	if hex && len(v) > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X') {
		u, err := strconv.ParseUint(v[2:], 16, 63)
		return int64(u), err == nil
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
	}
	u, err := strconv.ParseUint(v, 10, 63)
	return int64(u), err == nil
}

// BaseName is the text after the last backslash of a Windows path.
func BaseName(p string) string {
	if i := strings.LastIndexByte(p, '\\'); i >= 0 {
		return p[i+1:]
	}
	return p
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// DatasetOf names the Elastic module and data set of a channel's events.
func DatasetOf(channel string) (module, dataset string) {
	switch channel {
	case "Security":
		return "system", "system.security"
	case "System":
		return "system", "system.system"
	case "Application":
		return "system", "system.application"
	case ChannelSysmon:
		return "windows", "windows.sysmon_operational"
	case "Microsoft-Windows-PowerShell/Operational":
		return "windows", "windows.powershell_operational"
	case "Windows PowerShell":
		return "windows", "windows.powershell"
	case "":
		return "", ""
	}
	return "windows", "windows.forwarded"
}

// parseSystemTime reads the form every Windows rendering gives
// System/TimeCreated/@SystemTime, 2006-01-02T15:04:05[.fraction]Z with 1 to
// 9 fraction digits and a year from 1 to 9999, as timestamp.Parse does (UTC
// microseconds, extra digits floored), without its general parser; ok is
// false for any other text, which timestamp.Parse then reads.
func parseSystemTime(s string) (us int64, ok bool) {
	if len(s) < 20 || len(s) > 30 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[len(s)-1] != 'Z' {
		return 0, false
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day := num(0, 4), num(5, 2), num(8, 2)
	hour, minute, sec := num(11, 2), num(14, 2), num(17, 2)
	if year < 1 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return 0, false
	}
	leap := year%4 == 0 && (year%100 != 0 || year%400 == 0)
	if day > int(monthDays[month]) && !(month == 2 && leap && day == 29) {
		return 0, false
	}
	frac := 0
	switch {
	case len(s) == 20: // no fraction
	case s[19] == '.' && len(s) >= 22:
		n := len(s) - 21
		if n > 9 {
			return 0, false
		}
		digits := num(20, n)
		if digits < 0 {
			return 0, false
		}
		for ; n > 6; n-- {
			digits /= 10
		}
		for ; n < 6; n++ {
			digits *= 10
		}
		frac = digits
	default:
		return 0, false
	}
	// Days from 1970-01-01 (Howard Hinnant's days_from_civil).
	y := int64(year)
	if month <= 2 {
		y--
	}
	era := y / 400 // year >= 1: y >= 0
	yoe := y - era*400
	mp := int64(month+9) % 12
	doy := (153*mp+2)/5 + int64(day) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	days := era*146097 + doe - 719468
	secs := days*86400 + int64(hour)*3600 + int64(minute)*60 + int64(sec)
	return secs*1_000_000 + int64(frac), true
}

var monthDays = [13]uint8{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
