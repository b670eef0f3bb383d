package evtx

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"huntsql/loader/rows"
)

// Splitter cuts an EVTX file into its chunks: one rows.Raw per 64 KiB chunk,
// at the chunk's file offset. It reads the file header but trusts it for
// nothing: dirty files have more chunks than the header counts, so it reads
// on to the end of the file, skipping all-zero chunks. A truncated last chunk
// is still handed out (the normalizer recovers its complete records).
type Splitter struct {
	r      *bufio.Reader
	off    int64 // file offset of the next chunk
	index  int64 // number of the next chunk
	begun  bool
	done   bool
	err    error
	notes  []string
	header fileHeader
}

// NewSplitter reads an EVTX file (or a file of carved chunks) from r.
func NewSplitter(r *bufio.Reader) *Splitter { return &Splitter{r: r} }

// fileHeader is what the file header claims; see Notes.
type fileHeader struct {
	present          bool
	firstChunk       uint64
	lastChunk        uint64
	nextRecord       uint64
	major, minor     uint16
	chunks           uint16
	flags            uint32
	checksum, actual uint32
}

// Header flags.
const (
	flagDirty = 1
	flagFull  = 2
)

// ReadErr is why the file ended early (a read error, a truncated header or
// chunk), or nil.
func (s *Splitter) ReadErr() error { return s.err }

// Notes lists what is wrong with the file that did not stop reading it: an
// out-of-date (dirty) header, a bad header checksum, unknown flags or
// version, all-zero chunks skipped, more chunks than the header counts.
func (s *Splitter) Notes() []string { return s.notes }

func (s *Splitter) note(format string, args ...any) {
	s.notes = append(s.notes, fmt.Sprintf(format, args...))
}

// Next returns the next chunk, or io.EOF.
func (s *Splitter) Next() (rows.Raw, error) {
	if !s.begun {
		s.begun = true
		if err := s.readHeader(); err != nil {
			s.err, s.done = err, true
		}
	}
	for !s.done {
		buf := make([]byte, chunkSize)
		n, err := io.ReadFull(s.r, buf)
		off, index := s.off, s.index
		s.off += int64(n)
		s.index++
		switch {
		case err == io.EOF:
			s.done = true
			s.finish(index)
			return rows.Raw{}, io.EOF
		case errors.Is(err, io.ErrUnexpectedEOF):
			s.done = true
			s.err = fmt.Errorf("file ends %d bytes into chunk %d (offset %d): a truncated file; its complete records are kept", n, index, off)
			s.finish(index + 1)
		case err != nil:
			s.done = true
			s.err = fmt.Errorf("reading chunk %d at offset %d: %w", index, off, err)
			return rows.Raw{}, io.EOF
		}
		buf = buf[:n]
		// A chunk that starts with its magic is not all zeroes (most are:
		// comparing 64 KiB with zeroes was a tenth of reading the file).
		isChunk := bytes.HasPrefix(buf, chunkMagic)
		if !isChunk && isZero(buf) {
			s.note("chunk %d at offset %d is all zeroes: skipped", index, off)
			continue
		}
		// Space past the chunks the header counts, with no chunk and no record
		// in it, is the file's unused preallocation, not damage: nothing to
		// recover, nothing to report as a rejected record.
		if s.header.present && index >= int64(s.header.chunks) && !isChunk && !bytes.Contains(buf, recordMagic) {
			s.note("chunk slot %d at offset %d, past the %d chunks the header counts, holds no chunk and no record: skipped", index, off, s.header.chunks)
			continue
		}
		return rows.Raw{Data: buf, Offset: off}, nil
	}
	return rows.Raw{}, io.EOF
}

var zeroChunk = make([]byte, chunkSize)

func isZero(b []byte) bool { return bytes.Equal(b, zeroChunk[:len(b)]) }

// readHeader reads and checks the 4 KiB file header; a file of carved chunks
// has none.
func (s *Splitter) readHeader() error {
	head, _ := s.r.Peek(fileHeaderSize)
	if bytes.HasPrefix(head, chunkMagic) {
		s.note("no file header: a file of carved chunks")
		return nil
	}
	if len(head) < fileHeaderSize {
		if len(head) < 128 {
			return fmt.Errorf("file ends inside its header (%d bytes, an EVTX header has 4096)", len(head))
		}
		s.note("file ends inside its 4096-byte header (%d bytes)", len(head))
	}
	h := &s.header
	h.present = true
	if !bytes.HasPrefix(head, fileMagic) {
		s.note("bad file header magic %q: reading the chunks anyway", head[:8])
	}
	h.firstChunk = le.Uint64(head[8:])
	h.lastChunk = le.Uint64(head[16:])
	h.nextRecord = le.Uint64(head[24:])
	h.minor, h.major = le.Uint16(head[36:]), le.Uint16(head[38:])
	h.chunks = le.Uint16(head[42:])
	h.flags = le.Uint32(head[120:])
	h.checksum = le.Uint32(head[124:])
	h.actual = crc32.ChecksumIEEE(head[:120])
	if h.checksum != h.actual {
		s.note("file header checksum 0x%08x, computed 0x%08x: header ignored where it matters", h.checksum, h.actual)
	}
	if h.flags&flagDirty != 0 {
		s.note("file was not closed cleanly (dirty flag): the header may be out of date")
	}
	if h.flags&^(flagDirty|flagFull) != 0 {
		s.note("unknown file header flags 0x%x", h.flags)
	}
	if h.major != 3 {
		s.note("unexpected format version %d.%d (3.1 or 3.2 expected)", h.major, h.minor)
	}
	n, _ := s.r.Discard(fileHeaderSize)
	s.off = int64(n)
	return nil
}

// finish notes a disagreement between the header's chunk count and the
// chunks read (n is the number of chunk slots read).
func (s *Splitter) finish(n int64) {
	if s.header.present && int64(s.header.chunks) != n && s.header.chunks != 0 {
		s.note("header counts %d chunks, the file holds %d", s.header.chunks, n)
	}
}
