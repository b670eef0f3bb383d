package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"huntsql/internal/archive"
	"huntsql/internal/gen"
)

// formatRounds is how many times each load runs; the best time counts (a
// shared machine's speed drifts within a run).
const formatRounds = 2

// formatsCorpusVersion names the generated corpus: raise it when the
// generators change, so that a cached corpus is not reused.
const formatsCorpusVersion = 1

// formatInput is one generated input of the formats suite.
type formatInput struct {
	file   string // its name in the corpus folder (the loader goes by content)
	shape  string // what wrote it
	format string // the loader format that must sniff it
	write  func(w io.Writer, n int) error
}

// formatsAfter runs the formats benchmark after another that returned err.
func formatsAfter(err error, bin, dir string, n int) error {
	if err != nil {
		return err
	}
	return formatsBench(bin, dir, n)
}

// formatsBench loads the same n Windows process creations (Sysmon 1 and
// Security 4688, as gen.WindowsProcess writes them) in every shape a
// collection tool gives them, and n auditd exec events, each through
// `huntsql load` into a new archive, with event-level de-duplication (the
// default) and with --keep-duplicates: wall time, peak RSS, events/s, and the
// ratio to the same events as Windows XML. Every load must sniff the intended
// format and archive every event, none rejected and none unmapped, or the
// suite fails.
func formatsBench(bin, dir string, n int) error {
	bin, _ = filepath.Abs(bin)
	corpus := filepath.Join(dir, fmt.Sprintf("formats-v%d-%d", formatsCorpusVersion, n))
	if err := os.MkdirAll(corpus, 0o700); err != nil {
		return err
	}
	o := gen.WinProcOptions{Options: gen.DefaultOptions()}
	inputs := []formatInput{{file: "wevtutil.xml", shape: "wevtutil XML", format: "windows-xml", write: func(w io.Writer, n int) error {
		_, err := gen.WindowsProcess(w, n, o)
		return err
	}}}
	for _, s := range []struct{ shape, file, label, format string }{
		{gen.ShapeEVTXJSON, "evtx_dump.json", "evtx_dump -o json", "evtx-json"},
		{gen.ShapeEVTXJSONL, "evtx_dump.jsonl", "evtx_dump -o jsonl", "evtx-json"},
		{gen.ShapeWinlogbeat, "winlogbeat.ndjson", "winlogbeat file output", "winlogbeat-json"},
		{gen.ShapeFlatJSON, "nxlog.ndjson", "NXLog im_msvistalog", "windows-flat-json"},
		{gen.ShapeSplunk, "splunk-classic.txt", "Splunk classic text", "splunk-wineventlog"},
	} {
		inputs = append(inputs, formatInput{file: s.file, shape: s.label, format: s.format, write: func(w io.Writer, n int) error {
			return gen.WindowsProcessAs(w, s.shape, n, o)
		}})
	}
	inputs = append(inputs, formatInput{file: "audit.log", shape: "auditd, node= prefix", format: "auditd", write: func(w io.Writer, n int) error {
		return gen.AuditExec(w, n, gen.DefaultOptions())
	}})

	fmt.Printf("\nInput formats: the same %d Windows process creations (Sysmon 1 and 4688) in each shape, and %d auditd exec events; best of %d alternating rounds, %d cores\n",
		n, n, formatRounds, numCPU())
	paths := make([]string, len(inputs))
	for i, in := range inputs {
		paths[i] = filepath.Join(corpus, in.file)
		if err := generateWith(paths[i], n, in.write); err != nil {
			return fmt.Errorf("generating %s: %w", in.shape, err)
		}
	}
	// best[i][mode]: mode 0 de-duplicates (the default), 1 is --keep-duplicates.
	// Rounds run over every input in turn, so drift spreads over all.
	best := make([][2]cpuMeasure, len(inputs))
	reloads := make([]cpuMeasure, len(inputs))
	arch := filepath.Join(dir, "archive-format")
	for round := range formatRounds {
		for i, in := range inputs {
			for mode, extra := range [][]string{nil, {"--keep-duplicates"}} {
				os.RemoveAll(arch)
				args := append(append([]string{"load", "--quiet", "--archive", arch}, extra...), paths[i])
				m, err := timedCPU(in.format, n, bin, args...)
				if err != nil {
					return err
				}
				if err := checkFormatLoad(arch, in, n); err != nil {
					return err
				}
				if round == 0 || m.wall < best[i][mode].wall {
					best[i][mode] = m
				}
				if mode == 0 {
					// The same events again, as another file: all duplicates,
					// found in the partitions the first load wrote.
					again, err := reloadAll(bin, arch, paths[i], in, n)
					if err != nil {
						return err
					}
					if round == 0 || again.wall < reloads[i].wall {
						reloads[i] = again
					}
				}
			}
		}
	}
	os.RemoveAll(arch)
	fmt.Printf("%-18s %-24s %8s %7s %8s %8s %9s %8s %9s %7s %8s %8s %9s\n", "format", "written as", "events", "MiB", "B/event",
		"seconds", "events/s", "CPU s", "peak MiB", "vs xml", "vs xml", "dedup", "reload")
	fmt.Printf("%-18s %-24s %8s %7s %8s %8s %9s %8s %9s %7s %8s %8s %9s\n", "", "", "", "", "", "", "", "", "", "wall", "CPU", "CPU", "CPU s")
	xml := best[0]
	for i, in := range inputs {
		m, keep := best[i][0], best[i][1]
		star := ""
		if in.format == "auditd" {
			star = "*"
		}
		size := fileSize(paths[i])
		fmt.Printf("%-18s %-24s %8d %7.1f %8.0f %8.2f %9.0f %8.2f %9.0f %7s %8s %7.2fx %9.2f\n", in.format, in.shape, n, mib(size),
			float64(size)/float64(n), m.wall.Seconds(), m.rate(), m.cpu.Seconds(), float64(m.maxRSS)/1024,
			fmt.Sprintf("%.2fx%s", m.rate()/xml[0].rate(), star), fmt.Sprintf("%.2fx%s", xml[0].cpu.Seconds()/m.cpu.Seconds(), star),
			m.cpu.Seconds()/keep.cpu.Seconds(), reloads[i].cpu.Seconds())
	}
	fmt.Println("vs xml: events per second (wall) and per CPU second over windows-xml's, for the same events (* auditd: other events, Linux execs of 7 records each)")
	fmt.Println("dedup: CPU time of the default load (event-level de-duplication) over a load with --keep-duplicates, into an empty archive")
	fmt.Println("reload: CPU time of loading the same events again as another file (one byte more) into that archive: every event skipped as a duplicate")
	fmt.Println("CPU s: user + system time of the load; on a busy machine it is steadier than the wall time")
	return nil
}

