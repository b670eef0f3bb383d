// Package report writes the offline HTML report of a run: one self-contained
// file (no CDN, no network) with a summary by rule, severity and ATT&CK
// technique, a filterable detections table (each detection's fields as
// name/value pairs, with the commands that show the events behind it) and a
// per-host timeline.
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
	"huntsql/rules"
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
	// Fields are the rule's columns as name/value pairs, values as text
	// (nested values as JSON text).
	Fields [][2]string `json:"fields"`
	// Commands show the events behind the detection: copy, paste, run.
	Commands []string `json:"commands"`
}

// Input is what a report shows: a run's located detections (runner.Locate),
// the rules that ran and those that failed.
type Input struct {
	Archive    string // the archive directory, for the commands
	RunID      string // the saved run, "" when not saved
	Rules      []*rules.Rule
	Detections []runner.Detection
	Failed     []string // "RULE_ID: reason"
}

// Build gathers the report's data: the detections, and the archive's event
// counts from the engine's views.
func Build(ctx context.Context, eng *engine.Engine, in Input, now time.Time) (*Data, error) {
	d := &Data{Generated: results.Timestamp(now.Truncate(time.Second)), Archive: in.Archive, Hosts: []HostCount{}, Rules: []Rule{}, Detections: []Detection{}, Failed: []string{}}
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
	fired := map[string]int{}
	for _, det := range in.Detections {
		fired[det.Rule.ID]++
	}
	for _, r := range in.Rules {
		rule := Rule{ID: r.ID, Name: r.Name, Severity: r.Severity, Risk: r.Score(), Techniques: r.Techniques(), Detections: fired[r.ID]}
		if rule.Techniques == nil {
			rule.Techniques = []string{}
		}
		d.Rules = append(d.Rules, rule)
	}
	d.Failed = append(d.Failed, in.Failed...)
	for _, det := range in.Detections {
		row := Detection{Rule: det.Rule.ID, Name: det.Rule.Name, Severity: det.Rule.Severity, Risk: det.Rule.RiskScore,
			Threat: det.Rule.Threat, Host: det.Event.Host, Events: det.Event.Events, Fields: [][2]string{}, Commands: commands(in, det)}
		if row.Threat == nil {
			row.Threat = []string{}
		}
		if !det.Event.Time.IsZero() {
			row.Time = results.Timestamp(det.Event.Time)
		}
		for i, name := range det.Fields.Names {
			text := "NULL"
			if v := det.Fields.Values[i]; v != nil {
				text = results.Text(v)
			}
			row.Fields = append(row.Fields, [2]string{name, text})
		}
		d.Detections = append(d.Detections, row)
	}
	sort.SliceStable(d.Detections, func(i, j int) bool { return d.Detections[i].Time < d.Detections[j].Time })
	return d, nil
}

// commands are the huntsql command lines that show the events behind a
// detection: those the rule listed (a saved run), and the host around its time.
func commands(in Input, det runner.Detection) []string {
	arch := " --archive " + shellQuote(in.Archive)
	var out []string
	if in.RunID != "" && det.Event.Events > 0 {
		// Run and rule ids are made of letters, digits, '.', '_' and '-':
		// nothing a shell expands inside double quotes.
		out = append(out, fmt.Sprintf(`huntsql query%s "SELECT * FROM detection_events WHERE run_id = '%s' AND rule_id = '%s' AND detection = %d ORDER BY ALL"`,
			arch, in.RunID, det.Rule.ID, det.Index))
	}
	if det.Event.Host != "" && !det.Event.Time.IsZero() {
		out = append(out, fmt.Sprintf("huntsql pivot%s --host %s --at %s --around 5m", arch, shellQuote(det.Event.Host), results.Timestamp(det.Event.Time)))
	}
	return out
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
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
