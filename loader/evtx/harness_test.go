package evtx

import (
	"bufio"
	"io"
	"maps"
	"os"
	"slices"
	"testing"

	"huntsql/loader/format"
	"huntsql/loader/winevent"
)

// decoded is one record read from a file by the test harness.
type decoded struct {
	XML string
	Ev  winevent.Event
	Rec Record
}

// decodeFile runs the Splitter and a Normalizer over a file, as the loader
// does, keeping each record's XML and Event.
func decodeFile(t testing.TB, path string) (recs []decoded, rejects []format.Reject, sp *Splitter) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sp = NewSplitter(bufio.NewReader(f))
	n := NewNormalizer()
	for {
		raw, err := sp.Next()
		if err == io.EOF {
			break
		}
		if raw.Reject != "" {
			rejects = append(rejects, format.RejectOf(&raw, raw.Reject))
			continue
		}
		n.Decode(raw.Data, raw.Offset, func(ev *winevent.Event, xml string, rec Record, _ []byte) {
			c := *ev
			c.Data = slices.Clone(ev.Data)
			c.Rendered = maps.Clone(ev.Rendered)
			recs = append(recs, decoded{XML: xml, Ev: c, Rec: rec})
		}, func(r format.Reject) { rejects = append(rejects, r) })
	}
	return recs, rejects, sp
}
