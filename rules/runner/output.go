package runner

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"huntsql/internal/archive"
	"huntsql/internal/engine"
	"huntsql/internal/results"
)

// Output formats of detections.
const (
	NDJSON        = "ndjson"
	JSON          = "json"
	CSV           = "csv"
	Table         = "table"
	Vertical      = "vertical"
	Timeline      = "timeline"
	TimelineJSONL = "timeline-jsonl"
	Parquet       = "parquet"
)

// Format is one way of writing detections. This list is the one place that
// defines them: flags, help and writers all come from it.
type Format struct {
	Name string
	Help string
	// FileOnly formats need -o FILE (they are written by DuckDB).
	FileOnly bool
	// Located formats need each detection's Event (see Locate).
	Located bool
	// stream writes one detection as soon as it comes (NewWriter).
	stream func(w io.Writer, d Detection) error
	// write writes the detections of a source: in rule order (src.each) or
	// in time order (src.timeline), reading each once. Parquet has none.
	write func(w io.Writer, src source, o WriteOptions) error
}

// Formats lists the formats, the default ones first.
var Formats = []Format{
	{Name: NDJSON, Help: "one JSON detection record per line", stream: writeNDJSON, write: writeNDJSONAll},
	{Name: JSON, Help: "a JSON array of detection records", write: writeJSONArray},
	{Name: Table, Help: "one line per detection, fitted to the terminal", Located: true, write: writeLines},
	{Name: Vertical, Help: "each detection as a block of field/value lines", write: writeVertical},
	{Name: CSV, Help: "one row per detection, one column per field (the union over the rules)", write: writeCSV},
	{Name: Timeline, Help: "CSV sorted by time, fixed columns first (below); opens in Timeline Explorer", Located: true, write: writeTimelineCSV},
	{Name: TimelineJSONL, Help: "the timeline as JSON lines", Located: true, write: writeTimelineJSONL},
	{Name: Parquet, Help: "the saved-detections schema, for notebooks (needs -o FILE)", FileOnly: true},
}

// source is where writers read detections from: a slice, or a Store that
// keeps them in the engine. Writers read each detection once, in the order
// their format needs, and keep only what that format must (the table, to fit
// its columns).
type source interface {
	// each calls fn for each detection in rule order, rows in order.
	each(fn func(Detection) error) error
	// timeline calls fn for each located detection in time order (see
	// timeline).
	timeline(fn func(Detection) error) error
	// fieldNames is the union of the detections' field names, in the order
	// they first appear.
	fieldNames() []string
	// count is the number of detections of a rule id.
	count(ruleID string) int
}

// slice is a source over detections in memory.
type slice []Detection

func (s slice) each(fn func(Detection) error) error {
	for _, d := range s {
		if err := fn(d); err != nil {
			return err
		}
	}
	return nil
}

func (s slice) timeline(fn func(Detection) error) error { return slice(timeline(s)).each(fn) }

func (s slice) fieldNames() []string {
	var u nameUnion
	for _, d := range s {
		u.add(d.Fields.Names)
	}
	return u.names
}

// A nameUnion collects names, each once, in the order first met.
type nameUnion struct {
	names []string
	seen  map[string]bool
}

func (u *nameUnion) add(names []string) {
	if u.seen == nil {
		u.seen = map[string]bool{}
	}
	for _, n := range names {
		if !u.seen[n] {
			u.seen[n] = true
			u.names = append(u.names, n)
		}
	}
}

func (s slice) count(ruleID string) int {
	n := 0
	for _, d := range s {
		if d.Rule.ID == ruleID {
			n++
		}
	}
	return n
}

// FormatNames lists the format names, for flags and messages.
func FormatNames() []string {
	out := make([]string, len(Formats))
	for i, f := range Formats {
		out[i] = f.Name
	}
	return out
}

// LookupFormat returns the named format.
func LookupFormat(name string) (Format, error) {
	for _, f := range Formats {
		if f.Name == name {
			return f, nil
		}
	}
	return Format{}, fmt.Errorf("unknown detection format %q (want one of %s)", name, strings.Join(FormatNames(), ", "))
}

// WriteOptions tune text output.
type WriteOptions struct {
	// LineWidth fits the table format to a terminal this wide (0: not a terminal).
	LineWidth int
}

// Writer takes detections one by one and writes them in a format: streaming
// formats write each at once, the others on Close.
type Writer interface {
	Write(d Detection) error
	Close() error
}

// NewWriter returns a Writer of the format to w.
func NewWriter(w io.Writer, format string, o WriteOptions) (Writer, error) {
	f, err := LookupFormat(format)
	if err != nil {
		return nil, err
	}
	if f.write == nil {
		return nil, fmt.Errorf("format %s is written to a file: give -o FILE", format)
	}
	return &writer{w: w, f: f, o: o}, nil
}

