package runner

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path"
	"strings"
	"time"

	"huntsql/internal/archive"
	"huntsql/internal/engine"
	"huntsql/internal/results"
)

// Save writes the detections of one run beside the archive, as Parquet in
// ARCHIVE/detections/, and commits them to the manifest so that the
// "detections" and "detection_events" views show them. eng must be able to
// write files (not sandboxed).
func Save(ctx context.Context, eng *engine.Engine, a *archive.Archive, run archive.Run, dets []Detection) (archive.Run, error) {
	lock, err := a.LockWriter()
	if err != nil {
		return run, fmt.Errorf("save detections: %w", err)
	}
	defer lock.Unlock()
	run.File = path.Join(archive.DetectionsDir, "run-"+run.ID+".parquet")
	run.Detections = len(dets)
	err = archive.WriteAtomic(a.Path(run.File), func(f *os.File) error { return writeParquet(ctx, eng, f.Name(), run, dets) })
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

// writeParquet writes detections to dst (overwriting it) with the schema of
// saved detections, engine.DetectionColumns: DuckDB reads them as NDJSON
// from a file beside dst. An unsaved run (empty ID) has NULL run columns.
func writeParquet(ctx context.Context, eng *engine.Engine, dst string, run archive.Run, dets []Detection) error {
	var runID, runAt any
	if run.ID != "" {
		runID, runAt = run.ID, results.Timestamp(run.At)
	}
	var b bytes.Buffer
	for _, d := range dets {
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
	}
	src := dst + ".ndjson"
	defer os.Remove(src)
	if err := os.WriteFile(src, b.Bytes(), archive.FilePerm); err != nil {
		return err
	}
	cols := make([]string, len(engine.DetectionColumns))
	names := make([]string, len(engine.DetectionColumns))
	for i, c := range engine.DetectionColumns {
		cols[i] = fmt.Sprintf("%s: %s", c[0], engine.Quote(c[1]))
		names[i] = c[0]
	}
	q := fmt.Sprintf(`COPY (SELECT %s FROM read_json(%s, format = 'newline_delimited', columns = {%s}))
TO %s (FORMAT parquet, COMPRESSION zstd)`, strings.Join(names, ", "), engine.Quote(src), strings.Join(cols, ", "), engine.Quote(dst))
	if err := eng.Exec(ctx, q); err != nil {
		return fmt.Errorf("write parquet %s: %w", dst, err)
	}
	return nil
}

// NewRunID names a run by its start time.
func NewRunID(t time.Time) string { return t.UTC().Format("20060102T150405.000Z") }
