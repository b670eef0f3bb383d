package scan

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"huntsql/internal/engine"
)

// needsOf derives the need of each condition over a view of typed columns,
// rendered as text: atoms as value~literal, & and | in prefix form, "?" for
// unknown.
func needsOf(t *testing.T, wheres []string) []string {
	t.Helper()
	ctx := context.Background()
	eng := openEngine(t, 1)
	if err := eng.Exec(ctx, `CREATE VIEW v AS SELECT 'x' AS cl, 'y' AS img, 5 AS n, MAP {'Image': 'z'} AS m`); err != nil {
		t.Fatal(err)
	}
	nodes, d := parseConditions(t, eng, "v", wheres)
	var out []string
	for _, n := range nodes {
		out = append(out, render(d.testOf(n).need()))
	}
	return out
}

// parseConditions parses conditions over view as the scan does, and gives
// the deriver of its columns.
func parseConditions(t *testing.T, eng *engine.Engine, view string, wheres []string) ([]*sqlNode, *deriver) {
	t.Helper()
	ctx := context.Background()
	nodes, err := parseWheres(ctx, eng, wheres)
	if err != nil {
		t.Fatal(err)
	}
	if err := foldLowerConstants(ctx, eng, nodes); err != nil {
		t.Fatal(err)
	}
	_, types, err := viewColumns(ctx, eng, view)
	if err != nil {
		t.Fatal(err)
	}
	return nodes, &deriver{types: types}
}

func render(n *need) string {
	if n == nil {
		return "?"
	}
	if n.op == 'a' {
		return n.atom.Value + "~" + n.atom.Literal
	}
	var kids []string
	for _, k := range n.kids {
		kids = append(kids, render(k))
	}
	return string(n.op) + "(" + strings.Join(kids, " ") + ")"
}

func TestNeedsFollowTheCondition(t *testing.T) {
	cases := []struct{ where, want string }{
		{`contains(lower(cl), 'whoami')`, `lower("cl")~whoami`},
		{`ends_with(lower(m['Image']), '\cmd.exe') AND contains(cl, '/c')`, `&(lower("m"['Image'])~\cmd.exe "cl"~/c)`},
		{`starts_with(img, 'c:') OR img = 'x'`, `|("img"~c: "img"~x)`},
		{`img IN ('a', 'b')`, `|("img"~a "img"~b)`},
		// An AND keeps what it knows; an OR with an unknown side is unknown.
		{`contains(cl, 'a') AND NOT contains(cl, 'b')`, `"cl"~a`},
		{`contains(cl, 'a') OR NOT contains(cl, 'b')`, `?`},
		{`coalesce(contains(cl, 'a'), false)`, `"cl"~a`},
		{`coalesce(contains(cl, 'a'), true)`, `?`},
		// Numbers are not searched as text: 5 = '05' holds.
		{`n = '05'`, `?`},
		{`cl LIKE '%ab\_c%de%' ESCAPE '\'`, `"cl"~ab_c`},
		{`cl LIKE '%ab%'`, `"cl"~ab`},
		{`cl ILIKE '%ab%'`, `?`},
		{`cl = ''`, `?`},
		// lower() of a constant is folded by the engine.
		{`contains(lower(cl), lower('ÄBC'))`, `lower("cl")~äbc`},
		// Regular expressions: the literals a match cannot do without.
		{`regexp_matches(cl, 'foo.*bar')`, `&("cl"~foo "cl"~bar)`},
		{`regexp_matches(cl, 'a(bc|de)f')`, `&("cl"~a |("cl"~bc "cl"~de) "cl"~f)`},
		{`regexp_matches(cl, 'x?y*')`, `?`},
		{`regexp_matches(cl, '(?:abc){2,}')`, `"cl"~abc`},
		// Case-insensitive: searched lower-cased, split where a letter folds
		// outside ASCII (k: Kelvin sign, s: long s).
		{`regexp_matches(cl, '(?i)MaSK')`, `&(lower("cl")~ma)`},
		{`regexp_matches(cl, '(?i)Invoke')`, `&(lower("cl")~invo lower("cl")~e)`},
		{`regexp_matches(cl, '(?i)\d+')`, `?`},
		{`regexp_matches(cl, 'x', 'i')`, `?`},
		{`regexp_matches(cl, '(?<=a)b')`, `?`}, // RE2 refuses it anyway
	}
	var wheres []string
	for _, c := range cases {
		wheres = append(wheres, c.where)
	}
	got := needsOf(t, wheres)
	for i, c := range cases {
		// A single-child AND renders as its child.
		want := c.want
		if strings.HasPrefix(want, "&(") && !strings.Contains(want[2:], " ") {
			want = want[2 : len(want)-1]
		}
		if got[i] != want {
			t.Errorf("%s:\n got %s\nwant %s", c.where, got[i], want)
		}
	}
}

// The trigger of an AND is its rarest side; of an OR, all sides.
func TestTriggerTakesTheRarestSide(t *testing.T) {
	a, b, c := atom{"v", "common"}, atom{"v", "rare"}, atom{"v", "rarer"}
	freq := map[atom]float64{a: 0.9, b: 0.1, c: 0.05}
	n := &need{op: '&', kids: []*need{{op: 'a', atom: a}, {op: '|', kids: []*need{{op: 'a', atom: b}, {op: 'a', atom: c}}}}}
	got, share := trigger(n, func(x atom) float64 { return freq[x] })
	if !slices.Equal(got, []atom{b, c}) || fmt.Sprintf("%.2f", share) != "0.15" {
		t.Errorf("got %v %.2f", got, share)
	}
}