type writer struct {
	w    io.Writer
	f    Format
	o    WriteOptions
	dets []Detection
}

func (w *writer) Write(d Detection) error {
	if w.f.stream != nil {
		return w.f.stream(w.w, d)
	}
	w.dets = append(w.dets, d)
	return nil
}

func (w *writer) Close() error {
	if w.f.stream != nil {
		return nil
	}
	return w.f.write(w.w, slice(w.dets), w.o)
}

// Write renders detections in a text format.
func Write(w io.Writer, format string, dets []Detection, o WriteOptions) error {
	return writeSource(w, format, slice(dets), o)
}

func writeSource(w io.Writer, format string, src source, o WriteOptions) error {
	f, err := LookupFormat(format)
	if err != nil {
		return err
	}
	if f.write == nil {
		return fmt.Errorf("format %s is written to a file: give -o FILE", format)
	}
	return f.write(w, src, o)
}

// WriteFile writes detections to path atomically. Parquet goes through
// DuckDB, with the schema of saved detections (engine.DetectionColumns; the
// run columns are NULL for a run that is not saved).
func WriteFile(ctx context.Context, eng *engine.Engine, path, format string, dets []Detection, o WriteOptions) error {
	return writeFile(ctx, eng, path, format, slice(dets), o)
}

func writeFile(ctx context.Context, eng *engine.Engine, path, format string, src source, o WriteOptions) error {
	return archive.WriteAtomic(path, func(f *os.File) error {
		if format == Parquet {
			return writeParquet(ctx, eng, f, archive.Run{}, src)
		}
		w := bufio.NewWriterSize(f, 1<<16)
		if err := writeSource(w, format, src, o); err != nil {
			return err
		}
		return w.Flush()
	})
}

func writeNDJSON(w io.Writer, d Detection) error {
	j, err := d.MarshalJSON()
	if err != nil {
		return err
	}
	_, err = w.Write(append(j, '\n'))
	return err
}

func writeNDJSONAll(w io.Writer, src source, _ WriteOptions) error {
	return src.each(func(d Detection) error { return writeNDJSON(w, d) })
}

func writeJSONArray(w io.Writer, src source, _ WriteOptions) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("[")
	n := 0
	err := src.each(func(d Detection) error {
		if n > 0 {
			bw.WriteString(",")
		}
		n++
		bw.WriteString("\n  ")
		j, err := d.MarshalJSON()
		if err != nil {
			return err
		}
		_, err = bw.Write(j)
		return err
	})
	if err != nil {
		return err
	}
	if n > 0 {
		bw.WriteString("\n")
	}
	bw.WriteString("]\n")
	return bw.Flush()
}

