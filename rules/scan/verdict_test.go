package scan

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"huntsql/internal/engine"
)

// Random conditions of every shape the tests read (and some they do not),
// over events with NULLs, empty strings, mixed case and letters whose case
// folds outside ASCII: on every event, the results the Go test allows must
// include what DuckDB computes (true, false or NULL): it may never rule out
// an event the condition matches. And where the condition is made only of
// shapes it reads exactly, it must be exact: it allows that result alone.
func TestTestsAgreeWithDuckDB(t *testing.T) {
	ctx := context.Background()
	eng := openEngine(t, 2)
	rng := rand.New(rand.NewPCG(7, 11))
	words := []string{"cmd", "CMD", "WhoAmI", "whoami", `\cmd.exe`, "Straße", "STRASSE", "İstanbul", "istanbul", "ſtop", "STOP", "\u212Aelvin", "kelvin", "ΣΑΣ", "σας", "50%", "a_b", "-", "x"}
	value := func() string {
		switch rng.IntN(8) {
		case 0:
			return "NULL"
		case 1:
			return "''"
		}
		var b strings.Builder
		for range 1 + rng.IntN(3) {
			if b.Len() > 0 {
				b.WriteString([]string{" ", `\`, ""}[rng.IntN(3)])
			}
			b.WriteString(words[rng.IntN(len(words))])
		}
		return engine.Quote(b.String())
	}
	var rows []string
	for i := range 400 {
		k := value()
		m := "MAP {'Image': " + k + "}"
		if k == "NULL" && i%2 == 0 {
			m = "MAP {'Other': 'x'}" // the key missing: NULL too
		}
		rows = append(rows, fmt.Sprintf("(%d, %s, %s, %s, %d)", i, value(), value(), m, i%7))
	}
	if err := eng.Exec(ctx, `CREATE VIEW ev AS SELECT * FROM (VALUES `+strings.Join(rows, ",\n")+`) t(i, a, b, m, n)`); err != nil {
		t.Fatal(err)
	}
	lit := func() string {
		w := words[rng.IntN(len(words))]
		switch rng.IntN(4) {
		case 0:
			r := []rune(w)
			w = string(r[:len(r)/2])
		case 1:
			w = strings.ToLower(w)
		}
		return engine.Quote(w)
	}
	values := []string{`a`, `b`, `m['Image']`}
	// pred returns a predicate and whether the test reads it exactly.
	pred := func() (string, bool) {
		v := values[rng.IntN(len(values))]
		if rng.IntN(2) == 0 {
			v = "lower(" + v + ")"
		}
		l := lit()
		if rng.IntN(3) == 0 {
			l = "lower(" + l + ")"
		}
		switch rng.IntN(12) {
		case 0:
			return fmt.Sprintf("contains(%s, %s)", v, l), true
		case 1:
			return fmt.Sprintf("starts_with(%s, %s)", v, l), true
		case 2:
			return fmt.Sprintf("ends_with(%s, %s)", v, l), true
		case 3:
			return fmt.Sprintf("%s = %s", v, l), true
		case 4:
			return fmt.Sprintf("%s <> %s", v, l), true
		case 5:
			return fmt.Sprintf("%s IN (%s, %s, %s)", v, l, lit(), lit()), true
		case 6:
			return fmt.Sprintf("%s NOT IN (%s, %s)", v, l, lit()), true
		case 7:
			return fmt.Sprintf("%s IS NULL", v), true
		case 8:
			return fmt.Sprintf("%s IS NOT NULL", v), true
		case 9:
			// Go reads ASCII patterns as RE2 does.
			w := words[rng.IntN(len(words))]
			pat := []string{"(?i)", "", "^", `\s*`}[rng.IntN(4)] + regexp.QuoteMeta(w) + []string{"", "$", `\b`, ".?x"}[rng.IntN(4)]
			return fmt.Sprintf("regexp_matches(%s, %s)", v, engine.Quote(pat)), isASCII(pat)
		case 10:
			// Without '_', a LIKE pattern is read exactly.
			w, x := words[rng.IntN(len(words))], words[rng.IntN(len(words))]
			pat := []string{"%", ""}[rng.IntN(2)] + w + []string{"%", ""}[rng.IntN(2)] + x + []string{"%", ""}[rng.IntN(2)]
			if rng.IntN(2) == 0 {
				return fmt.Sprintf("%s LIKE %s", v, engine.Quote(pat)), !strings.Contains(pat, "_")
			}
			pat = strings.ReplaceAll(pat, "_", `\_`) // a literal _
			return fmt.Sprintf(`%s LIKE %s ESCAPE '\'`, v, engine.Quote(pat)), true
		}
		return "n > 3", false
	}
	var cond func(depth int) (string, bool)
	cond = func(depth int) (string, bool) {
		if depth == 0 || rng.IntN(3) == 0 {
			return pred()
		}
		x, ex := cond(depth - 1)
		switch rng.IntN(5) {
		case 0:
			return "NOT (" + x + ")", ex
		case 1:
			return "coalesce(" + x + ", false)", ex
		case 2:
			return "coalesce(" + x + ", true)", ex
		}
		y, ey := cond(depth - 1)
		op := " AND "
		if rng.IntN(2) == 0 {
			op = " OR "
		}
		return "(" + x + op + y + ")", ex && ey
	}
	var wheres []string
	var exact []bool
	for range 300 {
		w, ex := cond(4)
		wheres = append(wheres, w)
		exact = append(exact, ex)
	}

	nodes, d := parseConditions(t, eng, "ev", wheres)
	tests := make([]*test, len(wheres))
	for k, n := range nodes {
		if n == nil {
			t.Fatalf("%s: not parsed", wheres[k])
		}
		tests[k] = d.testOf(n)
	}
	pf := compileTests(tests)
	var err error
	if pf.lower, err = lowerCase(ctx, eng); err != nil {
		t.Fatal(err)
	}
	// Every event's raw values, as the prefilter reads them.
	res, err := eng.Query(ctx, "SELECT "+strings.Join(pf.raws, ", ")+" FROM ev ORDER BY i")
	if err != nil {
		t.Fatal(err)
	}
	var raws [][]string
	var nulls [][]bool
	for res.Next() {
		vals := make([]any, len(pf.raws))
		ptrs := make([]any, len(vals))
		for j := range vals {
			ptrs[j] = &vals[j]
		}
		if err := res.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		raw, null := make([]string, len(vals)), make([]bool, len(vals))
		for j, v := range vals {
			s, ok := v.(string)
			raw[j], null[j] = s, !ok
		}
		raws, nulls = append(raws, raw), append(nulls, null)
	}
	res.Close()
	s := pf.newScratch()
	checked, pruned := 0, 0
	for k, w := range wheres {
		res, err := eng.Query(ctx, "SELECT ("+w+") FROM ev ORDER BY i")
		if err != nil {
			t.Fatalf("%s: %v", w, err)
		}
		i := 0
		for res.Next() {
			var got *bool
			if err := res.Scan(&got); err != nil {
				t.Fatal(err)
			}
			want := oNull
			if got != nil {
				want = truth(*got)
			}
			s.fill(raws[i], nulls[i])
			o := tests[k].eval(&s.ev)
			if o&want == 0 {
				t.Fatalf("event %d, %s: DuckDB gives %s, the test allows only %s", i, w, name(want), name(o))
			}
			if exact[k] && o != want {
				t.Errorf("event %d, %s: DuckDB gives %s, the test allows %s: not exact", i, w, name(want), name(o))
			}
			if o&oTrue == 0 {
				pruned++
			}
			checked++
			i++
		}
		res.Close()
	}
	if pruned == 0 || pruned == checked {
		t.Fatalf("%d of %d (condition, event) pairs ruled out: the test tests nothing", pruned, checked)
	}
	t.Logf("%d (condition, event) pairs, %d ruled out", checked, pruned)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func name(o outcome) string {
	var out []string
	for _, x := range []struct {
		o outcome
		s string
	}{{oTrue, "true"}, {oFalse, "false"}, {oNull, "NULL"}} {
		if o&x.o != 0 {
			out = append(out, x.s)
		}
	}
	return "{" + strings.Join(out, ",") + "}"
}
