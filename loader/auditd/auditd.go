// Package auditd reads Linux audit logs as auditd writes them
// (/var/log/audit/audit.log, raw or ENRICHED format, with node= prefixes when
// forwarded; ausearch output, whose ----/time-> separator lines are skipped)
// into archive rows. The records of one event share a
// msg=audit(SECONDS.MILLIS:SERIAL) stamp; the splitter gathers them (they may
// interleave with other events' records) and the normalizer maps each event:
//
//   - an execve/execveat event (SYSCALL with an EXECVE record) becomes an ECS
//     process start as auditbeat reports it: process.pid, parent.pid,
//     executable, name (comm), args (hex-encoded and split arguments decoded),
//     args_count, command_line (args joined with spaces), working_directory
//     (CWD), title (PROCTITLE), user.id (uid), user.effective.id (euid), and
//     their names when the log is enriched;
//   - every other event becomes a row whose event.action is its first
//     record's type in lower case (user_login, as Filebeat's auditd module
//     names it), with event.outcome from res= or success=, and the process,
//     user, and source address fields the record has.
//
// Times are UTC (the stamp is epoch seconds). The record text stays whole in
// event.original; fields without an ECS column are queryable there.
package auditd

import (
	"bufio"
	"bytes"

	"huntsql/loader/format"
)

// Name is the format's name in the manifest and the load summary.
const Name = "auditd"

// Format is the Linux audit log, for the loader's registry.
var Format = &format.Format{
	Name:  Name,
	Doc:   "Linux auditd logs (type=… msg=audit(…): records, raw or enriched, node= prefixes)",
	Sniff: Sniff,
	NewSplitter: func(r *bufio.Reader, opts format.Options) format.Splitter {
		return NewSplitter(r, opts.MaxRecord)
	},
	NewNormalizer: func(format.Options) format.Normalizer {
		return format.Single(NewNormalizer().Normalize)
	},
}

// Sniff is Certain when the first line is an audit record and at least half
// of the (complete) lines in the head are; the separator lines ausearch
// prints between events do not count.
func Sniff(head []byte) format.Confidence {
	head = bytes.TrimLeft(head, " \t\r\n")
	if i := bytes.LastIndexByte(head, '\n'); i >= 0 {
		head = head[:i] // the last line may be cut
	}
	lines, records := 0, 0
	for _, line := range bytes.Split(head, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 || isSeparator(line) {
			continue
		}
		_, ok := parseHeader(line)
		if lines == 0 && !ok {
			return format.No
		}
		lines++
		if ok {
			records++
		}
	}
	if records > 0 && 2*records >= lines {
		return format.Certain
	}
	return format.No
}
