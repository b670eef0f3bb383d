package winxml

import (
	"fmt"
	"strconv"
	"strings"

	"huntsql/loader/rows"
	"huntsql/loader/timestamp"
	schema "huntsql/sql"
)

// Normalizer maps Windows events to archive rows, as Elastic's Windows
// integration maps them (docs/windows.md; spec §4). Not safe for concurrent use.
type Normalizer struct {
	warn []string
	p    parser
	ev   event
}

// NewNormalizer returns a Normalizer.
func NewNormalizer() *Normalizer { return &Normalizer{} }

func col(name string) int { return schema.MustIndex(name) }

var (
	cTS             = col(schema.Timestamp)
	cOriginal       = col(schema.Original)
	cWarnings       = col(schema.Warnings)
	cHostName       = col("host.name")
	cHostOSType     = col("host.os.type")
	cMessage        = col("message")
	cEventCode      = col("event.code")
	cEventKind      = col("event.kind")
	cEventAction    = col("event.action")
	cEventCategory  = col("event.category")
	cEventType      = col("event.type")
	cEventModule    = col("event.module")
	cEventDataset   = col("event.dataset")
	cEventProvider  = col("event.provider")
	cDSDataset      = col("data_stream.dataset")
	cDSType         = col("data_stream.type")
	cChannel        = col("winlog.channel")
	cProviderName   = col("winlog.provider_name")
	cProviderGUID   = col("winlog.provider_guid")
	cEventID        = col("winlog.event_id")
	cRecordID       = col("winlog.record_id")
	cComputer       = col("winlog.computer_name")
	cVersion        = col("winlog.version")
	cTask           = col("winlog.task")
	cOpcode         = col("winlog.opcode")
	cLogonID        = col("winlog.logon.id")
	cEventData      = col("winlog.event_data")
	cPID            = col("process.pid")
	cExe            = col("process.executable")
	cName           = col("process.name")
	cCmd            = col("process.command_line")
	cArgs           = col("process.args")
	cArgsCount      = col("process.args_count")
	cExitCode       = col("process.exit_code")
	cPPID           = col("process.parent.pid")
	cPExe           = col("process.parent.executable")
	cPName          = col("process.parent.name")
	cUserID         = col("user.id")
	cUserName       = col("user.name")
	cUserDomain     = col("user.domain")
	cEffID          = col("user.effective.id")
	cEffName        = col("user.effective.name")
	cEffDomain      = col("user.effective.domain")
	cRelatedUser    = col("related.user")
	cFile           = col(schema.SourceFile)
	cLine           = col(schema.SourceLine)
	cOffset         = col(schema.SourceOffset)
	cLoad           = col(schema.LoadID)
	processCategory = []string{"process"}
	startType       = []string{"start"}
	endType         = []string{"end"}
)

