package winjson

import (
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"huntsql/loader/rows"
	"huntsql/loader/winevent"
)

// evtxNormalizer maps evtx_dump JSON records (and Velociraptor's parse_evtx
// rows, the same tree without the Event wrapper, attributes as plain
// children, EventID as {"Value": …}, SystemTime as epoch seconds and Keywords
// as a decimal number). evtx_dump's shape, per record:
//
//	{"Event": {"#attributes": {"xmlns": …},
//	  "System": {"Provider": {"#attributes": {"Name": …, "Guid": …}},
//	             "EventID": 4688 | {"#attributes": {"Qualifiers": …}, "#text": 7036},
//	             "TimeCreated": {"#attributes": {"SystemTime": …}}, "EventRecordID": …,
//	             "Execution": {"#attributes": {"ProcessID": …, "ThreadID": …}},
//	             "Channel": …, "Computer": …, "Security": {"#attributes": {"UserID": …}} | null, …},
//	  "EventData": {"Name": value, …} | {"Data": {"#text": [v, …]}} | {"Data": v} | null,
//	  "UserData": {"Wrapper": {"Field": value, …}}}}
//
// With --separate-json-attributes, attributes sit beside their element as
// "X_attributes" instead of inside it as "#attributes"; both are read.
type evtxNormalizer struct {
	texts
	p  fastjson.Parser
	ev winevent.Event
	m  *winevent.Mapper
}

func (n *evtxNormalizer) Normalize(raw *rows.Raw, src *rows.Source, b *rows.Batch) string {
	if reason := n.parse(raw.Data, &n.ev); reason != "" {
		return reason
	}
	return n.m.Append(&n.ev, winevent.Route{Original: raw.Text(), Line: raw.Line, Offset: raw.Offset}, src, b)
}

// parse fills ev from one evtx_dump record as the XML route fills it from the
// record's XML: every value the text the XML would hold.
func (n *evtxNormalizer) parse(data []byte, ev *winevent.Event) string {
	doc, reason := parseObject(&n.p, data)
	if reason != "" {
		return "evtx_dump JSON: " + reason
	}
	e := doc.Get("Event")
	if e == nil && isObject(doc.Get("System")) {
		e = doc // Velociraptor's parse_evtx: System and EventData at the top
	}
	if !isObject(e) {
		return "evtx_dump JSON record has no Event object (nor a System object, as Velociraptor writes)"
	}
	sys := e.Get("System")
	if !isObject(sys) {
		return "evtx_dump JSON record has no Event.System object"
	}
	ev.Reset()
	ev.Provider = n.attr(sys, "Provider", "Name")
	ev.ProviderGUID = n.attr(sys, "Provider", "Guid")
	ev.EventSource = n.attr(sys, "Provider", "EventSourceName")
	if id := sys.Get("EventID", "Value"); id != nil {
		ev.EventID = n.evtxText(id) // {"Value": …, "Qualifiers": …}: Velociraptor
	} else {
		ev.EventID = n.evtxText(sys.Get("EventID"))
	}
	ev.Qualifiers = n.attr(sys, "EventID", "Qualifiers")
	ev.Version = n.evtxText(sys.Get("Version"))
	ev.Level = n.evtxText(sys.Get("Level"))
	ev.Task = n.evtxText(sys.Get("Task"))
	ev.Opcode = n.evtxText(sys.Get("Opcode"))
	ev.Keywords = hexKeywords(n.evtxText(sys.Get("Keywords"))) // Velociraptor: a decimal number
	ev.TimeCreated = n.attr(sys, "TimeCreated", "SystemTime")
	if t := sys.Get("TimeCreated", "SystemTime"); t != nil && t.Type() == fastjson.TypeNumber {
		// Velociraptor writes FILETIMEs as epoch seconds (1744233485.0778975).
		iso, ok := epochSeconds(ev.TimeCreated)
		if !ok {
			return "EVTX JSON record's Event.System.TimeCreated SystemTime is not epoch seconds: " + ev.TimeCreated
		}
		ev.TimeCreated = iso
	}
	ev.RecordID = n.evtxText(sys.Get("EventRecordID"))
	ev.ActivityID = n.attr(sys, "Correlation", "ActivityID")
	ev.ProcessID = n.attr(sys, "Execution", "ProcessID")
	ev.ThreadID = n.attr(sys, "Execution", "ThreadID")
	ev.Channel = n.evtxText(sys.Get("Channel"))
	ev.Computer = n.evtxText(sys.Get("Computer"))
	ev.UserID = n.attr(sys, "Security", "UserID")
	if ev.TimeCreated == "" {
		return "evtx_dump JSON record has no Event.System.TimeCreated SystemTime attribute"
	}
	if d := e.Get("EventData"); d != nil && d.Type() == fastjson.TypeObject {
		n.eventData(d, ev)
	}
	if u := e.Get("UserData"); u != nil && u.Type() == fastjson.TypeObject {
		n.userData(u, ev)
	}
	if m := doc.Get("Message"); e == doc && m != nil && m.Type() == fastjson.TypeString {
		ev.SetRendered("Message", n.text(m)) // Velociraptor, with a message database
	}
	if r := e.Get("RenderingInfo"); r != nil && r.Type() == fastjson.TypeObject {
		for _, name := range []string{"Message", "Level", "Task", "Opcode", "Channel", "Provider"} {
			if v := r.Get(name); v != nil {
				ev.SetRendered(name, n.evtxText(v))
			}
		}
	}
	return ""
}

