package cli

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const runawayRule = `[rule]
id = "runaway"
name = "Never ends"
description = "Counts to a trillion."
severity = "low"
risk_score = 1
query = "SELECT count(*) AS n FROM range(1000000000000)"
`

// TestInterruptedRun stops a run in the middle of a rule that would never end
// (no --rule-timeout) with SIGINT (Ctrl-C) and with SIGTERM: the query is
// interrupted, huntsql says so in one line, writes no detection, exits 1.
func TestInterruptedRun(t *testing.T) {
	bin, err := exec.LookPath("huntsql")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	arch := filepath.Join(dir, "archive")
	mustHuntsql(t, "load", "-q", "--archive", arch, "../../fixtures/demo")
	rules := filepath.Join(dir, "rules")
	os.Mkdir(rules, 0o700)
	os.WriteFile(filepath.Join(rules, "runaway.toml"), []byte(runawayRule), 0o600)
	out := filepath.Join(dir, "detections.ndjson")

	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(bin, "run", "--archive", arch, "--rules", rules, "--rule-timeout", "0", "-o", out)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			// The runaway rule is running once the process has burnt a second
			// of CPU: opening the archive and the other rules take far less.
			waitCPU(t, cmd.Process.Pid, time.Second, done)
			sent := time.Now()
			cmd.Process.Signal(sig)
			var err error
			select {
			case err = <-done:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("still running 20s after %v", sig)
			}
			t.Logf("stopped %.2fs after %v", time.Since(sent).Seconds(), sig)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Errorf("exit: %v, want code 1", err)
			}
			want := "huntsql: interrupted: the command stopped before its end; nothing was written or committed\n"
			if stderr.String() != want || stdout.Len() != 0 {
				t.Errorf("stdout %q\nstderr %q\nwant stderr %q", stdout.String(), stderr.String(), want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("an interrupted run wrote %s", out)
			}
		})
	}
}

// waitCPU waits until process pid has used at least d of CPU time.
func waitCPU(t *testing.T, pid int, d time.Duration, done chan error) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("the run ended before it was interrupted: %v", err)
		default:
		}
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			t.Skipf("SKIPPED: no /proc to see the rule running: %v", err)
		}
		// Fields after the command name: utime and stime are the 12th and 13th.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		utime, _ := strconv.Atoi(f[11])
		stime, _ := strconv.Atoi(f[12])
		if time.Duration(utime+stime)*time.Second/100 >= d { // clock ticks: 100 a second on Linux
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the runaway rule never used a second of CPU")
}
