package ecs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"huntsql/loader/rows"
	"huntsql/loader/timestamp"
	schema "huntsql/sql"
)

// decoder validates one JSON record and hands its values to the Normalizer in
// a single pass: keys are matched against the field trie as they are read, so
// values outside the schema are only validated, and string values without
// escapes are not copied (they point into the record, which is never modified).
// Its grammar is RFC 8259's, as encoding/json reads it, with fastjson's depth
// limit and fastjson's unescaping (the archive's text for a string is what it
// was when fastjson parsed it).
type decoder struct {
	n     *Normalizer
	data  []byte
	pos   int
	err   error
	depth int

	hit             bool   // the record is an Elasticsearch hit: _source was the event
	hitID, hitIndex string // the hit's _id and _index
	keyBuf, textBuf []byte
}

var errDepth = errors.New("too big depth")

// fail records the first syntax error; later steps see it and unwind.
func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format+" at byte %d", append(args, d.pos)...)
	}
}

func (d *decoder) ws() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *decoder) peek() byte {
	if d.pos < len(d.data) {
		return d.data[d.pos]
	}
	return 0
}

// expect consumes c (after whitespace) or fails.
func (d *decoder) expect(c byte) bool {
	d.ws()
	if d.peek() != c {
		d.fail("expected %q", c)
		return false
	}
	d.pos++
	return true
}

// nextMember checks the depth of a container's next member: a value nested
// deeper than fastjson's limit (each container counts one level) is an error.
func (d *decoder) nextMember() bool {
	if d.depth >= maxDepth {
		if d.err == nil {
			d.err = errDepth
		}
		return false
	}
	return true
}

// document decodes the whole record. It returns the top-level value's type
// when that is not an object.
func (d *decoder) document() (notObject string) {
	d.ws()
	if d.peek() != '{' {
		notObject = d.skipValue()
	} else {
		d.object(topLevel, nil, 0, "")
	}
	if d.err == nil {
		d.ws()
		if d.pos != len(d.data) {
			d.fail("unexpected data after the top-level value")
		}
	}
	return notObject
}

// How an object's members are used.
const (
	topLevel = iota // the record: an event, or an Elasticsearch hit
	fields          // members continue a path in the field trie
	mapKeys         // members are entries of a map column
	skipped         // members are only validated
)

// object reads the object at pos. For fields, t is the trie node the keys
// continue; for mapKeys, ci is the map column and prefix the key so far.
func (d *decoder) object(mode int, t *node, ci int, prefix string) {
	d.pos++ // '{'
	d.depth++
	defer func() { d.depth-- }()
	d.ws()
	if d.peek() == '}' {
		d.pos++
		return
	}
	for d.err == nil && d.nextMember() {
		d.ws()
		key, ok := d.key()
		if !ok || !d.expect(':') {
			return
		}
		d.ws()
		switch mode {
		case topLevel:
			d.topMember(key)
		case fields:
			d.member(t, key)
		case mapKeys:
			d.mapValue(ci, prefix+string(key))
		default:
			d.skipValue()
		}
		d.ws()
		switch d.peek() {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return
		default:
			d.fail("expected ',' or '}'")
		}
	}
}

// topMember handles a member of the record: an event field, or, for an
// Elasticsearch hit, the event in _source and the hit's _id and _index.
func (d *decoder) topMember(key []byte) {
	switch string(key) {
	case "_source":
		if d.peek() == '{' && !d.hit {
			// Everything before was the hit's, not the event's.
			d.hit = true
			d.n.reset()
			d.object(fields, trie, 0, "")
			return
		}
	case "_id", "_index":
		if d.peek() == '"' {
			start := d.pos
			s, _ := d.str()
			if string(key) == "_id" {
				d.hitID = string(s)
			} else {
				d.hitIndex = string(s)
			}
			if d.hit {
				return
			}
			d.pos = start
		}
	}
	if d.hit {
		d.skipValue()
		return
	}
	d.member(trie, key)
}

// member routes the value of key, whose path continues at trie node t.
func (d *decoder) member(t *node, key []byte) {
	c := t
	for len(key) > 0 && c != nil {
		seg := key
		var rest []byte
		for i, b := range key {
			if b == '.' {
				seg, rest = key[:i], key[i+1:]
				break
			}
		}
		key = rest
		if c.field >= 0 && schema.Fields[c.field].Kind == schema.StringMap {
			// Inside a map column the rest of the path is the map key.
			d.mapValue(c.field, string(seg)+dotted(rest))
			return
		}
		c = c.child(seg)
	}
	if c == nil {
		d.skipValue()
		return
	}
	if d.peek() == '{' {
		if c.field >= 0 && schema.Fields[c.field].Kind == schema.StringMap {
			d.object(mapKeys, nil, c.field, "")
		} else {
			d.object(fields, c, 0, "")
		}
		return
	}
	if c.field < 0 {
		d.skipValue() // a value where ECS has an object: kept only in event.original
		return
	}
	d.add(c.field, c.repeats)
}

