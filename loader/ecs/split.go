package ecs

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"huntsql/loader/rows"
)

// Splitter cuts ECS JSON records out of a decompressed stream, keeping each
// record's exact bytes, line and offset. It accepts, detected by content:
//
//   - NDJSON: one document per line (blank lines skipped);
//   - a JSON array of documents, on one line or pretty-printed;
//   - concatenated or pretty-printed documents;
//   - Elasticsearch hits ({"_index","_id","_source"}) and whole search or
//     scroll responses ({"hits":{"hits":[…]}}), in any of the shapes above.
//
// Memory is bounded by MaxRecord: a longer record is rejected and skipped
// without being buffered. A malformed record is returned as a reject and the
// splitter resynchronizes on the next line.
type Splitter struct {
	r   io.Reader
	max int

	buf       []byte
	pos, end  int   // unread bytes: buf[pos:end]
	base      int64 // stream offset of buf[0]
	line      int64 // line number at buf[pos]
	eof       bool
	readErr   error
	started   bool
	lineMode  bool
	inArray   bool // inside a top-level array (value mode)
	pending   []rows.Raw
	sc        scanner
	truncated bool
}

// DefaultMaxRecord is the largest record (a line, a document, or a whole search
// response) kept in memory.
const DefaultMaxRecord = 64 << 20

// NewSplitter reads records from r. maxRecord <= 0 means DefaultMaxRecord.
func NewSplitter(r io.Reader, maxRecord int) *Splitter {
	if maxRecord <= 0 {
		maxRecord = DefaultMaxRecord
	}
	return &Splitter{r: r, max: maxRecord, buf: make([]byte, 0, min(maxRecord, 1<<20)), line: 1}
}

// ReadErr is the error that ended the underlying stream early, if any (for
// example a truncated gzip member); Next returns io.EOF after it.
func (s *Splitter) ReadErr() error { return s.readErr }

