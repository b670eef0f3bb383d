package scan

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
	"unsafe"

	"github.com/duckdb/duckdb-go/v2"

	"huntsql/internal/engine"
)

// A prefilter routes each event to the few rules that can match it. Each
// rule's condition has a test (see test): evaluated in Go on the values the
// conditions read, it rules out the events where the condition cannot be
// true. Evaluating every rule's test on every event would cost more than it
// saves, so most rules also have a trigger: literals (in values such as the
// lower-cased command line) one of which every event the rule matches holds.
// One literal search per value and event (all rules' literals at once) lists
// the rules the event triggers; only their tests are evaluated, and only the
// rules whose test can be true get the event. Their conditions then decide,
// in SQL. The prefilter never decides a match: it may let through more than a
// rule matches, never less.
type prefilter struct {
	raws  []string // SQL of each value the prefilter reads, as stored
	slots []slot   // the values searched and tested: a raw value, lower-cased or not
	tests []*test  // per rule (position): its test, nil when it is not routed
	n     int      // rules in the group
	lower map[rune]rune
	// The sample searches every literal of every rule's need (index: per
	// slot, by id), to learn how often each occurs; routing searches the
	// triggers' literals only.
	index      [][]string
	sampleLits []*literals
	routing    search
	inputs     *inputs // the routing function's arguments
	everyRule  string  // its result for an event whose values cannot be read: every routed rule
}

// A search finds the rules an event triggers: those with a literal found in
// a slot, and those tested on every event.
type search struct {
	lits   []*literals // per slot (nil: none)
	byLit  [][][]int32 // per slot and literal id: the rules it triggers
	always []int32
}

// A slot is a value the tests read: raw value raw (an index in raws),
// lower-cased when fold.
type slot struct {
	raw  int
	fold bool
	sql  string
}

// sampleRows is how many of a group's events are read to estimate how often
// each literal occurs, to choose the rarest trigger of each rule, and how
// often each rule's test lets an event through.
const sampleRows = 20_000

// A route is what the sample says of a rule: the atoms of its trigger (none:
// the rule's test is evaluated on every event), and the share of sampled
// events its test lets through.
type route struct {
	atoms []atom
	share float64
}

// maxTriggerShare: a rule whose test lets more of the events than this
// through is tested on every event in SQL, with the rules that have no test
// (see hitsQuery): that costs less per event than routing.
const maxTriggerShare = 0.25

// newPrefilter derives each condition's test and trigger and reads a sample
// of the events to choose the rules to route: those with a test that lets at
// most maxTriggerShare of the sampled events through. view (its columns'
// types in types) and codes give the events the sample is read from. It
// returns the prefilter, each rule's route (its share is 1 when it is not
// routed) and the share of sampled events routed to at least one rule.
func newPrefilter(ctx context.Context, eng *engine.Engine, view string, types map[string]string, codes []string, wheres []string) (*prefilter, []route, float64, error) {
	nodes, err := parseWheres(ctx, eng, wheres)
	if err != nil {
		return nil, nil, 0, err
	}
	if err := foldLowerConstants(ctx, eng, nodes); err != nil {
		return nil, nil, 0, err
	}
	d := &deriver{types: types}
	tests := make([]*test, len(wheres))
	for i, n := range nodes {
		if n != nil {
			tests[i] = d.testOf(n)
		}
	}
	pf := compileTests(tests)
	pf.inputs = newInputs(pf.raws)
	if pf.lower, err = lowerCase(ctx, eng); err != nil {
		return nil, nil, 0, err
	}
	routes := make([]route, len(wheres))
	for i := range routes {
		routes[i].share = 1
	}
	if len(pf.raws) == 0 {
		pf.tests = make([]*test, len(wheres))
		return pf, routes, 0, nil
	}
	smp, err := pf.sample(ctx, eng, view, codes)
	if err != nil {
		return nil, nil, 0, err
	}
	pf.sampleLits = nil // the largest tables: the routing search needs far fewer literals
	// Each rule that has a test gets the rarest trigger its need offers (or
	// none: it is then tested on every event); routing the sampled events
	// tells how many each test lets through. Those that let too many
	// through are left to SQL.
	testable := make([]bool, len(wheres))
	for k, t := range tests {
		if t == nil || t.op == '?' {
			continue
		}
		testable[k] = true
		if n := t.need(); n != nil {
			routes[k].atoms, _ = trigger(n, smp.share)
		}
	}
	pf.setTriggers(routes, testable)
	passes := make([]int, len(wheres))
	passed := make([][]int32, len(smp.raw))
	sc := pf.newScratch()
	for i := range smp.raw {
		passed[i] = slices.Clone(sc.route(smp.raw[i], smp.null[i]))
		for _, k := range passed[i] {
			passes[k]++
		}
	}
	routed := make([]bool, len(wheres))
	for k := range tests {
		share := 0.0
		if len(smp.raw) > 0 {
			share = float64(passes[k]) / float64(len(smp.raw))
		}
		if !testable[k] || share > maxTriggerShare {
			pf.tests[k] = nil
			continue
		}
		routed[k] = true
		routes[k].share = share
	}
	if !slices.Equal(routed, testable) {
		pf.setTriggers(routes, routed)
	}
	var every []string
	for k, r := range routed {
		if r {
			every = append(every, strconv.Itoa(k))
		}
	}
	pf.everyRule = strings.Join(every, ",")
	if len(passed) == 0 {
		return pf, routes, 0, nil
	}
	candidates := 0
	for _, ks := range passed {
		if slices.ContainsFunc(ks, func(k int32) bool { return routed[k] }) {
			candidates++
		}
	}
	return pf, routes, float64(candidates) / float64(len(passed)), nil
}

