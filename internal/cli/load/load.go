// Package load is the `huntsql load` command.
package load

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"huntsql/internal/cli/cmdutil"
	"huntsql/loader"
)

// Options are the flags and arguments of `huntsql load`.
type Options struct {
	Factory *cmdutil.Factory
	Inputs  []string
	Force   bool
	Quiet   bool

	// Tuning, hidden from the help: used by benchmarks.
	Writer  string
	FlushMB int
	Workers int
}

// maxShownProblems bounds the rejects printed one per line; the rest are counted.
const maxShownProblems = 20

// NewCmdLoad returns the load command; runF replaces the run step in tests.
func NewCmdLoad(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "load [flags] PATH...",
		Short: "Archive event logs (ECS JSON, Windows event XML) as Parquet",
		Long: strings.TrimSpace(`
Load event logs into the archive, normalized to one ECS schema.

Inputs are files, directories (read recursively, in name order) or - for
standard input. Compression (gzip, zstd), text encoding (UTF-8, UTF-16) and
format are detected by content, not by file name. A directory may mix formats.

  ECS JSON     NDJSON, a JSON array of documents, Elasticsearch hits
               ({"_index","_id","_source":{...}}) or whole search/scroll
               responses ({"hits":{"hits":[...]}}); keys nested, dotted or
               mixed. Elastic Defend, Beats and Elastic Agent output, exports.
  Windows XML  "wevtutil qe /f:xml" output, with or without an <Events> root,
               one event per line (Splunk XmlWinEventLog) or pretty-printed;
               UTF-8 or UTF-16. Every event ID loads; 4688 and 4689 map to
               ECS process fields as Elastic does (docs/windows.md).

Every event keeps its exact original text in event.original; fields outside
the schema stay there and remain queryable with DuckDB's JSON functions.
Events are partitioned by UTC date and sorted by @timestamp inside files.

A malformed record is reported as FILE:LINE: REASON, kept verbatim under
ARCHIVE/_rejects/, and the load goes on. Records read always equal records
archived plus records rejected.

Loading is idempotent: an input whose content (SHA-256) is already in the
archive is skipped; --force reloads it and replaces its earlier rows. The load
commits atomically: interrupted at any moment, the archive stays as it was.`),
		Example: cmdutil.Examples(`
  # A directory of exports and a compressed file
  huntsql load ./export/ ./more/events.ndjson.gz

  # Windows Security events straight from wevtutil
  wevtutil qe Security /f:xml > security.xml && huntsql load security.xml

  # From a pipe, into a chosen archive
  zcat day1.json.gz | huntsql load --archive /cases/4711 -

  # Reload a file after a huntsql upgrade, replacing its rows
  huntsql load --force ./export/endpoint.ndjson`),
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmdutil.Usagef("load needs at least one PATH (a file, a directory, or - for stdin)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Inputs = args
			if opts.Writer != loader.WriterDuckDB && opts.Writer != loader.WriterArrow {
				return cmdutil.Usagef("--writer must be %s or %s", loader.WriterDuckDB, loader.WriterArrow)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Force, "force", false, "reload inputs already in the archive, replacing their rows")
	cmd.Flags().BoolVarP(&opts.Quiet, "quiet", "q", false, "print nothing but errors")
	cmd.Flags().StringVar(&opts.Writer, "writer", loader.WriterArrow, "Parquet writer: arrow or duckdb")
	cmd.Flags().IntVar(&opts.FlushMB, "flush-mb", 0, "buffered MB of rows per file write")
	cmd.Flags().IntVar(&opts.Workers, "workers", 0, "parallel normalizers (default: one per core)")
	for _, hidden := range []string{"writer", "flush-mb", "workers"} {
		cmd.Flags().MarkHidden(hidden)
	}
	return cmd
}

// Run loads the inputs.
func Run(ctx context.Context, opts *Options) error {
	f := opts.Factory
	a, err := f.Archive()
	if err != nil {
		return err
	}
	eng, err := f.Engine(ctx)
	if err != nil {
		return err
	}
	defer eng.Close()

	errOut := f.IO.ErrOut
	shown, hidden := 0, 0
	progress := &loader.Progress{}
	view := startProgress(f.IO.ErrOut, progress, f.IO.ShowProgress() && !opts.Quiet)
	sum, err := loader.Load(ctx, loader.Options{
		Archive: a, Engine: eng, Inputs: opts.Inputs, Stdin: f.IO.In, Force: opts.Force,
		Writer: opts.Writer, FlushBytes: opts.FlushMB << 20, Workers: opts.Workers,
		Version: f.Version, Progress: progress,
		OnProblem: func(p loader.Problem) {
			if shown < maxShownProblems {
				view.pause(func() { fmt.Fprintf(errOut, "error: %s\n", p) })
				shown++
			} else {
				hidden++
			}
		},
		OnSkip: func(path, reason string) {
			if !opts.Quiet {
				view.pause(func() { fmt.Fprintf(errOut, "skipped %s: %s\n", path, reason) })
			}
		},
	})
	view.done()
	if err != nil {
		return err
	}
	if hidden > 0 {
		fmt.Fprintf(errOut, "error: … and %d more problems (all are listed in %s)\n", hidden, sum.RejectsFile)
	}
	if !opts.Quiet {
		fmt.Fprintln(errOut, summaryLine(sum))
		if sum.RejectsFile != "" {
			fmt.Fprintf(errOut, "rejected records are kept in %s\n", sum.RejectsFile)
		}
	}
	if !sum.Clean() {
		return &cmdutil.PartialError{Msg: fmt.Sprintf("%d records rejected, %d inputs failed", sum.Rejected, sum.FailedFiles)}
	}
	return nil
}

func summaryLine(s *loader.Summary) string {
	secs := s.Elapsed.Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(s.Records) / secs
	}
	return fmt.Sprintf("loaded %d files (%d skipped, %d failed): %s records = %s archived + %s rejected; %s in %.2fs (%s events/s)",
		s.Files, s.Skipped, s.FailedFiles, cmdutil.Thousands(s.Records), cmdutil.Thousands(s.Archived), cmdutil.Thousands(s.Rejected),
		bytesText(s.Bytes), secs, cmdutil.Thousands(int64(rate)))
}

