package sigma

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"

	yaml "go.yaml.in/yaml/v3"
)

// Modifiers are the value modifiers of the Sigma specification v2.1 (appendix
// "modifiers"), with the long names of the regular-expression flags.
var Modifiers = []string{
	"contains", "startswith", "endswith", "all", "windash", "re", "i", "m", "s",
	"ignorecase", "multiline", "dotall", "cased", "exists", "base64", "base64offset",
	"utf16le", "utf16be", "wide", "utf16", "cidr", "fieldref", "lt", "lte", "gt", "gte",
	"neq", "minute", "hour", "day", "week", "month", "year", "expand",
}

// needError says a source cannot supply a field the rule needs.
type needError struct {
	field string
	line  int
}

func (e *needError) Error() string { return "needs " + e.field }

// fieldMatch is one "Field|mod|mod: value(s)" entry of a search (Field is
// empty for keywords, which search the event's original text).
type fieldMatch struct {
	Field  string
	Mods   []string
	Values []*yaml.Node
	Line   int
}

func (fm *fieldMatch) has(m string) bool { return slices.Contains(fm.Mods, m) }

// elem is one character of a Sigma string: a literal rune or a wildcard.
type elem struct {
	r    rune
	wild bool // r is '*' (any run) or '?' (one character)
}

// parsePattern reads a Sigma string value: * and ? are wildcards, \* \? and
// \\ stand for the character itself, and any other backslash is literal.
func parsePattern(s string) []elem {
	rs := []rune(s)
	var out []elem
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == '\\' && i+1 < len(rs) && (rs[i+1] == '*' || rs[i+1] == '?' || rs[i+1] == '\\'):
			out = append(out, elem{r: rs[i+1]})
			i++
		case r == '*' || r == '?':
			out = append(out, elem{r: r, wild: true})
		default:
			out = append(out, elem{r: r})
		}
	}
	return out
}

func literalPattern(s string) []elem {
	var out []elem
	for _, r := range s {
		out = append(out, elem{r: r})
	}
	return out
}

// windashVariants are the characters Windows command lines accept for an
// option's leading dash.
var windashVariants = []rune{'-', '/', '–', '—', '―'}

const maxWindashForms = 125

// windash expands each option dash (a - or / at the start of a word: after a
// non-word character or the start, and before a word character) into every
// variant, as pySigma's windash modifier does.
func windash(p []elem) ([][]elem, error) {
	var at []int
	word := func(e elem) bool {
		return !e.wild && (e.r == '_' || e.r >= '0' && e.r <= '9' || e.r >= 'a' && e.r <= 'z' || e.r >= 'A' && e.r <= 'Z')
	}
	for i, e := range p {
		if e.wild || (e.r != '-' && e.r != '/') {
			continue
		}
		if (i == 0 || !word(p[i-1])) && i+1 < len(p) && word(p[i+1]) {
			at = append(at, i)
		}
	}
	forms := [][]elem{slices.Clone(p)}
	for _, i := range at {
		var next [][]elem
		for _, f := range forms {
			for _, v := range windashVariants {
				g := slices.Clone(f)
				g[i] = elem{r: v}
				next = append(next, g)
			}
		}
		forms = next
		if len(forms) > maxWindashForms {
			return nil, fmt.Errorf("windash: too many option dashes in one value (%d forms)", len(forms))
		}
	}
	return forms, nil
}

// base64Forms returns the base64 strings a value appears as: itself, or with
// base64offset the three encodings of the value at each offset modulo 3 in a
// longer text, without the characters that depend on its neighbours.
func base64Forms(b []byte, offset bool) []string {
	if !offset {
		return []string{base64.StdEncoding.EncodeToString(b)}
	}
	starts := []int{0, 2, 3}
	ends := []int{0, -3, -2} // 0: to the end
	var out []string
	for i := 0; i < 3; i++ {
		// The value shifted by i bytes (any bytes: the characters they
		// touch are cut below).
		enc := base64.StdEncoding.EncodeToString(append([]byte(strings.Repeat(" ", i)), b...))
		end := len(enc)
		if e := ends[(len(b)+i)%3]; e != 0 {
			end += e
		}
		if starts[i] <= end {
			out = append(out, enc[starts[i]:end])
		}
	}
	return out
}

