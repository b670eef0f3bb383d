package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// chromium finds Debian's Chromium, installing it when the test runs as root.
func chromium(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getuid() == 0 {
		exec.Command("apt-get", "install", "-y", "-qq", "chromium").Run()
		if p, err := exec.LookPath("chromium"); err == nil {
			return p
		}
	}
	t.Skip("SKIPPED: Debian's chromium is not installed and cannot be installed here (apt-get install chromium)")
	return ""
}

// headless loads a page in headless Chromium and returns its DOM after the
// scripts ran, and Chromium's log.
func headless(t *testing.T, browser, url string, extra ...string) (dom, log string) {
	t.Helper()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--enable-logging=stderr", "--v=0"}, extra...)
	cmd := exec.Command(browser, append(args, url)...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, errOut.String())
	}
	return out.String(), errOut.String()
}

// TestReportInBrowser renders the demo's report in a real browser: it loads
// with no console message, shows the expected counts, and filters.
func TestReportInBrowser(t *testing.T) {
	browser := chromium(t)
	dir := t.TempDir()
	arch := filepath.Join(dir, "archive")
	mustHuntsql(t, "load", "-q", "--archive", arch, "../../fixtures/demo")
	page := filepath.Join(dir, "report.html")
	_, errOut, code, _ := huntsql(t, "report", "--archive", arch, "-o", page)
	if code != 0 || !strings.Contains(errOut, "2 detections from 2 rules over 22 events") {
		t.Fatalf("report: exit %d\n%s", code, errOut)
	}
	html, _ := os.ReadFile(page)
	if regexp.MustCompile(`(src|href)="?https?:`).Match(html) {
		t.Error("the report must not load anything from the network")
	}

	dom, log := headless(t, browser, "file://"+page, "--dump-dom")
	if strings.Contains(log, ":CONSOLE") {
		t.Errorf("the page logged to the console:\n%s", log)
	}
	for _, want := range []string{
		`id="total-detections">2<`, `id="rules-fired">2 / 2<`, `id="hosts-hit">2<`, `id="events">22<`,
		`id="shown">2 of 2 detections shown<`, `id="severity-medium"`, `id="severity-low"`, `<td>T1059.006</td><td>2</td>`,
		`<text x="4" y="27">FIN-WS07.corp.example</text>`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the rendered page lacks %s", want)
		}
	}
	if n := strings.Count(dom, `class="mark"`); n != 2 {
		t.Errorf("timeline marks: %d, want 2", n)
	}
	dom, _ = headless(t, browser, "file://"+page+"#q=web-01", "--dump-dom")
	if !strings.Contains(dom, `id="shown">1 of 2 detections shown<`) {
		t.Error("filtering by host does not narrow the table")
	}
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		headless(t, browser, "file://"+page, "--screenshot="+mustAbs(t, "../../docs/report.png"), "--window-size=1280,1100", "--hide-scrollbars")
	}
}

func mustAbs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
