package scan

import (
	"context"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/duckdb/duckdb-go/v2"

	"huntsql/internal/engine"
)

// A prefilter routes each event to the few rules that can match it. Each
// rule has a trigger: literals (in values such as the lower-cased command
// line) one of which every event it matches holds. One literal search per
// value and event (all rules' literals at once) lists the rules the event
// triggers; only those rules' conditions are then evaluated on it, in SQL.
// The prefilter never decides a match: a rule's own condition does, so a
// trigger may let through more than the rule matches, never less.
type prefilter struct {
	values []string    // SQL of each value searched
	lits   []*literals // per value, its literals
	rules  [][][]int32 // per value and literal: the rules (positions) it triggers
	n      int         // rules in the group
}

// sampleRows is how many of a group's events are read to estimate how often
// each literal occurs, to choose the rarest trigger of each rule.
const sampleRows = 20_000

// A route is a rule's trigger: the atoms, one of which every event the rule
// matches holds, and the share of sampled events that hold one.
type route struct {
	atoms []atom
	share float64
}

// maxTriggerShare: a trigger held by more of the events than this routes too
// many of them; the rule is then tested on every event, with the rules that
// have none (see hitsQuery), which costs less per event than routing.
const maxTriggerShare = 0.25

// triggers derives each condition's trigger: none where none can be derived
// or the best one is too common (the rule then reads every event). view (its
// columns' types in types) and codes give the events a sample is read from;
// candidates is the share of the sampled events that trigger at least one
// rule.
func triggers(ctx context.Context, eng *engine.Engine, view string, types map[string]string, codes []string, wheres []string) (out []route, candidates float64, err error) {
	nodes, err := parseWheres(ctx, eng, wheres)
	if err != nil {
		return nil, 0, err
	}
	if err := foldLowerConstants(ctx, eng, nodes); err != nil {
		return nil, 0, err
	}
	d := &deriver{types: types}
	needs := make([]*need, len(wheres))
	var all []atom
	for i, n := range nodes {
		if needs[i] = d.needOf(n); needs[i] != nil {
			all = needs[i].atoms(all)
		}
	}
	out = make([]route, len(wheres))
	if len(all) == 0 {
		return out, 0, nil
	}
	smp, err := sampleEvents(ctx, eng, view, codes, all)
	if err != nil {
		return nil, 0, err
	}
	chosen := map[atom]bool{}
	for i, n := range needs {
		if n == nil {
			continue
		}
		as, f := trigger(n, smp.share)
		if f <= maxTriggerShare {
			out[i] = route{as, f}
			for _, a := range as {
				chosen[a] = true
			}
		}
	}
	return out, smp.anyOf(chosen), nil
}

// A sample is which atoms each of a few events holds.
type sample struct {
	rows  [][]atom // per sampled event, the atoms it holds
	count map[atom]int
}

// share is the share of the sampled events holding a.
func (s *sample) share(a atom) float64 {
	if len(s.rows) == 0 {
		return 0
	}
	return float64(s.count[a]) / float64(len(s.rows))
}

// anyOf is the share of the sampled events holding any of the atoms.
func (s *sample) anyOf(atoms map[atom]bool) float64 {
	if len(s.rows) == 0 {
		return 0
	}
	n := 0
	for _, r := range s.rows {
		if slices.ContainsFunc(r, func(a atom) bool { return atoms[a] }) {
			n++
		}
	}
	return float64(n) / float64(len(s.rows))
}

// sampleEvents reads up to sampleRows events and finds the atoms each holds.
func sampleEvents(ctx context.Context, eng *engine.Engine, view string, codes []string, atoms []atom) (*sample, error) {
	values, lits, index := compileAtoms(atoms)
	var b strings.Builder
	fmt.Fprintf(&b, "SELECT %s FROM %s", strings.Join(values, ", "), view)
	if codes != nil {
		fmt.Fprintf(&b, " WHERE \"event.code\" IN (%s)", strings.Join(codes, ", "))
	}
	fmt.Fprintf(&b, " LIMIT %d", sampleRows)
	rows, err := eng.Query(ctx, b.String())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	smp := &sample{count: map[atom]int{}}
	vals := make([]any, len(values))
	ptrs := make([]any, len(values))
	for j := range vals {
		ptrs[j] = &vals[j]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		var held []atom
		for j, v := range vals {
			s, ok := v.(string)
			if !ok {
				continue
			}
			lits[j].each(s, func(p int32) {
				a := atom{values[j], index[j][p]}
				if !slices.Contains(held, a) {
					held = append(held, a)
					smp.count[a]++
				}
			})
		}
		smp.rows = append(smp.rows, held)
	}
	return smp, rows.Err()
}

