package winevent

import (
	"strconv"
	"strings"
)

// Sysmon (Microsoft-Windows-Sysmon/Operational), as Elastic's Windows
// integration maps it (packages/windows/data_stream/sysmon_operational,
// ingest_pipeline/default.yml). That pipeline is driven by EventData names:
// ProcessGuid → process.entity_id whatever the event, with a few choices by
// event id (which hash columns Hashes fills, process.pe or file.pe, registry
// fields for 12–14). The tables below say the same: sysmonEvents gives each
// event id its categorization and the EventData names Sysmon's schema gives
// it; sysmonRule says where each name goes.

// sysmonEvent is one Sysmon event id.
type sysmonEvent struct {
	id       int
	action   string
	category []string
	typ      []string
	outcome  string
	// data lists the EventData names of the event in Sysmon's schema 4.90
	// (Sysmon 15); older versions give a subset.
	data string
}

var sysmonEvents = []sysmonEvent{
	{1, "Process creation", list("process"), list("start"), "",
		"RuleName UtcTime ProcessGuid ProcessId Image FileVersion Description Product Company OriginalFileName CommandLine CurrentDirectory User LogonGuid LogonId TerminalSessionId IntegrityLevel Hashes ParentProcessGuid ParentProcessId ParentImage ParentCommandLine ParentUser"},
	{2, "A process changed a file creation time", list("file"), list("change"), "",
		"RuleName UtcTime ProcessGuid ProcessId Image TargetFilename CreationUtcTime PreviousCreationUtcTime User"},
	{3, "Network connection", list("network"), list("start", "connection", "protocol"), "",
		"RuleName UtcTime ProcessGuid ProcessId Image User Protocol Initiated SourceIsIpv6 SourceIp SourceHostname SourcePort SourcePortName DestinationIsIpv6 DestinationIp DestinationHostname DestinationPort DestinationPortName"},
	{4, "Sysmon service state changed", list("process"), list("change"), "",
		"UtcTime State Version SchemaVersion"},
	{5, "Process terminated", list("process"), list("end"), "",
		"RuleName UtcTime ProcessGuid ProcessId Image User"},
	{6, "Driver loaded", list("driver"), list("start"), "",
		"RuleName UtcTime ImageLoaded Hashes Signed Signature SignatureStatus"},
	{7, "Image loaded", list("process"), list("change"), "",
		"RuleName UtcTime ProcessGuid ProcessId Image ImageLoaded FileVersion Description Product Company OriginalFileName Hashes Signed Signature SignatureStatus User"},
	{8, "CreateRemoteThread", list("process"), list("change"), "",
		"RuleName UtcTime SourceProcessGuid SourceProcessId SourceImage TargetProcessGuid TargetProcessId TargetImage NewThreadId StartAddress StartModule StartFunction SourceUser TargetUser"},
	{9, "RawAccessRead", list("process"), list("access"), "",
		"RuleName UtcTime ProcessGuid ProcessId Image Device User"},
	{10, "ProcessAccess", list("process"), list("access"), "",
		"RuleName UtcTime SourceProcessGUID SourceProcessId SourceThreadId SourceImage TargetProcessGUID TargetProcessId TargetImage GrantedAccess CallTrace SourceUser TargetUser"},
	{11, "FileCreate", list("file"), list("creation"), "",
		"RuleName UtcTime ProcessGuid ProcessId Image TargetFilename CreationUtcTime User"},
	{12, "RegistryEvent (Object create and delete)", list("configuration", "registry"), list("change"), "",
		"RuleName EventType UtcTime ProcessGuid ProcessId Image TargetObject User"},
	{13, "RegistryEvent (Value Set)", list("configuration", "registry"), list("change"), "",
		"RuleName EventType UtcTime ProcessGuid ProcessId Image TargetObject Details User"},
	{14, "RegistryEvent (Key and Value Rename)", list("configuration", "registry"), list("change"), "",
		"RuleName EventType UtcTime ProcessGuid ProcessId Image TargetObject NewName User"},
	{15, "FileCreateStreamHash", list("file"), list("access"), "",
		"RuleName UtcTime ProcessGuid ProcessId Image TargetFilename CreationUtcTime Hash Contents User"},
	{16, "ServiceConfigurationChange", list("configuration"), list("change"), "",
		"UtcTime Configuration ConfigurationFileHash"},
	{17, "PipeEvent (Pipe Created)", list("file"), list("creation"), "",
		"RuleName EventType UtcTime ProcessGuid ProcessId PipeName Image User"},
	{18, "PipeEvent (Pipe Connected)", list("file"), list("access"), "",
		"RuleName EventType UtcTime ProcessGuid ProcessId PipeName Image User"},
	{19, "WmiEvent (WmiEventFilter activity detected)", list("process"), list("info"), "",
		"RuleName EventType UtcTime Operation User EventNamespace Name Query"},
	{20, "WmiEvent (WmiEventConsumer activity detected)", list("process"), list("change"), "",
		"RuleName EventType UtcTime Operation User Name Type Destination"},
	{21, "WmiEvent (WmiEventConsumerToFilter activity detected)", list("process"), list("access"), "",
		"RuleName EventType UtcTime Operation User Consumer Filter"},
	{22, "DNSEvent (DNS query)", list("network"), list("connection", "protocol", "info"), "",
		"RuleName UtcTime ProcessGuid ProcessId QueryName QueryStatus QueryResults Image User"},
	{23, "FileDelete (File Delete archived)", list("file"), list("deletion"), "",
		"RuleName UtcTime ProcessGuid ProcessId User Image TargetFilename Hashes IsExecutable Archived"},
	{24, "ClipboardChange (New content in the clipboard)", nil, list("change"), "",
		"RuleName UtcTime ProcessGuid ProcessId Image Session ClientInfo Hashes Archived User"},
	{25, "ProcessTampering (Process image change)", list("process"), list("change"), "",
		"RuleName UtcTime ProcessGuid ProcessId Image Type User"},
	{26, "FileDeleteDetected (File Delete logged)", list("file"), list("deletion"), "",
		"RuleName UtcTime ProcessGuid ProcessId User Image TargetFilename Hashes IsExecutable"},
	{27, "FileBlockExecutable", list("file"), list("creation"), "failure",
		"RuleName UtcTime ProcessGuid ProcessId User Image TargetFilename Hashes"},
	{28, "FileBlockShredding", list("file"), list("deletion"), "",
		"RuleName UtcTime ProcessGuid ProcessId User Image TargetFilename Hashes IsExecutable"},
	{29, "FileExecutableDetected", list("file"), list("creation"), "",
		"RuleName UtcTime ProcessGuid ProcessId User Image TargetFilename Hashes"},
	{255, "Error", list("process"), nil, "failure",
		"UtcTime ID Description"},
}

