#!/usr/bin/env python3
"""Writes the fixtures of the two seed rules: one group of events per numbered
edge case of the rule semantics spec (seed-rules.md §5), so that each case's
effect shows as its own detection, or its absence.

  fixtures/rules/<rule id>/fires/   cases that must fire
  fixtures/rules/<rule id>/quiet/   cases that must not

Run from the repository root; then `huntsql rules test --update` rewrites the
want.ndjson files, to be reviewed line by line against the spec.
"""
import json
import os

ROOT = "fixtures/rules"
E_ID = "b42e4b88-fc4a-417b-a45e-4d4a3db9fd41"
S_ID = "6178.6732"


# --- Seed E: Elastic ES|QL, ECS JSON -----------------------------------------

def e_event(case, ts, cmd, **over):
    """An in-scope event: linux, start, exec, bash child of python3, -c."""
    ev = {
        "@timestamp": ts,
        "agent": {"id": "agent-" + case},
        "host": {"name": "case-" + case, "os": {"type": "linux"}},
        "event": {"type": ["start"], "action": "exec", "category": ["process"]},
        "process": {
            "name": "bash",
            "args": ["bash", "-c", cmd] if cmd is not None else ["bash", "-c"],
            "parent": {"name": "python3", "entity_id": "parent-" + case},
        },
    }
    if cmd is not None:
        ev["process"]["command_line"] = "bash -c " + cmd
    for path, value in over.items():
        set_path(ev, path, value)
    return ev


def set_path(ev, path, value):
    keys = path.split("__")
    d = ev
    for k in keys[:-1]:
        d = d.setdefault(k, {})
    if value is DELETE:
        d.pop(keys[-1], None)
    else:
        d[keys[-1]] = value


DELETE = object()

# Four lines of three kinds (grep, find, curl) plus a fifth decide an alert:
# with "ls" and "id" (other) the group has 5 distinct lines and 4 kinds.
BASE4 = ["grep a", "find b", "curl c", "ls"]


def e_group(case, fifth_over=None, fifth_cmd="id", minute="12:00", base=BASE4):
    """Four in-scope events and a fifth, varied one: the group alerts only if
    the fifth passes the filter."""
    evs = [e_event(case, "2026-03-01T%s:%02dZ" % (minute, 10 + i), c) for i, c in enumerate(base)]
    evs.append(e_event(case, "2026-03-01T%s:50Z" % minute, fifth_cmd, **(fifth_over or {})))
    return evs


def e_pattern_group(case, line):
    """find, curl and two 'other' lines, plus line: 4 kinds only if line's kind
    is none of find, curl, other."""
    evs = [e_event(case, "2026-03-01T12:00:%02dZ" % (10 + i), c) for i, c in enumerate(["find b", "curl c", "ls", "id"])]
    evs.append(e_event(case, "2026-03-01T12:00:50Z", line))
    return evs


