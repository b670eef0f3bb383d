package evtx

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// Value types of substitutions (an array type is the element type | 0x80).
const (
	typeNull     = 0x00
	typeString   = 0x01
	typeAnsi     = 0x02
	typeInt8     = 0x03
	typeUint8    = 0x04
	typeInt16    = 0x05
	typeUint16   = 0x06
	typeInt32    = 0x07
	typeUint32   = 0x08
	typeInt64    = 0x09
	typeUint64   = 0x0a
	typeReal32   = 0x0b
	typeReal64   = 0x0c
	typeBool     = 0x0d
	typeBinary   = 0x0e
	typeGUID     = 0x0f
	typeSizeT    = 0x10
	typeFileTime = 0x11
	typeSysTime  = 0x12
	typeSID      = 0x13
	typeHex32    = 0x14
	typeHex64    = 0x15
	typeHandle   = 0x20
	typeBinXML   = 0x21
	typeEvtXML   = 0x23
	typeArray    = 0x80
)

// fixedSize is the size of a value of a fixed-size type, or 0.
func fixedSize(t uint8) int {
	switch t {
	case typeInt8, typeUint8:
		return 1
	case typeInt16, typeUint16:
		return 2
	case typeInt32, typeUint32, typeReal32, typeBool, typeHex32:
		return 4
	case typeInt64, typeUint64, typeReal64, typeFileTime, typeHex64:
		return 8
	case typeGUID, typeSysTime:
		return 16
	}
	return 0
}

// appendScalar appends the text of one value of a non-string, non-XML type
// as wevtutil writes it: decimal integers, 0x-prefixed lower-case hex,
// upper-case hex bytes and GUIDs, ISO 8601 UTC times, S-1-… SIDs.
// ok is false when b is not a whole value of type t.
func appendScalar(dst []byte, t uint8, b []byte) ([]byte, bool) {
	if n := fixedSize(t); n > 0 && len(b) != n && t != typeBool {
		return dst, false
	}
	switch t {
	case typeInt8:
		return strconv.AppendInt(dst, int64(int8(b[0])), 10), true
	case typeUint8:
		return strconv.AppendUint(dst, uint64(b[0]), 10), true
	case typeInt16:
		return strconv.AppendInt(dst, int64(int16(le.Uint16(b))), 10), true
	case typeUint16:
		return strconv.AppendUint(dst, uint64(le.Uint16(b)), 10), true
	case typeInt32:
		return strconv.AppendInt(dst, int64(int32(le.Uint32(b))), 10), true
	case typeUint32:
		return strconv.AppendUint(dst, uint64(le.Uint32(b)), 10), true
	case typeInt64:
		return strconv.AppendInt(dst, int64(le.Uint64(b)), 10), true
	case typeUint64:
		return strconv.AppendUint(dst, le.Uint64(b), 10), true
	case typeReal32:
		return strconv.AppendFloat(dst, float64(math.Float32frombits(le.Uint32(b))), 'g', -1, 32), true
	case typeReal64:
		return strconv.AppendFloat(dst, math.Float64frombits(le.Uint64(b)), 'g', -1, 64), true
	case typeBool:
		// Windows writes a 32-bit BOOL; any non-zero value is true, whatever
		// its width (some providers write other values than 1).
		if len(b) == 0 || len(b) > 8 {
			return dst, false
		}
		for _, c := range b {
			if c != 0 {
				return append(dst, "true"...), true
			}
		}
		return append(dst, "false"...), true
	case typeBinary, typeHandle, typeEvtXML:
		return appendHexUpper(dst, b), true
	case typeGUID:
		return appendGUID(dst, b), true
	case typeSizeT, typeHex32, typeHex64:
		switch len(b) {
		case 4:
			return appendHex(dst, uint64(le.Uint32(b))), true
		case 8:
			return appendHex(dst, le.Uint64(b)), true
		}
		return dst, false
	case typeFileTime:
		return appendFileTime(dst, le.Uint64(b)), true
	case typeSysTime:
		return appendSystemTime(dst, b), true
	case typeSID:
		return appendSID(dst, b)
	}
	return dst, false
}

const hexUpper = "0123456789ABCDEF"

func appendHexUpper(dst, b []byte) []byte {
	for _, c := range b {
		dst = append(dst, hexUpper[c>>4], hexUpper[c&15])
	}
	return dst
}

func appendHex(dst []byte, v uint64) []byte {
	return strconv.AppendUint(append(dst, '0', 'x'), v, 16)
}

// guidOrder is the byte of a GUID each pair of hex digits shows, and
// guidAt where the pair goes in {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}.
var (
	guidOrder = [16]uint8{3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15}
	guidAt    = [16]uint8{1, 3, 5, 7, 10, 12, 15, 17, 20, 22, 25, 27, 29, 31, 33, 35}
)

func appendGUID(dst, b []byte) []byte {
	_ = b[15]
	buf := [38]byte{0: '{', 9: '-', 14: '-', 19: '-', 24: '-', 37: '}'}
	for i := range 16 {
		c := b[guidOrder[i]]
		buf[guidAt[i]], buf[guidAt[i]+1] = hexUpper[c>>4], hexUpper[c&15]
	}
	return append(dst, buf[:]...)
}

