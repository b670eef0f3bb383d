package rows

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"
)

// decodeHybrid reads n values of the RLE/bit-packed hybrid encoding as the
// Parquet specification defines it.
func decodeHybrid(t *testing.T, b []byte, n, width int) []int32 {
	t.Helper()
	var out []int32
	for len(out) < n {
		h, k := binary.Uvarint(b)
		if k <= 0 {
			t.Fatalf("bad run header after %d values", len(out))
		}
		b = b[k:]
		if h&1 == 0 { // RLE
			var v uint32
			for i := 0; i < (width+7)/8; i++ {
				v |= uint32(b[i]) << (8 * i)
			}
			b = b[(width+7)/8:]
			for range h >> 1 {
				out = append(out, int32(v))
			}
			continue
		}
		count := int(h>>1) * 8
		if count > maxLiteral {
			t.Errorf("bit-packed run of %d values, over %d", count, maxLiteral)
		}
		var acc uint64
		bits := 0
		for range count {
			for bits < width {
				acc |= uint64(b[0]) << bits
				b = b[1:]
				bits += 8
			}
			out = append(out, int32(acc&(1<<width-1)))
			acc >>= width
			bits -= width
		}
	}
	if len(b) != 0 {
		t.Errorf("%d bytes left over", len(b))
	}
	return out[:n]
}

// TestHybridRoundTrip encodes runs and noise of every width, long and short,
// across group boundaries, and decodes them back.
func TestHybridRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, width := range []int{1, 2, 3, 7, 8, 9, 16, 17, 31} {
		for trial := range 200 {
			n := rng.IntN(2000)
			if trial < 20 {
				n = trial
			}
			vals := make([]int32, 0, n)
			for len(vals) < n {
				v := int32(rng.Uint64() & (1<<width - 1))
				run := 1
				switch rng.IntN(4) {
				case 0:
					run = 1 + rng.IntN(7)
				case 1:
					run = 8 + rng.IntN(20)
				case 2:
					run = 500 + rng.IntN(600)
				}
				for range min(run, n-len(vals)) {
					vals = append(vals, v)
				}
			}
			got := decodeHybrid(t, appendHybrid(nil, vals, width), n, width)
			if !slices.Equal(got, vals) {
				t.Fatalf("width %d, %d values: decoded differently", width, n)
			}
		}
	}
	levels := []int16{0, 1, 1, 0, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 1}
	got := decodeHybrid(t, appendHybrid(nil, levels, 2), len(levels), 2)
	for i := range levels {
		if got[i] != int32(levels[i]) {
			t.Fatalf("levels decoded as %v", got)
		}
	}
}
