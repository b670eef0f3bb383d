package cli

import (
	"context"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"huntsql/internal/cli/cmdutil"
	"huntsql/internal/iostreams"
)

// onTerminal runs a command line as if stdout and stderr were terminals.
func onTerminal(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	io, out, errOut := iostreams.Test("")
	io.SetTTY(true, true)
	t.Setenv("TERM", "xterm")
	f := &cmdutil.Factory{IO: io, Version: "dev", Getenv: func(string) string { return "" }}
	code = Run(context.Background(), f, args)
	return out.String(), errOut.String(), code
}

func TestOnATerminal(t *testing.T) {
	arch := filepath.Join(t.TempDir(), "archive")
	if _, errOut, code := onTerminal(t, "load", "-q", "--archive", arch, "../../fixtures/demo"); code != 0 {
		t.Fatalf("load: %d %s", code, errOut)
	}

	// query shows the first rows and counts the rest, unless a format is given.
	out, _, code := onTerminal(t, "query", "--archive", arch, "SELECT * FROM range(100) t(n)")
	if code != 0 || strings.Count(out, "\n") != 43 || !strings.HasSuffix(out, "\n39\n(100 rows, 40 shown; 60 more with --format csv or -o FILE)\n") {
		t.Errorf("query on a terminal: exit %d\n%s", code, out)
	}
	out, _, _ = onTerminal(t, "query", "--archive", arch, "--format", "table", "SELECT * FROM range(100) t(n)")
	if !strings.HasSuffix(out, "\n99\n(100 rows)\n") {
		t.Errorf("query --format table on a terminal:\n%s", out)
	}

	// run: one line per detection on stdout, the summary after the rule lines.
	out, errOut, code := onTerminal(t, "run", "--archive", arch)
	if code != 0 || !strings.HasPrefix(out, "timestamp ") || strings.Count(out, "\n") != 5 {
		t.Errorf("run on a terminal: exit %d\n%s", code, out)
	}
	if !strings.Contains(errOut, "\n2 detections, first 2026-03-01T12:00:05.12Z, last 2026-03-01T14:10:02.551203Z\n  by severity: medium 1, low 1\n") ||
		!strings.Contains(errOut, "  by host:\n         1  FIN-WS07.corp.example\n         1  web-01\n") {
		t.Errorf("run on a terminal, no summary:\n%s", errOut)
	}
	if _, errOut, _ := onTerminal(t, "run", "--archive", arch, "-q"); errOut != "" {
		t.Errorf("run -q on a terminal printed:\n%s", errOut)
	}
}

func TestBuildVersion(t *testing.T) {
	info := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{Main: debug.Module{Path: "huntsql", Version: "v0.3.0"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "8d7dcff0123456789abcdef"}, {Key: "vcs.modified", Value: "true"}}}, true
	}
	if got := buildVersion("dev", info); got != "v0.3.0 (revision 8d7dcff01234-dirty)" {
		t.Errorf("go build: %q", got)
	}
	if got := buildVersion("v1.2.3", info); got != "v1.2.3" {
		t.Errorf("make build: %q", got)
	}
	devel := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, true
	}
	if got := buildVersion("dev", devel); got != "dev" {
		t.Errorf("no VCS: %q", got)
	}
}
