package runner

import (
	"context"
	"errors"
	"time"

	"huntsql/internal/engine"
	"huntsql/rules"
	"huntsql/rules/scan"
)

// runPlanned evaluates the rules that carry a plan (rules.Plan) in shared
// scans, one per view (package scan), and returns their results by index in
// rs. The scans' own time is spread over their rules' Elapsed. With into
// (a table name per index in rs), a rule's rows go to that temporary table,
// named in tables, instead of its Result's Rows.
func runPlanned(ctx context.Context, eng *engine.Engine, rs []*rules.Rule, opts Options, into func(i int) string) (map[int]Result, map[int]string, scan.Stats) {
	var plans []scan.Plan
	var index []int
	for i, r := range rs {
		if r.Plan != nil {
			plans = append(plans, *r.Plan)
			index = append(index, i)
		}
	}
	out, tables := map[int]Result{}, map[int]string{}
	if len(plans) == 0 {
		return out, tables, scan.Stats{}
	}
	so := scan.Options{Timeout: opts.Timeout}
	if into != nil {
		so.Into = func(k int) string { return into(index[k]) }
	}
	st, _ := scan.Run(ctx, eng, plans, so, func(k int, sr scan.Result) {
		res := Result{Rule: rs[index[k]], Columns: sr.Columns, Rows: sr.Rows, Count: sr.Count, Elapsed: sr.Elapsed}
		if sr.Table != "" {
			tables[index[k]] = sr.Table
		}
		var te *scan.TimeoutError
		switch {
		case errors.As(sr.Err, &te):
			res.Err = &TimeoutError{Limit: te.Limit, Elapsed: te.Elapsed}
		case sr.Err != nil:
			res.Err = describe(sr.Err)
		}
		out[index[k]] = res
	})
	if n := len(plans); n > 0 && st.Scan > 0 {
		share := st.Scan / time.Duration(n)
		for i, r := range out {
			r.Elapsed += share
			out[i] = r
		}
	}
	return out, tables, st
}
