package evtx

import (
	"fmt"
	"slices"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// Binary XML tokens. The 0x40 bit of an element, value, attribute, CDATA,
// character or entity reference token says "has attributes" or "more follows";
// the reader does not depend on it.
const (
	tokEOF            = 0x00
	tokOpenStart      = 0x01
	tokCloseStart     = 0x02
	tokCloseEmpty     = 0x03
	tokEndElement     = 0x04
	tokValue          = 0x05
	tokAttribute      = 0x06
	tokCDATA          = 0x07
	tokCharRef        = 0x08
	tokEntityRef      = 0x09
	tokPITarget       = 0x0a
	tokPIData         = 0x0b
	tokTemplate       = 0x0c
	tokSubstitution   = 0x0d
	tokOptionalSubst  = 0x0e
	tokFragmentHeader = 0x0f
	flagMore          = 0x40
)

// Limits that keep a crafted chunk from costing more than a real one could.
const (
	maxDepth      = 48      // element, template and nested-XML nesting
	maxValues     = 4096    // substitution values of one template instance
	maxRecordXML  = 4 << 20 // rendered text of one record
	maxNodes      = 1 << 16 // nodes parsed for one record or template
	maxNameLength = 1 << 12
	maxWork       = 1 << 18 // nodes rendered for one record
	// chunkBudget bounds the nodes parsed and rendered for a whole chunk:
	// hundreds of times what a real chunk needs, so that a crafted chunk
	// full of maximal records cannot stall a worker.
	chunkBudget = 1 << 20
)

// decodeError is a record (or template) the reader cannot decode; it unwinds
// the decoder through panic and is turned into a reject by the chunk loop.
type decodeError struct{ msg string }

func (e *decodeError) Error() string { return e.msg }

func fail(format string, args ...any) {
	panic(&decodeError{msg: fmt.Sprintf(format, args...)})
}

type nodeKind uint8

const (
	nElement nodeKind = iota + 1
	nAttr
	nText
	nCDATA
	nCharRef
	nEntityRef
	nPI
	nSubst
	nTemplate
	nValueText // a typed value token (not a string): vtype, pos, size
)

// node is one item of parsed binary XML. Nodes live in a slice and link by
// index (-1: none): an element's attributes and children, an attribute's value
// parts, and the next sibling.
type node struct {
	kind     nodeKind
	optional bool
	empty    bool  // element closed with CloseEmptyElement
	vtype    uint8 // substitution or value type
	sub      uint16
	lk       localKind // element and attribute: what its local name is to the Event
	plain    uint8     // text: 1 when it needs no escaping as element text, 2 as attribute value
	str      string    // element, attribute, entity name, PI target; literal text
	str2     string    // PI data
	attrs    int32
	first    int32
	next     int32
	lofs     uint16 // element and attribute: where the local name starts in str
	tmpl     *template
	vstart   int32 // template instance: its values in the renderer's value slice
	vcount   int32
	pos      int32 // nValueText: chunk offset and size of the value
	size     int32
}

// value is one substitution value: its type and where its bytes are in the chunk.
type value struct {
	typ       uint8
	pos, size int32
}

// template is a template definition parsed once per chunk.
type template struct {
	nodes []node
	root  int32
	err   string // why it cannot be used, if it cannot
	busy  bool   // being parsed: a reference to it now is a cycle
	// at is the chunk offset of the definition it was parsed from. A
	// definition holds absolute offsets of the names defined inside it, so
	// the same bytes elsewhere read other names: chunk.shared reuses a
	// template only at the same offset (moved ones go through reloc.go).
	at uint32
}

// chunk is the state of the chunk being decoded: its bytes and caches.
type chunk struct {
	d         []byte
	budget    int
	names     map[uint32]string
	templates map[uint32]*template
	// shared holds the templates of earlier chunks whose definitions name
	// nothing outside themselves, by their bytes: the same template at the
	// same offset in the next chunk of a file is then not parsed again.
	shared map[string]*template
	// scratch is where templates are parsed (see template).
	scratch []node
	// reloc holds templates parsed in earlier chunks that the same bytes
	// elsewhere in a chunk reproduce (reloc.go); rec notes a template's
	// dependencies as it is parsed.
	reloc      map[relocKey]*relocEntry
	relocBytes int // the memory reloc's entries hold, about
	recFree    *relocRecorder
	strs       map[string]string // see str16
	text       []byte            // see recordText
	// recent holds templates of the chunk already looked up, by offset
	// modulo its size (see template).
	recent [64]recentTemplate
}

// maxShared bounds the templates kept across chunks.
const maxShared = 1024

func (c *chunk) reset(d []byte) {
	c.d = d
	c.budget = chunkBudget
	if c.names == nil {
		c.names = map[uint32]string{}
		c.templates = map[uint32]*template{}
		c.shared = map[string]*template{}
	}
	clear(c.names)
	clear(c.templates)
	clear(c.recent[:])
}

// spend counts one unit of work against the chunk's budget.
func (c *chunk) spend() {
	c.budget--
	if c.budget < 0 {
		fail("the chunk needs more decoding work than any real chunk (crafted or corrupt): its remaining records are not decoded")
	}
}

func (c *chunk) need(pos, n int, what string) {
	if pos < 0 || n < 0 || pos+n > len(c.d) {
		fail("%s at chunk offset %d runs past the end of the chunk (%d bytes)", what, pos, len(c.d))
	}
}

func (c *chunk) u8(pos int) uint8 {
	c.need(pos, 1, "byte")
	return c.d[pos]
}

func (c *chunk) u16(pos int) uint16 {
	c.need(pos, 2, "16-bit field")
	return le.Uint16(c.d[pos:])
}

func (c *chunk) u32(pos int) uint32 {
	c.need(pos, 4, "32-bit field")
	return le.Uint32(c.d[pos:])
}

// name returns the name struct at chunk offset off (next offset, hash,
// character count, UTF-16 characters, NUL) and its size.
func (c *chunk) name(off uint32) (string, int) {
	pos := int(off)
	c.need(pos, 8, "name")
	n := int(le.Uint16(c.d[pos+6:]))
	size := 8 + 2*n + 2
	if s, ok := c.names[off]; ok {
		return s, size
	}
	if n > maxNameLength {
		fail("name at chunk offset %d is %d characters long", pos, n)
	}
	c.need(pos+8, 2*n, "name characters")
	s := c.str16(c.d[pos+8 : pos+8+2*n])
	if !xmlName(s) {
		fail("name %q at chunk offset %d is not an XML name", s, pos)
	}
	c.names[off] = s
	return s, size
}

// xmlName reports whether s can be written as an element, attribute,
// entity or processing instruction name (the characters winxml accepts).
func xmlName(s string) bool {
	if s == "" || s[0] == '-' || s[0] == '.' || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == ':' || c == '_' || c == '-' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80) {
			return false
		}
	}
	return true
}

