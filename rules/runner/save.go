package runner

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"huntsql/internal/archive"
	"huntsql/internal/engine"
	"huntsql/internal/results"
)

// Save writes the detections of one run beside the archive, as Parquet in
// ARCHIVE/detections/, and commits them to the manifest so that the
// "detections" and "detection_events" views show them. eng writes through its
// spill directory (Engine.TempDir), which a sandboxed engine can still do.
func Save(ctx context.Context, eng *engine.Engine, a *archive.Archive, run archive.Run, dets []Detection) (archive.Run, error) {
	return save(ctx, eng, a, run, slice(dets), len(dets))
}

func save(ctx context.Context, eng *engine.Engine, a *archive.Archive, run archive.Run, src source, n int) (archive.Run, error) {
	lock, err := a.LockWriter()
	if err != nil {
		return run, fmt.Errorf("save detections: %w", err)
	}
	defer lock.Unlock()
	run.File = path.Join(archive.DetectionsDir, "run-"+run.ID+".parquet")
	run.Detections = n
	err = archive.WriteAtomic(a.Path(run.File), func(f *os.File) error { return writeParquet(ctx, eng, f, run, src) })
	if err != nil {
		return run, fmt.Errorf("save detections: %w", err)
	}
	m, err := a.ReadManifest(false)
	if err != nil {
		return run, err
	}
	m.Runs = append(m.Runs, run)
	if err := a.Commit(m); err != nil {
		return run, fmt.Errorf("save detections: %w", err)
	}
	return run, nil
}

// writeParquet writes detections to dst with the schema of saved
// detections, engine.DetectionColumns: the records go to an NDJSON file that
// DuckDB converts. An unsaved run (empty ID) has NULL run columns.
//
// Both files live in the engine's spill directory when it has one: a
// sandboxed engine may write nothing else, and the Parquet file is then
// copied into dst. Otherwise DuckDB writes dst itself, the NDJSON beside it.
func writeParquet(ctx context.Context, eng *engine.Engine, dst *os.File, run archive.Run, src source) error {
	var runID, runAt any
	if run.ID != "" {
		runID, runAt = run.ID, results.Timestamp(run.At)
	}
	dir, out := filepath.Dir(dst.Name()), dst.Name()
	if eng.TempDir() != "" {
		dir = eng.TempDir()
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			// Made for these files, gone with them, as DuckDB does with the
			// spill files it writes there (unless it spills there meanwhile).
			if err := os.MkdirAll(dir, archive.DirPerm); err != nil {
				return err
			}
			defer os.Remove(dir)
		}
	}
	nd, err := os.CreateTemp(dir, "huntsql-detections-*.ndjson")
	if err != nil {
		return err
	}
	defer os.Remove(nd.Name())
	defer nd.Close()
	if eng.TempDir() != "" {
		out = strings.TrimSuffix(nd.Name(), ".ndjson") + ".parquet"
		defer os.Remove(out)
	}
	w := bufio.NewWriterSize(nd, 1<<16)
	var b bytes.Buffer
	err = src.each(func(d Detection) error {
		b.Reset()
		rec := map[string]any{
			"run_id": runID, "run_at": runAt, "rule_id": d.Rule.ID, "rule_name": d.Rule.Name, "severity": d.Rule.Severity,
			"risk_score": d.Rule.RiskScore, "threat": d.Rule.Threat, "detection": d.Index, "evidence": d.Evidence,
		}
		if err := results.WriteJSON(&b, rec); err != nil {
			return err
		}
		// fields keep their column order, so they are spliced in as JSON text.
		b.Truncate(b.Len() - 1)
		b.WriteString(`,"fields":`)
		b.WriteString(d.Fields.JSON())
		b.WriteString("}\n")
		_, err := w.Write(b.Bytes())
		return err
	})
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = nd.Close()
	}
	if err != nil {
		return err
	}
	cols := make([]string, len(engine.DetectionColumns))
	names := make([]string, len(engine.DetectionColumns))
	for i, c := range engine.DetectionColumns {
		cols[i] = fmt.Sprintf("%s: %s", c[0], engine.Quote(c[1]))
		names[i] = c[0]
	}
	q := fmt.Sprintf(`COPY (SELECT %s FROM read_json(%s, format = 'newline_delimited', columns = {%s}))
TO %s (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE %d)`, strings.Join(names, ", "), engine.Quote(nd.Name()), strings.Join(cols, ", "), engine.Quote(out), parquetRowGroup)
	if err := eng.Exec(ctx, q); err != nil {
		return fmt.Errorf("write parquet %s: %w", dst.Name(), err)
	}
	if out == dst.Name() {
		return nil
	}
	pq, err := os.Open(out)
	if err != nil {
		return err
	}
	defer pq.Close()
	_, err = io.Copy(dst, pq)
	return err
}

// parquetRowGroup bounds the detections DuckDB holds while writing Parquet:
// it buffers a row group at a time, and a detection can be large.
const parquetRowGroup = 16384

// NewRunID names a run by its start time.
func NewRunID(t time.Time) string { return t.UTC().Format("20060102T150405.000Z") }

// ReadSaved reads the detections of a saved run back from the engine's
// "detections" view, in the order they were written. The rule summaries are
// as saved (no tactics, no details: the rule may have changed since).
func ReadSaved(ctx context.Context, eng *engine.Engine, runID string) ([]Detection, error) {
	rows, err := eng.Query(ctx, `SELECT rule_id, rule_name, severity, risk_score, threat, detection, CAST(fields AS VARCHAR), evidence
FROM detections WHERE run_id = ? ORDER BY rule_id, detection`, runID)
	if err != nil {
		return nil, fmt.Errorf("read saved run %s: %w", runID, err)
	}
	defer rows.Close()
	var out []Detection
	for rows.Next() {
		var d Detection
		var threat, evidence any
		var fields string
		if err := rows.Scan(&d.Rule.ID, &d.Rule.Name, &d.Rule.Severity, &d.Rule.RiskScore, &threat, &d.Index, &fields, &evidence); err != nil {
			return nil, fmt.Errorf("read saved run %s: %w", runID, err)
		}
		d.Rule.Threat = []string{}
		if list, ok := threat.([]any); ok {
			for _, t := range list {
				if s, ok := t.(string); ok {
					d.Rule.Threat = append(d.Rule.Threat, s)
				}
			}
		}
		if d.Fields, err = decodeFields(fields); err != nil {
			return nil, fmt.Errorf("read saved run %s: rule %s detection %d: %w", runID, d.Rule.ID, d.Index, err)
		}
		d.Evidence = results.JSONValue(evidence)
		out = append(out, d)
	}
	return out, rows.Err()
}

// decodeFields reads a fields object keeping its key order.
func decodeFields(text string) (Fields, error) {
	var f Fields
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return f, fmt.Errorf("fields are not a JSON object: %.40q", text)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return f, err
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return f, err
		}
		f.Names = append(f.Names, tok.(string))
		f.Values = append(f.Values, v)
	}
	return f, nil
}
