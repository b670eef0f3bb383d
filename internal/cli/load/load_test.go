package load

import (
	"context"
	"strings"
	"testing"

	"huntsql/internal/cli/cmdutil"
	"huntsql/internal/iostreams"
)

func TestNewCmdLoadFlags(t *testing.T) {
	io, _, _ := iostreams.Test("")
	f := &cmdutil.Factory{IO: io, Getenv: func(string) string { return "" }}
	var got *Options
	cmd := NewCmdLoad(f, func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"--force", "-q", "a.json", "dir/", "-"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !got.Force || !got.Quiet || len(got.Inputs) != 3 || got.Inputs[2] != "-" || got.Writer != "archive" {
		t.Errorf("parsed options: %+v", got)
	}
	cmd = NewCmdLoad(f, func(context.Context, *Options) error { t.Error("ran with an unknown writer"); return nil })
	cmd.SetArgs([]string{"--writer", "parquet-go", "a.json"})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "--writer must be archive, arrow or duckdb") {
		t.Errorf("--writer parquet-go: %v", err)
	}
}

func TestSummaryNumbers(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := cmdutil.Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
	if got := bytesText(1536); got != "1.5 KiB" {
		t.Errorf("bytesText(1536) = %q", got)
	}
}
