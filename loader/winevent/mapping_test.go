package winevent_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"huntsql/internal/golden"
	"huntsql/loader/rows"
	"huntsql/loader/winevent"
	"huntsql/loader/winxml"
	schema "huntsql/sql"
)

// row is one mapped event: column name → value (non-NULL columns only).
type row map[string]any

// loadFixture maps every event of an XML fixture through winxml and the
// shared Windows mapping, and returns the rows.
func loadFixture(t *testing.T, path string) []row {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sp := winxml.NewSplitter(f, 1<<20)
	n := winxml.NewNormalizer()
	b := rows.NewBatch(64)
	src := &rows.Source{File: path, LoadID: "test"}
	for {
		raw, err := sp.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if raw.Reject != "" {
			t.Fatalf("%s:%d: %s", path, raw.Line, raw.Reject)
		}
		if reason := n.Normalize(&raw, src, b); reason != "" {
			t.Fatalf("%s:%d: %s", path, raw.Line, reason)
		}
	}
	seg := rows.Segment{B: b}
	refs := make([]rows.Ref, b.Len)
	for i := range b.Len {
		seg.Rows = append(seg.Rows, i)
		refs[i] = rows.Ref{S: 0, R: int32(i)}
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := rows.Record(mem, []rows.Segment{seg}, refs)
	defer rec.Release()
	out := make([]row, rec.NumRows())
	for i := range out {
		out[i] = row{}
		for ci, col := range rec.Columns() {
			if col.IsNull(i) {
				continue
			}
			out[i][schema.Fields[ci].Name] = value(col, i)
		}
	}
	return out
}

// value reads row i of an Arrow column as a plain Go value.
func value(col arrow.Array, i int) any {
	v := col.GetOneForMarshal(i)
	if raw, ok := v.(json.RawMessage); ok {
		var x any
		if err := json.Unmarshal(raw, &x); err == nil {
			return x
		}
	}
	return v
}

// unmapped are the columns a golden leaves out: what every event gets (the
// loader's goldens cover them) and provenance.
var unmapped = append(slices.Clone(winevent.CommonFields), schema.SourceFile, schema.SourceLine,
	schema.SourceOffset, schema.LoadID, schema.InputSHA256, schema.Warnings)

// mapped renders the columns an event's mapping set, as one JSON line
// (event.code first, then in schema order).
func mapped(r row) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"event.code":%q`, r["event.code"])
	for _, f := range schema.Fields {
		v, ok := r[f.Name]
		if !ok || slices.Contains(unmapped, f.Name) {
			continue
		}
		j, _ := json.Marshal(v)
		fmt.Fprintf(&b, ",%q:%s", f.Name, j)
	}
	b.WriteString("}\n")
	return b.String()
}

var fixtures = []string{"sysmon-real.xml", "sysmon-schema.xml", "security-real.xml", "security-schema.xml"}

// TestMappingGolden: each fixture event's mapped columns match the golden.
func TestMappingGolden(t *testing.T) {
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			for _, r := range loadFixture(t, filepath.Join("testdata", name)) {
				if w, ok := r[schema.Warnings]; ok {
					t.Errorf("event %v: warnings %v", r["event.code"], w)
				}
				out.WriteString(mapped(r))
			}
			golden.Check(t, filepath.Join("testdata", "golden", strings.TrimSuffix(name, ".xml")+".ndjson"), out.Bytes())
		})
	}
}

// TestFieldsCoverRows: every column a fixture row sets is declared by
// CommonFields or Fields(provider, id), so the declared table (docs, Sigma
// coverage) never understates what the mapping fills; and every column a
// mapping declares is filled by some fixture, so it never overstates it.
func TestFieldsCoverRows(t *testing.T) {
	filled := map[string]map[string]bool{} // provider/id → columns seen
	for _, name := range fixtures {
		for _, r := range loadFixture(t, filepath.Join("testdata", name)) {
			provider, id := r["winlog.provider_name"].(string), r["event.code"].(string)
			if provider == winevent.ProviderSysmon {
				n, _ := strconv.Atoi(id)
				names := winevent.SysmonData(n)
				for _, kv := range r["winlog.event_data"].([]any) {
					if name := kv.(map[string]any)["key"].(string); !slices.Contains(names, name) {
						t.Errorf("Sysmon %s: EventData %s is not in SysmonData(%s)", id, name, id)
					}
				}
			}
			declared := append(slices.Clone(winevent.CommonFields), winevent.Fields(provider, id)...)
			key := provider + "/" + id
			if filled[key] == nil {
				filled[key] = map[string]bool{}
			}
			for col := range r {
				if slices.Contains(unmapped, col) {
					continue
				}
				filled[key][col] = true
				if !slices.Contains(declared, col) {
					t.Errorf("%s %s: row sets %s, which Fields does not declare", provider, id, col)
				}
			}
		}
	}
	for _, m := range winevent.Mappings() {
		key := m.Provider + "/" + m.EventID
		seen := filled[key]
		if seen == nil {
			t.Errorf("%s: no fixture event", key)
			continue
		}
		for _, col := range m.Fields {
			if !seen[col] && !optional[col] && !optional[key+" "+col] && !slices.Contains(winevent.CommonFields, col) {
				t.Errorf("%s: declares %s, which no fixture event fills", key, col)
			}
		}
	}
}

// optional lists declared columns (for every event, or for one provider/id)
// that some fixture events cannot fill: Sysmon writes RuleName only when its
// configuration names the rule, and only the hash algorithms configured.
var optional = map[string]bool{
	"rule.name":        true,
	"process.hash.md5": true, "process.hash.sha1": true, "process.hash.sha256": true, "process.pe.imphash": true,
	"file.hash.md5": true, "file.hash.sha1": true, "file.hash.sha256": true, "file.pe.imphash": true,
	// A raw device path (\Device\HarddiskVolume2) has no extension.
	"Microsoft-Windows-Sysmon/9 file.extension": true,
}

// TestEverySysmonEventIsMapped: each Sysmon event id 1–29 and 255 has a mapping
// with an action.
func TestEverySysmonEventIsMapped(t *testing.T) {
	ids := []int{255}
	for id := 1; id <= 29; id++ {
		ids = append(ids, id)
	}
	for _, id := range ids {
		var m *winevent.Mapping
		for _, x := range winevent.Mappings() {
			if x.Provider == winevent.ProviderSysmon && x.EventID == strconv.Itoa(id) {
				m = &x
			}
		}
		if m == nil || m.Action == "" {
			t.Errorf("Sysmon event %d has no mapping", id)
		}
		if len(winevent.SysmonData(id)) == 0 {
			t.Errorf("Sysmon event %d has no schema", id)
		}
	}
}
