package runner

import (
	"bytes"
	"context"
	"encoding/csv"
	"reflect"
	"strings"
	"testing"
	"time"

	"huntsql/internal/engine"
	"huntsql/internal/engine/enginetest"
	"huntsql/rules"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, want any
	}{
		{[]any{"b", nil, "a", "b", "É", "Z"}, []any{"Z", "a", "b", "É"}}, // distinct, byte order, no NULLs
		{[]any{int64(11584), int64(7996), int64(7996)}, []any{int64(7996), int64(11584)}},
		{[]any{nil}, nil},
		{[]any{}, nil},
		{time.Date(2024, 5, 1, 12, 0, 0, 250_000_000, time.UTC), "2024-05-01T12:00:00.25Z"},
		{time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC), "2024-05-01T12:00:00Z"},
		{int64(5), int64(5)},
	}
	for _, tc := range tests {
		if got := Normalize(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Normalize(%v) = %#v, want %#v", tc.in, got, tc.want)
		}
	}
}

func TestRunOrdersAndIsolatesFailures(t *testing.T) {
	ctx := context.Background()
	eng := enginetest.Open(t, engine.Options{Threads: 1})
	score := 50
	rs := []*rules.Rule{
		{ID: "a", Name: "unordered", Severity: "low", RiskScore: &score, Query: "SELECT * FROM (VALUES (2, 'x'), (1, 'y'), (1, 'b')) v(n, s)"},
		{ID: "b", Name: "broken", Severity: "low", RiskScore: &score, Query: `SELECT "process.nme" FROM events`},
		{ID: "c", Name: "ordered", Severity: "high", RiskScore: &score, Query: "SELECT * FROM (VALUES (1), (3), (2)) v(n) ORDER BY n DESC"},
	}
	res := Run(ctx, eng, rs, Options{})
	if res[1].Err == nil || !strings.Contains(res[1].Err.Error(), `"process.nme" not found`) {
		t.Errorf("broken rule: %v", res[1].Err)
	}
	var b bytes.Buffer
	if err := Write(&b, NDJSON, Detections(res), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	want := `{"rule":{"id":"a","name":"unordered","severity":"low","risk_score":50,"threat":[]},"fields":{"n":1,"s":"b"}}
{"rule":{"id":"a","name":"unordered","severity":"low","risk_score":50,"threat":[]},"fields":{"n":1,"s":"y"}}
{"rule":{"id":"a","name":"unordered","severity":"low","risk_score":50,"threat":[]},"fields":{"n":2,"s":"x"}}
{"rule":{"id":"c","name":"ordered","severity":"high","risk_score":50,"threat":[]},"fields":{"n":3}}
{"rule":{"id":"c","name":"ordered","severity":"high","risk_score":50,"threat":[]},"fields":{"n":2}}
{"rule":{"id":"c","name":"ordered","severity":"high","risk_score":50,"threat":[]},"fields":{"n":1}}
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	if errs := Lint(ctx, eng, rs); len(errs) != 1 || errs["b"] == nil {
		t.Errorf("lint: %v", errs)
	}
	two := []*rules.Rule{{ID: "d", Query: "SELECT 1; SELECT 2"}}
	if errs := Lint(ctx, eng, two); errs["d"] == nil || !strings.Contains(errs["d"].Error(), "exactly one SELECT") {
		t.Errorf("two statements: %v", errs)
	}
}

// The timeline reads back with a CSV parser: one header, one record per
// detection sorted by time, values with commas, quotes and newlines intact
// in their cells, details on one line.
func TestTimelineReadsBack(t *testing.T) {
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	rule := DetectionRule{ID: "r1", Name: "Odd, \"quoted\" rule", Severity: "high", RiskScore: 70,
		Threat: []string{"T1059"}, Tactics: []string{"Execution"}}
	dets := []Detection{
		{Rule: rule, Index: 1, Fields: Fields{Names: []string{"cmd", "n"}, Values: []any{"a,b\n\"c\"", int64(2)}},
			Event: Event{Time: at("2026-03-01T12:00:10Z"), Host: "h2", Code: "4688", File: "/logs/a,b.xml", Line: 7}},
		{Rule: rule, Index: 2, Fields: Fields{Names: []string{"cmd", "n"}, Values: []any{nil, []any{"x", "y"}}},
			Event: Event{Time: at("2026-03-01T12:00:00Z"), Host: "h1"}},
	}
	var b bytes.Buffer
	if err := Write(&b, Timeline, dets, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || !reflect.DeepEqual(recs[0], TimelineColumns) {
		t.Fatalf("records: %q", recs)
	}
	want := [][]string{
		{"2026-03-01T12:00:00Z", "h1", "", "", "high", `Odd, "quoted" rule`, "r1", "Execution", "T1059", `n: ["x","y"]`, "", ""},
		{"2026-03-01T12:00:10Z", "h2", "", "4688", "high", `Odd, "quoted" rule`, "r1", "Execution", "T1059", `cmd: a,b "c" ¦ n: 2`, "/logs/a,b.xml", "7"},
	}
	if !reflect.DeepEqual(recs[1:], want) {
		t.Errorf("got\n%q\nwant\n%q", recs[1:], want)
	}
	// The flattened CSV keeps the exact value, newline and all.
	b.Reset()
	Write(&b, CSV, dets, WriteOptions{})
	recs, _ = csv.NewReader(&b).ReadAll()
	if recs[1][5] != "a,b\n\"c\"" || recs[2][5] != "" || recs[2][6] != `["x","y"]` {
		t.Errorf("csv: %q", recs)
	}
}
