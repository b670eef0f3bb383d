package scan

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"huntsql/internal/engine"
)

func openEvents(t *testing.T) *engine.Engine {
	t.Helper()
	ctx := context.Background()
	eng, err := engine.Open(ctx, engine.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	err = eng.Exec(ctx, `CREATE VIEW events AS SELECT * FROM (VALUES
		(TIMESTAMP '2026-03-01 12:00:00', 'h1', '1', 'cmd.exe /c whoami', 'big text 1', 'f', 1),
		(TIMESTAMP '2026-03-01 12:00:01', 'h1', '1', 'powershell -enc AAAA', 'big text 2', 'f', 2),
		(TIMESTAMP '2026-03-01 12:00:02', 'h2', '4688', 'whoami /priv', 'big text 3', 'f', 3),
		(TIMESTAMP '2026-03-01 12:00:03', 'h2', '3', NULL, 'big text 4', 'f', 4)
	) t("@timestamp", "host.name", "event.code", "process.command_line", "event.original", "huntsql.source_file", "huntsql.source_offset")`)
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

func plan(where string, codes ...string) Plan {
	return Plan{View: "events", Where: where, EventCodes: codes,
		Columns: []Column{{Name: "@timestamp", SQL: `"@timestamp"`}, {Name: "host.name", SQL: `"host.name"`}, {Name: "cmd", SQL: `"process.command_line"`}},
		OrderBy: `"@timestamp"`}
}

// The shared scan gives each rule exactly what its own query gives.
func TestOneScanEqualsOneQueryPerRule(t *testing.T) {
	eng := openEvents(t)
	ctx := context.Background()
	plans := []Plan{
		plan(`contains(lower("process.command_line"), 'whoami')`, "1", "4688"),
		plan(`contains("process.command_line", '-enc')`),
		plan(`"host.name" = 'h2'`),
		plan(`false`),
		{View: "events", Where: `"event.code" = '3'`, Columns: []Column{{Name: "raw", SQL: `"event.original"`}}},
	}
	got := map[int]string{}
	st, err := Run(ctx, eng, plans, Options{}, func(i int, r Result) {
		if r.Err != nil {
			t.Errorf("plan %d: %v", i, r.Err)
		}
		got[i] = fmt.Sprint(r.Columns, r.Rows)
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Scans != 1 || st.Matched != 4 {
		t.Errorf("want one scan matching 4 events, got %+v", st)
	}
	for i, p := range plans {
		var cols []string
		for _, c := range p.Columns {
			cols = append(cols, c.SQL+" AS "+engine.QuoteIdent(c.Name))
		}
		order := p.OrderBy
		if order == "" {
			order = "ALL"
		}
		q := "SELECT " + strings.Join(cols, ", ") + " FROM events WHERE " + p.Where + " ORDER BY " + order
		rows, err := eng.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var want [][]any
		names, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(names))
			ptrs := make([]any, len(names))
			for k := range vals {
				ptrs[k] = &vals[k]
			}
			rows.Scan(ptrs...)
			want = append(want, vals)
		}
		rows.Close()
		if w := fmt.Sprint(names, want); got[i] != w {
			t.Errorf("plan %d (%s):\n got %s\nwant %s", i, p.Where, got[i], w)
		}
	}
}

// A rule whose condition does not bind fails alone; the others still run.
func TestBadConditionFailsOnlyItsRule(t *testing.T) {
	eng := openEvents(t)
	plans := []Plan{plan(`"host.name" = 'h1'`), plan(`no_such_function("host.name")`), plan(`"host.name" = 'h2'`)}
	errs, rows := map[int]error{}, map[int]int{}
	if _, err := Run(context.Background(), eng, plans, Options{}, func(i int, r Result) { errs[i], rows[i] = r.Err, len(r.Rows) }); err != nil {
		t.Fatal(err)
	}
	if errs[0] != nil || errs[2] != nil || rows[0] != 2 || rows[2] != 2 {
		t.Errorf("good rules: errs %v rows %v", errs, rows)
	}
	if errs[1] == nil || !strings.Contains(errs[1].Error(), "no_such_function") {
		t.Errorf("bad rule: %v", errs[1])
	}
}
