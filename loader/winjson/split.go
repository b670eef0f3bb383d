package winjson

import (
	"bufio"
	"io"

	"huntsql/loader/ecs"
	"huntsql/loader/format"
)

// newEVTXSplitter cuts evtx_dump records: the ECS JSON splitter (pretty
// documents, one per line, arrays) reading through recordHeaders, which turns
// the "Record N" lines of `evtx_dump -o json` into blanks of the same length,
// so every record keeps its exact bytes, line and offset.
func newEVTXSplitter(r *bufio.Reader, opts format.Options) format.Splitter {
	return ecs.NewSplitter(&recordHeaders{r: r, bol: true}, opts.MaxRecord)
}

// recordHeaders reads r with each line that format.IsRecordHeader accepts
// replaced by spaces (its line ending kept).
type recordHeaders struct {
	r    *bufio.Reader
	bol  bool   // the next byte starts a line
	rest []byte // what is left of the current piece
	buf  []byte
	err  error
}

func (h *recordHeaders) Read(p []byte) (int, error) {
	for len(h.rest) == 0 {
		if h.err != nil {
			return 0, h.err
		}
		// ReadSlice returns at most a buffer's worth: a long line comes in
		// pieces, and only a piece that starts a line can be a header. A
		// header line is far shorter than the buffer, so it is never split.
		piece, err := h.r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			err = nil
		}
		h.err = err
		h.buf = append(h.buf[:0], piece...)
		if h.bol && len(piece) > 0 {
			line := h.buf
			if line[len(line)-1] == '\n' {
				line = line[:len(line)-1]
			}
			if format.IsRecordHeader(line) {
				for i := range line {
					if line[i] != '\r' {
						line[i] = ' '
					}
				}
			}
		}
		if len(piece) > 0 {
			h.bol = piece[len(piece)-1] == '\n'
		}
		h.rest = h.buf
	}
	n := copy(p, h.rest)
	h.rest = h.rest[n:]
	return n, nil
}

var _ io.Reader = (*recordHeaders)(nil)
