// Package query is the `huntsql query` command.
package query

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"huntsql/internal/archive"
	"huntsql/internal/cli/cmdutil"
	"huntsql/internal/engine"
	"huntsql/internal/results"
)

// Parquet is the one format written by DuckDB itself.
const Parquet = "parquet"

// Options are the flags and arguments of `huntsql query`.
type Options struct {
	Factory  *cmdutil.Factory
	SQL      string
	File     string
	Format   string
	Output   string
	From, To string
	MaxWidth int
}

// NewCmdQuery returns the query command; runF replaces the run step in tests.
func NewCmdQuery(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	formats := append(slices.Clone(results.Formats), Parquet)
	cmd := &cobra.Command{
		Use:   "query [flags] [SQL | -f FILE | - ]",
		Short: "Run one SQL statement over the archive",
		Long: strings.TrimSpace(`
Run one DuckDB SQL statement over the archive and print the result. The SQL
comes from the argument, from a file (-f), or from standard input ("-", or no
argument when stdin is not a terminal).

The archive is the view "events": one row per event, columns named as ECS
names them and written quoted in SQL ("process.parent.name", "@timestamp").
"process_events" narrows it to process events; "cim_process" adds the Splunk
CIM names (process_name, parent_process_id, …). Fields outside the schema are
in "event.original" (JSON for ECS input): use DuckDB's JSON functions, e.g.
json_extract_string("event.original", '$.process.hash.md5').

--from/--to narrow the views to a time range as "huntsql run" does. Timestamps
are UTC. Table output cuts long values with …; other formats never do.

Queries run with full DuckDB power (files, COPY, ATTACH, extensions): the
analyst is the one typing. Rules, which may come from others, run sandboxed
under "huntsql run".`),
		Example: cmdutil.Examples(`
  huntsql query 'SELECT "host.name", count(*) FROM events GROUP BY ALL'
  huntsql query --format csv 'SELECT "@timestamp", "process.command_line" FROM process_events'
  huntsql query -f hunt.sql --from 2026-03-01 --to 2026-03-02 --format markdown
  echo 'SELECT count(*) FROM events' | huntsql query
  huntsql query --format parquet -o pythons.parquet "SELECT * FROM cim_process WHERE process_name = 'python.exe'"`),
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(formats, opts.Format) {
				return cmdutil.Usagef("--format must be one of %s", strings.Join(formats, ", "))
			}
			if opts.Format == Parquet && opts.Output == "" {
				return cmdutil.Usagef("--format parquet needs -o FILE")
			}
			sql, err := readSQL(f, opts, args)
			if err != nil {
				return err
			}
			opts.SQL = sql
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.File, "file", "f", "", "read the SQL from FILE")
	cmd.Flags().StringVar(&opts.Format, "format", results.Table, "output format: "+strings.Join(formats, ", "))
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "write the result to FILE (atomically) instead of stdout")
	cmd.Flags().StringVar(&opts.From, "from", "", "only events at or after this time")
	cmd.Flags().StringVar(&opts.To, "to", "", "only events before this time")
	cmd.Flags().IntVar(&opts.MaxWidth, "max-width", 48, "longest table cell before it is cut with …  (0: no limit)")
	return cmd
}

func readSQL(f *cmdutil.Factory, opts *Options, args []string) (string, error) {
	switch {
	case opts.File != "" && len(args) > 0:
		return "", cmdutil.Usagef("give the SQL as an argument or with -f, not both")
	case opts.File != "":
		b, err := os.ReadFile(opts.File)
		if err != nil {
			return "", fmt.Errorf("read SQL: %w", err)
		}
		return string(b), nil
	case len(args) == 1 && args[0] != "-":
		return args[0], nil
	case len(args) == 1 || !f.IO.IsStdinTTY():
		b, err := io.ReadAll(f.IO.In)
		if err != nil {
			return "", fmt.Errorf("read SQL from stdin: %w", err)
		}
		if strings.TrimSpace(string(b)) == "" {
			return "", cmdutil.Usagef("no SQL on standard input")
		}
		return string(b), nil
	}
	return "", cmdutil.Usagef("query needs one SQL statement (an argument, -f FILE, or on stdin)")
}

// Run executes the statement and prints or writes the result.
func Run(ctx context.Context, opts *Options) error {
	f := opts.Factory
	rng, err := cmdutil.ParseRange(opts.From, opts.To)
	if err != nil {
		return err
	}
	eng, err := f.OpenViews(ctx, rng, false) // the analyst is the one typing: full power
	if err != nil {
		return err
	}
	defer eng.Close()
	if opts.Format == Parquet {
		return writeParquet(ctx, eng, opts)
	}
	rows, err := eng.Query(ctx, opts.SQL)
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	defer rows.Close()
	set, err := results.Read(rows)
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	width := opts.MaxWidth
	if opts.Format != results.Table {
		width = 0
	}
	if opts.Output == "" {
		set.LineWidth = f.IO.TerminalWidth()
		return set.Write(f.IO.Out, opts.Format, width)
	}
	return archive.WriteAtomic(opts.Output, func(w *os.File) error { return set.Write(w, opts.Format, width) })
}

func writeParquet(ctx context.Context, eng *engine.Engine, opts *Options) error {
	return archive.WriteAtomic(opts.Output, func(w *os.File) error {
		tmp := w.Name()
		q := "COPY (" + strings.TrimRight(strings.TrimSpace(opts.SQL), ";") + ") TO " + engine.Quote(tmp) + " (FORMAT parquet, COMPRESSION zstd)"
		if err := eng.Exec(ctx, q); err != nil {
			return fmt.Errorf("query: %w", err)
		}
		return nil
	})
}
