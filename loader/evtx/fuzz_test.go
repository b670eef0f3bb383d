package evtx

import (
	"os"
	"strings"
	"testing"

	"huntsql/loader/format"
	"huntsql/loader/winevent"
	"huntsql/loader/winxml"
)

// FuzzChunk: any bytes as a chunk never crash or hang the decoder; every
// reject has a reason and no internal error; every record kept renders to
// XML that the XML route parses into the very Event filled directly.
func FuzzChunk(f *testing.F) {
	for _, name := range []string{"damaged/security.evtx", "damaged/sysmon.evtx", "damaged/E_Windows_system32_winevt_logs_Microsoft-Windows-CAPI2%4Operational.evtx", "damaged/issue_201.evtx", "damaged/system.evtx"} {
		b, err := os.ReadFile("../../fixtures/evtx/" + name)
		if err != nil {
			f.Fatal(err)
		}
		// The first records of a chunk (whole 64 KiB chunks make the fuzzing
		// engine crawl; the first records define the templates the rest use).
		f.Add(b[fileHeaderSize : fileHeaderSize+6144])
	}
	f.Add([]byte("ElfChnk\x00"))
	f.Add(append(append([]byte("ElfChnk\x00"), make([]byte, 504)...), "**\x00\x00\x1c\x00\x00\x00"...))
	xr := winxml.NewNormalizer()
	n := NewNormalizer()
	var ev winevent.Event
	f.Fuzz(func(t *testing.T, d []byte) {
		n.Decode(d, fileHeaderSize, func(got *winevent.Event, xml string, rec Record, _ []byte) {
			if err := xr.Parse(xml, &ev); err != nil {
				t.Fatalf("record %d renders to XML the XML route refuses: %v\n%s", rec.ID, err, xml)
			}
			if !sameEvent(got, &ev) {
				t.Fatalf("record %d: direct Event %+v, from its XML %+v\n%s", rec.ID, *got, ev, xml)
			}
		}, func(r format.Reject) {
			if r.Reason == "" || strings.Contains(r.Reason, "internal error") {
				t.Fatalf("reject at %d: %q", r.Offset, r.Reason)
			}
		})
	})
}
