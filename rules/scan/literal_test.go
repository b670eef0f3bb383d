package scan

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// Every occurrence of every pattern is found, overlapping ones included, as a
// naive search finds them.
func TestLiteralsFindWhatANaiveSearchFinds(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	word := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteByte("ab\\.é"[r.IntN(5)])
		}
		return b.String()
	}
	for round := range 300 {
		var pats []string
		for range 1 + r.IntN(12) {
			pats = append(pats, word(r.IntN(5))) // empty patterns included
		}
		text := word(r.IntN(40))
		var got []int32
		newLiterals(pats).each(text, func(p int32) { got = append(got, p) })
		var want []int32
		for i := 0; i < len(text); i++ { // occurrences ending at i
			for id, p := range pats {
				if p != "" && i+1 >= len(p) && text[i+1-len(p):i+1] == p {
					want = append(want, int32(id))
				}
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: patterns %q in %q: got %v, want %v", round, pats, text, got, want)
		}
	}
}

// A prefilter lists exactly the rules one of whose literals occurs in its value.
func TestPrefilterMarksTheRulesWhoseLiteralsOccur(t *testing.T) {
	cl, img := `lower("cl")`, `lower("img")`
	pf := newPrefilter([]route{
		{atoms: []atom{{cl, "whoami"}, {cl, "net user"}}},
		{}, // not routed
		{atoms: []atom{{img, `\cmd.exe`}}},
		{atoms: []atom{{cl, "who"}}},
	})
	cases := []struct {
		cl, img string
		want    []int
	}{
		{"cmd /c whoami /all", `c:\windows\system32\cmd.exe`, []int{0, 2, 3}},
		{"net user x", `c:\x\powershell.exe`, []int{0}},
		{"echo", "", nil},
	}
	for _, c := range cases {
		set := make([]uint64, pf.words())
		for j, v := range pf.values {
			switch v {
			case cl:
				pf.mark(set, j, c.cl)
			case img:
				pf.mark(set, j, c.img)
			}
		}
		var got []int
		for k := range pf.n {
			if set[k/64]&(1<<(k%64)) != 0 {
				got = append(got, k)
			}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%q %q: got %v, want %v", c.cl, c.img, got, c.want)
		}
	}
}
