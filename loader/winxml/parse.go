package winxml

import (
	"bytes"
	"fmt"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"huntsql/loader/rows"
	"huntsql/loader/winevent"
)

// parser is a strict, small XML parser for one event. It accepts elements,
// attributes, text, CDATA, comments and processing instructions; it refuses
// DTDs and any entity beyond the five predefined ones and character references.
type parser struct {
	b     []byte
	s     string // the same bytes as b: plain values are substrings of it, not copies
	i     int
	depth int
	text  []byte // scratch for decoded text
	attrs []attr // the attributes of the last start tag read
}

const maxDepth = 32

type syntaxError struct {
	at  int
	msg string
}

func (e *syntaxError) Error() string { return fmt.Sprintf("%s (at byte %d of the event)", e.msg, e.at) }

func (p *parser) fail(format string, args ...any) {
	panic(&syntaxError{at: p.i, msg: fmt.Sprintf(format, args...)})
}

// parseEvent parses one <Event> element from s into ev, reusing ev's storage.
// The strings set in ev are substrings of s where no decoding was needed.
func parseEvent(s string, p *parser, ev *winevent.Event) (err error) {
	defer func() {
		if r := recover(); r != nil {
			se, ok := r.(*syntaxError)
			if !ok {
				panic(r)
			}
			err = se
		}
	}()
	b := unsafe.Slice(unsafe.StringData(s), len(s)) // read only
	if !utf8.Valid(b) {
		return fmt.Errorf("invalid UTF-8 at byte %d of the event", rows.InvalidUTF8At(b))
	}
	*p = parser{b: b, s: s, text: p.text[:0], attrs: p.attrs[:0]}
	ev.Reset()
	name, empty := p.startTag()
	if string(localName(name)) != "Event" {
		p.fail("root element is <%s>, not <Event>", name)
	}
	if !empty {
		p.children(name, func(child []byte, attrs []attr, empty bool) {
			switch string(localName(child)) {
			case "System":
				p.system(child, empty, ev)
			case "EventData":
				p.eventData(child, empty, ev)
			case "UserData":
				p.userData(child, empty, ev)
			case "RenderingInfo":
				p.rendering(child, empty, ev)
			default:
				p.skip(child, empty)
			}
		})
	}
	p.misc()
	if p.i != len(p.b) {
		p.fail("content after </Event>")
	}
	return nil
}

type attr struct {
	name  []byte
	value string
}

func attrValue(attrs []attr, name string) string {
	for _, a := range attrs {
		if string(localName(a.name)) == name {
			return a.value
		}
	}
	return ""
}

func localName(n []byte) []byte {
	if i := bytes.LastIndexByte(n, ':'); i >= 0 {
		return n[i+1:]
	}
	return n
}

func (p *parser) system(name []byte, empty bool, ev *winevent.Event) {
	if empty {
		return
	}
	p.children(name, func(child []byte, attrs []attr, empty bool) {
		switch string(localName(child)) {
		case "Provider":
			ev.Provider = attrValue(attrs, "Name")
			ev.ProviderGUID = attrValue(attrs, "Guid")
			p.skip(child, empty)
		case "TimeCreated":
			ev.TimeCreated = attrValue(attrs, "SystemTime")
			p.skip(child, empty)
		case "Execution":
			ev.ProcessID = attrValue(attrs, "ProcessID")
			ev.ThreadID = attrValue(attrs, "ThreadID")
			p.skip(child, empty)
		case "Security":
			ev.UserID = attrValue(attrs, "UserID")
			p.skip(child, empty)
		case "EventID":
			ev.EventID = p.textContent(child, empty)
		case "Version":
			ev.Version = p.textContent(child, empty)
		case "Level":
			ev.Level = p.textContent(child, empty)
		case "Task":
			ev.Task = p.textContent(child, empty)
		case "Opcode":
			ev.Opcode = p.textContent(child, empty)
		case "Keywords":
			ev.Keywords = p.textContent(child, empty)
		case "EventRecordID":
			ev.RecordID = p.textContent(child, empty)
		case "Channel":
			ev.Channel = p.textContent(child, empty)
		case "Computer":
			ev.Computer = p.textContent(child, empty)
		default:
			p.skip(child, empty)
		}
	})
}

func (p *parser) eventData(name []byte, empty bool, ev *winevent.Event) {
	if empty {
		return
	}
	n := 0
	p.children(name, func(child []byte, attrs []attr, empty bool) {
		n++
		key := attrValue(attrs, "Name")
		if key == "" {
			key = "param" + strconv.Itoa(n) // unnamed <Data>, as winlogbeat names them
		}
		if string(localName(child)) == "Binary" {
			key = "Binary"
		}
		v := p.textContent(child, empty)
		ev.Data = append(ev.Data, winevent.KV{Name: key, Value: v})
	})
}

