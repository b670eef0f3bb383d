// Package pivot is the `huntsql pivot` command.
package pivot

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"huntsql/internal/cli/cmdutil"
	"huntsql/internal/engine"
	"huntsql/internal/investigate"
	"huntsql/internal/results"
	"huntsql/loader/timestamp"
)

// NewCmdPivot returns the pivot command.
func NewCmdPivot(f *cmdutil.Factory) *cobra.Command {
	var host, at, entity, format string
	var pid int64
	var around time.Duration
	cmd := &cobra.Command{
		Use:   "pivot (--host H --at T [--around 5m] | --tree ENTITY_ID | --host H --pid PID --at T [--around 1h])",
		Short: "Events around a moment on a host, or the process tree under a process",
		Long: strings.TrimSpace(`
Pivot from a detection to what surrounds it.

  --host H --at T [--around D]   the events on host H within ±D of T (default 5m)
  --tree ENTITY_ID               the process tree under an ECS process.entity_id
  --host H --pid PID --at T      the process tree under a Windows process id on H,
                                 from 4688 starts within ±D of T (default 1h):
                                 Windows reuses ids, so the window matters

Host names match case-insensitively, and a short name matches its FQDN
(--host fin-ws07 finds FIN-WS07.corp.example). Trees are built from process
start events and printed one process per line.`),
		Example: cmdutil.Examples(`
  huntsql pivot --host web-01 --at 2026-03-01T12:00:30Z --around 2m
  huntsql pivot --tree cHl0aG9uLWFwcC0x
  huntsql pivot --host FIN-WS07.corp.example --pid 7996 --at 2026-03-01T14:10:02Z`),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var t time.Time
			if at != "" {
				us, err := timestamp.Parse(at)
				if err != nil {
					return cmdutil.Usagef("--at %q: %v", at, err)
				}
				t = time.UnixMicro(us).UTC()
			}
			switch {
			case entity != "":
			case host != "" && !t.IsZero():
			default:
				return cmdutil.Usagef("give --tree ENTITY_ID, or --host and --at (with --pid for a Windows process tree)")
			}
			if !slices.Contains(results.Formats, format) {
				return cmdutil.Usagef("--format must be one of %s", strings.Join(results.Formats, ", "))
			}
			eng, err := f.OpenViews(ctx, engine.Range{}, false)
			if err != nil {
				return err
			}
			defer eng.Close()
			switch {
			case entity != "":
				tree, err := investigate.TreeByEntity(ctx, eng, entity)
				if err != nil {
					return err
				}
				return tree.Write(f.IO.Out)
			case pid != 0:
				if around == 0 {
					around = time.Hour
				}
				tree, err := investigate.TreeByPID(ctx, eng, host, pid, t.Add(-around), t.Add(around))
				if err != nil {
					return err
				}
				return tree.Write(f.IO.Out)
			}
			if around == 0 {
				around = 5 * time.Minute
			}
			set, err := investigate.Around(ctx, eng, host, t, around)
			if err != nil {
				return err
			}
			if len(set.Rows) == 0 {
				fmt.Fprintf(f.IO.ErrOut, "no events on %s between %s and %s\n", host,
					results.Timestamp(t.Add(-around)), results.Timestamp(t.Add(around)))
			}
			width := 0
			if format == results.Table {
				width = 48
				set.LineWidth = f.IO.TerminalWidth()
			}
			return set.Write(f.IO.Out, format, width)
		},
	}
	cmd.Flags().StringVar(&host, "host", "", "host.name (any case; a short name matches its FQDN)")
	cmd.Flags().StringVar(&at, "at", "", "the moment (UTC unless an offset is given)")
	cmd.Flags().DurationVar(&around, "around", 0, "how far before and after --at (default 5m; 1h for --pid)")
	cmd.Flags().StringVar(&entity, "tree", "", "print the process tree under this process.entity_id")
	cmd.Flags().Int64Var(&pid, "pid", 0, "print the process tree under this process id on --host")
	cmd.Flags().StringVar(&format, "format", results.Table, "for --host/--at: "+strings.Join(results.Formats, ", "))
	return cmd
}
