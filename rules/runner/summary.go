package runner

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"huntsql/internal/results"
)

// Summary is what an analyst reads first after a run: how many detections,
// when, and which severities, rules and hosts they come from.
type Summary struct {
	Detections  int
	First, Last time.Time // zero when no detection has a time
	BySeverity  []Count   // most severe first
	ByRule      []Count   // most detections first
	ByHost      []Count   // most detections first
}

// Count is a number of detections for one name.
type Count struct {
	Name string
	N    int
}

// Summarize counts located detections (see Locate).
func Summarize(dets []Detection) Summary {
	var z summarizer
	for _, d := range dets {
		z.add(d)
	}
	return z.result()
}

func ranked(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for k, n := range m {
		out = append(out, Count{k, n})
	}
	slices.SortFunc(out, func(a, b Count) int { return cmp.Or(cmp.Compare(b.N, a.N), strings.Compare(a.Name, b.Name)) })
	return out
}

// Write prints the summary, at most top names per list.
func (s Summary) Write(w io.Writer, top int) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%d detection%s", s.Detections, plural(s.Detections))
	if !s.First.IsZero() {
		fmt.Fprintf(&b, ", first %s, last %s", results.Timestamp(s.First), results.Timestamp(s.Last))
	}
	b.WriteString("\n")
	if s.Detections > 0 {
		sev := make([]string, len(s.BySeverity))
		for i, c := range s.BySeverity {
			sev[i] = fmt.Sprintf("%s %d", c.Name, c.N)
		}
		fmt.Fprintf(&b, "  by severity: %s\n", strings.Join(sev, ", "))
		for _, list := range []struct {
			what   string
			counts []Count
		}{{"rule", s.ByRule}, {"host", s.ByHost}} {
			fmt.Fprintf(&b, "  by %s", list.what)
			if len(list.counts) > top {
				fmt.Fprintf(&b, " (top %d of %d)", top, len(list.counts))
			}
			b.WriteString(":\n")
			for _, c := range list.counts[:min(top, len(list.counts))] {
				fmt.Fprintf(&b, "    %6d  %s\n", c.N, c.Name)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
