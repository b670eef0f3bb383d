package evtx

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"huntsql/loader/winevent"
)

// renderer writes a record's XML and fills its winevent.Event in the same
// pass. Its buffers are arenas: the XML text and the captured values of every
// record of a chunk are appended to them and never overwritten once handed
// out, so the strings the Event (and then the Batch) holds point into them.
type renderer struct {
	c      *chunk
	out    []byte // XML arena
	vals   []byte // arena for values that differ from their XML text
	nodes  []node // scratch for record content and nested XML
	values []value
	tmp    []byte
	item   []byte

	ev    *winevent.Event
	depth int
	stack [maxDepth + 2]frame
	roots int // root elements seen
	data  int // EventData children seen (for param names)

	cap capture

	recStart       int // where the record's XML starts in out
	depthTemplates int // templates and nested XML being rendered
	work           int // nodes rendered for the record
}

// frame is what an open element means for the Event.
type frame struct {
	role  role
	lk    localKind // of local
	seen  uint8     // attributes already taken (first one wins, as in winxml)
	text  bool      // the element's text is an Event field
	field *string   // for roleText and attribute fields
	key   string    // roleData: the Data name; roleUser: the field name
	local string
}

type role uint8

const (
	roleNone role = iota
	roleEvent
	roleSystem
	roleEventData
	roleUserData
	roleUserWrapper
	roleRendering
	roleSysAttrs  // Provider, TimeCreated, Execution, Security: fields in attributes
	roleText      // System text fields: EventID, Level, …
	roleData      // EventData child
	roleUserField // UserData leaf
	roleRendered  // RenderingInfo child
)

// capture collects an element's text (or an attribute's value) as a string:
// a slice of the XML text while nothing in it was escaped, else a copy in
// vals, unescaped.
type capture struct {
	on       bool
	depth    int // element depth whose text is captured; 0 for an attribute
	xmlStart int
	valStart int
	dirty    bool
}

func (r *renderer) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

func (r *renderer) startCapture(depth int) {
	r.cap = capture{on: true, depth: depth, xmlStart: len(r.out), valStart: len(r.vals)}
}

func (r *renderer) endCapture() string {
	c := &r.cap
	c.on = false
	if c.dirty {
		return r.str(r.vals[c.valStart:])
	}
	return r.str(r.out[c.xmlStart:])
}

// markup is written to the XML that is not part of the captured text.
func (r *renderer) markup() {
	if r.cap.on && !r.cap.dirty {
		r.cap.dirty = true
		r.vals = append(r.vals, r.out[r.cap.xmlStart:]...)
	}
}

// plain notes text written to out since start that needed no escaping.
func (r *renderer) plain(start int) {
	if r.cap.on && r.cap.dirty {
		r.vals = append(r.vals, r.out[start:]...)
	}
}

// captured adds text that is in the value but not literally in the XML.
func (r *renderer) captured(b []byte) {
	if r.cap.on {
		r.markup()
		r.vals = append(r.vals, b...)
	}
}

func needsEscape(c byte, attr bool) bool {
	switch c {
	case '&', '<', '>':
		return true
	case '\'', '"':
		return attr
	}
	return c < 0x20 && c != '\t' && c != '\n' && c != '\r'
}

// escapes[attr][c] is needsEscape(c, attr), for the scans over every byte of
// text (a table lookup instead of a switch: the scan was a tenth of the
// decoder's time).
var escapes = func() (t [2][256]bool) {
	for c := range 256 {
		t[0][c] = needsEscape(byte(c), false)
		t[1][c] = needsEscape(byte(c), true)
	}
	return t
}()

