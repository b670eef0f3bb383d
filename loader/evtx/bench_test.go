package evtx

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

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
	cpu0 := cpuTime()
	for b.Loop() {
		for i, c := range chunks {
			batch := rows.NewBatch(256)
			raw := rows.Raw{Data: c, Offset: int64(fileHeaderSize + i*chunkSize)}
			n.Normalize(&raw, src, batch, func(format.Reject) {})
			records += batch.Len
		}
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
	// CPU time is what the 2-core goal is about, and it is steadier than
	// the elapsed time on a shared machine.
	b.ReportMetric(float64(records)/(cpuTime()-cpu0).Seconds(), "records/cpu-s")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCorpus decodes and maps every chunk of the .evtx files in the
// directory $HUNTSQL_EVTX_CORPUS (skipped when unset), one goroutine
// (run it with -cpu 1 for records per CPU second).
func BenchmarkCorpus(b *testing.B) {
	dir := os.Getenv("HUNTSQL_EVTX_CORPUS")
	if dir == "" {
		b.Skip("HUNTSQL_EVTX_CORPUS not set")
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.evtx"))
	if err != nil || len(files) == 0 {
		b.Fatal("no .evtx files in ", dir, err)
	}
	var raws []rows.Raw
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		s := NewSplitter(bufio.NewReader(bytes.NewReader(data)))
		for {
			raw, err := s.Next()
			if err != nil {
				break
			}
			raws = append(raws, raw)
		}
	}
	n := NewNormalizer()
	src := &rows.Source{File: "corpus.evtx"}
	records := 0
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		for i := range raws {
			// One batch per chunk, sized as the loader sizes it.
			batch := rows.NewBatch(chunkRows(raws[i].Data))
			n.Normalize(&raws[i], src, batch, func(format.Reject) {})
			records += batch.Len
		}
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
	// CPU time is what the 2-core goal is about, and it is steadier than
	// the elapsed time on a shared machine.
	b.ReportMetric(float64(records)/(cpuTime()-cpu0).Seconds(), "records/cpu-s")
}
