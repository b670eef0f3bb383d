package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"huntsql/internal/archive"
	"huntsql/internal/engine"
	"huntsql/internal/results"
	"huntsql/rules"
)

// Store keeps a run's detections in the engine instead of in memory: a noisy
// rule that matches millions of events must not make huntsql grow with its
// detections. Each rule's result rows go to a temporary table as the rule
// runs (DuckDB holds them under its memory limit and spills the rest to its
// temporary directory); writers read them back a chunk at a time, in the
// order their format needs: rule order, or time order from a table that
// Locate fills with each detection's place on the timeline.
//
// Everything goes through the one engine, sandboxed or not: files are
// written through its spill directory (see Engine.TempDir).
type Store struct {
	eng     *engine.Engine
	rules   []stored
	located bool
	summary Summary
}

// stored is one rule's detections.
type stored struct {
	rule    DetectionRule
	columns []string
	table   string  // the temporary table of its rows, in order
	rows    [][]any // or its rows, when it has no table (none when it matched nothing)
	count   int
	rank    int // its place in rule id order, for the timeline
}

// Table names: huntsql.* so that no rule's own name can clash.
const (
	ruleTablePrefix = "huntsql_rule_"
	timelineTable   = "huntsql_timeline"
)

// chunkRows bounds the rows read back at once.
const chunkRows = 4096

// RunStored runs the rules as Run does, keeping their detections in a Store
// instead of in each Result (whose Rows stay nil; Count says how many). When
// ctx ends (Ctrl-C), it returns what ran so far; the caller checks ctx.Err().
// Close the store to drop its tables.
func RunStored(ctx context.Context, eng *engine.Engine, rs []*rules.Rule, opts Options) (*Store, []Result) {
	s := &Store{eng: eng}
	out := make([]Result, 0, len(rs))
	planned, tables, _ := runPlanned(ctx, eng, rs, opts, func(i int) string { return fmt.Sprintf("%s%d", ruleTablePrefix, i) })
	for i, r := range rs {
		res, ok := planned[i]
		switch {
		case ok:
			// package scan wrote the rows of each rule that matched to its
			// table; a rule that matched nothing has none.
			if res.Err == nil {
				s.rules = append(s.rules, stored{rule: summary(r), columns: res.Columns, table: tables[i], rows: res.Rows, count: res.Count})
			}
			res.Rows = nil
		case r.Plan != nil && ctx.Err() != nil:
			return s.numbered(), out // interrupted during the shared scans
		default:
			table := fmt.Sprintf("%s%d", ruleTablePrefix, i)
			start := time.Now()
			rctx, cancel := ctx, context.CancelFunc(func() {})
			if opts.Timeout > 0 {
				rctx, cancel = context.WithTimeout(ctx, opts.Timeout)
			}
			cols, n, err := runInto(rctx, eng, r, table)
			cancel()
			res = Result{Rule: r, Elapsed: time.Since(start)}
			switch {
			case err != nil && ctx.Err() != nil:
				return s.numbered(), out // interrupted: this rule did not run to its end
			case err != nil && errors.Is(rctx.Err(), context.DeadlineExceeded):
				res.Err = &TimeoutError{Limit: opts.Timeout, Elapsed: res.Elapsed}
			case err != nil:
				res.Err = describe(err)
			default:
				res.Columns, res.Count = cols, n
				s.rules = append(s.rules, stored{rule: summary(r), columns: cols, table: table, count: n})
			}
		}
		if opts.OnDone != nil {
			opts.OnDone(i, res)
		}
		out = append(out, res)
	}
	return s.numbered(), out
}

// numbered ranks the rules in id order, the timeline's order after time.
func (s *Store) numbered() *Store {
	order := make([]int, len(s.rules))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(s.rules[a].rule.ID, s.rules[b].rule.ID) })
	for rank, i := range order {
		s.rules[i].rank = rank
	}
	return s
}

