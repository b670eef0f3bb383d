// Package winxml reads Windows event log XML — `wevtutil qe /f:xml` output, the
// same wrapped in <Events>, Splunk's XmlWinEventLog lines, forwarded events — into
// archive rows. It parses the XML itself: no DTDs, no entity expansion, no
// reflection, and memory bounded by the largest event it accepts.
package winxml

import (
	"bytes"
	"fmt"
	"io"

	"huntsql/loader/format"
	"huntsql/loader/rows"
	"huntsql/loader/stream"
)

// DefaultMaxEvent is the largest event accepted; larger ones are rejected
// without being buffered whole.
const DefaultMaxEvent = 1 << 20

// Splitter cuts <Event>…</Event> elements out of a UTF-8 stream, with their
// exact bytes, line and offset. Text between events may only be whitespace, an
// XML declaration, comments and an <Events> wrapper; anything else (a truncated
// event, a DTD) is returned as a reject and the splitter resynchronizes on the
// next <Event.
type Splitter struct {
	stream.Window // grows to twice the event limit: an event and what follows it
	max           int
	pending       []rows.Raw
}

// NewSplitter reads events from r (UTF-8). maxEvent <= 0 means DefaultMaxEvent.
func NewSplitter(r io.Reader, maxEvent int) *Splitter {
	if maxEvent <= 0 {
		maxEvent = DefaultMaxEvent
	}
	return &Splitter{Window: stream.NewWindow(r, 256<<10, 2*maxEvent+64), max: maxEvent}
}

// ReadErr is the error that ended the input early, if any.
func (s *Splitter) ReadErr() error { return s.Err }

// Next returns the next event or reject, or io.EOF.
func (s *Splitter) Next() (rows.Raw, error) {
	for len(s.pending) == 0 {
		if !s.step() {
			return rows.Raw{}, io.EOF
		}
	}
	r := s.pending[0]
	s.pending = s.pending[1:]
	return r, nil
}

var (
	eventOpen  = []byte("<Event")
	eventClose = []byte("</Event")
)

// startAt returns the index in b of the next "<Event" that certainly opens an
// Event element (not <Events>, <EventData>, …), or -1. A match at the very end
// of b, whose next byte is not read yet, does not count.
func startAt(b []byte) int {
	for i := 0; ; {
		j := bytes.Index(b[i:], eventOpen)
		if j < 0 {
			return -1
		}
		k := i + j + len(eventOpen)
		if k >= len(b) {
			return -1
		}
		if c := b[k]; c == '>' || c == '/' || isSpace(c) {
			return i + j
		}
		i = k
	}
}

