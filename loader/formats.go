package loader

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"huntsql/loader/auditd"
	"huntsql/loader/ecs"
	"huntsql/loader/evtx"
	"huntsql/loader/format"
	"huntsql/loader/winjson"
	"huntsql/loader/wintext"
	"huntsql/loader/winxml"
)

// Formats is the registry of input formats the loader knows, in the order
// that breaks ties between equally confident sniffs: the more specific first.
var Formats = []*format.Format{
	evtx.Format,
	winjson.EVTXJSON,
	winjson.WinlogbeatJSON,
	winjson.FlatJSON,
	wintext.Format,
	auditd.Format,
	winxml.Format,
	ecs.Format,
}

// sniffSize is how much of an input the formats see when sniffing.
const sniffSize = 64 << 10

// FormatNames lists the registered formats, for messages and docs.
func FormatNames() []string {
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = f.Name
	}
	return names
}

// FormatByName returns the registered format called name, or nil.
func FormatByName(name string) *format.Format {
	for _, f := range Formats {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// detect names the format of a decompressed input and returns the reader the
// format's splitter reads: the raw bytes for binary formats, UTF-8 text
// (UTF-16 transcoded) for the others.
func detect(r io.Reader) (*format.Format, *bufio.Reader, error) {
	raw := bufio.NewReaderSize(r, sniffSize)
	head, _ := raw.Peek(sniffSize)
	if len(head) == 0 {
		return nil, nil, errors.New("empty input")
	}
	if f := best(head, true); f != nil {
		return f, raw, nil
	}
	// UTF-16 (Windows tools write it, JSON or XML) becomes UTF-8 before anything
	// looks at the text.
	br := bufio.NewReaderSize(utf8Text(raw), 256<<10)
	head, _ = br.Peek(sniffSize)
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(head)) == 0 {
		return nil, nil, errors.New("empty input (only whitespace)")
	}
	if f := best(head, false); f != nil {
		return f, br, nil
	}
	first := bytes.TrimLeft(head, " \t\r\n")
	first = first[:min(len(first), 24)]
	if nl := bytes.IndexAny(first, "\r\n"); nl >= 0 {
		first = first[:nl]
	}
	return nil, nil, fmt.Errorf("unrecognized format (starts with %q): not one of %s (`huntsql load --help` describes them)", printable(first), strings.Join(FormatNames(), ", "))
}

// best returns the most confident format for head among the binary or the
// text formats, or nil when none claims it.
func best(head []byte, binary bool) *format.Format {
	var pick *format.Format
	var conf format.Confidence
	for _, f := range Formats {
		if f.Binary != binary {
			continue
		}
		if c := f.Sniff(head); c > conf {
			pick, conf = f, c
		}
	}
	return pick
}

func printable(b []byte) string {
	out := make([]rune, 0, len(b))
	for _, c := range b {
		if c < 0x20 || c >= 0x7f {
			out = append(out, '.')
		} else {
			out = append(out, rune(c))
		}
	}
	return string(out)
}