// fill reads more input, compacting and growing the buffer up to max.
// It returns false when no more bytes can be added.
func (s *Splitter) fill() bool {
	if s.eof {
		return false
	}
	if s.pos > 0 {
		n := copy(s.buf[:cap(s.buf)], s.buf[s.pos:s.end])
		s.base += int64(s.pos)
		s.end, s.pos = n, 0
		s.buf = s.buf[:n]
	}
	if s.end == cap(s.buf) {
		if cap(s.buf) >= s.max {
			return false
		}
		nb := make([]byte, s.end, min(2*cap(s.buf), s.max))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	for {
		n, err := s.r.Read(s.buf[s.end:cap(s.buf)])
		s.end += n
		s.buf = s.buf[:s.end]
		if err != nil {
			s.eof = true
			if !errors.Is(err, io.EOF) {
				s.readErr = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
}

// advance consumes n bytes, counting lines.
func (s *Splitter) advance(n int) {
	s.line += int64(bytes.Count(s.buf[s.pos:s.pos+n], []byte{'\n'}))
	s.pos += n
}

func (s *Splitter) offset() int64 { return s.base + int64(s.pos) }

// skipSpace consumes whitespace (and a UTF-8 byte order mark at the start) and
// reports whether any input is left.
func (s *Splitter) skipSpace() bool {
	for {
		for s.pos < s.end {
			c := s.buf[s.pos]
			if c == '\n' {
				s.line++
			} else if !isSpace(c) {
				return true
			}
			s.pos++
		}
		if !s.fill() {
			return false
		}
	}
}

// Next returns the next record, or io.EOF.
func (s *Splitter) Next() (rows.Raw, error) {
	for {
		if len(s.pending) > 0 {
			r := s.pending[0]
			s.pending = s.pending[1:]
			return r, nil
		}
		if !s.started {
			s.start()
		}
		var more bool
		if s.lineMode {
			more = s.nextLine()
		} else {
			more = s.nextValue()
		}
		if !more && len(s.pending) == 0 {
			return rows.Raw{}, io.EOF
		}
	}
}

// start skips a byte order mark and picks line mode when the first line holds
// exactly one object (NDJSON), value mode otherwise.
func (s *Splitter) start() {
	s.started = true
	for s.end-s.pos < 3 && s.fill() {
	}
	if bytes.HasPrefix(s.buf[s.pos:s.end], []byte("\xef\xbb\xbf")) {
		s.pos += 3
	}
	if !s.skipSpace() || s.buf[s.pos] != '{' {
		return
	}
	for s.end-s.pos < sniffWindow && s.fill() {
	}
	s.lineMode = looksLikeNDJSON(s.buf[s.pos:s.end])
}

// sniffWindow is how much of the start of a stream decides its layout.
const sniffWindow = 1 << 20

// looksLikeNDJSON votes over the first lines of b: NDJSON when at least half
// of them hold exactly one complete value. One malformed line does not make
// an NDJSON file look pretty-printed; a pretty-printed document has almost no
// such lines.
func looksLikeNDJSON(b []byte) bool {
	lines, whole := 0, 0
	for len(b) > 0 && lines < 32 {
		nl := bytes.IndexByte(b, '\n')
		if nl < 0 {
			break // an unfinished line says nothing
		}
		line := b[:nl]
		b = b[nl+1:]
		start := skipSpace(line, 0)
		if start == len(line) {
			continue
		}
		lines++
		if end, err := valueEnd(line, start); err == nil && skipSpace(line, end) == len(line) && line[start] == '{' {
			whole++
		}
	}
	return whole > 0 && 2*whole >= lines
}

// nextLine handles one line in line mode.
func (s *Splitter) nextLine() bool {
	for {
		nl := bytes.IndexByte(s.buf[s.pos:s.end], '\n')
		if nl < 0 && !s.eof && s.fill() {
			continue
		}
		if s.pos == s.end {
			return false
		}
		lineNo, off := s.line, s.offset()
		if nl < 0 && !s.eof {
			s.skipLongLine(lineNo, off)
			return true
		}
		n := s.end - s.pos // last line without a newline
		if nl >= 0 {
			n = nl
		}
		text := s.buf[s.pos : s.pos+n]
		lead := skipSpace(text, 0)
		text = bytes.TrimRight(text[lead:], " \t\r")
		if len(text) > 0 {
			s.emit(text, lineNo, off+int64(lead))
		}
		s.pos += n
		if nl >= 0 {
			s.pos++
			s.line++
		}
		return true
	}
}

// skipLongLine rejects a line longer than the buffer, keeping a prefix.
func (s *Splitter) skipLongLine(lineNo, off int64) {
	prefix := bytes.Clone(s.buf[s.pos:min(s.end, s.pos+rejectPrefix)])
	size := int64(0)
	for {
		nl := bytes.IndexByte(s.buf[s.pos:s.end], '\n')
		if nl >= 0 {
			size += int64(nl)
			s.pos += nl + 1
			s.line++
			break
		}
		size += int64(s.end - s.pos)
		s.pos = s.end
		if !s.fill() {
			break
		}
	}
	s.pending = append(s.pending, rows.Raw{Data: prefix, Line: lineNo, Offset: off, Size: size,
		Reject: fmt.Sprintf("record larger than %d bytes (%d bytes)", s.max, size)})
}

// rejectPrefix is how much of an oversized record the rejects keep.
const rejectPrefix = 64 << 10

// nextValue handles one value (or an array bracket) in value mode.
func (s *Splitter) nextValue() bool {
	if !s.skipSpace() {
		if s.inArray {
			s.pending = append(s.pending, rows.Raw{Line: s.line, Offset: s.offset(), Reject: "unexpected end of input: array not closed"})
			s.inArray = false
		}
		return false
	}
	c := s.buf[s.pos]
	switch {
	case s.inArray && c == ']':
		s.advance(1)
		s.inArray = false
		return true
	case s.inArray && c == ',':
		s.advance(1)
		return true
	case !s.inArray && c == '[':
		s.advance(1)
		s.inArray = true
		return true
	}
	lineNo, off := s.line, s.offset()
	s.sc.reset()
	scanned := 0 // bytes of the value already scanned, from s.pos
	for {
		n, done, err := s.sc.feed(s.buf[s.pos+scanned : s.end])
		scanned += n
		if err != nil {
			s.rejectToLineEnd(lineNo, off, scanned, "invalid JSON: "+err.Error())
			return true
		}
		if done {
			s.emit(s.buf[s.pos:s.pos+scanned], lineNo, off)
			s.advance(scanned)
			return true
		}
		if !s.fill() {
			if s.end-s.pos >= s.max {
				s.skipLongValue(lineNo, off)
				return true
			}
			if ok, _ := s.sc.atEOF(); ok {
				s.emit(s.buf[s.pos:s.end], lineNo, off)
				s.advance(s.end - s.pos)
				return true
			}
			s.pending = append(s.pending, rows.Raw{Data: bytes.Clone(s.buf[s.pos:s.end]), Line: lineNo, Offset: off,
				Reject: "invalid JSON: " + errTruncated.Error()})
			s.advance(s.end - s.pos)
			return true
		}
	}
}

// rejectToLineEnd rejects a malformed value from its start to the end of the
// line holding the error, and resumes after that line.
func (s *Splitter) rejectToLineEnd(lineNo, off int64, bad int, reason string) {
	stop := s.pos + bad
	if nl := bytes.IndexByte(s.buf[stop:s.end], '\n'); nl >= 0 {
		stop += nl + 1
	} else {
		stop = s.end
	}
	s.pending = append(s.pending, rows.Raw{Data: bytes.TrimRight(bytes.Clone(s.buf[s.pos:stop]), "\r\n"),
		Line: lineNo, Offset: off, Reject: reason})
	s.advance(stop - s.pos)
}

// skipLongValue rejects a value longer than the buffer and skips to its end.
func (s *Splitter) skipLongValue(lineNo, off int64) {
	prefix := bytes.Clone(s.buf[s.pos:min(s.end, s.pos+rejectPrefix)])
	s.sc.reset()
	size := int64(0)
	for {
		n, done, err := s.sc.feed(s.buf[s.pos:s.end])
		size += int64(n)
		s.advance(n)
		if done || err != nil {
			break
		}
		if !s.fill() {
			break
		}
	}
	s.pending = append(s.pending, rows.Raw{Data: prefix, Line: lineNo, Offset: off, Size: size,
		Reject: fmt.Sprintf("record larger than %d bytes (%d bytes)", s.max, size)})
}

// emit queues the record text, expanding arrays and search responses into
// their documents. text is copied.
func (s *Splitter) emit(text []byte, lineNo, off int64) {
	switch text[0] {
	case '[':
		els, err := arrayElements(text, 0)
		if err != nil {
			s.pending = append(s.pending, rows.Raw{Data: bytes.Clone(text), Line: lineNo, Offset: off, Reject: "invalid JSON: " + err.Error()})
			return
		}
		s.emitSpans(text, els, lineNo, off)
		return
	case '{':
		if bytes.Contains(text, []byte(`"hits"`)) {
			if hits, ok := searchHits(text); ok {
				s.emitSpans(text, hits, lineNo, off)
				return
			}
		}
	}
	s.pending = append(s.pending, rows.Raw{Data: bytes.Clone(text), Line: lineNo, Offset: off})
}

func (s *Splitter) emitSpans(text []byte, spans []span, lineNo, off int64) {
	prev := 0
	for _, sp := range spans {
		lineNo += int64(bytes.Count(text[prev:sp.start], []byte{'\n'}))
		prev = sp.start
		s.emit(text[sp.start:sp.end], lineNo, off+int64(sp.start))
	}
}
