package winxml

import (
	"bytes"
	"encoding/xml"
	"io"
	"testing"

	"huntsql/internal/gen"
	"huntsql/loader/rows"
)

func corpus(b *testing.B) []byte {
	var buf bytes.Buffer
	if err := gen.Windows4688(&buf, 5000, gen.DefaultOptions()); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkDecode is huntsql's decoder: split, parse, map to ECS.
func BenchmarkDecode(b *testing.B) {
	data := corpus(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		sp, norm := NewSplitter(bytes.NewReader(data), 0), NewNormalizer()
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
	}
}

// BenchmarkEncodingXML is the baseline: encoding/xml only tokenizing.
func BenchmarkEncodingXML(b *testing.B) {
	data := corpus(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		dec := xml.NewDecoder(bytes.NewReader(data))
		for {
			if _, err := dec.Token(); err != nil {
				break
			}
		}
	}
}
