package evtx

import (
	"encoding/binary"
	"fmt"
	"math/rand"
	"testing"
)

// TestFastFormats: the fixed-size writers of FILETIMEs and GUIDs give what
// the general ones (appendDate, appendDigits) give.
func TestFastFormats(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	slow := func(ft uint64) string {
		secs, frac := ft/10_000_000, ft%10_000_000
		rem := int(secs % 86400)
		y, m, d := civil(int64(secs/86400) + 584694)
		b := appendDate(nil, y, m, d, rem/3600, rem/60%60, rem%60)
		b = append(b, '.')
		b = appendDigits(b, int(frac), 7)
		return string(append(b, 'Z'))
	}
	for i := range 200000 {
		var ft uint64
		switch i % 4 {
		case 0:
			ft = rng.Uint64()
		case 1:
			ft = uint64(rng.Int63n(3_155_378_975_999_999_999)) // up to 9999-12-31
		case 2:
			ft = 116_444_736_000_000_000 + uint64(rng.Int63n(1<<58))
		case 3:
			ft = uint64(i)
		}
		if got, want := string(appendFileTime(nil, ft)), slow(ft); got != want {
			t.Fatalf("FILETIME %d: %s, want %s", ft, got, want)
		}
		var g [16]byte
		binary.LittleEndian.PutUint64(g[:], rng.Uint64())
		binary.LittleEndian.PutUint64(g[8:], rng.Uint64())
		want := []byte{'{'}
		for j, idx := range [16]int{3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15} {
			if j == 4 || j == 6 || j == 8 || j == 10 {
				want = append(want, '-')
			}
			want = append(want, hexUpper[g[idx]>>4], hexUpper[g[idx]&15])
		}
		want = append(want, '}')
		if got := appendGUID([]byte("x"), g[:]); string(got) != "x"+string(want) {
			t.Fatalf("GUID % x: %s, want %s", g, got, want)
		}
	}
}

// TestTextEscaping: renderer.text writes what escaping every byte on its own
// writes, and captures the unescaped text, for element text and attributes.
func TestTextEscaping(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	alphabet := []byte("ab<>&'\"\x01\x1f\t\n\r \xc3\xa9")
	for i := range 20000 {
		s := make([]byte, rng.Intn(40))
		for j := range s {
			s[j] = alphabet[rng.Intn(len(alphabet))]
		}
		attr := i%2 == 0
		var want []byte
		for _, c := range s {
			switch {
			case c == '&':
				want = append(want, "&amp;"...)
			case c == '<':
				want = append(want, "&lt;"...)
			case c == '>':
				want = append(want, "&gt;"...)
			case c == '\'' && attr:
				want = append(want, "&apos;"...)
			case c == '"' && attr:
				want = append(want, "&quot;"...)
			case needsEscape(c, attr):
				want = append(want, fmt.Sprintf("&#x%x;", c)...)
			default:
				want = append(want, c)
			}
		}
		r := renderer{out: []byte("x")}
		r.startCapture(1)
		r.text(s, attr)
		if got := string(r.out[1:]); got != string(want) {
			t.Fatalf("%q (attribute %v): %q, want %q", s, attr, got, want)
		}
		if got := r.endCapture(); got != string(s) {
			t.Fatalf("%q: captured %q", s, got)
		}
	}
}
