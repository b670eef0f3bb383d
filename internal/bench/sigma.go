package main

// The Sigma benchmark: every Windows process_creation rule of the shared
// SigmaHQ corpus over a 10× archive of generated Sysmon 1 / Security 4688
// process events with planted attacks, run two ways in one run:
//
//   - scan: the rules' structured forms evaluated together, one pass over the
//     archive per view (rules/scan), as `huntsql run --sigma` does;
//   - one query per rule: each compiled rule's own SQL (rules/runner), as
//     `huntsql run --rules DIR` runs the output of `huntsql sigma convert`.
//
// Each runs in a child process (this binary re-executed, so that wall time
// and peak RSS are the run's own and measured like every other figure of
// make bench). The bench checks that both ways give the same detections per
// rule, that every planted event is detected by the rule it was planted for
// (exactly once per copy of the archive) and lists every other rule that
// fires, on planted events (attacks match several rules) or on benign ones
// (false positives of the rule on the generated everyday mix).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"huntsql/internal/archive"
	"huntsql/internal/cli/cmdutil"
	"huntsql/internal/engine"
	"huntsql/internal/gen"
	"huntsql/rules/runner"
	"huntsql/rules/scan"
	"huntsql/rules/sigma"
)

const (
	// sigmaChildEnv makes this binary a measured child: "scan" or "per-rule".
	sigmaChildEnv = "HUNTSQL_BENCH_SIGMA_CHILD"
	// sigmaCorpusEnv overrides where the SigmaHQ corpus is.
	sigmaCorpusEnv = "HUNTSQL_SIGMA_CORPUS"
	sigmaGoal      = 200_000
)

// The scan runs over sigmaCopies copies of the generated events; one query
// per rule, much slower, over sigmaBaselineCopies copies (0: not run). Rates
// are compared per event, and detections per copy.
var sigmaCopies, sigmaBaselineCopies = 10, 1