func list(v ...string) []string { return v }

// SysmonData returns the EventData names Sysmon's schema (4.90) gives event
// id, in schema order, or nil for an id Sysmon does not define. Sigma's field
// mapping can check its own lists against it.
func SysmonData(id int) []string {
	for _, e := range sysmonEvents {
		if e.id == id {
			return strings.Fields(e.data)
		}
	}
	return nil
}

// How a Sysmon EventData value is written.
type sysmonConv uint8

const (
	sText       sysmonConv = iota // verbatim into each column
	sInt                          // decimal integer
	sExe                          // executable path, and its base name
	sCmd                          // command line, its arguments and their count
	sUser                         // DOMAIN\name → user.name, user.domain, related.user
	sHashes                       // SHA1=…,MD5=… → hash columns and related.hash
	sFile                         // file.path and its name, directory and extension
	sImage                        // Sysmon 7 ImageLoaded: sFile and dll.path, dll.name
	sIP                           // IP address, also to related.ip
	sDirection                    // Initiated true/false → egress/ingress
	sIPv6                         // SourceIsIpv6 true/false → ipv6/ipv4
	sRegistry                     // TargetObject → registry.path, hive, key, value
	sRegData                      // Details → registry.data.strings, registry.data.type
	sDNSName                      // QueryName → dns.question.name, related.hosts
	sDNSResults                   // QueryResults → dns.answers.*, dns.resolved_ip, related.*
)

