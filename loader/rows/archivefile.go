package rows

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"sync"

	schema "huntsql/sql"
)

// WriteArchiveFile writes the referenced rows, in order, as a Parquet file in
// the archive schema, with a writer made for that one schema. A general
// Parquet writer (arrow-go's) pays a fixed cost per column chunk (set-up,
// encoders, statistics, page and column metadata built as objects and then
// serialized): with about 160 columns, most of them NULL in any one file, that
// cost was most of an EVTX load's writing. Here a NULL column chunk is one
// page of a single RLE run of levels, and the page headers and footer are
// written straight in Thrift's compact encoding, the schema part once.
//
// The file reads as arrow-go's writer would write it (the tests compare the
// two through DuckDB): the same schema and logical types, dictionaries for
// the repeated text columns (PLAIN when a dictionary would pass
// maxDictionaryBytes), zstd at its fastest level except for NULL columns and
// for the text and list dictionaries of small files, statistics (min, max, NULL
// count) on numbers, times and schema.Filtered, @timestamp recorded as the
// sorting column, data pages of about pageBytes.
func WriteArchiveFile(w io.Writer, segs []Segment, refs []Ref) error {
	fw := idleWriters.get()
	defer idleWriters.put(fw)
	fw.reset(w)
	fw.put([]byte(parquetMagic))
	groups := max(1, (len(refs)+rowGroupRows-1)/rowGroupRows) // an empty file still has its (empty) row group
	for g := range groups {
		group := refs[g*rowGroupRows : min((g+1)*rowGroupRows, len(refs))]
		fw.rowGroup(segs, group, len(refs) < SmallFileRows)
	}
	fw.footer(int64(len(refs)))
	return fw.err
}

const (
	parquetMagic = "PAR1"
	// rowGroupRows bounds a row group, as arrow-go's writer was set to.
	rowGroupRows = 122880
	// pageBytes is where a data page of plain values ends (at a row
	// boundary): readers decode a page at once.
	pageBytes = 1 << 20
	// maxDictionaryBytes: a column whose distinct values would take more than
	// this is written PLAIN (arrow-go's default dictionary page limit).
	maxDictionaryBytes = 1 << 20
	// SmallFileRows: in a file of fewer rows, the dictionary-encoded columns
	// (a few distinct values, and bit-packed indices) are not compressed:
	// zstd frames cost more than they save there (on EVTX files of 85 rows:
	// 6 % less CPU, 0.5 % smaller; of 1,881 rows it would be 3 % larger).
	SmallFileRows = 1000
)

// Parquet's enumerations, as numbered in parquet.thrift.
const (
	typeInt64     = 2
	typeByteArray = 6

	encPlain         = 0
	encRLE           = 3
	encRLEDictionary = 8

	codecNone = 0
	codecZstd = 6

	pageData       = 0
	pageDictionary = 2

	repRequired = 0
	repOptional = 1
	repRepeated = 2

	convUTF8            = 0
	convMap             = 1
	convList            = 3
	convTimestampMicros = 10
	convInt64           = 18
)

// leaf is one Parquet leaf column of the archive schema.
type leaf struct {
	field  int      // index in schema.Fields
	part   int      // for a map: 0 the key, 1 the value
	path   []string // path_in_schema
	typ    int32
	maxDef int16
	maxRep int16
	dict   bool // repeated text: dictionary-encoded
	stats  bool
}

var leaves = func() []leaf {
	var ls []leaf
	for ci, f := range schema.Fields {
		stats := f.Kind == schema.Int || f.Kind == schema.Time || slices.Contains(schema.Filtered, f.Name)
		switch f.Kind {
		case schema.String:
			ls = append(ls, leaf{field: ci, path: []string{f.Name}, typ: typeByteArray, maxDef: 1, dict: dictionaryColumn[ci], stats: stats})
		case schema.Int, schema.Time:
			ls = append(ls, leaf{field: ci, path: []string{f.Name}, typ: typeInt64, maxDef: 1, stats: stats})
		case schema.StringList:
			ls = append(ls, leaf{field: ci, path: []string{f.Name, "list", "element"}, typ: typeByteArray, maxDef: 3, maxRep: 1, dict: true})
		case schema.StringMap:
			ls = append(ls,
				leaf{field: ci, path: []string{f.Name, "key_value", "key"}, typ: typeByteArray, maxDef: 2, maxRep: 1, dict: true},
				leaf{field: ci, part: 1, path: []string{f.Name, "key_value", "value"}, typ: typeByteArray, maxDef: 3, maxRep: 1, dict: true})
		default:
			panic("rows: no Parquet leaf for " + f.Name)
		}
	}
	return ls
}()