func init() {
	if mode := os.Getenv(sigmaChildEnv); mode != "" {
		if err := sigmaChild(mode, os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "bench sigma child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
}

// sigmaRun is what a child reports: per rule, its detections split by what
// they landed on.
type sigmaRun struct {
	Compiled int                    `json:"compiled"`
	Outcomes map[string]int         `json:"outcomes"` // sigma.Outcome → documents
	Compile  float64                `json:"compile_seconds"`
	Scans    int                    `json:"scans,omitempty"`
	Scan     float64                `json:"scan_seconds,omitempty"` // in the shared scans
	Run      float64                `json:"run_seconds"`            // compile excluded
	Rules    map[string]*sigmaCount `json:"rules"`
	Failed   map[string]string      `json:"failed,omitempty"` // rule id → error

	// CPU is the child's user + system time, set by the parent: on a shared
	// machine wall time grows with the load, CPU time much less.
	CPU float64 `json:"-"`
}

// cpuSeconds is a finished child's user + system time.
func cpuSeconds(ps *os.ProcessState) float64 {
	return (ps.UserTime() + ps.SystemTime()).Seconds()
}

type sigmaCount struct {
	Title string `json:"title"`
	File  string `json:"file"`
	// Sources are the mapping sources the rule has a branch for (sysmon_1,
	// security_4688): a rule needing a field 4688 lacks cannot see the
	// planted events written as 4688.
	Sources []string `json:"sources"`
	Total   int      `json:"total"`
	// OwnPlanted counts detections on events planted for this rule;
	// OtherPlanted on events planted for another rule; Benign on the rest.
	OwnPlanted   int `json:"own_planted"`
	OtherPlanted int `json:"other_planted"`
	Benign       int `json:"benign"`
	// Sample is one benign event the rule fired on (command line), for the
	// report.
	Sample string `json:"sample,omitempty"`
}

func sigmaCorpus() string {
	if d := os.Getenv(sigmaCorpusEnv); d != "" {
		return d
	}
	return filepath.Join("..", "shared", "sigma")
}

// sigmaBench runs the benchmark over sigmaCopies × n events.
func sigmaBench(bin, dir string, n int) error {
	rulesDir := filepath.Join(sigmaCorpus(), "rules", "windows", "process_creation")
	if _, err := os.Stat(rulesDir); err != nil {
		fmt.Printf("\nSigma: skipped, no SigmaHQ corpus at %s (set %s to a checkout of github.com/SigmaHQ/sigma)\n", rulesDir, sigmaCorpusEnv)
		return nil
	}
	bin, _ = filepath.Abs(bin)
	rulesDir, _ = filepath.Abs(rulesDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	xmlPath := filepath.Join(dir, fmt.Sprintf("winproc-%d.xml", n))
	plantsPath := xmlPath + ".planted.json"
	src := filepath.Join(dir, fmt.Sprintf("archive-winproc-%d", n))
	if _, err := os.Stat(plantsPath); err != nil {
		os.RemoveAll(src)
		if err := writeWinProc(xmlPath, plantsPath, n); err != nil {
			return err
		}
	}
	if _, err := os.Stat(filepath.Join(src, archive.ManifestName)); err != nil {
		os.RemoveAll(src)
		ld, err := timed("huntsql load", n, bin, "load", "-q", "--archive", src, xmlPath)
		if err != nil {
			return err
		}
		fmt.Printf("\nSigma: loaded %d generated Windows process events in %.1fs (%.0f events/s, peak RSS %.0f MiB)\n",
			n, ld.wall.Seconds(), ld.rate(), float64(ld.maxRSS)/1024)
	}
	dst := filepath.Join(dir, fmt.Sprintf("archive-winproc-%dx", sigmaCopies))
	files, err := multiplyArchive(src, dst, sigmaCopies)
	if err != nil {
		return err
	}
	events := sigmaCopies * n
	fmt.Printf("\nSigma: %s over %d events (%d copies of %d generated Sysmon 1 / 4688 events, %d Parquet files), %d cores\n",
		rulesDir, events, sigmaCopies, n, files, numCPU())

	// What the corpus compiles to, for the checks: each rule's title and the
	// sources (Sysmon 1, 4688) it has a branch for.
	info, err := sigmaInfo(rulesDir)
	if err != nil {
		return err
	}
	type way struct {
		name   string
		m      measure
		run    *sigmaRun
		events int
	}
	var ways []way
	// Both ways run the Sigma rules alone: the built-in rules are not part of
	// what is measured (the Splunk one reads every event's raw text: on this
	// archive it takes as long as all the Sigma rules).
	var only []string
	if hasFlag(bin, []string{"run", "--help"}, "--no-builtin ") {
		only = []string{"--no-builtin"}
	} else {
		fmt.Println("note: this huntsql has no --no-builtin: the built-in rules run too, in both ways")
	}
	// The scan: `huntsql run --sigma` once the CLI has it, else the same
	// APIs (sigma.CompileDir, scan.Run) in a child process.
	if hasFlag(bin, []string{"run", "--help"}, "--sigma ") {
		m, run, err := cliRun(bin, "huntsql run --sigma", events, plantsPath, append([]string{"run", "--archive", dst, "-q", "--format", "ndjson", "--sigma", rulesDir}, only...)...)
		if err != nil {
			return err
		}
		ways = append(ways, way{"huntsql run --sigma", m, run, events})
	} else {
		m, run, err := sigmaMeasure("scan (rules/scan API)", "scan", events, dst, rulesDir, plantsPath)
		if err != nil {
			return err
		}
		ways = append(ways, way{"scan (rules/scan API)", m, run, events})
	}
	// One query per rule: `huntsql run --rules OUT` over the rules `huntsql
	// sigma convert` wrote, else rules/runner in a child process, over
	// sigmaBaselineCopies copies.
	baseDst, baseEvents := dst, events
	if sigmaBaselineCopies != sigmaCopies && sigmaBaselineCopies > 0 {
		if sigmaCopies%sigmaBaselineCopies != 0 {
			return fmt.Errorf("-sigma-copies %d is not a multiple of -sigma-baseline-copies %d", sigmaCopies, sigmaBaselineCopies)
		}
		baseDst = filepath.Join(dir, fmt.Sprintf("archive-winproc-%dx", sigmaBaselineCopies))
		if _, err := multiplyArchive(src, baseDst, sigmaBaselineCopies); err != nil {
			return err
		}
		baseEvents = sigmaBaselineCopies * n
	}
	switch {
	case sigmaBaselineCopies == 0:
		fmt.Println("one query per rule: not run (-sigma-baseline-copies 0)")
	case hasFlag(bin, []string{"sigma", "convert", "--help"}, "-o DIR"):
		out := filepath.Join(dir, "sigma-converted")
		os.RemoveAll(out)
		t0 := time.Now()
		msg, err := exec.Command(bin, "sigma", "convert", rulesDir, "-o", out).CombinedOutput()
		if err != nil && !exitCode(err, 4) {
			return fmt.Errorf("huntsql sigma convert: %v\n%s", err, msg)
		}
		lines := strings.Split(strings.TrimSpace(string(msg)), "\n")
		fmt.Printf("huntsql sigma convert: %d rule files in %.1fs (%s)\n", ruleFiles(out), time.Since(t0).Seconds(), lines[len(lines)-1])
		m, run, err := cliRun(bin, "huntsql run --rules (converted)", baseEvents, plantsPath, append([]string{"run", "--archive", baseDst, "-q", "--format", "ndjson", "--rules", out}, only...)...)
		if err != nil {
			return err
		}
		ways = append(ways, way{"huntsql run --rules (converted)", m, run, baseEvents})
	default:
		m, run, err := sigmaMeasure("one query per rule (runner)", "per-rule", baseEvents, baseDst, rulesDir, plantsPath)
		if err != nil {
			return err
		}
		ways = append(ways, way{"one query per rule (runner)", m, run, baseEvents})
	}

	fmt.Printf("%-32s %11s %9s %12s %9s %14s %10s %7s %11s %9s %9s\n", "way", "events", "seconds", "events/s", "CPU s", "events/CPU s", "peak RSS", "rules", "detections", "compile s", "rules s")
	for _, w := range ways {
		dets := 0
		for _, c := range w.run.Rules {
			dets += c.Total
		}
		phases := fmt.Sprintf("%9s %9s", "-", "-") // not reported by the CLI
		if w.run.Run > 0 {
			phases = fmt.Sprintf("%9.2f %9.2f", w.run.Compile, w.run.Run)
		}
		fmt.Printf("%-32s %11d %9.2f %12.0f %9.2f %14.0f %6.0f MiB %7d %11d %s\n", w.name, w.events, w.m.wall.Seconds(), w.m.rate(),
			w.run.CPU, float64(w.events)/w.run.CPU, float64(w.m.maxRSS)/1024, info.Compiled, dets, phases)
	}
	scanRun := ways[0].run
	fmt.Printf("corpus: %s\n", outcomes(info.Outcomes))

	ok := true
	speedup := "one query per rule not run"
	if len(ways) > 1 {
		perRule := ways[1].run
		scale := ways[0].events / ways[1].events
		if diff := compareRuns(scanRun, perRule, scale); len(diff) > 0 {
			ok = false
			fmt.Printf("scan and one query per rule DIFFER on %d rules:\n", len(diff))
			for _, d := range diff {
				fmt.Println("  " + d)
			}
		} else {
			fmt.Printf("scan and one query per rule: identical detection counts for all %d rules (one query per rule over %d of the %d copies, its counts times %d)\n",
				info.Compiled, ways[1].events/n, sigmaCopies, scale)
		}
		speedup = fmt.Sprintf("%.2fx one query per rule, events/s", ways[0].m.rate()/ways[1].m.rate())
	}
	for _, w := range ways {
		if len(w.run.Failed) > 0 {
			ok = false
			fmt.Printf("%s: %d rules failed:\n", w.name, len(w.run.Failed))
			for _, id := range sortedKeys(w.run.Failed) {
				fmt.Printf("  %s: %s\n", id, firstLine(w.run.Failed[id]))
			}
		}
	}
	if !checkPlanted(scanRun, info, plantsPath) {
		ok = false
	}
	reportOthers(scanRun, plantsPath)

	s := ways[0].m
	verdict := "met"
	if s.rate() < sigmaGoal {
		verdict = "NOT met"
	}
	fmt.Printf("\ngoal: %d Sigma rules in one scan >= %d events/s on %d cores: %.0f events/s over %d events (%s; %.0f events per CPU second; peak RSS %.0f MiB), %s\n",
		info.Compiled, sigmaGoal, numCPU(), s.rate(), events, speedup, float64(events)/scanRun.CPU, float64(s.maxRSS)/1024, verdict)
	if load := loadAverage(); load > float64(numCPU()) {
		fmt.Printf("note: load average %.1f on %d cores during the run: wall times include waiting for a CPU\n", load, numCPU())
	}
	if !ok {
		return errors.New("sigma: detections are wrong (see above)")
	}
	return nil
}

// writeWinProc writes the generated events and, beside them, the planted
// events' list.
func writeWinProc(xmlPath, plantsPath string, n int) error {
	f, err := os.Create(xmlPath + ".tmp")
	if err != nil {
		return err
	}
	o := gen.WinProcOptions{Options: gen.DefaultOptions(), Plants: gen.SigmaPlants, Repeat: 1}
	planted, err := gen.WindowsProcess(f, n, o)
	if err == nil {
		err = f.Close()
	} else {
		f.Close()
	}
	if err != nil {
		return err
	}
	js, err := json.MarshalIndent(planted, "", " ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(plantsPath+".tmp", js, 0o600); err != nil {
		return err
	}
	if err := os.Rename(xmlPath+".tmp", xmlPath); err != nil {
		return err
	}
	return os.Rename(plantsPath+".tmp", plantsPath)
}

// multiplyArchive makes dst an archive listing copies of src's files (hard
// links, one folder per copy) in one manifest.
func multiplyArchive(src, dst string, copies int) (int, error) {
	a, err := archive.Open(src)
	if err != nil {
		return 0, err
	}
	m, err := a.ReadManifest(false)
	if err != nil {
		return 0, err
	}
	os.RemoveAll(dst)
	big := &archive.Manifest{}
	for copyNo := range copies {
		for _, f := range m.Files {
			rel := fmt.Sprintf("events/copy=%d/%s", copyNo, filepath.Base(f.Path))
			if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, rel)), 0o700); err != nil {
				return 0, err
			}
			if err := os.Link(a.Path(f.Path), filepath.Join(dst, rel)); err != nil {
				return 0, err
			}
			f.Path = rel
			big.Files = append(big.Files, f)
		}
	}
	b, err := archive.Open(dst)
	if err != nil {
		return 0, err
	}
	return len(big.Files), b.Commit(big)
}

