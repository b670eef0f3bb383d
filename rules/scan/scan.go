// Package scan evaluates many rules together over the archive. A rule that
// has a structured form (the view it reads, its match condition, the event
// codes it can match, its output columns and order) needs no query of its
// own: the rules reading one view share its passes, and each rule's
// detections are then selected from the few events they matched. Running
// 1,600 Sigma rules does not read the archive 1,600 times.
//
// Most rules can be routed: each condition, read as a test Go evaluates in
// SQL's three-valued logic, and a literal search over a few values of each
// event (all rules' literals at once) tell which rules the event can possibly
// match (see prefilter), and only those rules' conditions are evaluated on it,
// in SQL. Rules that cannot be routed (no test, or one most events pass) are
// evaluated on every event, in one pass per few hundred rules. The condition
// always decides: routing only skips events a rule cannot match.
package scan

import (
	"cmp"
	"context"
	"errors"
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
	Rows    [][]any // nil when the rows went to Table
	Table   string  // the temporary table holding the rows (see Options.Into), or ""
	Count   int     // detections
	Err     error
	Elapsed time.Duration // the plan's share: its own selection, not the shared scan
}

// Stats describe a run.
type Stats struct {
	Scans   int           // passes over the archive: one per view
	Matched int64         // matches found: an event counts once per rule it matches
	Routed  int           // rules evaluated only on the events their literals route to them
	Scan    time.Duration // time in the shared scans
}

// maxPerScan bounds the conditions of one statement: DuckDB binds and
// optimizes one expression per rule, and a few hundred per statement keep that
// cost small next to the scan.
var maxPerScan = 400 // a variable for tests

// Options tune Run.
type Options struct {
	// Timeout bounds each rule (0: none). A statement shared by several rules
	// may take Timeout per rule it evaluates; one over that is evaluated
	// again one rule at a time, each bounded by Timeout, so that a runaway
	// rule fails alone.
	Timeout time.Duration
	// Into, when set, names a temporary table for plan i's rows: they go
	// there, in order, as columns c1 … cn (a plan may name two columns
	// alike), instead of into Result.Rows. A plan that matches nothing gets
	// no table.
	Into func(i int) string
}

// Run evaluates plans, calling done(i, result) for each plan in order of i
// within each view. A condition that fails to bind (or a statement over its
// time) is evaluated again alone, so that one bad rule fails alone and does
// not stop the others. Run returns early only when ctx ends.
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
		cols, types, err := viewColumns(ctx, eng, view)
		if err != nil {
			return st, err
		}
		if err := runView(ctx, eng, view, cols, types, plans, groups[view], opts, done, &st); err != nil {
			return st, err
		}
	}
	return st, nil
}

// hitsTable holds, for the view being scanned, the events any rule matched:
// the columns the rules' outputs read and __rules, the positions (in the
// view's rules) of the rules each row matched.
const hitsTable = "huntsql_scan_hits"

