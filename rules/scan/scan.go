// Package scan evaluates many rules in one pass over the archive. A rule that
// has a structured form (the view it reads, its match condition, the event
// codes it can match, its output columns and order) needs no query of its
// own: rules reading the same view share one scan that tags every event with
// the rules it matches, keeping only the matching events; each rule's
// detections are then selected from that small set. Running 1,600 Sigma rules
// reads the archive once per view, not 1,600 times.
package scan

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"huntsql/internal/engine"
	"huntsql/internal/results"
	"huntsql/rules"
)

// Plan is the structured form of a rule (see rules.Plan).
type Plan = rules.Plan

// Column is one output column of a plan.
type Column = rules.PlanColumn

// Result is what one plan produced.
type Result struct {
	Columns []string
	Rows    [][]any
	Err     error
	Elapsed time.Duration // the plan's share: its own selection, not the shared scan
}

// Stats describe a run.
type Stats struct {
	Scans   int           // passes over the archive: one per view
	Matched int64         // events matched by at least one rule
	Scan    time.Duration // time in the shared scans
}

// maxPerScan bounds the conditions evaluated in one pass: DuckDB binds and
// optimizes one expression per rule, and a few hundred per statement keep that
// cost small next to the scan.
const maxPerScan = 400

// Options tune Run.
type Options struct {
	// Timeout bounds each rule (0: none). A shared scan may take Timeout per
	// rule it evaluates; a scan over that falls back to one rule at a time,
	// each bounded by Timeout, so that a runaway rule fails alone.
	Timeout time.Duration
}

// Run evaluates plans, calling done(i, result) for each plan in order of i
// within each view group. A condition that fails to bind (or a scan over its
// time) fails its group's scan; Run then falls back to evaluating that
// group's rules one by one, so that one bad rule does not stop the others.
// Run returns early only when ctx ends.
func Run(ctx context.Context, eng *engine.Engine, plans []Plan, opts Options, done func(i int, r Result)) (Stats, error) {
	var st Stats
	groups := map[string][]int{}
	var views []string
	for i, p := range plans {
		if _, ok := groups[p.View]; !ok {
			views = append(views, p.View)
		}
		groups[p.View] = append(groups[p.View], i)
	}
	for _, view := range views {
		cols, err := viewColumns(ctx, eng, view)
		if err != nil {
			return st, err
		}
		idx := groups[view]
		for len(idx) > 0 {
			n := min(len(idx), maxPerScan)
			if err := runGroup(ctx, eng, view, cols, plans, idx[:n], opts, done, &st); err != nil {
				return st, err
			}
			idx = idx[n:]
		}
	}
	return st, nil
}

// runGroup evaluates plans idx, which all read view, with one scan.
// cols are the view's columns.
func runGroup(ctx context.Context, eng *engine.Engine, view string, cols []string, plans []Plan, idx []int, opts Options, done func(int, Result), st *Stats) error {
	start := time.Now()
	table := "huntsql_scan_hits"
	q := hitsQuery(view, cols, plans, idx, table)
	sctx, cancel := bounded(ctx, opts.Timeout*time.Duration(len(idx)))
	err := eng.Exec(sctx, q)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// One rule's condition broke the statement, or one rule runs away:
		// evaluate each alone, so that the failure is that rule's only.
		for _, i := range idx {
			t0 := time.Now()
			rctx, cancel := bounded(ctx, opts.Timeout)
			res := one(rctx, eng, view, cols, plans[i], table)
			cancel()
			res.Elapsed = time.Since(t0)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if res.Err != nil && rctx.Err() == context.DeadlineExceeded {
				res.Err = &TimeoutError{Limit: opts.Timeout, Elapsed: res.Elapsed, Cause: res.Err}
			}
			done(i, res)
		}
		return nil
	}
	defer eng.Exec(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+table)
	st.Scans++
	st.Scan += time.Since(start)
	var matched int64
	if err := eng.Conn().QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&matched); err == nil {
		st.Matched += matched
	}
	// Most rules match nothing: only those that do need a query of their own.
	fired, err := firedRules(ctx, eng, table)
	if err != nil {
		return err
	}
	for k, i := range idx {
		t0 := time.Now()
		if !fired[k] {
			done(i, Result{Columns: columnNames(plans[i])})
			continue
		}
		res := selectRule(ctx, eng, table, plans[i], fmt.Sprintf("list_contains(__rules, %d)", k))
		res.Elapsed = time.Since(t0)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		done(i, res)
	}
	return nil
}

// firedRules lists the positions of the rules the hits table holds matches of.
func firedRules(ctx context.Context, eng *engine.Engine, table string) (map[int]bool, error) {
	rows, err := eng.Query(ctx, "SELECT DISTINCT unnest(__rules) FROM "+table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int]bool{}
	for rows.Next() {
		var k int
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out[k] = true
	}
	return out, rows.Err()
}

func columnNames(p Plan) []string {
	out := make([]string, len(p.Columns))
	for i, c := range p.Columns {
		out[i] = c.Name
	}
	return out
}

// TimeoutError is a rule stopped by Options.Timeout.
type TimeoutError struct {
	Limit, Elapsed time.Duration
	Cause          error
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("stopped after %.1fs: over the time limit of %s per rule", e.Elapsed.Seconds(), e.Limit)
}

func (e *TimeoutError) Unwrap() error { return e.Cause }

