package evtx

import (
	"bytes"
	"slices"
	"unsafe"
)

// Templates again in later chunks. Each chunk defines its templates anew,
// and parsing them was a tenth of decoding: a file's chunks define the same
// templates, but at other offsets, so their bytes differ where they refer
// to names (chunk offsets) and in the headers of the names they define.
//
// While a template is parsed, the recorder notes every name reference: its
// field, and whether the name is defined in place, earlier in the template,
// or before the template in the chunk (then its bytes). A later template
// with the same GUID and size is the same parse when its bytes are the same
// apart from those fields and name headers, its references are of the same
// kinds at the same relative places, and the names before it are the same
// bytes: the parser then reads exactly the same things and makes exactly the
// same decisions. Templates whose parse depends on anything else (a
// template instance inside, a name not where the parser expects one, a
// value token, whose nodes hold chunk offsets) are not kept.

// relocKey is a template's GUID and data size.
type relocKey [20]byte

// relocEntry is a template parse kept for later chunks.
type relocEntry struct {
	body  []byte  // the template's bytes
	masks []int32 // start, end of the bytes that may differ, in order
	refs  []relocRef
	nodes []node
	root  int32
	depth int // the nesting depth it was parsed at (deeper may fail)
}

// relocRef is one name reference of a kept template.
type relocRef struct {
	field int32 // where the reference is, from the template's start
	kind  uint8
	off   int32  // refInternal: where the name is, from the template's start
	end   int32  // refInternal: where the name ends, from the template's start
	name  []byte // refBefore: the name's size, characters and NUL
}

const (
	refInPlace  = iota // defined right after the reference
	refInternal        // defined earlier in the template
	refBefore          // defined before the template in the chunk
)

// Bounds on what is kept: entries, the size of a template, and the memory
// of all entries (their bytes and nodes); when one would be passed, all are
// let go.
const (
	maxReloc      = 1024
	maxRelocBody  = 16 << 10
	maxRelocBytes = 16 << 20
)

// relocRecorder notes a template's name references as it is parsed.
type relocRecorder struct {
	start, end int
	bad        bool // the parse depends on something not noted
	valueText  bool
	masks      []int32
	refs       []relocRef
}

func (rc *relocRecorder) reset(start, end int) {
	rc.start, rc.end = start, end
	rc.bad, rc.valueText = false, false
	rc.masks, rc.refs = rc.masks[:0], rc.refs[:0]
}

// ref notes the name reference at chunk offset field, to a name at off.
func (rc *relocRecorder) ref(c *chunk, field int, off uint32) {
	o := int(off)
	if o < chunkHeaderSize || o+8 > len(c.d) {
		rc.bad = true
		return
	}
	nameEnd := o + 8 + 2*int(le.Uint16(c.d[o+6:])) + 2
	f := int32(field - rc.start)
	rc.masks = append(rc.masks, f, f+4)
	switch {
	case o == field+4:
		// The name's next-name offset and hash are not read.
		rc.masks = append(rc.masks, f+4, f+10)
		rc.refs = append(rc.refs, relocRef{field: f, kind: refInPlace})
	case o >= rc.start && nameEnd <= rc.end:
		rc.refs = append(rc.refs, relocRef{field: f, kind: refInternal, off: int32(o - rc.start), end: int32(nameEnd - rc.start)})
	case nameEnd <= rc.start:
		rc.refs = append(rc.refs, relocRef{field: f, kind: refBefore, name: c.d[o+6 : nameEnd]})
	default:
		rc.bad = true
	}
}

func keyOf(d []byte, pos int) relocKey {
	var k relocKey
	copy(k[:], d[pos+4:pos+24])
	return k
}

// keepRelocatable keeps template t, just parsed at chunk offset pos at
// nesting depth depth with recorder rc, for later chunks when it can be.
func (c *chunk) keepRelocatable(pos int, t *template, depth int, rc *relocRecorder) {
	if rc.bad || rc.valueText || rc.end-rc.start > maxRelocBody {
		return
	}
	masks := slices.Clone(rc.masks)
	// Sort the (start, end) pairs; they do not overlap.
	pairs := make([][2]int32, 0, len(masks)/2)
	for i := 0; i+1 < len(masks); i += 2 {
		pairs = append(pairs, [2]int32{masks[i], masks[i+1]})
	}
	slices.SortFunc(pairs, func(a, b [2]int32) int { return int(a[0] - b[0]) })
	masks = masks[:0]
	for i, p := range pairs {
		if i > 0 && p[0] < masks[len(masks)-1] {
			return // overlapping: not a layout this understands
		}
		masks = append(masks, p[0], p[1])
	}
	refs := slices.Clone(rc.refs)
	// A name read inside the template must not lie in bytes that may differ.
	for _, r := range refs {
		if r.kind != refInternal {
			continue
		}
		for i := 0; i < len(masks); i += 2 {
			if r.off+6 < masks[i+1] && masks[i] < r.end {
				return
			}
		}
	}
	size := rc.end - rc.start + len(t.nodes)*int(unsafe.Sizeof(node{})) + len(refs)*int(unsafe.Sizeof(relocRef{})) + 4*len(masks)
	names := map[string][]byte{}
	for i := range refs {
		if refs[i].name == nil {
			continue
		}
		c, ok := names[string(refs[i].name)]
		if !ok {
			c = slices.Clone(refs[i].name)
			names[string(c)] = c
			size += len(c)
		}
		refs[i].name = c
	}
	if c.reloc == nil || len(c.reloc) >= maxReloc || c.relocBytes+size > maxRelocBytes {
		c.reloc = map[relocKey]*relocEntry{}
		c.relocBytes = 0
	}
	c.relocBytes += size
	c.reloc[keyOf(c.d, pos)] = &relocEntry{body: slices.Clone(c.d[rc.start:rc.end]), masks: masks, refs: refs,
		nodes: t.nodes, root: t.root, depth: depth}
}

// relocated returns the template defined at chunk offset pos when a kept
// template is the same parse (see above), or nil.
func (c *chunk) relocated(pos, depth int) *template {
	if c.reloc == nil || pos < chunkHeaderSize || pos+24 > len(c.d) {
		return nil
	}
	e := c.reloc[keyOf(c.d, pos)]
	start := pos + 24
	if e == nil || depth > e.depth || start+len(e.body) > len(c.d) || len(e.nodes) > c.budget {
		return nil
	}
	body := c.d[start : start+len(e.body)]
	at := 0
	for i := 0; i < len(e.masks); i += 2 {
		if !bytes.Equal(body[at:e.masks[i]], e.body[at:e.masks[i]]) {
			return nil
		}
		at = int(e.masks[i+1])
	}
	if !bytes.Equal(body[at:], e.body[at:]) {
		return nil
	}
	for i := range e.refs {
		r := &e.refs[i]
		off := int(le.Uint32(body[r.field:]))
		switch r.kind {
		case refInPlace:
			if off != start+int(r.field)+4 {
				return nil
			}
		case refInternal:
			if off != start+int(r.off) {
				return nil
			}
		case refBefore:
			if off < chunkHeaderSize || off+6+len(r.name) > start || !bytes.Equal(c.d[off+6:off+6+len(r.name)], r.name) {
				return nil
			}
		}
	}
	// Parsing it would have spent one unit per node.
	c.budget -= len(e.nodes)
	return &template{nodes: e.nodes, root: e.root}
}
