package sigma

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"huntsql/internal/engine"
	"huntsql/internal/engine/enginetest"
)

// ev is a test event: an id (in event.id), the Windows event's data, and any
// archive columns.
type ev struct {
	id   string
	data map[string]string // winlog.event_data
	cols map[string]string // column -> SQL literal
}

// sysmon1 is a Sysmon process creation event with the given EventData.
func sysmon1(id string, data map[string]string) ev {
	return ev{id: id, data: data, cols: map[string]string{
		"winlog.channel": "'Microsoft-Windows-Sysmon/Operational'", "event.code": "'1'"}}
}

func sec4688(id string, data map[string]string) ev {
	return ev{id: id, data: data, cols: map[string]string{"winlog.channel": "'Security'", "event.code": "'4688'"}}
}

// testDB is an engine whose events view holds the given events.
func testDB(t testing.TB, events []ev) *engine.Engine {
	t.Helper()
	ctx := context.Background()
	eng := enginetest.Open(t, engine.Options{Threads: 1})
	must := func(q string) {
		t.Helper()
		if err := eng.Exec(ctx, q); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
	must(`CREATE OR REPLACE TEMP TABLE sigma_test_events AS SELECT * FROM events`)
	for i, e := range events {
		cols := map[string]string{
			"event.id":              quote(e.id),
			"host.name":             "'H1'",
			"@timestamp":            fmt.Sprintf("TIMESTAMP '2026-03-01 12:00:00' + INTERVAL %d SECOND", i),
			"huntsql.source_file":   "'/x/events.xml'",
			"huntsql.source_offset": fmt.Sprint(i * 100),
		}
		if e.data != nil {
			var kv []string
			keys := make([]string, 0, len(e.data))
			for k := range e.data {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				kv = append(kv, quote(k)+": "+quote(e.data[k]))
			}
			cols["winlog.event_data"] = "MAP {" + strings.Join(kv, ", ") + "}"
		}
		for k, v := range e.cols {
			cols[k] = v
		}
		var names, vals []string
		for k, v := range cols {
			names = append(names, quoteIdent(k))
			vals = append(vals, v+" AS "+quoteIdent(k))
		}
		must("INSERT INTO sigma_test_events BY NAME SELECT " + strings.Join(vals, ", "))
	}
	must(`CREATE OR REPLACE TEMP VIEW events AS SELECT * FROM sigma_test_events`)
	return eng
}

// ids runs a query whose first column is an event id and returns the ids.
func ids(t testing.TB, eng *engine.Engine, q string) []string {
	t.Helper()
	rows, err := eng.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// compileOne compiles a YAML text holding one rule.
func compileOne(t testing.TB, text string, opts Options) (*Compiled, error) {
	t.Helper()
	docs, err := ParseFile("rule.yml", []byte(text))
	if err != nil {
		return nil, err
	}
	if len(docs) != 1 {
		t.Fatalf("%d documents", len(docs))
	}
	return Compile(docs[0], opts)
}

// matches compiles a rule and returns the ids of the events it matches,
// checked two ways: the structured Where and the rule's own query.
func matches(t testing.TB, eng *engine.Engine, text string) []string {
	t.Helper()
	c, err := compileOne(t, text, Options{})
	if err != nil {
		t.Fatalf("compile: %v\n%s", err, text)
	}
	got := ids(t, eng, `SELECT "event.id" FROM events WHERE `+c.Where())
	full := ids(t, eng, `SELECT e."event.id" FROM events e JOIN (`+c.Rule.Query+`) d
		ON e."huntsql.source_offset" = d."huntsql.evidence"[1]."offset"`)
	if !slices.Equal(got, full) {
		t.Fatalf("Where gives %v, the rule's query %v\n%s", got, full, c.Rule.Query)
	}
	return got
}

// procRule wraps a detection section in a Windows process_creation rule.
func procRule(detection string) string {
	return "title: test\nid: 00000000-0000-0000-0000-000000000001\nlevel: high\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n" + detection
}
