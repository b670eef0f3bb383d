// Package rows holds what every decoder shares: raw records cut from an input,
// and Batch, the columnar buffer of normalized rows in the archive schema,
// with its two ways out: Parquet files (WriteParquet) and Arrow records.
package rows

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	schema "huntsql/sql"
)

// Raw is one record cut from an input stream, not yet normalized.
type Raw struct {
	Data   []byte // owned by the Raw and never modified: see Text
	Line   int64  // 1-based line of the first byte
	Offset int64  // 0-based byte offset in the decompressed stream
	// Reject is set when the record could not even be cut out (malformed
	// structure, too large): it goes to the rejects as it is.
	Reject string
	// Size is the record's full size when Data holds only a prefix of it.
	Size int64
}

// Source identifies where records come from; it fills the provenance columns.
type Source struct {
	File   string // absolute path, "-" for stdin
	LoadID string
}

// InvalidUTF8At returns the offset of the first byte of b that is not valid
// UTF-8, or -1.
func InvalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// Text returns the record's bytes as a string without copying them. A Raw's
// Data is never modified once cut from the input, so the string may share it.
func (r *Raw) Text() string { return unsafe.String(unsafe.SliceData(r.Data), len(r.Data)) }

// KV is one entry of a map column.
type KV struct{ K, V string }

type column struct {
	valid []bool
	str   []string
	ids   []int32 // dictionary columns: the value's number in shared, or -1
	i64   []int64
	list  [][]string
	kv    [][]KV
}

// Batch is a columnar buffer of rows in the archive schema.
type Batch struct {
	Len   int
	rows  int // rows allocated
	Bytes int // approximate payload size, for flush decisions
	Input int // the loader's index of the input the rows come from
	cols  []column
	// shared holds, per dictionary column, the normalizer's numbered values
	// that ids refer to (see SetShared).
	shared [][]string
	lists  []string // where SetList copies lists
	text   []byte   // where AppendRows copies text
}

var (
	tsCol     = schema.MustIndex(schema.Timestamp)
	fileCol   = schema.MustIndex(schema.SourceFile)
	offsetCol = schema.MustIndex(schema.SourceOffset)
)

// NewBatch returns an empty batch with room for capacity rows; it grows past
// that if needed, but decoders size their chunks so that it need not.
func NewBatch(capacity int) *Batch {
	b := &Batch{cols: make([]column, len(schema.Fields)), shared: make([][]string, len(schema.Fields))}
	b.grow(max(capacity, 1))
	return b
}

// grow makes room for n rows in every column in use. A column is allocated
// only when a row first sets it: most batches leave most columns NULL, and
// empty columns then cost neither allocation nor garbage collection.
func (b *Batch) grow(n int) {
	b.rows = n
	for i := range b.cols {
		if b.cols[i].valid != nil {
			b.alloc(i)
		}
	}
}

// alloc sizes column i for the batch's rows.
func (b *Batch) alloc(i int) {
	c, n := &b.cols[i], b.rows
	c.valid = slices.Grow(c.valid, n-len(c.valid))[:n]
	switch schema.Fields[i].Kind {
	case schema.String:
		c.str = slices.Grow(c.str, n-len(c.str))[:n]
		if dictionaryColumn[i] {
			c.ids = slices.Grow(c.ids, n-len(c.ids))[:n]
		}
	case schema.Int, schema.Time:
		c.i64 = slices.Grow(c.i64, n-len(c.i64))[:n]
	case schema.StringList:
		c.list = slices.Grow(c.list, n-len(c.list))[:n]
	case schema.StringMap:
		c.kv = slices.Grow(c.kv, n-len(c.kv))[:n]
	}
}

// set returns column i for setting the last row.
func (b *Batch) set(i int) *column {
	c := &b.cols[i]
	if c.valid == nil {
		b.alloc(i)
	}
	c.valid[b.Len-1] = true
	return c
}

// AddRow appends a row of NULLs; the Set methods then fill it.
func (b *Batch) AddRow() {
	if b.Len == b.rows {
		b.grow(2 * b.rows)
	}
	b.Len++
}

// Grow makes room for n more rows, so that appending them (AppendRows, one
// segment after the other) reallocates the columns once at most.
func (b *Batch) Grow(n int) {
	if need := b.Len + n; need > b.rows {
		b.grow(max(need, 2*b.rows))
	}
}

