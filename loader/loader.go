// Package loader turns event logs into archive Parquet files: it expands and
// hashes inputs, detects compression and format by content, cuts and normalizes
// records in parallel, writes date-partitioned files sorted by @timestamp,
// keeps rejected records, and commits everything in one manifest update.
//
// The loader knows nothing of rules.
package loader

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"huntsql/internal/archive"
	"huntsql/internal/engine"
	"huntsql/loader/format"
	"huntsql/loader/rows"
	schema "huntsql/sql"
)

// Options configure a load.
type Options struct {
	Archive *archive.Archive
	// Engine reads older files to de-duplicate, rewrites files on --force and
	// writes Parquet when Writer is WriterDuckDB. Without one, OpenEngine
	// opens it when first needed: a first load, or one that adds dates the
	// archive does not have yet, needs none (opening DuckDB takes 35-60 ms).
	Engine     *engine.Engine
	OpenEngine func(context.Context) (*engine.Engine, error)
	Inputs     []string // files, directories, "-" for stdin
	Stdin      io.Reader
	Force      bool // reload inputs already in the archive, replacing their rows

	Workers    int // parallel normalizers; 0: one per core
	FlushBytes int // buffered row payload that triggers writing files; 0: default
	MaxRecord  int // largest record kept; 0: each format's default
	Writer     string
	// Host is the host.name of events whose input names none (a raw auditd
	// log, a collection from one machine); "" leaves them without.
	Host string
	// KeepDuplicates archives events even when the archive already holds them.
	KeepDuplicates bool
	// TimeZone reads timestamps that carry no zone (classic Windows text,
	// NXLog's EventTime); nil is UTC.
	TimeZone *time.Location

	Version  string
	Progress *Progress
	// OnProblem is called (from one goroutine) for every rejected record and
	// every input that cannot be read.
	OnProblem func(Problem)
	// OnSkip is called for inputs not loaded because they are already archived.
	OnSkip func(path, reason string)
}

// Parquet writers: the archive's own (rows.WriteArchiveFile, the default),
// arrow-go's and DuckDB's, which the tests compare it with.
const (
	WriterArchive = "archive"
	WriterArrow   = "arrow"
	WriterDuckDB  = "duckdb"
)

const defaultFlushBytes = 32 << 20

// flushBudget is FlushBytes, or its default.
func (o *Options) flushBudget() int {
	if o.FlushBytes > 0 {
		return o.FlushBytes
	}
	return defaultFlushBytes
}

// Progress is updated atomically while a load runs.
type Progress struct {
	Phase      atomic.Value // string: "hashing", "loading", "committing"
	BytesTotal atomic.Int64
	BytesDone  atomic.Int64
	Records    atomic.Int64
	Rejected   atomic.Int64
}

// Problem is a rejected record, or an input that failed as a whole.
type Problem struct {
	File string
	// Input is set when the problem is the input's, not one record's: it
	// could not be read, or it ended early.
	Input  bool
	Line   int64  // 1-based line of the record; 0 when the input has no lines (binary)
	Offset int64  // byte offset of the record in the decompressed input
	Where  string // more location within binary inputs, e.g. "chunk 3, record 1234"
	Reason string
	Data   []byte // the record's bytes, verbatim (a prefix when Size > len(Data))
	Size   int64
}

func (p Problem) String() string {
	switch {
	case p.Input:
		return fmt.Sprintf("%s: %s", p.File, p.Reason)
	case p.Line > 0:
		return fmt.Sprintf("%s:%d: %s (byte offset %d)", p.File, p.Line, p.Reason, p.Offset)
	case p.Where != "":
		return fmt.Sprintf("%s: %s (%s, byte offset %d)", p.File, p.Reason, p.Where, p.Offset)
	}
	return fmt.Sprintf("%s: %s (byte offset %d)", p.File, p.Reason, p.Offset)
}

// Summary reports a finished load.
type Summary struct {
	LoadID      string
	Files       int // inputs read
	Skipped     int // inputs already in the archive
	FailedFiles int // inputs that could not be read (wholly or in part)
	Records     int64
	Archived    int64
	Rejected    int64
	Unmapped    int64           // archived events without host or kind (see Input.Unmapped)
	Duplicates  int64           // events left out because the archive already held them
	Inputs      []archive.Input // per input read: format and counts
	Bytes       int64           // input bytes read
	Parquet     int             // files written
	RejectsFile string
	Elapsed     time.Duration
}

