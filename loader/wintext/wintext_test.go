package wintext

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"huntsql/internal/golden"
	"huntsql/loader/format"
	"huntsql/loader/format/formattest"
	"huntsql/loader/rows"
	"huntsql/loader/winevent"
	"huntsql/loader/winxml"
	schema "huntsql/sql"
)

const fixtures = "../../fixtures/wintext"

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// render renders rows and rejects for a golden file; event.original is
// checked against the input instead (it is the record's exact text).
func render(t testing.TB, l formattest.Loaded, in []byte) []byte {
	return l.Golden(t, func(i int, off int64, orig string) {
		if !bytes.HasPrefix(in[off:], []byte(orig)) {
			t.Errorf("row %d: event.original is not the input's text at offset %d", i, off)
		}
	})
}

func TestFixturesGolden(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(fixtures, "*.txt"))
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			in := readFixture(t, name)
			f := Format
			if Sniff(in) < winxml.Format.Sniff(in) {
				f = winxml.Format // XML first: the windows-xml format takes the file
			}
			got := formattest.Load(t, f, in, format.Options{})
			golden.Check(t, filepath.Join("testdata", "golden", name), render(t, got, in))
		})
	}
}

func TestSniff(t *testing.T) {
	for _, tc := range []struct {
		name string
		want format.Confidence
	}{
		{"security-classic.txt", format.Certain},
		{"classic-crlf-bom.txt", format.Certain},
		{"mixed-classic-first.txt", format.Certain},
		{"mixed-xml-first.txt", format.Likely},
	} {
		if got := Sniff(readFixture(t, tc.name)); got != tc.want {
			t.Errorf("Sniff(%s) = %d, want %d", tc.name, got, tc.want)
		}
	}
	for _, in := range []string{
		"", "{\"a\":1}\n", "<Event><System/></Event>\n", "01/15/2024 10:22:33 AM\nhello\n",
		"LogName=Security\nEventCode=4688\n", "type=SYSCALL msg=audit(1.0:1): x=1\n",
		"13/45/2024 10:22:33 AM\nLogName=Security\n",
	} {
		if got := Sniff([]byte(in)); got != format.No {
			t.Errorf("Sniff(%q) = %d, want No", in, got)
		}
	}
}

// Both kinds of record in one file load whichever kind the file starts with,
// and both give the rows they give in files of their own.
func TestMixedFilesLoadWhicheverWaySniffed(t *testing.T) {
	for _, name := range []string{"mixed-classic-first.txt", "mixed-xml-first.txt"} {
		in := readFixture(t, name)
		for _, f := range []*format.Format{Format, winxml.Format} {
			got := formattest.Load(t, f, in, format.Options{})
			if len(got.Rejects) != 0 || len(got.Rows) != bytes.Count(in, []byte("\nLogName="))+bytes.Count(in, []byte("<Event ")) {
				t.Errorf("%s read as %s: %d rows, rejects %v", name, f.Name, len(got.Rows), got.Rejects)
			}
		}
	}
}

// The same event as classic text and as XML gives the same process columns
// (and the same event data); only what the text renders differently differs.
func TestClassicAndXMLTwinsGiveTheSameProcessColumns(t *testing.T) {
	for _, tc := range []struct {
		classic, xml string
		differ       []string // columns the classic text gives differently
	}{
		// The task and opcode are rendered names, the message is there.
		{"twin-4688.txt", "../rules/6178.6732/fires/38-program-files-python.xml", []string{"winlog.task", "winlog.opcode", "message"}},
		// The XML has a message of its own (RenderingInfo).
		{"twin-sysmon-1.txt", "../winjson/sysmon-1.xml", []string{"message"}},
	} {
		c := formattest.Load(t, Format, readFixture(t, tc.classic), format.Options{})
		x := formattest.Load(t, winxml.Format, readFixture(t, tc.xml), format.Options{})
		if len(c.Rows) != 1 || len(x.Rows) != 1 {
			t.Fatalf("%s: rows: classic %d, xml %d; rejects %v %v", tc.classic, len(c.Rows), len(x.Rows), c.Rejects, x.Rejects)
		}
		// Neither gives the XML's version; the provenance differs; the
		// provider GUIDs of the XML fixtures are not all spelled as Windows does.
		differ := map[string]bool{"winlog.version": true, "winlog.provider_guid": true,
			schema.Original: true, schema.SourceLine: true, schema.SourceOffset: true}
		for _, name := range tc.differ {
			differ[name] = true
		}
		for name := range union(c.Rows[0], x.Rows[0]) {
			if differ[name] {
				continue
			}
			cv, _ := json.Marshal(c.Rows[0][name])
			xv, _ := json.Marshal(x.Rows[0][name])
			if !bytes.Equal(cv, xv) {
				t.Errorf("%s: %s: classic %s, xml %s", tc.classic, name, cv, xv)
			}
		}
		for _, name := range []string{"process.name", "process.command_line", "process.parent.pid", "user.name"} {
			if c.Rows[0][name] == nil {
				t.Errorf("%s: %s is NULL", tc.classic, name)
			}
		}
	}
}

