package rows

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"unsafe"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	pqschema "github.com/apache/arrow-go/v18/parquet/schema"

	schema "huntsql/sql"
)

// WriteParquet writes the referenced rows, in order, as a Parquet file in the
// archive schema. It feeds arrow-go's column writers straight from the
// batches: text reaches the page encoders as slices of the normalized values
// (event.original is never copied into an intermediate array), and levels are
// computed here for the few nested columns.
func WriteParquet(w io.Writer, segs []Segment, refs []Ref, props *parquet.WriterProperties) error {
	sc, err := archiveSchema()
	if err != nil {
		return err
	}
	pw, err := file.NewParquetWriterWithError(w, sc.Root(), file.WithWriterProps(props))
	if err != nil {
		if c, ok := w.(io.Closer); ok {
			c.Close() // the writer closes w, but there is no writer
		}
		return err
	}
	var s scratch
	per := int(props.MaxRowGroupLength())
	groups := max(1, (len(refs)+per-1)/per) // an empty file still has its (empty) row group
	for g := range groups {
		group := refs[g*per : min((g+1)*per, len(refs))]
		rgw, err := pw.AppendRowGroupChecked()
		if err != nil {
			pw.Close()
			return err
		}
		for ci := range schema.Fields {
			if err := s.column(rgw, segs, group, ci); err != nil {
				pw.Close()
				return fmt.Errorf("write column %s: %w", schema.Fields[ci].Name, err)
			}
		}
		if err := rgw.Close(); err != nil {
			pw.Close()
			return err
		}
	}
	return pw.Close()
}

// parquetSchema is the Parquet schema of the archive, as arrow-go derives it
// from the Arrow schema (the same logical types DuckDB has always read).
func parquetSchema(props *parquet.WriterProperties) (*pqschema.Schema, error) {
	return pqarrow.ToParquet(schema.Arrow(), props, pqarrow.DefaultWriterProps())
}

// archiveSchema is parquetSchema, derived once: the writer properties that
// bear on it (format version, root name) are the same for every file.
var archiveSchema = sync.OnceValues(func() (*pqschema.Schema, error) {
	return parquetSchema(parquet.NewWriterProperties())
})

// LeafPaths lists, per field of the archive schema, the paths of its Parquet
// leaf columns (two for a map, one otherwise), for per-column writer
// properties.
var LeafPaths = func() [][]parquet.ColumnPath {
	sc, err := archiveSchema()
	if err != nil {
		panic(err)
	}
	paths := make([][]parquet.ColumnPath, len(schema.Fields))
	for i := range sc.NumColumns() {
		f := sc.ColumnRoot(i)
		fi := sc.Root().FieldIndexByField(f)
		paths[fi] = append(paths[fi], sc.Column(i).ColumnPath())
	}
	return paths
}()

// NullColumns reports, per field of the archive schema, whether none of the
// segments' rows sets it.
func NullColumns(segs []Segment) []bool {
	null := make([]bool, len(schema.Fields))
	for ci := range null {
		null[ci] = true
		for _, sg := range segs {
			c := &sg.B.cols[ci]
			if c.valid == nil {
				continue
			}
			if slices.ContainsFunc(sg.Rows, func(r int) bool { return c.valid[r] }) {
				null[ci] = false
				break
			}
		}
	}
	return null
}

// scratch holds buffers reused from column to column.
type scratch struct {
	bytes []parquet.ByteArray
	ints  []int64
	def   []int16
	rep   []int16
	idx   []int32
}