// Clean reports whether every input was read and every record archived.
func (s *Summary) Clean() bool { return s.Rejected == 0 && s.FailedFiles == 0 }

// Load runs one load into the archive.
func Load(ctx context.Context, opts Options) (*Summary, error) {
	start := time.Now()
	if opts.Progress == nil {
		opts.Progress = &Progress{}
	}
	if opts.OnProblem == nil {
		opts.OnProblem = func(Problem) {}
	}
	if opts.OnSkip == nil {
		opts.OnSkip = func(string, string) {}
	}
	if opts.Writer == "" {
		opts.Writer = WriterArchive
	}
	a := opts.Archive
	lock, err := a.LockWriter()
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	m, err := a.ReadManifest(true)
	if err != nil {
		return nil, err
	}
	if _, err := a.RemoveUncommitted(m); err != nil {
		return nil, err
	}

	// 8× the flush budget: the peak heap GOGC=100 gives on the EVTX
	// benchmark, for a fifth of the collections (see gcFloor).
	defer gcFloor(8 * int64(opts.flushBudget()))()

	l := &load{opts: opts, a: a, m: m, id: newLoadID(start), started: start}
	defer os.RemoveAll(l.tmpDir())
	defer l.out.Wait() // files still being synced when the load fails
	if err := l.prepare(ctx); err != nil {
		return nil, err
	}
	if err := l.run(ctx); err != nil {
		return nil, err
	}
	if err := l.commit(ctx); err != nil {
		return nil, err
	}
	l.sum.Elapsed = time.Since(start)
	return &l.sum, nil
}

func newLoadID(t time.Time) string {
	var b [3]byte
	rand.Read(b[:])
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// load is the state of one running load.
type load struct {
	opts    Options
	a       *archive.Archive
	m       *archive.Manifest
	id      string
	started time.Time

	inputs   []*input // to read, in order
	stats    []archive.Input
	replaced map[string]bool // SHA-256 of inputs whose earlier rows --force replaces
	files    []archive.File
	engMu    sync.Mutex    // guards opening the engine (see engine)
	out      archive.Files // writes files; Sync makes them durable before the commit
	seq      int
	rejects  *rejectsWriter
	sum      Summary
}

func (l *load) tmpDir() string { return l.a.Path(".tmp-" + l.id) }

// prepare expands, hashes and de-duplicates the inputs. An input whose size
// no other input has, here or in the archive, cannot be a duplicate: it is
// hashed while it loads (see hashLater), not in a pass of its own.
func (l *load) prepare(ctx context.Context) error {
	p := l.opts.Progress
	p.Phase.Store("hashing")
	all, err := expand(l.opts.Inputs, l.opts.Stdin, l.tmpDir())
	if err != nil {
		return err
	}
	sizes := map[int64]int{}
	for _, in := range l.m.Inputs {
		sizes[in.Size]++
	}
	var total int64
	for _, in := range all {
		sizes[in.size]++
		total += in.size
	}
	p.BytesTotal.Store(total)
	// The inputs that may be duplicates are hashed now, one per core at a
	// time (copies of a log have the same size: a whole collection may be).
	var now []*input
	for _, in := range all {
		if in.openErr == nil && in.sha256 == "" && sizes[in.size] > 1 {
			now = append(now, in)
		}
	}
	hashAll(ctx, now, &p.BytesDone)
	seen := map[string]string{}
	l.replaced = map[string]bool{}
	for _, in := range all {
		if in.openErr == nil && in.sha256 == "" && sizes[in.size] == 1 {
			in.hashed = make(chan struct{})
			l.inputs = append(l.inputs, in)
			continue
		}
		if in.openErr != nil {
			l.problem(Problem{File: in.path, Input: true, Reason: in.openErr.Error()})
			l.sum.FailedFiles++
			continue
		}
		in.hashed = closedChan
		if prev, ok := seen[in.sha256]; ok {
			l.opts.OnSkip(in.path, "same content as "+prev)
			l.sum.Skipped++
			continue
		}
		seen[in.sha256] = in.path
		if old, ok := l.m.InputBySHA(in.sha256); ok {
			if !l.opts.Force {
				l.opts.OnSkip(in.path, fmt.Sprintf("already loaded (load %s, from %s); use --force to reload", old.LoadID, old.Path))
				l.sum.Skipped++
				continue
			}
			l.replaced[in.sha256] = true
		}
		l.inputs = append(l.inputs, in)
	}
	total = 0
	for _, in := range l.inputs {
		total += in.size
	}
	p.BytesTotal.Store(total)
	p.BytesDone.Store(0)
	return nil
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// hashAll hashes inputs, as many at a time as there are cores, setting
// their SHA-256 or their openErr.
func hashAll(ctx context.Context, inputs []*input, progress *atomic.Int64) {
	next := make(chan *input)
	var wg sync.WaitGroup
	for range min(len(inputs), runtime.NumCPU()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, hashBuffer)
			for in := range next {
				in.sha256, in.openErr = hashFile(ctx, in.open, progress, buf)
			}
		}()
	}
	for _, in := range inputs {
		next <- in
	}
	close(next)
	wg.Wait()
}

