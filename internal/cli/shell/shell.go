// Package shell is the `huntsql shell` command.
package shell

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/chzyer/readline"
	"github.com/spf13/cobra"

	"huntsql/internal/cli/cmdutil"
	"huntsql/internal/engine"
	"huntsql/internal/shell"
)

// NewCmdShell returns the shell command.
func NewCmdShell(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "shell",
		Short: "Interactive SQL over the archive",
		Long: strings.TrimSpace(`
An interactive SQL prompt over the archive, for machines without the duckdb
CLI: line editing and history (~/.huntsql_history), statements over several
lines (end them with ;), the timing of each query, and dot commands:

  .tables  .schema VIEW  .mode table|csv|json|ndjson|markdown  .output [FILE]
  .timer on|off  .help  .quit

The views are those of the rules and of "huntsql query"; full DuckDB power.
When standard input is not a terminal, statements are read from it without
prompts (huntsql shell < hunt.sql), and the first error stops the script with
exit code 1, as the duckdb and sqlite3 shells do with -bail.`),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			eng, err := f.OpenViews(ctx, engine.Range{}, false)
			if err != nil {
				return err
			}
			defer eng.Close()
			s := shell.New(eng, f.IO.Out, f.IO.ErrOut)
			s.LineWidth = f.IO.TerminalWidth()
			defer s.Close()
			if !f.IO.IsStdinTTY() {
				s.Bail = true
				sc := bufio.NewScanner(f.IO.In)
				sc.Buffer(make([]byte, 1<<20), 64<<20)
				for sc.Scan() {
					if s.Line(ctx, sc.Text()) {
						break
					}
				}
				if s.Err() == nil {
					s.End(ctx)
				}
				if err := s.Err(); err != nil {
					return fmt.Errorf("shell script stopped at its first error, %w", err)
				}
				return sc.Err()
			}
			home, _ := os.UserHomeDir()
			history := filepath.Join(home, ".huntsql_history")
			// Queries hold indicators and names from a case: the history is private.
			if hf, err := os.OpenFile(history, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600); err == nil {
				hf.Close()
				os.Chmod(history, 0o600)
			}
			rl, err := readline.NewEx(&readline.Config{
				Prompt:          "huntsql> ",
				HistoryFile:     history,
				InterruptPrompt: "^C",
				EOFPrompt:       ".quit",
			})
			if err != nil {
				return err
			}
			defer rl.Close()
			fmt.Fprintf(f.IO.ErrOut, "huntsql %s over %s: .help for commands, .quit to leave\n", f.Version, f.ArchiveDir())
			for {
				if s.Pending() {
					rl.SetPrompt("     ...> ")
				} else {
					rl.SetPrompt("huntsql> ")
				}
				line, err := rl.Readline()
				if errors.Is(err, readline.ErrInterrupt) {
					continue
				}
				if errors.Is(err, io.EOF) {
					return nil
				}
				if err != nil {
					return err
				}
				if s.Line(ctx, line) {
					return nil
				}
			}
		},
	}
}
