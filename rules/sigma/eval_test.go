package sigma

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
)

type evalCase struct {
	name      string
	detection string
	events    []ev
	want      []string // ids of matching events
}

func runCases(t *testing.T, cases []evalCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eng := testDB(t, tc.events)
			got := matches(t, eng, procRule(tc.detection))
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Errorf("matched %v, want %v", got, want)
			}
		})
	}
}

func img(id, image string) ev { return sysmon1(id, map[string]string{"Image": image}) }

func cmd(id, cmdline string) ev {
	return sysmon1(id, map[string]string{"CommandLine": cmdline, "Image": `C:\x.exe`})
}

func TestConditionForms(t *testing.T) {
	evs := []ev{
		sysmon1("a", map[string]string{"Image": `C:\a.exe`, "User": "u1"}),
		sysmon1("b", map[string]string{"Image": `C:\b.exe`, "User": "u2"}),
		sysmon1("ab", map[string]string{"Image": `C:\a.exe`, "User": "u2"}),
		sysmon1("none", map[string]string{"Image": `C:\c.exe`}),
	}
	sels := "  sel_a:\n    Image|endswith: '\\a.exe'\n  sel_u2:\n    User: u2\n  _helper:\n    Image: 'C:\\c.exe'\n"
	runCases(t, []evalCase{
		{"and", sels + "  condition: sel_a and sel_u2\n", evs, []string{"ab"}},
		{"or", sels + "  condition: sel_a or sel_u2\n", evs, []string{"a", "b", "ab"}},
		{"not keeps events without the field", sels + "  condition: not sel_u2\n", evs, []string{"a", "none"}},
		{"precedence: not > and > or", sels + "  condition: sel_a or sel_u2 and not sel_a\n", evs, []string{"a", "ab", "b"}},
		{"parentheses", sels + "  condition: (sel_a or sel_u2) and not sel_a\n", evs, []string{"b"}},
		{"1 of pattern", sels + "  condition: 1 of sel_*\n", evs, []string{"a", "b", "ab"}},
		{"all of pattern", sels + "  condition: all of sel_*\n", evs, []string{"ab"}},
		{"1 of them leaves out _ identifiers", sels + "  condition: 1 of them\n", evs, []string{"a", "b", "ab"}},
		{"all of them", sels + "  condition: all of them\n", evs, []string{"ab"}},
		{"2 of them", sels + "  condition: 2 of them\n", evs, []string{"ab"}},
		{"not 1 of", sels + "  condition: not 1 of sel_*\n", evs, []string{"none"}},
		{"list of conditions is ORed", sels + "  condition:\n    - sel_a and sel_u2\n    - _helper\n", evs, []string{"ab", "none"}},
		{"list of maps is OR", "  sel:\n    - Image: 'C:\\b.exe'\n    - User: u1\n  condition: sel\n", evs, []string{"a", "b"}},
		{"map is AND", "  sel:\n    Image: 'C:\\a.exe'\n    User: u1\n  condition: sel\n", evs, []string{"a"}},
		{"value list is OR", "  sel:\n    User:\n      - u1\n      - u2\n  condition: sel\n", evs, []string{"a", "b", "ab"}},
	})
}

func TestNullSafeNot(t *testing.T) {
	// The filter's field (ParentImage) is missing from event "nofield": the
	// rule must still match it, as Sigma says; SQL's NOT NULL would drop it.
	evs := []ev{
		sysmon1("nofield", map[string]string{"Image": `C:\w\cmd.exe`}),
		sysmon1("filtered", map[string]string{"Image": `C:\w\cmd.exe`, "ParentImage": `C:\w\explorer.exe`}),
		sysmon1("kept", map[string]string{"Image": `C:\w\cmd.exe`, "ParentImage": `C:\w\evil.exe`}),
	}
	runCases(t, []evalCase{{"selection and not filter",
		"  selection:\n    Image|endswith: '\\cmd.exe'\n  filter:\n    ParentImage|endswith: '\\explorer.exe'\n  condition: selection and not filter\n",
		evs, []string{"nofield", "kept"}}})
}