// Reserve allocates a column that Segment.Fill sets later: segments of one
// batch may then be filled concurrently.
func (b *Batch) Reserve(col int) {
	if b.cols[col].valid == nil {
		b.alloc(col)
	}
}

// ok reports whether row i of the column is set (not NULL).
func (c *column) ok(i int32) bool { return c.valid != nil && c.valid[i] }

// SetString sets a VARCHAR column of the last row.
func (b *Batch) SetString(col int, s string) {
	c := b.set(col)
	c.str[b.Len-1] = s
	if c.ids != nil {
		c.ids[b.Len-1] = -1
	}
	b.Bytes += len(s)
}

// SetShared sets a VARCHAR column of the last row to a value a normalizer
// numbered: s == shared[id]. shared only ever grows (and never moves), and one
// batch is filled by one normalizer, so the latest view serves the whole
// batch. The writer turns the numbers into dictionary indices without hashing.
// Only the number is stored (Str reads it back): fewer pointers for the
// garbage collector to follow.
func (b *Batch) SetShared(col int, s string, id int32, shared []string) {
	c := &b.cols[col]
	if c.ids == nil {
		b.SetString(col, s)
		return
	}
	b.set(col)
	c.ids[b.Len-1] = id
	if len(b.shared[col]) != len(shared) {
		b.shared[col] = shared
	}
	b.Bytes += len(s)
}

// str returns row i of a VARCHAR column, which must be set.
func (b *Batch) str(col int, i int32) string {
	c := &b.cols[col]
	if c.ids != nil && c.ids[i] >= 0 {
		return b.shared[col][c.ids[i]]
	}
	return c.str[i]
}

// SetInt sets a BIGINT or TIMESTAMP (microseconds) column of the last row.
func (b *Batch) SetInt(col int, v int64) {
	c := b.set(col)
	c.i64[b.Len-1] = v
	b.Bytes += 8
}

// SetList sets a VARCHAR[] column of the last row to a copy of v (callers may
// reuse v); an empty list is NULL. The copies of one batch share an arena.
func (b *Batch) SetList(col int, v []string) {
	if len(v) == 0 {
		return
	}
	c := b.set(col)
	if cap(b.lists)-len(b.lists) < len(v) {
		b.lists = make([]string, 0, max(4*b.rows, len(v)))
	}
	start := len(b.lists)
	b.lists = append(b.lists, v...)
	c.list[b.Len-1] = b.lists[start:len(b.lists):len(b.lists)]
	for _, s := range v {
		b.Bytes += len(s) + 4
	}
}

// String returns row i of a VARCHAR column and whether it is set.
func (b *Batch) String(col, i int) (string, bool) {
	if !b.cols[col].ok(int32(i)) {
		return "", false
	}
	return b.str(col, int32(i)), true
}

// Int64 returns row i of a BIGINT or TIMESTAMP column and whether it is set.
func (b *Batch) Int64(col, i int) (int64, bool) {
	c := &b.cols[col]
	if !c.ok(int32(i)) {
		return 0, false
	}
	return c.i64[i], true
}

// SetStringAt sets a VARCHAR column of row i (which need not be the last row).
func (b *Batch) SetStringAt(col, i int, s string) {
	c := &b.cols[col]
	if c.valid == nil {
		b.alloc(col)
	}
	c.valid[i] = true
	c.str[i] = s
	if c.ids != nil {
		c.ids[i] = -1
	}
	b.Bytes += len(s)
}

// Has reports whether column col of row i is set (not NULL).
func (b *Batch) Has(col, i int) bool { return b.cols[col].ok(int32(i)) }

// AppendList appends v to the VARCHAR[] column col of row i (which need not be
// the last row).
func (b *Batch) AppendList(col, i int, v string) {
	c := &b.cols[col]
	if c.valid == nil {
		b.alloc(col)
	}
	var l []string
	if c.valid[i] {
		l = c.list[i]
	}
	c.list[i] = append(l[:len(l):len(l)], v)
	c.valid[i] = true
	b.Bytes += len(v) + 4
}

