package winevent

import (
	"slices"
	"strings"

	schema "huntsql/sql"
)

// The mapping as data: each provider's event ids are registered with their
// categorization (as Elastic's integrations set it) and a list of parts, each
// part naming the ECS columns it can fill and the code that fills them. The
// same definitions run on every event and answer Fields and Mappings, which
// docs/windows.md's tables and Sigma coverage are checked against.

// Mapping is what one provider's event id maps to.
type Mapping struct {
	Provider string
	EventID  string
	Action   string   // event.action
	Category []string // event.category
	Type     []string // event.type
	// Outcome is a fixed event.outcome; "" when it comes from the audit
	// keywords (ProviderDefaults lists event.outcome then) or is not set.
	Outcome string
	// Fields lists the ECS columns the event can fill beyond CommonFields and
	// the provider's defaults (ProviderDefaults), in schema order. A column is
	// filled only when the event carries the value.
	Fields []string
}

// CommonFields lists the columns Mapper.Append fills for every Windows event,
// whatever its provider (provenance columns aside).
var CommonFields = []string{
	schema.Timestamp, "message", "event.kind", "event.code", "event.module", "event.dataset",
	"event.provider", "data_stream.type", "data_stream.dataset", "host.name", "host.os.type",
	"winlog.channel", "winlog.provider_name", "winlog.provider_guid", "winlog.event_id",
	"winlog.record_id", "winlog.computer_name", "winlog.version", "winlog.task", "winlog.opcode",
	"winlog.event_data", schema.Original,
}

// part is one step of an event's mapping: the columns it may fill and how.
type part struct {
	cols  []string
	apply mapFunc
}

// spec is the mapping of one provider's event id.
type spec struct {
	action   string
	category []string
	typ      []string
	outcome  string
	parts    []part
}

// specs holds every registered spec, by provider then event id.
var specs = map[string]map[string]*spec{}

// defaults holds each provider's default part: what applies to every event of
// the provider, mapped or not (registered with setDefault).
var defaults = map[string]part{}

// fallbacks declares, per provider, the columns its default part fills on
// the events that have no mapping of their own (the default's code decides).
var fallbacks = map[string][]string{}

// register installs s as the mapping of provider's eventID.
func register(provider, eventID string, s spec) {
	if specs[provider] == nil {
		specs[provider] = map[string]*spec{}
		if byProvider[provider] == nil {
			byProvider[provider] = map[string]mapFunc{}
		}
	}
	if _, dup := specs[provider][eventID]; dup {
		panic("winevent: " + provider + " event " + eventID + " registered twice")
	}
	for _, p := range s.parts {
		for _, c := range p.cols {
			Col(c) // a typo panics at init, so every test fails at once
		}
	}
	sp := &s
	specs[provider][eventID] = sp
	byProvider[provider][eventID] = sp.run
}

// setDefault installs p as what applies to every event of provider.
func setDefault(provider string, p part) {
	for _, c := range p.cols {
		Col(c)
	}
	defaults[provider] = p
	byDefault[provider] = p.apply
	if byProvider[provider] == nil {
		byProvider[provider] = map[string]mapFunc{}
	}
}

// run applies the spec to one event.
func (s *spec) run(o *Out, ev *Event) {
	o.rel.reset()
	if s.action != "" {
		o.B.SetString(cEventAction, s.action)
	}
	if len(s.category) > 0 {
		o.List(cEventCategory, s.category)
	}
	if len(s.typ) > 0 {
		o.List(cEventType, s.typ)
	}
	if s.outcome != "" {
		o.B.SetString(cEventOutcome, s.outcome)
	}
	for _, p := range s.parts {
		p.apply(o, ev)
	}
	o.rel.flush(o)
}

// Fields returns the ECS columns an event of provider and eventID can fill
// beyond CommonFields: the provider's defaults and the event's own mapping,
// in schema order. It is nil for a provider huntsql does not map.
func Fields(provider, eventID string) []string {
	d, hasDefault := defaults[provider]
	s := specs[provider][eventID]
	if !hasDefault && s == nil {
		return nil
	}
	cols := slices.Clone(d.cols)
	if s != nil {
		cols = append(cols, s.columns()...)
	} else {
		cols = append(cols, fallbacks[provider]...)
	}
	return inSchemaOrder(cols)
}

// ProviderDefaults returns the columns every event of provider can fill
// beyond CommonFields, mapped event id or not.
func ProviderDefaults(provider string) []string {
	return inSchemaOrder(slices.Clone(defaults[provider].cols))
}

// UnmappedFields returns the columns an event of provider that has no
// mapping of its own can fill beyond ProviderDefaults.
func UnmappedFields(provider string) []string {
	return inSchemaOrder(slices.Clone(fallbacks[provider]))
}

// Mappings lists every mapped provider and event id, by provider then
// numeric event id.
func Mappings() []Mapping {
	var out []Mapping
	for provider, byID := range specs {
		for id, s := range byID {
			out = append(out, Mapping{
				Provider: provider, EventID: id, Action: s.action,
				Category: s.category, Type: s.typ, Outcome: s.outcome,
				Fields: inSchemaOrder(s.columns()),
			})
		}
	}
	slices.SortFunc(out, func(a, b Mapping) int {
		if c := strings.Compare(a.Provider, b.Provider); c != 0 {
			return c
		}
		if c := len(a.EventID) - len(b.EventID); c != 0 {
			return c
		}
		return strings.Compare(a.EventID, b.EventID)
	})
	return out
}

