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
	"sync/atomic"
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

// partitionWriter buffers rows by UTC date and writes them as Parquet files.
// Files are encoded by several goroutines at once (Parquet encoding and
// compression are most of a load's work), overlapping with normalization; the
// files written are committed in a stable order.
//
// A flush writes one file per date with enough rows; the rows of the other
// dates are copied aside (held) and wait for more rows of their date, so that
// logs spanning months or years of sparse days (Windows System and
// Application logs) give few files of many rows rather than one small file
// per day per flush: each file costs a fixed ~5 ms for the archive's 160
// columns. Held rows count against the flush budget, and when they take most
// of it the largest held dates are written.
type partitionWriter struct {
	l         *load
	parts     map[int64][]rows.Segment // by day number since the epoch
	bytes     int
	held      map[int64]*heldRows
	heldBytes int
	queue     chan pendingFile
	wg        sync.WaitGroup
	mu        sync.Mutex
	err       error // the first write error; later files are not written
	limit     int
	dedup     *dedup // nil with --keep-duplicates
}

// heldRows are one date's rows kept from one flush to the next, copied out of
// the batches they came from so as not to keep those alive.
type heldRows struct {
	b      *rows.Batch // input SHA-256 filled (Input is -1)
	inputs []string    // the SHA-256 of the inputs of its rows, sorted
}

// heldOverhead is what a held date costs beyond its rows' payload (a batch's
// column headers, slack): with it counted, many tiny held dates are written
// before they fill memory.
const heldOverhead = 32 << 10

func (h *heldRows) size() int { return h.b.Bytes + heldOverhead }

// pendingFile is one date's sorted rows on their way to a Parquet file.
type pendingFile struct {
	segs   []rows.Segment
	refs   []rows.Ref
	inputs []string // of held rows, whose hashes are filled already
	meta   archive.File
}

func newPartitionWriter(ctx context.Context, l *load) *partitionWriter {
	w := &partitionWriter{l: l, parts: map[int64][]rows.Segment{}, held: map[int64]*heldRows{},
		queue: make(chan pendingFile), limit: l.opts.flushBudget()}
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
				f.sort()
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
	if w.bytes+w.heldBytes >= w.limit {
		return dups, unmappedDups, w.flush(ctx, false)
	}
	return dups, unmappedDups, nil
}

// flush writes, in date order, one sorted file per date that has enough
// rows, held and new (a sixteenth of the budget), and holds the rows of the
// others; the final flush writes every date. Then, when held rows take more
// than three quarters of the budget, it writes the largest held dates until
// they take five eighths. (On 113 k EVTX records over 163 days, 32 MiB: 357
// files instead of 982; holding up to half the budget, or writing dates from
// an eighth of it, gives 380 to 450.)
func (w *partitionWriter) flush(ctx context.Context, final bool) error {
	days := make([]int64, 0, len(w.parts))
	for d := range w.parts {
		days = append(days, d)
	}
	if final {
		for d := range w.held {
			if _, ok := w.parts[d]; !ok {
				days = append(days, d)
			}
		}
	}
	slices.Sort(days)
	var files []pendingFile
	var small []int64
	for _, d := range days {
		segs := w.parts[d]
		size := segmentBytes(segs)
		if h := w.held[d]; h != nil {
			size += h.size()
		}
		if !final && size < w.limit/16 {
			small = append(small, d)
			continue
		}
		files = append(files, w.prepareFile(d, segs))
	}
	parts := w.parts
	w.parts, w.bytes = map[int64][]rows.Segment{}, 0
	// The small dates' rows are copied aside while the files are written
	// (the copies skip the input hash column, the only one writers set).
	held := make(chan error, 1)
	go func() { held <- w.hold(ctx, small, parts) }()
	err := w.send(files)
	if herr := <-held; err == nil {
		err = herr
	}
	if err != nil {
		return err
	}
	files = files[:0]
	if w.heldBytes > w.limit/4*3 {
		for w.heldBytes > w.limit/8*5 {
			// The largest held date, the earliest of equals: a stable choice.
			var big int64
			size := -1
			for d, h := range w.held {
				if h.size() > size || h.size() == size && d < big {
					big, size = d, h.size()
				}
			}
			files = append(files, w.prepareFile(big, nil))
		}
	}
	if afterFlush != nil {
		afterFlush(w, final)
	}
	return w.send(files)
}

// send queues files for the writers.
func (w *partitionWriter) send(files []pendingFile) error {
	for _, f := range files {
		if err := w.failed(); err != nil {
			return err
		}
		w.queue <- f
	}
	return nil
}

// afterFlush lets tests see the writer's buffers after each flush.
var afterFlush func(w *partitionWriter, final bool)

// segmentBytes estimates the payload of the segments' rows.
func segmentBytes(segs []rows.Segment) int {
	n := 0
	for _, sg := range segs {
		n += sg.B.Bytes * len(sg.Rows) / max(1, sg.B.Len)
	}
	return n
}