// plausibleName reports whether the 32-bit field at pos refers to a name: one
// defined in place (right after the field) or earlier in the chunk.
func (c *chunk) plausibleName(pos int) bool {
	if pos < 0 || pos+4 > len(c.d) {
		return false
	}
	off := int(le.Uint32(c.d[pos:]))
	if off != pos+4 && (off >= pos || off < chunkHeaderSize) {
		return false
	}
	if off+8 > len(c.d) {
		return false
	}
	n := int(le.Uint16(c.d[off+6:]))
	end := off + 8 + 2*n
	return n > 0 && n <= maxNameLength && end+2 <= len(c.d) && c.d[end] == 0 && c.d[end+1] == 0
}

// str16 is utf16String(b), the same string for the same bytes from chunk to
// chunk: names and template text repeat in every chunk of a file, and
// decoding them again was most of the decoder's allocations.
func (c *chunk) str16(b []byte) string {
	if len(b) > maxInterned {
		return utf16String(b)
	}
	if s, ok := c.strs[string(b)]; ok {
		return s
	}
	s := utf16String(b)
	if c.strs == nil || len(c.strs) >= maxStrs {
		c.strs = make(map[string]string, 256)
	}
	c.strs[string(b)] = s
	return s
}

// Bounds of the strings str16 keeps: their UTF-16 size and number.
const (
	maxInterned = 256
	maxStrs     = 8192
)

// utf16String decodes UTF-16LE; unpaired surrogates become U+FFFD.
func utf16String(b []byte) string {
	return string(appendUTF16(make([]byte, 0, len(b)/2), b))
}

