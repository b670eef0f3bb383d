package sigma

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"huntsql/internal/engine"
)

// at is a Sysmon 1 event on a host at a time (HH:MM:SS on 2026-03-01).
func at(id, host, hms string, data map[string]string) ev {
	e := sysmon1(id, data)
	e.cols["host.name"] = quote(host)
	e.cols["@timestamp"] = "TIMESTAMP '2026-03-01 " + hms + "'"
	return e
}

const baseRules = `title: A
id: 00000000-0000-0000-0000-00000000000a
name: rule_a
level: low
logsource: {product: windows, category: process_creation}
detection:
  sel:
    Image|endswith: '\a.exe'
  condition: sel
---
title: B
id: 00000000-0000-0000-0000-00000000000b
name: rule_b
level: low
logsource: {product: windows, category: process_creation}
detection:
  sel:
    Image|endswith: '\b.exe'
  condition: sel
`

// correlate compiles the base rules and the correlations and returns the
// detections of the last correlation as "group|agg|first|last|n-events" lines.
func correlate(t *testing.T, eng *engine.Engine, corr string, groupCols ...string) []string {
	t.Helper()
	docs, err := ParseFile("corr.yml", []byte(baseRules+"---\n"+corr))
	if err != nil {
		t.Fatal(err)
	}
	cs, rep := CompileSet(docs, Options{})
	for _, e := range rep.Entries {
		if e.Outcome != OutcomeCompiled {
			t.Fatalf("%s %s: %v", e.Title, e.Outcome, e.Reasons)
		}
	}
	last := cs[len(cs)-1]
	if last.Correlation == nil {
		t.Fatal("no correlation compiled")
	}
	var sel []string
	for _, g := range groupCols {
		sel = append(sel, fmt.Sprintf("coalesce(CAST(%s AS VARCHAR), '-')", quoteIdent(g)))
	}
	agg := last.Columns[2+len(last.Correlation.GroupBy)].Name
	sel = append(sel, fmt.Sprintf("CAST(%s AS VARCHAR)", quoteIdent(agg)), `strftime("@timestamp", '%H:%M:%S')`, `strftime(last_seen, '%H:%M:%S')`,
		`CAST(len("huntsql.evidence") AS VARCHAR)`)
	q := "SELECT concat_ws('|', " + strings.Join(sel, ", ") + ") FROM (" + last.Rule.Query + ")"
	rows, err := eng.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("%v\n%s", err, last.Rule.Query)
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
	slices.Sort(out)
	return out
}

func check(t *testing.T, got, want []string) {
	t.Helper()
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("detections:\n  got  %q\n  want %q", got, want)
	}
}

func TestEventCountSlidingWindows(t *testing.T) {
	a := map[string]string{"Image": `C:\a.exe`}
	// Out of order on purpose: windows follow event time, not input order.
	eng := testDB(t, []ev{
		at("A3", "inside", "12:09:59", a), at("A1", "inside", "12:00:00", a), at("A2", "inside", "12:04:00", a),
		at("A4", "inside", "12:30:00", a), at("A5", "inside", "12:31:00", a),
		// The window's start is included: 12:10:00 - 10m = 12:00:00.
		at("B1", "edge", "12:00:00", a), at("B2", "edge", "12:05:00", a), at("B3", "edge", "12:10:00", a),
		// One second too late: no window holds three.
		at("C1", "late", "12:00:00", a), at("C2", "late", "12:05:00", a), at("C3", "late", "12:10:01", a),
		// Straddling a fixed 10-minute boundary: buckets would see 1 + 2.
		at("D1", "straddle", "12:09:00", a), at("D2", "straddle", "12:11:00", a), at("D3", "straddle", "12:12:00", a),
		// Two bursts an hour apart: two detections; a long burst: one.
		at("E1", "bursts", "12:00:00", a), at("E2", "bursts", "12:01:00", a), at("E3", "bursts", "12:02:00", a),
		at("E4", "bursts", "13:00:00", a), at("E5", "bursts", "13:01:00", a), at("E6", "bursts", "13:02:00", a),
		at("E7", "bursts", "13:05:00", a), at("E8", "bursts", "13:09:00", a), at("E9", "bursts", "13:14:00", a),
		// Other rules' events do not count.
		at("F1", "other", "12:00:00", map[string]string{"Image": `C:\b.exe`}), at("F2", "other", "12:00:01", map[string]string{"Image": `C:\b.exe`}),
		at("F3", "other", "12:00:02", a),
	})
	got := correlate(t, eng, `title: Many A
id: 00000000-0000-0000-0000-0000000000c1
level: high
correlation:
  type: event_count
  rules: [rule_a]
  group-by: [Computer]
  timespan: 10m
  condition: {gte: 3}
`, "Computer")
	check(t, got, []string{
		"inside|3|12:00:00|12:09:59|3",
		"edge|3|12:00:00|12:10:00|3",
		"straddle|3|12:09:00|12:12:00|3",
		"bursts|3|12:00:00|12:02:00|3",
		// 13:00–13:14: windows ending 13:02 (3 events), 13:05 (4), 13:09 (5)
		// and 13:14 (3) chain into one detection.
		"bursts|5|13:00:00|13:14:00|6",
	})
}

