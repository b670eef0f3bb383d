package rows

import "encoding/binary"

// compact writes the Thrift compact protocol, the encoding of Parquet's page
// headers and footer: just what the archive writer needs (structs, lists of
// structs, i32, i64, binary, bool). Fields must be written in increasing id
// order within a struct, as the generated code does.
type compact struct {
	b     []byte
	last  int16   // id of the last field written in the current struct
	outer []int16 // last ids of the enclosing structs
}

// Compact protocol type codes.
const (
	ctTrue   = 1
	ctFalse  = 2
	ctByte   = 3
	ctI16    = 4
	ctI32    = 5
	ctI64    = 6
	ctBinary = 8
	ctList   = 9
	ctStruct = 12
)

func (c *compact) field(id int16, typ byte) {
	if d := id - c.last; d > 0 && d <= 15 {
		c.b = append(c.b, byte(d)<<4|typ)
	} else {
		c.b = append(c.b, typ)
		c.b = binary.AppendUvarint(c.b, uint64(uint16((id<<1)^(id>>15))))
	}
	c.last = id
}

func zigzag(v int64) uint64 { return uint64((v << 1) ^ (v >> 63)) }

func (c *compact) i32(id int16, v int32) {
	c.field(id, ctI32)
	c.b = binary.AppendUvarint(c.b, zigzag(int64(v)))
}

func (c *compact) i64(id int16, v int64) {
	c.field(id, ctI64)
	c.b = binary.AppendUvarint(c.b, zigzag(v))
}

func (c *compact) i16(id int16, v int16) {
	c.field(id, ctI16)
	c.b = binary.AppendUvarint(c.b, zigzag(int64(v)))
}

func (c *compact) i8(id int16, v int8) {
	c.field(id, ctByte)
	c.b = append(c.b, byte(v))
}

func (c *compact) bool(id int16, v bool) {
	if v {
		c.field(id, ctTrue)
	} else {
		c.field(id, ctFalse)
	}
}

func (c *compact) binary(id int16, v string) {
	c.field(id, ctBinary)
	c.b = binary.AppendUvarint(c.b, uint64(len(v)))
	c.b = append(c.b, v...)
}

// begin opens a struct-valued field; end closes it.
func (c *compact) begin(id int16) {
	c.field(id, ctStruct)
	c.elem()
}

// elem opens a struct that is an element of a list.
func (c *compact) elem() {
	c.outer = append(c.outer, c.last)
	c.last = 0
}

func (c *compact) end() {
	c.b = append(c.b, 0) // stop
	c.last = c.outer[len(c.outer)-1]
	c.outer = c.outer[:len(c.outer)-1]
}

// list writes a list field's header; its n elements follow.
func (c *compact) list(id int16, elem byte, n int) {
	c.field(id, ctList)
	if n < 15 {
		c.b = append(c.b, byte(n)<<4|elem)
	} else {
		c.b = append(c.b, 0xf0|elem)
		c.b = binary.AppendUvarint(c.b, uint64(n))
	}
}

// listI32 and listString write the elements of a list of i32 or of strings.
func (c *compact) listI32(v int32) { c.b = binary.AppendUvarint(c.b, zigzag(int64(v))) }

func (c *compact) listString(v string) {
	c.b = binary.AppendUvarint(c.b, uint64(len(v)))
	c.b = append(c.b, v...)
}
