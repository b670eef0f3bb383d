package rows

import (
	"testing"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	schema "huntsql/sql"
)

// TestAppendRowsCopies checks that rows appended from other batches read back
// as they were, of every column kind, and that their text no longer points
// into the batches they came from.
func TestAppendRowsCopies(t *testing.T) {
	host, code, msg, ts := schema.MustIndex("host.name"), schema.MustIndex("event.code"), schema.MustIndex("message"), schema.MustIndex(schema.Timestamp)
	cat, data, skip := schema.MustIndex("event.category"), schema.MustIndex("winlog.event_data"), schema.MustIndex(schema.InputSHA256)
	shared := []string{"4624", "4688"}
	src := func(n int, from int64) *Batch {
		b := NewBatch(2)
		for i := range n {
			b.AddRow()
			b.SetInt(ts, from+int64(i))
			b.SetString(host, string([]byte("host-"+string(rune('a'+i)))))
			b.SetShared(code, shared[i%2], int32(i%2), shared)
			if i%3 != 0 {
				b.SetString(msg, string([]byte("text of row "+string(rune('0'+i)))))
			}
			if i%2 == 0 {
				b.SetList(cat, []string{"authentication", string([]byte("session"))})
				b.SetMap(data, []KV{{string([]byte("TargetUserName")), string([]byte("alice"))}})
			}
			b.SetString(skip, "left out")
		}
		return b
	}
	a, b := src(5, 100), src(4, 200)
	segs := []Segment{{B: a, Rows: []int{0, 2, 3}}, {B: b, Rows: []int{1, 3}}, {B: a, Rows: []int{4}}}

	held := NewBatch(1)
	for _, sg := range segs {
		held.AppendRows(sg, skip)
	}
	if held.Len != 6 {
		t.Fatalf("%d rows, want 6", held.Len)
	}
	for _, sg := range segs { // the column AppendRows leaves out
		for _, r := range sg.Rows {
			sg.B.cols[skip].valid[r] = false
		}
	}
	var refs []Ref
	for si, sg := range segs {
		for _, r := range sg.Rows {
			refs = append(refs, Ref{int32(si), int32(r)})
		}
	}
	all := []Segment{{B: held, Rows: []int{0, 1, 2, 3, 4, 5}}}
	heldRefs := []Ref{{0, 0}, {0, 1}, {0, 2}, {0, 3}, {0, 4}, {0, 5}}
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	want, got := Record(mem, segs, refs), Record(mem, all, heldRefs)
	defer want.Release()
	defer got.Release()
	if !array.RecordEqual(want, got) {
		t.Errorf("appended rows differ:\n got %v\nwant %v", got, want)
	}
	for _, sg := range segs {
		for _, r := range sg.Rows {
			s := sg.B.cols[host].str[r]
			for i := range held.Len {
				if unsafe.StringData(held.cols[host].str[i]) == unsafe.StringData(s) {
					t.Errorf("row %d's host.name shares its source's memory", i)
				}
			}
		}
	}
	if held.Bytes == 0 {
		t.Error("appended rows count no bytes")
	}
}
