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
// rs. The scans' own time is spread over their rules' Elapsed.
func runPlanned(ctx context.Context, eng *engine.Engine, rs []*rules.Rule, opts Options) (map[int]Result, scan.Stats) {
	var plans []scan.Plan
	var index []int
	for i, r := range rs {
		if r.Plan != nil {
			plans = append(plans, *r.Plan)
			index = append(index, i)
		}
	}
	out := map[int]Result{}
	if len(plans) == 0 {
		return out, scan.Stats{}
	}
	st, _ := scan.Run(ctx, eng, plans, scan.Options{Timeout: opts.Timeout}, func(k int, sr scan.Result) {
		res := Result{Rule: rs[index[k]], Columns: sr.Columns, Rows: sr.Rows, Elapsed: sr.Elapsed}
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
	return out, st
}
