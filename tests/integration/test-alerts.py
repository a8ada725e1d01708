#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The daemon's alerts on a real domusd and QEMU (TCG): rules from domusd.conf, a crash raising
an alert as an event, the alert command, acknowledging, changing rules, keeping them across
a restart.

Usage: test-alerts.py GUEST_DIR   (DOMUS_BUILD_DIR from the environment)

domusd runs with --root in a fresh folder whose domusd.conf sets disk-percent=1 (so the image
store's filesystem raises an alert at once) and a command that appends its environment and
standard input to a file. A client stays connected to see the events. The test guest
"keeper" boots with on_crash = 'preserve' and sysrq_always_enabled; `domusctl sysrq keeper c`
makes its kernel panic. A second daemon with a bad [alerts] value must refuse to start, naming
the file, line and key. `domusctl alerts` lists what the daemon keeps, `--follow --json`
prints the crash as it comes and the connection lost when the daemon stops, `-a` acknowledges
and `--rules`/`--set` read and change the rules. Everything started here is ended by its PID.
Output is TAP, the plan last.
"""

import json
import os
import socket
import subprocess
import sys
import threading

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib_domus import (DOMUSCTL, Daemon, Failure, Listener, Tap, check, ctl, ctl_ok, guest_cfg,  # noqa: E402
                       rpc_call, serial_text, wait_until)
from lib_qemu import READY_LINE, end_process, make_temp_dir  # noqa: E402

BOOT_TIMEOUT = 120.0
CRASH_TIMEOUT = 30.0

COMMAND_SCRIPT = """import json, os, sys
alert = json.loads(sys.stdin.readline())
env = {k: v for k, v in os.environ.items() if k.startswith("DOMUS_")}
with open(sys.argv[1], "a") as f:
    f.write(json.dumps({"stdin": alert, "env": env}) + "\\n")
"""



class Follower:
    """`domusctl alerts --follow --json`: its lines, read by a thread."""

    def __init__(self, uri):
        self.proc = subprocess.Popen([DOMUSCTL, "--connect", uri, "alerts", "--follow", "--json"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.lines = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            with self.lock:
                self.lines.append(json.loads(line))

    def alerts(self):
        with self.lock:
            return list(self.lines)

    def stop(self):
        end_process(self.proc)
        self.thread.join(5)
        return self.proc.returncode


def rpc_error(socket_path, method, **params):
    """The error a call gets: (kind, message); Failure if it succeeds."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(socket_path)
        f = sock.makefile("rwb", buffering=0)
        f.write((json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
                 + "\n").encode())
        while True:
            reply = json.loads(f.readline())
            if reply.get("id") == 1:
                break
    check("error" in reply, "%s %r succeeded: %r" % (method, params, reply.get("result")))
    return reply["error"]["data"]["kind"], reply["error"]["message"]


def read_runs(path):
    try:
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []



def main(guest_dir):
    tap = Tap()
    root = make_temp_dir("domus-alerts-")
    daemon = None
    events = None
    ok = False
    runs_path = os.path.join(root, "runs.jsonl")
    script = os.path.join(root, "alert-command.py")
    conf = os.path.join(root, "domusd.conf")
    with open(script, "w") as f:
        f.write(COMMAND_SCRIPT)
    command_line = "%s %s %s" % (sys.executable, script, runs_path)
    with open(conf, "w") as f:
        f.write("# the test's own\n[alerts]\ndisk-percent=1\ncpu-percent=0\ncommand=%s\n" % command_line)
    state = {}
    follower = None
    try:
        def bad_config_refused():
            bad_root = os.path.join(root, "bad")
            os.makedirs(bad_root)
            bad_conf = os.path.join(bad_root, "domusd.conf")
            with open(bad_conf, "w") as f:
                f.write("[alerts]\n# a comment\ncpu-percent=200\n")
            bad = Daemon(bad_root, log_name="bad.log", name="bad")
            status = bad.wait_exit(15)
            log = bad.log_text()
            bad.stop()
            check(status == 2 and "%s:3: [alerts] cpu-percent:" % bad_conf in log and "200" in log,
                  "status %r, log %r" % (status, log))
            check(not os.path.exists(os.path.join(bad_root, "domusd.sock")), "the bad daemon listened")

        tap.step("a bad [alerts] value stops domusd before it listens, naming file, line and key",
                 bad_config_refused)

        daemon = Daemon(root).wait_listening()
        events = Listener(daemon.socket_path)
        uri = daemon.uri

        def disk_alert_at_start():
            check(wait_until(lambda: any(a["kind"] == "disk-space" for a in
                                         rpc_call(daemon.socket_path, "alerts.list")["alerts"]), 15),
                  "no disk-space alert: %r" % rpc_call(daemon.socket_path, "alerts.list"))
            alert = [a for a in rpc_call(daemon.socket_path, "alerts.list")["alerts"]
                     if a["kind"] == "disk-space"][0]
            images = os.path.join(os.path.realpath(root), "images")
            check(alert["path"] == images and images in alert["message"] and alert["threshold"] == 1
                  and alert["domain"] is None and not alert["acknowledged"] and alert["value"] > 1,
                  "alert %r" % alert)
            check(wait_until(lambda: any(r["env"].get("DOMUS_ALERT_KIND") == "disk-space"
                                         for r in read_runs(runs_path)), 15),
                  "the command did not run: %r\n%s" % (read_runs(runs_path), daemon.log_text()))
            run = [r for r in read_runs(runs_path) if r["env"]["DOMUS_ALERT_KIND"] == "disk-space"][0]
            check(run["stdin"]["id"] == alert["id"] and run["env"]["DOMUS_ALERT_ID"] == str(alert["id"])
                  and run["env"]["DOMUS_ALERT_PATH"] == images and run["env"]["DOMUS_HOST"] == "testhost"
                  and run["env"]["DOMUS_ALERT_MESSAGE"] == alert["message"],
                  "the command got %r for %r" % (run, alert))
            state["disk"] = alert
            r = ctl(uri, "alerts")
            check(r.returncode == 0 and len(r.stdout.splitlines()) == 1
                  and r.stdout.split()[0] == str(alert["id"]) and " open " in r.stdout
                  and " disk-space " in r.stdout and images in r.stdout,
                  "domusctl alerts: %d %r %r" % (r.returncode, r.stdout, r.stderr))

        tap.step("disk-percent=1: the image store's filesystem raises an alert at start, and the "
                 "command gets it in DOMUS_ALERT_* and as JSON on its input", disk_alert_at_start)

        def crash_raises_alert():
            nonlocal follower
            follower = Follower(uri)
            check(wait_until(lambda: any(a["kind"] == "disk-space" for a in follower.alerts()), 20),
                  "domusctl alerts --follow did not list the kept alert: %r" % follower.alerts())
            config = guest_cfg(guest_dir, "keeper", "on_crash = 'preserve'\n").replace(
                "console=tty0 console=ttyS0", "console=tty0 console=ttyS0 sysrq_always_enabled")
            path = os.path.join(root, "keeper.cfg")
            with open(path, "w") as f:
                f.write(config)
            ctl_ok(uri, "create", path, timeout=120)
            check(wait_until(lambda: READY_LINE in serial_text(root, "keeper"), BOOT_TIMEOUT),
                  "keeper did not boot: %r" % serial_text(root, "keeper")[-300:])
            check(not [a for a in events.of("alert.raised") if a["kind"] == "domain-crashed"],
                  "a crash alert before the crash")
            ctl_ok(uri, "sysrq", "keeper", "c")
            check(wait_until(lambda: [a for a in events.of("alert.raised")
                                      if a["kind"] == "domain-crashed"], CRASH_TIMEOUT),
                  "no alert.raised for the crash; events %r" % events.items[-5:])
            alert = [a for a in events.of("alert.raised") if a["kind"] == "domain-crashed"][0]
            check(alert["domain"] == "keeper" and "keeper" in alert["message"]
                  and alert["id"] > state["disk"]["id"] and not alert["acknowledged"],
                  "alert %r" % alert)
            listed = rpc_call(daemon.socket_path, "alerts.list")
            check(alert in listed["alerts"] and listed["unacknowledged"] == len(listed["alerts"]),
                  "alerts.list %r" % listed)
            check(wait_until(lambda: any(r["stdin"]["id"] == alert["id"] for r in read_runs(runs_path)), 15),
                  "the command did not run for the crash: %r" % read_runs(runs_path))
            run = [r for r in read_runs(runs_path) if r["stdin"]["id"] == alert["id"]][0]
            check(run["env"]["DOMUS_ALERT_KIND"] == "domain-crashed"
                  and run["env"]["DOMUS_ALERT_DOMAIN"] == "keeper", "the command got %r" % run)
            check(wait_until(lambda: any(a["id"] == alert["id"] and a["kind"] == "domain-crashed"
                                         and a["domain"] == "keeper" for a in follower.alerts()), 10),
                  "domusctl alerts --follow did not print the crash: %r" % follower.alerts())
            state["crash"] = alert

        if not tap.step("a guest that panics (on_crash = 'preserve') raises a domain-crashed alert: "
                        "alert.raised to a client, in alerts.list, and the command runs", crash_raises_alert):
            return tap.finish()

        def acknowledge():
            crash_id = state["crash"]["id"]
            kind, message = rpc_error(daemon.socket_path, "alerts.acknowledge", ids=[crash_id], all=True)
            check(kind == "invalid-params", "ids and all: %s %s" % (kind, message))
            kind, message = rpc_error(daemon.socket_path, "alerts.acknowledge", ids=[0])
            check(kind == "invalid-params", "id 0: %s %s" % (kind, message))
            result = rpc_call(daemon.socket_path, "alerts.acknowledge", ids=[crash_id, 999999])
            check(result == {"ids": [crash_id]}, "acknowledge: %r" % result)
            check(wait_until(lambda: {"ids": [crash_id]} in events.of("alert.acknowledged"), 30),
                  "no alert.acknowledged event: %r" % events.items[-3:])
            result = rpc_call(daemon.socket_path, "alerts.acknowledge", ids=[crash_id])
            check(result == {"ids": []}, "twice: %r" % result)
            open_ids = [a["id"] for a in rpc_call(daemon.socket_path, "alerts.list",
                                                  unacknowledged=True)["alerts"]]
            check(crash_id not in open_ids and state["disk"]["id"] in open_ids, "open: %r" % open_ids)

        tap.step("alerts.acknowledge marks the crash alert (alert.acknowledged to clients); "
                 "bad ids are refused", acknowledge)

        def acknowledge_with_domusctl():
            disk_id = state["disk"]["id"]
            r = ctl(uri, "alerts", "-a", "999999")
            check(r.returncode == 1 and "999999" in r.stderr, "an unknown id: %d %r" % (r.returncode, r.stderr))
            ctl_ok(uri, "alerts", "--acknowledge", str(disk_id))
            r = ctl(uri, "alerts", "--open", "--json")
            check(r.returncode == 0 and json.loads(r.stdout) == [], "still open: %r" % r.stdout)
            r = ctl(uri, "alerts", "--json")
            check(all(a["acknowledged"] for a in json.loads(r.stdout)), "alerts: %r" % r.stdout)

        tap.step("domusctl alerts --acknowledge ID acknowledges; --open then lists none",
                 acknowledge_with_domusctl)

        def set_rules():
            with open(conf) as f:
                before = f.read()
            for rules in ({"cpu-percent": 101}, {"command": "/bin/sh -c reboot"}, {"cpu-pct": 5},
                          {"keep": "ten"}):
                kind, message = rpc_error(daemon.socket_path, "alerts.set_rules", rules=rules)
                check(kind == "invalid-params", "%r: %s %s" % (rules, kind, message))
            with open(conf) as f:
                check(f.read() == before, "a refused change touched domusd.conf")
            result = rpc_call(daemon.socket_path, "alerts.set_rules",
                              rules={"disk-percent": 0, "cpu-minutes": 7})
            check(result["rules"]["disk-percent"] == 0 and result["rules"]["cpu-minutes"] == 7
                  and result["rules"]["command"] == command_line and result["config"] == conf,
                  "set_rules: %r" % result)
            with open(conf) as f:
                after = f.read()
            check("disk-percent=0" in after and "cpu-minutes=7" in after and "# the test's own" in after
                  and "command=" + command_line in after, "domusd.conf now:\n%s" % after)
            check(rpc_call(daemon.socket_path, "alerts.get_rules")["rules"] == result["rules"],
                  "get_rules disagrees")
            r = ctl(uri, "alerts", "--set", "memory-percent=97")
            check(r.returncode == 0 and "memory-percent=97\n" in r.stdout and "disk-percent=0\n" in r.stdout,
                  "domusctl alerts --set: %d %r %r" % (r.returncode, r.stdout, r.stderr))
            r = ctl(uri, "alerts", "--set", "memory-percent=170")
            check(r.returncode == 1 and "memory-percent" in r.stderr, "--set 170: %r" % r.stderr)
            r = ctl(uri, "alerts", "--rules")
            check(r.returncode == 0 and "memory-percent=97\n" in r.stdout and ("# kept in %s" % conf) in r.stdout,
                  "domusctl alerts --rules: %r" % r.stdout)

        tap.step("alerts.set_rules writes [alerts] into domusd.conf (keeping its comment and "
                 "command); bad values and the command are refused, changing nothing", set_rules)

        def kept_across_restart():
            nonlocal daemon, events
            before = rpc_call(daemon.socket_path, "alerts.list")["alerts"]
            events.close()
            events = None
            daemon.stop()
            # The follower lost its host: that is an alert of the client's own.
            check(wait_until(lambda: any(a["kind"] == "host-lost" and a["id"] is None
                                         and "testhost" in a["message"] for a in follower.alerts()), 15),
                  "domusctl alerts --follow said nothing of the lost daemon: %r" % follower.alerts()[-3:])
            daemon = Daemon(root, log_name="domusd-2.log").wait_listening()
            after = rpc_call(daemon.socket_path, "alerts.list")["alerts"]
            check(after == before, "before %r\nafter %r" % (before, after))
            check(rpc_call(daemon.socket_path, "alerts.get_rules")["rules"]["disk-percent"] == 0,
                  "the rule set before the restart is not read back")

        tap.step("a restarted daemon keeps the alerts (ids, acknowledged) and the rules", kept_across_restart)
        ok = tap.failed == 0
    except Failure as e:
        tap.ok(False, "the test ran to its end", str(e))
    finally:
        if follower is not None:
            follower.stop()
        if events is not None:
            events.close()
        if daemon is not None:
            daemon.stop()
        if not ok:
            print("# left for a look: %s" % root, flush=True)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
