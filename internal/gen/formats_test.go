package gen_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"huntsql/internal/archive"
	"huntsql/internal/engine"
	"huntsql/internal/gen"
	"huntsql/loader"
)

// loadOne loads path into a new archive and returns the input's manifest
// entry, failing on any rejected record.
func loadOne(t *testing.T, path string) archive.Input {
	t.Helper()
	ctx := context.Background()
	a, err := archive.Open(filepath.Join(t.TempDir(), "archive"))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.Open(ctx, engine.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	var problems []string
	sum, err := loader.Load(ctx, loader.Options{Archive: a, Engine: eng, Inputs: []string{path}, Workers: 1,
		OnProblem: func(p loader.Problem) {
			if len(problems) < 3 {
				problems = append(problems, p.String())
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Inputs) != 1 {
		t.Fatalf("%s: %d inputs in the summary", path, len(sum.Inputs))
	}
	if sum.Rejected != 0 {
		t.Fatalf("%s: %d records rejected, first: %s", path, sum.Rejected, strings.Join(problems, "; "))
	}
	return sum.Inputs[0]
}

func write(t *testing.T, name string, fn func(f *os.File) error) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := fn(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// Every shape is sniffed as its format and loads every event with a host
// and a kind: none rejected, none unmapped, the same count as the XML.
func TestWindowsShapesLoad(t *testing.T) {
	const n = 3000
	o := gen.WinProcOptions{Options: gen.DefaultOptions(), Plants: gen.SigmaPlants, Repeat: 1}
	want := map[string]string{
		gen.ShapeEVTXJSON: "evtx-json", gen.ShapeEVTXJSONL: "evtx-json", gen.ShapeWinlogbeat: "winlogbeat-json",
		gen.ShapeFlatJSON: "windows-flat-json", gen.ShapeSplunk: "splunk-wineventlog",
	}
	for _, shape := range gen.WindowsShapes {
		t.Run(shape, func(t *testing.T) {
			path := write(t, "events", func(f *os.File) error { return gen.WindowsProcessAs(f, shape, n, o) })
			in := loadOne(t, path)
			if in.Format != want[shape] {
				t.Errorf("sniffed as %q, want %q", in.Format, want[shape])
			}
			if in.Records != n || in.Archived != n || in.Unmapped != 0 || in.Duplicates != 0 {
				t.Errorf("records %d, archived %d, unmapped %d, duplicates %d: want %d, %d, 0, 0",
					in.Records, in.Archived, in.Unmapped, in.Duplicates, n, n)
			}
		})
	}
	if err := gen.WindowsProcessAs(&bytes.Buffer{}, "xml", 10, o); err == nil || !strings.Contains(err.Error(), "evtx-json") {
		t.Errorf("unknown shape: err = %v, want the list of shapes", err)
	}
}

func TestWindowsShapesDeterministic(t *testing.T) {
	o := gen.WinProcOptions{Options: gen.DefaultOptions()}
	for _, shape := range gen.WindowsShapes {
		var a, b bytes.Buffer
		if err := gen.WindowsProcessAs(&a, shape, 500, o); err != nil {
			t.Fatal(err)
		}
		if err := gen.WindowsProcessAs(&b, shape, 500, o); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s: two runs differ", shape)
		}
	}
}

func TestAuditExecLoads(t *testing.T) {
	const n = 3000
	path := write(t, "audit.log", func(f *os.File) error { return gen.AuditExec(f, n, gen.DefaultOptions()) })
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Some arguments are hex (they hold blanks), some events interleave.
	if !bytes.Contains(data, []byte(` a2=67726570`)) { // "grep …"
		t.Error("no hex-encoded argument")
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	interleaved := 0
	for i := 1; i < len(lines); i++ {
		if strings.Contains(lines[i], "type=SYSCALL") && !strings.Contains(lines[i-1], "type=EOE") {
			interleaved++
		}
	}
	if interleaved < n/20 {
		t.Errorf("%d of %d events start before the previous one ended, want about one in eight", interleaved, n)
	}
	in := loadOne(t, path)
	if in.Format != "auditd" {
		t.Errorf("sniffed as %q, want auditd", in.Format)
	}
	if in.Records != n || in.Archived != n || in.Unmapped != 0 {
		t.Errorf("records %d, archived %d, unmapped %d: want %d, %d, 0", in.Records, in.Archived, in.Unmapped, n, n)
	}
	var again bytes.Buffer
	if err := gen.AuditExec(&again, n, gen.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), data) {
		t.Error("two runs differ")
	}
}
