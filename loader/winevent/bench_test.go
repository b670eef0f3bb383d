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

// BenchmarkMap measures Mapper.Append on each fixture's events, parsed once:
// "mapped" as they are, "common" with provider and channel renamed so that
// only what every Windows event gets applies. The difference is the cost of
// the provider mappings on the load's hot path.
func BenchmarkMap(b *testing.B) {
	for _, name := range fixtures {
		evs := parsed(b, filepath.Join("testdata", name))
		common := make([]winevent.Event, len(evs))
		for i, ev := range evs {
			ev.Provider, ev.Channel = "Unmapped-Provider", "Unmapped/Channel"
			common[i] = ev
		}
		for _, run := range []struct {
			kind string
			evs  []winevent.Event
		}{{"mapped", evs}, {"common", common}} {
			b.Run(name+"/"+run.kind, func(b *testing.B) { benchAppend(b, run.evs) })
		}
	}
}

func benchAppend(b *testing.B, evs []winevent.Event) {
	m := winevent.NewMapper()
	src := &rows.Source{}
	b.ReportAllocs()
	const rowsPerBatch = 8192
	batch := rows.NewBatch(rowsPerBatch)
	n := 0
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
