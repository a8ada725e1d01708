#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""domusctl check and create --dry-run, run as a user would, and the printed command booted.

Usage: test-cli-config.py GUEST_DIR   (DOMUS_BUILD_DIR and DOMUS_SOURCE_DIR from the environment)

The last check is the end-to-end one: the QEMU command line that `create --dry-run`
prints for a config naming the test guest's kernel and initramfs is run as printed,
and the guest boots and counts on the serial console that the translation set up.
Output is TAP.
"""

import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib_domus import Tap  # noqa: E402
from lib_qemu import counts_up, end_process, make_temp_dir, ticks_in  # noqa: E402

BUILD_DIR = os.environ["DOMUS_BUILD_DIR"]
SOURCE_DIR = os.environ["DOMUS_SOURCE_DIR"]
DOMUSCTL = os.path.join(BUILD_DIR, "cli", "domusctl")
DATA_DIR = os.path.join(SOURCE_DIR, "tests", "data")
BOOT_TIMEOUT = 60.0


class QuietTap(Tap):
    """Shows diagnostics only for failures, so that a passing run reads cleanly."""

    def ok(self, passed, description, diagnostics=""):
        super().ok(passed, description, "" if passed else diagnostics)


def domusctl(*args, env=None):
    return subprocess.run([DOMUSCTL] + list(args), capture_output=True, text=True,
                          env=env, timeout=30)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def tree(path):
    """Every file and folder below path, for 'nothing was touched' checks."""
    found = set()
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            found.add(os.path.relpath(os.path.join(root, name), path))
    return found


def check_listings(tap):
    listings = [os.path.join(DATA_DIR, n) for n in ("listing1.cfg", "listing4.cfg")]
    r = domusctl("check", *listings)
    expected = ["%s: ok" % p for p in listings]
    tap.ok(r.returncode == 0 and r.stdout.splitlines() == expected,
           "check accepts both listings of the article",
           "exit %d\nstdout:\n%s\nstderr:\n%s" % (r.returncode, r.stdout, r.stderr))
    tap.ok("device_model: ignored" in r.stderr and "warning:" in r.stderr,
           "check warns about Xen-only keys", r.stderr)


def check_errors(tap, work):
    cases = [
        ("lots.cfg", 'name = "lots"\nvcpus = 1\nmemory = "lots"\n',
         'lots.cfg:3:10: memory: expected an integer (MiB), got "lots"'),
        ("guest.cfg", 'name = "g"\nmemory = 64\nvcpus = 1\nroot = "/dev/vda\n',
         "guest.cfg:4:8: unterminated string"),
        ("noname.cfg", "memory = 64\n", "noname.cfg: name: "),
        ("mode.cfg", "name = 'm'\nbuilder = 'hvm'\ndisk = [ 'file:/x.img,xvda,wr' ]\n", "mode.cfg:3:8: disk: "),
    ]
    for filename, text, message in cases:
        path = write(os.path.join(work, filename), text)
        before = tree(work)
        # Run from the folder so that messages carry the short name.
        r = subprocess.run([DOMUSCTL, "check", filename], cwd=work, capture_output=True,
                           text=True, timeout=30)
        first = r.stderr.splitlines()[0] if r.stderr else ""
        tap.ok(r.returncode == 1 and first.startswith(message) and r.stdout == ""
               and tree(work) == before,
               "check %s fails with '%s'" % (filename, message),
               "exit %d\nstderr:\n%s" % (r.returncode, r.stderr))
        r = domusctl("create", "--dry-run", path)
        tap.ok(r.returncode == 1 and message.split(": ", 1)[1] in r.stderr and r.stdout == "",
               "create --dry-run %s fails the same way and prints no command" % filename,
               "exit %d\nstderr:\n%s" % (r.returncode, r.stderr))


def check_dry_run_touches_nothing(tap, work):
    runtime = os.path.join(work, "runtime")
    home = os.path.join(work, "home")
    os.mkdir(runtime, 0o700)
    os.mkdir(home, 0o700)
    env = dict(os.environ, XDG_RUNTIME_DIR=runtime, HOME=home,
               XDG_CONFIG_HOME=os.path.join(home, ".config"),
               XDG_DATA_HOME=os.path.join(home, ".local/share"),
               XDG_CACHE_HOME=os.path.join(home, ".cache"))
    r = domusctl("create", "--dry-run", os.path.join(DATA_DIR, "listing4.cfg"), env=env)
    out = r.stdout
    tap.ok(r.returncode == 0 and "-boot order=d" in out and "-m 512" in out
           and "qemu-dm" not in out and "hvmloader" not in out
           and "media=cdrom" in out and "readonly=on" in out
           and "-vnc unix:" + os.path.join(runtime, "domus", "windows", "vnc.sock") in out,
           "create --dry-run prints listing 4's QEMU command line",
           "exit %d\nstdout:\n%s\nstderr:\n%s" % (r.returncode, out, r.stderr))
    tap.ok("/root/wincd.iso does not exist" in r.stderr,
           "missing files are warnings in a dry run", r.stderr)
    tap.ok(tree(runtime) == set() and tree(home) == set(),
           "a dry run creates no file or folder",
           "runtime: %s\nhome: %s" % (sorted(tree(runtime)), sorted(tree(home))))


def check_create_without_daemon(tap, work):
    # A runtime folder of our own: no session daemon of the machine's may answer.
    runtime = os.path.join(work, "no-daemon-runtime")
    os.makedirs(runtime, mode=0o700)
    r = domusctl("create", os.path.join(DATA_DIR, "listing1.cfg"),
                 env=dict(os.environ, XDG_RUNTIME_DIR=runtime))
    tap.ok(r.returncode != 0 and len(r.stderr.strip().splitlines()) >= 1
           and "--dry-run" in r.stderr and r.stdout == "",
           "create with no daemon to ask fails in one line pointing at --dry-run",
           "exit %d\nstderr:\n%s" % (r.returncode, r.stderr))


def qmp_powerdown(path, timeout=10.0):
    """Asks QEMU for an ACPI power-button press over its QMP socket."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.connect(path)
    stream = sock.makefile("rwb")
    json.loads(stream.readline())  # greeting
    for command in ("qmp_capabilities", "system_powerdown"):
        stream.write(json.dumps({"execute": command}).encode() + b"\n")
        stream.flush()
        while True:
            reply = json.loads(stream.readline())
            if "return" in reply or "error" in reply:
                break
    stream.close()
    sock.close()