// sigmaMeasure runs one way in a child process.
func sigmaMeasure(name, mode string, events int, arch, rulesDir, plantsPath string) (measure, *sigmaRun, error) {
	self, err := os.Executable()
	if err != nil {
		return measure{}, nil, err
	}
	cmd := exec.Command(self, arch, rulesDir, plantsPath)
	cmd.Env = append(os.Environ(), sigmaChildEnv+"="+mode)
	cmd.Stderr = os.Stderr
	start := time.Now()
	out, err := cmd.Output()
	m := measure{name: name, wall: time.Since(start), events: events}
	if err != nil {
		return m, nil, fmt.Errorf("%s: %v", name, err)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.maxRSS = ru.Maxrss
	}
	var run sigmaRun
	if err := json.Unmarshal(out, &run); err != nil {
		return m, nil, fmt.Errorf("%s: read the child's report: %v", name, err)
	}
	run.CPU = cpuSeconds(cmd.ProcessState)
	return m, &run, nil
}

// plantIndex finds planted events by host and time.
type plantIndex map[string]gen.Planted

func plantKey(host string, t time.Time) string { return host + "|" + t.UTC().Format(time.RFC3339Nano) }

func readPlants(path string) ([]gen.Planted, plantIndex, error) {
	js, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var ps []gen.Planted
	if err := json.Unmarshal(js, &ps); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	idx := plantIndex{}
	for _, p := range ps {
		idx[plantKey(p.Host, p.Time)] = p
	}
	return ps, idx, nil
}

