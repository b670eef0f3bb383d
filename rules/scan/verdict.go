package scan

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// A test is a condition in a form Go can evaluate on an event's values: not
// to decide a match (the condition's SQL does), but to rule events out. On
// an event it gives the set of results the condition can have in SQL (true,
// false, NULL), exactly where it can be sure and all of them where it
// cannot. The event is routed to the rule only when true is in the set.
//
// It is exact for the string tests rules are made of (=, <>, IN, contains,
// starts_with, ends_with, IS [NOT] NULL on a text column or an entry of a map
// of texts, or on lower() of one), for AND, OR, NOT and coalesce, with SQL's
// three-valued logic. lower() is computed here as DuckDB computes it (see
// lowerText). A regular expression is run by Go's regexp where the pattern is
// ASCII (see goRegexp), a LIKE pattern without '_' exactly; other patterns
// are false where a literal they need is missing, else unknown. Anything else
// is unknown.
type test struct {
	op    byte // '&' all, '|' any, '!' not, 'c' coalesce, 'k' constant, 'p' predicate, '?' unknown
	kids  []*test
	value string // predicate: the value it reads, as SQL (lower(…) for a lower-cased one)
	fn    byte   // predicate: 'c' contains, 's' starts with, 'e' ends with, '=' equal, '<' not equal, 'i' in, 'z' is null, 'Z' is not null, 'r' needs
	lits  []string
	req   *need          // fn 'r': what the value must hold for the test to be possibly true
	re    *regexp.Regexp // fn 'r': the pattern, where Go's regexp reads it as RE2 does (else nil)
	res   outcome        // op 'k'

	slot int // predicate: its value's slot (see prefilter)
}

// outcome is a set of SQL results of a condition.
type outcome uint8

const (
	oFalse outcome = 1 << iota
	oTrue
	oNull
	oAny = oFalse | oTrue | oNull
)

// andTable[a][b], orTable[a][b]: the results of x AND y (x OR y) for x in a,
// y in b, in SQL's three-valued logic (not: NOT x).
var andTable, orTable [8][8]outcome

func init() {
	one := []outcome{oFalse, oTrue, oNull}
	and1 := func(x, y outcome) outcome {
		switch {
		case x == oFalse || y == oFalse:
			return oFalse
		case x == oNull || y == oNull:
			return oNull
		}
		return oTrue
	}
	or1 := func(x, y outcome) outcome {
		switch {
		case x == oTrue || y == oTrue:
			return oTrue
		case x == oNull || y == oNull:
			return oNull
		}
		return oFalse
	}
	for a := outcome(0); a < 8; a++ {
		for b := outcome(0); b < 8; b++ {
			for _, x := range one {
				for _, y := range one {
					if a&x != 0 && b&y != 0 {
						andTable[a][b] |= and1(x, y)
						orTable[a][b] |= or1(x, y)
					}
				}
			}
		}
	}
}

func not(a outcome) outcome {
	out := a & oNull
	if a&oTrue != 0 {
		out |= oFalse
	}
	if a&oFalse != 0 {
		out |= oTrue
	}
	return out
}

var unknown = &test{op: '?'}