func utf16Bytes(s string, bigEndian, bom bool) []byte {
	u := utf16.Encode([]rune(s))
	var out []byte
	if bom {
		out = append(out, 0xFF, 0xFE)
	}
	for _, c := range u {
		if bigEndian {
			out = binary.BigEndian.AppendUint16(out, c)
		} else {
			out = binary.LittleEndian.AppendUint16(out, c)
		}
	}
	return out
}

// matchSQL compiles one field match to a SQL predicate over expr. The
// predicate may be NULL when the field is; the search wraps it in coalesce.
func (c *ruleCompiler) matchSQL(fm *fieldMatch, src *Source) (string, error) {
	bad := func(format string, args ...any) error {
		return &Error{File: c.doc.File, Line: fm.Line, Msg: fmt.Sprintf(format, args...)}
	}
	for _, m := range fm.Mods {
		if !slices.Contains(Modifiers, m) {
			return "", bad("unknown modifier %q", m)
		}
	}
	target := quoteIdent("event.original")
	if fm.Field != "" {
		e, err := src.Field(fm.Field)
		if err != nil {
			if pred, ok := absentFieldPredicate(fm); ok {
				return pred, nil
			}
			return "", &needError{fm.Field, fm.Line}
		}
		target = e
		c.used(src, fm.Field, e)
	}
	if len(fm.Values) == 0 {
		return "", bad("%s has no value (an empty list matches nothing; remove it or give a value)", fieldLabel(fm))
	}
	if fm.has("exists") {
		if len(fm.Values) != 1 || fm.Values[0].Tag != "!!bool" {
			return "", bad("exists needs true or false")
		}
		if fm.Values[0].Value == "true" {
			return target + " IS NOT NULL", nil
		}
		return target + " IS NULL", nil
	}
	var preds []string
	for _, v := range fm.Values {
		if v.Kind != yaml.ScalarNode {
			return "", &Error{File: c.doc.File, Line: v.Line, Msg: fmt.Sprintf("%s: a value must be a single text, number, boolean or null", fieldLabel(fm))}
		}
		if fm.has("neq") && v.Tag != "!!null" && len(fm.Mods) == 1 {
			if _, err := strconv.ParseFloat(v.Value, 64); err == nil && v.Tag != "!!str" {
				// A number: numeric inequality, as pySigma's neq.
				preds = append(preds, fmt.Sprintf("TRY_CAST(%s AS DOUBLE) <> %s", target, v.Value))
				continue
			}
		}
		ps, err := c.valueSQL(fm, target, v, src)
		if err != nil {
			return "", err
		}
		if fm.has("neq") {
			for i, p := range ps {
				ps[i] = fmt.Sprintf("(%s IS NOT NULL AND NOT (%s))", target, p)
			}
		}
		preds = append(preds, ps...)
	}
	op := " OR "
	if fm.has("all") {
		op = " AND "
	}
	preds = slices.Compact(preds)
	if len(preds) == 1 {
		return preds[0], nil
	}
	if op == " OR " {
		preds = mergeEqualities(preds)
		if len(preds) == 1 {
			return preds[0], nil
		}
	}
	if len(preds) > 2 {
		// One value per line: long lists stay readable.
		op = "\n       " + strings.TrimSpace(op) + " "
	}
	return "(" + strings.Join(preds, op) + ")", nil
}

// absentFieldPredicate gives the exact value of a test that only asks whether
// a field is there, for a source that never has the field.
func absentFieldPredicate(fm *fieldMatch) (string, bool) {
	if fm.has("exists") && len(fm.Values) == 1 {
		if fm.Values[0].Value == "false" {
			return "true", true
		}
		return "false", true
	}
	if len(fm.Values) > 0 && !fm.has("neq") && len(fm.Mods) == 0 {
		for _, v := range fm.Values {
			if v.Tag != "!!null" {
				return "", false
			}
		}
		return "true", true
	}
	return "", false
}

