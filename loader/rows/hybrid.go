package rows

import "encoding/binary"

// appendHybrid appends vals, each below 1<<width, in Parquet's RLE/bit-packed
// hybrid encoding (levels and dictionary indices). Runs of eight or more equal
// values become RLE runs; the rest is bit-packed in groups of eight, at most
// 63 groups to a run (as parquet-mr and Arrow write them), the last group
// padded with zeros (readers know how many values there are).
func appendHybrid[T int16 | int32](dst []byte, vals []T, width int) []byte {
	n := len(vals)
	for i := 0; i < n; {
		run := runLength(vals, i)
		if run >= 8 {
			dst = binary.AppendUvarint(dst, uint64(run)<<1)
			for v, b := uint32(vals[i]), 0; b < width; b += 8 {
				dst = append(dst, byte(v>>b))
			}
			i += run
			continue
		}
		// A literal run: up to the next run of eight or more that starts on
		// a group boundary (or can be made to, leaving eight behind).
		end, p := n, i+run
		for p < n {
			if p-i >= maxLiteral {
				end = i + maxLiteral
				break
			}
			r := runLength(vals, p)
			if r >= 8 {
				pad := (8 - (p-i)%8) % 8
				if r-pad >= 8 && p+pad-i <= maxLiteral {
					end = p + pad
					break
				}
			}
			p += r
		}
		if end > n {
			end = n
		}
		if end-i > maxLiteral {
			end = i + maxLiteral
		}
		groups := (end - i + 7) / 8
		dst = binary.AppendUvarint(dst, uint64(groups)<<1|1)
		dst = bitPack(dst, vals[i:end], groups*8, width)
		i = end
	}
	return dst
}

// maxLiteral is the most values in one bit-packed run: 63 groups of eight.
const maxLiteral = 63 * 8

func runLength[T int16 | int32](vals []T, i int) int {
	j := i + 1
	for j < len(vals) && vals[j] == vals[i] {
		j++
	}
	return j - i
}

// bitPack appends count values (vals padded with zeros), width bits each, least
// significant bit first; count is a multiple of eight, so whole bytes result.
func bitPack[T int16 | int32](dst []byte, vals []T, count, width int) []byte {
	var acc uint64
	bits := 0
	for k := range count {
		var v uint64
		if k < len(vals) {
			v = uint64(uint32(vals[k]))
		}
		acc |= v << bits
		bits += width
		for bits >= 8 {
			dst = append(dst, byte(acc))
			acc >>= 8
			bits -= 8
		}
	}
	return dst
}

// appendRepeat appends n copies of v in the hybrid encoding: one RLE run.
func appendRepeat(dst []byte, n int, v uint32, width int) []byte {
	dst = binary.AppendUvarint(dst, uint64(n)<<1)
	for b := 0; b < width; b += 8 {
		dst = append(dst, byte(v>>b))
	}
	return dst
}
