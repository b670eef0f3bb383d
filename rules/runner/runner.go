// Package runner executes detection rules over an archive and turns their
// result rows into detections. It knows nothing of files: the engine's views
// define what a rule sees.
package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"huntsql/internal/engine"
	"huntsql/internal/results"
	"huntsql/rules"
)

// Result is what one rule produced.
type Result struct {
	Rule    *rules.Rule
	Columns []string
	Rows    [][]any // nil from RunStored: the rows are in its Store
	// Count is the number of result rows: the rule's detections.
	Count   int
	Err     error // the rule failed; the others still ran
	Elapsed time.Duration
}

// Options tune a run.
type Options struct {
	// Timeout bounds each rule's time (0: no bound). A rule over it is
	// interrupted and fails with a TimeoutError; the next rule runs.
	Timeout time.Duration
	// OnDone, if set, is called after each rule.
	OnDone func(i int, r Result)
}

// TimeoutError is the failure of a rule stopped by Options.Timeout.
type TimeoutError struct {
	Limit, Elapsed time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("stopped after %.1fs: over the time limit of %s per rule (--rule-timeout; 0 for none)", e.Elapsed.Seconds(), e.Limit)
}

// Run executes each rule in turn on the engine, whose archive views must exist.
// A failing rule (an SQL error, over its time or the memory limit) is reported
// in its Result; the others still run. When ctx ends (Ctrl-C), Run stops and
// returns the results so far; the caller checks ctx.Err().
//
// Rules that carry a plan (compiled Sigma rules) are evaluated together, in
// one scan of the archive per view, before the others; their results keep
// their place in the order of rs.
func Run(ctx context.Context, eng *engine.Engine, rs []*rules.Rule, opts Options) []Result {
	out := make([]Result, 0, len(rs))
	planned, _, _ := runPlanned(ctx, eng, rs, opts, nil)
	for i, r := range rs {
		if res, ok := planned[i]; ok {
			if opts.OnDone != nil {
				opts.OnDone(i, res)
			}
			out = append(out, res)
			continue
		}
		if r.Plan != nil && ctx.Err() != nil {
			return out // interrupted during the shared scans
		}
		start := time.Now()
		res := Result{Rule: r}
		rctx, cancel := ctx, context.CancelFunc(func() {})
		if opts.Timeout > 0 {
			rctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		}
		set, err := runOne(rctx, eng, r)
		cancel()
		res.Elapsed = time.Since(start)
		switch {
		case err != nil && ctx.Err() != nil:
			return out // interrupted: this rule did not run to its end
		case err != nil && errors.Is(rctx.Err(), context.DeadlineExceeded):
			res.Err = &TimeoutError{Limit: opts.Timeout, Elapsed: res.Elapsed}
		case err != nil:
			res.Err = describe(err)
		default:
			res.Columns, res.Rows, res.Count = set.Columns, set.Rows, len(set.Rows)
		}
		if opts.OnDone != nil {
			opts.OnDone(i, res)
		}
		out = append(out, res)
	}
	return out
}

// describe words a rule's failure for the user. DuckDB's advice on memory
// (SET memory_limit, …) is not the user's to follow under the sandbox: say
// what is.
func describe(err error) error {
	if strings.Contains(err.Error(), "Out of Memory Error") {
		first, _, _ := strings.Cut(err.Error(), "\n")
		return fmt.Errorf("%s: the rule needs more memory than the limit, even spilling to disk (raise --memory-limit, or narrow the rule)", strings.TrimSpace(first))
	}
	return err
}

func runOne(ctx context.Context, eng *engine.Engine, r *rules.Rule) (*results.Set, error) {
	q := r.Query
	ordered, err := hasOrderBy(ctx, eng, q)
	if err != nil {
		return nil, err
	}
	if !ordered {
		// No ORDER BY: the runner orders by every column, so that the same
		// archive always gives the same detections in the same order.
		q = "SELECT * FROM (\n" + q + "\n) ORDER BY ALL"
	}
	rows, err := eng.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return results.Read(rows)
}

// hasOrderBy reports whether the statement's outermost query has an ORDER BY,
// asking DuckDB's own parser.
func hasOrderBy(ctx context.Context, eng *engine.Engine, q string) (bool, error) {
	var js string
	if err := eng.Conn().QueryRowContext(ctx, "SELECT json_serialize_sql(?::VARCHAR)::VARCHAR", q).Scan(&js); err != nil {
		return false, err
	}
	var tree struct {
		Error      bool   `json:"error"`
		ErrorMsg   string `json:"error_message"`
		Statements []struct {
			Node struct {
				Modifiers []struct {
					Type string `json:"type"`
				} `json:"modifiers"`
			} `json:"node"`
		} `json:"statements"`
	}
	if err := json.Unmarshal([]byte(js), &tree); err != nil {
		return false, fmt.Errorf("read the query's syntax tree: %w", err)
	}
	if tree.Error {
		if strings.Contains(tree.ErrorMsg, "Only SELECT statements") {
			return false, fmt.Errorf("a rule query must be a single SELECT statement (DuckDB: %s)", tree.ErrorMsg)
		}
		return false, fmt.Errorf("%s", tree.ErrorMsg)
	}
	if len(tree.Statements) != 1 {
		return false, fmt.Errorf("a rule query must be exactly one SELECT statement (found %d statements)", len(tree.Statements))
	}
	for _, m := range tree.Statements[0].Node.Modifiers {
		if m.Type == "ORDER_MODIFIER" {
			return true, nil
		}
	}
	return false, nil
}

// Lint prepares each rule's query against the archive schema, so that a wrong
// column or function name is found before anyone runs the rule.
func Lint(ctx context.Context, eng *engine.Engine, rs []*rules.Rule) map[string]error {
	errs := map[string]error{}
	for _, r := range rs {
		if _, err := hasOrderBy(ctx, eng, r.Query); err != nil {
			errs[r.ID] = err
			continue
		}
		stmt, err := eng.Conn().PrepareContext(ctx, r.Query)
		if err != nil {
			errs[r.ID] = err
			continue
		}
		stmt.Close()
	}
	return errs
}
