// Package ruletest tests rules like code: for each rule, a fixtures folder
//
//	DIR/RULE_ID/fires/       events that must fire
//	DIR/RULE_ID/want.ndjson  the exact detections they must give
//	DIR/RULE_ID/quiet/       events that must not fire
//
// goes through the real loader into a temporary archive and through the real
// runner. A rule without fires/, want.ndjson or quiet/ fails.
//
// DIR is Options.Fixtures when set; else a user rule's fixtures sit beside
// its file, in FOLDER/fixtures/RULE_ID/, and the built-in rules' in the
// source tree's fixtures/rules/ (BuiltinFixtures): outside the source tree
// they are skipped with a note.
package ruletest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"huntsql/internal/archive"
	"huntsql/internal/engine"
	"huntsql/loader"
	"huntsql/rules"
	"huntsql/rules/runner"
)

// Options configure a test run.
type Options struct {
	Fixtures string    // the fixtures folder (DIR above); "" for each rule's own
	Update   bool      // rewrite want.ndjson from what the rule gives
	Log      io.Writer // one line per rule and per problem
}

// BuiltinFixtures is where the built-in rules' fixtures live, relative to the
// root of huntsql's source tree.
const BuiltinFixtures = "fixtures/rules"

// Summary counts a test run's rules.
type Summary struct{ Passed, Failed, Skipped int }

// FixturesDir returns the folder of a rule's fixtures, or "" when the rule
// has none here (a built-in rule outside the source tree).
func FixturesDir(r *rules.Rule, override string) string {
	switch {
	case override != "":
		return filepath.Join(override, r.ID)
	case strings.HasPrefix(r.Source, "builtin:"):
		if st, err := os.Stat(BuiltinFixtures); err == nil && st.IsDir() {
			return filepath.Join(BuiltinFixtures, r.ID)
		}
		return ""
	}
	return filepath.Join(filepath.Dir(r.Source), "fixtures", r.ID)
}

// Run tests the rules; a failure to test at all (not a failed rule) is err.
func Run(ctx context.Context, rs []*rules.Rule, opts Options) (sum Summary, err error) {
	for _, r := range rs {
		dir := FixturesDir(r, opts.Fixtures)
		if dir == "" {
			sum.Skipped++
			fmt.Fprintf(opts.Log, "skip  %s  %s (built-in: its fixtures are in huntsql's source tree, %s/; run there or give --fixtures)\n", r.ID, r.Name, BuiltinFixtures)
			continue
		}
		problems, err := testRule(ctx, r, dir, opts)
		if err != nil {
			return sum, err
		}
		if len(problems) == 0 {
			sum.Passed++
			fmt.Fprintf(opts.Log, "ok    %s  %s\n", r.ID, r.Name)
			continue
		}
		sum.Failed++
		fmt.Fprintf(opts.Log, "FAIL  %s  %s\n", r.ID, r.Name)
		for _, p := range problems {
			fmt.Fprintf(opts.Log, "      %s\n", strings.ReplaceAll(p, "\n", "\n      "))
		}
	}
	return sum, nil
}

func testRule(ctx context.Context, r *rules.Rule, dir string, opts Options) ([]string, error) {
	fires, quiet, want := filepath.Join(dir, "fires"), filepath.Join(dir, "quiet"), filepath.Join(dir, "want.ndjson")
	var problems []string
	for _, need := range []struct{ path, what string }{{fires, "fires/ (events that must fire)"}, {quiet, "quiet/ (events that must not fire)"}} {
		if !hasFiles(need.path) {
			problems = append(problems, fmt.Sprintf("missing fixtures: %s in %s", need.what, dir))
		}
	}
	if _, err := os.Stat(want); err != nil && !opts.Update {
		problems = append(problems, fmt.Sprintf("missing fixtures: want.ndjson (the exact detections fires/ must give; `huntsql rules test --update` writes it) in %s", dir))
	}
	if len(problems) > 0 {
		return problems, nil
	}

	got, ps, err := detect(ctx, r, fires)
	if err != nil {
		return nil, err
	}
	problems = append(problems, ps...)
	switch {
	case len(got) == 0:
		problems = append(problems, "fires/: the rule gave no detection")
	case opts.Update:
		if err := archive.WriteFileAtomic(want, got); err != nil {
			return nil, err
		}
	default:
		wantData, err := os.ReadFile(want)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(got, wantData) {
			problems = append(problems, fmt.Sprintf("fires/: detections differ from %s\n--- got\n%s--- want\n%s", want, got, wantData))
		}
	}

	got, ps, err = detect(ctx, r, quiet)
	if err != nil {
		return nil, err
	}
	problems = append(problems, ps...)
	if len(got) > 0 {
		problems = append(problems, fmt.Sprintf("quiet/: the rule fired:\n%s", got))
	}
	return problems, nil
}

func hasFiles(dir string) bool {
	entries, err := os.ReadDir(dir)
	return err == nil && len(entries) > 0
}

// detect loads the events in dir into a fresh archive and runs the rule over
// it, returning its detections as NDJSON.
func detect(ctx context.Context, r *rules.Rule, dir string) ([]byte, []string, error) {
	tmp, err := os.MkdirTemp("", "huntsql-ruletest-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(tmp)
	a, err := archive.Open(tmp)
	if err != nil {
		return nil, nil, err
	}
	eng, err := engine.Open(ctx, engine.Options{Threads: 1})
	if err != nil {
		return nil, nil, err
	}
	defer eng.Close()
	var problems []string
	sum, err := loader.Load(ctx, loader.Options{Archive: a, Engine: eng, Inputs: []string{dir},
		OnProblem: func(p loader.Problem) { problems = append(problems, "fixture does not load: "+p.String()) }})
	if err != nil {
		return nil, nil, err
	}
	if sum.Archived == 0 {
		problems = append(problems, dir+": no events")
	}
	m, err := a.ReadManifest(false)
	if err != nil {
		return nil, nil, err
	}
	if err := eng.ArchiveViews(ctx, a, m, engine.Range{}); err != nil {
		return nil, nil, err
	}
	// As in `huntsql run`: the rule reads the archive's events and nothing else.
	if err := eng.Sandbox(ctx, []string{a.Path(archive.EventsDir)}); err != nil {
		return nil, nil, err
	}
	res := runner.Run(ctx, eng, []*rules.Rule{r}, runner.Options{})
	if res[0].Err != nil {
		return nil, append(problems, "the rule failed: "+res[0].Err.Error()), nil
	}
	var b bytes.Buffer
	if err := runner.Write(&b, runner.NDJSON, runner.Detections(res), runner.WriteOptions{}); err != nil {
		return nil, nil, err
	}
	return b.Bytes(), problems, nil
}