// schemaPrefix is the footer's first two fields (format version, schema),
// the same in every file; columnOrders is its last (every column ordered by
// its type's order).
var schemaPrefix, columnOrders = func() ([]byte, []byte) {
	var c compact
	c.i32(1, 2) // version
	n := 1      // the root, then per field its group and leaf elements
	for _, f := range schema.Fields {
		switch f.Kind {
		case schema.StringList:
			n += 3
		case schema.StringMap:
			n += 4
		default:
			n++
		}
	}
	c.list(2, ctStruct, n)
	element := func(name string, typ, rep, children, conv int32, logical func()) {
		c.elem()
		if typ >= 0 {
			c.i32(1, typ)
		}
		if rep >= 0 {
			c.i32(3, rep)
		}
		c.binary(4, name)
		if children > 0 {
			c.i32(5, children)
		}
		if conv >= 0 {
			c.i32(6, conv)
		}
		if logical != nil {
			c.begin(10)
			logical()
			c.end()
		}
		c.end()
	}
	str := func() { c.begin(1); c.end() } // LogicalType.STRING
	element("schema", -1, -1, int32(len(schema.Fields)), -1, nil)
	for _, f := range schema.Fields {
		switch f.Kind {
		case schema.String:
			element(f.Name, typeByteArray, repOptional, 0, convUTF8, str)
		case schema.Int:
			element(f.Name, typeInt64, repOptional, 0, convInt64, func() {
				c.begin(10) // INTEGER
				c.i8(1, 64)
				c.bool(2, true)
				c.end()
			})
		case schema.Time:
			element(f.Name, typeInt64, repOptional, 0, convTimestampMicros, func() {
				c.begin(8) // TIMESTAMP
				c.bool(1, false)
				c.begin(2) // unit
				c.begin(2) // MICROS
				c.end()
				c.end()
				c.end()
			})
		case schema.StringList:
			element(f.Name, -1, repOptional, 1, convList, func() { c.begin(3); c.end() })
			element("list", -1, repRepeated, 1, -1, nil)
			element("element", typeByteArray, repOptional, 0, convUTF8, str)
		case schema.StringMap:
			element(f.Name, -1, repOptional, 1, convMap, func() { c.begin(2); c.end() })
			element("key_value", -1, repRepeated, 2, -1, nil)
			element("key", typeByteArray, repRequired, 0, convUTF8, str)
			element("value", typeByteArray, repOptional, 0, convUTF8, str)
		}
	}
	prefix := c.b
	c = compact{last: 6}
	c.list(7, ctStruct, len(leaves))
	for range leaves {
		c.elem()
		c.begin(1) // TYPE_ORDER
		c.end()
		c.end()
	}
	return prefix, c.b
}()

// chunk is what the footer records of one column chunk.
type chunk struct {
	codec                    int32
	dictionary               bool
	values                   int64 // levels, NULLs and list entries included
	uncompressed, compressed int64 // page headers included
	dataOffset, dictOffset   int64
	stats                    stats
}

// stats are a column chunk's statistics: min and max as Parquet's PLAIN
// encoding of the values (little-endian for numbers).
type stats struct {
	nulls    int64
	min, max []byte
	legacy   bool // numbers also fill the deprecated min/max fields
}

// fileWriter writes one file at a time; its buffers serve the next file.
type fileWriter struct {
	w      io.Writer
	off    int64
	err    error
	groups []rowGroup
	c      compact // page headers, then the footer

	// Per column chunk.
	def, rep []int16
	idx      []int32
	vals     []string
	ints     []int64
	page     []byte // a page's uncompressed body
	zbuf     []byte
	numbers  texts
}

type rowGroup struct {
	rows   int64
	chunks []chunk
}

// idleWriters keeps file writers and their buffers (a page's worth and
// more) across garbage collections, which would empty a sync.Pool: a load
// writes files on one goroutine per core.
var idleWriters writerList

type writerList struct {
	mu   sync.Mutex
	idle []*fileWriter
}

// maxKeptBuffer bounds the page buffers an idle writer keeps.
const maxKeptBuffer = 4 << 20