func TestValues(t *testing.T) {
	runCases(t, []evalCase{
		{"equality is case-insensitive", "  sel:\n    Image: 'c:\\WINDOWS\\cmd.exe'\n  condition: sel\n",
			[]ev{img("y", `C:\Windows\CMD.EXE`), img("n", `C:\Windows\cmd.exe2`)}, []string{"y"}},
		{"escapes: _ and % and backslashes are literal", "  sel:\n    Image|contains: '\\AppData\\Local\\Temp\\_MEI'\n  condition: sel\n",
			[]ev{img("y", `C:\Users\a\AppData\Local\Temp\_MEI1234\x.exe`), img("underscore", `C:\Users\a\AppData\Local\Temp\xMEI1234\x.exe`),
				img("slash", `C:/Users/a/AppData/Local/Temp/_MEI1234/x.exe`)}, []string{"y"}},
		{"percent is literal", "  sel:\n    CommandLine|contains: '%TEMP%\\a'\n  condition: sel\n",
			[]ev{cmd("y", `copy x %TEMP%\a.exe`), cmd("n", `copy x %TEMPX%\a.exe`), cmd("n2", `copy x TEMP\a.exe`)}, []string{"y"}},
		{"wildcard * inside a value", "  sel:\n    CommandLine: '*\\rundll32.exe*,#*'\n  condition: sel\n",
			[]ev{cmd("y", `C:\w\rundll32.exe x.dll,#1`), cmd("n", `C:\w\rundll32.exe x.dll,1`)}, []string{"y"}},
		{"wildcard ? is one character", "  sel:\n    Image: 'C:\\a?.exe'\n  condition: sel\n",
			[]ev{img("y", `C:\ab.exe`), img("y2", `C:\aé.exe`), img("n", `C:\abc.exe`), img("n2", `C:\a.exe`)}, []string{"y", "y2"}},
		{"escaped wildcards are literal", "  sel:\n    CommandLine: 'a\\*b\\?c'\n  condition: sel\n",
			[]ev{cmd("y", `a*b?c`), cmd("n", `axb?c`), cmd("n2", `a*bxc`)}, []string{"y"}},
		{"escaped backslash before a wildcard", "  sel:\n    CommandLine: 'x\\\\*'\n  condition: sel\n",
			[]ev{cmd("y", `x\anything`), cmd("n", `xanything`)}, []string{"y"}},
		{"lone * matches any value, not a missing one", "  sel:\n    ParentImage: '*'\n  condition: sel\n",
			[]ev{sysmon1("y", map[string]string{"ParentImage": "p"}), sysmon1("n", map[string]string{"Image": "x"})}, []string{"y"}},
		{"null", "  sel:\n    ParentImage: null\n  condition: sel\n",
			[]ev{sysmon1("y", map[string]string{"Image": "x"}), sysmon1("n", map[string]string{"ParentImage": ""})}, []string{"y"}},
		{"empty string", "  sel:\n    ParentImage: ''\n  condition: sel\n",
			[]ev{sysmon1("n", map[string]string{"Image": "x"}), sysmon1("y", map[string]string{"ParentImage": ""}), sysmon1("n2", map[string]string{"ParentImage": "p"})}, []string{"y"}},
		{"Unicode case folding", "  sel:\n    CommandLine|contains: 'ÄRGER ΣΟΦΊΑ ПРИВЕТ'\n  condition: sel\n",
			[]ev{cmd("y", `x ärger σοφία привет y`), cmd("n", `x arger sofia privet`)}, []string{"y"}},
		{"numbers compare as text", "  sel:\n    TerminalSessionId: 0\n  condition: sel\n",
			[]ev{sysmon1("y", map[string]string{"TerminalSessionId": "0"}), sysmon1("n", map[string]string{"TerminalSessionId": "1"})}, []string{"y"}},
		{"keywords search the event's text", "  keywords:\n    - 'mimikatz'\n    - 'sekurlsa::*'\n  condition: keywords\n",
			[]ev{{id: "y", cols: map[string]string{"winlog.channel": "'Microsoft-Windows-Sysmon/Operational'", "event.code": "'1'", "event.original": `'<Event>Invoke-Mimikatz</Event>'`}},
				{id: "y2", cols: map[string]string{"winlog.channel": "'Microsoft-Windows-Sysmon/Operational'", "event.code": "'1'", "event.original": `'<Event>x sekurlsa::logonpasswords</Event>'`}},
				{id: "n", cols: map[string]string{"winlog.channel": "'Microsoft-Windows-Sysmon/Operational'", "event.code": "'1'", "event.original": `'<Event>mimi katz</Event>'`}}},
			[]string{"y", "y2"}},
		{"keywords match XML's escaped form", "  keywords:\n    - 'powershell \"-nop\"'\n  condition: keywords\n",
			[]ev{{id: "xml", cols: map[string]string{"winlog.channel": "'Microsoft-Windows-Sysmon/Operational'", "event.code": "'1'", "event.original": `'<Data>powershell &quot;-nop&quot;</Data>'`}},
				{id: "json", cols: map[string]string{"winlog.channel": "'Microsoft-Windows-Sysmon/Operational'", "event.code": "'1'", "event.original": `'{"x":"powershell "-nop""}'`}},
				{id: "n", cols: map[string]string{"winlog.channel": "'Microsoft-Windows-Sysmon/Operational'", "event.code": "'1'", "event.original": `'<Data>powershell -nop</Data>'`}}},
			[]string{"xml", "json"}},
	})
}

