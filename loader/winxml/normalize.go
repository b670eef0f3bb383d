package winxml

import (
	"huntsql/loader/format"
	"huntsql/loader/rows"
	"huntsql/loader/winevent"
)

// Normalizer maps <Event> elements to archive rows through the shared Windows
// mapping (package winevent). Not safe for concurrent use.
type Normalizer struct {
	p  parser
	ev winevent.Event
	m  *winevent.Mapper

	// Options are the load's options, for the records of an interleaved text
	// format (see Interleave).
	Options format.Options
	text    format.Single
}

// NewNormalizer returns a Normalizer.
func NewNormalizer() *Normalizer { return &Normalizer{m: winevent.NewMapper()} }

// Parse reads one <Event> element into ev; strings in ev may share s.
func (n *Normalizer) Parse(s string, ev *winevent.Event) error { return parseEvent(s, &n.p, ev) }

// Normalize appends the row for one <Event> element, or returns why it is rejected.
func (n *Normalizer) Normalize(raw *rows.Raw, src *rows.Source, b *rows.Batch) string {
	if len(raw.Data) > 0 && raw.Data[0] != '<' && interleaved != nil {
		// The splitter cuts events from their '<': this is an interleaved text record.
		if n.text == nil {
			n.text = interleaved.NewNormalizer(n.Options)
		}
		return n.text(raw, src, b)
	}
	original := raw.Text()
	if err := parseEvent(original, &n.p, &n.ev); err != nil {
		return "invalid event XML: " + err.Error()
	}
	return n.m.Append(&n.ev, winevent.Route{Original: original, Line: raw.Line, Offset: raw.Offset}, src, b)
}
