package loader

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"huntsql/internal/archive"
	"huntsql/internal/engine"
	"huntsql/internal/golden"
	"huntsql/internal/results"
	schema "huntsql/sql"
)

const (
	fixtures    = "../fixtures/ecs"
	winFixtures = "../fixtures/winxml"
)

type loadResult struct {
	sum      *Summary
	problems []string
	skipped  []string
}

func loadInto(t *testing.T, dir string, force bool, stdin string, inputs ...string) (loadResult, error) {
	t.Helper()
	return loadOpts(t, dir, Options{Force: force}, stdin, inputs...)
}

func mustLoadWith(t *testing.T, dir string, base Options, inputs ...string) loadResult {
	t.Helper()
	res, err := loadOpts(t, dir, base, "", inputs...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// loadOpts loads inputs into the archive at dir with base's settings.
func loadOpts(t *testing.T, dir string, base Options, stdin string, inputs ...string) (loadResult, error) {
	t.Helper()
	ctx := context.Background()
	a, err := archive.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.Open(ctx, engine.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := eng.Close(); err != nil {
			t.Error(err)
		}
	}()
	var res loadResult
	opts := base
	opts.Archive, opts.Engine, opts.Inputs, opts.Stdin = a, eng, inputs, strings.NewReader(stdin)
	opts.OnProblem = func(p Problem) { res.problems = append(res.problems, p.String()) }
	opts.OnSkip = func(path, reason string) { res.skipped = append(res.skipped, path+": "+reason) }
	res.sum, err = Load(ctx, opts)
	if err == nil && res.sum.Records != res.sum.Archived+res.sum.Rejected+res.sum.Duplicates {
		t.Errorf("counts do not balance: %d read != %d archived + %d rejected + %d duplicates", res.sum.Records, res.sum.Archived, res.sum.Rejected, res.sum.Duplicates)
	}
	return res, err
}

func mustLoad(t *testing.T, dir string, inputs ...string) loadResult {
	t.Helper()
	res, err := loadInto(t, dir, false, "", inputs...)
	if err != nil {
		t.Fatalf("load %v: %v", inputs, err)
	}
	return res
}

// dump returns the archive's rows as NDJSON, in a stable order.
func dump(t *testing.T, dir string, cols string) string {
	t.Helper()
	return query(t, dir, "SELECT "+cols+` FROM events ORDER BY "@timestamp", "huntsql.source_file", "huntsql.source_offset"`)
}

// query runs SQL over the archive and returns the result as NDJSON.
func query(t *testing.T, dir string, sql string) string {
	t.Helper()
	ctx := context.Background()
	a, _ := archive.Open(dir)
	m, err := a.ReadManifest(false)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.Open(ctx, engine.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	if err := eng.ArchiveViews(ctx, a, m, engine.Range{}); err != nil {
		t.Fatal(err)
	}
	rows, err := eng.Query(ctx, sql)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	set, err := results.Read(rows)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := set.Write(&b, results.NDJSON, 0); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// Columns that differ between loads of the same events.
const (
	allButRun = `* EXCLUDE ("huntsql.load_id", "huntsql.source_file")`
	ecsOnly   = `* EXCLUDE ("huntsql.load_id", "huntsql.source_file", "huntsql.source_line", "huntsql.source_offset",
		"huntsql.input_sha256", "huntsql.record", "event.original", "_id", "_index", "huntsql.event_key")`
)

func TestLoadFixturesGolden(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(fixtures, "*"))
	win, _ := filepath.Glob(filepath.Join(winFixtures, "*"))
	if len(files) < 8 || len(win) < 4 {
		t.Fatalf("expected the ECS and Windows fixtures, found %d and %d files", len(files), len(win))
	}
	real, _ := filepath.Glob(filepath.Join(filepath.Dir(fixtures), "winxml-evtx", "*.xml"))
	if len(real) < 2 {
		t.Fatalf("expected the real EVTX renderings, found %d", len(real))
	}
	files = append(append(files, win...), real...)
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			res := mustLoad(t, dir, f)
			var out strings.Builder
			out.WriteString("# problems\n")
			for _, p := range res.problems {
				out.WriteString(strings.ReplaceAll(p, f, name) + "\n")
			}
			out.WriteString("# rows\n")
			out.WriteString(dump(t, dir, allButRun))
			golden.Check(t, filepath.Join("testdata", "golden", name+".txt"), []byte(out.String()))
		})
	}
}