func dotted(rest []byte) string {
	if len(rest) == 0 {
		return ""
	}
	return "." + string(rest)
}

// add records the value at pos for column ci; arrays contribute each element.
func (d *decoder) add(ci int, repeats bool) {
	n := d.n
	switch d.peek() {
	case 'n':
		d.literal("null")
		return
	case '[':
		d.array(func() { d.add(ci, repeats) })
		return
	case '{':
		n.touch(ci).bad = "an object"
		d.skipValue()
		return
	}
	isString := d.peek() == '"'
	raw, fromData := d.scalar()
	if d.err != nil {
		return
	}
	f := &schema.Fields[ci]
	vals := n.touch(ci)
	switch f.Kind {
	case schema.String, schema.StringList:
		var id int32 = -1
		var s string
		switch {
		case repeats && isString:
			s, id = n.table(ci).intern(raw)
		case fromData:
			s = unsafe.String(unsafe.SliceData(raw), len(raw))
		default:
			s = string(raw)
		}
		vals.strs, vals.ids = append(vals.strs, s), append(vals.ids, id)
	case schema.Int:
		i, ok := rows.ParseInt(unsafe.String(unsafe.SliceData(raw), len(raw)))
		if !ok {
			vals.bad = "not an integer: " + string(raw)
			return
		}
		vals.ints = append(vals.ints, i)
	case schema.Time:
		t, err := parseTime(raw, isString)
		if err != nil {
			vals.bad = err.Error()
			return
		}
		vals.ints = append(vals.ints, t)
	case schema.StringMap:
		vals.bad = "not an object"
	}
}

func parseTime(raw []byte, isString bool) (int64, error) {
	s := unsafe.String(unsafe.SliceData(raw), len(raw))
	if isString {
		return timestamp.Parse(s)
	}
	if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return 0, fmt.Errorf("not a date: %s", s) // true or false
	}
	if us, err := timestamp.Parse(s); err == nil {
		return us, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("unparseable number %s", s)
	}
	return timestamp.FromFloat(f)
}

// mapValue records the value at pos as entry key of map column ci; objects
// nest their keys with dots.
func (d *decoder) mapValue(ci int, key string) {
	n := d.n
	switch d.peek() {
	case 'n':
		d.literal("null")
		return
	case '{':
		d.object(mapKeys, nil, ci, key+".")
		return
	case '[':
		// Rare: an array kept as its compact JSON text.
		start := d.pos
		d.skipValue()
		if d.err != nil {
			return
		}
		v, err := n.p.ParseBytes(d.data[start:d.pos])
		if err != nil {
			d.fail("%v", err)
			return
		}
		d.textBuf = v.MarshalTo(d.textBuf[:0])
		vals := n.touch(ci)
		vals.kv = append(vals.kv, rows.KV{K: n.mapKey(key), V: string(d.textBuf)})
		return
	}
	raw, fromData := d.scalar()
	if d.err != nil {
		return
	}
	v := string(raw)
	if fromData {
		v = unsafe.String(unsafe.SliceData(raw), len(raw))
	}
	vals := n.touch(ci)
	vals.kv = append(vals.kv, rows.KV{K: n.mapKey(key), V: v})
}

// array reads the array at pos, calling elem at each element.
func (d *decoder) array(elem func()) {
	d.pos++ // '['
	d.depth++
	defer func() { d.depth-- }()
	d.ws()
	if d.peek() == ']' {
		d.pos++
		return
	}
	for d.err == nil && d.nextMember() {
		d.ws()
		elem()
		d.ws()
		switch d.peek() {
		case ',':
			d.pos++
		case ']':
			d.pos++
			return
		default:
			d.fail("expected ',' or ']'")
		}
	}
}

// scalar reads a string, number, true or false and returns its text as the
// keyword type sees it (strings unescaped, numbers as written); fromData
// tells whether the text lies in the record itself.
func (d *decoder) scalar() (text []byte, fromData bool) {
	d.ws()
	start := d.pos
	switch c := d.peek(); {
	case c == '"':
		return d.str()
	case c == 't':
		d.literal("true")
	case c == 'f':
		d.literal("false")
	case c == '-' || (c >= '0' && c <= '9'):
		d.number()
	default:
		d.fail("unexpected %q", c)
	}
	return d.data[start:d.pos], true
}

func (d *decoder) literal(lit string) {
	if len(d.data)-d.pos < len(lit) || string(d.data[d.pos:d.pos+len(lit)]) != lit {
		d.fail("invalid literal")
		return
	}
	d.pos += len(lit)
}

// skipValue validates the value at pos and returns its type's name.
func (d *decoder) skipValue() string {
	d.ws()
	switch c := d.peek(); {
	case c == '{':
		d.object(skipped, nil, 0, "")
		return "object"
	case c == '[':
		d.array(func() { d.skipValue() })
		return "array"
	case c == 'n':
		d.literal("null")
		return "null"
	case c == 't':
		d.literal("true")
		return "true"
	case c == 'f':
		d.literal("false")
		return "false"
	case c == '"':
		d.str()
		return "string"
	case c == '-' || (c >= '0' && c <= '9'):
		d.number()
		return "number"
	default:
		d.fail("unexpected %q", c)
		return ""
	}
}

