package loader

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"huntsql/internal/archive"
	"huntsql/internal/engine"
	"huntsql/internal/engine/enginetest"
	"huntsql/internal/results"
	"huntsql/loader/rows"
	schema "huntsql/sql"
)

// randomSegments fills batches with rows that set every kind of column in
// every way: NULL, empty, Unicode, quotes, shared (numbered) values, lists
// and maps with empty entries, extreme numbers; some columns stay NULL
// throughout. big adds values large enough to split pages and to make
// dictionaries fall back to PLAIN.
func randomSegments(rng *rand.Rand, batches, perBatch int, big, sparse bool) ([]rows.Segment, []rows.Ref) {
	pool := []string{"", "a", "A", "host-1", "Ünïcödé ☃", `quote"d`, "line\nbreak", "C:\\Windows\\System32\\cmd.exe", "4688", "\x00nul"}
	shared := []string{"4624", "4688", "Microsoft-Windows-Security-Auditing", ""}
	word := func() string {
		if rng.IntN(3) == 0 {
			return pool[rng.IntN(len(pool))]
		}
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = byte(' ' + rng.IntN(95))
		}
		return string(b)
	}
	huge := func(n int) string { return strings.Repeat(string(rune('a'+rng.IntN(26))), n) + fmt.Sprint(rng.Int64()) }
	// Per column: how often it is set (0: never, a NULL column).
	density := make([]float64, len(schema.Fields))
	for ci := range density {
		if sparse && rng.IntN(20) != 0 {
			continue
		}
		switch rng.IntN(4) {
		case 0:
		case 1:
			density[ci] = 1
		default:
			density[ci] = rng.Float64()
		}
	}
	if big {
		for _, name := range []string{"message", "host.name", "winlog.event_data"} {
			density[schema.MustIndex(name)] = 1
		}
	}
	ints := []int64{0, -1, 1, math.MinInt64, math.MaxInt64, 4688}
	ts := schema.MustIndex(schema.Timestamp)
	var segs []rows.Segment
	var refs []rows.Ref
	for bi := range batches {
		b := rows.NewBatch(perBatch)
		var sel []int
		for r := range perBatch {
			b.AddRow()
			b.SetInt(ts, 1_700_000_000_000_000+rng.Int64N(1e12))
			for ci, f := range schema.Fields {
				if ci == ts || rng.Float64() >= density[ci] {
					continue
				}
				switch f.Kind {
				case schema.String:
					switch {
					case big && f.Name == "message":
						b.SetString(ci, huge(64<<10))
					case big && f.Name == "host.name" && r%2 == 0:
						b.SetString(ci, huge(40<<10))
					case rng.IntN(3) == 0:
						id := rng.IntN(len(shared))
						b.SetShared(ci, shared[id], int32(id), shared)
					default:
						b.SetString(ci, word())
					}
				case schema.Time:
					b.SetInt(ci, rng.Int64N(1e17)-5e16) // 1811 to 4938
				case schema.Int:
					if rng.IntN(2) == 0 {
						b.SetInt(ci, ints[rng.IntN(len(ints))])
					} else {
						b.SetInt(ci, rng.Int64())
					}
				case schema.StringList:
					l := make([]string, rng.IntN(4))
					for i := range l {
						l[i] = word()
					}
					b.SetList(ci, l)
				case schema.StringMap:
					kv := make([]rows.KV, rng.IntN(5))
					for i := range kv {
						kv[i] = rows.KV{K: word(), V: word()}
						if big && i == 0 {
							kv[i].V = huge(30 << 10)
						}
					}
					b.SetMap(ci, kv)
				}
			}
			if rng.IntN(5) != 0 {
				sel = append(sel, r)
			}
		}
		rng.Shuffle(len(sel), func(i, j int) { sel[i], sel[j] = sel[j], sel[i] })
		for _, r := range sel {
			refs = append(refs, rows.Ref{S: int32(bi), R: int32(r)})
		}
		segs = append(segs, rows.Segment{B: b, Rows: sel})
	}
	rng.Shuffle(len(refs), func(i, j int) { refs[i], refs[j] = refs[j], refs[i] })
	return segs, refs
}