func fieldLabel(fm *fieldMatch) string {
	if fm.Field == "" {
		return "keywords"
	}
	return fm.Field
}

var eqPred = regexp.MustCompile(`^(.*) = ('(?:[^']|'')*'|lower\('(?:[^']|'')*'\))$`)

// maxIn is the longest IN list mergeEqualities writes.
const maxIn = 4

// mergeEqualities turns "x = 'a' OR x = 'b'" into "x IN ('a', 'b')".
func mergeEqualities(preds []string) []string {
	groups := map[string][]string{}
	var order []string
	var out []string
	for _, p := range preds {
		m := eqPred.FindStringSubmatch(p)
		if m == nil {
			out = append(out, p)
			continue
		}
		if _, ok := groups[m[1]]; !ok {
			order = append(order, m[1])
		}
		groups[m[1]] = append(groups[m[1]], m[2])
	}
	var merged []string
	for _, lhs := range order {
		vs := groups[lhs]
		if len(vs) == 1 {
			merged = append(merged, lhs+" = "+vs[0])
			continue
		}
		// At most maxIn values a list: DuckDB plans a longer list of
		// constants as a join with the list, which is computed for every
		// event, even those an earlier test of the rule has ruled out.
		for len(vs) > 0 {
			n := min(len(vs), maxIn)
			if n == 1 {
				merged = append(merged, lhs+" = "+vs[0])
			} else {
				merged = append(merged, lhs+" IN ("+strings.Join(vs[:n], ", ")+")")
			}
			vs = vs[n:]
		}
	}
	return append(merged, out...)
}