// text writes UTF-8 text, escaped for XML.
func (r *renderer) text(s []byte, attr bool) {
	esc := &escapes[b2i(attr)]
	i := 0
	for i < len(s) && !esc[s[i]] {
		i++
	}
	start := len(r.out)
	r.out = append(r.out, s[:i]...)
	if i == len(s) {
		r.plain(start)
		r.check()
		return
	}
	r.plain(start)
	r.markup()
	if r.cap.on {
		r.vals = append(r.vals, s[i:]...)
	}
	for i < len(s) {
		// s[i] is escaped; the run after it up to the next one is copied.
		switch c := s[i]; {
		case c == '&':
			r.out = append(r.out, "&amp;"...)
		case c == '<':
			r.out = append(r.out, "&lt;"...)
		case c == '>':
			r.out = append(r.out, "&gt;"...)
		case c == '\'' && attr:
			r.out = append(r.out, "&apos;"...)
		case c == '"' && attr:
			r.out = append(r.out, "&quot;"...)
		default:
			r.out = append(r.out, "&#x"...)
			r.out = strconv.AppendUint(r.out, uint64(c), 16)
			r.out = append(r.out, ';')
		}
		i++
		j := i
		for j < len(s) && !esc[s[j]] {
			j++
		}
		r.out = append(r.out, s[i:j]...)
		i = j
	}
	r.check()
}

func (r *renderer) textString(s string, attr bool) {
	r.text(unsafe.Slice(unsafe.StringData(s), len(s)), attr)
}

func (r *renderer) check() {
	if len(r.out) > r.limit() {
		fail("record renders to more than %d bytes of XML", maxRecordXML)
	}
}

// limit bounds the XML of the record being rendered.
func (r *renderer) limit() int { return r.recStart + maxRecordXML }

// list renders a list of sibling nodes.
func (r *renderer) list(nodes []node, i int32, vals []value, attr bool) {
	for ; i >= 0; i = nodes[i].next {
		// Substitutions (most nodes) are rendered here: inside an element
		// or an attribute, node would only count them and render their
		// value.
		if n := &nodes[i]; n.kind == nSubst && (attr || r.depth != 0) {
			r.tick()
			if int(n.sub) < len(vals) {
				r.value(vals[n.sub], attr)
			}
			continue
		}
		r.node(nodes, i, vals, attr)
	}
}

// tick counts one item rendered against the record's and the chunk's
// budgets.
func (r *renderer) tick() {
	r.work++
	r.c.spend()
	if r.work > maxWork {
		fail("record expands to more than %d binary XML items", maxWork)
	}
}

func (r *renderer) node(nodes []node, i int32, vals []value, attr bool) {
	r.tick()
	n := &nodes[i]
	if r.depth == 0 && !attr {
		// Outside the root element only elements and, after it, processing
		// instructions are XML.
		switch n.kind {
		case nText, nValueText, nCDATA, nCharRef, nEntityRef:
			fail("text outside the root element")
		case nPI:
			if r.roots == 0 {
				fail("processing instruction before the root element")
			}
		case nSubst:
			if int(n.sub) < len(vals) && vals[n.sub].typ != typeBinXML && vals[n.sub].typ != typeNull {
				fail("value outside the root element")
			}
		}
	}
	switch n.kind {
	case nElement:
		if attr {
			fail("element <%s> inside an attribute value", n.str)
		}
		r.element(nodes, n, vals)
	case nText:
		if n.plain&(1<<b2i(attr)) != 0 {
			start := len(r.out)
			r.out = append(r.out, n.str...)
			r.plain(start)
			r.check()
			return
		}
		r.textString(n.str, attr)
	case nValueText:
		start := len(r.out)
		var ok bool
		r.out, ok = appendScalar(r.out, n.vtype, r.c.d[n.pos:n.pos+n.size])
		if !ok {
			fail("value of type 0x%02x has %d bytes", n.vtype, n.size)
		}
		r.plain(start)
	case nCDATA:
		if attr {
			r.textString(n.str, attr)
			return
		}
		if strings.Contains(n.str, "]]>") || strings.ContainsFunc(n.str, func(c rune) bool { return c < 0x20 && c != '\t' && c != '\n' && c != '\r' }) {
			r.textString(n.str, false) // not writable as CDATA: as escaped text
			return
		}
		r.markup()
		r.out = append(r.out, "<![CDATA["...)
		r.out = append(r.out, n.str...)
		r.out = append(r.out, "]]>"...)
		r.captured([]byte(n.str))
	case nCharRef:
		if c := rune(n.sub); c == 0 || c >= 0xd800 && c <= 0xdfff {
			fail("character reference &#%d; is not a character", c)
		}
		r.markup()
		r.out = append(r.out, "&#"...)
		r.out = strconv.AppendUint(r.out, uint64(n.sub), 10)
		r.out = append(r.out, ';')
		r.tmp = appendRune(r.tmp[:0], rune(n.sub))
		r.captured(r.tmp)
	case nEntityRef:
		if entityText(n.str) == "" {
			fail("undefined entity &%s; (only the five XML entities exist in event XML)", n.str)
		}
		r.markup()
		r.out = append(r.out, '&')
		r.out = append(r.out, n.str...)
		r.out = append(r.out, ';')
		r.captured([]byte(entityText(n.str)))
	case nPI:
		if attr {
			return
		}
		if strings.Contains(n.str2, "?>") {
			fail("processing instruction data holds '?>'")
		}
		r.markup()
		r.out = append(r.out, "<?"...)
		r.out = append(r.out, n.str...)
		if n.str2 != "" {
			r.out = append(r.out, ' ')
			r.out = append(r.out, n.str2...)
		}
		r.out = append(r.out, "?>"...)
	case nSubst:
		if int(n.sub) < len(vals) {
			r.value(vals[n.sub], attr)
		}
	case nTemplate:
		r.enter()
		t := n.tmpl
		tv := r.values[n.vstart : n.vstart+n.vcount]
		r.list(t.nodes, t.root, tv, attr)
		r.depthTemplates--
	}
}

