#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A guest kernel that panics, and what on_crash makes of it, on a real domusd and QEMU (TCG).

Usage: test-crash.py GUEST_DIR   (DOMUS_BUILD_DIR from the environment)

domusd runs with --root in a fresh folder. Three copies of the test guest boot with
sysrq_always_enabled on their command line: "keeper" (on_crash = 'preserve'), "phoenix"
(on_crash = 'restart') and "goner" (on_crash = 'destroy'). `domusctl sysrq NAME c` makes
each kernel panic (Alt+SysRq+C through QMP send-key); the guest's pvpanic driver tells
QEMU. Checked: keeper stays, crashed (`----c-`), its QEMU alive and stopped, until
`domusctl destroy`, and `domusctl dump-core` writes its memory as an ELF core (mode
0600) into the host's dump folder; phoenix boots again with a new id; goner is shut off. Bad keys and a
domain that is not running are refused with what was wrong. Then, while the daemon is
killed, phoenix's QEMU is killed too and "lazarus" (on_poweroff = 'restart', on_crash =
'destroy') is powered off through its QMP socket: the next daemon must start both again,
phoenix for its crash and lazarus for its power-off. Everything started here is
ended by PID. Output is TAP, the plan last.
"""

import json
import os
import re
import signal
import socket
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib_domus import (Daemon, Tap, check, ctl, ctl_ok, guest_cfg, listed, pid_alive, serial_text,  # noqa: E402
                       wait_until)
from lib_qemu import READY_LINE, make_temp_dir  # noqa: E402

BOOT_TIMEOUT = 120.0     # three TCG guests at once on two cores
CRASH_TIMEOUT = 30.0
POLICIES = {"keeper": "preserve", "phoenix": "restart", "goner": "destroy"}




def qemu_pid(root, name):
    try:
        with open(os.path.join(root, "run", name, "qemu.pid")) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def qmp(path, command):
    """One QMP command on QEMU's own socket (free while no daemon holds it); its reply."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(path)
        f = sock.makefile("rwb", buffering=0)
        reply = None
        for message in ({"execute": "qmp_capabilities"}, {"execute": command}):
            if reply is None:
                f.readline()  # the greeting
            f.write((json.dumps(message) + "\n").encode())
            while True:
                reply = json.loads(f.readline())
                if "event" not in reply:
                    break
        return reply


