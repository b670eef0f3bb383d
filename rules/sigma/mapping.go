package sigma

import (
	_ "embed"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	yaml "go.yaml.in/yaml/v3"

	schema "huntsql/sql"
)

//go:embed mapping.yml
var builtinMapping []byte

// Mapping says where each Sigma logsource's events are in the archive and how
// to compute each Sigma field there (mapping.yml documents the format).
type Mapping struct {
	Sources []*Source
}

// Source is one kind of archived event that can satisfy a Sigma logsource.
type Source struct {
	Name         string
	Logsource    Logsource
	Where        string   // SQL condition selecting the source's events
	Channel      string   // Windows channel, when there is one
	EventCodes   []string // event.code values the source holds; empty: any
	EventData    []string
	EventDataAny bool
	Fields       map[string]string // Sigma field -> SQL expression (VARCHAR)
}

type mappingFile struct {
	FieldSets map[string]map[string]fieldSpec `yaml:"field_sets"`
	Sources   []struct {
		Name         string               `yaml:"name"`
		Logsource    map[string]string    `yaml:"logsource"`
		Where        string               `yaml:"where"`
		Channel      string               `yaml:"channel"`
		EventCodes   []string             `yaml:"event_codes"`
		Use          []string             `yaml:"use"`
		EventData    []string             `yaml:"event_data"`
		EventDataAny bool                 `yaml:"event_data_any"`
		Fields       map[string]fieldSpec `yaml:"fields"`
	} `yaml:"sources"`
}

type fieldSpec struct {
	EventData string `yaml:"event_data"`
	Column    string `yaml:"column"`
	SQL       string `yaml:"sql"`
}

func (f fieldSpec) expr() (string, error) {
	n := 0
	var e string
	if f.EventData != "" {
		n++
		e = eventData(f.EventData)
	}
	if f.Column != "" {
		n++
		e = column(f.Column)
	}
	if f.SQL != "" {
		n++
		e = f.SQL
	}
	if n != 1 {
		return "", fmt.Errorf("give exactly one of event_data, column, sql")
	}
	return e, nil
}

func eventData(name string) string {
	return `"winlog.event_data"[` + quote(name) + `]`
}

// column reads an archive column as text, so that every field compares alike.
func column(name string) string {
	f, ok := schemaField(name)
	if ok && f.Kind != schema.String {
		return `CAST(` + quoteIdent(name) + ` AS VARCHAR)`
	}
	return quoteIdent(name)
}

func schemaField(name string) (schema.Field, bool) {
	for _, f := range schema.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return schema.Field{}, false
}

// ParseMapping reads a mapping file (the format of the embedded mapping.yml).
func ParseMapping(name string, data []byte) (*Mapping, error) {
	var mf mappingFile
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&mf); err != nil {
		return nil, yamlError(name, err)
	}
	m := &Mapping{}
	seen := map[string]bool{}
	for _, s := range mf.Sources {
		if s.Name == "" || s.Where == "" {
			return nil, fmt.Errorf("%s: every source needs a name and a where", name)
		}
		if seen[s.Name] {
			return nil, fmt.Errorf("%s: source %q defined twice", name, s.Name)
		}
		seen[s.Name] = true
		src := &Source{Name: s.Name, Where: s.Where, Channel: s.Channel, EventCodes: s.EventCodes,
			EventData: s.EventData, EventDataAny: s.EventDataAny, Fields: map[string]string{}}
		for k, v := range s.Logsource {
			switch k {
			case "product":
				src.Logsource.Product = strings.ToLower(v)
			case "category":
				src.Logsource.Category = strings.ToLower(v)
			case "service":
				src.Logsource.Service = strings.ToLower(v)
			default:
				return nil, fmt.Errorf("%s: source %s: unknown logsource key %q", name, s.Name, k)
			}
		}
		for _, set := range s.Use {
			fs, ok := mf.FieldSets[set]
			if !ok {
				return nil, fmt.Errorf("%s: source %s: unknown field set %q", name, s.Name, set)
			}
			for k, v := range fs {
				e, err := v.expr()
				if err != nil {
					return nil, fmt.Errorf("%s: field set %s: %s: %v", name, set, k, err)
				}
				src.Fields[k] = e
			}
		}
		for _, k := range s.EventData {
			src.Fields[k] = eventData(k)
		}
		for k, v := range s.Fields {
			e, err := v.expr()
			if err != nil {
				return nil, fmt.Errorf("%s: source %s: field %s: %v", name, s.Name, k, err)
			}
			src.Fields[k] = e
		}
		m.Sources = append(m.Sources, src)
	}
	return m, nil
}

var (
	defaultOnce    sync.Once
	defaultMapping *Mapping
)

// DefaultMapping is the embedded mapping.
func DefaultMapping() *Mapping {
	defaultOnce.Do(func() {
		m, err := ParseMapping("mapping.yml", builtinMapping)
		if err != nil {
			panic("sigma: embedded mapping: " + err.Error())
		}
		defaultMapping = m
	})
	return defaultMapping
}

// Extend returns the mapping with other's sources added; a source of the same
// name replaces the existing one in place.
func (m *Mapping) Extend(other *Mapping) *Mapping {
	out := &Mapping{Sources: slices.Clone(m.Sources)}
	for _, s := range other.Sources {
		i := slices.IndexFunc(out.Sources, func(e *Source) bool { return e.Name == s.Name })
		if i >= 0 {
			out.Sources[i] = s
		} else {
			out.Sources = append(out.Sources, s)
		}
	}
	return out
}

// SourcesFor returns the sources that serve a rule's logsource: each key the
// source gives must equal the rule's, and the rule must give every key the
// source gives (a rule for product=windows alone is not a process_creation rule).
func (m *Mapping) SourcesFor(l Logsource) []*Source {
	var out []*Source
	for _, s := range m.Sources {
		if s.Logsource == (Logsource{Product: l.Product, Category: l.Category, Service: l.Service}) {
			out = append(out, s)
		}
	}
	return out
}

var quotedIdent = regexp.MustCompile(`"([^"]+)"`)

// Field returns the SQL expression for a Sigma field on this source, or a
// reason why the source cannot supply it.
func (s *Source) Field(name string) (string, error) {
	e, ok := s.Fields[name]
	if !ok {
		// Field names are case-sensitive in Sigma, but the corpus is not
		// always consistent (commandline vs CommandLine): accept a
		// case-insensitive unique match.
		for k, v := range s.Fields {
			if strings.EqualFold(k, name) {
				e, ok = v, true
				break
			}
		}
	}
	if !ok {
		if s.EventDataAny && validEventDataName(name) {
			return eventData(name), nil
		}
		return "", fmt.Errorf("needs %s", name)
	}
	// A column the archive schema lacks cannot be read.
	for _, m := range quotedIdent.FindAllStringSubmatch(e, -1) {
		if _, ok := schemaField(m[1]); !ok {
			return "", fmt.Errorf("needs %s (archive column %q not in this huntsql's schema)", name, m[1])
		}
	}
	return e, nil
}

func validEventDataName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if !(r == '_' || r == '-' || r == '.' || r == ' ' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
