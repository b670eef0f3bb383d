package format

import (
	"bytes"
	"encoding/json"
)

// FirstJSONKeys returns the keys of the first JSON document in head, the start
// of an input, so that the JSON formats sniff by the shape of the document and
// not only by its first byte. Before the document it skips a UTF-8 byte order
// mark, whitespace, the '[' of a JSON array and evtx_dump's "Record N" header
// lines.
//
// keys lists the document's top-level keys in order, then, for each top-level
// value that is an object, that object's keys as dotted paths ("winlog",
// "winlog.channel", "winlog.event_data", …): a format can tell a winlogbeat
// document from other ECS by one level of nesting. An Elasticsearch hit
// ({"_index", "_id", "_source": {…}}) or search response ({"hits": {"hits":
// [hit, …]}}) is looked through: keys are those of the first hit's _source,
// the document the hit carries.
//
// The document may be cut short by the end of head (the loader sniffs the
// first 64 KiB): keys are then those read so far. ok is false when the input
// does not start with a JSON object or the text read so far is not JSON.
func FirstJSONKeys(head []byte) (keys []string, ok bool) {
	i := skipPreamble(head)
	if i >= len(head) || head[i] != '{' {
		return nil, false
	}
	members, err := objectMembers(head, i)
	if err != nil {
		return nil, false
	}
	if src, ok := sourceOf(head, members); ok {
		members = src
	}
	for _, m := range members {
		keys = append(keys, m.key)
	}
	for _, m := range members {
		if m.start < len(head) && head[m.start] == '{' {
			inner, err := objectMembers(head, m.start)
			if err != nil {
				return nil, false
			}
			for _, n := range inner {
				keys = append(keys, m.key+"."+n.key)
			}
		}
	}
	return keys, true
}

// sourceOf returns the members of the hit's _source when members are those of
// an Elasticsearch hit or search response.
func sourceOf(b []byte, members []member) ([]member, bool) {
	for _, m := range members {
		switch {
		case m.key == "_source" && m.start < len(b) && b[m.start] == '{':
			src, err := objectMembers(b, m.start)
			return src, err == nil
		case m.key == "hits" && m.start < len(b) && b[m.start] == '{':
			inner, err := objectMembers(b, m.start)
			if err != nil {
				return nil, false
			}
			for _, h := range inner {
				if h.key != "hits" || h.start >= len(b) || b[h.start] != '[' {
					continue
				}
				j := skipJSONSpace(b, h.start+1)
				if j >= len(b) || b[j] != '{' {
					return nil, false
				}
				hit, err := objectMembers(b, j)
				if err != nil {
					return nil, false
				}
				return sourceOf(b, hit)
			}
		}
	}
	return nil, false
}

// skipPreamble returns the offset of the first document's first byte.
func skipPreamble(b []byte) int {
	i := 0
	if bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		i = 3
	}
	for {
		i = skipJSONSpace(b, i)
		switch {
		case i < len(b) && b[i] == '[':
			i++
		case IsRecordHeader(lineAt(b, i)):
			if nl := bytes.IndexByte(b[i:], '\n'); nl >= 0 {
				i += nl + 1
			} else {
				return len(b)
			}
		default:
			return i
		}
	}
}

func lineAt(b []byte, i int) []byte {
	if nl := bytes.IndexByte(b[i:], '\n'); nl >= 0 {
		return b[i : i+nl]
	}
	return b[i:]
}

// IsRecordHeader reports whether line (without its newline) is one of the
// "Record 123" lines the Rust evtx_dump tool writes before each record in its
// pretty JSON output.
func IsRecordHeader(line []byte) bool {
	line = bytes.TrimRight(line, " \t\r")
	rest, ok := bytes.CutPrefix(line, []byte("Record "))
	if !ok || len(rest) == 0 {
		return false
	}
	for _, c := range rest {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// member is one key of an object and where its value starts in the input.
type member struct {
	key   string
	start int
}

type jsonSyntaxError struct{}

func (jsonSyntaxError) Error() string { return "not JSON" }

// objectMembers reads the object at b[i] ('{'), tolerating an object cut off
// by the end of b.
func objectMembers(b []byte, i int) ([]member, error) {
	var out []member
	i = skipJSONSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return out, nil
	}
	for {
		if i >= len(b) {
			return out, nil
		}
		if b[i] != '"' {
			return nil, jsonSyntaxError{}
		}
		end, done := stringEnd(b, i)
		if !done {
			return out, nil
		}
		key := string(b[i+1 : end-1])
		if bytes.IndexByte(b[i:end], '\\') >= 0 {
			if err := json.Unmarshal(b[i:end], &key); err != nil {
				return nil, jsonSyntaxError{}
			}
		}
		i = skipJSONSpace(b, end)
		if i >= len(b) {
			return out, nil
		}
		if b[i] != ':' {
			return nil, jsonSyntaxError{}
		}
		i = skipJSONSpace(b, i+1)
		out = append(out, member{key: key, start: i})
		if i >= len(b) {
			return out, nil
		}
		var err error
		if i, err = valueEnd(b, i); err != nil {
			return nil, err
		}
		i = skipJSONSpace(b, i)
		if i >= len(b) {
			return out, nil
		}
		switch b[i] {
		case ',':
			i = skipJSONSpace(b, i+1)
		case '}':
			return out, nil
		default:
			return nil, jsonSyntaxError{}
		}
	}
}

// stringEnd returns the offset just past the string starting at b[i] ('"'),
// and false when b ends first.
func stringEnd(b []byte, i int) (int, bool) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, true
		}
	}
	return len(b), false
}

// valueEnd returns the offset just past the value at b[i] (or len(b) when b
// ends first).
func valueEnd(b []byte, i int) (int, error) {
	switch c := b[i]; {
	case c == '"':
		end, _ := stringEnd(b, i)
		return end, nil
	case c == '{' || c == '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, done := stringEnd(b, j)
				if !done {
					return len(b), nil
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return len(b), nil
	case c == '-' || c >= '0' && c <= '9' || c == 't' || c == 'f' || c == 'n':
		j := i
		for j < len(b) && (b[j] == '-' || b[j] == '+' || b[j] == '.' || b[j] >= '0' && b[j] <= '9' || b[j] >= 'a' && b[j] <= 'z' || b[j] == 'E') {
			j++
		}
		return j, nil
	}
	return 0, jsonSyntaxError{}
}
