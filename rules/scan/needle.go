package scan

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp/syntax"
	"strings"
	"unicode"

	"huntsql/internal/engine"
)

// A need is what an event must hold for a condition to be true, in a form a
// literal search can test: an AND/OR tree whose leaves are atoms "this
// literal occurs in this value". It is derived from the condition's SQL as
// DuckDB parses it (json_serialize_sql), so it follows the engine's own
// reading of the condition. Anything it does not understand (NOT, regular
// expressions, numbers, …) is "unknown", which an AND skips and an OR
// cannot: a need is always implied by the condition, never more.
type need struct {
	op   byte // 'a' atom, '&' all of kids, '|' any of kids
	atom atom
	kids []*need

	slot int   // atom: its value's slot (see prefilter)
	id   int32 // atom: its literal's id in the slot's search
}

// atom: Literal occurs in the value of the SQL expression Value.
type atom struct {
	Value   string
	Literal string
}

// sqlNode is the part of DuckDB's serialized expression the derivation reads.
type sqlNode struct {
	Class        string     `json:"class"`
	Type         string     `json:"type"`
	Children     []*sqlNode `json:"children"`
	FunctionName string     `json:"function_name"`
	ColumnNames  []string   `json:"column_names"`
	Left         *sqlNode   `json:"left"`
	Right        *sqlNode   `json:"right"`
	Child        *sqlNode   `json:"child"`
	CastType     *struct {
		ID string `json:"id"`
	} `json:"cast_type"`
	Value *struct {
		IsNull bool `json:"is_null"`
		Type   struct {
			ID string `json:"id"`
		} `json:"type"`
		Value any `json:"value"`
	} `json:"value"`
}

// parseWheres parses each condition with DuckDB's parser; a condition it
// cannot parse gets nil.
func parseWheres(ctx context.Context, eng *engine.Engine, wheres []string) ([]*sqlNode, error) {
	out := make([]*sqlNode, len(wheres))
	if len(wheres) == 0 {
		return out, nil
	}
	var b strings.Builder
	b.WriteString("SELECT i, json_serialize_sql(q)::VARCHAR FROM (VALUES ")
	for i, w := range wheres {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "(%d, %s)", i, engine.Quote("SELECT 1 WHERE "+w))
	}
	b.WriteString(") AS t(i, q)")
	rows, err := eng.Query(ctx, b.String())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var i int
		var js string
		if err := rows.Scan(&i, &js); err != nil {
			return nil, err
		}
		var doc struct {
			Error      bool `json:"error"`
			Statements []struct {
				Node struct {
					Where *sqlNode `json:"where_clause"`
				} `json:"node"`
			} `json:"statements"`
		}
		if json.Unmarshal([]byte(js), &doc) != nil || doc.Error || len(doc.Statements) != 1 {
			continue
		}
		out[i] = doc.Statements[0].Node.Where
	}
	return out, rows.Err()
}

// foldLowerConstants replaces lower('…') of a constant by its value, as the
// engine computes it (its case tables are the ones the condition uses).
func foldLowerConstants(ctx context.Context, eng *engine.Engine, nodes []*sqlNode) error {
	var found []*sqlNode
	var walk func(n *sqlNode)
	walk = func(n *sqlNode) {
		if n == nil {
			return
		}
		if n.Class == "FUNCTION" && n.FunctionName == "lower" && len(n.Children) == 1 {
			if _, ok := text(n.Children[0]); ok {
				found = append(found, n)
				return
			}
		}
		for _, c := range n.Children {
			walk(c)
		}
		walk(n.Left)
		walk(n.Right)
		walk(n.Child)
	}
	for _, n := range nodes {
		walk(n)
	}
	if len(found) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("SELECT i, lower(s) FROM (VALUES ")
	for i, n := range found {
		if i > 0 {
			b.WriteString(", ")
		}
		s, _ := text(n.Children[0])
		fmt.Fprintf(&b, "(%d, %s)", i, engine.Quote(s))
	}
	b.WriteString(") AS t(i, s)")
	rows, err := eng.Query(ctx, b.String())
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var i int
		var s string
		if err := rows.Scan(&i, &s); err != nil {
			return err
		}
		n := found[i]
		v := *n.Children[0]
		v.Value.Value = s
		*n = v
	}
	return rows.Err()
}

