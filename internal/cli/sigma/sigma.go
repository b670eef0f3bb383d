// Package sigma is the `huntsql sigma` command group: convert Sigma rules to
// huntsql rule files, and report what a Sigma rule set can run.
package sigma

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	yaml "go.yaml.in/yaml/v3"

	"huntsql/internal/cli/cmdutil"
	"huntsql/internal/engine"
	"huntsql/internal/results"
	"huntsql/rules/runner"
	"huntsql/rules/sigma"
)

// CompileFlags are the flags every command that compiles Sigma shares.
type CompileFlags struct {
	Mapping      string // --sigma-mapping FILE
	Placeholders string // --sigma-placeholders FILE
}

// Add registers the flags on a command.
func (c *CompileFlags) Add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&c.Mapping, "sigma-mapping", "", "YAML file of extra or replacing logsource sources and field mappings (format: docs/sigma.md)")
	cmd.Flags().StringVar(&c.Placeholders, "sigma-placeholders", "", "YAML file of values for |expand placeholders (name: [values])")
}

// Options reads the files the flags name.
func (c *CompileFlags) Options() (sigma.Options, error) {
	opts := sigma.Options{Mapping: sigma.DefaultMapping()}
	if c.Mapping != "" {
		data, err := os.ReadFile(c.Mapping)
		if err != nil {
			return opts, err
		}
		m, err := sigma.ParseMapping(c.Mapping, data)
		if err != nil {
			return opts, err
		}
		opts.Mapping = opts.Mapping.Extend(m)
	}
	if c.Placeholders != "" {
		data, err := os.ReadFile(c.Placeholders)
		if err != nil {
			return opts, err
		}
		var ph map[string][]string
		if err := yaml.Unmarshal(data, &ph); err != nil {
			return opts, fmt.Errorf("%s: %w (want name: [value, …])", c.Placeholders, err)
		}
		opts.Placeholders = ph
	}
	return opts, nil
}

// Compile reads the files the flags name and compiles the Sigma rules under
// paths with them.
func (c *CompileFlags) Compile(paths []string) (sigma.Options, []*sigma.Compiled, *sigma.Report, error) {
	opts, err := c.Options()
	if err != nil {
		return opts, nil, nil, err
	}
	cs, rep, err := sigma.CompileDir(paths, opts)
	return opts, cs, rep, err
}

// NewCmdSigma returns the sigma command group.
func NewCmdSigma(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sigma <command>",
		Short: "Convert Sigma rules and report their coverage",
		Long: strings.TrimSpace(`
Sigma rules (SigmaHQ's YAML format) compile to DuckDB SQL over the archive
(docs/sigma.md). "convert" writes them as ordinary huntsql rule files;
"coverage" tells, per logsource, what compiled, what cannot fire on the
archive's sources and why, and what huntsql does not support.`),
	}
	cmd.AddCommand(NewCmdConvert(f, nil), NewCmdCoverage(f, nil))
	return cmd
}

// ConvertOptions are the options of `sigma convert`.
type ConvertOptions struct {
	Paths  []string
	OutDir string
	Flags  CompileFlags
}

// NewCmdConvert returns `sigma convert`.
func NewCmdConvert(f *cmdutil.Factory, runF func(context.Context, *ConvertOptions) error) *cobra.Command {
	o := &ConvertOptions{}
	cmd := &cobra.Command{
		Use:   "convert PATH... -o DIR",
		Short: "Write Sigma rules as huntsql rule files",
		Long: strings.TrimSpace(`
Compile each Sigma rule under PATH (files or folders; .yml and .yaml) and write
it to DIR as ID.toml: an ordinary huntsql rule (rules lint, rules test, run
--rules DIR) carrying the Sigma id, title, level, status, tags (ATT&CK as
threat), author, references, false positives and source path. Every written
rule has been prepared against the archive schema.

A rule that cannot fire on any source of its logsource, uses a feature huntsql
does not support, or is deprecated is not written; stderr says why. One bad
rule never stops the others; the exit code is 4 when some rule failed.`),
		Example: cmdutil.Examples(`
  # Convert, check, run
  huntsql sigma convert ~/sigma/rules/windows/process_creation -o my-rules/
  huntsql rules lint --rules my-rules/
  huntsql run --rules my-rules/`),
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Paths = args
			if o.OutDir == "" {
				return cmdutil.Usagef("sigma convert needs -o DIR")
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return convert(cmd.Context(), f, o)
		},
	}
	cmd.Flags().StringVarP(&o.OutDir, "output", "o", "", "folder to write the rule files to (created if missing)")
	o.Flags.Add(cmd)
	return cmd
}

