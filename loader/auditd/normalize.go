package auditd

import (
	"bytes"
	"fmt"
	"net/netip"
	"path"
	"slices"
	"strconv"
	"strings"

	"huntsql/loader/rows"
	schema "huntsql/sql"
)

var (
	cTS          = schema.MustIndex(schema.Timestamp)
	cOriginal    = schema.MustIndex(schema.Original)
	cWarnings    = schema.MustIndex(schema.Warnings)
	cFile        = schema.MustIndex(schema.SourceFile)
	cLine        = schema.MustIndex(schema.SourceLine)
	cOffset      = schema.MustIndex(schema.SourceOffset)
	cLoad        = schema.MustIndex(schema.LoadID)
	cTags        = schema.MustIndex("tags")
	cKind        = schema.MustIndex("event.kind")
	cCategory    = schema.MustIndex("event.category")
	cType        = schema.MustIndex("event.type")
	cAction      = schema.MustIndex("event.action")
	cOutcome     = schema.MustIndex("event.outcome")
	cModule      = schema.MustIndex("event.module")
	cDataset     = schema.MustIndex("event.dataset")
	cSequence    = schema.MustIndex("event.sequence")
	cDSType      = schema.MustIndex("data_stream.type")
	cDSDataset   = schema.MustIndex("data_stream.dataset")
	cHostName    = schema.MustIndex("host.name")
	cHostOSType  = schema.MustIndex("host.os.type")
	cHostArch    = schema.MustIndex("host.architecture")
	cPID         = schema.MustIndex("process.pid")
	cName        = schema.MustIndex("process.name")
	cExe         = schema.MustIndex("process.executable")
	cCmd         = schema.MustIndex("process.command_line")
	cArgs        = schema.MustIndex("process.args")
	cArgsCount   = schema.MustIndex("process.args_count")
	cCwd         = schema.MustIndex("process.working_directory")
	cTitle       = schema.MustIndex("process.title")
	cPPID        = schema.MustIndex("process.parent.pid")
	cUserID      = schema.MustIndex("user.id")
	cUserName    = schema.MustIndex("user.name")
	cEffID       = schema.MustIndex("user.effective.id")
	cEffName     = schema.MustIndex("user.effective.name")
	cAuditID     = schema.MustIndex("user.audit.id")
	cAuditName   = schema.MustIndex("user.audit.name")
	cRelatedUser = schema.MustIndex("related.user")
	cSourceIP    = schema.MustIndex("source.ip")
	cFilePath    = schema.MustIndex("file.path")
	cSourcePort  = schema.MustIndex("source.port")
	cDestIP      = schema.MustIndex("destination.ip")
	cDestPort    = schema.MustIndex("destination.port")
	cNetType     = schema.MustIndex("network.type")

	processCategory = []string{"process"}
	startType       = []string{"start"}
)

// span locates a record's fields and enriched fields in Normalizer.fields.
type span struct{ lo, mid, hi int }

// record is one line of an event.
type record struct {
	typ      string
	fields   []field
	enriched []field
}

// Normalizer maps audit events to archive rows. Not safe for concurrent use.
type Normalizer struct {
	recs   []record
	fields []field // every record's fields, one after the other
	spans  []span
	args   []string
	warn   []string
}

// NewNormalizer returns a Normalizer.
func NewNormalizer() *Normalizer { return &Normalizer{} }

