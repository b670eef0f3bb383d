package winevent

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"huntsql/loader/rows"
	schema "huntsql/sql"
)

// mapOne maps a single event and returns its non-NULL columns as text.
func mapOne(t testing.TB, ev *Event) map[string]string {
	t.Helper()
	b := rows.NewBatch(1)
	if r := NewMapper().Append(ev, Route{}, &rows.Source{}, b); r != "" {
		t.Fatal(r)
	}
	rec := rows.Record(memory.DefaultAllocator, []rows.Segment{{B: b, Rows: []int{0}}}, []rows.Ref{{}})
	defer rec.Release()
	out := map[string]string{}
	for ci, col := range rec.Columns() {
		if col.IsNull(0) {
			continue
		}
		v := col.GetOneForMarshal(0)
		if raw, ok := v.(json.RawMessage); ok {
			var x any
			if err := json.Unmarshal(raw, &x); err == nil {
				v = x
			}
		}
		out[schema.Fields[ci].Name] = fmt.Sprint(v)
	}
	return out
}

func newSysmonEvent(id string, data ...string) *Event {
	ev := &Event{Provider: ProviderSysmon, Channel: ChannelSysmon, EventID: id, TimeCreated: "2024-05-01T00:00:00Z"}
	for i := 0; i+1 < len(data); i += 2 {
		ev.Data = append(ev.Data, KV{data[i], data[i+1]})
	}
	return ev
}

func TestRegistryData(t *testing.T) {
	for details, want := range map[string][2]string{
		"DWORD (0x00000010)":            {"[16]", "SZ_DWORD"},
		"QWORD (0x00000001-0x00000002)": {"[4294967298]", "SZ_QWORD"},
		"Binary Data":                   {"[Binary Data]", "REG_BINARY"},
		`"C:\x.exe" -a`:                 {`["C:\x.exe" -a]`, "REG_SZ"},
		"DWORD (0xZZ)":                  {"[DWORD (0xZZ)]", "REG_SZ"},
	} {
		got := mapOne(t, newSysmonEvent("13", "TargetObject", `HKLM\SOFTWARE\x`, "Details", details))
		if got["registry.data.strings"] != want[0] || got["registry.data.type"] != want[1] {
			t.Errorf("%q: got %s, %s; want %s, %s", details, got["registry.data.strings"], got["registry.data.type"], want[0], want[1])
		}
	}
}