func convert(ctx context.Context, f *cmdutil.Factory, o *ConvertOptions) error {
	_, cs, rep, err := o.Flags.Compile(o.Paths)
	if err != nil {
		return err
	}
	lintErrs, err := lint(ctx, f, cs)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return err
	}
	written := 0
	for _, c := range cs {
		if lintErrs[c.Rule.ID] != nil || c.Internal {
			// An internal rule lives on inside the correlations that use it.
			continue
		}
		if err := os.WriteFile(filepath.Join(o.OutDir, c.Rule.ID+".toml"), sigma.TOML(c), 0o644); err != nil {
			return err
		}
		written++
	}
	failed := printProblems(f.IO.ErrOut, rep, lintErrs)
	fmt.Fprintf(f.IO.ErrOut, "converted %d of %d Sigma rules to %s: %s\n", written, len(rep.Entries), o.OutDir, summary(rep, len(lintErrs)))
	if failed > 0 {
		return &cmdutil.RulesFailedError{Failed: failed, Total: len(rep.Entries)}
	}
	return nil
}

// lint prepares every compiled query against the archive schema.
func lint(ctx context.Context, f *cmdutil.Factory, cs []*sigma.Compiled) (map[string]error, error) {
	eng, err := f.Engine(ctx)
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	if err := eng.ArchiveViews(ctx, nil, nil, engine.Range{}); err != nil {
		return nil, err
	}
	return runner.Lint(ctx, eng, sigma.Rules(cs)), nil
}

func summary(rep *sigma.Report, lintFailed int) string {
	parts := []string{fmt.Sprintf("%d compiled", rep.Count(sigma.OutcomeCompiled)-lintFailed)}
	for _, o := range []sigma.Outcome{sigma.OutcomeCannotFire, sigma.OutcomeUnsupported, sigma.OutcomeSkipped, sigma.OutcomeFailed} {
		n := rep.Count(o)
		if o == sigma.OutcomeFailed {
			n += lintFailed
		}
		parts = append(parts, fmt.Sprintf("%d %s", n, o))
	}
	return strings.Join(parts, ", ")
}

// printProblems lists each rule that was not compiled, and why; it returns
// how many failed.
func printProblems(w io.Writer, rep *sigma.Report, lintErrs map[string]error) int {
	failed := 0
	for _, e := range rep.Entries {
		for _, n := range e.Notes {
			fmt.Fprintf(w, "note: %s\n", n)
		}
		switch e.Outcome {
		case sigma.OutcomeCompiled:
			if err := lintErrs[e.Compiled.Rule.ID]; err != nil {
				failed++
				fmt.Fprintf(w, "failed: %s:%d: the compiled query does not prepare: %v\n", e.File, e.Line, err)
			}
			continue
		case sigma.OutcomeFailed:
			failed++
		}
		for _, r := range Located(e) {
			fmt.Fprintf(w, "%s: %s\n", e.Outcome, r)
		}
	}
	return failed
}

// Located returns an entry's reasons, each starting with the rule's file and
// line.
func Located(e *sigma.Entry) []string {
	out := make([]string, len(e.Reasons))
	for i, r := range e.Reasons {
		if !strings.HasPrefix(r, e.File) {
			r = fmt.Sprintf("%s:%d: %s", e.File, e.Line, r)
		}
		out[i] = r
	}
	return out
}

// CoverageOptions are the options of `sigma coverage`.
type CoverageOptions struct {
	Paths   []string
	Archive bool // --archive given: say what can fire on it
	JSON    bool
	Flags   CompileFlags
}