// Normalize appends the row for one event (its records joined with "\n"), or
// returns why it is rejected.
func (n *Normalizer) Normalize(raw *rows.Raw, src *rows.Source, b *rows.Batch) string {
	if i := rows.InvalidUTF8At(raw.Data); i >= 0 {
		return fmt.Sprintf("auditd record is not valid UTF-8 at byte %d", i)
	}
	original := raw.Text()
	n.recs, n.warn, n.fields = n.recs[:0], n.warn[:0], n.fields[:0]
	var first header
	spans := n.spans[:0]
	for i, pos := 0, 0; pos <= len(raw.Data); i++ {
		end := bytes.IndexByte(raw.Data[pos:], '\n')
		if end < 0 {
			end = len(raw.Data) - pos
		}
		line := raw.Data[pos : pos+end]
		h, ok := parseHeader(line)
		if !ok {
			return fmt.Sprintf("line %d of the auditd event is not [node=NAME ]type=TYPE msg=audit(SECONDS.MILLIS:SERIAL): …", i+1)
		}
		if i == 0 {
			first = h
		} else if h.stamp != first.stamp || h.node != first.node {
			return fmt.Sprintf("line %d of the auditd event has stamp %s, not %s", i+1, h.stamp, first.stamp)
		}
		// The fields, as strings sharing the original text.
		rest := original[pos+end-len(h.rest) : pos+end]
		main, extra, _ := strings.Cut(rest, string(enrichSep))
		sp := span{lo: len(n.fields)}
		n.fields = appendFields(n.fields, main)
		sp.mid = len(n.fields)
		n.fields = appendFields(n.fields, extra)
		sp.hi = len(n.fields)
		spans = append(spans, sp)
		n.recs = append(n.recs, record{typ: h.typ})
		pos += end + 1
	}
	for i, sp := range spans {
		n.recs[i].fields, n.recs[i].enriched = n.fields[sp.lo:sp.mid], n.fields[sp.mid:sp.hi]
	}
	n.spans = spans
	if len(n.recs) == 0 {
		return "empty auditd event"
	}
	ts, serial, err := stampTime(first.stamp)
	if err != nil {
		return err.Error()
	}

	b.AddRow()
	b.SetInt(cTS, ts)
	b.SetString(cOriginal, original)
	b.SetString(cFile, src.File)
	if raw.Line > 0 {
		b.SetInt(cLine, raw.Line)
	}
	b.SetInt(cOffset, raw.Offset)
	b.SetString(cLoad, src.LoadID)
	b.SetString(cKind, "event")
	b.SetString(cModule, "auditd")
	b.SetString(cDataset, "auditd.log")
	b.SetString(cDSDataset, "auditd.log")
	b.SetString(cDSType, "logs")
	b.SetString(cHostOSType, "linux")
	b.SetInt(cSequence, serial)
	text(b, cHostName, first.node)

	main := n.main()
	// The audit rule's key, as auditbeat keeps it (in tags).
	if f, ok := get(main.fields, "key"); ok {
		if k := f.text(); k != "" {
			b.SetList(cTags, []string{k})
		}
	}
	if n.isExec(main) {
		n.exec(b, main)
	} else {
		n.other(b, main)
	}
	if len(n.warn) > 0 {
		b.SetList(cWarnings, n.warn)
	}
	return ""
}

// main is the record that describes the event: its SYSCALL record, else its first.
func (n *Normalizer) main() *record {
	for i := range n.recs {
		if n.recs[i].typ == "SYSCALL" {
			return &n.recs[i]
		}
	}
	return &n.recs[0]
}

// find returns the event's first record of a type, or nil.
func (n *Normalizer) find(typ string) *record {
	for i := range n.recs {
		if n.recs[i].typ == typ {
			return &n.recs[i]
		}
	}
	return nil
}

// execSyscalls are the execve and execveat syscall numbers per audit arch
// (the AUDIT_ARCH_* value the SYSCALL record gives), from each architecture's
// syscall table.
var execSyscalls = map[string][2]string{
	"c000003e": {"59", "322"},  // x86_64
	"40000003": {"11", "358"},  // i386
	"c00000b7": {"221", "281"}, // aarch64
	"40000028": {"11", "387"},  // arm
	"c00000f3": {"221", "281"}, // riscv64
	"c0000015": {"11", "362"},  // ppc64le
	"80000015": {"11", "362"},  // ppc64
	"80000016": {"11", "354"},  // s390x
}

// archNames are the architectures as auditbeat names them (host.architecture).
var archNames = map[string]string{
	"c000003e": "x86_64", "40000003": "i386", "c00000b7": "aarch64", "40000028": "arm",
	"c00000f3": "riscv64", "c0000015": "ppc64le", "80000015": "ppc64", "80000016": "s390x",
}

// isExec reports whether the event is an execve or execveat: it has an
// EXECVE record, or its SYSCALL is one of them (a failed exec has no EXECVE).
func (n *Normalizer) isExec(main *record) bool {
	if n.find("EXECVE") != nil {
		return true
	}
	if main.typ != "SYSCALL" {
		return false
	}
	if f, ok := get(main.enriched, "SYSCALL"); ok {
		return f.value == "execve" || f.value == "execveat"
	}
	arch, _ := get(main.fields, "arch")
	nr, _ := get(main.fields, "syscall")
	s, ok := execSyscalls[arch.value]
	return ok && (nr.value == s[0] || nr.value == s[1])
}

