// Package ecs reads Elastic Common Schema JSON events — Elastic Defend, Beats and
// Elastic Agent output, Elasticsearch exports — into archive rows.
package ecs

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/valyala/fastjson"

	"huntsql/loader/rows"
	schema "huntsql/sql"
)

// node is one level of the field trie: ECS names split at dots, so nested,
// dotted and mixed keys all reach the same column.
type node struct {
	children map[string]*node
	field    int  // column index, or -1
	repeats  bool // values repeat across events: interned

	// slots is children as a small open-addressing table keyed by segHash,
	// built once: the decoder's lookups skip Go's map machinery.
	slots []*node
	name  string // the segment that leads to this node
}

// segHash is FNV-1a, enough to spread the few dozen names of one level.
func segHash(b []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	return h
}

// child returns the child reached by seg, or nil.
func (n *node) child(seg []byte) *node {
	if len(n.slots) == 0 {
		return nil
	}
	mask := uint32(len(n.slots) - 1)
	for i := segHash(seg) & mask; ; i = (i + 1) & mask {
		c := n.slots[i]
		if c == nil || c.name == string(seg) {
			return c
		}
	}
}

// index fills slots from children, recursively.
func (n *node) index() {
	size := 1
	for size < 2*len(n.children) {
		size *= 2
	}
	if len(n.children) > 0 {
		n.slots = make([]*node, size)
	}
	for name, c := range n.children {
		c.name = name
		i := segHash([]byte(name)) & uint32(size-1)
		for n.slots[i] != nil {
			i = (i + 1) & uint32(size-1)
		}
		n.slots[i] = c
		c.index()
	}
}

// unshared are repeated-text columns whose values are mostly distinct.
var unshared = []string{"process.args", "process.parent.args"}

var trie = func() *node {
	root := &node{children: map[string]*node{}, field: -1}
	for i, f := range schema.Fields {
		if strings.HasPrefix(f.Name, "huntsql.") {
			continue // provenance is ours to set, never the input's
		}
		n := root
		for _, seg := range strings.Split(f.Name, ".") {
			c := n.children[seg]
			if c == nil {
				c = &node{children: map[string]*node{}, field: -1}
				n.children[seg] = c
			}
			n = c
		}
		n.field = i
		// Text whose values repeat is interned per column: one copy per value,
		// numbered, so that the writer builds dictionaries without hashing.
		n.repeats = (f.Kind == schema.String || f.Kind == schema.StringList) &&
			!slices.Contains(schema.PerEvent, f.Name) && !slices.Contains(unshared, f.Name)
	}
	root.index()
	return root
}()

// Normalizer turns raw ECS JSON records into rows. It is not safe for
// concurrent use: give each worker its own.
type Normalizer struct {
	dec     decoder
	p       fastjson.Parser // for the rare value re-encoded as JSON text
	vals    []values        // per column
	touched []int           // columns the current document gave values for
	gen     uint64
	warn    []string
	tables  []*internTable // per column, for columns that repeat
	keys    internTable    // map keys
}

// values collects what a document gives for one column; several values for
// one column arise from arrays and from the same field spelled nested and dotted.
type values struct {
	strs []string
	ids  []int32 // beside strs: the interned value's number, or -1
	ints []int64
	kv   []rows.KV
	bad  string // a value of the wrong type (kept only in event.original)
	gen  uint64 // the document these values belong to
}

// NewNormalizer returns a Normalizer.
func NewNormalizer() *Normalizer {
	return &Normalizer{vals: make([]values, len(schema.Fields)), tables: make([]*internTable, len(schema.Fields))}
}

var (
	colTS       = schema.MustIndex(schema.Timestamp)
	colID       = schema.MustIndex("_id")
	colIndex    = schema.MustIndex("_index")
	colOriginal = schema.MustIndex(schema.Original)
	colRecord   = schema.MustIndex(schema.Record)
	colWarnings = schema.MustIndex(schema.Warnings)
	colFile     = schema.MustIndex(schema.SourceFile)
	colLine     = schema.MustIndex(schema.SourceLine)
	colOffset   = schema.MustIndex(schema.SourceOffset)
	colLoad     = schema.MustIndex(schema.LoadID)
)

