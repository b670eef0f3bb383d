// Package timestamp parses event times the way the archive stores them: UTC
// microseconds since the epoch, extra fractional digits truncated (floored),
// never rounded (spec §1).
package timestamp

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Parse reads an ISO 8601 date or date-time, or epoch milliseconds given as a
// string of digits:
//
//	YYYY-MM-DD
//	YYYY-MM-DD[T|t| ]hh:mm[:ss[(.|,)fraction]][Z|z|±hh|±hhmm|±hh:mm]
//	-?digits[.digits]          epoch milliseconds
//
// A date-time without an offset is UTC.
func Parse(s string) (int64, error) {
	if s == "" {
		return 0, errors.New("empty timestamp")
	}
	if isEpoch(s) {
		return EpochMillis(s)
	}
	return parseISO(s)
}

var errSyntax = errors.New("not an ISO 8601 date-time or epoch milliseconds")

func isEpoch(s string) bool {
	i := 0
	if s[0] == '-' {
		i = 1
	}
	digits, dot := 0, false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot && digits > 0:
			dot = true
		default:
			return false
		}
	}
	return digits > 0 && s[len(s)-1] != '.'
}

// EpochMillis converts epoch milliseconds (digits with an optional sign and
// fraction, as text so no precision is lost) to microseconds, flooring.
func EpochMillis(s string) (int64, error) {
	neg := false
	if s != "" && s[0] == '-' {
		neg, s = true, s[1:]
	}
	intPart, frac := s, ""
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			intPart, frac = s[:i], s[i+1:]
			break
		}
	}
	ms, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil || ms > math.MaxInt64/1000-1 {
		return 0, fmt.Errorf("epoch milliseconds %q out of range", s)
	}
	us := ms * 1000
	rest := false // digits beyond microseconds that are not zero
	for i := 0; i < len(frac); i++ {
		d := int64(frac[i] - '0')
		switch {
		case i < 3:
			us += d * []int64{100, 10, 1}[i]
		case d != 0:
			rest = true
		}
	}
	if neg {
		us = -us
		if rest {
			us-- // floor, not truncation toward zero
		}
	}
	return us, nil
}

// FromFloat converts epoch milliseconds given as a JSON number in exponent form.
func FromFloat(ms float64) (int64, error) {
	us := math.Floor(ms * 1000)
	if math.IsNaN(us) || math.Abs(us) > math.MaxInt64/2 {
		return 0, fmt.Errorf("epoch milliseconds %v out of range", ms)
	}
	return int64(us), nil
}

func parseISO(s string) (int64, error) {
	p := parser{s: s}
	year := p.digits(4)
	p.expect('-')
	month := p.digits(2)
	p.expect('-')
	day := p.digits(2)
	var hour, minute, sec, us, offset int
	if p.i < len(s) {
		if c := s[p.i]; c == 'T' || c == 't' || c == ' ' {
			p.i++
		} else {
			p.fail()
		}
		hour = p.digits(2)
		p.expect(':')
		minute = p.digits(2)
		if p.peek() == ':' {
			p.i++
			sec = p.digits(2)
			if c := p.peek(); c == '.' || c == ',' {
				p.i++
				us = p.fraction()
			}
		}
		offset = p.offset()
	}
	if p.err != nil || p.i != len(s) {
		return 0, fmt.Errorf("%q: %w", s, errSyntax)
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) {
		return 0, fmt.Errorf("%q: no such date", s)
	}
	if hour > 23 || minute > 59 || sec > 59 {
		return 0, fmt.Errorf("%q: no such time of day", s)
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	return t.Unix()*1_000_000 + int64(us) - int64(offset)*60_000_000, nil
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

type parser struct {
	s   string
	i   int
	err error
}

func (p *parser) fail() {
	if p.err == nil {
		p.err = errSyntax
	}
}

func (p *parser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *parser) expect(c byte) {
	if p.peek() != c {
		p.fail()
		return
	}
	p.i++
}

func (p *parser) digits(n int) int {
	v := 0
	for k := 0; k < n; k++ {
		c := p.peek()
		if c < '0' || c > '9' {
			p.fail()
			return 0
		}
		v = v*10 + int(c-'0')
		p.i++
	}
	return v
}

// fraction reads 1 to 9 digits and returns microseconds, truncating.
func (p *parser) fraction() int {
	us, n := 0, 0
	for c := p.peek(); c >= '0' && c <= '9'; c = p.peek() {
		if n < 6 {
			us = us*10 + int(c-'0')
		}
		n++
		p.i++
	}
	if n == 0 || n > 9 {
		p.fail()
	}
	for ; n < 6; n++ {
		us *= 10
	}
	return us
}

// offset reads the zone designator and returns minutes east of UTC.
func (p *parser) offset() int {
	switch c := p.peek(); c {
	case 0:
		return 0
	case 'Z', 'z':
		p.i++
		return 0
	case '+', '-':
		p.i++
		h, m := p.digits(2), 0
		switch {
		case p.peek() == ':':
			p.i++
			m = p.digits(2)
		case p.i < len(p.s):
			m = p.digits(2)
		}
		if h > 18 || m > 59 {
			p.fail()
		}
		if c == '-' {
			return -(h*60 + m)
		}
		return h*60 + m
	}
	p.fail()
	return 0
}
