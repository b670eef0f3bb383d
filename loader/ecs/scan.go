package ecs

import (
	"errors"
	"fmt"

	"github.com/valyala/fastjson"
)

// scanner follows the structure of one JSON value (brackets and strings only,
// no validation of scalars: the parser does that) so that records can be cut
// out of a stream with their exact bytes. It can be fed in pieces.
type scanner struct {
	stack   []byte // open brackets
	inStr   bool
	esc     bool
	started bool // a scalar value has begun
}

var errTruncated = errors.New("unexpected end of input")

// errTooDeep is the one rejection for deep nesting, from the splitter or the parser.
var errTooDeep = fmt.Errorf("JSON nested deeper than %d levels", maxDepth)

func (s *scanner) reset() {
	s.stack = s.stack[:0]
	s.inStr, s.esc, s.started = false, false, false
}

// maxDepth bounds nesting; deeper documents are rejected, not followed. It is
// the JSON parser's own limit, so that both stages agree.
const maxDepth = fastjson.MaxDepth

// feed consumes b (which must start at or inside a value, never with leading
// whitespace on the first call) and returns how many bytes belong to the value
// and whether it ended within b.
func (s *scanner) feed(b []byte) (n int, done bool, err error) {
	for i := 0; i < len(b); i++ {
		c := b[i]
		if s.inStr {
			switch {
			case s.esc:
				s.esc = false
			case c == '\\':
				s.esc = true
			case c == '"':
				s.inStr = false
				if len(s.stack) == 0 {
					return i + 1, true, nil
				}
			case c < 0x20:
				return i, false, fmt.Errorf("control character 0x%02x in string at byte %d", c, i)
			}
			continue
		}
		switch c {
		case '{', '[':
			if len(s.stack) == 0 && s.started {
				return i, true, nil
			}
			if len(s.stack) >= maxDepth {
				return i, false, errTooDeep
			}
			s.stack = append(s.stack, c)
		case '}', ']':
			if len(s.stack) == 0 {
				if s.started {
					return i, true, nil
				}
				return i, false, fmt.Errorf("unexpected %q", c)
			}
			open := s.stack[len(s.stack)-1]
			if (open == '{') != (c == '}') {
				return i, false, fmt.Errorf("%q closes %q", c, open)
			}
			s.stack = s.stack[:len(s.stack)-1]
			if len(s.stack) == 0 {
				return i + 1, true, nil
			}
		case '"':
			if len(s.stack) == 0 && s.started {
				return i, true, nil
			}
			s.inStr = true
		case ' ', '\t', '\r', '\n', ',', ':':
			if len(s.stack) == 0 && s.started {
				return i, true, nil
			}
		default:
			if len(s.stack) == 0 {
				s.started = true
			}
		}
	}
	return len(b), false, nil
}

// atEOF finishes a value at end of input: only a bare scalar may end there.
func (s *scanner) atEOF() (done bool, err error) {
	if len(s.stack) == 0 && !s.inStr && s.started {
		return true, nil
	}
	return false, errTruncated
}

// valueEnd returns the end of the JSON value starting at b[i] in a complete buffer.
func valueEnd(b []byte, i int) (int, error) {
	var s scanner
	n, done, err := s.feed(b[i:])
	if err != nil {
		return i + n, err
	}
	if !done {
		if done, err = s.atEOF(); !done {
			return len(b), err
		}
	}
	return i + n, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// span is a [start, end) range of a buffer.
type span struct{ start, end int }

// arrayElements returns the spans of the elements of the array at b[i] ('[').
func arrayElements(b []byte, i int) ([]span, error) {
	var out []span
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return out, nil
	}
	for {
		i = skipSpace(b, i)
		end, err := valueEnd(b, i)
		if err != nil {
			return out, err
		}
		out = append(out, span{i, end})
		i = skipSpace(b, end)
		if i >= len(b) {
			return out, errTruncated
		}
		switch b[i] {
		case ',':
			i++
		case ']':
			return out, nil
		default:
			return out, fmt.Errorf("expected ',' or ']' at byte %d", i)
		}
	}
}

// member returns the span of the value of key in the object at b[i] ('{').
// Keys are compared as raw bytes (no unescaping).
func member(b []byte, i int, key string) (span, bool) {
	i = skipSpace(b, i+1)
	for i < len(b) && b[i] == '"' {
		kend, err := valueEnd(b, i)
		if err != nil {
			return span{}, false
		}
		k := b[i+1 : kend-1]
		i = skipSpace(b, kend)
		if i >= len(b) || b[i] != ':' {
			return span{}, false
		}
		i = skipSpace(b, i+1)
		vend, err := valueEnd(b, i)
		if err != nil {
			return span{}, false
		}
		if string(k) == key {
			return span{i, vend}, true
		}
		i = skipSpace(b, vend)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	return span{}, false
}

// searchHits returns the spans of hits.hits[*] when the object at b[0] is an
// Elasticsearch search or scroll response.
func searchHits(b []byte) ([]span, bool) {
	outer, ok := member(b, 0, "hits")
	if !ok || b[outer.start] != '{' {
		return nil, false
	}
	inner, ok := member(b, outer.start, "hits")
	if !ok || b[inner.start] != '[' {
		return nil, false
	}
	els, err := arrayElements(b, inner.start)
	if err != nil {
		return nil, false
	}
	return els, true
}