// TestArchiveWriterMatchesArrow writes the same rows with the archive's own
// Parquet writer and with arrow-go's, and has DuckDB read both: the same rows
// in the same order, the same schema, the same statistics where either writes
// them. Cases: small files (uncompressed dictionaries), larger ones, values
// that split pages and overflow dictionaries, several row groups, no rows.
func TestArchiveWriterMatchesArrow(t *testing.T) {
	eng := enginetest.Open(t, engine.Options{Threads: 2})
	ctx := context.Background()
	dir := t.TempDir()
	cases := []struct {
		name              string
		batches, perBatch int
		big, sparse       bool
		seed              uint64
	}{
		{"small", 3, 200, false, false, 1},
		{"small-2", 4, 50, false, false, 2},
		{"larger", 4, 1500, false, false, 3},
		{"big-values", 2, 60, true, false, 4},
		{"row-groups", 2, 80000, false, true, 5},
		{"empty", 1, 0, false, false, 6},
	}
	if testing.Short() {
		cases = cases[:4]
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			segs, refs := randomSegments(rand.New(rand.NewPCG(tc.seed, 7)), tc.batches, tc.perBatch, tc.big, tc.sparse)
			ours, theirs := filepath.Join(dir, tc.name+"-archive.parquet"), filepath.Join(dir, tc.name+"-arrow.parquet")
			pf := pendingFile{segs: segs, refs: refs}
			writeFile(t, ours, func(f *os.File) error { return writeArchiveParquet(pf, f) })
			writeFile(t, theirs, func(f *os.File) error { return writeArrowParquet(pf, f) })
			same := func(what, q string) {
				t.Helper()
				n := func(a, b string) int64 {
					var n int64
					rows, err := eng.Query(ctx, fmt.Sprintf("SELECT count(*) FROM ("+q+" EXCEPT ALL "+q+")", a, b))
					if err != nil {
						t.Fatalf("%s: %v", what, err)
					}
					defer rows.Close()
					for rows.Next() {
						if err := rows.Scan(&n); err != nil {
							t.Fatal(err)
						}
					}
					return n
				}
				if d1, d2 := n(ours, theirs), n(theirs, ours); d1 != 0 || d2 != 0 {
					t.Errorf("%s: %d rows only in the archive writer's file, %d only in arrow-go's; the first of them:\n%s", what, d1, d2,
						sample(t, eng, fmt.Sprintf("("+q+" EXCEPT ALL "+q+") UNION ALL ("+q+" EXCEPT ALL "+q+") LIMIT 12", ours, theirs, theirs, ours)))
				}
			}
			same("rows", "SELECT * FROM read_parquet('%s', file_row_number = true)")
			same("schema", "SELECT * EXCLUDE (file_name) FROM parquet_schema('%s')")
			// arrow-go leaves empty strings out of text statistics (a min
			// of "b" over "" and "b": DuckDB then skips row groups that
			// hold matches), so text statistics are checked against the
			// values themselves instead.
			same("number statistics", `SELECT row_group_id, row_group_num_rows, path_in_schema, stats_min_value, stats_max_value, stats_null_count
				FROM parquet_metadata('%s') WHERE type <> 'BYTE_ARRAY' AND (stats_null_count IS NOT NULL OR stats_min_value IS NOT NULL)`)
			if len(refs) > 0 {
				var truth []string
				for _, f := range schema.Fields {
					if f.Kind == schema.Int || f.Kind == schema.Time || slices.Contains(schema.Filtered, f.Name) {
						q := strings.ReplaceAll(`SELECT file_row_number // 122880 AS row_group_id, '{col}' AS path_in_schema, min("{col}")::VARCHAR AS stats_min_value,
							max("{col}")::VARCHAR AS stats_max_value, count(*) - count("{col}") AS stats_null_count FROM read_parquet('%[1]s', file_row_number = true) GROUP BY ALL`, "{col}", f.Name)
						truth = append(truth, q)
					}
				}
				stats := "SELECT row_group_id, path_in_schema, stats_min_value, stats_max_value, stats_null_count FROM parquet_metadata('%[2]s') WHERE stats_null_count IS NOT NULL"
				q := "SELECT * FROM ((" + strings.Join(truth, ") UNION ALL (") + "))"
				if d := sample(t, eng, fmt.Sprintf("("+q+" EXCEPT ALL "+stats+") UNION ALL ("+stats+" EXCEPT ALL "+q+")", ours, ours)); d != "" {
					t.Errorf("statistics other than the values':\n%s", d)
				}
			}
			if tc.big {
				// Dictionaries too large for a page fall back to PLAIN.
				enc := sample(t, eng, fmt.Sprintf(`SELECT DISTINCT path_in_schema, encodings FROM parquet_metadata('%s')
					WHERE path_in_schema IN ('host.name', 'winlog.event_data, key_value, value') ORDER BY 1`, ours))
				if want := `{"path_in_schema":"host.name","encodings":"PLAIN, RLE"}` + "\n" +
					`{"path_in_schema":"winlog.event_data, key_value, value","encodings":"PLAIN, RLE"}` + "\n"; enc != want {
					t.Errorf("encodings:\n%s\nwant\n%s", enc, want)
				}
			}
			var rowsRead int64
			r, err := eng.Query(ctx, fmt.Sprintf("SELECT count(*) FROM read_parquet('%s')", ours))
			if err != nil {
				t.Fatal(err)
			}
			for r.Next() {
				r.Scan(&rowsRead)
			}
			r.Close()
			if rowsRead != int64(len(refs)) {
				t.Errorf("%d rows read, %d written", rowsRead, len(refs))
			}
		})
	}
}