func TestRegistryPath(t *testing.T) {
	got := mapOne(t, newSysmonEvent("12", "TargetObject", `HKU\S-1-5-21-1\Software\Run`))
	want := map[string]string{"registry.path": `HKU\S-1-5-21-1\Software\Run`, "registry.hive": "HKU",
		"registry.key": `S-1-5-21-1\Software\Run`, "registry.value": "Run"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	// Old Sysmon's kernel paths name no hive.
	got = mapOne(t, newSysmonEvent("12", "TargetObject", `\REGISTRY\MACHINE\SYSTEM\x`))
	if _, ok := got["registry.hive"]; ok || got["registry.value"] != "x" {
		t.Errorf("kernel path: %v", got)
	}
}

func TestHashes(t *testing.T) {
	got := mapOne(t, newSysmonEvent("1", "Hashes", "SHA1=AB,MD5=00000000,SHA256=,IMPHASH=CD"))
	if got["process.hash.sha1"] != "ab" || got["process.pe.imphash"] != "cd" || got["related.hash"] != "[ab cd]" {
		t.Errorf("got %v", got)
	}
	for _, col := range []string{"process.hash.md5", "process.hash.sha256"} {
		if _, ok := got[col]; ok {
			t.Errorf("%s set from an empty or all-zero hash", col)
		}
	}
	// 27 and 28 keep their hashes in related.hash only.
	got = mapOne(t, newSysmonEvent("27", "Hashes", "MD5=AA"))
	if got["related.hash"] != "[aa]" || got["file.hash.md5"] != "" {
		t.Errorf("27: %v", got)
	}
}

func TestDNSResults(t *testing.T) {
	got := mapOne(t, newSysmonEvent("22", "QueryName", "a.example", "QueryResults",
		"type:  5 b.example;::ffff:10.0.0.1;[::ffff:10.0.0.2];fe80::1;garbage;type: 12;"))
	want := map[string]string{
		"dns.answers.data": "[b.example 10.0.0.1 10.0.0.2 fe80::1]",
		"dns.answers.type": "[CNAME A A AAAA]",
		"dns.resolved_ip":  "[10.0.0.1 10.0.0.2 fe80::1]",
		"related.ip":       "[10.0.0.1 10.0.0.2 fe80::1]",
		"related.hosts":    "[a.example b.example]",
		"network.protocol": "dns",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestSysmonUserAndAbsentValues(t *testing.T) {
	got := mapOne(t, newSysmonEvent("5", "User", `A\B\C`, "ProcessGuid", "{00000000-0000-0000-0000-000000000000}", "Image", "-"))
	for _, col := range []string{"user.name", "process.entity_id", "process.executable"} {
		if v, ok := got[col]; ok {
			t.Errorf("%s = %q, want NULL", col, v)
		}
	}
}

func TestSecurityParts(t *testing.T) {
	ev := &Event{Provider: ProviderSecurity, Channel: "Security", EventID: "4756", TimeCreated: "2024-05-01T00:00:00Z",
		Keywords: "0x8010000000000000", Data: []KV{
			{"MemberName", "CN=Bob,CN=Users,DC=corp,DC=example"}, {"TargetUserName", "Tier0"},
			{"TargetDomainName", "DC=corp"}, {"TargetSid", "S-1-5-21-9"}, {"SubjectUserName", "admin"}}}
	got := mapOne(t, ev)
	want := map[string]string{"user.target.name": "Bob", "user.target.domain": "example", "group.name": "Tier0",
		"group.domain": "corp", "group.id": "S-1-5-21-9", "event.outcome": "failure", "related.user": "[admin Bob]"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	// A logon: the target is user.*, "-" addresses stay NULL, and the
	// subject's logon id does not replace the new session's.
	ev = &Event{Provider: ProviderSecurity, Channel: "Security", EventID: "4624", TimeCreated: "2024-05-01T00:00:00Z",
		Data: []KV{{"SubjectUserSid", "S-1-5-18"}, {"SubjectUserName", "WS$"}, {"SubjectLogonId", "0x3e7"},
			{"TargetUserSid", "S-1-5-21-1"}, {"TargetUserName", "alice@corp.example"}, {"TargetLogonId", "0x99"},
			{"LogonType", "10"}, {"IpAddress", "-"}, {"IpPort", "-"}, {"WorkstationName", "-"}}}
	got = mapOne(t, ev)
	want = map[string]string{"user.id": "S-1-5-21-1", "user.name": "alice", "winlog.logon.id": "0x99",
		"winlog.logon.type": "RemoteInteractive", "related.user": "[alice WS$]"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("4624 %s = %q, want %q", k, got[k], v)
		}
	}
	for _, col := range []string{"source.ip", "source.port", "source.domain", "event.outcome"} {
		if v, ok := got[col]; ok {
			t.Errorf("4624 %s = %q, want NULL", col, v)
		}
	}
}

func TestAuditOutcome(t *testing.T) {
	for keywords, want := range map[string]string{
		"0x8020000000000000": "success", "0x8010000000000000": "failure", "0x8000000000000000": "",
		"-9214364837600034816": "success", "Audit Failure": "failure", "audit success": "success", "": "",
	} {
		ev := &Event{Provider: ProviderSecurity, Channel: "Security", EventID: "4674", TimeCreated: "2024-05-01T00:00:00Z", Keywords: keywords}
		if got := mapOne(t, ev)["event.outcome"]; got != want {
			t.Errorf("Keywords %q: outcome %q, want %q", keywords, got, want)
		}
	}
}

func TestUnmapIPv4(t *testing.T) {
	for in, want := range map[string]string{"::ffff:1.2.3.4": "1.2.3.4", "::FFFF:1.2.3.4": "1.2.3.4",
		"::ffff:abcd::1": "::ffff:abcd::1", "::1": "::1", "10.0.0.1": "10.0.0.1"} {
		if got := unmapIPv4(in); got != want {
			t.Errorf("unmapIPv4(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMappingsAreConsistent: every registered event has an action and its
// declared columns exist; Fields is nil for a provider huntsql does not map.
func TestMappingsAreConsistent(t *testing.T) {
	for _, m := range Mappings() {
		if m.Action == "" {
			t.Errorf("%s %s: no event.action", m.Provider, m.EventID)
		}
		if !reflect.DeepEqual(m.Fields, inSchemaOrder(append([]string(nil), m.Fields...))) {
			t.Errorf("%s %s: fields not in schema order", m.Provider, m.EventID)
		}
	}
	if Fields("Some-Provider", "1") != nil {
		t.Error("Fields of an unmapped provider is not nil")
	}
}

// FuzzSysmonEvent: any EventData maps without a panic, and a value that fails
// to decode gives a warning, never a rejected event.
func FuzzSysmonEvent(f *testing.F) {
	f.Add(1, "Hashes", "SHA1=,=,MD5")
	f.Add(22, "QueryResults", "type:;;::ffff:;[")
	f.Add(13, "Details", "QWORD (0x-0x)")
	f.Add(12, "TargetObject", `\`)
	f.Add(3, "SourcePort", "99999999999999999999")
	f.Add(1, "User", `\`)
	m := NewMapper()
	f.Fuzz(func(t *testing.T, id int, name, value string) {
		ev := newSysmonEvent(strconv.Itoa(id), name, value, "Image", value, "TargetFilename", value)
		b := rows.NewBatch(1)
		if r := m.Append(ev, Route{}, &rows.Source{}, b); r != "" || b.Len != 1 {
			t.Fatalf("rejected: %q", r)
		}
	})
}
