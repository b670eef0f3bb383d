package run

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"huntsql/internal/cli/cmdutil"
	clisigma "huntsql/internal/cli/sigma"
	"huntsql/rules"
	"huntsql/rules/sigma"
)

// SigmaOptions are the flags that run Sigma rules.
type SigmaOptions struct {
	Paths    []string // --sigma: files or folders of Sigma rules
	Status   []string // --sigma-status: keep only rules with these statuses
	MinLevel string   // --min-level: keep only rules at this level or above
	Flags    clisigma.CompileFlags
}

func (s *SigmaOptions) add(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&s.Paths, "sigma", nil, "add the Sigma rules of this file or folder, compiled (repeatable); --rule ID selects among all rules")
	cmd.Flags().StringSliceVar(&s.Status, "sigma-status", nil, "run only Sigma rules of these statuses (stable, test, experimental, …; default: all but deprecated and unsupported)")
	cmd.Flags().StringVar(&s.MinLevel, "min-level", "", "run only Sigma rules of this level or above (informational, low, medium, high, critical)")
	s.Flags.Add(cmd)
}

func (s *SigmaOptions) validate() error {
	if s.MinLevel != "" && sigma.LevelRank(s.MinLevel) < 0 {
		return cmdutil.Usagef("--min-level %q: want informational, low, medium, high or critical", s.MinLevel)
	}
	if len(s.Paths) == 0 && (len(s.Status) > 0 || s.MinLevel != "") {
		return cmdutil.Usagef("--sigma-status and --min-level select Sigma rules: give them with --sigma PATH")
	}
	return nil
}

// compile turns the Sigma rules into rules to run, each with its plan (so the
// runner evaluates them in shared scans), and reports on w what was left out
// and why. failed counts the rules that could not be compiled for a fault of
// the rule (not for a source that lacks a field, nor an unsupported feature).
func (s *SigmaOptions) compile(w io.Writer, quiet bool) (out []*rules.Rule, failed int, err error) {
	_, cs, rep, err := s.Flags.Compile(s.Paths)
	if err != nil {
		return nil, 0, err
	}
	// Select keeps the rules a selected correlation uses (as internal rules).
	selected, err := sigma.Select(cs, s.Status, s.MinLevel)
	if err != nil {
		return nil, 0, cmdutil.Usagef("%v", err)
	}
	for _, c := range selected {
		if c.Internal {
			continue // lives on inside the correlations that use it
		}
		c.Rule.Plan = c.Plan()
		out = append(out, c.Rule)
	}
	filtered := -len(out)
	for _, c := range cs {
		if !c.Internal {
			filtered++
		}
	}
	for _, e := range rep.Entries {
		if e.Outcome != sigma.OutcomeFailed {
			continue
		}
		failed++
		for _, r := range clisigma.Located(e) {
			fmt.Fprintf(w, "error: %s (Sigma rule skipped)\n", r)
		}
	}
	if !quiet {
		fmt.Fprintf(w, "sigma: %d rules to run of %d documents: %d compiled, %d cannot fire on any source, %d unsupported, %d skipped by status, %d failed",
			len(out), len(rep.Entries), rep.Count(sigma.OutcomeCompiled), rep.Count(sigma.OutcomeCannotFire),
			rep.Count(sigma.OutcomeUnsupported), rep.Count(sigma.OutcomeSkipped), failed)
		if filtered > 0 {
			fmt.Fprintf(w, ", %d left out by --sigma-status/--min-level", filtered)
		}
		fmt.Fprintln(w)
		if rep.Count(sigma.OutcomeCannotFire)+rep.Count(sigma.OutcomeUnsupported) > 0 {
			fmt.Fprintf(w, "sigma: `huntsql sigma coverage %s` says why each rule left out cannot run\n", strings.Join(s.Paths, " "))
		}
	}
	return out, failed, nil
}
