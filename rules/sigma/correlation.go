package sigma

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Correlation is the structured form of a compiled correlation rule.
//
// Windows slide: a window is the span of Timespan ending at any matching event
// (its last event), holding the events of its group from Timespan before that
// event up to it, both ends included. The condition is tested on every such
// window. Satisfying windows of one group whose last events are at most
// Timespan apart belong to one detection, which spans from the first event of
// its first satisfying window to the last event of its last one, and reports
// the largest aggregate among them. So a burst yields one detection, however
// long it lasts, and two bursts further apart than Timespan yield two.
type Correlation struct {
	Type     string
	Rules    []string // the names the rule gives
	GroupBy  []string
	Timespan string // as written, e.g. "1h"
	Interval string // as SQL, e.g. "INTERVAL 1 HOUR"
	Generate bool   // the rules it uses also report on their own
	// Inputs are the compiled rules (or correlations) it aggregates.
	Inputs []*Compiled
}

type missingRuleError struct{ msg string }

func (e *missingRuleError) Error() string { return e.msg }

var timespanPattern = regexp.MustCompile(`^([0-9]+)\s*([smhdwMy])$`)

// intervalSQL turns a Sigma timespan (30s, 5m, 1h, 2d, 1w, 1M, 1y) into SQL.
func intervalSQL(ts string) (string, error) {
	m := timespanPattern.FindStringSubmatch(strings.TrimSpace(ts))
	if m == nil {
		return "", fmt.Errorf("timespan %q: want a number and a unit (s, m, h, d, w, M, y), e.g. 15m", ts)
	}
	unit := map[string]string{"s": "SECOND", "m": "MINUTE", "h": "HOUR", "d": "DAY", "w": "WEEK", "M": "MONTH", "y": "YEAR"}[m[2]]
	return fmt.Sprintf("INTERVAL %s %s", m[1], unit), nil
}

var aggregates = map[string]string{
	"event_count":      "event_count",
	"value_count":      "value_count",
	"value_sum":        "value_sum",
	"value_avg":        "value_avg",
	"value_percentile": "value_percentile",
	"value_median":     "value_median",
	"temporal":         "rule_count",
	"temporal_ordered": "rule_count",
}