// attr returns attribute a of System element el, wherever the writer put it:
// in "#attributes", in a separate "el_attributes", or as a plain child.
func (n *evtxNormalizer) attr(sys *fastjson.Value, el, a string) string {
	if v := sys.Get(el, "#attributes", a); v != nil {
		return n.evtxText(v)
	}
	if v := sys.Get(el+"_attributes", a); v != nil {
		return n.evtxText(v)
	}
	if v := sys.Get(el); v != nil && v.Type() == fastjson.TypeObject {
		return n.evtxText(v.Get(a))
	}
	return ""
}

// eventData fills ev.Data: named Data elements are members; unnamed ones are
// "Data" (one value, an array, or {"#text": value or array}) and are named
// param1, param2, … as the XML route names them.
func (n *evtxNormalizer) eventData(d *fastjson.Value, ev *winevent.Event) {
	unnamed := 0
	add := func(v *fastjson.Value) {
		unnamed++
		ev.Data = append(ev.Data, winevent.KV{Name: "param" + strconv.Itoa(unnamed), Value: n.evtxText(v)})
	}
	d.GetObject().Visit(func(k []byte, v *fastjson.Value) {
		if isAttributes(k, v) {
			return
		}
		switch string(k) {
		case "Data":
			if t := v.Get("#text"); v.Type() == fastjson.TypeObject && t != nil {
				v = t
			}
			switch v.Type() {
			case fastjson.TypeNull:
			case fastjson.TypeArray:
				for _, e := range v.GetArray() {
					add(e)
				}
			default:
				add(v)
			}
			return
		case "Binary":
			if v.Type() == fastjson.TypeNull {
				return // evtx_dump writes "Binary": null where the XML has no <Binary>
			}
		}
		ev.Data = append(ev.Data, winevent.KV{Name: n.keep(k), Value: n.evtxText(v)})
	})
}

// userData flattens {"Wrapper": {"Field": value, …}} as the XML route
// flattens <UserData><Wrapper><Field>…: one pair per field, with the field's
// text content.
func (n *evtxNormalizer) userData(u *fastjson.Value, ev *winevent.Event) {
	ev.UserData = true
	u.GetObject().Visit(func(k []byte, wrapper *fastjson.Value) {
		if isAttributes(k, wrapper) || wrapper.Type() != fastjson.TypeObject {
			return
		}
		wrapper.GetObject().Visit(func(k []byte, v *fastjson.Value) {
			if !isAttributes(k, v) {
				ev.Data = append(ev.Data, winevent.KV{Name: n.keep(k), Value: n.evtxText(v)})
			}
		})
	})
}

// evtxText is text with GUIDs as Windows renders them: evtx_dump writes a
// GUID-typed value bare ("54849625-5478-4994-A5BA-3E3B0328C30D"), the event's
// XML rendering in braces ("{54849625-…}"), and the same event must give the
// same row by both routes.
func (t *texts) evtxText(v *fastjson.Value) string {
	t.scratch = appendText(t.scratch[:0], v)
	if v != nil && v.Type() == fastjson.TypeString && isBareGUID(t.scratch) {
		t.scratch = append(append(append(t.scratch[:0], '{'), v.GetStringBytes()...), '}')
	}
	return t.keep(t.scratch)
}

// isBareGUID reports whether s is hhhhhhhh-hhhh-hhhh-hhhh-hhhhhhhhhhhh.
func isBareGUID(s []byte) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

func isObject(v *fastjson.Value) bool { return v != nil && v.Type() == fastjson.TypeObject }

// epochSeconds turns epoch seconds written as a JSON number (digits, an
// optional fraction) into an ISO 8601 UTC time, read from the text so that no
// digit is lost to floating point.
func epochSeconds(s string) (string, bool) {
	whole, frac, _ := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || len(frac) > 9 && strings.Trim(frac[9:], "0123456789") != "" {
		return "", false
	}
	frac = (frac + "000000000")[:9]
	ns, err := strconv.ParseInt(frac, 10, 64)
	if err != nil || sec < 0 || sec > 253402300799 {
		return "", false
	}
	return time.Unix(sec, ns).UTC().Format("2006-01-02T15:04:05.999999999Z"), true
}