// reloadAll loads a copy of path (one newline appended, so another input by
// its SHA-256) into arch, which holds path's n events, and fails unless every
// event is skipped as a duplicate.
func reloadAll(bin, arch, path string, in formatInput, n int) (cpuMeasure, error) {
	copyPath := path + ".again"
	if err := copyFile(path, copyPath, []byte("\n")); err != nil {
		return cpuMeasure{}, err
	}
	defer os.Remove(copyPath)
	m, err := timedCPU(in.format+" again", n, bin, "load", "--quiet", "--archive", arch, copyPath)
	if err != nil {
		return m, err
	}
	a, err := archive.Open(arch)
	if err != nil {
		return m, err
	}
	man, err := a.ReadManifest(false)
	if err != nil {
		return m, err
	}
	if len(man.Inputs) != 2 {
		return m, fmt.Errorf("%s again: %d inputs in the manifest, want 2", in.format, len(man.Inputs))
	}
	if got := man.Inputs[1]; got.Format != in.format || got.Records != int64(n) || got.Duplicates != int64(n) || got.Archived != 0 || got.Rejected != 0 {
		return m, fmt.Errorf("%s loaded again: %q with %d records, %d duplicates, %d archived, %d rejected; want every one of %d a duplicate",
			copyPath, got.Format, got.Records, got.Duplicates, got.Archived, got.Rejected, n)
	}
	return m, nil
}

// cpuMeasure is a measure with the child's CPU time.
type cpuMeasure struct {
	measure
	cpu time.Duration // user + system
}

// timedCPU runs bin as timed does and also reports its CPU time.
func timedCPU(name string, events int, bin string, args ...string) (cpuMeasure, error) {
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	start := time.Now()
	out, err := cmd.Output()
	m := cpuMeasure{measure: measure{name: name, wall: time.Since(start), events: events}}
	if err != nil {
		return m, fmt.Errorf("%s: %v\n%s", name, err, out)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.maxRSS = ru.Maxrss
	}
	m.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return m, nil
}

// checkFormatLoad fails unless the archive's one input was sniffed as in's
// format and archived all n events, none rejected, unmapped or duplicate.
func checkFormatLoad(arch string, in formatInput, n int) error {
	a, err := archive.Open(arch)
	if err != nil {
		return err
	}
	m, err := a.ReadManifest(false)
	if err != nil {
		return err
	}
	if len(m.Inputs) != 1 {
		return fmt.Errorf("%s (%s): %d inputs in the manifest, want 1", in.format, in.shape, len(m.Inputs))
	}
	got := m.Inputs[0]
	if got.Format != in.format || got.Records != int64(n) || got.Archived != int64(n) || got.Rejected != 0 || got.Unmapped != 0 || got.Duplicates != 0 {
		return fmt.Errorf("%s written as %s: loaded as %q with %d records, %d archived, %d rejected, %d unmapped, %d duplicates; want %q and %d events all archived (generator or loader bug)",
			got.Path, in.shape, got.Format, got.Records, got.Archived, got.Rejected, got.Unmapped, got.Duplicates, in.format, n)
	}
	return nil
}

// generateWith writes path with write unless it exists.
func generateWith(path string, n int, write func(io.Writer, int) error) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return err
	}
	if err := write(f, n); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}