// bounded is ctx with a timeout, or ctx itself when d is 0.
func bounded(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d)
}

// one evaluates a single plan through the same two steps.
func one(ctx context.Context, eng *engine.Engine, view string, cols []string, p Plan, table string) Result {
	if err := eng.Exec(ctx, hitsQuery(view, cols, []Plan{p}, []int{0}, table)); err != nil {
		return Result{Err: err}
	}
	defer eng.Exec(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+table)
	return selectRule(ctx, eng, table, p, "true")
}

// hitsQuery builds the scan: the events any of the plans matches, with the
// columns the plans' outputs read and the list of the plans (by position in
// idx) each event matches.
//
// Conditions of many rules read the same few values again and again
// (lower("winlog.event_data"['CommandLine']) in hundreds of rules): those are
// computed once per event, in an inner projection, and the conditions read
// the result.
func hitsQuery(view string, cols []string, plans []Plan, idx []int, table string) string {
	wheres := make([]string, len(idx))
	for k, i := range idx {
		wheres[k] = plans[i].Where
	}
	shared, wheres := hoist(wheres)
	kept := keep(cols, plans, idx)
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE OR REPLACE TEMP TABLE %s AS\nSELECT * EXCLUDE (__match) FROM (\n  SELECT %s,\n  list_filter([", table, strings.Join(kept, ", "))
	for k, w := range wheres {
		if k > 0 {
			b.WriteString(",\n    ")
		}
		fmt.Fprintf(&b, "CASE WHEN (%s) THEN %d END", w, k)
	}
	b.WriteString("], x -> x IS NOT NULL) AS __rules, len(__rules) > 0 AS __match\n  FROM (SELECT *")
	for j, e := range shared {
		fmt.Fprintf(&b, ", %s AS __v%d", e, j)
	}
	b.WriteString(" FROM ")
	b.WriteString(view)
	if codes := codesOf(plans, idx); codes != nil {
		fmt.Fprintf(&b, "\n  WHERE \"event.code\" IN (%s)", strings.Join(codes, ", "))
	}
	b.WriteString(")\n) WHERE __match")
	return b.String()
}

// sharedValue matches the value reads rule conditions repeat: a map entry of
// the event's data, or a column, lower-cased or not.
var sharedValue = regexp.MustCompile(`lower\("winlog\.event_data"\['[^'\\]*'\]\)|"winlog\.event_data"\['[^'\\]*'\]|lower\("[A-Za-z0-9@_.]+"\)`)

// hoist finds the value reads that the conditions repeat and returns them,
// with the conditions rewritten to read __v0, __v1, … instead.
func hoist(wheres []string) (shared []string, out []string) {
	count := map[string]int{}
	for _, w := range wheres {
		for _, m := range sharedValue.FindAllString(w, -1) {
			count[m]++
		}
	}
	index := map[string]int{}
	for _, w := range wheres {
		for _, m := range sharedValue.FindAllString(w, -1) {
			if _, ok := index[m]; !ok && count[m] > 1 {
				index[m] = len(shared)
				shared = append(shared, m)
			}
		}
	}
	out = make([]string, len(wheres))
	for k, w := range wheres {
		out[k] = sharedValue.ReplaceAllStringFunc(w, func(m string) string {
			if j, ok := index[m]; ok {
				return fmt.Sprintf("__v%d", j)
			}
			return m
		})
	}
	return shared, out
}

// codesOf returns the quoted event codes the plans can match, or nil when one
// of them can match any.
func codesOf(plans []Plan, idx []int) []string {
	var out []string
	for _, i := range idx {
		if plans[i].EventCodes == nil {
			return nil
		}
		for _, c := range plans[i].EventCodes {
			out = append(out, engine.Quote(c))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// keep lists the view's columns the hits table holds: all but the raw text
// columns, which only plans that read them need (they are most of the bytes).
func keep(cols []string, plans []Plan, idx []int) []string {
	var out []string
	for _, c := range cols {
		q := engine.QuoteIdent(c)
		if c == "event.original" || c == "huntsql.record" {
			used := false
			for _, i := range idx {
				p := plans[i]
				for _, col := range p.Columns {
					used = used || strings.Contains(col.SQL, q)
				}
				used = used || strings.Contains(p.OrderBy, q)
			}
			if !used {
				continue
			}
		}
		out = append(out, q)
	}
	return out
}

// selectRule reads one plan's detections from the hits table.
func selectRule(ctx context.Context, eng *engine.Engine, table string, p Plan, where string) Result {
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, c := range p.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s AS %s", c.SQL, engine.QuoteIdent(c.Name))
	}
	fmt.Fprintf(&b, " FROM %s WHERE %s ORDER BY ", table, where)
	if p.OrderBy != "" {
		b.WriteString(p.OrderBy)
	} else {
		b.WriteString("ALL")
	}
	rows, err := eng.Query(ctx, b.String())
	if err != nil {
		return Result{Err: err}
	}
	defer rows.Close()
	set, err := results.Read(rows)
	if err != nil {
		return Result{Err: err}
	}
	return Result{Columns: set.Columns, Rows: set.Rows}
}

// viewColumns lists a view's columns.
func viewColumns(ctx context.Context, eng *engine.Engine, view string) ([]string, error) {
	rows, err := eng.Query(ctx, "SELECT column_name FROM (DESCRIBE "+view+")")
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", view, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
