package sigma

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"huntsql/internal/engine"
	"huntsql/internal/engine/enginetest"
	"huntsql/rules"
	"huntsql/rules/runner"
)

// sharedCorpus is the SigmaHQ snapshot beside the repository in the team's
// workspace; users' clones do not have it.
const sharedCorpus = "../../../shared/sigma/rules"

// TestSharedCorpus compiles SigmaHQ's rules and prepares every compiled query
// against the archive schema. Windows process_creation must compile and lint
// at 99 % or better.
func TestSharedCorpus(t *testing.T) {
	if _, err := os.Stat(sharedCorpus); err != nil {
		t.Skipf("SigmaHQ corpus not present at %s (only in the team workspace)", sharedCorpus)
	}
	ctx := context.Background()
	eng := enginetest.Open(t, engine.Options{Threads: 1})
	pc := filepath.Join(sharedCorpus, "windows", "process_creation")
	cs, rep, err := CompileDir([]string{pc}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		back, err := rules.Parse(c.Rule.ID+".toml", TOML(c))
		if err != nil {
			t.Errorf("%s: converted TOML does not parse: %v", c.Doc.File, err)
		} else if back.Query != c.Rule.Query {
			t.Errorf("%s: converted TOML changes the query", c.Doc.File)
		}
	}
	lint := runner.Lint(ctx, eng, Rules(cs))
	for id, err := range lint {
		t.Errorf("lint %s: %v", id, err)
	}
	total := len(rep.Entries) - rep.Count(OutcomeSkipped)
	ok := len(cs) - len(lint)
	t.Logf("windows/process_creation: %d rules (+%d skipped), %d compiled and linted (%.1f %%), %d cannot fire, %d unsupported, %d failed",
		total, rep.Count(OutcomeSkipped), ok, 100*float64(ok)/float64(total), rep.Count(OutcomeCannotFire), rep.Count(OutcomeUnsupported), rep.Count(OutcomeFailed))
	reasons := map[string]int{}
	for _, e := range rep.Entries {
		if e.Outcome != OutcomeCompiled && e.Outcome != OutcomeSkipped {
			for _, r := range e.Reasons {
				if os.Getenv("SIGMA_VERBOSE") != "" {
					t.Logf("%s: %s", e.Outcome, r)
				}
				reasons[string(e.Outcome)+": "+shortReason(r)]++
			}
		}
	}
	var keys []string
	for k := range reasons {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return reasons[keys[i]] > reasons[keys[j]] })
	for _, k := range keys {
		t.Logf("%4d %s", reasons[k], k)
	}
	if float64(ok) < 0.99*float64(total) {
		t.Errorf("only %d of %d process_creation rules compile and lint", ok, total)
	}
}

func shortReason(r string) string {
	if _, after, ok := strings.Cut(r, ": "); ok && strings.Contains(r, ".yml:") {
		r = after
	}
	if i := strings.Index(r, " ("); i > 0 {
		r = r[:i]
	}
	return r
}