func TestShapesGiveTheSameArchive(t *testing.T) {
	want := ""
	for _, name := range []string{"defend-nested.ndjson", "defend-dotted.ndjson", "defend-mixed.ndjson",
		"defend-array.json", "search-response.json", "hits.ndjson", "scroll-pages.ndjson"} {
		dir := t.TempDir()
		res := mustLoad(t, dir, filepath.Join(fixtures, name))
		if len(res.problems) > 0 || res.sum.Archived != 3 {
			t.Fatalf("%s: %d archived, problems %v", name, res.sum.Archived, res.problems)
		}
		got := dump(t, dir, ecsOnly)
		if want == "" {
			want = got
			continue
		}
		if got != want {
			t.Errorf("%s gives a different archive than defend-nested.ndjson:\n%s\nwant\n%s", name, got, want)
		}
	}
}

func TestHitsKeepIDAndIndex(t *testing.T) {
	dir := t.TempDir()
	mustLoad(t, dir, filepath.Join(fixtures, "search-response.json"))
	got := dump(t, dir, `"_id", "_index", "huntsql.source_line"`)
	want := `{"_id":"hit-0","_index":".ds-logs-endpoint.events.process-default-2026.03.01-000001","huntsql.source_line":17}`
	if !strings.HasPrefix(got, want) {
		t.Errorf("got\n%s\nwant first line\n%s", got, want)
	}
}

