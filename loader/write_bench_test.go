package loader

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"testing"

	"huntsql/loader/evtx"
	"huntsql/loader/format"
	"huntsql/loader/rows"
)

// evtxBatches decodes a fixture into batches of one EVTX chunk each.
func evtxBatches(tb testing.TB, name string) []*rows.Batch {
	f, err := os.Open(filepath.Join("..", "fixtures", "evtx", name))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sp := evtx.NewSplitter(bufio.NewReader(f))
	n := evtx.NewNormalizer()
	src := &rows.Source{File: name}
	var out []*rows.Batch
	for {
		raw, err := sp.Next()
		if err == io.EOF {
			break
		}
		b := rows.NewBatch(256)
		b.Reserve(colSHA)
		n.Normalize(&raw, src, b, func(format.Reject) {})
		if b.Len > 0 {
			out = append(out, b)
		}
	}
	return out
}

// BenchmarkWriteSmallFiles writes the rows of system.evtx (1,881 events over
// 22 days) as one Parquet file per day, BenchmarkWriteOneFile as one file:
// the difference is the fixed cost of a file. Each with the archive's writer
// and with arrow-go's.
func BenchmarkWriteSmallFiles(b *testing.B) { benchmarkWriters(b, false) }

func BenchmarkWriteOneFile(b *testing.B) { benchmarkWriters(b, true) }

func benchmarkWriters(b *testing.B, one bool) {
	b.Run("archive", func(b *testing.B) { benchmarkWrite(b, one, writeArchiveParquet) })
	b.Run("arrow", func(b *testing.B) { benchmarkWrite(b, one, writeArrowParquet) })
}

func benchmarkWrite(b *testing.B, one bool, write func(pendingFile, *os.File) error) {
	batches := evtxBatches(b, "damaged/system.evtx")
	byDay := map[int64][]rows.Segment{}
	for _, bt := range batches {
		idx := map[int64][]int{}
		for i := range bt.Len {
			d := floorDiv(bt.Time(i), dayMicros)
			idx[d] = append(idx[d], i)
		}
		for d, r := range idx {
			if one {
				d = 0
			}
			byDay[d] = append(byDay[d], rows.Segment{B: bt, Rows: r})
		}
	}
	var files []pendingFile
	total := 0
	for _, segs := range byDay {
		for _, s := range segs {
			s.Fill(colSHA, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
		}
		refs := rows.SortedRefs(segs)
		files = append(files, pendingFile{segs: segs, refs: refs})
		total += len(refs)
	}
	dir := b.TempDir()
	p := filepath.Join(dir, "f.parquet")
	size := int64(0)
	b.ResetTimer()
	for b.Loop() {
		size = 0
		for _, f := range files {
			out, err := os.Create(p)
			if err != nil {
				b.Fatal(err)
			}
			if err := write(f, out); err != nil {
				b.Fatal(err)
			}
			out.Close()
			st, _ := os.Stat(p)
			size += st.Size()
		}
	}
	b.ReportMetric(float64(size), "bytes")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(files)), "ns/file")
	b.ReportMetric(float64(total)/float64(len(files)), "rows/file")
}
