// Package runner executes detection rules over an archive and turns their
// result rows into detections. It knows nothing of files: the engine's views
// define what a rule sees.
package runner

import (
	"context"
	"encoding/json"
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
	Rows    [][]any
	Err     error // the rule failed; the others still ran
	Elapsed time.Duration
}

// Run executes each rule in turn on the engine, whose archive views must exist.
// A failing rule is reported in its Result; the others still run. onDone, if
// set, is called after each rule.
func Run(ctx context.Context, eng *engine.Engine, rs []*rules.Rule, onDone func(i int, r Result)) []Result {
	out := make([]Result, 0, len(rs))
	for i, r := range rs {
		start := time.Now()
		res := Result{Rule: r}
		set, err := runOne(ctx, eng, r)
		if err != nil {
			res.Err = err
		} else {
			res.Columns, res.Rows = set.Columns, set.Rows
		}
		res.Elapsed = time.Since(start)
		if onDone != nil {
			onDone(i, res)
		}
		out = append(out, res)
		if ctx.Err() != nil {
			break
		}
	}
	return out
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
