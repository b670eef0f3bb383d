// Package routes holds the tests that cross the loader and the runner: the
// same events by different routes must give the same rows and the same
// detections.
package routes

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"huntsql/internal/archive"
	"huntsql/internal/engine"
	"huntsql/loader"
	"huntsql/rules"
	"huntsql/rules/runner"
	"huntsql/rules/sigma"
)

const fixtures = "../../fixtures"

// load loads inputs into a new archive and returns an engine over it.
func load(t *testing.T, inputs ...string) *engine.Engine {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	a, err := archive.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.Open(ctx, engine.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	if _, err := loader.Load(ctx, loader.Options{Archive: a, Engine: eng, Inputs: inputs, Stdin: strings.NewReader("")}); err != nil {
		t.Fatal(err)
	}
	m, err := a.ReadManifest(false)
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.ArchiveViews(ctx, a, m, engine.Range{}); err != nil {
		t.Fatal(err)
	}
	return eng
}

func rowsJSON(t *testing.T, eng *engine.Engine, q string) []string {
	t.Helper()
	rs, err := eng.Query(context.Background(), "SELECT to_json(x)::VARCHAR FROM ("+q+") x")
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		var s string
		if err := rs.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// provenance differs by route (file, line, offset, input hash, load).
const comparable = `* EXCLUDE ("huntsql.source_file", "huntsql.source_line", "huntsql.source_offset",
	"huntsql.input_sha256", "huntsql.load_id")`

// allRules: the built-in rules and the Sigma rules bundled as fixtures.
func allRules(t *testing.T) []*rules.Rule {
	t.Helper()
	rs, err := rules.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, _, err := sigma.CompileDir([]string{filepath.Join(fixtures, "sigma", "rules"), filepath.Join(fixtures, "sigma", "routes")}, sigma.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return append(rs.Rules, sigma.Rules(cs)...)
}

// detections runs every rule and returns its detections without evidence
// (which names files and offsets).
func detections(t *testing.T, eng *engine.Engine, rs []*rules.Rule) (map[string][]string, int) {
	t.Helper()
	out, n := map[string][]string{}, 0
	for _, res := range runner.Run(context.Background(), eng, rs, runner.Options{}) {
		if res.Err != nil {
			t.Errorf("rule %s: %v", res.Rule.ID, res.Err)
			continue
		}
		for _, row := range res.Rows {
			fields := map[string]any{}
			for i, c := range res.Columns {
				if c != "huntsql.evidence" {
					fields[c] = row[i]
				}
			}
			b, _ := json.Marshal(fields)
			out[res.Rule.ID] = append(out[res.Rule.ID], string(b))
			n++
		}
	}
	return out, n
}

// An .evtx file and its XML rendering give the same rows and the same
// detections from every rule. The rendering is what the EVTX reader wrote to
// event.original (cross-checked against evtxexport in loader/evtx), loaded
// back through the XML route.
func TestEVTXAndItsXMLGiveTheSameDetections(t *testing.T) {
	evtxFiles, _ := filepath.Glob(filepath.Join(fixtures, "evtx", "mitre", "*.evtx"))
	evtxFiles = append(evtxFiles, filepath.Join(fixtures, "evtx", "damaged", "sysmon.evtx"))
	if len(evtxFiles) < 3 {
		t.Fatalf("expected the EVTX fixtures, found %v", evtxFiles)
	}
	rs := allRules(t)
	total := 0
	for _, f := range evtxFiles {
		t.Run(filepath.Base(f), func(t *testing.T) {
			fromEVTX := load(t, f)
			xml := rowsJSON(t, fromEVTX, `SELECT "event.original" AS x FROM events ORDER BY "huntsql.source_offset"`)
			var b strings.Builder
			for _, line := range xml {
				// DuckDB renders a one-column row as the value itself.
				var v string
				if err := json.Unmarshal([]byte(line), &v); err != nil {
					t.Fatal(err)
				}
				b.WriteString(v)
				b.WriteString("\n")
			}
			xmlPath := filepath.Join(t.TempDir(), "rendered.xml")
			if err := os.WriteFile(xmlPath, []byte(b.String()), 0o600); err != nil {
				t.Fatal(err)
			}
			fromXML := load(t, xmlPath)

			order := ` ORDER BY "@timestamp", "winlog.record_id", "event.original"`
			a := rowsJSON(t, fromEVTX, "SELECT "+comparable+" FROM events"+order)
			x := rowsJSON(t, fromXML, "SELECT "+comparable+" FROM events"+order)
			if len(a) == 0 || len(a) != len(x) {
				t.Fatalf("%d rows from .evtx, %d from its XML", len(a), len(x))
			}
			for i := range a {
				if a[i] != x[i] {
					t.Fatalf("row %d differs:\n evtx %s\n  xml %s", i, a[i], x[i])
				}
			}
			da, n := detections(t, fromEVTX, rs)
			dx, _ := detections(t, fromXML, rs)
			if fmt.Sprint(da) != fmt.Sprint(dx) {
				t.Errorf("detections differ:\n evtx %v\n  xml %v", da, dx)
			}
			total += n
			t.Logf("%d rows, %d detections from %d rules, identical by both routes", len(a), n, len(rs))
		})
	}
	// The rules of fixtures/sigma/routes fire on these samples: 18
	// detections when this test was written.
	if total < 15 {
		t.Errorf("%d detections over the samples, want at least 15: the comparison proves little", total)
	}
}

// `run --sigma` (compiled rules evaluated in shared scans through their plans)
// and the converted TOML rules (each query on its own) give identical
// detections, evidence included.
func TestSigmaScanEqualsConvertedRules(t *testing.T) {
	evtxFiles, _ := filepath.Glob(filepath.Join(fixtures, "evtx", "mitre", "*.evtx"))
	events, _ := filepath.Glob(filepath.Join(fixtures, "sigma", "events", "*"))
	eng := load(t, append(append(evtxFiles, filepath.Join(fixtures, "evtx", "damaged", "sysmon.evtx")), events...)...)
	cs, _, err := sigma.CompileDir([]string{filepath.Join(fixtures, "sigma", "rules"), filepath.Join(fixtures, "sigma", "routes")}, sigma.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var planned, converted []*rules.Rule
	for _, c := range cs {
		if c.Internal {
			continue
		}
		r, err := rules.Parse(c.Rule.ID+".toml", sigma.TOML(c))
		if err != nil {
			t.Fatalf("%s: converted rule does not parse: %v", c.Rule.ID, err)
		}
		converted = append(converted, r)
		p := *c.Rule
		p.Plan = c.Plan()
		planned = append(planned, &p)
	}
	withPlan := 0
	for _, r := range planned {
		if r.Plan != nil {
			withPlan++
		}
	}
	if withPlan < 15 {
		t.Fatalf("only %d rules carry a plan", withPlan)
	}
	all := func(rs []*rules.Rule) (map[string]string, int) {
		out, n := map[string]string{}, 0
		for _, res := range runner.Run(context.Background(), eng, rs, runner.Options{}) {
			if res.Err != nil {
				t.Errorf("rule %s: %v", res.Rule.ID, res.Err)
			}
			b, _ := json.Marshal(res.Rows)
			out[res.Rule.ID] = fmt.Sprint(res.Columns) + string(b)
			n += len(res.Rows)
		}
		return out, n
	}
	a, n := all(planned)
	b, _ := all(converted)
	if len(a) != len(b) {
		t.Fatalf("%d rules by plan, %d converted", len(a), len(b))
	}
	for id := range b {
		if a[id] != b[id] {
			t.Errorf("rule %s differs:\n  scan %s\n query %s", id, a[id], b[id])
		}
	}
	if n < 10 {
		t.Errorf("only %d detections: the comparison proves little", n)
	}
	t.Logf("%d rules (%d by shared scan), %d detections, identical both ways", len(a), withPlan, n)
}
