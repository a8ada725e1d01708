# SPDX-License-Identifier: GPL-3.0-or-later
"""What the benchmarks that drive a domusd of their own share (stdlib only).

Everything started here is ended by its PID.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time


class Daemon:
    """domusd under a --root of its own, under TCG; stop() ends it and every QEMU it started.

    extra: more arguments (e.g. "--tb-size", "64"); images: a store folder to use (linked as
    ROOT/images), e.g. one that holds a Debian base image already."""

    def __init__(self, domusd, root, extra=(), images=None):
        os.makedirs(root, exist_ok=True)
        if images is not None:
            os.symlink(images, os.path.join(root, "images"))
        self.root = root
        self.path = os.path.join(root, "domusd.sock")
        self.log = open(os.path.join(root, "domusd.log"), "ab")
        self.process = subprocess.Popen([domusd, "--root", root, "--accel", "tcg"] + list(extra),
                                        stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.socket(socket.AF_UNIX) as s:
                    s.connect(self.path)
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        sys.exit("domusd did not start (see %s)" % self.log.name)

    def call(self, method, **params):
        """The result; the benchmark ends with the daemon's message on an error."""
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(self.path)
            f = s.makefile("rwb", buffering=0)
            f.write((json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}) + "\n").encode())
            while True:
                reply = json.loads(f.readline())
                if reply.get("id") == 1:
                    if "error" in reply:
                        raise RuntimeError("%s: %s" % (method, reply["error"]["message"]))
                    return reply["result"]

    def serial(self, name):
        """What the domain's guest wrote on its serial console so far."""
        try:
            with open(os.path.join(self.root, "run", name, "serial.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def qemu_pid(self, name):
        try:
            with open(os.path.join(self.root, "run", name, "qemu.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def stop(self):
        run = os.path.join(self.root, "run")
        for name in os.listdir(run) if os.path.isdir(run) else []:
            pid = self.qemu_pid(name)
            if pid is not None:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(10)
        self.log.close()


def rss_mib(pid):
    """The process's resident memory in MiB (0 when it is gone)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def remove_debian_guests(store, names):
    """Removes the disks and seeds of the Debian guests NAMES a bench made in STORE."""
    for name in names:
        for suffix in (".qcow2", "-seed.iso"):
            path = os.path.join(store, name + suffix)
            if os.path.exists(path):
                os.unlink(path)


def debian_kernel_files(base):
    """The kernel and initrd beside a store's Debian base (debian-SUITE-vN.qcow2)."""
    stem = base[:-len(".qcow2")]
    return stem + ".vmlinuz", stem + ".initrd"


def debian_bare_command(base, work, accel="tcg,tb-size=128", append=""):
    """The baseline of the Debian benches: BASE booted by a hand-written QEMU command (its
    own kernel and initrd, no seed), on a new overlay in WORK; APPEND goes on the kernel's
    command line. (command, its serial log), the log not there yet."""
    overlay = os.path.join(work, "bare.qcow2")
    if os.path.exists(overlay):
        os.unlink(overlay)
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", base, "-F", "qcow2", overlay], check=True)
    log = os.path.join(work, "bare.serial")
    if os.path.exists(log):  # an earlier boot's, which holds "login:" already
        os.unlink(log)
    kernel, initrd = debian_kernel_files(base)
    return (["qemu-system-x86_64", "-accel", accel, "-m", "512", "-nodefaults", "-display", "none",
             "-kernel", kernel, "-initrd", initrd,
             "-append", "root=/dev/vda ro console=tty0 console=ttyS0 net.ifnames=0" + append,
             "-drive", "file=%s,format=qcow2,if=virtio" % overlay,
             "-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0", "-vga", "std",
             "-serial", "file:" + log], log)
