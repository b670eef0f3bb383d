package sigma

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"huntsql/rules"
)

// Outcome is what became of one Sigma document.
type Outcome string

const (
	OutcomeCompiled    Outcome = "compiled"
	OutcomeCannotFire  Outcome = "cannot-fire"
	OutcomeUnsupported Outcome = "unsupported"
	OutcomeSkipped     Outcome = "skipped"
	OutcomeFailed      Outcome = "failed"
)

// Entry is the outcome of one document.
type Entry struct {
	File      string
	Line      int
	ID        string
	Title     string
	Kind      string
	Logsource Logsource
	Outcome   Outcome
	Reasons   []string // why not compiled, or the sources it cannot fire on
	Notes     []string
	Compiled  *Compiled
}

// Report is the outcome of compiling a set of Sigma files.
type Report struct {
	Entries []*Entry
}

// Count returns how many entries had the outcome.
func (r *Report) Count(o Outcome) int {
	n := 0
	for _, e := range r.Entries {
		if e.Outcome == o {
			n++
		}
	}
	return n
}

// SkipStatus is the set of Sigma statuses skipped by default.
var SkipStatus = []string{"deprecated", "unsupported"}

// CompileDir compiles every .yml/.yaml file under the paths (files or
// directories). One bad rule never stops the others: its outcome is in the
// report. Filters found among the files apply to the rules they name, and
// correlation rules are compiled with the rules they use. The error is only
// for paths that cannot be read.
func CompileDir(paths []string, opts Options) ([]*Compiled, *Report, error) {
	var docs []*Document
	rep := &Report{}
	for _, p := range paths {
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			if ext := strings.ToLower(filepath.Ext(path)); ext != ".yml" && ext != ".yaml" {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			ds, perr := ParseFile(path, data)
			docs = append(docs, ds...)
			if perr != nil {
				rep.Entries = append(rep.Entries, &Entry{File: path, Outcome: OutcomeFailed, Reasons: splitErrors(perr)})
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	out, r2 := CompileSet(docs, opts)
	rep.Entries = append(rep.Entries, r2.Entries...)
	slices.SortStableFunc(rep.Entries, func(a, b *Entry) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
	return out, rep, nil
}

// CompileSet compiles parsed documents: filters first (they apply to the
// rules), then detection rules, then correlation rules over them.
func CompileSet(docs []*Document, opts Options) ([]*Compiled, *Report) {
	rep := &Report{}
	var filters []*Document
	for _, d := range docs {
		if d.Kind == "filter" {
			filters = append(filters, d)
			rep.Entries = append(rep.Entries, &Entry{File: d.File, Line: d.Line, ID: d.ID, Title: d.Title,
				Kind: d.Kind, Logsource: d.Logsource, Outcome: OutcomeCompiled, Notes: []string{"filter: applied to the rules it names"}})
		}
	}
	opts.Filters = append(slices.Clone(opts.Filters), filters...)
	var out []*Compiled
	byRef := map[string]*Compiled{}
	ids := map[string]string{}
	for _, d := range docs {
		if d.Kind != "rule" {
			continue
		}
		e := entryFor(d)
		rep.Entries = append(rep.Entries, e)
		if slices.Contains(SkipStatus, strings.ToLower(d.Status)) {
			e.Outcome, e.Reasons = OutcomeSkipped, []string{"status " + d.Status}
			continue
		}
		c, err := Compile(d, opts)
		classify(e, c, err)
		if c == nil {
			continue
		}
		if prev, dup := ids[c.Rule.ID]; dup {
			e.Outcome, e.Reasons, e.Compiled = OutcomeFailed, []string{fmt.Sprintf("%s:%d: id %s is also the id of %s", d.File, d.Line, c.Rule.ID, prev)}, nil
			continue
		}
		ids[c.Rule.ID] = d.File
		out = append(out, c)
		for _, ref := range []string{d.ID, d.Name} {
			if ref != "" {
				byRef[ref] = c
			}
		}
	}
	// Correlations may use correlations (chaining): compile in dependency
	// order by retrying until no more progress.
	pending := slices.DeleteFunc(slices.Clone(docs), func(d *Document) bool { return d.Kind != "correlation" })
	entries := map[*Document]*Entry{}
	for _, d := range pending {
		e := entryFor(d)
		entries[d] = e
		rep.Entries = append(rep.Entries, e)
	}
	for progress := true; progress && len(pending) > 0; {
		progress = false
		var next []*Document
		for _, d := range pending {
			e := entries[d]
			if slices.Contains(SkipStatus, strings.ToLower(d.Status)) {
				e.Outcome, e.Reasons = OutcomeSkipped, []string{"status " + d.Status}
				progress = true
				continue
			}
			c, err := CompileCorrelation(d, byRef, opts)
			var missing *missingRuleError
			if errors.As(err, &missing) {
				next = append(next, d)
				e.Outcome, e.Reasons = OutcomeFailed, []string{err.Error()}
				continue
			}
			progress = true
			classify(e, c, err)
			if c == nil {
				continue
			}
			if _, dup := ids[c.Rule.ID]; dup {
				e.Outcome, e.Reasons, e.Compiled = OutcomeFailed, []string{fmt.Sprintf("%s:%d: id %s is used twice", d.File, d.Line, c.Rule.ID)}, nil
				continue
			}
			ids[c.Rule.ID] = d.File
			out = append(out, c)
			for _, ref := range []string{d.ID, d.Name} {
				if ref != "" {
					byRef[ref] = c
				}
			}
		}
		pending = next
	}
	// Rules used only by correlations that do not generate their matches
	// report nothing on their own (Sigma's generate: false, the default).
	shown := map[*Compiled]bool{}
	used := map[*Compiled]bool{}
	for _, c := range out {
		if c.Correlation == nil {
			continue
		}
		for _, in := range c.Correlation.Inputs {
			used[in] = true
			if c.Correlation.Generate {
				shown[in] = true
			}
		}
	}
	for _, c := range out {
		c.Internal = used[c] && !shown[c]
	}
	return out, rep
}

func entryFor(d *Document) *Entry {
	return &Entry{File: d.File, Line: d.Line, ID: d.ID, Title: d.Title, Kind: d.Kind, Logsource: d.Logsource, Notes: d.Notes}
}

func classify(e *Entry, c *Compiled, err error) {
	var cf *CannotFireError
	var un *UnsupportedError
	switch {
	case err == nil:
		e.Outcome, e.Compiled, e.Notes = OutcomeCompiled, c, c.Notes
		for _, r := range c.CannotFire {
			e.Reasons = append(e.Reasons, r.String())
		}
	case errors.As(err, &cf):
		e.Outcome = OutcomeCannotFire
		for _, r := range cf.Reasons {
			e.Reasons = append(e.Reasons, fmt.Sprintf("%s:%d: %s", cf.File, cf.Line, r))
		}
	case errors.As(err, &un):
		e.Outcome, e.Reasons = OutcomeUnsupported, []string{err.Error()}
	default:
		e.Outcome, e.Reasons = OutcomeFailed, splitErrors(err)
	}
}

func splitErrors(err error) []string {
	var out []string
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, splitErrors(e)...)
		}
		return out
	}
	return []string{err.Error()}
}

// Rules returns the huntsql rules of compiled Sigma rules, in order.
func Rules(cs []*Compiled) []*rules.Rule {
	out := make([]*rules.Rule, len(cs))
	for i, c := range cs {
		out[i] = c.Rule
	}
	return out
}

// Select keeps the compiled rules whose status is one of statuses (all when
// empty) and whose level is at least minLevel (all when empty), as
// `run --sigma-status stable,test --min-level high` asks. A kept correlation
// keeps the rules it uses; those not selected themselves become Internal (they
// feed it and report nothing). The result keeps the input order.
func Select(cs []*Compiled, statuses []string, minLevel string) ([]*Compiled, error) {
	min := -1
	if minLevel != "" {
		if min = LevelRank(minLevel); min < 0 {
			return nil, fmt.Errorf("level %q: must be informational, low, medium, high or critical", minLevel)
		}
	}
	picked := map[*Compiled]bool{}
	for _, c := range cs {
		status := strings.ToLower(c.Doc.Status)
		if len(statuses) > 0 && !slices.ContainsFunc(statuses, func(s string) bool { return strings.EqualFold(strings.TrimSpace(s), status) }) {
			continue
		}
		level := c.Doc.Level
		if level == "" {
			level = "medium"
		}
		if LevelRank(level) < min {
			continue
		}
		picked[c] = true
	}
	needed := map[*Compiled]bool{}
	var need func(c *Compiled)
	need = func(c *Compiled) {
		if needed[c] {
			return
		}
		needed[c] = true
		if c.Correlation != nil {
			for _, in := range c.Correlation.Inputs {
				need(in)
			}
		}
	}
	for c := range picked {
		need(c)
	}
	var out []*Compiled
	for _, c := range cs {
		if !needed[c] {
			continue
		}
		if !picked[c] && !c.Internal {
			cp := *c
			cp.Internal = true
			c = &cp
		}
		out = append(out, c)
	}
	return out, nil
}