// sigmaChild compiles the rules and runs them one way over the archive,
// printing a sigmaRun as JSON on stdout.
func sigmaChild(mode string, args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("usage: %s=scan|per-rule bench ARCHIVE RULES_DIR PLANTED_JSON", sigmaChildEnv)
	}
	archDir, rulesDir, plantsPath := args[0], args[1], args[2]
	_, plants, err := readPlants(plantsPath)
	if err != nil {
		return err
	}
	ctx := context.Background()
	t0 := time.Now()
	compiled, rep, err := sigma.CompileDir([]string{rulesDir}, sigma.Options{})
	if err != nil {
		return err
	}
	run := &sigmaRun{Outcomes: map[string]int{}, Rules: map[string]*sigmaCount{}, Failed: map[string]string{}}
	for _, e := range rep.Entries {
		run.Outcomes[string(e.Outcome)]++
	}
	cs := runnable(compiled)
	run.Compiled = len(cs)
	run.Compile = time.Since(t0).Seconds()

	a, err := archive.Open(archDir)
	if err != nil {
		return err
	}
	m, err := a.ReadManifest(false)
	if err != nil {
		return err
	}
	eng, err := engine.Open(ctx, engine.Options{MemoryLimit: cmdutil.DefaultMemoryLimit(), TempDir: a.Path(cmdutil.SpillDir)})
	if err != nil {
		return err
	}
	defer eng.Close()
	if err := eng.ArchiveViews(ctx, a, m, engine.Range{}); err != nil {
		return err
	}

	tally := func(c *sigma.Compiled, cols []string, rows [][]any, rerr error) {
		id := c.Rule.ID
		sc := &sigmaCount{Title: c.Doc.Title, File: filepath.Base(c.Doc.File)}
		for _, b := range c.Branches {
			sc.Sources = append(sc.Sources, b.Source)
		}
		run.Rules[id] = sc
		if rerr != nil {
			run.Failed[id] = rerr.Error()
			return
		}
		ts, host, cl := slices.Index(cols, "@timestamp"), slices.Index(cols, "host.name"), slices.Index(cols, "process.command_line")
		for _, row := range rows {
			sc.Total++
			var key string
			if ts >= 0 && host >= 0 {
				t, _ := row[ts].(time.Time)
				h, _ := row[host].(string)
				key = plantKey(h, t)
			}
			p, ok := plants[key]
			switch {
			case ok && p.Rule == id:
				sc.OwnPlanted++
			case ok:
				sc.OtherPlanted++
			default:
				sc.Benign++
				if sc.Sample == "" && cl >= 0 {
					sc.Sample = fmt.Sprint(row[cl])
				}
			}
		}
	}
	t1 := time.Now()
	switch mode {
	case "scan":
		plans := make([]scan.Plan, len(cs))
		for i, c := range cs {
			p := scan.Plan{View: c.View, Where: c.Where(), EventCodes: c.EventCodes(), OrderBy: c.OrderBy}
			for _, col := range c.Columns {
				p.Columns = append(p.Columns, scan.Column{Name: col.Name, SQL: col.SQL})
			}
			plans[i] = p
		}
		st, err := scan.Run(ctx, eng, plans, scan.Options{}, func(i int, r scan.Result) { tally(cs[i], r.Columns, r.Rows, r.Err) })
		if err != nil {
			return err
		}
		run.Scans, run.Scan = st.Scans, st.Scan.Seconds()
	case "per-rule":
		runner.Run(ctx, eng, sigma.Rules(cs), runner.Options{OnDone: func(i int, r runner.Result) {
			tally(cs[i], r.Columns, r.Rows, r.Err)
		}})
	default:
		return fmt.Errorf("unknown mode %q", mode)
	}
	run.Run = time.Since(t1).Seconds()
	return json.NewEncoder(os.Stdout).Encode(run)
}