def seed_e():
    fires, quiet = {}, {}
    # 1, 2, 5: parent name matched after lower-casing, as a prefix
    fires["01-parent-Python3"] = e_group("01", {"process__parent__name": "Python3"})
    fires["02-parent-PYTHON"] = e_group("02", {"process__parent__name": "PYTHON"})
    for i, p in enumerate(["python3.12", "pythonw", "python-config"]):
        fires["05%s-parent-%s" % ("abc"[i], p)] = e_group("05" + "abc"[i], {"process__parent__name": p})
    # 3, 4, 6: anchored prefix; NULL parent
    quiet["03-parent-ipython"] = e_group("03", {"process__parent__name": "ipython"})
    quiet["04-parent-path"] = e_group("04", {"process__parent__name": "/usr/bin/python3"})
    quiet["06-parent-null"] = e_group("06", {"process__parent__name": DELETE})
    # 7: each of the nine shells (two groups whose five events all use listed shells)
    for g, shells in (("07a", ["bash", "dash", "sh", "tcsh", "csh"]), ("07b", ["zsh", "ksh", "fish", "busybox", "bash"])):
        evs = []
        for i, (c, sh) in enumerate(zip(BASE4 + ["id"], shells)):
            evs.append(e_event(g, "2026-03-01T12:00:%02dZ" % (10 + i), c, process__name=sh))
        fires["%s-shells" % g] = evs
    # 8: exact, case-sensitive process.name
    for i, sh in enumerate(["Bash", "rbash", "ash", "/bin/sh"]):
        quiet["08%s-process-%s" % ("abcd"[i], sh.replace("/", "_"))] = e_group("08" + "abcd"[i], {"process__name": sh})
    # 9: any element of args equal to -c, -cl or -lc
    evs = []
    for i, (c, flag) in enumerate(zip(BASE4 + ["id"], ["-c", "-cl", "-lc", "-c", "-lc"])):
        evs.append(e_event("09", "2026-03-01T12:00:%02dZ" % (10 + i), c, process__args=["bash", flag, c]))
    fires["09-args-c-cl-lc"] = evs
    # 10, 11: exact terms on process.args only
    for i, args in enumerate([["bash", "-C", "id"], ["bash", "-xc", "id"], ["bash", "-ic", "id"], ["bash", "-c ", "id"], ["bash", "-c id"]]):
        quiet["10%s-args" % "abcde"[i]] = e_group("10" + "abcde"[i], {"process__args": args})
    quiet["11-c-only-in-command-line"] = e_group("11", {"process__args": ["bash"]})
    # 12-14: event.type as ES|QL sees a keyword multi-value
    quiet["12-type-start-end"] = e_group("12", {"event__type": ["start", "end"]})
    fires["13-type-start-start"] = e_group("13", {"event__type": ["start", "start"]})
    quiet["14-type-change"] = e_group("14", {"event__type": ["change"]})
    # 15, 16: host.os.type exact
    for i, v in enumerate(["windows", "Linux", DELETE]):
        quiet["15%s-os" % "abc"[i]] = e_group("15" + "abc"[i], {"host__os__type": v})
    fires["16-os-macos"] = [dict(e, host={"name": "case-16", "os": {"type": "macos"}}) for e in e_group("16")]
    # 17: event.action
    quiet["17-action-fork"] = e_group("17", {"event__action": "fork"})
    # 18: NULL command line: passes, kind 'other', not counted
    fires["18a-null-command-line"] = e_group("18a") + [e_event("18a", "2026-03-01T12:00:55Z", None)]
    quiet["18b-null-command-line-not-counted"] = e_group("18b", fifth_cmd=None, base=["grep a", "find b", "curl c", "wget d"])
    # 19-25: the first TRUE branch of CASE decides the kind
    fires["19-grep-before-curl"] = e_pattern_group("19", "grep root /etc/passwd | curl -d @- x")
    fires["20-order-of-tests"] = e_pattern_group("20", "curl x | grep y")
    fires["21-env-space"] = e_pattern_group("21", "env | sort")
    quiet["22a-printenv"] = e_pattern_group("22a", "printenv")
    fires["22b-printenv-PATH"] = e_pattern_group("22b", "printenv PATH")
    quiet["23a-echo-environment"] = e_pattern_group("23a", "echo environment")
    quiet["23b-usr-bin-env"] = e_pattern_group("23b", "/usr/bin/env")
    fires["24a-uname"] = e_pattern_group("24a", "echo $(uname -a)")
    quiet["24b-username"] = e_pattern_group("24b", "echo $username")
    quiet["25-GREP"] = e_pattern_group("25", "GREP x")
    # 26-29: thresholds
    fires["26-five-lines-four-kinds"] = e_group("26")
    quiet["27-four-lines"] = [e_event("27", "2026-03-01T12:00:%02dZ" % (10 + i), c) for i, c in enumerate(["grep a", "find b", "curl c", "ls"])]
    quiet["28-three-kinds"] = [e_event("28", "2026-03-01T12:00:%02dZ" % (10 + i), c) for i, c in enumerate(["grep a", "grep b", "find c", "ls", "id", "pwd"])]
    quiet["29-same-line-ten-times"] = [e_event("29", "2026-03-01T12:00:%02dZ" % (10 + i), "grep a") for i in range(10)]
    # 30-32: epoch-aligned UTC minute windows, truncation
    quiet["30-split-at-minute"] = (
        [e_event("30", "2026-03-01T12:00:59.999Z", c) for c in ["grep a", "find b", "curl c"]]
        + [e_event("30", "2026-03-01T12:01:00.000Z", c) for c in ["ls", "id", "wget e"]])
    fires["31-offset"] = [e_event("31", "2026-03-01T14:00:%02d+02:00" % (10 + i), c) for i, c in enumerate(BASE4 + ["id"])]
    fires["32-truncated-not-rounded"] = e_group("32")[:4] + [e_event("32", "2026-03-01T12:00:59.9999999Z", "id")]
    # 33, 34: the parent is a group key; NULL is a key
    quiet["33-split-parents"] = [e_event("33", "2026-03-01T12:00:%02dZ" % (10 + i), c,
                                         process__parent__entity_id="parent-33" + "ab"[i % 2]) for i, c in enumerate(BASE4 + ["id"])]
    fires["34-null-parent"] = [e_event("34", "2026-03-01T12:00:%02dZ" % (10 + i), c, process__parent__entity_id=DELETE)
                               for i, c in enumerate(BASE4 + ["id"])]
    # 35: a multi-valued host.name is NULL in huntsql (deviation D1)
    evs = [e_event("35", "2026-03-01T12:00:%02dZ" % (10 + i), c) for i, c in enumerate(BASE4 + ["id"])]
    for e in evs:
        del e["host"]["name"]
    evs[0]["host"]["name"] = ["h1", "h2"]
    fires["35-multi-valued-host"] = evs
    # 36: order: count DESC, then window, host, agent, parent ascending
    seven = BASE4 + ["id", "wget f", "whoami"]
    fires["36a-seven-lines"] = [e_event("36a", "2026-03-01T13:00:%02dZ" % (10 + i), c) for i, c in enumerate(seven)]
    fires["36b-five-lines-same-window"] = e_group("36b", minute="13:00")
    # 37: scope is the Defend process data set
    quiet["37a-auditd-dataset"] = e_group("37a", {"event__dataset": "auditd.log"})
    quiet["37b-other-data-stream"] = [dict(e, data_stream={"dataset": "endpoint.events.network"}) for e in e_group("37b")]
    fires["37c-defend-data-stream"] = [dict(e, data_stream={"dataset": "endpoint.events.process", "namespace": "prod"},
                                            event=dict(e["event"], dataset="endpoint.events.process")) for e in e_group("37c")]
    return fires, quiet