// hold copies the new rows of days (in parts) to their held rows, with their
// inputs' hashes, several dates at a time: the flush waits for it.
func (w *partitionWriter) hold(ctx context.Context, days []int64, parts map[int64][]rows.Segment) error {
	// The hashes first: a failure leaves the held rows as they were.
	shas := make([][]string, len(days))
	for i, d := range days {
		shas[i] = make([]string, len(parts[d]))
		for j, sg := range parts[d] {
			sha, err := w.l.inputHash(ctx, sg.B.Input)
			if err != nil {
				return err
			}
			shas[i][j] = sha
		}
	}
	hs := make([]*heldRows, len(days))
	for i, d := range days {
		h := w.held[d]
		if h == nil {
			h = &heldRows{b: rows.NewBatch(0)}
			h.b.Input = -1
			h.b.Reserve(colSHA)
			w.held[d] = h
		} else {
			w.heldBytes -= h.size()
		}
		hs[i] = h
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(len(days), runtime.NumCPU()) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(days); i = int(next.Add(1) - 1) {
				hs[i].add(parts[days[i]], shas[i])
			}
		})
	}
	wg.Wait()
	for _, h := range hs {
		w.heldBytes += h.size()
	}
	return nil
}

// add copies the rows of segs, of the inputs whose hashes are shas.
func (h *heldRows) add(segs []rows.Segment, shas []string) {
	n := 0
	for _, sg := range segs {
		n += len(sg.Rows)
	}
	h.b.Grow(n)
	for i, sg := range segs {
		sha := shas[i]
		from := h.b.Len
		h.b.AppendRows(sg, colSHA)
		added := make([]int, h.b.Len-from)
		for i := range added {
			added[i] = from + i
		}
		rows.Segment{B: h.b, Rows: added}.Fill(colSHA, sha)
		if i, found := slices.BinarySearch(h.inputs, sha); !found {
			h.inputs = slices.Insert(h.inputs, i, sha)
		}
	}
}

// prepareFile names the file of one date's rows, held and new, and lets go
// of the held ones.
func (w *partitionWriter) prepareFile(day int64, segs []rows.Segment) pendingFile {
	var inputs []string
	if h := w.held[day]; h != nil {
		all := make([]int, h.b.Len)
		for i := range all {
			all[i] = i
		}
		segs = append([]rows.Segment{{B: h.b, Rows: all}}, segs...)
		inputs = h.inputs
		w.heldBytes -= h.size()
		delete(w.held, day)
	}
	f := w.l.prepareFile(day, segs)
	f.inputs = inputs
	return f
}

func (w *partitionWriter) close(ctx context.Context) error {
	err := w.flush(ctx, true)
	close(w.queue)
	w.wg.Wait()
	if err == nil {
		err = w.err
	}
	// Files finish in any order; the manifest lists them in a stable one.
	slices.SortFunc(w.l.files, func(a, b archive.File) int { return strings.Compare(a.Path, b.Path) })
	return err
}

// prepareFile names one date's file; the writer sorts its rows (sort).
func (l *load) prepareFile(day int64, segs []rows.Segment) pendingFile {
	date := dayDate(day)
	l.seq++
	rel := path.Join(archive.PartitionDir(date), fmt.Sprintf("part-%s-%05d.parquet", l.id, l.seq))
	return pendingFile{segs: segs, meta: archive.File{Path: rel, Date: date, LoadID: l.id}}
}

// sort puts a file's rows in archive order and notes their count and times.
func (f *pendingFile) sort() {
	f.refs = rows.SortedRefs(f.segs)
	f.meta.Rows = int64(len(f.refs))
	f.meta.MinTS = time.UnixMicro(f.refs[0].Time(f.segs)).UTC()
	f.meta.MaxTS = time.UnixMicro(f.refs[len(f.refs)-1].Time(f.segs)).UTC()
}

var colSHA = schema.MustIndex(schema.InputSHA256)

