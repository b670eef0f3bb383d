package ecs

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/valyala/fastjson"

	"huntsql/loader/rows"
	"huntsql/loader/timestamp"
	schema "huntsql/sql"
)

// legacy is the normalizer as it was before the single-pass decoder: fastjson
// validates and parses, then the document is walked. The fuzz test holds the
// decoder to it: same rows, same rejections.
type legacy struct {
	*Normalizer
	p       fastjson.Parser
	scratch []byte
}

// Normalize appends the row for raw to b, or returns why the record is rejected.
func (n *legacy) Normalize(raw *rows.Raw, src *rows.Source, b *rows.Batch) (reject string) {
	data := raw.Data
	if !utf8.Valid(data) {
		return fmt.Sprintf("invalid UTF-8 at byte %d of the record", rows.InvalidUTF8At(data))
	}
	if err := fastjson.ValidateBytes(data); err != nil {
		return jsonError(data, err)
	}
	v, err := n.p.ParseBytes(data)
	if err != nil {
		return jsonError(data, err)
	}
	doc, err := v.Object()
	if err != nil {
		return fmt.Sprintf("not a JSON object (a %s)", v.Type())
	}
	n.reset()
	var hitID, hitIndex string
	if s := doc.Get("_source"); s != nil && s.Type() == fastjson.TypeObject {
		// An Elasticsearch hit: the event is _source; _id and _index are the hit's.
		hitID = string(doc.Get("_id").GetStringBytes())
		hitIndex = string(doc.Get("_index").GetStringBytes())
		doc, _ = s.Object()
	}
	n.walkObject(doc, trie)

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
		b.SetList(colWarnings, slices.Clone(n.warn))
	}
	b.SetString(colFile, src.File)
	b.SetInt(colLine, raw.Line)
	b.SetInt(colOffset, raw.Offset)
	b.SetString(colLoad, src.LoadID)
	return ""
}

// walkObject visits an object whose keys continue the path at t.
func (n *legacy) walkObject(o *fastjson.Object, t *node) {
	o.Visit(func(key []byte, v *fastjson.Value) {
		c := t
		for len(key) > 0 && c != nil {
			seg := key
			if i := bytes.IndexByte(key, '.'); i >= 0 {
				seg, key = key[:i], key[i+1:]
			} else {
				key = nil
			}
			if c.field >= 0 && schema.Fields[c.field].Kind == schema.StringMap {
				// Inside a map column the rest of the path is the map key.
				n.mapValue(c.field, string(seg)+dotted(key), v)
				return
			}
			c = c.children[string(seg)]
		}
		if c != nil {
			n.assign(c, v)
		}
	})
}

func (n *legacy) assign(c *node, v *fastjson.Value) {
	if v.Type() == fastjson.TypeObject {
		o, _ := v.Object()
		if c.field >= 0 && schema.Fields[c.field].Kind == schema.StringMap {
			n.mapObject(c.field, "", o)
			return
		}
		n.walkObject(o, c)
		return
	}
	if c.field < 0 {
		return // a value where ECS has an object: kept only in event.original
	}
	n.add(c.field, c.repeats, v)
}

// add records a leaf value for column ci; arrays contribute each element.
func (n *legacy) add(ci int, repeats bool, v *fastjson.Value) {
	switch v.Type() {
	case fastjson.TypeNull:
		return
	case fastjson.TypeArray:
		for _, e := range v.GetArray() {
			n.add(ci, repeats, e)
		}
		return
	case fastjson.TypeObject:
		n.touch(ci).bad = "an object"
		return
	}
	f := &schema.Fields[ci]
	vals := n.touch(ci)
	switch f.Kind {
	case schema.String, schema.StringList:
		if repeats && v.Type() == fastjson.TypeString {
			sv, _ := n.table(ci).intern(v.GetStringBytes())
			vals.strs = append(vals.strs, sv)
		} else {
			vals.strs = append(vals.strs, n.text(v))
		}
	case schema.Int:
		i, ok := n.integer(v)
		if !ok {
			vals.bad = "not an integer: " + n.text(v)
			return
		}
		vals.ints = append(vals.ints, i)
	case schema.Time:
		t, err := n.time(v)
		if err != nil {
			vals.bad = err.Error()
			return
		}
		vals.ints = append(vals.ints, t)
	case schema.StringMap:
		vals.bad = "not an object"
	}
}

// text is a scalar as Elasticsearch's keyword type sees it: strings as they
// are, numbers as written, booleans as true/false.
func (n *legacy) text(v *fastjson.Value) string {
	switch v.Type() {
	case fastjson.TypeString:
		return string(v.GetStringBytes())
	default:
		n.scratch = v.MarshalTo(n.scratch[:0])
		return string(n.scratch)
	}
}

func (n *legacy) integer(v *fastjson.Value) (int64, bool) {
	switch v.Type() {
	case fastjson.TypeString:
		return rows.ParseInt(string(v.GetStringBytes()))
	case fastjson.TypeNumber:
		n.scratch = v.MarshalTo(n.scratch[:0])
		return rows.ParseInt(string(n.scratch))
	}
	return 0, false
}

func (n *legacy) time(v *fastjson.Value) (int64, error) {
	switch v.Type() {
	case fastjson.TypeString:
		return timestamp.Parse(string(v.GetStringBytes()))
	case fastjson.TypeNumber:
		n.scratch = v.MarshalTo(n.scratch[:0])
		s := string(n.scratch)
		if us, err := timestamp.Parse(s); err == nil {
			return us, nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, fmt.Errorf("unparseable number %s", s)
		}
		return timestamp.FromFloat(f)
	}
	return 0, fmt.Errorf("not a date: %s", n.text(v))
}

func (n *legacy) mapObject(ci int, prefix string, o *fastjson.Object) {
	o.Visit(func(key []byte, v *fastjson.Value) {
		n.mapValue(ci, prefix+string(key), v)
	})
}

func (n *legacy) mapValue(ci int, key string, v *fastjson.Value) {
	switch v.Type() {
	case fastjson.TypeNull:
	case fastjson.TypeObject:
		o, _ := v.Object()
		n.mapObject(ci, key+".", o)
	default:
		vals := n.touch(ci)
		vals.kv = append(vals.kv, rows.KV{K: n.mapKey(key), V: n.text(v)})
	}
}
