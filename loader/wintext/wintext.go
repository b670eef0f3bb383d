// Package wintext reads Splunk's classic WinEventLog text — the non-XML form
// in which Splunk stores Windows events — into archive rows, alone or mixed
// with XmlWinEventLog lines in one file. A classic record is a timestamp line
// without a zone, Key=value header lines (LogName=, EventCode=,
// ComputerName=, SourceName=, RecordNumber=, …) and Message= followed by the
// rendered message:
//
//	01/15/2024 10:22:33 AM
//	LogName=Security
//	EventCode=4688
//	ComputerName=WS1.corp.example
//	SourceName=Microsoft Windows security auditing.
//	…
//	Message=A new process has been created.
//
//	Creator Subject:
//		Security ID:		S-1-5-21-…
//	…
//
// The header fills the System fields of a winevent.Event and the message's
// labelled values fill its EventData under the names the event's XML uses
// (message.go), so that the shared Windows mapping (package winevent) gives a
// classic record the same columns as its XML twin. The timestamp line is read
// in the load's --timezone (format.Options.Location, UTC by default).
package wintext

import (
	"bufio"
	"bytes"
	"strconv"
	"time"

	"huntsql/loader/format"
	"huntsql/loader/rows"
	"huntsql/loader/winevent"
	"huntsql/loader/winxml"
)

// Name is the format's name in the manifest and the load summary.
const Name = "splunk-wineventlog"

// Format is Splunk classic WinEventLog text, for the loader's registry.
var Format = &format.Format{
	Name:      Name,
	LocalTime: true,
	Doc:       "Splunk classic WinEventLog text (timestamp line, LogName=, EventCode=, …, Message=), also mixed with XmlWinEventLog lines; timestamps without zone read in --timezone (default UTC)",
	Sniff:     Sniff,
	NewSplitter: func(r *bufio.Reader, opts format.Options) format.Splitter {
		return NewSplitter(r, opts.MaxRecord)
	},
	NewNormalizer: func(opts format.Options) format.Normalizer {
		return format.Single(NewNormalizer(opts.Location()).Normalize)
	},
}

// Sniff is Certain when the input's first line is a timestamp line followed
// by a header line, and Likely when XML event lines come first and a classic
// record follows within the head (Splunk's mixed XmlWinEventLog and classic
// exports; the windows-xml format loads those too, see init).
func Sniff(head []byte) format.Confidence {
	head = bytes.TrimPrefix(head, bom)
	head = bytes.TrimLeft(head, " \t\r\n")
	first, rest, _ := bytes.Cut(head, []byte("\n"))
	second, _, _ := bytes.Cut(rest, []byte("\n"))
	if _, ok := parseStamp(trimEOL(first)); ok {
		if _, ok := headerKey(trimEOL(second)); ok {
			return format.Certain
		}
		return format.No
	}
	if !isEventStart(first) {
		return format.No
	}
	// Look for a classic record after the XML lines (not at the very end of
	// the head, where the record may be cut).
	for prev := []byte(nil); len(rest) > 0; {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		if prev != nil && len(rest) > 0 {
			if _, ok := headerKey(trimEOL(line)); ok {
				if _, ok := parseStamp(trimEOL(prev)); ok {
					return format.Likely
				}
			}
		}
		prev = line
	}
	return format.No
}

func init() {
	// Mixed files that start with XmlWinEventLog lines are the windows-xml
	// format's: it hands the classic records it finds between events back here.
	winxml.Interleave(winxml.Interleaved{
		Len: classicLen,
		NewNormalizer: func(opts format.Options) format.Single {
			return NewNormalizer(opts.Location()).Normalize
		},
	})
}

// Normalizer maps classic records to archive rows through the shared Windows
// mapping, and the XmlWinEventLog events of a mixed file through package
// winxml. Not safe for concurrent use.
type Normalizer struct {
	loc *time.Location
	ev  winevent.Event
	m   *winevent.Mapper
	xml *winxml.Normalizer
	buf []entry
}

// NewNormalizer returns a Normalizer that reads timestamp lines in loc (nil: UTC).
func NewNormalizer(loc *time.Location) *Normalizer {
	if loc == nil {
		loc = time.UTC
	}
	return &Normalizer{loc: loc, m: winevent.NewMapper()}
}

// Normalize appends the row for one record, or returns why it is rejected.
func (n *Normalizer) Normalize(raw *rows.Raw, src *rows.Source, b *rows.Batch) string {
	if isEventStart(raw.Data) {
		if n.xml == nil {
			n.xml = winxml.NewNormalizer()
		}
		return n.xml.Normalize(raw, src, b)
	}
	original := raw.Text()
	if i := rows.InvalidUTF8At(raw.Data); i >= 0 {
		return "classic WinEventLog record is not valid UTF-8 at byte " + strconv.Itoa(i) + " (convert the file to UTF-8 or UTF-16)"
	}
	var err error
	if n.buf, err = parse(original, n.loc, &n.ev, n.buf); err != nil {
		return err.Error()
	}
	return n.m.Append(&n.ev, winevent.Route{Original: original, Line: raw.Line, Offset: raw.Offset}, src, b)
}