// appendSID writes S-revision-authority-sub…; a SID cut short keeps the
// sub-authorities it has (ok is false when not even the header is there).
func appendSID(dst, b []byte) ([]byte, bool) {
	if len(b) < 8 {
		return dst, false
	}
	dst = append(dst, 'S', '-')
	dst = strconv.AppendUint(dst, uint64(b[0]), 10)
	var auth uint64
	for _, c := range b[2:8] {
		auth = auth<<8 | uint64(c)
	}
	dst = append(dst, '-')
	if auth >= 1<<32 {
		dst = append(dst, '0', 'x')
		for _, c := range b[2:8] {
			dst = append(dst, hexUpper[c>>4], hexUpper[c&15])
		}
	} else {
		dst = strconv.AppendUint(dst, auth, 10)
	}
	for i := 0; i < int(b[1]) && 8+4*i+4 <= len(b); i++ {
		dst = append(dst, '-')
		dst = strconv.AppendUint(dst, uint64(le.Uint32(b[8+4*i:])), 10)
	}
	return dst, true
}

// sidSize is the size of the SID at the start of b, for SID arrays.
func sidSize(b []byte) int {
	if len(b) < 8 {
		return len(b)
	}
	return min(len(b), 8+4*int(b[1]))
}

// appendFileTime writes a FILETIME (100 ns ticks since 1601) as
// 2006-01-02T15:04:05.1234567Z.
func appendFileTime(dst []byte, ft uint64) []byte {
	const ticksPerSecond = 10_000_000
	secs := ft / ticksPerSecond
	frac := ft % ticksPerSecond
	days := int64(secs / 86400)
	rem := int(secs % 86400)
	// 1601-01-01 is 584388 days before 3200-03-01's era math below uses
	// 0000-03-01 as day 0: days from 0000-03-01 to 1601-01-01.
	y, m, d := civil(days + 584694)
	if y <= 9999 {
		// The usual case, in one fixed-size write.
		var buf [28]byte
		putDate(&buf, y, m, d, rem/3600, rem/60%60, rem%60)
		buf[19] = '.'
		f := int(frac)
		for i := 26; i >= 20; i-- {
			buf[i] = byte('0' + f%10)
			f /= 10
		}
		buf[27] = 'Z'
		return append(dst, buf[:]...)
	}
	dst = appendDate(dst, y, m, d, rem/3600, rem/60%60, rem%60)
	dst = append(dst, '.')
	dst = appendDigits(dst, int(frac), 7)
	return append(dst, 'Z')
}

// appendSystemTime writes a SYSTEMTIME (year, month, weekday, day, hour,
// minute, second, milliseconds) as 2006-01-02T15:04:05.123Z.
func appendSystemTime(dst, b []byte) []byte {
	f := func(i int) int { return int(le.Uint16(b[2*i:])) }
	dst = appendDate(dst, f(0), f(1), f(3), f(4), f(5), f(6))
	dst = append(dst, '.')
	dst = appendDigits(dst, f(7), 3)
	return append(dst, 'Z')
}

// putDate writes 2006-01-02T15:04:05 to buf[:19]; y must be 0 to 9999 and
// the others 0 to 99.
func putDate(buf *[28]byte, y, mo, d, h, mi, s int) {
	buf[0], buf[1] = digits2[2*(y/100)], digits2[2*(y/100)+1]
	buf[2], buf[3] = digits2[2*(y%100)], digits2[2*(y%100)+1]
	buf[4] = '-'
	buf[5], buf[6] = digits2[2*mo], digits2[2*mo+1]
	buf[7] = '-'
	buf[8], buf[9] = digits2[2*d], digits2[2*d+1]
	buf[10] = 'T'
	buf[11], buf[12] = digits2[2*h], digits2[2*h+1]
	buf[13] = ':'
	buf[14], buf[15] = digits2[2*mi], digits2[2*mi+1]
	buf[16] = ':'
	buf[17], buf[18] = digits2[2*s], digits2[2*s+1]
}

// digits2 holds 00 to 99.
const digits2 = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"

func appendDate(dst []byte, y, mo, d, h, mi, s int) []byte {
	dst = appendDigits(dst, y, 4)
	dst = append(dst, '-')
	dst = appendDigits(dst, mo, 2)
	dst = append(dst, '-')
	dst = appendDigits(dst, d, 2)
	dst = append(dst, 'T')
	dst = appendDigits(dst, h, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, mi, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, s, 2)
	return dst
}

// appendDigits writes v in exactly n decimal digits (more if v needs them).
func appendDigits(dst []byte, v, n int) []byte {
	var buf [20]byte
	i := len(buf)
	for v >= 10 || n > 1 {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		n--
	}
	i--
	buf[i] = byte('0' + v%10)
	return append(dst, buf[i:]...)
}

// civil converts days since 0000-03-01 to a proleptic Gregorian date
// (Howard Hinnant's days_from_civil, inverted).
func civil(z int64) (year, month, day int) {
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
		y++
	}
	return int(y), int(m), int(d)
}

// windows1252 maps bytes 0x80–0x9f of code page 1252 (the default ANSI code
// page of Western Windows installations); other bytes are Latin-1.
var windows1252 = [32]rune{
	0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0xfffd, 0x017d, 0xfffd,
	0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e, 0x0178,
}

// appendANSI appends an ANSI (code page 1252) string as UTF-8.
func appendANSI(dst, b []byte) []byte {
	for _, c := range b {
		switch {
		case c < 0x80:
			dst = append(dst, c)
		case c < 0xa0:
			dst = utf8.AppendRune(dst, windows1252[c-0x80])
		default:
			dst = utf8.AppendRune(dst, rune(c))
		}
	}
	return dst
}
