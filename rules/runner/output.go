package runner

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

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

// WriteFile writes detections to path atomically (temporary file, rename).
// Parquet goes through DuckDB: one row per detection with the rule's columns
// and the fields as JSON.
func WriteFile(ctx context.Context, eng *engine.Engine, path, format string, dets []Detection) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if format == Parquet {
		tmp.Close()
		if err := writeParquet(ctx, eng, tmp.Name(), dets); err != nil {
			return err
		}
	} else {
		err := Write(tmp, format, dets)
		if err == nil {
			err = tmp.Sync()
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	return os.Rename(tmp.Name(), path)
}

func writeParquet(ctx context.Context, eng *engine.Engine, path string, dets []Detection) error {
	src, err := os.CreateTemp(filepath.Dir(path), ".detections-*.ndjson")
	if err != nil {
		return err
	}
	defer os.Remove(src.Name())
	if err := Write(src, NDJSON, dets); err != nil {
		src.Close()
		return err
	}
	src.Close()
	q := fmt.Sprintf(`COPY (
    SELECT rule.id AS rule_id, rule.name AS rule_name, rule.severity AS severity,
           rule.risk_score AS risk_score, rule.threat AS threat, fields
    FROM read_json(%s, format = 'newline_delimited',
        columns = {rule: 'STRUCT(id VARCHAR, name VARCHAR, severity VARCHAR, risk_score INTEGER, threat VARCHAR[])', fields: 'JSON'})
) TO %s (FORMAT parquet, COMPRESSION zstd)`, engine.Quote(src.Name()), engine.Quote(path))
	if err := eng.Exec(ctx, q); err != nil {
		return fmt.Errorf("write parquet %s: %w", path, err)
	}
	return nil
}
