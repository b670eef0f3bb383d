// Package stream is the sliding window over a decompressed input that every
// splitter cuts records from: it refills and compacts a buffer that grows up
// to a limit, and keeps the stream offset and line number of its first unread
// byte.
package stream

import (
	"bytes"
	"errors"
	"io"
)

// Window holds Buf[Pos:End], the unread part of the input read so far.
type Window struct {
	R     io.Reader
	Limit int // the buffer never grows past this many bytes

	Buf      []byte
	Pos, End int
	Base     int64 // stream offset of Buf[0]
	Line     int64 // 1-based line of Buf[Pos]
	EOF      bool
	Err      error // why the input ended early (not io.EOF)
}

// NewWindow starts a window of initial capacity size over r.
func NewWindow(r io.Reader, size, limit int) Window {
	return Window{R: r, Limit: limit, Buf: make([]byte, 0, min(size, limit)), Line: 1}
}

// Fill reads more input, compacting the buffer and growing it up to Limit.
// It reports whether bytes were added.
func (w *Window) Fill() bool {
	if w.EOF {
		return false
	}
	if w.Pos > 0 {
		n := copy(w.Buf[:cap(w.Buf)], w.Buf[w.Pos:w.End])
		w.Base += int64(w.Pos)
		w.End, w.Pos = n, 0
		w.Buf = w.Buf[:n]
	}
	if w.End == cap(w.Buf) {
		if cap(w.Buf) >= w.Limit {
			return false
		}
		nb := make([]byte, w.End, min(2*cap(w.Buf), w.Limit))
		copy(nb, w.Buf[:w.End])
		w.Buf = nb
	}
	for {
		n, err := w.R.Read(w.Buf[w.End:cap(w.Buf)])
		w.End += n
		w.Buf = w.Buf[:w.End]
		if err != nil {
			w.EOF = true
			if !errors.Is(err, io.EOF) {
				w.Err = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
}

// Advance consumes n bytes, counting lines.
func (w *Window) Advance(n int) {
	w.Line += int64(bytes.Count(w.Buf[w.Pos:w.Pos+n], []byte{'\n'}))
	w.Pos += n
}

// Offset is the stream offset of the first unread byte.
func (w *Window) Offset() int64 { return w.Base + int64(w.Pos) }
