package auditd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"huntsql/internal/golden"
	"huntsql/loader/format"
	"huntsql/loader/format/formattest"
	"huntsql/loader/rows"
)

const fixtures = "../../fixtures/auditd"

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// render renders rows and rejects for a golden file; event.original is
// checked against the input instead (it is the event's lines, exactly).
func render(t testing.TB, l formattest.Loaded, in []byte) []byte {
	return l.Golden(t, func(i int, off int64, orig string) {
		// The event's first line is at its offset; its other lines are lines
		// of the input (they may interleave with other events').
		lines := strings.Split(orig, "\n")
		if !bytes.HasPrefix(in[off:], []byte(lines[0])) {
			t.Errorf("row %d: event.original does not start with the input's line at offset %d", i, off)
		}
		for _, l := range lines[1:] {
			if !bytes.Contains(in, []byte("\n"+l)) {
				t.Errorf("row %d: line %.60q is not a line of the input", i, l)
			}
		}
	})
}

func TestFixturesGolden(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(fixtures, "*.log"))
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			in := readFixture(t, name)
			if Sniff(in) != format.Certain {
				t.Fatalf("Sniff(%s) is not Certain", name)
			}
			got := formattest.Load(t, Format, in, format.Options{})
			golden.Check(t, filepath.Join("testdata", "golden", name), render(t, got, in))
		})
	}
}

func TestSniff(t *testing.T) {
	for _, in := range []string{
		"", "{\"a\":1}\n", "<Event/>\n", "01/15/2024 10:22:33 AM\nLogName=Security\n",
		"type=SYSCALL msg=audit(x): a=1\n", "hello\ntype=EOE msg=audit(1.2:3): \n",
		"type=EOE msg=audit(1.2:3): \nnot audit\nnot audit\nnot audit\n",
	} {
		if got := Sniff([]byte(in)); got != format.No {
			t.Errorf("Sniff(%q) = %d, want No", in, got)
		}
	}
	if in := "----\ntime->Sun Mar  1 12:00:00 2026\ntype=EOE msg=audit(1.2:3): \n"; Sniff([]byte(in)) != format.Certain {
		t.Errorf("Sniff(%q) is not Certain: ausearch's separators are no data", in)
	}
}

// An execve event maps to the process start auditbeat would report.
func TestExecEvent(t *testing.T) {
	got := formattest.Load(t, Format, readFixture(t, "exec-raw.log"), format.Options{})
	byPID := map[int64]map[string]any{}
	for _, r := range got.Rows {
		if pid, ok := r["process.pid"].(int64); ok {
			byPID[pid] = r
		}
	}
	want := map[int64]map[string]any{
		4188: {"file.path": nil, "@timestamp": "2026-03-01T12:00:00.12Z", "event.action": "executed", "event.category": []any{"process"}, "event.type": []any{"start"},
			"event.outcome": "success", "event.sequence": int64(100), "process.parent.pid": int64(4121), "process.name": "python3",
			"process.executable": "/usr/bin/python3.11", "process.args": []any{"python3", "-c", "import os; os.system('bash -c id')"},
			"process.args_count": int64(3), "process.command_line": "python3 -c import os; os.system('bash -c id')",
			"process.working_directory": "/home/alice/app", "process.title": "python3 -c import os; os.system('bash -c id')",
			"user.id": "1000", "tags": []any{"exec"}, "host.os.type": "linux", "event.dataset": "auditd.log", "event.module": "auditd"},
		4190: {"process.parent.pid": int64(4188), "process.args": []any{"bash", "-c", "id"}, "user.id": "1000", "user.effective.id": "0",
			"process.working_directory": "/home/alice/my app", "process.title": "bash -c id"},
		4200: {"process.args": []any{"echo", strings.Repeat("A", 60) + " " + strings.Repeat("B", 60)}, "process.args_count": int64(2)},
		4201: {"event.action": "executed", "event.outcome": "failure", "process.args": nil, "process.title": "bash"},
		4202: {"event.action": "syscall", "event.category": nil, "event.outcome": "failure", "process.name": "cat", "tags": []any{"shadow"},
			"file.path": "/etc/shadow"},
	}
	for pid, fields := range want {
		for name, v := range fields {
			g, _ := json.Marshal(byPID[pid][name])
			w, _ := json.Marshal(v)
			if !bytes.Equal(g, w) {
				t.Errorf("pid %d %s = %s, want %s", pid, name, g, w)
			}
		}
	}
}