func (s *spec) columns() []string {
	var cols []string
	if s.action != "" {
		cols = append(cols, "event.action")
	}
	if len(s.category) > 0 {
		cols = append(cols, "event.category")
	}
	if len(s.typ) > 0 {
		cols = append(cols, "event.type")
	}
	if s.outcome != "" {
		cols = append(cols, "event.outcome")
	}
	for _, p := range s.parts {
		cols = append(cols, p.cols...)
	}
	return cols
}

// inSchemaOrder sorts column names by their archive position, without repeats.
func inSchemaOrder(cols []string) []string {
	slices.SortFunc(cols, func(a, b string) int { return Col(a) - Col(b) })
	return slices.Compact(cols)
}

// related gathers the related.* values of one event, without repeats; its
// slices keep their storage from event to event.
type related struct{ user, ip, hash, hosts []string }

func (r *related) reset() {
	r.user, r.ip, r.hash, r.hosts = r.user[:0], r.ip[:0], r.hash[:0], r.hosts[:0]
}

func addUnique(list []string, v string) []string {
	if v == "" || v == "-" || slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

func (r *related) flush(o *Out) {
	o.List(cRelatedUser, r.user)
	o.List(cRelatedIP, r.ip)
	o.List(cRelatedHash, r.hash)
	o.List(cRelatedHosts, r.hosts)
}

// absent reports whether an EventData value means "no value": empty, "-", or
// the zero GUID (as Elastic's Sysmon pipeline drops them).
func absent(v string) bool {
	return v == "" || v == "-" || v == "{00000000-0000-0000-0000-000000000000}"
}

// str sets a VARCHAR column unless v is absent.
func (o *Out) str(ci int, v string) {
	if !absent(v) {
		o.B.SetString(ci, v)
	}
}

// exe sets an executable column and its name column (the text after the last
// backslash, when there is one, as Elastic derives process.name).
func (o *Out) exe(exeCol, nameCol int, v string) {
	if absent(v) {
		return
	}
	o.B.SetString(exeCol, v)
	if i := strings.LastIndexByte(v, '\\'); i >= 0 && i+1 < len(v) {
		o.B.SetString(nameCol, v[i+1:])
	}
}

// cmdline sets a command line and its arguments as CommandLineToArgvW splits it.
func (o *Out) cmdline(cmdCol, argsCol, countCol int, v string) {
	if absent(v) {
		return
	}
	o.B.SetString(cmdCol, v)
	args := CommandLineToArgv(v)
	o.List(argsCol, args)
	o.B.SetInt(countCol, int64(len(args)))
}

// filePath sets file.path and, when it has a directory, file.name,
// file.directory and file.extension (the name's text after its last dot).
func (o *Out) filePath(v string) {
	if absent(v) {
		return
	}
	o.B.SetString(cFilePath, v)
	i := strings.LastIndexByte(v, '\\')
	if i < 0 || len(v) < 2 {
		return
	}
	name := v[i+1:]
	o.B.SetString(cFileName, name)
	o.B.SetString(cFileDirectory, v[:i])
	if j := strings.LastIndexByte(name, '.'); j >= 0 && j+1 < len(name) {
		o.B.SetString(cFileExtension, name[j+1:])
	}
}

// ip sets an IP address column (an IPv4-mapped IPv6 address as IPv4, as
// Elastic writes it) and adds it to related.ip.
func (o *Out) ip(ci int, v string) {
	if absent(v) {
		return
	}
	v = unmapIPv4(v)
	o.B.SetString(ci, v)
	o.rel.ip = addUnique(o.rel.ip, v)
}

func unmapIPv4(v string) string {
	if len(v) > 7 && strings.EqualFold(v[:7], "::ffff:") && strings.IndexByte(v[7:], ':') < 0 && strings.IndexByte(v[7:], '.') > 0 {
		return v[7:]
	}
	return v
}

// port sets a port column from decimal digits.
func (o *Out) port(ci int, field, v string) {
	if !absent(v) {
		o.Int(ci, field, v, false)
	}
}

// hashCols names the columns a Hashes value fills; -1 for none.
type hashCols struct{ md5, sha1, sha256, imphash int }

// hashes reads a Sysmon Hashes value (SHA1=…,MD5=…,SHA256=…,IMPHASH=…): each
// hash, lower-cased, goes to its column and to related.hash; empty and
// all-zero hashes are skipped, as Elastic skips them.
func (o *Out) hashes(v string, to hashCols) {
	for v != "" {
		item := v
		if i := strings.IndexByte(v, ','); i >= 0 {
			item, v = v[:i], v[i+1:]
		} else {
			v = ""
		}
		eq := strings.IndexByte(item, '=')
		if eq < 0 {
			continue
		}
		algo, h := item[:eq], strings.ToLower(strings.TrimSpace(item[eq+1:]))
		if strings.Trim(h, "0") == "" {
			continue
		}
		ci := -1
		switch {
		case strings.EqualFold(algo, "MD5"):
			ci = to.md5
		case strings.EqualFold(algo, "SHA1"):
			ci = to.sha1
		case strings.EqualFold(algo, "SHA256"):
			ci = to.sha256
		case strings.EqualFold(algo, "IMPHASH"):
			ci = to.imphash
		}
		if ci >= 0 {
			o.B.SetString(ci, h)
		}
		o.rel.hash = addUnique(o.rel.hash, h)
	}
}

var (
	cEventOutcome  = Col("event.outcome")
	cRelatedIP     = Col("related.ip")
	cRelatedHash   = Col("related.hash")
	cRelatedHosts  = Col("related.hosts")
	cFilePath      = Col("file.path")
	cFileName      = Col("file.name")
	cFileDirectory = Col("file.directory")
	cFileExtension = Col("file.extension")
)
