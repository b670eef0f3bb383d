package sigma

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Document is one YAML document of a Sigma file: a detection rule, a
// correlation rule or a filter.
type Document struct {
	File string // path as given, for messages
	Line int    // line of the document's first key

	Kind           string // "rule", "correlation" or "filter"
	Title          string
	ID             string
	Name           string // correlation rules refer to rules by id or name
	Status         string
	Description    string
	Author         string
	Date           string
	Modified       string
	Level          string
	License        string
	References     []string
	Tags           []string
	FalsePositives []string
	Fields         []string
	Logsource      Logsource

	Detection   *Detection
	Correlation *CorrelationSpec
	Filter      *FilterSpec

	// Notes are non-fatal findings (unknown keys), already located.
	Notes []string
}

// Logsource is a rule's logsource.
type Logsource struct {
	Product  string
	Category string
	Service  string
	Line     int
}

func (l Logsource) String() string {
	var parts []string
	for _, kv := range [][2]string{{"product", l.Product}, {"category", l.Category}, {"service", l.Service}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	if len(parts) == 0 {
		return "(none)"
	}
	return strings.Join(parts, " ")
}

// Detection is a rule's detection section: named searches and a condition.
type Detection struct {
	Searches      map[string]*yaml.Node // search identifier -> its YAML
	Order         []string              // search identifiers in file order
	Conditions    []string              // several conditions are ORed (old style)
	ConditionLine int
	Timeframe     string
	Line          int
}

// CorrelationSpec is the correlation section of a correlation rule.
type CorrelationSpec struct {
	Type      string
	Rules     []string
	GroupBy   []string
	Timespan  string
	Ordered   bool
	Generate  bool
	Aliases   map[string]map[string]string // alias -> rule -> field
	Condition map[string]*yaml.Node        // gte: 5, field: x …
	KeyLines  map[string]int               // line of each key (rules, timespan, …)
	Line      int
}

// FilterSpec is a Sigma filter: global exclusions for the rules it names.
type FilterSpec struct {
	Rules     []string
	Searches  map[string]*yaml.Node
	Order     []string
	Condition string
	Line      int
}

// Error is a problem in a Sigma file at a line (0 when unknown).
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

// ParseFile reads every document of a Sigma YAML file. A document that fails
// to parse is reported in the joined error; the others are returned.
func ParseFile(name string, data []byte) ([]*Document, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*Document
	var errs []error
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, yamlError(name, err))
			break
		}
		if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
			n = *n.Content[0]
		}
		if n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
			continue // empty document (a trailing ---)
		}
		d, err := parseDocument(name, &n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		docs = append(docs, d)
	}
	return docs, errors.Join(errs...)
}

// yamlError turns the YAML library's "yaml: line N: msg" into file:N: msg.
func yamlError(name string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "unmarshal errors:\n"); ok {
		// Strict decoding: report the first problem, without Go's type names.
		msg, _, _ = strings.Cut(strings.TrimSpace(rest), "\n")
		msg, _, _ = strings.Cut(msg, " in type ")
	}
	var line int
	if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr == nil {
		_, rest, _ := strings.Cut(msg, ":")
		return &Error{File: name, Line: line, Msg: strings.TrimSpace(rest)}
	}
	return &Error{File: name, Msg: msg}
}

var knownKeys = []string{"title", "id", "name", "related", "status", "description", "license", "author",
	"date", "modified", "references", "tags", "falsepositives", "level", "fields", "logsource",
	"detection", "correlation", "filter", "scope", "taxonomy", "regression_tests_path", "simulation"}