// userData flattens <UserData><X xmlns=…><Field>v</Field>…</X></UserData>.
func (p *parser) userData(name []byte, empty bool, ev *winevent.Event) {
	ev.UserData = true
	if empty {
		return
	}
	p.children(name, func(wrapper []byte, _ []attr, empty bool) {
		if empty {
			return
		}
		p.children(wrapper, func(field []byte, _ []attr, empty bool) {
			key := string(localName(field))
			v := p.textContent(field, empty)
			ev.Data = append(ev.Data, winevent.KV{Name: key, Value: v})
		})
	})
}

func (p *parser) rendering(name []byte, empty bool, ev *winevent.Event) {
	if empty {
		return
	}
	p.children(name, func(child []byte, _ []attr, empty bool) {
		switch local := string(localName(child)); local {
		case "Message", "Level", "Task", "Opcode", "Channel", "Provider":
			ev.SetRendered(local, p.textContent(child, empty))
		default:
			p.skip(child, empty)
		}
	})
}

// children calls fn for each child element of the element name until its end
// tag; fn must consume the child (its content and end tag). Text between
// children is ignored.
func (p *parser) children(name []byte, fn func(child []byte, attrs []attr, empty bool)) {
	p.depth++
	if p.depth > maxDepth {
		p.fail("elements nested deeper than %d levels", maxDepth)
	}
	for {
		p.charData(false)
		if p.i >= len(p.b) {
			p.fail("unexpected end of event inside <%s>", name)
		}
		if bytes.HasPrefix(p.b[p.i:], []byte("</")) {
			p.endTag(name)
			p.depth--
			return
		}
		if p.markup() {
			continue
		}
		child, empty := p.startTag()
		fn(child, p.attrs, empty)
	}
}

// skip consumes an element's content and end tag.
func (p *parser) skip(name []byte, empty bool) {
	if empty {
		return
	}
	p.children(name, func(child []byte, _ []attr, empty bool) { p.skip(child, empty) })
}

// textContent returns an element's decoded text (the text of child elements
// included). Plain text, the usual case, is a substring of the event: no copy.
func (p *parser) textContent(name []byte, empty bool) string {
	if empty {
		return ""
	}
	start := p.i
	end := start
	for end < len(p.b) && p.b[end] != '<' && p.b[end] != '&' && (p.b[end] >= 0x20 || p.b[end] == '\t' || p.b[end] == '\n' || p.b[end] == '\r') {
		end++
	}
	if rest := p.b[end:]; len(rest) > 2+len(name) && rest[0] == '<' && rest[1] == '/' && bytes.Equal(rest[2:2+len(name)], name) && rest[2+len(name)] == '>' {
		p.i = end + 3 + len(name)
		return p.s[start:end]
	}
	p.text = p.text[:0]
	p.depth++
	if p.depth > maxDepth {
		p.fail("elements nested deeper than %d levels", maxDepth)
	}
	for {
		p.charData(true)
		if p.i >= len(p.b) {
			p.fail("unexpected end of event inside <%s>", name)
		}
		if bytes.HasPrefix(p.b[p.i:], []byte("</")) {
			p.endTag(name)
			p.depth--
			return string(p.text)
		}
		if p.markup() {
			continue
		}
		child, empty := p.startTag()
		save := p.text
		p.text = nil
		inner := p.textContent(child, empty)
		p.text = append(save, inner...)
	}
}

// charData reads text up to the next '<', decoding references into p.text
// when keep is set.
func (p *parser) charData(keep bool) {
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch c {
		case '<':
			return
		case '&':
			r := p.reference()
			if keep {
				p.text = utf8.AppendRune(p.text, r)
			}
		default:
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				p.fail("control character 0x%02x in text", c)
			}
			if keep {
				p.text = append(p.text, c)
			}
			p.i++
		}
	}
}

// markup consumes a comment, CDATA section or processing instruction at p.i.
// It refuses DTDs and reports whether it consumed anything.
func (p *parser) markup() bool {
	rest := p.b[p.i:]
	switch {
	case bytes.HasPrefix(rest, []byte("<!--")):
		end := bytes.Index(rest[4:], []byte("-->"))
		if end < 0 {
			p.fail("unterminated comment")
		}
		p.i += 4 + end + 3
	case bytes.HasPrefix(rest, []byte("<![CDATA[")):
		end := bytes.Index(rest[9:], []byte("]]>"))
		if end < 0 {
			p.fail("unterminated CDATA section")
		}
		p.text = append(p.text, rest[9:9+end]...)
		p.i += 9 + end + 3
	case bytes.HasPrefix(rest, []byte("<?")):
		end := bytes.Index(rest, []byte("?>"))
		if end < 0 {
			p.fail("unterminated processing instruction")
		}
		p.i += end + 2
	case bytes.HasPrefix(rest, []byte("<!")):
		p.fail("DTD or entity declaration refused (huntsql never expands entities)")
	default:
		return false
	}
	return true
}

