package winxml

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"huntsql/loader/format/formattest"
	"huntsql/loader/rows"
)

func splitAll(t testing.TB, in string, max int) []rows.Raw {
	sp := NewSplitter(iotest.HalfReader(strings.NewReader(in)), max)
	var out []rows.Raw
	for {
		r, err := sp.Next()
		if err == io.EOF {
			return out
		}
		out = append(out, r)
	}
}

const ev = `<Event><System><TimeCreated SystemTime='2026-03-01T12:00:00Z'/><EventID>1</EventID></System></Event>`

func TestSplitterLimitsAndResync(t *testing.T) {
	big := `<Event><System><TimeCreated SystemTime='2026-03-01T12:00:00Z'/></System><EventData><Data Name='x'>` +
		strings.Repeat("A", 3000) + `</Data></EventData></Event>`
	got := splitAll(t, "<Events>\n"+ev+"\n"+big+"\n"+ev+"\n</Events>\n", 1024)
	if len(got) != 3 || got[0].Reject != "" || !strings.HasPrefix(got[1].Reject, "event larger than 1024 bytes") || got[2].Reject != "" || got[2].Line != 4 {
		for _, r := range got {
			t.Logf("%d@%d %q %.60q", r.Line, r.Offset, r.Reject, r.Data)
		}
		t.Fatal("an oversized event must be rejected and the next one kept")
	}
	if kept := len(got[1].Data); kept > rejectPrefix || (got[1].Size == 0 && kept != len(big)) {
		t.Errorf("oversized event: kept %d bytes, size %d (want %d)", kept, got[1].Size, len(big))
	}
}

func TestNormalizeRejectsHostileXML(t *testing.T) {
	for in, want := range map[string]string{
		`<Event><!DOCTYPE x [<!ENTITY a 'b'>]><System/></Event>`:    "DTD or entity declaration refused",
		`<Event><System><Computer>&a;</Computer></System></Event>`:  "undefined entity &a;",
		`<Event><System><Computer>&#0;</Computer></System></Event>`: "invalid character reference",
		`<Event><System><Computer a=b/></System></Event>`:           "attribute value must be quoted",
		`<Event><System></Event>`:                                   "</Event> closes <System>",
		`<Event>` + strings.Repeat("<a>", 40) + `</Event>`:          "nested deeper than 32",
		"<Event><System><Computer>\xff</Computer></System></Event>": "invalid UTF-8 at byte 25",
		`<Event><System/></Event>`:                                  "missing System/TimeCreated/@SystemTime",
	} {
		got := NewNormalizer().Normalize(&rows.Raw{Data: []byte(in)}, &rows.Source{}, rows.NewBatch(1))
		if !strings.Contains(got, want) {
			t.Errorf("%.50q: got %q, want it to contain %q", in, got, want)
		}
	}
}

// FuzzSplitter: every event is the input's exact bytes at its offset.
func FuzzSplitter(f *testing.F) {
	for _, s := range []string{ev + ev, "<Events>" + ev + "</Events>", "<!DOCTYPE x>" + ev, "<Event><Event></Event>", "x<Event/>y", "</Event>"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		formattest.Splits(t, NewSplitter(bytes.NewReader(in), 512), in, func(r rows.Raw) string {
			if !bytes.HasPrefix(r.Data, eventOpen) || len(r.Data) > 512 {
				return "not an event within the limit"
			}
			return ""
		})
	})
}

// FuzzParseEvent: any input is rejected with a reason or gives one row.
func FuzzParseEvent(f *testing.F) {
	f.Add([]byte(ev))
	f.Add([]byte(`<Event xmlns='x'><System><Provider Name='A'/><TimeCreated SystemTime='2026-03-01T12:00:00.1234567Z'/><EventID Qualifiers='1'>4688</EventID><Channel>Security</Channel></System><EventData><Data Name='NewProcessId'>0x10</Data><Data Name='CommandLine'>a "b\" c</Data><Data/></EventData><!-- c --><RenderingInfo><Message><![CDATA[m]]></Message></RenderingInfo></Event>`))
	n := NewNormalizer()
	f.Fuzz(func(t *testing.T, in []byte) {
		b := rows.NewBatch(1)
		reason := n.Normalize(&rows.Raw{Data: in}, &rows.Source{}, b)
		if (reason == "") != (b.Len == 1) {
			t.Fatalf("reason %q with %d rows", reason, b.Len)
		}
	})
}