// A deriver derives needs over a view whose column types it knows: a value
// is searched as text only when it is text (a number compared with a string
// is not, '05' = 5 holds where '5' does not contain '05').
type deriver struct {
	types map[string]string // column → DuckDB type
}

// leaf is an atom, or unknown for an empty literal (every text holds it).
func leaf(value, literal string) *need {
	if literal == "" {
		return nil
	}
	return &need{op: 'a', atom: atom{value, literal}}
}

// longestLikeRun is the longest run of literal characters of a LIKE pattern:
// a text the pattern matches holds it.
func longestLikeRun(pat, esc string) string {
	var best, cur strings.Builder
	flush := func() {
		if cur.Len() > best.Len() {
			best.Reset()
			best.WriteString(cur.String())
		}
		cur.Reset()
	}
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		switch {
		case esc != "" && c == esc[0] && i+1 < len(pat):
			i++
			cur.WriteByte(pat[i])
		case c == '%' || c == '_':
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return best.String()
}

// text is a VARCHAR constant's value.
func text(n *sqlNode) (string, bool) {
	if n == nil || n.Class != "CONSTANT" || n.Value == nil || n.Value.IsNull || n.Value.Type.ID != "VARCHAR" {
		return "", false
	}
	s, ok := n.Value.Value.(string)
	return s, ok
}

// boolConstant reads a constant boolean (as written: true, false, or
// 't'::BOOLEAN and the like).
func boolConstant(n *sqlNode) (value, ok bool) {
	if n == nil {
		return false, false
	}
	if n.Class == "CAST" && n.CastType != nil && n.CastType.ID == "BOOLEAN" {
		switch s, _ := text(n.Child); s {
		case "t", "true":
			return true, true
		case "f", "false":
			return false, true
		}
		return false, false
	}
	if n.Class == "CONSTANT" && n.Value != nil && !n.Value.IsNull && n.Value.Type.ID == "BOOLEAN" {
		b, ok := n.Value.Value.(bool)
		return b, ok
	}
	return false, false
}

// valueSQL writes back, as SQL, the value expressions a need can name: a text
// column, an entry of a map of texts, lower() of either. A column with a
// collation (VARCHAR COLLATE NOCASE compares without case) would be compared
// here byte for byte, and DESCRIBE does not show it: no huntsql view has one.
func (d *deriver) valueSQL(n *sqlNode) (string, bool) {
	if n == nil {
		return "", false
	}
	switch {
	case n.Class == "COLUMN_REF" && len(n.ColumnNames) == 1 && d.types[n.ColumnNames[0]] == "VARCHAR":
		return engine.QuoteIdent(n.ColumnNames[0]), true
	case n.Type == "ARRAY_EXTRACT" && len(n.Children) == 2:
		m := n.Children[0]
		if m.Class != "COLUMN_REF" || len(m.ColumnNames) != 1 || d.types[m.ColumnNames[0]] != "MAP(VARCHAR, VARCHAR)" {
			return "", false
		}
		key, ok := text(n.Children[1])
		if !ok {
			return "", false
		}
		return engine.QuoteIdent(m.ColumnNames[0]) + "[" + engine.Quote(key) + "]", true
	case n.Class == "FUNCTION" && n.FunctionName == "lower" && len(n.Children) == 1:
		inner, ok := d.valueSQL(n.Children[0])
		if !ok {
			return "", false
		}
		return "lower(" + inner + ")", true
	}
	return "", false
}

// trigger chooses, for a need, the atoms that start a rule's evaluation: a set
// of atoms one of which every matching event holds. Of an AND it takes the
// child whose atoms are rarest (by freq, an atom's share of sampled events);
// an OR needs all its children's. It returns the atoms and their summed
// frequency.
func trigger(n *need, freq func(atom) float64) ([]atom, float64) {
	switch n.op {
	case 'a':
		return []atom{n.atom}, freq(n.atom)
	case '|':
		var out []atom
		total := 0.0
		for _, k := range n.kids {
			as, f := trigger(k, freq)
			out = append(out, as...)
			total += f
		}
		return out, total
	}
	var best []atom
	bestF := 0.0
	for i, k := range n.kids {
		as, f := trigger(k, freq)
		// Rarest first; then fewer atoms, then longer literals (a tie on a
		// small sample says little).
		if i == 0 || f < bestF || (f == bestF && better(as, best)) {
			best, bestF = as, f
		}
	}
	return best, bestF
}

func better(a, b []atom) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return shortest(a) > shortest(b)
}

