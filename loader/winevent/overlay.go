package winevent

import (
	"strings"

	"huntsql/loader/rows"
	schema "huntsql/sql"
)

// Overlay re-maps the last row of b, already written by another decoder (the
// ECS normalizer, for winlogbeat and Elastic Agent documents), as the Windows
// event ev, so that the same event gives the same columns by every route.
//
// When the mapping knows ev's provider (by name, or by channel when the event
// names none), the mapping is authoritative for the columns that say who did
// what: every process.* and user.* column, related.user, event.action,
// event.category and event.type. They are cleared, then set as Append sets
// them, so a column the mapping leaves NULL there is NULL by every route.
// Other columns the mapping sets (file.*, registry.*, source.*, …) are
// overwritten; where it sets nothing the document's value stays, since
// winlogbeat's pipelines move some EventData fields into those columns and
// leave no trace of them in winlog.event_data. For providers the mapping does
// not know, the row keeps what the document said.
//
// The System columns (event.code, host.name, winlog.*, event.dataset, …) are
// filled only where the row lacks them: a winlogbeat document's own values
// win there (its host.name may be the collector's for forwarded events, as
// winlogbeat intends). Warnings are appended to huntsql.warnings.
func (m *Mapper) Overlay(ev *Event, b *rows.Batch) {
	m.B = b
	m.warn = m.warn[:0]
	row := b.Len - 1
	fill := func(ci int, v string) {
		if v != "" && !b.Has(ci, row) {
			b.SetString(ci, v)
		}
	}
	fill(cHostName, ev.Computer)
	fill(cComputer, ev.Computer)
	fill(cHostOSType, "windows")
	fill(cEventKind, "event")
	fill(cEventCode, ev.EventID)
	fill(cEventID, ev.EventID)
	fill(cEventProvider, ev.Provider)
	fill(cProviderName, ev.Provider)
	fill(cProviderGUID, ev.ProviderGUID)
	fill(cChannel, ev.Channel)
	if module, dataset := DatasetOf(ev.Channel); dataset != "" {
		fill(cEventModule, module)
		fill(cEventDataset, dataset)
		fill(cDSDataset, dataset)
		fill(cDSType, "logs")
	}
	if !b.Has(cRecordID, row) {
		m.Int(cRecordID, "EventRecordID", ev.RecordID, false)
	}
	if !b.Has(cEventData, row) && len(ev.Data) > 0 {
		kv := make([]rows.KV, len(ev.Data))
		for i, d := range ev.Data {
			kv[i] = rows.KV{K: d.Name, V: d.Value}
		}
		b.SetMap(cEventData, kv)
	}

	provider := providerOf(ev)
	if provider != "" {
		for _, ci := range owned {
			b.Unset(ci)
		}
		if fn := byDefault[provider]; fn != nil {
			fn(&m.Out, ev)
		}
		if fn := byProvider[provider][ev.EventID]; fn != nil {
			fn(&m.Out, ev)
		}
	}
	for _, w := range m.warn {
		b.AppendList(cWarnings, row, w)
	}
}

// owned are the columns the Windows mapping is authoritative for in Overlay.
var owned = func() []int {
	var cols []int
	for i, f := range schema.Fields {
		switch {
		case strings.HasPrefix(f.Name, "process."), strings.HasPrefix(f.Name, "user."),
			f.Name == "related.user", f.Name == "event.action", f.Name == "event.category", f.Name == "event.type":
			cols = append(cols, i)
		}
	}
	return cols
}()