// valueSQL compiles one value of a field match; it returns one predicate, or
// several (ORed, or ANDed with |all) when a modifier expands the value.
func (c *ruleCompiler) valueSQL(fm *fieldMatch, target string, v *yaml.Node, src *Source) ([]string, error) {
	bad := func(format string, args ...any) error {
		return &Error{File: c.doc.File, Line: v.Line, Msg: fmt.Sprintf(format, args...)}
	}
	if v.Tag == "!!null" {
		if len(fm.Mods) > 0 && !(len(fm.Mods) == 1 && fm.has("neq")) {
			return nil, bad("%s: null cannot take modifiers", fieldLabel(fm))
		}
		return []string{target + " IS NULL"}, nil
	}
	s := v.Value
	cased := fm.has("cased")
	switch {
	case fm.has("re"):
		return c.regexSQL(fm, target, s, bad)
	case fm.has("cidr"):
		p, err := cidrSQL(target, s)
		if err != nil {
			return nil, bad("cidr: %v", err)
		}
		return []string{p}, nil
	case fm.has("fieldref"):
		other, err := src.Field(s)
		if err != nil {
			return nil, &needError{s, v.Line}
		}
		c.used(src, s, other)
		l, r := lowerSQL(target), lowerSQL(other)
		if cased {
			l, r = target, other
		}
		switch {
		case fm.has("contains"):
			return []string{fmt.Sprintf("contains(%s, %s)", l, r)}, nil
		case fm.has("startswith"):
			return []string{fmt.Sprintf("starts_with(%s, %s)", l, r)}, nil
		case fm.has("endswith"):
			return []string{fmt.Sprintf("ends_with(%s, %s)", l, r)}, nil
		}
		return []string{fmt.Sprintf("%s = %s", l, r)}, nil
	}
	for _, op := range []struct{ mod, sql string }{{"lt", "<"}, {"lte", "<="}, {"gt", ">"}, {"gte", ">="}} {
		if fm.has(op.mod) {
			n, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
				return nil, bad("%s needs a number, not %q", op.mod, s)
			}
			return []string{fmt.Sprintf("TRY_CAST(%s AS DOUBLE) %s %s", target, op.sql, s)}, nil
		}
	}
	for _, part := range []string{"minute", "hour", "day", "week", "month", "year"} {
		if fm.has(part) {
			if _, err := strconv.Atoi(s); err != nil {
				return nil, bad("%s needs a whole number, not %q", part, s)
			}
			return []string{fmt.Sprintf("date_part('%s', TRY_CAST(%s AS TIMESTAMP)) = %s", part, target, s)}, nil
		}
	}

	values := []string{s}
	if fm.has("expand") {
		var err error
		values, err = c.expand(s)
		if err != nil {
			return nil, &unsupportedError{File: c.doc.File, Line: v.Line, Msg: err.Error()}
		}
	}
	var patterns [][]elem
	encoded := fm.has("base64") || fm.has("base64offset")
	for _, val := range values {
		switch {
		case encoded:
			var b []byte
			switch {
			case fm.has("utf16le") || fm.has("wide"):
				b = utf16Bytes(val, false, false)
			case fm.has("utf16be"):
				b = utf16Bytes(val, true, false)
			case fm.has("utf16"):
				b = utf16Bytes(val, false, true)
			default:
				b = []byte(val)
			}
			for _, f := range base64Forms(b, fm.has("base64offset")) {
				patterns = append(patterns, literalPattern(f))
			}
		case fm.has("utf16le") || fm.has("utf16be") || fm.has("utf16") || fm.has("wide"):
			return nil, bad("%s: utf16 encodings must be followed by base64 or base64offset", fieldLabel(fm))
		default:
			p := parsePattern(val)
			if fm.has("windash") {
				forms, err := windash(p)
				if err != nil {
					return nil, bad("%v", err)
				}
				patterns = append(patterns, forms...)
			} else {
				patterns = append(patterns, p)
			}
		}
	}
	if fm.Field == "" && !fm.has("startswith") && !fm.has("endswith") {
		// A keyword is found anywhere in the event's text. Windows XML keeps
		// its entities in event.original (&quot; for "), so a keyword with
		// XML's special characters is also looked for in its escaped form.
		n := len(patterns)
		for i := 0; i < n; i++ {
			if esc, ok := xmlEscaped(patterns[i]); ok {
				patterns = append(patterns, esc)
			}
		}
		for i := range patterns {
			patterns[i] = wrap(patterns[i], true, true)
		}
	}
	var out []string
	for _, p := range patterns {
		p = wrap(p, fm.has("contains") || fm.has("endswith"), fm.has("contains") || fm.has("startswith"))
		out = append(out, patternSQL(target, p, cased))
	}
	if fm.has("all") && len(values) == 1 && len(patterns) > 1 {
		// One value whose modifier expanded it into alternatives: any of them.
		return []string{"(" + strings.Join(mergeEqualities(slices.Compact(out)), " OR ") + ")"}, nil
	}
	return out, nil
}

// wrap adds a leading and/or trailing * unless the pattern has one already.
func wrap(p []elem, lead, trail bool) []elem {
	star := elem{r: '*', wild: true}
	if lead && (len(p) == 0 || p[0] != star) {
		p = append([]elem{star}, p...)
	}
	if trail && (len(p) == 0 || p[len(p)-1] != star) {
		p = append(slices.Clone(p), star)
	}
	return p
}

// patternSQL compiles a Sigma string (with its wildcards) to a test of expr:
// exact string functions on lower-cased text where the wildcards allow
// (equality, starts_with, ends_with, contains), LIKE with an escape character
// otherwise. Never LIKE on a value's own % or _.
func patternSQL(expr string, p []elem, cased bool) string {
	star := elem{r: '*', wild: true}
	if len(p) == 0 {
		return expr + " = ''"
	}
	i, j := 0, len(p)
	for i < j && p[i] == star {
		i++
	}
	if i == j {
		return expr + " IS NOT NULL" // * matches any value
	}
	for j > i && p[j-1] == star {
		j--
	}
	lead, trail := i > 0, j < len(p)
	core := p[i:j]
	plain := !slices.ContainsFunc(core, func(e elem) bool { return e.wild })
	lhs := expr
	if !cased {
		lhs = lowerSQL(expr)
	}
	lit := func(s string) string {
		if cased {
			return quote(s)
		}
		return lowerLiteral(s)
	}
	if plain {
		var b strings.Builder
		for _, e := range core {
			b.WriteRune(e.r)
		}
		s := b.String()
		switch {
		case lead && trail:
			return fmt.Sprintf("contains(%s, %s)", lhs, lit(s))
		case lead:
			return fmt.Sprintf("ends_with(%s, %s)", lhs, lit(s))
		case trail:
			return fmt.Sprintf("starts_with(%s, %s)", lhs, lit(s))
		}
		return fmt.Sprintf("%s = %s", lhs, lit(s))
	}
	var b strings.Builder
	for _, e := range p {
		switch {
		case e.wild && e.r == '*':
			b.WriteByte('%')
		case e.wild:
			b.WriteByte('_')
		case e.r == '%' || e.r == '_' || e.r == '\\':
			b.WriteByte('\\')
			b.WriteRune(e.r)
		default:
			b.WriteRune(e.r)
		}
	}
	return fmt.Sprintf(`%s LIKE %s ESCAPE '\'`, lhs, lit(b.String()))
}

