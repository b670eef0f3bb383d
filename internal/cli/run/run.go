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
	"huntsql/rules"
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
	Summary          bool
	Save             bool
	NoBuiltin        bool
	RuleTimeout      time.Duration
	Sigma            SigmaOptions
}

// DefaultRuleTimeout bounds each rule: far above what the seed rules take on
// 100 M events, far below a rule that will never end.
const DefaultRuleTimeout = 10 * time.Minute

// summaryTop is how many rules and hosts the summary lists.
const summaryTop = 10

// NewCmdRun returns the run command; runF replaces the run step in tests.
func NewCmdRun(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	var formatHelp strings.Builder
	for _, ft := range runner.Formats {
		fmt.Fprintf(&formatHelp, "  %-15s %s\n", ft.Name, ft.Help)
	}
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

Formats (--format; default table on a terminal, else ndjson):

` + formatHelp.String() + `
The timeline formats place each detection at its first event (the events a
rule lists in "huntsql.evidence", else its time and host fields): UTC time,
host, channel or data set, event code, then the source file and line.
Nested values (lists, structs, maps) are JSON text in csv, table and timeline.

The built-in rules ship inside huntsql; --rules DIR adds a folder of rule files
(repeatable), and a rule with the id of a built-in one replaces it. A rule
file that cannot be read is reported (file:line: reason) and the others run.

--from and --to (UTC unless an offset is given; --to is exclusive) skip the
files outside the range and filter @timestamp: a rule sees only events in the
range, so a time window that straddles an edge is evaluated on the events
inside it only.

Each rule runs with a time limit (--rule-timeout) and DuckDB's memory limit
(--memory-limit, spilling to ARCHIVE/` + cmdutil.SpillDir + `/): a rule over either is
stopped and reported as failed, and the others still run (exit code 4). Ctrl-C
stops the run; nothing is written.

A line per rule (detections, events scanned, seconds) goes to stderr. On a
terminal, or with --summary, a summary follows: detections by severity, by
rule and by host (top 10 each), with the first and last detection time.

--save also stores the detections in the archive with a run id, so that
"SELECT … FROM detections" and "detection_events" (each detection with the
events behind it) work in query, shell and notebooks.`),
		Example: cmdutil.Examples(`
  # Every rule over the whole archive
  huntsql run

  # A timeline for Timeline Explorer, a spreadsheet or pandas
  huntsql run --format timeline -o timeline.csv

  # One rule, one week, into a file
  huntsql run --rule b42e4b88-fc4a-417b-a45e-4d4a3db9fd41 --from 2026-03-01 --to 2026-03-08T12:00Z -o detections.ndjson

  # Your own rules too, as CSV, none allowed more than a minute
  huntsql run --rules ./my-rules --format csv --rule-timeout 1m`),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Format == "" {
				opts.Format = runner.NDJSON
				if f.IO.IsStdoutTTY() && opts.Output == "" {
					opts.Format = runner.Table
				}
			}
			format, err := runner.LookupFormat(opts.Format)
			if err != nil {
				return cmdutil.Usagef("--format must be one of %s", strings.Join(runner.FormatNames(), ", "))
			}
			if format.FileOnly && opts.Output == "" {
				return cmdutil.Usagef("--format %s needs -o FILE", format.Name)
			}
			if err := opts.Sigma.validate(); err != nil {
				return err
			}
			if opts.RuleTimeout < 0 {
				return cmdutil.Usagef("--rule-timeout must be positive (0 for none)")
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
	cmd.Flags().StringVarP(&opts.Format, "format", "f", "", strings.Join(runner.FormatNames(), ", ")+" (default: table on a terminal, else ndjson)")
	cmd.Flags().DurationVar(&opts.RuleTimeout, "rule-timeout", DefaultRuleTimeout, "stop a rule that runs longer than this (0: no limit)")
	cmd.Flags().BoolVar(&opts.FailOnDetections, "fail-on-detections", false, "exit with code 5 when any rule fires")
	cmd.Flags().BoolVarP(&opts.Quiet, "quiet", "q", false, "nothing on stderr but errors")
	cmd.Flags().BoolVar(&opts.Summary, "summary", false, "print the summary on stderr even when it is not a terminal")
	cmd.Flags().BoolVar(&opts.Save, "save", false, "also save the detections in the archive (views detections, detection_events)")
	cmd.Flags().BoolVar(&opts.NoBuiltin, "no-builtin", false, "leave out the built-in rules: run only those of --rules and --sigma")
	opts.Sigma.add(cmd)
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
	format, err := runner.LookupFormat(opts.Format)
	if err != nil {
		return cmdutil.Usagef("%v", err)
	}
	// --sigma adds compiled Sigma rules, as --rules adds folders of TOML
	// rules; --rule selects among them all.
	set, err := f.RuleSet(opts.RuleDirs)
	if err != nil {
		return err
	}
	broken := len(set.Broken)
	if opts.NoBuiltin {
		set.Rules = slices.DeleteFunc(set.Rules, func(r *rules.Rule) bool { return strings.HasPrefix(r.Source, "builtin:") })
	}
	if len(opts.Sigma.Paths) > 0 {
		sig, failed, err := opts.Sigma.compile(errOut, opts.Quiet)
		if err != nil {
			return err
		}
		set.Rules = append(set.Rules, sig...)
		broken += failed
	}
	selected, err := set.Select(opts.RuleIDs)
	if err != nil {
		return cmdutil.Usagef("%v", err)
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
	// The detections stay in the engine, not in memory: a noisy rule must
	// not make the run grow with them.
	store, res := runner.RunStored(ctx, eng, selected, runner.Options{
		Timeout: opts.RuleTimeout,
		OnDone: func(i int, r runner.Result) {
			if progress {
				fmt.Fprintf(errOut, "\r\033[K[%d/%d] %s", i+1, len(selected), r.Rule.ID)
			}
		},
	})
	defer store.Close(context.WithoutCancel(ctx))
	if progress {
		fmt.Fprint(errOut, "\r\033[K")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	summary := !opts.Quiet && (opts.Summary || f.IO.ShowProgress())
	if format.Located || summary {
		if err := store.Locate(ctx); err != nil {
			return err
		}
	}
	// One engine does it all: sandboxed, it still writes files through its
	// spill directory, inside the archive.
	wo := runner.WriteOptions{}
	if opts.Output != "" {
		err = store.WriteFile(ctx, opts.Output, opts.Format, wo)
	} else {
		wo.LineWidth = f.IO.TerminalWidth()
		err = store.Write(ctx, f.IO.Out, opts.Format, wo)
	}
	if err != nil {
		return err
	}

	if opts.Save {
		a, err := f.Archive()
		if err != nil {
			return err
		}
		ids := make([]string, len(selected))
		for i, r := range selected {
			ids[i] = r.ID
		}
		saved, err := store.Save(ctx, a, archive.Run{ID: runner.NewRunID(start), At: start.UTC(), Rules: ids, From: rng.From, To: rng.To})
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
			status := fmt.Sprintf("%d detections", r.Count)
			if r.Err != nil {
				status = "FAILED"
			}
			fmt.Fprintf(errOut, "%-40s %-16s %s events scanned, %.2fs  %s\n", r.Rule.ID, status, cmdutil.Thousands(scanned), r.Elapsed.Seconds(), r.Rule.Name)
		}
		fmt.Fprintf(errOut, "ran %d rules over %s events in %.2fs: %d detections, %d rules failed\n",
			len(res), cmdutil.Thousands(scanned), time.Since(start).Seconds(), store.Count(), failed)
	}
	if summary {
		fmt.Fprintln(errOut)
		if err := store.Summary().Write(errOut, summaryTop); err != nil {
			return err
		}
	}
	if failed > 0 || broken > 0 {
		return &cmdutil.RulesFailedError{Failed: failed, Total: len(res), Broken: broken}
	}
	if opts.FailOnDetections && store.Count() > 0 {
		return &cmdutil.DetectionsFoundError{Count: store.Count()}
	}
	return nil
}
