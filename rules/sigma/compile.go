package sigma

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"huntsql/rules"
)

// Options tune compilation.
type Options struct {
	// Mapping is the field mapping; nil means DefaultMapping().
	Mapping *Mapping
	// Placeholders are the values of %name% placeholders for |expand.
	Placeholders map[string][]string
	// Filters are Sigma filters applied to the rules they name.
	Filters []*Document
}

// Compiled is one Sigma rule compiled for huntsql: the ordinary rule (whose
// query runs on its own) and its structured form, for a runner that batches
// many rules into one scan.
type Compiled struct {
	Doc  *Document
	Rule *rules.Rule

	// View is the archive view the rule reads ("events").
	View string
	// Branches are the rule's condition per source, ORed; an event matches the
	// rule when it matches a branch.
	Branches []Branch
	// Columns are the detection's columns (name, SQL over View) for one
	// matching event; "huntsql.evidence" is the last. For a correlation they
	// describe its final SELECT (over its spans s and input rows i).
	Columns []Column
	// OrderBy is the total order of the detections.
	OrderBy string
	// CannotFire lists the sources of the rule's logsource that lack a field
	// the rule needs ("security_4688: needs OriginalFileName").
	CannotFire []SourceReason
	// Correlation is set for a correlation rule: its query aggregates the
	// matches of the rules it names.
	Correlation *Correlation
	// Internal is true for a rule used only by correlations whose generate
	// is false: it feeds them and reports nothing on its own.
	Internal bool
	// Notes are remarks that do not stop the rule (unknown keys, filters).
	Notes []string
}

// Branch is a rule's match condition on one source.
type Branch struct {
	Source      string   // mapping source name
	Channel     string   // Windows channel, when known
	EventCodes  []string // event.code values it can match; empty: any
	SourceWhere string   // SQL selecting the source's events
	Match       string   // SQL: the rule's condition on those events
}

// Where is the branch's full condition.
func (b Branch) Where() string { return "(" + b.SourceWhere + ")\n  AND " + b.Match }

// Column is one output column.
type Column struct {
	Name string
	SQL  string
}

// SourceReason says why a rule cannot fire on a source.
type SourceReason struct {
	Source string
	Reason string
}

func (s SourceReason) String() string { return "cannot fire on " + s.Source + ": " + s.Reason }

// Where returns the rule's whole match condition: its branches ORed.
func (c *Compiled) Where() string {
	var parts []string
	for _, b := range c.Branches {
		parts = append(parts, "("+b.Where()+")")
	}
	return strings.Join(parts, "\n  OR ")
}