func union(a, b map[string]any) map[string]bool {
	u := map[string]bool{}
	for k := range a {
		u[k] = true
	}
	for k := range b {
		u[k] = true
	}
	return u
}

// The timestamp line has no zone: it is read in --timezone.
func TestTimestampsReadInTheLoadTimeZone(t *testing.T) {
	in := readFixture(t, "twin-4688.txt") // 03/01/2026 12:00:00 PM
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	for _, tc := range []struct {
		loc  *time.Location
		want string
	}{
		{nil, "2026-03-01T12:00:00Z"},
		{ny, "2026-03-01T17:00:00Z"},
		{time.FixedZone("", 2*3600), "2026-03-01T10:00:00Z"},
	} {
		got := formattest.Load(t, Format, in, format.Options{TimeZone: tc.loc})
		if ts := got.Rows[0][schema.Timestamp]; ts != tc.want {
			t.Errorf("zone %v: @timestamp %v, want %s", tc.loc, ts, tc.want)
		}
	}
}

func TestParseStamp(t *testing.T) {
	for in, want := range map[string]string{
		"01/15/2024 10:22:33 AM":     "2024-01-15T10:22:33Z",
		"01/15/2024 12:22:33 AM":     "2024-01-15T00:22:33Z",
		"01/15/2024 12:22:33 PM":     "2024-01-15T12:22:33Z",
		"1/5/2024 1:02:03 pm":        "2024-01-05T13:02:03Z",
		"06/03/2026 08:54:01.170 PM": "2026-06-03T20:54:01.17Z",
		"01/15/2024 22:22:33":        "2024-01-15T22:22:33Z",
		"01/15/2024 22:22:33.5":      "2024-01-15T22:22:33.5Z",
		"2024-01-15 22:22:33.123456": "2024-01-15T22:22:33.123456Z",
		"02/29/2024 00:00:00  ":      "2024-02-29T00:00:00Z",
	} {
		st, ok := parseStamp([]byte(in))
		if !ok {
			t.Errorf("parseStamp(%q) failed", in)
			continue
		}
		if got := st.utc(time.UTC).Format(time.RFC3339Nano); got != want {
			t.Errorf("parseStamp(%q) = %s, want %s", in, got, want)
		}
	}
	for _, in := range []string{"", "01/15/2024", "13/15/2024 10:22:33 AM", "02/30/2024 10:22:33 AM",
		"01/15/2024 13:22:33 PM", "01/15/2024 00:22:33 AM", "01/15/2024 10:22:33AM", "01/15/2024 10:22:33 XM",
		"01/15/24 10:22:33 AM", "01/15/2024 10:22 AM", "01/15/2024 10:22:33.", "2024-1-15 10:22:33",
		"01/15/2024 10:22:33 AM trailing"} {
		if _, ok := parseStamp([]byte(in)); ok {
			t.Errorf("parseStamp(%q) accepted", in)
		}
	}
}