func (r *renderer) enter() {
	r.depthTemplates++
	if r.depthTemplates > maxDepth {
		fail("templates and nested XML deeper than %d levels", maxDepth)
	}
}

func entityText(name string) string {
	switch name {
	case "lt":
		return "<"
	case "gt":
		return ">"
	case "amp":
		return "&"
	case "quot":
		return `"`
	case "apos":
		return "'"
	}
	return ""
}

func appendRune(dst []byte, c rune) []byte {
	if c == 0 {
		c = 0xfffd
	}
	return append(dst, string(c)...)
}

// absent reports whether an attribute's value is only substitutions without
// a value: wevtutil leaves such attributes out (<Security/>, <Correlation/>).
func absent(nodes []node, a *node, vals []value) bool {
	if a.first < 0 {
		return false
	}
	for i := a.first; i >= 0; i = nodes[i].next {
		p := &nodes[i]
		if p.kind != nSubst {
			return false
		}
		if int(p.sub) < len(vals) && vals[p.sub].typ != typeNull && vals[p.sub].size > 0 {
			return false
		}
	}
	return true
}

func (r *renderer) element(nodes []node, n *node, vals []value) {
	// An element holding only a substitution: an optional one without a
	// value leaves the element out; an array value repeats the element once
	// per item (<Data>a</Data><Data>b</Data>), as Windows renders them.
	if c := n.first; c >= 0 && nodes[c].next < 0 && nodes[c].kind == nSubst {
		s := &nodes[c]
		var v value
		if int(s.sub) < len(vals) {
			v = vals[s.sub]
		}
		if v.typ == typeNull && s.optional {
			return
		}
		if v.typ&typeArray != 0 {
			r.arrayElement(nodes, n, vals, v)
			return
		}
	}
	r.emit(nodes, n, vals, nil, false)
}

// arrayElement renders element n once per item of array value v.
func (r *renderer) arrayElement(nodes []node, n *node, vals []value, v value) {
	b := r.c.d[v.pos : v.pos+v.size]
	t := v.typ &^ typeArray
	var items [][]byte
	switch t {
	case typeString:
		items = splitNUL16(b)
	case typeAnsi:
		items = splitNUL8(b)
	case typeSID:
		for len(b) > 0 {
			k := sidSize(b)
			items = append(items, b[:k])
			b = b[k:]
		}
	default:
		size := fixedSize(t)
		if t == typeSizeT {
			size = 8
			if len(b)%8 != 0 {
				size = 4
			}
		}
		if size == 0 {
			items = append(items, b)
			break
		}
		for i := 0; i+size <= len(b); i += size {
			items = append(items, b[i:i+size])
		}
	}
	for _, it := range items {
		switch t {
		case typeString:
			r.item = appendUTF16(r.item[:0], it)
		case typeAnsi:
			r.item = appendANSI(r.item[:0], it)
		default:
			var ok bool
			if r.item, ok = appendScalar(r.item[:0], t, it); !ok {
				r.item = appendHexUpper(r.item[:0], it)
			}
		}
		r.emit(nodes, n, vals, r.item, true)
	}
}

