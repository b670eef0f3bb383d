// Package results prints query results as an aligned table, CSV, JSON or
// Markdown, with one rendering of values shared by every command: timestamps as
// RFC 3339 UTC, NULL as JSON null, and nested values (LIST, STRUCT, MAP) as
// JSON text wherever a value must fit a cell (table, CSV, Markdown).
package results

import (
	"bytes"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"
)

// Formats.
const (
	Table    = "table"
	CSV      = "csv"
	JSON     = "json"
	NDJSON   = "ndjson"
	Markdown = "markdown"
)

// Formats lists the text formats Write accepts (query, shell and pivot; the
// detection formats of run are rules/runner.Formats).
var Formats = []string{Table, CSV, JSON, NDJSON, Markdown}

// Parquet is the one query format written by DuckDB itself (COPY … TO), not
// by Write: it needs a file.
const Parquet = "parquet"

// QueryFormats are the formats `huntsql query` writes: Formats and Parquet.
var QueryFormats = append(append([]string{}, Formats...), Parquet)

// Set is a fully read result.
type Set struct {
	Columns []string
	Rows    [][]any
	// LineWidth, when set, fits table output to a terminal of that many
	// columns: columns that do not fit are left out, and a note says so.
	LineWidth int
	// MaxRows, when set, bounds the rows a table shows; a last line counts
	// the rest (as the duckdb shell does on a terminal).
	MaxRows int
}

// Read reads all rows.
func Read(rows *sql.Rows) (*Set, error) {
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	s := &Set{Columns: cols}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		s.Rows = append(s.Rows, vals)
	}
	return s, rows.Err()
}

// Write prints the set in a format. maxWidth bounds table cells (0: no bound).
func (s *Set) Write(w io.Writer, format string, maxWidth int) error {
	switch format {
	case Table:
		return s.writeTable(w, maxWidth)
	case Markdown:
		return s.writeMarkdown(w)
	case CSV:
		cw := csv.NewWriter(w)
		cw.Write(s.Columns)
		for _, r := range s.Rows {
			rec := make([]string, len(r))
			for i, v := range r {
				if v != nil {
					rec[i] = Text(v)
				}
			}
			cw.Write(rec)
		}
		cw.Flush()
		return cw.Error()
	case JSON, NDJSON:
		if format == JSON {
			if _, err := io.WriteString(w, "["); err != nil {
				return err
			}
		}
		for i, r := range s.Rows {
			b, err := s.rowJSON(r)
			if err != nil {
				return err
			}
			sep := "\n"
			if format == JSON {
				sep = "\n  "
				if i > 0 {
					sep = ",\n  "
				}
				_, err = io.WriteString(w, sep)
				sep = ""
			}
			if err == nil {
				_, err = w.Write(b)
			}
			if err == nil && sep != "" {
				_, err = io.WriteString(w, sep)
			}
			if err != nil {
				return err
			}
		}
		if format == JSON {
			end := "]\n"
			if len(s.Rows) > 0 {
				end = "\n]\n"
			}
			_, err := io.WriteString(w, end)
			return err
		}
		return nil
	}
	return fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats, ", "))
}

