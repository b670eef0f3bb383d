package loader

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"

	"huntsql/internal/archive"
	"huntsql/internal/engine"
	"huntsql/loader/rows"
	schema "huntsql/sql"
)

const dayMicros = 86_400_000_000

// partitionWriter buffers rows by UTC date and writes them as Parquet files,
// one per date per flush. Files are encoded by several goroutines at once
// (Parquet encoding and compression are most of a load's work), overlapping
// with normalization; the files written are committed in a stable order.
type partitionWriter struct {
	l     *load
	parts map[int64][]rows.Segment // by day number since the epoch
	bytes int
	queue chan pendingFile
	wg    sync.WaitGroup
	mu    sync.Mutex
	err   error // the first write error; later files are not written
	limit int
	dedup *dedup // nil with --keep-duplicates
}

// pendingFile is one date's sorted rows on their way to a Parquet file.
type pendingFile struct {
	segs []rows.Segment
	refs []rows.Ref
	meta archive.File
}

func newPartitionWriter(ctx context.Context, l *load) *partitionWriter {
	w := &partitionWriter{l: l, parts: map[int64][]rows.Segment{}, queue: make(chan pendingFile), limit: l.opts.FlushBytes}
	if w.limit <= 0 {
		w.limit = defaultFlushBytes
	}
	if !l.opts.KeepDuplicates {
		w.dedup = newDedup(l)
	}
	for range max(1, runtime.NumCPU()) {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for f := range w.queue {
				if w.failed() != nil {
					continue
				}
				err := l.fillHashes(ctx, &f)
				if err == nil {
					err = l.writeParquet(ctx, f, f.meta.Path)
				}
				w.mu.Lock()
				if err == nil {
					l.files = append(l.files, f.meta)
				} else if w.err == nil {
					w.err = err
				}
				w.mu.Unlock()
			}
		}()
	}
	return w
}

func (w *partitionWriter) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// dayDate is the partition date of a day number.
func dayDate(day int64) string { return time.UnixMicro(day * dayMicros).UTC().Format("2006-01-02") }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// add buffers a batch's rows, leaving out events the archive already holds
// (unless --keep-duplicates), and returns how many it left out.
// Of the duplicates, unmapped counts those that were unmapped.
func (w *partitionWriter) add(ctx context.Context, b *rows.Batch) (dups, unmappedDups int64, err error) {
	byDay := map[int64][]int{}
	for i := 0; i < b.Len; i++ {
		d := floorDiv(b.Time(i), dayMicros)
		if w.dedup != nil {
			s, _ := b.String(colKey, i)
			if k, ok := parseKey(s); ok {
				dup, err := w.dedup.seen(ctx, d, k)
				if err != nil {
					return dups, unmappedDups, err
				}
				if dup {
					dups++
					if unmapped(b, i) != "" {
						unmappedDups++
					}
					continue
				}
			}
		}
		byDay[d] = append(byDay[d], i)
	}
	for d, idx := range byDay {
		w.parts[d] = append(w.parts[d], rows.Segment{B: b, Rows: idx})
	}
	w.bytes += b.Bytes
	if w.bytes >= w.limit {
		return dups, unmappedDups, w.flush()
	}
	return dups, unmappedDups, nil
}

// flush turns the buffered rows into one sorted record per date, in date
// order, and queues them for writing.
func (w *partitionWriter) flush() error {
	if len(w.parts) == 0 {
		return nil
	}
	days := make([]int64, 0, len(w.parts))
	for d := range w.parts {
		days = append(days, d)
	}
	slices.Sort(days)
	files := make([]pendingFile, 0, len(days))
	for _, d := range days {
		files = append(files, w.l.prepareFile(d, w.parts[d]))
	}
	w.parts, w.bytes = map[int64][]rows.Segment{}, 0
	for _, f := range files {
		if err := w.failed(); err != nil {
			return err
		}
		w.queue <- f
	}
	return nil
}

func (w *partitionWriter) close() error {
	err := w.flush()
	close(w.queue)
	w.wg.Wait()
	if err == nil {
		err = w.err
	}
	// Files finish in any order; the manifest lists them in a stable one.
	slices.SortFunc(w.l.files, func(a, b archive.File) int { return strings.Compare(a.Path, b.Path) })
	return err
}

