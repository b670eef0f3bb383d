package winjson

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"testing"

	"huntsql/loader/format"
	"huntsql/loader/rows"
	"huntsql/loader/winxml"
)

// benchNormalize splits a fixture once, then normalizes its records over and
// over: the per-record cost of a format's decoder, splitting excluded.
func benchNormalize(b *testing.B, f *format.Format, path string) {
	data, err := os.ReadFile(fixtures + path)
	if err != nil {
		b.Fatal(err)
	}
	opts := format.Options{TimeZone: plusOne}
	sp := f.NewSplitter(bufio.NewReader(bytes.NewReader(data)), opts)
	var raws []rows.Raw
	size := 0
	for {
		r, err := sp.Next()
		if err == io.EOF {
			break
		}
		raws = append(raws, r)
		size += len(r.Data)
	}
	n := f.NewNormalizer(opts)
	src := &rows.Source{File: "/in", LoadID: "l"}
	batch := rows.NewBatch(1024)
	fail := func(r format.Reject) { b.Fatalf("reject: %s", r.Reason) }
	b.SetBytes(int64(size / len(raws)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if batch.Len == 1024 {
			batch = rows.NewBatch(1024)
		}
		n.Normalize(&raws[i%len(raws)], src, batch, fail)
	}
}

func BenchmarkEVTXJSON(b *testing.B) { benchNormalize(b, EVTXJSON, "winjson/evtx-dump.jsonl") }
func BenchmarkFlatJSON(b *testing.B) { benchNormalize(b, FlatJSON, "winjson/nxlog.ndjson") }
func BenchmarkWinlogbeat(b *testing.B) {
	benchNormalize(b, WinlogbeatJSON, "winjson/winlogbeat-sysmon-1.ndjson")
}

// BenchmarkXML is the same events as BenchmarkEVTXJSON through the XML
// route, for comparison.
func BenchmarkXML(b *testing.B) { benchNormalize(b, winxml.Format, "winjson/evtx-dump.xml") }