// testOf derives the test of a parsed condition.
func (d *deriver) testOf(n *sqlNode) *test {
	if n == nil {
		return unknown
	}
	switch n.Type {
	case "CONJUNCTION_AND", "CONJUNCTION_OR":
		t := &test{op: '&'}
		if n.Type == "CONJUNCTION_OR" {
			t.op = '|'
		}
		for _, c := range n.Children {
			t.kids = append(t.kids, d.testOf(c))
		}
		return t
	case "OPERATOR_NOT":
		if len(n.Children) == 1 {
			return &test{op: '!', kids: []*test{d.testOf(n.Children[0])}}
		}
	case "OPERATOR_COALESCE":
		t := &test{op: 'c'}
		for _, c := range n.Children {
			t.kids = append(t.kids, d.testOf(c))
		}
		return t
	case "OPERATOR_IS_NULL", "OPERATOR_IS_NOT_NULL":
		if len(n.Children) == 1 {
			if v, ok := d.valueSQL(n.Children[0]); ok {
				fn := byte('z')
				if n.Type == "OPERATOR_IS_NOT_NULL" {
					fn = 'Z'
				}
				return &test{op: 'p', value: v, fn: fn}
			}
		}
	case "COMPARE_EQUAL", "COMPARE_NOTEQUAL":
		fn := byte('=')
		if n.Type == "COMPARE_NOTEQUAL" {
			fn = '<'
		}
		if v, ok := d.valueSQL(n.Left); ok {
			if s, ok := text(n.Right); ok {
				return &test{op: 'p', value: v, fn: fn, lits: []string{s}}
			}
		}
		if v, ok := d.valueSQL(n.Right); ok {
			if s, ok := text(n.Left); ok {
				return &test{op: 'p', value: v, fn: fn, lits: []string{s}}
			}
		}
	case "COMPARE_IN", "COMPARE_NOT_IN":
		if len(n.Children) < 2 {
			break
		}
		v, ok := d.valueSQL(n.Children[0])
		if !ok {
			break
		}
		t := &test{op: 'p', value: v, fn: 'i'}
		for _, c := range n.Children[1:] {
			s, ok := text(c)
			if !ok {
				return unknown
			}
			t.lits = append(t.lits, s)
		}
		if n.Type == "COMPARE_NOT_IN" {
			return &test{op: '!', kids: []*test{t}}
		}
		return t
	case "FUNCTION":
		return d.functionTest(n)
	}
	if b, ok := boolConstant(n); ok {
		return &test{op: 'k', res: truth(b)}
	}
	return unknown
}

// functionTest is the test of a function testing a value against a text
// constant.
func (d *deriver) functionTest(n *sqlNode) *test {
	if len(n.Children) < 2 {
		return unknown
	}
	v, ok := d.valueSQL(n.Children[0])
	if !ok {
		return unknown
	}
	pat, ok := text(n.Children[1])
	if !ok {
		return unknown
	}
	switch n.FunctionName {
	case "contains", "starts_with", "ends_with", "prefix", "suffix":
		if len(n.Children) == 2 {
			fn := map[string]byte{"contains": 'c', "starts_with": 's', "prefix": 's', "ends_with": 'e', "suffix": 'e'}[n.FunctionName]
			return &test{op: 'p', value: v, fn: fn, lits: []string{pat}}
		}
	case "regexp_matches":
		if len(n.Children) == 2 { // options as a third argument: not read
			return &test{op: 'p', value: v, fn: 'r', req: regexNeed(v, pat), re: goRegexp(pat)}
		}
	case "~~", "like", "like_escape":
		esc := ""
		if len(n.Children) == 3 {
			if esc, ok = text(n.Children[2]); !ok || len(esc) > 1 {
				return unknown
			}
		}
		return &test{op: 'p', value: v, fn: 'r', req: leaf(v, longestLikeRun(pat, esc)), re: likeRegexp(pat, esc)}
	}
	return unknown
}

// goRegexp compiles an RE2 pattern with Go's regexp, which implements RE2's
// syntax and its leftmost-first search, for the patterns where the two
// cannot differ: ASCII, naming no character outside it (\x{…}), no Unicode
// classes (\p). Under (?i) the letters k and s still fold to the Kelvin sign
// and the long s in both, by the same simple case folding. Others are nil.
func goRegexp(pat string) *regexp.Regexp {
	for i := 0; i < len(pat); i++ {
		if pat[i] >= utf8.RuneSelf {
			return nil
		}
	}
	for _, esc := range []string{`\p`, `\P`, `\C`, `\x{`} {
		if strings.Contains(pat, esc) {
			return nil
		}
	}
	re, err := regexp.Compile(pat)
	if err != nil {
		return nil
	}
	return re
}

// likeRegexp is a LIKE pattern (escape character esc, or none) as a
// regular expression, for patterns without '_' ('%' and literal text: a
// match is the same in bytes and in characters); others are nil.
func likeRegexp(pat, esc string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		switch {
		case esc != "" && c == esc[0] && i+1 < len(pat):
			i++
			b.WriteString(regexp.QuoteMeta(pat[i : i+1]))
		case esc != "" && c == esc[0]:
			return nil // a trailing escape: DuckDB refuses it
		case c == '_':
			return nil
		case c == '%':
			b.WriteString(".*")
		default:
			b.WriteString(regexp.QuoteMeta(pat[i : i+1]))
		}
	}
	b.WriteString(`\z`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil
	}
	return re
}

