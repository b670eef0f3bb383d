// Package rules defines huntsql detection rules: one TOML file per rule, in the
// spirit of Elastic's detection-rules format, whose query is DuckDB SQL over the
// archive's views. Parsing is strict: unknown keys, missing keys and bad values
// are errors that name the file and line.
package rules

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// Rule is one detection rule.
type Rule struct {
	ID          string   `toml:"id"`
	Name        string   `toml:"name"`
	Description string   `toml:"description"`
	Severity    string   `toml:"severity"`
	RiskScore   *int     `toml:"risk_score"`
	Tags        []string `toml:"tags"`
	References  []string `toml:"references"`
	Author      []string `toml:"author"`
	License     string   `toml:"license"`
	Query       string   `toml:"query"`
	// Details lists the result columns that a timeline's details column
	// shows, in order (default: all but the time and host columns).
	Details []string `toml:"details"`
	Threat  []Threat `toml:"threat"`
	Origin  *Origin  `toml:"origin"`

	// Source is where the rule was read from: "builtin:FILE" or a path.
	Source string `toml:"-"`
	// Plan, when set, is the rule's structured form (see Plan): the runner
	// may then evaluate it in a scan shared with other rules.
	Plan *Plan `toml:"-"`
}

// Threat is one MITRE ATT&CK mapping.
type Threat struct {
	Framework string      `toml:"framework"`
	Tactic    Ref         `toml:"tactic"`
	Technique []Technique `toml:"technique"`
}

// Technique is an ATT&CK technique with its subtechniques.
type Technique struct {
	Ref
	Subtechnique []Ref `toml:"subtechnique"`
}

// Ref names an ATT&CK object.
type Ref struct {
	ID        string `toml:"id"`
	Name      string `toml:"name"`
	Reference string `toml:"reference"`
}

// Origin points a ported rule back to where it came from.
type Origin struct {
	ID       string `toml:"id"`
	Language string `toml:"language"`
	Source   string `toml:"source"`
	// Sigma metadata with no other home in a huntsql rule.
	Status         string   `toml:"status,omitempty"`
	Level          string   `toml:"level,omitempty"`
	FalsePositives []string `toml:"falsepositives,omitempty"`
}

type file struct {
	Rule *Rule `toml:"rule"`
}

// Severities, in increasing order.
var Severities = []string{"low", "medium", "high", "critical"}

// Error is a problem in a rule file, at a line (0 when unknown).
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

var (
	idPattern        = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
	tacticPattern    = regexp.MustCompile(`^TA[0-9]{4}$`)
	techniquePattern = regexp.MustCompile(`^T[0-9]{4}$`)
	subPattern       = regexp.MustCompile(`^T[0-9]{4}\.[0-9]{3}$`)
	typeErrPattern   = regexp.MustCompile(`^line ([0-9]+) \(last key "?([^")]*)"?\): (.*)$`)
)

