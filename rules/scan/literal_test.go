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
