// Package winevent is the Windows event model every Windows route shares (event
// XML, native .evtx, evtx_dump JSON, flat NXLog/OTRF JSON, Splunk's classic
// text, winlogbeat) and its one mapping to the archive's ECS columns, per
// provider and event id. A decoder fills an Event; Mapper.Append writes the row.
package winevent

// KV is one EventData (or flattened UserData) name/value pair.
type KV struct{ Name, Value string }

// Event is one Windows event: the System header and its data, as the event's
// XML rendering has them. Every field is the text the XML would hold; empty
// means absent.
type Event struct {
	Provider     string // System/Provider/@Name
	ProviderGUID string // System/Provider/@Guid
	EventSource  string // System/Provider/@EventSourceName
	EventID      string // System/EventID, decimal
	Qualifiers   string // System/EventID/@Qualifiers
	Version      string
	Level        string
	Task         string
	Opcode       string
	Keywords     string
	// TimeCreated is System/TimeCreated/@SystemTime, as timestamp.Parse reads
	// it (for example 2024-05-01T12:00:00.1234567Z).
	TimeCreated string
	RecordID    string // System/EventRecordID
	ActivityID  string // System/Correlation/@ActivityID
	ProcessID   string // System/Execution/@ProcessID (the logging process)
	ThreadID    string
	Channel     string
	Computer    string
	UserID      string // System/Security/@UserID

	// Data holds EventData <Data Name=…> pairs in document order (unnamed ones
	// as param1, param2, …, as winlogbeat names them), or the leaf elements of
	// UserData when UserData is set.
	Data     []KV
	UserData bool

	// Rendered holds what a rendering adds: RenderingInfo's Message, Level,
	// Task, Opcode, Channel and Provider, or a classic text export's Message.
	Rendered map[string]string
}

// Reset empties e, keeping its storage.
func (e *Event) Reset() {
	data, rendered := e.Data[:0], e.Rendered
	clear(rendered)
	*e = Event{Data: data, Rendered: rendered}
}

// Get returns the value of the first Data pair called name, or "".
func (e *Event) Get(name string) string {
	for i := range e.Data {
		if e.Data[i].Name == name {
			return e.Data[i].Value
		}
	}
	return ""
}

// Has reports whether a Data pair called name exists (even empty).
func (e *Event) Has(name string) bool {
	for i := range e.Data {
		if e.Data[i].Name == name {
			return true
		}
	}
	return false
}

// SetRendered records a rendered value (Message, Task, …).
func (e *Event) SetRendered(name, value string) {
	if e.Rendered == nil {
		e.Rendered = map[string]string{}
	}
	e.Rendered[name] = value
}