// Normalize appends the row for one <Event> element, or returns why it is rejected.
func (n *Normalizer) Normalize(raw *rows.Raw, src *rows.Source, b *rows.Batch) string {
	original := raw.Text()
	ev := &n.ev
	if err := parseEvent(original, &n.p, ev); err != nil {
		return "invalid event XML: " + err.Error()
	}
	if ev.systemTime == "" {
		return "missing System/TimeCreated/@SystemTime"
	}
	ts, err := timestamp.Parse(ev.systemTime)
	if err != nil {
		return "unparseable System/TimeCreated/@SystemTime: " + err.Error()
	}
	n.warn = n.warn[:0]
	b.AddRow()
	b.SetInt(cTS, ts)
	b.SetString(cOriginal, original)
	b.SetString(cFile, src.File)
	b.SetInt(cLine, raw.Line)
	b.SetInt(cOffset, raw.Offset)
	b.SetString(cLoad, src.LoadID)

	setText(b, cHostName, ev.computer)
	setText(b, cComputer, ev.computer)
	b.SetString(cHostOSType, "windows")
	b.SetString(cEventKind, "event")
	setText(b, cEventCode, ev.eventID)
	setText(b, cEventID, ev.eventID)
	setText(b, cEventProvider, ev.provider)
	setText(b, cProviderName, ev.provider)
	setText(b, cProviderGUID, ev.providerGUID)
	setText(b, cChannel, ev.channel)
	if module, dataset := datasetOf(ev.channel); dataset != "" {
		b.SetString(cEventModule, module)
		b.SetString(cEventDataset, dataset)
		b.SetString(cDSDataset, dataset)
		b.SetString(cDSType, "logs")
	}
	n.setInt(b, cRecordID, "EventRecordID", ev.recordID, false)
	n.setInt(b, cVersion, "Version", ev.version, false)
	setText(b, cTask, firstNonEmpty(ev.rendered["Task"], ev.task))
	setText(b, cOpcode, firstNonEmpty(ev.rendered["Opcode"], ev.opcode))
	setText(b, cMessage, ev.rendered["Message"])

	if len(ev.data) > 0 {
		m := make([]rows.KV, len(ev.data))
		for i, d := range ev.data {
			m[i] = rows.KV{K: d.name, V: d.value}
		}
		b.SetMap(cEventData, m)
	}
	data := func(name string) string {
		for _, d := range ev.data {
			if d.name == name {
				return d.value
			}
		}
		return ""
	}
	if ev.channel == "Security" || ev.provider == "Microsoft-Windows-Security-Auditing" {
		setText(b, cUserID, data("SubjectUserSid"))
		setText(b, cUserName, data("SubjectUserName"))
		setText(b, cUserDomain, data("SubjectDomainName"))
		setText(b, cLogonID, data("SubjectLogonId"))
		switch ev.eventID {
		case "4688":
			n.processCreated(b, data)
		case "4689":
			n.processExited(b, data)
		}
	}
	if len(n.warn) > 0 {
		b.SetList(cWarnings, n.warn)
	}
	return ""
}

// processCreated maps 4688 (versions 0, 1 and 2). ProcessId is the creator,
// that is the parent, not the new process.
func (n *Normalizer) processCreated(b *rows.Batch, data func(string) string) {
	n.process(b, "created-process", startType, "NewProcessId", data("NewProcessId"), data("NewProcessName"))
	if cmd := data("CommandLine"); cmd != "" {
		b.SetString(cCmd, cmd)
		args := CommandLineToArgv(cmd)
		b.SetList(cArgs, args)
		b.SetInt(cArgsCount, int64(len(args)))
	}
	n.setInt(b, cPPID, "ProcessId", data("ProcessId"), true)
	pexe := data("ParentProcessName")
	setText(b, cPExe, pexe)
	setText(b, cPName, baseName(pexe))
	related := []string{}
	if u := data("SubjectUserName"); u != "" && u != "-" {
		related = append(related, u)
	}
	if v := data("TargetUserSid"); v != "" && v != "-" {
		b.SetString(cEffID, v)
	}
	if v := data("TargetUserName"); v != "" && v != "-" {
		if at := strings.IndexByte(v, '@'); at >= 0 {
			v = v[:at]
		}
		b.SetString(cEffName, v)
		if len(related) == 0 || related[0] != v {
			related = append(related, v)
		}
	}
	if v := data("TargetDomainName"); v != "" && v != "-" {
		b.SetString(cEffDomain, v)
	}
	b.SetList(cRelatedUser, related)
}

// processExited maps 4689: ProcessId is the process that exited.
func (n *Normalizer) processExited(b *rows.Batch, data func(string) string) {
	n.process(b, "exited-process", endType, "ProcessId", data("ProcessId"), data("ProcessName"))
	n.setInt(b, cExitCode, "Status", data("Status"), true)
}

// process sets what 4688 and 4689 share: the action, category and type, and
// the process id, executable and name.
func (n *Normalizer) process(b *rows.Batch, action string, typ []string, pidField, pid, exe string) {
	b.SetString(cEventAction, action)
	b.SetList(cEventCategory, processCategory)
	b.SetList(cEventType, typ)
	n.setInt(b, cPID, pidField, pid, true)
	setText(b, cExe, exe)
	setText(b, cName, baseName(exe))
}

// setText sets a VARCHAR column; an empty value stays NULL.
func setText(b *rows.Batch, ci int, v string) {
	if v != "" {
		b.SetString(ci, v)
	}
}

