package runner

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"huntsql/internal/engine"
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
	eng, err := engine.Open(ctx, engine.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	if err := eng.ArchiveViews(ctx, nil, nil, engine.Range{}); err != nil {
		t.Fatal(err)
	}
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