// Normalize appends the row for raw to b, or returns why the record is rejected.
func (n *Normalizer) Normalize(raw *rows.Raw, src *rows.Source, b *rows.Batch) (reject string) {
	data := raw.Data
	if !utf8.Valid(data) {
		return fmt.Sprintf("invalid UTF-8 at byte %d of the record", rows.InvalidUTF8At(data))
	}
	n.reset()
	d := &n.dec
	*d = decoder{n: n, data: data, keyBuf: d.keyBuf[:0], textBuf: d.textBuf[:0]}
	notObject := d.document()
	if d.err != nil {
		return jsonError(data, d.err)
	}
	if notObject != "" {
		return fmt.Sprintf("not a JSON object (a %s)", notObject)
	}
	hitID, hitIndex := "", ""
	if d.hit {
		hitID, hitIndex = d.hitID, d.hitIndex
	}

	ts, reason := n.timestamp()
	if reason != "" {
		return reason
	}
	b.AddRow()
	b.SetInt(colTS, ts)
	if hitID != "" {
		b.SetString(colID, hitID)
	}
	if hitIndex != "" {
		b.SetString(colIndex, hitIndex)
	}
	original, hasOriginal := "", false
	if n.seen(colOriginal) {
		original, hasOriginal = n.single(schema.Original, n.vals[colOriginal].strs)
	}
	for _, ci := range n.touched {
		if ci == colTS || ci == colOriginal || (ci == colID && hitID != "") || (ci == colIndex && hitIndex != "") {
			continue
		}
		n.store(b, ci)
	}
	if hasOriginal {
		// The input's own event.original is kept as ECS means it; the record too.
		b.SetString(colOriginal, original)
		b.SetString(colRecord, raw.Text())
	} else {
		b.SetString(colOriginal, raw.Text())
	}
	if len(n.warn) > 0 {
		b.SetList(colWarnings, n.warn)
	}
	b.SetString(colFile, src.File)
	b.SetInt(colLine, raw.Line)
	b.SetInt(colOffset, raw.Offset)
	b.SetString(colLoad, src.LoadID)
	return ""
}

func (n *Normalizer) reset() {
	n.gen++
	n.touched = n.touched[:0]
	n.warn = n.warn[:0]
}

// seen reports whether the current document gave column ci anything.
func (n *Normalizer) seen(ci int) bool { return n.vals[ci].gen == n.gen }

// touch returns column ci's values for the current document.
func (n *Normalizer) touch(ci int) *values {
	v := &n.vals[ci]
	if v.gen != n.gen {
		v.gen = n.gen
		v.strs, v.ids, v.ints, v.kv, v.bad = v.strs[:0], v.ids[:0], v.ints[:0], v.kv[:0], ""
		n.touched = append(n.touched, ci)
	}
	return v
}

// internTable shares one copy of each short value that repeats from event to
// event (host names, actions, agent ids) and numbers it: fewer allocations,
// less for the garbage collector to scan, and dictionary indices for the
// writer. It only grows, so numbers stay valid for every batch that uses them;
// once full, further values are simply not shared.
type internTable struct {
	slots []int32 // open addressing by hash: number+1, 0 when empty
	vals  []string
	last  int32 // the value returned last: many columns hold one value for long runs
}

var internSeed = maphash.MakeSeed()

// intern returns b as a string and its number (-1 when not shared).
func (t *internTable) intern(b []byte) (string, int32) {
	if len(b) > maxInterned {
		return string(b), -1
	}
	if len(t.vals) > 0 && t.vals[t.last] == string(b) {
		return t.vals[t.last], t.last
	}
	if t.slots == nil {
		t.slots, t.vals = make([]int32, 64), make([]string, 0, maxInternedValues)
	}
	mask := uint64(len(t.slots) - 1)
	i := maphash.Bytes(internSeed, b) & mask
	for ; t.slots[i] != 0; i = (i + 1) & mask {
		if id := t.slots[i] - 1; t.vals[id] == string(b) {
			t.last = id
			return t.vals[id], id
		}
	}
	s := string(b)
	if len(t.vals) == maxInternedValues {
		return s, -1
	}
	id := int32(len(t.vals))
	t.vals = append(t.vals, s) // within capacity: earlier batches' views stay valid
	t.slots[i] = id + 1
	t.last = id
	if 2*len(t.vals) > len(t.slots) {
		t.rehash()
	}
	return s, id
}

