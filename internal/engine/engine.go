// Package engine owns huntsql's embedded DuckDB: it opens the database with the
// project's settings, lays the archive's views over the committed Parquet files,
// and is the only package that imports duckdb-go.
//
// DuckDB temporary views live on one connection, so an Engine holds exactly one
// *sql.Conn and every statement goes through it.
package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/duckdb/duckdb-go/v2"

	"huntsql/internal/archive"
	schema "huntsql/sql"
)

// Options tune the embedded database.
type Options struct {
	Threads     int    // 0: all cores
	MemoryLimit string // DuckDB size, e.g. "2GB"; empty: DuckDB's default (80% of RAM)
	TempDir     string // spill directory; empty: DuckDB's default
}

// Engine is one DuckDB database with one connection.
type Engine struct {
	db      *sql.DB
	conn    *sql.Conn
	tempDir string
}

// opened counts the engines this process opened: each one holds its own
// memory limit, so a command that opened two could use twice its share.
var opened atomic.Int64

// Opened returns how many engines this process has opened, for tests that
// check that a command opens one.
func Opened() int64 { return opened.Load() }

// Open starts an in-memory DuckDB with huntsql's settings.
func Open(ctx context.Context, opts Options) (*Engine, error) {
	opened.Add(1)
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open duckdb connection: %w", err)
	}
	e := &Engine{db: db, conn: conn, tempDir: opts.TempDir}
	threads := opts.Threads
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	settings := []string{
		// Windows and days are UTC everywhere (spec §1): never the laptop's zone.
		"SET TimeZone = 'UTC'",
		fmt.Sprintf("SET threads = %d", threads),
		"SET enable_progress_bar = false",
	}
	if opts.MemoryLimit != "" {
		settings = append(settings, "SET memory_limit = "+Quote(opts.MemoryLimit))
	}
	if opts.TempDir != "" {
		settings = append(settings, "SET temp_directory = "+Quote(opts.TempDir))
	}
	for _, s := range settings {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			e.Close()
			return nil, fmt.Errorf("configure duckdb (%s): %w", s, err)
		}
	}
	return e, nil
}

// Close closes the connection and the database.
func (e *Engine) Close() error {
	return errors.Join(e.conn.Close(), e.db.Close())
}

// TempDir is the engine's spill directory (Options.TempDir), "" when DuckDB
// chose it. A sandboxed engine can still read and write files there: huntsql
// writes its own output through it (see Sandbox). DuckDB creates it only
// when it first spills.
func (e *Engine) TempDir() string { return e.tempDir }

// Conn is the engine's one connection.
func (e *Engine) Conn() *sql.Conn { return e.conn }

// Exec runs statements that return no rows.
func (e *Engine) Exec(ctx context.Context, query string, args ...any) error {
	_, err := e.conn.ExecContext(ctx, query, args...)
	return err
}

// Query runs a query on the engine's connection.
func (e *Engine) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return e.conn.QueryContext(ctx, query, args...)
}

// Sandbox confines the engine for running rule SQL, which users download from
// others: only files under the given directories can be read, nothing can be
// written, no extension can be installed or loaded, and the configuration is
// then locked so that the rule cannot undo any of it. Views created before
// keep working. There is no way back. Rule SQL is one SELECT (the runner
// refuses anything else), so the directories only let huntsql itself write
// there: the runner writes detections to files through the spill directory,
// then moves them where they go, with the same one engine.
func (e *Engine) Sandbox(ctx context.Context, readable []string) error {
	dirs := make([]string, len(readable))
	for i, d := range readable {
		dirs[i] = Quote(strings.TrimSuffix(d, "/") + "/")
	}
	for _, s := range []string{
		"SET autoinstall_known_extensions = false",
		"SET autoload_known_extensions = false",
		"SET allow_community_extensions = false",
		"SET allowed_directories = [" + strings.Join(dirs, ", ") + "]",
		"SET enable_external_access = false",
		"SET lock_configuration = true",
	} {
		if err := e.Exec(ctx, s); err != nil {
			return fmt.Errorf("sandbox (%s): %w", s, err)
		}
	}
	return nil
}

// Quote returns s as a SQL string literal.
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// QuoteIdent returns s as a SQL identifier.
func QuoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// WriteParquet writes one Arrow record batch to a Parquet file through DuckDB's
// writer (zstd), keeping row order. The batch is handed to DuckDB through the
// Arrow C stream interface, without a copy.
func (e *Engine) WriteParquet(ctx context.Context, rec arrow.RecordBatch, path string) error {
	return e.withArrow(rec, "huntsql_batch", func(x driver.ExecerContext) error {
		q := "COPY huntsql_batch TO " + Quote(path) +
			" (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)"
		if _, err := x.ExecContext(ctx, q, nil); err != nil {
			return fmt.Errorf("write parquet %s: %w", path, err)
		}
		return nil
	})
}

