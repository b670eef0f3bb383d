// Package rows holds what every decoder shares: raw records cut from an input,
// and Batch, the columnar buffer of normalized rows in the archive schema.
package rows

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	schema "huntsql/sql"
)

// Raw is one record cut from an input stream, not yet normalized.
type Raw struct {
	Data   []byte
	Line   int64 // 1-based line of the first byte
	Offset int64 // 0-based byte offset in the decompressed stream
	// Reject is set when the record could not even be cut out (malformed
	// structure, too large): it goes to the rejects as it is.
	Reject string
	// Size is the record's full size when Data holds only a prefix of it.
	Size int64
}

// KV is one entry of a map column.
type KV struct{ K, V string }

type column struct {
	valid []bool
	str   []string
	i64   []int64
	list  [][]string
	kv    [][]KV
}

// Batch is a columnar buffer of rows in the archive schema.
type Batch struct {
	Len   int
	Bytes int // approximate payload size, for flush decisions
	cols  []column
}

var (
	tsCol     = schema.MustIndex(schema.Timestamp)
	fileCol   = schema.MustIndex(schema.SourceFile)
	offsetCol = schema.MustIndex(schema.SourceOffset)
)

// NewBatch returns an empty batch.
func NewBatch() *Batch {
	return &Batch{cols: make([]column, len(schema.Fields))}
}

// AddRow appends a row of NULLs; the Set methods then fill it.
func (b *Batch) AddRow() {
	for i := range b.cols {
		c := &b.cols[i]
		c.valid = append(c.valid, false)
		switch schema.Fields[i].Kind {
		case schema.String:
			c.str = append(c.str, "")
		case schema.Int, schema.Time:
			c.i64 = append(c.i64, 0)
		case schema.StringList:
			c.list = append(c.list, nil)
		case schema.StringMap:
			c.kv = append(c.kv, nil)
		}
	}
	b.Len++
}

// SetString sets a VARCHAR column of the last row.
func (b *Batch) SetString(col int, s string) {
	c := &b.cols[col]
	c.valid[b.Len-1] = true
	c.str[b.Len-1] = s
	b.Bytes += len(s)
}

// SetInt sets a BIGINT or TIMESTAMP (microseconds) column of the last row.
func (b *Batch) SetInt(col int, v int64) {
	c := &b.cols[col]
	c.valid[b.Len-1] = true
	c.i64[b.Len-1] = v
	b.Bytes += 8
}

// SetList sets a VARCHAR[] column of the last row; an empty list is NULL.
func (b *Batch) SetList(col int, v []string) {
	if len(v) == 0 {
		return
	}
	c := &b.cols[col]
	c.valid[b.Len-1] = true
	c.list[b.Len-1] = v
	for _, s := range v {
		b.Bytes += len(s) + 4
	}
}

// SetMap sets a MAP column of the last row; an empty map is NULL.
func (b *Batch) SetMap(col int, v []KV) {
	if len(v) == 0 {
		return
	}
	c := &b.cols[col]
	c.valid[b.Len-1] = true
	c.kv[b.Len-1] = v
	for _, e := range v {
		b.Bytes += len(e.K) + len(e.V) + 8
	}
}

// Time returns row i's @timestamp in microseconds.
func (b *Batch) Time(i int) int64 { return b.cols[tsCol].i64[i] }

// AppendRows copies rows idx of src to the end of b.
func (b *Batch) AppendRows(src *Batch, idx []int) {
	for ci := range b.cols {
		d, s := &b.cols[ci], &src.cols[ci]
		for _, i := range idx {
			d.valid = append(d.valid, s.valid[i])
		}
		switch schema.Fields[ci].Kind {
		case schema.String:
			for _, i := range idx {
				d.str = append(d.str, s.str[i])
				b.Bytes += len(s.str[i])
			}
		case schema.Int, schema.Time:
			for _, i := range idx {
				d.i64 = append(d.i64, s.i64[i])
			}
			b.Bytes += 8 * len(idx)
		case schema.StringList:
			for _, i := range idx {
				d.list = append(d.list, s.list[i])
			}
		case schema.StringMap:
			for _, i := range idx {
				d.kv = append(d.kv, s.kv[i])
			}
		}
	}
	b.Len += len(idx)
}

