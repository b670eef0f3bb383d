package ruletest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"huntsql/rules"
)

// TestBuiltinRules runs every built-in rule's fixtures: each must have events
// that fire with exactly the expected detections, and events that stay quiet.
func TestBuiltinRules(t *testing.T) {
	set, err := rules.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	sum, err := Run(context.Background(), set.Rules, Options{Fixtures: "../../fixtures/rules",
		Update: os.Getenv("UPDATE_GOLDEN") == "1", Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Failed > 0 || sum.Passed != len(set.Rules) {
		t.Errorf("%+v:\n%s", sum, log.String())
	}
}

// TestRuleWithoutFixturesFails is the meta-test: a rule lacking events that must
// fire, the expected detections, or events that must not fire does not pass.
func TestRuleWithoutFixturesFails(t *testing.T) {
	set, err := rules.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	r := set.Rules[0]
	src := filepath.Join("../../fixtures/rules", r.ID)
	for _, drop := range []string{"fires", "quiet", "want.ndjson"} {
		t.Run("without "+drop, func(t *testing.T) {
			dir := t.TempDir()
			copyTree(t, src, filepath.Join(dir, r.ID))
			os.RemoveAll(filepath.Join(dir, r.ID, drop))
			var log bytes.Buffer
			sum, err := Run(context.Background(), []*rules.Rule{r}, Options{Fixtures: dir, Log: &log})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Failed != 1 || !strings.Contains(log.String(), "missing fixtures: "+drop) {
				t.Errorf("a rule without %s must fail:\n%s", drop, log.String())
			}
		})
	}
	t.Run("wrong expectation", func(t *testing.T) {
		dir := t.TempDir()
		copyTree(t, src, filepath.Join(dir, r.ID))
		want := filepath.Join(dir, r.ID, "want.ndjson")
		data, _ := os.ReadFile(want)
		os.WriteFile(want, bytes.Replace(data, []byte(`"event_count":2`), []byte(`"event_count":3`), 1), 0o600)
		var log bytes.Buffer
		sum, _ := Run(context.Background(), []*rules.Rule{r}, Options{Fixtures: dir, Log: &log})
		if sum.Failed != 1 || !strings.Contains(log.String(), "detections differ") {
			t.Errorf("a changed expectation must fail:\n%s", log.String())
		}
	})
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}
