package cli

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"huntsql/internal/cli/cmdutil"
	"huntsql/internal/iostreams"
)

// cliReference renders every command's help as Markdown.
func cliReference() string {
	io, _, _ := iostreams.Test("")
	root := NewCmdRoot(&cmdutil.Factory{IO: io, Version: "dev", Getenv: func(string) string { return "" }})
	var b strings.Builder
	b.WriteString("# huntsql command reference\n\n")
	b.WriteString("Generated from the commands' own help by `internal/cli/docs_test.go`; ")
	b.WriteString("`UPDATE_GOLDEN=1 make test` refreshes it. `huntsql COMMAND --help` prints the same.\n")
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" {
			return
		}
		fmt.Fprintf(&b, "\n## %s\n\n```\n%s\n\n%s```\n", c.CommandPath(), strings.TrimSpace(firstNonEmpty(c.Long, c.Short)), c.UsageString())
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return b.String()
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// TestCLIReferenceIsCurrent keeps docs/cli.md in step with the commands.
func TestCLIReferenceIsCurrent(t *testing.T) {
	const path = "../../docs/cli.md"
	got := cliReference()
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil || string(want) != got {
		t.Errorf("%s is out of date with the commands' help: run UPDATE_GOLDEN=1 make test", path)
	}
}
