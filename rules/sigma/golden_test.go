package sigma

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGoldenSQL pins the SQL of the SigmaHQ sample rules in fixtures/sigma
// (what a hunter reads in the converted TOML). UPDATE_GOLDEN=1 rewrites the
// files: review the diff. A golden without its rule fails.
func TestGoldenSQL(t *testing.T) {
	cs, rep, err := CompileDir([]string{"../../fixtures/sigma/rules"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count(OutcomeCompiled) != len(rep.Entries) {
		t.Fatalf("not all fixture rules compile: %+v", rep.Entries)
	}
	dir := filepath.Join("testdata", "golden")
	want := map[string]bool{}
	for _, c := range cs {
		name := strings.TrimSuffix(filepath.Base(c.Doc.File), filepath.Ext(c.Doc.File)) + ".sql"
		want[name] = true
		path := filepath.Join(dir, name)
		got := strings.ReplaceAll(c.Rule.Query, "../../fixtures/sigma/", "fixtures/sigma/") + "\n"
		if os.Getenv("UPDATE_GOLDEN") == "1" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil || string(data) != got {
			t.Errorf("%s differs from the compiled SQL (UPDATE_GOLDEN=1 to refresh, then review):\n%s", path, got)
		}
	}
	stale, _ := filepath.Glob(filepath.Join(dir, "*.sql"))
	for _, p := range stale {
		if !want[filepath.Base(p)] {
			t.Errorf("%s: stale golden, no such rule", p)
		}
	}
}
