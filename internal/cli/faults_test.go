package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"huntsql/internal/gen"
)

// huntsql runs the huntsql command (this test binary, as testscript installs
// it) and returns its output, exit code and peak RSS in KiB.
func huntsql(t *testing.T, args ...string) (stdout, stderr string, code int, rssKiB int64) {
	t.Helper()
	bin, err := exec.LookPath("huntsql")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rssKiB = ru.Maxrss
	}
	return out.String(), errOut.String(), code, rssKiB
}

func mustHuntsql(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code, _ := huntsql(t, args...)
	if code != 0 {
		t.Fatalf("huntsql %v: exit %d\n%s%s", args, code, out, errOut)
	}
	return out
}

func count(t *testing.T, arch string) string {
	t.Helper()
	return strings.TrimSpace(mustHuntsql(t, "query", "--archive", arch, "--format", "csv", "SELECT count(*) AS n FROM events"))
}

// tmpfs mounts a small file system, or skips the test saying why.
func tmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("SKIPPED: cannot mount a tmpfs to simulate the fault (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

func genInput(t *testing.T, dir string, n int) string {
	t.Helper()
	p := filepath.Join(dir, fmt.Sprintf("gen-%d.ndjson", n))
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := gen.ECSProcess(f, n, gen.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	return p
}

// waitLocked waits until a load holds the archive's writer lock: the signal
// that the load has begun, instead of a guess at how long that takes. It
// reads /proc/locks rather than probing the lock, which could make the load
// itself find it taken.
func waitLocked(t *testing.T, arch string, done chan error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			done <- err // for the caller
			t.Fatal("the load ended before it was seen holding the lock")
		default:
		}
		var st syscall.Stat_t
		if syscall.Stat(filepath.Join(arch, ".lock"), &st) == nil {
			locks, err := os.ReadFile("/proc/locks")
			if err != nil {
				t.Fatalf("read /proc/locks to see the load's lock: %v", err)
			}
			for _, line := range strings.Split(string(locks), "\n") {
				if f := strings.Fields(line); len(f) > 5 && f[1] == "FLOCK" && strings.HasSuffix(f[5], ":"+strconv.FormatUint(st.Ino, 10)) {
					return
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the load never took the archive's lock")
}

func TestDiskFull(t *testing.T) {
	disk := tmpfs(t, "3m")
	arch := filepath.Join(disk, "archive")
	mustHuntsql(t, "load", "-q", "--archive", arch, "../../fixtures/demo")
	manifest, _ := os.ReadFile(filepath.Join(arch, "manifest.json"))
	big := genInput(t, t.TempDir(), 20000) // ~28 MB of events: does not fit

	_, errOut, code, _ := huntsql(t, "load", "--archive", arch, big)
	if code != 1 || !strings.Contains(errOut, "no space left on device: free space on the archive's disk and run the load again") {
		t.Fatalf("disk full: exit %d, stderr:\n%s", code, errOut)
	}
	after, _ := os.ReadFile(filepath.Join(arch, "manifest.json"))
	if !bytes.Equal(manifest, after) || count(t, arch) != "n\n22" {
		t.Fatal("a load that ran out of space changed the archive")
	}
	mustHuntsql(t, "run", "-q", "--archive", arch)
}

func TestReadOnlyArchive(t *testing.T) {
	disk := tmpfs(t, "16m")
	arch := filepath.Join(disk, "archive")
	mustHuntsql(t, "load", "-q", "--archive", arch, "../../fixtures/demo")
	if out, err := exec.Command("mount", "-o", "remount,ro", disk).CombinedOutput(); err != nil {
		t.Skipf("SKIPPED: cannot remount read-only: %v %s", err, out)
	}
	_, errOut, code, _ := huntsql(t, "load", "--archive", arch, "../../fixtures/ecs/defend-nested.ndjson")
	if code != 1 || !strings.Contains(errOut, "cannot write to the archive") ||
		!strings.Contains(errOut, "read-only file system (it can still be queried and hunted") {
		t.Fatalf("read-only archive: exit %d, stderr:\n%s", code, errOut)
	}
	// Reading, hunting and querying a read-only archive all work.
	if count(t, arch) != "n\n22" {
		t.Fatal("the archive changed")
	}
	if out := mustHuntsql(t, "run", "-q", "--archive", arch); strings.Count(out, "\n") != 2 {
		t.Errorf("run over a read-only archive:\n%s", out)
	}
}

func TestConcurrentLoadsAndReaders(t *testing.T) {
	arch := filepath.Join(t.TempDir(), "archive")
	mustHuntsql(t, "load", "-q", "--archive", arch, "../../fixtures/demo")
	big := genInput(t, t.TempDir(), 60000)
	bin, _ := exec.LookPath("huntsql")
	first := exec.Command(bin, "load", "-q", "--flush-mb", "4", "--archive", arch, big)
	var firstErr bytes.Buffer
	first.Stderr = &firstErr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- first.Wait() }()

	// A second load while the first holds the lock fails at once, clearly.
	waitLocked(t, arch, done)
	_, errOut, code, _ := huntsql(t, "load", "--archive", arch, "../../fixtures/ecs/defend-nested.ndjson")
	if code != 1 || !strings.Contains(errOut, "archive is locked by another huntsql load") {
		t.Errorf("second load: exit %d, stderr:\n%s", code, errOut)
	}
	// Readers see a consistent snapshot: before the load or after it, never between.
	seen := map[string]bool{}
	during := 0 // reads that ended while the load still ran
	for finished := false; !finished; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("first load: %v\n%s", err, firstErr.String())
			}
			finished = true
		default:
			if len(seen) > 0 || during > 0 {
				during++ // the previous read ended before the load did
			}
		}
		out, errOut, code, _ := huntsql(t, "query", "--archive", arch, "--format", "csv", "SELECT count(*) AS n FROM events")
		if code != 0 {
			t.Fatalf("query during a load: exit %d\n%s", code, errOut)
		}
		n := strings.TrimSpace(strings.TrimPrefix(out, "n\n"))
		if n != "22" && n != strconv.Itoa(22+60000) {
			t.Fatalf("query during a load saw %s events: neither before (22) nor after (60022)", n)
		}
		seen[n] = true
		if _, errOut, code, _ := huntsql(t, "run", "-q", "--archive", arch, "--rule", "6178.6732"); code != 0 {
			t.Fatalf("run during a load: exit %d\n%s", code, errOut)
		}
	}
	// during counts the loop's reads that the load outlived, the last one aside.
	if during < 1 {
		t.Fatalf("no read ended while the load ran (seen %v): the test proved nothing; make its input larger", seen)
	}
	t.Logf("%d reads during the load; snapshots seen: %v", during, seen)
	if count(t, arch) != "n\n60022" {
		t.Errorf("after the load: %s", count(t, arch))
	}
}
