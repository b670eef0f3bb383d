package sigma

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"unicode"
)

// Cond is a parsed detection condition.
type Cond interface{ cond() }

// CondAnd is true when every term is.
type CondAnd []Cond

// CondOr is true when any term is.
type CondOr []Cond

// CondNot negates its term.
type CondNot struct{ X Cond }

// CondRef names one search identifier.
type CondRef struct{ Name string }

// CondOf is "N of pattern" / "all of pattern" / "1 of them". All is true for
// "all of"; otherwise at least N of the matching searches must hold.
type CondOf struct {
	All     bool
	N       int
	Pattern string // a glob over search identifiers, or "them"
}

func (CondAnd) cond() {}
func (CondOr) cond()  {}
func (CondNot) cond() {}
func (CondRef) cond() {}
func (CondOf) cond()  {}

// ParseCondition parses a Sigma condition: search identifiers, and / or / not
// (not binds tightest, then and, then or), parentheses, and "1 of x*",
// "all of them", "N of x*". The old aggregation pipe ("| count() > 5") is
// refused: rewrite it as a correlation rule.
func ParseCondition(s string) (Cond, error) {
	if strings.Contains(s, "|") {
		return nil, fmt.Errorf("condition %q: aggregation expressions (| count() …) are deprecated in Sigma; write a correlation rule", s)
	}
	toks, err := lexCondition(s)
	if err != nil {
		return nil, err
	}
	p := &condParser{toks: toks}
	c, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		t := p.toks[p.pos]
		if t == "|" {
			return nil, fmt.Errorf("condition %q: aggregation expressions (| count() …) are deprecated in Sigma; write a correlation rule", s)
		}
		return nil, fmt.Errorf("condition %q: unexpected %q", s, t)
	}
	return c, nil
}

func lexCondition(s string) ([]string, error) {
	var toks []string
	i := 0
	for i < len(s) {
		r := rune(s[i])
		switch {
		case unicode.IsSpace(r):
			i++
		case r == '(' || r == ')' || r == '|':
			toks = append(toks, string(r))
			i++
		case isIdentByte(s[i]):
			j := i
			for j < len(s) && isIdentByte(s[j]) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		default:
			return nil, fmt.Errorf("condition %q: unexpected character %q at %d", s, s[i], i+1)
		}
	}
	if len(toks) == 0 {
		return nil, fmt.Errorf("condition is empty")
	}
	return toks, nil
}

func isIdentByte(b byte) bool {
	return b == '_' || b == '*' || b == '-' || b == '.' || b == '?' ||
		(b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b >= 0x80
}

type condParser struct {
	toks []string
	pos  int
}

func (p *condParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *condParser) keyword(w string) bool {
	if strings.EqualFold(p.peek(), w) {
		p.pos++
		return true
	}
	return false
}

func (p *condParser) or() (Cond, error) {
	var terms CondOr
	for {
		c, err := p.and()
		if err != nil {
			return nil, err
		}
		terms = append(terms, c)
		if !p.keyword("or") {
			break
		}
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return terms, nil
}

func (p *condParser) and() (Cond, error) {
	var terms CondAnd
	for {
		c, err := p.not()
		if err != nil {
			return nil, err
		}
		terms = append(terms, c)
		if !p.keyword("and") {
			break
		}
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return terms, nil
}

func (p *condParser) not() (Cond, error) {
	if p.keyword("not") {
		c, err := p.not()
		if err != nil {
			return nil, err
		}
		return CondNot{c}, nil
	}
	return p.primary()
}

func (p *condParser) primary() (Cond, error) {
	t := p.peek()
	switch {
	case t == "":
		return nil, fmt.Errorf("condition ends early: expected a search identifier")
	case t == "(":
		p.pos++
		c, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, fmt.Errorf("condition: missing )")
		}
		p.pos++
		return c, nil
	case t == ")" || t == "|":
		return nil, fmt.Errorf("condition: unexpected %q", t)
	}
	lower := strings.ToLower(t)
	if lower == "and" || lower == "or" || lower == "of" {
		return nil, fmt.Errorf("condition: unexpected %q", t)
	}
	p.pos++
	if p.pos < len(p.toks) && strings.EqualFold(p.toks[p.pos], "of") {
		p.pos++
		target := p.peek()
		if target == "" || target == "(" || target == ")" || target == "|" {
			return nil, fmt.Errorf("condition: %q of needs a search pattern or them", t)
		}
		p.pos++
		of := CondOf{Pattern: target}
		switch lower {
		case "all":
			of.All = true
		case "any":
			of.N = 1
		default:
			n, err := strconv.Atoi(t)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("condition: %q of: expected 1, all, any or a positive number", t)
			}
			of.N = n
		}
		if strings.EqualFold(target, "them") {
			of.Pattern = "them"
		} else if _, err := path.Match(target, ""); err != nil {
			return nil, fmt.Errorf("condition: bad pattern %q", target)
		}
		return of, nil
	}
	return CondRef{t}, nil
}
