package investigate

import (
	"reflect"
	"testing"
)

func TestSplitStatements(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"SELECT 1", []string{"SELECT 1"}},
		{"SELECT 1; SELECT 2;", []string{"SELECT 1", "SELECT 2"}},
		{"SELECT 'a;b'; SELECT \"x;\" FROM t", []string{"SELECT 'a;b'", "SELECT \"x;\" FROM t"}},
		{"SELECT 'it''s;'; -- a comment; with a semicolon\n", []string{"SELECT 'it''s;'"}},
		{"SELECT /* ; */ 1;;", []string{"SELECT /* ; */ 1"}},
		{"SELECT $$a;b$$; SELECT $t$;$t$", []string{"SELECT $$a;b$$", "SELECT $t$;$t$"}},
		{" ; -- only a comment\n;", nil},
	}
	for _, tc := range tests {
		if got := SplitStatements(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SplitStatements(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestQuoteECSNames(t *testing.T) {
	tests := []struct {
		in, want string
		changed  bool
	}{
		{`SELECT host.name FROM events`, `SELECT "host.name" FROM events`, true},
		{`SELECT process.parent.name, process.name`, `SELECT "process.parent.name", "process.name"`, true},
		// Quoted names, strings, comments and qualified names stay as they are.
		{`SELECT "host.name", 'host.name' -- host.name`, `SELECT "host.name", 'host.name' -- host.name`, false},
		{`SELECT e.host.name, myhost.name FROM events e`, `SELECT e.host.name, myhost.name FROM events e`, false},
		{`SELECT host.names`, `SELECT host.names`, false},
	}
	for _, tc := range tests {
		got, changed := QuoteECSNames(tc.in)
		if got != tc.want || changed != tc.changed {
			t.Errorf("QuoteECSNames(%q) = %q, %v; want %q, %v", tc.in, got, changed, tc.want, tc.changed)
		}
	}
}