// exec maps a process start as auditbeat does.
func (n *Normalizer) exec(b *rows.Batch, sc *record) {
	b.SetString(cAction, "executed")
	b.SetList(cCategory, processCategory)
	b.SetList(cType, startType)
	n.process(b, sc)
	n.users(b, sc)
	if f, ok := get(sc.fields, "success"); ok {
		b.SetString(cOutcome, outcome(f.value))
	}
	if ev := n.find("EXECVE"); ev != nil {
		n.args = execArgs(ev, n.recs, n.args[:0])
		if len(n.args) > 0 {
			b.SetList(cArgs, n.args)
			b.SetInt(cArgsCount, int64(len(n.args)))
			b.SetString(cCmd, strings.Join(n.args, " "))
		}
		if argc := number(ev.fields, "argc"); argc != "" && argc != strconv.Itoa(len(n.args)) {
			n.warn = append(n.warn, fmt.Sprintf("EXECVE: argc=%s but %d arguments logged", argc, len(n.args)))
		}
	}
	if cwd := n.find("CWD"); cwd != nil {
		if f, ok := get(cwd.fields, "cwd"); ok {
			text(b, cCwd, f.text())
		}
	}
	if pt := n.find("PROCTITLE"); pt != nil {
		if f, ok := get(pt.fields, "proctitle"); ok {
			text(b, cTitle, strings.TrimRight(strings.ReplaceAll(f.text(), "\x00", " "), " "))
		}
	}
}

// execArgs reads the arguments of an execve: a0, a1, … in the EXECVE record
// (quoted, or hex when they hold blanks, quotes or other bytes), and those the
// kernel splits when long: aN_len=… then aN[0]=…, aN[1]=…, possibly in later
// EXECVE records of the same event.
func execArgs(first *record, recs []record, out []string) []string {
	var parts map[string]*strings.Builder
	for _, r := range recs {
		if r.typ != "EXECVE" {
			continue
		}
		for _, f := range r.fields {
			if name, ok := strings.CutSuffix(f.name, "]"); ok {
				if i := strings.IndexByte(name, '['); i > 0 {
					if parts == nil {
						parts = map[string]*strings.Builder{}
					}
					if parts[name[:i]] == nil {
						parts[name[:i]] = &strings.Builder{}
					}
					parts[name[:i]].WriteString(f.text())
				}
			}
		}
	}
	argc, err := strconv.Atoi(number(first.fields, "argc"))
	if err != nil {
		argc = 0
		for _, f := range first.fields {
			if isArgName(f.name) {
				argc++
			}
		}
	}
	for i := range min(argc, 1<<16) {
		name := "a" + strconv.Itoa(i)
		if p := parts[name]; p != nil {
			out = append(out, p.String())
			continue
		}
		f, ok := get(first.fields, name)
		if !ok {
			if _, ok := get(first.fields, name+"_len"); !ok {
				break // the kernel logged fewer arguments (truncated)
			}
		}
		out = append(out, f.text())
	}
	return out
}

func isArgName(s string) bool { return len(s) > 1 && s[0] == 'a' && digits([]byte(s[1:])) }

// process sets the fields of the process a record describes.
func (n *Normalizer) process(b *rows.Batch, r *record) {
	n.int(b, cPID, r, "pid")
	n.int(b, cPPID, r, "ppid")
	exe := ""
	if f, ok := get(r.fields, "exe"); ok {
		exe = f.text()
		text(b, cExe, exe)
	}
	if f, ok := get(r.fields, "comm"); ok && f.text() != "" {
		b.SetString(cName, f.text())
	} else if exe != "" {
		b.SetString(cName, path.Base(exe))
	}
	if f, ok := get(r.fields, "arch"); ok {
		if a := archNames[f.value]; a != "" {
			b.SetString(cHostArch, a)
		}
	}
}

// users sets user.id and user.effective.id (uid and euid), and their names
// and the audit (login) user's in related.user from an enriched log.
func (n *Normalizer) users(b *rows.Batch, r *record) {
	uid, euid := number(r.fields, "uid"), number(r.fields, "euid")
	text(b, cUserID, uid)
	text(b, cEffID, euid)
	var related []string
	add := func(name string) {
		if name != "" && name != "unset" && !slices.Contains(related, name) {
			related = append(related, name)
		}
	}
	if f, ok := get(r.enriched, "UID"); ok && uid != "" {
		text(b, cUserName, f.value)
		add(f.value)
	}
	if f, ok := get(r.enriched, "EUID"); ok && euid != "" {
		text(b, cEffName, f.value)
		add(f.value)
	}
	// auid 4294967295 (-1) is "unset": no login user (a daemon).
	if auid := number(r.fields, "auid"); auid != "" && auid != "4294967295" {
		b.SetString(cAuditID, auid)
		if f, ok := get(r.enriched, "AUID"); ok {
			text(b, cAuditName, f.value)
			add(f.value)
		}
	}
	b.SetList(cRelatedUser, related)
}

