// Package report is the `huntsql report` command.
package report

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"huntsql/internal/archive"
	"huntsql/internal/cli/cmdutil"
	"huntsql/internal/report"
	"huntsql/rules/runner"
)

// NewCmdReport returns the report command.
func NewCmdReport(f *cmdutil.Factory) *cobra.Command {
	var output, from, to string
	var ruleIDs, dirs []string
	cmd := &cobra.Command{
		Use:   "report -o report.html [flags]",
		Short: "Run the rules and write an offline HTML report",
		Long: strings.TrimSpace(`
Run the rules (as "huntsql run" does, sandboxed) and write one self-contained
HTML file: no CDN, no network, safe to mail or open on an offline laptop. It
shows a summary by rule, severity and ATT&CK technique, a detections table you
can filter as you type, and a per-host timeline of the detections.`),
		Example: "  huntsql report -o report.html\n  huntsql report --from 2026-03-01 --rules ./my-rules -o week.html",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" {
				return cmdutil.Usagef("report needs -o FILE")
			}
			ctx := cmd.Context()
			rng, err := cmdutil.ParseRange(from, to)
			if err != nil {
				return err
			}
			selected, broken, err := f.LoadRules(dirs, ruleIDs)
			if err != nil {
				return err
			}
			eng, err := f.OpenViews(ctx, rng, true)
			if err != nil {
				return err
			}
			defer eng.Close()
			res := runner.Run(ctx, eng, selected, runner.Options{})
			a, err := f.Archive()
			if err != nil {
				return err
			}
			data, err := report.Build(ctx, eng, a.Root, res, time.Now())
			if err != nil {
				return err
			}
			err = archive.WriteAtomic(output, func(w *os.File) error { return report.Write(w, data) })
			if err != nil {
				return err
			}
			fmt.Fprintf(f.IO.ErrOut, "wrote %s: %d detections from %d rules over %s events\n", output, len(data.Detections), len(data.Rules), cmdutil.Thousands(data.Events))
			if len(data.Failed) > 0 || broken > 0 {
				return &cmdutil.RulesFailedError{Failed: len(data.Failed), Total: len(data.Rules), Broken: broken}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "the HTML file to write")
	cmd.Flags().StringArrayVar(&ruleIDs, "rule", nil, "only this rule id (repeatable)")
	cmd.Flags().StringArrayVar(&dirs, "rules", nil, "add a folder of rule files (repeatable)")
	cmd.Flags().StringVar(&from, "from", "", "only events at or after this time")
	cmd.Flags().StringVar(&to, "to", "", "only events before this time")
	return cmd
}
