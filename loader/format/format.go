// Package format is the contract between the loader and the decoders of each
// input format: a Format names itself, says by content how sure it is that an
// input is its kind, cuts records (Splitter) and maps them to archive rows
// (Normalizer). The loader iterates the registry (loader.Formats) and knows
// nothing else of any format.
package format

import (
	"bufio"
	"time"

	"huntsql/loader/rows"
)

// Confidence is how sure a sniff is, from 0 (not this format) to 100.
type Confidence int

// Usual confidences: a format with a magic number or an unmistakable shape is
// Certain; one that recognizes the structure of the first record is Likely; a
// catch-all (any JSON is worth trying as ECS) is Fallback.
const (
	No       Confidence = 0
	Fallback Confidence = 10
	Likely   Confidence = 60
	Certain  Confidence = 100
)

// Options are the load's settings that decoders use.
type Options struct {
	MaxRecord int            // largest record kept; 0: the decoder's default
	TimeZone  *time.Location // for timestamps without a zone (classic text); nil: UTC
}

// Location returns the time zone for zone-less timestamps.
func (o Options) Location() *time.Location {
	if o.TimeZone == nil {
		return time.UTC
	}
	return o.TimeZone
}

// Format is one input format.
type Format struct {
	Name string // as recorded in the manifest and shown to users, e.g. "windows-xml"
	Doc  string // one line for `huntsql load --help` and docs

	// LocalTime formats write timestamps without a zone: they are read in
	// Options.TimeZone, and the load says so.
	LocalTime bool
	// Binary formats are sniffed on the raw (decompressed) bytes, before any
	// text decoding; text formats see UTF-8 (UTF-16 transcoded, BOM removed).
	Binary bool
	// Rows, when set, estimates how many rows a raw record of a Binary
	// format holds (an EVTX chunk: the record count in its header), so that
	// batches are sized right; without it the loader guesses one row per 512
	// bytes.
	Rows func(data []byte) int
	// Sniff looks at up to the first 64 KiB of the input.
	Sniff func(head []byte) Confidence
	// NewSplitter cuts records from the input.
	NewSplitter func(r *bufio.Reader, opts Options) Splitter
	// NewNormalizer returns a Normalizer for one worker goroutine.
	NewNormalizer func(opts Options) Normalizer
}

// Splitter cuts records out of one input, in input order.
type Splitter interface {
	// Next returns the next record (or a record the splitter itself rejects,
	// with Raw.Reject set), or io.EOF.
	Next() (rows.Raw, error)
	// ReadErr is why the input ended early (I/O error, truncated structure), or nil.
	ReadErr() error
}

// Reject is a record that cannot be archived.
type Reject struct {
	Line   int64  // 1-based line of the record, 0 when the input has no lines
	Offset int64  // byte offset in the decompressed input
	Where  string // more location for binary inputs ("chunk 3, record 1234"); may be empty
	Reason string
	Data   []byte // the record's bytes, verbatim (a prefix when Size > len(Data))
	Size   int64
}

// Normalizer maps raw records to archive rows. One raw record usually gives
// one row; a container record (an EVTX chunk) may give many, and any part of
// it that cannot be mapped is reported through reject. Every record counted
// is either a row appended to b or a reject.
type Normalizer interface {
	Normalize(raw *rows.Raw, src *rows.Source, b *rows.Batch, reject func(Reject))
}

// Single adapts a one-record-one-row normalizer (which returns a reject
// reason, or "" once it has appended the row).
type Single func(raw *rows.Raw, src *rows.Source, b *rows.Batch) string

// Normalize implements Normalizer.
func (f Single) Normalize(raw *rows.Raw, src *rows.Source, b *rows.Batch, reject func(Reject)) {
	if raw.Reject != "" {
		reject(RejectOf(raw, raw.Reject))
		return
	}
	if reason := f(raw, src, b); reason != "" {
		reject(RejectOf(raw, reason))
	}
}

// RejectOf is the reject of a whole raw record.
func RejectOf(raw *rows.Raw, reason string) Reject {
	return Reject{Line: raw.Line, Offset: raw.Offset, Reason: reason, Data: raw.Data, Size: raw.Size}
}
