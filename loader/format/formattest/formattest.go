// Package formattest runs a format's splitter and normalizer over bytes as the
// loader does, for the tests of each format: every record must give a row or a
// reject, and rows come back as column → value maps (NULLs left out), ready for
// golden files.
package formattest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"testing"
	"testing/iotest"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"huntsql/loader/format"
	"huntsql/loader/rows"
	schema "huntsql/sql"
)

// Loaded is what a format makes of an input: its rows (in input order) and
// its rejects.
type Loaded struct {
	Rows    []map[string]any
	Order   [][]string // column names of each row, in schema order
	Rejects []format.Reject
	Records int
}

// Load runs a format's splitter and normalizer over in, as the loader does,
// checking that every record is a row or a reject.
func Load(t testing.TB, f *format.Format, in []byte, opts format.Options) Loaded {
	t.Helper()
	sp := f.NewSplitter(Reader(in), opts)
	n := f.NewNormalizer(opts)
	b := rows.NewBatch(8)
	var out Loaded
	for {
		raw, err := sp.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		out.Records++
		before := b.Len
		n.Normalize(&raw, &rows.Source{File: "in"}, b, func(r format.Reject) { out.Rejects = append(out.Rejects, r) })
		if b.Len-before+len(out.Rejects) > out.Records || b.Len+len(out.Rejects) != out.Records {
			t.Fatalf("record %d at line %d gave %d rows and %d rejects in all", out.Records, raw.Line, b.Len, len(out.Rejects))
		}
	}
	if err := sp.ReadErr(); err != nil {
		t.Fatal(err)
	}
	out.Rows, out.Order = RowsOf(t, b)
	return out
}

// RowsOf renders a batch's rows as column → value, NULL columns left out.
func RowsOf(t testing.TB, b *rows.Batch) ([]map[string]any, [][]string) {
	seg := rows.Segment{B: b}
	refs := make([]rows.Ref, b.Len)
	for i := range b.Len {
		seg.Rows = append(seg.Rows, i)
		refs[i] = rows.Ref{S: 0, R: int32(i)}
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := rows.Record(mem, []rows.Segment{seg}, refs)
	defer rec.Release()
	out := make([]map[string]any, b.Len)
	order := make([][]string, b.Len)
	for i := range out {
		out[i] = map[string]any{}
		for ci, f := range schema.Fields {
			col := rec.Column(ci)
			if col.IsNull(i) {
				continue
			}
			v := col.GetOneForMarshal(i)
			if f.Kind == schema.Time {
				v = time.UnixMicro(int64(col.(*array.Timestamp).Value(i))).UTC().Format(time.RFC3339Nano)
			}
			out[i][f.Name] = v
			order[i] = append(order[i], f.Name)
		}
	}
	return out, order
}

// Golden renders rows and rejects for a golden file, leaving out
// event.original, which original checks against the input instead.
func (l Loaded) Golden(t testing.TB, original func(i int, offset int64, text string)) []byte {
	var buf bytes.Buffer
	buf.WriteString("# rejects\n")
	for _, r := range l.Rejects {
		fmt.Fprintf(&buf, "%d@%d: %s: %.60q\n", r.Line, r.Offset, r.Reason, r.Data)
	}
	buf.WriteString("# rows\n")
	for i, row := range l.Rows {
		original(i, row[schema.SourceOffset].(int64), row[schema.Original].(string))
		buf.WriteByte('{')
		first := true
		for _, name := range l.Order[i] {
			if name == schema.Original {
				continue
			}
			if !first {
				buf.WriteByte(',')
			}
			first = false
			k, _ := json.Marshal(name)
			v, err := json.Marshal(row[name])
			if err != nil {
				t.Fatal(err)
			}
			buf.Write(k)
			buf.WriteByte(':')
			buf.Write(v)
		}
		buf.WriteString("}\n")
	}
	return buf.Bytes()
}

// Reader serves b in small reads, as a slow disk or pipe would, so that
// splitters are tested across buffer refills.
func Reader(b []byte) *bufio.Reader {
	return bufio.NewReader(iotest.HalfReader(bytes.NewReader(b)))
}

// Splits checks what a splitter makes of in, as its fuzz targets do: records
// in input order at offsets within in, each on the line its offset is, each
// one unchanged bytes of in unless transcoded (Size > 0); accept says what is
// wrong with a record the splitter did not reject ("" for nothing).
func Splits(t testing.TB, sp format.Splitter, in []byte, accept func(r rows.Raw) string) {
	t.Helper()
	last := int64(-1)
	for n := 0; ; n++ {
		r, err := sp.Next()
		if err == io.EOF {
			return
		}
		if n > len(in)+1 || r.Offset < last || r.Offset > int64(len(in)) {
			t.Fatalf("record %d at offset %d after %d", n, r.Offset, last)
		}
		last = r.Offset
		if want := int64(bytes.Count(in[:r.Offset], []byte{'\n'})) + 1; r.Line != want {
			t.Fatalf("line %d, want %d", r.Line, want)
		}
		if r.Size == 0 && !bytes.HasPrefix(in[r.Offset:], r.Data) {
			t.Fatalf("record at %d is not the input's bytes", r.Offset)
		}
		if r.Reject == "" {
			if msg := accept(r); msg != "" {
				t.Fatalf("accepted record %q: %s", r.Data, msg)
			}
		}
	}
}
