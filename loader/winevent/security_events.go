package winevent

import (
	"strconv"
	"strings"
)

// The rest of the Security log hunters pivot on: logons and logoffs, account
// and group changes, services, scheduled tasks, log clearing, Kerberos and
// object access. Categorization and action names are those of Elastic's
// system integration (packages/system/data_stream/security, ingest pipeline
// standard.yml); which user is user.* and which is user.target or
// user.effective follows the same pipeline and winlogbeat's security module
// (winlogbeat-security.js), which agree on these ids.

// Providers of the events mapped here besides the Security auditing provider.
const (
	ProviderEventlog = "Microsoft-Windows-Eventlog" // 1102 (Security channel), 104 (System)
	ProviderSCM      = "Service Control Manager"    // 7045
)

var (
	cUserTargetID     = Col("user.target.id")
	cUserTargetName   = Col("user.target.name")
	cUserTargetDomain = Col("user.target.domain")
	cGroupID          = Col("group.id")
	cGroupName        = Col("group.name")
	cGroupDomain      = Col("group.domain")
	cSourceIP         = Col("source.ip")
	cSourcePort       = Col("source.port")
	cSourceDomain     = Col("source.domain")
	cLogonType        = Col("winlog.logon.type")
	cServiceName      = Col("service.name")
	cServiceType      = Col("service.type")
	cFileTargetPath   = Col("file.target_path")
)