// InsertArrow appends one Arrow record batch to a table, its columns in the
// table's order, through the Arrow C stream interface: far faster than
// INSERT statements with parameters for many rows. It needs no file access,
// so a sandboxed engine can do it.
func (e *Engine) InsertArrow(ctx context.Context, table string, rec arrow.RecordBatch) error {
	return e.withArrow(rec, "huntsql_insert", func(x driver.ExecerContext) error {
		q := "INSERT INTO " + table + " SELECT * FROM huntsql_insert"
		if _, err := x.ExecContext(ctx, q, nil); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
		return nil
	})
}

// withArrow shows rec to DuckDB as the view name, without a copy, while f runs.
func (e *Engine) withArrow(rec arrow.RecordBatch, name string, f func(driver.ExecerContext) error) error {
	return e.conn.Raw(func(dc any) error {
		ar, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		rdr, err := array.NewRecordReader(rec.Schema(), []arrow.RecordBatch{rec})
		if err != nil {
			return err
		}
		defer rdr.Release()
		release, err := ar.RegisterView(rdr, name)
		if err != nil {
			return fmt.Errorf("register arrow batch: %w", err)
		}
		defer release()
		return f(dc.(driver.ExecerContext))
	})
}

// Range is a half-open time range [From, To) in UTC; a zero bound is open.
type Range struct{ From, To time.Time }

// Overlaps reports whether a file's rows can fall in the range.
func (r Range) Overlaps(f archive.File) bool {
	return (r.From.IsZero() || !f.MaxTS.Before(r.From)) && (r.To.IsZero() || f.MinTS.Before(r.To))
}

// where is the SQL condition on @timestamp for the range, or "".
func (r Range) where() string {
	var conds []string
	if !r.From.IsZero() {
		conds = append(conds, fmt.Sprintf(`"@timestamp" >= TIMESTAMP '%s'`, r.From.UTC().Format("2006-01-02 15:04:05.999999")))
	}
	if !r.To.IsZero() {
		conds = append(conds, fmt.Sprintf(`"@timestamp" < TIMESTAMP '%s'`, r.To.UTC().Format("2006-01-02 15:04:05.999999")))
	}
	return strings.Join(conds, " AND ")
}

// ArchiveViews creates the archive's views over the committed files that can
// hold rows in the range, with rows outside it filtered out: rules and queries
// then see only events in range.
func (e *Engine) ArchiveViews(ctx context.Context, a *archive.Archive, m *archive.Manifest, r Range) error {
	legacy, err := e.legacyRuns(ctx, a, m)
	if err != nil {
		return fmt.Errorf("create views: saved runs: %w", err)
	}
	for _, stmt := range viewSQL(a, m, r, legacy) {
		if err := e.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("create views: %w", err)
		}
	}
	return nil
}

// ViewSQL returns the statements that define the archive's views over the
// committed files (absolute paths), so that any DuckDB client can run them. A
// nil manifest is an empty archive.
//
// Runs saved before evidence was keyed by SHA-256 (see DetectionColumns) are
// read as they are here: ArchiveViews converts their evidence.
func ViewSQL(a *archive.Archive, m *archive.Manifest, r Range) []string {
	return viewSQL(a, m, r, nil)
}

func viewSQL(a *archive.Archive, m *archive.Manifest, r Range, legacy *legacyEvidence) []string {
	if m == nil {
		m = &archive.Manifest{}
	}
	var files []archive.File
	for _, f := range m.Files {
		if r.Overlaps(f) {
			files = append(files, f)
		}
	}
	var src string
	if len(files) == 0 {
		src = emptyEvents()
	} else {
		var b strings.Builder
		b.WriteString("SELECT * FROM read_parquet([")
		for i, f := range files {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(Quote(a.Path(f.Path)))
		}
		b.WriteString("], hive_partitioning = false)")
		if w := r.where(); w != "" {
			b.WriteString(" WHERE " + w)
		}
		src = b.String()
	}
	det := emptyDetections
	if len(m.Runs) > 0 {
		det = detectionsSQL(a, m, legacy)
	}
	return append([]string{
		"CREATE OR REPLACE TEMP VIEW events AS " + src,
		"CREATE OR REPLACE TEMP VIEW detections AS " + det,
	}, schema.Views...)
}

// DetectionColumns is the schema of saved detections (huntsql run --save).
// Evidence names each event behind a detection by its input's SHA-256 and
// its byte offset in that input: unlike a path, both survive moving the
// archive to another machine, and every stdin load has its own.
var DetectionColumns = [][2]string{
	{"run_id", "VARCHAR"}, {"run_at", "TIMESTAMP"}, {"rule_id", "VARCHAR"}, {"rule_name", "VARCHAR"},
	{"severity", "VARCHAR"}, {"risk_score", "INTEGER"}, {"threat", "VARCHAR[]"}, {"detection", "INTEGER"},
	{"fields", "JSON"}, {"evidence", `STRUCT(sha256 VARCHAR, "offset" BIGINT)[]`},
}