// runView evaluates plans idx, which all read view (with columns cols, of
// types types).
func runView(ctx context.Context, eng *engine.Engine, view string, cols []string, types map[string]string, plans []Plan, idx []int, opts Options, done func(int, Result), st *Stats) error {
	start := time.Now()
	kept := keep(cols, plans, idx)
	cleanup := context.WithoutCancel(ctx)
	if err := eng.Exec(ctx, fmt.Sprintf("CREATE OR REPLACE TEMP TABLE %s AS SELECT %s, NULL::INTEGER[] AS __rules FROM %s LIMIT 0", hitsTable, strings.Join(kept, ", "), view)); err != nil {
		return err
	}
	defer eng.Exec(cleanup, "DROP TABLE IF EXISTS "+hitsTable)
	wheres := make([]string, len(idx))
	for k, i := range idx {
		wheres[k] = plans[i].Where
	}
	failed := map[int]Result{}
	// insert runs a statement over the rules ks (positions in idx) into the
	// hits table; if it fails, each rule runs alone, and those that fail
	// alone are failed.
	insert := func(ks []int, query func(ks []int) string) error {
		sctx, cancel := bounded(ctx, opts.Timeout*time.Duration(len(ks)))
		err := eng.Exec(sctx, "INSERT INTO "+hitsTable+"\n"+query(ks))
		cancel()
		if err == nil || ctx.Err() != nil {
			return ctx.Err()
		}
		for _, k := range ks {
			t0 := time.Now()
			rctx, cancel := bounded(ctx, opts.Timeout)
			err := eng.Exec(rctx, "INSERT INTO "+hitsTable+"\n"+query([]int{k}))
			cancel()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				res := Result{Err: err, Elapsed: time.Since(t0)}
				if rctx.Err() == context.DeadlineExceeded {
					res.Err = &TimeoutError{Limit: opts.Timeout, Elapsed: res.Elapsed, Cause: err}
				}
				failed[k] = res
			}
		}
		return nil
	}

	routed, full, err := prepareRouting(ctx, eng, view, cols, types, kept, plans, idx, wheres, opts)
	if err != nil {
		return err
	}
	if routed != nil {
		st.Routed += len(routed.order)
		defer routed.drop(cleanup, eng)
		for ks := range slices.Chunk(routed.paired, maxPerScan) {
			if err := insert(ks, routed.hits); err != nil {
				return err
			}
		}
		// The others match nothing; their conditions are still bound,
		// with nothing to evaluate, so that a condition that cannot bind
		// fails as it would on events.
		for ks := range slices.Chunk(routed.unpaired(), maxPerScan) {
			if err := insert(ks, routed.bind); err != nil {
				return err
			}
		}
		// A rule that fails alone when routed (a name the events table
		// lacks) gets its own verdict on every event; one over its time
		// stays failed.
		for _, k := range routed.order {
			var te *TimeoutError
			if res, ok := failed[k]; ok && !errors.As(res.Err, &te) {
				delete(failed, k)
				full = append(full, k)
				st.Routed--
			}
		}
	}
	for ks := range slices.Chunk(full, maxPerScan) {
		q := func(ks []int) string { return hitsQuery(view, kept, wheres, ks, codesOf(plans, pick(idx, ks))) }
		if err := insert(ks, q); err != nil {
			return err
		}
	}
	st.Scans++
	st.Scan += time.Since(start)
	var matched int64
	if err := eng.Conn().QueryRowContext(ctx, "SELECT coalesce(sum(len(__rules)), 0) FROM "+hitsTable).Scan(&matched); err == nil {
		st.Matched += matched
	}
	// Most rules match nothing: only those that do need a query of their own.
	fired, err := intSet(ctx, eng, "SELECT DISTINCT unnest(__rules) FROM "+hitsTable)
	if err != nil {
		return err
	}
	for k, i := range idx {
		t0 := time.Now()
		if res, ok := failed[k]; ok {
			done(i, res)
			continue
		}
		if !fired[k] {
			done(i, Result{Columns: columnNames(plans[i])})
			continue
		}
		into := ""
		if opts.Into != nil {
			into = opts.Into(i)
		}
		res := selectRule(ctx, eng, hitsTable, plans[i], fmt.Sprintf("list_contains(__rules, %d)", k), into)
		res.Elapsed = time.Since(t0)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		done(i, res)
	}
	return nil
}

// routing is the state of the routed rules of a view: the events table and
// the pairs table (see routedQueries) and the conditions, rewritten to read
// the values the events table holds.
type routing struct {
	order  []int    // routed rules (positions), the most often routed first
	paired []int    // those with events routed to them, in the same order
	wheres []string // by position; the routed ones rewritten
	kept   []string
}

// hits is the statement selecting what rules ks match (see routedHits).
func (r *routing) hits(ks []int) string { return routedHits(r.kept, r.wheres, ks) }

// bind is a statement that binds the conditions of rules ks and evaluates
// none.
func (r *routing) bind(ks []int) string {
	return strings.Replace(routedHits(r.kept, r.wheres, ks), "\nWHERE ", "\nWHERE false AND ", 1)
}

// unpaired lists the routed rules no event was routed to.
func (r *routing) unpaired() []int {
	return slices.DeleteFunc(slices.Clone(r.order), func(k int) bool { return slices.Contains(r.paired, k) })
}

func (r *routing) drop(ctx context.Context, eng *engine.Engine) {
	eng.Exec(ctx, "DROP TABLE IF EXISTS huntsql_scan_events")
	eng.Exec(ctx, "DROP TABLE IF EXISTS huntsql_scan_pairs")
}