// connect and accept give the peer's address from SOCKADDR.
func TestSocketAddresses(t *testing.T) {
	got := formattest.Load(t, Format, readFixture(t, "network.log"), format.Options{})
	want := []map[string]any{
		{"process.name": "curl", "destination.ip": "203.0.113.80", "destination.port": int64(443), "network.type": "ipv4", "source.ip": nil},
		{"process.name": "sshd", "source.ip": "198.51.100.23", "source.port": int64(50514), "network.type": "ipv4", "destination.ip": nil},
		{"process.name": "ssh", "destination.ip": "2001:db8::22", "destination.port": int64(22), "network.type": "ipv6"},
	}
	if len(got.Rows) != len(want) {
		t.Fatalf("%d rows, rejects %v", len(got.Rows), got.Rejects)
	}
	for i, fields := range want {
		for name, v := range fields {
			g, _ := json.Marshal(got.Rows[i][name])
			w, _ := json.Marshal(v)
			if !bytes.Equal(g, w) {
				t.Errorf("row %d %s = %s, want %s", i, name, g, w)
			}
		}
	}
}

// Two hosts forwarding to one log may share a stamp: node= keeps them apart.
func TestNodesAreSeparateEvents(t *testing.T) {
	got := formattest.Load(t, Format, readFixture(t, "remote-node.log"), format.Options{})
	if len(got.Rows) != 2 || len(got.Rejects) != 0 {
		t.Fatalf("%d rows, rejects %v", len(got.Rows), got.Rejects)
	}
	for i, want := range [][2]string{{"web-01", "whoami"}, {"db-02", "uptime"}} {
		if got.Rows[i]["host.name"] != want[0] || got.Rows[i]["process.name"] != want[1] {
			t.Errorf("row %d: host %v process %v, want %v", i, got.Rows[i]["host.name"], got.Rows[i]["process.name"], want)
		}
	}
}

func TestRejectReasons(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"type=SYSCALL msg=audit(1772366400.120:100) arch=c000003e\n", "auditd line is not [node=NAME ]type=TYPE msg=audit(SECONDS.MILLIS:SERIAL): …"},
		{"type=SYSCALL msg=audit(99999999999999999999.1:1): a=1\n", "auditd line is not"},
		{"type=SYSCALL msg=audit(1.1:1): comm=\"\xff\"\n", "not valid UTF-8 at byte"},
		{"type=SYSCALL msg=audit(1.1:1): " + strings.Repeat("a=1 ", 200) + "\ntype=PATH msg=audit(1.1:1): " + strings.Repeat("b=2 ", 200) + "\n", "auditd event larger than 1024 bytes"},
		{"type=SYSCALL msg=audit(1.1:1): " + strings.Repeat("a=1 ", 300) + "\n", "auditd line larger than 1024 bytes (1232 bytes)"},
	} {
		sp := NewSplitter(strings.NewReader(tc.in), 1024)
		n := NewNormalizer()
		var reasons []string
		for {
			raw, err := sp.Next()
			if err == io.EOF {
				break
			}
			reason := raw.Reject
			if reason == "" {
				reason = n.Normalize(&raw, &rows.Source{}, rows.NewBatch(1))
			}
			if reason != "" {
				reasons = append(reasons, reason)
			}
		}
		if len(reasons) != 1 || !strings.Contains(reasons[0], tc.want) {
			t.Errorf("%.50q: rejects %q, want one containing %q", tc.in, reasons, tc.want)
		}
	}
}

