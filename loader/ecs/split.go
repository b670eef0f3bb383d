package ecs

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"huntsql/loader/rows"
	"huntsql/loader/stream"
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
	stream.Window
	max int

	started   bool
	lineMode  bool
	inArray   bool // inside a top-level array (value mode)
	pending   []rows.Raw
	sc        scanner
	truncated bool
	slab      []byte // where kept records are copied (see keep)
}

// DefaultMaxRecord is the largest record (a line, a document, or a whole search
// response) kept in memory.
const DefaultMaxRecord = 64 << 20

// NewSplitter reads records from r. maxRecord <= 0 means DefaultMaxRecord.
func NewSplitter(r io.Reader, maxRecord int) *Splitter {
	if maxRecord <= 0 {
		maxRecord = DefaultMaxRecord
	}
	return &Splitter{Window: stream.NewWindow(r, 1<<20, maxRecord), max: maxRecord}
}

// ReadErr is the error that ended the underlying stream early, if any (for
// example a truncated gzip member); Next returns io.EOF after it.
func (s *Splitter) ReadErr() error { return s.Err }

// skipSpace consumes whitespace (and a UTF-8 byte order mark at the start) and
// reports whether any input is left.
func (s *Splitter) skipSpace() bool {
	for {
		for s.Pos < s.End {
			c := s.Buf[s.Pos]
			if c == '\n' {
				s.Line++
			} else if !isSpace(c) {
				return true
			}
			s.Pos++
		}
		if !s.Fill() {
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
	for s.End-s.Pos < 3 && s.Fill() {
	}
	if bytes.HasPrefix(s.Buf[s.Pos:s.End], []byte("\xef\xbb\xbf")) {
		s.Pos += 3
	}
	if !s.skipSpace() || s.Buf[s.Pos] != '{' {
		return
	}
	for s.End-s.Pos < sniffWindow && s.Fill() {
	}
	s.lineMode = looksLikeNDJSON(s.Buf[s.Pos:s.End])
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
		nl := bytes.IndexByte(s.Buf[s.Pos:s.End], '\n')
		if nl < 0 && !s.EOF && s.Fill() {
			continue
		}
		if s.Pos == s.End {
			return false
		}
		lineNo, off := s.Line, s.Offset()
		if nl < 0 && !s.EOF {
			s.skipLongLine(lineNo, off)
			return true
		}
		n := s.End - s.Pos // last line without a newline
		if nl >= 0 {
			n = nl
		}
		text := s.Buf[s.Pos : s.Pos+n]
		lead := skipSpace(text, 0)
		text = bytes.TrimRight(text[lead:], " \t\r")
		if len(text) > 0 {
			s.emit(text, lineNo, off+int64(lead))
		}
		s.Pos += n
		if nl >= 0 {
			s.Pos++
			s.Line++
		}
		return true
	}
}

// skipLongLine rejects a line longer than the buffer, keeping a prefix.
func (s *Splitter) skipLongLine(lineNo, off int64) {
	prefix := bytes.Clone(s.Buf[s.Pos:min(s.End, s.Pos+rejectPrefix)])
	size := int64(0)
	for {
		nl := bytes.IndexByte(s.Buf[s.Pos:s.End], '\n')
		if nl >= 0 {
			size += int64(nl)
			s.Pos += nl + 1
			s.Line++
			break
		}
		size += int64(s.End - s.Pos)
		s.Pos = s.End
		if !s.Fill() {
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
			s.pending = append(s.pending, rows.Raw{Line: s.Line, Offset: s.Offset(), Reject: "unexpected end of input: array not closed"})
			s.inArray = false
		}
		return false
	}
	c := s.Buf[s.Pos]
	switch {
	case s.inArray && c == ']':
		s.Advance(1)
		s.inArray = false
		return true
	case s.inArray && c == ',':
		s.Advance(1)
		return true
	case !s.inArray && c == '[':
		s.Advance(1)
		s.inArray = true
		return true
	}
	lineNo, off := s.Line, s.Offset()
	s.sc.reset()
	scanned := 0 // bytes of the value already scanned, from s.Pos
	for {
		n, done, err := s.sc.feed(s.Buf[s.Pos+scanned : s.End])
		scanned += n
		if err != nil {
			s.rejectToLineEnd(lineNo, off, scanned, structureError(err))
			return true
		}
		if done {
			s.emit(s.Buf[s.Pos:s.Pos+scanned], lineNo, off)
			s.Advance(scanned)
			return true
		}
		if !s.Fill() {
			if s.End-s.Pos >= s.max {
				s.skipLongValue(lineNo, off)
				return true
			}
			if ok, _ := s.sc.atEOF(); ok {
				s.emit(s.Buf[s.Pos:s.End], lineNo, off)
				s.Advance(s.End - s.Pos)
				return true
			}
			s.pending = append(s.pending, rows.Raw{Data: bytes.Clone(s.Buf[s.Pos:s.End]), Line: lineNo, Offset: off,
				Reject: "invalid JSON: " + errTruncated.Error()})
			s.Advance(s.End - s.Pos)
			return true
		}
	}
}

// rejectToLineEnd rejects a malformed value from its start to the end of the
// line holding the error, and resumes after that line.
func (s *Splitter) rejectToLineEnd(lineNo, off int64, bad int, reason string) {
	stop := s.Pos + bad
	if nl := bytes.IndexByte(s.Buf[stop:s.End], '\n'); nl >= 0 {
		stop += nl + 1
	} else {
		stop = s.End
	}
	s.pending = append(s.pending, rows.Raw{Data: bytes.TrimRight(bytes.Clone(s.Buf[s.Pos:stop]), "\r\n"),
		Line: lineNo, Offset: off, Reject: reason})
	s.Advance(stop - s.Pos)
}

// skipLongValue rejects a value longer than the buffer and skips to its end.
func (s *Splitter) skipLongValue(lineNo, off int64) {
	prefix := bytes.Clone(s.Buf[s.Pos:min(s.End, s.Pos+rejectPrefix)])
	s.sc.reset()
	size := int64(0)
	for {
		n, done, err := s.sc.feed(s.Buf[s.Pos:s.End])
		size += int64(n)
		s.Advance(n)
		if done || err != nil {
			break
		}
		if !s.Fill() {
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
			s.pending = append(s.pending, rows.Raw{Data: bytes.Clone(text), Line: lineNo, Offset: off, Reject: structureError(err)})
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
	s.pending = append(s.pending, rows.Raw{Data: s.keep(text), Line: lineNo, Offset: off})
}

// keep copies a record out of the read buffer. Records are small and live
// together until their file is written, so they share slabs: one allocation
// serves a few hundred records.
func (s *Splitter) keep(b []byte) []byte {
	if len(b) > slabSize/4 {
		return bytes.Clone(b)
	}
	if cap(s.slab)-len(s.slab) < len(b) {
		s.slab = make([]byte, 0, slabSize)
	}
	n := len(s.slab)
	s.slab = append(s.slab, b...)
	return s.slab[n:len(s.slab):len(s.slab)]
}

const slabSize = 256 << 10

func (s *Splitter) emitSpans(text []byte, spans []span, lineNo, off int64) {
	prev := 0
	for _, sp := range spans {
		lineNo += int64(bytes.Count(text[prev:sp.start], []byte{'\n'}))
		prev = sp.start
		s.emit(text[sp.start:sp.end], lineNo, off+int64(sp.start))
	}
}

// structureError is the reject reason for a record the splitter cannot cut.
func structureError(err error) string {
	if errors.Is(err, errTooDeep) {
		return err.Error()
	}
	return "invalid JSON: " + err.Error()
}