// compileTests gives each value the tests read its slot, and each literal of
// the rules' needs its id in its slot's literals (index), which the sample
// searches.
func compileTests(tests []*test) *prefilter {
	pf := &prefilter{tests: tests, n: len(tests)}
	rawPos := map[string]int{}
	slotPos := map[string]int{}
	litPos := []map[string]int32{}
	slotOf := func(value string) int {
		if j, ok := slotPos[value]; ok {
			return j
		}
		raw, fold := value, false
		if strings.HasPrefix(value, "lower(") && strings.HasSuffix(value, ")") {
			raw, fold = value[len("lower("):len(value)-1], true
		}
		r, ok := rawPos[raw]
		if !ok {
			r = len(pf.raws)
			rawPos[raw] = r
			pf.raws = append(pf.raws, raw)
		}
		j := len(pf.slots)
		slotPos[value] = j
		pf.slots = append(pf.slots, slot{raw: r, fold: fold, sql: value})
		pf.index = append(pf.index, nil)
		litPos = append(litPos, map[string]int32{})
		return j
	}
	litOf := func(j int, l string) int32 {
		if id, ok := litPos[j][l]; ok {
			return id
		}
		id := int32(len(pf.index[j]))
		litPos[j][l] = id
		pf.index[j] = append(pf.index[j], l)
		return id
	}
	needSlots := func(n *need) {
		n.walk(func(a *need) {
			if a.op == 'a' {
				a.slot = slotOf(a.atom.Value)
				a.id = litOf(a.slot, a.atom.Literal)
			}
		})
	}
	for _, t := range tests {
		if t == nil {
			continue
		}
		t.walk(func(p *test) {
			if p.op != 'p' {
				return
			}
			p.slot = slotOf(p.value)
			if p.fn == 'r' && p.req != nil {
				needSlots(p.req)
			}
		})
		// The need a trigger is chosen from.
		if n := t.need(); n != nil {
			needSlots(n)
		}
	}
	pf.sampleLits = make([]*literals, len(pf.slots))
	for j, ls := range pf.index {
		if len(ls) > 0 {
			pf.sampleLits[j] = newLiterals(ls)
		}
	}
	return pf
}

