package loader

import (
	"testing"

	"huntsql/loader/rows"
)

// BenchmarkHoldRows copies the rows of system.evtx's batches aside, as a
// flush holds the rows of small dates.
func BenchmarkHoldRows(b *testing.B) {
	batches := evtxBatches(b, "damaged/system.evtx")
	n := 0
	for _, bt := range batches {
		n += bt.Len
	}
	for b.Loop() {
		h := rows.NewBatch(n)
		for _, bt := range batches {
			all := make([]int, bt.Len)
			for i := range all {
				all[i] = i
			}
			h.AppendRows(rows.Segment{B: bt, Rows: all}, colSHA)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
}