def main(guest_dir):
    tap = Tap()
    root = make_temp_dir("domus-crash-")
    daemons = []
    ok = False
    try:
        daemons.append(Daemon(root).wait_listening())
        uri = daemons[0].uri
        first_ids = {}

        def boot_all():
            for name, policy in POLICIES.items():
                config = guest_cfg(guest_dir, name, "on_crash = '%s'\n" % policy).replace(
                    "console=tty0 console=ttyS0", "console=tty0 console=ttyS0 sysrq_always_enabled")
                path = os.path.join(root, name + ".cfg")
                with open(path, "w") as f:
                    f.write(config)
                ctl_ok(uri, "create", path, timeout=120)
            check(wait_until(lambda: all(READY_LINE in serial_text(root, n) for n in POLICIES),
                             BOOT_TIMEOUT),
                  "not every guest booted: %r" % {n: serial_text(root, n)[-300:] for n in POLICIES})
            domains = listed(uri)
            for name in POLICIES:
                first_ids[name] = domains[name]["id"]

        if not tap.step("keeper, phoenix and goner boot (on_crash preserve, restart, destroy)", boot_all):
            return tap.finish()

        def bad_keys_refused():
            for key in ("C", "cc", "!"):
                r = ctl(uri, "sysrq", "keeper", key)
                check(r.returncode == 1 and "key must be one letter a-z or digit 0-9" in r.stderr
                      and key in r.stderr, "sysrq keeper %r: status %d, %r" % (key, r.returncode, r.stderr))
            r = ctl(uri, "sysrq", "keeper")
            check(r.returncode == 2, "sysrq without a key: status %d, %r" % (r.returncode, r.stderr))
            check(listed(uri)["keeper"]["state"] in ("running", "blocked"), "keeper did not keep running")

        tap.step("sysrq refuses a key that is not one letter or digit, and keeper keeps running",
                 bad_keys_refused)

        def keeper_preserved():
            pid = qemu_pid(root, "keeper")
            ctl_ok(uri, "sysrq", "keeper", "c")
            check(wait_until(lambda: listed(uri)["keeper"]["state"] == "crashed", CRASH_TIMEOUT),
                  "keeper is %r; its serial log ends %r"
                  % (listed(uri)["keeper"]["state"], serial_text(root, "keeper")[-400:]))
            domain = listed(uri)["keeper"]
            check(domain["flags"] == "----c-", "flags %r" % domain["flags"])
            check("Kernel panic" in serial_text(root, "keeper"), "no panic on keeper's serial port")
            check(pid is not None and pid_alive(pid) and qemu_pid(root, "keeper") == pid,
                  "keeper's QEMU %s is gone" % pid)
            r = ctl(uri, "list")
            check(any(line.split()[:1] == ["keeper"] and "----c-" in line for line in r.stdout.splitlines()),
                  "domusctl list shows %r" % r.stdout)
            # The dead guest's memory, for crash(8): an ELF core in the host's dump folder.
            r = ctl_ok(uri, "dump-core", "keeper")
            dumps = os.path.join(root, "dumps")
            files = [f for f in os.listdir(dumps) if f.startswith("keeper-") and f.endswith(".core")]
            check(len(files) == 1 and os.path.join(dumps, files[0]) in r.stdout,
                  "dump folder %r, domusctl said %r" % (files, r.stdout))
            core = os.path.join(dumps, files[0])
            info = os.stat(core)
            with open(core, "rb") as f:
                magic = f.read(4)
            check(magic == b"\x7fELF" and info.st_size >= 128 * 1024 * 1024 and info.st_mode & 0o777 == 0o600,
                  "%s: magic %r, %d bytes, mode %o" % (core, magic, info.st_size, info.st_mode & 0o777))
            ctl_ok(uri, "destroy", "keeper")
            check(wait_until(lambda: listed(uri)["keeper"]["state"] == "shutoff" and not pid_alive(pid),
                             CRASH_TIMEOUT), "keeper after destroy: %r" % listed(uri)["keeper"])

        tap.step("on_crash = 'preserve': after sysrq c keeper is crashed (----c-), its QEMU kept, "
                 "dump-core writes its memory (ELF, 0600), destroy ends it", keeper_preserved)

        def phoenix_restarted():
            before = serial_text(root, "phoenix").count(READY_LINE)
            ctl_ok(uri, "sysrq", "phoenix", "c")
            check(wait_until(lambda: listed(uri)["phoenix"]["id"] not in (None, first_ids["phoenix"])
                             and listed(uri)["phoenix"]["state"] in ("running", "blocked"), CRASH_TIMEOUT),
                  "phoenix is %r" % listed(uri)["phoenix"])
            # A new QEMU, a new serial log: the guest boots to its ready line again.
            check(wait_until(lambda: READY_LINE in serial_text(root, "phoenix"), BOOT_TIMEOUT),
                  "phoenix did not boot again (%d ready lines before)" % before)

        tap.step("on_crash = 'restart': phoenix runs again with a new id and boots", phoenix_restarted)

        def goner_destroyed():
            pid = qemu_pid(root, "goner")
            ctl_ok(uri, "sysrq", "goner", "c")
            check(wait_until(lambda: listed(uri)["goner"]["state"] == "shutoff", CRASH_TIMEOUT),
                  "goner is %r" % listed(uri)["goner"])
            check(pid is not None and not pid_alive(pid), "goner's QEMU %s still runs" % pid)
            # Its run folder is gone, and with it the serial log: the panic is in the daemon's.
            log = daemons[0].log_text()
            check("domain goner: crashed; the last lines on its serial port:" in log
                  and re.search(r"domain goner: serial: .*Kernel panic - not syncing: sysrq triggered crash", log),
                  "the daemon's log lacks goner's panic message:\n" + "\n".join(
                      line for line in log.splitlines() if "goner" in line)[-3000:])
            r = ctl(uri, "sysrq", "goner", "s")
            check(r.returncode == 1 and "not running" in r.stderr,
                  "sysrq on a shut-off domain: status %d, %r" % (r.returncode, r.stderr))
            r = ctl(uri, "dump-core", "goner")
            check(r.returncode == 1 and "not running" in r.stderr,
                  "dump-core of a shut-off domain: status %d, %r" % (r.returncode, r.stderr))
            check(not [f for f in os.listdir(os.path.join(root, "dumps")) if f.startswith("goner-")],
                  "a dump file was left for goner")

        tap.step("on_crash = 'destroy': goner is shut off; sysrq and dump-core on it are refused as"
                 " not running",
                 goner_destroyed)

        def applied_at_reattach():
            config = guest_cfg(guest_dir, "lazarus", "on_crash = 'destroy'\n").replace(
                "on_poweroff = 'destroy'", "on_poweroff = 'restart'")
            path = os.path.join(root, "lazarus.cfg")
            with open(path, "w") as f:
                f.write(config)
            ctl_ok(uri, "create", path, timeout=120)
            check(wait_until(lambda: READY_LINE in serial_text(root, "lazarus"), BOOT_TIMEOUT),
                  "lazarus did not boot: %r" % serial_text(root, "lazarus")[-300:])
            old = {name: (listed(uri)[name]["id"], qemu_pid(root, name)) for name in ("phoenix", "lazarus")}
            daemons[0].kill()
            os.kill(old["phoenix"][1], signal.SIGKILL)
            check(wait_until(lambda: not pid_alive(old["phoenix"][1]), 10), "phoenix's QEMU stays")
            lazarus_qmp = os.path.join(root, "run", "lazarus", "qmp.sock")
            qmp(lazarus_qmp, "system_powerdown")
            check(wait_until(lambda: "powering off" in serial_text(root, "lazarus"), CRASH_TIMEOUT),
                  "lazarus did not power off: %r" % serial_text(root, "lazarus")[-300:])
            check(wait_until(lambda: qmp(lazarus_qmp, "query-status").get("return", {}).get("status")
                             == "shutdown", CRASH_TIMEOUT),
                  "lazarus's QEMU is not waiting, stopped: %r" % qmp(lazarus_qmp, "query-status"))
            daemons.append(Daemon(root, "domusd-2.log").wait_listening())

            def started_again(name):
                domain = listed(uri).get(name, {})
                return (domain.get("state") in ("running", "blocked") and domain.get("id") != old[name][0]
                        and qemu_pid(root, name) not in (None, old[name][1]))

            check(wait_until(lambda: started_again("phoenix") and started_again("lazarus"), BOOT_TIMEOUT),
                  "after the restart: %r\n%s" % ({n: listed(uri).get(n) for n in old},
                                                 daemons[1].log_text()[-1500:]))
            check(not pid_alive(old["lazarus"][1]), "lazarus's stopped QEMU was not ended")
            log = daemons[1].log_text()
            check("phoenix: its QEMU ended while no daemon watched it; taken as a crash, on_crash = restart"
                  in log, "the log does not say why phoenix starts again:\n%s" % log[-1500:])

        tap.step("what happened while no daemon watched is applied by the next one: phoenix's "
                 "killed QEMU as a crash (restart), lazarus's power-off (on_poweroff restart)",
                 applied_at_reattach)
        ok = tap.failed == 0
    finally:
        for daemon in daemons:
            daemon.stop()
        if not ok:
            print("# left for a look: %s" % root, flush=True)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