// legacyEvidence describes the saved runs whose evidence names each event by
// the path of its input ({file, offset}), as huntsql did before keying it by
// the input's SHA-256.
type legacyEvidence struct {
	files  map[string]bool     // the runs' files, relative to the archive root
	inputs map[string][]string // each path their evidence names → the SHA-256 of the inputs loaded from it
}

// legacyRuns finds the saved runs that key evidence by path, reading only
// the runs' Parquet footers, and the inputs each of their paths names
// (the manifest records the path of every input). Nil when there are none.
func (e *Engine) legacyRuns(ctx context.Context, a *archive.Archive, m *archive.Manifest) (*legacyEvidence, error) {
	if m == nil || len(m.Runs) == 0 {
		return nil, nil
	}
	byPath := map[string]string{}
	paths := make([]string, len(m.Runs))
	for i, run := range m.Runs {
		byPath[a.Path(run.File)] = run.File
		paths[i] = Quote(a.Path(run.File))
	}
	rows, err := e.Query(ctx, "SELECT DISTINCT file_name FROM parquet_schema(["+strings.Join(paths, ", ")+"]) WHERE name = 'file'")
	if err != nil {
		return nil, err
	}
	var old []string
	l := &legacyEvidence{files: map[string]bool{}, inputs: map[string][]string{}}
	for rows.Next() {
		var f string
		if err := rows.Scan(&f); err != nil {
			rows.Close()
			return nil, err
		}
		l.files[byPath[f]] = true
		old = append(old, Quote(f))
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(old) == 0 {
		return nil, err
	}
	rows, err = e.Query(ctx, "SELECT DISTINCT ref.file FROM (SELECT unnest(evidence) AS ref FROM read_parquet(["+strings.Join(old, ", ")+"])) WHERE ref.file IS NOT NULL")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		l.inputs[p] = nil
	}
	for _, in := range m.Inputs {
		if _, ok := l.inputs[in.Path]; ok && in.SHA256 != "" {
			l.inputs[in.Path] = append(l.inputs[in.Path], in.SHA256)
		}
	}
	return l, rows.Err()
}

// detectionsSQL reads the saved runs. Evidence of runs that named events by
// path is converted to the current key with the manifest's inputs: an event
// named {file, offset} is {sha256, offset} for each input loaded from that
// path. A path loaded more than once (every stdin load is "-") names the
// events at that offset in each of them, as it did when the run was saved.
func detectionsSQL(a *archive.Archive, m *archive.Manifest, legacy *legacyEvidence) string {
	var cur, old []string
	for _, run := range m.Runs {
		if legacy != nil && legacy.files[run.File] {
			old = append(old, Quote(a.Path(run.File)))
		} else {
			cur = append(cur, Quote(a.Path(run.File)))
		}
	}
	var parts []string
	if len(cur) > 0 {
		parts = append(parts, "SELECT * FROM read_parquet(["+strings.Join(cur, ", ")+"], union_by_name = true)")
	}
	if len(old) > 0 {
		var inputs []string
		for _, p := range slices.Sorted(maps.Keys(legacy.inputs)) {
			for _, sha := range legacy.inputs[p] {
				inputs = append(inputs, fmt.Sprintf("{'path': %s, 'sha256': %s}", Quote(p), Quote(sha)))
			}
		}
		parts = append(parts, `SELECT * REPLACE (flatten(list_transform(evidence, r -> list_transform(
    list_filter(CAST([`+strings.Join(inputs, ", ")+`] AS STRUCT(path VARCHAR, sha256 VARCHAR)[]), i -> i.path = r.file),
    i -> {'sha256': i.sha256, 'offset': r."offset"}))) AS evidence)
FROM read_parquet([`+strings.Join(old, ", ")+`], union_by_name = true)`)
	}
	names := make([]string, len(DetectionColumns))
	for i, c := range DetectionColumns {
		names[i] = c[0]
	}
	return "SELECT " + strings.Join(names, ", ") + " FROM (\n" + strings.Join(parts, "\nUNION ALL BY NAME\n") + "\n)"
}

var emptyDetections = func() string {
	cols := make([]string, len(DetectionColumns))
	for i, c := range DetectionColumns {
		cols[i] = fmt.Sprintf("CAST(NULL AS %s) AS %s", c[1], c[0])
	}
	return "SELECT " + strings.Join(cols, ", ") + " WHERE false"
}()

// emptyEvents is a typed, empty events relation for an archive with no files yet.
func emptyEvents() string {
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, f := range schema.Fields {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "CAST(NULL AS %s) AS %s", f.Kind, QuoteIdent(f.Name))
	}
	b.WriteString(" WHERE false")
	return b.String()
}