// NewCmdCoverage returns `sigma coverage`.
func NewCmdCoverage(f *cmdutil.Factory, runF func(context.Context, *CoverageOptions) error) *cobra.Command {
	o := &CoverageOptions{}
	cmd := &cobra.Command{
		Use:   "coverage PATH...",
		Short: "Report what a Sigma rule set compiles to, and why not",
		Long: strings.TrimSpace(`
Compile every Sigma rule under PATH and report, per logsource: how many
compiled; how many cannot fire because no source of the logsource supplies a
field they need (e.g. OriginalFileName from Security 4688); how many use what
huntsql does not support (no mapping for the logsource, regular expressions
RE2 lacks, …); how many were skipped (deprecated, unsupported) or failed. The
most frequent reasons follow.

With --archive, also say which compiled rules can fire on the archive: those
with a source whose events the archive holds.`),
		Example: cmdutil.Examples(`
  # What compiles, what cannot, and why
  huntsql sigma coverage ~/sigma/rules/

  # ...and which rules can fire on the sources this archive holds
  huntsql sigma coverage ~/sigma/rules/windows --archive ./huntsql-archive`),
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Paths = args
			o.Archive = cmd.Flags().Changed("archive")
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return coverage(cmd.Context(), f, o)
		},
	}
	cmd.Flags().BoolVar(&o.JSON, "json", false, "write the report as JSON (one object per Sigma document)")
	o.Flags.Add(cmd)
	return cmd
}

