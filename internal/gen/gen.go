// Package gen writes deterministic, realistic synthetic event logs for
// benchmarks and large tests: Elastic Defend process events (~1 KB each).
package gen

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"
)

var (
	shells   = []string{"bash", "sh", "dash", "zsh", "busybox", "fish"}
	parents  = []string{"python3", "python3.11", "systemd", "sshd", "cron", "node", "java", "containerd-shim"}
	commands = []string{
		"grep -r password /etc", "find / -name id_rsa", "curl -s http://10.0.0.5/x.sh", "env | sort",
		"wget -q http://example.invalid/a", "whoami", "uname -a", "hostname", "ls -la /tmp", "id",
		"cat /etc/os-release", "ps aux", "systemctl status sshd", "df -h", "tar czf /tmp/b.tgz /var/log",
	}
	users = []string{"root", "ubuntu", "svc-backup", "alice", "bob"}
)

// Options shape the generated events.
type Options struct {
	Seed  uint64
	Hosts int
	Start time.Time
	Span  time.Duration // events are spread over this span, in time order with jitter
}

// DefaultOptions are what `make bench` uses.
func DefaultOptions() Options {
	return Options{Seed: 42, Hosts: 50, Start: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Span: 72 * time.Hour}
}

// ECSProcess writes n Elastic Defend process events as NDJSON.
func ECSProcess(w io.Writer, n int, o Options) error {
	r := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	bw := bufio.NewWriterSize(w, 1<<20)
	step := o.Span / time.Duration(max(n, 1))
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.Reset()
		ts := o.Start.Add(step*time.Duration(i) + time.Duration(r.IntN(2000))*time.Millisecond)
		h := r.IntN(max(o.Hosts, 1))
		os := "linux"
		if h%5 == 4 {
			os = "macos"
		}
		shell := shells[r.IntN(len(shells))]
		parent := parents[r.IntN(len(parents))]
		cmd := commands[r.IntN(len(commands))]
		user := users[r.IntN(len(users))]
		pid, ppid := 1000+r.IntN(60000), 1+r.IntN(60000)
		hash := fmt.Sprintf("%016x%016x%016x%016x", r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64())
		fmt.Fprintf(&b, `{"@timestamp":"%s","agent":{"id":"%08x-7f3a-4c1e-9d2b-%012x","type":"endpoint","version":"8.15.2"},`,
			ts.Format("2006-01-02T15:04:05.000Z"), h, h)
		fmt.Fprintf(&b, `"data_stream":{"dataset":"endpoint.events.process","namespace":"default","type":"logs"},"ecs":{"version":"8.11.0"},`)
		fmt.Fprintf(&b, `"event":{"action":"exec","category":["process"],"dataset":"endpoint.events.process","id":"NKr%08dq","kind":"event","module":"endpoint","type":["start"],"created":"%s"},`,
			i, ts.Format("2006-01-02T15:04:05.000Z"))
		fmt.Fprintf(&b, `"host":{"architecture":"x86_64","hostname":"host-%03d","id":"%032x","ip":["10.1.%d.%d","fe80::%x"],"name":"host-%03d",`,
			h, h*7919, h/250, h%250+1, h, h)
		fmt.Fprintf(&b, `"os":{"family":"debian","full":"Ubuntu 22.04.4 LTS","kernel":"5.15.0-105-generic","name":"Ubuntu","platform":"ubuntu","type":"%s","version":"22.04.4"}},`, os)
		fmt.Fprintf(&b, `"process":{"args":["%s","-c","%s"],"args_count":3,"command_line":"%s -c %s","entity_id":"%016x","executable":"/usr/bin/%s","name":"%s","pid":%d,"working_directory":"/home/%s",`,
			shell, cmd, shell, cmd, r.Uint64(), shell, shell, pid, user)
		fmt.Fprintf(&b, `"hash":{"sha256":"%s"},"interactive":false,`, hash)
		fmt.Fprintf(&b, `"parent":{"args":["%s"],"args_count":1,"command_line":"%s","entity_id":"%08x%08x","executable":"/usr/bin/%s","name":"%s","pid":%d,"working_directory":"/opt/app"},`,
			parent, parent, h, ppid, parent, parent, ppid)
		fmt.Fprintf(&b, `"Ext":{"ancestry":["%016x","%016x"]}},`, r.Uint64(), r.Uint64())
		fmt.Fprintf(&b, `"user":{"id":"%d","name":"%s"},"message":"Endpoint process event"}`+"\n", 1000+len(user), user)
		if _, err := bw.WriteString(b.String()); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// Windows4688 writes n Security 4688 events as `wevtutil qe Security /f:xml`
// prints them (namespace, no root element, one event after another), about
// 1.5 KB each.
func Windows4688(w io.Writer, n int, o Options) error {
	r := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	bw := bufio.NewWriterSize(w, 1<<20)
	step := o.Span / time.Duration(max(n, 1))
	images := []string{`C:\Windows\System32\cmd.exe`, `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`,
		`C:\Python312\python.exe`, `C:\Windows\System32\svchost.exe`, `C:\Program Files\Google\Chrome\Application\chrome.exe`}
	for i := 0; i < n; i++ {
		ts := o.Start.Add(step*time.Duration(i) + time.Duration(r.IntN(1_000_000))*time.Microsecond)
		h := r.IntN(max(o.Hosts, 1))
		img, parent := images[r.IntN(len(images))], images[r.IntN(len(images))]
		user := users[r.IntN(len(users))]
		fmt.Fprintf(bw, "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"+
			"<Provider Name='Microsoft-Windows-Security-Auditing' Guid='{54849625-5478-4994-a5ba-3e3b0328c30d}'/>"+
			"<EventID>4688</EventID><Version>2</Version><Level>0</Level><Task>13312</Task><Opcode>0</Opcode>"+
			"<Keywords>0x8020000000000000</Keywords><TimeCreated SystemTime='%s'/><EventRecordID>%d</EventRecordID>"+
			"<Correlation/><Execution ProcessID='4' ThreadID='%d'/><Channel>Security</Channel><Computer>WS%03d.corp.example</Computer>"+
			"<Security/></System><EventData><Data Name='SubjectUserSid'>S-1-5-21-1004336348-1177238915-682003330-%d</Data>"+
			"<Data Name='SubjectUserName'>%s</Data><Data Name='SubjectDomainName'>CORP</Data><Data Name='SubjectLogonId'>0x%x</Data>"+
			"<Data Name='NewProcessId'>0x%x</Data><Data Name='NewProcessName'>%s</Data><Data Name='TokenElevationType'>%%%%1938</Data>"+
			"<Data Name='ProcessId'>0x%x</Data><Data Name='CommandLine'>&quot;%s&quot; %s</Data><Data Name='TargetUserSid'>S-1-0-0</Data>"+
			"<Data Name='TargetUserName'>-</Data><Data Name='TargetDomainName'>-</Data><Data Name='TargetLogonId'>0x0</Data>"+
			"<Data Name='ParentProcessName'>%s</Data><Data Name='MandatoryLabel'>S-1-16-8192</Data></EventData>"+
			"<RenderingInfo Culture='en-US'><Message>A new process has been created.</Message><Level>Information</Level>"+
			"<Task>Process Creation</Task><Opcode>Info</Opcode><Channel>Security</Channel>"+
			"<Provider>Microsoft Windows security auditing.</Provider></RenderingInfo></Event>\n",
			ts.Format("2006-01-02T15:04:05.0000000Z"), 1_000_000+i, 1000+r.IntN(9000), h, 1000+len(user), user, 0x3e7+r.IntN(1<<20),
			4+r.IntN(1<<16)*4, img, 4+r.IntN(1<<16)*4, img, commands[r.IntN(len(commands))], parent)
	}
	return bw.Flush()
}
