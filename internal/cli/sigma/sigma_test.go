package sigma_test

import (
	"context"
	"slices"
	"testing"

	"github.com/spf13/cobra"

	"huntsql/internal/cli/cmdutil"
	"huntsql/internal/cli/sigma"
	"huntsql/internal/iostreams"
)

func factory() *cmdutil.Factory {
	io, _, _ := iostreams.Test("")
	return &cmdutil.Factory{IO: io, Getenv: func(string) string { return "" }}
}

// withArchiveFlag gives a command the root's persistent --archive flag.
func withArchiveFlag(c *cobra.Command) *cobra.Command {
	root := &cobra.Command{Use: "huntsql"}
	var dir string
	root.PersistentFlags().StringVar(&dir, "archive", "", "")
	root.AddCommand(c)
	return root
}

func TestConvertFlags(t *testing.T) {
	var got *sigma.ConvertOptions
	cmd := sigma.NewCmdConvert(factory(), func(_ context.Context, o *sigma.ConvertOptions) error { got = o; return nil })
	root := withArchiveFlag(cmd)
	root.SetArgs([]string{"convert", "a", "b.yml", "-o", "out", "--sigma-mapping", "m.yml", "--sigma-placeholders", "p.yml"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Paths, []string{"a", "b.yml"}) || got.OutDir != "out" || got.Flags.Mapping != "m.yml" || got.Flags.Placeholders != "p.yml" {
		t.Errorf("options %+v", got)
	}
	// A fresh command: flag values stay set between executions.
	root = withArchiveFlag(sigma.NewCmdConvert(factory(), func(context.Context, *sigma.ConvertOptions) error { return nil }))
	root.SetArgs([]string{"convert", "a"})
	root.SilenceErrors, root.SilenceUsage = true, true
	if err := root.Execute(); err == nil || err.Error() != "sigma convert needs -o DIR" {
		t.Errorf("without -o: %v", err)
	}
}

func TestCoverageFlags(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		archive bool
		json    bool
	}{
		{[]string{"coverage", "rules"}, false, false},
		{[]string{"coverage", "rules", "--archive", "A", "--json"}, true, true},
	} {
		var got *sigma.CoverageOptions
		root := withArchiveFlag(sigma.NewCmdCoverage(factory(), func(_ context.Context, o *sigma.CoverageOptions) error { got = o; return nil }))
		root.SetArgs(tc.args)
		if err := root.Execute(); err != nil {
			t.Fatal(err)
		}
		if got.Archive != tc.archive || got.JSON != tc.json || !slices.Equal(got.Paths, []string{"rules"}) {
			t.Errorf("%v: %+v", tc.args, got)
		}
	}
}