func (l *writerList) get() *fileWriter {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.idle); n > 0 {
		fw := l.idle[n-1]
		l.idle = l.idle[:n-1]
		return fw
	}
	return new(fileWriter)
}

func (l *writerList) put(fw *fileWriter) {
	// Keep no text of the file alive, nor a buffer grown for a huge value.
	fw.w = nil
	clear(fw.vals[:cap(fw.vals)])
	fw.numbers.reset()
	clear(fw.numbers.values[:cap(fw.numbers.values)])
	if cap(fw.page) > maxKeptBuffer {
		fw.page = nil
	}
	if cap(fw.zbuf) > maxKeptBuffer {
		fw.zbuf = nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.idle) < maxIdleEncoders {
		l.idle = append(l.idle, fw)
	}
}

func (fw *fileWriter) reset(w io.Writer) {
	fw.w, fw.off, fw.err = w, 0, nil
	for i := range fw.groups {
		fw.groups[i].chunks = fw.groups[i].chunks[:0]
	}
	fw.groups = fw.groups[:0]
}

func (fw *fileWriter) put(b []byte) {
	if fw.err != nil {
		return
	}
	n, err := fw.w.Write(b)
	fw.off += int64(n)
	fw.err = err
}

// rowGroup writes every column chunk of one row group.
func (fw *fileWriter) rowGroup(segs []Segment, refs []Ref, small bool) {
	if cap(fw.groups) > len(fw.groups) {
		fw.groups = fw.groups[:len(fw.groups)+1]
	} else {
		fw.groups = append(fw.groups, rowGroup{})
	}
	g := &fw.groups[len(fw.groups)-1]
	g.rows = int64(len(refs))
	for li := range leaves {
		lf := &leaves[li]
		g.chunks = append(g.chunks, chunk{})
		ch := &g.chunks[len(g.chunks)-1]
		if fw.err != nil {
			return
		}
		if !anySet(segs, refs, lf.field) {
			fw.nullChunk(lf, ch, len(refs))
			continue
		}
		ch.codec = codecZstd
		if small && lf.dict && schema.Fields[lf.field].Kind != schema.StringMap {
			ch.codec = codecNone
		}
		switch schema.Fields[lf.field].Kind {
		case schema.Int, schema.Time:
			fw.intChunk(segs, refs, lf, ch)
		case schema.String:
			fw.stringChunk(segs, refs, lf, ch)
		default:
			fw.nestedChunk(segs, refs, lf, ch)
		}
	}
}

// anySet reports whether any of the rows sets column ci.
func anySet(segs []Segment, refs []Ref, ci int) bool {
	if !slices.ContainsFunc(segs, func(sg Segment) bool { return sg.B.cols[ci].valid != nil }) {
		return false
	}
	for _, r := range refs {
		if segs[r.S].B.cols[ci].ok(r.R) {
			return true
		}
	}
	return false
}

// nullChunk writes a chunk with no values: one uncompressed page whose levels
// are a single run of zeros.
func (fw *fileWriter) nullChunk(lf *leaf, ch *chunk, n int) {
	ch.values = int64(n)
	ch.codec = codecNone
	if lf.stats {
		ch.stats = stats{nulls: int64(n)}
	}
	body := fw.page[:0]
	if lf.maxRep > 0 {
		body = levelRun(body, n, lf.maxRep)
	}
	body = levelRun(body, n, lf.maxDef)
	fw.page = body
	fw.dataPage(ch, body, n, encPlain)
}

// levelRun appends n zero levels (of a column whose highest level is max)
// with their length prefix.
func levelRun(dst []byte, n int, max int16) []byte {
	at := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst = appendRepeat(dst, n, 0, levelWidth(max))
	binary.LittleEndian.PutUint32(dst[at:], uint32(len(dst)-at-4))
	return dst
}

func levelWidth(max int16) int { return bits.Len16(uint16(max)) }

// levels appends the length-prefixed hybrid encoding of levels.
func levels(dst []byte, lv []int16, max int16) []byte {
	at := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst = appendHybrid(dst, lv, levelWidth(max))
	binary.LittleEndian.PutUint32(dst[at:], uint32(len(dst)-at-4))
	return dst
}

