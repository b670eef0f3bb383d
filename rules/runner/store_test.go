package runner

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"huntsql/internal/engine"
	"huntsql/internal/engine/enginetest"
	"huntsql/rules"
)

// A Store writes every format byte for byte as the detections in memory do,
// across chunks, ties in time, rows without a time, and rules that name two
// columns alike.
func TestStoreWritesAsMemory(t *testing.T) {
	ctx := context.Background()
	eng := enginetest.Open(t, engine.Options{Threads: 2})
	score := 40
	rs := []*rules.Rule{
		{ID: "z-many", Name: "Many", Severity: "low", RiskScore: &score, Details: []string{"n"}, Query: `
SELECT TIMESTAMP '2026-03-01 00:00:00' + to_seconds(i % 977) AS "@timestamp",
       'host-' || (i % 7) AS "host.name", i AS n, [i % 3, i % 2] AS l, {'k': i} AS s
FROM range(10000) AS t(i)`},
		{ID: "a-dup", Name: "Same names", Severity: "high", RiskScore: &score, Query: `
SELECT 1 AS x, 2 AS x, '2026-03-01T00:00:05Z' AS _time UNION ALL SELECT 3, 4, NULL`},
		{ID: "b-broken", Name: "Broken", Severity: "low", RiskScore: &score, Query: `SELECT "process.nme" FROM events`},
		{ID: "c-quiet", Name: "Quiet", Severity: "low", RiskScore: &score, Query: `SELECT 1 AS q WHERE false`},
		{ID: "d-ordered", Name: "Ordered", Severity: "medium", RiskScore: &score, Query: `
SELECT i AS n, TIMESTAMP '2026-03-01 00:00:05' AS "@timestamp" FROM range(5) AS t(i) ORDER BY n DESC`},
		// Rules evaluated together (package scan): their rows go to tables too.
		{ID: "e-planned", Name: "Planned", Severity: "high", RiskScore: &score, Plan: &rules.Plan{View: "planned_events",
			Where: `contains(cl, 'whoami') AND i % 2 = 0`, OrderBy: `"@timestamp", i`,
			Columns: []rules.PlanColumn{{Name: "@timestamp", SQL: `"@timestamp"`}, {Name: "host.name", SQL: `"host.name"`}, {Name: "x", SQL: "cl"}, {Name: "x", SQL: "i"}}}},
		{ID: "f-planned-quiet", Name: "Planned, quiet", Severity: "low", RiskScore: &score, Plan: &rules.Plan{View: "planned_events",
			Where: `contains(cl, 'nothing like it')`, Columns: []rules.PlanColumn{{Name: "x", SQL: "cl"}}}},
	}
	if err := eng.Exec(ctx, `CREATE TEMP VIEW planned_events AS
SELECT TIMESTAMP '2026-03-01 00:00:00' + to_seconds(i % 300) AS "@timestamp", 'host-' || (i % 5) AS "host.name", i,
       CASE WHEN i % 3 = 0 THEN 'cmd /c whoami ' || i ELSE 'notepad ' || i END AS cl
FROM range(20000) AS t(i)`); err != nil {
		t.Fatal(err)
	}
	res := Run(ctx, eng, rs, Options{})
	dets := Detections(res)
	if err := Locate(ctx, eng, dets); err != nil {
		t.Fatal(err)
	}
	store, sres := RunStored(ctx, eng, rs, Options{})
	defer store.Close(ctx)
	if err := store.Locate(ctx); err != nil {
		t.Fatal(err)
	}
	if store.rules[4].table == "" || store.rules[5].table != "" {
		t.Errorf("the planned rule that matched has no table, or the quiet one has: %+v", store.rules[4:])
	}
	for i := range res {
		if (res[i].Err == nil) != (sres[i].Err == nil) || res[i].Count != sres[i].Count || sres[i].Rows != nil {
			t.Errorf("rule %s: stored %d rows (err %v), in memory %d (err %v)", rs[i].ID, sres[i].Count, sres[i].Err, res[i].Count, res[i].Err)
		}
	}
	if store.Count() != len(dets) || len(dets) != 10007+3334 {
		t.Fatalf("store: %d detections, memory %d", store.Count(), len(dets))
	}
	for _, f := range Formats {
		if f.FileOnly {
			continue
		}
		var mem, st bytes.Buffer
		if err := Write(&mem, f.Name, dets, WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := store.Write(ctx, &st, f.Name, WriteOptions{}); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if !bytes.Equal(mem.Bytes(), st.Bytes()) {
			t.Errorf("%s: the store writes %d bytes, memory %d:\n%.600s\n---\n%.600s", f.Name, st.Len(), mem.Len(), st.String(), mem.String())
		}
	}
	if got, want := fmt.Sprint(store.Summary()), fmt.Sprint(Summarize(dets)); got != want {
		t.Errorf("summary\n%s\nwant\n%s", got, want)
	}
}

// A rule that matches many events does not make huntsql grow with its
// detections: they stay in the engine (under its memory limit) and are
// written a chunk at a time.
func TestStoreMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("a million detections")
	}
	ctx := context.Background()
	eng := enginetest.Open(t, engine.Options{Threads: 2, MemoryLimit: "256MB", TempDir: filepath.Join(t.TempDir(), "spill")})
	score := 10
	const rows = 200_000
	rs := []*rules.Rule{{ID: "noisy", Name: "Noisy", Severity: "low", RiskScore: &score, Query: fmt.Sprintf(`
SELECT TIMESTAMP '2026-03-01 00:00:00' + to_seconds(i %% 86400) AS "@timestamp", 'host-' || (i %% 50) AS "host.name",
       i AS n, repeat('x', 500) AS padding
FROM range(%d) AS t(i) ORDER BY n`, rows)}}

	peak := watchHeap(t)
	store, res := RunStored(ctx, eng, rs, Options{})
	if res[0].Err != nil || store.Count() != rows {
		t.Fatalf("%d detections: %v", store.Count(), res[0].Err)
	}
	if err := store.Write(ctx, io.Discard, NDJSON, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := store.Locate(ctx); err != nil {
		t.Fatal(err)
	}
	var n countingWriter
	if err := store.Write(ctx, &n, Timeline, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := store.WriteFile(ctx, filepath.Join(t.TempDir(), "d.parquet"), Parquet, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	store.Close(ctx)
	got := peak()
	// Held in memory (Run, Detections, Locate, Write), these detections
	// peaked at 353 MB of Go heap; through the store, 15 to 30 MB.
	t.Logf("%d detections, %d MB of timeline, peak Go heap %d MB", rows, n.n>>20, got>>20)
	if got > 64<<20 {
		t.Errorf("peak Go heap %d MB with %d detections: it grows with them", got>>20, rows)
	}
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// watchHeap samples the Go heap until the returned function is called, and
// returns the largest sample.
func watchHeap(t testing.TB) func() uint64 {
	runtime.GC()
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}

// BenchmarkStoreNoisyRule runs a rule with 200,000 large detections through
// the store and writes them as NDJSON and as a timeline; peak-heap-MB is the
// largest Go heap seen, which stays flat as detections grow.
func BenchmarkStoreNoisyRule(b *testing.B) {
	ctx := context.Background()
	eng := enginetest.Open(b, engine.Options{MemoryLimit: "256MB", TempDir: filepath.Join(b.TempDir(), "spill")})
	score := 10
	rs := []*rules.Rule{{ID: "noisy", Name: "Noisy", Severity: "low", RiskScore: &score, Query: `
SELECT TIMESTAMP '2026-03-01 00:00:00' + to_seconds(i % 86400) AS "@timestamp", 'host-' || (i % 50) AS "host.name",
       i AS n, repeat('x', 500) AS padding
FROM range(200000) AS t(i) ORDER BY n`}}
	var peak uint64
	for b.Loop() {
		stop := watchHeap(b)
		store, _ := RunStored(ctx, eng, rs, Options{})
		if err := store.Write(ctx, io.Discard, NDJSON, WriteOptions{}); err != nil {
			b.Fatal(err)
		}
		if err := store.Locate(ctx); err != nil {
			b.Fatal(err)
		}
		if err := store.Write(ctx, io.Discard, Timeline, WriteOptions{}); err != nil {
			b.Fatal(err)
		}
		store.Close(ctx)
		peak = max(peak, stop())
	}
	b.ReportMetric(float64(peak>>20), "peak-heap-MB")
}