// userSpace gives the ECS category and type of the user-space messages
// huntsql classifies (Elastic's auditd data sets give these the same kinds).
var userSpace = map[string][2]string{
	"USER_AUTH":       {"authentication", "info"},
	"USER_LOGIN":      {"authentication", "start"},
	"USER_LOGOUT":     {"authentication", "end"},
	"USER_START":      {"session", "start"},
	"USER_END":        {"session", "end"},
	"USER_ACCT":       {"iam", "info"},
	"USER_CMD":        {"process", "start"},
	"ADD_USER":        {"iam", "creation"},
	"DEL_USER":        {"iam", "deletion"},
	"ADD_GROUP":       {"iam", "creation"},
	"DEL_GROUP":       {"iam", "deletion"},
	"USER_MGMT":       {"iam", "change"},
	"GRP_MGMT":        {"iam", "change"},
	"SERVICE_START":   {"process", "start"},
	"SERVICE_STOP":    {"process", "end"},
	"SYSTEM_BOOT":     {"host", "start"},
	"SYSTEM_SHUTDOWN": {"host", "end"},
	"SOFTWARE_UPDATE": {"package", "info"},
}

// other maps any other event: its type as the action, its outcome, and the
// process, user and address fields it has.
func (n *Normalizer) other(b *rows.Batch, r *record) {
	typ := n.recs[0].typ // AVC, LOGIN, …: the record that comes before the SYSCALL
	b.SetString(cAction, strings.ToLower(typ))
	if k, ok := userSpace[typ]; ok {
		b.SetList(cCategory, []string{k[0]})
		b.SetList(cType, []string{k[1]})
	}
	n.process(b, r)
	if f, ok := get(r.fields, "res"); ok {
		b.SetString(cOutcome, outcome(f.value))
	} else if f, ok := get(r.fields, "success"); ok {
		b.SetString(cOutcome, outcome(f.value))
	}
	text(b, cFilePath, n.filePath())
	n.socket(b, r)
	// A user-space message is about the account in acct= or id=, not the
	// daemon's uid that sent it (Filebeat takes user.name from acct too).
	acct, id := "", number(r.fields, "id")
	if f, ok := get(r.fields, "acct"); ok {
		acct = f.text()
	}
	if standalone(typ) && (acct != "" || id != "") {
		text(b, cUserName, acct)
		text(b, cUserID, id)
		if acct != "" {
			b.SetList(cRelatedUser, []string{acct})
		}
	} else {
		n.users(b, r)
	}
	if f, ok := get(r.fields, "addr"); ok && isIP(f.value) {
		b.SetString(cSourceIP, f.value)
	}
	// The command sudo runs (USER_CMD), split on blanks as Filebeat does.
	if f, ok := get(r.fields, "cmd"); ok {
		if cmd := f.text(); cmd != "" {
			args := strings.Fields(cmd)
			b.SetString(cCmd, cmd)
			b.SetList(cArgs, args)
			b.SetInt(cArgsCount, int64(len(args)))
		}
	}
}

// filePath is the object a syscall acted on, as auditbeat reports it: the
// first PATH record naming a file (not its parent directory), made absolute
// with the CWD record when relative.
func (n *Normalizer) filePath() string {
	for i := range n.recs {
		r := &n.recs[i]
		if r.typ != "PATH" {
			continue
		}
		if t, ok := get(r.fields, "nametype"); ok && t.value == "PARENT" {
			continue
		}
		f, ok := get(r.fields, "name")
		if !ok {
			continue
		}
		name := f.text()
		if name == "" {
			continue
		}
		if !strings.HasPrefix(name, "/") {
			if cwd := n.find("CWD"); cwd != nil {
				if d, ok := get(cwd.fields, "cwd"); ok && d.text() != "" {
					name = path.Join(d.text(), name)
				}
			}
		}
		return name
	}
	return ""
}