// prepareFile sorts one date's rows.
func (l *load) prepareFile(day int64, segs []rows.Segment) pendingFile {
	date := dayDate(day)
	l.seq++
	rel := path.Join(archive.PartitionDir(date), fmt.Sprintf("part-%s-%05d.parquet", l.id, l.seq))
	refs := rows.SortedRefs(segs)
	return pendingFile{
		segs: segs, refs: refs,
		meta: archive.File{
			Path: rel, Date: date, Rows: int64(len(refs)), LoadID: l.id,
			MinTS: time.UnixMicro(refs[0].Time(segs)).UTC(),
			MaxTS: time.UnixMicro(refs[len(refs)-1].Time(segs)).UTC(),
		},
	}
}

var colSHA = schema.MustIndex(schema.InputSHA256)

// fillHashes sets the input SHA-256 of a file's rows, waiting for inputs
// still being hashed, and lists the file's inputs (every segment has rows).
func (l *load) fillHashes(ctx context.Context, f *pendingFile) error {
	for _, sg := range f.segs {
		sha, err := l.inputHash(ctx, sg.B.Input)
		if err != nil {
			return err
		}
		sg.Fill(colSHA, sha)
		if !slices.Contains(f.meta.Inputs, sha) {
			f.meta.Inputs = append(f.meta.Inputs, sha)
		}
	}
	slices.Sort(f.meta.Inputs)
	return nil
}

// writeParquet writes a file's rows to the archive-relative path rel through a
// temporary name, so that a file under its final name is always whole.
func (l *load) writeParquet(ctx context.Context, pf pendingFile, rel string) error {
	final := l.a.Path(rel)
	err := archive.WriteAtomic(final, func(f *os.File) error {
		if l.opts.Writer == WriterArrow {
			return writeArrowParquet(pf, f.Name())
		}
		rec := rows.Record(memory.DefaultAllocator, pf.segs, pf.refs)
		defer rec.Release()
		return l.opts.Engine.WriteParquet(ctx, rec, f.Name())
	})
	if err != nil && (errors.Is(err, syscall.ENOSPC) || strings.Contains(err.Error(), "no space left on device")) {
		return fmt.Errorf("write %s: no space left on device: free space on the archive's disk and run the load again (nothing of this load is committed)", final)
	}
	return err
}

// arrowWriterProps: zstd at level 1 (level 3 costs a third more time for a few
// percent of size, docs/benchmarks.md), dictionaries except on per-event columns,
// statistics on numbers, times and the most filtered text columns, so that
// DuckDB can skip row groups (by @timestamp above all) without paying for
// min/max of every string (−20 % load CPU).
var arrowWriterProps = func() []parquet.WriterProperty {
	p := []parquet.WriterProperty{
		parquet.WithCompression(compress.Codecs.Zstd),
		parquet.WithCompressionLevel(1),
		parquet.WithMaxRowGroupLength(122880),
		parquet.WithDictionaryDefault(true),
		parquet.WithStats(false),
		parquet.WithSortingColumns([]parquet.SortingColumn{{ColumnIdx: int32(schema.MustIndex(schema.Timestamp))}}),
	}
	// Column names contain dots: name columns by one-element paths, since the
	// *For variants would split "host.name" into host → name.
	for _, name := range schema.PerEvent {
		p = append(p, parquet.WithDictionaryPath(parquet.ColumnPath{name}, false))
	}
	for _, f := range schema.Fields {
		if f.Kind == schema.Time {
			p = append(p, parquet.WithDictionaryPath(parquet.ColumnPath{f.Name}, false))
		}
	}
	for _, f := range schema.Fields {
		if f.Kind == schema.Int || f.Kind == schema.Time || slices.Contains(schema.Filtered, f.Name) {
			p = append(p, parquet.WithStatsPath(parquet.ColumnPath{f.Name}, true))
		}
	}
	return p
}()

// writeArrowParquet writes with arrow-go's own Parquet writer.
func writeArrowParquet(pf pendingFile, p string) error {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, archive.FilePerm)
	if err != nil {
		return err
	}
	return rows.WriteParquet(f, pf.segs, pf.refs, parquet.NewWriterProperties(arrowWriterProps...)) // closes f
}