// need derives what an event must hold for the test to be true, as literals
// a search can find (see need); nil is unknown.
func (t *test) need() *need {
	switch t.op {
	case '&':
		kids := make([]*need, len(t.kids))
		for i, k := range t.kids {
			kids[i] = k.need()
		}
		return all(kids)
	case '|':
		var kids []*need
		for _, k := range t.kids {
			n := k.need()
			if n == nil {
				return nil
			}
			kids = append(kids, n)
		}
		if len(kids) == 1 {
			return kids[0]
		}
		return &need{op: '|', kids: kids}
	case 'c':
		// coalesce(x, false) is true only where x is.
		if len(t.kids) < 2 {
			return nil
		}
		for _, k := range t.kids[1:] {
			if k.op != 'k' || k.res != oFalse {
				return nil
			}
		}
		return t.kids[0].need()
	case 'p':
		switch t.fn {
		case 'c', 's', 'e', '=':
			return leaf(t.value, t.lits[0])
		case 'i':
			var kids []*need
			for _, s := range t.lits {
				if s == "" {
					return nil
				}
				kids = append(kids, leaf(t.value, s))
			}
			if len(kids) == 1 {
				return kids[0]
			}
			return &need{op: '|', kids: kids}
		case 'r':
			return t.req
		}
	}
	return nil
}

// walk calls f for t and each test under it.
func (t *test) walk(f func(*test)) {
	f(t)
	for _, k := range t.kids {
		k.walk(f)
	}
}

// An eventValues is what the tests read of one event: per slot (a value,
// lower-cased or not), its text, whether it is NULL, and whether the text is
// exact (it is not when the value is not valid UTF-8, which DuckDB's text
// always is).
type eventValues struct {
	text  []string
	null  []bool
	exact []bool
}

// eval gives the results t can have on the event.
func (t *test) eval(e *eventValues) outcome {
	switch t.op {
	case '&', '|':
		table := &andTable
		if t.op == '|' {
			table = &orTable
		}
		acc := t.kids[0].eval(e)
		for _, k := range t.kids[1:] {
			// Once the result cannot change (false for AND, true for OR, in
			// every case), the rest need not be read.
			if (t.op == '&' && acc == oFalse) || (t.op == '|' && acc == oTrue) {
				return acc
			}
			acc = table[acc][k.eval(e)]
		}
		return acc
	case '!':
		return not(t.kids[0].eval(e))
	case 'c':
		var out outcome
		for i, k := range t.kids {
			r := k.eval(e)
			if i == len(t.kids)-1 {
				return out | r
			}
			out |= r &^ oNull
			if r&oNull == 0 {
				return out
			}
		}
		return out | oNull
	case 'k':
		return t.res
	case 'p':
		return t.predicate(e)
	}
	return oAny
}

func (t *test) predicate(e *eventValues) outcome {
	s := t.slot
	switch {
	case t.fn == 'z':
		return truth(e.null[s])
	case t.fn == 'Z':
		return truth(!e.null[s])
	case e.null[s]:
		return oNull
	case !e.exact[s]:
		return oTrue | oFalse
	}
	v := e.text[s]
	switch t.fn {
	case 'c':
		return truth(strings.Contains(v, t.lits[0]))
	case 's':
		return truth(strings.HasPrefix(v, t.lits[0]))
	case 'e':
		return truth(strings.HasSuffix(v, t.lits[0]))
	case '=':
		return truth(v == t.lits[0])
	case '<':
		return truth(v != t.lits[0])
	case 'i':
		for _, l := range t.lits {
			if v == l {
				return oTrue
			}
		}
		return oFalse
	case 'r':
		if t.req != nil && !holds(t.req, e) {
			return oFalse
		}
		if t.re != nil {
			return truth(t.re.MatchString(v))
		}
		return oTrue | oFalse
	}
	return oAny
}

func truth(b bool) outcome {
	if b {
		return oTrue
	}
	return oFalse
}

// holds reports whether the event may hold n: its atoms' literals are found,
// or their value is not known exactly (then it may).
func holds(n *need, e *eventValues) bool {
	switch n.op {
	case 'a':
		return !e.exact[n.slot] || strings.Contains(e.text[n.slot], n.atom.Literal)
	case '|':
		for _, k := range n.kids {
			if holds(k, e) {
				return true
			}
		}
		return false
	}
	for _, k := range n.kids {
		if !holds(k, e) {
			return false
		}
	}
	return true
}