// setInt decodes an integer: 0x/0X-prefixed hexadecimal when hex is allowed
// (Windows process ids), else decimal digits. Anything else is NULL with a
// warning; the text stays in event.original and winlog.event_data.
func (n *Normalizer) setInt(b *rows.Batch, ci int, field, v string, hex bool) {
	if v == "" {
		return
	}
	if i, ok := decodeInt(v, hex); ok {
		b.SetInt(ci, i)
		return
	}
	n.warn = append(n.warn, fmt.Sprintf("%s: not a number: %s (stored NULL)", field, v))
}

func decodeInt(v string, hex bool) (int64, bool) {
	if hex && len(v) > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X') {
		u, err := strconv.ParseUint(v[2:], 16, 63)
		return int64(u), err == nil
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
	}
	u, err := strconv.ParseUint(v, 10, 63)
	return int64(u), err == nil
}

// baseName is the text after the last backslash of a Windows path.
func baseName(p string) string {
	if i := strings.LastIndexByte(p, '\\'); i >= 0 {
		return p[i+1:]
	}
	return p
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// datasetOf names the Elastic data set of a channel.
func datasetOf(channel string) (module, dataset string) {
	switch channel {
	case "Security":
		return "system", "system.security"
	case "System":
		return "system", "system.system"
	case "Application":
		return "system", "system.application"
	case "Microsoft-Windows-Sysmon/Operational":
		return "windows", "windows.sysmon_operational"
	case "Microsoft-Windows-PowerShell/Operational":
		return "windows", "windows.powershell_operational"
	case "":
		return "", ""
	}
	return "windows", "windows.forwarded"
}

// CommandLineToArgv splits a Windows command line into arguments the way
// shell32's CommandLineToArgvW does (and so winlogbeat, which calls it):
//
//   - the program name ends at the closing quote, or at the first blank, with
//     no escapes;
//   - then 2n backslashes before a quote give n backslashes and the quote opens
//     or closes quoting; 2n+1 give n backslashes and a literal quote;
//   - backslashes not before a quote are literal;
//   - a quote right after a closing quote gives a literal quote (so "" inside
//     quotes is a quote, and quoting ends), counted as shell32 counts them.
func CommandLineToArgv(cmd string) []string {
	var args []string
	i := 0
	var arg []byte
	if i < len(cmd) && cmd[i] == '"' {
		i++
		for i < len(cmd) && cmd[i] != '"' {
			arg = append(arg, cmd[i])
			i++
		}
		if i < len(cmd) {
			i++
		}
	} else {
		for i < len(cmd) && cmd[i] != ' ' && cmd[i] != '\t' {
			arg = append(arg, cmd[i])
			i++
		}
	}
	args = append(args, string(arg))
	arg = arg[:0]
	for i < len(cmd) && (cmd[i] == ' ' || cmd[i] == '\t') {
		i++
	}
	if i == len(cmd) {
		return args
	}
	qcount, bcount := 0, 0
	for i < len(cmd) {
		c := cmd[i]
		switch {
		case (c == ' ' || c == '\t') && qcount == 0:
			args = append(args, string(arg))
			arg = arg[:0]
			for i < len(cmd) && (cmd[i] == ' ' || cmd[i] == '\t') {
				i++
			}
			bcount = 0
			if i == len(cmd) {
				return args
			}
			continue
		case c == '\\':
			arg = append(arg, c)
			bcount++
			i++
			continue
		case c == '"':
			if bcount%2 == 0 {
				arg = arg[:len(arg)-bcount/2] // half the backslashes; the quote toggles
				qcount++
			} else {
				arg = append(arg[:len(arg)-bcount/2-1], '"') // half, and a literal quote
			}
			i++
			bcount = 0
			for i < len(cmd) && cmd[i] == '"' {
				qcount++
				if qcount == 3 {
					arg = append(arg, '"')
					qcount = 0
				}
				i++
			}
			if qcount == 2 {
				qcount = 0
			}
			continue
		}
		arg = append(arg, c)
		bcount = 0
		i++
	}
	return append(args, string(arg))
}