// sysmonRule says where EventData name goes in an event with id; ok is false
// when Elastic maps nothing from it (the value stays in winlog.event_data).
func sysmonRule(name string, id int) (conv sysmonConv, cols []string, ok bool) {
	pe := "process.pe."
	if id == 7 {
		pe = "file.pe."
	}
	switch name {
	case "RuleName":
		return sText, list("rule.name"), true
	case "ProcessGuid", "SourceProcessGuid", "SourceProcessGUID":
		return sText, list("process.entity_id"), true
	case "ProcessId", "SourceProcessId":
		return sInt, list("process.pid"), true
	case "SourceThreadId":
		return sInt, list("process.thread.id"), true
	case "Image", "SourceImage", "Destination":
		return sExe, list("process.executable", "process.name"), true
	case "CommandLine":
		return sCmd, list("process.command_line", "process.args", "process.args_count"), true
	case "CurrentDirectory":
		return sText, list("process.working_directory"), true
	case "ParentProcessGuid":
		return sText, list("process.parent.entity_id"), true
	case "ParentProcessId":
		return sInt, list("process.parent.pid"), true
	case "ParentImage":
		return sExe, list("process.parent.executable", "process.parent.name"), true
	case "ParentCommandLine":
		return sCmd, list("process.parent.command_line", "process.parent.args", "process.parent.args_count"), true
	case "OriginalFileName", "Company", "Description", "FileVersion", "Product":
		if id != 1 && id != 7 {
			return 0, nil, false // 255's Description is the error text
		}
		field := peFields[name]
		if id == 7 {
			return sText, list(pe+field, "dll.pe."+field), true
		}
		return sText, list(pe + field), true
	case "Hashes", "Hash":
		switch id {
		case 1, 23, 24, 25:
			return sHashes, list("process.hash.md5", "process.hash.sha1", "process.hash.sha256", "process.pe.imphash", "related.hash"), true
		case 6, 15, 26, 29:
			return sHashes, list("file.hash.md5", "file.hash.sha1", "file.hash.sha256", "file.pe.imphash", "related.hash"), true
		case 7:
			return sHashes, list("file.hash.md5", "file.hash.sha1", "file.hash.sha256", "file.pe.imphash",
				"dll.hash.md5", "dll.hash.sha1", "dll.hash.sha256", "dll.pe.imphash", "related.hash"), true
		}
		return sHashes, list("related.hash"), true
	case "TargetFilename", "Device":
		return sFile, list("file.path", "file.name", "file.directory", "file.extension"), true
	case "ImageLoaded":
		if id == 7 {
			return sImage, list("file.path", "file.name", "file.directory", "file.extension", "dll.path", "dll.name"), true
		}
		return sFile, list("file.path", "file.name", "file.directory", "file.extension"), true
	case "PipeName":
		return sText, list("file.name"), true
	case "Signature":
		if id == 7 {
			return sText, list("file.code_signature.subject_name", "dll.code_signature.subject_name"), true
		}
		return sText, list("file.code_signature.subject_name"), true
	case "SignatureStatus":
		if id == 7 {
			return sText, list("file.code_signature.status", "dll.code_signature.status"), true
		}
		return sText, list("file.code_signature.status"), true
	case "Protocol":
		return sText, list("network.transport"), true
	case "SourcePortName", "DestinationPortName":
		if id == 22 {
			return 0, nil, false
		}
		return sText, list("network.protocol"), true
	case "SourceIp":
		return sIP, list("source.ip", "related.ip"), true
	case "SourceHostname":
		return sText, list("source.domain"), true
	case "SourcePort":
		return sInt, list("source.port"), true
	case "DestinationIp":
		return sIP, list("destination.ip", "related.ip"), true
	case "DestinationHostname":
		return sText, list("destination.domain"), true
	case "DestinationPort":
		return sInt, list("destination.port"), true
	case "Initiated":
		return sDirection, list("network.direction"), true
	case "SourceIsIpv6":
		return sIPv6, list("network.type"), true
	case "QueryName":
		return sDNSName, list("dns.question.name", "related.hosts"), true
	case "QueryResults":
		return sDNSResults, list("dns.answers.data", "dns.answers.type", "dns.resolved_ip", "related.ip", "related.hosts"), true
	case "User":
		return sUser, list("user.name", "user.domain", "related.user"), true
	case "TargetObject":
		if id >= 12 && id <= 14 {
			return sRegistry, list("registry.path", "registry.hive", "registry.key", "registry.value"), true
		}
	case "Details":
		if id >= 12 && id <= 14 {
			return sRegData, list("registry.data.strings", "registry.data.type"), true
		}
	case "Type":
		if id == 25 {
			return sText, list("message"), true
		}
	case "ID":
		if id == 255 {
			return sText, list("error.code"), true
		}
	case "LogonId":
		// Not in Elastic's pipeline: huntsql adds it so a process can be
		// joined to its logon (Security 4624's TargetLogonId).
		return sText, list("winlog.logon.id"), true
	}
	return 0, nil, false
}

