package sigma

// Correlation is the structured form of a compiled correlation rule.
type Correlation struct {
	Type     string
	Rules    []string
	GroupBy  []string
	Timespan string
	// Inputs are the compiled rules (or correlations) it aggregates.
	Inputs []*Compiled
}

type missingRuleError struct{ msg string }

func (e *missingRuleError) Error() string { return e.msg }

// CompileCorrelation compiles a correlation rule over the compiled rules it
// names (by id or name).
func CompileCorrelation(d *Document, byRef map[string]*Compiled, opts Options) (*Compiled, error) {
	return nil, &UnsupportedError{File: d.File, Line: d.Line, Msg: "correlation rules: not yet"}
}