func TestValueCountAndValueAggregates(t *testing.T) {
	u := func(user, n string) map[string]string {
		return map[string]string{"Image": `C:\a.exe`, "User": user, "TerminalSessionId": n}
	}
	eng := testDB(t, []ev{
		at("1", "h1", "12:00:00", u("alice", "1")), at("2", "h1", "12:01:00", u("bob", "2")), at("3", "h1", "12:02:00", u("alice", "3")),
		at("4", "h1", "12:03:00", u("carol", "10")),
		at("5", "h2", "12:00:00", u("alice", "1")), at("6", "h2", "12:01:00", u("alice", "1")), at("7", "h2", "12:02:00", u("bob", "1")),
		at("8", "h2", "12:20:00", u("carol", "1")),
	})
	corr := func(typ, cond string) string {
		return fmt.Sprintf("title: c\nid: 00000000-0000-0000-0000-0000000000c2\nlevel: high\ncorrelation:\n  type: %s\n  rules: [rule_a]\n  group-by: [Computer]\n  timespan: 5m\n  condition: %s\n", typ, cond)
	}
	check(t, correlate(t, eng, corr("value_count", "{field: User, gte: 3}"), "Computer"), []string{"h1|3|12:00:00|12:03:00|4"})
	check(t, correlate(t, eng, corr("value_sum", "{field: TerminalSessionId, gt: 15}"), "Computer"), []string{"h1|16.0|12:00:00|12:03:00|4"})
	check(t, correlate(t, eng, corr("value_avg", "{field: TerminalSessionId, gte: 4}"), "Computer"), []string{"h1|4.0|12:00:00|12:03:00|4"})
	check(t, correlate(t, eng, corr("value_median", "{field: TerminalSessionId, gte: 2.5}"), "Computer"), []string{"h1|2.5|12:00:00|12:03:00|4"})
	check(t, correlate(t, eng, corr("value_percentile", "{field: TerminalSessionId, percentile: 100, gte: 10}"), "Computer"), []string{"h1|10.0|12:00:00|12:03:00|4"})
}

func TestTemporalWithAliases(t *testing.T) {
	eng := testDB(t, []ev{
		// Same user through different fields: A's User, B's ParentUser.
		at("a1", "h1", "12:00:00", map[string]string{"Image": `C:\a.exe`, "User": "alice"}),
		at("b1", "h2", "12:03:00", map[string]string{"Image": `C:\b.exe`, "ParentUser": "alice"}),
		// bob: B before A is fine for temporal (unordered).
		at("b2", "h1", "12:00:00", map[string]string{"Image": `C:\b.exe`, "ParentUser": "bob"}),
		at("a2", "h1", "12:04:00", map[string]string{"Image": `C:\a.exe`, "User": "bob"}),
		// carol: too far apart.
		at("a3", "h1", "12:00:00", map[string]string{"Image": `C:\a.exe`, "User": "carol"}),
		at("b3", "h1", "12:06:00", map[string]string{"Image": `C:\b.exe`, "ParentUser": "carol"}),
	})
	body := `level: high
correlation:
  type: %s
  rules: [rule_a, rule_b]
  group-by: [user]
  timespan: 5m
  aliases:
    user:
      rule_a: User
      rule_b: ParentUser
`
	temporal := "title: t\nid: 00000000-0000-0000-0000-0000000000c3\n" + fmt.Sprintf(body, "temporal")
	check(t, correlate(t, eng, temporal, "user"), []string{"alice|2|12:00:00|12:03:00|2", "bob|2|12:00:00|12:04:00|2"})
	ordered := "title: o\nid: 00000000-0000-0000-0000-0000000000c4\n" + fmt.Sprintf(body, "temporal_ordered")
	check(t, correlate(t, eng, ordered, "user"), []string{"alice|2|12:00:00|12:03:00|2"})
}