// appendUTF16 appends the UTF-8 form of UTF-16LE bytes b (an odd last byte is
// ignored).
func appendUTF16(dst, b []byte) []byte {
	for i := 0; i+1 < len(b); i += 2 {
		r := rune(le.Uint16(b[i:]))
		switch {
		case r < 0x80:
			dst = append(dst, byte(r))
			continue
		case utf16.IsSurrogate(r):
			if r < 0xdc00 && i+3 < len(b) {
				if r2 := rune(le.Uint16(b[i+2:])); r2 >= 0xdc00 && r2 < 0xe000 {
					r = utf16.DecodeRune(r, r2)
					i += 2
					break
				}
			}
			r = utf8.RuneError
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

// parser turns binary XML into nodes. Offsets are chunk offsets; end bounds
// the fragment being read (a record's data, a template's, a value's).
type parser struct {
	c      *chunk
	nodes  *[]node
	values *[]value
	end    int
	depth  int
	// lo and hi bound a template definition; a name outside them makes the
	// template depend on its chunk (external).
	lo, hi   int
	external bool
	// dep: element headers carry a 2-byte dependency identifier (template
	// definitions do; elements written directly in a record and binary XML
	// nested in a value do not). Each element checks which layout gives a
	// plausible name, so a wrong guess costs nothing.
	dep bool
	// rec, when parsing a template, notes what its parse depends on
	// outside its bytes (reloc.go).
	rec *relocRecorder
}

func (p *parser) add(n node) int32 {
	if len(*p.nodes) >= maxNodes {
		fail("more than %d binary XML nodes", maxNodes)
	}
	p.c.spend()
	n.attrs, n.first, n.next = -1, -1, -1
	switch n.kind {
	case nElement, nAttr:
		n.lofs = uint16(len(n.str) - len(localName(n.str)))
		n.lk = localKindOf(n.str[n.lofs:])
	case nText:
		n.plain = plainText(n.str)
	}
	*p.nodes = append(*p.nodes, n)
	return int32(len(*p.nodes) - 1)
}

func (p *parser) need(pos, n int, what string) {
	if pos < 0 || n < 0 || pos+n > p.end {
		fail("%s at chunk offset %d runs past the end of its data (offset %d)", what, pos, p.end)
	}
}

func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		fail("binary XML nested deeper than %d levels", maxDepth)
	}
}

// list builds a linked list of siblings.
type list struct{ first, last int32 }

func (l *list) add(nodes []node, i int32) {
	if l.first < 0 {
		l.first = i
	} else {
		nodes[l.last].next = i
	}
	l.last = i
}

// fragment parses content up to an EOF token or the end of the data; it
// returns the first top-level node and where it stopped.
func (p *parser) fragment(pos int) (int32, int) {
	first, pos, tok := p.content(pos, true)
	if tok == tokEndElement {
		fail("end of element without a start at chunk offset %d", pos-1)
	}
	return first, pos
}

// content parses siblings until an end element token (returned, consumed),
// an EOF token or, at top level, the end of the data.
func (p *parser) content(pos int, top bool) (int32, int, byte) {
	p.enter()
	defer func() { p.depth-- }()
	l := list{-1, -1}
	for {
		if pos >= p.end {
			if top {
				return l.first, pos, tokEOF
			}
			fail("element not closed before the end of its data (chunk offset %d)", pos)
		}
		t := p.c.d[pos]
		base := t
		if t&flagMore != 0 && t&^flagMore <= tokEntityRef {
			base = t &^ flagMore
		}
		switch base {
		case tokEOF:
			return l.first, pos + 1, tokEOF
		case tokEndElement:
			return l.first, pos + 1, tokEndElement
		case tokFragmentHeader:
			p.need(pos, 4, "fragment header")
			pos += 4
		case tokOpenStart:
			var i int32
			i, pos = p.element(pos)
			l.add(*p.nodes, i)
		case tokValue, tokCDATA, tokCharRef, tokEntityRef, tokSubstitution, tokOptionalSubst:
			var i int32
			i, pos = p.part(pos)
			l.add(*p.nodes, i)
		case tokPITarget:
			var target string
			target, pos = p.readName(pos + 1)
			var data string
			if pos < p.end && p.c.d[pos] == tokPIData {
				data, pos = p.string16(pos+1, "processing instruction data")
			}
			l.add(*p.nodes, p.add(node{kind: nPI, str: target, str2: data}))
		case tokTemplate:
			var i int32
			if p.rec != nil {
				p.rec.bad = true
			}
			i, pos = p.templateInstance(pos)
			l.add(*p.nodes, i)
		default:
			fail("unexpected binary XML token 0x%02x at chunk offset %d", t, pos)
		}
	}
}

// string16 reads a character count and UTF-16 characters.
func (p *parser) string16(pos int, what string) (string, int) {
	p.need(pos, 2, what)
	n := int(le.Uint16(p.c.d[pos:]))
	p.need(pos+2, 2*n, what)
	b := p.c.d[pos+2 : pos+2+2*n]
	if p.hi > 0 {
		return p.c.str16(b), pos + 2 + 2*n // a template's: kept
	}
	return p.c.recordText(b), pos + 2 + 2*n
}

// recordText decodes UTF-16 text of a record's own binary XML (not a
// template's) into scratch space that lasts until the next record: its nodes
// are the record's only, and what the renderer keeps of their text it copies.
func (c *chunk) recordText(b []byte) string {
	start := len(c.text)
	c.text = appendUTF16(c.text, b)
	if len(c.text) == start {
		return ""
	}
	return unsafe.String(&c.text[start], len(c.text)-start)
}

// readName reads a name reference at pos: the name is defined right there
// (and skipped) or earlier in the chunk.
func (p *parser) readName(pos int) (string, int) {
	p.need(pos, 4, "name reference")
	off := le.Uint32(p.c.d[pos:])
	if p.rec != nil {
		p.rec.ref(p.c, pos, off)
	}
	pos += 4
	if int(off) < p.lo || int(off) >= p.hi {
		p.external = true
	}
	s, size := p.c.name(off)
	if int(off) == pos {
		p.need(pos, size, "name")
		pos += size
	}
	return s, pos
}

// element parses an element from its OpenStartElement token to its end.
func (p *parser) element(pos int) (int32, int) {
	p.enter()
	defer func() { p.depth-- }()
	hasAttrs := p.c.d[pos]&flagMore != 0
	pos++
	// Dependency identifier: present or not depending on where the element
	// is; when the expected layout gives no plausible name, try the other.
	dep := p.dep
	if !p.c.plausibleName(pos + 4 + b2i(dep)*2) {
		if p.rec != nil {
			p.rec.bad = true
		}
		if p.c.plausibleName(pos + 4 + b2i(!dep)*2) {
			dep = !dep
		}
	}
	if dep {
		pos += 2
	}
	p.need(pos, 4, "element size")
	pos += 4
	var name string
	name, pos = p.readName(pos)
	el := p.add(node{kind: nElement, str: name})
	if hasAttrs {
		p.need(pos, 4, "attribute list size")
		pos += 4
		l := list{-1, -1}
		for pos < p.end && p.c.d[pos]&^flagMore == tokAttribute {
			var an string
			an, pos = p.readName(pos + 1)
			a := p.add(node{kind: nAttr, str: an})
			parts := list{-1, -1}
			for pos < p.end {
				t := p.c.d[pos] &^ flagMore
				if t != tokValue && t != tokSubstitution && t != tokOptionalSubst && t != tokCharRef && t != tokEntityRef {
					break
				}
				var i int32
				i, pos = p.part(pos)
				parts.add(*p.nodes, i)
			}
			(*p.nodes)[a].first = parts.first
			l.add(*p.nodes, a)
		}
		(*p.nodes)[el].attrs = l.first
	}
	p.need(pos, 1, "element start tag end")
	switch p.c.d[pos] {
	case tokCloseEmpty:
		(*p.nodes)[el].empty = true
		return el, pos + 1
	case tokCloseStart:
		first, next, tok := p.content(pos+1, false)
		if tok != tokEndElement {
			fail("element <%s> not closed (chunk offset %d)", name, next)
		}
		(*p.nodes)[el].first = first
		return el, next
	}
	fail("unexpected token 0x%02x ending the start tag of <%s> at chunk offset %d", p.c.d[pos], name, pos)
	return 0, 0
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// part parses a value, CDATA, reference or substitution token.
func (p *parser) part(pos int) (int32, int) {
	t := p.c.d[pos]
	switch t &^ flagMore {
	case tokValue:
		p.need(pos, 2, "value")
		vt := p.c.d[pos+1]
		if vt == typeString {
			s, next := p.string16(pos+2, "text value")
			return p.add(node{kind: nText, str: s}), next
		}
		// Other types in a value token are rare; they carry a fixed size.
		size := fixedSize(vt)
		if size <= 0 {
			fail("value token of type 0x%02x at chunk offset %d", vt, pos)
		}
		p.need(pos+2, size, "value")
		if p.rec != nil {
			p.rec.valueText = true
		}
		return p.add(node{kind: nValueText, vtype: vt, pos: int32(pos + 2), size: int32(size)}), pos + 2 + size
	case tokCDATA:
		s, next := p.string16(pos+1, "CDATA section")
		return p.add(node{kind: nCDATA, str: s}), next
	case tokCharRef:
		p.need(pos, 3, "character reference")
		return p.add(node{kind: nCharRef, sub: le.Uint16(p.c.d[pos+1:])}), pos + 3
	case tokEntityRef:
		name, next := p.readName(pos + 1)
		return p.add(node{kind: nEntityRef, str: name}), next
	case tokSubstitution, tokOptionalSubst:
		p.need(pos, 4, "substitution")
		return p.add(node{kind: nSubst, optional: t == tokOptionalSubst, sub: le.Uint16(p.c.d[pos+1:]), vtype: p.c.d[pos+3]}), pos + 4
	}
	fail("unexpected binary XML token 0x%02x at chunk offset %d", t, pos)
	return 0, 0
}

// templateInstance parses a template instance: the template (defined here or
// earlier in the chunk) and its substitution values.
func (p *parser) templateInstance(pos int) (int32, int) {
	p.need(pos, 10, "template instance")
	defOff := le.Uint32(p.c.d[pos+6:])
	pos += 10
	tmpl := p.c.template(defOff, p.depth)
	if int(defOff) == pos {
		p.need(pos, 24, "template definition")
		pos += 24 + int(le.Uint32(p.c.d[pos+20:]))
	}
	p.need(pos, 4, "template value count")
	n := int(le.Uint32(p.c.d[pos:]))
	pos += 4
	if n > maxValues || n*4 > p.end-pos {
		fail("template instance at chunk offset %d claims %d values", pos-4, n)
	}
	vstart := len(*p.values)
	vp := pos + 4*n
	values := slices.Grow(*p.values, n)
	desc := p.c.d[pos : pos+4*n]
	for i := 0; i < len(desc); i += 4 {
		size := int(le.Uint16(desc[i:]))
		typ := desc[i+2]
		if vp+size > p.end {
			fail("value %d (type 0x%02x, %d bytes) at chunk offset %d runs past the end of its data (offset %d)", i/4, typ, size, vp, p.end)
		}
		values = append(values, value{typ: typ, pos: int32(vp), size: int32(size)})
		vp += size
	}
	*p.values = values
	if tmpl.err != "" {
		fail("%s", tmpl.err)
	}
	return p.add(node{kind: nTemplate, tmpl: tmpl, vstart: int32(vstart), vcount: int32(n)}), vp
}

// template returns the template defined at chunk offset off, parsing it the
// first time: next definition offset, GUID, data size, then binary XML.
func (c *chunk) template(off uint32, depth int) *template {
	// Most lookups find the template in the small direct-mapped table; a
	// template in it is parsed (never busy).
	e := &c.recent[off%uint32(len(c.recent))]
	if e.t != nil && e.off == off {
		return e.t
	}
	t := c.lookupTemplate(off, depth)
	if !t.busy {
		*e = recentTemplate{off: off, t: t}
	}
	return t
}

// recentTemplate is an entry of chunk.recent.
type recentTemplate struct {
	off uint32
	t   *template
}

func (c *chunk) lookupTemplate(off uint32, depth int) *template {
	if t, ok := c.templates[off]; ok {
		if t.busy {
			fail("template at chunk offset %d refers to itself", off)
		}
		return t
	}
	pos := int(off)
	if pos >= chunkHeaderSize && pos+24 <= len(c.d) {
		if size := int(le.Uint32(c.d[pos+20:])); size > 0 && pos+24+size <= len(c.d) {
			if t, ok := c.shared[string(c.d[pos+24:pos+24+size])]; ok && t.at == off {
				c.templates[off] = t
				return t
			}
		}
	}
	if t := c.relocated(pos, depth); t != nil {
		c.templates[off] = t
		return t
	}
	t := &template{busy: true}
	c.templates[off] = t
	defer func() { t.busy = false }()
	if pos < chunkHeaderSize || pos+24 > len(c.d) {
		t.err = fmt.Sprintf("template definition offset %d is outside the chunk's records", off)
		return t
	}
	size := int(le.Uint32(c.d[pos+20:]))
	start := pos + 24
	end := start + size
	if size <= 0 || end > len(c.d) {
		t.err = fmt.Sprintf("template at chunk offset %d has a bad size (%d bytes)", off, size)
		return t
	}
	func() {
		defer func() {
			if r := recover(); r != nil {
				de, ok := r.(*decodeError)
				if !ok {
					panic(r)
				}
				t.err = fmt.Sprintf("template at chunk offset %d: %s", off, de.msg)
			}
		}()
		// The nodes are parsed into scratch space and then copied once, at
		// their final size (growing each template's slice from nothing was
		// most of the cost of parsing templates). A template parsed while
		// this one is (a definition inside a definition, an error) takes
		// fresh scratch space.
		scratch := c.scratch[:0]
		c.scratch = nil
		defer func() { c.scratch = scratch[:0] }()
		var values []value
		rec := c.recFree
		c.recFree = nil
		if rec == nil {
			rec = &relocRecorder{}
		}
		defer func() { c.recFree = rec }()
		rec.reset(start, end)
		tp := parser{c: c, nodes: &scratch, values: &values, end: end, depth: depth, dep: true, lo: start, hi: end, rec: rec}
		t.root, _ = tp.fragment(start)
		if len(values) > 0 {
			fail("template definition holds a template instance")
		}
		t.nodes = slices.Clone(scratch)
		c.keepRelocatable(pos, t, depth, rec)
		if !tp.external {
			if len(c.shared) >= maxShared {
				clear(c.shared)
			}
			t.at = off
			c.shared[string(c.d[start:end])] = t
		}
	}()
	return t
}

// localKind names the local names of elements and attributes the renderer
// gives a meaning to (open, attrField, closeText), decided once per name.
type localKind uint8

const (
	lkOther localKind = iota
	lkEvent
	lkSystem
	lkEventData
	lkUserData
	lkRenderingInfo
	lkProvider
	lkTimeCreated
	lkExecution
	lkSecurity
	lkEventID
	lkVersion
	lkLevel
	lkTask
	lkOpcode
	lkKeywords
	lkEventRecordID
	lkChannel
	lkComputer
	lkMessage
	lkBinary
	lkName
	lkGuid
	lkSystemTime
	lkProcessID
	lkThreadID
	lkUserID
)

var localKinds = map[string]localKind{
	"Event": lkEvent, "System": lkSystem, "EventData": lkEventData, "UserData": lkUserData,
	"RenderingInfo": lkRenderingInfo, "Provider": lkProvider, "TimeCreated": lkTimeCreated,
	"Execution": lkExecution, "Security": lkSecurity, "EventID": lkEventID, "Version": lkVersion,
	"Level": lkLevel, "Task": lkTask, "Opcode": lkOpcode, "Keywords": lkKeywords,
	"EventRecordID": lkEventRecordID, "Channel": lkChannel, "Computer": lkComputer,
	"Message": lkMessage, "Binary": lkBinary, "Name": lkName, "Guid": lkGuid,
	"SystemTime": lkSystemTime, "ProcessID": lkProcessID, "ThreadID": lkThreadID, "UserID": lkUserID,
}

// localKindOf is the kind of a local name; lkOther (the zero value) for any
// name not in localKinds. It runs once per parsed node, not per record.
func localKindOf(local string) localKind { return localKinds[local] }

// plainText says whether literal text needs no escaping: bit 1 as element
// text, bit 2 as an attribute value (see renderer.text).
func plainText(s string) uint8 {
	var p uint8 = 3
	for i := 0; i < len(s); i++ {
		if escapes[0][s[i]] {
			p &^= 1
		}
		if escapes[1][s[i]] {
			p &^= 2
		}
	}
	return p
}