# --- Seed S: Splunk SPL, Windows 4688 XML --------------------------------------

NS = " xmlns='http://schemas.microsoft.com/win/2004/08/events/event'"


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def s_event(computer, ts, new_name, cmd=None, parent=r"C:\Windows\explorer.exe", user="alice", eid=4688, version=2,
            new_pid="0x1a2c", pid="0xe74", rec=1000):
    data = [("SubjectUserSid", "S-1-5-21-1004336348-1177238915-682003330-1105"), ("SubjectUserName", user),
            ("SubjectDomainName", "CORP"), ("SubjectLogonId", "0x3e7a1")]
    if eid == 4689:
        data += [("Status", "0x0"), ("ProcessId", new_pid), ("ProcessName", new_name)]
    else:
        data += [("NewProcessId", new_pid), ("NewProcessName", new_name), ("TokenElevationType", "%%1938"), ("ProcessId", pid)]
        if version >= 1:
            data.append(("CommandLine", cmd if cmd is not None else ""))
        if version >= 2:
            data += [("TargetUserSid", "S-1-0-0"), ("TargetUserName", "-"), ("TargetDomainName", "-"), ("TargetLogonId", "0x0"),
                     ("ParentProcessName", parent), ("MandatoryLabel", "S-1-16-8192")]
    comp = "<Computer>%s</Computer>" % esc(computer) if computer is not None else ""
    return ("<Event%s><System><Provider Name='Microsoft-Windows-Security-Auditing' Guid='{54849625-5478-4994-a5ba-3e3b0328c30d}'/>"
            "<EventID>%d</EventID><Version>%d</Version><Level>0</Level><Task>13312</Task><Opcode>0</Opcode>"
            "<Keywords>0x8020000000000000</Keywords><TimeCreated SystemTime='%s'/><EventRecordID>%d</EventRecordID>"
            "<Correlation/><Execution ProcessID='4' ThreadID='8120'/><Channel>Security</Channel>%s<Security/></System>"
            "<EventData>%s</EventData></Event>") % (NS, eid, version, ts, rec, comp,
                                                    "".join("<Data Name='%s'>%s</Data>" % (k, esc(v)) for k, v in data))