// Parts of the Security mappings. Each names the columns it can fill.
var (
	// subjectRelated adds the subject to related.user, as Elastic does for
	// the events whose user.* is the subject.
	subjectRelated = part{cols: list("related.user"), apply: func(o *Out, ev *Event) {
		o.rel.user = addUnique(o.rel.user, ev.Get("SubjectUserName"))
	}}

	// targetUser: the account that logged on (or off, or asked Kerberos) is
	// user.*; the name is cut at '@' (4625 and 4769 give user@REALM).
	targetUser = part{cols: list("user.name", "related.user"), apply: func(o *Out, ev *Event) {
		name := userBeforeAt(ev.Get("TargetUserName"))
		o.str(cUserName, name)
		o.rel.user = addUnique(o.rel.user, name)
	}}

	// targetDomain: its domain (4771 names none).
	targetDomain = part{cols: list("user.domain"), apply: func(o *Out, ev *Event) {
		o.str(cUserDomain, ev.Get("TargetDomainName"))
	}}

	// targetUserID: its SID (TargetSid on the Kerberos events).
	targetUserID = part{cols: list("user.id"), apply: func(o *Out, ev *Event) {
		sid := ev.Get("TargetUserSid")
		if sid == "" {
			sid = ev.Get("TargetSid")
		}
		o.str(cUserID, sid)
	}}

	// targetAccount: the account an administrator changed is user.target.*.
	targetAccount = part{cols: list("user.target.id", "user.target.name", "user.target.domain", "related.user"), apply: func(o *Out, ev *Event) {
		o.str(cUserTargetID, ev.Get("TargetSid"))
		name := userBeforeAt(ev.Get("TargetUserName"))
		o.str(cUserTargetName, name)
		o.str(cUserTargetDomain, ev.Get("TargetDomainName"))
		o.rel.user = addUnique(o.rel.user, name)
	}}

	// targetEffective: 4648's explicit credentials are user.effective.*.
	targetEffective = part{cols: list("user.effective.name", "user.effective.domain", "related.user"), apply: func(o *Out, ev *Event) {
		name := userBeforeAt(ev.Get("TargetUserName"))
		o.str(cEffName, name)
		o.str(cEffDomain, ev.Get("TargetDomainName"))
		o.rel.user = addUnique(o.rel.user, name)
	}}

	// group: the group created, changed, deleted or given a member is group.*.
	group = part{cols: list("group.id", "group.name", "group.domain"), apply: func(o *Out, ev *Event) {
		sid := ev.Get("TargetSid")
		if sid == "" {
			sid = ev.Get("TargetUserSid")
		}
		o.str(cGroupID, sid)
		o.str(cGroupName, ev.Get("TargetUserName"))
		o.str(cGroupDomain, trimDC(ev.Get("TargetDomainName")))
	}}

	// member: the account added or removed is user.target.*, from its
	// distinguished name (CN=…,OU=…,DC=…; the fourth element is taken as the
	// domain, as Elastic does). Local accounts have MemberName "-" and only a
	// MemberSid, which stays in winlog.event_data.
	member = part{cols: list("user.target.name", "user.target.domain", "related.user"), apply: func(o *Out, ev *Event) {
		dn := ev.Get("MemberName")
		if absent(dn) {
			return
		}
		first, rest, _ := strings.Cut(dn, ",")
		name := strings.TrimPrefix(strings.TrimPrefix(first, "CN="), "cn=")
		o.str(cUserTargetName, name)
		o.rel.user = addUnique(o.rel.user, name)
		for range 2 {
			_, rest, _ = strings.Cut(rest, ",")
		}
		if rest != "" {
			d, _, _ := strings.Cut(rest, ",")
			o.str(cUserTargetDomain, trimDC(d))
		}
	}}

	// logonType names LogonType as Elastic does; the number stays in
	// winlog.event_data.LogonType.
	logonType = part{cols: list("winlog.logon.type"), apply: func(o *Out, ev *Event) {
		if t := logonTypes[ev.Get("LogonType")]; t != "" {
			o.B.SetString(cLogonType, t)
		}
	}}

	targetLogonID = part{cols: list("winlog.logon.id"), apply: func(o *Out, ev *Event) {
		o.str(cLogonID, ev.Get("TargetLogonId"))
	}}

	// callerProcess: the process that asked for the logon or access.
	callerProcess = part{cols: list("process.pid", "process.executable", "process.name"), apply: func(o *Out, ev *Event) {
		if pid := ev.Get("ProcessId"); !absent(pid) {
			o.Int(cPID, "ProcessId", pid, true)
		}
		if exe := ev.Get("ProcessName"); !absent(exe) {
			o.B.SetString(cExe, exe)
			o.B.SetString(cName, BaseName(exe))
		}
	}}

	// sourceAddress: where a logon or ticket request came from ("-", a
	// local logon, is left NULL).
	sourceAddress = part{cols: list("source.ip", "source.port", "related.ip"), apply: func(o *Out, ev *Event) {
		o.ip(cSourceIP, ev.Get("IpAddress"))
		o.port(cSourcePort, "IpPort", ev.Get("IpPort"))
	}}

	// workstation: the client's NetBIOS name.
	workstation = part{cols: list("source.domain"), apply: func(o *Out, ev *Event) {
		o.str(cSourceDomain, ev.Get("WorkstationName"))
	}}

	// serviceName: ServiceName is service.name on every event that has one
	// (4697 and 7045, and the Kerberos events, where it names the service
	// the ticket is for).
	serviceName = part{cols: list("service.name"), apply: func(o *Out, ev *Event) {
		o.str(cServiceName, ev.Get("ServiceName"))
	}}

	// serviceType: 4697's number by Elastic's names; 7045's text verbatim.
	serviceType = part{cols: list("service.type"), apply: func(o *Out, ev *Event) {
		t := ev.Get("ServiceType")
		if absent(t) {
			return
		}
		if n, ok := DecodeInt(t, true); ok {
			if name := serviceTypes[n]; name != "" {
				o.B.SetString(cServiceType, name)
			}
			return
		}
		o.B.SetString(cServiceType, t)
	}}

	// objectFile: 4663's object, when it is a file, is file.* (Elastic maps
	// nothing from 4663; huntsql does so that file rules can see it).
	objectFile = part{cols: list("file.path", "file.name", "file.directory", "file.extension"), apply: func(o *Out, ev *Event) {
		if ev.Get("ObjectType") == "File" {
			o.filePath(ev.Get("ObjectName"))
		}
	}}

	// session: 4778/4779 name the account and the client of a reconnected or
	// disconnected session (RDP, console switch) in their own fields.
	session = part{cols: list("user.name", "user.domain", "related.user", "source.ip", "source.domain", "related.ip", "winlog.logon.id"), apply: func(o *Out, ev *Event) {
		name := ev.Get("AccountName")
		o.str(cUserName, name)
		o.rel.user = addUnique(o.rel.user, name)
		o.str(cUserDomain, ev.Get("AccountDomain"))
		o.ip(cSourceIP, ev.Get("ClientAddress"))
		o.str(cSourceDomain, ev.Get("ClientName"))
		o.str(cLogonID, ev.Get("LogonID"))
	}}

	// shareFolder: the shared folder (5140, 5145) is file.directory.
	shareFolder = part{cols: list("file.directory"), apply: func(o *Out, ev *Event) {
		o.str(cFileDirectory, ev.Get("ShareLocalPath"))
	}}

	// shareFile: 5145's file inside the share: file.name, file.path (the
	// share's local folder and the name), file.target_path (the share's name
	// and the name) and file.extension, as Elastic builds them.
	shareFile = part{cols: list("file.name", "file.path", "file.target_path", "file.extension"), apply: func(o *Out, ev *Event) {
		name := ev.Get("RelativeTargetName")
		if absent(name) {
			return
		}
		o.B.SetString(cFileName, name)
		if dir := ev.Get("ShareLocalPath"); !absent(dir) {
			o.B.SetString(cFilePath, dir+`\`+name)
		}
		if share := ev.Get("ShareName"); !absent(share) {
			o.B.SetString(cFileTargetPath, share+`\`+name)
		}
		if j := strings.LastIndexByte(name, '.'); j >= 0 && j+1 < len(name) {
			o.B.SetString(cFileExtension, name[j+1:])
		}
	}}

	// installer: System/Security/@UserID, the account that installed a
	// service or cleared a log (events that carry no subject in their data).
	installer = part{cols: list("user.id"), apply: func(o *Out, ev *Event) {
		o.str(cUserID, ev.UserID)
	}}

	// clearedBy: 104's UserData names the account that cleared the log.
	clearedBy = part{cols: list("user.name", "user.domain", "related.user"), apply: func(o *Out, ev *Event) {
		o.str(cUserName, ev.Get("SubjectUserName"))
		o.str(cUserDomain, ev.Get("SubjectDomainName"))
		o.rel.user = addUnique(o.rel.user, ev.Get("SubjectUserName"))
	}}
)

// logonTypes are Elastic's names of the logon type numbers.
var logonTypes = map[string]string{
	"0": "System", "2": "Interactive", "3": "Network", "4": "Batch", "5": "Service", "7": "Unlock",
	"8": "NetworkCleartext", "9": "NewCredentials", "10": "RemoteInteractive", "11": "CachedInteractive",
}

// serviceTypes are Elastic's names of service type numbers (4697).
var serviceTypes = map[int64]string{
	0x1: "Kernel Driver", 0x2: "File System Driver", 0x8: "Recognizer Driver",
	0x10: "Win32 Own Process", 0x20: "Win32 Share Process",
	0x110: "Interactive Own Process", 0x120: "Interactive Share Process",
}

func trimDC(v string) string { return strings.TrimPrefix(strings.TrimPrefix(v, "DC="), "dc=") }

func userBeforeAt(v string) string {
	if i := strings.IndexByte(v, '@'); i > 0 {
		return v[:i]
	}
	return v
}

// auditOutcome sets event.outcome from the Audit Success and Audit Failure
// keywords, as winlogbeat does for every event that has them. Keywords is
// the XML's hexadecimal mask (0x8020000000000000); routes that carry it as a
// decimal number (NXLog) or as the rendered names ("Audit Success") work too.
func auditOutcome(o *Out, ev *Event) {
	k, ok := keywordMask(ev.Keywords)
	switch {
	case ok && k&keywordAuditSuccess != 0, !ok && containsFold(ev.Keywords, "Audit Success"):
		o.B.SetString(cEventOutcome, "success")
	case ok && k&keywordAuditFailure != 0, !ok && containsFold(ev.Keywords, "Audit Failure"):
		o.B.SetString(cEventOutcome, "failure")
	}
}

func keywordMask(v string) (uint64, bool) {
	if len(v) > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X') {
		k, err := strconv.ParseUint(v[2:], 16, 64)
		return k, err == nil
	}
	if k, err := strconv.ParseUint(v, 10, 64); err == nil {
		return k, true
	}
	k, err := strconv.ParseInt(v, 10, 64)
	return uint64(k), err == nil
}

func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// The audit keyword bits of System/Keywords.
const (
	keywordAuditSuccess = 0x0020000000000000
	keywordAuditFailure = 0x0010000000000000
)

var (
	iam              = list("iam")
	authentication   = list("authentication")
	iamConfiguration = list("iam", "configuration")
)

func init() {
	// Every Security event: the outcome from its keywords; the subject as
	// user.* unless the event's own mapping says otherwise.
	fallbacks[ProviderSecurity] = subjectPart.cols
	setDefault(ProviderSecurity, part{
		cols: list("event.outcome"),
		apply: func(o *Out, ev *Event) {
			auditOutcome(o, ev)
			if byProvider[ProviderSecurity][ev.EventID] == nil {
				subject(o, ev)
			}
		},
	})
	setDefault(ProviderEventlog, part{cols: list("event.outcome"), apply: auditOutcome})

	sec := func(id, action string, category, typ []string, parts ...part) {
		register(ProviderSecurity, id, spec{action: action, category: category, typ: typ, parts: parts})
	}
	start, end := list("start"), list("end")

	// Logons and logoffs.
	sec("4624", "logged-in", authentication, start, targetUser, targetDomain, targetUserID, targetLogonID, logonType, callerProcess, sourceAddress, workstation, subjectRelated)
	sec("4625", "logon-failed", authentication, start, targetUser, targetDomain, targetUserID, subjectLogonID, logonType, callerProcess, sourceAddress, workstation)
	sec("4634", "logged-out", authentication, end, targetUser, targetDomain, targetUserID, targetLogonID, logonType)
	sec("4647", "logged-out", authentication, end, targetUser, targetDomain, targetUserID, targetLogonID)
	sec("4648", "logged-in-explicit", authentication, start, subjectPart, subjectRelated, targetEffective, callerProcess, sourceAddress)
	sec("4672", "logged-in-special", iam, list("admin"), subjectPart, subjectRelated)

	sec("4776", "credential-validated", authentication, start, targetUser)
	sec("4778", "session-reconnected", list("authentication", "session"), start, session)
	sec("4779", "session-disconnected", list("authentication", "session"), end, session)

	// Accounts.
	for _, a := range []struct{ id, action, typ string }{
		{"4720", "added-user-account", "creation"},
		{"4722", "enabled-user-account", "change"},
		{"4723", "changed-password", "change"},
		{"4724", "reset-password", "change"},
		{"4725", "disabled-user-account", "deletion"},
		{"4726", "deleted-user-account", "deletion"},
		{"4738", "modified-user-account", "change"},
		{"4740", "locked-out-user-account", "change"},
		{"4767", "unlocked-user-account", "change"},
	} {
		sec(a.id, a.action, iam, list("user", a.typ), subjectPart, subjectRelated, targetAccount)
	}
	for _, a := range []struct{ id, action, typ string }{
		{"4741", "added-computer-account", "creation"},
		{"4742", "changed-computer-account", "change"},
		{"4743", "deleted-computer-account", "deletion"},
	} {
		sec(a.id, a.action, iam, list(a.typ, "admin"), subjectPart, subjectRelated)
	}

	// Security-enabled groups: global (4727–4730, 4735, 4737), local (4731–4734),
	// universal (4754–4758).
	for _, g := range []struct{ id, action, typ string }{
		{"4727", "added-group-account", "creation"},
		{"4728", "added-member-to-group", "change"},
		{"4729", "removed-member-from-group", "change"},
		{"4730", "deleted-group-account", "deletion"},
		{"4731", "added-group-account", "creation"},
		{"4732", "added-member-to-group", "change"},
		{"4733", "removed-member-from-group", "change"},
		{"4734", "deleted-group-account", "deletion"},
		{"4735", "modified-group-account", "change"},
		{"4737", "modified-group-account", "change"},
		{"4754", "added-group-account", "creation"},
		{"4755", "modified-group-account", "change"},
		{"4756", "added-member-to-group", "change"},
		{"4757", "removed-member-from-group", "change"},
		{"4758", "deleted-group-account", "deletion"},
	} {
		parts := []part{subjectPart, subjectRelated, group}
		if strings.Contains(g.action, "member") {
			parts = append(parts, member)
		}
		sec(g.id, g.action, iam, list("group", g.typ), parts...)
	}

	// Services and scheduled tasks.
	sec("4697", "service-installed", iamConfiguration, list("admin", "change"), subjectPart, subjectRelated, serviceName, serviceType)
	for _, t := range []struct{ id, action, typ string }{
		{"4698", "scheduled-task-created", "creation"},
		{"4699", "scheduled-task-deleted", "deletion"},
		{"4700", "scheduled-task-enabled", "change"},
		{"4701", "scheduled-task-disabled", "change"},
		{"4702", "scheduled-task-updated", "change"},
	} {
		sec(t.id, t.action, iamConfiguration, list(t.typ, "admin"), subjectPart, subjectRelated)
	}

	// Kerberos (on domain controllers).
	sec("4768", "kerberos-authentication-ticket-requested", authentication, start, targetUser, targetDomain, targetUserID, serviceName, sourceAddress)
	sec("4769", "kerberos-service-ticket-requested", authentication, start, targetUser, targetDomain, serviceName, sourceAddress)
	sec("4771", "kerberos-preauth-failed", authentication, start, targetUser, targetUserID, serviceName, sourceAddress)

	// Network shares: lateral movement's admin shares (ADMIN$, C$, IPC$).
	sec("5140", "network-share-object-accessed", list("network", "file"), list("info", "access"),
		subjectPart, subjectRelated, sourceAddress, shareFolder)
	sec("5145", "network-share-object-access-checked", list("network", "file"), list("info", "access"),
		subjectPart, subjectRelated, sourceAddress, shareFolder, shareFile)

	// Object access (huntsql's categorization: Elastic's pipeline sets none).
	sec("4663", "object-accessed", list("file"), list("access"), subjectPart, subjectRelated, callerProcess, objectFile)

	// Log cleared: 1102 (Security) and 104 (System, or another log named in
	// UserData's Channel). Both come from the event log service, whose
	// UserData LogFileCleared carries the subject.
	register(ProviderEventlog, "1102", spec{action: "audit-log-cleared", category: iam, typ: list("admin", "change"),
		parts: []part{subjectPart, subjectRelated}})
	// 104: Elastic's system.system pipeline maps nothing; huntsql uses the
	// task name winlogbeat gives event.action ("Log clear", which Elastic's
	// rules match) and 1102's categorization.
	register(ProviderEventlog, "104", spec{action: "Log clear", category: iam, typ: list("admin", "change"),
		parts: []part{clearedBy}})

	// 7045 "A service was installed in the system" (System log): as 4697.
	register(ProviderSCM, "7045", spec{action: "service-installed", category: iamConfiguration, typ: list("admin", "change"),
		parts: []part{serviceName, serviceType, installer}})
}

var subjectLogonID = part{cols: list("winlog.logon.id"), apply: func(o *Out, ev *Event) {
	o.str(cLogonID, ev.Get("SubjectLogonId"))
}}