// writeCSV flattens the fields into columns: the union of the rules' field
// names, in the order they first appear; a rule without a field leaves it
// empty. Nested values are JSON text, NULL is empty.
func writeCSV(w io.Writer, src source, _ WriteOptions) error {
	names := src.fieldNames()
	cw := csv.NewWriter(w)
	cw.Write(append([]string{"rule.id", "rule.name", "rule.severity", "rule.risk_score", "rule.threat"}, names...))
	err := src.each(func(d Detection) error {
		rec := []string{d.Rule.ID, d.Rule.Name, d.Rule.Severity, strconv.Itoa(d.Rule.RiskScore), strings.Join(d.Rule.Threat, " ")}
		for _, n := range names {
			cell := ""
			if i := slices.Index(d.Fields.Names, n); i >= 0 && d.Fields.Values[i] != nil {
				cell = results.Text(d.Fields.Values[i])
			}
			rec = append(rec, cell)
		}
		return cw.Write(rec)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// TimelineColumns are the timeline's columns, in order.
var TimelineColumns = []string{"timestamp", "host", "channel", "event_code", "severity", "rule_name", "rule_id",
	"tactics", "techniques", "details", "source_file", "source_line"}

// timeline sorts detections by time (detections without one last), then by
// rule and number: the order analysts read them in.
func timeline(dets []Detection) []Detection {
	out := slices.Clone(dets)
	slices.SortStableFunc(out, func(a, b Detection) int {
		if az, bz := a.Event.Time.IsZero(), b.Event.Time.IsZero(); az != bz {
			if az {
				return 1
			}
			return -1
		}
		return cmp.Or(a.Event.Time.Compare(b.Event.Time), strings.Compare(a.Rule.ID, b.Rule.ID), cmp.Compare(a.Index, b.Index))
	})
	return out
}

// timelineRow is one detection as timeline cells; a missing value is "".
func timelineRow(d Detection) []string {
	ts, line := "", ""
	if !d.Event.Time.IsZero() {
		ts = results.Timestamp(d.Event.Time)
	}
	if d.Event.Line > 0 {
		line = strconv.FormatInt(d.Event.Line, 10)
	}
	return []string{ts, d.Event.Host, d.Event.Channel, d.Event.Code, d.Rule.Severity, d.Rule.Name, d.Rule.ID,
		strings.Join(d.Rule.Tactics, ", "), strings.Join(d.Rule.Threat, ", "), detailsOf(d), d.Event.File, line}
}

func writeTimelineCSV(w io.Writer, src source, _ WriteOptions) error {
	cw := csv.NewWriter(w)
	cw.Write(TimelineColumns)
	err := src.timeline(func(d Detection) error { return cw.Write(timelineRow(d)) })
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

func writeTimelineJSONL(w io.Writer, src source, _ WriteOptions) error {
	bw := bufio.NewWriter(w)
	var b bytes.Buffer
	err := src.timeline(func(d Detection) error {
		row := timelineRow(d)
		obj := results.Object{Keys: TimelineColumns, Values: make([]any, len(row))}
		for i, v := range row {
			obj.Values[i] = v
			if v == "" {
				obj.Values[i] = nil
			}
		}
		if d.Event.Line > 0 {
			obj.Values[len(row)-1] = d.Event.Line
		}
		obj.Values[7] = nonNil(d.Rule.Tactics)
		obj.Values[8] = nonNil(d.Rule.Threat)
		b.Reset()
		if err := results.WriteJSON(&b, obj); err != nil {
			return err
		}
		b.WriteByte('\n')
		_, err := bw.Write(b.Bytes())
		return err
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Details is a detection's key fields as one readable line,
// "Name: value ¦ Name: value": the fields the rule lists in its details key,
// else every field but the ones a timeline shows in its own columns. NULL
// fields are left out; nested values are JSON text.
func Details(d Detection) string {
	names := d.Rule.Details
	if len(names) == 0 {
		for _, n := range d.Fields.Names {
			if !slices.Contains(timeFields, n) && !slices.Contains(hostFields, n) {
				names = append(names, n)
			}
		}
	}
	var parts []string
	for _, n := range names {
		i := slices.Index(d.Fields.Names, n)
		if i < 0 || d.Fields.Values[i] == nil {
			continue
		}
		parts = append(parts, n+": "+oneLine.Replace(results.Text(d.Fields.Values[i])))
	}
	return strings.Join(parts, " ¦ ")
}

// detailsOf is the details line of a detection: from its fields, or as
// Locate worked it out when the detection comes without them (a Store's
// timeline).
func detailsOf(d Detection) string {
	if d.Fields.Names == nil {
		return d.Event.Details
	}
	return Details(d)
}

var oneLine = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ")

// tableCell bounds a table cell when the output is not a terminal.
const tableCell = 100

// writeLines prints one line per detection in timeline order: time,
// severity, rule, host, details, fitted to the terminal. It holds those five
// columns of every detection, to size them: a table is for reading on a
// terminal, the other formats stream.
func writeLines(w io.Writer, src source, o WriteOptions) error {
	set := &results.Set{Columns: []string{"timestamp", "severity", "rule", "host", "details"}, LineWidth: o.LineWidth}
	err := src.timeline(func(d Detection) error {
		var ts any
		if !d.Event.Time.IsZero() {
			ts = d.Event.Time
		}
		set.Rows = append(set.Rows, []any{ts, d.Rule.Severity, d.Rule.Name, d.Event.Host, detailsOf(d)})
		return nil
	})
	if err != nil || len(set.Rows) == 0 {
		return err
	}
	width := tableCell
	if o.LineWidth > 0 {
		width = 0 // fitted to the terminal instead
	}
	return set.Write(w, results.Table, width)
}

// writeVertical prints each detection as a block of "field  value" lines
// under its rule's heading: for reading every field of a few detections.
func writeVertical(w io.Writer, src source, _ WriteOptions) error {
	bw := bufio.NewWriter(w)
	var prev *Detection
	err := src.each(func(d Detection) error {
		if prev == nil || prev.Rule.ID != d.Rule.ID {
			if prev != nil {
				bw.WriteString("\n")
			}
			n := src.count(d.Rule.ID)
			fmt.Fprintf(bw, "== %s  %s  (%s, risk %d): %d detection%s\n", d.Rule.ID, d.Rule.Name, d.Rule.Severity, d.Rule.RiskScore, n, plural(n))
		} else {
			bw.WriteString("   --\n")
		}
		prev = &d
		width := 0
		for _, c := range d.Fields.Names {
			width = max(width, len(c))
		}
		for j, v := range d.Fields.Values {
			text := results.Text(v)
			if n := []rune(text); len(n) > tableCell {
				text = string(n[:tableCell-1]) + "…"
			}
			fmt.Fprintf(bw, "   %-*s  %s\n", width, d.Fields.Names[j], text)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if prev != nil {
		bw.WriteString("\n")
	}
	return bw.Flush()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
