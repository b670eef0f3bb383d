package loader

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"huntsql/internal/archive"
)

const busy = 90

// sparseLogs writes inputs that each span the same days with a few events a
// day, as a triage collection's System, Application and Security logs do: in
// input order, every date's rows arrive in every input.
func sparseLogs(t *testing.T, inputs, days, perDay int) []string {
	t.Helper()
	dir := t.TempDir()
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	pad := strings.Repeat("x", 6000)
	var paths []string
	for in := range inputs {
		var b strings.Builder
		for d := range days {
			n := perDay
			if d%10 == 0 {
				n *= busy // a few busy days among the sparse ones
			}
			for e := range n {
				ts := start.AddDate(0, 0, d).Add(time.Duration(e) * time.Minute)
				fmt.Fprintf(&b, `{"@timestamp":%q,"host":{"name":"host-%d"},"event":{"code":"%d"},"message":"%d-%d-%d %s"}`+"\n",
					ts.Format(time.RFC3339), in, 4624+e%3, in, d, e, pad)
			}
		}
		p := filepath.Join(dir, fmt.Sprintf("log-%d.ndjson", in))
		if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// TestSparseDatesGiveFewFiles: the rows of dates with few events are held
// from flush to flush and written together, in few files, every row present
// once, each with its input's hash, and the held rows stay within the flush
// budget.
func TestSparseDatesGiveFewFiles(t *testing.T) {
	const days, inputs, flush = 40, 4, 4 << 20
	paths := sparseLogs(t, inputs, days, 1)
	opts := Options{FlushBytes: flush, Workers: 2}

	flushes := 0
	afterFlush = func(w *partitionWriter, final bool) {
		if final {
			return
		}
		flushes++
		if w.heldBytes > w.limit/4*3 {
			t.Errorf("flush %d: held rows take %d bytes, over 3/4 of the %d budget", flushes, w.heldBytes, w.limit)
		}
		if w.bytes != 0 || len(w.parts) != 0 {
			t.Errorf("flush %d: %d bytes of new rows left buffered", flushes, w.bytes)
		}
		sum := 0
		for _, h := range w.held {
			sum += h.size()
		}
		if sum != w.heldBytes {
			t.Errorf("flush %d: held rows counted as %d bytes, are %d", flushes, w.heldBytes, sum)
		}
	}
	defer func() { afterFlush = nil }()
	dir := t.TempDir()
	res := mustLoadWith(t, dir, opts, paths...)
	afterFlush = nil
	if flushes < 5 {
		t.Fatalf("%d flushes: the test needs more rows or a smaller budget", flushes)
	}
	want := int64(inputs * (days/10*busy + days - days/10))
	if res.sum.Archived != want {
		t.Fatalf("archived %d, want %d", res.sum.Archived, want)
	}

	a, _ := archive.Open(dir)
	m, err := a.ReadManifest(false)
	if err != nil {
		t.Fatal(err)
	}
	assertNoStrayFiles(t, a, m)
	t.Logf("%d files, %d flushes", len(m.Files), flushes)
	dates := map[string]int{}
	var rowsInFiles int64
	for _, f := range m.Files {
		dates[f.Date]++
		rowsInFiles += f.Rows
	}
	if len(dates) != days || rowsInFiles != want {
		t.Errorf("%d dates, %d rows in the manifest; want %d, %d", len(dates), rowsInFiles, days, want)
	}
	// Without holding: one file per date per flush. With it: the busy dates
	// still get one per flush, the others one in all.
	if busyDates := days / 10; len(m.Files) > days+busyDates*flushes {
		t.Errorf("%d files for %d dates over %d flushes: small dates not written together", len(m.Files), days, flushes)
	}

	// Every row once, with its input's hash; files list their inputs.
	shaOf := map[string]string{}
	for _, in := range m.Inputs {
		shaOf[filepath.Base(in.Path)] = in.SHA256
	}
	var wantHosts strings.Builder
	for i := range inputs {
		fmt.Fprintf(&wantHosts, `{"host":"host-%d","n":%d,"messages":%d,"sha":[%q]}`+"\n", i, want/inputs, want/inputs, shaOf[fmt.Sprintf("log-%d.ndjson", i)])
	}
	if got := query(t, dir, `SELECT "host.name" AS host, count(*) AS n, count(DISTINCT message) AS messages, list(DISTINCT "huntsql.input_sha256") AS sha
		FROM events GROUP BY ALL ORDER BY host`); got != wantHosts.String() {
		t.Errorf("rows per input:\n%s\nwant:\n%s", got, wantHosts.String())
	}
	var paths2 []string
	for _, f := range m.Files {
		paths2 = append(paths2, fmt.Sprintf("'%s'", a.Path(f.Path)))
	}
	got := query(t, dir, `SELECT filename, list(DISTINCT "huntsql.input_sha256" ORDER BY "huntsql.input_sha256") AS inputs, count(*) AS n,
		strftime(min("@timestamp"), '%Y-%m-%dT%H:%M:%SZ') AS min, strftime(max("@timestamp"), '%Y-%m-%dT%H:%M:%SZ') AS max
		FROM read_parquet([`+strings.Join(paths2, ", ")+`], filename = true) GROUP BY filename ORDER BY filename`)
	var wantFiles strings.Builder
	for _, f := range m.Files { // in path order, as the manifest keeps them
		quoted := make([]string, len(f.Inputs))
		for i, s := range f.Inputs {
			quoted[i] = fmt.Sprintf("%q", s)
		}
		fmt.Fprintf(&wantFiles, `{"filename":%q,"inputs":[%s],"n":%d,"min":%q,"max":%q}`+"\n",
			a.Path(f.Path), strings.Join(quoted, ","), f.Rows, f.MinTS.Format(time.RFC3339), f.MaxTS.Format(time.RFC3339))
	}
	if got != wantFiles.String() {
		t.Errorf("files hold other rows than the manifest says:\n%s\nmanifest:\n%s", got, wantFiles.String())
	}

	// The same inputs give the same files.
	dir2 := t.TempDir()
	mustLoadWith(t, dir2, opts, paths...)
	if got, want := dump(t, dir2, allButRun), dump(t, dir, allButRun); got != want {
		t.Error("a second load gives other rows")
	}
	m2, _ := archive.Open(dir2)
	man2, _ := m2.ReadManifest(false)
	layout := func(m *archive.Manifest) []string {
		var l []string
		for _, f := range m.Files {
			l = append(l, fmt.Sprintf("%s %s %d", f.Date, f.Path[strings.LastIndex(f.Path, "-"):], f.Rows))
		}
		slices.Sort(l)
		return l
	}
	if !slices.Equal(layout(m), layout(man2)) {
		t.Errorf("a second load writes other files:\n%v\n%v", layout(man2), layout(m))
	}
}

// TestHeldRowsKeepEveryValue loads real .evtx files (maps, lists, every kind
// of column) with a flush budget small enough that most dates are held and
// with one large enough that none is: the archives hold the same rows.
func TestHeldRowsKeepEveryValue(t *testing.T) {
	inputs := []string{"../fixtures/evtx/damaged/system.evtx", "../fixtures/evtx/damaged/sysmon.evtx", "../fixtures/evtx/damaged/security.evtx"}
	holds := 0
	afterFlush = func(w *partitionWriter, final bool) {
		if !final {
			holds += len(w.held)
		}
	}
	defer func() { afterFlush = nil }()
	small, large := t.TempDir(), t.TempDir()
	mustLoadWith(t, small, Options{FlushBytes: 512 << 10}, inputs...)
	if holds == 0 {
		t.Fatal("no date was held: the test needs a smaller budget")
	}
	mustLoadWith(t, large, Options{FlushBytes: 1 << 30}, inputs...)
	const cols = `* EXCLUDE ("huntsql.load_id")`
	got, want := dump(t, small, cols), dump(t, large, cols)
	if n := strings.Count(want, "\n"); n != 1881+358+2261 || !strings.Contains(want, `"winlog.event_data":{`) {
		t.Fatalf("%d rows archived, want 4,500 with their EventData", n)
	}
	if got != want {
		t.Errorf("rows held across flushes differ from rows written at once (%d and %d bytes of NDJSON)", len(got), len(want))
	}
}