// peFields names the pe.* field of each version-resource EventData name.
var peFields = map[string]string{"OriginalFileName": "original_file_name", "Company": "company",
	"Description": "description", "FileVersion": "file_version", "Product": "product"}

// sysmonStep is a resolved rule: the conversion and column indexes.
type sysmonStep struct {
	conv sysmonConv
	ci   []int
}

var cUserIDSysmon = Col("user.id")

func init() {
	setDefault(ProviderSysmon, part{
		// Elastic copies winlog.user.identifier (System/Security/@UserID, the
		// account Sysmon runs as, usually S-1-5-18) to user.id.
		cols:  list("user.id"),
		apply: func(o *Out, ev *Event) { o.str(cUserIDSysmon, ev.UserID) },
	})
	for _, e := range sysmonEvents {
		steps := map[string]sysmonStep{}
		var cols []string
		for _, name := range strings.Fields(e.data) {
			conv, c, ok := sysmonRule(name, e.id)
			if !ok {
				continue
			}
			st := sysmonStep{conv: conv}
			for _, n := range c {
				st.ci = append(st.ci, Col(n))
			}
			steps[name] = st
			cols = append(cols, c...)
		}
		// Sysmon 15 names event 15's hashes Hash where older versions say
		// Hashes; Elastic reads both, whatever the event.
		if st, ok := steps["Hash"]; ok {
			steps["Hashes"] = st
		} else if st, ok := steps["Hashes"]; ok {
			steps["Hash"] = st
		}
		if e.id == 22 {
			cols = append(cols, "network.protocol")
		}
		id := e.id
		register(ProviderSysmon, strconv.Itoa(id), spec{
			action: e.action, category: e.category, typ: e.typ, outcome: e.outcome,
			parts: []part{{cols: cols, apply: func(o *Out, ev *Event) { sysmonApply(o, ev, id, steps) }}},
		})
	}
}