// fillHashes sets the input SHA-256 of a file's rows, waiting for inputs
// still being hashed, and lists the file's inputs (every segment has rows).
func (l *load) fillHashes(ctx context.Context, f *pendingFile) error {
	f.meta.Inputs = slices.Clone(f.inputs)
	for _, sg := range f.segs {
		if sg.B.Input < 0 {
			continue // held rows: filled when held
		}
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
	var err error
	switch l.opts.Writer {
	case WriterArchive:
		err = l.out.Write(final, func(f *os.File) error { return writeArchiveParquet(pf, f) })
	case WriterArrow:
		err = l.out.Write(final, func(f *os.File) error { return writeArrowParquet(pf, f) })
	default: // DuckDB writes the file by its name
		eng, eerr := l.engine(ctx)
		if eerr != nil {
			return eerr
		}
		err = archive.WriteAtomic(final, func(f *os.File) error {
			rec := rows.Record(memory.DefaultAllocator, pf.segs, pf.refs)
			defer rec.Release()
			return eng.WriteParquet(ctx, rec, f.Name())
		})
	}
	if noSpace(err) {
		return fmt.Errorf("write %s: %w", final, errNoSpace)
	}
	return err
}

var errNoSpace = errors.New("no space left on device: free space on the archive's disk and run the load again (nothing of this load is committed)")

// noSpace reports whether err is the disk running full.
func noSpace(err error) bool {
	return err != nil && (errors.Is(err, syscall.ENOSPC) || strings.Contains(err.Error(), "no space left on device"))
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

// writeArchiveParquet writes with the archive's own Parquet writer to f,
// which the caller closes, through a buffer.
func writeArchiveParquet(pf pendingFile, f *os.File) error {
	w := newBufferedFile(f)
	err := rows.WriteArchiveFile(w, pf.segs, pf.refs)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeArrowParquet writes with arrow-go's own Parquet writer to f, which the
// caller closes, through a buffer: the writer serializes page headers and
// column metadata in writes of a few bytes each, which unbuffered cost a
// system call apiece (a sixth of an EVTX load's CPU).
func writeArrowParquet(pf pendingFile, f *os.File) error {
	return rows.WriteParquet(newBufferedFile(f), pf.segs, pf.refs, fileWriterProps(pf.segs))
}

// fileWriterProps are arrowWriterProps, with neither dictionary nor
// compression for the columns a file leaves NULL throughout: their only page
// holds a few bytes of definition levels, and an empty dictionary page and
// two zstd frames each cost more than the column's data (most of the
// archive's columns are NULL in any one file, and small files are common).
// Statistics stay: their null count lets DuckDB skip the file on a filter.
// Small files leave their dictionary pages uncompressed too (rows.SmallFileRows).
// Files of one kind of log leave the same columns NULL: the properties are
// kept by NULL columns, for the first maxPropsKept sets seen.
func fileWriterProps(segs []rows.Segment) *parquet.WriterProperties {
	null := rows.NullColumns(segs)
	n := 0
	for _, sg := range segs {
		n += len(sg.Rows)
	}
	small := n < rows.SmallFileRows
	key := make([]byte, 0, len(null)+1)
	key = append(key, byte(b2i(small)))
	for _, n := range null {
		key = append(key, byte(b2i(n)))
	}
	propsMu.Lock()
	p, ok := propsByNulls[string(key)]
	propsMu.Unlock()
	if ok {
		return p
	}
	opts := slices.Clip(arrowWriterProps)
	for ci, n := range null {
		if !n && small && dictionaryColumn(ci) {
			for _, path := range rows.LeafPaths[ci] {
				opts = append(opts, parquet.WithCompressionPath(path, compress.Codecs.Uncompressed))
			}
		}
		if !n {
			continue
		}
		for _, path := range rows.LeafPaths[ci] {
			opts = append(opts, parquet.WithDictionaryPath(path, false), parquet.WithCompressionPath(path, compress.Codecs.Uncompressed))
		}
	}
	p = parquet.NewWriterProperties(opts...)
	propsMu.Lock()
	if len(propsByNulls) < maxPropsKept {
		propsByNulls[string(key)] = p
	}
	propsMu.Unlock()
	return p
}

const maxPropsKept = 256

// dictionaryColumn reports whether field ci is written with a dictionary.
func dictionaryColumn(ci int) bool {
	f := schema.Fields[ci]
	return f.Kind == schema.StringList || f.Kind == schema.String && !slices.Contains(schema.PerEvent, f.Name)
}

var (
	propsMu      sync.Mutex
	propsByNulls = map[string]*parquet.WriterProperties{}
)

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// bufferedFile is a file written through a buffer; Close flushes, and leaves
// the file open for its owner (archive.WriteAtomic closes and syncs it:
// opening it again by name cost two system calls a file).
type bufferedFile struct {
	*bufio.Writer
}

var bufferPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 256<<10) }}

func newBufferedFile(f *os.File) *bufferedFile {
	w := bufferPool.Get().(*bufio.Writer)
	w.Reset(f)
	return &bufferedFile{Writer: w}
}

func (b *bufferedFile) Close() error {
	if b.Writer == nil {
		return nil
	}
	err := b.Flush()
	b.Writer.Reset(nil)
	bufferPool.Put(b.Writer)
	b.Writer = nil
	return err
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
			eng, err := l.engine(ctx)
			if err != nil {
				return err
			}
			if err := eng.Exec(ctx, q); err != nil {
				return fmt.Errorf("rewrite %s without reloaded inputs: %w", f.Path, err)
			}
			row := eng.Conn().QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*), min(%[1]s), max(%[1]s), list(DISTINCT %[2]s ORDER BY %[2]s) FROM read_parquet(%[3]s)`,
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

// newRejectsWriter starts the load's rejects file; its directory is created
// through out, whose Sync makes the file's rename durable before the commit.
func newRejectsWriter(a *archive.Archive, out *archive.Files, loadID string) (*rejectsWriter, error) {
	rel := archive.RejectsDir + "/" + loadID + ".ndjson"
	if err := out.Mkdir(a.Path(archive.RejectsDir)); err != nil {
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
