package schema

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

const (
	docPath  = "../docs/archive.md"
	docBegin = "<!-- columns:begin (generated from sql/schema.go; UPDATE_GOLDEN=1 make test refreshes) -->\n"
	docEnd   = "<!-- columns:end -->"
)

// ColumnTable renders the schema as a Markdown table.
func columnTable() string {
	var b strings.Builder
	b.WriteString("| column | type | notes |\n|---|---|---|\n")
	for _, f := range Fields {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", f.Name, f.Kind, f.Doc)
	}
	return b.String()
}

// TestArchiveDocListsEveryColumn keeps docs/archive.md in step with the schema.
func TestArchiveDocListsEveryColumn(t *testing.T) {
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	i, j := strings.Index(s, docBegin), strings.Index(s, docEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the generated column section markers", docPath)
	}
	want := s[:i+len(docBegin)] + columnTable() + s[j:]
	if s == want {
		return
	}
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(docPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s is out of date with sql/schema.go: run UPDATE_GOLDEN=1 make test", docPath)
}

func TestViewsSplit(t *testing.T) {
	if len(Views) == 0 {
		t.Fatal("no views")
	}
	for _, v := range Views {
		if !(strings.HasPrefix(v, "CREATE OR REPLACE TEMP VIEW ") || strings.HasPrefix(v, "CREATE OR REPLACE TEMP MACRO ")) || strings.HasSuffix(v, ";") {
			t.Errorf("statement not split cleanly: %q", v)
		}
	}
}