// prepareRouting derives the rules' triggers and, for the rules that have one, fills
// the events and pairs tables. It returns the routing (nil when no rule is
// routed) and the positions of the rules to evaluate on every event. Routing
// that fails (a condition DuckDB cannot parse is merely not routed; a
// failing or timed-out routing statement) leaves every rule to be
// evaluated on every event.
func prepareRouting(ctx context.Context, eng *engine.Engine, view string, cols []string, types map[string]string, kept []string, plans []Plan, idx []int, wheres []string, opts Options) (*routing, []int, error) {
	all := make([]int, len(idx))
	for k := range all {
		all[k] = k
	}
	tctx, cancel := bounded(ctx, opts.Timeout*time.Duration(len(idx)))
	pf, trig, candidates, err := newPrefilter(tctx, eng, view, types, codesOf(plans, idx), wheres)
	cancel()
	if err != nil {
		return nil, all, ctx.Err()
	}
	var routed, full []int
	for k, t := range pf.tests {
		if t != nil {
			routed = append(routed, k)
		} else {
			full = append(full, k)
		}
	}
	if len(routed) == 0 {
		return nil, full, nil
	}
	name, err := pf.register(eng)
	if err != nil {
		return nil, all, ctx.Err()
	}
	// Each pair goes down the list of WHENs to its rule's: the rules
	// routed most often come first.
	slices.SortStableFunc(routed, func(a, b int) int { return cmp.Compare(trig[b].share, trig[a].share) })
	// A value the conditions read more often than there are candidate
	// events (by the sample: each rule reads it on its share of the events)
	// is computed once per candidate event, into the events table, and the
	// conditions read it there.
	sub := make([]string, len(routed))
	weights := make([]float64, len(routed))
	for i, k := range routed {
		sub[i] = wheres[k]
		weights[i] = trig[k].share
	}
	shared, sub := hoist(sub, weights, candidates)
	r := &routing{order: routed, wheres: slices.Clone(wheres), kept: kept}
	for i, k := range routed {
		r.wheres[k] = sub[i]
	}
	sctx, cancel := bounded(ctx, opts.Timeout*time.Duration(len(routed)))
	defer cancel()
	for _, q := range routedQueries(view, cols, kept, name, pf.inputs.args, wheres, shared, routed, codesOf(plans, pick(idx, routed))) {
		if err := eng.Exec(sctx, q); err != nil {
			r.drop(context.WithoutCancel(ctx), eng)
			return nil, all, ctx.Err()
		}
	}
	// Most routed rules get no event at all: they need no SQL.
	got, err := intSet(sctx, eng, "SELECT DISTINCT __k FROM huntsql_scan_pairs")
	if err != nil {
		r.drop(context.WithoutCancel(ctx), eng)
		return nil, all, ctx.Err()
	}
	for _, k := range routed {
		if got[k] {
			r.paired = append(r.paired, k)
		}
	}
	return r, full, nil
}

func pick(idx, pos []int) []int {
	out := make([]int, len(pos))
	for i, p := range pos {
		out[i] = idx[p]
	}
	return out
}

// routedQueries fill two tables for routed rules: the events that trigger
// any (huntsql_scan_events: the columns the outputs and conditions read, and
// __set, the rules each triggers, from the prefilter function fn over
// values), and one row per event and rule it triggers (huntsql_scan_pairs:
// __id, the event's rowid, and __k, the rule's position), in rule order.
// The events table also holds the shared values (see hoist) as __v0, __v1, ….
func routedQueries(view string, cols, kept []string, fn string, values, wheres, shared []string, routed []int, codes []string) []string {
	var text strings.Builder
	for _, k := range routed {
		text.WriteString(wheres[k])
	}
	read := used(cols, text.String(), kept)
	// The shared values are computed for the events routed to some rule
	// only: after the filter.
	var b strings.Builder
	b.WriteString("CREATE OR REPLACE TEMP TABLE huntsql_scan_events AS\nSELECT *")
	for j, e := range shared {
		fmt.Fprintf(&b, ", %s AS __v%d", e, j)
	}
	fmt.Fprintf(&b, " FROM (SELECT %s, %s(%s) AS __set FROM %s", strings.Join(read, ", "), fn, strings.Join(values, ", "), view)
	if codes != nil {
		fmt.Fprintf(&b, "\n  WHERE \"event.code\" IN (%s)", strings.Join(codes, ", "))
	}
	b.WriteString(") WHERE __set IS NOT NULL")
	return []string{b.String(),
		"CREATE OR REPLACE TEMP TABLE huntsql_scan_pairs AS\nSELECT rowid AS __id, unnest(string_split(__set, ','))::INTEGER AS __k FROM huntsql_scan_events ORDER BY __k"}
}

