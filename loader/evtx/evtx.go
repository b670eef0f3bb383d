// Package evtx reads Windows event log files (.evtx) natively: the file
// header, its 64 KiB chunks, their records and the binary XML inside them
// (templates, substitutions, every value type Windows writes), into the shared
// Windows event model (package winevent) with no XML re-parse, and renders
// each record to the same <Event> text `wevtutil qe /f:xml` prints, which
// becomes event.original.
//
// Chunks are independent, so the Splitter hands out one chunk per rows.Raw
// and the loader's workers normalize chunks in parallel. Damaged files are the
// normal case in forensics: the reader goes on past dirty headers, bad
// checksums, bad chunk magics, zeroed and truncated chunks and broken records,
// recovers every record it can and reports each part it cannot as a
// format.Reject naming the chunk, the record and the reason (docs/evtx.md).
package evtx

import (
	"bufio"
	"bytes"
	"encoding/binary"

	"huntsql/loader/format"
)

// Format is the .evtx input format for the loader's registry.
var Format = &format.Format{
	Name:   "evtx",
	Doc:    "Windows event log files (.evtx), damaged ones included; records rendered as wevtutil XML",
	Binary: true,
	Sniff:  Sniff,
	Rows:   chunkRows,
	NewSplitter: func(r *bufio.Reader, _ format.Options) format.Splitter {
		return NewSplitter(r)
	},
	NewNormalizer: func(_ format.Options) format.Normalizer { return NewNormalizer() },
}

// Layout constants of the EVTX format (libevtx's documentation of it).
const (
	fileHeaderSize  = 4096
	chunkSize       = 64 << 10
	chunkHeaderSize = 512
	recordHeader    = 24 // magic, size, record id, written time
	minRecordSize   = recordHeader + 4
)

var (
	fileMagic   = []byte("ElfFile\x00")
	chunkMagic  = []byte("ElfChnk\x00")
	recordMagic = []byte("**\x00\x00")
)

// Sniff recognizes an EVTX file by its header magic, and a chunk carved out
// of one (no file header) by the chunk magic.
func Sniff(head []byte) format.Confidence {
	switch {
	case bytes.HasPrefix(head, fileMagic):
		return format.Certain
	case bytes.HasPrefix(head, chunkMagic):
		return format.Likely
	}
	return format.No
}

var le = binary.LittleEndian

// ChunkIndex returns the number of the chunk that starts at offset off in its
// file: chunks follow the 4 KiB file header, or start at 0 in a file of
// carved chunks.
func ChunkIndex(off int64) int64 {
	if off >= fileHeaderSize && (off-fileHeaderSize)%chunkSize == 0 {
		return (off - fileHeaderSize) / chunkSize
	}
	return off / chunkSize
}

// chunkRows estimates the records of a chunk from its header (first and last
// record numbers), a few more for dirty chunks, whose header lags behind. A
// header that makes no sense gives one record per 512 bytes.
func chunkRows(d []byte) int {
	guess := len(d) / 512
	if len(d) < chunkHeaderSize || !bytes.HasPrefix(d, chunkMagic) {
		return guess
	}
	first, last := le.Uint64(d[8:]), le.Uint64(d[16:])
	if last < first || last-first >= uint64(len(d)/minRecordSize) {
		return guess
	}
	return int(last-first) + 1 + 8
}