// setTriggers builds the routing search from the routed rules' triggers
// (rules without atoms are tested on every event).
func (pf *prefilter) setTriggers(routes []route, routed []bool) {
	slotOf := map[string]int{}
	for j, sl := range pf.slots {
		slotOf[sl.sql] = j
	}
	pf.routing = search{}
	rt := &pf.routing
	perSlot := make([][]string, len(pf.slots))
	rt.byLit = make([][][]int32, len(pf.slots))
	ids := map[atom]int32{}
	for k, r := range routes {
		if !routed[k] {
			continue
		}
		if len(r.atoms) == 0 {
			rt.always = append(rt.always, int32(k))
			continue
		}
		for _, a := range r.atoms {
			j := slotOf[a.Value]
			// A literal of a value that is also searched lower-cased is
			// searched there, lower-cased: lower() is one character at
			// a time, so the lower-cased text holds it wherever the text
			// holds the literal. The trigger lets a few more events
			// through (the test decides), and the value is not searched
			// twice.
			if f, ok := slotOf["lower("+a.Value+")"]; ok && !pf.slots[j].fold {
				if l, ok := lowerText(nil, a.Literal, pf.lower); ok {
					a, j = atom{pf.slots[f].sql, string(l)}, f
				}
			}
			id, ok := ids[a]
			if !ok {
				id = int32(len(perSlot[j]))
				ids[a] = id
				perSlot[j] = append(perSlot[j], a.Literal)
				rt.byLit[j] = append(rt.byLit[j], nil)
			}
			rt.byLit[j][id] = addRule(rt.byLit[j][id], int32(k))
		}
	}
	rt.lits = make([]*literals, len(pf.slots))
	for j, ls := range perSlot {
		if len(ls) > 0 {
			rt.lits[j] = newLiterals(ls)
		}
	}
}

// addRule appends rule k to rules, which it ends unless it is there already.
func addRule(rules []int32, k int32) []int32 {
	if len(rules) > 0 && rules[len(rules)-1] == k {
		return rules
	}
	return append(rules, k)
}

// A scratch holds what evaluating one event takes, reused from event to
// event.
type scratch struct {
	pf     *prefilter
	ev     eventValues
	folded [][]byte // per slot: the lower-cased text
	cands  []uint64 // rules the event triggers
	out    []int32  // rules the event is routed to
	work   []int    // slots to search
}

func (pf *prefilter) newScratch() *scratch {
	s := &scratch{pf: pf, folded: make([][]byte, len(pf.slots)), cands: make([]uint64, (pf.n+63)/64)}
	s.ev.text = make([]string, len(pf.slots))
	s.ev.null = make([]bool, len(pf.slots))
	s.ev.exact = make([]bool, len(pf.slots))
	return s
}

// route evaluates the event whose raw values are raw (null[i]: NULL) and
// returns the rules it is routed to, in order: those it triggers whose test
// can be true.
func (s *scratch) route(raw []string, null []bool) []int32 {
	pf, ev, rt := s.pf, &s.ev, &s.pf.routing
	clear(s.cands)
	s.fill(raw, null)
	s.work = s.work[:0]
	for j, v := range ev.text {
		switch {
		case ev.null[j] || rt.lits[j] == nil:
		case !ev.exact[j]:
			// Not known exactly: every rule one of whose literals is
			// searched here may match.
			for _, rs := range rt.byLit[j] {
				s.mark(rs)
			}
		case v == "":
		default:
			s.work = append(s.work, j)
		}
	}
	// Two searches at a time, the longest texts together: each step of a
	// search waits for the table read before it, and two independent ones
	// overlap.
	slices.SortFunc(s.work, func(a, b int) int { return len(ev.text[b]) - len(ev.text[a]) })
	for i := 0; i+1 < len(s.work); i += 2 {
		s.search2(s.work[i], s.work[i+1])
	}
	if len(s.work)%2 == 1 {
		j := s.work[len(s.work)-1]
		s.searchFrom(j, 0, ev.text[j])
	}
	s.mark(rt.always)
	s.out = s.out[:0]
	for w, x := range s.cands {
		for x != 0 {
			b := bits.TrailingZeros64(x)
			x &^= 1 << b
			k := 64*w + b
			if pf.tests[k].eval(ev)&oTrue != 0 {
				s.out = append(s.out, int32(k))
			}
		}
	}
	return s.out
}

