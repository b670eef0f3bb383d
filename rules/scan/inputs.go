package scan

import (
	"regexp"
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
	maps  []mapInput // then two arguments per map
	n     int        // raw values
}

// A mapInput is a map column read as two arguments: its keys and its values.
type mapInput struct {
	keys map[string]int // key → the raw value its entry is
}

// sep joins a map's keys and its values. A value holding it, or a NULL value
// (array_to_string leaves them out; huntsql's loaders write none), makes the
// counts differ: that event's entries are then unknown, and the event is
// routed to every rule. (Both at once in one event could cancel out.)
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
	}
	for _, c := range cols {
		in.args = append(in.args,
			"array_to_string(map_keys("+c+"), chr(31))",
			"array_to_string(map_values("+c+"), chr(31))")
	}
	return in
}

// unpack sets raw and null (raw values) from one event's arguments args
// (argNull: NULL). It reports false when a map's entries cannot be told
// apart.
func (in *inputs) unpack(args []string, argNull []bool, raw []string, null []bool) bool {
	for i, r := range in.plain {
		raw[r], null[r] = args[i], argNull[i]
	}
	a := len(in.plain)
	ok := true
	for _, m := range in.maps {
		for _, r := range m.keys {
			raw[r], null[r] = "", true
		}
		keys, vals := args[a], args[a+1]
		if !argNull[a] && keys != "" {
			if argNull[a+1] || strings.Count(keys, sep) != strings.Count(vals, sep) {
				ok = false
			} else {
				for keys != "" || vals != "" {
					k, kr, _ := strings.Cut(keys, sep)
					v, vr, _ := strings.Cut(vals, sep)
					if r, found := m.keys[k]; found {
						raw[r], null[r] = v, false
					}
					keys, vals = kr, vr
					if keys == "" && vals == "" {
						break
					}
				}
			}
		}
		a += 2
	}
	return ok
}
