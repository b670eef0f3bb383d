// Package rules is the `huntsql rules` command group: list, show, lint, test.
package rules

import (
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"huntsql/internal/cli/cmdutil"
	"huntsql/internal/engine"
	"huntsql/internal/results"
	"huntsql/rules"
	"huntsql/rules/builtin"
	"huntsql/rules/ruletest"
	"huntsql/rules/runner"
)

// NewCmdRules returns the rules command group.
func NewCmdRules(f *cmdutil.Factory) *cobra.Command {
	var dirs []string
	cmd := &cobra.Command{
		Use:   "rules <command>",
		Short: "List, show, check and test detection rules",
		Long: strings.TrimSpace(`
Detection rules are TOML files whose query is DuckDB SQL over the archive's
views (docs/rules.md). The built-in rules ship inside huntsql; --rules DIR adds
a folder (repeatable) and a rule with a built-in id replaces the built-in one.`),
	}
	cmd.PersistentFlags().StringArrayVar(&dirs, "rules", nil, "add a folder of rule files (repeatable)")
	load := func() (*rules.Set, error) { return f.RuleSet(dirs) }
	cmd.AddCommand(newCmdList(f, load), newCmdShow(f, load), newCmdLint(f, load), newCmdTest(f, load, &dirs))
	return cmd
}

type loadFunc func() (*rules.Set, error)

func newCmdList(f *cmdutil.Factory, load loadFunc) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the rules in force",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			set, err := load()
			if err != nil {
				return err
			}
			rs := &results.Set{Columns: []string{"id", "severity", "risk", "techniques", "name", "source"}}
			for _, r := range set.Rules {
				rs.Rows = append(rs.Rows, []any{r.ID, r.Severity, int64(r.Score()), strings.Join(r.Techniques(), " "), r.Name, r.Source})
			}
			if err := rs.Write(f.IO.Out, results.Table, 60); err != nil {
				return err
			}
			if len(set.Broken) > 0 {
				return &cmdutil.RulesFailedError{Total: len(set.Rules), Broken: len(set.Broken)}
			}
			return nil
		},
	}
}

func newCmdShow(f *cmdutil.Factory, load loadFunc) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Print a rule's file",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			set, err := load()
			if err != nil {
				return err
			}
			sel, err := set.Select(args)
			if err != nil {
				return cmdutil.Usagef("%v", err)
			}
			r := sel[0]
			var data []byte
			if name, ok := strings.CutPrefix(r.Source, "builtin:"); ok {
				data, err = fs.ReadFile(builtin.FS, name)
			} else {
				data, err = os.ReadFile(r.Source)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(f.IO.Out, "# %s\n%s", r.Source, data)
			return nil
		},
	}
}

func newCmdLint(f *cmdutil.Factory, load loadFunc) *cobra.Command {
	return &cobra.Command{
		Use:   "lint",
		Short: "Check every rule file and prepare every query against the archive schema",
		Long: strings.TrimSpace(`
Parse every rule strictly (unknown keys, missing keys, bad severities and
ATT&CK ids are errors with file:line), then prepare each query against the
archive schema, so that a wrong column or function name is caught before the
rule runs. Needs no archive.`),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			set, err := load()
			if err != nil {
				return err
			}
			eng, err := f.Engine(ctx)
			if err != nil {
				return err
			}
			defer eng.Close()
			// An empty archive has the full schema: that is all lint needs.
			if err := eng.ArchiveViews(ctx, nil, nil, engine.Range{}); err != nil {
				return err
			}
			errs := runner.Lint(ctx, eng, set.Rules)
			ids := make([]string, 0, len(errs))
			for id := range errs {
				ids = append(ids, id)
			}
			sort.Strings(ids)
			for _, r := range set.Rules {
				if err, bad := errs[r.ID]; bad {
					fmt.Fprintf(f.IO.ErrOut, "%s: rule %s: %v\n", r.Source, r.ID, err)
				}
			}
			fmt.Fprintf(f.IO.ErrOut, "linted %d rules: %d with errors", len(set.Rules), len(ids))
			if len(set.Broken) > 0 {
				fmt.Fprintf(f.IO.ErrOut, "; %d rule files could not be read", len(set.Broken))
			}
			fmt.Fprintln(f.IO.ErrOut)
			if len(ids) > 0 || len(set.Broken) > 0 {
				return &cmdutil.RulesFailedError{Failed: len(ids), Total: len(set.Rules), Broken: len(set.Broken)}
			}
			return nil
		},
	}
}

func newCmdTest(f *cmdutil.Factory, load loadFunc, dirs *[]string) *cobra.Command {
	var fixtures string
	var update, all bool
	var only []string
	cmd := &cobra.Command{
		Use:   "test",
		Short: "Run each rule's fixtures through the loader and runner",
		Long: strings.TrimSpace(`
For each rule, load its fixtures' fires/ into a fresh archive and run the
rule: the detections must equal want.ndjson exactly. Then load quiet/: the
rule must not fire. A rule without fires/, want.ndjson or quiet/ fails.
--update rewrites want.ndjson (review the diff).

A rule's fixtures are FIXTURES/RULE_ID/ with --fixtures FIXTURES; else they
sit beside the rule file, in FOLDER/fixtures/RULE_ID/. The built-in rules'
fixtures are in huntsql's source tree (` + ruletest.BuiltinFixtures + `/): elsewhere those
rules are skipped with a note.

With --rules DIR, only the rules of DIR are tested; --all adds the built-in
ones, --rule ID picks rules by id. Exit code 4 when a rule fails.`),
		Example: cmdutil.Examples(`
  huntsql rules test                          # in the source tree: the built-in rules
  huntsql rules test --rules ./my-rules       # ./my-rules/fixtures/RULE_ID/ for each rule
  huntsql rules test --rules ./my-rules --fixtures ./my-fixtures --all`),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			set, err := load()
			if err != nil {
				return err
			}
			sel, err := set.Select(only)
			if err != nil {
				return cmdutil.Usagef("%v", err)
			}
			if len(only) == 0 && len(*dirs) > 0 && !all {
				sel = slices.DeleteFunc(slices.Clone(sel), func(r *rules.Rule) bool { return strings.HasPrefix(r.Source, "builtin:") })
			}
			sum, err := ruletest.Run(cmd.Context(), sel, ruletest.Options{Fixtures: fixtures, Update: update, Log: f.IO.Out})
			if err != nil {
				return err
			}
			fmt.Fprintf(f.IO.Out, "%d passed, %d failed", sum.Passed, sum.Failed)
			if sum.Skipped > 0 {
				fmt.Fprintf(f.IO.Out, ", %d skipped (no fixtures here)", sum.Skipped)
			}
			fmt.Fprintln(f.IO.Out)
			if sum.Failed > 0 || len(set.Broken) > 0 {
				return &cmdutil.RulesFailedError{Failed: sum.Failed, Total: len(sel), Broken: len(set.Broken)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&fixtures, "fixtures", "", "the fixtures folder: FIXTURES/RULE_ID/{fires/,quiet/,want.ndjson} (default: beside each rule file)")
	cmd.Flags().BoolVar(&update, "update", false, "rewrite want.ndjson from the rules' current output")
	cmd.Flags().StringArrayVar(&only, "rule", nil, "test only this rule id (repeatable)")
	cmd.Flags().BoolVar(&all, "all", false, "with --rules, test the built-in rules too")
	return cmd
}
