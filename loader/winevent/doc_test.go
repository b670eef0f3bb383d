package winevent_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"huntsql/loader/winevent"
)

const (
	docPath  = "../../docs/windows.md"
	docBegin = "<!-- mappings:begin (generated from loader/winevent; UPDATE_GOLDEN=1 go test ./loader/winevent refreshes) -->\n"
	docEnd   = "<!-- mappings:end -->"
)

// mappingTables renders winevent.Mappings as Markdown: per provider, the
// columns every event gets, then one row per event id.
func mappingTables() string {
	var b strings.Builder
	provider := ""
	for _, m := range winevent.Mappings() {
		if m.Provider != provider {
			provider = m.Provider
			fmt.Fprintf(&b, "\n### %s\n\n", provider)
			if d := winevent.ProviderDefaults(provider); len(d) > 0 {
				fmt.Fprintf(&b, "Every event of the provider, mapped or not: %s.", code(d))
				if u := winevent.UnmappedFields(provider); len(u) > 0 {
					fmt.Fprintf(&b, " An event not in the table: %s.", code(u))
				}
				b.WriteString("\n\n")
			}
			b.WriteString("| id | `event.action` | `event.category` | `event.type` | columns the event fills (when it carries the value) |\n|---|---|---|---|---|\n")
		}
		outcome := ""
		if m.Outcome != "" {
			outcome = " (`event.outcome` " + m.Outcome + ")"
		}
		var cols []string
		for _, c := range m.Fields {
			if c != "event.action" && c != "event.category" && c != "event.type" && c != "event.outcome" {
				cols = append(cols, c)
			}
		}
		fmt.Fprintf(&b, "| %s | %s%s | %s | %s | %s |\n", m.EventID, m.Action, outcome,
			strings.Join(m.Category, ", "), strings.Join(m.Type, ", "), code(cols))
	}
	return b.String()
}

func code(cols []string) string {
	if len(cols) == 0 {
		return "—"
	}
	return "`" + strings.Join(cols, "`, `") + "`"
}

// TestWindowsDocListsEveryMapping keeps docs/windows.md's mapping tables in
// step with the mapping itself.
func TestWindowsDocListsEveryMapping(t *testing.T) {
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	i, j := strings.Index(s, docBegin), strings.Index(s, docEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the generated mapping section markers", docPath)
	}
	want := s[:i+len(docBegin)] + mappingTables() + "\n" + s[j:]
	if s == want {
		return
	}
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(docPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s is out of date with loader/winevent: run UPDATE_GOLDEN=1 go test -tags duckdb_arrow ./loader/winevent", docPath)
}
