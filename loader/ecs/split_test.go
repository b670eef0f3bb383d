package ecs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"huntsql/loader/rows"
)

func split(t testing.TB, input string, max int) []rows.Raw {
	t.Helper()
	// One byte at a time: every buffer boundary is exercised.
	sp := NewSplitter(iotest.OneByteReader(strings.NewReader(input)), max)
	var out []rows.Raw
	for {
		r, err := sp.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
}

func show(rs []rows.Raw) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "%d@%d %q", r.Line, r.Offset, r.Data)
		if r.Reject != "" {
			fmt.Fprintf(&b, " REJECT %s", r.Reject)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func TestSplitterShapes(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"ndjson with blank and CRLF lines", "{\"a\":1}\r\n\n  {\"b\":2}  \n{\"c\":3}",
			"1@0 \"{\\\"a\\\":1}\"\n3@12 \"{\\\"b\\\":2}\"\n4@22 \"{\\\"c\\\":3}\"\n"},
		{"byte order mark", "\xef\xbb\xbf{\"a\":1}\n", "1@3 \"{\\\"a\\\":1}\"\n"},
		{"array on one line", `[{"a":1}, {"b":[2,3]}]`, "1@1 \"{\\\"a\\\":1}\"\n1@10 \"{\\\"b\\\":[2,3]}\"\n"},
		{"pretty array", "[\n  {\n    \"a\": 1\n  },\n  {\"b\": \"]\"}\n]\n",
			"2@4 \"{\\n    \\\"a\\\": 1\\n  }\"\n5@24 \"{\\\"b\\\": \\\"]\\\"}\"\n"},
		{"pretty concatenated", "{\n \"a\": 1\n}\n{\n \"b\": 2\n}\n", "1@0 \"{\\n \\\"a\\\": 1\\n}\"\n4@12 \"{\\n \\\"b\\\": 2\\n}\"\n"},
		{"search response", `{"took":1,"hits":{"total":{"value":2},"hits":[{"_id":"x","_source":{"a":1}},{"_id":"y","_source":{}}]}}`,
			"1@46 \"{\\\"_id\\\":\\\"x\\\",\\\"_source\\\":{\\\"a\\\":1}}\"\n1@76 \"{\\\"_id\\\":\\\"y\\\",\\\"_source\\\":{}}\"\n"},
		{"bad line then good lines", "{bad\n{\"a\":1}\n{\"b\":2}\n",
			"1@0 \"{bad\"\n2@5 \"{\\\"a\\\":1}\"\n3@13 \"{\\\"b\\\":2}\"\n"},
		{"truncated array", "[{\"a\":1},{\"b\":", "1@1 \"{\\\"a\\\":1}\"\n1@9 \"{\\\"b\\\":\" REJECT invalid JSON: unexpected end of input\n1@14 \"\" REJECT unexpected end of input: array not closed\n"},
		{"mismatched bracket resyncs on the next line", "[{\"a\":1]\n,{\"b\":2}]\n",
			"1@1 \"{\\\"a\\\":1]\" REJECT invalid JSON: ']' closes '{'\n2@10 \"{\\\"b\\\":2}\"\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := show(split(t, tc.in, 0)); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestSplitterRejectsOversizedRecords(t *testing.T) {
	long := `{"a":"` + strings.Repeat("x", 5000) + `"}`
	got := split(t, "{\"ok\":1}\n"+long+"\n{\"ok\":2}\n", 1024)
	if len(got) != 3 || got[1].Reject != "record larger than 1024 bytes (5008 bytes)" || got[2].Line != 3 {
		t.Fatalf("line mode:\n%s", show(got))
	}
	if len(got[1].Data) > rejectPrefix || got[1].Size != 5008 {
		t.Errorf("oversized record keeps a bounded prefix: %d bytes, size %d", len(got[1].Data), got[1].Size)
	}
	got = split(t, "[\n"+long+",\n{\"ok\":2}]", 1024)
	if len(got) != 2 || !strings.HasPrefix(got[0].Reject, "record larger than 1024 bytes") || string(got[1].Data) != `{"ok":2}` {
		t.Fatalf("value mode:\n%s", show(got))
	}
}

func TestSplitterRejectsDeepNesting(t *testing.T) {
	deep := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	got := split(t, "{\"a\":1}\n{\"x\":"+deep+"}\n{\"b\":2}\n", 0)
	if len(got) != 3 || NewNormalizer().Normalize(&got[1], &rows.Source{}, rows.NewBatch(1)) != "JSON nested deeper than 300 levels" {
		t.Fatalf("deep nesting must be rejected, the rest kept:\n%.300s", show(got))
	}
}

// FuzzSplitter checks that records are exact slices of the input at their
// offsets, with the right line numbers, whatever the input.
func FuzzSplitter(f *testing.F) {
	for _, s := range []string{"{\"a\":1}\n{\"b\":2}\n", "[{\"a\":1},\n{\"b\":[1,2]}]", "{\"hits\":{\"hits\":[{\"_source\":{}}]}}",
		"{\n\"a\":\"\\\"}\"\n}\n{", "\xef\xbb\xbf[", "{\"a\":\"\x01\"}\n", "]]]\n{{{"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		sp := NewSplitter(bytes.NewReader(in), 256)
		last := int64(-1)
		start := time.Now()
		for n := 0; ; n++ {
			r, err := sp.Next()
			if err == io.EOF {
				return
			}
			if time.Since(start) > time.Second {
				t.Fatalf("splitting %d bytes takes over a second", len(in))
			}
			if n > len(in)+2 {
				t.Fatal("more records than bytes")
			}
			if r.Offset < last || r.Offset > int64(len(in)) {
				t.Fatalf("offset %d after %d (input %d bytes)", r.Offset, last, len(in))
			}
			last = r.Offset
			if want := int64(bytes.Count(in[:r.Offset], []byte{'\n'})) + 1; r.Line != want {
				t.Fatalf("record at %d: line %d, want %d", r.Offset, r.Line, want)
			}
			if r.Size == 0 && !bytes.HasPrefix(in[r.Offset:], r.Data) {
				t.Fatalf("record at %d is not the input's bytes: %q", r.Offset, r.Data)
			}
			if len(r.Data) > 256 && r.Reject == "" {
				t.Fatalf("record of %d bytes exceeds the limit", len(r.Data))
			}
		}
	})
}

