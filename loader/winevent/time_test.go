package winevent

import (
	"fmt"
	"math/rand"
	"testing"

	"huntsql/loader/timestamp"
)

// TestParseSystemTime: the fast path reads what timestamp.Parse reads, to
// the microsecond, and declines the rest.
func TestParseSystemTime(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	cases := []string{"2024-05-01T12:00:00.1234567Z", "1601-01-01T00:00:00.0000000Z", "9999-12-31T23:59:59.9999999Z",
		"2000-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2024-13-01T00:00:00Z", "2024-05-01T12:00:00.Z",
		"2024-05-01T12:00:00.1234567890Z", "2024-05-01T24:00:00Z", "0000-01-01T00:00:00Z", "1969-12-31T23:59:59.9999999Z",
		"2024-05-01T12:00:00.1Z", "2024-05-01T12:00:00,1Z", "2024-05-01 12:00:00.1Z", "2024-05-01T12:00:00.123456789Z",
		"2024-04-31T00:00:00Z", "+024-05-01T12:00:00Z", "2024-05-01T12:00:60Z", "2024-05-01T12:0a:00Z"}
	for range 20000 {
		b := []byte(fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d", rng.Intn(10000), rng.Intn(14), rng.Intn(33), rng.Intn(25), rng.Intn(61), rng.Intn(61)))
		if n := rng.Intn(12); n > 0 {
			b = append(b, '.')
			for range n - 1 {
				b = append(b, byte('0'+rng.Intn(10)))
			}
		}
		b = append(b, 'Z')
		if rng.Intn(10) == 0 {
			b[rng.Intn(len(b))] = byte(rng.Intn(128))
		}
		cases = append(cases, string(b))
	}
	fast := 0
	for _, s := range cases {
		got, ok := parseSystemTime(s)
		if !ok {
			continue
		}
		fast++
		want, err := timestamp.Parse(s)
		if err != nil || got != want {
			t.Fatalf("%q: fast path %d, timestamp.Parse %d (%v)", s, got, want, err)
		}
	}
	if fast < len(cases)/4 {
		t.Fatalf("fast path took only %d of %d cases", fast, len(cases))
	}
}
