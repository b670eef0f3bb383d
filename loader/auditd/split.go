package auditd

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"huntsql/loader/rows"
)

// Limits of the splitter's look-ahead: how far the lines of one event may be
// spread among the lines of others. auditd writes an event's records
// together, interleaved at most with a few other events being logged at the
// same moment, so these bounds are generous; an event still open past them
// is cut where it stands (its later lines then form an event of their own).
const (
	// DefaultMaxRecord is the largest event accepted; larger ones are
	// rejected, keeping only a prefix.
	DefaultMaxRecord = 1 << 20
	// LookAhead is how many lines an event stays open after its last line
	// when no EOE record closes it.
	LookAhead = 1000
	// MaxOpen is how many events may be open at once.
	MaxOpen = 256
)

// rejectPrefix is how much of a rejected record the rejects keep.
const rejectPrefix = 64 << 10

// Splitter groups the lines of an audit log into events: the records that
// share a msg=audit(time:serial) stamp (and node= prefix), in input order,
// joined with "\n". Lines of different events may interleave; an event is
// complete at its EOE record, when it is a single-record event (user-space
// messages such as USER_LOGIN), or once LookAhead lines have passed since its
// last line. Events are returned in the order of their first line, so memory
// holds at most MaxOpen events of at most MaxRecord bytes.
type Splitter struct {
	r      *bufio.Reader
	max    int
	lineNo int64 // lines read
	off    int64 // bytes read
	err    error // why the input ended early
	eof    bool

	queue []*event          // open and complete events, by first line
	held  int               // bytes of the queued events
	open  map[string]*event // open events by stamp
}

// event is one event being gathered (or a line rejected on its own).
type event struct {
	key    string
	raw    rows.Raw
	done   bool
	last   int64 // line number of the event's last line
	over   bool  // past the size limit: only counting
	single bool
}

// NewSplitter reads events from r. maxRecord <= 0 means DefaultMaxRecord.
func NewSplitter(r io.Reader, maxRecord int) *Splitter {
	if maxRecord <= 0 {
		maxRecord = DefaultMaxRecord
	}
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	return &Splitter{r: br, max: maxRecord, open: map[string]*event{}}
}

// ReadErr is the error that ended the input early, if any.
func (s *Splitter) ReadErr() error { return s.err }

// Next returns the next event or reject, or io.EOF.
func (s *Splitter) Next() (rows.Raw, error) {
	for {
		if len(s.queue) > 0 && (s.queue[0].done || s.eof) {
			ev := s.queue[0]
			s.queue[0] = nil
			s.held -= len(ev.raw.Data)
			s.queue = s.queue[1:]
			if s.open[ev.key] == ev {
				delete(s.open, ev.key)
			}
			return ev.raw, nil
		}
		if s.eof {
			return rows.Raw{}, io.EOF
		}
		s.readLine()
	}
}

// readLine reads one line and files it under its event.
func (s *Splitter) readLine() {
	lineNo, off := s.lineNo+1, s.off
	line, size, err := s.line()
	if err != nil {
		s.eof = true
		if !errors.Is(err, io.EOF) {
			s.err = err
		}
		if size == 0 {
			return
		}
	}
	s.lineNo++
	s.off += size
	s.expire()
	text := bytes.TrimRight(line, "\r\n")
	if len(bytes.TrimSpace(text)) == 0 || isSeparator(text) {
		return
	}
	if int64(len(line)) < size {
		s.hold(&event{done: true, raw: rows.Raw{Data: bytes.Clone(line[:min(len(line), rejectPrefix)]), Line: lineNo, Offset: off, Size: size,
			Reject: fmt.Sprintf("auditd line larger than %d bytes (%d bytes)", s.max, size)}})
		return
	}
	h, ok := parseHeader(text)
	if !ok {
		s.hold(&event{done: true, raw: rows.Raw{Data: bytes.Clone(text), Line: lineNo, Offset: off,
			Reject: `auditd line is not [node=NAME ]type=TYPE msg=audit(SECONDS.MILLIS:SERIAL): …`}})
		return
	}
	key := h.node + "\x00" + h.stamp
	ev := s.open[key]
	if ev == nil {
		ev = &event{key: key, raw: rows.Raw{Line: lineNo, Offset: off}}
		s.open[key] = ev
		s.hold(ev)
		if len(s.open) > MaxOpen {
			s.closeOldest()
		}
	}
	ev.last = lineNo
	before, sep := len(ev.raw.Data), 0
	if ev.raw.Line != lineNo {
		sep = 1 // not the event's first line
	}
	switch {
	case ev.over:
		ev.raw.Size += int64(sep + len(text))
	case before+sep+len(text) > s.max:
		ev.over = true
		ev.raw.Size = int64(before + sep + len(text))
		ev.raw.Reject = fmt.Sprintf("auditd event larger than %d bytes", s.max)
		ev.raw.Data = ev.raw.Data[:min(before, rejectPrefix)]
	default:
		if sep == 1 {
			ev.raw.Data = append(ev.raw.Data, '\n')
		}
		ev.raw.Data = append(ev.raw.Data, text...)
	}
	s.held += len(ev.raw.Data) - before
	switch {
	case h.typ == "EOE":
		s.close(ev)
	case len(ev.raw.Data) == len(text) && standalone(h.typ):
		s.close(ev) // a user-space message: an event of one record
	}
}

// line reads one line, keeping at most max bytes of it; size is its length
// in the input. The line is only valid until the next read.
func (s *Splitter) line() (line []byte, size int64, err error) {
	chunk, err := s.r.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		return chunk[:min(len(chunk), s.max)], int64(len(chunk)), err
	}
	line = append(line, chunk[:min(len(chunk), s.max)]...)
	size = int64(len(chunk))
	for errors.Is(err, bufio.ErrBufferFull) {
		chunk, err = s.r.ReadSlice('\n')
		size += int64(len(chunk))
		if len(line) < s.max {
			line = append(line, chunk[:min(len(chunk), s.max-len(line))]...)
		}
	}
	return line, size, err
}

// close marks an event complete.
func (s *Splitter) close(ev *event) {
	ev.done = true
	if s.open[ev.key] == ev {
		delete(s.open, ev.key)
	}
}

// expire closes the first event while it blocks the queue: when LookAhead
// lines have passed since its last line, or when more than maxQueued events
// or maxHeld bytes wait behind it. Other open events are looked at when they
// come first.
func (s *Splitter) expire() {
	if len(s.queue) == 0 {
		return
	}
	if ev := s.queue[0]; !ev.done && (s.lineNo-ev.last > LookAhead || len(s.queue) > maxQueued || s.held > maxHeld) {
		s.close(ev)
	}
}

// maxQueued and maxHeld bound the events (mostly complete ones) waiting
// behind an open one, in number and in bytes.
const (
	maxQueued = 4 * LookAhead
	maxHeld   = 32 << 20
)

// hold queues an event.
func (s *Splitter) hold(ev *event) {
	s.queue = append(s.queue, ev)
	s.held += len(ev.raw.Data)
}

// closeOldest closes the open event that started first.
func (s *Splitter) closeOldest() {
	for _, ev := range s.queue {
		if !ev.done {
			s.close(ev)
			return
		}
	}
}

// isSeparator reports whether a line is one of the lines ausearch writes
// between the events it prints ("----" and "time->Sat Mar  1 12:00:00 2026"):
// not data.
func isSeparator(line []byte) bool {
	return string(line) == "----" || bytes.HasPrefix(line, []byte("time->"))
}
