// Package report is the `huntsql report` command.
package report

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"huntsql/internal/archive"
	"huntsql/internal/cli/cmdutil"
	"huntsql/internal/engine"
	"huntsql/internal/report"
	"huntsql/rules"
	"huntsql/rules/runner"
)

// Options are the flags of `huntsql report`.
type Options struct {
	Factory     *cmdutil.Factory
	Output      string
	Run         string // a saved run id, or "latest"
	RuleIDs     []string
	RuleDirs    []string
	From, To    string
	RuleTimeout time.Duration
}

// NewCmdReport returns the report command.
func NewCmdReport(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "report -o report.html [flags]",
		Short: "Write an offline HTML report of a run",
		Long: strings.TrimSpace(`
Write one self-contained HTML file: no CDN, no network, safe to mail or open
on an offline laptop. It shows a summary by rule, severity and ATT&CK
technique, a per-host timeline, and a detections table you can filter as you
type, with each detection's fields as name/value pairs and the commands that
show the events behind it (huntsql query … detection_events, huntsql pivot).

--run ID (or latest) reports a run saved with "huntsql run --save", without
running any rule. Without --run, the rules run once (as "huntsql run" does,
sandboxed, with --rule-timeout) and the run is saved in the archive first, so
that the report's commands find its detections.`),
		Example: cmdutil.Examples(`
  huntsql report -o report.html
  huntsql report --from 2026-03-01 --rules ./my-rules -o week.html
  huntsql run --save && huntsql report --run latest -o report.html`),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Output == "" {
				return cmdutil.Usagef("report needs -o FILE")
			}
			if opts.Run != "" && (len(opts.RuleIDs) > 0 || len(opts.RuleDirs) > 0 || opts.From != "" || opts.To != "") {
				return cmdutil.Usagef("--run reports a saved run as it was: --rule, --rules, --from and --to do not apply")
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "the HTML file to write")
	cmd.Flags().StringVar(&opts.Run, "run", "", "report this saved run (an id from run --save, or latest) instead of running the rules")
	cmd.Flags().StringArrayVar(&opts.RuleIDs, "rule", nil, "only this rule id (repeatable)")
	cmd.Flags().StringArrayVar(&opts.RuleDirs, "rules", nil, "add a folder of rule files (repeatable)")
	cmd.Flags().StringVar(&opts.From, "from", "", "only events at or after this time")
	cmd.Flags().StringVar(&opts.To, "to", "", "only events before this time")
	cmd.Flags().DurationVar(&opts.RuleTimeout, "rule-timeout", 10*time.Minute, "stop a rule that runs longer than this (0: no limit)")
	return cmd
}

// Run writes the report.
func Run(ctx context.Context, opts *Options) error {
	f := opts.Factory
	a, err := f.Archive()
	if err != nil {
		return err
	}
	in := report.Input{Archive: a.Root}
	var broken int
	var eng *engine.Engine
	if opts.Run != "" {
		if eng, err = savedRun(ctx, f, a, opts.Run, &in); err != nil {
			return err
		}
	} else {
		if eng, broken, err = runAndSave(ctx, opts, a, &in); err != nil {
			return err
		}
	}
	defer eng.Close()
	if err := runner.Locate(ctx, eng, in.Detections); err != nil {
		return err
	}
	data, err := report.Build(ctx, eng, in, time.Now())
	if err != nil {
		return err
	}
	err = archive.WriteAtomic(opts.Output, func(w *os.File) error { return report.Write(w, data) })
	if err != nil {
		return err
	}
	fmt.Fprintf(f.IO.ErrOut, "wrote %s: %d detections from %d rules over %s events (run %s)\n", opts.Output, len(data.Detections), len(data.Rules), cmdutil.Thousands(data.Events), in.RunID)
	if len(data.Failed) > 0 || broken > 0 {
		return &cmdutil.RulesFailedError{Failed: len(data.Failed), Total: len(data.Rules), Broken: broken}
	}
	return nil
}

// savedRun reads a saved run's detections; the engine sees the whole archive.
func savedRun(ctx context.Context, f *cmdutil.Factory, a *archive.Archive, id string, in *report.Input) (*engine.Engine, error) {
	m, err := a.ReadManifest(false)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(m.Runs, func(r archive.Run) bool { return r.ID == id })
	if id == "latest" {
		i = len(m.Runs) - 1
	}
	if i < 0 {
		return nil, cmdutil.Usagef("--run %s: no such saved run in %s (huntsql query 'SELECT DISTINCT run_id FROM detections' lists them; huntsql run --save saves one)", id, a.Root)
	}
	run := m.Runs[i]
	in.RunID = run.ID
	eng, err := f.OpenViews(ctx, engine.Range{}, false)
	if err != nil {
		return nil, err
	}
	if in.Detections, err = runner.ReadSaved(ctx, eng, run.ID); err != nil {
		eng.Close()
		return nil, err
	}
	// The rules as they are now, for names and techniques; a rule since
	// removed is shown as saved.
	set, err := rules.Load(nil)
	for _, id := range run.Rules {
		var r *rules.Rule
		if err == nil {
			if sel, e := set.Select([]string{id}); e == nil {
				r = sel[0]
			}
		}
		if r == nil {
			r = &rules.Rule{ID: id, Name: id}
			for _, d := range in.Detections {
				if d.Rule.ID == id {
					score := d.Rule.RiskScore
					r = &rules.Rule{ID: id, Name: d.Rule.Name, Severity: d.Rule.Severity, RiskScore: &score}
					break
				}
			}
		}
		in.Rules = append(in.Rules, r)
	}
	return eng, nil
}

// runAndSave runs the rules once, sandboxed, and saves the run.
func runAndSave(ctx context.Context, opts *Options, a *archive.Archive, in *report.Input) (*engine.Engine, int, error) {
	f := opts.Factory
	rng, err := cmdutil.ParseRange(opts.From, opts.To)
	if err != nil {
		return nil, 0, err
	}
	selected, broken, err := f.LoadRules(opts.RuleDirs, opts.RuleIDs)
	if err != nil {
		return nil, 0, err
	}
	eng, err := f.OpenViews(ctx, rng, true)
	if err != nil {
		return nil, 0, err
	}
	start := time.Now()
	store, res := runner.RunStored(ctx, eng, selected, runner.Options{Timeout: opts.RuleTimeout})
	defer store.Close(context.WithoutCancel(ctx))
	if err := ctx.Err(); err != nil {
		eng.Close()
		return nil, 0, err
	}
	in.Rules = selected
	for _, r := range res {
		if r.Err != nil {
			in.Failed = append(in.Failed, fmt.Sprintf("%s: %v", r.Rule.ID, r.Err))
			fmt.Fprintf(f.IO.ErrOut, "error: rule %s (%s) failed: %v\n", r.Rule.ID, r.Rule.Source, r.Err)
		}
	}
	// The page holds every detection; the same engine saves them, sandboxed
	// as it is, through its spill directory.
	if in.Detections, err = store.All(ctx); err != nil {
		eng.Close()
		return nil, 0, err
	}
	ids := make([]string, len(selected))
	for i, r := range selected {
		ids[i] = r.ID
	}
	saved, err := store.Save(ctx, a, archive.Run{ID: runner.NewRunID(start), At: start.UTC(), Rules: ids, From: rng.From, To: rng.To})
	if err != nil {
		eng.Close()
		return nil, 0, err
	}
	in.RunID = saved.ID
	return eng, broken, nil
}