def check_printed_command_boots(tap, work, guest_dir):
    run_dir = os.path.join(work, "run", "tiny")
    os.makedirs(run_dir, 0o700)
    cfg = write(os.path.join(work, "tiny.cfg"),
                "# the test guest, as an admin would describe it\n"
                "name = 'tiny'\n"
                "kernel = '%s'\n"
                "ramdisk = '%s'\n"
                "extra = 'quiet'\n"
                "memory = 128\n"
                "vcpus = 1\n"
                "vnc = 1\n"
                "vif = [ 'mac=00:16:3e:12:34:56' ]\n"
                % (os.path.join(guest_dir, "vmlinuz"), os.path.join(guest_dir, "initrd.img")))
    r = domusctl("create", "--dry-run", "--run-dir", run_dir, "--tb-size", "64", cfg)
    if r.returncode != 0:
        tap.ok(False, "the printed command boots the test guest", r.stderr)
        return
    argv = shlex.split(r.stdout.replace("\\\n", " "))
    log_path = os.path.join(work, "qemu.log")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT)
    serial_log = os.path.join(run_dir, "serial.log")
    try:
        deadline = time.monotonic() + BOOT_TIMEOUT
        ticks = []
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with open(serial_log, "rb") as f:
                    lines = f.read().decode("latin-1").replace("\r", "").split("\n")
            except FileNotFoundError:
                lines = []
            ticks = ticks_in(lines)
            if counts_up(ticks, 3):
                break
            time.sleep(0.5)
        with open(log_path, "rb") as f:
            qemu_output = f.read().decode("latin-1")
        tap.ok(counts_up(ticks, 3), "the printed command boots the test guest (ticks on serial.log)",
               "ticks %s\ncommand: %s\nQEMU said:\n%s" % (ticks, argv, qemu_output))

        if proc.poll() is not None:
            tap.ok(False, "QMP, serial and VNC sockets and the pid file are in the run folder",
                   "QEMU is not running")
            tap.ok(False, "an ACPI power-button press over QMP powers the guest off",
                   "QEMU is not running")
            return
        sockets = [n for n in ("qmp.sock", "serial.sock", "vnc.sock")
                   if os.path.exists(os.path.join(run_dir, n))]
        with open(os.path.join(run_dir, "qemu.pid")) as f:
            pid = int(f.read().strip() or 0)
        tap.ok(sockets == ["qmp.sock", "serial.sock", "vnc.sock"] and pid == proc.pid,
               "QMP, serial and VNC sockets and the pid file are in the run folder",
               "sockets %s, pid file %d, QEMU pid %d" % (sockets, pid, proc.pid))

        qmp_powerdown(os.path.join(run_dir, "qmp.sock"))
        try:
            status = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            status = None
        tap.ok(status == 0, "an ACPI power-button press over QMP powers the guest off",
               "QEMU exit status %s" % status)
    finally:
        end_process(proc, 5)


def main():
    guest_dir = os.path.abspath(sys.argv[1])
    tap = QuietTap(17)
    work = make_temp_dir("domus-cli-")
    try:
        check_listings(tap)                        # 2
        check_errors(tap, work)                    # 8
        check_dry_run_touches_nothing(tap, work)   # 3
        check_create_without_daemon(tap, work)     # 1
        check_printed_command_boots(tap, work, guest_dir)  # 3 (1 when it cannot start)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
