package runner

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"huntsql/internal/archive"
	"huntsql/internal/engine"
	"huntsql/internal/results"
)

// Output formats of detections.
const (
	NDJSON  = "ndjson"
	JSON    = "json"
	CSV     = "csv"
	Table   = "table"
	Parquet = "parquet"
)

// Formats lists the accepted formats.
var Formats = []string{NDJSON, JSON, CSV, Table, Parquet}

// Write renders detections in a text format.
func Write(w io.Writer, format string, dets []Detection) error {
	switch format {
	case NDJSON, JSON:
		var b bytes.Buffer
		if format == JSON {
			b.WriteString("[")
		}
		for i, d := range dets {
			if format == JSON {
				if i > 0 {
					b.WriteString(",")
				}
				b.WriteString("\n  ")
			}
			j, err := d.MarshalJSON()
			if err != nil {
				return err
			}
			b.Write(j)
			if format == NDJSON {
				b.WriteByte('\n')
			}
		}
		if format == JSON {
			if len(dets) > 0 {
				b.WriteString("\n")
			}
			b.WriteString("]\n")
		}
		_, err := w.Write(b.Bytes())
		return err
	case CSV:
		cw := csv.NewWriter(w)
		cw.Write([]string{"rule.id", "rule.name", "rule.severity", "rule.risk_score", "rule.threat", "fields"})
		for _, d := range dets {
			cw.Write([]string{d.Rule.ID, d.Rule.Name, d.Rule.Severity, strconv.Itoa(d.Rule.RiskScore),
				strings.Join(d.Rule.Threat, " "), d.Fields.JSON()})
		}
		cw.Flush()
		return cw.Error()
	case Table:
		return writeTable(w, dets)
	}
	return fmt.Errorf("format %q cannot be written as text (want one of %s)", format, strings.Join(Formats, ", "))
}

// writeTable prints each detection as a block of "field  value" lines under
// its rule's heading: rule results are wide, terminals are not.
func writeTable(w io.Writer, dets []Detection) error {
	count := map[string]int{}
	for _, d := range dets {
		count[d.Rule.ID]++
	}
	var b strings.Builder
	for i, d := range dets {
		if i == 0 || dets[i-1].Rule.ID != d.Rule.ID {
			if i > 0 {
				b.WriteString("\n")
			}
			n := count[d.Rule.ID]
			fmt.Fprintf(&b, "== %s  %s  (%s, risk %d): %d detection%s\n", d.Rule.ID, d.Rule.Name, d.Rule.Severity, d.Rule.RiskScore, n, plural(n))
		} else {
			b.WriteString("   --\n")
		}
		width := 0
		for _, c := range d.Fields.Names {
			width = max(width, len(c))
		}
		for j, v := range d.Fields.Values {
			text := results.Text(v)
			if n := []rune(text); len(n) > maxCell {
				text = string(n[:maxCell-1]) + "…"
			}
			fmt.Fprintf(&b, "   %-*s  %s\n", width, d.Fields.Names[j], text)
		}
	}
	if len(dets) > 0 {
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// maxCell bounds a value in table output; machine formats are never cut.
const maxCell = 100

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// WriteFile writes detections to path atomically. Parquet goes through
// DuckDB, with the schema of saved detections (engine.DetectionColumns; the
// run columns are NULL for a run that is not saved).
func WriteFile(ctx context.Context, eng *engine.Engine, path, format string, dets []Detection) error {
	return archive.WriteAtomic(path, func(f *os.File) error {
		if format == Parquet {
			return writeParquet(ctx, eng, f.Name(), archive.Run{}, dets)
		}
		return Write(f, format, dets)
	})
}