// routedHits selects, from the tables routedQueries filled, the events the
// routed rules ks match: each (event, rule) pair is tested against that
// rule's condition only. One row per event and rule; __rules lists the rule.
func routedHits(kept, wheres []string, ks []int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "SELECT %s, [__k] AS __rules FROM huntsql_scan_pairs JOIN huntsql_scan_events ON huntsql_scan_events.rowid = __id\nWHERE ", strings.Join(kept, ", "))
	if len(ks) == 1 {
		fmt.Fprintf(&b, "__k = %d AND (%s)", ks[0], wheres[ks[0]])
		return b.String()
	}
	fmt.Fprintf(&b, "__k BETWEEN %d AND %d AND CASE __k", slices.Min(ks), slices.Max(ks))
	for _, k := range ks {
		fmt.Fprintf(&b, "\n  WHEN %d THEN (%s)", k, wheres[k])
	}
	b.WriteString("\n  ELSE false END")
	return b.String()
}

// used lists the columns of cols named in text, after those of also. DuckDB
// reads names without regard to case: so does used. A name found anywhere
// counts: reading a column too many costs little, one too few fails.
func used(cols []string, text string, also []string) []string {
	out := slices.Clone(also)
	text = strings.ToLower(text)
	for _, c := range cols {
		q := engine.QuoteIdent(c)
		if strings.Contains(text, strings.ToLower(c)) && !slices.Contains(out, q) {
			out = append(out, q)
		}
	}
	return out
}