// rehash doubles the slot table.
func (t *internTable) rehash() {
	t.slots = make([]int32, 2*len(t.slots))
	mask := uint64(len(t.slots) - 1)
	for id, v := range t.vals {
		i := maphash.String(internSeed, v) & mask
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = int32(id) + 1
	}
}

// table returns column ci's intern table.
func (n *Normalizer) table(ci int) *internTable {
	t := n.tables[ci]
	if t == nil {
		t = &internTable{}
		n.tables[ci] = t
	}
	return t
}

const (
	maxInterned       = 64
	maxInternedValues = 4096
)

// timestamp resolves @timestamp, which every event must have.
func (n *Normalizer) timestamp() (int64, string) {
	v := &n.vals[colTS]
	if !n.seen(colTS) {
		return 0, "missing @timestamp"
	}
	if v.bad != "" {
		return 0, "unparseable @timestamp: " + v.bad
	}
	slices.Sort(v.ints)
	v.ints = slices.Compact(v.ints)
	switch len(v.ints) {
	case 0:
		return 0, "missing @timestamp"
	case 1:
		return v.ints[0], ""
	}
	return 0, fmt.Sprintf("@timestamp has %d different values", len(v.ints))
}

// store writes column ci of the current row from the collected values.
func (n *Normalizer) store(b *rows.Batch, ci int) {
	f := &schema.Fields[ci]
	v := &n.vals[ci]
	if v.bad != "" {
		n.warn = append(n.warn, f.Name+": "+v.bad+" (stored NULL)")
	}
	switch f.Kind {
	case schema.StringList:
		b.SetList(ci, v.strs)
	case schema.StringMap:
		b.SetMap(ci, slices.Clone(v.kv))
	case schema.String:
		if s, ok := n.single(f.Name, v.strs); ok {
			if len(v.ids) == len(v.strs) && v.ids[0] >= 0 {
				b.SetShared(ci, s, v.ids[0], n.tables[ci].vals)
			} else {
				b.SetString(ci, s)
			}
		}
	case schema.Int, schema.Time:
		if v.bad != "" {
			return
		}
		slices.Sort(v.ints)
		v.ints = slices.Compact(v.ints)
		switch len(v.ints) {
		case 1:
			b.SetInt(ci, v.ints[0])
		case 0:
		default:
			n.warn = append(n.warn, fmt.Sprintf("%s: %d different values (stored NULL)", f.Name, len(v.ints)))
		}
	}
}

// single resolves a scalar ECS field given zero, one or several values
// (spec §1, deviation D1): several distinct values store NULL with a warning.
func (n *Normalizer) single(name string, strs []string) (string, bool) {
	switch len(strs) {
	case 0:
		return "", false
	case 1:
		return strs[0], true
	}
	first := strs[0]
	for _, s := range strs[1:] {
		if s != first {
			d := slices.Clone(strs)
			slices.Sort(d)
			n.warn = append(n.warn, fmt.Sprintf("%s: %d different values (stored NULL)", name, len(slices.Compact(d))))
			return "", false
		}
	}
	return first, true
}

// jsonError explains why data is not JSON. This is the rare path, so it asks
// encoding/json, whose messages name the byte and the character.
func jsonError(data []byte, err error) string {
	s := err.Error()
	if strings.Contains(s, "too big depth") {
		return errTooDeep.Error()
	}
	var syn *json.SyntaxError
	if e := json.Unmarshal(data, new(json.RawMessage)); errors.As(e, &syn) {
		return fmt.Sprintf("invalid JSON: %s (at byte %d of the record)", syn.Error(), syn.Offset)
	}
	s = strings.TrimPrefix(s, "cannot parse JSON: ")
	if i := strings.Index(s, "; unparsed tail"); i >= 0 {
		s = s[:i]
	}
	return "invalid JSON: " + s
}
