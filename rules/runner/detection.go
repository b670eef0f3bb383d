package runner

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"huntsql/internal/results"
	"huntsql/rules"
)

// Detection is one result row of a rule, as huntsql reports it.
type Detection struct {
	Rule   DetectionRule
	Fields Fields
	// Index is the detection's number within its rule's results, from 1.
	Index int
	// Evidence lists the events behind the detection, {sha256, offset} each
	// (the input's SHA-256, the record's byte offset in it), when the rule
	// gives them in a "huntsql.evidence" column.
	Evidence any
	// Event places the detection on a timeline: its first event (see Locate).
	Event Event
}

// Evidence is the column in which a rule may list the events behind each
// result row. Columns named huntsql.* are for huntsql, not part of the fields.
const Evidence = "huntsql.evidence"

// DetectionRule is the rule summary carried by each detection.
type DetectionRule struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Severity  string   `json:"severity"`
	RiskScore int      `json:"risk_score"`
	Threat    []string `json:"threat"`
	// Tactics are the ATT&CK tactic names, for timelines (not in the record).
	Tactics []string `json:"-"`
	// Details names the fields of a timeline's details column (rule.details).
	Details []string `json:"-"`
}

// Fields are a detection's columns, in the rule's column order.
type Fields struct {
	Names  []string
	Values []any
}

// Detections turns results into detections, rule by rule, rows in order.
func Detections(rs []Result) []Detection {
	var out []Detection
	for _, r := range rs {
		if r.Err != nil {
			continue
		}
		out = append(out, detections(summary(r.Rule), r.Columns, r.Rows, 0)...)
	}
	return out
}

// detections turns result rows of one rule into detections; the first row is
// the rule's detection number first+1.
func detections(rule DetectionRule, columns []string, rows [][]any, first int) []Detection {
	var names []string
	var keep []int
	evidence := -1
	for i, c := range columns {
		switch {
		case c == Evidence:
			evidence = i
		case !strings.HasPrefix(c, "huntsql."):
			names = append(names, c)
			keep = append(keep, i)
		}
	}
	out := make([]Detection, 0, len(rows))
	for n, row := range rows {
		vals := make([]any, len(keep))
		for i, k := range keep {
			vals[i] = Normalize(row[k])
		}
		d := Detection{Rule: rule, Fields: Fields{Names: names, Values: vals}, Index: first + n + 1}
		if evidence >= 0 {
			d.Evidence = results.JSONValue(row[evidence])
		}
		out = append(out, d)
	}
	return out
}

// fieldColumns are the columns of a rule's result that are detection fields.
func fieldColumns(columns []string) []string {
	var names []string
	for _, c := range columns {
		if !strings.HasPrefix(c, "huntsql.") {
			names = append(names, c)
		}
	}
	return names
}

func summary(r *rules.Rule) DetectionRule {
	threat := r.Techniques()
	if threat == nil {
		threat = []string{}
	}
	return DetectionRule{ID: r.ID, Name: r.Name, Severity: r.Severity, RiskScore: r.Score(), Threat: threat, Tactics: r.Tactics(), Details: r.Details}
}

// Normalize gives a value its detection form: timestamps as RFC 3339 UTC
// strings, lists distinct and sorted ascending without NULLs (an empty list is
// NULL), other values as JSON shows them.
func Normalize(v any) any {
	switch x := v.(type) {
	case []any:
		var out []any
		for _, e := range x {
			if e != nil {
				out = append(out, Normalize(e))
			}
		}
		if len(out) == 0 {
			return nil
		}
		slices.SortStableFunc(out, compare)
		return slices.CompactFunc(out, func(a, b any) bool { return compare(a, b) == 0 })
	case time.Time:
		return results.Timestamp(x)
	}
	return results.JSONValue(v)
}

// compare orders list elements: numbers numerically, text by bytes, anything
// else by its JSON text.
func compare(a, b any) int {
	if fa, ok := number(a); ok {
		if fb, ok := number(b); ok {
			return cmp.Compare(fa, fb)
		}
	}
	if sa, ok := a.(string); ok {
		if sb, ok := b.(string); ok {
			return cmp.Compare(sa, sb)
		}
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Compare(ja, jb)
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case int:
		return float64(x), true
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

// MarshalJSON writes the detection record:
// {"rule":{…},"fields":{…}} with fields in column order.
func (d Detection) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"rule":`)
	if err := results.WriteJSON(&b, d.Rule); err != nil {
		return nil, err
	}
	b.WriteString(`,"fields":`)
	if err := d.Fields.encode(&b); err != nil {
		return nil, err
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func (f Fields) encode(b *bytes.Buffer) error {
	b.WriteByte('{')
	for i, name := range f.Names {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := results.WriteJSON(b, name); err != nil {
			return err
		}
		b.WriteByte(':')
		if err := results.WriteJSON(b, f.Values[i]); err != nil {
			return fmt.Errorf("field %s: %w", name, err)
		}
	}
	b.WriteByte('}')
	return nil
}

// JSON returns the fields as a JSON object.
func (f Fields) JSON() string {
	var b bytes.Buffer
	f.encode(&b)
	return b.String()
}
