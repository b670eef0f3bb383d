package winjson

import (
	"slices"
	"strconv"
	"strings"

	"github.com/valyala/fastjson"

	"huntsql/loader/ecs"
	"huntsql/loader/rows"
	"huntsql/loader/winevent"
)

// winlogbeatNormalizer maps winlogbeat and Elastic Agent documents: the ECS
// normalizer writes every ECS column the document has, then the Windows
// mapping is overlaid from its winlog.* fields (winevent.Mapper.Overlay), so
// that the same event read from XML, EVTX or winlogbeat gives the same
// process and user columns.
type winlogbeatNormalizer struct {
	texts
	ecs *ecs.Normalizer
	p   fastjson.Parser
	ev  winevent.Event
	m   *winevent.Mapper
}

func (n *winlogbeatNormalizer) Normalize(raw *rows.Raw, src *rows.Source, b *rows.Batch) string {
	if reason := n.ecs.Normalize(raw, src, b); reason != "" {
		return reason
	}
	// The ECS normalizer accepted the record, so it is a JSON object.
	doc, _ := parseObject(&n.p, raw.Data)
	if doc == nil {
		return ""
	}
	if s := doc.Get("_source"); s != nil && s.Type() == fastjson.TypeObject {
		doc = s // an Elasticsearch hit
	}
	if n.winlogEvent(doc, &n.ev) {
		if n.ev.Provider == winevent.ProviderSysmon || n.ev.Provider == "" && n.ev.Channel == winevent.ChannelSysmon {
			n.restoreSysmon(doc, &n.ev)
		}
		n.m.Overlay(&n.ev, b)
	}
	return ""
}

// winlogEvent fills ev from a document's winlog object (or its dotted
// "winlog.…" members) and reports whether the document has one.
func (n *winlogbeatNormalizer) winlogEvent(doc *fastjson.Value, ev *winevent.Event) bool {
	ev.Reset()
	found := false
	set := func(k string, v *fastjson.Value) {
		found = true
		switch k {
		case "channel":
			ev.Channel = n.text(v)
		case "provider_name":
			ev.Provider = n.text(v)
		case "provider_guid":
			ev.ProviderGUID = n.text(v)
		case "event_id":
			ev.EventID = n.text(v)
		case "record_id":
			ev.RecordID = n.text(v)
		case "computer_name":
			ev.Computer = n.text(v)
		case "version":
			ev.Version = n.text(v)
		case "task":
			ev.SetRendered("Task", n.text(v)) // winlogbeat writes the task's name
		case "opcode":
			ev.SetRendered("Opcode", n.text(v))
		case "keywords":
			ev.Keywords = keywordBits(v)
		case "activity_id":
			ev.ActivityID = n.text(v)
		case "process.pid":
			ev.ProcessID = n.text(v)
		case "process.thread.id":
			ev.ThreadID = n.text(v)
		case "user.identifier":
			ev.UserID = n.text(v)
		case "event_data", "user_data":
			if v.Type() != fastjson.TypeObject {
				return
			}
			ev.UserData = k == "user_data"
			v.GetObject().Visit(func(name []byte, v *fastjson.Value) {
				if ev.UserData && string(name) == "xml_name" {
					return // winlogbeat's name of the UserData wrapper element
				}
				ev.Data = append(ev.Data, winevent.KV{Name: n.keep(name), Value: n.data(v)})
			})
		default:
			if name, ok := strings.CutPrefix(k, "event_data."); ok {
				ev.Data = append(ev.Data, winevent.KV{Name: name, Value: n.data(v)})
			}
		}
	}
	var visit func(prefix string, o *fastjson.Object)
	visit = func(prefix string, o *fastjson.Object) {
		o.Visit(func(k []byte, v *fastjson.Value) {
			name := prefix + string(k)
			if v.Type() == fastjson.TypeObject && (name == "process" || name == "process.thread" || name == "user") {
				visit(name+".", v.GetObject())
				return
			}
			set(name, v)
		})
	}
	doc.GetObject().Visit(func(k []byte, v *fastjson.Value) {
		switch key := string(k); {
		case key == "winlog" && v.Type() == fastjson.TypeObject:
			visit("", v.GetObject())
		case strings.HasPrefix(key, "winlog."):
			set(key[len("winlog."):], v)
		}
	})
	return found
}

// keywordNames are the standard keyword bits winlogbeat writes by name in
// winlog.keywords (the rest are provider-defined and cannot be recovered).
var keywordNames = map[string]uint64{
	"Audit Failure":    0x0010000000000000,
	"Audit Success":    0x0020000000000000,
	"Correlation Hint": 0x0040000000000000,
	"Classic":          0x0080000000000000,
}

