package scan

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// A map read whole and unpacked here gives each entry DuckDB's m['key']
// gives (missing keys NULL), or says it cannot: never a wrong value.
func TestMapsUnpackAsDuckDBReadsThem(t *testing.T) {
	ctx := context.Background()
	eng := openEngine(t, 1)
	maps := []string{
		`MAP {'Image': 'c:\x.exe', 'CommandLine': 'x /c', 'User': 'u'}`,
		`MAP {'CommandLine': '', 'Image': ''}`,
		`MAP {'Other': 'y'}`,
		`MAP {}::MAP(VARCHAR, VARCHAR)`,
		`NULL::MAP(VARCHAR, VARCHAR)`,
		`MAP {'Image': 'a' || chr(31) || 'b', 'User': 'u'}`, // the separator in a value
		`MAP {'Image': NULL, 'User': 'u'}`,                  // a NULL value
		`MAP {'Image': NULL}`,
		`MAP {'CommandLine': 'it''s', 'Image': 'ÄÖ ſ'}`,
		// Two anomalies that would cancel out if only the parts were
		// counted: a key and a value holding the separator; a NULL value
		// and a value holding the separator.
		`MAP {'a' || chr(31) || 'b': 'x', 'CommandLine': 'evil' || chr(31) || 'q'}`,
		`MAP {'Image': NULL, 'CommandLine': 'evil' || chr(31) || 'q'}`,
		`MAP {'': 'empty key', 'User': 'u'}`,
	}
	var rows []string
	for i, m := range maps {
		rows = append(rows, fmt.Sprintf("(%d, %s)", i, m))
	}
	if err := eng.Exec(ctx, `CREATE VIEW ev AS SELECT i, m::MAP(VARCHAR, VARCHAR) AS "winlog.event_data", 'ch' AS c FROM (VALUES `+strings.Join(rows, ", ")+`) t(i, m)`); err != nil {
		t.Fatal(err)
	}
	raws := []string{`"winlog.event_data"['Image']`, `"c"`, `"winlog.event_data"['CommandLine']`, `"winlog.event_data"['User']`, `"winlog.event_data"['it''s']`, `"winlog.event_data"['']`}
	in := newInputs(raws)
	if len(in.args) != 4 || len(in.plain) != 1 || len(in.maps) != 1 {
		t.Fatalf("arguments %q", in.args)
	}
	read := func(exprs []string) [][]*string {
		res, err := eng.Query(ctx, "SELECT "+strings.Join(exprs, ", ")+" FROM ev ORDER BY i")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Close()
		var out [][]*string
		for res.Next() {
			vals := make([]*string, len(exprs))
			ptrs := make([]any, len(exprs))
			for j := range vals {
				ptrs[j] = &vals[j]
			}
			if err := res.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			out = append(out, vals)
		}
		return out
	}
	want, args := read(raws), read(in.args)
	raw, null := make([]string, len(raws)), make([]bool, len(raws))
	u := in.unpacker()
	unknown := 0
	// Twice: the second time, each list of keys is one already seen.
	for n := range 2 * len(maps) {
		i := n % len(maps)
		a, an := make([]string, len(in.args)), make([]bool, len(in.args))
		for j, v := range args[i] {
			if v == nil {
				an[j] = true
			} else {
				a[j] = *v
			}
		}
		if !u.unpack(a, an, raw, null) {
			unknown++
			continue
		}
		for r := range raws {
			got := "NULL"
			if !null[r] {
				got = raw[r]
			}
			w := "NULL"
			if want[i][r] != nil {
				w = *want[i][r]
			}
			if got != w {
				t.Errorf("%s, %s: got %q, want %q", maps[i], raws[r], got, w)
			}
		}
	}
	if unknown != 10 {
		t.Errorf("%d events said unknown, want 5 twice (the separators, the NULLs)", unknown)
	}
}