// SetMap sets a MAP column of the last row; an empty map is NULL.
func (b *Batch) SetMap(col int, v []KV) {
	if len(v) == 0 {
		return
	}
	c := b.set(col)
	c.kv[b.Len-1] = v
	for _, e := range v {
		b.Bytes += len(e.K) + len(e.V) + 8
	}
}

// Unset makes column col of the last row NULL again. A decoder that overlays
// one mapping on another (winlogbeat documents re-mapped as Windows events)
// clears what the first mapping set and the second leaves unset.
func (b *Batch) Unset(col int) {
	if c := &b.cols[col]; c.valid != nil {
		c.valid[b.Len-1] = false
	}
}

// Fill sets a VARCHAR column of the segment's rows to s. The loader fills the
// input's SHA-256 this way, once it is known.
func (s Segment) Fill(col int, v string) {
	c := &s.B.cols[col]
	if c.valid == nil {
		panic("rows: Fill of a column not reserved with Batch.Reserve")
	}
	for _, r := range s.Rows {
		c.valid[r] = true
		c.str[r] = v
		if c.ids != nil {
			c.ids[r] = -1
		}
	}
}

// AppendRows copies the segment's rows to the end of b, their text too, so
// that b keeps nothing of the segment's batch alive (the writer holds the rows
// of small partitions this way from one flush to the next). Values a
// normalizer numbered (SetShared) become plain text that still refers to the
// normalizer's numbering, which outlives every batch. Column skip is left
// NULL.
func (b *Batch) AppendRows(sg Segment, skip int) {
	src, n := sg.B, b.Len
	if need := n + len(sg.Rows); need > b.rows {
		b.grow(max(need, 2*b.rows))
	}
	b.Len += len(sg.Rows)
	for ci := range src.cols {
		sc := &src.cols[ci]
		if sc.valid == nil || ci == skip || !slices.ContainsFunc(sg.Rows, func(r int) bool { return sc.valid[r] }) {
			continue
		}
		if b.cols[ci].valid == nil {
			b.alloc(ci)
		}
		dc := &b.cols[ci]
		for k, r := range sg.Rows {
			if !sc.valid[r] {
				continue
			}
			i := n + k
			dc.valid[i] = true
			switch schema.Fields[ci].Kind {
			case schema.String:
				if sc.ids != nil && sc.ids[r] >= 0 {
					dc.str[i] = src.shared[ci][sc.ids[r]]
				} else {
					dc.str[i] = b.copyText(sc.str[r])
				}
				if dc.ids != nil {
					dc.ids[i] = -1
				}
				b.Bytes += len(dc.str[i])
			case schema.Int, schema.Time:
				dc.i64[i] = sc.i64[r]
				b.Bytes += 8
			case schema.StringList:
				l := make([]string, len(sc.list[r]))
				for j, v := range sc.list[r] {
					l[j] = b.copyText(v)
					b.Bytes += len(v) + 4
				}
				dc.list[i] = l
			case schema.StringMap:
				kv := make([]KV, len(sc.kv[r]))
				for j, e := range sc.kv[r] {
					kv[j] = KV{b.copyText(e.K), b.copyText(e.V)}
					b.Bytes += len(e.K) + len(e.V) + 8
				}
				dc.kv[i] = kv
			}
		}
	}
}

// copyText copies s into the batch's text arena, whose blocks double from
// 4 KiB to 256 KiB: a batch holding a few rows wastes little.
func (b *Batch) copyText(s string) string {
	if s == "" {
		return ""
	}
	if cap(b.text)-len(b.text) < len(s) {
		b.text = make([]byte, 0, max(len(s), min(256<<10, max(4<<10, 2*cap(b.text)))))
	}
	start := len(b.text)
	b.text = append(b.text, s...)
	return unsafe.String(&b.text[start], len(s))
}

// Time returns row i's @timestamp in microseconds.
func (b *Batch) Time(i int) int64 { return b.cols[tsCol].i64[i] }

// Segment is a selection of a batch's rows; a file is written from segments of
// many batches without first copying the rows together.
type Segment struct {
	B    *Batch
	Rows []int
}

// Ref is one row of a segment list: segment S, row R of its batch.
type Ref struct{ S, R int32 }

