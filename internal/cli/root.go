// Package cli is huntsql's command line: the root command, one subpackage per
// command, and the single place where errors become exit codes.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"huntsql/internal/cli/cmdutil"
	"huntsql/internal/cli/load"
	"huntsql/internal/cli/pivot"
	"huntsql/internal/cli/query"
	reportcmd "huntsql/internal/cli/report"
	rulescmd "huntsql/internal/cli/rules"
	"huntsql/internal/cli/run"
	"huntsql/internal/cli/shell"
	"huntsql/internal/cli/views"
	"huntsql/internal/iostreams"
)

// version is set at build time (-ldflags "-X huntsql/internal/cli.version=…").
var version = "dev"

// Main runs huntsql with the process's arguments and streams and returns the
// exit code.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if path := os.Getenv("HUNTSQL_CPUPROFILE"); path != "" {
		// For performance reports: a pprof CPU profile of the whole run.
		if pf, err := os.Create(path); err == nil {
			pprof.StartCPUProfile(pf)
			defer func() { pprof.StopCPUProfile(); pf.Close() }()
		}
	}
	f := &cmdutil.Factory{IO: iostreams.System(), Version: version, Getenv: os.Getenv}
	return Run(ctx, f, os.Args[1:])
}

// Run executes one command line and returns its exit code.
func Run(ctx context.Context, f *cmdutil.Factory, args []string) int {
	root := NewCmdRoot(f)
	root.SetArgs(args)
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	err := root.ExecuteContext(ctx)
	if err != nil && strings.HasPrefix(err.Error(), "unknown command") {
		err = &cmdutil.UsageError{Err: err}
	}
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("interrupted: %w", errors.Unwrap(err))
	}
	if msg := errorText(err); msg != "" {
		fmt.Fprintln(f.IO.ErrOut, msg)
		var usage *cmdutil.UsageError
		if errors.As(err, &usage) {
			fmt.Fprintln(f.IO.ErrOut, "Run 'huntsql --help' for usage.")
		}
	}
	return exitCode(err)
}

// NewCmdRoot builds the command tree.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "huntsql <command>",
		Short: "Hunt through archived event logs with SQL",
		Long: strings.TrimSpace(`
huntsql turns event logs (Elastic Common Schema JSON, Windows event XML) into a
Parquet archive with one normalized ECS schema, runs detection rules written in
DuckDB SQL over it, and opens it to ad-hoc SQL. One binary, no server: made for
triage laptops, notebooks and months of cold logs.

The archive is a directory: --archive DIR, else $HUNTSQL_ARCHIVE, else
./huntsql-archive. Its files are readable by their owner only.`),
		Example: cmdutil.Examples(`
  # Archive an Elastic export and a compressed NDJSON file
  huntsql load ./export/ ./more/events.ndjson.gz

  # Run the detection rules over it
  huntsql run

  # Ask the archive a question
  huntsql query 'SELECT "host.name", count(*) FROM events GROUP BY ALL'`),
		Version:       f.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &cmdutil.UsageError{Err: err}
	})
	root.PersistentFlags().StringVar(&f.ArchiveFlag, "archive", "", "archive directory (default $HUNTSQL_ARCHIVE or ./huntsql-archive)")
	root.SetUsageTemplate(root.UsageTemplate() + "\n" + ExitCodeTable + "\n")
	root.AddCommand(
		load.NewCmdLoad(f, nil),
		run.NewCmdRun(f, nil),
		rulescmd.NewCmdRules(f),
		query.NewCmdQuery(f, nil),
		shell.NewCmdShell(f),
		pivot.NewCmdPivot(f),
		reportcmd.NewCmdReport(f),
		views.NewCmdViews(f),
	)
	root.CompletionOptions.HiddenDefaultCmd = true
	return root
}