// emit writes element n; with isItem, its content is item instead of its
// children.
func (r *renderer) emit(nodes []node, n *node, vals []value, item []byte, isItem bool) {
	r.markup() // an element inside captured text
	// Appends to a local slice, stored once: each store of r.out costs a
	// write barrier while the collector runs.
	out := append(r.out, '<')
	r.out = append(out, n.str...)
	f := r.open(n)
	for a := n.attrs; a >= 0; a = nodes[a].next {
		an := &nodes[a]
		if absent(nodes, an, vals) {
			continue
		}
		// Attributes count against the budgets and the XML limit as
		// elements do: a template of many attributes, instantiated by many
		// small records, would otherwise render without bound.
		r.tick()
		out := append(r.out, ' ')
		out = append(out, an.str...)
		r.out = append(out, '=', '\'')
		field := r.attrField(f, an.lk)
		if field != nil {
			r.startCapture(0)
			r.list(nodes, an.first, vals, true)
			*field = r.endCapture()
		} else {
			// Attribute values are not part of an enclosing element's text.
			on := r.cap.on
			r.cap.on = false
			r.list(nodes, an.first, vals, true)
			r.cap.on = on
		}
		r.out = append(r.out, '\'')
		r.check()
	}
	if n.empty {
		r.out = append(r.out, '/', '>')
		r.closeText(f)
		r.depth--
		r.check()
		return
	}
	r.out = append(r.out, '>')
	mark := len(r.out)
	if f.text {
		r.startCapture(r.depth)
	}
	if isItem {
		r.text(item, false)
	} else {
		r.list(nodes, n.first, vals, false)
	}
	r.closeText(f)
	if len(r.out) == mark {
		r.out = append(r.out[:mark-1], '/', '>')
	} else {
		r.markup()
		out := append(r.out, '<', '/')
		out = append(out, n.str...)
		r.out = append(out, '>')
	}
	r.depth--
	r.check()
}