func TestModifiers(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	wide := func(s string) string {
		var b []byte
		for _, u := range utf16.Encode([]rune(s)) {
			b = append(b, byte(u), byte(u>>8))
		}
		return base64.StdEncoding.EncodeToString(b)
	}
	runCases(t, []evalCase{
		{"contains", "  sel:\n    CommandLine|contains: 'Invoke-'\n  condition: sel\n",
			[]ev{cmd("y", "x invoke-y"), cmd("n", "invoke y")}, []string{"y"}},
		{"startswith", "  sel:\n    CommandLine|startswith: 'NET '\n  condition: sel\n",
			[]ev{cmd("y", "net user"), cmd("n", "xnet user")}, []string{"y"}},
		{"endswith", "  sel:\n    CommandLine|endswith: '.PS1'\n  condition: sel\n",
			[]ev{cmd("y", "run a.ps1"), cmd("n", "a.ps1 x")}, []string{"y"}},
		{"contains|all", "  sel:\n    CommandLine|contains|all:\n      - ' -w '\n      - ' hidden'\n  condition: sel\n",
			[]ev{cmd("y", "ps -w hidden"), cmd("n", "ps -w x")}, []string{"y"}},
		{"cased", "  sel:\n    CommandLine|contains|cased: 'ABC'\n  condition: sel\n",
			[]ev{cmd("y", "xABCx"), cmd("n", "xabcx")}, []string{"y"}},
		{"windash", "  sel:\n    CommandLine|windash|contains: ' -enc '\n  condition: sel\n",
			[]ev{cmd("dash", "ps -enc x"), cmd("slash", "ps /enc x"), cmd("en", "ps –enc x"), cmd("em", "ps —enc x"),
				cmd("bar", "ps ―enc x"), cmd("n", "ps enc x"), cmd("n2", "ps +enc x")}, []string{"dash", "slash", "en", "em", "bar"}},
		{"windash|all", "  sel:\n    CommandLine|windash|contains|all:\n      - '-a'\n      - '-b'\n  condition: sel\n",
			[]ev{cmd("y", "x /a -b"), cmd("n", "x /a")}, []string{"y"}},
		{"re is an unanchored search", "  sel:\n    CommandLine|re: 'pow[a-z]+ll'\n  condition: sel\n",
			[]ev{cmd("y", "x powershell y"), cmd("n", "x POWERSHELL y")}, []string{"y"}},
		{"re|i", "  sel:\n    CommandLine|re|i: '^pow[a-z]+ll'\n  condition: sel\n",
			[]ev{cmd("y", "POWERSHELL y"), cmd("n", "x POWERSHELL")}, []string{"y"}},
		{"re|m", "  sel:\n    CommandLine|re|m: '^b$'\n  condition: sel\n",
			[]ev{cmd("y", "a\nb\nc"), cmd("n", "a b")}, []string{"y"}},
		{"re|s", "  sel:\n    CommandLine|re|s: 'a.b'\n  condition: sel\n",
			[]ev{cmd("y", "a\nb"), cmd("y2", "axb"), cmd("n", "ab")}, []string{"y", "y2"}},
		{"re without s: . stops at newlines", "  sel:\n    CommandLine|re: 'a.b'\n  condition: sel\n",
			[]ev{cmd("n", "a\nb"), cmd("y", "axb")}, []string{"y"}},
		{"exists true", "  sel:\n    ParentImage|exists: true\n  condition: sel\n",
			[]ev{sysmon1("y", map[string]string{"ParentImage": ""}), sysmon1("n", map[string]string{"Image": "x"})}, []string{"y"}},
		{"exists false", "  sel:\n    ParentImage|exists: false\n  condition: sel\n",
			[]ev{sysmon1("n", map[string]string{"ParentImage": ""}), sysmon1("y", map[string]string{"Image": "x"})}, []string{"y"}},
		{"base64", "  sel:\n    CommandLine|base64: 'http://'\n  condition: sel\n",
			[]ev{cmd("y", b64("http://")), cmd("n", b64("https://"))}, []string{"y"}},
		{"base64offset|contains", "  sel:\n    CommandLine|base64offset|contains: 'IEX'\n  condition: sel\n",
			[]ev{cmd("o0", "x "+b64("IEX (New")), cmd("o1", "x "+b64("aIEX (New")), cmd("o2", "x "+b64("abIEX (New")),
				cmd("n", "x "+b64("IEY (New"))}, []string{"o0", "o1", "o2"}},
		{"utf16le|base64offset|contains", "  sel:\n    CommandLine|utf16le|base64offset|contains: 'Invoke'\n  condition: sel\n",
			[]ev{cmd("y", "-enc "+wide("$a; Invoke-Expression")), cmd("y0", "-enc "+wide("Invoke-x")), cmd("n", "-enc "+b64("Invoke-x"))}, []string{"y", "y0"}},
		{"wide|base64 is utf16le", "  sel:\n    CommandLine|wide|base64|contains: 'ab'\n  condition: sel\n",
			[]ev{cmd("y", "x"+wide("ab")), cmd("n", "x"+b64("ab"))}, []string{"y"}},
		{"utf16be|base64", "  sel:\n    CommandLine|utf16be|base64|contains: 'ab'\n  condition: sel\n",
			[]ev{cmd("y", "x"+base64.StdEncoding.EncodeToString([]byte{0, 'a', 0, 'b'})), cmd("n", "x"+wide("ab"))}, []string{"y"}},
		{"utf16 has a byte order mark", "  sel:\n    CommandLine|utf16|base64|contains: 'ab'\n  condition: sel\n",
			[]ev{cmd("y", "x"+base64.StdEncoding.EncodeToString([]byte{0xFF, 0xFE, 'a', 0, 'b', 0})), cmd("n", "x"+wide("ab"))}, []string{"y"}},
		{"cidr IPv4", "  sel:\n    User|cidr:\n      - '10.0.0.0/8'\n      - '172.16.0.0/12'\n  condition: sel\n",
			[]ev{sysmon1("y", map[string]string{"User": "10.1.2.3"}), sysmon1("y2", map[string]string{"User": "172.31.255.255"}),
				sysmon1("n", map[string]string{"User": "172.32.0.1"}), sysmon1("n2", map[string]string{"User": "110.0.0.1"}),
				sysmon1("n3", map[string]string{"User": "10.0.0.256"}), sysmon1("n4", map[string]string{"User": "fe80::1"})}, []string{"y", "y2"}},
		{"cidr IPv6", "  sel:\n    User|cidr:\n      - 'fe80::/10'\n      - '::1/128'\n      - '2001:db8::/32'\n  condition: sel\n",
			[]ev{sysmon1("ll", map[string]string{"User": "FE80::1:2"}), sysmon1("ll2", map[string]string{"User": "febf:0:0:0:0:0:0:1"}),
				sysmon1("lo", map[string]string{"User": "::1"}), sysmon1("lo2", map[string]string{"User": "0:0:0:0:0:0:0:1"}),
				sysmon1("doc", map[string]string{"User": "2001:db8:0::5"}), sysmon1("n", map[string]string{"User": "fec0::1"}),
				sysmon1("n2", map[string]string{"User": "::2"}), sysmon1("n3", map[string]string{"User": "2001:db9::1"}),
				sysmon1("n4", map[string]string{"User": "10.0.0.1"})}, []string{"ll", "ll2", "lo", "lo2", "doc"}},
		{"fieldref", "  sel:\n    ParentImage|fieldref: Image\n  condition: sel\n",
			[]ev{sysmon1("y", map[string]string{"Image": `C:\A.exe`, "ParentImage": `c:\a.exe`}), sysmon1("n", map[string]string{"Image": "a", "ParentImage": "b"}),
				sysmon1("n2", map[string]string{"Image": "a"})}, []string{"y"}},
		{"fieldref|endswith", "  sel:\n    CommandLine|fieldref|endswith: Image\n  condition: sel\n",
			[]ev{sysmon1("y", map[string]string{"Image": `a.exe`, "CommandLine": `run A.EXE`}), sysmon1("n", map[string]string{"Image": "a.exe", "CommandLine": "a.exe run"})}, []string{"y"}},
		{"lt gte", "  sel:\n    TerminalSessionId|lt: 3\n  sel2:\n    TerminalSessionId|gte: 1\n  condition: sel and sel2\n",
			[]ev{sysmon1("n0", map[string]string{"TerminalSessionId": "0"}), sysmon1("y1", map[string]string{"TerminalSessionId": "1"}),
				sysmon1("y2", map[string]string{"TerminalSessionId": "2.5"}), sysmon1("n3", map[string]string{"TerminalSessionId": "3"}),
				sysmon1("nx", map[string]string{"TerminalSessionId": "x"})}, []string{"y1", "y2"}},
		{"gt lte", "  sel:\n    TerminalSessionId|gt: 1\n  sel2:\n    TerminalSessionId|lte: 10\n  condition: sel and sel2\n",
			[]ev{sysmon1("n1", map[string]string{"TerminalSessionId": "1"}), sysmon1("y10", map[string]string{"TerminalSessionId": "10"}),
				sysmon1("n11", map[string]string{"TerminalSessionId": "11"})}, []string{"y10"}},
		{"neq", "  sel:\n    User|neq: 'SYSTEM'\n  condition: sel\n",
			[]ev{sysmon1("y", map[string]string{"User": "alice"}), sysmon1("n", map[string]string{"User": "system"}), sysmon1("n2", map[string]string{"Image": "x"})}, []string{"y"}},
		{"neq on a number is numeric", "  sel:\n    TerminalSessionId|neq: 0\n  condition: sel\n",
			[]ev{sysmon1("y", map[string]string{"TerminalSessionId": "2"}), sysmon1("n", map[string]string{"TerminalSessionId": "0.0"}),
				sysmon1("n2", map[string]string{"Image": "x"})}, []string{"y"}},
		{"hour", "  sel:\n    UtcTime|hour: 3\n  condition: sel\n",
			[]ev{sysmon1("y", map[string]string{"UtcTime": "2026-03-01 03:59:00.123"}), sysmon1("n", map[string]string{"UtcTime": "2026-03-01 13:00:00"})}, []string{"y"}},
		{"month year day minute week", "  sel:\n    UtcTime|month: 3\n    UtcTime|year: 2026\n    UtcTime|day: 1\n    UtcTime|minute: 59\n    UtcTime|week: 9\n  condition: sel\n",
			[]ev{sysmon1("y", map[string]string{"UtcTime": "2026-03-01 03:59:00"}), sysmon1("n", map[string]string{"UtcTime": "2026-04-01 03:59:00"})}, []string{"y"}},
	})
}

func TestExpand(t *testing.T) {
	det := "  sel:\n    User|expand: '%admins%'\n  condition: sel\n"
	if _, err := compileOne(t, procRule(det), Options{}); err == nil || !strings.Contains(err.Error(), "rule.yml:9: expand: placeholder %admins% has no values") {
		t.Fatalf("expand without placeholders: %v", err)
	}
	c, err := compileOne(t, procRule(det), Options{Placeholders: map[string][]string{"admins": {`CORP\adm1`, `CORP\adm2`}}})
	if err != nil {
		t.Fatal(err)
	}
	eng := testDB(t, []ev{sysmon1("y", map[string]string{"User": `corp\ADM2`}), sysmon1("n", map[string]string{"User": `CORP\bob`})})
	if got := ids(t, eng, `SELECT "event.id" FROM events WHERE `+c.Where()); !slices.Equal(got, []string{"y"}) {
		t.Errorf("matched %v", got)
	}
}