// intSet reads the integers a query returns, one per row.
func intSet(ctx context.Context, eng *engine.Engine, query string) (map[int]bool, error) {
	rows, err := eng.Query(ctx, query)
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

// hitsQuery selects the events that the conditions wheres[k], k in pos,
// match, with the columns kept and the list of the positions k each event
// matches (__rules); codes, when not nil, are the event codes they can match.
//
// Conditions of many rules read the same few values again and again
// (lower("winlog.event_data"['CommandLine']) in hundreds of rules): those are
// computed once per event, in an inner projection, and the conditions read
// the result.
func hitsQuery(view string, kept []string, wheres []string, pos []int, codes []string) string {
	sub := make([]string, len(pos))
	for i, k := range pos {
		sub[i] = wheres[k]
	}
	shared, sub := hoist(sub, nil, 0)
	var b strings.Builder
	fmt.Fprintf(&b, "SELECT * EXCLUDE (__match) FROM (\n  SELECT %s,\n  list_filter([", strings.Join(kept, ", "))
	for i, w := range sub {
		if i > 0 {
			b.WriteString(",\n    ")
		}
		fmt.Fprintf(&b, "CASE WHEN (%s) THEN %d END", w, pos[i])
	}
	if len(sub) == 0 {
		b.WriteString("NULL::INTEGER")
	}
	b.WriteString("], x -> x IS NOT NULL) AS __rules, len(__rules) > 0 AS __match\n  FROM (SELECT *")
	for j, e := range shared {
		fmt.Fprintf(&b, ", %s AS __v%d", e, j)
	}
	b.WriteString(" FROM ")
	b.WriteString(view)
	if codes != nil {
		fmt.Fprintf(&b, "\n  WHERE \"event.code\" IN (%s)", strings.Join(codes, ", "))
	}
	b.WriteString(")\n) WHERE __match")
	return b.String()
}

// sharedValue matches the value reads rule conditions repeat: a map entry of
// the event's data, or a column, lower-cased or not. Its first alternative
// matches a whole string literal, so that text inside one is never taken for
// a read (a value may hold the text lower("host.name")).
var sharedValue = regexp.MustCompile(`'(?:[^']|'')*'|lower\("winlog\.event_data"\['[^'\\]*'\]\)|"winlog\.event_data"\['[^'\\]*'\]|lower\("[A-Za-z0-9@_.]+"\)`)

// reads lists the value reads of a condition (see sharedValue).
func reads(where string) []string {
	var out []string
	for _, m := range sharedValue.FindAllString(where, -1) {
		if !strings.HasPrefix(m, "'") {
			out = append(out, m)
		}
	}
	return out
}

// hoist finds the value reads that the conditions repeat and returns them,
// with the conditions rewritten to read __v0, __v1, … instead. Each read in
// wheres[k] counts weights[k] (1 when weights is nil); a value is hoisted
// when its reads count more than least (1 when weights is nil).
func hoist(wheres []string, weights []float64, least float64) (shared []string, out []string) {
	if weights == nil {
		least = 1
	}
	count := map[string]float64{}
	for k, w := range wheres {
		for _, m := range reads(w) {
			if weights == nil {
				count[m]++
			} else {
				count[m] += weights[k]
			}
		}
	}
	index := map[string]int{}
	for _, w := range wheres {
		for _, m := range reads(w) {
			if _, ok := index[m]; !ok && count[m] > least {
				index[m] = len(shared)
				shared = append(shared, m)
			}
		}
	}
	out = make([]string, len(wheres))
	for k, w := range wheres {
		out[k] = sharedValue.ReplaceAllStringFunc(w, func(m string) string {
			if j, ok := index[m]; ok && !strings.HasPrefix(m, "'") {
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

// keep lists the view's columns the hits table holds: those the plans'
// outputs and orders read (selectRule reads nothing else). A name found
// anywhere in that SQL counts: keeping one column too many costs little,
// one too few would break the selection.
func keep(cols []string, plans []Plan, idx []int) []string {
	var text strings.Builder
	for _, i := range idx {
		for _, col := range plans[i].Columns {
			text.WriteString(col.SQL)
			text.WriteByte('\n')
		}
		text.WriteString(plans[i].OrderBy)
		text.WriteByte('\n')
	}
	out := used(cols, text.String(), nil)
	if len(out) == 0 && len(cols) > 0 {
		out = append(out, engine.QuoteIdent(cols[0])) // a table needs a column
	}
	return out
}

// selectRule reads one plan's detections from the hits table, into the
// temporary table into when it is not "".
func selectRule(ctx context.Context, eng *engine.Engine, table string, p Plan, where, into string) Result {
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, c := range p.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		alias := engine.QuoteIdent(c.Name)
		if into != "" {
			alias = fmt.Sprintf("c%d", i+1)
		}
		fmt.Fprintf(&b, "%s AS %s", c.SQL, alias)
	}
	fmt.Fprintf(&b, " FROM %s WHERE %s ORDER BY ", table, where)
	if p.OrderBy != "" {
		b.WriteString(p.OrderBy)
	} else {
		b.WriteString("ALL")
	}
	if into != "" {
		// DuckDB keeps a query's order in the table it creates from it.
		if err := eng.Exec(ctx, "CREATE OR REPLACE TEMP TABLE "+into+" AS "+b.String()); err != nil {
			return Result{Err: err}
		}
		res := Result{Columns: columnNames(p), Table: into}
		if err := eng.Conn().QueryRowContext(ctx, "SELECT count(*) FROM "+into).Scan(&res.Count); err != nil {
			return Result{Err: err}
		}
		return res
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
	return Result{Columns: set.Columns, Rows: set.Rows, Count: len(set.Rows)}
}

// viewColumns lists a view's columns, and maps each to its DuckDB type.
func viewColumns(ctx context.Context, eng *engine.Engine, view string) ([]string, map[string]string, error) {
	rows, err := eng.Query(ctx, "SELECT column_name, column_type FROM (DESCRIBE "+view+")")
	if err != nil {
		return nil, nil, fmt.Errorf("columns of %s: %w", view, err)
	}
	defer rows.Close()
	var names []string
	types := map[string]string{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, nil, err
		}
		names = append(names, name)
		types[name] = typ
	}
	return names, types, rows.Err()
}
