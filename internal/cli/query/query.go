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
	"huntsql/internal/investigate"
	"huntsql/internal/results"
)

// Options are the flags and arguments of `huntsql query`.
type Options struct {
	Factory  *cmdutil.Factory
	SQL      string
	File     string
	Format   string
	Output   string
	From, To string
	MaxWidth int
	// MaxRows bounds the rows a table shows (0: all). Set on a terminal when
	// neither --format nor -o is given, as the duckdb shell does.
	MaxRows int
}

// terminalRows is how many rows a query shows on a terminal by default.
const terminalRows = 40

// NewCmdQuery returns the query command; runF replaces the run step in tests.
func NewCmdQuery(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	formats := results.QueryFormats
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
are UTC. Table output cuts long values with …; other formats never do. On a
terminal, without --format or -o, a table shows its first 40 rows and counts
the rest. Lists, structs and maps are JSON text in table, CSV and Markdown.

Several statements (separated by ;) run in order and each result is printed,
as tables or Markdown; the other formats and -o take one statement.

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
			if opts.Format == results.Parquet && opts.Output == "" {
				return cmdutil.Usagef("--format parquet needs -o FILE")
			}
			if f.IO.IsStdoutTTY() && opts.Output == "" && !cmd.Flags().Changed("format") {
				opts.MaxRows = terminalRows
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
	stmts := investigate.SplitStatements(opts.SQL)
	if len(stmts) == 0 {
		return cmdutil.Usagef("no SQL statement to run (only comments or semicolons)")
	}
	if opts.Format == results.Parquet {
		if len(stmts) > 1 {
			return cmdutil.Usagef("%d statements given, but --format parquet writes one query's result: give one statement", len(stmts))
		}
		return writeParquet(ctx, eng, opts, stmts[0])
	}
	// Every statement runs; statements without a result (SET, CREATE …) print
	// nothing when others follow.
	var sets []*results.Set
	for i, stmt := range stmts {
		set, err := query(ctx, eng, stmt)
		if err != nil {
			if len(stmts) > 1 {
				return fmt.Errorf("query: statement %d of %d: %w", i+1, len(stmts), err)
			}
			return fmt.Errorf("query: %w", err)
		}
		if len(stmts) == 1 || i == len(stmts)-1 || !noResult(set) {
			sets = append(sets, set)
		}
	}
	if len(sets) > 1 && (opts.Output != "" || (opts.Format != results.Table && opts.Format != results.Markdown)) {
		return cmdutil.Usagef("%d statements gave results, but --format %s and -o write one: give one query (WITH … AS (…) SELECT … chains steps), or use --format table or markdown to print each", len(sets), opts.Format)
	}
	width := opts.MaxWidth
	if opts.Format != results.Table {
		width = 0
	}
	if opts.Output != "" {
		return archive.WriteAtomic(opts.Output, func(w *os.File) error { return sets[0].Write(w, opts.Format, width) })
	}
	for i, set := range sets {
		if i > 0 {
			fmt.Fprintln(f.IO.Out)
		}
		set.LineWidth = f.IO.TerminalWidth()
		set.MaxRows = opts.MaxRows
		if err := set.Write(f.IO.Out, opts.Format, width); err != nil {
			return err
		}
	}
	return nil
}

// noResult reports whether a result is DuckDB's empty acknowledgement of a
// statement that returns no rows (SET, CREATE, …).
func noResult(s *results.Set) bool {
	return len(s.Rows) == 0 && len(s.Columns) == 1 && (s.Columns[0] == "Success" || s.Columns[0] == "Count")
}

// query runs one statement; an error about a missing table that is the
// first part of an ECS name says to quote it and shows the fixed query.
func query(ctx context.Context, eng *engine.Engine, stmt string) (*results.Set, error) {
	rows, err := eng.Query(ctx, stmt)
	if err != nil {
		if hint := investigate.HintQuoting(stmt, err); hint != "" {
			return nil, fmt.Errorf("%w\n%s", err, hint)
		}
		return nil, err
	}
	defer rows.Close()
	return results.Read(rows)
}

func writeParquet(ctx context.Context, eng *engine.Engine, opts *Options, stmt string) error {
	return archive.WriteAtomic(opts.Output, func(w *os.File) error {
		tmp := w.Name()
		q := "COPY (" + stmt + ") TO " + engine.Quote(tmp) + " (FORMAT parquet, COMPRESSION zstd)"
		if err := eng.Exec(ctx, q); err != nil {
			return fmt.Errorf("query: %w", err)
		}
		return nil
	})
}
