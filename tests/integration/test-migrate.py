#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Live migration between two daemons on one machine, through `domusctl migrate`.

Usage: test-migrate.py GUEST_DIR   (DOMUS_BUILD_DIR from the environment)

Three domusd run with --root in folders of their own and different --name: A (the
source) and B (a target) allow 127.0.0.1 in their domusd.conf; C has relocation on
but names only 192.0.2.1 in hosts-allow. The test guest (TCG) runs on A and counts
on its serial port. Steps: C refuses; a cancel (SIGINT to domusctl) and a target
killed mid-way (its daemon and its QEMU, with --bandwidth 5 to make room) both leave
the guest counting on A with nothing on B; a live migration to B where the ticks on B
continue from A's; --copy-storage of a disk the guest wrote, read back on B; start
--on for a shut-off domain; --encrypt to D, a fourth daemon on 127.0.0.1 with a fixed
relocation port: a capture of the loopback interface (an AF_PACKET socket of the test's
own, filtered to that port) sees the stream open with a TLS handshake record and never
QEMU's QEVM magic, D's log says the migration was prepared encrypted, and the guest's
ticks on D continue the source's. Everything started here is ended by its PID. TAP
output, the plan last.
"""

import glob
import json
import os
import re
import signal
import socket
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import lib_domus  # noqa: E402
from lib_domus import (Console, Failure, Listener, Tap, check, pid_alive, qemu_pids_naming,  # noqa: E402
                       rpc_call, wait_until)
from lib_qemu import READY_LINE, counts_up, make_temp_dir, ticks_in  # noqa: E402
from lib_capture import LoopbackCapture  # noqa: E402
from lib_sshd import SSHD, Sshd  # noqa: E402

BUILD_DIR = os.environ["DOMUS_BUILD_DIR"]
DOMUSCTL = os.path.join(BUILD_DIR, "cli", "domusctl")
BOOT_TIMEOUT = 90.0        # TCG on a shared two-core machine
MIGRATE_TIMEOUT = 120.0
FINAL_RE = re.compile(r"downtime (\d+) ms, total (\d+) ms, transferred (\d+) MiB")

RELOCATION_CONF = ("[relocation]\n"
                   "enabled=true\n"
                   "address=127.0.0.1\n"
                   "port=%d\n"
                   "hosts-allow=%s\n")
QEMU_STREAM_MAGIC = b"QEVM"
# A failed step shows each daemon's lines about the step's domains (at most this many, the
# last ones), then its last lines; each line cut to LOG_LINE_CHARS.
LOG_LINES_ABOUT = 150
LOG_LINES_LAST = 8
LOG_LINE_CHARS = 300
ENCRYPTED_LOG = "(encrypted: TLS with this migration's key)"


def free_port_pair():
    """A loopback port p with p + 1 free as well (a fixed relocation port's NBD port)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue
    raise Failure("no two free loopback ports in a row")


def progress(events, name):
    """The migration.progress notifications a Listener got for the domain name."""
    return [p for p in events.of("migration.progress") if p.get("name") == name]


class Skip(Exception):
    """A step that cannot run here (no sshd)."""


class Host:
    """One daemon under a root of its own, with its relocation settings."""

    def __init__(self, base, label, hosts_allow, port=0):
        self.label = label
        self.root = os.path.join(base, label)
        self.port = port
        os.mkdir(self.root, 0o700)
        with open(os.path.join(self.root, "domusd.conf"), "w") as f:
            f.write(RELOCATION_CONF % (port, hosts_allow))
        self.daemon = None
        self.logs = 0
        self.socket_path = os.path.join(self.root, "domusd.sock")
        self.uri = "unix:" + self.socket_path

    def start(self):
        self.logs += 1
        self.daemon = lib_domus.Daemon(self.root, "domusd-%d.log" % self.logs,
                                       name="host-" + self.label,
                                       extra_env={"G_MESSAGES_DEBUG": "all"})
        self.daemon.wait_listening()

    def call(self, method, **params):
        return rpc_call(self.socket_path, method, **params)

    def ctl(self, *args, timeout=60.0):
        return subprocess.run([DOMUSCTL, "--connect", self.uri] + list(args),
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout)

    def domains(self):
        """name -> domain object, every defined or active domain."""
        return {d["name"]: d for d in self.call("domain.list", all=True)["domains"]}

    def running(self, name):
        d = self.domains().get(name)
        return d is not None and d["state"] in ("running", "blocked") and d.get("id") is not None

    def log_tail(self):
        if self.daemon is None:
            return ""
        return "\n--- %s %s ---\n%s" % (self.label, os.path.basename(self.daemon.log_path),
                                       self.daemon.log_text()[-1500:])

    def log_about(self, names):
        """What a failed step shows of this daemon: every line of its log that names one of
        the domains (their states, QMP events and migrations, from its debug lines), its
        warnings, and its last lines. CI keeps only an excerpt of the test's output: a tail
        alone cuts the lines that explain the failure."""
        if self.daemon is None:
            return ""
        text = self.daemon.log_text()
        lines = text.splitlines()
        named = re.compile(r"\b(%s)\b|WARNING|CRITICAL|\[domusd \d+ ended" % "|".join(map(re.escape, names)))
        about = [line[:LOG_LINE_CHARS] for line in lines if named.search(line)]
        cut = len(about) - LOG_LINES_ABOUT
        return "\n--- %s %s (%s): %d lines about %s%s ---\n%s\n--- %s, its last lines ---\n%s" % (
            self.label, os.path.basename(self.daemon.log_path), self.daemon.log_path, len(about),
            ", ".join(names), ", the first %d left out" % cut if cut > 0 else "",
            "\n".join(about[-LOG_LINES_ABOUT:]), self.label,
            "\n".join(line[:LOG_LINE_CHARS] for line in lines[-LOG_LINES_LAST:]))

    def cfg_files(self):
        return sorted(os.path.basename(p) for p in glob.glob(os.path.join(self.root, "domains", "*.cfg")))

    def stop(self):
        if self.daemon is not None:
            self.daemon.stop()
        for pid in qemu_pids_naming(self.root):
            os.kill(pid, signal.SIGKILL)
            wait_until(lambda: not pid_alive(pid), 5)


class Migration:
    """The state the steps share."""

    def __init__(self, base, guest_dir):
        self.base = base
        self.guest_dir = guest_dir
        self.a = Host(base, "a", r"^localhost$;^127\.0\.0\.1$")
        self.b = Host(base, "b", r"^localhost$;^127\.0\.0\.1$")
        self.c = Host(base, "c", r"^192\.0\.2\.1$")
        self.d = Host(base, "d", r"^localhost$;^127\.0\.0\.1$", port=free_port_pair())
        self.work = os.path.join(base, "work")
        os.mkdir(self.work, 0o700)
        self.consoles = []
        self.events = []
        self.migrations = []   # domusctl migrate processes started in the background
        self.sshd = None

    def guest_cfg(self, name, extra_cmdline="", extra=""):
        return ("name = '%s'\n"
                "kernel = '%s'\n"
                "ramdisk = '%s'\n"
                "extra = 'console=ttyS0 %s'\n"
                "memory = 128\n"
                "vcpus = 1\n"
                "on_poweroff = 'destroy'\n"
                "%s"
                % (name, os.path.join(self.guest_dir, "vmlinuz"),
                   os.path.join(self.guest_dir, "initrd.img"), extra_cmdline, extra))

    def write_cfg(self, filename, text):
        path = os.path.join(self.work, filename)
        with open(path, "w") as f:
            f.write(text)
        return path

    def console(self, host, name):
        console = Console(host.uri, name)
        self.consoles.append(console)
        return console

    def watch(self, host):
        events = Listener(host.socket_path, hello=True)
        self.events.append(events)
        return events

    def migrate(self, source, target, *args, timeout=MIGRATE_TIMEOUT):
        return subprocess.run([DOMUSCTL, "--connect", source.uri, "migrate"] + list(args) + [target.uri],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout)

    def migrate_background(self, source, target, *args):
        proc = subprocess.Popen([DOMUSCTL, "--connect", source.uri, "migrate"] + list(args) + [target.uri],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        self.migrations.append(proc)
        return proc

    def teardown(self):
        if self.sshd is not None:
            self.sshd.kill()
        for proc in self.migrations:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for console in self.consoles:
            console.stop()
        for events in self.events:
            events.close()
        for host in (self.a, self.b, self.c, self.d):
            host.stop()


def finish_background(proc, timeout, after):
    """stdout and stderr of a background domusctl; a Failure with what it said if it hangs."""
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise Failure("domusctl migrate did not end within %d s of %s; it said:\n%s%s"
                      % (timeout, after, out, err))


def crashed_on(host, name):
    """Whether the daemon on host saw the domain's guest crash (its log says so): from the
    panic on, while its QEMU is ended, and after."""
    log = host.daemon.log_text()
    return any(("domain %s: %s" % (name, what)) in log
               for what in ("ending its stopped QEMU (crashed)", "ended (crashed)"))


def crash_note(host, name):
    """For a failure: that the guest crashed on host after the move, if its daemon says so."""
    if not crashed_on(host, name):
        return ""
    return ("; its kernel died on %s after the move and the daemon started it again (its serial lines in "
            "%s's log below; docs/test-guest.md, \"A guest that dies after a live migration\")"
            % (host.label, host.label))


def note_crash_after_move(host, name):
    """Says on stdout (TAP) and stderr that the guest's kernel died on host right after a live
    migration, with the first lines of what it printed (the daemon logs them)."""
    serial = [line.split(": serial: ", 1)[1] for line in host.daemon.log_text().splitlines()
              if ("domain %s: serial: " % name) in line]
    telling = [line for line in serial if any(word in line for word in ("BUG:", "Oops", "RIP:", "Kernel panic"))]
    serial = telling or serial
    note = ("# %s: its guest's kernel died on %s right after the live migration (%s); a rare fault "
            "of live migrations of a TCG guest, not attributed yet (docs/test-guest.md, \"A guest that "
            "dies after a live migration\"): the daemon started it again (on_crash), the step goes on with it"
            % (name, host.label, " | ".join(serial[:3]) or "no serial lines logged"))
    lib_domus.say_known_fault(note)


def serial_log_ticks(host, name):
    """The ticks in the domain's serial.log on host (everything since its QEMU started)."""
    d = host.call("domain.get", name=name)
    path = d.get("serial_log")
    check(path is not None, "%s on %s has no serial_log: %r" % (name, host.label, d))
    try:
        with open(path, "rb") as f:
            text = f.read().decode("latin-1").replace("\r", "")
    except FileNotFoundError:
        return [], ""
    return ticks_in(text.split("\n")), text


def steps(m):
    a, b, c = m.a, m.b, m.c
    mover_cfg = m.write_cfg("mover.cfg", m.guest_cfg("mover"))
    state = {}

    def start_daemons():
        for host in (a, b, c):
            host.start()
        hello = b.call("hello")
        check("migration.prepare" in hello.get("capabilities", []),
              "B's capabilities lack migration.prepare: %s" % hello.get("capabilities"))
        relocation = hello.get("relocation", {})
        check(relocation.get("enabled") is True and relocation.get("address") == "127.0.0.1",
              "B's hello relocation: %r" % relocation)

    def create_on_a():
        r = a.ctl("create", mover_cfg)
        check(r.returncode == 0, "create: exit %d: %s" % (r.returncode, r.stderr))
        console = m.console(a, "mover")
        state["console"] = console
        ticks = console.wait_ticks(lambda t: counts_up(t, 3), BOOT_TIMEOUT)
        check(counts_up(ticks, 3), "ticks on A: %s\n%s" % (ticks, console.text()[-1500:]))

    def still_on_a(what):
        """The guest runs on A and counts on; B has no trace of it."""
        console = state["console"]
        check(a.running("mover"), "%s: mover is not running on A: %r" % (what, a.domains().get("mover")))
        seen = len(console.ticks())
        ticks = console.wait_ticks(lambda t: len(t) >= seen + 2, 20)
        check(len(ticks) >= seen + 2 and counts_up(ticks[-3:], 3),
              "%s: the guest does not count on A any more: %s (console exit %s)"
              % (what, ticks[-5:], console.proc.poll()))

    def nothing_on(host, what):
        gone = wait_until(lambda: not qemu_pids_naming(host.root), 20)
        check(gone, "%s: QEMU left on %s: %s" % (what, host.label, qemu_pids_naming(host.root)))
        ok = wait_until(lambda: "mover" not in host.domains(), 20)
        check(ok, "%s: %s still lists mover: %r" % (what, host.label, host.domains().get("mover")))
        check("mover.cfg" not in host.cfg_files(), "%s: %s has domains/mover.cfg" % (what, host.label))
        run = os.path.join(host.root, "run")
        leftovers = [n for n in (os.listdir(run) if os.path.isdir(run) else []) if "mover" in n]
        check(not leftovers, "%s: run folders left on %s: %s" % (what, host.label, leftovers))

    def checks_only():
        r = a.ctl("migrate", "--check", "mover", b.uri)
        check(r.returncode == 0, "exit %d: %s%s" % (r.returncode, r.stdout, r.stderr))
        ids = [line.split()[1].rstrip(":") for line in r.stdout.splitlines()
               if line.startswith("ok ")]
        for wanted in ("relocation", "memory", "name", "disks", "cpu", "devices"):
            check(wanted in ids, "no passed %r check:\n%s" % (wanted, r.stdout))
        nothing_on(b, "--check")
        # A check that fails says so, with status 1: B already has a domain of that name.
        cfg = m.write_cfg("clash.cfg", m.guest_cfg("mover"))
        r = b.ctl("define", cfg)
        check(r.returncode == 0, "define on B: %s" % r.stderr)
        r = a.ctl("migrate", "--check", "mover", b.uri)
        failed = [line for line in r.stdout.splitlines() if line.startswith("FAILED name:")]
        check(r.returncode == 1 and failed, "exit %d:\n%s%s" % (r.returncode, r.stdout, r.stderr))
        r = b.ctl("undefine", "mover")
        check(r.returncode == 0, "undefine on B: %s" % r.stderr)

    def refused_by_hosts_allow():
        r = m.migrate(a, c, "--live", "mover")
        check(r.returncode != 0, "C took mover although its hosts-allow names only 192.0.2.1:\n" + r.stdout)
        check(r.stderr.startswith("domusctl: ") and not FINAL_RE.search(r.stdout),
              "stdout %r stderr %r" % (r.stdout, r.stderr))
        # The target's own reason, not the broken pipe the source saw.
        check("hosts-allow" in r.stderr and "127.0.0.1" in r.stderr,
              "the error does not say hosts-allow refused 127.0.0.1: %r" % r.stderr)
        nothing_on(c, "refused")
        still_on_a("refused")
        state["refused_message"] = r.stderr.strip()

    def cancel_with_sigint():
        events = m.watch(a)
        proc = m.migrate_background(a, b, "--live", "--bandwidth", "5", "mover")
        active = wait_until(lambda: any(p.get("phase") == "active" and p.get("transferred_bytes", 0) > 0
                                        for p in progress(events, "mover")) or proc.poll() is not None, 60, 0.05)
        check(active and proc.poll() is None,
              "no active migration.progress before the end: exit %s, %s"
              % (proc.poll(), proc.stderr.read() if proc.poll() is not None else progress(events, "mover")[-3:]))
        check(qemu_pids_naming(b.root), "no QEMU waits on B during the migration")
        proc.send_signal(signal.SIGINT)
        out, err = finish_background(proc, 60, "SIGINT")
        check(proc.returncode != 0, "exit 0 after SIGINT: %r" % out)
        check("cancel" in err.lower(), "stderr does not say it was cancelled: %r" % err)
        check(not FINAL_RE.search(out), "a result line after a cancel: %r" % out)
        phases = [p.get("phase") for p in progress(events, "mover")]
        check("cancelled" in phases or "failed" in phases, "progress phases: %s" % sorted(set(phases)))
        nothing_on(b, "cancel")
        still_on_a("cancel")

    def target_killed():
        events = m.watch(a)
        proc = m.migrate_background(a, b, "--live", "--bandwidth", "5", "mover")
        active = wait_until(lambda: any(p.get("phase") == "active" and p.get("transferred_bytes", 0) > 0
                                        for p in progress(events, "mover")) or proc.poll() is not None, 60, 0.05)
        check(active and proc.poll() is None, "no active migration before the end: exit %s" % proc.poll())
        qemus = qemu_pids_naming(b.root)
        check(qemus, "no QEMU on B to kill")
        b.daemon.kill()
        for pid in qemus:
            os.kill(pid, signal.SIGKILL)
        out, err = finish_background(proc, 60, "the target's death")
        check(proc.returncode not in (0, None), "exit %s after the target died: %r" % (proc.returncode, out))
        check(err.startswith("domusctl: ") and len(err.strip().splitlines()) == 1,
              "not one error line: %r" % err)
        still_on_a("target killed")
        # The target comes back and must have nothing of the half-done migration.
        b.start()
        nothing_on(b, "target killed, restarted")

    def live_migration():
        console = state["console"]
        before = console.ticks()
        r = m.migrate(a, b, "--live", "mover")
        check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr))
        lines = r.stdout.splitlines()
        check(lines and FINAL_RE.fullmatch(lines[-1]) is not None, "last line: %r" % r.stdout)
        check(len(lines) == 1, "more than the result line on a pipe: %r" % r.stdout)
        downtime, total, mib = (int(x) for x in FINAL_RE.fullmatch(lines[-1]).groups())
        state["live"] = (downtime, total, mib)
        print("# live migration of the idle test guest (128 MiB, TCG): " + lines[-1], flush=True)
        check(total > 0 and mib > 0, "result %r" % lines[-1])
        # A lets go: the console there ends, the config is moved aside, not deleted.
        wait_until(lambda: console.proc.poll() is not None, 15)
        source_ticks = console.ticks()
        check(len(source_ticks) > len(before) - 1, "source ticks %s" % source_ticks[-3:])
        check("mover" not in a.domains(), "A still lists mover: %r" % a.domains().get("mover"))
        moved = glob.glob(os.path.join(a.root, "domains", ".migrated", "mover.cfg.*"))
        check(moved, "A's config was not moved to domains/.migrated/")
        check(not qemu_pids_naming(a.root), "a QEMU is left on A")
        # B owns it: running, its config in domains/, and the guest did not restart.
        d = b.domains().get("mover")
        check(d is not None and d["state"] in ("running", "blocked"), "on B: %r" % d)
        check("mover.cfg" in b.cfg_files(), "B has no domains/mover.cfg: %s" % b.cfg_files())
        ok = wait_until(lambda: len(serial_log_ticks(b, "mover")[0]) >= 3, 20)
        target_ticks, text = serial_log_ticks(b, "mover")
        check(ok and counts_up(target_ticks, 3), "ticks on B: %s%s" % (target_ticks, crash_note(b, "mover")))
        check(READY_LINE not in text, "the guest booted again on B%s:\n%s" % (crash_note(b, "mover"), text[-800:]))
        check("mover: prepared, waiting on tcp:127.0.0.1:" in b.daemon.log_text()
              and ENCRYPTED_LOG not in b.daemon.log_text(),
              "to loopback without --encrypt the stream should go in clear (B's log below)")
        last = source_ticks[-1]
        check(last < target_ticks[0] <= last + 3,
              "ticks on B start at %d, A's last was %d (B: %s)" % (target_ticks[0], last, target_ticks[:5]))
        state["b_console_ticks"] = target_ticks

    def back_over_ssh():
        """B -> A, not live, with A's daemon reached through sshd: any --connect address will do."""
        if not os.access(SSHD, os.X_OK):
            raise Skip("no %s" % SSHD)
        sshd_dir = os.path.join(m.base, "sshd")
        os.mkdir(sshd_dir, 0o700)
        m.sshd = Sshd(sshd_dir).start()
        known_hosts = os.path.join(sshd_dir, "known_hosts")
        with open(m.sshd.host_key + ".pub") as f:
            key_type, key = f.read().split()[:2]
        with open(known_hosts, "w") as f:
            f.write("[127.0.0.1]:%d %s %s\n" % (m.sshd.port, key_type, key))
        os.chmod(known_hosts, 0o600)
        target_uri = m.sshd.uri(known_hosts) + "&socket=" + a.socket_path
        before = serial_log_ticks(b, "mover")[0]
        check(before, "no ticks on B before going back")
        # Without --live: the guest is paused first and moved whole, as xm migrate did.
        r = subprocess.run([DOMUSCTL, "--connect", b.uri, "migrate", "mover", target_uri],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=MIGRATE_TIMEOUT)
        check(r.returncode == 0, "exit %d: %s%s" % (r.returncode, r.stderr, m.sshd.log()))
        lines = r.stdout.splitlines()
        check(lines and FINAL_RE.fullmatch(lines[-1]), "stdout %r" % r.stdout)
        check(a.running("mover"), "mover on A: %r" % a.domains().get("mover"))
        check("mover" not in b.domains(), "B still lists mover")
        ok = wait_until(lambda: len(serial_log_ticks(a, "mover")[0]) >= 2, 20)
        ticks, text = serial_log_ticks(a, "mover")
        check(ok and READY_LINE not in text and before[-1] < ticks[0] <= before[-1] + 10,
              "ticks on A after coming back: %s (B's last: %s)" % (ticks[:4], before[-3:]))

    def start_on():
        cfg = m.write_cfg("idle.cfg", m.guest_cfg("idle"))
        r = a.ctl("define", cfg)
        check(r.returncode == 0, "define: %s" % r.stderr)
        r = a.ctl("start", "--on", b.uri, "idle")
        check(r.returncode == 0, "start --on: exit %d: %s" % (r.returncode, r.stderr))
        check(re.fullmatch(r"Started domain idle on \S+ \(id=\d+\)\n", r.stdout), "stdout %r" % r.stdout)
        check(b.running("idle") or b.domains().get("idle", {}).get("state") == "starting",
              "idle on B: %r" % b.domains().get("idle"))
        check("idle" not in a.domains(), "A still has idle: %r" % a.domains().get("idle"))
        check(glob.glob(os.path.join(a.root, "domains", ".migrated", "idle.cfg.*")),
              "A's idle.cfg was not moved aside")
        r = b.ctl("destroy", "idle")
        check(r.returncode == 0, "destroy on B: %s" % r.stderr)

    def start_on_running_refused():
        source, target = (a, b) if a.running("mover") else (b, a)
        check(source.running("mover"), "mover runs nowhere")
        r = source.ctl("start", "--on", target.uri, "mover")
        check(r.returncode != 0 and "shut-off" in r.stderr,
              "start --on of a running domain: exit %d, %r" % (r.returncode, r.stderr))
        check(source.running("mover"), "mover is not running on %s any more" % source.label)
        check("mover" not in target.domains(), "%s has mover" % target.label)

    def copy_storage():
        r = a.ctl("image", "create", "scratch", "16M")
        check(r.returncode == 0, "image create: %s" % r.stderr)
        images = json.loads(a.ctl("image", "list", "--json").stdout)
        path = [i["path"] for i in images if i["name"].startswith("scratch")][0]
        cfg = m.write_cfg("disky.cfg", m.guest_cfg("disky", "domus.disk=/dev/vda",
                                                   "disk = [ 'file:%s,xvda,w' ]\n" % path))
        r = a.ctl("create", cfg)
        check(r.returncode == 0, "create disky: %s" % r.stderr)
        console = m.console(a, "disky")
        ok = console.wait_ticks(lambda t: len(t) >= 2, BOOT_TIMEOUT)
        text = console.text()
        check("domus-disk /dev/vda marker 1" in text, "no marker 1 written on A:\n" + text[-1500:])
        r = m.migrate(a, b, "--live", "--copy-storage", "disky")
        check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr))
        check(FINAL_RE.fullmatch(r.stdout.splitlines()[-1]), "stdout %r" % r.stdout)
        wait_until(lambda: console.proc.poll() is not None, 15)
        check(b.running("disky"), "disky on B: %r" % b.domains().get("disky"))
        config = b.call("domain.get_config", name="disky")["config"]
        check(path not in config and os.path.join(b.root, "") in config,
              "B's config does not point at a copy in B's store:\n" + config)
        with open(path, "rb") as f:
            check(f.read(15) == b"domus-marker 1\n", "A's image lost the marker")
        # The guest reads the disk back: a reset runs init's marker test on the copy.
        r = b.ctl("reboot", "disky")
        if crashed_on(b, "disky"):
            # Its kernel died on B right after the move and the daemon restarts it (on_crash);
            # while it ends and starts again the reboot is refused ("not running"). The copy
            # is read back all the same, by the guest that boots on it.
            check(wait_until(lambda: b.running("disky"), BOOT_TIMEOUT), "disky did not start again on B")
            note_crash_after_move(b, "disky")
            if r.returncode != 0:
                r = b.ctl("reboot", "disky")
        check(r.returncode == 0, "reboot on B: %s" % r.stderr)
        ok = wait_until(lambda: "domus-disk /dev/vda marker 2" in serial_log_ticks(b, "disky")[1], BOOT_TIMEOUT)
        text = serial_log_ticks(b, "disky")[1]
        check(ok, "after the reset on B the guest did not find marker 1 on its disk:\n" + text[-1500:])
        check("head 646f6d75732d6d61726b657220310a" in text, "head after the move:\n" + text[-1500:])
        r = b.ctl("destroy", "disky")
        check(r.returncode == 0, "destroy: %s" % r.stderr)

    def encrypted_to_loopback():
        d = m.d
        source = a if a.running("mover") else b
        check(source.running("mover"), "mover runs on neither A nor B")
        if d.daemon is None:
            d.start()
        console = m.console(source, "mover")
        check(console.wait_ticks(lambda t: len(t) >= 1, 20), "no ticks on %s before the move" % source.label)
        capture = LoopbackCapture(d.port)
        try:
            r = m.migrate(source, d, "--live", "--encrypt", "--verbose", "mover")
        finally:
            capture.stop()
        check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr))
        lines = r.stdout.splitlines()
        check(lines and FINAL_RE.fullmatch(lines[-1]), "stdout %r" % r.stdout)
        check("went over TLS" in r.stderr, "--verbose does not say TLS: %r" % r.stderr)
        # The wire: QEMU's stream (over 100 MiB of guest memory) passed the fixed port, and
        # what passed began as TLS does (a handshake record), never as QEMU's stream does.
        flows = {k: bytes(v) for k, v in capture.flows.items()}
        check(capture.total > 1 << 20, "only %d bytes to port %d seen: %r"
              % (capture.total, d.port, {k: v[:8] for k, v in flows.items()}))
        check(all(v[0] == 0x16 and v[1] == 0x03 for v in flows.values()),
              "a connection to port %d did not begin with a TLS handshake: %r"
              % (d.port, {k: v[:8] for k, v in flows.items()}))
        check(not any(QEMU_STREAM_MAGIC in v for v in flows.values()), "QEMU's stream magic went in clear")
        print("# --encrypt: %d bytes to port %d in %d connection(s), each opening %s"
              % (capture.total, d.port, len(flows), sorted({v[:3].hex() for v in flows.values()})), flush=True)
        log = d.daemon.log_text()
        check(ENCRYPTED_LOG in log, "D's log does not say encrypted (its log below)")
        check(not glob.glob(os.path.join(d.root, "run", "*", "keys.psk")), "a key file is left on D")
        # The guest survived: it counts on D from where it stopped, without a new boot.
        wait_until(lambda: console.proc.poll() is not None, 15)
        last = console.ticks()[-1]
        ok = wait_until(lambda: len(serial_log_ticks(d, "mover")[0]) >= 3, 20)
        ticks, text = serial_log_ticks(d, "mover")
        check(ok and counts_up(ticks, 3) and READY_LINE not in text,
              "ticks on D: %s%s" % (ticks[:5], crash_note(d, "mover")))
        check(last < ticks[0] <= last + 3,
              "ticks on D start at %d, %s's last was %d" % (ticks[0], source.label, last))
        check("mover" not in source.domains(), "%s still lists mover" % source.label)

    def encrypted_to_loopback_once_more_after_a_crash():
        # The step that has met the rare guest crash after a move most (docs/test-guest.md,
        # "A guest that dies after a live migration"): when D's daemon says the guest died
        # there, the restarted guest is brought back to A in clear and the step is made once
        # more, said on TAP and stderr. Any other failure, or a second crash, fails it.
        try:
            encrypted_to_loopback()
            return
        except Failure:
            if not crashed_on(m.d, "mover"):
                raise
        note_crash_after_move(m.d, "mover")
        check(wait_until(lambda: len(serial_log_ticks(m.d, "mover")[0]) >= 1, BOOT_TIMEOUT),
              "the guest restarted on D does not count")
        r = m.migrate(m.d, a, "--live", "mover")
        check(r.returncode == 0, "back from D to A for the second try: exit %d: %s" % (r.returncode, r.stderr))
        print("# --encrypt: the step once more, the guest back on A", flush=True)
        encrypted_to_loopback()

    # (what the step checks, the step, the domains whose log lines a failure shows)
    return [
        ("three daemons start; B's hello reports relocation and the migration methods", start_daemons, ()),
        ("the test guest runs and counts on A", create_on_a, ("mover",)),
        ("migrate --check lists the target's checks; a name clash fails with status 1", checks_only, ("mover",)),
        ("C (hosts-allow names only 192.0.2.1) refuses: domusctl fails, nothing on C, guest counts on A",
         refused_by_hosts_allow, ("mover",)),
        ("SIGINT to domusctl migrate mid-way cancels: guest counts on A, nothing on B", cancel_with_sigint,
         ("mover",)),
        ("target daemon and QEMU killed mid-way (--bandwidth 5): rollback, guest counts on A, B clean",
         target_killed, ("mover",)),
        ("live migration A -> B: one result line, ticks on B continue A's, A keeps the config aside",
         live_migration, ("mover",)),
        ("the guest comes back B -> A paused (no --live), the target reached over ssh://", back_over_ssh,
         ("mover",)),
        ("start --on: a shut-off domain is started on B and leaves A", start_on, ("idle",)),
        ("start --on refuses a running domain", start_on_running_refused, ("mover",)),
        ("--copy-storage: the disk the guest wrote on A is copied to B's store and read back there",
         copy_storage, ("disky",)),
        ("--encrypt to a loopback target: TLS on the wire, never QEMU's stream in clear; the guest"
         " counts on", encrypted_to_loopback_once_more_after_a_crash, ("mover",)),
    ]


def main():
    guest_dir = os.path.abspath(sys.argv[1])
    tap = Tap()
    base = make_temp_dir("domus-mig-")
    m = Migration(base, guest_dir)
    try:
        for description, function, names in steps(m):
            try:
                function()
            except Skip as e:
                tap.ok(True, "%s # SKIP %s" % (description, e))
                continue
            except Exception as e:  # noqa: BLE001 - one broken step must not hide the others
                logs = "".join(h.log_about(names) if names else h.log_tail()
                               for h in (m.a, m.b, m.c, m.d))
                tap.ok(False, description, "%s: %s%s" % (type(e).__name__, e, logs))
                if description.startswith("three daemons"):
                    break
                continue
            tap.ok(True, description)
    finally:
        m.teardown()
        tap.remove_if_passed(base)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
