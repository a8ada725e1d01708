#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A domain's whole life driven through domusctl against a real domusd and QEMU (TCG).

Usage: test-lifecycle.py GUEST_DIR   (DOMUS_BUILD_DIR from the environment)

domusd runs with --root in a fresh folder. The test guest is created, listed, watched
on its serial console, paused and resumed, survives a SIGKILL of the daemon, is shut
down over ACPI, created again and destroyed; then bad configs, a QEMU that cannot start,
and the image store. Everything started here is ended by PID: the daemons, and every
QEMU whose pid file is under ROOT/run. Output is TAP, the plan last.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import lib_domus  # noqa: E402
from lib_domus import Console, Tap, check, pid_alive, wait_until  # noqa: E402
from lib_qemu import counts_up, make_temp_dir  # noqa: E402

BUILD_DIR = os.environ["DOMUS_BUILD_DIR"]
DOMUSD = os.path.join(BUILD_DIR, "hvcore", "domusd")
DOMUSCTL = os.path.join(BUILD_DIR, "cli", "domusctl")
BOOT_TIMEOUT = 90.0      # TCG on a shared two-core machine
CALL_TIMEOUT = 60.0
SHUTDOWN_TIMEOUT = 60.0


def is_qemu(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return b"qemu-system" in f.read()
    except OSError:
        return False


def Daemon(root, log_name):
    return lib_domus.Daemon(root, log_name)


class Life:
    """The state the steps share."""

    def __init__(self, root, guest_dir):
        self.root = root
        self.guest_dir = guest_dir
        self.uri = "unix:" + os.path.join(root, "domusd.sock")
        self.daemons = []
        self.consoles = []
        self.work = os.path.join(root, "work")
        os.mkdir(self.work, 0o700)
        self.domain_id = None
        self.qemu_pid = None
        self.last_tick = 0

    def start_daemon(self, log_name):
        daemon = Daemon(self.root, log_name)
        self.daemons.append(daemon)
        daemon.wait_listening()
        return daemon

    def ctl(self, *args, timeout=CALL_TIMEOUT):
        return subprocess.run([DOMUSCTL, "--connect", self.uri] + list(args),
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout)

    def console(self, name):
        console = Console(self.uri, name)
        self.consoles.append(console)
        return console

    def write_cfg(self, filename, text):
        path = os.path.join(self.work, filename)
        with open(path, "w") as f:
            f.write(text)
        return path

    def guest_cfg(self, name, extra=""):
        return ("name = '%s'\n"
                "kernel = '%s'\n"
                "ramdisk = '%s'\n"
                "extra = 'console=ttyS0'\n"
                "memory = 128\n"
                "vcpus = 1\n"
                "on_poweroff = 'destroy'\n"
                "%s"
                % (name, os.path.join(self.guest_dir, "vmlinuz"),
                   os.path.join(self.guest_dir, "initrd.img"), extra))

    def rows(self, *list_args):
        r = self.ctl("list", *list_args)
        check(r.returncode == 0, "list: exit %d: %s" % (r.returncode, r.stderr))
        rows = {}
        for line in r.stdout.splitlines()[1:]:
            # Name (40 columns) ID Mem VCPUs State Time: the ID is blank when off.
            name, rest = line[:40].rstrip(), line[40:].split()
            if len(rest) == 5:
                rows[name] = {"id": int(rest[0]), "flags": rest[3], "line": line}
            elif len(rest) == 4:
                rows[name] = {"id": None, "flags": rest[2], "line": line}
        return rows, r.stdout

    def run_dirs(self):
        run = os.path.join(self.root, "run")
        try:
            return sorted(n for n in os.listdir(run) if os.path.isdir(os.path.join(run, n)))
        except FileNotFoundError:
            return []

    def qemu_pid_of(self, name):
        try:
            with open(os.path.join(self.root, "run", name, "qemu.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def all_qemu_pids(self):
        pids = []
        for name in self.run_dirs():
            pid = self.qemu_pid_of(name)
            if pid is not None:
                pids.append(pid)
        return pids

    def teardown(self):
        for console in self.consoles:
            console.stop()
        for daemon in self.daemons:
            daemon.stop()
        # A daemon killed mid-test leaves its QEMUs running: end each by its PID.
        for pid in self.all_qemu_pids():
            if pid_alive(pid) and is_qemu(pid):
                os.kill(pid, signal.SIGKILL)
                wait_until(lambda: not pid_alive(pid), 5)


def steps(life):
    """(description, function) in order; a step that raises fails, and later ones still run."""
    tiny_cfg = life.write_cfg("tiny.cfg", life.guest_cfg("tiny"))
    state = {"console": None}

    def start_daemon():
        life.start_daemon("domusd-1.log")

    def create():
        r = life.ctl("create", tiny_cfg)
        check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr))
        m = re.fullmatch(r"Started domain tiny \(id=(\d+)\)\n", r.stdout)
        check(m is not None, "stdout %r" % r.stdout)
        life.domain_id = int(m.group(1))
        life.qemu_pid = life.qemu_pid_of("tiny")
        check(life.qemu_pid is not None and pid_alive(life.qemu_pid),
              "no live QEMU in run/tiny/qemu.pid (run: %s)" % life.run_dirs())

    def list_running():
        rows, out = life.rows()
        check("tiny" in rows, "tiny not listed:\n" + out)
        row = rows["tiny"]
        check(row["id"] == life.domain_id and life.domain_id > 0, "id: %r\n%s" % (row, out))
        check(row["flags"] in ("r-----", "-b----"), "flags %r\n%s" % (row["flags"], out))
        check(out.splitlines()[1].startswith("Domain-0 "), "Domain-0 is not first:\n" + out)

    def console_ticks():
        console = life.console("tiny")
        state["console"] = console
        ticks = console.wait_ticks(lambda t: counts_up(t, 3), BOOT_TIMEOUT)
        check(counts_up(ticks, 3), "ticks %s, exit %s, output:\n%s\nstderr: %s"
              % (ticks, console.proc.poll(), console.text()[-2000:],
                 console.stderr() if console.proc.poll() is not None else ""))
        life.last_tick = ticks[-1]

    def top_batch():
        r = life.ctl("top", "-b", "-n", "2")
        check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr))
        headers = [l for l in r.stdout.splitlines() if l.split()[:2] == ["NAME", "STATE"]]
        check(len(headers) == 2, "not two tables:\n" + r.stdout)
        check("\033" not in r.stdout, "escape sequences in batch output")
        names = [l.split()[0] for l in r.stdout.splitlines() if l.strip()]
        check("Domain-0" in names and "tiny" in names, "rows:\n" + r.stdout)

    def pause():
        console = state["console"]
        r = life.ctl("pause", "tiny")
        check(r.returncode == 0, "pause: exit %d: %s" % (r.returncode, r.stderr))
        rows, out = life.rows()
        check(rows.get("tiny", {}).get("flags") == "--p---", "after pause:\n" + out)
        time.sleep(1.5)   # a tick already on its way may still arrive
        before = console.ticks()
        time.sleep(4)
        after = console.ticks()
        check(after == before, "ticks went on while paused: %s -> %s" % (before[-3:], after[-3:]))

    def unpause():
        console = state["console"]
        r = life.ctl("unpause", "tiny")
        check(r.returncode == 0, "unpause: exit %d: %s" % (r.returncode, r.stderr))
        seen = len(console.ticks())
        ticks = console.wait_ticks(lambda t: len(t) >= seen + 2, 20)
        check(len(ticks) >= seen + 2, "no ticks after unpause: %s" % ticks[-5:])
        rows, out = life.rows()
        check(rows.get("tiny", {}).get("flags") in ("r-----", "-b----"), "after unpause:\n" + out)
        life.last_tick = ticks[-1]
        # The serial port takes one client: leave before the next console.
        console.stop()

    def daemon_killed():
        check(life.qemu_pid is not None, "no domain runs")
        if state["console"] is not None:
            state["console"].stop()
        first = life.daemons[0]
        first.kill()
        check(pid_alive(life.qemu_pid), "QEMU died with the daemon")
        life.start_daemon("domusd-2.log")
        rows, out = life.rows()
        check(rows.get("tiny", {}).get("id") == life.domain_id,
              "tiny's id after the restart (was %s):\n%s" % (life.domain_id, out))
        check(rows["tiny"]["flags"] in ("r-----", "-b----"), "flags:\n" + out)
        console = life.console("tiny")
        state["console"] = console
        ticks = console.wait_ticks(lambda t: len(t) >= 2, 20)
        check(len(ticks) >= 2 and ticks[0] > life.last_tick,
              "ticks %s after the restart (last before: %d)" % (ticks, life.last_tick))

    def shutdown_wait():
        console = state["console"]
        r = life.ctl("shutdown", "--wait", "tiny", timeout=SHUTDOWN_TIMEOUT)
        check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr))
        rows, out = life.rows("--all")
        check(rows.get("tiny", {}).get("id", 0) is None and rows["tiny"]["flags"] == "------",
              "tiny is not off:\n" + out)
        check(not pid_alive(life.qemu_pid), "QEMU %d still runs" % life.qemu_pid)
        check("tiny" not in life.run_dirs(), "run/tiny is left: %s" % life.run_dirs())
        # The console ends by itself, status 0, when the domain does.
        try:
            status = console.proc.wait(10)
        except subprocess.TimeoutExpired:
            status = None
        check(status == 0, "console exit status %s after the shutdown" % status)

    def create_destroy():
        r = life.ctl("create", tiny_cfg)
        check(r.returncode == 0, "create again: exit %d: %s" % (r.returncode, r.stderr))
        pid = life.qemu_pid_of("tiny")
        check(pid is not None and pid_alive(pid), "no QEMU after the second create")
        r = life.ctl("destroy", "tiny")
        check(r.returncode == 0, "destroy: exit %d: %s" % (r.returncode, r.stderr))
        check(not pid_alive(pid), "QEMU %d still runs after destroy" % pid)
        check("tiny" not in life.run_dirs(), "run/tiny is left: %s" % life.run_dirs())
        rows, out = life.rows("--all")
        check(rows.get("tiny", {}).get("flags") == "------", "tiny after destroy:\n" + out)

    def unparseable():
        path = life.write_cfg("bad.cfg", "name = 'bad'\nmemory = 64\nkernel = '/x\n")
        r = subprocess.run([DOMUSCTL, "--connect", life.uri, "create", "bad.cfg"], cwd=life.work,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=CALL_TIMEOUT)
        check(r.returncode != 0 and r.stdout == "", "exit %d, stdout %r" % (r.returncode, r.stdout))
        check(re.search(r"bad\.cfg:3:\d+", r.stderr), "message does not name bad.cfg:3: %r" % r.stderr)
        check(len(r.stderr.strip().splitlines()) == 1, "not one line: %r" % r.stderr)
        rows, out = life.rows("--all")
        check("bad" not in rows, "bad is defined:\n" + out)
        os.unlink(path)

    def missing_kernel():
        cfg = life.guest_cfg("nokernel").replace(os.path.join(life.guest_dir, "vmlinuz"),
                                                 "/nonexistent/vmlinuz")
        path = life.write_cfg("nokernel.cfg", cfg)
        r = life.ctl("create", path)
        check(r.returncode != 0 and "/nonexistent/vmlinuz" in r.stderr,
              "exit %d: %s" % (r.returncode, r.stderr))
        rows, out = life.rows("--all")
        check("nokernel" not in rows, "nokernel is defined:\n" + out)
        check("nokernel" not in life.run_dirs(), "a run folder was made")

    def duplicate():
        path = life.write_cfg("tiny2.cfg", life.guest_cfg("tiny").replace("memory = 128", "memory = 96"))
        r = life.ctl("create", path)
        check(r.returncode != 0 and "tiny" in r.stderr, "exit %d: %s" % (r.returncode, r.stderr))
        check(life.qemu_pid_of("tiny") is None, "tiny was started")
        r = life.ctl("config", "tiny")
        check(r.returncode == 0 and "memory = 128" in r.stdout, "tiny's config changed:\n" + r.stdout)

    def qemu_fails():
        # Within what a config may ask for (16 TiB), beyond what this machine can give:
        # the config is valid, and QEMU is what fails.
        path = life.write_cfg("huge.cfg", life.guest_cfg("huge").replace("memory = 128",
                                                                         "memory = 16000000"))
        r = life.ctl("create", path)
        check(r.returncode != 0, "exit 0: %s" % r.stdout)
        check("pc.ram" in r.stderr or "allocate" in r.stderr.lower(),
              "QEMU's message is not in %r" % r.stderr)
        check("huge" not in life.run_dirs(), "run/huge is left")
        check(wait_until(lambda: not [p for p in life.all_qemu_pids() if pid_alive(p)], 30),
              "a QEMU runs: %s" % life.all_qemu_pids())
        life.ctl("undefine", "huge")

    def config_edit():
        r = life.ctl("config", "tiny", "--set", "memory=96", "--set", "on_crash=destroy",
                     "--set", "extra=")
        check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr))
        r = life.ctl("config", "tiny")
        check(r.returncode == 0 and re.search(r"^memory = 96$", r.stdout, re.M)
              and re.search(r"^on_crash = ['\"]destroy['\"]$", r.stdout, re.M)
              and "extra" not in r.stdout, "config after --set:\n" + r.stdout)
        rows, out = life.rows("--all")
        check(" 96 " in rows.get("tiny", {}).get("line", ""), "list:\n" + out)

    def images():
        r = life.ctl("image", "create", "disk1", "64M")
        check(r.returncode == 0, "create: exit %d: %s" % (r.returncode, r.stderr))
        r = life.ctl("image", "clone", "disk1", "disk2")
        check(r.returncode == 0, "clone: exit %d: %s" % (r.returncode, r.stderr))
        r = life.ctl("image", "list")
        check(r.returncode == 0, "list: exit %d: %s" % (r.returncode, r.stderr))
        table = {l.split()[0]: l.split() for l in r.stdout.splitlines()[1:] if l.strip()}
        check(r.stdout.split()[:4] == ["NAME", "FORMAT", "SIZE", "USED-BY"], "header:\n" + r.stdout)
        check(table.get("disk1", [])[1:3] == ["raw", "64M"] and table.get("disk2", [])[1:3] == ["raw", "64M"],
              "list:\n" + r.stdout)
        r = life.ctl("image", "delete", "disk2")
        check(r.returncode == 0, "delete: exit %d: %s" % (r.returncode, r.stderr))
        r = life.ctl("image", "list")
        check("disk2" not in r.stdout and "disk1" in r.stdout, "after delete:\n" + r.stdout)

    def image_in_use():
        r = life.ctl("image", "list", "--json")
        check(r.returncode == 0, "list --json: %s" % r.stderr)
        disk1 = [i for i in json.loads(r.stdout) if i["name"] == "disk1"]
        check(disk1, "no disk1: " + r.stdout)
        path = life.write_cfg("user.cfg", life.guest_cfg(
            "user", "disk = [ 'file:%s,xvda,w' ]\n" % disk1[0]["path"]))
        r = life.ctl("define", path)
        check(r.returncode == 0 and r.stdout.startswith("Defined domain user"),
              "define: exit %d: %s%s" % (r.returncode, r.stdout, r.stderr))
        r = life.ctl("image", "list")
        row = [l for l in r.stdout.splitlines() if l.startswith("disk1 ")]
        check(row and row[0].split()[-1] == "user", "USED-BY:\n" + r.stdout)
        r = life.ctl("image", "delete", "disk1")
        check(r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1,
              "delete of a used image: exit %d: %s" % (r.returncode, r.stderr))
        check(os.path.exists(disk1[0]["path"]), "the image file is gone")
        r = life.ctl("undefine", "user")
        check(r.returncode == 0, "undefine: %s" % r.stderr)
        r = life.ctl("image", "delete", "disk1")
        check(r.returncode == 0, "delete once unused: exit %d: %s" % (r.returncode, r.stderr))

    return [
        ("domusd --root starts", start_daemon),
        ("create prints 'Started domain tiny (id=N)' and QEMU runs", create),
        ("list shows tiny with its id and the r or b flag", list_running),
        ("console (stdin a pipe) shows the guest's counting ticks", console_ticks),
        ("top -b -n 2 prints two plain tables with Domain-0 and tiny", top_batch),
        ("pause: list shows --p--- and the ticks stop", pause),
        ("unpause: the ticks go on", unpause),
        ("SIGKILL of domusd: QEMU lives on; the new daemon lists the same id; ticks continue",
         daemon_killed),
        ("shutdown --wait: off, QEMU gone, run folder removed, console ends with 0", shutdown_wait),
        ("create again, then destroy: no QEMU left", create_destroy),
        ("an unparseable cfg is refused with file:line, nothing defined", unparseable),
        ("a missing kernel is refused, nothing defined or started", missing_kernel),
        ("a second config with a defined name is refused", duplicate),
        ("a QEMU that cannot start: its message, no run folder, no process", qemu_fails),
        ("config --set edits values, key= removes one", config_edit),
        ("image create, clone, list, delete", images),
        ("deleting an image a domain uses is refused", image_in_use),
    ]


def main():
    guest_dir = os.path.abspath(sys.argv[1])
    tap = Tap()
    root = make_temp_dir("domus-life-")
    life = Life(root, guest_dir)
    try:
        for description, function in steps(life):
            try:
                function()
            except Exception as e:  # noqa: BLE001 - one broken step must not hide the others
                logs = "".join("\n--- %s ---\n%s" % (os.path.basename(d.log_path), d.log_text()[-1500:])
                               for d in life.daemons[-1:])
                tap.ok(False, description, "%s: %s%s" % (type(e).__name__, e, logs))
                if not life.daemons or life.daemons[-1].proc.poll() is not None:
                    if description.startswith("domusd"):
                        break
                continue
            tap.ok(True, description)
    finally:
        life.teardown()
        shutil.rmtree(root, ignore_errors=True)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