func compressed(t *testing.T, src, kind string) string {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	switch kind {
	case "gz": // two gzip members, as `cat a.gz b.gz` makes
		half := bytes.IndexByte(data, '\n') + 1
		for _, part := range [][]byte{data[:half], data[half:]} {
			w := gzip.NewWriter(&b)
			w.Write(part)
			w.Close()
		}
	case "zst":
		w, _ := zstd.NewWriter(&b)
		w.Write(data)
		w.Close()
	}
	// A misleading name: detection is by content.
	out := filepath.Join(t.TempDir(), "events.log")
	if err := os.WriteFile(out, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCompressedInput(t *testing.T) {
	src := filepath.Join(fixtures, "defend-nested.ndjson")
	plain := t.TempDir()
	mustLoad(t, plain, src)
	want := dump(t, plain, ecsOnly)
	for _, kind := range []string{"gz", "zst"} {
		dir := t.TempDir()
		res := mustLoad(t, dir, compressed(t, src, kind))
		if got := dump(t, dir, ecsOnly); got != want || len(res.problems) > 0 {
			t.Errorf("%s: problems %v, rows\n%s\nwant\n%s", kind, res.problems, got, want)
		}
	}
}

func TestTruncatedAndBadCompression(t *testing.T) {
	gz := compressed(t, filepath.Join(fixtures, "defend-nested.ndjson"), "gz")
	data, _ := os.ReadFile(gz)
	trunc := filepath.Join(t.TempDir(), "trunc.gz")
	os.WriteFile(trunc, data[:len(data)-20], 0o600)
	bad := filepath.Join(t.TempDir(), "bad.gz")
	os.WriteFile(bad, []byte{0x1f, 0x8b, 0x00, 0x00, 'x'}, 0o600)
	dir := t.TempDir()
	res, err := loadInto(t, dir, false, "", trunc, bad, filepath.Join(t.TempDir(), "missing.json"))
	if err != nil {
		t.Fatal(err)
	}
	if res.sum.FailedFiles != 3 || res.sum.Clean() {
		t.Errorf("want 3 failed inputs, got %+v", res.sum)
	}
	wantPrefixes := []string{"missing.json: no such file or directory", "trunc.gz: input ends early: unexpected EOF", "bad.gz: bad gzip header"}
	joined := strings.Join(res.problems, "\n")
	for _, w := range wantPrefixes {
		if !strings.Contains(joined, w) {
			t.Errorf("problems lack %q:\n%s", w, joined)
		}
	}
	// What the truncated stream held before the cut is archived.
	if res.sum.Archived < 1 {
		t.Errorf("records before the truncation should be archived: %+v", res.sum)
	}
}

func TestIdempotentAndForcedReload(t *testing.T) {
	dir := t.TempDir()
	nested := filepath.Join(fixtures, "defend-nested.ndjson")
	audit := filepath.Join(fixtures, "auditbeat-process.ndjson")
	mustLoad(t, dir, nested, audit)
	before := dump(t, dir, ecsOnly)

	res := mustLoad(t, dir, nested, audit)
	if res.sum.Skipped != 2 || res.sum.Records != 0 || len(res.skipped) != 2 || !strings.Contains(res.skipped[0], "already loaded") {
		t.Fatalf("second load should skip both inputs: %+v %v", res.sum, res.skipped)
	}
	// The same content under another name is the same input.
	copyPath := filepath.Join(t.TempDir(), "copy.ndjson")
	data, _ := os.ReadFile(nested)
	os.WriteFile(copyPath, data, 0o600)
	if res := mustLoad(t, dir, copyPath); res.sum.Skipped != 1 {
		t.Fatalf("a copy should be skipped: %+v", res.sum)
	}
	if got := dump(t, dir, ecsOnly); got != before {
		t.Fatalf("reload changed the archive:\n%s", got)
	}

	res, err := loadInto(t, dir, true, "", nested)
	if err != nil {
		t.Fatal(err)
	}
	if res.sum.Archived != 3 {
		t.Fatalf("forced reload should archive 3: %+v", res.sum)
	}
	if got := dump(t, dir, ecsOnly); got != before {
		t.Fatalf("forced reload must replace, not duplicate:\n%s\nwant\n%s", got, before)
	}
	a, _ := archive.Open(dir)
	m, _ := a.ReadManifest(false)
	if len(m.Inputs) != 2 {
		t.Errorf("manifest should list 2 inputs, got %d", len(m.Inputs))
	}
	assertNoStrayFiles(t, a, m)
}

// An input whose size nothing archived shares is hashed while it loads; one
// that shares a size is hashed first, and only content decides what is a
// duplicate.
func TestInputHashesWhileLoadingAndBySize(t *testing.T) {
	dir := t.TempDir()
	tmp := t.TempDir()
	a := filepath.Join(tmp, "a.ndjson")
	b := filepath.Join(tmp, "b.ndjson") // same size as a, other content
	c := filepath.Join(tmp, "c.ndjson") // same content as b
	os.WriteFile(a, []byte(`{"@timestamp":"2026-03-01T12:00:00Z","host":{"name":"host-a"}}`+"\n"), 0o600)
	os.WriteFile(b, []byte(`{"@timestamp":"2026-03-01T12:00:00Z","host":{"name":"host-b"}}`+"\n"), 0o600)
	os.WriteFile(c, []byte(`{"@timestamp":"2026-03-01T12:00:00Z","host":{"name":"host-b"}}`+"\n"), 0o600)
	sha := func(p string) string {
		data, _ := os.ReadFile(p)
		sum := sha256.Sum256(data)
		return hex.EncodeToString(sum[:])
	}
	check := func(host, path string) {
		t.Helper()
		got := query(t, dir, `SELECT "huntsql.input_sha256" AS sha FROM events WHERE "host.name" = '`+host+`'`)
		if want := `{"sha":"` + sha(path) + `"}` + "\n"; got != want {
			t.Errorf("%s: rows carry %s, want %s", host, got, want)
		}
	}

	mustLoad(t, dir, a) // a unique size: hashed while loading
	check("host-a", a)
	res := mustLoad(t, dir, b) // a's size, other content: hashed first, loaded
	if res.sum.Archived != 1 || res.sum.Skipped != 0 {
		t.Fatalf("same size, other content must load: %+v %v", res.sum, res.skipped)
	}
	check("host-b", b)
	if res := mustLoad(t, dir, c); res.sum.Skipped != 1 {
		t.Fatalf("same content must be skipped: %+v", res.sum)
	}
	arch, _ := archive.Open(dir)
	m, _ := arch.ReadManifest(false)
	if len(m.Inputs) != 2 || m.Inputs[0].SHA256 != sha(a) || m.Inputs[1].SHA256 != sha(b) {
		t.Errorf("manifest inputs: %+v", m.Inputs)
	}
}

// assertNoStrayFiles checks that every Parquet file on disk is committed.
func assertNoStrayFiles(t *testing.T, a *archive.Archive, m *archive.Manifest) {
	t.Helper()
	committed := map[string]bool{}
	for _, f := range m.Files {
		committed[f.Path] = true
	}
	filepath.WalkDir(a.Path(archive.EventsDir), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(a.Root, p)
			if !committed[filepath.ToSlash(rel)] {
				t.Errorf("file not in the manifest: %s", rel)
			}
		}
		return nil
	})
}

