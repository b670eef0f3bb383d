package wintext

import (
	"bytes"
	"io"
	"strconv"
	"testing"
	"time"

	"huntsql/loader/rows"
)

// corpus repeats the Security fixture's records (4688, 4689, logons, Sysmon
// 1, …) with distinct record numbers: about n records.
func corpus(b *testing.B, n int) []byte {
	one := readFixture(b, "security-classic.txt")
	per := bytes.Count(one, []byte("\nLogName="))
	var buf bytes.Buffer
	for i := 0; buf.Len() == 0 || i*per < n; i++ {
		buf.Write(bytes.ReplaceAll(one, []byte("RecordNumber="), []byte("RecordNumber="+strconv.Itoa(i))))
	}
	return buf.Bytes()
}

// BenchmarkDecode splits, parses and maps classic records to rows.
func BenchmarkDecode(b *testing.B) {
	data := corpus(b, 5000)
	b.SetBytes(int64(len(data)))
	events := 0
	for b.Loop() {
		sp, norm := NewSplitter(bytes.NewReader(data), 0), NewNormalizer(time.UTC)
		batch := rows.NewBatch(5000)
		for {
			raw, err := sp.Next()
			if err == io.EOF {
				break
			}
			if r := norm.Normalize(&raw, &rows.Source{}, batch); r != "" {
				b.Fatal(r)
			}
		}
		events += batch.Len
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