// Events are cut when their EOE arrives, when they are user-space messages,
// or after LookAhead lines; memory stays bounded however the lines interleave.
func TestSplitterBoundsAndOrder(t *testing.T) {
	var in strings.Builder
	// Event 1 has no EOE: it stays open until LookAhead lines have passed.
	fmt.Fprintf(&in, "type=SYSCALL msg=audit(1.000:1): syscall=59 pid=1\n")
	for i := 2; i < LookAhead+10; i++ {
		fmt.Fprintf(&in, "type=SYSCALL msg=audit(1.000:%d): syscall=1 pid=%d\ntype=EOE msg=audit(1.000:%d): \n", i, i, i)
	}
	// A late line of event 1, after the look-ahead: an event of its own.
	fmt.Fprintf(&in, "type=PATH msg=audit(1.000:1): item=0 name=\"/x\"\n")
	sp := NewSplitter(strings.NewReader(in.String()), 0)
	var got []rows.Raw
	maxQueue := 0
	for {
		r, err := sp.Next()
		if err == io.EOF {
			break
		}
		maxQueue = max(maxQueue, len(sp.queue))
		got = append(got, r)
	}
	if len(got) != LookAhead+10 || !strings.HasPrefix(string(got[0].Data), "type=SYSCALL msg=audit(1.000:1)") || bytes.Contains(got[0].Data, []byte("PATH")) {
		t.Fatalf("%d events; first %.60q", len(got), got[0].Data)
	}
	if last := got[len(got)-1]; !strings.HasPrefix(string(last.Data), "type=PATH msg=audit(1.000:1)") {
		t.Errorf("last event %.60q, want the late PATH line alone", last.Data)
	}
	if maxQueue > maxQueued+1 {
		t.Errorf("queue grew to %d events", maxQueue)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Offset <= got[i-1].Offset {
			t.Fatalf("events out of input order at %d", i)
		}
	}
}

// FuzzSplitter: every event's lines are lines of the input, its first at its
// offset and line; events come in the order of their first line.
func FuzzSplitter(f *testing.F) {
	for _, name := range []string{"exec-raw.log", "enriched.log", "remote-node.log"} {
		f.Add(readFixture(f, name))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		sp := NewSplitter(bytes.NewReader(in), 512)
		last := int64(-1)
		for n := 0; ; n++ {
			r, err := sp.Next()
			if err == io.EOF {
				return
			}
			if n > len(in)+1 || r.Offset <= last || r.Offset > int64(len(in)) {
				t.Fatalf("event %d at offset %d after %d", n, r.Offset, last)
			}
			last = r.Offset
			if want := int64(bytes.Count(in[:r.Offset], []byte{'\n'})) + 1; r.Line != want {
				t.Fatalf("line %d, want %d", r.Line, want)
			}
			if r.Size != 0 {
				continue
			}
			lines := bytes.Split(r.Data, []byte("\n"))
			if !bytes.HasPrefix(in[r.Offset:], lines[0]) {
				t.Fatalf("event at %d does not start with the input's line", r.Offset)
			}
			for _, l := range lines[1:] {
				if !bytes.Contains(in, l) {
					t.Fatalf("event line %q is not in the input", l)
				}
			}
		}
	})
}

// FuzzParse: any event is rejected with a reason or gives one row.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"exec-raw.log", "enriched.log"} {
		f.Add(readFixture(f, name))
	}
	f.Add([]byte("type=EXECVE msg=audit(1.1:1): argc=3 a0=\"x\" a1_len=4 a1[0]=4142 a1[1]=\"CD\" a2=(null)"))
	n := NewNormalizer()
	f.Fuzz(func(t *testing.T, in []byte) {
		b := rows.NewBatch(1)
		reason := n.Normalize(&rows.Raw{Data: in}, &rows.Source{}, b)
		if (reason == "") != (b.Len == 1) {
			t.Fatalf("reason %q with %d rows", reason, b.Len)
		}
	})
}