// hashLater hashes, one after the other, the inputs prepare left unhashed,
// running ahead of the load that reads them.
func (l *load) hashLater(ctx context.Context) {
	buf := make([]byte, hashBuffer)
	for _, in := range l.inputs {
		if in.hashed == closedChan {
			continue
		}
		in.sha256, in.hashErr = hashFile(ctx, in.open, nil, buf)
		close(in.hashed)
	}
}

// inputHash waits for input i's hash.
func (l *load) inputHash(ctx context.Context, i int) (string, error) {
	in := l.inputs[i]
	select {
	case <-in.hashed:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	if in.hashErr != nil {
		return "", fmt.Errorf("hash %s: %w", in.path, in.hashErr)
	}
	return in.sha256, nil
}

func (l *load) problem(pr Problem) {
	l.opts.OnProblem(pr)
	if l.rejects == nil {
		var err error
		if l.rejects, err = newRejectsWriter(l.a, &l.out, l.id); err != nil {
			// The rejects file is best effort; the problem itself was reported.
			l.rejects = &rejectsWriter{err: err}
		}
	}
	l.rejects.write(pr)
}

// chunk is a run of raw records from one input, in input order.
type chunk struct {
	seq   int
	input int
	raws  []rows.Raw
	done  bool  // last chunk of the input
	err   error // why the input ended early (with done)
}

// result is a normalized chunk.
type result struct {
	chunk
	batch    *rows.Batch
	records  int64 // rows + rejects: a raw record may hold many (an EVTX chunk)
	unmapped int64 // rows that rules selecting by kind or host cannot see
	rejects  []Problem
}

func (l *load) run(ctx context.Context) error {
	p := l.opts.Progress
	p.Phase.Store("loading")
	l.stats = make([]archive.Input, len(l.inputs))
	for i, in := range l.inputs {
		l.stats[i] = archive.Input{Path: in.abs, Size: in.size, LoadID: l.id}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go l.hashLater(ctx)

	workers := l.opts.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	chunks := make(chan chunk, 2*workers)
	results := make(chan result, 2*workers)
	go l.read(ctx, chunks)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.normalize(ctx, chunks, results)
		}()
	}
	go func() { wg.Wait(); close(results) }()

	w := newPartitionWriter(ctx, l)
	err := l.collect(ctx, results, w)
	if werr := w.close(ctx); err == nil {
		err = werr
	}
	for i := range l.inputs {
		if err != nil {
			break
		}
		l.stats[i].SHA256, err = l.inputHash(ctx, i)
	}
	if err != nil {
		cancel()
		for range results {
		}
		return err
	}
	return ctx.Err()
}

// A chunk holds up to chunkRecords raw records or chunkBytes of them: records
// of binary formats are containers (64 KiB EVTX chunks), which the workers
// must share too.
const (
	chunkRecords = 256
	chunkBytes   = 1 << 20
)

// beforeCommit lets tests stop a load at its most delicate moment: every file
// written, nothing committed.
var beforeCommit func() error

