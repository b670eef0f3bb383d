package scan

import (
	"regexp"
	"strconv"
	"strings"
)

// The routing function's arguments. Reading twenty entries of an event's
// data map one by one costs DuckDB a search of the map's keys each (more than
// all the rest of the routing); reading the map once, as two texts (its keys,
// then its values, each joined by a separator), and finding the entries here
// costs a fifth of that.
type inputs struct {
	args  []string   // SQL of each argument
	plain []int      // per plain argument (the first len(plain)): the raw value it is
	maps  []mapInput // then three arguments per map
	n     int        // raw values
}

// A mapInput is a map column read as three arguments: its keys, its values,
// and its number of entries (NULL when a value is NULL).
type mapInput struct {
	keys map[string]int // key → the raw value its entry is
	raws []int          // the same raw values
}

// sep joins a map's keys and its values. The joined texts are split back only
// when each splits into exactly as many parts as the map has entries and no
// value is NULL (array_to_string leaves NULLs out): a key or a value holding
// the separator, or a NULL value, makes that event's entries unknown, and the
// event is routed to every rule. Event data is written by whoever wrote the
// log: it may hold the separator on purpose.
const sep = "\x1f"

// mapEntry matches a raw value that is an entry of a map column: "col"['key'].
var mapEntry = regexp.MustCompile(`^("(?:[^"]|"")+")\['((?:[^']|'')*)'\]$`)

func newInputs(raws []string) *inputs {
	in := &inputs{n: len(raws)}
	byCol := map[string]int{}
	var cols []string
	for r, raw := range raws {
		m := mapEntry.FindStringSubmatch(raw)
		if m == nil {
			in.args = append(in.args, raw)
			in.plain = append(in.plain, r)
			continue
		}
		j, ok := byCol[m[1]]
		if !ok {
			j = len(in.maps)
			byCol[m[1]] = j
			cols = append(cols, m[1])
			in.maps = append(in.maps, mapInput{keys: map[string]int{}})
		}
		in.maps[j].keys[strings.ReplaceAll(m[2], "''", "'")] = r
		in.maps[j].raws = append(in.maps[j].raws, r)
	}
	for _, c := range cols {
		in.args = append(in.args,
			"array_to_string(map_keys("+c+"), chr(31))",
			"array_to_string(map_values("+c+"), chr(31))",
			"CASE WHEN cardinality("+c+") = list_count(map_values("+c+")) THEN cardinality("+c+")::VARCHAR END")
	}
	return in
}

// An unpacker reads events' arguments into raw values. Events of one kind
// list the same keys in the same order: each list of keys met is split once
// and remembered (layouts), per map. One per goroutine.
type unpacker struct {
	in      *inputs
	layouts []map[string][]int // per map: keys text → the raw value at each position (-1: none)
}

// maxLayouts bounds the lists of keys an unpacker remembers per map.
const maxLayouts = 256

func (in *inputs) unpacker() *unpacker {
	u := &unpacker{in: in, layouts: make([]map[string][]int, len(in.maps))}
	for j := range u.layouts {
		u.layouts[j] = map[string][]int{}
	}
	return u
}

// unpack sets raw and null (raw values) from one event's arguments args
// (argNull: NULL). It reports false when a map's entries cannot be told
// apart.
func (u *unpacker) unpack(args []string, argNull []bool, raw []string, null []bool) bool {
	in := u.in
	for i, r := range in.plain {
		raw[r], null[r] = args[i], argNull[i]
	}
	a := len(in.plain)
	ok := true
	for j, m := range in.maps {
		for _, r := range m.raws {
			raw[r], null[r] = "", true
		}
		keys, vals, count := args[a], args[a+1], args[a+2]
		a += 3
		switch {
		case argNull[a-3]: // no map
			continue
		case argNull[a-1]: // a NULL value
			ok = false
			continue
		case count == "0":
			continue
		}
		layout, seen := u.layouts[j][keys]
		if !seen {
			for k := range strings.SplitSeq(keys, sep) {
				r, found := m.keys[k]
				if !found {
					r = -1
				}
				layout = append(layout, r)
			}
			if len(u.layouts[j]) >= maxLayouts {
				clear(u.layouts[j])
			}
			u.layouts[j][strings.Clone(keys)] = layout
		}
		// As many keys and as many values as entries, or the entries
		// cannot be told apart.
		if n, err := strconv.Atoi(count); err != nil || n != len(layout) || argNull[a-2] {
			ok = false
			continue
		}
		for p, r := range layout {
			v, rest, more := strings.Cut(vals, sep)
			if r >= 0 {
				raw[r], null[r] = v, false
			}
			if more != (p < len(layout)-1) {
				ok = false
				break
			}
			vals = rest
		}
	}
	return ok
}