// endAt returns the index in b of the next "</Event" end tag (not </EventID>,
// </EventData>, …), or -1; like startAt it needs the byte after the name.
func endAt(b []byte) int {
	for i := 0; ; {
		j := bytes.Index(b[i:], eventClose)
		if j < 0 {
			return -1
		}
		k := i + j + len(eventClose)
		if k >= len(b) {
			return -1
		}
		if c := b[k]; c == '>' || isSpace(c) {
			return i + j
		}
		i = k
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// tail is how many bytes at the end of the buffer may hold a tag split by a read.
const tail = len("</Events") + 1

// step consumes the text up to the next event, then the event.
func (s *Splitter) step() bool {
	for {
		if interleaved != nil && s.textRecord() {
			return true
		}
		b := s.Buf[s.Pos:s.End]
		if at := startAt(b); at >= 0 {
			if at > 0 {
				s.between(at)
				if len(s.pending) > 0 {
					return true // the text problem first; the event follows
				}
			}
			return s.event()
		}
		if s.Fill() {
			continue
		}
		if s.EOF {
			if len(b) > 0 {
				s.between(len(b))
			}
			return len(s.pending) > 0
		}
		// A full buffer without an event: check all but the tail and go on.
		s.between(len(b) - tail)
		if len(s.pending) > 0 {
			return true
		}
	}
}

// between checks the n bytes before an event: only markup that may surround
// events is allowed there.
func (s *Splitter) between(n int) {
	text := s.Buf[s.Pos : s.Pos+n]
	lineNo, off := s.Line, s.Offset()
	if bad := strayText(text); bad >= 0 {
		lead := bytes.Count(text[:bad], []byte{'\n'})
		reason := "text outside any <Event> element"
		rest := text[bad:]
		switch {
		case bytes.HasPrefix(rest, []byte("<!DOCTYPE")) || bytes.HasPrefix(rest, []byte("<!ENTITY")):
			reason = "DTD or entity declaration refused (huntsql never expands entities)"
		case bytes.HasPrefix(rest, []byte("</Event")):
			reason = "end of an <Event> element whose start is missing"
		}
		s.pending = append(s.pending, rows.Raw{Data: bytes.Clone(rest[:min(len(rest), rejectPrefix)]), Line: lineNo + int64(lead),
			Offset: off + int64(bad), Reject: reason, Size: sizeIfCut(len(rest))})
	}
	s.Advance(n)
}

func sizeIfCut(n int) int64 {
	if n > rejectPrefix {
		return int64(n)
	}
	return 0
}

// rejectPrefix is how much of a rejected span the rejects keep.
const rejectPrefix = 64 << 10

// strayText returns the index of the first content in b that is not
// whitespace, an XML declaration, a comment or an <Events>/</Events> tag; -1 if
// there is none.
func strayText(b []byte) int {
	for i := 0; i < len(b); {
		switch {
		case isSpace(b[i]):
			i++
		case bytes.HasPrefix(b[i:], []byte("<?")):
			j := bytes.Index(b[i:], []byte("?>"))
			if j < 0 {
				return i
			}
			i += j + 2
		case bytes.HasPrefix(b[i:], []byte("<!--")):
			j := bytes.Index(b[i+4:], []byte("-->"))
			if j < 0 {
				return i
			}
			i += 4 + j + 3
		case bytes.HasPrefix(b[i:], []byte("<Events")) || bytes.HasPrefix(b[i:], []byte("</Events")):
			j := bytes.IndexByte(b[i:], '>')
			if j < 0 {
				return i
			}
			i += j + 1
		case b[i] == 0xef && bytes.HasPrefix(b[i:], []byte("\xef\xbb\xbf")) && i == 0:
			i += 3
		default:
			return i
		}
	}
	return -1
}

// event reads one <Event …>…</Event> starting at s.Pos.
func (s *Splitter) event() bool {
	lineNo, off := s.Line, s.Offset()
	from := len(eventOpen)
	for {
		b := s.Buf[s.Pos:s.End]
		end := endAt(b[from:])
		next := -1
		if end >= 0 {
			next = startAt(b[from : from+end+len(eventClose)+1])
		} else {
			next = startAt(b[from:])
		}
		if next >= 0 && (end < 0 || next < end) {
			// Another event starts before this one ends: this one is cut short.
			s.reject(from+next, lineNo, off, "unterminated <Event> element (the next <Event> starts before </Event>)")
			return true
		}
		if end >= 0 {
			gt := bytes.IndexByte(b[from+end:], '>')
			if gt >= 0 {
				n := from + end + gt + 1
				if n > s.max {
					s.reject(n, lineNo, off, fmt.Sprintf("event larger than %d bytes (%d bytes)", s.max, n))
					return true
				}
				s.pending = append(s.pending, rows.Raw{Data: bytes.Clone(b[:n]), Line: lineNo, Offset: off})
				s.Advance(n)
				return true
			}
		}
		from = max(len(eventOpen), len(b)-tail)
		if len(b) > s.max {
			s.skipOversized(lineNo, off)
			return true
		}
		if !s.Fill() {
			s.reject(len(b), lineNo, off, "unterminated <Event> element at end of input")
			return true
		}
	}
}

func (s *Splitter) reject(n int, lineNo, off int64, reason string) {
	s.pending = append(s.pending, rows.Raw{Data: bytes.Clone(s.Buf[s.Pos : s.Pos+min(n, rejectPrefix)]), Line: lineNo,
		Offset: off, Reject: reason, Size: sizeIfCut(n)})
	s.Advance(n)
}

// skipOversized rejects an event past the limit and skips to its end (or to
// the next event start) without keeping it.
func (s *Splitter) skipOversized(lineNo, off int64) {
	prefix := bytes.Clone(s.Buf[s.Pos:min(s.End, s.Pos+rejectPrefix)])
	size := int64(0)
	s.Advance(len(eventOpen))
	size += int64(len(eventOpen))
	for {
		b := s.Buf[s.Pos:s.End]
		end := endAt(b)
		next := startAt(b)
		switch {
		case next >= 0 && (end < 0 || next < end):
			s.Advance(next)
			size += int64(next)
		case end >= 0 && bytes.IndexByte(b[end:], '>') >= 0:
			n := end + bytes.IndexByte(b[end:], '>') + 1
			s.Advance(n)
			size += int64(n)
		default:
			keep := min(len(b), tail)
			s.Advance(len(b) - keep)
			size += int64(len(b) - keep)
			if s.Fill() {
				continue
			}
			s.Advance(keep)
			size += int64(keep)
		}
		break
	}
	s.pending = append(s.pending, rows.Raw{Data: prefix, Line: lineNo, Offset: off, Size: size,
		Reject: fmt.Sprintf("event larger than %d bytes (%d bytes)", s.max, size)})
}

// Text records interleaved with events.
//
// Splunk writes XmlWinEventLog events one per line and classic WinEventLog
// text records to the same file. Whichever kind a file starts with, both must
// load: the text format registers here (package wintext does), the splitter
// passes its records on instead of rejecting them as text outside any
// <Event>, and the Normalizer hands them back to that format's normalizer.

// Interleaved is a text format whose records may sit between events.
type Interleaved struct {
	// Len returns the length of the record that starts at b[0]; 0 when no
	// record of the format starts there; -1 when b, the input read so far
	// (all of it when atEOF), does not reach the record's end yet.
	Len func(b []byte, atEOF bool) int
	// NewNormalizer returns a normalizer of those records for one worker.
	NewNormalizer func(opts format.Options) format.Single
}

var interleaved *Interleaved

// Interleave registers the text format whose records may sit between events;
// call it from an init function.
func Interleave(f Interleaved) { interleaved = &f }

// textRecord cuts a record of the interleaved format when one starts after
// the blanks at s.Pos, and reports whether it did.
func (s *Splitter) textRecord() bool {
	for {
		b := s.Buf[s.Pos:s.End]
		i := 0
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i == len(b) || b[i] == '<' {
			return false
		}
		n := interleaved.Len(b[i:], s.EOF)
		if n < 0 && (s.Fill() || s.EOF) {
			continue // more input, or its end: look again
		}
		if n <= 0 {
			return false // not a record, or one larger than the window: rejected as stray text
		}
		s.Advance(i)
		s.pending = append(s.pending, rows.Raw{Data: bytes.Clone(b[i : i+n]), Line: s.Line, Offset: s.Offset()})
		s.Advance(n)
		return true
	}
}