// read cuts records from each input in turn.
func (l *load) read(ctx context.Context, out chan<- chunk) {
	defer close(out)
	seq := 0
	send := func(c chunk) bool {
		c.seq = seq
		seq++
		select {
		case out <- c:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for i, in := range l.inputs {
		err := l.readInput(i, in, func(raws []rows.Raw) bool {
			return send(chunk{input: i, raws: raws})
		})
		if !send(chunk{input: i, done: true, err: err}) {
			return
		}
	}
}

func (l *load) readInput(i int, in *input, send func([]rows.Raw) bool) error {
	f, err := os.Open(in.open)
	if err != nil {
		return describeOpenErr(err)
	}
	defer f.Close()
	r, _, closeDec, err := decompress(countingReader{r: f, n: &l.opts.Progress.BytesDone})
	if err != nil {
		return err
	}
	defer closeDec()
	fm, br, err := detect(r)
	if err != nil {
		return err
	}
	in.format = fm
	l.stats[i].Format = fm.Name
	sp := fm.NewSplitter(br, l.formatOptions())
	batch := make([]rows.Raw, 0, chunkRecords)
	size := 0
	for {
		raw, err := sp.Next()
		if err == io.EOF {
			break
		}
		batch = append(batch, raw)
		size += len(raw.Data)
		if len(batch) == chunkRecords || size >= chunkBytes {
			if !send(batch) {
				return nil
			}
			batch = make([]rows.Raw, 0, chunkRecords)
			size = 0
		}
	}
	if len(batch) > 0 && !send(batch) {
		return nil
	}
	if err := sp.ReadErr(); err != nil {
		return fmt.Errorf("input ends early: %w", err)
	}
	return nil
}

// capacityFor sizes a chunk's batch. A text record is one row; a binary
// format's raw record is a container (a 64 KiB EVTX chunk holds one to a few
// hundred events): sizing the batch for them up front spares growing every
// column again and again (12 % of an EVTX load's CPU otherwise), and sizing
// it no larger than needed spares allocating (and collecting) columns twice
// too long.
func capacityFor(f *format.Format, raws []rows.Raw) int {
	n := len(raws)
	if f.Binary {
		size, est := 0, 0
		for i := range raws {
			size += len(raws[i].Data)
			if f.Rows != nil {
				est += f.Rows(raws[i].Data)
			}
		}
		if f.Rows == nil {
			est = size / 512
		}
		n = max(n, est)
	}
	return n
}

func (l *load) formatOptions() format.Options {
	return format.Options{MaxRecord: l.opts.MaxRecord, TimeZone: l.opts.TimeZone}
}

// normalize turns chunks into rows.
func (l *load) normalize(ctx context.Context, in <-chan chunk, out chan<- result) {
	normalizers := map[*format.Format]format.Normalizer{}
	var scratch []byte
	for c := range in {
		res := result{chunk: c}
		if len(c.raws) > 0 {
			in := l.inputs[c.input]
			n := normalizers[in.format]
			if n == nil {
				n = in.format.NewNormalizer(l.formatOptions())
				normalizers[in.format] = n
			}
			src := &rows.Source{File: in.abs, LoadID: l.id}
			res.batch = rows.NewBatch(capacityFor(in.format, c.raws))
			res.batch.Input = c.input
			res.batch.Reserve(colSHA) // filled once the input's hash is known
			reject := func(r format.Reject) {
				res.rejects = append(res.rejects, Problem{File: in.path, Line: r.Line, Offset: r.Offset, Where: r.Where,
					Reason: r.Reason, Data: r.Data, Size: r.Size})
			}
			for i := range c.raws {
				raw := &c.raws[i]
				if raw.Reject != "" {
					reject(format.RejectOf(raw, raw.Reject))
					continue
				}
				before := res.batch.Len
				n.Normalize(raw, src, res.batch, reject)
				for r := before; r < res.batch.Len; r++ {
					if l.opts.Host != "" && !res.batch.Has(colHost, r) {
						res.batch.SetStringAt(colHost, r, l.opts.Host)
					}
					if why := unmapped(res.batch, r); why != "" {
						res.batch.AppendList(colWarnings, r, why)
						res.unmapped++
					}
				}
				scratch = setKeys(res.batch, before, scratch)
			}
			res.records = int64(res.batch.Len + len(res.rejects))
		}
		select {
		case out <- res:
		case <-ctx.Done():
			return
		}
	}
}

// collect takes results in input order, counts them and feeds the writer.
func (l *load) collect(ctx context.Context, results <-chan result, w *partitionWriter) error {
	p := l.opts.Progress
	waiting := map[int]result{}
	next := 0
	for r := range results {
		waiting[r.seq] = r
		for {
			r, ok := waiting[next]
			if !ok {
				break
			}
			delete(waiting, next)
			next++
			st := &l.stats[r.input]
			if r.done {
				if r.err != nil {
					st.Error = r.err.Error()
					l.problem(Problem{File: l.inputs[r.input].path, Input: true, Reason: r.err.Error()})
					l.sum.FailedFiles++
				}
				l.sum.Files++
				continue
			}
			n := r.records
			st.Records += n
			st.Rejected += int64(len(r.rejects))
			st.Archived += n - int64(len(r.rejects))
			st.Unmapped += r.unmapped
			p.Records.Add(n)
			p.Rejected.Add(int64(len(r.rejects)))
			for _, pr := range r.rejects {
				l.problem(pr)
			}
			if r.batch != nil && r.batch.Len > 0 {
				dups, unmappedDups, err := w.add(ctx, r.batch)
				if err != nil {
					return err
				}
				st.Archived -= dups
				st.Duplicates += dups
				st.Unmapped -= unmappedDups
			}
		}
	}
	return nil
}

// commit writes the rejects file, rewrites files that a forced reload
// supersedes, and publishes everything in one manifest update.
func (l *load) commit(ctx context.Context) error {
	l.opts.Progress.Phase.Store("committing")
	var b int64
	for _, st := range l.stats {
		l.sum.Records += st.Records
		l.sum.Archived += st.Archived
		l.sum.Rejected += st.Rejected
		l.sum.Unmapped += st.Unmapped
		l.sum.Duplicates += st.Duplicates
	}
	for _, in := range l.inputs {
		b += in.size
	}
	l.sum.Bytes = b
	l.sum.LoadID = l.id
	l.sum.Parquet = len(l.files)
	l.sum.Inputs = l.stats

	m := l.m
	var rejectsRel string
	if l.rejects != nil {
		rel, err := l.rejects.commit()
		if err != nil {
			return fmt.Errorf("save rejects: %w", err)
		}
		rejectsRel = rel
		l.sum.RejectsFile = l.a.Path(rel)
	}
	var obsolete []string
	if len(l.replaced) > 0 {
		kept, rewritten, old, err := l.supersede(ctx)
		if err != nil {
			return err
		}
		m.Files = append(kept, rewritten...)
		obsolete = old
		inputs := m.Inputs[:0]
		for _, in := range m.Inputs {
			if !l.replaced[in.SHA256] {
				inputs = append(inputs, in)
			}
		}
		m.Inputs = inputs
	}
	if len(l.inputs) == 0 && l.rejects == nil {
		return nil // nothing new: leave the manifest as it is
	}
	m.Files = append(m.Files, l.files...)
	m.Inputs = append(m.Inputs, l.stats...)
	m.Loads = append(m.Loads, archive.Load{ID: l.id, Started: l.started.UTC(), Finished: time.Now().UTC(),
		Version: l.opts.Version, Events: l.sum.Archived, Rejected: l.sum.Rejected, Rejects: rejectsRel})
	if err := l.out.Sync(); err != nil {
		if noSpace(err) {
			return fmt.Errorf("make the new files durable: %w", errNoSpace)
		}
		return fmt.Errorf("make the new files durable: %w", err)
	}
	if beforeCommit != nil {
		if err := beforeCommit(); err != nil {
			return err
		}
	}
	if err := l.a.Commit(m); err != nil {
		return fmt.Errorf("commit manifest: %w", err)
	}
	for _, p := range obsolete {
		os.Remove(l.a.Path(p))
	}
	return nil
}

var (
	colWarnings = schema.MustIndex(schema.Warnings)
	colHost     = schema.MustIndex("host.name")
	colCode     = schema.MustIndex("event.code")
	colCategory = schema.MustIndex("event.category")
	colAction   = schema.MustIndex("event.action")
)

// Warnings that mark rows the loader could not map.
const (
	UnmappedNoHost = "unmapped: no host.name (rules grouping or filtering by host cannot see this event)"
	UnmappedNoKind = "unmapped: no event.code, event.category or event.action (rules selecting events by kind cannot see this event)"
)

// unmapped says why row r of b is invisible to rules that select events by
// host or kind, or returns "".
func unmapped(b *rows.Batch, r int) string {
	if !b.Has(colCode, r) && !b.Has(colCategory, r) && !b.Has(colAction, r) {
		return UnmappedNoKind
	}
	if !b.Has(colHost, r) {
		return UnmappedNoHost
	}
	return ""
}

// engine returns the load's DuckDB engine, opening it on first use.
func (l *load) engine(ctx context.Context) (*engine.Engine, error) {
	l.engMu.Lock()
	defer l.engMu.Unlock()
	if l.opts.Engine == nil && l.opts.OpenEngine != nil {
		eng, err := l.opts.OpenEngine(ctx)
		if err != nil {
			return nil, fmt.Errorf("open the database engine: %w", err)
		}
		l.opts.Engine = eng
	}
	if l.opts.Engine == nil {
		return nil, errors.New("no database engine")
	}
	return l.opts.Engine, nil
}
