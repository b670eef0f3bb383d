package run_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"huntsql/internal/cli"
	"huntsql/internal/cli/cmdutil"
	"huntsql/internal/engine"
	"huntsql/internal/iostreams"
)

// A command opens one DuckDB engine, whatever it writes: each engine holds
// its own memory limit, so a second one could double the command's memory.
// The rule sandbox stays: the one engine writes Parquet and saved runs
// through its spill directory, inside the archive.
func TestOneEnginePerCommand(t *testing.T) {
	dir := t.TempDir()
	arch := filepath.Join(dir, "arch")
	huntsql := func(args ...string) (int, string) {
		t.Helper()
		ios, _, errOut := iostreams.Test("")
		f := &cmdutil.Factory{IO: ios, Version: "test", Getenv: func(string) string { return "" }}
		code := cli.Run(context.Background(), f, append(args, "--archive", arch))
		return code, errOut.String()
	}
	if code, errOut := huntsql("load", "-q", "../../../fixtures/demo"); code != 0 {
		t.Fatalf("load: exit %d\n%s", code, errOut)
	}
	out := func(name string) string { return filepath.Join(dir, name) }
	for _, args := range [][]string{
		{"run", "-q"},
		{"run", "--format", "timeline", "--summary", "-o", out("timeline.csv")},
		{"run", "-q", "--format", "parquet", "-o", out("d.parquet"), "--save"},
		{"run", "-q", "--save", "--format", "table"},
		{"report", "-o", out("report.html")},
		{"report", "--run", "latest", "-o", out("latest.html")},
		{"pivot", "--host", "web-01", "--at", "2026-03-01T12:00:05Z"},
		{"query", "SELECT count(*) FROM detections"},
	} {
		before := engine.Opened()
		code, errOut := huntsql(args...)
		if code != 0 {
			t.Errorf("%s: exit %d\n%s", strings.Join(args, " "), code, errOut)
		}
		if n := engine.Opened() - before; n != 1 {
			t.Errorf("%s: opened %d engines, want 1", strings.Join(args, " "), n)
		}
	}
	// What the one engine wrote is whole, and nothing is left in the spill
	// directory.
	for _, name := range []string{"timeline.csv", "d.parquet", "report.html", "latest.html"} {
		if fi, err := os.Stat(out(name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(arch, cmdutil.SpillDir)); !os.IsNotExist(err) {
		left, _ := filepath.Glob(filepath.Join(arch, cmdutil.SpillDir, "*"))
		t.Errorf("the spill directory is left behind: %v %q", err, left)
	}
}
