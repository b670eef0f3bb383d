package wintext

import (
	"bytes"
	"fmt"
	"io"

	"huntsql/loader/rows"
	"huntsql/loader/stream"
)

// DefaultMaxRecord is the largest record accepted; larger ones are rejected
// without being buffered whole.
const DefaultMaxRecord = 1 << 20

// rejectPrefix is how much of a rejected span the rejects keep.
const rejectPrefix = 64 << 10

// Splitter cuts records out of a UTF-8 stream of Splunk Windows event text:
// classic records (a timestamp line, Key=value header lines, Message= and the
// message block) and, mixed with them, XmlWinEventLog events (an <Event>
// element starting a line, usually on one line). Each record is the input's
// exact bytes, without the line break that ends it. Text that belongs to no
// record is returned as a reject; memory is bounded by the record limit.
type Splitter struct {
	stream.Window // grows to twice the record limit: a record and what follows it
	max           int
}

// NewSplitter reads records from r (UTF-8). maxRecord <= 0 means DefaultMaxRecord.
func NewSplitter(r io.Reader, maxRecord int) *Splitter {
	if maxRecord <= 0 {
		maxRecord = DefaultMaxRecord
	}
	return &Splitter{Window: stream.NewWindow(r, 256<<10, 2*maxRecord+64), max: maxRecord}
}

// ReadErr is the error that ended the input early, if any.
func (s *Splitter) ReadErr() error { return s.Err }

// Next returns the next record or reject, or io.EOF.
func (s *Splitter) Next() (rows.Raw, error) {
	if !s.skipBlank() {
		return rows.Raw{}, io.EOF
	}
	switch s.startAt(0) {
	case startXML:
		return s.xmlRecord(), nil
	case startClassic:
		return s.cut(s.nextLine(0), "")
	}
	return s.cut(0, "text outside any classic WinEventLog record or <Event> element")
}

// skipBlank consumes blank lines (and a byte order mark at the very start); it
// reports whether anything is left.
func (s *Splitter) skipBlank() bool {
	for {
		b := s.Buf[s.Pos:s.End]
		if s.Offset() == 0 && len(b) > 0 && bytes.HasPrefix(bom, b[:min(len(b), len(bom))]) {
			if len(b) < len(bom) && s.Fill() {
				continue // a short first read: the rest of the mark may follow
			}
			if bytes.HasPrefix(b, bom) {
				s.Advance(len(bom))
				continue
			}
		}
		i := 0
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		// Keep the indentation of a line that is not blank: it is the record's.
		if i < len(b) {
			if j := bytes.LastIndexByte(b[:i], '\n'); j >= 0 {
				s.Advance(j + 1)
			}
			return true
		}
		s.Advance(len(b))
		if !s.Fill() {
			return false
		}
	}
}

var bom = []byte("\xef\xbb\xbf")

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// line returns the bounds of the line starting at s.Pos+i: its end (before
// the '\n') and the start of the next line, reading more input as needed. ok
// is false when no line starts at i (end of input) or when the line does not
// fit in the window (then end == next == the bytes available).
func (s *Splitter) line(i int) (end, next int, ok bool) {
	for {
		b := s.Buf[s.Pos:s.End]
		if i >= len(b) && s.EOF {
			return len(b), len(b), false
		}
		if i < len(b) {
			if j := bytes.IndexByte(b[i:], '\n'); j >= 0 {
				return i + j, i + j + 1, true
			}
			if s.EOF {
				return len(b), len(b), true
			}
		}
		if !s.Fill() {
			if s.EOF {
				continue
			}
			n := s.End - s.Pos
			return n, n, false // the window is full: the caller rejects the oversized record
		}
	}
}

// nextLine returns the start of the line after the one at i.
func (s *Splitter) nextLine(i int) int {
	_, next, _ := s.line(i)
	return next
}

type start int

const (
	startNone start = iota
	startClassic
	startXML
)

// startAt says whether a record starts at the line at s.Pos+i: a classic
// record (a timestamp line followed by a Key=value header line) or an <Event>
// element.
func (s *Splitter) startAt(i int) start {
	end, next, ok := s.line(i)
	b := s.Buf[s.Pos:s.End]
	if i < end && !isStartByte(b[i]) {
		return startNone // most lines: neither a date nor <Event
	}
	if line := b[i:end]; isEventStart(line) {
		return startXML // even when the line is longer than the window
	} else if !ok {
		return startNone
	}
	line := b[i:end]
	if _, ok := parseStamp(trimEOL(line)); !ok {
		return startNone
	}
	end2, _, ok := s.line(next)
	if !ok {
		return startNone
	}
	b = s.Buf[s.Pos:s.End] // line may have compacted the buffer
	if _, ok := headerKey(trimEOL(b[next:end2])); ok {
		return startClassic
	}
	return startNone
}

// isStartByte reports whether a line starting with c may start a record.
func isStartByte(c byte) bool { return c >= '0' && c <= '9' || c == '<' || c == ' ' || c == '\t' }

// isEventStart reports whether a line starts with <Event (after blanks) as an
// element name of its own (not <Events> or <EventData>).
func isEventStart(line []byte) bool {
	line = bytes.TrimLeft(line, " \t")
	if !bytes.HasPrefix(line, eventOpen) {
		return false
	}
	if len(line) == len(eventOpen) {
		return true
	}
	c := line[len(eventOpen)]
	return c == '>' || c == '/' || isSpace(c)
}

