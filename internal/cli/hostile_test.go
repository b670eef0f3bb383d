package cli

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// slow skips tests that write gigabytes unless HUNTSQL_SLOW_TESTS=1, which
// `make test` (and so CI) sets.
func slow(t *testing.T) {
	t.Helper()
	if os.Getenv("HUNTSQL_SLOW_TESTS") != "1" {
		t.Skip("SKIPPED: slow; set HUNTSQL_SLOW_TESTS=1 (make test does)")
	}
}

// maxRSS bounds the peak memory of one load in these tests: well above the
// steady state (~450 MiB on 1 M events), far below the hostile inputs' sizes.
const maxRSSKiB = 600 << 10

const goodEvent = `{"@timestamp":"2026-03-01T12:00:00Z","host":{"name":"good-host"}}` + "\n"

// writeStream writes parts to path, a part of the form repeat(n, s) streamed.
func writeFile(t *testing.T, path string, fill func(w *bufio.Writer)) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fill(w)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

func repeat(w io.Writer, b byte, n int) {
	chunk := bytes.Repeat([]byte{b}, 1<<20)
	for n > 0 {
		k := min(n, len(chunk))
		w.Write(chunk[:k])
		n -= k
	}
}

// loadHostile loads the inputs next to a good file and checks: exit code 3,
// every wanted message on stderr, the good event archived, peak RSS bounded.
func loadHostile(t *testing.T, inputs []string, want ...string) {
	t.Helper()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.ndjson")
	os.WriteFile(good, []byte(goodEvent), 0o600)
	arch := filepath.Join(dir, "archive")
	_, errOut, code, rss := huntsql(t, append([]string{"load", "--archive", arch}, append(inputs, good)...)...)
	if code != 3 {
		t.Errorf("exit code %d, want 3 (completed with rejects)\n%s", code, errOut)
	}
	for _, w := range want {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errOut)
		}
	}
	if rss > maxRSSKiB {
		t.Errorf("peak RSS %d MiB exceeds %d MiB", rss>>10, maxRSSKiB>>20)
	}
	t.Logf("peak RSS %d MiB", rss>>10)
	out := mustHuntsql(t, "query", "--archive", arch, "--format", "csv", `SELECT count(*) AS n FROM events WHERE "host.name" = 'good-host'`)
	if strings.TrimSpace(out) != "n\n1" {
		t.Errorf("the good input did not load: %q", out)
	}
}

func TestHostileXML(t *testing.T) {
	dir := t.TempDir()
	laughs := filepath.Join(dir, "laughs.xml")
	os.WriteFile(laughs, []byte(`<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol9 "&lol2;&lol2;&lol2;">]>
<Event><System><TimeCreated SystemTime='2026-03-01T12:00:00Z'/><Computer>&lol9;</Computer></System></Event>
`), 0o600)
	loadHostile(t, []string{laughs},
		"laughs.xml:2: DTD or entity declaration refused (huntsql never expands entities)",
		"laughs.xml:4: invalid event XML: undefined entity &lol9; (huntsql never expands entities)")
}

func TestHostileBigXMLEvent(t *testing.T) {
	slow(t)
	p := writeFile(t, filepath.Join(t.TempDir(), "big-event.xml"), func(w *bufio.Writer) {
		w.WriteString("<Event><System><TimeCreated SystemTime='2026-03-01T12:00:00Z'/></System><EventData><Data Name='x'>")
		repeat(w, 'A', 100<<20)
		w.WriteString("</Data></EventData></Event>\n<Event><System><TimeCreated SystemTime='2026-03-01T12:00:01Z'/><Computer>after</Computer></System></Event>\n")
	})
	loadHostile(t, []string{p}, "big-event.xml:1: event larger than 1048576 bytes (104857725 bytes)", "3 records = 2 archived + 1 rejected")
}

func TestHostileJSON(t *testing.T) {
	dir := t.TempDir()
	deep := writeFile(t, filepath.Join(dir, "deep.ndjson"), func(w *bufio.Writer) {
		w.WriteString(`{"@timestamp":"2026-03-01T12:00:00Z","x":`)
		w.WriteString(strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + "}\n")
	})
	bad := filepath.Join(dir, "bytes.ndjson")
	os.WriteFile(bad, []byte("{\"@timestamp\":\"2026-03-01T12:00:00Z\",\"host\":{\"name\":\"a\xffb\"}}\n"+
		"{\"@timestamp\":\"2026-03-01T12:00:00Z\",\"host\":{\"name\":\"a\x00b\"}}\n"+
		"{\"@timestamp\":\"2026-03-01T12:00:00Z\",\"host\":{\"name\":\"nul\\u0000kept\"}}\n"), 0o600)
	empty := filepath.Join(dir, "empty.json")
	os.WriteFile(empty, nil, 0o600)
	loadHostile(t, []string{deep, bad, empty},
		"deep.ndjson:1: JSON nested deeper than 300 levels",
		"bytes.ndjson:1: invalid UTF-8 at byte 54 of the record",
		"bytes.ndjson:2: invalid JSON: invalid character '\\x00' in string literal",
		"empty.json: empty input")
}

