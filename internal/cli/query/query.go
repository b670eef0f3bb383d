// Package query is the `huntsql query` command.
package query

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"huntsql/internal/cli/cmdutil"
	"huntsql/internal/engine"
	"huntsql/internal/results"
)

// Options are the flags and arguments of `huntsql query`.
type Options struct {
	Factory  *cmdutil.Factory
	SQL      string
	Format   string
	MaxWidth int
}

// NewCmdQuery returns the query command; runF replaces the run step in tests.
func NewCmdQuery(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "query [flags] SQL",
		Short: "Run one SQL statement over the archive",
		Long: strings.TrimSpace(`
Run one DuckDB SQL statement over the archive and print the result.

The archive is the view "events": one row per event, columns named as ECS
names them and written quoted in SQL ("process.parent.name", "@timestamp").
"process_events" narrows it to process events; "cim_process" adds the Splunk
CIM names (process_name, parent_process_id, …). Fields outside the schema are
in "event.original" (JSON for ECS input): use DuckDB's JSON functions, e.g.
json_extract_string("event.original", '$.process.hash.md5').

Timestamps are UTC. Queries run with full DuckDB power (files, COPY, ATTACH,
extensions): the analyst is the one typing. Rules, which may come from others,
run sandboxed under "huntsql run".`),
		Example: strings.TrimSpace(`
  huntsql query 'SELECT "host.name", count(*) FROM events GROUP BY ALL'
  huntsql query --format csv 'SELECT "@timestamp", "process.command_line" FROM process_events'`),
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmdutil.Usagef("query needs one SQL statement")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.SQL = strings.Join(args, " ")
			if !slices.Contains(results.Formats, opts.Format) {
				return cmdutil.Usagef("--format must be one of %s", strings.Join(results.Formats, ", "))
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Format, "format", "f", results.Table, "output format: "+strings.Join(results.Formats, ", "))
	cmd.Flags().IntVar(&opts.MaxWidth, "max-width", 48, "longest table cell before it is cut with …  (0: no limit)")
	return cmd
}

// Run executes the statement and prints the result on stdout.
func Run(ctx context.Context, opts *Options) error {
	f := opts.Factory
	eng, err := f.OpenViews(ctx, engine.Range{}, false) // the analyst is the one typing: full power
	if err != nil {
		return err
	}
	defer eng.Close()
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
	return set.Write(f.IO.Out, opts.Format, width)
}