// netSyscalls are connect's, accept's and accept4's numbers per audit arch,
// for the architectures where they are syscalls of their own.
var netSyscalls = map[string]map[string]string{
	"c000003e": {"42": "connect", "43": "accept", "288": "accept4"},   // x86_64
	"c00000b7": {"203": "connect", "202": "accept", "242": "accept4"}, // aarch64
	"c00000f3": {"203": "connect", "202": "accept", "242": "accept4"}, // riscv64
}

// socket maps the address of a connect (destination.*) or accept (source.*,
// the peer) from its SOCKADDR record, an IPv4 or IPv6 sockaddr in hex.
func (n *Normalizer) socket(b *rows.Batch, sc *record) {
	sa := n.find("SOCKADDR")
	if sa == nil || sc.typ != "SYSCALL" {
		return
	}
	name := ""
	if f, ok := get(sc.enriched, "SYSCALL"); ok {
		name = f.value
	} else {
		arch, _ := get(sc.fields, "arch")
		nr, _ := get(sc.fields, "syscall")
		name = netSyscalls[arch.value][nr.value]
	}
	ipCol, portCol := cDestIP, cDestPort
	switch name {
	case "connect":
	case "accept", "accept4":
		ipCol, portCol = cSourceIP, cSourcePort
	default:
		return
	}
	f, ok := get(sa.fields, "saddr")
	if !ok {
		return
	}
	raw, ok := decodeHex(f.value)
	if !ok || len(raw) < 8 {
		return
	}
	port := int64(raw[2])<<8 | int64(raw[3])
	switch family := int(raw[0]) | int(raw[1])<<8; {
	case family == 2: // AF_INET
		b.SetString(ipCol, netip.AddrFrom4([4]byte(raw[4:8])).String())
		b.SetString(cNetType, "ipv4")
	case family == 10 && len(raw) >= 24: // AF_INET6
		ip := netip.AddrFrom16([16]byte(raw[8:24])).Unmap() // IPv4-mapped: written as IPv4
		b.SetString(ipCol, ip.String())
		if ip.Is4() {
			b.SetString(cNetType, "ipv4")
		} else {
			b.SetString(cNetType, "ipv6")
		}
	default:
		return
	}
	b.SetInt(portCol, port)
}

// outcome maps res= and success= values to event.outcome.
func outcome(v string) string {
	switch v {
	case "success", "yes", "1":
		return "success"
	case "failed", "no", "0":
		return "failure"
	}
	return "unknown"
}

func (n *Normalizer) int(b *rows.Batch, col int, r *record, name string) {
	if v := number(r.fields, name); v != "" {
		if i, err := strconv.ParseInt(v, 10, 64); err == nil {
			b.SetInt(col, i)
			return
		}
		n.warn = append(n.warn, fmt.Sprintf("%s: not a number: %s (stored NULL)", name, v))
	}
}

func text(b *rows.Batch, col int, v string) {
	if v != "" {
		b.SetString(col, v)
	}
}

// isIP reports whether s looks like an IPv4 or IPv6 address (not "?" or a host name).
func isIP(s string) bool {
	if s == "" || s == "?" {
		return false
	}
	dots, colons := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
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

// stampTime reads SECONDS.MILLIS:SERIAL into microseconds and the serial.
func stampTime(stamp string) (int64, int64, error) {
	t, serial, _ := strings.Cut(stamp, ":")
	sec, frac, _ := strings.Cut(t, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || s > 1<<40 {
		return 0, 0, fmt.Errorf("auditd stamp %s: seconds out of range", stamp)
	}
	us := int64(0)
	for i := 0; i < 6; i++ {
		us *= 10
		if i < len(frac) {
			us += int64(frac[i] - '0')
		}
	}
	ser, err := strconv.ParseInt(serial, 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("auditd stamp %s: serial out of range", stamp)
	}
	return s*1_000_000 + us, ser, nil
}

// standalone reports whether a record type is a user-space message, which
// is an event of its own (no EOE follows it).
func standalone(typ string) bool {
	for _, p := range []string{"USER_", "CRED_", "DAEMON_", "ACCT_", "ROLE_", "GRP_", "SERVICE_", "SYSTEM_",
		"ADD_", "DEL_", "ANOM_LOGIN", "ANOM_ADD_ACCT", "ANOM_DEL_ACCT", "SOFTWARE_UPDATE", "VIRT_"} {
		if strings.HasPrefix(typ, p) {
			return true
		}
	}
	return false
}
