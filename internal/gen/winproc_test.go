package gen_test

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"huntsql/internal/gen"
	"huntsql/loader/rows"
	"huntsql/loader/winevent"
	"huntsql/loader/winxml"
)

// events generates n events with the Sigma plants and decodes them through
// the loader's Windows XML route, failing on any event the loader rejects.
func events(t *testing.T, n int, plants []gen.Plant) ([]winevent.Event, []gen.Planted, []byte) {
	t.Helper()
	var buf bytes.Buffer
	o := gen.WinProcOptions{Options: gen.DefaultOptions(), Plants: plants, Repeat: 1}
	planted, err := gen.WindowsProcess(&buf, n, o)
	if err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	sp, norm := winxml.NewSplitter(bytes.NewReader(data), 0), winxml.NewNormalizer()
	b := rows.NewBatch(1024)
	src := &rows.Source{File: "winproc.xml"}
	var out []winevent.Event
	for {
		raw, err := sp.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if reason := raw.Reject + norm.Normalize(&raw, src, b); reason != "" {
			t.Fatalf("line %d rejected by the loader: %s\n%s", raw.Line, reason, raw.Data)
		}
		var ev winevent.Event
		if err := norm.Parse(raw.Text(), &ev); err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
		if b.Len == 1024 {
			b = rows.NewBatch(1024)
		}
	}
	return out, planted, data
}

func TestWindowsProcessLoads(t *testing.T) {
	const n = 5000
	evs, planted, _ := events(t, n, gen.SigmaPlants)
	if len(evs) != n {
		t.Fatalf("decoded %d events, want %d", len(evs), n)
	}
	sysmon, security := 0, 0
	hosts := map[string]bool{}
	var last time.Time
	for i, ev := range evs {
		switch {
		case ev.Channel == "Microsoft-Windows-Sysmon/Operational" && ev.EventID == "1":
			sysmon++
			for _, f := range []string{"Image", "CommandLine", "ParentImage", "User", "IntegrityLevel", "Hashes", "OriginalFileName", "ProcessGuid"} {
				if ev.Get(f) == "" {
					t.Fatalf("event %d: Sysmon 1 without %s", i, f)
				}
			}
		case ev.Channel == "Security" && ev.EventID == "4688":
			security++
			for _, f := range []string{"NewProcessName", "CommandLine", "ParentProcessName", "SubjectUserName", "MandatoryLabel", "NewProcessId"} {
				if ev.Get(f) == "" {
					t.Fatalf("event %d: 4688 without %s", i, f)
				}
			}
		default:
			t.Fatalf("event %d: channel %q event %s", i, ev.Channel, ev.EventID)
		}
		hosts[ev.Computer] = true
		ts, err := time.Parse(time.RFC3339Nano, ev.TimeCreated)
		if err != nil {
			t.Fatal(err)
		}
		if !ts.After(last) {
			t.Fatalf("event %d: time %s not after %s", i, ts, last)
		}
		last = ts
	}
	if sysmon < n*4/10 || security < n*4/10 {
		t.Errorf("%d Sysmon 1 and %d 4688 events: want about half each", sysmon, security)
	}
	if len(hosts) < 20 {
		t.Errorf("%d hosts, want the 50 of DefaultOptions", len(hosts))
	}

	// Every plant is written once as Sysmon 1 and once as 4688, with its
	// command line intact, at the host and time the generator reports.
	if len(planted) != 2*len(gen.SigmaPlants) {
		t.Fatalf("%d planted events, want %d", len(planted), 2*len(gen.SigmaPlants))
	}
	byKey := map[string]winevent.Event{}
	for _, ev := range evs {
		ts, _ := time.Parse(time.RFC3339Nano, ev.TimeCreated)
		byKey[ev.Computer+ts.UTC().String()] = ev
	}
	cmdOf := map[string]string{}
	for _, p := range gen.SigmaPlants {
		cmdOf[p.Rule] = p.CommandLine
	}
	perRule := map[string]map[string]int{}
	for _, p := range planted {
		ev, ok := byKey[p.Host+p.Time.UTC().String()]
		if !ok {
			t.Fatalf("planted event for %s (%s at %s) not found", p.Rule, p.Host, p.Time)
		}
		if got := ev.Get("CommandLine"); got != cmdOf[p.Rule] {
			t.Errorf("planted event for %s: CommandLine %q, want %q", p.Rule, got, cmdOf[p.Rule])
		}
		if perRule[p.Rule] == nil {
			perRule[p.Rule] = map[string]int{}
		}
		perRule[p.Rule][p.Source]++
	}
	for rule, by := range perRule {
		if by[gen.SourceSysmon] != 1 || by[gen.SourceSecurity] != 1 {
			t.Errorf("rule %s planted %v, want once in each log", rule, by)
		}
	}
}

func TestWindowsProcessDeterministic(t *testing.T) {
	_, _, a := events(t, 2000, gen.SigmaPlants)
	_, _, b := events(t, 2000, gen.SigmaPlants)
	if !bytes.Equal(a, b) {
		t.Fatal("two runs with the same options differ")
	}
}

func TestWindowsProcessBenignOnly(t *testing.T) {
	evs, planted, data := events(t, 3000, nil)
	if len(planted) != 0 {
		t.Fatalf("%d planted events without plants", len(planted))
	}
	for _, p := range gen.SigmaPlants {
		if bytes.Contains(data, []byte(xmlText(p.CommandLine))) {
			t.Errorf("benign events contain the planted command line of %s", p.Rule)
		}
	}
	if len(evs) != 3000 {
		t.Fatalf("%d events", len(evs))
	}
}

func TestWindowsProcessTooManyPlants(t *testing.T) {
	o := gen.WinProcOptions{Options: gen.DefaultOptions(), Plants: gen.SigmaPlants, Repeat: 1}
	if _, err := gen.WindowsProcess(io.Discard, len(gen.SigmaPlants), o); err == nil || !strings.Contains(err.Error(), "cannot hold") {
		t.Fatalf("err = %v, want a refusal naming the plants that do not fit", err)
	}
}

func xmlText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s)
}
