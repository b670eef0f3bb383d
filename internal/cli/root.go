// Package cli is huntsql's command line: the root command, one subpackage per
// command, and the single place where errors become exit codes.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
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
	sigmacmd "huntsql/internal/cli/sigma"
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
	go func() {
		// The first Ctrl-C cancels cleanly; a second one kills, as usual.
		<-ctx.Done()
		stop()
	}()
	if path := os.Getenv("HUNTSQL_CPUPROFILE"); path != "" {
		// For performance reports: a pprof CPU profile of the whole run.
		if pf, err := os.Create(path); err == nil {
			pprof.StartCPUProfile(pf)
			defer func() { pprof.StopCPUProfile(); pf.Close() }()
		}
	}
	f := &cmdutil.Factory{IO: iostreams.System(), Version: buildVersion(version, debug.ReadBuildInfo), Getenv: os.Getenv}
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
		// Whatever the command was doing when the signal came, it stopped.
		err = &cmdutil.InterruptedError{}
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

// buildVersion is the version set by make, else the module version and VCS
// revision that go build records (go install, go build without make).
func buildVersion(set string, info func() (*debug.BuildInfo, bool)) string {
	if set != "dev" {
		return set
	}
	bi, ok := info()
	if !ok {
		return set
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "dev"
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "-dirty"
			}
		}
	}
	if rev != "" {
		v += fmt.Sprintf(" (revision %.12s%s)", rev, modified)
	}
	return v
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
	root.PersistentPreRunE = func(c *cobra.Command, args []string) error {
		if f.MemoryLimit != "" && !cmdutil.ValidMemoryLimit(f.MemoryLimit) {
			return cmdutil.Usagef("--memory-limit %q: want a size such as 512MiB, 4GiB or 2GB", f.MemoryLimit)
		}
		return nil
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &cmdutil.UsageError{Err: err}
	})
	root.PersistentFlags().StringVar(&f.ArchiveFlag, "archive", "", "archive directory (default $HUNTSQL_ARCHIVE or ./huntsql-archive)")
	root.PersistentFlags().StringVar(&f.MemoryLimit, "memory-limit", "", "DuckDB memory limit, e.g. 4GiB; beyond it, work spills to ARCHIVE/"+cmdutil.SpillDir+"/ (default $HUNTSQL_MEMORY_LIMIT, else a quarter of RAM up to 1.5GiB)")
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
		sigmacmd.NewCmdSigma(f),
	)
	root.CompletionOptions.HiddenDefaultCmd = true
	return root
}
