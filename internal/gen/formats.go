package gen

// The process creation events of WindowsProcess, written in the shapes that
// collection tools give them, so that the loader's formats can be compared on
// the same events: each event of WindowsProcess's XML is read back (with
// encoding/xml, not with the loader under test) and written again as
// evtx_dump, winlogbeat, NXLog or a Splunk forwarder writes it. And Linux
// exec events as auditd logs them.

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Windows shapes WindowsProcessAs writes; each is named after the loader
// format that reads it (evtx-json has two layouts).
const (
	ShapeEVTXJSON   = "evtx-json"          // `evtx_dump -o json`: pretty, a "Record N" line before each record
	ShapeEVTXJSONL  = "evtx-jsonl"         // `evtx_dump -o jsonl`: one record per line
	ShapeWinlogbeat = "winlogbeat-json"    // winlogbeat's file output (no ingest pipeline)
	ShapeFlatJSON   = "windows-flat-json"  // NXLog im_msvistalog + to_json()
	ShapeSplunk     = "splunk-wineventlog" // Splunk classic WinEventLog text (renderXml = false)
)

// WindowsShapes lists the shapes WindowsProcessAs writes.
var WindowsShapes = []string{ShapeEVTXJSON, ShapeEVTXJSONL, ShapeWinlogbeat, ShapeFlatJSON, ShapeSplunk}

// xmlEvent is one event of WindowsProcess's output.
type xmlEvent struct {
	System struct {
		Provider struct {
			Name string `xml:"Name,attr"`
			Guid string `xml:"Guid,attr"`
		}
		EventID, Version, Level, Task, Opcode, Keywords string
		TimeCreated                                     struct {
			SystemTime string `xml:",attr"`
		}
		EventRecordID string
		Execution     struct {
			ProcessID string `xml:",attr"`
			ThreadID  string `xml:",attr"`
		}
		Channel, Computer string
		Security          struct {
			UserID string `xml:",attr"`
		}
	}
	Data []struct {
		Name  string `xml:",attr"`
		Value string `xml:",chardata"`
	} `xml:"EventData>Data"`
}

func (e *xmlEvent) get(name string) string {
	for _, d := range e.Data {
		if d.Name == name {
			return d.Value
		}
	}
	return ""
}

func (e *xmlEvent) sysmon() bool { return e.System.Channel == "Microsoft-Windows-Sysmon/Operational" }

