package evtx

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"huntsql/loader/timestamp"
	"huntsql/loader/winevent"
	"huntsql/loader/winxml"
)

// evtxexport returns the path of Debian's evtxexport (libevtx-utils),
// installing the package when missing and running as root, or skips.
func evtxexport(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("evtxexport"); err == nil {
		return p
	}
	if os.Geteuid() == 0 {
		if _, err := exec.LookPath("apt-get"); err == nil {
			out, err := exec.Command("apt-get", "install", "-y", "libevtx-utils").CombinedOutput()
			if p, lerr := exec.LookPath("evtxexport"); lerr == nil {
				return p
			}
			t.Logf("apt-get install -y libevtx-utils failed: %v\n%s", err, lastLines(out, 5))
		}
	}
	t.Skip("SKIPPED: evtxexport (Debian package libevtx-utils) is not installed and cannot be installed here (needs root and apt-get): the cross-check against libevtx did not run; install it with `apt-get install libevtx-utils` to run it")
	return ""
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// exported reads evtxexport -f xml output into events, through the XML route.
func exported(t *testing.T, bin, path string) []winevent.Event {
	out, err := exec.Command(bin, "-f", "xml", path).Output()
	if err != nil && len(out) == 0 {
		t.Errorf("evtxexport %s: %v", path, err)
		return nil
	}
	// libevtx writes control characters raw, which XML forbids: keep them
	// visible to the comparison as '?'.
	for i, c := range out {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			out[i] = '?'
		}
	}
	sp := winxml.NewSplitter(bytes.NewReader(out), 0)
	xr := winxml.NewNormalizer()
	var evs []winevent.Event
	for {
		raw, err := sp.Next()
		if err == io.EOF {
			return evs
		}
		if raw.Reject != "" || !bytes.HasPrefix(raw.Data, []byte("<Event ")) {
			continue // the banner line
		}
		var ev winevent.Event
		if err := xr.Parse(string(raw.Data), &ev); err != nil {
			t.Errorf("%s: evtxexport output does not parse: %v", filepath.Base(path), err)
			continue
		}
		evs = append(evs, ev)
	}
}

// TestCrossCheckEvtxexport compares every fixture with libevtx's rendering:
// every record evtxexport gives, huntsql gives too, with the same event id,
// time, computer, provider and data pairs (values compared as what they mean:
// libevtx pads hexadecimal numbers and writes nanoseconds). Records only
// huntsql recovers are listed.
func TestCrossCheckEvtxexport(t *testing.T) {
	bin := evtxexport(t)
	files := fixtures(t)
	theirs := make([][]winevent.Event, len(files))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, path := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			theirs[i] = exported(t, bin, path)
		}()
	}
	wg.Wait()
	totalOurs, totalTheirs := 0, 0
	for i, path := range files {
		name := filepath.Base(path)
		recs, _, _ := decodeFile(t, path)
		ours := map[string][]*winevent.Event{}
		for j := range recs {
			k := recordKey(&recs[j].Ev)
			ours[k] = append(ours[k], &recs[j].Ev)
		}
		totalOurs += len(recs)
		totalTheirs += len(theirs[i])
		missing, differ := 0, 0
		for j := range theirs[i] {
			want := &theirs[i][j]
			k := recordKey(want)
			if len(ours[k]) == 0 {
				missing++
				if missing <= 3 {
					t.Errorf("%s: evtxexport has record %s (event %s at %s), huntsql does not", name, want.RecordID, want.EventID, want.TimeCreated)
				}
				continue
			}
			got := ours[k][0]
			ours[k] = ours[k][1:]
			if diff := compareEvents(got, want); diff != "" {
				if differ++; differ <= 3 {
					t.Errorf("%s record %s: %s", name, want.RecordID, diff)
				}
			}
		}
		if extra := len(recs) - (len(theirs[i]) - missing); extra > 0 {
			var ids []string
			for _, evs := range ours {
				for _, ev := range evs {
					if len(ids) < 10 {
						ids = append(ids, ev.RecordID)
					}
				}
			}
			t.Logf("%s: huntsql recovers %d records evtxexport does not (record ids %s…)", name, extra, strings.Join(ids, ", "))
		}
	}
	t.Logf("%d files: huntsql %d records, evtxexport %d", len(files), totalOurs, totalTheirs)
}

// around quotes a around its first difference with b.
func around(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return fmt.Sprintf("%q", a[max(0, i-40):min(len(a), i+40)])
}

func recordKey(ev *winevent.Event) string {
	ts, _ := timestamp.Parse(ev.TimeCreated)
	return ev.RecordID + "@" + strconv.FormatInt(ts, 10)
}

// compareEvents returns how got differs from want, or "".
func compareEvents(got, want *winevent.Event) string {
	for _, f := range []struct{ name, a, b string }{
		{"EventID", got.EventID, want.EventID},
		{"Computer", got.Computer, want.Computer},
		{"Provider", got.Provider, want.Provider},
		{"Channel", got.Channel, want.Channel},
		{"TimeCreated", got.TimeCreated, want.TimeCreated},
	} {
		if !sameValue(f.a, f.b) {
			return fmt.Sprintf("%s %q, evtxexport %q", f.name, f.a, f.b)
		}
	}
	if len(got.Data) != len(want.Data) {
		return fmt.Sprintf("%d data pairs, evtxexport %d:\n %q\n %q", len(got.Data), len(want.Data), got.Data, want.Data)
	}
	for i := range got.Data {
		g, w := got.Data[i], want.Data[i]
		if g.Name != w.Name || !sameValue(g.Value, w.Value) {
			return fmt.Sprintf("data pair %d is %s=%s, evtxexport %s=%s", i, g.Name, around(g.Value, w.Value), w.Name, around(w.Value, g.Value))
		}
	}
	return ""
}

// sameValue compares two renderings of one value: equal text, or the same
// number (0x-padded hexadecimal or decimal), time, or GUID.
func sameValue(a, b string) bool {
	a = strings.Map(visible, a)
	// libevtx indents the text of nested elements, and writes strings that
	// hold XML unescaped (so their markup vanishes when read back).
	if a == b || squeeze(a) == squeeze(b) || strings.HasPrefix(a, "<") && squeeze(stripTags(a)) == squeeze(b) {
		return true
	}
	if a == b || strings.EqualFold(a, b) && strings.HasPrefix(a, "{") {
		return true
	}
	if x, ok := number(a); ok {
		y, ok := number(b)
		return ok && x == y
	}
	if x, err := timestamp.Parse(a); err == nil && strings.Contains(a, "T") {
		y, err := timestamp.Parse(b)
		return err == nil && x == y
	}
	return false
}

// squeeze drops the whitespace that pretty-printing adds (runs with a newline).
func squeeze(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r') {
			j++
		}
		if j > i {
			if !strings.ContainsAny(s[i:j], "\n") {
				b.WriteString(s[i:j])
			}
			i = j
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, c := range s {
		switch {
		case c == '<':
			in = true
		case c == '>' && in:
			in = false
		case !in:
			b.WriteRune(c)
		}
	}
	return b.String()
}

func visible(r rune) rune {
	if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
		return '?'
	}
	return r
}

func number(s string) (uint64, bool) {
	if len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X") {
		v, err := strconv.ParseUint(s[2:], 16, 64)
		return v, err == nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	return v, err == nil
}
