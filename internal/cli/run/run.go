// Package run is the `huntsql run` command.
package run

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"huntsql/internal/archive"
	"huntsql/internal/cli/cmdutil"
	"huntsql/rules/runner"
)

// Options are the flags of `huntsql run`.
type Options struct {
	Factory          *cmdutil.Factory
	RuleIDs          []string
	RuleDirs         []string
	From, To         string
	Output           string
	Format           string
	FailOnDetections bool
	Quiet            bool
	Save             bool
}

// NewCmdRun returns the run command; runF replaces the run step in tests.
func NewCmdRun(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "run [flags]",
		Short: "Run detection rules over the archive",
		Long: strings.TrimSpace(`
Run detection rules over the whole archive, or over a time range, and write
one detection per result row of each rule:

  {"rule":{"id","name","severity","risk_score","threat":[technique ids]},
   "fields":{the rule's output columns by their SQL names}}

Timestamps are RFC 3339 UTC, lists distinct and sorted, NULL is null. Output is
ordered by rule id, then by the rule's own ORDER BY (rules without one are
ordered by every column): the same archive always gives the same bytes.

The built-in rules ship inside huntsql; --rules DIR adds a folder of rule files
(repeatable), and a rule with the id of a built-in one replaces it.

--from and --to (UTC unless an offset is given; --to is exclusive) skip the
files outside the range and filter @timestamp: a rule sees only events in the
range, so a time window that straddles an edge is evaluated on the events
inside it only.

A summary per rule (detections, events scanned, seconds) goes to stderr. A rule
that fails is reported with the engine's message and the others still run.

--save also stores the detections in the archive with a run id, so that
"SELECT … FROM detections" and "detection_events" (each detection with the
events behind it) work in query, shell and notebooks.`),
		Example: cmdutil.Examples(`
  # Every rule over the whole archive
  huntsql run

  # One rule, one week, into a file
  huntsql run --rule b42e4b88-fc4a-417b-a45e-4d4a3db9fd41 --from 2026-03-01 --to 2026-03-08T12:00Z -o detections.ndjson

  # Your own rules too, as CSV
  huntsql run --rules ./my-rules --format csv`),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Format == "" {
				opts.Format = runner.NDJSON
				if f.IO.IsStdoutTTY() && opts.Output == "" {
					opts.Format = runner.Table
				}
			}
			if !slices.Contains(runner.Formats, opts.Format) {
				return cmdutil.Usagef("--format must be one of %s", strings.Join(runner.Formats, ", "))
			}
			if opts.Format == runner.Parquet && opts.Output == "" {
				return cmdutil.Usagef("--format parquet needs -o FILE")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringArrayVar(&opts.RuleIDs, "rule", nil, "run only this rule id (repeatable)")
	cmd.Flags().StringArrayVar(&opts.RuleDirs, "rules", nil, "add a folder of rule files (repeatable)")
	cmd.Flags().StringVar(&opts.From, "from", "", "only events at or after this time (2026-03-01, 2026-03-01T12:00Z, …)")
	cmd.Flags().StringVar(&opts.To, "to", "", "only events before this time")
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "write detections to FILE (atomically) instead of stdout")
	cmd.Flags().StringVarP(&opts.Format, "format", "f", "", "ndjson, json, csv, table or parquet (default: table on a terminal, else ndjson)")
	cmd.Flags().BoolVar(&opts.FailOnDetections, "fail-on-detections", false, "exit with code 5 when any rule fires")
	cmd.Flags().BoolVarP(&opts.Quiet, "quiet", "q", false, "no summary on stderr")
	cmd.Flags().BoolVar(&opts.Save, "save", false, "also save the detections in the archive (views detections, detection_events)")
	return cmd
}

// Run runs the rules and writes the detections.
func Run(ctx context.Context, opts *Options) error {
	f := opts.Factory
	errOut := f.IO.ErrOut
	rng, err := cmdutil.ParseRange(opts.From, opts.To)
	if err != nil {
		return err
	}
	selected, err := f.LoadRules(opts.RuleDirs, opts.RuleIDs)
	if err != nil {
		return err
	}
	// Rules run sandboxed: they read the archive's events and nothing else.
	eng, err := f.OpenViews(ctx, rng, true)
	if err != nil {
		return err
	}
	defer eng.Close()
	var scanned int64
	if err := eng.Conn().QueryRowContext(ctx, "SELECT count(*) FROM events").Scan(&scanned); err != nil {
		return err
	}
	progress := f.IO.ShowProgress() && !opts.Quiet
	start := time.Now()
	res := runner.Run(ctx, eng, selected, func(i int, r runner.Result) {
		if progress {
			fmt.Fprintf(errOut, "\r\033[K[%d/%d] %s", i+1, len(selected), r.Rule.ID)
		}
	})
	if progress {
		fmt.Fprint(errOut, "\r\033[K")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dets := runner.Detections(res)
	if opts.Output != "" {
		// The sandboxed engine cannot write files: Parquet output gets its own.
		out, err := f.Engine(ctx)
		if err != nil {
			return err
		}
		err = runner.WriteFile(ctx, out, opts.Output, opts.Format, dets)
		out.Close()
		if err != nil {
			return err
		}
	} else {
		err = runner.Write(f.IO.Out, opts.Format, dets)
	}
	if err != nil {
		return err
	}

	if opts.Save {
		out, err := f.Engine(ctx)
		if err != nil {
			return err
		}
		a, err := f.Archive()
		if err != nil {
			out.Close()
			return err
		}
		ids := make([]string, len(selected))
		for i, r := range selected {
			ids[i] = r.ID
		}
		saved, err := runner.Save(ctx, out, a, archive.Run{ID: runner.NewRunID(start), At: start.UTC(), Rules: ids, From: rng.From, To: rng.To}, dets)
		out.Close()
		if err != nil {
			return err
		}
		if !opts.Quiet {
			fmt.Fprintf(errOut, "saved %d detections as run %s (%s)\n", saved.Detections, saved.ID, a.Path(saved.File))
		}
	}

	failed := 0
	for _, r := range res {
		if r.Err != nil {
			failed++
			fmt.Fprintf(errOut, "error: rule %s (%s) failed: %v\n", r.Rule.ID, r.Rule.Source, r.Err)
		}
	}
	if !opts.Quiet {
		for _, r := range res {
			status := fmt.Sprintf("%d detections", len(r.Rows))
			if r.Err != nil {
				status = "FAILED"
			}
			fmt.Fprintf(errOut, "%-40s %-16s %s events scanned, %.2fs  %s\n", r.Rule.ID, status, cmdutil.Thousands(scanned), r.Elapsed.Seconds(), r.Rule.Name)
		}
		fmt.Fprintf(errOut, "ran %d rules over %s events in %.2fs: %d detections, %d rules failed\n",
			len(res), cmdutil.Thousands(scanned), time.Since(start).Seconds(), len(dets), failed)
	}
	if failed > 0 {
		return &cmdutil.RulesFailedError{Failed: failed, Total: len(res)}
	}
	if opts.FailOnDetections && len(dets) > 0 {
		return &cmdutil.DetectionsFoundError{Count: len(dets)}
	}
	return nil
}