// compileAtoms groups atoms by value: the values, one literal search per
// value, and each value's literals in pattern order.
func compileAtoms(atoms []atom) (values []string, lits []*literals, index [][]string) {
	pos := map[string]int{}
	seen := map[atom]bool{}
	for _, a := range atoms {
		if seen[a] {
			continue
		}
		seen[a] = true
		j, ok := pos[a.Value]
		if !ok {
			j = len(values)
			pos[a.Value] = j
			values = append(values, a.Value)
			index = append(index, nil)
		}
		index[j] = append(index[j], a.Literal)
	}
	for _, ls := range index {
		lits = append(lits, newLiterals(ls))
	}
	return values, lits, index
}

// newPrefilter builds the prefilter of rules whose triggers are trig (by
// position; a rule without atoms is never listed).
func newPrefilter(trig []route) *prefilter {
	var all []atom
	for _, t := range trig {
		all = append(all, t.atoms...)
	}
	values, lits, index := compileAtoms(all)
	pf := &prefilter{values: values, lits: lits, n: len(trig)}
	pos := make([]map[string]int, len(values))
	pf.rules = make([][][]int32, len(values))
	for j, ls := range index {
		pos[j] = map[string]int{}
		for p, l := range ls {
			pos[j][l] = p
		}
		pf.rules[j] = make([][]int32, len(ls))
	}
	vpos := map[string]int{}
	for j, v := range values {
		vpos[v] = j
	}
	for k, t := range trig {
		for _, a := range t.atoms {
			j := vpos[a.Value]
			p := pos[j][a.Literal]
			if rs := pf.rules[j][p]; len(rs) == 0 || rs[len(rs)-1] != int32(k) {
				pf.rules[j][p] = append(rs, int32(k))
			}
		}
	}
	return pf
}

// words is how many 64-bit words a set of the group's rules takes.
func (pf *prefilter) words() int { return (pf.n + 63) / 64 }

// mark sets, in set, the rules an event whose value j is s triggers.
func (pf *prefilter) mark(set []uint64, j int, s string) {
	rules := pf.rules[j]
	pf.lits[j].each(s, func(p int32) {
		for _, k := range rules[p] {
			set[k>>6] |= 1 << (k & 63)
		}
	})
}

var udfSeq atomic.Int64

// register makes the prefilter a scalar function of the engine's connection.
// DuckDB keeps it (with its literal tables, a few MiB for a thousand rules)
// until the engine closes: one per view scanned, which a command does once.
// It takes the values (VARCHAR, in order) and returns the rules the event
// triggers, as their positions separated by commas ("3,17"), or NULL when it
// triggers none. It returns the function's name.
func (pf *prefilter) register(eng *engine.Engine) (string, error) {
	varchar, err := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	if err != nil {
		return "", err
	}
	in := make([]duckdb.TypeInfo, len(pf.values))
	for i := range in {
		in[i] = varchar
	}
	name := fmt.Sprintf("huntsql_route_%d", udfSeq.Add(1))
	f := &routeFunc{config: duckdb.ScalarFuncConfig{InputTypeInfos: in, ResultTypeInfo: varchar, SpecialNullHandling: true, Volatile: true}, pf: pf}
	if err := duckdb.RegisterScalarUDF(eng.Conn(), name, f); err != nil {
		return "", fmt.Errorf("registering the rule prefilter: %w", err)
	}
	return name, nil
}

type routeFunc struct {
	config duckdb.ScalarFuncConfig
	pf     *prefilter
}

func (f *routeFunc) Config() duckdb.ScalarFuncConfig { return f.config }

func (f *routeFunc) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{ChunkContextExecutor: f.chunk}
}

// chunk routes one chunk of events: values are read where DuckDB holds them,
// without copies.
func (f *routeFunc) chunk(_ context.Context, state *duckdb.ChunkIteratorState) error {
	pf := f.pf
	in := state.GetInputChunk()
	views := make([]duckdb.VectorView[string], in.ColumnCount())
	for j := range views {
		v, err := in.GetVector(j)
		if err != nil {
			return err
		}
		if views[j], err = duckdb.GetVectorView[string](v); err != nil {
			return err
		}
	}
	out, err := duckdb.GetVectorWriter[string](state.GetResultVector())
	if err != nil {
		return err
	}
	set := make([]uint64, pf.words())
	var buf []byte
	for row := range out.Len() {
		clear(set)
		for j, view := range views {
			s, ok, err := view.GetValueBorrowed(row)
			if err != nil {
				return err
			}
			if ok && s != "" {
				pf.mark(set, j, s)
			}
		}
		buf = buf[:0]
		for w, x := range set {
			for x != 0 {
				b := bits.TrailingZeros64(x)
				x &^= 1 << b
				if len(buf) > 0 {
					buf = append(buf, ',')
				}
				buf = strconv.AppendInt(buf, int64(64*w+b), 10)
			}
		}
		if len(buf) == 0 {
			if err := out.SetNull(row); err != nil {
				return err
			}
			continue
		}
		if err := out.Set(row, string(buf)); err != nil {
			return err
		}
	}
	return nil
}