// keywordBits turns winlogbeat's keyword names back into System/Keywords as
// the XML holds it (0x…), from the names it knows; "" when none is known.
func keywordBits(v *fastjson.Value) string {
	var k uint64
	for _, name := range v.GetArray() {
		k |= keywordNames[text(name)]
	}
	if k == 0 {
		return ""
	}
	return "0x" + strconv.FormatUint(k, 16)
}

// restore is an EventData field that winlogbeat's sysmon module and Elastic's
// sysmon_operational pipeline move out of winlog.event_data (their "rename"
// mode) into an ECS field.
type restore struct{ field, ecs string }

// Where they move the process fields of Sysmon events, by event id: the
// process's own fields for most events; Source* for 8 and 10, whose process
// is the source; the parent, command line and directory for 1 only.
var (
	sysmonProcess = []restore{{"ProcessGuid", "process.entity_id"}, {"ProcessId", "process.pid"}, {"Image", "process.executable"}}
	sysmonCreate  = append(slices.Clone(sysmonProcess),
		restore{"CommandLine", "process.command_line"}, restore{"CurrentDirectory", "process.working_directory"},
		restore{"ParentProcessGuid", "process.parent.entity_id"}, restore{"ParentProcessId", "process.parent.pid"},
		restore{"ParentImage", "process.parent.executable"}, restore{"ParentCommandLine", "process.parent.command_line"})
	sysmonSource = []restore{{"SourceProcessGuid", "process.entity_id"}, {"SourceProcessId", "process.pid"}, {"SourceImage", "process.executable"}}
	sysmonAccess = []restore{{"SourceProcessGUID", "process.entity_id"}, {"SourceProcessId", "process.pid"}, {"SourceImage", "process.executable"}}
)

// restoreSysmon puts back into ev the process and user fields winlogbeat
// moved out of winlog.event_data, from the ECS fields it moved them to, so
// that the Windows mapping sees the event as Sysmon wrote it. A field still
// in winlog.event_data is left as it is; nothing is invented for a field the
// document has no ECS value for.
func (n *winlogbeatNormalizer) restoreSysmon(doc *fastjson.Value, ev *winevent.Event) {
	var fields []restore
	switch ev.EventID {
	case "1":
		fields = sysmonCreate
	case "8":
		fields = sysmonSource
	case "10":
		fields = sysmonAccess
	case "4", "6", "16", "255":
	default:
		fields = sysmonProcess
	}
	for _, r := range fields {
		if ev.Has(r.field) {
			continue
		}
		if v := field(doc, r.ecs); v != nil && v.Type() != fastjson.TypeNull {
			ev.Data = append(ev.Data, winevent.KV{Name: r.field, Value: n.text(v)})
		}
	}
	// User ("DOMAIN\name") becomes user.domain and user.name.
	if user := "User"; ev.EventID != "8" && ev.EventID != "10" && !ev.Has(user) {
		if name := field(doc, "user.name"); name != nil && name.Type() == fastjson.TypeString {
			u := n.text(name)
			if d := field(doc, "user.domain"); d != nil && d.Type() == fastjson.TypeString {
				u = n.text(d) + `\` + u
			}
			ev.Data = append(ev.Data, winevent.KV{Name: user, Value: u})
		}
	}
	// Hashes ("SHA256=…,MD5=…") of the process created (event 1).
	if ev.EventID == "1" && !ev.Has("Hashes") {
		var hashes []byte
		for _, algo := range []string{"md5", "sha1", "sha256", "imphash"} {
			v := field(doc, "process.hash."+algo)
			if v == nil && algo == "imphash" {
				v = field(doc, "process.pe.imphash")
			}
			if v == nil {
				v = field(doc, "hash."+algo)
			}
			if v != nil && v.Type() == fastjson.TypeString {
				if len(hashes) > 0 {
					hashes = append(hashes, ',')
				}
				hashes = append(append(append(hashes, strings.ToUpper(algo)...), '='), v.GetStringBytes()...)
			}
		}
		if len(hashes) > 0 {
			ev.Data = append(ev.Data, winevent.KV{Name: "Hashes", Value: n.keep(hashes)})
		}
	}
}

// field returns a document's field by its ECS name, nested ("process":
// {"pid": …}), dotted ("process.pid": …) or a mix of both; nil when absent.
func field(doc *fastjson.Value, name string) *fastjson.Value {
	if v := doc.Get(name); v != nil {
		return v
	}
	for i := 0; i < len(name); i++ {
		if name[i] != '.' {
			continue
		}
		if inner := doc.Get(name[:i]); inner != nil && inner.Type() == fastjson.TypeObject {
			if v := field(inner, name[i+1:]); v != nil {
				return v
			}
		}
	}
	return nil
}
