package scan

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
)

// lowerText lower-cases as DuckDB's lower() does, eight ASCII bytes at a
// time or one character at a time.
func TestLowerTextAsDuckDB(t *testing.T) {
	ctx := context.Background()
	eng := openEngine(t, 1)
	table, err := lowerCase(ctx, eng)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 5))
	pieces := []string{"A", "Z", "a", "z", "@", "[", "`", "{", "0", " ", "\\", "ÄÖÜ", "İ", "ſ", "\u212A", "Σ", "ǅ", "CMD.EXE ", "x"}
	var texts []string
	for range 300 {
		var b strings.Builder
		for range rng.IntN(30) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		texts = append(texts, b.String())
	}
	for _, s := range texts {
		var want string
		if err := eng.Conn().QueryRowContext(ctx, "SELECT lower(?)", s).Scan(&want); err != nil {
			t.Fatal(err)
		}
		got, ok := lowerText(nil, s, table)
		if !ok || string(got) != want {
			t.Errorf("lowerText(%q) = %q, %v; DuckDB gives %q", s, got, ok, want)
		}
	}
	if _, ok := lowerText(nil, "ab\xffcdefghij", table); ok {
		t.Error("text that is not UTF-8 read as exact")
	}
}

// A lower-cased value that is not valid UTF-8 (DuckDB's text always is) is
// not known exactly: the rules with a literal searched in it get the event.
func TestTextNotUTF8IsRouted(t *testing.T) {
	ctx := context.Background()
	eng := openEngine(t, 1)
	if err := eng.Exec(ctx, `CREATE VIEW ev AS SELECT 'x' AS a`); err != nil {
		t.Fatal(err)
	}
	nodes, d := parseConditions(t, eng, "ev", []string{`contains(lower(a), 'evil')`})
	pf := compileTests([]*test{d.testOf(nodes[0])})
	var err error
	if pf.lower, err = lowerCase(ctx, eng); err != nil {
		t.Fatal(err)
	}
	pf.setTriggers([]route{{atoms: []atom{{`lower("a")`, "evil"}}}}, []bool{true})
	s := pf.newScratch()
	for _, c := range []struct {
		raw  string
		want int
	}{{"EVIL", 1}, {"GOOD", 0}, {"EVIL\xff", 1}, {"GOOD\xff", 1}} {
		if got := len(s.route([]string{c.raw}, []bool{false})); got != c.want {
			t.Errorf("%q: routed to %d rules, want %d", c.raw, got, c.want)
		}
	}
}
