package auditd

import (
	"bytes"
	"encoding/hex"
	"strings"
)

// header is the start of an audit log line:
//
//	[node=NAME ]type=TYPE msg=audit(SECONDS.MILLIS:SERIAL):
type header struct {
	node, typ string
	stamp     string // SECONDS.MILLIS:SERIAL, the event's identity with node
	rest      []byte // the fields after "): "
}

// parseHeader reads a line's header.
func parseHeader(line []byte) (header, bool) {
	var h header
	if v, ok := bytes.CutPrefix(line, []byte("node=")); ok {
		sp := bytes.IndexByte(v, ' ')
		if sp <= 0 {
			return h, false
		}
		h.node, line = string(v[:sp]), v[sp+1:]
	}
	v, ok := bytes.CutPrefix(line, []byte("type="))
	if !ok {
		return h, false
	}
	sp := bytes.IndexByte(v, ' ')
	if sp <= 0 {
		return h, false
	}
	h.typ, line = string(v[:sp]), v[sp+1:]
	v, ok = bytes.CutPrefix(line, []byte("msg=audit("))
	if !ok {
		return h, false
	}
	end := bytes.Index(v, []byte("):"))
	if end < 0 || !validStamp(v[:end]) {
		return h, false
	}
	h.stamp = string(v[:end])
	h.rest = bytes.TrimLeft(v[end+2:], " ")
	return h, true
}

// validStamp checks SECONDS.MILLIS:SERIAL (digits).
func validStamp(b []byte) bool {
	t, serial, ok := bytes.Cut(b, []byte(":"))
	sec, ms, ok2 := bytes.Cut(t, []byte("."))
	return ok && ok2 && digits(sec) && digits(ms) && digits(serial)
}

func digits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0 && len(b) <= 19
}

// field is one name=value pair of a record.
type field struct {
	name, value string
	quoted      bool // written "…" or '…': the value is the text itself
}

// enrichSep separates a record from what auditd's ENRICHED log format (and
// ausearch --format enriched) appends: the names of its ids, UID="root" ….
const enrichSep = '\x1d'

// appendFields appends the name=value pairs of a record's text after its
// header (or of its enriched part, after enrichSep). Values are bare,
// "double-quoted" or 'single-quoted'; a single-quoted msg='…' (the message of
// a user-space program, USER_LOGIN and the like) holds pairs of its own, read
// into the same list.
func appendFields(out []field, s string) []field {
	for {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			return out
		}
		eq := strings.IndexAny(s, "= ")
		if eq <= 0 || s[eq] == ' ' {
			// A word without a value (old kernels' "old auid=…" pairs have one).
			sp := strings.IndexByte(s, ' ')
			if sp < 0 {
				return out
			}
			s = s[sp:]
			continue
		}
		name, v := s[:eq], s[eq+1:]
		var value string
		quoted := false
		switch {
		case strings.HasPrefix(v, `"`) || strings.HasPrefix(v, `'`):
			q := v[0]
			end := strings.IndexByte(v[1:], q)
			if end < 0 {
				value, s = v[1:], ""
			} else {
				value, s = v[1:1+end], v[2+end:]
			}
			quoted = true
			if q == '\'' && name == "msg" {
				out = appendFields(out, value)
				continue
			}
		default:
			sp := strings.IndexByte(v, ' ')
			if sp < 0 {
				value, s = v, ""
			} else {
				value, s = v[:sp], v[sp:]
			}
		}
		out = append(out, field{name, value, quoted})
	}
}

// get returns the value of the first field called name.
func get(fields []field, name string) (field, bool) {
	for _, f := range fields {
		if f.name == name {
			return f, true
		}
	}
	return field{}, false
}

// text returns a field that auditd logs as an untrusted string: as written
// when quoted, hex-decoded when bare (auditd encodes strings that hold blanks,
// quotes, control or non-ASCII bytes), "" for "(null)" and "?".
func (f field) text() string {
	if f.quoted {
		return f.value
	}
	switch f.value {
	case "(null)", "?":
		return ""
	}
	if b, ok := decodeHex(f.value); ok {
		return string(b)
	}
	return f.value
}

// decodeHex decodes an even-length run of hexadecimal digits.
func decodeHex(s string) ([]byte, bool) {
	if s == "" || len(s)%2 != 0 {
		return nil, false
	}
	b, err := hex.DecodeString(s)
	return b, err == nil
}

// number returns a numeric field, or "" when absent or unset ("?", or -1 and
// 4294967295, which auditd writes for an unset id).
func number(fields []field, name string) string {
	f, ok := get(fields, name)
	if !ok || f.quoted {
		return ""
	}
	switch f.value {
	case "?", "-1", "4294967295", "(none)":
		return ""
	}
	if !digits([]byte(f.value)) {
		return ""
	}
	return f.value
}