func (d *decoder) digits() int {
	start := d.pos
	for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
		d.pos++
	}
	return d.pos - start
}

// number reads a JSON number.
func (d *decoder) number() {
	if d.peek() == '-' {
		d.pos++
	}
	switch {
	case d.peek() == '0':
		d.pos++
	case d.digits() == 0:
		d.fail("expected a digit")
		return
	}
	if d.peek() == '.' {
		d.pos++
		if d.digits() == 0 {
			d.fail("expected a digit after the decimal point")
			return
		}
	}
	if c := d.peek(); c == 'e' || c == 'E' {
		d.pos++
		if c := d.peek(); c == '+' || c == '-' {
			d.pos++
		}
		if d.digits() == 0 {
			d.fail("expected a digit in the exponent")
		}
	}
}

// key reads an object key, unescaped (into a buffer reused for the next key).
func (d *decoder) key() ([]byte, bool) {
	if d.peek() != '"' {
		d.fail("expected a string key")
		return nil, false
	}
	start := d.pos + 1
	end := d.scanString(start)
	if d.err != nil {
		return nil, false
	}
	if end < 0 {
		end = -end
		d.keyBuf = unescape(d.keyBuf[:0], d.data[start:end])
		return d.keyBuf, true
	}
	return d.data[start:end], true
}

// str reads a string value; without escapes it is a slice of the record.
func (d *decoder) str() ([]byte, bool) {
	start := d.pos + 1
	end := d.scanString(start)
	if d.err != nil {
		return nil, false
	}
	if end < 0 {
		return unescape(nil, d.data[start:-end]), false
	}
	return d.data[start:end], true
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// scanString finds the closing quote of the string whose text starts at i,
// validating escapes and rejecting control characters, and leaves pos after
// it. It returns the end of the text, negated when the text has escapes.
func (d *decoder) scanString(i int) int {
	b := d.data
	escaped := false
	for {
		// Eight bytes at a time: stop at '"', '\\' or a byte below 0x20.
		for ; i+8 <= len(b); i += 8 {
			x := binary.LittleEndian.Uint64(b[i:])
			q, s := x^(ones*'"'), x^(ones*'\\')
			if t := ((q - ones) &^ q) | ((s - ones) &^ s) | ((x - ones*0x20) &^ x); t&highs != 0 {
				i += bits.TrailingZeros64(t&highs) / 8
				break
			}
		}
		for i < len(b) && b[i] != '"' && b[i] != '\\' && b[i] >= 0x20 {
			i++
		}
		if i >= len(b) {
			d.pos = i
			d.fail("unterminated string")
			return 0
		}
		switch c := b[i]; {
		case c == '"':
			d.pos = i + 1
			if escaped {
				return -i
			}
			return i
		case c == '\\':
			escaped = true
			if i+1 >= len(b) {
				d.pos = i
				d.fail("unterminated string")
				return 0
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !isHex4(b[i+2:i+6]) {
					d.pos = i
					d.fail("invalid \\u escape")
					return 0
				}
				i += 6
			default:
				d.pos = i
				d.fail("invalid escape")
				return 0
			}
		default:
			d.pos = i
			d.fail("control character 0x%02x in string", c)
			return 0
		}
	}
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// unescape appends the unescaped text s (validated by scanString) to dst, as
// fastjson does: a surrogate without its pair stays as written.
func unescape(dst, s []byte) []byte {
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != '\\' {
			i++
		}
		dst = append(dst, s[:i]...)
		if i == len(s) {
			break
		}
		ch := s[i+1]
		s = s[i+2:]
		switch ch {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			xs := s[:4]
			x := hex4(xs)
			s = s[4:]
			if !utf16.IsSurrogate(rune(x)) {
				dst = utf8.AppendRune(dst, rune(x))
				break
			}
			if len(s) < 6 || s[0] != '\\' || s[1] != 'u' || !isHex4(s[2:6]) {
				dst = append(dst, `\u`...)
				dst = append(dst, xs...)
				break
			}
			dst = utf8.AppendRune(dst, utf16.DecodeRune(rune(x), rune(hex4(s[2:6]))))
			s = s[6:]
		default: // '"', '\\', '/'
			dst = append(dst, ch)
		}
	}
	return dst
}

func hex4(b []byte) uint16 {
	var x uint16
	for _, c := range b[:4] {
		switch {
		case c <= '9':
			c -= '0'
		case c >= 'a':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		x = x<<4 | uint16(c)
	}
	return x
}

// mapKey shares one copy of each map key.
func (n *Normalizer) mapKey(key string) string {
	s, _ := n.keys.intern(unsafe.Slice(unsafe.StringData(key), len(key)))
	return s
}