// lowerLiteral lower-cases a literal as DuckDB's lower() does: in Go for ASCII
// text, in SQL otherwise (Go's and DuckDB's Unicode case tables differ on
// characters such as İ, so the engine's own lower() keeps both sides alike).
func lowerLiteral(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return "lower(" + quote(s) + ")"
		}
	}
	return quote(strings.ToLower(s))
}

func lowerSQL(expr string) string { return "lower(" + expr + ")" }

// regexSQL compiles |re: an unanchored search (DuckDB's regexp_matches), with
// Sigma's i, m, s flags as RE2 inline flags. Constructs RE2 lacks
// (lookaround, backreferences) are refused, never rewritten.
func (c *ruleCompiler) regexSQL(fm *fieldMatch, target, pattern string, bad func(string, ...any) error) ([]string, error) {
	var flags string
	for _, f := range []struct{ short, long, flag string }{{"i", "ignorecase", "i"}, {"m", "multiline", "m"}, {"s", "dotall", "s"}} {
		if fm.has(f.short) || fm.has(f.long) {
			flags += f.flag
		}
	}
	full := pattern
	if flags != "" {
		full = "(?" + flags + ")" + pattern
	}
	if m := re2Lacks.FindString(pattern); m != "" {
		return nil, &unsupportedError{File: c.doc.File, Line: fm.Line,
			Msg: fmt.Sprintf("regular expression %q uses a feature RE2 lacks (%s): lookaround and backreferences cannot run in DuckDB", pattern, m)}
	}
	if _, err := syntax.Parse(full, syntax.Perl); err != nil {
		msg := err.Error()
		if strings.Contains(msg, "invalid or unsupported Perl syntax") || strings.Contains(msg, "invalid escape sequence") {
			return nil, &unsupportedError{File: c.doc.File, Line: fm.Line,
				Msg: fmt.Sprintf("regular expression %q uses a feature RE2 lacks (%s): lookaround and backreferences cannot run in DuckDB", pattern, strings.TrimPrefix(msg, "error parsing regexp: "))}
		}
		return nil, bad("bad regular expression %q: %s", pattern, strings.TrimPrefix(msg, "error parsing regexp: "))
	}
	return []string{fmt.Sprintf("regexp_matches(%s, %s)", target, quote(full))}, nil
}

// re2Lacks finds lookaround and backreferences (outside a character class
// the check is approximate, so the parse below still has the last word).
var re2Lacks = regexp.MustCompile(`\(\?<?[=!]|\\[1-9]|\\k<`)

// unsupportedError marks a rule using a feature huntsql cannot run.
type unsupportedError struct {
	File string
	Line int
	Msg  string
}

func (e *unsupportedError) Error() string { return (&Error{e.File, e.Line, e.Msg}).Error() }