// EventCodes returns the event codes any branch can match, or nil when a
// branch can match any code.
func (c *Compiled) EventCodes() []string {
	var out []string
	for _, b := range c.Branches {
		if len(b.EventCodes) == 0 {
			return nil
		}
		out = append(out, b.EventCodes...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// CannotFireError is returned when no source of a rule's logsource can supply
// what it needs.
type CannotFireError struct {
	File    string
	Line    int
	Reasons []SourceReason
}

func (e *CannotFireError) Error() string {
	var rs []string
	for _, r := range e.Reasons {
		rs = append(rs, r.String())
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, strings.Join(rs, "; "))
}

// UnsupportedError is returned for a rule huntsql cannot run: no mapping for
// its logsource, a regular expression RE2 lacks, an expand placeholder
// without values, an old aggregation.
type UnsupportedError struct {
	File string
	Line int
	Msg  string
}

func (e *UnsupportedError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

type ruleCompiler struct {
	doc  *Document
	opts Options
	// fields used per source, in first-use order, for the output columns
	usedFields map[string][]Column
}

func (c *ruleCompiler) used(src *Source, field, expr string) {
	if c.usedFields == nil {
		c.usedFields = map[string][]Column{}
	}
	if !slices.ContainsFunc(c.usedFields[src.Name], func(col Column) bool { return col.Name == field }) {
		c.usedFields[src.Name] = append(c.usedFields[src.Name], Column{field, expr})
	}
}

// Compile compiles one detection rule. It returns *CannotFireError when no
// source can supply the rule's fields, *UnsupportedError for features huntsql
// cannot run, and *Error for mistakes in the rule.
func Compile(d *Document, opts Options) (*Compiled, error) {
	if d.Kind != "rule" {
		return nil, &Error{File: d.File, Line: d.Line, Msg: fmt.Sprintf("a %s is not a detection rule: compile it with the rules it names (CompileSet)", d.Kind)}
	}
	if opts.Mapping == nil {
		opts.Mapping = DefaultMapping()
	}
	c := &ruleCompiler{doc: d, opts: opts}
	out := &Compiled{Doc: d, View: "events", Notes: slices.Clone(d.Notes)}
	var conds []Cond
	for _, s := range d.Detection.Conditions {
		cond, err := ParseCondition(s)
		if err != nil {
			if strings.Contains(err.Error(), "aggregation") {
				return nil, &UnsupportedError{File: d.File, Line: d.Detection.ConditionLine, Msg: err.Error()}
			}
			return nil, &Error{File: d.File, Line: d.Detection.ConditionLine, Msg: err.Error()}
		}
		conds = append(conds, cond)
	}
	var cond Cond = CondOr(conds)
	if len(conds) == 1 {
		cond = conds[0]
	}
	filters := applicableFilters(d, opts.Filters)
	sources := opts.Mapping.SourcesFor(d.Logsource)
	if len(sources) == 0 {
		return nil, &UnsupportedError{File: d.File, Line: d.Logsource.Line, Msg: fmt.Sprintf("no field mapping for logsource %s (add one with --sigma-mapping FILE)", d.Logsource)}
	}
	needLine := 0
	for _, src := range sources {
		match, err := c.condSQL(cond, d.Detection.Searches, d.Detection.Order, src)
		if err == nil {
			for _, f := range filters {
				fm, ferr := c.filterSQL(f, src)
				if ferr != nil {
					err = ferr
					break
				}
				match = "(" + match + ")\n  AND " + fm
			}
		}
		var need *needError
		if errors.As(err, &need) {
			if needLine == 0 {
				needLine = need.line
			}
			out.CannotFire = append(out.CannotFire, SourceReason{src.Name, err.Error()})
			continue
		}
		if err != nil {
			var unsup *unsupportedError
			if errors.As(err, &unsup) {
				line := unsup.Line
				if line == 0 {
					line = d.Detection.Line
				}
				return nil, &UnsupportedError{File: d.File, Line: line, Msg: unsup.Msg}
			}
			var e *Error
			if errors.As(err, &e) {
				return nil, err
			}
			return nil, &Error{File: d.File, Line: d.Detection.ConditionLine, Msg: err.Error()}
		}
		out.Branches = append(out.Branches, Branch{Source: src.Name, Channel: src.Channel,
			EventCodes: src.EventCodes, SourceWhere: src.Where, Match: match})
	}
	for _, f := range filters {
		out.Notes = append(out.Notes, fmt.Sprintf("filter %s applied", filterName(f)))
	}
	if len(out.Branches) == 0 {
		return nil, &CannotFireError{File: d.File, Line: needLine, Reasons: out.CannotFire}
	}
	out.Columns = c.columns(out)
	out.OrderBy = `"@timestamp", "huntsql.source_file", "huntsql.source_offset"`
	r, err := ruleFor(d)
	if err != nil {
		return nil, err
	}
	r.Query = out.query()
	out.Rule = r
	return out, nil
}

// searchSQL compiles one search identifier on a source; the result is never
// NULL (a missing field makes a test false, so "not" keeps such events).
func (c *ruleCompiler) searchSQL(name string, n *yaml.Node, src *Source) (string, error) {
	e, err := c.searchExpr(name, n, src)
	if err != nil {
		return "", err
	}
	return "coalesce(" + e + ", false)", nil
}

func (c *ruleCompiler) searchExpr(name string, n *yaml.Node, src *Source) (string, error) {
	switch n.Kind {
	case yaml.MappingNode:
		return c.mapExpr(n, src)
	case yaml.SequenceNode:
		var keywords []*yaml.Node
		var terms []string
		for _, item := range n.Content {
			switch item.Kind {
			case yaml.ScalarNode:
				keywords = append(keywords, item)
			case yaml.MappingNode:
				t, err := c.mapExpr(item, src)
				if err != nil {
					return "", err
				}
				terms = append(terms, t)
			default:
				return "", &Error{File: c.doc.File, Line: item.Line, Msg: fmt.Sprintf("search %s: a list holds values or field maps, not nested lists", name)}
			}
		}
		if len(keywords) > 0 {
			t, err := c.matchSQL(&fieldMatch{Values: keywords, Line: keywords[0].Line}, src)
			if err != nil {
				return "", err
			}
			terms = append([]string{t}, terms...)
		}
		if len(terms) == 0 {
			return "", &Error{File: c.doc.File, Line: n.Line, Msg: fmt.Sprintf("search %s is empty", name)}
		}
		if len(terms) == 1 {
			return terms[0], nil
		}
		return "(" + strings.Join(terms, "\n     OR ") + ")", nil
	case yaml.ScalarNode:
		return c.matchSQL(&fieldMatch{Values: []*yaml.Node{n}, Line: n.Line}, src)
	}
	return "", &Error{File: c.doc.File, Line: n.Line, Msg: fmt.Sprintf("search %s must be a map of fields or a list", name)}
}

// mapExpr compiles a field map: every entry must match.
func (c *ruleCompiler) mapExpr(n *yaml.Node, src *Source) (string, error) {
	if len(n.Content) == 0 {
		return "", &Error{File: c.doc.File, Line: n.Line, Msg: "empty field map"}
	}
	var terms []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		parts := strings.Split(k.Value, "|")
		fm := &fieldMatch{Field: parts[0], Mods: parts[1:], Line: k.Line}
		switch v.Kind {
		case yaml.ScalarNode:
			fm.Values = []*yaml.Node{v}
		case yaml.SequenceNode:
			fm.Values = v.Content
		default:
			return "", &Error{File: c.doc.File, Line: v.Line, Msg: fmt.Sprintf("%s: a value must be a single value or a list of values", k.Value)}
		}
		t, err := c.matchSQL(fm, src)
		if err != nil {
			return "", err
		}
		terms = append(terms, t)
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return "(" + strings.Join(terms, "\n     AND ") + ")", nil
}

// condSQL compiles a condition. Each search identifier is compiled once per
// use; a missing identifier or a pattern matching none is an error.
func (c *ruleCompiler) condSQL(cond Cond, searches map[string]*yaml.Node, order []string, src *Source) (string, error) {
	ref := func(name string) (string, error) {
		n, ok := searches[name]
		if !ok {
			return "", fmt.Errorf("condition names %q, which is not a search of this rule", name)
		}
		return c.searchSQL(name, n, src)
	}
	var walk func(Cond) (string, error)
	join := func(cs []Cond, op string) (string, error) {
		var parts []string
		for _, x := range cs {
			s, err := walk(x)
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
		}
		return "(" + strings.Join(parts, "\n  "+op+" ") + ")", nil
	}
	walk = func(x Cond) (string, error) {
		switch x := x.(type) {
		case CondRef:
			return ref(x.Name)
		case CondAnd:
			return join(x, "AND")
		case CondOr:
			return join(x, "OR")
		case CondNot:
			s, err := walk(x.X)
			if err != nil {
				return "", err
			}
			return "NOT " + s, nil
		case CondOf:
			var names []string
			for _, n := range order {
				if x.Pattern == "them" {
					// "them" leaves out identifiers starting with _ (the spec's
					// convention for helper searches).
					if !strings.HasPrefix(n, "_") {
						names = append(names, n)
					}
				} else if ok, _ := path.Match(x.Pattern, n); ok {
					names = append(names, n)
				}
			}
			if len(names) == 0 {
				return "", fmt.Errorf("condition pattern %q matches no search", x.Pattern)
			}
			var parts []string
			for _, n := range names {
				s, err := ref(n)
				if err != nil {
					return "", err
				}
				parts = append(parts, s)
			}
			switch {
			case x.All:
				return "(" + strings.Join(parts, "\n  AND ") + ")", nil
			case x.N == 1:
				return "(" + strings.Join(parts, "\n  OR ") + ")", nil
			case x.N > len(parts):
				return "false", nil
			}
			for i, p := range parts {
				parts[i] = "CAST(" + p + " AS INTEGER)"
			}
			return fmt.Sprintf("(%s) >= %d", strings.Join(parts, " + "), x.N), nil
		}
		return "", fmt.Errorf("unknown condition %T", x)
	}
	return walk(cond)
}

// identifying are the ECS columns shown with each detection when the rule's
// events have them.
var identifying = []string{"process.executable", "process.command_line", "process.parent.executable", "user.name"}

func (c *ruleCompiler) columns(out *Compiled) []Column {
	cols := []Column{{"@timestamp", quoteIdent("@timestamp")}, {"host.name", quoteIdent("host.name")},
		{"event.code", quoteIdent("event.code")}}
	if out.Doc.Logsource.Product == "windows" {
		cols = append(cols, Column{"winlog.channel", quoteIdent("winlog.channel")})
	}
	for _, f := range identifying {
		cols = append(cols, Column{f, quoteIdent(f)})
	}
	// What the rule matched on: each Sigma field it reads, by its Sigma name.
	var names []string
	exprs := map[string]map[string]string{} // field -> source -> expr
	for _, b := range out.Branches {
		for _, col := range c.usedFields[b.Source] {
			if exprs[col.Name] == nil {
				exprs[col.Name] = map[string]string{}
				names = append(names, col.Name)
			}
			exprs[col.Name][b.Source] = col.SQL
		}
	}
	for _, n := range names {
		if strings.HasPrefix(n, "huntsql.") || slices.ContainsFunc(cols, func(col Column) bool { return col.Name == n }) {
			continue
		}
		if len(out.Branches) == 1 {
			cols = append(cols, Column{n, exprs[n][out.Branches[0].Source]})
			continue
		}
		var b strings.Builder
		b.WriteString("CASE")
		for _, br := range out.Branches {
			if e, ok := exprs[n][br.Source]; ok {
				fmt.Fprintf(&b, " WHEN %s THEN %s", br.SourceWhere, e)
			}
		}
		b.WriteString(" END")
		cols = append(cols, Column{n, b.String()})
	}
	cols = append(cols, Column{"huntsql.evidence", `[{'file': "huntsql.source_file", 'offset': "huntsql.source_offset"}]`})
	return cols
}

func (c *Compiled) query() string {
	var b strings.Builder
	fmt.Fprintf(&b, "-- Sigma rule %q, compiled by huntsql from %s.\n", c.Doc.Title, path.Base(c.Doc.File))
	for _, r := range c.CannotFire {
		fmt.Fprintf(&b, "-- %s\n", r)
	}
	b.WriteString("SELECT\n")
	for i, col := range c.Columns {
		sep := ","
		if i == len(c.Columns)-1 {
			sep = ""
		}
		if col.SQL == quoteIdent(col.Name) {
			fmt.Fprintf(&b, "    %s%s\n", col.SQL, sep)
		} else {
			fmt.Fprintf(&b, "    %s AS %s%s\n", col.SQL, quoteIdent(col.Name), sep)
		}
	}
	fmt.Fprintf(&b, "FROM %s\nWHERE ", c.View)
	for i, br := range c.Branches {
		if i > 0 {
			b.WriteString("\n   OR ")
		}
		fmt.Fprintf(&b, "(\n  -- source %s\n  %s\n)", br.Source, br.Where())
	}
	fmt.Fprintf(&b, "\nORDER BY %s", c.OrderBy)
	return b.String()
}

// levels maps Sigma levels to huntsql severities and risk scores (the
// Elastic convention: 21, 47, 73, 99; informational rules score 10).
var levels = map[string]struct {
	severity string
	risk     int
}{
	"informational": {"low", 10},
	"low":           {"low", 21},
	"medium":        {"medium", 47},
	"high":          {"high", 73},
	"critical":      {"critical", 99},
}

// LevelRank orders Sigma levels (informational 0 … critical 4; -1 unknown).
func LevelRank(level string) int {
	return slices.Index([]string{"informational", "low", "medium", "high", "critical"}, strings.ToLower(level))
}

// tactics are the ATT&CK enterprise tactics by their Sigma tag names.
var tactics = map[string][2]string{
	"reconnaissance":       {"TA0043", "Reconnaissance"},
	"resource_development": {"TA0042", "Resource Development"},
	"initial_access":       {"TA0001", "Initial Access"},
	"execution":            {"TA0002", "Execution"},
	"persistence":          {"TA0003", "Persistence"},
	"privilege_escalation": {"TA0004", "Privilege Escalation"},
	"defense_evasion":      {"TA0005", "Defense Evasion"},
	"credential_access":    {"TA0006", "Credential Access"},
	"discovery":            {"TA0007", "Discovery"},
	"lateral_movement":     {"TA0008", "Lateral Movement"},
	"collection":           {"TA0009", "Collection"},
	"exfiltration":         {"TA0010", "Exfiltration"},
	"command_and_control":  {"TA0011", "Command and Control"},
	"impact":               {"TA0040", "Impact"},
}

// ruleFor fills a huntsql rule's metadata from a Sigma document.
func ruleFor(d *Document) (*rules.Rule, error) {
	id := d.ID
	if id == "" {
		id = strings.TrimSuffix(path.Base(d.File), path.Ext(d.File))
	}
	lv, ok := levels[strings.ToLower(d.Level)]
	if !ok {
		if d.Level == "" {
			lv = levels["medium"]
		} else {
			return nil, &Error{File: d.File, Line: d.Line, Msg: fmt.Sprintf("level %q: must be informational, low, medium, high or critical", d.Level)}
		}
	}
	risk := lv.risk
	desc := strings.TrimSpace(d.Description)
	if desc == "" {
		desc = d.Title
	}
	r := &rules.Rule{
		ID: id, Name: d.Title, Description: desc, Severity: lv.severity, RiskScore: &risk,
		Tags: slices.Clone(d.Tags), References: slices.Clone(d.References),
		License: license(d), Threat: threats(d.Tags), Source: d.File,
		Origin: &rules.Origin{ID: d.ID, Language: "sigma", Source: d.File, Status: d.Status,
			Level: d.Level, FalsePositives: slices.Clone(d.FalsePositives)},
	}
	if d.Author != "" {
		for _, a := range strings.Split(d.Author, ",") {
			if a = strings.TrimSpace(a); a != "" {
				r.Author = append(r.Author, a)
			}
		}
	}
	return r, nil
}

// threats maps attack.* tags to ATT&CK: one entry per tactic tag; technique
// tags (attack.t1059, attack.t1059.001) go under the first tactic, since a
// Sigma rule does not say which tactic each technique serves.
func threats(tags []string) []rules.Threat {
	var out []rules.Threat
	techs := map[string][]string{}
	var techOrder []string
	for _, t := range tags {
		t = strings.ToLower(t)
		name, ok := strings.CutPrefix(t, "attack.")
		if !ok {
			continue
		}
		if ta, ok := tactics[strings.ReplaceAll(name, "-", "_")]; ok {
			if !slices.ContainsFunc(out, func(x rules.Threat) bool { return x.Tactic.ID == ta[0] }) {
				out = append(out, rules.Threat{Framework: "MITRE ATT&CK", Tactic: rules.Ref{ID: ta[0], Name: ta[1],
					Reference: "https://attack.mitre.org/tactics/" + ta[0] + "/"}})
			}
			continue
		}
		if len(name) >= 5 && name[0] == 't' && isDigits(name[1:5]) {
			tech := "T" + name[1:5]
			if _, ok := techs[tech]; !ok {
				techOrder = append(techOrder, tech)
				techs[tech] = nil
			}
			if len(name) == 9 && name[5] == '.' && isDigits(name[6:9]) {
				techs[tech] = append(techs[tech], tech+"."+name[6:9])
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	sort.Strings(techOrder)
	for _, tech := range techOrder {
		t := rules.Technique{Ref: rules.Ref{ID: tech, Reference: "https://attack.mitre.org/techniques/" + tech + "/"}}
		subs := techs[tech]
		slices.Sort(subs)
		for _, s := range slices.Compact(subs) {
			t.Subtechnique = append(t.Subtechnique, rules.Ref{ID: s,
				Reference: "https://attack.mitre.org/techniques/" + strings.ReplaceAll(s, ".", "/") + "/"})
		}
		out[0].Technique = append(out[0].Technique, t)
	}
	return out
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// applicableFilters returns the filters that apply to a rule: those naming
// it (by id, name or title) or naming no rule, whose logsource keys all equal
// the rule's.
func applicableFilters(d *Document, filters []*Document) []*Document {
	var out []*Document
	for _, f := range filters {
		if f.Filter == nil {
			continue
		}
		ls := f.Logsource
		if (ls.Product != "" && ls.Product != d.Logsource.Product) ||
			(ls.Category != "" && ls.Category != d.Logsource.Category) ||
			(ls.Service != "" && ls.Service != d.Logsource.Service) {
			continue
		}
		if len(f.Filter.Rules) > 0 && !slices.ContainsFunc(f.Filter.Rules, func(r string) bool {
			return r != "" && (r == d.ID || r == d.Name || r == d.Title)
		}) {
			continue
		}
		out = append(out, f)
	}
	return out
}

func filterName(f *Document) string {
	if f.ID != "" {
		return f.ID
	}
	if f.Title != "" {
		return fmt.Sprintf("%q", f.Title)
	}
	return path.Base(f.File)
}

// filterSQL compiles a filter's condition on a source; the rule's match is
// ANDed with it (filters say "and not …" in their own condition).
func (c *ruleCompiler) filterSQL(f *Document, src *Source) (string, error) {
	fs := f.Filter
	if fs.Condition == "" {
		return "", &Error{File: f.File, Line: fs.Line, Msg: "filter has no condition"}
	}
	cond, err := ParseCondition(fs.Condition)
	if err != nil {
		return "", &Error{File: f.File, Line: fs.Line, Msg: err.Error()}
	}
	fc := &ruleCompiler{doc: f, opts: c.opts, usedFields: c.usedFields}
	return fc.condSQL(cond, fs.Searches, fs.Order, src)
}

// license is the rule's own licence, else SigmaHQ's (the Detection Rule
// License), under which the public corpus is published.
func license(d *Document) string {
	if d.License != "" {
		return d.License
	}
	return "DRL-1.1"
}