func asBytes(s string) parquet.ByteArray { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// column writes one field (two leaf columns for a map) of a row group.
func (s *scratch) column(rgw file.SerialRowGroupWriter, segs []Segment, refs []Ref, ci int) error {
	col := func(r Ref) *column { return &segs[r.S].B.cols[ci] }
	s.bytes, s.ints, s.def, s.rep, s.idx = s.bytes[:0], s.ints[:0], s.def[:0], s.rep[:0], nil
	cw, err := rgw.NextColumn()
	if err != nil {
		return err
	}
	switch schema.Fields[ci].Kind {
	case schema.String:
		if dictionaryColumn[ci] {
			// Repeated text goes in as a dictionary array built from the
			// interned values: the encoder hashes nothing.
			set := false
			for _, r := range refs {
				ok := col(r).ok(r.R)
				set = set || ok
				s.def = append(s.def, int16(b2i(ok)))
			}
			if !set {
				// Only levels (and the writer may have no dictionary
				// for the column: see the loader's fileWriterProps).
				_, err = cw.(*file.ByteArrayColumnChunkWriter).WriteBatch(nil, s.def, nil)
				return err
			}
			arr := dictStrings(segs, refs, ci)
			defer arr.Release()
			return pqarrow.WriteArrowToColumn(context.Background(), cw, arr, s.def, nil, true)
		}
		for _, r := range refs {
			c := col(r)
			if c.ok(r.R) {
				s.def = append(s.def, 1)
				s.bytes = append(s.bytes, asBytes(c.str[r.R]))
			} else {
				s.def = append(s.def, 0)
			}
		}
		_, err = cw.(*file.ByteArrayColumnChunkWriter).WriteBatch(s.bytes, s.def, nil)
	case schema.Int, schema.Time:
		for _, r := range refs {
			c := col(r)
			if c.ok(r.R) {
				s.def = append(s.def, 1)
				s.ints = append(s.ints, c.i64[r.R])
			} else {
				s.def = append(s.def, 0)
			}
		}
		_, err = cw.(*file.Int64ColumnChunkWriter).WriteBatch(s.ints, s.def, nil)
	case schema.StringList:
		// optional list → repeated group → optional element: a NULL list has
		// level 0, an element the column's maximum.
		// The elements go in as a dictionary array, numbered here (arrow-go's
		// own hashing of each element costs several times more).
		elem := cw.Descr().MaxDefinitionLevel()
		var known texts
		for _, r := range refs {
			c := col(r)
			if !c.ok(r.R) {
				s.def, s.rep = append(s.def, 0), append(s.rep, 0)
				continue
			}
			for i, v := range c.list[r.R] {
				s.def, s.rep = append(s.def, elem), append(s.rep, min(int16(i), 1))
				s.idx = append(s.idx, known.id(v))
			}
		}
		if len(s.idx) == 0 {
			_, err = cw.(*file.ByteArrayColumnChunkWriter).WriteBatch(nil, s.def, s.rep)
			return err
		}
		arr := dictArray(known.values, s.idx, validity{})
		defer arr.Release()
		return pqarrow.WriteArrowToColumn(context.Background(), cw, arr, s.def, s.rep, true)
	case schema.StringMap:
		// optional map → repeated key_value → required key, optional value.
		// Keys and values go in as dictionary arrays numbered here, as list
		// elements do (arrow-go's hashing of every entry was 3 % of an EVTX
		// load's CPU).
		for leaf := range 2 {
			if leaf == 1 {
				s.def, s.rep, s.idx = s.def[:0], s.rep[:0], s.idx[:0]
				if cw, err = rgw.NextColumn(); err != nil {
					return err
				}
			}
			entry := cw.Descr().MaxDefinitionLevel()
			var known texts
			for _, r := range refs {
				c := col(r)
				if !c.ok(r.R) {
					s.def, s.rep = append(s.def, 0), append(s.rep, 0)
					continue
				}
				for i, e := range c.kv[r.R] {
					s.def, s.rep = append(s.def, entry), append(s.rep, min(int16(i), 1))
					if leaf == 0 {
						s.idx = append(s.idx, known.id(e.K))
					} else {
						s.idx = append(s.idx, known.id(e.V))
					}
				}
			}
			if len(s.idx) == 0 {
				if _, err = cw.(*file.ByteArrayColumnChunkWriter).WriteBatch(nil, s.def, s.rep); err != nil {
					return err
				}
				continue
			}
			arr := dictArray(known.values, s.idx, validity{})
			err = pqarrow.WriteArrowToColumn(context.Background(), cw, arr, s.def, s.rep, true)
			arr.Release()
			if err != nil {
				return err
			}
		}
	}
	return err
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