func parseDocument(file string, n *yaml.Node) (*Document, error) {
	if n.Kind != yaml.MappingNode {
		return nil, &Error{File: file, Line: n.Line, Msg: "a Sigma document must be a mapping"}
	}
	d := &Document{File: file, Line: n.Line, Kind: "rule"}
	bad := func(line int, format string, args ...any) error {
		return &Error{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	var errs []error
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var err error
		switch k.Value {
		case "title":
			d.Title, err = scalar(file, k.Value, v)
		case "id":
			d.ID, err = scalar(file, k.Value, v)
		case "name":
			d.Name, err = scalar(file, k.Value, v)
		case "status":
			d.Status, err = scalar(file, k.Value, v)
		case "description":
			d.Description, err = scalar(file, k.Value, v)
		case "author":
			d.Author, err = scalar(file, k.Value, v)
		case "date":
			d.Date, err = scalar(file, k.Value, v)
		case "modified":
			d.Modified, err = scalar(file, k.Value, v)
		case "level":
			d.Level, err = scalar(file, k.Value, v)
		case "license":
			d.License, err = scalar(file, k.Value, v)
		case "references":
			d.References, err = stringList(file, k.Value, v)
		case "tags":
			d.Tags, err = stringList(file, k.Value, v)
		case "falsepositives":
			d.FalsePositives, err = stringList(file, k.Value, v)
		case "fields":
			d.Fields, err = stringList(file, k.Value, v)
		case "logsource":
			d.Logsource, err = parseLogsource(file, v)
		case "detection":
			d.Detection, err = parseDetection(file, v)
		case "correlation":
			d.Kind = "correlation"
			d.Correlation, err = parseCorrelation(file, v)
		case "filter":
			d.Kind = "filter"
			d.Filter, err = parseFilter(file, v)
		default:
			if !slices.Contains(knownKeys, k.Value) {
				d.Notes = append(d.Notes, fmt.Sprintf("%s:%d: unknown key %q ignored", file, k.Line, k.Value))
			}
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	switch d.Kind {
	case "rule":
		if d.Detection == nil {
			return nil, bad(d.Line, "no detection section (a rule needs detection, a correlation rule correlation, a filter filter)")
		}
	case "filter":
		if d.Filter.Searches == nil && d.Detection != nil {
			// Sigma v2 filters put their searches under filter: itself; accept
			// a detection section too.
			d.Filter.Searches, d.Filter.Order = d.Detection.Searches, d.Detection.Order
			if d.Filter.Condition == "" && len(d.Detection.Conditions) == 1 {
				d.Filter.Condition = d.Detection.Conditions[0]
			}
		}
	}
	if d.Title == "" && d.Kind != "filter" {
		return nil, bad(d.Line, "missing title")
	}
	return d, nil
}

func scalar(file, key string, v *yaml.Node) (string, error) {
	if v.Kind != yaml.ScalarNode {
		return "", &Error{File: file, Line: v.Line, Msg: fmt.Sprintf("%s must be a single value", key)}
	}
	if v.Tag == "!!null" {
		return "", nil
	}
	return v.Value, nil
}

func stringList(file, key string, v *yaml.Node) ([]string, error) {
	if v.Kind == yaml.ScalarNode {
		if v.Tag == "!!null" {
			return nil, nil
		}
		return []string{v.Value}, nil
	}
	if v.Kind != yaml.SequenceNode {
		return nil, &Error{File: file, Line: v.Line, Msg: fmt.Sprintf("%s must be a list", key)}
	}
	var out []string
	for _, e := range v.Content {
		if e.Kind != yaml.ScalarNode {
			return nil, &Error{File: file, Line: e.Line, Msg: fmt.Sprintf("%s: entries must be single values", key)}
		}
		out = append(out, e.Value)
	}
	return out, nil
}

func parseLogsource(file string, v *yaml.Node) (Logsource, error) {
	l := Logsource{Line: v.Line}
	if v.Kind != yaml.MappingNode {
		return l, &Error{File: file, Line: v.Line, Msg: "logsource must be a mapping"}
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		s, err := scalar(file, "logsource."+k.Value, val)
		if err != nil {
			return l, err
		}
		switch k.Value {
		case "product":
			l.Product = strings.ToLower(s)
		case "category":
			l.Category = strings.ToLower(s)
		case "service":
			l.Service = strings.ToLower(s)
		}
	}
	return l, nil
}

func parseDetection(file string, v *yaml.Node) (*Detection, error) {
	if v.Kind != yaml.MappingNode {
		return nil, &Error{File: file, Line: v.Line, Msg: "detection must be a mapping"}
	}
	d := &Detection{Searches: map[string]*yaml.Node{}, Line: v.Line}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		switch k.Value {
		case "condition":
			d.ConditionLine = val.Line
			switch val.Kind {
			case yaml.ScalarNode:
				d.Conditions = []string{val.Value}
			case yaml.SequenceNode:
				for _, c := range val.Content {
					if c.Kind != yaml.ScalarNode {
						return nil, &Error{File: file, Line: c.Line, Msg: "condition: entries must be text"}
					}
					d.Conditions = append(d.Conditions, c.Value)
				}
			default:
				return nil, &Error{File: file, Line: val.Line, Msg: "condition must be text or a list of text"}
			}
		case "timeframe":
			d.Timeframe = val.Value
		default:
			if _, dup := d.Searches[k.Value]; dup {
				return nil, &Error{File: file, Line: k.Line, Msg: fmt.Sprintf("search identifier %q defined twice", k.Value)}
			}
			d.Searches[k.Value] = val
			d.Order = append(d.Order, k.Value)
		}
	}
	if len(d.Conditions) == 0 {
		return nil, &Error{File: file, Line: v.Line, Msg: "detection has no condition"}
	}
	return d, nil
}

func parseCorrelation(file string, v *yaml.Node) (*CorrelationSpec, error) {
	if v.Kind != yaml.MappingNode {
		return nil, &Error{File: file, Line: v.Line, Msg: "correlation must be a mapping"}
	}
	c := &CorrelationSpec{Line: v.Line, KeyLines: map[string]int{}}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		c.KeyLines[k.Value] = k.Line
		var err error
		switch k.Value {
		case "type":
			c.Type, err = scalar(file, "correlation.type", val)
		case "rules":
			c.Rules, err = stringList(file, "correlation.rules", val)
		case "group-by":
			c.GroupBy, err = stringList(file, "correlation.group-by", val)
		case "timespan", "timeframe":
			c.Timespan, err = scalar(file, "correlation.timespan", val)
		case "ordered":
			c.Ordered = val.Value == "true"
		case "generate":
			c.Generate = val.Value == "true"
		case "aliases":
			c.Aliases = map[string]map[string]string{}
			if val.Kind != yaml.MappingNode {
				return nil, &Error{File: file, Line: val.Line, Msg: "correlation.aliases must be a mapping"}
			}
			for j := 0; j+1 < len(val.Content); j += 2 {
				alias, m := val.Content[j], val.Content[j+1]
				if m.Kind != yaml.MappingNode {
					return nil, &Error{File: file, Line: m.Line, Msg: fmt.Sprintf("correlation.aliases.%s must map rule names to fields", alias.Value)}
				}
				c.Aliases[alias.Value] = map[string]string{}
				for l := 0; l+1 < len(m.Content); l += 2 {
					c.Aliases[alias.Value][m.Content[l].Value] = m.Content[l+1].Value
				}
			}
		case "condition":
			c.Condition = map[string]*yaml.Node{}
			if val.Kind != yaml.MappingNode {
				return nil, &Error{File: file, Line: val.Line, Msg: "correlation.condition must be a mapping (gte: 10)"}
			}
			for j := 0; j+1 < len(val.Content); j += 2 {
				c.Condition[val.Content[j].Value] = val.Content[j+1]
			}
		default:
			return nil, &Error{File: file, Line: k.Line, Msg: fmt.Sprintf("unknown correlation key %q", k.Value)}
		}
		if err != nil {
			return nil, err
		}
	}
	return c, nil
}

func parseFilter(file string, v *yaml.Node) (*FilterSpec, error) {
	if v.Kind != yaml.MappingNode {
		return nil, &Error{File: file, Line: v.Line, Msg: "filter must be a mapping"}
	}
	f := &FilterSpec{Line: v.Line, Searches: map[string]*yaml.Node{}}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		switch k.Value {
		case "rules":
			rs, err := stringList(file, "filter.rules", val)
			if err != nil {
				return nil, err
			}
			f.Rules = rs
		case "condition":
			f.Condition = val.Value
		default:
			f.Searches[k.Value] = val
			f.Order = append(f.Order, k.Value)
		}
	}
	if len(f.Order) == 0 {
		f.Searches = nil
	}
	return f, nil
}