// rowJSON renders a row as an object with keys in column order.
func (s *Set) rowJSON(r []any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, c := range s.Columns {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := WriteJSON(&b, c); err != nil {
			return nil, err
		}
		b.WriteByte(':')
		if err := WriteJSON(&b, JSONValue(r[i])); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// WriteJSON encodes v compactly and without HTML escaping: event text such as
// <Event> must read as it was written.
func WriteJSON(b *bytes.Buffer, v any) error {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Truncate(b.Len() - 1) // Encode's newline
	return nil
}

// JSONValue converts a scanned DuckDB value to what JSON should show.
func JSONValue(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case time.Time:
		return Timestamp(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = JSONValue(e)
		}
		return out
	case *big.Int:
		return json.Number(x.String())
	case []byte:
		return string(x)
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Map {
		// STRUCT values arrive as map[string]any, nested MAP values as a named
		// map type: keys come out sorted.
		out := make(map[string]any, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			out[fmt.Sprint(it.Key().Interface())] = JSONValue(it.Value().Interface())
		}
		return out
	}
	if rv.Kind() == reflect.Struct {
		// A top-level MAP arrives as duckdb.OrderedMap, whose Keys and Values
		// have pointer receivers: keep its key order.
		p := reflect.New(rv.Type())
		p.Elem().Set(rv)
		if om, ok := p.Interface().(orderedMap); ok {
			keys, vals := om.Keys(), om.Values()
			obj := Object{Keys: make([]string, len(keys)), Values: make([]any, len(vals))}
			for i := range keys {
				obj.Keys[i] = keyText(keys[i])
				obj.Values[i] = JSONValue(vals[i])
			}
			return obj
		}
	}
	return v
}

// orderedMap is how duckdb-go hands over a MAP value (results does not import
// the driver: only internal/engine does).
type orderedMap interface {
	Keys() []any
	Values() []any
}

func keyText(k any) string {
	if s, ok := k.(string); ok {
		return s
	}
	return Text(k)
}

// Object is a JSON object whose keys keep their order (a DuckDB MAP).
type Object struct {
	Keys   []string
	Values []any
}

// MarshalJSON writes the object with its keys in order.
func (o Object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.Keys {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := WriteJSON(&b, k); err != nil {
			return nil, err
		}
		b.WriteByte(':')
		if err := WriteJSON(&b, o.Values[i]); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Timestamp renders an instant as RFC 3339 UTC with Z, with fractional seconds
// only when they are not zero.
func Timestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.999999999Z07:00")
}

// Text renders a value for a table cell or CSV field.
func Text(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return x
	case time.Time:
		return Timestamp(x)
	}
	j := JSONValue(v)
	switch j.(type) {
	case []any, map[string]any, Object:
		var b bytes.Buffer
		if WriteJSON(&b, j) == nil { // map keys come out sorted
			return b.String()
		}
	}
	return fmt.Sprint(j)
}

func (s *Set) writeTable(w io.Writer, maxWidth int) error {
	rows := s.Rows
	if s.MaxRows > 0 && len(rows) > s.MaxRows {
		rows = rows[:s.MaxRows]
	}
	cells := make([][]string, len(rows))
	width := make([]int, len(s.Columns))
	for i, c := range s.Columns {
		width[i] = utf8.RuneCountInString(c)
	}
	for r, row := range rows {
		cells[r] = make([]string, len(row))
		for i, v := range row {
			t := strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(Text(v))
			if maxWidth > 0 && utf8.RuneCountInString(t) > maxWidth {
				t = string([]rune(t)[:maxWidth-1]) + "…"
			}
			cells[r][i] = t
			width[i] = max(width[i], utf8.RuneCountInString(t))
		}
	}
	shown := len(width) // columns that fit the line
	if s.LineWidth > 0 {
		// First narrow the widest columns, down to minColumn characters…
		total := func() int {
			n := 0
			for _, w := range width {
				n += w + 2
			}
			return n - 2
		}
		for total() > s.LineWidth {
			widest := 0
			for i := range width {
				if width[i] > width[widest] {
					widest = i
				}
			}
			if width[widest] <= minColumn {
				break
			}
			width[widest]--
		}
		for r := range cells {
			for i, t := range cells[r] {
				if n := []rune(t); len(n) > width[i] {
					cells[r][i] = string(n[:width[i]-1]) + "…"
				}
			}
		}
		// …then leave out the columns that still do not fit.
		used := 0
		for i, n := range width {
			if i > 0 && used+2+n > s.LineWidth {
				shown = i
				break
			}
			used += 2 + n
		}
	}
	var b strings.Builder
	line := func(vals []string) {
		for i, v := range vals[:shown] {
			if i > 0 {
				b.WriteString("  ")
			}
			b.WriteString(v)
			if i < shown-1 {
				b.WriteString(strings.Repeat(" ", width[i]-utf8.RuneCountInString(v)))
			}
		}
		b.WriteByte('\n')
	}
	header := make([]string, len(s.Columns))
	for i, c := range s.Columns {
		if n := []rune(c); len(n) > width[i] {
			c = string(n[:width[i]-1]) + "…"
		}
		header[i] = c
	}
	line(header)
	rule := make([]string, len(width))
	for i, n := range width {
		rule[i] = strings.Repeat("-", n)
	}
	line(rule)
	for _, r := range cells {
		line(r)
	}
	fmt.Fprintf(&b, "(%s row%s", thousands(len(s.Rows)), plural(len(s.Rows)))
	if len(rows) < len(s.Rows) {
		fmt.Fprintf(&b, ", %d shown; %s more with --format csv or -o FILE", len(rows), thousands(len(s.Rows)-len(rows)))
	}
	if hidden := len(width) - shown; hidden > 0 {
		names := s.Columns[shown:]
		list := strings.Join(names[:min(len(names), 3)], ", ")
		if len(names) > 3 {
			list += ", …"
		}
		verb := "do not fit"
		if hidden == 1 {
			verb = "does not fit"
		}
		fmt.Fprintf(&b, "; %d more column%s %s the terminal: %s; --format csv or json shows all",
			hidden, plural(hidden), verb, list)
	}
	b.WriteString(")\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// writeMarkdown prints a GitHub-flavoured Markdown table, for reports and tickets.
func (s *Set) writeMarkdown(w io.Writer) error {
	cell := strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ")
	var b strings.Builder
	b.WriteString("|")
	for _, c := range s.Columns {
		b.WriteString(" " + cell.Replace(c) + " |")
	}
	b.WriteString("\n|")
	for range s.Columns {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range s.Rows {
		b.WriteString("|")
		for _, v := range r {
			b.WriteString(" " + cell.Replace(Text(v)) + " |")
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// thousands writes n with thousands separators.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// minColumn is the narrowest a column is cut to when fitting a terminal.
const minColumn = 12

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
