package winevent

import "strings"

// The Security log (Microsoft-Windows-Security-Auditing), as Elastic's
// Windows Security integration maps it.

var (
	cEventAction   = Col("event.action")
	cEventCategory = Col("event.category")
	cEventType     = Col("event.type")
	cLogonID       = Col("winlog.logon.id")
	cPID           = Col("process.pid")
	cExe           = Col("process.executable")
	cName          = Col("process.name")
	cCmd           = Col("process.command_line")
	cArgs          = Col("process.args")
	cArgsCount     = Col("process.args_count")
	cExitCode      = Col("process.exit_code")
	cPPID          = Col("process.parent.pid")
	cPExe          = Col("process.parent.executable")
	cPName         = Col("process.parent.name")
	cUserID        = Col("user.id")
	cUserName      = Col("user.name")
	cUserDomain    = Col("user.domain")
	cEffID         = Col("user.effective.id")
	cEffName       = Col("user.effective.name")
	cEffDomain     = Col("user.effective.domain")
	cRelatedUser   = Col("related.user")

	processCategory = []string{"process"}
	startType       = []string{"start"}
	endType         = []string{"end"}
)

func init() {
	register(ProviderSecurity, "4688", spec{action: "created-process", category: processCategory, typ: startType, parts: []part{subjectPart, {
		cols: list("process.pid", "process.executable",
			"process.name", "process.command_line", "process.args", "process.args_count", "process.parent.pid",
			"process.parent.executable", "process.parent.name", "user.effective.id", "user.effective.name",
			"user.effective.domain", "related.user"),
		apply: processCreated,
	}}})
	register(ProviderSecurity, "4689", spec{action: "exited-process", category: processCategory, typ: endType, parts: []part{subjectPart, {
		cols:  list("process.pid", "process.executable", "process.name", "process.exit_code"),
		apply: processExited,
	}}})
}

// subject sets the user fields most Security events share: the subject.
func subject(o *Out, ev *Event) {
	o.Text(cUserID, ev.Get("SubjectUserSid"))
	o.Text(cUserName, ev.Get("SubjectUserName"))
	o.Text(cUserDomain, ev.Get("SubjectDomainName"))
	o.Text(cLogonID, ev.Get("SubjectLogonId"))
}

var subjectPart = part{cols: list("user.id", "user.name", "user.domain", "winlog.logon.id"), apply: subject}

// processCreated maps 4688 (versions 0, 1 and 2). ProcessId is the creator,
// that is the parent, not the new process.
func processCreated(o *Out, ev *Event) {
	process(o, "NewProcessId", ev.Get("NewProcessId"), ev.Get("NewProcessName"))
	if cmd := ev.Get("CommandLine"); cmd != "" {
		o.Text(cCmd, cmd)
		args := CommandLineToArgv(cmd)
		o.List(cArgs, args)
		o.B.SetInt(cArgsCount, int64(len(args)))
	}
	o.Int(cPPID, "ProcessId", ev.Get("ProcessId"), true)
	pexe := ev.Get("ParentProcessName")
	o.Text(cPExe, pexe)
	o.Text(cPName, BaseName(pexe))
	related := []string{}
	if u := ev.Get("SubjectUserName"); u != "" && u != "-" {
		related = append(related, u)
	}
	// A target of "-" with the NULL SID means creator and target share a
	// logon: there is no separate effective user.
	tname, tsid := ev.Get("TargetUserName"), ev.Get("TargetUserSid")
	noTarget := (tname == "" || tname == "-") && (tsid == "S-1-0-0" || tsid == "NULL SID" || tsid == "-" || tsid == "")
	if !noTarget {
		if tsid != "" && tsid != "-" {
			o.B.SetString(cEffID, tsid)
		}
		if v := tname; v != "" && v != "-" {
			if at := strings.IndexByte(v, '@'); at >= 0 {
				v = v[:at]
			}
			o.B.SetString(cEffName, v)
			if len(related) == 0 || related[0] != v {
				related = append(related, v)
			}
		}
		if v := ev.Get("TargetDomainName"); v != "" && v != "-" {
			o.B.SetString(cEffDomain, v)
		}
	}
	o.List(cRelatedUser, related)
}

// processExited maps 4689: ProcessId is the process that exited.
func processExited(o *Out, ev *Event) {
	process(o, "ProcessId", ev.Get("ProcessId"), ev.Get("ProcessName"))
	o.Int(cExitCode, "Status", ev.Get("Status"), true)
}

// process sets what 4688 and 4689 share: the process id, executable and name.
func process(o *Out, pidField, pid, exe string) {
	o.Int(cPID, pidField, pid, true)
	o.Text(cExe, exe)
	o.Text(cName, BaseName(exe))
}
