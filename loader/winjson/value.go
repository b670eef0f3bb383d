// Package winjson reads Windows events written as JSON by the tools hunters
// collect them with, and maps them through the shared Windows mapping
// (package winevent), so that an event gives the same columns whatever route
// it took:
//
//   - EVTXJSON: the Rust evtx_dump tool's output (-o json, pretty, each record
//     after a "Record N" line; -o jsonl, one per line), as Chainsaw, Hayabusa
//     and Zircolite users have it;
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

	"github.com/valyala/fastjson"

	"huntsql/loader/rows"
)

// text is a JSON value as the event's XML rendering would hold it: a string
// unescaped, a number in its decimal text as written, true/false as words,
// null as "". An object gives its "#text" (evtx_dump's element text) or else
// the text of its children in order, skipping attributes, as an XML
// element's text content would; an array gives its elements' texts joined.
func text(v *fastjson.Value) string {
	if v == nil {
		return ""
	}
	switch v.Type() {
	case fastjson.TypeString:
		return string(v.GetStringBytes())
	case fastjson.TypeNumber:
		return string(v.MarshalTo(nil))
	case fastjson.TypeTrue:
		return "true"
	case fastjson.TypeFalse:
		return "false"
	case fastjson.TypeObject:
		if t := v.Get("#text"); t != nil {
			return text(t)
		}
		var s string
		v.GetObject().Visit(func(k []byte, c *fastjson.Value) {
			if !isAttributes(k, c) {
				s += text(c)
			}
		})
		return s
	case fastjson.TypeArray:
		var s string
		for _, e := range v.GetArray() {
			s += text(e)
		}
		return s
	}
	return ""
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
