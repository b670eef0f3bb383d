package schema

import (
	_ "embed"
	"strings"
)

//go:embed views.sql
var viewsSQL string

// Views are the statements, run after `events` exists, that define the rest of
// the archive's views. Rules, `huntsql query` and notebooks all see these.
var Views = splitStatements(viewsSQL)

// splitStatements splits a script at semicolons that end a line.
func splitStatements(script string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.SplitAfter(script, "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "--")) {
			continue // comments between statements describe them; DuckDB needs none
		}
		cur.WriteString(line)
		if strings.HasSuffix(trimmed, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}
