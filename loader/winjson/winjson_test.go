package winjson

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"huntsql/loader/ecs"
	"huntsql/loader/format"
	"huntsql/loader/rows"
	"huntsql/loader/winevent"
	"huntsql/loader/wintext"
	"huntsql/loader/winxml"
	schema "huntsql/sql"
)

var update = flag.Bool("update", os.Getenv("UPDATE_GOLDEN") != "", "rewrite golden files")

const fixtures = "../../fixtures/"

// plusOne is the zone of the NXLog fixture's host.
var plusOne = time.FixedZone("UTC+1", 3600)

// row is one archive row: column name → value as Arrow prints it; NULL
// columns are absent.
type row map[string]string

// result is what one input gives: its rows and its rejects, in input order.
type result struct {
	rows    []row
	rejects []format.Reject
}

// load runs a format's splitter and normalizer over a fixture, as the loader does.
func load(t *testing.T, f *format.Format, path string, opts format.Options) result {
	t.Helper()
	data, err := os.ReadFile(fixtures + path)
	if err != nil {
		t.Fatal(err)
	}
	sp := f.NewSplitter(bufio.NewReader(bytes.NewReader(data)), opts)
	n := f.NewNormalizer(opts)
	b := rows.NewBatch(4)
	var res result
	src := &rows.Source{File: "/in/" + path, LoadID: "load-1"}
	for {
		raw, err := sp.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n.Normalize(&raw, src, b, func(r format.Reject) { res.rejects = append(res.rejects, r) })
	}
	if err := sp.ReadErr(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	res.rows = batchRows(t, b)
	return res
}

func batchRows(t *testing.T, b *rows.Batch) []row {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	seg := rows.Segment{B: b}
	refs := make([]rows.Ref, b.Len)
	for i := range b.Len {
		seg.Rows = append(seg.Rows, i)
		refs[i] = rows.Ref{S: 0, R: int32(i)}
	}
	rec := rows.Record(mem, []rows.Segment{seg}, refs)
	defer rec.Release()
	out := make([]row, b.Len)
	for i := range out {
		out[i] = row{}
		for ci, f := range schema.Fields {
			col := rec.Column(ci)
			if col.IsValid(i) {
				out[i][f.Name] = col.ValueStr(i)
			}
		}
	}
	return out
}

func (r row) String() string {
	var lines []string
	for k, v := range r {
		lines = append(lines, fmt.Sprintf("  %s = %s", k, v))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// only returns the columns of r that keep returns true for.
func (r row) only(keep func(col string) bool) row {
	out := row{}
	for k, v := range r {
		if keep(k) {
			out[k] = v
		}
	}
	return out
}

func (r row) equal(o row) bool {
	if len(r) != len(o) {
		return false
	}
	for k, v := range r {
		if w, ok := o[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// diff lists the columns where two rows differ.
func diff(a, b row) string {
	var out []string
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		seen := map[string]bool{}
		for k := range a {
			seen[k] = true
			if !yield(k) {
				return
			}
		}
		for k := range b {
			if !seen[k] && !yield(k) {
				return
			}
		}
	}) {
		va, oka := a[k]
		vb, okb := b[k]
		if va != vb || oka != okb {
			out = append(out, fmt.Sprintf("  %s: %s | %s", k, show(va, oka), show(vb, okb)))
		}
	}
	return strings.Join(out, "\n")
}

func show(v string, ok bool) string {
	if !ok {
		return "NULL"
	}
	return v
}

// allFormats are the formats that compete for JSON and XML inputs.
var allFormats = []*format.Format{ecs.Format, winxml.Format, EVTXJSON, FlatJSON, WinlogbeatJSON}

func sniff(head []byte) (*format.Format, format.Confidence) {
	var best *format.Format
	conf := format.No
	for _, f := range allFormats {
		if c := f.Sniff(head); c > conf {
			best, conf = f, c
		}
	}
	return best, conf
}

func TestSniff(t *testing.T) {
	tests := map[string]*format.Format{
		"winjson/evtx-dump-pretty.json":             EVTXJSON,
		"winjson/evtx-dump.jsonl":                   EVTXJSON,
		"winjson/evtx-dump-bad.jsonl":               EVTXJSON,
		"winjson/nxlog.ndjson":                      FlatJSON,
		"winjson/flat-bad.ndjson":                   FlatJSON,
		"winjson/otrf-mordor.ndjson":                FlatJSON,
		"winjson/winlogbeat-sysmon-1.ndjson":        WinlogbeatJSON,
		"winjson/winlogbeat-sysmon-1-module.ndjson": WinlogbeatJSON,
		"ecs/winlogbeat-4688.ndjson":                WinlogbeatJSON,
		"winjson/sysmon-1.xml":                      winxml.Format,
		"winjson/evtx-dump.xml":                     winxml.Format,
	}
	// Every other ECS fixture stays ECS: no Windows format claims it.
	ecsFixtures, _ := filepath.Glob(fixtures + "ecs/*")
	for _, p := range ecsFixtures {
		if rel := strings.TrimPrefix(p, fixtures); tests[rel] == nil {
			tests[rel] = ecs.Format
		}
	}
	for path, want := range tests {
		data, err := os.ReadFile(fixtures + path)
		if err != nil {
			t.Fatal(err)
		}
		got, conf := sniff(data[:min(len(data), 64<<10)])
		if got != want {
			t.Errorf("%s: claimed by %v (confidence %d), want %s", path, name(got), conf, want.Name)
			continue
		}
		if want != ecs.Format && conf <= format.Fallback {
			t.Errorf("%s: %s claims it with confidence %d, not above ECS's fallback", path, want.Name, conf)
		}
	}
}

func name(f *format.Format) string {
	if f == nil {
		return "no format"
	}
	return f.Name
}

// TestSniffShapes covers shapes the fixtures do not: arrays, hits, dotted keys.
func TestSniffShapes(t *testing.T) {
	for head, want := range map[string]*format.Format{
		`[{"Event":{"System":{"EventID":1}}}]`:                                                EVTXJSON,
		`{"Event_attributes":{"xmlns":"x"},"Event":{"System_attributes":{}}}`:                 EVTXJSON,
		`{"_index":"winlogbeat-1","_source":{"winlog":{"channel":"Security"}}}`:               WinlogbeatJSON,
		`{"@timestamp":"t","winlog.event_id":"4688","winlog.channel":"Security"}`:             WinlogbeatJSON,
		`{"winlog.event_data.CommandLine":"x","@timestamp":"t"}`:                              WinlogbeatJSON,
		`{"event_id":4688,"computer_name":"WS1","CommandLine":"x"}`:                           FlatJSON,
		`{"EventId":1,"ProviderName":"Microsoft-Windows-Sysmon","Image":"x"}`:                 FlatJSON,
		`{"_index":"logs-endpoint-winevent-sysmon","_source":{"EventID":1,"Hostname":"WS1"}}`: FlatJSON,
		`{"EventID":4688}`: ecs.Format, // an id alone says too little
		`{"EventID":4688,"winlog":{},"Channel":"Security"}`:                ecs.Format,
		`{"@timestamp":"t","event":{"code":"4688"},"host":{"name":"WS1"}}`: ecs.Format,
		`{"@timestamp":"t","Event":"login"}`:                               ecs.Format,
	} {
		if got, _ := sniff([]byte(head)); got != want {
			t.Errorf("%s: claimed by %s, want %s", head, name(got), want.Name)
		}
	}
}

// TestGolden pins every row and reject of each fixture.
func TestGolden(t *testing.T) {
	opts := format.Options{TimeZone: plusOne}
	for _, tc := range []struct {
		f    *format.Format
		path string
	}{
		{EVTXJSON, "winjson/evtx-dump-pretty.json"},
		{EVTXJSON, "winjson/evtx-dump.jsonl"},
		{EVTXJSON, "winjson/evtx-dump-bad.jsonl"},
		{EVTXJSON, "winjson/velociraptor.ndjson"},
		{FlatJSON, "winjson/nxlog.ndjson"},
		{FlatJSON, "winjson/otrf-mordor.ndjson"},
		{FlatJSON, "winjson/flat-bad.ndjson"},
		{WinlogbeatJSON, "winjson/winlogbeat-sysmon-1.ndjson"},
		{WinlogbeatJSON, "winjson/winlogbeat-sysmon-1-module.ndjson"},
		{WinlogbeatJSON, "ecs/winlogbeat-4688.ndjson"},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			res := load(t, tc.f, tc.path, opts)
			var sb strings.Builder
			for i, r := range res.rows {
				delete(r, schema.Original) // the record's text: pinned by TestOriginalIsTheRecord
				fmt.Fprintf(&sb, "row %d\n%s\n", i+1, r)
			}
			for _, r := range res.rejects {
				fmt.Fprintf(&sb, "reject line %d offset %d: %s\n", r.Line, r.Offset, r.Reason)
			}
			golden := filepath.Join("testdata", "golden", filepath.Base(tc.path)+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(sb.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with UPDATE_GOLDEN=1 to create it)", err)
			}
			if got := sb.String(); got != string(want) {
				t.Errorf("%s differs from %s (UPDATE_GOLDEN=1 rewrites it; review the diff):\n%s", tc.path, golden, got)
			}
		})
	}
}

// TestOriginalIsTheRecord: event.original is each record's exact text, at
// its line and offset; evtx_dump's Record lines are not part of it.
func TestOriginalIsTheRecord(t *testing.T) {
	for _, tc := range []struct {
		f    *format.Format
		path string
	}{
		{EVTXJSON, "winjson/evtx-dump-pretty.json"},
		{EVTXJSON, "winjson/evtx-dump.jsonl"},
		{FlatJSON, "winjson/nxlog.ndjson"},
		{WinlogbeatJSON, "winjson/winlogbeat-sysmon-1.ndjson"},
	} {
		data, _ := os.ReadFile(fixtures + tc.path)
		res := load(t, tc.f, tc.path, format.Options{TimeZone: plusOne})
		if len(res.rows) != 4 && tc.f == EVTXJSON || len(res.rows) == 0 || len(res.rejects) > 0 {
			t.Fatalf("%s: %d rows, rejects %v", tc.path, len(res.rows), res.rejects)
		}
		for i, r := range res.rows {
			var off, line int
			fmt.Sscan(r[schema.SourceOffset], &off)
			fmt.Sscan(r[schema.SourceLine], &line)
			orig := r[schema.Original]
			if !bytes.HasPrefix(data[off:], []byte(orig)) || orig[0] != '{' || orig[len(orig)-1] != '}' {
				t.Errorf("%s row %d: event.original is not the record at offset %d: %.40q", tc.path, i+1, off, orig)
			}
			if want := bytes.Count(data[:off], []byte{'\n'}) + 1; line != want {
				t.Errorf("%s row %d: line %d, want %d", tc.path, i+1, line, want)
			}
			if tc.path == "winjson/evtx-dump-pretty.json" && !bytes.HasSuffix(data[:off], []byte(fmt.Sprintf("Record %d\n", i+1))) {
				t.Errorf("%s row %d: record does not follow its Record line", tc.path, i+1)
			}
		}
	}
}

// noProvenance drops the columns that say where a row came from, not what
// the event is.
func noProvenance(col string) bool {
	return col != schema.Original && !strings.HasPrefix(col, "huntsql.")
}

// TestEVTXJSONSameAsXML: evtx_dump's JSON of an event gives the row the
// event's XML gives, column for column, in both of its layouts; so do
// Velociraptor's parse_evtx rows.
func TestEVTXJSONSameAsXML(t *testing.T) {
	xml := load(t, winxml.Format, "winjson/evtx-dump.xml", format.Options{})
	if len(xml.rows) != 4 || len(xml.rejects) > 0 {
		t.Fatalf("XML: %d rows, rejects %v", len(xml.rows), xml.rejects)
	}
	for _, path := range []string{"winjson/evtx-dump-pretty.json", "winjson/evtx-dump.jsonl", "winjson/velociraptor.ndjson"} {
		js := load(t, EVTXJSON, path, format.Options{})
		if len(js.rows) != len(xml.rows) {
			t.Fatalf("%s: %d rows, want %d (rejects %v)", path, len(js.rows), len(xml.rows), js.rejects)
		}
		for i := range js.rows {
			a, b := xml.rows[i].only(noProvenance), js.rows[i].only(noProvenance)
			if !a.equal(b) {
				t.Errorf("%s row %d differs from the XML's (XML | JSON):\n%s", path, i+1, diff(a, b))
			}
		}
	}
}

// crossRoute are the columns the same event must fill identically by every route.
func crossRoute(col string) bool {
	switch col {
	case "event.code", "event.action", "event.category", "event.type", "event.outcome", "host.name", "related.user":
		return true
	}
	return strings.HasPrefix(col, "process.") || strings.HasPrefix(col, "user.")
}

// TestCrossRoute: the same process creation, by the Security log (4688) and
// by Sysmon (1), read from XML, from evtx_dump JSON, from winlogbeat JSON and
// from flat JSON, gives the same process, user and event columns.
func TestCrossRoute(t *testing.T) {
	opts := format.Options{TimeZone: plusOne}
	pick := func(res result, path string, recordID string) row {
		t.Helper()
		for _, r := range res.rows {
			if r["winlog.record_id"] == recordID {
				return r
			}
		}
		t.Fatalf("%s: no row with record id %s (rejects %v)", path, recordID, res.rejects)
		return nil
	}
	type route struct {
		name string
		f    *format.Format
		path string
		opts format.Options
	}
	for _, tc := range []struct {
		event, recordID string
		routes          []route
		want            row // the columns every route must have, at least
	}{
		{
			event: "Security 4688", recordID: "1450331",
			routes: []route{
				{"XML", winxml.Format, "winxml/wevtutil-security.xml", opts},
				{"evtx_dump json", EVTXJSON, "winjson/evtx-dump-pretty.json", opts},
				{"evtx_dump jsonl", EVTXJSON, "winjson/evtx-dump.jsonl", opts},
				{"Velociraptor", EVTXJSON, "winjson/velociraptor.ndjson", opts},
				{"winlogbeat", WinlogbeatJSON, "ecs/winlogbeat-4688.ndjson", opts},
				{"NXLog", FlatJSON, "winjson/nxlog.ndjson", opts},
				{"OTRF", FlatJSON, "winjson/otrf-mordor.ndjson", opts},
				{"Splunk classic text", wintext.Format, "wintext/cross-route-4688.txt", opts},
			},
			want: row{"process.name": "python.exe", "process.parent.name": "cmd.exe", "process.pid": "6700",
				"process.parent.pid": "3700", "user.name": "alice", "event.action": "created-process", "event.outcome": "success", "host.name": "WS1.corp.example"},
		},
		{
			event: "Sysmon 1", recordID: "88231",
			routes: []route{
				{"XML", winxml.Format, "winjson/sysmon-1.xml", opts},
				{"evtx_dump json", EVTXJSON, "winjson/evtx-dump-pretty.json", opts},
				{"evtx_dump jsonl", EVTXJSON, "winjson/evtx-dump.jsonl", opts},
				{"Velociraptor", EVTXJSON, "winjson/velociraptor.ndjson", opts},
				{"winlogbeat", WinlogbeatJSON, "winjson/winlogbeat-sysmon-1.ndjson", opts},
				{"winlogbeat, sysmon module", WinlogbeatJSON, "winjson/winlogbeat-sysmon-1-module.ndjson", opts},
				{"NXLog", FlatJSON, "winjson/nxlog.ndjson", opts},
				{"OTRF", FlatJSON, "winjson/otrf-mordor.ndjson", opts},
				{"Splunk classic text", wintext.Format, "wintext/twin-sysmon-1.txt", opts},
			},
			want: row{"event.code": "1", "host.name": "WS1.corp.example", "process.name": "python.exe",
				"process.entity_id": "{6F9463F8-8DA1-606A-852E-000000001800}", "process.parent.name": "cmd.exe",
				"process.working_directory": `C:\Users\alice\`, "user.name": "alice", "event.action": "Process creation"},
		},
	} {
		t.Run(tc.event, func(t *testing.T) {
			ref := pick(load(t, tc.routes[0].f, tc.routes[0].path, tc.routes[0].opts), tc.routes[0].path, tc.recordID).only(crossRoute)
			for k, v := range tc.want {
				if ref[k] != v {
					t.Errorf("%s by XML: %s = %q, want %q", tc.event, k, ref[k], v)
				}
			}
			for _, rt := range tc.routes[1:] {
				got := pick(load(t, rt.f, rt.path, rt.opts), rt.path, tc.recordID).only(crossRoute)
				if !ref.equal(got) {
					t.Errorf("%s by %s (%s) differs from XML (XML | %s):\n%s", tc.event, rt.name, rt.path, rt.name, diff(ref, got))
				}
			}
		})
	}
}

// TestFlatSpellings: the snake_case spellings some pipelines write give the
// same event as NXLog's (but for event.outcome: that record has no Keywords).
func TestFlatSpellings(t *testing.T) {
	res := load(t, FlatJSON, "winjson/otrf-mordor.ndjson", format.Options{})
	if len(res.rows) != 3 {
		t.Fatalf("%d rows, rejects %v", len(res.rows), res.rejects)
	}
	same := func(col string) bool {
		return crossRoute(col) && col != "event.outcome" || col == "winlog.channel" || col == "winlog.provider_name" || col == "winlog.computer_name" || col == "event.dataset"
	}
	if a, b := res.rows[0].only(same), res.rows[2].only(same); !a.equal(b) {
		t.Errorf("snake_case spellings differ from NXLog's:\n%s", diff(a, b))
	}
}

// TestFlatTime: NXLog's zone-less EventTime is read in the load's time zone;
// @timestamp (UTC) wins over it.
func TestFlatTime(t *testing.T) {
	for _, tc := range []struct {
		path string
		tz   *time.Location
		want string
	}{
		{"winjson/nxlog.ndjson", plusOne, "2026-03-01T12:05:00"},
		{"winjson/nxlog.ndjson", nil, "2026-03-01T13:05:00"},
		{"winjson/otrf-mordor.ndjson", plusOne, "2026-03-01T12:05:00.123"},
	} {
		res := load(t, FlatJSON, tc.path, format.Options{TimeZone: tc.tz})
		if got := res.rows[0][schema.Timestamp]; got != tc.want {
			t.Errorf("%s in %v: @timestamp %s, want %s", tc.path, tc.tz, got, tc.want)
		}
	}
}

// TestRejects: each bad record is rejected with a reason naming what is
// wrong, at its line, and the records after it still load.
func TestRejects(t *testing.T) {
	for _, tc := range []struct {
		f    *format.Format
		path string
		want []string // "line: reason part"
		rows int
	}{
		{EVTXJSON, "winjson/evtx-dump-bad.jsonl", []string{
			"1: evtx_dump JSON record has no Event.System.TimeCreated SystemTime attribute",
			"2: evtx_dump JSON record has no Event object (nor a System object, as Velociraptor writes)",
			"3: evtx_dump JSON record has no Event.System object",
			"4: unparseable System/TimeCreated/@SystemTime",
			"5: evtx_dump JSON: not a JSON object (a JSON string)",
			"6: evtx_dump JSON: invalid JSON: unexpected end of JSON input",
		}, 1},
		{FlatJSON, "winjson/flat-bad.ndjson", []string{
			"1: flat Windows event JSON record has no event time (EventTime, TimeCreated, @timestamp or TimeGenerated)",
			`2: flat Windows event JSON: unparseable EventTime: "01/03/2026 13:05": not an ISO 8601 date-time`,
			"3: flat Windows event JSON: not a JSON object (a JSON number)",
			"4: flat Windows event JSON: invalid UTF-8 at byte 103 of the record",
		}, 1},
	} {
		res := load(t, tc.f, tc.path, format.Options{})
		if len(res.rows) != tc.rows {
			t.Errorf("%s: %d rows, want %d", tc.path, len(res.rows), tc.rows)
		}
		if len(res.rejects) != len(tc.want) {
			t.Errorf("%s: %d rejects, want %d: %v", tc.path, len(res.rejects), len(tc.want), res.rejects)
			continue
		}
		for i, r := range res.rejects {
			line, reason, _ := strings.Cut(tc.want[i], ": ")
			if fmt.Sprint(r.Line) != line || !strings.HasPrefix(r.Reason, reason) {
				t.Errorf("%s reject %d: line %d %q, want line %s %q", tc.path, i+1, r.Line, r.Reason, line, reason)
			}
		}
	}
}

// TestRecordHeaders: only whole "Record N" lines are blanked, whatever the
// read sizes, and nothing else changes.
func TestRecordHeaders(t *testing.T) {
	in := "Record 1\n{\"a\":\"Record 2\"}\r\nRecord 22\r\n{\n\"Record 3\": 1}\nRecord x\nRecord 4"
	want := "        \n{\"a\":\"Record 2\"}\r\n         \r\n{\n\"Record 3\": 1}\nRecord x\n        "
	for _, size := range []int{16, 32, 4096} {
		h := &recordHeaders{r: bufio.NewReaderSize(strings.NewReader(in), size), bol: true}
		got, err := io.ReadAll(h)
		if err != nil || string(got) != want {
			t.Errorf("buffer %d: %q, %v; want %q", size, got, err, want)
		}
	}
}

// FuzzEVTXJSON: any record is rejected with a reason or gives one row.
func FuzzEVTXJSON(f *testing.F) {
	for _, path := range []string{"winjson/evtx-dump.jsonl", "winjson/evtx-dump-bad.jsonl", "winjson/velociraptor.ndjson", "winjson/nxlog.ndjson"} {
		data, _ := os.ReadFile(fixtures + path)
		for _, line := range bytes.Split(data, []byte("\n")) {
			f.Add(line)
		}
	}
	normalizers := []format.Single{
		(&evtxNormalizer{m: newMapper()}).Normalize,
		(&flatNormalizer{m: newMapper(), loc: plusOne}).Normalize,
		(&winlogbeatNormalizer{ecs: ecs.NewNormalizer(), m: newMapper()}).Normalize,
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, n := range normalizers {
			b := rows.NewBatch(1)
			reason := n(&rows.Raw{Data: in}, &rows.Source{}, b)
			if (reason == "") != (b.Len == 1) {
				t.Fatalf("reason %q with %d rows", reason, b.Len)
			}
		}
	})
}

// FuzzEVTXSplitter: every record is the input's bytes at its offset and line,
// but for Record lines, which are never part of a record.
func FuzzEVTXSplitter(f *testing.F) {
	data, _ := os.ReadFile(fixtures + "winjson/evtx-dump-pretty.json")
	f.Add(data[:min(len(data), 2000)])
	f.Add([]byte("Record 1\n{}\nRecord 2\n{\"a\":[1,\n2]}\n"))
	f.Add([]byte("Record 1\r\n{\"Record 1\":\"Record 2\"}"))
	f.Fuzz(func(t *testing.T, in []byte) {
		sp := newEVTXSplitter(bufio.NewReaderSize(bytes.NewReader(in), 16), format.Options{MaxRecord: 4096})
		for n := 0; ; n++ {
			r, err := sp.Next()
			if err == io.EOF {
				return
			}
			if n > len(in)+1 || r.Offset > int64(len(in)) {
				t.Fatalf("record %d at offset %d of %d bytes", n, r.Offset, len(in))
			}
			if want := int64(bytes.Count(in[:r.Offset], []byte{'\n'})) + 1; r.Line != want {
				t.Fatalf("line %d, want %d", r.Line, want)
			}
			if r.Reject == "" && r.Size == 0 && !bytes.HasPrefix(in[r.Offset:], r.Data) {
				t.Fatalf("record at %d is not the input's bytes: %q", r.Offset, r.Data)
			}
		}
	})
}

func newMapper() *winevent.Mapper { return winevent.NewMapper() }

// TestFlatHeaderRules: which members are the System header and which are
// EventData when a name could be either.
func TestFlatHeaderRules(t *testing.T) {
	n := &flatNormalizer{m: newMapper(), loc: time.UTC}
	for _, tc := range []struct {
		in         string
		data, drop []string // members expected in EventData / absent from it
		check      func(ev *winevent.Event) string
		want       string
	}{
		{
			in:   `{"EventTime":"2026-03-01 12:00:00","EventID":5156,"ExecutionProcessID":4,"ProcessID":"1234","Application":"x","EventType":"AUDIT_SUCCESS"}`,
			data: []string{"ProcessID", "Application"}, drop: []string{"ExecutionProcessID", "EventType", "EventTime", "EventID"},
			check: func(ev *winevent.Event) string { return ev.ProcessID },
			want:  "4",
		},
		{
			in:   `{"EventTime":"2026-03-01 12:00:00","EventID":4656,"ProcessID":892,"ThreadID":908,"ProcessName":"svchost.exe"}`,
			data: []string{"ProcessName"}, drop: []string{"ProcessID", "ThreadID"},
			check: func(ev *winevent.Event) string { return ev.ProcessID + "/" + ev.ThreadID },
			want:  "892/908",
		},
		{
			in:   `{"@timestamp":"2026-03-01T12:00:00Z","EventID":13,"EventType":"SetValue","host":"collector","port":5044,"tags":["x"],"@version":"1","Domain":"NT AUTHORITY","AccountName":"SYSTEM","UserID":"S-1-5-18"}`,
			data: []string{"EventType"}, drop: []string{"host", "port", "tags", "@version", "Domain", "AccountName", "UserID"},
			check: func(ev *winevent.Event) string { return ev.UserID },
			want:  "S-1-5-18",
		},
		{
			in:   `{"_index":"logs-endpoint-winevent-sysmon","_id":"x","_source":{"@timestamp":"2026-03-01T12:00:00Z","EventID":1,"Hostname":"WS1","Image":"a.exe"}}`,
			data: []string{"Image"}, drop: []string{"_index", "_id", "_source", "Hostname"},
			check: func(ev *winevent.Event) string { return ev.EventID + " " + ev.Computer },
			want:  "1 WS1",
		},
		{
			in:   `{"TimeCreated":"2026-03-01T12:00:00Z","event_id":1,"Keywords":"9232379236109516800","Task":"Process Creation","Opcode":"Info","EventData":{"Image":"a.exe"}}`,
			data: []string{"Image"}, drop: []string{"EventData", "Keywords", "Task", "Opcode"},
			check: func(ev *winevent.Event) string {
				return ev.Keywords + " " + ev.Rendered["Task"] + " " + ev.Rendered["Opcode"]
			},
			want: "0x8020000000000000 Process Creation Info",
		},
	} {
		var ev winevent.Event
		if reason := n.parse([]byte(tc.in), &ev); reason != "" {
			t.Errorf("%s: %s", tc.in, reason)
			continue
		}
		for _, k := range tc.data {
			if !ev.Has(k) {
				t.Errorf("%s: %s is not EventData: %v", tc.in, k, ev.Data)
			}
		}
		for _, k := range tc.drop {
			if ev.Has(k) {
				t.Errorf("%s: %s is EventData: %v", tc.in, k, ev.Data)
			}
		}
		if got := tc.check(&ev); got != tc.want {
			t.Errorf("%s: header %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestOverlay: what the Windows mapping overrides in a winlogbeat document,
// and what it leaves.
func TestOverlay(t *testing.T) {
	n := WinlogbeatJSON.NewNormalizer(format.Options{})
	one := func(doc string) row {
		t.Helper()
		b := rows.NewBatch(1)
		n.Normalize(&rows.Raw{Data: []byte(doc), Line: 1}, &rows.Source{}, b, func(r format.Reject) { t.Fatalf("reject: %s", r.Reason) })
		return batchRows(t, b)[0]
	}
	const sec = `"winlog":{"channel":"Security","provider_name":"Microsoft-Windows-Security-Auditing","event_id":"4688","computer_name":"WS1",` +
		`"event_data":{"SubjectUserName":"alice","NewProcessName":"C:\\x\\a.exe","ProcessId":"0x10","TargetUserSid":"S-1-0-0","TargetUserName":"-"}}`
	for _, tc := range []struct {
		name, doc string
		want      row // column → value; "" means NULL
	}{
		{
			"mapped provider: who-did-what columns are the mapping's, the rest stays",
			`{"@timestamp":"2026-03-01T12:00:00Z","host":{"name":"collector"},"agent":{"type":"winlogbeat"},` +
				`"process":{"name":"wrong.exe","title":"t"},"user":{"effective":{"name":"bob"}},"event":{"action":"Process Create"},` + sec + `}`,
			row{"process.name": "a.exe", "process.title": "", "process.parent.pid": "16", "user.effective.name": "", "user.name": "alice",
				"event.action": "created-process", "host.name": "collector", "agent.type": "winlogbeat", "event.code": "4688",
				"event.dataset": "system.security", "winlog.computer_name": "WS1"},
		},
		{
			"unmapped provider: the document's columns stay; System columns fill the gaps",
			`{"@timestamp":"2026-03-01T12:00:00Z","process":{"name":"app.exe"},"event":{"action":"started"},` +
				`"winlog":{"channel":"Contoso/Operational","provider_name":"Contoso-App","event_id":7,"computer_name":"WS2","record_id":"12"}}`,
			row{"process.name": "app.exe", "event.action": "started", "host.name": "WS2", "event.code": "7",
				"event.provider": "Contoso-App", "event.dataset": "windows.forwarded", "winlog.record_id": "12", "host.os.type": "windows"},
		},
		{
			"not a Windows event: plain ECS",
			`{"@timestamp":"2026-03-01T12:00:00Z","process":{"name":"bash"},"host":{"name":"web-01"}}`,
			row{"process.name": "bash", "host.name": "web-01", "event.code": "", "host.os.type": ""},
		},
	} {
		got := one(tc.doc)
		for col, want := range tc.want {
			if got[col] != want {
				t.Errorf("%s: %s = %q, want %q", tc.name, col, got[col], want)
			}
		}
	}
}

func TestEpochSeconds(t *testing.T) {
	for in, want := range map[string]string{
		"1744233485.0778975":    "2025-04-09T21:18:05.0778975Z",
		"1744233485":            "2025-04-09T21:18:05Z",
		"0.5":                   "1970-01-01T00:00:00.5Z",
		"1744233485.123456789":  "2025-04-09T21:18:05.123456789Z",
		"1744233485.1234567891": "2025-04-09T21:18:05.123456789Z", // beyond nanoseconds: truncated
		"-1":                    "",
		"1.7e9":                 "",
		"999999999999":          "", // after the year 9999
	} {
		got, ok := epochSeconds(in)
		if got != want || ok != (want != "") {
			t.Errorf("epochSeconds(%s) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