func coverage(ctx context.Context, f *cmdutil.Factory, o *CoverageOptions) error {
	opts, cs, rep, err := o.Flags.Compile(o.Paths)
	if err != nil {
		return err
	}
	lintErrs, err := lint(ctx, f, cs)
	if err != nil {
		return err
	}
	var present map[string]int64
	if o.Archive {
		if present, err = sourcesPresent(ctx, f, opts.Mapping); err != nil {
			return err
		}
	}
	if o.JSON {
		return writeJSON(f.IO.Out, rep, lintErrs, present)
	}
	type row struct{ compiled, cannot, unsupported, skipped, failed, canFire int }
	rows := map[string]*row{}
	reasons := map[string]map[string]int{} // logsource -> reason -> rules
	for _, e := range rep.Entries {
		ls := e.Logsource.String()
		if e.Kind == "correlation" {
			ls = "(correlation)"
		}
		if reasons[ls] == nil {
			reasons[ls] = map[string]int{}
		}
		r := rows[ls]
		if r == nil {
			r = &row{}
			rows[ls] = r
		}
		outcome := e.Outcome
		if outcome == sigma.OutcomeCompiled && e.Compiled != nil && lintErrs[e.Compiled.Rule.ID] != nil {
			outcome = sigma.OutcomeFailed
			reasons[ls]["failed: compiled query does not prepare"]++
		}
		switch outcome {
		case sigma.OutcomeCompiled:
			r.compiled++
			if present != nil && e.Compiled != nil && canFire(e.Compiled, present) {
				r.canFire++
			}
		case sigma.OutcomeCannotFire:
			r.cannot++
		case sigma.OutcomeUnsupported:
			r.unsupported++
		case sigma.OutcomeSkipped:
			r.skipped++
		case sigma.OutcomeFailed:
			r.failed++
		}
		if outcome != sigma.OutcomeCompiled && outcome != sigma.OutcomeFailed {
			for _, reason := range e.Reasons {
				reasons[ls][string(outcome)+": "+generalReason(reason)]++
			}
		} else if outcome == sigma.OutcomeFailed && len(e.Reasons) > 0 {
			reasons[ls]["failed: "+generalReason(e.Reasons[0])]++
		}
		if outcome == sigma.OutcomeCompiled {
			for _, reason := range e.Reasons {
				reasons[ls]["compiled, but "+generalReason(reason)]++
			}
		}
	}
	cols := []string{"logsource", "rules", "compiled", "cannot-fire", "unsupported", "skipped", "failed"}
	if present != nil {
		cols = append(cols, "can-fire-here")
	}
	set := &results.Set{Columns: cols}
	var keys []string
	for k := range rows {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var tot row
	add := func(name string, r *row) {
		vals := []any{name, int64(r.compiled + r.cannot + r.unsupported + r.skipped + r.failed), int64(r.compiled),
			int64(r.cannot), int64(r.unsupported), int64(r.skipped), int64(r.failed)}
		if present != nil {
			vals = append(vals, int64(r.canFire))
		}
		set.Rows = append(set.Rows, vals)
	}
	for _, k := range keys {
		r := rows[k]
		add(k, r)
		tot.compiled += r.compiled
		tot.cannot += r.cannot
		tot.unsupported += r.unsupported
		tot.skipped += r.skipped
		tot.failed += r.failed
		tot.canFire += r.canFire
	}
	add("total", &tot)
	if err := set.Write(f.IO.Out, results.Table, 60); err != nil {
		return err
	}
	// The reasons, per logsource, most frequent first.
	heading := false
	for _, ls := range keys {
		var rs []string
		for k := range reasons[ls] {
			rs = append(rs, k)
		}
		if len(rs) == 0 {
			continue
		}
		if !heading {
			fmt.Fprintln(f.IO.Out, "\nreasons (rules), per logsource:")
			heading = true
		}
		sort.Slice(rs, func(i, j int) bool {
			if reasons[ls][rs[i]] != reasons[ls][rs[j]] {
				return reasons[ls][rs[i]] > reasons[ls][rs[j]]
			}
			return rs[i] < rs[j]
		})
		fmt.Fprintf(f.IO.Out, "%s\n", ls)
		for _, k := range rs {
			fmt.Fprintf(f.IO.Out, "%6d  %s\n", reasons[ls][k], k)
		}
	}
	if present != nil {
		var names []string
		for n := range present {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintln(f.IO.Out, "\nsources in the archive (events):")
		for _, n := range names {
			fmt.Fprintf(f.IO.Out, "%12s  %s\n", cmdutil.Thousands(present[n]), n)
		}
		if len(names) == 0 {
			fmt.Fprintln(f.IO.Out, "  none: no compiled Sigma rule can fire on this archive")
		}
	}
	return nil
}

// generalReason drops the file and line so that reasons can be counted.
func generalReason(r string) string {
	if i := strings.Index(r, ".yml:"); i >= 0 {
		if j := strings.Index(r[i+5:], ": "); j >= 0 {
			r = r[i+5+j+2:]
		}
	}
	if strings.HasPrefix(r, "regular expression ") {
		return "regular expression uses a feature RE2 lacks"
	}
	return r
}

// sourcesPresent counts the archive's events per mapping source.
func sourcesPresent(ctx context.Context, f *cmdutil.Factory, m *sigma.Mapping) (map[string]int64, error) {
	eng, err := f.OpenViews(ctx, engine.Range{}, true)
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	out := map[string]int64{}
	var sums []string
	for _, s := range m.Sources {
		sums = append(sums, fmt.Sprintf("count(*) FILTER (WHERE %s)", s.Where))
	}
	rows, err := eng.Query(ctx, "SELECT "+strings.Join(sums, ", ")+" FROM events")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	counts := make([]int64, len(m.Sources))
	ptrs := make([]any, len(counts))
	for i := range counts {
		ptrs[i] = &counts[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, s := range m.Sources {
		if counts[i] > 0 {
			out[s.Name] = counts[i]
		}
	}
	return out, nil
}

func canFire(c *sigma.Compiled, present map[string]int64) bool {
	if c.Correlation != nil {
		return slices.ContainsFunc(c.Correlation.Inputs, func(in *sigma.Compiled) bool { return canFire(in, present) })
	}
	return slices.ContainsFunc(c.Branches, func(b sigma.Branch) bool { return present[b.Source] > 0 })
}

func writeJSON(w io.Writer, rep *sigma.Report, lintErrs map[string]error, present map[string]int64) error {
	enc := json.NewEncoder(w)
	for _, e := range rep.Entries {
		outcome := e.Outcome
		reasons := e.Reasons
		if e.Compiled != nil && lintErrs[e.Compiled.Rule.ID] != nil {
			outcome = sigma.OutcomeFailed
			reasons = append(reasons, lintErrs[e.Compiled.Rule.ID].Error())
		}
		rec := map[string]any{"file": e.File, "line": e.Line, "id": e.ID, "title": e.Title, "kind": e.Kind,
			"logsource": e.Logsource.String(), "outcome": outcome, "reasons": reasons}
		if e.Compiled != nil {
			var srcs []string
			for _, b := range e.Compiled.Branches {
				srcs = append(srcs, b.Source)
			}
			rec["sources"] = srcs
			if present != nil {
				rec["can_fire_here"] = canFire(e.Compiled, present)
			}
		}
		if err := enc.Encode(rec); err != nil {
			return err
		}
	}
	return nil
}