// sysmonApply maps one Sysmon event: each EventData pair through its step.
func sysmonApply(o *Out, ev *Event, id int, steps map[string]sysmonStep) {
	for i := range ev.Data {
		d := &ev.Data[i]
		st, ok := steps[d.Name]
		if !ok || absent(d.Value) {
			continue
		}
		v := d.Value
		switch st.conv {
		case sText:
			for _, ci := range st.ci {
				o.B.SetString(ci, v)
			}
		case sInt:
			o.Int(st.ci[0], d.Name, v, true)
		case sExe:
			o.exe(st.ci[0], st.ci[1], v)
		case sCmd:
			o.cmdline(st.ci[0], st.ci[1], st.ci[2], v)
		case sUser:
			// Elastic splits on the backslash and uses exactly two parts.
			if dom, name, ok := strings.Cut(v, `\`); ok && !strings.Contains(name, `\`) {
				o.str(st.ci[0], name)
				o.str(st.ci[1], dom)
				o.rel.user = addUnique(o.rel.user, name)
			}
		case sHashes:
			to := hashCols{-1, -1, -1, -1}
			if len(st.ci) >= 5 {
				to = hashCols{st.ci[0], st.ci[1], st.ci[2], st.ci[3]}
			}
			o.hashes(v, to)
			if len(st.ci) == 9 { // Sysmon 7: the library is also dll.*
				o.hashes(v, hashCols{st.ci[4], st.ci[5], st.ci[6], st.ci[7]})
			}
		case sFile:
			o.filePath(v)
		case sImage:
			o.filePath(v)
			o.exe(st.ci[4], st.ci[5], v)
		case sIP:
			o.ip(st.ci[0], v)
		case sDirection:
			switch v {
			case "true":
				o.B.SetString(st.ci[0], "egress")
			case "false":
				o.B.SetString(st.ci[0], "ingress")
			}
		case sIPv6:
			switch v {
			case "true":
				o.B.SetString(st.ci[0], "ipv6")
			case "false":
				o.B.SetString(st.ci[0], "ipv4")
			}
		case sRegistry:
			registryPath(o, st.ci, v)
		case sRegData:
			registryData(o, st.ci, v)
		case sDNSName:
			o.B.SetString(st.ci[0], v)
			o.rel.hosts = addUnique(o.rel.hosts, v)
		case sDNSResults:
			dnsResults(o, st.ci, v)
		}
	}
	if id == 22 {
		o.B.SetString(cNetworkProtocol, "dns")
	}
}

var cNetworkProtocol = Col("network.protocol")

// registryHives abbreviates a registry path's first element, as Elastic does.
var registryHives = map[string]string{
	"HKEY_CLASSES_ROOT": "HKCR", "HKCR": "HKCR",
	"HKEY_CURRENT_CONFIG": "HKCC", "HKCC": "HKCC",
	"HKEY_CURRENT_USER": "HKCU", "HKCU": "HKCU",
	"HKEY_DYN_DATA": "HKDD", "HKDD": "HKDD",
	"HKEY_LOCAL_MACHINE": "HKLM", "HKLM": "HKLM",
	"HKEY_PERFORMANCE_DATA": "HKPD", "HKPD": "HKPD",
	"HKEY_USERS": "HKU", "HKU": "HKU",
}

// registryPath sets registry.path, .hive, .key (the path below the hive) and
// .value (the last element, as Elastic sets it for keys and values alike).
func registryPath(o *Out, ci []int, v string) {
	o.B.SetString(ci[0], v)
	first, rest, _ := strings.Cut(v, `\`)
	if hive, ok := registryHives[first]; ok {
		o.B.SetString(ci[1], hive)
		if rest != "" {
			o.B.SetString(ci[2], rest)
		}
	}
	o.B.SetString(ci[3], BaseName(v))
}

// registryData sets registry.data.strings and .type from Sysmon's Details:
// "DWORD (0x00000001)" → ["1"], SZ_DWORD; "QWORD (0x00000001-0x00000002)" →
// the 64-bit number, SZ_QWORD; "Binary Data" → REG_BINARY; else REG_SZ.
func registryData(o *Out, ci []int, v string) {
	var one [1]string
	typ := "REG_SZ"
	one[0] = v
	switch {
	case strings.HasPrefix(v, "DWORD (0x") && strings.HasSuffix(v, ")"):
		if n, err := strconv.ParseUint(v[len("DWORD (0x"):len(v)-1], 16, 32); err == nil {
			one[0], typ = strconv.FormatUint(n, 10), "SZ_DWORD"
		}
	case strings.HasPrefix(v, "QWORD (0x") && strings.HasSuffix(v, ")"):
		hi, lo, ok := strings.Cut(v[len("QWORD (0x"):len(v)-1], "-0x")
		h, err1 := strconv.ParseUint(hi, 16, 32)
		l, err2 := strconv.ParseUint(lo, 16, 32)
		if ok && err1 == nil && err2 == nil {
			one[0], typ = strconv.FormatUint(h<<32|l, 10), "SZ_QWORD"
		}
	case v == "Binary Data":
		typ = "REG_BINARY"
	}
	o.List(ci[0], one[:])
	o.B.SetString(ci[1], typ)
}

// dnsTypes names DNS record types by number, as Elastic's pipeline does.
var dnsTypes = map[string]string{
	"1": "A", "2": "NS", "3": "MD", "4": "MF", "5": "CNAME", "6": "SOA", "7": "MB", "8": "MG",
	"9": "MR", "10": "NULL", "11": "WKS", "12": "PTR", "13": "HINFO", "14": "MINFO", "15": "MX",
	"16": "TXT", "17": "RP", "18": "AFSDB", "19": "X25", "20": "ISDN", "21": "RT", "22": "NSAP",
	"23": "NSAPPTR", "24": "SIG", "25": "KEY", "26": "PX", "27": "GPOS", "28": "AAAA", "29": "LOC",
	"30": "NXT", "31": "EID", "32": "NIMLOC", "33": "SRV", "34": "ATMA", "35": "NAPTR", "36": "KX",
	"37": "CERT", "38": "A6", "39": "DNAME", "40": "SINK", "41": "OPT", "43": "DS", "46": "RRSIG",
	"47": "NSEC", "48": "DNSKEY", "49": "DHCID", "100": "UINFO", "101": "UID", "102": "GID",
	"103": "UNSPEC", "248": "ADDRS", "249": "TKEY", "250": "TSIG", "251": "IXFR", "252": "AXFR",
	"253": "MAILB", "254": "MAILA", "255": "ANY", "65281": "WINS", "65282": "WINSR",
}

// dnsResults reads Sysmon's QueryResults ("type:  5 a.example.net;::ffff:1.2.3.4;"):
// "type: N name" entries are answers with their type's name; the other
// entries are resolved addresses (IPv4-mapped ones as IPv4), which also
// become A or AAAA answers, as Elastic synthesizes them.
func dnsResults(o *Out, ci []int, v string) {
	var dataBuf, typeBuf, ipBuf [8]string
	data, types, ips := dataBuf[:0], typeBuf[:0], ipBuf[:0]
	for _, entry := range strings.Split(v, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		if rest, ok := strings.CutPrefix(entry, "type:"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 {
				data, types = append(data, f[1]), append(types, dnsTypes[f[0]])
				o.rel.hosts = addUnique(o.rel.hosts, f[1])
			}
			continue
		}
		ip := unmapIPv4(strings.TrimSuffix(strings.TrimPrefix(entry, "["), "]"))
		if !looksLikeIP(ip) {
			continue
		}
		ips = append(ips, ip)
		o.rel.ip = addUnique(o.rel.ip, ip)
	}
	for _, ip := range ips {
		t := "A"
		if strings.IndexByte(ip, ':') >= 0 {
			t = "AAAA"
		}
		data, types = append(data, ip), append(types, t)
	}
	o.List(ci[0], data)
	o.List(ci[1], types)
	o.List(ci[2], ips)
}

// looksLikeIP accepts the characters of IPv4 and IPv6 text (Elastic drops
// resolved entries that do not convert to an IP).
func looksLikeIP(s string) bool {
	if s == "" {
		return false
	}
	dots, colons := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			dots++
		case c == ':':
			colons++
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		default:
			return false
		}
	}
	return dots == 3 && colons == 0 || colons >= 2
}
