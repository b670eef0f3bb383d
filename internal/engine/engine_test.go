package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"huntsql/internal/archive"
)

func open(t *testing.T, opts Options) *Engine {
	t.Helper()
	e, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	})
	return e
}

func rows(t *testing.T, e *Engine, q string) string {
	t.Helper()
	r, err := e.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer r.Close()
	var out []string
	for r.Next() {
		var s string
		if err := r.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return strings.Join(out, "\n")
}

// Runs saved when evidence named events by path ({file, offset}) are read
// beside current ones: their evidence becomes {sha256, offset} for each input
// loaded from that path, so detection_events finds the events again. Two
// stdin loads share the path "-": an old key names the event at that offset
// in each, as it did when the run was saved.
func TestLegacyEvidence(t *testing.T) {
	ctx := context.Background()
	a, _ := archive.Open(t.TempDir())
	for _, d := range []string{archive.EventsDir, archive.DetectionsDir} {
		os.MkdirAll(a.Path(d), 0o755)
	}
	w := open(t, Options{Threads: 1})
	row := strings.TrimSuffix(emptyEvents(), " WHERE false")
	det := strings.TrimSuffix(emptyDetections, " WHERE false")
	events := `SELECT * REPLACE (sha AS "huntsql.input_sha256", path AS "huntsql.source_file", off AS "huntsql.source_offset",
    TIMESTAMP '2026-03-01 12:00:00' AS "@timestamp")
FROM (` + row + `), (VALUES ('sha-a', '-', 10::BIGINT), ('sha-b', '-', 10), ('sha-b', '-', 20), ('sha-c', '/logs/c.xml', 10)) AS v(sha, path, off)`
	for _, q := range []string{
		"COPY (" + events + ") TO " + Quote(a.Path("events/e.parquet")) + " (FORMAT parquet)",
		`COPY (SELECT * REPLACE ('old' AS run_id, 'r' AS rule_id, 1 AS detection,
    [{'file': '-', 'offset': 20::BIGINT}, {'file': '/logs/c.xml', 'offset': 10}, {'file': '/gone.xml', 'offset': 1}] AS evidence)
FROM (` + det + `)) TO ` + Quote(a.Path("detections/old.parquet")) + " (FORMAT parquet)",
		`COPY (SELECT * REPLACE ('new' AS run_id, 'r' AS rule_id, 1 AS detection, [{'sha256': 'sha-a', 'offset': 10::BIGINT}] AS evidence)
FROM (` + det + `)) TO ` + Quote(a.Path("detections/new.parquet")) + " (FORMAT parquet)",
	} {
		if err := w.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	m := &archive.Manifest{
		Files: []archive.File{{Path: "events/e.parquet", MinTS: at, MaxTS: at}},
		Inputs: []archive.Input{{SHA256: "sha-a", Path: "-"}, {SHA256: "sha-b", Path: "-"},
			{SHA256: "sha-c", Path: "/logs/c.xml"}},
		Runs: []archive.Run{{ID: "old", File: "detections/old.parquet"}, {ID: "new", File: "detections/new.parquet"}},
	}
	e := open(t, Options{Threads: 1})
	if err := e.ArchiveViews(ctx, a, m, Range{}); err != nil {
		t.Fatal(err)
	}
	got := rows(t, e, `SELECT run_id || ' ' || "huntsql.input_sha256" || ' ' || "huntsql.source_offset" FROM detection_events ORDER BY ALL`)
	want := "new sha-a 10\nold sha-b 20\nold sha-c 10"
	if got != want {
		t.Errorf("detection_events:\n%s\nwant\n%s", got, want)
	}
	got = rows(t, e, `SELECT run_id || ' ' || evidence::VARCHAR FROM detections ORDER BY ALL`)
	want = "new [{'sha256': sha-a, 'offset': 10}]\n" +
		"old [{'sha256': sha-a, 'offset': 20}, {'sha256': sha-b, 'offset': 20}, {'sha256': sha-c, 'offset': 10}]"
	if got != want {
		t.Errorf("detections:\n%s\nwant\n%s", got, want)
	}

	// An archive whose only run is old opens too (it did not, before).
	m.Runs = m.Runs[:1]
	e2 := open(t, Options{Threads: 1})
	if err := e2.ArchiveViews(ctx, a, m, Range{}); err != nil {
		t.Fatal(err)
	}
	if got := rows(t, e2, `SELECT count(*)::VARCHAR FROM detection_events`); got != "2" {
		t.Errorf("old run alone: %s events", got)
	}
}

// A sandboxed engine writes its own files in its spill directory and takes
// Arrow rows into a table; anywhere else stays closed.
func TestSandboxSpillDirectory(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	spill := filepath.Join(dir, "_spill")
	os.MkdirAll(spill, 0o755)
	e := open(t, Options{Threads: 1, TempDir: spill})
	if e.TempDir() != spill {
		t.Errorf("TempDir() = %q", e.TempDir())
	}
	if err := e.Sandbox(ctx, []string{filepath.Join(dir, "events"), spill}); err != nil {
		t.Fatal(err)
	}
	if err := e.Exec(ctx, "COPY (SELECT 1 AS a) TO "+Quote(filepath.Join(spill, "x.parquet"))+" (FORMAT parquet)"); err != nil {
		t.Errorf("write in the spill directory: %v", err)
	}
	err := e.Exec(ctx, "COPY (SELECT 1 AS a) TO "+Quote(filepath.Join(dir, "x.parquet"))+" (FORMAT parquet)")
	if err == nil || !strings.Contains(err.Error(), "Permission Error") {
		t.Errorf("write beside the spill directory: %v", err)
	}
}

func TestOpenedCounts(t *testing.T) {
	before := Opened()
	open(t, Options{Threads: 1})
	if n := Opened() - before; n != 1 {
		t.Errorf("Opened() grew by %d for one engine", n)
	}
}