func TestInterruptedLoadLeavesArchiveAsBefore(t *testing.T) {
	dir := t.TempDir()
	first := filepath.Join(fixtures, "defend-nested.ndjson")
	second := filepath.Join(fixtures, "auditbeat-process.ndjson")
	mustLoad(t, dir, first)
	manifest, _ := os.ReadFile(filepath.Join(dir, archive.ManifestName))
	before := dump(t, dir, ecsOnly)

	// The load dies after writing its Parquet files, before the commit.
	errKilled := errors.New("killed")
	beforeCommit = func() error { return errKilled }
	_, err := loadInto(t, dir, false, "", second)
	beforeCommit = nil
	if !errors.Is(err, errKilled) {
		t.Fatalf("want the simulated kill, got %v", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, archive.ManifestName))
	if !bytes.Equal(manifest, after) || dump(t, dir, ecsOnly) != before {
		t.Fatal("an interrupted load changed what the archive shows")
	}
	parts, _ := filepath.Glob(filepath.Join(dir, "events", "*", "*.parquet"))
	if len(parts) < 2 {
		t.Fatalf("the simulated kill should leave uncommitted files behind, found %v", parts)
	}

	// Running the load again completes it, once.
	res := mustLoad(t, dir, second)
	if res.sum.Archived != 1 || res.sum.Skipped != 0 {
		t.Fatalf("rerun: %+v", res.sum)
	}
	a, _ := archive.Open(dir)
	m, _ := a.ReadManifest(false)
	assertNoStrayFiles(t, a, m)
	if n := strings.Count(dump(t, dir, ecsOnly), "\n"); n != 4 {
		t.Errorf("want 4 events after the rerun, got %d", n)
	}
}

func TestBadRecordsAreRejectedWithReasons(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(fixtures, "bad-records.ndjson")
	res := mustLoad(t, dir, src)
	want := []string{
		src + `:2: invalid JSON: unexpected end of JSON input (at byte 60 of the record) (byte offset 61)`,
		src + `:4: missing @timestamp (byte offset 123)`,
		src + `:5: unparseable @timestamp: "yesterday": not an ISO 8601 date-time or epoch milliseconds (byte offset 151)`,
		src + `:6: not a JSON object (a number) (byte offset 206)`,
		src + `:6: not a JSON object (a string) (byte offset 208)`,
		src + `:7: invalid UTF-8 at byte 62 of the record (byte offset 213)`,
	}
	if strings.Join(res.problems, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(res.problems, "\n"), strings.Join(want, "\n"))
	}
	if res.sum.Records != 8 || res.sum.Archived != 2 || res.sum.Rejected != 6 {
		t.Errorf("counts: %+v", res.sum)
	}
	rejects, err := os.ReadFile(res.sum.RejectsFile)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(rejects)), "\n")
	if len(lines) != 6 {
		t.Fatalf("rejects file has %d lines:\n%s", len(lines), rejects)
	}
	if !strings.Contains(lines[0], `"record":"{\"@timestamp\":\"2026-03-01T12:00:01Z\",\"host\":{\"name\":\"broken\""`) {
		t.Errorf("reject lost the record text: %s", lines[0])
	}
	if !strings.Contains(lines[5], `"record_base64":`) {
		t.Errorf("invalid UTF-8 must be kept byte for byte (base64): %s", lines[5])
	}
	st, _ := os.Stat(res.sum.RejectsFile)
	if st.Mode().Perm() != archive.FilePerm {
		t.Errorf("rejects file mode %v, want %v", st.Mode().Perm(), archive.FilePerm)
	}
}

// A raw control character inside a JSON string is invalid JSON (RFC 8259);
// Elasticsearch refuses such documents too.
func TestControlCharacterInStringIsRejected(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(t.TempDir(), "tab.ndjson")
	os.WriteFile(src, []byte("{\"@timestamp\":\"2026-03-01T12:00:00Z\",\"message\":\"a\tb\"}\n"+
		`{"@timestamp":"2026-03-01T12:00:01Z","message":"a\tb"}`+"\n"), 0o600)
	res := mustLoad(t, dir, src)
	want := src + `:1: invalid JSON: invalid character '\t' in string literal (at byte 50 of the record) (byte offset 0)`
	if len(res.problems) != 1 || res.problems[0] != want {
		t.Errorf("problems %q, want %q", res.problems, want)
	}
	if got := dump(t, dir, `"message"`); got != `{"message":"a\tb"}`+"\n" {
		t.Errorf("the escaped tab should load: %s", got)
	}
}