func (fw *fileWriter) intChunk(segs []Segment, refs []Ref, lf *leaf, ch *chunk) {
	def, ints := fw.def[:0], fw.ints[:0]
	for _, r := range refs {
		c := &segs[r.S].B.cols[lf.field]
		if c.ok(r.R) {
			def = append(def, 1)
			ints = append(ints, c.i64[r.R])
		} else {
			def = append(def, 0)
		}
	}
	fw.def, fw.ints = def, ints
	ch.values = int64(len(def))
	if lf.stats {
		ch.stats = intStats(ints, len(def)-len(ints))
	}
	// At most rowGroupRows values of 8 bytes: one page.
	body := levels(fw.page[:0], def, 1)
	for _, v := range ints {
		body = binary.LittleEndian.AppendUint64(body, uint64(v))
	}
	fw.page = body
	fw.dataPage(ch, body, len(def), encPlain)
}

func intStats(v []int64, nulls int) stats {
	s := stats{nulls: int64(nulls), legacy: true}
	if len(v) > 0 {
		s.min = binary.LittleEndian.AppendUint64(nil, uint64(slices.Min(v)))
		s.max = binary.LittleEndian.AppendUint64(nil, uint64(slices.Max(v)))
	}
	return s
}

func (fw *fileWriter) stringChunk(segs []Segment, refs []Ref, lf *leaf, ch *chunk) {
	def, vals := fw.def[:0], fw.vals[:0]
	if lf.dict {
		// Values a normalizer numbered are mapped to dictionary indices
		// without hashing their text (see numberRows).
		var dict []string
		fw.numbers.reset()
		dict, fw.idx = numberRows(&fw.numbers, segs, refs, lf.field, fw.idx[:0])
		idx := fw.idx[:0]
		for _, i := range fw.idx {
			def = append(def, int16(b2i(i >= 0)))
			if i >= 0 {
				idx = append(idx, i)
			}
		}
		fw.def, fw.idx = def, idx
		fw.dictChunk(lf, ch, dict, def, nil)
		return
	}
	for _, r := range refs {
		b := segs[r.S].B
		if b.cols[lf.field].ok(r.R) {
			def = append(def, 1)
			vals = append(vals, b.str(lf.field, r.R))
		} else {
			def = append(def, 0)
		}
	}
	fw.def, fw.vals = def, vals
	if lf.stats {
		ch.stats = stringStats(vals, len(def)-len(vals))
	}
	fw.plainPages(lf, ch, def, nil, vals)
}

// nestedChunk writes a list's elements or a map's keys or values.
func (fw *fileWriter) nestedChunk(segs []Segment, refs []Ref, lf *leaf, ch *chunk) {
	def, rep, vals := fw.def[:0], fw.rep[:0], fw.vals[:0]
	for _, r := range refs {
		c := &segs[r.S].B.cols[lf.field]
		if !c.ok(r.R) {
			def, rep = append(def, 0), append(rep, 0)
			continue
		}
		if schema.Fields[lf.field].Kind == schema.StringList {
			for i, v := range c.list[r.R] {
				def, rep = append(def, lf.maxDef), append(rep, int16(min(i, 1)))
				vals = append(vals, v)
			}
			continue
		}
		for i, e := range c.kv[r.R] {
			def, rep = append(def, lf.maxDef), append(rep, int16(min(i, 1)))
			if lf.part == 0 {
				vals = append(vals, e.K)
			} else {
				vals = append(vals, e.V)
			}
		}
	}
	fw.def, fw.rep, fw.vals = def, rep, vals
	// Number the values; a dictionary that grows too large means PLAIN.
	t := &fw.numbers
	t.reset()
	idx, size := fw.idx[:0], 0
	for _, v := range vals {
		n := len(t.values)
		i := t.id(v)
		if int(i) == n {
			if size += 4 + len(v); size > maxDictionaryBytes {
				fw.idx = idx
				fw.plainPages(lf, ch, def, rep, vals)
				return
			}
		}
		idx = append(idx, i)
	}
	fw.idx = idx
	fw.dictChunk(lf, ch, t.values, def, rep)
}