// runInto runs one rule into a temporary table, its rows in the order runOne
// gives them, and returns the rule's columns and its number of rows. The
// table's columns are numbered (c1, c2, …): a rule may name two alike.
func runInto(ctx context.Context, eng *engine.Engine, r *rules.Rule, table string) ([]string, int, error) {
	q := r.Query
	ordered, err := hasOrderBy(ctx, eng, q)
	if err != nil {
		return nil, 0, err
	}
	if !ordered {
		q = "SELECT * FROM (\n" + q + "\n) ORDER BY ALL"
	}
	rows, err := eng.Query(ctx, "DESCRIBE "+q)
	if err != nil {
		return nil, 0, err
	}
	d, err := results.Read(rows)
	rows.Close()
	if err != nil {
		return nil, 0, err
	}
	name := slices.Index(d.Columns, "column_name")
	cols := make([]string, len(d.Rows))
	alias := make([]string, len(d.Rows))
	for i, row := range d.Rows {
		cols[i], _ = row[name].(string)
		alias[i] = fmt.Sprintf("c%d", i+1)
	}
	// DuckDB keeps a query's order in the table it creates from it
	// (preserve_insertion_order), and reads it back in that order by rowid.
	err = eng.Exec(ctx, fmt.Sprintf("CREATE OR REPLACE TEMP TABLE %s AS SELECT * FROM (\n%s\n) AS r(%s)", table, q, strings.Join(alias, ", ")))
	if err != nil {
		eng.Exec(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+table)
		return nil, 0, err
	}
	var n int
	if err := eng.Conn().QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		return nil, 0, err
	}
	return cols, n, nil
}

// Count is the number of detections.
func (s *Store) Count() int {
	n := 0
	for _, r := range s.rules {
		n += r.count
	}
	return n
}

// chunks calls fn with each chunk of a rule's detections, in order.
func (s *Store) chunks(ctx context.Context, r *stored, fn func([]Detection) error) error {
	if r.table == "" {
		for lo := 0; lo < len(r.rows); lo += chunkRows {
			rows := r.rows[lo:min(lo+chunkRows, len(r.rows))]
			if err := fn(detections(r.rule, r.columns, rows, lo)); err != nil {
				return err
			}
		}
		return nil
	}
	for lo := 0; lo < r.count; lo += chunkRows {
		rows, err := s.eng.Query(ctx, fmt.Sprintf("SELECT * EXCLUDE (rowid_) FROM (SELECT rowid AS rowid_, * FROM %s WHERE rowid >= %d AND rowid < %d) ORDER BY rowid_", r.table, lo, lo+chunkRows))
		if err != nil {
			return fmt.Errorf("read rule %s's detections: %w", r.rule.ID, err)
		}
		set, err := results.Read(rows)
		rows.Close()
		if err != nil {
			return fmt.Errorf("read rule %s's detections: %w", r.rule.ID, err)
		}
		if err := fn(detections(r.rule, r.columns, set.Rows, lo)); err != nil {
			return err
		}
	}
	return nil
}

