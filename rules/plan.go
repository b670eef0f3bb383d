package rules

// Plan is a rule's structured form, beside its SQL: the events it reads, the
// condition an event must meet, and its output for one matching event. A rule
// with a plan gives, by definition, the detections of
//
//	SELECT Columns FROM View WHERE Where ORDER BY OrderBy
//
// and the runner may evaluate many such rules in one scan of the archive
// (package rules/scan) instead of one query each. Compiled Sigma rules carry
// one; rules read from TOML files do not (their query runs as written).
type Plan struct {
	View string // the view the rule reads, e.g. "events"
	// Where is the rule's whole match condition, SQL over View's columns.
	Where string
	// EventCodes are the event.code values the rule can match; nil means any.
	EventCodes []string
	// Columns are the detection's columns: name and SQL over View.
	Columns []PlanColumn
	// OrderBy orders the detections (SQL over View's columns); "" orders by
	// every column.
	OrderBy string
}

// PlanColumn is one output column of a plan.
type PlanColumn struct{ Name, SQL string }