// fill sets the event's values, lower-casing those slots that are.
func (s *scratch) fill(raw []string, null []bool) {
	ev := &s.ev
	for j, sl := range s.pf.slots {
		ev.null[j] = null[sl.raw]
		ev.exact[j] = true
		ev.text[j] = ""
		if ev.null[j] {
			continue
		}
		v := raw[sl.raw]
		if sl.fold {
			b, ok := lowerText(s.folded[j][:0], v, s.pf.lower)
			s.folded[j] = b
			if !ok {
				ev.exact[j] = false
				continue
			}
			v = unsafe.String(unsafe.SliceData(b), len(b))
		}
		ev.text[j] = v
	}
}

// search2 searches slots a and b, side by side.
func (s *scratch) search2(a, b int) {
	rt := &s.pf.routing
	la, lb := rt.lits[a], rt.lits[b]
	ta, tb := s.ev.text[a], s.ev.text[b]
	ra, rb := int32(0), int32(0)
	n := min(len(ta), len(tb))
	for i := 0; i < n; i++ {
		ra = la.next[int(ra)+int(la.class[ta[i]])]
		rb = lb.next[int(rb)+int(lb.class[tb[i]])]
		if ra < 0 {
			ra = ^ra
			s.found(a, ra)
		}
		if rb < 0 {
			rb = ^rb
			s.found(b, rb)
		}
	}
	s.searchFrom(a, ra, ta[n:])
	s.searchFrom(b, rb, tb[n:])
}

// searchFrom searches text in slot j from the row row of its table.
func (s *scratch) searchFrom(j int, row int32, text string) {
	l := s.pf.routing.lits[j]
	for i := 0; i < len(text); i++ {
		row = l.next[int(row)+int(l.class[text[i]])]
		if row < 0 {
			row = ^row
			s.found(j, row)
		}
	}
}

// found marks the rules the literals ending at row of slot j's search
// trigger.
func (s *scratch) found(j int, row int32) {
	rt := &s.pf.routing
	l := rt.lits[j]
	for _, p := range l.out[int(row)/l.classes] {
		s.mark(rt.byLit[j][p])
	}
}

func (s *scratch) mark(rules []int32) {
	for _, k := range rules {
		s.cands[k>>6] |= 1 << (k & 63)
	}
}

