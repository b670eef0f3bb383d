package sigma

import "huntsql/rules"

// Plan returns the rule's structured form, for a runner that evaluates many
// rules in one scan; nil for a correlation rule (its query aggregates, and
// runs on its own). The plan gives exactly the detections of the rule's query.
func (c *Compiled) Plan() *rules.Plan {
	if c.Correlation != nil || len(c.Branches) == 0 {
		return nil
	}
	p := &rules.Plan{View: c.View, Where: c.Where(), EventCodes: c.EventCodes(), OrderBy: c.OrderBy}
	for _, col := range c.Columns {
		p.Columns = append(p.Columns, rules.PlanColumn{Name: col.Name, SQL: col.SQL})
	}
	return p
}