var (
	eventOpen  = []byte("<Event")
	eventClose = []byte("</Event>")
)

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}

// cut returns the record (or the stray text, when reason is set) that starts
// at s.Pos and runs up to the next line where a record starts, scanning from
// the line at from.
func (s *Splitter) cut(from int, reason string) (rows.Raw, error) {
	lineNo, off := s.Line, s.Offset()
	for i := from; ; {
		if i > 0 && s.startAt(i) != startNone {
			return s.take(i, lineNo, off, reason), nil
		}
		if i > s.max {
			return s.skipOversized(lineNo, off, reason), nil
		}
		_, next, ok := s.line(i)
		if !ok {
			if !s.EOF {
				return s.skipOversized(lineNo, off, reason), nil // a line longer than the window
			}
			return s.take(i, lineNo, off, reason), nil
		}
		i = next
	}
}

// take returns the i bytes at s.Pos, without the line breaks that end them,
// as one record, and consumes them.
func (s *Splitter) take(i int, lineNo, off int64, reason string) rows.Raw {
	b := s.Buf[s.Pos : s.Pos+i]
	n := len(bytes.TrimRight(b, "\r\n"))
	if reason == "" && n > s.max {
		reason = fmt.Sprintf("record larger than %d bytes (%d bytes)", s.max, n)
	}
	raw := rows.Raw{Data: bytes.Clone(b[:min(n, rejectPrefix)]), Line: lineNo, Offset: off, Reject: reason}
	if n > rejectPrefix {
		raw.Size = int64(n)
	}
	s.Advance(i)
	return raw
}

// xmlRecord cuts one <Event>…</Event> element starting at s.Pos (after the
// line's indentation). An element that is not closed before the next record
// starts, or before the input ends, is cut there, and the XML parser rejects it.
func (s *Splitter) xmlRecord() rows.Raw {
	for s.Buf[s.Pos] == ' ' || s.Buf[s.Pos] == '\t' {
		s.Advance(1)
	}
	lineNo, off := s.Line, s.Offset()
	for i := 0; ; {
		end, next, ok := s.line(i)
		if !ok && !s.EOF {
			return s.skipOversized(lineNo, off, "") // a line longer than the window
		}
		b := s.Buf[s.Pos:s.End]
		if j := bytes.Index(b[i:end], eventClose); j >= 0 {
			n := i + j + len(eventClose)
			if n > s.max {
				return s.skipOversized(lineNo, off, "")
			}
			raw := rows.Raw{Data: bytes.Clone(b[:n]), Line: lineNo, Offset: off}
			s.Advance(n)
			return raw
		}
		if next > s.max {
			return s.skipOversized(lineNo, off, "")
		}
		if !ok || next == len(b) && s.EOF || s.startAt(next) != startNone {
			return s.take(next, lineNo, off, "")
		}
		i = next
	}
}

// skipOversized rejects the record at s.Pos, which is over the limit, and
// skips to the next record start without keeping more than a prefix of it.
func (s *Splitter) skipOversized(lineNo, off int64, reason string) rows.Raw {
	prefix := bytes.Clone(s.Buf[s.Pos:min(s.End, s.Pos+rejectPrefix)])
	size := int64(0)
	for {
		_, next, ok := s.line(0)
		if next == 0 {
			break
		}
		s.Advance(next)
		size += int64(next)
		if !ok && !s.EOF {
			continue // the line goes on past the window
		}
		if s.startAt(0) != startNone {
			break
		}
	}
	if reason == "" {
		reason = fmt.Sprintf("record larger than %d bytes (%d bytes)", s.max, size)
	}
	return rows.Raw{Data: prefix, Line: lineNo, Offset: off, Reject: reason, Size: size}
}

// classicLen returns the length of the classic record at the start of b,
// without the line break that ends it; 0 when no classic record starts there;
// -1 when b, the input read so far (all of it when atEOF), does not reach the
// record's end yet. It is how package winxml finds classic records between
// the events of a file that starts with XmlWinEventLog lines.
func classicLen(b []byte, atEOF bool) int {
	k, more := startIn(b, 0, atEOF)
	switch {
	case more:
		return -1
	case k != startClassic:
		return 0
	}
	trimmed := func(n int) int { return len(bytes.TrimRight(b[:n], "\r\n")) }
	i := bytes.IndexByte(b, '\n') + 1 // the header line: startIn saw it
	for {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			if atEOF {
				return trimmed(len(b))
			}
			return -1
		}
		i += j + 1
		k, more := startIn(b, i, atEOF)
		if more {
			return -1
		}
		if k != startNone || i == len(b) && atEOF {
			return trimmed(i)
		}
	}
}

// startIn is startAt over a byte slice: whether a record starts at the line
// at b[i:], or more when b must reach further to tell.
func startIn(b []byte, i int, atEOF bool) (k start, more bool) {
	if i < len(b) && !isStartByte(b[i]) {
		return startNone, false
	}
	line, rest, ok := bytes.Cut(b[i:], []byte("\n"))
	if !ok && !atEOF {
		return startNone, true
	}
	if isEventStart(line) {
		return startXML, false
	}
	if _, ok := parseStamp(trimEOL(line)); !ok {
		return startNone, false
	}
	next, _, ok := bytes.Cut(rest, []byte("\n"))
	if !ok && !atEOF {
		return startNone, true
	}
	if _, ok := headerKey(trimEOL(next)); ok {
		return startClassic, false
	}
	return startNone, false
}
