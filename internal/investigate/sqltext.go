package investigate

import (
	"regexp"
	"slices"
	"strings"

	schema "huntsql/sql"
)

// scan walks SQL text and calls code for each run of text outside string
// literals, quoted identifiers, dollar-quoted strings and comments, with its
// offset. Quoted parts are passed over whole, so a ';' or a name inside them
// is never seen.
func scan(sql string, code func(start int, text string)) {
	i, from := 0, 0
	flush := func(end int) {
		if end > from {
			code(from, sql[from:end])
		}
	}
	for i < len(sql) {
		c := sql[i]
		var end int
		switch {
		case c == '\'' || c == '"':
			end = quoted(sql, i, c)
		case c == '-' && strings.HasPrefix(sql[i:], "--"):
			end = len(sql)
			if n := strings.IndexByte(sql[i:], '\n'); n >= 0 {
				end = i + n
			}
		case c == '/' && strings.HasPrefix(sql[i:], "/*"):
			end = len(sql)
			if n := strings.Index(sql[i+2:], "*/"); n >= 0 {
				end = i + 2 + n + 2
			}
		case c == '$':
			if m := dollarTag.FindString(sql[i:]); m != "" {
				end = len(sql)
				if n := strings.Index(sql[i+len(m):], m); n >= 0 {
					end = i + len(m) + n + len(m)
				}
			}
		}
		if end == 0 {
			i++
			continue
		}
		flush(i)
		i, from = end, end
	}
	flush(len(sql))
}

var dollarTag = regexp.MustCompile(`^\$[A-Za-z_]*\$`)

// quoted returns the end of the literal or identifier opened at i by q
// (doubled quotes stay inside).
func quoted(sql string, i int, q byte) int {
	for j := i + 1; j < len(sql); j++ {
		if sql[j] == q {
			if j+1 < len(sql) && sql[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(sql)
}

// SplitStatements cuts SQL text into its statements at the semicolons that
// are not quoted or commented, dropping empty ones and the semicolons.
func SplitStatements(sql string) []string {
	var cuts []int
	scan(sql, func(start int, text string) {
		for j := range len(text) {
			if text[j] == ';' {
				cuts = append(cuts, start+j)
			}
		}
	})
	var out []string
	from := 0
	for _, c := range append(cuts, len(sql)) {
		if s := strings.TrimSpace(sql[from:c]); s != "" && !onlyComments(s) {
			out = append(out, s)
		}
		from = c + 1
	}
	return out
}

func onlyComments(s string) bool {
	empty := true
	scan(s, func(_ int, text string) {
		if strings.TrimSpace(text) != "" {
			empty = false
		}
	})
	return empty && !strings.ContainsAny(s, `'"$`)
}

// QuoteECSNames quotes the archive's dotted column names written bare in SQL
// (host.name → "host.name"), which DuckDB reads as column name of table
// host. It returns the fixed text and whether anything changed.
func QuoteECSNames(sql string) (string, bool) {
	names := dottedNames()
	var b strings.Builder
	changed := false
	last := 0
	scan(sql, func(start int, text string) {
		for j := 0; j < len(text); j++ {
			if j > 0 && (identChar(text[j-1]) || text[j-1] == '.') {
				continue // inside a word, or after a qualifier: e.AS host.name is not ours
			}
			for _, n := range names {
				if strings.HasPrefix(text[j:], n) && (j+len(n) == len(text) || !identChar(text[j+len(n)]) && text[j+len(n)] != '.') {
					b.WriteString(sql[last : start+j])
					b.WriteString(`"` + n + `"`)
					last = start + j + len(n)
					j += len(n) - 1
					changed = true
					break
				}
			}
		}
	})
	b.WriteString(sql[last:])
	return b.String(), changed
}

func identChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// dottedNames are the schema's column names with a dot, longest first (so
// that process.parent.name wins over process.parent).
func dottedNames() []string {
	var out []string
	for _, f := range schema.Fields {
		if strings.Contains(f.Name, ".") && !strings.HasPrefix(f.Name, "@") {
			out = append(out, f.Name)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

var missingTable = regexp.MustCompile(`Referenced table "([^"]+)" not found`)

// HintQuoting explains an error about a missing table that is the first part
// of an ECS name (SELECT host.name …): quote the name, and here is the query
// with every such name quoted. It returns "" when the error is another one.
func HintQuoting(sql string, err error) string {
	m := missingTable.FindStringSubmatch(err.Error())
	if m == nil {
		return ""
	}
	fixed, changed := QuoteECSNames(sql)
	if !changed {
		return ""
	}
	prefix := m[1] + "."
	example := ""
	for _, n := range dottedNames() {
		if strings.HasPrefix(n, prefix) && strings.Contains(sql, n) {
			example = n
			break
		}
	}
	if example == "" {
		return ""
	}
	return `columns are named as ECS names them, with dots: quote them ("` + example + `"). The query with the names quoted:` +
		"\n  " + strings.ReplaceAll(strings.TrimSpace(fixed), "\n", "\n  ")
}
