# SPDX-License-Identifier: GPL-3.0-or-later
"""Starts the Domus test guest under bare QEMU (TCG) and watches it, for integration tests.

Stdlib only. A QemuGuest owns exactly one QEMU process, started by it and ended by
its PID (close() is safe on every path; use it as a context manager). The serial
port goes to a file, QMP to a Unix socket, both in a folder the caller owns.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

READY_LINE = "domus-test-guest ready"
POWEROFF_LINE = "domus-test-guest powering off"
TICK_RE = re.compile(r"(?:^|\s)tick (\d+)\s*$")

# VGA colour text memory: 32 KiB at 0xb8000, a character byte then an attribute
# byte per cell. The kernel's vgacon scrolls by moving the display start inside
# these 32 KiB, so the visible screen is not always at 0xb8000: read all of it.
VGA_TEXT_BASE = 0xB8000
VGA_TEXT_SIZE = 0x8000
VGA_COLUMNS = 80


class GuestError(Exception):
    """A test guest did not do what was expected; the message says what and shows logs."""


def qemu_binary():
    return os.environ.get("DOMUS_QEMU", "qemu-system-x86_64")


def end_process(proc, timeout=10):
    """SIGTERM, then SIGKILL after timeout seconds; reaps it. A process that ended already
    (or None) is left as it is."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def make_temp_dir(prefix="domus-itest-"):
    """A fresh folder whose paths stay short enough for Unix sockets (108 bytes)."""
    base = tempfile.gettempdir()
    if len(base) > 60:
        base = "/tmp"
    return tempfile.mkdtemp(prefix=prefix, dir=base)


def ticks_in(lines):
    """The numbers N of the 'tick N' lines, in order."""
    out = []
    for line in lines:
        m = TICK_RE.search(line)
        if m:
            out.append(int(m.group(1)))
    return out


def counts_up(ticks, at_least):
    """True when ticks holds at least `at_least` numbers, each one more than the last."""
    if len(ticks) < at_least:
        return False
    return all(b == a + 1 for a, b in zip(ticks, ticks[1:]))