// compareRuns lists the rules whose detections differ between two runs (a
// rule absent from a run's output has none).
func compareRuns(a, b *sigmaRun, scale int) []string {
	ids := map[string]bool{}
	for id := range a.Rules {
		ids[id] = true
	}
	for id := range b.Rules {
		ids[id] = true
	}
	var out []string
	for _, id := range sortedKeys(ids) {
		x, y := a.Rules[id], b.Rules[id]
		if x == nil {
			x = &sigmaCount{Title: y.Title}
		}
		if y == nil {
			y = &sigmaCount{}
		}
		if x.Total != scale*y.Total || x.OwnPlanted != scale*y.OwnPlanted || x.OtherPlanted != scale*y.OtherPlanted {
			out = append(out, fmt.Sprintf("%s (%s): scan %d detections, one query per rule %d (times %d)", id, x.Title, x.Total, y.Total, scale))
		}
	}
	return out
}

// sigmaSource maps the generator's log names to the Sigma mapping's sources.
var sigmaSource = map[string]string{gen.SourceSysmon: "sysmon_1", gen.SourceSecurity: "security_4688"}

// checkPlanted checks that each rule detects exactly the events planted for
// it (that its logsource's branches can see) in every copy.
func checkPlanted(run, info *sigmaRun, plantsPath string) bool {
	ps, _, err := readPlants(plantsPath)
	if err != nil {
		fmt.Println("planted events:", err)
		return false
	}
	want := map[string]int{}
	titles := map[string]string{}
	for _, p := range ps {
		titles[p.Rule] = p.Title
		if c := info.Rules[p.Rule]; c != nil && slices.Contains(c.Sources, sigmaSource[p.Source]) {
			want[p.Rule] += sigmaCopies
		} else if _, ok := want[p.Rule]; !ok {
			want[p.Rule] = 0
		}
	}
	ok := true
	var lines []string
	for _, id := range sortedKeys(want) {
		c := run.Rules[id]
		got := 0
		if c != nil {
			got = c.OwnPlanted
		}
		switch {
		case info.Rules[id] == nil:
			lines = append(lines, fmt.Sprintf("  %s (%s): not compiled", id, titles[id]))
			ok = false
		case got != want[id]:
			lines = append(lines, fmt.Sprintf("  %s (%s): %d of %d planted events detected", id, titles[id], got, want[id]))
			ok = false
		}
	}
	if ok {
		seen := 0
		for _, n := range want {
			seen += n
		}
		fmt.Printf("planted: %d events for %d rules (each both as Sysmon 1 and as 4688) × %d copies; %d visible to their rule (4688 lacks fields some rules need): every rule detects exactly those\n",
			len(ps), len(want), sigmaCopies, seen)
	} else {
		fmt.Printf("planted: MISMATCH on %d of %d rules:\n%s\n", len(lines), len(want), strings.Join(lines, "\n"))
	}
	return ok
}

