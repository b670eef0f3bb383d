package scan

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"huntsql/internal/engine"
	"huntsql/internal/results"
)

// openEngine opens an engine the test closes when it ends.
func openEngine(t *testing.T, threads int) *engine.Engine {
	t.Helper()
	eng, err := engine.Open(context.Background(), engine.Options{Threads: threads})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}

func openEvents(t *testing.T) *engine.Engine {
	t.Helper()
	ctx := context.Background()
	eng := openEngine(t, 1)
	err := eng.Exec(ctx, `CREATE VIEW events AS SELECT * FROM (VALUES
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
	if st.Scans != 1 || st.Matched != 6 {
		t.Errorf("want one scan finding 6 matches, got %+v", st)
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
// So does one that is routed no event (its test rules every event out).
func TestBadConditionFailsOnlyItsRule(t *testing.T) {
	eng := openEvents(t)
	plans := []Plan{plan(`"host.name" = 'h1'`), plan(`no_such_function("host.name")`), plan(`"host.name" = 'h2'`),
		plan(`"host.name" = 'nowhere' AND no_such_function("host.name")`)}
	errs, rows := map[int]error{}, map[int]int{}
	if _, err := Run(context.Background(), eng, plans, Options{}, func(i int, r Result) { errs[i], rows[i] = r.Err, len(r.Rows) }); err != nil {
		t.Fatal(err)
	}
	if errs[0] != nil || errs[2] != nil || rows[0] != 2 || rows[2] != 2 {
		t.Errorf("good rules: errs %v rows %v", errs, rows)
	}
	for _, i := range []int{1, 3} {
		if errs[i] == nil || !strings.Contains(errs[i].Error(), "no_such_function") {
			t.Errorf("bad rule %d: %v", i, errs[i])
		}
	}
}

// Many rules of every shape the prefilter reads (and some it cannot), over
// events that hold their literals in every case and position, across several
// statements: each rule gets exactly what its own query gives.
func TestManyRoutedRulesEqualTheirOwnQueries(t *testing.T) {
	ctx := context.Background()
	eng := openEngine(t, 2)
	defer func(n int) { maxPerScan = n }(maxPerScan)
	maxPerScan = 64 // several statements
	frags := []string{"whoami", "WhoAmI", "-enc", "\\cmd.exe", "Straße", "İstanbul", "k", "\\AppData\\Local\\Temp\\_MEI", "50%", "ſtop", "KELVIN"}
	var rows []string
	for i := range 300 {
		cl := fmt.Sprintf("%s x %s %d", frags[i%len(frags)], frags[(i*7)%len(frags)], i)
		img := "c:\\windows\\" + frags[(i*3)%len(frags)]
		if i%11 == 0 {
			img = "NULL"
		} else {
			img = engine.Quote(img)
		}
		rows = append(rows, fmt.Sprintf("(TIMESTAMP '2026-03-01 12:00:00' + INTERVAL %d SECOND, 'h%d', '%d', %s, %s, MAP {'CommandLine': %s}, 'f', %d)",
			i, i%3, 1+i%2, engine.Quote(cl), img, engine.Quote(cl), i))
	}
	err := eng.Exec(ctx, `CREATE VIEW events AS SELECT * FROM (VALUES `+strings.Join(rows, ",\n")+`) t("@timestamp", "host.name", "event.code", "process.command_line", "process.executable", "winlog.event_data", "huntsql.source_file", "huntsql.source_offset")`)
	if err != nil {
		t.Fatal(err)
	}
	shapes := []string{
		`contains(lower("process.command_line"), lower(%s))`,
		`contains("process.command_line", %s)`,
		`ends_with(lower("process.executable"), lower(%s)) AND "event.code" = '1'`,
		`contains(lower("winlog.event_data"['CommandLine']), lower(%s)) AND NOT contains(lower("process.command_line"), '1')`,
		`regexp_matches("process.command_line", '(?i)' || %s)`,
		`regexp_matches("process.command_line", '(?i)x ' || %s)`,
		`"process.executable" LIKE '%%' || %s ESCAPE '\'`,
		`NOT contains(coalesce("process.executable", ''), %s)`,
		`coalesce(starts_with(lower("process.command_line"), lower(%s)), false) OR "host.name" = 'h2'`,
	}
	var plans []Plan
	for _, shape := range shapes {
		for _, f := range frags {
			for _, lit := range []string{f, strings.ToUpper(f), f[:max(1, len(f)/2)], f[len(f)/2:]} {
				where := fmt.Sprintf(shape, engine.Quote(lit))
				if strings.Contains(shape, "regexp") {
					where = fmt.Sprintf(shape, engine.Quote(regexp.QuoteMeta(lit)))
				}
				plans = append(plans, plan(where))
			}
		}
	}
	plans = append(plans, plan(`no_such_function("host.name")`))
	if len(plans) <= 2*maxPerScan {
		t.Fatalf("only %d plans: the test needs more than one statement", len(plans))
	}
	got := map[int]string{}
	t0 := time.Now()
	st, err := Run(ctx, eng, plans, Options{}, func(i int, r Result) {
		if r.Err != nil {
			got[i] = "error"
			return
		}
		got[i] = fmt.Sprint(r.Rows)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Run %s: %+v", time.Since(t0), st)
	if st.Routed < 2*maxPerScan || len(plans)-st.Routed < 2*maxPerScan {
		t.Errorf("%d of %d rules routed: the test needs several statements of each kind", st.Routed, len(plans))
	}
	matched := 0
	for i, p := range plans {
		q := `SELECT "@timestamp", "host.name", "process.command_line" FROM events WHERE ` + p.Where + ` ORDER BY "@timestamp"`
		want := "error"
		if rows, err := eng.Query(ctx, q); err == nil {
			set, err := results.Read(rows)
			rows.Close()
			if err != nil {
				t.Fatal(err)
			}
			want = fmt.Sprint(set.Rows)
			matched += len(set.Rows)
		}
		if got[i] != want {
			t.Errorf("plan %d (%s):\n got %.300s\nwant %.300s", i, p.Where, got[i], want)
		}
	}
	if matched == 0 {
		t.Fatal("no plan matched anything: the test tests nothing")
	}
}

// Two ways a rewrite of the condition could change a rule's verdict: a value
// read written inside a string literal (it is text, not a read), and a column
// named in another case than the view's (DuckDB reads names without regard to
// case).
func TestConditionsReadAsDuckDBReadsThem(t *testing.T) {
	ctx := context.Background()
	eng := openEngine(t, 1)
	err := eng.Exec(ctx, `CREATE VIEW events AS SELECT * FROM (VALUES
		(TIMESTAMP '2026-03-01 12:00:00', 'h1', '1', 'run lower("host.name") now'),
		(TIMESTAMP '2026-03-01 12:00:01', 'h2', '1', 'cmd /c whoami'),
		(TIMESTAMP '2026-03-01 12:00:02', 'h3', '1', 'notepad')
	) t("@timestamp", "host.name", "event.code", "process.command_line")`)
	if err != nil {
		t.Fatal(err)
	}
	plans := []Plan{
		plan(`contains("process.command_line", 'lower("host.name")') AND contains(lower("host.name"), 'h')`),
		plan(`(contains("process.command_line", 'lower("host.name")') OR contains(lower("host.name"), 'zz')) AND contains(lower("host.name"), 'h1')`),
		plan(`contains("process.command_line", 'whoami') AND "Event.Code" = '1'`),
		plan(`contains("PROCESS.COMMAND_LINE", 'whoami')`),
	}
	want := []int{1, 1, 1, 1}
	got := make([]int, len(plans))
	if _, err := Run(ctx, eng, plans, Options{}, func(i int, r Result) {
		if r.Err != nil {
			t.Errorf("plan %d: %v", i, r.Err)
		}
		got[i] = len(r.Rows)
	}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("detections per plan: got %v, want %v", got, want)
	}
}

// Event data is written by whoever wrote the log: map keys and values that
// hold the separator the routing function joins them with, or NULL values,
// must not move an entry under another key (an attacker could hide an event
// from a rule so).
func TestCraftedMapsStillMatch(t *testing.T) {
	ctx := context.Background()
	eng := openEngine(t, 1)
	rows := []string{
		`(TIMESTAMP '2026-03-01 12:00:00', 'h1', 'c1', MAP {'a' || chr(31) || 'b': 'x', 'CommandLine': 'evil' || chr(31) || 'q'})`,
		`(TIMESTAMP '2026-03-01 12:00:01', 'h2', 'c2', MAP {'Image': NULL, 'CommandLine': 'evil' || chr(31) || 'q'})`,
	}
	// Enough other events that the rules are routed (see maxTriggerShare).
	for i := range 30 {
		rows = append(rows, fmt.Sprintf(`(TIMESTAMP '2026-03-01 13:00:00' + INTERVAL %d SECOND, 'h3', 'c3', MAP {'Image': 'a.exe', 'CommandLine': 'good %d'})`, i, i))
	}
	err := eng.Exec(ctx, `CREATE VIEW events AS SELECT * FROM (VALUES `+strings.Join(rows, ",\n")+`) t("@timestamp", "host.name", "process.command_line", "winlog.event_data")`)
	if err != nil {
		t.Fatal(err)
	}
	plans := []Plan{
		plan(`contains("winlog.event_data"['CommandLine'], 'evil')`),
		plan(`"winlog.event_data"['Image'] IS NULL AND contains("winlog.event_data"['CommandLine'], 'evil')`),
		plan(`contains(lower("winlog.event_data"['CommandLine']), 'good 7')`),
	}
	got := make([]int, len(plans))
	st, err := Run(ctx, eng, plans, Options{}, func(i int, r Result) {
		if r.Err != nil {
			t.Errorf("plan %d: %v", i, r.Err)
		}
		got[i] = len(r.Rows)
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Routed != len(plans) {
		t.Fatalf("%d of %d rules routed: the test tests nothing", st.Routed, len(plans))
	}
	if want := []int{2, 2, 1}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("detections per plan: got %v, want %v", got, want)
	}
}