// CompileCorrelation compiles a correlation rule over the compiled rules it
// names (by id or name). A name it cannot find yet gives *missingRuleError.
func CompileCorrelation(d *Document, byRef map[string]*Compiled, opts Options) (*Compiled, error) {
	if opts.Mapping == nil {
		opts.Mapping = DefaultMapping()
	}
	spec := d.Correlation
	badAt := func(key string, format string, args ...any) error {
		line := spec.KeyLines[key]
		if key == "timespan" && line == 0 {
			line = spec.KeyLines["timeframe"]
		}
		if line == 0 {
			line = spec.Line
		}
		return &Error{File: d.File, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	aggName, ok := aggregates[spec.Type]
	if !ok {
		return nil, badAt("type", "correlation type %q: must be one of event_count, value_count, value_sum, value_avg, value_percentile, value_median, temporal, temporal_ordered", spec.Type)
	}
	if len(spec.Rules) == 0 {
		return nil, badAt("rules", "correlation names no rules")
	}
	interval, err := intervalSQL(spec.Timespan)
	if err != nil {
		return nil, badAt("timespan", "%v", err)
	}
	corr := &Correlation{Type: spec.Type, Rules: spec.Rules, GroupBy: spec.GroupBy, Timespan: spec.Timespan,
		Interval: interval, Generate: spec.Generate}
	for _, ref := range spec.Rules {
		c, ok := byRef[ref]
		if !ok {
			return nil, &missingRuleError{fmt.Sprintf("%s:%d: correlation uses rule %q, which is not among the compiled rules (give its file too; it may also have failed)", d.File, spec.KeyLines["rules"], ref)}
		}
		corr.Inputs = append(corr.Inputs, c)
	}

	// The condition: comparisons, and for value_* the field.
	var valueField string
	percentile := 0.0
	var tests []string
	var condKeys []string
	for k := range spec.Condition {
		condKeys = append(condKeys, k)
	}
	sort.Strings(condKeys)
	for _, k := range condKeys {
		v := spec.Condition[k]
		switch k {
		case "field":
			valueField = v.Value
		case "percentile":
			p, err := strconv.ParseFloat(v.Value, 64)
			if err != nil || p < 0 || p > 100 {
				return nil, badAt("condition", "condition percentile %q: must be a number from 0 to 100", v.Value)
			}
			percentile = p
		case "gt", "gte", "lt", "lte", "eq", "neq":
			n, err := strconv.ParseFloat(v.Value, 64)
			if err != nil || v.Kind != yaml.ScalarNode {
				return nil, badAt("condition", "condition %s %q: must be a number", k, v.Value)
			}
			op := map[string]string{"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "eq": "=", "neq": "<>"}[k]
			tests = append(tests, fmt.Sprintf("agg %s %s", op, strconv.FormatFloat(n, 'f', -1, 64)))
		default:
			return nil, badAt("condition", "unknown correlation condition key %q", k)
		}
	}
	isTemporal := spec.Type == "temporal" || spec.Type == "temporal_ordered"
	if len(tests) == 0 {
		if !isTemporal {
			return nil, badAt("condition", "correlation needs a condition (e.g. gte: 10)")
		}
		tests = []string{fmt.Sprintf("agg >= %d", len(spec.Rules))}
	}
	needsValue := strings.HasPrefix(spec.Type, "value_")
	if needsValue && valueField == "" {
		return nil, badAt("condition", "%s needs condition.field", spec.Type)
	}
	if spec.Type == "value_percentile" && spec.Condition["percentile"] == nil {
		return nil, badAt("condition", "value_percentile needs condition.percentile")
	}

	// One input row per matching event (or per detection of a used
	// correlation): the rule, the time, the group-by values, the value.
	groupCols := make([]string, len(spec.GroupBy))
	for i, g := range spec.GroupBy {
		groupCols[i] = quoteIdent(g)
	}
	var inputs, notes []string
	for i, c := range corr.Inputs {
		ref := spec.Rules[i]
		fieldFor := func(name string) string {
			if a, ok := spec.Aliases[name]; ok {
				for _, k := range []string{ref, c.Doc.ID, c.Doc.Name} {
					if f, ok := a[k]; ok && k != "" {
						return f
					}
				}
			}
			return name
		}
		// The sources of the rule that give every field the correlation
		// reads; events from the others cannot be grouped (noted, not guessed).
		branches := c.Branches
		if c.Correlation == nil {
			needed := []string{}
			for _, g := range spec.GroupBy {
				needed = append(needed, fieldFor(g))
			}
			if needsValue {
				needed = append(needed, fieldFor(valueField))
			}
			branches = nil
			var dropped []string
			for _, br := range c.Branches {
				if missing := missingFields(br.Source, needed, opts.Mapping); len(missing) > 0 {
					dropped = append(dropped, fmt.Sprintf("cannot use %s events of rule %s: needs %s", br.Source, ref, strings.Join(missing, ", ")))
					continue
				}
				branches = append(branches, br)
			}
			if len(branches) == 0 {
				return nil, badAt("group-by", "%s", strings.Join(dropped, "; "))
			}
			notes = append(notes, dropped...)
		}
		var cols []string
		cols = append(cols, quote(ref)+` AS "sigma.rule"`)
		for j, g := range spec.GroupBy {
			e, err := inputField(c, branches, fieldFor(g), opts.Mapping)
			if err != nil {
				return nil, badAt("group-by", "group-by %s in rule %s: %v", g, ref, err)
			}
			cols = append(cols, e+" AS "+groupCols[j])
		}
		value := "NULL"
		if needsValue {
			e, err := inputField(c, branches, fieldFor(valueField), opts.Mapping)
			if err != nil {
				return nil, badAt("condition", "field %s in rule %s: %v", valueField, ref, err)
			}
			value = e
		}
		cols = append(cols, value+` AS "sigma.value"`)
		if c.Correlation != nil {
			// A used correlation's detection happens when its last event does.
			cols = append(cols, `last_seen AS "@timestamp"`, `"huntsql.evidence"`)
			inputs = append(inputs, "    SELECT "+strings.Join(cols, ", ")+"\n    FROM (\n"+indent(c.Rule.Query, "        ")+"\n    )")
		} else {
			cols = append(cols, `"@timestamp"`, `[{'file': "huntsql.source_file", 'offset': "huntsql.source_offset"}] AS "huntsql.evidence"`)
			where := (&Compiled{Branches: branches}).Where()
			inputs = append(inputs, "    SELECT "+strings.Join(cols, ", ")+"\n    FROM "+c.View+"\n    WHERE "+indent(where, "    ")[4:])
		}
	}

	partition := ""
	if len(groupCols) > 0 {
		partition = "PARTITION BY " + strings.Join(groupCols, ", ") + " "
	}
	var agg string
	switch spec.Type {
	case "event_count":
		agg = "count(*) OVER w"
	case "value_count":
		agg = `count(DISTINCT "sigma.value") OVER w`
	case "value_sum":
		agg = `sum(TRY_CAST("sigma.value" AS DOUBLE)) OVER w`
	case "value_avg":
		agg = `avg(TRY_CAST("sigma.value" AS DOUBLE)) OVER w`
	case "value_median":
		agg = `median(TRY_CAST("sigma.value" AS DOUBLE)) OVER w`
	case "value_percentile":
		agg = fmt.Sprintf(`quantile_cont(TRY_CAST("sigma.value" AS DOUBLE), %s) OVER w`, strconv.FormatFloat(percentile/100, 'f', -1, 64))
	case "temporal":
		agg = `count(DISTINCT "sigma.rule") OVER w`
	}
	var b strings.Builder
	fmt.Fprintf(&b, "-- Sigma correlation %q (%s), compiled by huntsql from %s.\n", d.Title, spec.Type, pathBase(d.File))
	b.WriteString("-- Sliding windows: each matching event ends a window of " + spec.Timespan + " (both ends included);\n")
	b.WriteString("-- satisfying windows of a group whose last events are at most " + spec.Timespan + " apart make one detection.\n")
	b.WriteString("WITH input AS (\n" + strings.Join(inputs, "\n    UNION ALL\n") + "\n),\n")
	order := `"@timestamp", "huntsql.evidence"`
	if spec.Type == "temporal_ordered" {
		// For each event of the k-th rule, the latest start of a chain
		// rule 1 < rule 2 < … < rule k ending at it (strictly earlier events,
		// by time then position in the archive).
		b.WriteString("ordered AS (\n    SELECT *, CASE WHEN \"sigma.rule\" = " + quote(spec.Rules[0]) + " THEN \"@timestamp\" END AS chain_1\n    FROM input\n),\n")
		prev := "ordered"
		for k := 2; k <= len(spec.Rules); k++ {
			name := fmt.Sprintf("chain%d", k)
			fmt.Fprintf(&b, "%s AS (\n    SELECT *, CASE WHEN \"sigma.rule\" = %s THEN max(CASE WHEN \"sigma.rule\" = %s THEN chain_%d END) OVER (%sORDER BY %s ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) END AS chain_%d\n    FROM %s\n),\n",
				name, quote(spec.Rules[k-1]), quote(spec.Rules[k-2]), k-1, partition, order, k, prev)
			prev = name
		}
		n := len(spec.Rules)
		fmt.Fprintf(&b, "windows AS (\n    SELECT *, chain_%d AS window_start, CASE WHEN chain_%d >= \"@timestamp\" - %s THEN %d ELSE 0 END AS agg\n    FROM %s\n    WHERE \"sigma.rule\" = %s\n),\n",
			n, n, interval, n, prev, quote(spec.Rules[n-1]))
	} else {
		fmt.Fprintf(&b, "windows AS (\n    -- The window ending at each event.\n    SELECT *, min(\"@timestamp\") OVER w AS window_start, %s AS agg\n    FROM input\n    WINDOW w AS (%sORDER BY \"@timestamp\" RANGE BETWEEN %s PRECEDING AND CURRENT ROW)\n),\n",
			agg, partition, interval)
	}
	fmt.Fprintf(&b, "hits AS (\n    SELECT *,\n        -- A new detection unless the previous satisfying window of the group ended within the timespan.\n        CASE WHEN lag(\"@timestamp\") OVER (%sORDER BY \"@timestamp\") >= \"@timestamp\" - %s THEN 0 ELSE 1 END AS new_detection\n    FROM windows\n    WHERE %s\n),\n",
		partition, interval, strings.Join(tests, " AND "))
	fmt.Fprintf(&b, "numbered AS (\n    SELECT *, sum(new_detection) OVER (%sORDER BY \"@timestamp\" ROWS UNBOUNDED PRECEDING) AS detection\n    FROM hits\n),\n", partition)
	groupSel := ""
	for _, g := range groupCols {
		groupSel += g + ", "
	}
	fmt.Fprintf(&b, "spans AS (\n    SELECT %sdetection, min(window_start) AS first_seen, max(\"@timestamp\") AS last_seen, max(agg) AS agg\n    FROM numbered\n    GROUP BY ALL\n)\n", groupSel)
	b.WriteString("SELECT\n    s.first_seen AS \"@timestamp\",\n    s.last_seen AS last_seen,\n")
	for _, g := range groupCols {
		fmt.Fprintf(&b, "    s.%s,\n", g)
	}
	fmt.Fprintf(&b, "    s.agg AS %s,\n", aggName)
	b.WriteString("    list_sort(list_distinct(list(i.\"sigma.rule\"))) AS rules,\n")
	b.WriteString("    list_sort(list_distinct(flatten(list(i.\"huntsql.evidence\")))) AS \"huntsql.evidence\"\n")
	b.WriteString("FROM spans s\nJOIN input i\n  ON i.\"@timestamp\" BETWEEN s.first_seen AND s.last_seen\n")
	for _, g := range groupCols {
		fmt.Fprintf(&b, " AND i.%s IS NOT DISTINCT FROM s.%s\n", g, g)
	}
	b.WriteString("GROUP BY s.first_seen, s.last_seen, ")
	for _, g := range groupCols {
		b.WriteString("s." + g + ", ")
	}
	b.WriteString("s.detection, s.agg\n")
	b.WriteString("ORDER BY \"@timestamp\", " + groupSel + "last_seen")

	r, err := ruleFor(d)
	if err != nil {
		return nil, err
	}
	r.Query = b.String()
	out := &Compiled{Doc: d, Rule: r, View: "events", Correlation: corr, Notes: append(slices.Clone(d.Notes), notes...),
		OrderBy: `"@timestamp", ` + groupSel + "last_seen"}
	out.Columns = []Column{{"@timestamp", "s.first_seen"}, {"last_seen", "s.last_seen"}}
	for _, g := range spec.GroupBy {
		out.Columns = append(out.Columns, Column{g, "s." + quoteIdent(g)})
	}
	out.Columns = append(out.Columns, Column{aggName, "s.agg"}, Column{"rules", `list_sort(list_distinct(list(i."sigma.rule")))`},
		Column{"huntsql.evidence", `list_sort(list_distinct(flatten(list(i."huntsql.evidence"))))`})
	return out, nil
}

// inputField is the SQL for a field of a used rule's events: its expression
// on each source the rule reads, or a used correlation's group-by column.
func inputField(c *Compiled, branches []Branch, field string, m *Mapping) (string, error) {
	if c.Correlation != nil {
		if slices.Contains(c.Correlation.GroupBy, field) {
			return quoteIdent(field), nil
		}
		return "", fmt.Errorf("a used correlation only gives its group-by fields (%s)", strings.Join(c.Correlation.GroupBy, ", "))
	}
	var whens, exprs []string
	for _, br := range branches {
		i := slices.IndexFunc(m.Sources, func(s *Source) bool { return s.Name == br.Source })
		if i < 0 {
			return "", fmt.Errorf("source %s is not in the mapping", br.Source)
		}
		e, err := m.Sources[i].Field(field)
		if err != nil {
			return "", fmt.Errorf("cannot fire on %s: %v", br.Source, err)
		}
		if len(branches) == 1 {
			return e, nil
		}
		whens = append(whens, fmt.Sprintf("WHEN %s THEN %s", br.SourceWhere, e))
		exprs = append(exprs, e)
	}
	if len(slices.Compact(slices.Clone(exprs))) == 1 {
		return exprs[0], nil // the same on every source
	}
	return "CASE " + strings.Join(whens, " ") + " END", nil
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

func pathBase(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// missingFields lists the fields a source cannot supply.
func missingFields(source string, fields []string, m *Mapping) []string {
	i := slices.IndexFunc(m.Sources, func(s *Source) bool { return s.Name == source })
	if i < 0 {
		return fields
	}
	var out []string
	for _, f := range fields {
		if _, err := m.Sources[i].Field(f); err != nil {
			out = append(out, f)
		}
	}
	return out
}