// reportOthers lists the rules that fire beyond their own planted events.
func reportOthers(run *sigmaRun, plantsPath string) {
	var cross, fps []string
	benign := 0
	for _, id := range sortedKeys(run.Rules) {
		c := run.Rules[id]
		if c.OtherPlanted > 0 {
			cross = append(cross, fmt.Sprintf("  %-36s %6d  %s", id, c.OtherPlanted, c.Title))
		}
		if c.Benign > 0 {
			benign += c.Benign
			fps = append(fps, fmt.Sprintf("  %-36s %6d  %s\n  %36s e.g. %s", id, c.Benign, c.Title, "", c.Sample))
		}
	}
	fmt.Printf("other rules firing on planted events (attacks matching several rules): %d\n", len(cross))
	for _, l := range cross {
		fmt.Println(l)
	}
	fmt.Printf("rules firing on benign events (false positives on the generated mix): %d rules, %d detections\n", len(fps), benign)
	for _, l := range fps {
		fmt.Println(l)
	}
}

func outcomes(m map[string]int) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
	}
	return strings.Join(parts, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// thenSigma runs the Sigma benchmark after a suite that succeeded.
func thenSigma(err error, bin, dir string, n int) error {
	if err != nil {
		return err
	}
	return sigmaBench(bin, dir, n)
}

// hasFlag reports whether the help text of bin args mentions flag.
func hasFlag(bin string, args []string, flag string) bool {
	out, err := exec.Command(bin, args...).CombinedOutput()
	return err == nil && strings.Contains(string(out), flag)
}

// exitCode reports whether err is a child's exit with code.
func exitCode(err error, code int) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee) && ee.ExitCode() == code
}