// supersede rewrites the committed files that hold rows of inputs being
// reloaded with --force, without those rows. It returns the files kept as they
// are, the rewritten files, and the paths made obsolete (deleted after commit).
func (l *load) supersede(ctx context.Context) (kept, rewritten []archive.File, obsolete []string, err error) {
	var shas []string
	for s := range l.replaced {
		shas = append(shas, engine.Quote(s))
	}
	slices.Sort(shas)
	for _, f := range l.m.Files {
		hit := slices.ContainsFunc(f.Inputs, func(s string) bool { return l.replaced[s] })
		if !hit {
			kept = append(kept, f)
			continue
		}
		obsolete = append(obsolete, f.Path)
		if !slices.ContainsFunc(f.Inputs, func(s string) bool { return !l.replaced[s] }) {
			continue // every row is replaced
		}
		l.seq++
		rel := path.Join(archive.PartitionDir(f.Date), fmt.Sprintf("part-%s-%05d.parquet", l.id, l.seq))
		nf := archive.File{Path: rel, Date: f.Date, LoadID: l.id}
		err := archive.WriteAtomic(l.a.Path(rel), func(tmp *os.File) error {
			q := fmt.Sprintf(`COPY (SELECT * FROM read_parquet(%s) WHERE %s NOT IN (%s)) TO %s (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)`,
				engine.Quote(l.a.Path(f.Path)), engine.QuoteIdent(schema.InputSHA256), strings.Join(shas, ", "), engine.Quote(tmp.Name()))
			if err := l.opts.Engine.Exec(ctx, q); err != nil {
				return fmt.Errorf("rewrite %s without reloaded inputs: %w", f.Path, err)
			}
			row := l.opts.Engine.Conn().QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*), min(%[1]s), max(%[1]s), list(DISTINCT %[2]s ORDER BY %[2]s) FROM read_parquet(%[3]s)`,
				engine.QuoteIdent(schema.Timestamp), engine.QuoteIdent(schema.InputSHA256), engine.Quote(tmp.Name())))
			var inputs []any
			if err := row.Scan(&nf.Rows, &nf.MinTS, &nf.MaxTS, &inputs); err != nil {
				return fmt.Errorf("read back the rewritten %s: %w", f.Path, err)
			}
			for _, s := range inputs {
				nf.Inputs = append(nf.Inputs, fmt.Sprint(s))
			}
			return nil
		})
		if err != nil {
			return nil, nil, nil, err
		}
		rewritten = append(rewritten, nf)
	}
	return kept, rewritten, obsolete, nil
}

// rejectsWriter keeps rejected records, verbatim, with their reasons.
type rejectsWriter struct {
	rel string
	f   *os.File
	w   *bufio.Writer
	err error
}

func newRejectsWriter(a *archive.Archive, loadID string) (*rejectsWriter, error) {
	rel := archive.RejectsDir + "/" + loadID + ".ndjson"
	if err := os.MkdirAll(a.Path(archive.RejectsDir), archive.DirPerm); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(a.Path(rel)+".tmp", os.O_CREATE|os.O_TRUNC|os.O_WRONLY, archive.FilePerm)
	if err != nil {
		return nil, err
	}
	return &rejectsWriter{rel: rel, f: f, w: bufio.NewWriter(f)}, nil
}

// rejectLine is one line of a rejects file.
type rejectLine struct {
	File   string `json:"file"`
	Line   int64  `json:"line,omitempty"`
	Offset int64  `json:"offset"`
	Where  string `json:"where,omitempty"`
	Reason string `json:"reason"`
	// Record is the record text when it is valid UTF-8; RecordBase64 otherwise.
	Record       *string `json:"record,omitempty"`
	RecordBase64 []byte  `json:"record_base64,omitempty"`
	// Size is the whole record's size when only its first bytes are kept.
	Size int64 `json:"size,omitempty"`
}

func (r *rejectsWriter) write(p Problem) {
	if r.err != nil {
		return
	}
	line := rejectLine{File: p.File, Line: p.Line, Offset: p.Offset, Where: p.Where, Reason: p.Reason, Size: p.Size}
	if !p.Input {
		if utf8.Valid(p.Data) {
			s := string(p.Data)
			line.Record = &s
		} else {
			line.RecordBase64 = p.Data
		}
	}
	b, err := json.Marshal(line)
	if err == nil {
		b = append(b, '\n')
		_, err = r.w.Write(b)
	}
	r.err = err
}

func (r *rejectsWriter) commit() (string, error) {
	if r.f == nil {
		return "", r.err
	}
	err := r.w.Flush()
	if err == nil {
		err = r.f.Sync()
	}
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = r.err
	}
	if err != nil {
		return "", err
	}
	return r.rel, os.Rename(r.f.Name(), r.f.Name()[:len(r.f.Name())-len(".tmp")])
}
