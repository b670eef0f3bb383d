package rules

import (
	"strings"
	"testing"
)

const good = `
[rule]
id = "x-1"
name = "X"
description = "d"
severity = "high"
risk_score = 73
query = "SELECT 1"

[[rule.threat]]
framework = "MITRE ATT&CK"
[rule.threat.tactic]
id = "TA0002"
name = "Execution"
[[rule.threat.technique]]
id = "T1059"
name = "Command and Scripting Interpreter"
[[rule.threat.technique.subtechnique]]
id = "T1059.006"
name = "Python"
`

func TestParseGood(t *testing.T) {
	r, err := Parse("x.toml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != "x-1" || r.Score() != 73 || strings.Join(r.Techniques(), ",") != "T1059,T1059.006" {
		t.Errorf("parsed %+v", r)
	}
}

func TestParseErrorsNameFileAndLine(t *testing.T) {
	tests := []struct{ edit, old, want string }{
		{"risk_score = 73\nsevrity = \"low\"", "risk_score = 73", `x.toml:8: unknown key "rule.sevrity"`},
		{`severity = "urgent"`, `severity = "high"`, `x.toml:6: rule.severity "urgent": must be one of low, medium, high, critical`},
		{`risk_score = 101`, `risk_score = 73`, `x.toml:7: rule.risk_score 101: must be 0 to 100`},
		{``, `query = "SELECT 1"`, `x.toml:2: missing required key rule.query`},
		{`id = "TA2"`, `id = "TA0002"`, `x.toml:13: rule.threat tactic id "TA2": must look like TA0002`},
		{`id = "T1059.6"`, `id = "T1059.006"`, `x.toml:19: rule.threat subtechnique id "T1059.6": must look like T1059.006`},
		{`name = "X`, `name = "X"`, `x.toml:4: strings cannot contain newlines`},
		{`id = "../etc"`, `id = "x-1"`, `x.toml:3: rule.id "../etc": use letters, digits`},
		{"[rule.extra]\nfoo = 1\n[rule.threat.tactic]", "[rule.threat.tactic]", `x.toml:12: unknown key "rule.extra"`},
	}
	for _, tc := range tests {
		src := strings.Replace(good, tc.old, tc.edit, 1)
		_, err := Parse("x.toml", []byte(src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("edit %q: got %v, want %q", tc.edit, err, tc.want)
		}
	}
}

func TestBuiltinRulesLoad(t *testing.T) {
	set, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range set.Rules {
		ids = append(ids, r.ID)
	}
	if strings.Join(ids, " ") != "6178.6732 b42e4b88-fc4a-417b-a45e-4d4a3db9fd41" {
		t.Errorf("built-in rules: %v", ids)
	}
}

func TestUserRuleReplacesBuiltin(t *testing.T) {
	dir := t.TempDir()
	src := strings.Replace(good, `id = "x-1"`, `id = "6178.6732"`, 1)
	writeFile(t, dir+"/mine.toml", src)
	set, err := Load([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Notes) != 1 || !strings.Contains(set.Notes[0], "replaces the one from builtin:6178.6732.toml") {
		t.Errorf("notes: %v", set.Notes)
	}
	r, _ := set.Select([]string{"6178.6732"})
	if r[0].Name != "X" {
		t.Errorf("the user rule should win: %+v", r[0])
	}
	writeFile(t, dir+"/dup.toml", src)
	set, err = Load([]string{dir})
	if err != nil || len(set.Broken) != 1 || !strings.Contains(set.Broken[0].Error(), `rule id "6178.6732" is also used by`) {
		t.Errorf("two rules with one id in a folder: %v %v", err, set.Broken)
	}
}

// One broken file never stops the others: it is reported with file and line,
// and the good rules load.
func TestBrokenFileDoesNotStopTheOthers(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/good.toml", good)
	writeFile(t, dir+"/bad.toml", "[rule]\nid = \"b-1\"\nseverity = 3\n")
	set, err := Load([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := set.Select([]string{"x-1"}); err != nil {
		t.Errorf("the good rule did not load: %v", err)
	}
	if len(set.Broken) != 1 || !strings.Contains(set.Broken[0].Error(), "bad.toml:3:") {
		t.Errorf("broken: %v", set.Broken)
	}
}

// FuzzParse: any input gives a rule or an error, never a panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("[rule]\nid=1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse("f.toml", data)
		if (r == nil) == (err == nil) {
			t.Fatalf("rule %v and error %v", r, err)
		}
	})
}
