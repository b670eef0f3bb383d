package timestamp

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	utc := func(s string) int64 {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixMicro()
	}
	ok := []struct {
		in   string
		want int64
	}{
		{"2024-05-01", utc("2024-05-01T00:00:00Z")},
		{"2024-05-01T12:00", utc("2024-05-01T12:00:00Z")},
		{"2024-05-01t12:00:59Z", utc("2024-05-01T12:00:59Z")},
		{"2024-05-01 12:00:59z", utc("2024-05-01T12:00:59Z")},
		{"2024-05-01T12:00:59.9999999Z", utc("2024-05-01T12:00:59.999999Z")}, // truncated, not rounded (spec case 32)
		{"2024-05-01T12:00:59,5Z", utc("2024-05-01T12:00:59.5Z")},
		{"2024-05-01T14:00:30+02:00", utc("2024-05-01T12:00:30Z")}, // spec case 31
		{"2024-05-01T14:00:30+0200", utc("2024-05-01T12:00:30Z")},
		{"2024-05-01T10:00:30-02", utc("2024-05-01T12:00:30Z")},
		{"2024-02-29T00:00:00Z", utc("2024-02-29T00:00:00Z")},
		{"1714564800000", utc("2024-05-01T12:00:00Z")},
		{"1714564800000.5", utc("2024-05-01T12:00:00.0005Z")},
		{"-1", -1000},
		{"-0.0001", -1}, // floored
		{"1969-12-31T23:59:59.9999999Z", -1},
	}
	for _, tc := range ok {
		got, err := Parse(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", " 2024-05-01", "2024-05-01 ", "2024-5-01", "2024-13-01", "2023-02-29", "2024-05-01T24:00",
		"2024-05-01T12:60", "2024-05-01T12:00:61Z", "2024-05-01T12:00:00.Z", "2024-05-01T12:00:00.1234567890Z",
		"2024-05-01T12:00+19:00", "2024-05-01T12:00Z+", "yesterday", "1.", "--1", "２０２４-05-01", "1e12", "0x10"} {
		if got, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) = %d, want an error", bad, got)
		}
	}
}

// FuzzTimestamp cross-checks RFC 3339 inputs against the standard library.
func FuzzTimestamp(f *testing.F) {
	for _, s := range []string{"2024-05-01T12:00:00Z", "2024-05-01T12:00:00.123456789+05:30", "1714564800000.25", "2024-05-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Parse(s)
		if err != nil {
			return
		}
		if tm, e := time.Parse(time.RFC3339Nano, s); e == nil && tm.Year() > 0 {
			want := tm.Truncate(time.Microsecond).UnixMicro()
			if tm.UnixNano() < 0 && tm.Nanosecond()%1000 != 0 {
				want = tm.UnixMicro() - 1
				if tm.UnixMicro()*1000 == tm.UnixNano() {
					want = tm.UnixMicro()
				}
			}
			if got != want && got != tm.UnixMicro() {
				t.Fatalf("Parse(%q) = %d, time.Parse gives %d", s, got, want)
			}
		}
	})
}