func TestChainedCorrelation(t *testing.T) {
	a := map[string]string{"Image": `C:\a.exe`}
	b := map[string]string{"Image": `C:\b.exe`}
	eng := testDB(t, []ev{
		// h1: two A within 5m, then B: fires.
		at("1", "h1", "12:00:00", a), at("2", "h1", "12:01:00", a), at("3", "h1", "12:05:00", b),
		// h2: B before the A burst completes: no.
		at("4", "h2", "12:00:00", a), at("5", "h2", "12:00:30", b), at("6", "h2", "12:01:00", a),
		// h3: one A only.
		at("7", "h3", "12:00:00", a), at("8", "h3", "12:01:00", b),
	})
	got := correlate(t, eng, `title: two A
id: 00000000-0000-0000-0000-0000000000c5
name: a_burst
level: medium
correlation:
  type: event_count
  rules: [rule_a]
  group-by: [Computer]
  timespan: 5m
  condition: {gte: 2}
---
title: A burst then B
id: 00000000-0000-0000-0000-0000000000c6
level: high
correlation:
  type: temporal_ordered
  rules: [a_burst, rule_b]
  group-by: [Computer]
  timespan: 10m
`, "Computer")
	check(t, got, []string{"h1|2|12:01:00|12:05:00|3"})
}

func TestCorrelationGenerateAndErrors(t *testing.T) {
	docs, err := ParseFile("corr.yml", []byte(baseRules+`---
title: c
id: 00000000-0000-0000-0000-0000000000c7
level: high
correlation:
  type: event_count
  rules: [rule_a]
  timespan: 1h
  condition: {gte: 2}
---
title: missing
id: 00000000-0000-0000-0000-0000000000c8
correlation:
  type: event_count
  rules: [nope]
  timespan: 1h
  condition: {gte: 2}
---
title: bad timespan
id: 00000000-0000-0000-0000-0000000000c9
correlation:
  type: event_count
  rules: [rule_a]
  timespan: 1 hour
  condition: {gte: 2}
`))
	if err != nil {
		t.Fatal(err)
	}
	cs, rep := CompileSet(docs, Options{})
	internal := map[string]bool{}
	for _, c := range cs {
		internal[c.Doc.Title] = c.Internal
	}
	if !internal["A"] || internal["B"] || internal["c"] {
		t.Errorf("internal (generate: false): %v", internal)
	}
	var msgs []string
	for _, e := range rep.Entries {
		if e.Outcome == OutcomeFailed {
			msgs = append(msgs, e.Reasons...)
		}
	}
	want := []string{`corr.yml:34: correlation uses rule "nope"`, `corr.yml:43: timespan "1 hour"`}
	if len(msgs) != len(want) {
		t.Fatalf("failures: %q", msgs)
	}
	for i := range want {
		if !strings.HasPrefix(msgs[i], want[i]) {
			t.Errorf("failure %d: %q, want prefix %q", i, msgs[i], want[i])
		}
	}
}

func TestSelect(t *testing.T) {
	docs, err := ParseFile("s.yml", []byte(strings.Replace(baseRules, "level: low", "level: low\nstatus: stable", 1)+`---
title: c
id: 00000000-0000-0000-0000-0000000000ca
status: test
level: high
correlation:
  type: event_count
  rules: [rule_b]
  timespan: 1h
  generate: true
  condition: {gte: 2}
`))
	if err != nil {
		t.Fatal(err)
	}
	cs, _ := CompileSet(docs, Options{})
	titles := func(cs []*Compiled) (out []string) {
		for _, c := range cs {
			s := c.Doc.Title
			if c.Internal {
				s += " (internal)"
			}
			out = append(out, s)
		}
		return out
	}
	for _, tc := range []struct {
		statuses []string
		min      string
		want     []string
	}{
		{nil, "", []string{"A", "B", "c"}},
		{[]string{"stable"}, "", []string{"A"}},
		{nil, "high", []string{"B (internal)", "c"}},
		{[]string{"test"}, "critical", nil},
	} {
		got, err := Select(cs, tc.statuses, tc.min)
		if err != nil || !slices.Equal(titles(got), tc.want) {
			t.Errorf("%v %q: %v %v, want %v", tc.statuses, tc.min, titles(got), err, tc.want)
		}
	}
	if _, err := Select(cs, nil, "urgent"); err == nil {
		t.Error("bad level accepted")
	}
}
