package winevent_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"huntsql/loader/rows"
	"huntsql/loader/winevent"
	"huntsql/loader/winxml"
)

// BenchmarkMap measures the mapping alone (Mapper.Append) on each fixture's
// events, parsed once: the cost per event on the load's hot path.
func BenchmarkMap(b *testing.B) {
	for _, name := range fixtures {
		b.Run(name, func(b *testing.B) {
			evs := parsed(b, filepath.Join("testdata", name))
			m := winevent.NewMapper()
			src := &rows.Source{}
			b.ReportAllocs()
			n := 0
			const rowsPerBatch = 8192
			batch := rows.NewBatch(rowsPerBatch)
			for b.Loop() {
				if batch.Len+len(evs) > rowsPerBatch {
					batch = rows.NewBatch(rowsPerBatch)
				}
				for i := range evs {
					if r := m.Append(&evs[i], winevent.Route{}, src, batch); r != "" {
						b.Fatal(r)
					}
				}
				n += len(evs)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/event")
		})
	}
}

// parsed returns a fixture's events as the XML route parses them.
func parsed(b *testing.B, path string) []winevent.Event {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	sp, n := winxml.NewSplitter(bytes.NewReader(data), 1<<20), winxml.NewNormalizer()
	var evs []winevent.Event
	for {
		raw, err := sp.Next()
		if err != nil {
			break
		}
		var ev winevent.Event
		if err := n.Parse(string(raw.Data), &ev); err != nil {
			b.Fatal(err)
		}
		evs = append(evs, ev)
	}
	return evs
}