// Each calls fn for each detection, in rule order, rows in order, as
// Detections would give them (without Event: see Locate).
func (s *Store) Each(ctx context.Context, fn func(Detection) error) error {
	for i := range s.rules {
		err := s.chunks(ctx, &s.rules[i], func(dets []Detection) error {
			for _, d := range dets {
				if err := fn(d); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// All returns every detection, in rule order: for the HTML report, whose
// page holds them all anyway.
func (s *Store) All(ctx context.Context) ([]Detection, error) {
	out := make([]Detection, 0, s.Count())
	err := s.Each(ctx, func(d Detection) error {
		out = append(out, d)
		return nil
	})
	return out, err
}

// Locate places every detection on the timeline (see Locate), a chunk at a
// time, into a temporary table the timeline formats read in time order,
// and counts the summary on the way. It runs once; later calls do nothing.
func (s *Store) Locate(ctx context.Context) error {
	if s.located {
		return nil
	}
	// Times as seconds and nanoseconds: the Go time of an event, exactly,
	// over any year.
	if err := s.eng.Exec(ctx, `CREATE OR REPLACE TEMP TABLE `+timelineTable+` (
  sec BIGINT, nsec INTEGER, rule INTEGER, rank INTEGER, n INTEGER,
  host VARCHAR, channel VARCHAR, code VARCHAR, file VARCHAR, line BIGINT, events INTEGER, details VARCHAR)`); err != nil {
		return fmt.Errorf("place the detections on the timeline: %w", err)
	}
	var sum summarizer
	b := newTimelineBatch()
	defer b.release()
	flush := func() error {
		if b.rows == 0 {
			return nil
		}
		rec := b.record()
		defer rec.Release()
		return s.eng.InsertArrow(ctx, timelineTable, rec)
	}
	for i := range s.rules {
		r := &s.rules[i]
		err := s.chunks(ctx, r, func(dets []Detection) error {
			if err := Locate(ctx, s.eng, dets); err != nil {
				return err
			}
			for _, d := range dets {
				sum.add(d)
				b.add(d, i, r.rank)
				if b.rows == chunkRows {
					if err := flush(); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("place the detections on the timeline: %w", err)
		}
	}
	if err := flush(); err != nil {
		return fmt.Errorf("place the detections on the timeline: %w", err)
	}
	s.summary = sum.result()
	s.located = true
	return nil
}

// Summary counts the located detections (see Store.Locate).
func (s *Store) Summary() Summary { return s.summary }

// Timeline calls fn for each located detection in time order, as the
// timeline formats show them: without fields, with Event.Details.
func (s *Store) Timeline(ctx context.Context, fn func(Detection) error) error {
	if !s.located {
		return errors.New("the detections are not placed on the timeline (Store.Locate)")
	}
	rows, err := s.eng.Query(ctx, `SELECT sec, nsec, rule, n, host, channel, code, file, line, events, details
FROM `+timelineTable+`
ORDER BY sec NULLS LAST, nsec, rank, n`)
	if err != nil {
		return fmt.Errorf("read the timeline: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sec, nsec *int64
		var rule int
		var d Detection
		var e *Event = &d.Event
		if err := rows.Scan(&sec, &nsec, &rule, &d.Index, &e.Host, &e.Channel, &e.Code, &e.File, &e.Line, &e.Events, &e.Details); err != nil {
			return fmt.Errorf("read the timeline: %w", err)
		}
		if sec != nil {
			e.Time = time.Unix(*sec, *nsec).UTC()
		}
		d.Rule = s.rules[rule].rule
		if err := fn(d); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Write renders the detections in a text format, reading them from the
// engine as the format needs (Locate first for a Located format).
func (s *Store) Write(ctx context.Context, w io.Writer, format string, o WriteOptions) error {
	return writeSource(w, format, s.source(ctx), o)
}

// WriteFile writes the detections to path atomically, as WriteFile does.
func (s *Store) WriteFile(ctx context.Context, path, format string, o WriteOptions) error {
	return writeFile(ctx, s.eng, path, format, s.source(ctx), o)
}

// Save saves the detections as a run in the archive, as Save does.
func (s *Store) Save(ctx context.Context, a *archive.Archive, run archive.Run) (archive.Run, error) {
	return save(ctx, s.eng, a, run, s.source(ctx), s.Count())
}

// Close drops the store's tables.
func (s *Store) Close(ctx context.Context) error {
	var errs []error
	for _, r := range s.rules {
		if r.table != "" {
			errs = append(errs, s.eng.Exec(ctx, "DROP TABLE IF EXISTS "+r.table))
		}
	}
	if s.located {
		errs = append(errs, s.eng.Exec(ctx, "DROP TABLE IF EXISTS "+timelineTable))
	}
	s.rules, s.located = nil, false
	return errors.Join(errs...)
}

func (s *Store) source(ctx context.Context) source { return storeSource{ctx, s} }

// storeSource is a Store as writers read it.
type storeSource struct {
	ctx context.Context
	s   *Store
}

func (ss storeSource) each(fn func(Detection) error) error { return ss.s.Each(ss.ctx, fn) }

func (ss storeSource) timeline(fn func(Detection) error) error { return ss.s.Timeline(ss.ctx, fn) }

func (ss storeSource) fieldNames() []string {
	var u nameUnion
	for _, r := range ss.s.rules {
		if r.count > 0 {
			u.add(fieldColumns(r.columns))
		}
	}
	return u.names
}

func (ss storeSource) count(ruleID string) int {
	n := 0
	for _, r := range ss.s.rules {
		if r.rule.ID == ruleID {
			n += r.count
		}
	}
	return n
}

// summarizer counts detections as they come.
type summarizer struct {
	s               Summary
	sev, rule, host map[string]int
}

func (z *summarizer) add(d Detection) {
	if z.sev == nil {
		z.sev, z.rule, z.host = map[string]int{}, map[string]int{}, map[string]int{}
	}
	z.s.Detections++
	z.sev[d.Rule.Severity]++
	z.rule[d.Rule.Name+"  ("+d.Rule.ID+")"]++
	h := d.Event.Host
	if h == "" {
		h = "(no host)"
	}
	z.host[h]++
	if t := d.Event.Time; !t.IsZero() {
		if z.s.First.IsZero() || t.Before(z.s.First) {
			z.s.First = t
		}
		if t.After(z.s.Last) {
			z.s.Last = t
		}
	}
}

func (z *summarizer) result() Summary {
	s := z.s
	for i := len(rules.Severities) - 1; i >= 0; i-- {
		if n := z.sev[rules.Severities[i]]; n > 0 {
			s.BySeverity = append(s.BySeverity, Count{rules.Severities[i], n})
		}
	}
	s.ByRule, s.ByHost = ranked(z.rule), ranked(z.host)
	return s
}

// timelineBatch builds rows of the timeline table as Arrow columns.
type timelineBatch struct {
	b    *array.RecordBuilder
	rows int
}

var timelineSchema = arrow.NewSchema([]arrow.Field{
	{Name: "sec", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "nsec", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "rule", Type: arrow.PrimitiveTypes.Int32},
	{Name: "rank", Type: arrow.PrimitiveTypes.Int32},
	{Name: "n", Type: arrow.PrimitiveTypes.Int32},
	{Name: "host", Type: arrow.BinaryTypes.String},
	{Name: "channel", Type: arrow.BinaryTypes.String},
	{Name: "code", Type: arrow.BinaryTypes.String},
	{Name: "file", Type: arrow.BinaryTypes.String},
	{Name: "line", Type: arrow.PrimitiveTypes.Int64},
	{Name: "events", Type: arrow.PrimitiveTypes.Int32},
	{Name: "details", Type: arrow.BinaryTypes.String},
}, nil)

func newTimelineBatch() *timelineBatch {
	return &timelineBatch{b: array.NewRecordBuilder(memory.DefaultAllocator, timelineSchema)}
}

func (t *timelineBatch) add(d Detection, rule, rank int) {
	f := t.b.Fields()
	if d.Event.Time.IsZero() {
		f[0].AppendNull()
		f[1].AppendNull()
	} else {
		f[0].(*array.Int64Builder).Append(d.Event.Time.Unix())
		f[1].(*array.Int32Builder).Append(int32(d.Event.Time.Nanosecond()))
	}
	f[2].(*array.Int32Builder).Append(int32(rule))
	f[3].(*array.Int32Builder).Append(int32(rank))
	f[4].(*array.Int32Builder).Append(int32(d.Index))
	for i, v := range []string{d.Event.Host, d.Event.Channel, d.Event.Code, d.Event.File} {
		f[5+i].(*array.StringBuilder).Append(v)
	}
	f[9].(*array.Int64Builder).Append(d.Event.Line)
	f[10].(*array.Int32Builder).Append(int32(d.Event.Events))
	f[11].(*array.StringBuilder).Append(Details(d))
	t.rows++
}

// record returns the rows added since the last call.
func (t *timelineBatch) record() arrow.RecordBatch {
	t.rows = 0
	return t.b.NewRecordBatch()
}

func (t *timelineBatch) release() { t.b.Release() }