// lowerText appends v lower-cased to b, as DuckDB's lower() does it: each
// character on its own, by the table lowerCase read from the engine. ok is
// false for text that is not valid UTF-8 (DuckDB's text always is).
func lowerText(b []byte, v string, table map[rune]rune) (_ []byte, ok bool) {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for i := 0; i < len(v); {
		// Eight ASCII bytes at a time: a byte from 'A' to 'Z' gets 0x20.
		if i+8 <= len(v) {
			w := uint64(v[i]) | uint64(v[i+1])<<8 | uint64(v[i+2])<<16 | uint64(v[i+3])<<24 |
				uint64(v[i+4])<<32 | uint64(v[i+5])<<40 | uint64(v[i+6])<<48 | uint64(v[i+7])<<56
			if w&highs == 0 {
				atLeastA := w + ones*(0x80-'A') // high bit: the byte is 'A' or more
				aboveZ := w + ones*(0x80-'Z'-1) // high bit: the byte is above 'Z'
				w |= (atLeastA &^ aboveZ & highs) >> 2
				b = binary.LittleEndian.AppendUint64(b, w)
				i += 8
				continue
			}
		}
		c := v[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(v[i:])
		if r == utf8.RuneError && n == 1 {
			return b, false
		}
		if l, ok := table[r]; ok {
			b = utf8.AppendRune(b, l)
		} else {
			b = append(b, v[i:i+n]...)
		}
		i += n
	}
	return b, true
}

var lowerCache struct {
	sync.Mutex
	table map[rune]rune
}

// lowerCase reads from the engine how its lower() changes characters outside
// ASCII (each to one other: 1,407 of them in DuckDB 1.5), once per process.
func lowerCase(ctx context.Context, eng *engine.Engine) (map[rune]rune, error) {
	lowerCache.Lock()
	defer lowerCache.Unlock()
	if lowerCache.table != nil {
		return lowerCache.table, nil
	}
	rows, err := eng.Query(ctx, `SELECT i, lower(chr(i)) FROM (SELECT range::INTEGER AS i FROM range(128, 1114112))
WHERE (i < 55296 OR i > 57343) AND lower(chr(i)) <> chr(i)`)
	if err != nil {
		return nil, fmt.Errorf("reading lower()'s case table: %w", err)
	}
	defer rows.Close()
	table := map[rune]rune{}
	for rows.Next() {
		var i int32
		var l string
		if err := rows.Scan(&i, &l); err != nil {
			return nil, err
		}
		r, n := utf8.DecodeRuneInString(l)
		if n != len(l) {
			return nil, fmt.Errorf("lower() changes U+%04X into more than one character (%q): huntsql's prefilter cannot follow it", i, l)
		}
		table[rune(i)] = r
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	lowerCache.table = table
	return table, nil
}

// A sample is a few events' raw values and how often each atom occurs in
// them.
type sample struct {
	raw   [][]string
	null  [][]bool
	count map[atom]int
}

// share is the share of the sampled events holding a.
func (s *sample) share(a atom) float64 {
	if len(s.raw) == 0 {
		return 0
	}
	return float64(s.count[a]) / float64(len(s.raw))
}

// sample reads up to sampleRows events and counts the atoms they hold.
func (pf *prefilter) sample(ctx context.Context, eng *engine.Engine, view string, codes []string) (*sample, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "SELECT %s FROM %s", strings.Join(pf.raws, ", "), view)
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
	vals := make([]any, len(pf.raws))
	ptrs := make([]any, len(pf.raws))
	for j := range vals {
		ptrs[j] = &vals[j]
	}
	s := pf.newScratch()
	seen := map[[2]int32]bool{}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		raw, null := make([]string, len(vals)), make([]bool, len(vals))
		for j, v := range vals {
			str, ok := v.(string)
			raw[j], null[j] = str, !ok
		}
		smp.raw, smp.null = append(smp.raw, raw), append(smp.null, null)
		s.fill(raw, null)
		clear(seen)
		for j, v := range s.ev.text {
			if pf.sampleLits[j] == nil || !s.ev.exact[j] {
				continue
			}
			pf.sampleLits[j].each(v, func(id int32) {
				if k := [2]int32{int32(j), id}; !seen[k] {
					seen[k] = true
					smp.count[atom{pf.slots[j].sql, pf.index[j][id]}]++
				}
			})
		}
	}
	return smp, rows.Err()
}

var udfSeq atomic.Int64

// register makes the prefilter a scalar function of the engine's connection.
// DuckDB keeps it (with its literal tables, a few MiB for a thousand rules)
// until the engine closes: one per view scanned, which a command does once.
// It takes pf.inputs.args (VARCHAR, in order) and returns the rules the
// event is routed to, as their positions separated by commas ("3,17"), or
// NULL when none. It returns the function's name.
func (pf *prefilter) register(eng *engine.Engine) (string, error) {
	varchar, err := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	if err != nil {
		return "", err
	}
	in := make([]duckdb.TypeInfo, len(pf.inputs.args))
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
	s := pf.newScratch()
	args := make([]string, len(views))
	argNull := make([]bool, len(views))
	raw := make([]string, pf.inputs.n)
	null := make([]bool, pf.inputs.n)
	u := pf.inputs.unpacker()
	var buf []byte
	for row := range out.Len() {
		for j, view := range views {
			v, ok, err := view.GetValueBorrowed(row)
			if err != nil {
				return err
			}
			args[j], argNull[j] = v, !ok
		}
		if !u.unpack(args, argNull, raw, null) {
			if err := out.Set(row, pf.everyRule); err != nil {
				return err
			}
			continue
		}
		routed := s.route(raw, null)
		if len(routed) == 0 {
			if err := out.SetNull(row); err != nil {
				return err
			}
			continue
		}
		buf = buf[:0]
		for i, k := range routed {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = strconv.AppendInt(buf, int64(k), 10)
		}
		if err := out.Set(row, string(buf)); err != nil {
			return err
		}
	}
	return nil
}