// Parse reads one rule file. name is used in error messages.
func Parse(name string, data []byte) (*Rule, error) {
	var f file
	md, err := toml.Decode(string(data), &f)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &Error{File: name, Line: pe.Position.Line, Msg: pe.Message}
		}
		msg := strings.TrimPrefix(err.Error(), "toml: ")
		// Type mismatches come as "line N (last key "k"): reason".
		if m := typeErrPattern.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			return nil, &Error{File: name, Line: line, Msg: fmt.Sprintf("%s: %s", m[2], m[3])}
		}
		return nil, &Error{File: name, Msg: msg}
	}
	text := string(data)
	var errs []error
	unknown := md.Undecoded()
	for _, k := range unknown {
		// An unknown table is one error, not one more for each of its keys.
		if slices.ContainsFunc(unknown, func(p toml.Key) bool { return len(p) < len(k) && slices.Equal(p, k[:len(p)]) }) {
			continue
		}
		errs = append(errs, &Error{File: name, Line: keyLine(text, k), Msg: fmt.Sprintf("unknown key %q", k.String())})
	}
	if f.Rule == nil {
		return nil, errors.Join(append(errs, &Error{File: name, Line: 1, Msg: "no [rule] table"})...)
	}
	r := f.Rule
	at := func(key ...string) int { return keyLine(text, append(toml.Key{"rule"}, key...)) }
	bad := func(line int, format string, args ...any) {
		errs = append(errs, &Error{File: name, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	ruleLine := tableLine(text, "rule")
	for _, req := range []struct {
		key string
		ok  bool
	}{{"id", r.ID != ""}, {"name", r.Name != ""}, {"description", r.Description != ""}, {"severity", r.Severity != ""},
		{"risk_score", r.RiskScore != nil}, {"query", strings.TrimSpace(r.Query) != ""}} {
		if !req.ok {
			bad(ruleLine, "missing required key rule.%s", req.key)
		}
	}
	if r.ID != "" && !idPattern.MatchString(r.ID) {
		bad(at("id"), "rule.id %q: use letters, digits, '.', '_' and '-' (at most 128)", r.ID)
	}
	if r.Severity != "" && !slices.Contains(Severities, r.Severity) {
		bad(at("severity"), "rule.severity %q: must be one of %s", r.Severity, strings.Join(Severities, ", "))
	}
	if r.RiskScore != nil && (*r.RiskScore < 0 || *r.RiskScore > 100) {
		bad(at("risk_score"), "rule.risk_score %d: must be 0 to 100", *r.RiskScore)
	}
	for _, t := range r.Threat {
		line := at("threat")
		if t.Framework != "MITRE ATT&CK" {
			bad(line, "rule.threat framework %q: must be \"MITRE ATT&CK\"", t.Framework)
		}
		if !tacticPattern.MatchString(t.Tactic.ID) {
			bad(keyLineOf(text, t.Tactic.ID, line), "rule.threat tactic id %q: must look like TA0002", t.Tactic.ID)
		}
		for _, tech := range t.Technique {
			if !techniquePattern.MatchString(tech.ID) {
				bad(keyLineOf(text, tech.ID, line), "rule.threat technique id %q: must look like T1059", tech.ID)
			}
			for _, sub := range tech.Subtechnique {
				if !subPattern.MatchString(sub.ID) || !strings.HasPrefix(sub.ID, tech.ID+".") {
					bad(keyLineOf(text, sub.ID, line), "rule.threat subtechnique id %q: must look like %s.006", sub.ID, tech.ID)
				}
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	r.Query = strings.TrimSpace(r.Query)
	r.Description = strings.TrimSpace(r.Description)
	return r, nil
}

// Techniques returns the rule's ATT&CK technique and subtechnique ids, distinct
// and sorted.
func (r *Rule) Techniques() []string {
	var ids []string
	for _, t := range r.Threat {
		for _, tech := range t.Technique {
			ids = append(ids, tech.ID)
			for _, sub := range tech.Subtechnique {
				ids = append(ids, sub.ID)
			}
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// Tactics returns the rule's ATT&CK tactic names (ids when unnamed), distinct
// and in the file's order.
func (r *Rule) Tactics() []string {
	var out []string
	for _, t := range r.Threat {
		name := t.Tactic.Name
		if name == "" {
			name = t.Tactic.ID
		}
		if name != "" && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// Score returns the risk score (0 when unset, which Parse does not allow).
func (r *Rule) Score() int {
	if r.RiskScore == nil {
		return 0
	}
	return *r.RiskScore
}

// tableLine returns the line of a [table] header, or 1.
func tableLine(text, table string) int {
	for i, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "["+table+"]" {
			return i + 1
		}
	}
	return 1
}

// keyLine finds the line where a key is written: its last segment as `seg =`
// or as a [table] / [[table]] header, after the header of its parent table.
// TOML's decoder reports no key positions, so this reads the text itself.
func keyLine(text string, k toml.Key) int {
	lines := strings.Split(text, "\n")
	last := k[len(k)-1]
	parent := strings.Join(k[:len(k)-1], ".")
	start := 0
	if parent != "" {
		for i, line := range lines {
			t := strings.TrimSpace(line)
			if t == "["+parent+"]" || t == "[["+parent+"]]" {
				start = i
				break
			}
		}
	}
	full := k.String()
	for i := start; i < len(lines); i++ {
		t := strings.TrimSpace(lines[i])
		if t == "["+full+"]" || t == "[["+full+"]]" {
			return i + 1
		}
		if name, _, ok := strings.Cut(t, "="); ok && strings.Trim(strings.TrimSpace(name), `"'`) == last {
			return i + 1
		}
	}
	return 0
}

// keyLineOf finds the first line at or after from that holds the quoted value.
func keyLineOf(text, value string, from int) int {
	lines := strings.Split(text, "\n")
	for i := max(from-1, 0); i < len(lines); i++ {
		if strings.Contains(lines[i], `"`+value+`"`) {
			return i + 1
		}
	}
	return from
}