def seed_s():
    fires, quiet = {}, {}
    t = "2026-03-01T12:00:00Z"
    fires["38-program-files-python"] = [s_event("S38", t, r"C:\Program Files\Python312\python.exe", r'"C:\Program Files\Python312\python.exe" -V')]
    quiet["39-pythonw-pyw"] = [s_event("S39", t, r"C:\Python39\pythonw.exe", r"C:\Python39\pythonw.exe app.pyw")]
    quiet["40-python3"] = [s_event("S40", t, r"C:\Python311\python3.exe", r"C:\Python311\python3.exe -V")]
    fires["41-python-folder"] = [s_event("S41", t, r"C:\Users\bob\AppData\Local\Programs\Python\Python311\python3.exe", "python3 -V")]
    fires["42-upper-case"] = [s_event("S42", t, r"C:\PYTHON\Python.EXE", r"C:\PYTHON\Python.EXE")]
    fires["43-run-py"] = [s_event("S43", t, r"C:\Windows\System32\cmd.exe", "cmd /c run.py")]
    quiet["44a-pyc"] = [s_event("S44a", t, r"C:\Windows\System32\cmd.exe", "cmd /c type cache.pyc")]
    quiet["44b-pyenv"] = [s_event("S44b", t, r"C:\Users\bob\.pyenv\shims\x.exe", r"C:\Users\bob\.pyenv\shims\x.exe")]
    quiet["45a-mypython"] = [s_event("S45a", t, r"C:\Tools\mypython.exe", "mypython.exe")]
    quiet["45b-pyth0n"] = [s_event("S45b", t, r"C:\Tools\pyth0n.exe", "pyth0n.exe")]
    quiet["46-py-launcher"] = [s_event("S46", t, r"C:\Windows\py.exe", r"C:\Windows\py.exe -3 -V")]
    fires["47-command-line-only"] = [s_event("S47", t, r"C:\Windows\System32\cmd.exe", "cmd.exe /c python -V")]
    fires["48-parent-python"] = [s_event("S48", t, r"C:\Windows\System32\cmd.exe", "cmd.exe /c dir", parent=r"C:\Tools\python.exe")]
    fires["49-computer-python-build01"] = [s_event("python-build01", t, r"C:\Windows\System32\notepad.exe", "notepad.exe")]
    fires["50-user-python"] = [s_event("S50", t, r"C:\Windows\System32\notepad.exe", "notepad.exe", user="python")]
    quiet["51-4689-exit"] = [s_event("S51", t, r"C:\Python312\python.exe", eid=4689, version=0)]
    fires["52-version-0"] = [s_event("S52", t, r"C:\Python\python.exe", version=0, new_pid="0x6f0", pid="0x2d4")]
    fires["53-hex-pids"] = [s_event("S53", t, r"C:\Python312\python.exe", "python.exe x.py")]
    fires["54-two-seconds"] = [s_event("S54", "2026-03-01T12:00:00.999Z", r"C:\Python312\python.exe", "python a", rec=1),
                               s_event("S54", "2026-03-01T12:00:01.000Z", r"C:\Python312\python.exe", "python b", rec=2)]
    fires["55-two-hosts"] = [s_event("S55a", t, r"C:\Python312\python.exe", "python a"), s_event("S55b", t, r"C:\Python312\python.exe", "python a")]
    fires["56-user-byte-order"] = [s_event("S56", t, r"C:\Python312\python.exe", "python u", user=u, rec=i)
                                   for i, u in enumerate(["Émile", "zoe", "Ålice", "Zoë"])]
    fires["57-same-command-twice"] = [s_event("S57", t, r"C:\Python312\python.exe", "python same", rec=i) for i in range(2)]
    quiet["58-no-computer"] = [s_event(None, t, r"C:\Python312\python.exe", "python.exe")]
    fires["59-truncated-second"] = [s_event("S59", "2026-03-01T10:00:00.9999999Z", r"C:\Python312\python.exe", "python.exe")]
    # 60: scope is defined on the raw text: an ECS JSON row carrying 4688 XML
    xml = s_event("S60", t, r"C:\Python312\python.exe", "python.exe")
    fires["60-ecs-json-with-xml-original"] = {"@timestamp": t, "host": {"name": "S60"}, "event": {"code": "4688", "original": xml},
                                              "process": {"name": "python.exe", "executable": r"C:\Python312\python.exe", "pid": 6700}}
    # Classic WinEventLog text in event.original matches TERM(EventCode=4688).
    fires["60b-classic-text"] = {"@timestamp": t, "host": {"name": "S60b"}, "event": {"code": "4688", "original":
                                 "LogName=Security\nEventCode=4688\nEventType=0\nComputerName=S60b\nNew Process Name: C:\\Python312\\python.exe\n"}}
    # The raw text may start with a byte order mark and blanks.
    fires["60c-bom-before-event"] = {"@timestamp": t, "host": {"name": "S60c"}, "event": {"code": "4688", "original":
                                     "\ufeff\n  " + s_event("S60c", t, r"C:\Python312\python.exe", "python.exe")}}
    # Out of scope: a JSON rendering (not raw Windows text) of a python 4688.
    quiet["scope-json-rendering"] = {"@timestamp": t, "host": {"name": "S-json"}, "event": {"code": "4688"},
                                     "process": {"name": "python.exe", "executable": r"C:\Python312\python.exe"}}
    return fires, quiet


def write(rule, kind, cases):
    d = os.path.join(ROOT, rule, kind)
    os.makedirs(d, exist_ok=True)
    for name, content in cases.items():
        if isinstance(content, dict):
            path = os.path.join(d, name + ".ndjson")
            with open(path, "w") as f:
                f.write(json.dumps(content, ensure_ascii=False, separators=(",", ":")) + "\n")
        elif content and isinstance(content[0], str):
            with open(os.path.join(d, name + ".xml"), "w", encoding="utf-8") as f:
                f.write("\n".join(content) + "\n")
        else:
            with open(os.path.join(d, name + ".ndjson"), "w") as f:
                for e in content:
                    f.write(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    for rule, (fires, quiet) in ((E_ID, seed_e()), (S_ID, seed_s())):
        write(rule, "fires", fires)
        write(rule, "quiet", quiet)