func TestHostileHugeJSONLine(t *testing.T) {
	slow(t)
	p := writeFile(t, filepath.Join(t.TempDir(), "huge-line.ndjson"), func(w *bufio.Writer) {
		w.WriteString(`{"@timestamp":"2026-03-01T11:59:59Z","host":{"name":"before"}}` + "\n")
		w.WriteString(`{"@timestamp":"2026-03-01T12:00:00Z","x":"`)
		repeat(w, 'a', 1<<30)
		w.WriteString("\"}\n{\"@timestamp\":\"2026-03-01T12:00:02Z\",\"host\":{\"name\":\"after\"}}\n")
	})
	loadHostile(t, []string{p}, "huge-line.ndjson:2: record larger than 67108864 bytes (1073741868 bytes)", "4 records = 3 archived + 1 rejected")
}

func TestHostileCompression(t *testing.T) {
	slow(t)
	dir := t.TempDir()
	// 4 GiB of zeros in a few MB: not a log, refused after its first bytes.
	zeros := writeFile(t, filepath.Join(dir, "zeros.gz"), func(w *bufio.Writer) {
		zw, _ := gzip.NewWriterLevel(w, gzip.BestCompression)
		repeat(zw, 0, 4<<30)
		zw.Close()
	})
	// 1 GiB single JSON line in a few MB: read through, rejected, bounded.
	line := writeFile(t, filepath.Join(dir, "line.json.gz"), func(w *bufio.Writer) {
		zw, _ := gzip.NewWriterLevel(w, gzip.BestCompression)
		zw.Write([]byte(`{"@timestamp":"2026-03-01T12:00:00Z","x":"`))
		repeat(zw, 'a', 1<<30)
		zw.Write([]byte("\"}\n"))
		zw.Close()
	})
	data, _ := os.ReadFile(line)
	trunc := filepath.Join(dir, "truncated.gz")
	os.WriteFile(trunc, data[:len(data)/2], 0o600)
	loadHostile(t, []string{zeros, line, trunc},
		`zeros.gz: unrecognized format (starts with "....`,
		"line.json.gz:1: record larger than 67108864 bytes",
		"truncated.gz: input ends early: unexpected EOF")
}

func TestValuesNeverBecomePaths(t *testing.T) {
	dir := t.TempDir()
	evil := filepath.Join(dir, "evil.ndjson")
	os.WriteFile(evil, []byte(`{"@timestamp":"2026-03-01T12:00:00Z","_index":"../../../../tmp/huntsql-evil-index","host":{"name":"../../../../tmp/huntsql-evil-host"},"data_stream":{"dataset":"/etc/passwd"}}
{"@timestamp":"../../../tmp/huntsql-evil-ts","host":{"name":"x"}}
`), 0o600)
	arch := filepath.Join(dir, "archive")
	huntsql(t, "load", "--archive", arch, evil)
	for _, p := range []string{"/tmp/huntsql-evil-index", "/tmp/huntsql-evil-host", "/tmp/huntsql-evil-ts"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("a value became a path: %s exists", p)
		}
	}
	filepath.WalkDir(arch, func(p string, d os.DirEntry, err error) error {
		rel, _ := filepath.Rel(arch, p)
		ok := rel == "." || rel == "events" || rel == "_rejects" || rel == "manifest.json" || rel == ".lock" ||
			strings.HasPrefix(rel, "events/date=2026-03-01") || strings.HasPrefix(rel, "_rejects/2")
		if !ok {
			t.Errorf("unexpected path in the archive: %s", rel)
		}
		return nil
	})
}

// TestUnreadableFiles runs the load as an unprivileged user (root reads any
// file), over a folder where one file cannot be read.
func TestUnreadableFiles(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("SKIPPED: needs root to run the load as another user")
	}
	base, err := os.MkdirTemp("", "huntsql-perm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	os.Chmod(base, 0o777)
	bin, _ := exec.LookPath("huntsql")
	data, _ := os.ReadFile(bin)
	own := filepath.Join(base, "huntsql")
	os.WriteFile(own, data, 0o755)
	in := filepath.Join(base, "logs")
	os.Mkdir(in, 0o777)
	os.WriteFile(filepath.Join(in, "a-readable.ndjson"), []byte(goodEvent), 0o644)
	os.WriteFile(filepath.Join(in, "b-secret.ndjson"), []byte(goodEvent), 0o000)
	cmd := exec.Command(own, "load", "--archive", filepath.Join(base, "archive"), in)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	if code != 3 || !strings.Contains(errOut.String(), "b-secret.ndjson: permission denied") ||
		!strings.Contains(errOut.String(), "loaded 0 files (0 skipped, 1 failed)") && !strings.Contains(errOut.String(), "1 records = 1 archived") {
		t.Errorf("exit %d, stderr:\n%s", code, errOut.String())
	}
}