// WindowsProcessAs writes the n events WindowsProcess writes for o in the
// given shape (one of WindowsShapes), in the same order, with the same values
// as far as the shape carries them.
func WindowsProcessAs(w io.Writer, shape string, n int, o WinProcOptions) error {
	var write func(b *strings.Builder, e *xmlEvent, i int)
	switch shape {
	case ShapeEVTXJSON:
		write = func(b *strings.Builder, e *xmlEvent, i int) {
			fmt.Fprintf(b, "Record %s\n", e.System.EventRecordID)
			evtxTree(e).pretty(b)
			b.WriteByte('\n')
		}
	case ShapeEVTXJSONL:
		write = func(b *strings.Builder, e *xmlEvent, i int) { evtxTree(e).compact(b); b.WriteByte('\n') }
	case ShapeWinlogbeat:
		write = func(b *strings.Builder, e *xmlEvent, i int) { winlogbeatTree(e).compact(b); b.WriteByte('\n') }
	case ShapeFlatJSON:
		write = func(b *strings.Builder, e *xmlEvent, i int) { nxlogTree(e).compact(b); b.WriteByte('\n') }
	case ShapeSplunk:
		write = splunkClassic
	default:
		return fmt.Errorf("gen: unknown Windows shape %q (want one of %s)", shape, strings.Join(WindowsShapes, ", "))
	}
	pr, pw := io.Pipe()
	go func() {
		_, err := WindowsProcess(pw, n, o)
		pw.CloseWithError(err)
	}()
	defer pr.Close()
	in := bufio.NewReaderSize(pr, 1<<20)
	bw := bufio.NewWriterSize(w, 1<<20)
	var b strings.Builder
	for i := 0; ; i++ {
		line, err := in.ReadBytes('\n')
		if len(line) > 0 {
			var e xmlEvent
			if err := xml.Unmarshal(line, &e); err != nil {
				return fmt.Errorf("gen: event %d of WindowsProcess: %v", i, err)
			}
			b.Reset()
			write(&b, &e, i)
			if _, err := bw.WriteString(b.String()); err != nil {
				return err
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	return bw.Flush()
}

// node is an ordered JSON value: an object (fields), a string, a raw number
// or literal, or null.
type node struct {
	fields []field
	str    *string
	raw    string // a number or literal; "" and no str or fields: null
	obj    bool
}

type field struct {
	key string
	val node
}

func jobj(fs ...field) node               { return node{fields: fs, obj: true} }
func jstr(s string) node                  { return node{str: &s} }
func jnum(s string) node                  { return node{raw: s} }
func jnull() node                         { return node{} }
func jf(key string, val node) field       { return field{key, val} }
func (n *node) add(key string, v node)    { n.fields = append(n.fields, field{key, v}) }
func jfs(key, value string) field         { return field{key, jstr(value)} }
func jattrs(fs ...field) field            { return field{"#attributes", jobj(fs...)} }
func (n node) compact(b *strings.Builder) { n.write(b, -1) }
func (n node) pretty(b *strings.Builder)  { n.write(b, 0) }

// write writes n as JSON: compact when depth < 0, else indented by two
// spaces as serde_json's pretty printer (evtx_dump) does.
func (n node) write(b *strings.Builder, depth int) {
	switch {
	case n.obj:
		b.WriteByte('{')
		for i, fl := range n.fields {
			if i > 0 {
				b.WriteByte(',')
			}
			if depth >= 0 {
				b.WriteByte('\n')
				b.WriteString(strings.Repeat("  ", depth+1))
			}
			jsonString(b, fl.key)
			b.WriteByte(':')
			if depth >= 0 {
				b.WriteByte(' ')
				fl.val.write(b, depth+1)
			} else {
				fl.val.write(b, -1)
			}
		}
		if depth >= 0 && len(n.fields) > 0 {
			b.WriteByte('\n')
			b.WriteString(strings.Repeat("  ", depth))
		}
		b.WriteByte('}')
	case n.str != nil:
		jsonString(b, *n.str)
	case n.raw != "":
		b.WriteString(n.raw)
	default:
		b.WriteString("null")
	}
}

// jsonString writes s as a JSON string the way serde_json and Go's encoders
// without HTML escaping do: quote, backslash and control characters escaped,
// everything else as UTF-8.
func jsonString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20:
			fmt.Fprintf(b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

// evtxNumeric are the EventData fields evtx_dump renders as JSON numbers (their
// binary XML type is an integer); GUID-typed ones it renders without braces.
var (
	evtxNumeric = map[string]bool{"ProcessId": true, "ParentProcessId": true, "TerminalSessionId": true}
	evtxGUID    = map[string]bool{"ProcessGuid": true, "ParentProcessGuid": true, "LogonGuid": true}
)

func bare(guid string) string { return strings.Trim(guid, "{}") }

// evtxTree is the record as evtx_dump renders it.
func evtxTree(e *xmlEvent) node {
	s := &e.System
	t, _ := time.Parse(time.RFC3339Nano, s.TimeCreated.SystemTime)
	security := jnull()
	if s.Security.UserID != "" {
		security = jobj(jattrs(jfs("UserID", s.Security.UserID)))
	}
	sys := jobj(
		jf("Provider", jobj(jattrs(jfs("Name", s.Provider.Name), jfs("Guid", strings.ToUpper(bare(s.Provider.Guid)))))),
		jf("EventID", jnum(s.EventID)), jf("Version", jnum(s.Version)), jf("Level", jnum(s.Level)),
		jf("Task", jnum(s.Task)), jf("Opcode", jnum(s.Opcode)), jfs("Keywords", s.Keywords),
		jf("TimeCreated", jobj(jattrs(jfs("SystemTime", t.UTC().Format("2006-01-02T15:04:05.000000Z"))))),
		jf("EventRecordID", jnum(s.EventRecordID)), jf("Correlation", jnull()),
		jf("Execution", jobj(jattrs(jf("ProcessID", jnum(s.Execution.ProcessID)), jf("ThreadID", jnum(s.Execution.ThreadID))))),
		jfs("Channel", s.Channel), jfs("Computer", s.Computer), jf("Security", security),
	)
	data := jobj()
	for _, d := range e.Data {
		switch {
		case e.sysmon() && evtxNumeric[d.Name]:
			data.add(d.Name, jnum(d.Value))
		case e.sysmon() && evtxGUID[d.Name]:
			data.add(d.Name, jstr(bare(d.Value)))
		default:
			data.add(d.Name, jstr(d.Value))
		}
	}
	return jobj(jf("Event", jobj(
		jattrs(jfs("xmlns", "http://schemas.microsoft.com/win/2004/08/events/event")),
		jf("System", sys), jf("EventData", data))))
}

// winlogbeatTree is the event as winlogbeat 8 writes it to a file (its file
// output: no Elasticsearch ingest pipeline, so no process.* fields).
func winlogbeatTree(e *xmlEvent) node {
	s := &e.System
	t, _ := time.Parse(time.RFC3339Nano, s.TimeCreated.SystemTime)
	short := s.Computer
	if i := strings.IndexByte(short, '.'); i > 0 {
		short = short[:i]
	}
	task, action := "Process Creation", "Process Creation"
	if e.sysmon() {
		task, action = "Process Create (rule: ProcessCreate)", "Process Create (rule: ProcessCreate)"
	}
	ev := jobj(jfs("code", s.EventID), jfs("kind", "event"), jfs("provider", s.Provider.Name), jfs("action", action),
		jfs("created", t.Add(1342*time.Millisecond).UTC().Format("2006-01-02T15:04:05.000Z")))
	if !e.sysmon() {
		ev.add("outcome", jstr("success"))
	}
	data := jobj()
	for _, d := range e.Data {
		data.add(d.Name, jstr(d.Value))
	}
	wl := jobj(jfs("channel", s.Channel), jfs("computer_name", s.Computer), jf("event_data", data), jfs("event_id", s.EventID))
	if !e.sysmon() {
		wl.add("keywords", node{raw: `["Audit Success"]`})
	}
	wl.add("opcode", jstr("Info"))
	wl.add("process", jobj(jf("pid", jnum(s.Execution.ProcessID)), jf("thread", jobj(jf("id", jnum(s.Execution.ThreadID))))))
	wl.add("provider_guid", jstr(s.Provider.Guid))
	wl.add("provider_name", jstr(s.Provider.Name))
	wl.add("record_id", jstr(s.EventRecordID))
	wl.add("task", jstr(task))
	if s.Security.UserID != "" {
		wl.add("user", jobj(jfs("identifier", s.Security.UserID), jfs("domain", "NT AUTHORITY"), jfs("name", "SYSTEM"), jfs("type", "Well Known Group")))
	}
	wl.add("api", jstr("wineventlog"))
	return jobj(
		jfs("@timestamp", t.UTC().Format("2006-01-02T15:04:05.000Z")),
		jf("@metadata", jobj(jfs("beat", "winlogbeat"), jfs("type", "_doc"), jfs("version", "8.15.2"))),
		jf("event", ev),
		jf("log", jobj(jfs("level", "information"))),
		jfs("message", renderedMessage(e, "\n")),
		jf("winlog", wl),
		jf("host", jobj(jfs("name", s.Computer))),
		jf("agent", jobj(jfs("type", "winlogbeat"), jfs("version", "8.15.2"), jfs("ephemeral_id", "0b7c6a1e-4d1f-4a52-9c3e-5f2a1b7d9e01"),
			jfs("id", "c2a7e8f0-1d3b-4a5c-9e7f-2b4d6f8a0c1e"), jfs("name", short))),
		jf("ecs", jobj(jfs("version", "8.0.0"))),
	)
}

// nxlogTree is the event as NXLog's im_msvistalog and to_json() write it:
// System and EventData side by side, EventTime without a zone (written in
// UTC here, so that the default --timezone reads it right).
func nxlogTree(e *xmlEvent) node {
	s := &e.System
	t, _ := time.Parse(time.RFC3339Nano, s.TimeCreated.SystemTime)
	kw, _ := strconv.ParseUint(strings.TrimPrefix(s.Keywords, "0x"), 16, 64)
	eventType, category := "AUDIT_SUCCESS", "Process Creation"
	if e.sysmon() {
		eventType, category = "INFO", "Process Create (rule: ProcessCreate)"
	}
	n := jobj(jfs("EventTime", t.UTC().Format("2006-01-02 15:04:05")), jfs("Hostname", s.Computer),
		jf("Keywords", jnum(strconv.FormatInt(int64(kw), 10))), jfs("EventType", eventType),
		jf("SeverityValue", jnum("2")), jfs("Severity", "INFO"), jf("EventID", jnum(s.EventID)),
		jfs("SourceName", s.Provider.Name), jfs("ProviderGuid", s.Provider.Guid), jf("Version", jnum(s.Version)),
		jf("TaskValue", jnum(s.Task)), jf("OpcodeValue", jnum(s.Opcode)), jf("RecordNumber", jnum(s.EventRecordID)),
		jf("ExecutionProcessID", jnum(s.Execution.ProcessID)), jf("ExecutionThreadID", jnum(s.Execution.ThreadID)),
		jfs("Channel", s.Channel))
	if s.Security.UserID != "" {
		n.add("Domain", jstr("NT AUTHORITY"))
		n.add("AccountName", jstr("SYSTEM"))
		n.add("UserID", jstr(s.Security.UserID))
		n.add("AccountType", jstr("User"))
	}
	n.add("Message", jstr(renderedMessage(e, "\r\n")))
	n.add("Category", jstr(category))
	n.add("Opcode", jstr("Info"))
	for _, d := range e.Data {
		n.add(d.Name, jstr(d.Value))
	}
	n.add("EventReceivedTime", jstr(t.Add(2*time.Second).UTC().Format("2006-01-02 15:04:05")))
	n.add("SourceModuleName", jstr("eventlog"))
	n.add("SourceModuleType", jstr("im_msvistalog"))
	return n
}

// renderedMessage is the event's message as Windows renders it (Event Viewer,
// FormatMessage), lines joined by nl.
func renderedMessage(e *xmlEvent, nl string) string {
	var b strings.Builder
	if e.sysmon() {
		b.WriteString("Process Create:")
		for _, d := range e.Data {
			b.WriteString(nl)
			b.WriteString(d.Name)
			b.WriteString(": ")
			b.WriteString(d.Value)
		}
		return b.String()
	}
	subject := "Creator Subject:"
	lines := []string{
		"A new process has been created.", "",
		subject,
		"\tSecurity ID:\t\t" + sidName(e.get("SubjectUserSid"), e.get("SubjectDomainName"), e.get("SubjectUserName")),
		"\tAccount Name:\t\t" + e.get("SubjectUserName"),
		"\tAccount Domain:\t\t" + e.get("SubjectDomainName"),
		"\tLogon ID:\t\t" + upperHex(e.get("SubjectLogonId")), "",
		"Target Subject:",
		"\tSecurity ID:\t\t" + sidName(e.get("TargetUserSid"), e.get("TargetDomainName"), e.get("TargetUserName")),
		"\tAccount Name:\t\t" + e.get("TargetUserName"),
		"\tAccount Domain:\t\t" + e.get("TargetDomainName"),
		"\tLogon ID:\t\t" + upperHex(e.get("TargetLogonId")), "",
		"Process Information:",
		"\tNew Process ID:\t\t" + e.get("NewProcessId"),
		"\tNew Process Name:\t" + e.get("NewProcessName"),
		"\tToken Elevation Type:\t" + e.get("TokenElevationType"),
		"\tMandatory Label:\t\t" + e.get("MandatoryLabel"),
		"\tCreator Process ID:\t" + e.get("ProcessId"),
		"\tCreator Process Name:\t" + e.get("ParentProcessName"),
		"\tProcess Command Line:\t" + e.get("CommandLine"), "",
		"Token Elevation Type indicates the type of token that was assigned to the new process in accordance with User Account Control policy.", "",
		"Type 1 is a full token with no privileges removed or groups disabled.  A full token is only used if User Account Control is disabled or if the user is the built-in Administrator account or a service account.", "",
		"Type 2 is an elevated token with no privileges removed or groups disabled.  An elevated token is used when User Account Control is enabled and the user chooses to start the program using Run as administrator.  An elevated token is also used when an application is configured to always require administrative privilege or to always require maximum privilege, and the user is a member of the Administrators group.", "",
		"Type 3 is a limited token with administrative privileges removed and administrative groups disabled.  The limited token is used when User Account Control is enabled, the application does not require administrative privilege, and the user does not choose to start the program using Run as administrator.",
	}
	return strings.Join(lines, nl)
}

// sidName is a SID as the rendered message shows it: the account when
// Windows resolves it.
func sidName(sid, domain, user string) string {
	switch sid {
	case "S-1-0-0":
		return "NULL SID"
	case "S-1-5-18":
		return `NT AUTHORITY\SYSTEM`
	}
	if strings.HasPrefix(sid, "S-1-5-21-") && user != "" && user != "-" {
		return domain + `\` + user
	}
	return sid
}

func upperHex(s string) string {
	if strings.HasPrefix(s, "0x") {
		return "0x" + strings.ToUpper(s[2:])
	}
	return s
}

// splunkClassic writes the event as a Splunk forwarder stores it without
// renderXml: a zone-less 12-hour timestamp line (UTC here), Key=value header
// lines, the rendered message.
func splunkClassic(b *strings.Builder, e *xmlEvent, _ int) {
	s := &e.System
	t, _ := time.Parse(time.RFC3339Nano, s.TimeCreated.SystemTime)
	b.WriteString(t.UTC().Format("01/02/2006 03:04:05.000 PM"))
	b.WriteString("\nLogName=" + s.Channel + "\nEventCode=" + s.EventID)
	if e.sysmon() {
		b.WriteString("\nEventType=4\nComputerName=" + s.Computer + "\nUser=NOT_TRANSLATED\nSid=" + s.Security.UserID + "\nSidType=0" +
			"\nSourceName=Microsoft-Windows-Sysmon\nType=Information\nRecordNumber=" + s.EventRecordID +
			"\nKeywords=None\nTaskCategory=Process Create (rule: ProcessCreate)\nOpCode=Info")
	} else {
		b.WriteString("\nEventType=0\nComputerName=" + s.Computer + "\nSourceName=Microsoft Windows security auditing.\nType=Information" +
			"\nRecordNumber=" + s.EventRecordID + "\nKeywords=Audit Success\nTaskCategory=Process Creation\nOpCode=Info")
	}
	b.WriteString("\nMessage=")
	b.WriteString(renderedMessage(e, "\n"))
	b.WriteByte('\n')
}

// auditd exec events.
var (
	auditHosts = func() []string {
		var hs []string
		for i := range 50 {
			hs = append(hs, fmt.Sprintf("%s-%02d", []string{"web", "db", "app", "build", "bastion"}[i%5], i/5+1))
		}
		return hs
	}()
	auditCwds = []string{"/home/%s", "/home/%s/app", "/tmp", "/var/www/html", "/srv/my app", "/"}
)

// AuditExec writes n execve events as auditd writes them to
// /var/log/audit/audit.log on a central collector (lines prefixed
// node=HOST): SYSCALL, EXECVE, CWD, two PATH, PROCTITLE and EOE records,
// arguments with blanks or quotes hex-encoded as the kernel does, and one
// event in eight interleaved with the next one's records. Events are the
// shells and commands of ECSProcess, run by its parents.
func AuditExec(w io.Writer, n int, o Options) error {
	r := rand.New(rand.NewPCG(o.Seed, o.Seed^0x3c6ef372fe94f82b))
	bw := bufio.NewWriterSize(w, 1<<20)
	step := o.Span / time.Duration(max(n, 1))
	serial := make([]int, len(auditHosts))
	var held []string // the tail of the previous event, written after the next one's first records
	var b strings.Builder
	for i := 0; i < n; i++ {
		ts := o.Start.Add(step*time.Duration(i) + time.Duration(r.IntN(1000))*time.Millisecond).Truncate(time.Millisecond)
		h := r.IntN(min(max(o.Hosts, 1), len(auditHosts)))
		serial[h]++
		stamp := fmt.Sprintf("node=%s type=%%s msg=audit(%d.%03d:%d): ", auditHosts[h], ts.Unix(), ts.Nanosecond()/1e6, 1000+serial[h])
		shell := shells[r.IntN(len(shells))]
		user := users[r.IntN(len(users))]
		uid := 1000 + len(user)
		if user == "root" {
			uid = 0
		}
		euid := uid
		if r.IntN(10) == 0 {
			euid = 0 // sudo
		}
		pid, ppid := 1000+r.IntN(60000), 1+r.IntN(60000)
		args := []string{shell, "-c", commands[r.IntN(len(commands))]}
		if r.IntN(3) == 0 {
			args = strings.Fields(args[2])
		}
		exe := "/usr/bin/" + args[0]
		cwd := auditCwds[r.IntN(len(auditCwds))]
		if strings.Contains(cwd, "%s") {
			cwd = fmt.Sprintf(cwd, user)
		}
		rec := func(typ, body string) string { return fmt.Sprintf(stamp, typ) + body }
		lines := []string{
			rec("SYSCALL", fmt.Sprintf("arch=c000003e syscall=59 success=yes exit=0 a0=%x a1=%x a2=%x a3=8 items=2 ppid=%d pid=%d auid=%d uid=%d gid=%d euid=%d suid=%d fsuid=%d egid=%d sgid=%d fsgid=%d tty=pts%d ses=%d comm=%s exe=%s subj=unconfined key=\"exec\"",
				0x55d0c1a2b000+r.IntN(1<<20), 0x55d0c1a2c000+r.IntN(1<<20), 0x55d0c1a2d000+r.IntN(1<<20), ppid, pid, uid, uid, uid, euid, euid, euid, uid, uid, uid, r.IntN(4), 1+r.IntN(40),
				auditValue(args[0]), auditValue(exe))),
		}
		var ex strings.Builder
		fmt.Fprintf(&ex, "argc=%d", len(args))
		for k, a := range args {
			fmt.Fprintf(&ex, " a%d=%s", k, auditValue(a))
		}
		lines = append(lines,
			rec("EXECVE", ex.String()),
			rec("CWD", "cwd="+auditValue(cwd)),
			rec("PATH", fmt.Sprintf("item=0 name=%s inode=%d dev=fd:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0", auditValue(exe), 1000+len(exe)*37)),
			rec("PATH", "item=1 name=\"/lib64/ld-linux-x86-64.so.2\" inode=2231 dev=fd:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0"),
			rec("PROCTITLE", "proctitle="+auditValue(strings.Join(args, "\x00"))),
			rec("EOE", ""),
		)
		b.Reset()
		if held != nil {
			// The previous event's last records arrive after this one's first two.
			for _, l := range lines[:2] {
				b.WriteString(l + "\n")
			}
			for _, l := range held {
				b.WriteString(l + "\n")
			}
			lines, held = lines[2:], nil
		}
		if r.IntN(8) == 0 && i+1 < n {
			held = append([]string(nil), lines[len(lines)-3:]...)
			lines = lines[:len(lines)-3]
		}
		for _, l := range lines {
			b.WriteString(l + "\n")
		}
		if _, err := bw.WriteString(b.String()); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// auditValue is an untrusted string as the kernel logs it
// (audit_log_untrustedstring): quoted, or hex when it holds a quote, a blank,
// a control character or a byte above 0x7e.
func auditValue(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c <= 0x20 || c > 0x7e {
			return fmt.Sprintf("%X", s)
		}
	}
	return `"` + s + `"`
}