// SortedRefs returns the rows of segs in archive file order: by @timestamp,
// then by source file and offset, so equal inputs give byte-identical files.
func SortedRefs(segs []Segment) []Ref {
	n := 0
	for _, s := range segs {
		n += len(s.Rows)
	}
	refs := make([]Ref, 0, n)
	for si, s := range segs {
		for _, r := range s.Rows {
			refs = append(refs, Ref{int32(si), int32(r)})
		}
	}
	slices.SortStableFunc(refs, func(x, y Ref) int {
		bx, by := segs[x.S].B, segs[y.S].B
		if c := cmp.Compare(bx.cols[tsCol].i64[x.R], by.cols[tsCol].i64[y.R]); c != 0 {
			return c
		}
		if c := strings.Compare(bx.str(fileCol, x.R), by.str(fileCol, y.R)); c != 0 {
			return c
		}
		return cmp.Compare(bx.cols[offsetCol].i64[x.R], by.cols[offsetCol].i64[y.R])
	})
	return refs
}

// Time returns the @timestamp of a row in microseconds.
func (r Ref) Time(segs []Segment) int64 { return segs[r.S].B.cols[tsCol].i64[r.R] }

// Record builds an Arrow record batch of the referenced rows, in order, in the
// archive's write schema (writeSchema). Text and number columns are laid out
// directly in buffers sized exactly once; repeated text becomes dictionary
// arrays, which the Parquet writer stores without hashing every value again.
func Record(mem memory.Allocator, segs []Segment, refs []Ref) arrow.RecordBatch {
	sc := writeSchema
	cols := make([]arrow.Array, len(schema.Fields))
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for ci, f := range schema.Fields {
		switch f.Kind {
		case schema.String:
			if dictionaryColumn[ci] {
				cols[ci] = dictStrings(segs, refs, ci)
			} else {
				cols[ci] = denseStrings(segs, refs, ci)
			}
		case schema.Int, schema.Time:
			cols[ci] = int64s(segs, refs, ci, sc.Field(ci).Type)
		default:
			cols[ci] = nested(mem, segs, refs, ci, sc.Field(ci).Type)
		}
	}
	return array.NewRecordBatch(sc, cols, int64(len(refs)))
}

// dictionaryColumn marks the text columns whose values repeat from row to row
// (everything but schema.PerEvent): they are written as dictionaries.
var dictionaryColumn = func() []bool {
	d := make([]bool, len(schema.Fields))
	for i, f := range schema.Fields {
		d[i] = f.Kind == schema.String && !slices.Contains(schema.PerEvent, f.Name)
	}
	return d
}()

// writeSchema is schema.Arrow with repeated text columns dictionary-encoded;
// the Parquet files it writes have the same logical schema.
var writeSchema = func() *arrow.Schema {
	base := schema.Arrow()
	fs := slices.Clone(base.Fields())
	for i := range fs {
		if dictionaryColumn[i] {
			fs[i].Type = dictType
		}
	}
	return arrow.NewSchema(fs, nil)
}()

// validity is an Arrow validity bitmap under construction.
type validity struct {
	bits  []byte
	nulls int
}

func newValidity(n int) validity { return validity{bits: make([]byte, bitutil.BytesForBits(int64(n)))} }

func (v *validity) set(i int, ok bool) {
	if ok {
		bitutil.SetBit(v.bits, i)
	} else {
		v.nulls++
	}
}

// buffer returns the bitmap, or nil when nothing is NULL.
func (v *validity) buffer() *memory.Buffer {
	if v.nulls == 0 {
		return nil
	}
	return memory.NewBufferBytes(v.bits)
}

func denseStrings(segs []Segment, refs []Ref, ci int) arrow.Array {
	return stringArray(schema.Fields[ci].Name, len(refs), func(i int) (string, bool) {
		r := refs[i]
		if !segs[r.S].B.cols[ci].ok(r.R) {
			return "", false
		}
		return segs[r.S].B.str(ci, r.R), true
	})
}

