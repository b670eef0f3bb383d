package auditd

import (
	"bytes"
	"io"
	"strconv"
	"testing"

	"huntsql/loader/rows"
)

// corpus repeats the raw fixture's events (interleaved execve events, logins,
// a failed exec, an openat) with distinct serials: about n events.
func corpus(b *testing.B, n int) []byte {
	one := readFixture(b, "exec-raw.log")
	var buf bytes.Buffer
	for i := 0; buf.Len() == 0 || i*8 < n; i++ {
		buf.Write(bytes.ReplaceAll(one, []byte(":1"), []byte(":"+strconv.Itoa(i+1)+"1")))
	}
	return buf.Bytes()
}

// BenchmarkDecode groups lines into events and maps them to rows.
func BenchmarkDecode(b *testing.B) {
	data := corpus(b, 5000)
	b.SetBytes(int64(len(data)))
	events := 0
	for b.Loop() {
		sp, norm := NewSplitter(bytes.NewReader(data), 0), NewNormalizer()
		batch := rows.NewBatch(5000)
		for {
			raw, err := sp.Next()
			if err == io.EOF {
				break
			}
			if raw.Reject != "" {
				continue // the fixture's one stray line
			}
			if r := norm.Normalize(&raw, &rows.Source{}, batch); r != "" {
				b.Fatal(r)
			}
		}
		events += batch.Len
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