// copyDir copies the files of src into dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(src, "*"))
	if err := os.MkdirAll(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(f)), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestStdinAndDirectories(t *testing.T) {
	dir := t.TempDir()
	data, _ := os.ReadFile(filepath.Join(fixtures, "defend-nested.ndjson"))
	res, err := loadInto(t, dir, false, string(data), "-")
	if err != nil || res.sum.Archived != 3 {
		t.Fatalf("stdin: %v %+v", err, res.sum)
	}
	got := dump(t, dir, `DISTINCT "huntsql.source_file"`)
	if got != `{"huntsql.source_file":"-"}`+"\n" {
		t.Errorf("stdin provenance: %s", got)
	}
	// A directory is read recursively, JSON and XML alike, in one load; the
	// stdin copy of defend-nested is skipped.
	tree := t.TempDir()
	copyDir(t, fixtures, filepath.Join(tree, "ecs"))
	copyDir(t, winFixtures, filepath.Join(tree, "more", "winxml"))
	res = mustLoad(t, dir, tree)
	if res.sum.Skipped != 1 || res.sum.Files < 14 {
		t.Errorf("directory load: %+v %v", res.sum, res.skipped)
	}
	got = query(t, dir, `SELECT count(*) FILTER (WHERE "event.code" = '4688') AS windows, count(*) FILTER (WHERE "data_stream.dataset" = 'endpoint.events.process') AS defend FROM events`)
	if !strings.Contains(got, `"windows":`) || strings.Contains(got, `"windows":0`) || strings.Contains(got, `"defend":0`) {
		t.Errorf("mixed directory: %s", got)
	}
}

func TestArchiveFilesArePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "arch")
	mustLoad(t, dir, filepath.Join(fixtures, "edge-cases.ndjson"))
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		info, _ := d.Info()
		want := archive.FilePerm
		if d.IsDir() {
			want = archive.DirPerm
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", p, info.Mode().Perm(), want)
		}
		return nil
	})
}

func TestSchemaColumnsAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range schema.Fields {
		if seen[f.Name] {
			t.Errorf("duplicate column %s", f.Name)
		}
		seen[f.Name] = true
	}
}

func TestWindowsEncodings(t *testing.T) {
	src := filepath.Join(winFixtures, "events-pretty-crlf.xml")
	plain := t.TempDir()
	mustLoad(t, plain, src)
	cols := `* EXCLUDE ("huntsql.load_id", "huntsql.source_file", "huntsql.input_sha256")`
	want := dump(t, plain, cols)
	data, _ := os.ReadFile(src)
	for _, enc := range []struct {
		name string
		bom  []byte
		be   bool
	}{{"utf-16le-bom", []byte{0xff, 0xfe}, false}, {"utf-16be-bom", []byte{0xfe, 0xff}, true}, {"utf-16le", nil, false}} {
		t.Run(enc.name, func(t *testing.T) {
			b := append([]byte(nil), enc.bom...)
			for _, r := range string(data) {
				if enc.be {
					b = append(b, byte(r>>8), byte(r))
				} else {
					b = append(b, byte(r), byte(r>>8))
				}
			}
			// The XML declaration says UTF-8: the bytes decide, as for any other input.
			p := filepath.Join(t.TempDir(), "security.evtx.xml")
			os.WriteFile(p, b, 0o600)
			dir := t.TempDir()
			res := mustLoad(t, dir, p)
			if len(res.problems) > 0 {
				t.Fatalf("problems: %v", res.problems)
			}
			if got := dump(t, dir, cols); got != want {
				t.Errorf("rows differ from the UTF-8 input:\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestUTF16JSON(t *testing.T) {
	src := filepath.Join(fixtures, "defend-nested.ndjson")
	plain := t.TempDir()
	mustLoad(t, plain, src)
	want := dump(t, plain, ecsOnly)
	data, _ := os.ReadFile(src)
	for name, bom := range map[string][]byte{"with-bom": {0xff, 0xfe}, "without-bom": nil} {
		b := append([]byte(nil), bom...)
		for _, r := range string(data) {
			b = append(b, byte(r), byte(r>>8))
		}
		p := filepath.Join(t.TempDir(), name+".json")
		os.WriteFile(p, b, 0o600)
		dir := t.TempDir()
		res := mustLoad(t, dir, p)
		if got := dump(t, dir, ecsOnly); got != want || len(res.problems) > 0 {
			t.Errorf("UTF-16 JSON %s: problems %v\n%s", name, res.problems, got)
		}
	}
}
