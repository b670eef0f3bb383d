package sigma

import (
	"fmt"
	"strings"

	"huntsql/rules"
)

// TOML writes a compiled rule as an ordinary huntsql rule file (the format of
// docs/rules.md), readable by people: the query as a multi-line string, the
// Sigma metadata under [rule.origin], the attribution the Detection Rule
// License asks for in the header.
func TOML(c *Compiled) []byte {
	r := c.Rule
	var b strings.Builder
	fmt.Fprintf(&b, "# Converted by huntsql from the Sigma rule %s.\n", c.Doc.File)
	by := ""
	if c.Doc.Author != "" {
		by = " by " + oneLine(c.Doc.Author)
	}
	if c.Rule.License == "DRL-1.1" {
		fmt.Fprintf(&b, "# Sigma rule%s, under the Detection Rule License (DRL) 1.1:\n", by)
		b.WriteString("# https://github.com/SigmaHQ/Detection-Rule-License\n")
	} else {
		fmt.Fprintf(&b, "# Sigma rule%s, licence %s.\n", by, oneLine(c.Rule.License))
	}
	for _, n := range c.CannotFire {
		fmt.Fprintf(&b, "# %s\n", n)
	}
	b.WriteString("\n[rule]\n")
	kv := func(k, v string) { fmt.Fprintf(&b, "%s = %s\n", k, tomlString(v)) }
	kv("id", r.ID)
	kv("name", r.Name)
	fmt.Fprintf(&b, "description = %s\n", tomlMultiline(r.Description))
	kv("severity", r.Severity)
	fmt.Fprintf(&b, "risk_score = %d\n", r.Score())
	list := func(k string, vs []string) {
		if len(vs) == 0 {
			return
		}
		if len(vs) == 1 {
			fmt.Fprintf(&b, "%s = [%s]\n", k, tomlString(vs[0]))
			return
		}
		fmt.Fprintf(&b, "%s = [\n", k)
		for _, v := range vs {
			fmt.Fprintf(&b, "    %s,\n", tomlString(v))
		}
		b.WriteString("]\n")
	}
	list("tags", r.Tags)
	list("references", r.References)
	list("author", r.Author)
	if r.License != "" {
		kv("license", r.License)
	}
	fmt.Fprintf(&b, "query = %s\n", tomlMultiline(r.Query))
	if o := r.Origin; o != nil {
		b.WriteString("\n[rule.origin]\n")
		kv("id", o.ID)
		kv("language", o.Language)
		kv("source", o.Source)
		if o.Status != "" {
			kv("status", o.Status)
		}
		if o.Level != "" {
			kv("level", o.Level)
		}
		list("falsepositives", o.FalsePositives)
	}
	for _, t := range r.Threat {
		b.WriteString("\n[[rule.threat]]\n")
		kv("framework", t.Framework)
		b.WriteString("\n[rule.threat.tactic]\n")
		writeRef(&b, t.Tactic)
		for _, tech := range t.Technique {
			b.WriteString("\n[[rule.threat.technique]]\n")
			writeRef(&b, tech.Ref)
			for _, sub := range tech.Subtechnique {
				b.WriteString("\n[[rule.threat.technique.subtechnique]]\n")
				writeRef(&b, sub)
			}
		}
	}
	return []byte(b.String())
}

func writeRef(b *strings.Builder, r rules.Ref) {
	fmt.Fprintf(b, "id = %s\n", tomlString(r.ID))
	if r.Name != "" {
		fmt.Fprintf(b, "name = %s\n", tomlString(r.Name))
	}
	if r.Reference != "" {
		fmt.Fprintf(b, "reference = %s\n", tomlString(r.Reference))
	}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// tomlString is a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// tomlMultiline is a multi-line literal string (”'…”') when the text
// allows it (no ”' and no control characters but tab and newline), else a
// basic string.
func tomlMultiline(s string) string {
	ok := !strings.Contains(s, "'''") && !strings.HasSuffix(s, "'")
	for _, r := range s {
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f {
			ok = false
		}
	}
	if ok {
		return "'''\n" + s + "\n'''"
	}
	return tomlString(s)
}