// sample returns the rows of a query as text.
func sample(t *testing.T, eng *engine.Engine, q string) string {
	rows, err := eng.Query(context.Background(), q)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	set, err := results.Read(rows)
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	set.Write(&b, results.NDJSON, 0)
	return b.String()
}

func writeFile(t *testing.T, path string, write func(*os.File) error) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := write(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestFixturesSameArchiveWithEveryWriter loads every bundled input format with
// the archive writer and with arrow-go's: the archives hold the same rows.
func TestFixturesSameArchiveWithEveryWriter(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the fixtures twice")
	}
	var dumps []string
	for _, w := range []string{WriterArchive, WriterArrow} {
		dir := t.TempDir()
		res := mustLoadWith(t, dir, Options{Writer: w, KeepDuplicates: true}, "../fixtures")
		if res.sum.Archived == 0 {
			t.Fatalf("%s: nothing archived", w)
		}
		dumps = append(dumps, dump(t, dir, `* EXCLUDE ("huntsql.load_id")`))
	}
	if dumps[0] != dumps[1] {
		t.Errorf("the archive writer's archive differs from arrow-go's")
	}
}

// TestEngineOpenedOnlyWhenNeeded: a load into an empty archive opens no
// database engine; a second load of the same dates opens one (to read the
// first load's files for duplicates), once.
func TestEngineOpenedOnlyWhenNeeded(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(t.TempDir(), "a.ndjson")
	if err := os.WriteFile(in, []byte(`{"@timestamp":"2025-01-01T00:00:00Z","host":{"name":"h"},"event":{"kind":"event","code":"1"},"message":"a"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	in2 := filepath.Join(t.TempDir(), "b.ndjson")
	if err := os.WriteFile(in2, []byte(`{"@timestamp":"2025-01-01T00:00:01Z","host":{"name":"h"},"event":{"kind":"event","code":"1"},"message":"b"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{0, 1} {
		a, err := archive.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		opened := 0
		var eng *engine.Engine
		sum, err := Load(context.Background(), Options{Archive: a, Inputs: []string{[]string{in, in2}[i]},
			OpenEngine: func(ctx context.Context) (*engine.Engine, error) {
				opened++
				eng, err = engine.Open(ctx, engine.Options{Threads: 1})
				return eng, err
			}})
		if eng != nil {
			eng.Close()
		}
		if err != nil {
			t.Fatal(err)
		}
		if sum.Archived != 1 || opened != want {
			t.Errorf("load %d: %d archived, engine opened %d times; want 1, %d", i+1, sum.Archived, opened, want)
		}
	}
}