// stringArray lays out n strings (get returns false for NULL) as an Arrow
// string array, its buffers sized exactly once.
func stringArray(name string, n int, get func(i int) (string, bool)) arrow.Array {
	total := 0
	for i := range n {
		s, _ := get(i)
		total += len(s)
	}
	if total > math.MaxInt32 {
		panic(fmt.Sprintf("rows: %s holds %d bytes in one file", name, total))
	}
	offsets := make([]int32, n+1)
	data := make([]byte, 0, total)
	valid := newValidity(n)
	for i := range n {
		s, ok := get(i)
		valid.set(i, ok)
		data = append(data, s...)
		offsets[i+1] = int32(len(data))
	}
	d := array.NewData(arrow.BinaryTypes.String, n,
		[]*memory.Buffer{valid.buffer(), memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(offsets)), memory.NewBufferBytes(data)},
		nil, valid.nulls, 0)
	defer d.Release()
	return array.MakeFromData(d)
}

// dictStrings builds a dictionary array, numbered as numberRows numbers.
func dictStrings(segs []Segment, refs []Ref, ci int) arrow.Array {
	values, indices := numberRows(new(texts), segs, refs, ci, make([]int32, 0, len(refs)))
	valid := newValidity(len(refs))
	for i, x := range indices {
		valid.set(i, x >= 0)
		indices[i] = max(x, 0)
	}
	return dictArray(values, indices, valid)
}

var dictType = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

// dictArray assembles a dictionary array from its values and indices.
func dictArray(values []string, indices []int32, valid validity) arrow.Array {
	dict := stringArray("a dictionary", len(values), func(i int) (string, bool) { return values[i], true })
	defer dict.Release()
	id := array.NewData(arrow.PrimitiveTypes.Int32, len(indices),
		[]*memory.Buffer{valid.buffer(), memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(indices))}, nil, valid.nulls, 0)
	defer id.Release()
	ix := array.MakeFromData(id)
	defer ix.Release()
	return array.NewDictionaryArray(dictType, ix, dict)
}

// texts numbers distinct strings in order of appearance.
type texts struct {
	ids    map[string]int32
	values []string
	last   int32
}

func (t *texts) id(s string) int32 {
	if len(t.values) > 0 && t.values[t.last] == s {
		return t.last
	}
	id, ok := t.ids[s]
	if !ok {
		if t.ids == nil {
			t.ids = map[string]int32{}
		}
		id = int32(len(t.values))
		t.values = append(t.values, s)
		t.ids[s] = id
	}
	t.last = id
	return id
}

func int64s(segs []Segment, refs []Ref, ci int, typ arrow.DataType) arrow.Array {
	vals := make([]int64, len(refs))
	valid := newValidity(len(refs))
	for i, r := range refs {
		c := &segs[r.S].B.cols[ci]
		ok := c.ok(r.R)
		valid.set(i, ok)
		if ok {
			vals[i] = c.i64[r.R]
		}
	}
	d := array.NewData(typ, len(refs), []*memory.Buffer{valid.buffer(), memory.NewBufferBytes(arrow.Int64Traits.CastToBytes(vals))}, nil, valid.nulls, 0)
	defer d.Release()
	return array.MakeFromData(d)
}

// nested builds the list and map columns, which few rows fill.
func nested(mem memory.Allocator, segs []Segment, refs []Ref, ci int, typ arrow.DataType) arrow.Array {
	col := func(r Ref) *column { return &segs[r.S].B.cols[ci] }
	switch fb := array.NewBuilder(mem, typ).(type) {
	case *array.ListBuilder:
		defer fb.Release()
		vb := fb.ValueBuilder().(*array.StringBuilder)
		for _, r := range refs {
			c := col(r)
			if !c.ok(r.R) {
				fb.AppendNull()
				continue
			}
			fb.Append(true)
			for _, s := range c.list[r.R] {
				vb.Append(s)
			}
		}
		return fb.NewArray()
	case *array.MapBuilder:
		defer fb.Release()
		kb := fb.KeyBuilder().(*array.StringBuilder)
		ib := fb.ItemBuilder().(*array.StringBuilder)
		for _, r := range refs {
			c := col(r)
			if !c.ok(r.R) {
				fb.AppendNull()
				continue
			}
			fb.Append(true)
			for _, e := range c.kv[r.R] {
				kb.Append(e.K)
				ib.Append(e.V)
			}
		}
		return fb.NewArray()
	}
	panic("rows: unexpected column type for " + schema.Fields[ci].Name)
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