// cidrSQL tests whether expr is an address inside the network: IPv4 by its
// 32-bit number, IPv6 by its 32 hexadecimal digits (after expanding ::).
func cidrSQL(expr, network string) (string, error) {
	pfx, err := netip.ParsePrefix(strings.TrimSpace(network))
	if err != nil {
		return "", err
	}
	pfx = pfx.Masked()
	if pfx.Addr().Is4() {
		a := pfx.Addr().As4()
		lo := uint64(binary.BigEndian.Uint32(a[:]))
		hi := lo + (uint64(1) << (32 - pfx.Bits())) - 1
		return fmt.Sprintf("%s BETWEEN %d AND %d", ipv4Number(expr), lo, hi), nil
	}
	a := pfx.Addr().As16()
	hex := fmt.Sprintf("%x", a[:])
	full, rest := pfx.Bits()/4, pfx.Bits()%4
	re := "^" + hex[:full]
	if rest > 0 {
		// The partial hex digit: every digit sharing its top rest bits.
		d, _ := strconv.ParseUint(hex[full:full+1], 16, 8)
		span := uint64(1) << (4 - rest)
		re += "["
		for x := d; x < d+span; x++ {
			re += strconv.FormatUint(x, 16)
		}
		re += "]"
	}
	return fmt.Sprintf("regexp_matches(%s, %s)", ipv6Hex(expr), quote(re)), nil
}

// ipv4Number is the address as a number, NULL unless expr is dotted IPv4.
func ipv4Number(expr string) string {
	parts := make([]string, 4)
	for i := range parts {
		parts[i] = fmt.Sprintf("TRY_CAST(split_part(%s, '.', %d) AS UBIGINT) * %d", expr, i+1, uint64(1)<<(24-8*i))
	}
	return fmt.Sprintf("CASE WHEN regexp_full_match(%s, '(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}') THEN %s END",
		expr, strings.Join(parts, " + "))
}

// ipv6Hex is the address as 32 lower-case hex digits, NULL unless expr is
// IPv6 text (embedded IPv4 forms and zones are not expanded).
func ipv6Hex(expr string) string {
	s := "lower(" + expr + ")"
	left := "split_part(" + s + ", '::', 1)"
	right := "split_part(" + s + ", '::', 2)"
	groups := func(x string) string {
		return "CASE WHEN " + x + " = '' THEN [] ELSE string_split(" + x + ", ':') END"
	}
	filled := "CASE WHEN contains(" + s + ", '::') THEN list_concat(" + groups(left) +
		", list_transform(range(8 - len(" + groups(left) + ") - len(" + groups(right) + ")), z -> '0'), " + groups(right) +
		") ELSE string_split(" + s + ", ':') END"
	return "CASE WHEN regexp_full_match(" + s + ", '[0-9a-f:]+') AND contains(" + s + ", ':') THEN " +
		"array_to_string(list_transform(" + filled + ", g -> lpad(g, 4, '0')), '') END"
}

// expand replaces %placeholder% with each of its values from the user's file.
func (c *ruleCompiler) expand(s string) ([]string, error) {
	re := regexp.MustCompile(`%([A-Za-z0-9_.-]+)%`)
	names := re.FindAllStringSubmatch(s, -1)
	if len(names) == 0 {
		return []string{s}, nil
	}
	out := []string{s}
	for _, n := range names {
		vals, ok := c.opts.Placeholders[n[1]]
		if !ok {
			return nil, fmt.Errorf("expand: placeholder %%%s%% has no values (give them with --sigma-placeholders FILE)", n[1])
		}
		var next []string
		for _, o := range out {
			for _, v := range vals {
				next = append(next, strings.ReplaceAll(o, n[0], v))
			}
		}
		out = next
	}
	return out, nil
}

// xmlEscaped is the pattern with &, <, >, " and ' written as XML entities, and
// whether that changed anything.
func xmlEscaped(p []elem) ([]elem, bool) {
	entities := map[rune]string{'&': "&amp;", '<': "&lt;", '>': "&gt;", '"': "&quot;", '\'': "&apos;"}
	var out []elem
	changed := false
	for _, e := range p {
		if ent, ok := entities[e.r]; ok && !e.wild {
			out = append(out, literalPattern(ent)...)
			changed = true
			continue
		}
		out = append(out, e)
	}
	return out, changed
}