// dictChunk writes a dictionary page of dict and one data page of fw.idx,
// or PLAIN pages when the dictionary is too large.
func (fw *fileWriter) dictChunk(lf *leaf, ch *chunk, dict []string, def, rep []int16) {
	size := 0
	for _, v := range dict {
		size += 4 + len(v)
	}
	if lf.stats {
		ch.stats = stringStats(dict, countBelow(def, lf.maxDef))
	}
	if size > maxDictionaryBytes {
		vals := fw.vals[:0]
		for _, i := range fw.idx {
			vals = append(vals, dict[i])
		}
		fw.vals = vals
		fw.plainPages(lf, ch, def, rep, vals)
		return
	}
	ch.dictionary = true
	ch.values = int64(len(def))
	body := fw.page[:0]
	for _, v := range dict {
		body = binary.LittleEndian.AppendUint32(body, uint32(len(v)))
		body = append(body, v...)
	}
	fw.page = body
	ch.dictOffset = fw.off
	fw.writePage(ch, body, func(c *compact) {
		c.begin(7) // dictionary_page_header
		c.i32(1, int32(len(dict)))
		c.i32(2, encPlain)
		c.end()
	}, pageDictionary)
	body = fw.page[:0]
	if lf.maxRep > 0 {
		body = levels(body, rep, lf.maxRep)
	}
	body = levels(body, def, lf.maxDef)
	width := max(1, bits.Len32(uint32(len(dict)-1)))
	body = append(body, byte(width))
	body = appendHybrid(body, fw.idx, width)
	fw.page = body
	fw.dataPage(ch, body, len(def), encRLEDictionary)
}

// countBelow counts the levels below max: NULLs (and, for nested columns,
// NULL or empty lists and maps).
func countBelow(def []int16, max int16) int {
	n := 0
	for _, d := range def {
		n += b2i(d < max)
	}
	return n
}

func stringStats(v []string, nulls int) stats {
	s := stats{nulls: int64(nulls)}
	if len(v) > 0 {
		s.min, s.max = []byte(slices.Min(v)), []byte(slices.Max(v))
	}
	return s
}

// plainPages writes values PLAIN, in data pages that end at the first row
// boundary after pageBytes.
func (fw *fileWriter) plainPages(lf *leaf, ch *chunk, def, rep []int16, vals []string) {
	ch.values = int64(len(def))
	start, v, vstart, size := 0, 0, 0, 0
	flush := func(end int) {
		body := fw.page[:0]
		if lf.maxRep > 0 {
			body = levels(body, rep[start:end], lf.maxRep)
		}
		body = levels(body, def[start:end], lf.maxDef)
		for _, s := range vals[vstart:v] {
			body = binary.LittleEndian.AppendUint32(body, uint32(len(s)))
			body = append(body, s...)
		}
		fw.page = body
		fw.dataPage(ch, body, end-start, encPlain)
		start, vstart, size = end, v, 0
	}
	for k, d := range def {
		if size >= pageBytes && (lf.maxRep == 0 || rep[k] == 0) {
			flush(k)
		}
		if d == lf.maxDef {
			size += 4 + len(vals[v])
			v++
		}
	}
	flush(len(def))
}

// dataPage writes a data page (V1) of n levels whose values are in enc.
func (fw *fileWriter) dataPage(ch *chunk, body []byte, n int, enc int32) {
	if ch.dataOffset == 0 {
		ch.dataOffset = fw.off
	}
	fw.writePage(ch, body, func(c *compact) {
		c.begin(5) // data_page_header
		c.i32(1, int32(n))
		c.i32(2, enc)
		c.i32(3, encRLE)
		c.i32(4, encRLE)
		c.end()
	}, pageData)
}

// writePage compresses body as the chunk's codec says and writes it after its
// page header, whose type-specific part header writes.
func (fw *fileWriter) writePage(ch *chunk, body []byte, header func(*compact), typ int32) {
	data := body
	if ch.codec == codecZstd {
		fw.zbuf = zstdShared.EncodeLevel(fw.zbuf[:0], body, 1)
		data = fw.zbuf
	}
	if len(body) > 1<<31-1 || len(data) > 1<<31-1 {
		fw.err = fmt.Errorf("a Parquet page of %d bytes is too large", len(body))
		return
	}
	c := &fw.c
	*c = compact{b: c.b[:0], outer: c.outer[:0]}
	c.i32(1, typ)
	c.i32(2, int32(len(body)))
	c.i32(3, int32(len(data)))
	header(c)
	c.b = append(c.b, 0)
	ch.uncompressed += int64(len(c.b) + len(body))
	ch.compressed += int64(len(c.b) + len(data))
	fw.put(c.b)
	fw.put(data)
}

