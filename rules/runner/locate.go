package runner

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"huntsql/internal/engine"
	"huntsql/internal/results"
)

// Event places a detection on a timeline: when, where and from which input
// line. It is the detection's first event when the rule lists the events
// behind each row (huntsql.evidence), else what the rule's own fields say.
type Event struct {
	Time    time.Time // zero when neither the events nor the fields tell
	Host    string
	Channel string // winlog.channel, else the data stream or dataset
	Code    string // event.code
	File    string // the input the event was read from, as loaded
	Line    int64  // 1-based line in that input (0: unknown)
	// Events is how many events the rule listed behind the detection.
	Events int
	// Details is the detection's Details line, for timelines read back
	// without the fields (Store.Locate fills it).
	Details string
}

// Field names that rules commonly use for the columns of a timeline, in order
// of preference (ECS first, then Splunk CIM and common SQL names).
var (
	timeFields    = []string{"@timestamp", "_time", "timestamp", "time_window", "first_seen", "firstTime", "time"}
	hostFields    = []string{"host.name", "host", "hostname", "dest", "Computer", "ComputerName"}
	codeFields    = []string{"event.code", "EventCode", "EventID", "signature_id"}
	channelFields = []string{"winlog.channel", "Channel", "data_stream.dataset", "event.dataset", "source"}
)

// ref is one event named in huntsql.evidence: by its input's SHA-256 and
// its byte offset in it.
type ref struct {
	sha256 string
	offset int64
}

// Locate fills each detection's Event: from its evidence, looked up in the
// engine's events view in one pass over the archive, and from its fields where
// the evidence says nothing.
func Locate(ctx context.Context, eng *engine.Engine, dets []Detection) error {
	refs := make([][]ref, len(dets))
	want := map[ref]bool{}
	for i, d := range dets {
		refs[i] = evidenceRefs(d.Evidence)
		for _, r := range refs[i] {
			want[r] = true
		}
	}
	found, err := lookup(ctx, eng, want)
	if err != nil {
		return fmt.Errorf("find the events behind the detections: %w", err)
	}
	for i := range dets {
		d := &dets[i]
		d.Event = Event{Events: len(refs[i])}
		var first *located
		for _, r := range refs[i] {
			e, ok := found[r]
			if !ok {
				continue
			}
			if first == nil || e.before(first) {
				first = &e
			}
		}
		if first != nil {
			d.Event.Time, d.Event.Host, d.Event.Channel, d.Event.Code = first.Time, first.Host, first.Channel, first.Code
			d.Event.File, d.Event.Line = first.File, first.Line
		}
		fromFields(d)
	}
	return nil
}

type located struct {
	Event
	sha256 string
	offset int64
}

func (e *located) before(o *located) bool {
	return cmp.Or(e.Time.Compare(o.Time), strings.Compare(e.sha256, o.sha256), cmp.Compare(e.offset, o.offset)) < 0
}

// evidenceRefs reads a huntsql.evidence value: a list of {sha256, offset}.
func evidenceRefs(ev any) []ref {
	list, _ := ev.([]any)
	var out []ref
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		sha, _ := m["sha256"].(string)
		off, ok := number(m["offset"])
		if sha != "" && ok {
			out = append(out, ref{sha, int64(off)})
		}
	}
	return out
}

// lookupBatch bounds the events asked for in one query.
const lookupBatch = 4096

// lookup reads the timeline columns of the wanted events.
func lookup(ctx context.Context, eng *engine.Engine, want map[ref]bool) (map[ref]located, error) {
	all := make([]ref, 0, len(want))
	for r := range want {
		all = append(all, r)
	}
	slices.SortFunc(all, func(a, b ref) int {
		return cmp.Or(strings.Compare(a.sha256, b.sha256), cmp.Compare(a.offset, b.offset))
	})
	found := make(map[ref]located, len(all))
	for len(all) > 0 {
		batch := all[:min(len(all), lookupBatch)]
		all = all[len(batch):]
		vals := make([]string, len(batch))
		for i, r := range batch {
			vals[i] = fmt.Sprintf("(%s, %d)", engine.Quote(r.sha256), r.offset)
		}
		// A join on the listed (file, offset) pairs: the engine reads only the
		// few columns a timeline shows.
		rows, err := eng.Query(ctx, `
SELECT e."huntsql.input_sha256", e."huntsql.source_offset", e."@timestamp", e."host.name",
       coalesce(e."winlog.channel", e."data_stream.dataset", e."event.dataset", e."event.provider"),
       e."event.code", e."huntsql.source_file", e."huntsql.source_line"
FROM events AS e
JOIN (VALUES `+strings.Join(vals, ", ")+`) AS w(sha256, "offset")
  ON e."huntsql.input_sha256" = w.sha256 AND e."huntsql.source_offset" = w."offset"`)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var e located
			var ts *time.Time
			var host, channel, code, file *string
			var line *int64
			if err := rows.Scan(&e.sha256, &e.offset, &ts, &host, &channel, &code, &file, &line); err != nil {
				rows.Close()
				return nil, err
			}
			if ts != nil {
				e.Time = ts.UTC()
			}
			e.Host, e.Channel, e.Code, e.File = deref(host), deref(channel), deref(code), deref(file)
			if line != nil {
				e.Line = *line
			}
			found[ref{e.sha256, e.offset}] = e
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	return found, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// fromFields fills what the evidence left empty from the detection's fields.
func fromFields(d *Detection) {
	if d.Event.Time.IsZero() {
		if v, ok := field(d.Fields, timeFields); ok {
			d.Event.Time = parseTime(v)
		}
	}
	if d.Event.Time.IsZero() {
		for _, v := range d.Fields.Values {
			if t := parseTime(v); !t.IsZero() {
				d.Event.Time = t
				break
			}
		}
	}
	for _, f := range []struct {
		dst   *string
		names []string
	}{{&d.Event.Host, hostFields}, {&d.Event.Code, codeFields}, {&d.Event.Channel, channelFields}} {
		if *f.dst != "" {
			continue
		}
		if v, ok := field(d.Fields, f.names); ok {
			*f.dst = scalarText(v)
		}
	}
}

// field returns the value of the first of names that the fields have, not NULL.
func field(f Fields, names []string) (any, bool) {
	for _, name := range names {
		if i := slices.Index(f.Names, name); i >= 0 && f.Values[i] != nil {
			return f.Values[i], true
		}
	}
	return nil, false
}

func parseTime(v any) time.Time {
	s, ok := v.(string)
	if !ok || len(s) < len("2006-01-02T15:04:05Z") {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// scalarText renders a value for a single timeline cell: a list of one value
// is that value; longer lists are joined with ", ".
func scalarText(v any) string {
	if list, ok := v.([]any); ok {
		parts := make([]string, len(list))
		for i, e := range list {
			parts[i] = results.Text(e)
		}
		return strings.Join(parts, ", ")
	}
	return results.Text(v)
}