// misc consumes whitespace, comments and PIs after the root element.
func (p *parser) misc() {
	for p.i < len(p.b) {
		if isSpace(p.b[p.i]) {
			p.i++
			continue
		}
		if p.b[p.i] != '<' || !p.markup() {
			return
		}
	}
}

func isNameByte(c byte) bool {
	return c == ':' || c == '_' || c == '-' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func (p *parser) name() []byte {
	start := p.i
	for p.i < len(p.b) && isNameByte(p.b[p.i]) {
		p.i++
	}
	if p.i == start {
		p.fail("expected a name")
	}
	return p.b[start:p.i]
}

func (p *parser) spaces() {
	for p.i < len(p.b) && isSpace(p.b[p.i]) {
		p.i++
	}
}

// startTag reads <name attr='v' …> or <name …/>; the attributes are in p.attrs
// until the next start tag.
func (p *parser) startTag() (name []byte, empty bool) {
	if p.i >= len(p.b) || p.b[p.i] != '<' {
		p.fail("expected '<'")
	}
	p.i++
	name = p.name()
	p.attrs = p.attrs[:0]
	for {
		hadSpace := p.i < len(p.b) && isSpace(p.b[p.i])
		p.spaces()
		if p.i >= len(p.b) {
			p.fail("unexpected end of event in <%s>", name)
		}
		switch p.b[p.i] {
		case '>':
			p.i++
			return name, false
		case '/':
			if p.i+1 >= len(p.b) || p.b[p.i+1] != '>' {
				p.fail("expected '/>'")
			}
			p.i += 2
			return name, true
		}
		if !hadSpace {
			p.fail("expected a space before an attribute")
		}
		an := p.name()
		p.spaces()
		if p.i >= len(p.b) || p.b[p.i] != '=' {
			p.fail("expected '=' after attribute %s", an)
		}
		p.i++
		p.spaces()
		p.attrs = append(p.attrs, attr{an, p.attrValue()})
	}
}

func (p *parser) attrValue() string {
	if p.i >= len(p.b) || (p.b[p.i] != '\'' && p.b[p.i] != '"') {
		p.fail("attribute value must be quoted")
	}
	q := p.b[p.i]
	p.i++
	start := p.i
	for p.i < len(p.b) && p.b[p.i] != q && p.b[p.i] != '&' && p.b[p.i] != '<' {
		p.i++
	}
	if p.i < len(p.b) && p.b[p.i] == q {
		p.i++
		return p.s[start : p.i-1] // plain: a substring, no copy
	}
	out := append([]byte(nil), p.b[start:p.i]...)
	for {
		if p.i >= len(p.b) {
			p.fail("unterminated attribute value")
		}
		c := p.b[p.i]
		switch {
		case c == q:
			p.i++
			return string(out)
		case c == '<':
			p.fail("'<' in attribute value")
		case c == '&':
			out = utf8.AppendRune(out, p.reference())
		default:
			out = append(out, c)
			p.i++
		}
	}
}

func (p *parser) endTag(name []byte) {
	p.i += 2
	got := p.name()
	if !bytes.Equal(got, name) {
		p.fail("</%s> closes <%s>", got, name)
	}
	p.spaces()
	if p.i >= len(p.b) || p.b[p.i] != '>' {
		p.fail("expected '>' after </%s", got)
	}
	p.i++
}

// reference decodes &lt; &gt; &amp; &quot; &apos; &#N; &#xH; and refuses the rest.
func (p *parser) reference() rune {
	end := bytes.IndexByte(p.b[p.i:min(len(p.b), p.i+12)], ';')
	if end < 0 {
		p.fail("'&' that starts no reference")
	}
	ref := string(p.b[p.i+1 : p.i+end])
	var r rune
	switch ref {
	case "lt":
		r = '<'
	case "gt":
		r = '>'
	case "amp":
		r = '&'
	case "quot":
		r = '"'
	case "apos":
		r = '\''
	default:
		var n uint64
		var err error
		switch {
		case len(ref) > 2 && (ref[:2] == "#x" || ref[:2] == "#X"):
			n, err = strconv.ParseUint(ref[2:], 16, 32)
		case len(ref) > 1 && ref[0] == '#':
			n, err = strconv.ParseUint(ref[1:], 10, 32)
		default:
			p.fail("undefined entity &%s; (huntsql never expands entities)", ref)
		}
		if err != nil || n == 0 || n > utf8.MaxRune || (n >= 0xd800 && n <= 0xdfff) {
			p.fail("invalid character reference &%s;", ref)
		}
		r = rune(n)
	}
	p.i += end + 1
	return r
}