// FuzzNormalize checks that any record is either rejected with a reason or
// archived with its exact text.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{`{"@timestamp":"2024-05-01T12:00:00Z","host":{"name":["a","b"]}}`,
		`{"@timestamp":1,"process.args":[["x"],null,1,true],"winlog":{"event_data":{"a":{"b":null}}}}`,
		`{"_source":{"@timestamp":"2024-05-01","event":{"original":"x"}},"_id":"1"}`, `[1]`, `{"@timestamp":"2024-05-01T25:00"}`,
		// The decoder's own corners: hits with _source after or before the
		// hit's fields, escapes and surrogates (paired, lone, in keys), map
		// keys reached dotted and nested, numbers and literals everywhere.
		`{"_index":"i","_id":"a","sort":[1],"_source":{"@timestamp":1714564800000,"_id":"inner","process":{"name":"x"}},"fields":{"process.name":["y"]}}`,
		`{"_source":{"@timestamp":"2024-05-01"},"_id":7,"_index":"i"}`,
		`{"@timestamp":"2024-05-01","_source":"not an object","process.name":"p"}`,
		`{"@timestamp":"2024-05-01","process":{"name":"a\u00e9\ud83d\ude00\ud800x\udc00\n\"\/\\"}}`,
		`{"@timestamp":"2024-05-01","pro\u0063ess.na\u006de":"escaped key","winlog.event_data.A":"1","winlog":{"event_data":{"B":{"C":2,"D":[1,{"e":null}]}}}}`,
		`{"@timestamp":"2024-05-01","process":{"pid":"12","args":["a",1,true,null,["b"]],"name":{"x":1},"args_count":1.5,"exit_code":-0}}`,
		`{"@timestamp":-1.5e3,"event":{"created":true,"ingested":"x"},"process.start":[1,2]}`,
		` {"@timestamp" : "2024-05-01" , "tags" : [ ] } `, `{"@timestamp":"2024-05-01"} x`, `{"@timestamp":"2024-05-01",}`,
		`{"@timestamp":"2024-05-01","a":01}`, `{"@timestamp":"2024-05-01","a":"\x"}`, `{"@timestamp":"2024-05-01","a":tru}`,
		"{\"@timestamp\":\"2024-05-01\",\"a\":\"\t\"}",
		`{"@timestamp":"2024-05-01","a":` + strings.Repeat("[", 298) + "1" + strings.Repeat("]", 298) + "}",
		`{"@timestamp":"2024-05-01","a":` + strings.Repeat("[", 299) + strings.Repeat("]", 299) + "}",
		`{"@timestamp":"2024-05-01","a":` + strings.Repeat("[", 299) + "1" + strings.Repeat("]", 299) + "}",
		`{"@timestamp":"2024-05-01","a":` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + "}",
	} {
		f.Add([]byte(s))
	}
	n := NewNormalizer()
	old := &legacy{Normalizer: NewNormalizer()}
	f.Fuzz(func(t *testing.T, in []byte) {
		b := rows.NewBatch(1)
		raw := &rows.Raw{Data: in, Line: 1}
		reason := n.Normalize(raw, &rows.Source{}, b)
		if (reason == "") != (b.Len == 1) {
			t.Fatalf("reason %q with %d rows", reason, b.Len)
		}
		// The single-pass decoder must agree with the fastjson-based walk it
		// replaced: the same reason, or the same row.
		ob := rows.NewBatch(1)
		oldReason := old.Normalize(raw, &rows.Source{}, ob)
		// One difference is deliberate: fastjson lets control characters
		// through inside strings; the decoder, like encoding/json and
		// Elasticsearch, rejects them.
		stricter := strings.HasPrefix(reason, "invalid JSON") && !json.Valid(in) && !strings.HasPrefix(oldReason, "invalid JSON")
		// A record both too deep and malformed may be rejected for either.
		tooDeep := reason != "" && oldReason != "" && (reason == errTooDeep.Error() || oldReason == errTooDeep.Error())
		if reason != oldReason && !stricter && !tooDeep {
			t.Fatalf("decoder: %q, fastjson: %q", reason, oldReason)
		}
		if reason == "" && oldReason == "" {
			got := rows.Record(memory.DefaultAllocator, []rows.Segment{{B: b, Rows: []int{0}}}, []rows.Ref{{}})
			want := rows.Record(memory.DefaultAllocator, []rows.Segment{{B: ob, Rows: []int{0}}}, []rows.Ref{{}})
			if !array.RecordEqual(got, want) {
				t.Fatalf("rows differ:\ndecoder: %v\nfastjson: %v", got, want)
			}
		}
	})
}