func bytesText(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// progressView draws the progress bar on a terminal.
type progressView struct {
	bar   *progressbar.ProgressBar
	stopc chan struct{}
	donec chan struct{}
	p     *loader.Progress
	start time.Time
}

func startProgress(w io.Writer, p *loader.Progress, show bool) *progressView {
	v := &progressView{p: p}
	if !show {
		return v
	}
	v.start = time.Now()
	v.bar = progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(w),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetWidth(24),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetRenderBlankState(true),
	)
	v.stopc, v.donec = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(v.donec)
		t := time.NewTicker(150 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-v.stopc:
				return
			case <-t.C:
				v.render()
			}
		}
	}()
	return v
}

func (v *progressView) render() {
	phase, _ := v.p.Phase.Load().(string)
	total := v.p.BytesTotal.Load()
	if total > 0 && v.bar.GetMax64() != total {
		v.bar.ChangeMax64(total)
	}
	recs := v.p.Records.Load()
	rate := float64(recs) / max(time.Since(v.start).Seconds(), 0.001)
	v.bar.Describe(fmt.Sprintf("%-9s %s events (%s/s), %s rejected", phase, cmdutil.Thousands(recs), cmdutil.Thousands(int64(rate)), cmdutil.Thousands(v.p.Rejected.Load())))
	v.bar.Set64(v.p.BytesDone.Load())
}

// pause clears the bar while fn prints a line.
func (v *progressView) pause(fn func()) {
	if v.bar != nil {
		v.bar.Clear()
	}
	fn()
}

func (v *progressView) done() {
	if v.bar == nil {
		return
	}
	close(v.stopc)
	<-v.donec
	v.bar.Clear()
}
