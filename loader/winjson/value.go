// Package winjson reads Windows events written as JSON by the tools hunters
// collect them with, and maps them through the shared Windows mapping
// (package winevent), so that an event gives the same columns whatever route
// it took:
//
//   - EVTXJSON: the Rust evtx_dump tool's output (-o json, pretty, each record
//     after a "Record N" line; -o jsonl, one per line), as Chainsaw, Hayabusa
//     and Zircolite users have it, and Velociraptor's parse_evtx rows;
//   - FlatJSON: one flat object per event with the System fields and the
//     EventData side by side, as NXLog's im_msvistalog, Logstash and the OTRF
//     Security-Datasets (Mordor) write it;
//   - WinlogbeatJSON: winlogbeat and Elastic Agent documents (ECS with
//     winlog.*): the ECS normalizer maps the document, then the Windows
//     mapping is overlaid (winevent.Mapper.Overlay).
//
// docs/formats.md says which ECS fields each can and cannot supply.
package winjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/valyala/fastjson"

	"huntsql/loader/rows"
)

// appendText appends a JSON value as the event's XML rendering would hold
// it: a string unescaped, a number in its decimal text as written, true/false
// as words, null as nothing. An object gives its "#text" (evtx_dump's element
// text) or else the text of its children in order, skipping attributes, as an
// XML element's text content would; an array gives its elements' texts joined.
func appendText(dst []byte, v *fastjson.Value) []byte {
	if v == nil {
		return dst
	}
	switch v.Type() {
	case fastjson.TypeString:
		return append(dst, v.GetStringBytes()...)
	case fastjson.TypeNumber, fastjson.TypeTrue, fastjson.TypeFalse:
		return v.MarshalTo(dst)
	case fastjson.TypeObject:
		if t := v.Get("#text"); t != nil {
			return appendText(dst, t)
		}
		v.GetObject().Visit(func(k []byte, c *fastjson.Value) {
			if !isAttributes(k, c) {
				dst = appendText(dst, c)
			}
		})
	case fastjson.TypeArray:
		for _, e := range v.GetArray() {
			dst = appendText(dst, e)
		}
	}
	return dst
}

// text is appendText as a string.
func text(v *fastjson.Value) string { return string(appendText(nil, v)) }

// texts keeps the strings an event is made of. The parser's buffer is reused
// by the next record, while the strings live on in the batch until its file is
// written: texts copies them into shared slabs, one allocation for a few
// hundred events rather than one per value.
type texts struct {
	slab    []byte
	scratch []byte
}

const slabSize = 64 << 10

// keep returns a copy of b that outlives the parser's buffer.
func (t *texts) keep(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > slabSize/4 {
		return string(b)
	}
	if cap(t.slab)-len(t.slab) < len(b) {
		t.slab = make([]byte, 0, slabSize)
	}
	n := len(t.slab)
	t.slab = append(t.slab, b...)
	return unsafe.String(&t.slab[n], len(b)) // the slab's bytes are never written again
}

// text is the kept text of v.
func (t *texts) text(v *fastjson.Value) string {
	t.scratch = appendText(t.scratch[:0], v)
	return t.keep(t.scratch)
}

// data is an EventData value: scalars as text, objects and arrays as their
// JSON text.
func (t *texts) data(v *fastjson.Value) string {
	switch v.Type() {
	case fastjson.TypeObject, fastjson.TypeArray:
		t.scratch = v.MarshalTo(t.scratch[:0])
		return t.keep(t.scratch)
	}
	return t.text(v)
}

// isAttributes reports whether an object member holds XML attributes as
// evtx_dump writes them: "#attributes", or "X_attributes" beside X with
// --separate-json-attributes.
func isAttributes(k []byte, v *fastjson.Value) bool {
	if string(k) == "#attributes" {
		return true
	}
	const suffix = "_attributes"
	return v.Type() == fastjson.TypeObject && len(k) > len(suffix) && string(k[len(k)-len(suffix):]) == suffix
}

// parseObject parses a record that must be one JSON object.
func parseObject(p *fastjson.Parser, data []byte) (*fastjson.Value, string) {
	if !utf8.Valid(data) {
		return nil, fmt.Sprintf("invalid UTF-8 at byte %d of the record", rows.InvalidUTF8At(data))
	}
	v, err := p.ParseBytes(data)
	if err != nil {
		return nil, jsonError(data, err)
	}
	if v.Type() != fastjson.TypeObject {
		return nil, fmt.Sprintf("not a JSON object (a JSON %s)", v.Type())
	}
	return v, ""
}

// jsonError explains why data is not JSON. This is the rare path, so it asks
// encoding/json, whose messages name the byte and the character.
func jsonError(data []byte, err error) string {
	var syn *json.SyntaxError
	if e := json.Unmarshal(data, new(json.RawMessage)); errors.As(e, &syn) {
		return fmt.Sprintf("invalid JSON: %s (at byte %d of the record)", syn.Error(), syn.Offset)
	}
	s := strings.TrimPrefix(err.Error(), "cannot parse JSON: ")
	if i := strings.Index(s, "; unparsed tail"); i >= 0 {
		s = s[:i]
	}
	return "invalid JSON: " + s
}
