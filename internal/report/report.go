// Package report writes the offline HTML report of a run: one self-contained
// file (no CDN, no network) with a summary by rule, severity and ATT&CK
// technique, a filterable detections table and a per-host timeline.
//
// Log values are attacker-controlled text: the page receives all data as one
// JSON document and puts it into the DOM with textContent only.
package report

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"huntsql/internal/engine"
	"huntsql/internal/results"
	"huntsql/rules/runner"
)

//go:embed report.html
var page string

// Data is everything the page shows.
type Data struct {
	Generated  string      `json:"generated"`
	Archive    string      `json:"archive"`
	Events     int64       `json:"events"`
	First      string      `json:"first"`
	Last       string      `json:"last"`
	Hosts      []HostCount `json:"hosts"`
	Rules      []Rule      `json:"rules"`
	Detections []Detection `json:"detections"`
	Failed     []string    `json:"failed"`
}

// HostCount is the number of events of one host.
type HostCount struct {
	Host   string `json:"host"`
	Events int64  `json:"events"`
}

// Rule is one rule's line in the summary.
type Rule struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Severity   string   `json:"severity"`
	Risk       int      `json:"risk"`
	Techniques []string `json:"techniques"`
	Detections int      `json:"detections"`
}

// Detection is one row of the detections table and one mark on the timeline.
type Detection struct {
	Rule     string   `json:"rule"`
	Name     string   `json:"name"`
	Severity string   `json:"severity"`
	Risk     int      `json:"risk"`
	Threat   []string `json:"threat"`
	Host     string   `json:"host"`
	Time     string   `json:"time"`
	Events   int      `json:"events"`
	Fields   string   `json:"fields"`
}

// Build gathers the report's data from the rules' results and the archive.
func Build(ctx context.Context, eng *engine.Engine, archiveDir string, res []runner.Result, now time.Time) (*Data, error) {
	d := &Data{Generated: results.Timestamp(now.Truncate(time.Second)), Archive: archiveDir, Hosts: []HostCount{}, Rules: []Rule{}, Detections: []Detection{}, Failed: []string{}}
	var first, last *time.Time
	if err := eng.Conn().QueryRowContext(ctx, `SELECT count(*), min("@timestamp"), max("@timestamp") FROM events`).Scan(&d.Events, &first, &last); err != nil {
		return nil, err
	}
	if first != nil {
		d.First, d.Last = results.Timestamp(*first), results.Timestamp(*last)
	}
	rows, err := eng.Query(ctx, `SELECT coalesce("host.name", '(no host)'), count(*) FROM events GROUP BY 1 ORDER BY 2 DESC, 1`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var h HostCount
		if err := rows.Scan(&h.Host, &h.Events); err != nil {
			rows.Close()
			return nil, err
		}
		d.Hosts = append(d.Hosts, h)
	}
	rows.Close()
	for _, r := range res {
		rule := Rule{ID: r.Rule.ID, Name: r.Rule.Name, Severity: r.Rule.Severity, Risk: r.Rule.Score(), Techniques: r.Rule.Techniques(), Detections: len(r.Rows)}
		if rule.Techniques == nil {
			rule.Techniques = []string{}
		}
		d.Rules = append(d.Rules, rule)
		if r.Err != nil {
			d.Failed = append(d.Failed, fmt.Sprintf("%s: %v", r.Rule.ID, r.Err))
		}
	}
	for _, det := range runner.Detections(res) {
		row := Detection{Rule: det.Rule.ID, Name: det.Rule.Name, Severity: det.Rule.Severity, Risk: det.Rule.RiskScore,
			Threat: det.Rule.Threat, Fields: det.Fields.JSON()}
		if err := locate(ctx, eng, det, &row); err != nil {
			return nil, err
		}
		d.Detections = append(d.Detections, row)
	}
	sort.SliceStable(d.Detections, func(i, j int) bool { return d.Detections[i].Time < d.Detections[j].Time })
	return d, nil
}

// locate finds a detection's host and time: from the events behind it when
// the rule lists them, else from its fields.
func locate(ctx context.Context, eng *engine.Engine, det runner.Detection, row *Detection) error {
	if refs, ok := det.Evidence.([]any); ok && len(refs) > 0 {
		var conds []string
		for _, ref := range refs {
			m, ok := ref.(map[string]any)
			if !ok {
				continue
			}
			conds = append(conds, fmt.Sprintf(`("huntsql.source_file" = %s AND "huntsql.source_offset" = %v)`,
				engine.Quote(fmt.Sprint(m["file"])), m["offset"]))
		}
		if len(conds) > 0 {
			var t *time.Time
			var host *string
			q := `SELECT min("@timestamp"), min("host.name") FROM events WHERE ` + strings.Join(conds, " OR ")
			if err := eng.Conn().QueryRowContext(ctx, q).Scan(&t, &host); err != nil {
				return err
			}
			row.Events = len(conds)
			if t != nil {
				row.Time = results.Timestamp(*t)
			}
			if host != nil {
				row.Host = *host
			}
			return nil
		}
	}
	for i, name := range det.Fields.Names {
		s, _ := det.Fields.Values[i].(string)
		switch {
		case row.Host == "" && (name == "host.name" || name == "host"):
			row.Host = s
		case row.Time == "":
			if _, err := time.Parse(time.RFC3339Nano, s); err == nil {
				row.Time = s
			}
		}
	}
	return nil
}

// Write renders the page with its data.
func Write(w io.Writer, d *Data) error {
	var b bytes.Buffer
	// encoding/json escapes <, > and &, so the data cannot end the script element.
	if err := json.NewEncoder(&b).Encode(d); err != nil {
		return err
	}
	out := strings.Replace(page, "/*DATA*/null", strings.TrimSpace(b.String()), 1)
	_, err := io.WriteString(w, out)
	return err
}
