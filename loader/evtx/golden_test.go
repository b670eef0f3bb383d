package evtx

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGoldenRenderings: chosen records render to exactly the reviewed XML
// (UPDATE_GOLDEN=1 rewrites testdata/*.xml: review the diff).
func TestGoldenRenderings(t *testing.T) {
	for _, tc := range []struct {
		golden, file string
		record       string
	}{
		// Security 4688 (a process creation) from a real attack recording.
		{"security-4688.xml", "mitre/user-enumeration.evtx", "1101625"},
		// Sysmon event 1 (process creation): GUIDs, hex LogonId, SID.
		{"sysmon-1.xml", "damaged/sysmon.evtx", "1742"},
		// A classic (EventLog) event: a string array repeats <Data>.
		{"system-6009-array.xml", "damaged/system.evtx", "1"},
		// CAPI2: binary XML nested in a substitution, UserData, entity references.
		{"capi2-nested.xml", "damaged/E_Windows_system32_winevt_logs_Microsoft-Windows-CAPI2%4Operational.evtx", "5"},
		// A record written without a template.
		{"no-template.xml", "damaged/issue_201.evtx", "3229"},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			recs, _, _ := decodeFile(t, filepath.Join("../../fixtures/evtx", tc.file))
			got := ""
			for _, r := range recs {
				if r.Ev.RecordID == tc.record {
					got = r.XML + "\n"
					break
				}
			}
			if got == "" {
				t.Fatalf("no record %s in %s", tc.record, tc.file)
			}
			path := filepath.Join("testdata", tc.golden)
			if os.Getenv("UPDATE_GOLDEN") != "" {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (UPDATE_GOLDEN=1 writes it)", err)
			}
			if got != string(want) {
				i := 0
				for i < len(got) && i < len(want) && got[i] == want[i] {
					i++
				}
				t.Errorf("record %s of %s differs from %s at byte %d:\n got  %q\n want %q", tc.record, tc.file, path, i,
					got[max(0, i-60):min(len(got), i+60)], string(want[max(0, i-60):min(len(want), i+60)]))
			}
			if !strings.HasPrefix(got, "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>") {
				t.Errorf("rendering does not start as wevtutil's does: %.80s", got)
			}
		})
	}
}
