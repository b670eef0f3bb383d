package loader

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Two exports that share events archive each event once, whichever route
// gives the identity: the record text (pretty or compact), _id, or the
// Windows record id with host and channel.
func TestDuplicateEventsAcrossExports(t *testing.T) {
	src := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(src, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ev := func(sec int, cmd string) string {
		return `{"@timestamp":"2026-03-01T12:00:0` + string(rune('0'+sec)) + `Z","host":{"name":"h1"},"event":{"category":["process"]},"process":{"command_line":"` + cmd + `"}}`
	}
	// The same three events as NDJSON and as a pretty JSON array; the array
	// has a fourth, new event.
	nd := write("a.ndjson", ev(1, "id")+"\n"+ev(2, "whoami")+"\n"+ev(3, "ls")+"\n")
	arr := write("b.json", "[\n  "+strings.Join([]string{
		strings.ReplaceAll(ev(1, "id"), ",", ",\n    "), ev(2, "whoami"), ev(3, "ls"), ev(4, "uname -a")}, ",\n  ")+"\n]\n")

	dir := t.TempDir()
	res := mustLoad(t, dir, nd)
	if res.sum.Archived != 3 || res.sum.Duplicates != 0 {
		t.Fatalf("first export: %+v", res.sum)
	}
	res = mustLoad(t, dir, arr)
	if res.sum.Records != 4 || res.sum.Archived != 1 || res.sum.Duplicates != 3 {
		t.Fatalf("overlapping export: want 4 read = 1 archived + 3 duplicates, got %+v", res.sum)
	}
	if got := query(t, dir, `SELECT count(*) AS n FROM events`); got != `{"n":4}`+"\n" {
		t.Errorf("archive holds %s, want 4 events", got)
	}
	if in := res.sum.Inputs; len(in) != 1 || in[0].Duplicates != 3 {
		t.Errorf("per-input duplicates: %+v", in)
	}

	// Both at once, into a new archive: duplicates within one load too.
	dir2 := t.TempDir()
	res = mustLoad(t, dir2, nd, arr)
	if res.sum.Archived != 4 || res.sum.Duplicates != 3 {
		t.Errorf("one load of both exports: %+v", res.sum)
	}

	// --keep-duplicates archives every event.
	dir3 := t.TempDir()
	mustLoad(t, dir3, nd)
	res = mustLoadWith(t, dir3, Options{KeepDuplicates: true}, arr)
	if res.sum.Archived != 4 || res.sum.Duplicates != 0 {
		t.Errorf("--keep-duplicates: %+v", res.sum)
	}

	// A forced reload replaces the input's rows: they are not duplicates of
	// themselves.
	res, err := loadInto(t, dir, true, "", nd)
	if err != nil || res.sum.Archived != 3 || res.sum.Duplicates != 0 {
		t.Errorf("--force reload: %v %+v", err, res.sum)
	}
	if got := query(t, dir, `SELECT count(*) AS n FROM events`); got != `{"n":4}`+"\n" {
		t.Errorf("after --force, archive holds %s, want 4 events", got)
	}
}

func TestDuplicateWindowsEventsByRecordID(t *testing.T) {
	ev := func(rec, extra string) string {
		return `<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Security-Auditing"/>` +
			`<EventID>4688</EventID><TimeCreated SystemTime="2026-03-01T12:00:00.000Z"/><EventRecordID>` + rec + `</EventRecordID>` +
			`<Channel>Security</Channel><Computer>WS1</Computer></System><EventData><Data Name="NewProcessName">C:\x.exe</Data>` + extra + `</EventData></Event>` + "\n"
	}
	src := t.TempDir()
	a := filepath.Join(src, "a.xml")
	b := filepath.Join(src, "b.xml")
	os.WriteFile(a, []byte(ev("1", "")+ev("2", "")), 0o600)
	// The second export renders event 2 differently (another tool, extra
	// whitespace) and adds event 3: record id, host and channel identify it.
	os.WriteFile(b, []byte(ev("2", " ")+ev("3", "")), 0o600)
	dir := t.TempDir()
	mustLoad(t, dir, a)
	res := mustLoad(t, dir, b)
	if res.sum.Archived != 1 || res.sum.Duplicates != 1 {
		t.Errorf("overlapping Windows exports: %+v", res.sum)
	}
}

// Events that come out without a host or any kind are archived, but counted,
// per input, and marked, so that "0 detections" never hides them.
func TestUnmappedEventsAreCounted(t *testing.T) {
	p := filepath.Join(t.TempDir(), "flat.ndjson")
	os.WriteFile(p, []byte(`{"@timestamp":"2026-03-01T12:00:00Z","SomeField":"x"}`+"\n"+
		`{"@timestamp":"2026-03-01T12:00:01Z","event":{"code":"1"}}`+"\n"+
		`{"@timestamp":"2026-03-01T12:00:02Z","event":{"code":"1"},"host":{"name":"h"}}`+"\n"), 0o600)
	dir := t.TempDir()
	res := mustLoad(t, dir, p)
	if res.sum.Archived != 3 || res.sum.Unmapped != 2 || res.sum.Inputs[0].Unmapped != 2 {
		t.Fatalf("want 3 archived of which 2 unmapped: %+v", res.sum)
	}
	// Loaded again as another file, they are duplicates, not unmapped events.
	again := filepath.Join(t.TempDir(), "again.ndjson")
	data, _ := os.ReadFile(p)
	os.WriteFile(again, append(data, '\n'), 0o600)
	if res := mustLoad(t, dir, again); res.sum.Duplicates != 3 || res.sum.Unmapped != 0 {
		t.Errorf("a duplicate is not counted as unmapped: %+v", res.sum)
	}
	got := query(t, dir, `SELECT "huntsql.warnings" AS w FROM events ORDER BY "@timestamp"`)
	want := `{"w":["` + UnmappedNoKind + `"]}` + "\n" + `{"w":["` + UnmappedNoHost + `"]}` + "\n" + `{"w":null}` + "\n"
	if got != want {
		t.Errorf("warnings:\n%s\nwant\n%s", got, want)
	}
}