// footer writes the file metadata, its length and the closing magic.
func (fw *fileWriter) footer(rows int64) {
	if fw.err != nil {
		return
	}
	c := &fw.c
	*c = compact{b: append(c.b[:0], schemaPrefix...), last: 2, outer: c.outer[:0]}
	c.i64(3, rows)
	c.list(4, ctStruct, len(fw.groups))
	for gi := range fw.groups {
		g := &fw.groups[gi]
		c.elem()
		c.list(1, ctStruct, len(g.chunks))
		var total, compressed int64
		for li := range g.chunks {
			ch, lf := &g.chunks[li], &leaves[li]
			total += ch.uncompressed
			compressed += ch.compressed
			start := ch.dataOffset
			if ch.dictionary {
				start = ch.dictOffset
			}
			c.elem()
			c.i64(2, start+ch.compressed) // file_offset, as parquet-cpp sets it
			c.begin(3)                    // meta_data
			c.i32(1, lf.typ)
			if ch.dictionary {
				c.list(2, ctI32, 3)
				c.listI32(encRLEDictionary)
			} else {
				c.list(2, ctI32, 2)
			}
			c.listI32(encPlain)
			c.listI32(encRLE)
			c.list(3, ctBinary, len(lf.path))
			for _, p := range lf.path {
				c.listString(p)
			}
			c.i32(4, ch.codec)
			c.i64(5, ch.values)
			c.i64(6, ch.uncompressed)
			c.i64(7, ch.compressed)
			c.i64(9, ch.dataOffset)
			if ch.dictionary {
				c.i64(11, ch.dictOffset)
			}
			if lf.stats && g.rows > 0 {
				st := &ch.stats
				c.begin(12)
				if st.legacy && st.max != nil {
					c.binary(1, string(st.max))
					c.binary(2, string(st.min))
				}
				c.i64(3, st.nulls)
				if st.max != nil {
					c.binary(5, string(st.max))
					c.binary(6, string(st.min))
				}
				c.end()
			}
			c.end()
			c.end()
		}
		c.i64(2, total)
		c.i64(3, g.rows)
		c.list(4, ctStruct, 1) // sorting_columns: @timestamp, ascending
		c.elem()
		c.i32(1, int32(tsCol))
		c.bool(2, false)
		c.bool(3, false)
		c.end()
		if len(g.chunks) > 0 {
			first := &g.chunks[0]
			c.i64(5, first.dataOffset)
		}
		c.i64(6, compressed)
		c.i16(7, int16(gi))
		c.end()
	}
	c.binary(6, createdBy)
	c.b = append(c.b, columnOrders...)
	c.last = 7
	c.b = append(c.b, 0)
	c.b = binary.LittleEndian.AppendUint32(c.b, uint32(len(c.b)))
	c.b = append(c.b, parquetMagic...)
	fw.put(c.b)
}

const createdBy = "huntsql (archive writer)"

// numberRows numbers (in known, empty) the distinct values of text column ci
// over the rows in order of first appearance; idx gets, per row, its value's number or -1 for
// NULL. Values a normalizer numbered (SetShared) map to numbers through a
// table per numbering: only the others are looked up by their text.
func numberRows(known *texts, segs []Segment, refs []Ref, ci int, idx []int32) ([]string, []int32) {
	remaps := map[*string][]int32{}
	segRemap := make([][]int32, len(segs))
	for i, sg := range segs {
		shared := sg.B.shared[ci]
		if len(shared) == 0 {
			continue
		}
		key := &shared[0]
		r := remaps[key]
		if n := len(r); n < len(shared) {
			r = append(r, make([]int32, len(shared)-n)...)
			for j := n; j < len(r); j++ {
				r[j] = -1
			}
			remaps[key] = r
		}
		segRemap[i] = r
	}
	for _, r := range refs {
		c := &segs[r.S].B.cols[ci]
		if !c.ok(r.R) {
			idx = append(idx, -1)
			continue
		}
		if c.ids != nil {
			if id := c.ids[r.R]; id >= 0 {
				m := segRemap[r.S]
				if m[id] < 0 {
					m[id] = known.id(segs[r.S].B.shared[ci][id])
				}
				idx = append(idx, m[id])
				continue
			}
		}
		idx = append(idx, known.id(c.str[r.R]))
	}
	return known.values, idx
}

// reset empties t for reuse, keeping its map's storage.
func (t *texts) reset() {
	clear(t.ids)
	t.values = t.values[:0]
	t.last = 0
}
