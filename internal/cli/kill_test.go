package cli

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"huntsql/internal/gen"
)

// TestKilledLoad kills `huntsql load` with SIGKILL at random moments of a
// multi-file load. Each time, the archive must open and show only committed
// loads; a rerun must then complete the load with every event exactly once.
// HUNTSQL_KILL_ITERATIONS raises the number of kills (default 4).
func TestKilledLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real processes; skipped with -short")
	}
	bin, err := exec.LookPath("huntsql")
	if err != nil {
		t.Fatal(err)
	}
	iterations := 4
	if n, err := strconv.Atoi(os.Getenv("HUNTSQL_KILL_ITERATIONS")); err == nil {
		iterations = n
	}
	inputs := t.TempDir()
	const files, perFile = 3, 15000
	for i := range files {
		f, err := os.Create(filepath.Join(inputs, "part"+strconv.Itoa(i)+".ndjson"))
		if err != nil {
			t.Fatal(err)
		}
		o := gen.DefaultOptions()
		o.Seed = uint64(i + 1)
		if err := gen.ECSProcess(f, perFile, o); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	r := rand.New(rand.NewPCG(1, 2))
	run := func(arch string, args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, append([]string{"--archive", arch}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("huntsql %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	for it := range iterations {
		arch := filepath.Join(t.TempDir(), "archive")
		// A first load that completes: the kill must never touch it.
		run(arch, "load", "-q", filepath.Join(inputs, "part0.ndjson"))
		cmd := exec.Command(bin, "--archive", arch, "load", "-q", "--flush-mb", "2", inputs)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(r.IntN(1500)) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()

		count := run(arch, "query", "--format", "csv", "SELECT count(*) AS n FROM events")
		if count != "n\n15000" && count != "n\n45000" {
			t.Fatalf("kill %d: the archive shows a partial load: %q", it, count)
		}
		run(arch, "load", "-q", inputs)
		got := run(arch, "query", "--format", "csv",
			`SELECT count(*) AS n, count(DISTINCT ("huntsql.source_file", "huntsql.source_offset")) AS distinct_events FROM events`)
		if got != "n,distinct_events\n45000,45000" {
			t.Fatalf("kill %d: after the rerun: %q", it, got)
		}
		strays, _ := filepath.Glob(filepath.Join(arch, "events", "*", ".*.tmp"))
		if len(strays) > 0 {
			t.Errorf("kill %d: temporary files left after a completed load: %v", it, strays)
		}
	}
}