// SortedOrder returns the row order of an archive file: by @timestamp, then by
// source file and offset, so equal inputs give byte-identical files.
func (b *Batch) SortedOrder() []int {
	order := make([]int, b.Len)
	for i := range order {
		order[i] = i
	}
	ts, files, offs := b.cols[tsCol].i64, b.cols[fileCol].str, b.cols[offsetCol].i64
	slices.SortStableFunc(order, func(x, y int) int {
		if c := cmp.Compare(ts[x], ts[y]); c != 0 {
			return c
		}
		if c := strings.Compare(files[x], files[y]); c != 0 {
			return c
		}
		return cmp.Compare(offs[x], offs[y])
	})
	return order
}

// Record builds an Arrow record batch of the rows in the given order.
func (b *Batch) Record(mem memory.Allocator, order []int) arrow.RecordBatch {
	sc := schema.Arrow()
	rb := array.NewRecordBuilder(mem, sc)
	defer rb.Release()
	for ci := range b.cols {
		c := &b.cols[ci]
		switch fb := rb.Field(ci).(type) {
		case *array.StringBuilder:
			n := 0
			for _, i := range order {
				n += len(c.str[i])
			}
			fb.ReserveData(n)
			fb.Reserve(len(order))
			for _, i := range order {
				if c.valid[i] {
					fb.Append(c.str[i])
				} else {
					fb.AppendNull()
				}
			}
		case *array.Int64Builder:
			fb.Reserve(len(order))
			for _, i := range order {
				if c.valid[i] {
					fb.UnsafeAppend(c.i64[i])
				} else {
					fb.UnsafeAppendBoolToBitmap(false)
				}
			}
		case *array.TimestampBuilder:
			fb.Reserve(len(order))
			for _, i := range order {
				if c.valid[i] {
					fb.UnsafeAppend(arrow.Timestamp(c.i64[i]))
				} else {
					fb.UnsafeAppendBoolToBitmap(false)
				}
			}
		case *array.ListBuilder:
			vb := fb.ValueBuilder().(*array.StringBuilder)
			for _, i := range order {
				if !c.valid[i] {
					fb.AppendNull()
					continue
				}
				fb.Append(true)
				for _, s := range c.list[i] {
					vb.Append(s)
				}
			}
		case *array.MapBuilder:
			kb := fb.KeyBuilder().(*array.StringBuilder)
			ib := fb.ItemBuilder().(*array.StringBuilder)
			for _, i := range order {
				if !c.valid[i] {
					fb.AppendNull()
					continue
				}
				fb.Append(true)
				for _, e := range c.kv[i] {
					kb.Append(e.K)
					ib.Append(e.V)
				}
			}
		default:
			panic("rows: unexpected builder for " + schema.Fields[ci].Name)
		}
	}
	return rb.NewRecordBatch()
}

// ParseInt reads an ECS integer given as text: only -?[0-9]+ that fits int64.
func ParseInt(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	i := 0
	if s[0] == '-' {
		i = 1
	}
	if i == len(s) {
		return 0, false
	}
	for ; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}

// DistinctStrings returns the sorted distinct non-NULL values of a VARCHAR column.
func (b *Batch) DistinctStrings(col int) []string {
	c := &b.cols[col]
	seen := map[string]bool{}
	var out []string
	for i := 0; i < b.Len; i++ {
		if c.valid[i] && !seen[c.str[i]] {
			seen[c.str[i]] = true
			out = append(out, c.str[i])
		}
	}
	slices.Sort(out)
	return out
}
