package evtx

import (
	"os"
	"testing"

	"huntsql/loader/format"
	"huntsql/loader/rows"
)

// BenchmarkNormalize decodes and maps every chunk of security.evtx.
func BenchmarkNormalize(b *testing.B) {
	data, err := os.ReadFile("../../fixtures/evtx/damaged/security.evtx")
	if err != nil {
		b.Fatal(err)
	}
	var chunks [][]byte
	for off := fileHeaderSize; off+chunkSize <= len(data); off += chunkSize {
		chunks = append(chunks, data[off:off+chunkSize])
	}
	n := NewNormalizer()
	src := &rows.Source{File: "security.evtx"}
	records := 0
	b.ResetTimer()
	for b.Loop() {
		for i, c := range chunks {
			batch := rows.NewBatch(256)
			raw := rows.Raw{Data: c, Offset: int64(fileHeaderSize + i*chunkSize)}
			n.Normalize(&raw, src, batch, func(format.Reject) {})
			records += batch.Len
		}
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}