func shortest(as []atom) int {
	n := -1
	for _, a := range as {
		if n < 0 || len(a.Literal) < n {
			n = len(a.Literal)
		}
	}
	return n
}

// walk calls f for n and each need under it.
func (n *need) walk(f func(*need)) {
	f(n)
	for _, k := range n.kids {
		k.walk(f)
	}
}

// regexNeed derives what a text an RE2 pattern finds a match in must hold:
// the literals the pattern cannot match without (Go's regexp/syntax reads
// RE2's syntax; a pattern it cannot parse is unknown). A literal under a
// case-insensitive flag is searched, lower-cased, in the lower-cased value,
// split at letters whose case folds to a non-ASCII letter (k: the Kelvin
// sign, s: the long s), which lower() would not bring back to ASCII.
func regexNeed(value, pattern string) *need {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil
	}
	lowered := value
	if !strings.HasPrefix(value, "lower(") {
		lowered = "lower(" + value + ")"
	}
	var walk func(re *syntax.Regexp) *need
	walk = func(re *syntax.Regexp) *need {
		switch re.Op {
		case syntax.OpLiteral:
			if re.Flags&syntax.FoldCase == 0 {
				return leaf(value, string(re.Rune))
			}
			var kids []*need
			for _, run := range foldSafeRuns(re.Rune) {
				kids = append(kids, leaf(lowered, run))
			}
			return all(kids)
		case syntax.OpConcat:
			var kids []*need
			for _, sub := range re.Sub {
				if k := walk(sub); k != nil {
					kids = append(kids, k)
				}
			}
			return all(kids)
		case syntax.OpAlternate:
			var kids []*need
			for _, sub := range re.Sub {
				k := walk(sub)
				if k == nil {
					return nil
				}
				kids = append(kids, k)
			}
			return &need{op: '|', kids: kids}
		case syntax.OpCapture, syntax.OpPlus:
			return walk(re.Sub[0])
		case syntax.OpRepeat:
			if re.Min >= 1 {
				return walk(re.Sub[0])
			}
		}
		return nil
	}
	return walk(re)
}

// all is the AND of kids (nil when there are none).
func all(kids []*need) *need {
	var out []*need
	for _, k := range kids {
		if k != nil {
			out = append(out, k)
		}
	}
	switch len(out) {
	case 0:
		return nil
	case 1:
		return out[0]
	}
	return &need{op: '&', kids: out}
}

// foldSafeRuns splits a case-insensitive literal into lower-case ASCII runs
// that lower() of any text the literal matches holds.
func foldSafeRuns(rs []rune) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for _, r := range rs {
		if r >= 0x80 || !asciiFoldOrbit(r) {
			flush()
			continue
		}
		cur.WriteRune(unicode.ToLower(r))
	}
	flush()
	return out
}

// asciiFoldOrbit reports whether every case variant of r is ASCII.
func asciiFoldOrbit(r rune) bool {
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f >= 0x80 {
			return false
		}
	}
	return true
}