func TestMessageLayouts(t *testing.T) {
	in := readFixture(t, "security-classic.txt")
	sp := NewSplitter(bytes.NewReader(in), 0)
	var ev winevent.Event
	got := map[string]map[string]string{}
	for {
		raw, err := sp.Next()
		if err == io.EOF {
			break
		}
		if err := Parse(raw.Text(), time.UTC, &ev); err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, d := range ev.Data {
			m[d.Name] = d.Value
		}
		got[ev.EventID+"@"+ev.RecordID] = m
	}
	want := map[string]map[string]string{
		"4688@1001": {"SubjectUserSid": `CORP\bob`, "NewProcessId": "0x1168", "ProcessId": "0xe80",
			"CommandLine": `"C:\Windows\system32\netsh.exe"  advfirewall set allprofiles state off`, "TokenElevationType": "TokenElevationTypeFull (2)"},
		"4688@1000": {"SubjectLogonId": "0x3e7a1", "TargetUserSid": "S-1-0-0", "TargetUserName": "-", "ParentProcessName": `C:\Windows\explorer.exe`},
		"4689@1002": {"Status": "0x0", "ProcessId": "0x1168", "ProcessName": `C:\Windows\System32\netsh.exe`},
		"4624@88954": {"SubjectUserSid": "S-1-0-0", "TargetUserName": "carol", "LogonType": "3", "IpAddress": "192.0.2.10", "IpPort": "50112",
			"LogonProcessName": "NtLmSsp ", "ImpersonationLevel": "Impersonation", "TargetLinkedLogonId": "0x0", "ElevatedToken": "Yes", "KeyLength": "128"},
		"4625@88955": {"TargetUserName": "testaccount", "TargetDomainName": "", "Status": "0xc000006d", "SubStatus": "0xc0000064",
			"LogonType": "3", "IpAddress": "198.51.100.7", "ProcessName": "-", "FailureReason": "Unknown user name or bad password."},
		"4634@88990": {"TargetUserName": "carol", "TargetLogonId": "0x64d3d4", "LogonType": "3"},
		"4672@88953": {"SubjectUserSid": "S-1-5-18", "PrivilegeList": "SeAssignPrimaryTokenPrivilege\n\t\t\tSeTcbPrivilege\n\t\t\tSeSecurityPrivilege\n\t\t\tSeDebugPrivilege"},
		"4648@4242":  {"TargetUserName": "admin", "TargetServerName": "FS01.corp.example", "ProcessName": `C:\Windows\System32\runas.exe`, "IpAddress": "-"},
		"1@76122":    {"ProcessId": "6276", "Image": `C:\Windows\System32\wsmprovhost.exe`, "CurrentDirectory": `C:\Windows\system32\`, "ParentUser": `NT AUTHORITY\SYSTEM`, "Description": "Host process for WinRM plug-ins", "RuleName": "-"},
		"7036@5521":  {},
	}
	for id, fields := range want {
		for name, v := range fields {
			if got[id][name] != v {
				t.Errorf("%s %s = %q, want %q", id, name, got[id][name], v)
			}
		}
	}
	if n := len(got["7036@5521"]); n != 0 {
		t.Errorf("7036: %d data values from a message without labels", n)
	}
	if n := len(got["1@76122"]); n != 23 {
		t.Errorf("Sysmon 1: %d data values, want 23", n)
	}
}

func TestRejectReasons(t *testing.T) {
	good := string(readFixture(t, "twin-4688.txt"))
	for _, tc := range []struct{ in, want string }{
		{"Splunk export\n" + good, "text outside any classic WinEventLog record or <Event> element"},
		{"01/15/2024 10:22:33 AM\nLogName=Security\nComputerName=X\nMessage=m\n", "classic WinEventLog record has no EventCode= line"},
		{"01/15/2024 10:22:33 AM\nLogName=Security\nEventCode=4688\nno equals sign\nMessage=m\n", "line 4 of the classic WinEventLog record is not Key=value before Message="},
		{"01/15/2024 10:22:33 AM\nLogName=Security\nEventCode=4688\nMessage=\xff\n", "not valid UTF-8 at byte"},
		{"<Event xmlns='x'><System>\n" + good, "invalid event XML"},
	} {
		got := formattest.Load(t, Format, []byte(tc.in), format.Options{})
		if len(got.Rejects) != 1 || !strings.Contains(got.Rejects[0].Reason, tc.want) {
			t.Errorf("%.40q: rejects %+v, want one containing %q", tc.in, got.Rejects, tc.want)
		}
	}
}

// A byte order mark is skipped even when the first read returns only part of it.
func TestByteOrderMarkInShortReads(t *testing.T) {
	good := string(readFixture(t, "twin-4688.txt"))
	sp := NewSplitter(iotest.OneByteReader(strings.NewReader("\xef\xbb\xbf"+good)), 0)
	if r, _ := sp.Next(); r.Reject != "" || r.Offset != 3 || string(r.Data) != strings.TrimSuffix(good, "\n") {
		t.Errorf("record at %d, reject %q", r.Offset, r.Reject)
	}
}

func TestSplitterLimitsAndResync(t *testing.T) {
	good := string(readFixture(t, "twin-4688.txt"))
	big := strings.Replace(good, "-V", "-V "+strings.Repeat("A", 5000), 1)
	longLine := strings.Replace(good, "Message=", "Message="+strings.Repeat("B", 20000), 1)
	for _, in := range []string{good + big + good, good + longLine + good, good + "<Event " + strings.Repeat("C", 9000) + "</Event>\n" + good} {
		sp := NewSplitter(iotest.HalfReader(strings.NewReader(in)), 4096)
		var got []rows.Raw
		for {
			r, err := sp.Next()
			if err == io.EOF {
				break
			}
			got = append(got, r)
		}
		if len(got) != 3 || got[0].Reject != "" || !strings.HasPrefix(got[1].Reject, "record larger than 4096 bytes") || got[2].Reject != "" ||
			string(got[2].Data) != strings.TrimSuffix(good, "\n") || got[2].Offset != int64(len(in)-len(good)) {
			for _, r := range got {
				t.Logf("%d@%d %q size %d %.60q", r.Line, r.Offset, r.Reject, r.Size, r.Data)
			}
			t.Fatal("an oversized record must be rejected and the next one kept")
		}
	}
	// The last record, over the limit only with its last lines.
	last := strings.Replace(good, "Message=", "Message="+strings.Repeat("D", 2000)+"\n"+strings.Repeat("E", 2000), 1)
	sp := NewSplitter(strings.NewReader(good+last), 4096)
	sp.Next()
	if r, _ := sp.Next(); !strings.HasPrefix(r.Reject, "record larger than 4096 bytes") {
		t.Errorf("last record of %d bytes: reject %q", len(last), r.Reject)
	}
}

// FuzzSplitter: every record is the input's exact bytes at its offset and
// line, whether this splitter cuts it or the windows-xml one (with the
// classic records it hands back here).
func FuzzSplitter(f *testing.F) {
	for _, name := range []string{"twin-4688.txt", "mixed-xml-first.txt", "classic-crlf-bom.txt"} {
		f.Add(readFixture(f, name))
	}
	f.Add([]byte("01/15/2024 10:22:33 AM\nLogName=x\n<Event>\n01/15/2024 10:22:33 AM\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		checkRecords(t, NewSplitter(bytes.NewReader(in), 512), in, 512)
		checkRecords(t, winxml.NewSplitter(bytes.NewReader(in), 512), in, 4<<20)
	})
}

func checkRecords(t *testing.T, sp format.Splitter, in []byte, limit int) {
	formattest.Splits(t, sp, in, func(r rows.Raw) string {
		if len(r.Data) > limit {
			return fmt.Sprintf("over the limit: %d bytes", len(r.Data))
		}
		return ""
	})
}

// FuzzParse: any record is rejected with a reason or gives one row.
func FuzzParse(f *testing.F) {
	f.Add(readFixture(f, "twin-4688.txt"))
	f.Add([]byte("01/15/2024 10:22:33 AM\nLogName=Microsoft-Windows-Sysmon/Operational\nEventCode=1\nSourceName=Microsoft-Windows-Sysmon\nMessage=Process Create:\nImage: C:\\x.exe\nCommandLine: x \"y\n\tz\"\n"))
	n := NewNormalizer(time.UTC)
	f.Fuzz(func(t *testing.T, in []byte) {
		b := rows.NewBatch(1)
		reason := n.Normalize(&rows.Raw{Data: in}, &rows.Source{}, b)
		if (reason == "") != (b.Len == 1) {
			t.Fatalf("reason %q with %d rows", reason, b.Len)
		}
	})
}

// A Sysmon command line may span lines, and its lines may look like labels:
// only the event's EventData names start a value.
func TestSysmonMultiLineValues(t *testing.T) {
	rec := "03/01/2026 01:33:18 PM\nLogName=Microsoft-Windows-Sysmon/Operational\nEventCode=1\nSourceName=Microsoft-Windows-Sysmon\nComputerName=WS7\n" +
		"Message=Process Create:\r\nRuleName: -\r\nImage: C:\\Windows\\System32\\cmd.exe\r\nCommandLine: cmd /c \"echo a\r\nNote: b\r\n\r\nc\"\r\nCurrentDirectory: C:\\\r\nUser: CORP\\alice"
	var ev winevent.Event
	if err := Parse(rec, time.UTC, &ev); err != nil {
		t.Fatal(err)
	}
	kv := func(n, v string) winevent.KV { return winevent.KV{Name: n, Value: v} }
	want := []winevent.KV{kv("RuleName", "-"), kv("Image", `C:\Windows\System32\cmd.exe`), kv("CommandLine", "cmd /c \"echo a\nNote: b\n\nc\""),
		kv("CurrentDirectory", `C:\`), kv("User", `CORP\alice`)}
	if fmt.Sprint(ev.Data) != fmt.Sprint(want) {
		t.Errorf("data %q\nwant %q", ev.Data, want)
	}
}