class QemuGuest:
    """One QEMU process running the test guest (or anything given as extra args)."""

    def __init__(self, guest_dir, workdir, append="console=ttyS0", memory=256,
                 extra_args=(), name="guest"):
        self.guest_dir = guest_dir
        self.workdir = workdir
        self.append = append
        self.memory = memory
        self.extra_args = list(extra_args)
        self.name = name
        self.serial_path = os.path.join(workdir, name + ".serial")
        self.qmp_path = os.path.join(workdir, name + ".qmp")
        self.log_path = os.path.join(workdir, name + ".qemu-log")
        self.proc = None
        self._sock = None
        self._rfile = None
        self._next_id = 1
        self.events = []

    # --- process -----------------------------------------------------------------

    def command(self):
        kernel = os.path.join(self.guest_dir, "vmlinuz")
        initrd = os.path.join(self.guest_dir, "initrd.img")
        for path in (kernel, initrd):
            if not os.path.isfile(path):
                raise GuestError("test guest file %s is missing; build the 'test-guest' "
                                 "target (tests/guest/build-guest.sh)" % path)
        return [qemu_binary(),
                "-accel", "tcg",
                "-m", str(self.memory),
                "-nodefaults",
                "-vga", "std",
                "-display", "none",
                "-name", "domus-" + self.name,
                "-kernel", kernel,
                "-initrd", initrd,
                # As domusd does under TCG (docs/config-format.md): a loaded host can make the
                # kernel's early timer check fail and panic the boot.
                "-append", self.append + ("" if "no_timer_check" in self.append else " no_timer_check"),
                "-serial", "file:" + self.serial_path,
                "-qmp", "unix:%s,server=on,wait=off" % self.qmp_path,
                ] + self.extra_args

    def start(self, qmp_timeout=20.0):
        if shutil.which(qemu_binary()) is None:
            raise GuestError("%s not found; install the package qemu-system-x86 "
                             "(or set DOMUS_QEMU)" % qemu_binary())
        cmd = self.command()
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT)
        self._connect_qmp(qmp_timeout)
        return self

    def _connect_qmp(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise GuestError("QEMU exited with status %d before QMP was up\n%s"
                                 % (self.proc.returncode, self.logs()))
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(self.qmp_path)
                break
            except OSError:
                sock.close()
                if time.monotonic() > deadline:
                    raise GuestError("QMP socket %s did not come up in %.0f s\n%s"
                                     % (self.qmp_path, timeout, self.logs()))
                time.sleep(0.05)
        sock.settimeout(timeout)
        self._sock = sock
        self._rfile = sock.makefile("rb")
        greeting = self._read_message()
        if "QMP" not in greeting:
            raise GuestError("unexpected QMP greeting: %r" % greeting)
        self.qmp("qmp_capabilities")

    def close(self):
        """Ends QEMU if it still runs (by its PID) and drops the QMP connection."""
        if self._rfile is not None:
            self._rfile.close()
            self._rfile = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        end_process(self.proc, 5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def wait_exit(self, timeout):
        """Waits for QEMU to exit by itself; returns its status, or None on timeout."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    # --- QMP -----------------------------------------------------------------------

    def _read_message(self):
        line = self._rfile.readline()
        if not line:
            raise GuestError("QMP connection closed by QEMU\n%s" % self.logs())
        return json.loads(line)

    def qmp(self, command, **arguments):
        """Runs one QMP command and returns its 'return' value; events are kept aside."""
        ident = "domus-%d" % self._next_id
        self._next_id += 1
        msg = {"execute": command, "id": ident}
        if arguments:
            msg["arguments"] = arguments
        self._sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            reply = self._read_message()
            if "event" in reply:
                self.events.append(reply)
                continue
            if reply.get("id") != ident:
                continue
            if "error" in reply:
                raise GuestError("QMP %s failed: %s" % (command, reply["error"]))
            return reply.get("return")

    def hmp(self, command_line):
        return self.qmp("human-monitor-command", **{"command-line": command_line})

    # --- what the guest shows ------------------------------------------------------

    def serial_lines(self):
        try:
            with open(self.serial_path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return []
        return data.decode("latin-1").replace("\r", "").split("\n")

    def vga_lines(self):
        """The VGA text memory as 80-column rows (see VGA_TEXT_BASE on why all of it)."""
        dump = os.path.join(self.workdir, self.name + ".vga")
        # Quoted: unquoted, HMP would read "SIZE /tmp/..." as a division.
        err = self.hmp('pmemsave 0x%x %d "%s"' % (VGA_TEXT_BASE, VGA_TEXT_SIZE, dump))
        if err:
            raise GuestError("HMP pmemsave failed: %s" % err.strip())
        with open(dump, "rb") as f:
            chars = f.read()[0::2]
        text = "".join(chr(c) if 32 <= c < 127 else " " for c in chars)
        return [text[i:i + VGA_COLUMNS].rstrip()
                for i in range(0, len(text), VGA_COLUMNS)]

    def wait_for(self, what, predicate, timeout, source=None):
        """Polls source() (serial lines by default) until predicate(lines) holds."""
        source = source or self.serial_lines
        deadline = time.monotonic() + timeout
        while True:
            lines = source()
            if predicate(lines):
                return lines
            if self.proc.poll() is not None:
                raise GuestError("QEMU exited (status %d) while waiting for %s\n%s"
                                 % (self.proc.returncode, what, self.logs()))
            if time.monotonic() > deadline:
                raise GuestError("timed out after %.0f s waiting for %s\n%s"
                                 % (timeout, what, self.logs()))
            time.sleep(0.2)

    def wait_ready(self, ticks=3, timeout=60.0):
        """Waits for the ready line followed by `ticks` counting tick lines on serial."""
        def ok(lines):
            if READY_LINE not in [l.strip() for l in lines]:
                return False
            return counts_up(ticks_in(lines), ticks)
        return self.wait_for("'%s' and %d ticks on the serial port" % (READY_LINE, ticks),
                             ok, timeout)

    def logs(self, tail=25):
        """The end of the serial log and QEMU's own output, for failure messages."""
        out = ["--- serial (last %d lines of %s) ---" % (tail, self.serial_path)]
        out += self.serial_lines()[-tail:]
        try:
            with open(self.log_path, "rb") as f:
                qemu_out = f.read().decode("utf-8", "replace").strip()
        except FileNotFoundError:
            qemu_out = ""
        out.append("--- qemu output ---")
        out.append(qemu_out or "(none)")
        return "\n".join(out)
