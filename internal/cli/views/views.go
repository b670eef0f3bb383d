// Package views is the `huntsql views` command.
package views

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"huntsql/internal/cli/cmdutil"
	"huntsql/internal/engine"
)

// NewCmdViews returns the views command.
func NewCmdViews(f *cmdutil.Factory) *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:   "views",
		Short: "Print the SQL that gives any DuckDB client the archive's views",
		Long: strings.TrimSpace(`
Print a SQL script that defines, in any DuckDB client (the duckdb CLI, Python,
R, Node), the same views and helper macros that rules and "huntsql query" use:
events, process_events, cim_process, sorted_values(), splunk_term(), … over the
archive's committed files, by absolute path. Run it on a connection, then query.

The script is a snapshot: it lists the files committed when it was printed.
Print it again after a load.`),
		Example: cmdutil.Examples(`
  # duckdb CLI
  huntsql views > views.sql && duckdb -init views.sql

  # Python (pandas)
  import duckdb, subprocess
  con = duckdb.connect(); con.execute(subprocess.check_output(["huntsql", "views"], text=True))
  df = con.sql('SELECT "host.name", count(*) AS n FROM events GROUP BY ALL').df()`),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			rng, err := cmdutil.ParseRange(from, to)
			if err != nil {
				return err
			}
			a, err := f.Archive()
			if err != nil {
				return err
			}
			m, err := a.ReadManifest(false)
			if err != nil {
				return err
			}
			var b strings.Builder
			fmt.Fprintf(&b, "-- huntsql views over %s (%d committed files), printed %s.\n",
				a.Root, len(m.Files), time.Now().UTC().Format(time.RFC3339))
			b.WriteString("-- All timestamps are UTC; the session time zone is set to match.\n")
			b.WriteString("SET TimeZone = 'UTC';\n")
			for _, stmt := range engine.ViewSQL(a, m, rng) {
				b.WriteString(stmt)
				b.WriteString(";\n")
			}
			_, err = fmt.Fprint(f.IO.Out, b.String())
			return err
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "only events at or after this time")
	cmd.Flags().StringVar(&to, "to", "", "only events before this time")
	return cmd
}
