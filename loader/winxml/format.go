package winxml

import (
	"bufio"
	"bytes"

	"huntsql/loader/format"
	"huntsql/loader/rows"
)

// Format is Windows event XML: `wevtutil qe /f:xml` output, the same wrapped in
// <Events>, Splunk's XmlWinEventLog lines, forwarded events.
var Format = &format.Format{
	Name: "windows-xml",
	Doc:  "Windows event XML (wevtutil, <Events>, one <Event> per line)",
	Sniff: func(head []byte) format.Confidence {
		t := bytes.TrimLeft(head, " \t\r\n")
		if len(t) == 0 || t[0] != '<' {
			return format.No
		}
		if startAt(t) >= 0 {
			return format.Certain
		}
		return format.Likely
	},
	NewSplitter: func(r *bufio.Reader, opts format.Options) format.Splitter {
		return NewSplitter(r, 0)
	},
	NewNormalizer: func(opts format.Options) format.Normalizer {
		n := NewNormalizer()
		n.Options = opts
		return format.Single(func(raw *rows.Raw, src *rows.Source, b *rows.Batch) string { return n.Normalize(raw, src, b) })
	},
}
