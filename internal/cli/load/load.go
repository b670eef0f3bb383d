// Package load is the `huntsql load` command.
package load

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"huntsql/internal/cli/cmdutil"
	"huntsql/internal/engine"
	"huntsql/loader"
)

// Options are the flags and arguments of `huntsql load`.
type Options struct {
	Factory *cmdutil.Factory
	Inputs  []string
	Force   bool
	Quiet   bool
	// TimeZone names the zone of timestamps written without one.
	TimeZone       string
	KeepDuplicates bool
	Host           string

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
		Short: "Archive event logs (ECS JSON, Windows XML and .evtx, Sysmon, auditd, …) as Parquet",
		Long: strings.TrimSpace(`
Load event logs into the archive, normalized to one ECS schema.

Inputs are files, directories (read recursively, in name order) or - for
standard input. Compression (gzip, zstd), text encoding (UTF-8, UTF-16) and
format are detected by content, not by file name. A directory may mix formats.

` + formatsHelp() + `

Windows events from every route (.evtx, XML, JSON, text) share one mapping:
Security, System and Sysmon events map to ECS fields as Elastic's integrations
map them (docs/windows.md, docs/formats.md).

Every event keeps its exact original text in event.original; fields outside
the schema stay there and remain queryable with DuckDB's JSON functions.
Events are partitioned by UTC date and sorted by @timestamp inside files.

A malformed record is reported as FILE:LINE: REASON, kept verbatim under
ARCHIVE/_rejects/, and the load goes on. Records read always equal records
archived plus records rejected plus duplicates.

An event the archive already holds (the same _id; the same host, channel and
record id; or the same record text) is not archived twice: overlapping exports
load cleanly, and the summary counts the duplicates (--keep-duplicates keeps
them). Events archived without a host or any kind (no event.code,
event.category or event.action) are counted per file and marked in
huntsql.warnings: rules cannot see them, and the exit status says so (3).

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
			if _, err := time.LoadLocation(opts.TimeZone); err != nil {
				return cmdutil.Usagef("--timezone %q: not a time zone (use an IANA name such as Europe/Berlin, UTC or Local)", opts.TimeZone)
			}
			if !slices.Contains([]string{loader.WriterArchive, loader.WriterArrow, loader.WriterDuckDB}, opts.Writer) {
				return cmdutil.Usagef("--writer must be %s, %s or %s", loader.WriterArchive, loader.WriterArrow, loader.WriterDuckDB)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Force, "force", false, "reload inputs already in the archive, replacing their rows")
	cmd.Flags().StringVar(&opts.TimeZone, "timezone", "UTC", "time zone of timestamps written without one (Splunk classic text, NXLog EventTime): an IANA name such as Europe/Berlin, UTC, or Local")
	cmd.Flags().StringVar(&opts.Host, "host", "", "host.name for events whose input names no host (a raw auditd log, files collected from one machine)")
	cmd.Flags().BoolVar(&opts.KeepDuplicates, "keep-duplicates", false, "archive events even when the archive already holds them")
	cmd.Flags().BoolVarP(&opts.Quiet, "quiet", "q", false, "print nothing but errors")
	cmd.Flags().StringVar(&opts.Writer, "writer", loader.WriterArchive, "Parquet writer: archive (huntsql's own), arrow or duckdb")
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
	// The loader opens the engine only if it needs one (older files to
	// de-duplicate against, --force).
	var eng *engine.Engine
	defer func() {
		if eng != nil {
			eng.Close()
		}
	}()
	openEngine := func(ctx context.Context) (*engine.Engine, error) {
		e, err := f.Engine(ctx)
		eng = e
		return e, err
	}

	tz, err := time.LoadLocation(opts.TimeZone)
	if err != nil {
		return cmdutil.Usagef("--timezone %q: %v", opts.TimeZone, err)
	}
	errOut := f.IO.ErrOut
	shown, hidden := 0, 0
	progress := &loader.Progress{}
	view := startProgress(f.IO.ErrOut, progress, f.IO.ShowProgress() && !opts.Quiet)
	sum, err := loader.Load(ctx, loader.Options{
		Archive: a, OpenEngine: openEngine, Inputs: opts.Inputs, Stdin: f.IO.In, Force: opts.Force,
		Writer: opts.Writer, FlushBytes: opts.FlushMB << 20, Workers: opts.Workers,
		Version: f.Version, Progress: progress, TimeZone: tz, KeepDuplicates: opts.KeepDuplicates, Host: opts.Host,
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
		printInputs(errOut, sum, tz)
		fmt.Fprintln(errOut, summaryLine(sum))
		if sum.RejectsFile != "" {
			fmt.Fprintf(errOut, "rejected records are kept in %s\n", sum.RejectsFile)
		}
	}
	for _, in := range sum.Inputs {
		if in.Unmapped > 0 {
			fmt.Fprintf(errOut, "warning: %s: %s of %s archived events have no host or no kind (event.code, event.category, event.action): rules cannot see them; they are marked in huntsql.warnings. Format: %s (docs/formats.md lists what each format supplies); when the input names no host, give it with --host NAME.\n",
				in.Path, cmdutil.Thousands(in.Unmapped), cmdutil.Thousands(in.Archived), in.Format)
		}
	}
	if !sum.Clean() || sum.Unmapped > 0 {
		return &cmdutil.PartialError{Msg: fmt.Sprintf("%d records rejected, %d inputs failed, %d events unmapped", sum.Rejected, sum.FailedFiles, sum.Unmapped)}
	}
	return nil
}

// formatsHelp lists the registered formats for the help text.
func formatsHelp() string {
	var b strings.Builder
	b.WriteString("Formats, detected by content:\n")
	for _, f := range loader.Formats {
		fmt.Fprintf(&b, "  %-20s %s\n", f.Name, f.Doc)
	}
	return strings.TrimRight(b.String(), "\n")
}

// maxInputLines bounds the per-file lines of the summary; inputs with
// problems are always listed.
const maxInputLines = 30

// printInputs writes one line per input read: its format and counts.
func printInputs(w io.Writer, sum *loader.Summary, tz *time.Location) {
	if len(sum.Inputs) == 0 {
		return
	}
	localTime := false
	shown := 0
	for _, in := range sum.Inputs {
		if f := loader.FormatByName(in.Format); f != nil && f.LocalTime {
			localTime = true
		}
		problem := in.Rejected > 0 || in.Unmapped > 0 || in.Error != ""
		if len(sum.Inputs) == 1 || (!problem && shown >= maxInputLines) {
			continue
		}
		shown++
		line := fmt.Sprintf("  %s: %s, %s archived", in.Path, orUnknown(in.Format), cmdutil.Thousands(in.Archived))
		for _, c := range []struct {
			n    int64
			what string
		}{{in.Rejected, "rejected"}, {in.Duplicates, "duplicates"}, {in.Unmapped, "unmapped"}} {
			if c.n > 0 {
				line += fmt.Sprintf(", %s %s", cmdutil.Thousands(c.n), c.what)
			}
		}
		fmt.Fprintln(w, line)
	}
	if hidden := len(sum.Inputs) - 1 - shown; len(sum.Inputs) > 1 && hidden > 0 {
		fmt.Fprintf(w, "  … and %d more files without problems\n", hidden)
	}
	if localTime {
		fmt.Fprintf(w, "timestamps without a zone were read as %s (--timezone)\n", tz)
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "format unknown"
	}
	return s
}

func summaryLine(s *loader.Summary) string {
	secs := s.Elapsed.Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(s.Records) / secs
	}
	dups := ""
	if s.Duplicates > 0 {
		dups = fmt.Sprintf(" + %s duplicates", cmdutil.Thousands(s.Duplicates))
	}
	return fmt.Sprintf("loaded %d files (%d skipped, %d failed): %s records = %s archived + %s rejected%s; %s in %.2fs (%s events/s)",
		s.Files, s.Skipped, s.FailedFiles, cmdutil.Thousands(s.Records), cmdutil.Thousands(s.Archived), cmdutil.Thousands(s.Rejected),
		dups, bytesText(s.Bytes), secs, cmdutil.Thousands(int64(rate)))
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