func localName(s string) string {
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// open pushes element n and decides what it means for the Event, as
// winxml's parser does for the same XML.
func (r *renderer) open(n *node) *frame {
	r.depth++
	if r.depth > maxDepth {
		fail("elements nested deeper than %d levels", maxDepth)
	}
	parent := &r.stack[r.depth-1]
	f := &r.stack[r.depth]
	// Field by field, and pointers only when they change: the frames are
	// reused record after record for the same elements, and a whole-frame
	// store costs write barriers while the collector runs.
	if local := n.str[n.lofs:]; f.local != local {
		f.local = local
	}
	f.role, f.lk, f.seen, f.text = roleNone, n.lk, 0, false
	if f.field != nil {
		f.field = nil
	}
	if f.key != "" {
		f.key = ""
	}
	ev := r.ev
	if r.depth == 1 {
		r.roots++
		if r.roots == 1 && f.lk == lkEvent {
			f.role = roleEvent
		}
		return f
	}
	switch parent.role {
	case roleEvent:
		switch f.lk {
		case lkSystem:
			f.role = roleSystem
		case lkEventData:
			f.role = roleEventData
		case lkUserData:
			f.role = roleUserData
			ev.UserData = true
		case lkRenderingInfo:
			f.role = roleRendering
		}
	case roleSystem:
		switch f.lk {
		case lkProvider:
			f.role = roleSysAttrs
			ev.Provider, ev.ProviderGUID = "", ""
		case lkTimeCreated:
			f.role = roleSysAttrs
			ev.TimeCreated = ""
		case lkExecution:
			f.role = roleSysAttrs
			ev.ProcessID, ev.ThreadID = "", ""
		case lkSecurity:
			f.role = roleSysAttrs
			ev.UserID = ""
		case lkEventID:
			f.field = &ev.EventID
		case lkVersion:
			f.field = &ev.Version
		case lkLevel:
			f.field = &ev.Level
		case lkTask:
			f.field = &ev.Task
		case lkOpcode:
			f.field = &ev.Opcode
		case lkKeywords:
			f.field = &ev.Keywords
		case lkEventRecordID:
			f.field = &ev.RecordID
		case lkChannel:
			f.field = &ev.Channel
		case lkComputer:
			f.field = &ev.Computer
		}
		if f.field != nil {
			f.role = roleText
			f.text = true
		}
	case roleEventData:
		r.data++
		f.role = roleData
		f.text = true
	case roleUserData:
		f.role = roleUserWrapper
	case roleUserWrapper:
		f.role = roleUserField
		f.key = f.local
		f.text = true
	case roleRendering:
		switch f.lk {
		case lkMessage, lkLevel, lkTask, lkOpcode, lkChannel, lkProvider:
			f.role = roleRendered
			f.text = true
		}
	}
	return f
}

// attrField returns the Event field an attribute (of local name kind lk) of
// element f fills, or nil.
func (r *renderer) attrField(f *frame, lk localKind) *string {
	if r.cap.on { // inside captured text: attributes are not text
		r.markup()
		return nil
	}
	var bit uint8
	var field *string
	ev := r.ev
	switch f.role {
	case roleSysAttrs:
		switch {
		case f.lk == lkProvider && lk == lkName:
			bit, field = 1, &ev.Provider
		case f.lk == lkProvider && lk == lkGuid:
			bit, field = 2, &ev.ProviderGUID
		case f.lk == lkTimeCreated && lk == lkSystemTime:
			bit, field = 1, &ev.TimeCreated
		case f.lk == lkExecution && lk == lkProcessID:
			bit, field = 1, &ev.ProcessID
		case f.lk == lkExecution && lk == lkThreadID:
			bit, field = 2, &ev.ThreadID
		case f.lk == lkSecurity && lk == lkUserID:
			bit, field = 1, &ev.UserID
		}
	case roleData:
		if lk == lkName {
			bit, field = 1, &f.key
		}
	}
	if field == nil || f.seen&bit != 0 {
		return nil
	}
	f.seen |= bit
	return field
}

var paramNames = func() []string {
	s := make([]string, 65)
	for i := range s {
		s[i] = "param" + strconv.Itoa(i)
	}
	return s
}()

// closeText sets the Event field an element's text fills.
func (r *renderer) closeText(f *frame) {
	if !f.text {
		return
	}
	v := ""
	if r.cap.on && r.cap.depth == r.depth {
		v = r.endCapture()
	}
	ev := r.ev
	switch f.role {
	case roleText:
		*f.field = v
	case roleData:
		key := f.key
		if f.lk == lkBinary {
			key = "Binary"
		} else if key == "" {
			if r.data < len(paramNames) {
				key = paramNames[r.data]
			} else {
				key = "param" + strconv.Itoa(r.data)
			}
		}
		ev.Data = append(ev.Data, winevent.KV{Name: key, Value: v})
	case roleUserField:
		ev.Data = append(ev.Data, winevent.KV{Name: f.key, Value: v})
	case roleRendered:
		ev.SetRendered(f.local, v)
	}
}

// value renders a substitution value.
func (r *renderer) value(v value, attr bool) {
	b := r.c.d[v.pos : v.pos+v.size]
	switch v.typ {
	case typeNull:
		return
	case typeString:
		if r.plainUTF16(b, attr) {
			return
		}
		r.tmp = appendUTF16(r.tmp[:0], trimNUL16(b))
		r.text(r.tmp, attr)
		return
	case typeAnsi:
		b = trimNUL8(b)
		if r.plainASCII(b, attr) {
			return
		}
		r.tmp = appendANSI(r.tmp[:0], b)
		r.text(r.tmp, attr)
		return
	case typeBinXML:
		if !attr && len(b) > 0 {
			r.nested(v)
		}
		return
	case typeString | typeArray:
		r.tmp = r.tmp[:0]
		for i, s := range splitNUL16(b) {
			if i > 0 {
				r.tmp = append(r.tmp, ',')
			}
			r.tmp = appendUTF16(r.tmp, s)
		}
		r.text(r.tmp, attr)
		return
	case typeAnsi | typeArray:
		r.tmp = r.tmp[:0]
		for i, s := range splitNUL8(b) {
			if i > 0 {
				r.tmp = append(r.tmp, ',')
			}
			r.tmp = appendANSI(r.tmp, s)
		}
		r.text(r.tmp, attr)
		return
	}
	start := len(r.out)
	if v.typ&typeArray != 0 {
		r.out = appendArray(r.out, v.typ&^typeArray, b)
	} else {
		var ok bool
		r.out, ok = appendScalar(r.out, v.typ, b)
		if !ok {
			// A value whose size does not fit its type (or of a type
			// unknown here) keeps its bytes, in hexadecimal.
			r.out = appendHexUpper(r.out, b)
		}
	}
	r.plain(start)
	r.check()
}

// appendArray writes the items of an array value, comma-separated.
func appendArray(dst []byte, t uint8, b []byte) []byte {
	size := fixedSize(t)
	switch {
	case t == typeSID:
		for i := 0; len(b) > 0; i++ {
			n := sidSize(b)
			if i > 0 {
				dst = append(dst, ',')
			}
			var ok bool
			if dst, ok = appendSID(dst, b[:n]); !ok {
				dst = appendHexUpper(dst, b[:n])
			}
			b = b[n:]
		}
		return dst
	case t == typeSizeT:
		size = 8
		if len(b)%8 != 0 {
			size = 4
		}
	case size == 0:
		return appendHexUpper(dst, b)
	}
	for i := 0; i+size <= len(b); i += size {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst, _ = appendScalar(dst, t, b[i:i+size])
	}
	return dst
}

func trimNUL16(b []byte) []byte {
	for i := 0; i+1 < len(b); i += 2 {
		if b[i] == 0 && b[i+1] == 0 {
			return b[:i]
		}
	}
	return b
}

func trimNUL8(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// splitNUL16 splits NUL-terminated UTF-16 strings (a string array).
func splitNUL16(b []byte) [][]byte {
	var out [][]byte
	start := 0
	for i := 0; i+1 < len(b); i += 2 {
		if b[i] == 0 && b[i+1] == 0 {
			out = append(out, b[start:i])
			start = i + 2
		}
	}
	if start+1 < len(b) {
		out = append(out, b[start:])
	}
	return out
}

func splitNUL8(b []byte) [][]byte {
	out := bytes.Split(b, []byte{0})
	if len(out) > 0 && len(out[len(out)-1]) == 0 {
		out = out[:len(out)-1]
	}
	return out
}

// nested renders binary XML held in a substitution value (EvtXml, as in
// CAPI2 events).
func (r *renderer) nested(v value) {
	r.enter()
	p := parser{c: r.c, nodes: &r.nodes, values: &r.values, end: int(v.pos + v.size), depth: r.depthTemplates, dep: false}
	first, _ := p.fragment(int(v.pos))
	r.list(r.nodes, first, nil, false)
	r.depthTemplates--
}

// plainUTF16 writes a string value (UTF-16, cut at its first NUL) straight to
// the XML when it is ASCII with nothing to escape, as most values are, and
// reports whether it did; else it writes nothing. It is text(appendUTF16(…))
// in one pass.
func (r *renderer) plainUTF16(b []byte, attr bool) bool {
	esc := &escapes[b2i(attr)]
	start := len(r.out)
	out := slices.Grow(r.out, len(b)/2)
	i := 0
	// Four characters at a time while they are ASCII with nothing to escape
	// (NUL is escaped, so the end of the string stops this loop too).
	for ; i+8 <= len(b); i += 8 {
		v := le.Uint64(b[i:])
		if v&0xff80_ff80_ff80_ff80 != 0 {
			break
		}
		c0, c1, c2, c3 := byte(v), byte(v>>16), byte(v>>32), byte(v>>48)
		if esc[c0] || esc[c1] || esc[c2] || esc[c3] {
			break
		}
		out = append(out, c0, c1, c2, c3)
	}
	for ; i+1 < len(b); i += 2 {
		u := uint16(b[i]) | uint16(b[i+1])<<8
		if u == 0 {
			break
		}
		if u >= 0x80 || esc[u] {
			r.out = out[:start]
			return false
		}
		out = append(out, byte(u))
	}
	r.out = out
	r.plain(start)
	r.check()
	return true
}

// plainASCII writes b straight to the XML when it is ASCII with nothing to
// escape (then it is its own code page 1252 text) and reports whether it
// did; else it writes nothing.
func (r *renderer) plainASCII(b []byte, attr bool) bool {
	esc := &escapes[b2i(attr)]
	for _, c := range b {
		if c >= 0x80 || esc[c] {
			return false
		}
	}
	start := len(r.out)
	r.out = append(r.out, b...)
	r.plain(start)
	r.check()
	return true
}