func ruleFiles(dir string) int {
	n := 0
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".toml") {
			n++
		}
	}
	return n
}

// cliRun runs huntsql with args (a run writing NDJSON detections on stdout),
// measured as timed does, and tallies the detections per rule. Exit code 4
// (some rules failed) still counts the others; the failures are on stderr.
func cliRun(bin, name string, events int, plantsPath string, args ...string) (measure, *sigmaRun, error) {
	_, plants, err := readPlants(plantsPath)
	if err != nil {
		return measure{}, nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return measure{}, nil, err
	}
	run := &sigmaRun{Outcomes: map[string]int{}, Rules: map[string]*sigmaCount{}, Failed: map[string]string{}}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return measure{}, nil, err
	}
	dec := json.NewDecoder(stdout)
	var derr error
	for {
		var d struct {
			Rule struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"rule"`
			Fields map[string]any `json:"fields"`
		}
		if err := dec.Decode(&d); err != nil {
			if err != io.EOF {
				derr = fmt.Errorf("%s: read detections: %w", name, err)
				io.Copy(io.Discard, stdout)
			}
			break
		}
		sc := run.Rules[d.Rule.ID]
		if sc == nil {
			sc = &sigmaCount{Title: d.Rule.Name}
			run.Rules[d.Rule.ID] = sc
		}
		ts, _ := d.Fields["@timestamp"].(string)
		host, _ := d.Fields["host.name"].(string)
		t, _ := time.Parse(time.RFC3339Nano, ts)
		sc.Total++
		p, ok := plants[plantKey(host, t)]
		switch {
		case ok && p.Rule == d.Rule.ID:
			sc.OwnPlanted++
		case ok:
			sc.OtherPlanted++
		default:
			sc.Benign++
			if cl, ok := d.Fields["process.command_line"].(string); ok && sc.Sample == "" {
				sc.Sample = cl
			}
		}
	}
	err = cmd.Wait()
	m := measure{name: name, wall: time.Since(start), events: events}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.maxRSS = ru.Maxrss
	}
	if err != nil && !exitCode(err, 4) {
		return m, nil, fmt.Errorf("%s: %v", name, err)
	}
	if err != nil {
		run.Failed["(see stderr)"] = "some rules failed"
	}
	run.CPU = cpuSeconds(cmd.ProcessState)
	return m, run, derr
}

// loadAverage is the machine's one-minute load average (0 if unknown).
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	var l float64
	fmt.Sscan(string(b), &l)
	return l
}

// sigmaInfo compiles the corpus as the runs do and returns, per rule, its
// title and the sources it has a branch for (no detections).
func sigmaInfo(rulesDir string) (*sigmaRun, error) {
	t0 := time.Now()
	compiled, rep, err := sigma.CompileDir([]string{rulesDir}, sigma.Options{})
	if err != nil {
		return nil, err
	}
	info := &sigmaRun{Outcomes: map[string]int{}, Rules: map[string]*sigmaCount{}}
	for _, e := range rep.Entries {
		info.Outcomes[string(e.Outcome)]++
	}
	for _, c := range runnable(compiled) {
		sc := &sigmaCount{Title: c.Doc.Title, File: filepath.Base(c.Doc.File)}
		for _, b := range c.Branches {
			sc.Sources = append(sc.Sources, b.Source)
		}
		info.Rules[c.Rule.ID] = sc
	}
	info.Compiled = len(info.Rules)
	info.Compile = time.Since(t0).Seconds()
	return info, nil
}

// runnable are the compiled rules a run evaluates on their own.
func runnable(compiled []*sigma.Compiled) []*sigma.Compiled {
	var cs []*sigma.Compiled
	for _, c := range compiled {
		if c.Correlation == nil && c.Rule != nil && !c.Internal {
			cs = append(cs, c)
		}
	}
	return cs
}
