#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Today's Xen configs on a real domusd and QEMU (TCG): an xl.cfg of the test guest boots,
an xm file that runs Python is refused with what to write instead, and disk formats are never
read from an image's content (issue 13).

Usage: test-xl-config.py GUEST_DIR   (DOMUS_BUILD_DIR from the environment)

domusd runs with --root in a fresh folder. "xlguest" is written in xl's syntax: type = 'pv',
cmdline, vfb, a disk in xl's positional form and one in key=value form (a raw scratch image
and a qcow2 image, both in the daemon's image store), and keys QEMU cannot honour (maxmem,
cpus, cpu_weight, serial, on_crash = 'coredump-destroy'). `domusctl create` starts it with a
notice for each of those keys; the guest reaches its ready line and writes its marker to the
first disk (domus.disk=/dev/vda), and QEMU's command line names both disks with the format the
entries gave. An xm file that computes its device_model in Python is refused by create with
the line and the value advice, and `check --explain` lists what it could read.

The attack of issue 13: a raw store image whose first bytes are a qcow2 header naming a host
file as its backing file (what a guest can write to its own disk). "victim" uses it read-only
(`file:`, so its first bytes survive); the guest sees the header's own bytes, not the host
file, at its first start and again after a restart; `image clone` copies those bytes; a
qcow2 image whose backing file lies outside the store refuses the domain's start.
Everything started here is ended by PID. Output is TAP, the plan last.
"""

import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib_domus import DOMUSCTL, Daemon, Tap, check, ctl, ctl_ok, listed, serial_text, wait_until  # noqa: E402
from lib_qemu import READY_LINE, make_temp_dir  # noqa: E402

BOOT_TIMEOUT = 90.0
SOURCE_DIR = os.environ.get("DOMUS_SOURCE_DIR",
                            os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))





def qemu_cmdline(root, name):
    with open(os.path.join(root, "run", name, "qemu.pid")) as f:
        pid = int(f.read().strip())
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        return [a.decode() for a in f.read().split(b"\0") if a]


def xl_config(guest_dir, images):
    return """# The test guest in xl's syntax (xl.cfg(5)).
name = "xlguest"
type = "pv"
kernel = "{kernel}"
ramdisk = "{ramdisk}"
cmdline = "console=tty0 console=ttyS0 domus.disk=/dev/vda"
memory = 128
maxmem = 256
vcpus = 1
cpus = "all"
cpu_weight = 512
vfb = [ 'vnc=1, vnclisten=127.0.0.1' ]
disk = [ '{images}/scratch.img,raw,xvda,rw',
         'vdev=xvdb, access=ro, format=qcow2, target={images}/data.qcow2' ]
serial = [ 'pty' ]
on_poweroff = "destroy"
on_crash = "coredump-destroy"
""".format(kernel=os.path.join(guest_dir, "vmlinuz"), ramdisk=os.path.join(guest_dir, "initrd.img"),
           images=images)


def main(guest_dir):
    tap = Tap()
    root = make_temp_dir("domus-xl-")
    daemon = None
    try:
        daemon = Daemon(root).wait_listening()
        uri = daemon.uri
        images = os.path.join(root, "images")

        def xl_guest_boots():
            ctl_ok(uri, "image", "create", "scratch.img", "16M", "--format", "raw")
            ctl_ok(uri, "image", "create", "data.qcow2", "16M", "--format", "qcow2")
            path = os.path.join(root, "xlguest.cfg")
            with open(path, "w") as f:
                f.write(xl_config(guest_dir, images))
            r = ctl_ok(uri, "create", path, timeout=120)
            for key in ("maxmem", "cpus", "cpu_weight", "serial", "vnclisten"):
                check("%s: " % key in r.stderr, "no notice naming %s in %r" % (key, r.stderr))
            check(wait_until(lambda: READY_LINE in serial_text(root, "xlguest"), BOOT_TIMEOUT),
                  "no ready line: %r" % serial_text(root, "xlguest")[-800:])
            check(wait_until(lambda: "domus-disk /dev/vda marker 1" in serial_text(root, "xlguest"), 30),
                  "no marker on /dev/vda: %r" % serial_text(root, "xlguest")[-800:])
            argv = qemu_cmdline(root, "xlguest")
            drives = [argv[i + 1] for i, a in enumerate(argv) if a == "-drive"]
            check(any(d.startswith("file=%s/scratch.img,format=raw," % images) for d in drives), "drives %r" % drives)
            check(any(d.startswith("file=%s/data.qcow2,format=qcow2," % images) and "readonly=on" in d
                      for d in drives), "drives %r" % drives)
            check(any(a.startswith("unix:") and a.endswith("vnc.sock") for a in argv), "no VNC in %r" % argv)
            domain = listed(uri)["xlguest"]
            check(domain["state"] in ("running", "blocked"), "xlguest is %r" % domain)

        tap.step("an xl.cfg of the test guest (type, cmdline, vfb, both disk forms, maxmem, cpus, serial) "
                 "boots, with a notice for each key QEMU cannot honour", xl_guest_boots)

        def destroyed():
            ctl_ok(uri, "destroy", "xlguest")
            check(wait_until(lambda: listed(uri)["xlguest"]["state"] == "shutoff", 30), "still running")

        tap.step("destroy ends it", destroyed)

        def python_refused():
            example = os.path.join(SOURCE_DIR, "tests", "data", "xm-python.cfg")
            r = ctl(uri, "create", example)
            check(r.returncode == 1, "create of a Python config: status %d" % r.returncode)
            check("xm-python.cfg:2: “import os, re” is Python: xm ran these files as Python programs, "
                  "Domus reads only their literal assignments" in r.stderr, r.stderr)
            check("ExampleHVMDomain" not in json.dumps(listed(uri)), "the refused domain was defined")
            r = subprocess.run([DOMUSCTL, "check", "--explain", example], capture_output=True, text=True)
            check(r.returncode == 1, "check --explain: status %d" % r.returncode)
            check("memory = 128" in r.stdout and "“device_model = '/usr/' + arch_libdir" in r.stdout,
                  "check --explain printed %r" % r.stdout)

        tap.step("an xm file that runs Python is refused with its line and what to write; "
                 "check --explain lists what it reads", python_refused)

        secret = os.path.join(root, "host-secret")
        evil = os.path.join(images, "evil.img")

        def guest_heads():
            return [line.split()[-1] for line in serial_text(root, "victim").splitlines()
                    if line.startswith("domus-disk /dev/vda head ")]

        def raw_image_stays_raw():
            with open(secret, "w") as f:
                f.write("the host's secret " * 8)
            os.chmod(secret, 0o600)
            header = os.path.join(root, "header.qcow2")
            r = subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", secret, "-F", "raw", header],
                               capture_output=True, text=True)
            check(r.returncode == 0, "qemu-img create: %s" % r.stderr)
            ctl_ok(uri, "image", "create", "evil.img", "1M", "--format", "raw")
            with open(header, "rb") as f:
                head = f.read(64)
            with open(evil, "r+b") as f:
                f.write(head)
            config = os.path.join(root, "victim.cfg")
            with open(config, "w") as f:
                f.write("name = 'victim'\nkernel = '%s'\nramdisk = '%s'\nmemory = 128\n"
                        "extra = 'console=ttyS0 domus.disk=/dev/vda'\n"
                        "disk = [ 'file:%s,xvda,r' ]\n"
                        % (os.path.join(guest_dir, "vmlinuz"), os.path.join(guest_dir, "initrd.img"), evil))
            ctl_ok(uri, "create", config, timeout=120)
            check(wait_until(lambda: len(guest_heads()) == 1, BOOT_TIMEOUT),
                  "no head line: %r" % serial_text(root, "victim")[-800:])
            check(guest_heads()[0] == head.hex(), "the guest saw %s, the image holds %s" % (guest_heads()[0], head.hex()))
            argv = qemu_cmdline(root, "victim")
            check(any(a.startswith("file=%s,format=raw," % evil) for a in argv), "QEMU's drives: %r" % argv)

            ctl_ok(uri, "destroy", "victim")
            check(wait_until(lambda: listed(uri)["victim"]["state"] == "shutoff", 30), "victim still runs")
            ctl_ok(uri, "start", "victim", timeout=120)
            check(wait_until(lambda: len(guest_heads()) == 1 and READY_LINE in serial_text(root, "victim"),
                             BOOT_TIMEOUT), "no head line after the restart: %r" % serial_text(root, "victim")[-800:])
            check(guest_heads()[0] == head.hex(), "after the restart the guest saw %s" % guest_heads()[0])
            check("the host" not in serial_text(root, "victim"), "the host file reached the guest")
            ctl(uri, "destroy", "victim")

        tap.step("a raw image holding a qcow2 header that names a host file stays raw: the guest sees "
                 "the header's bytes at its start and after a restart", raw_image_stays_raw)

        def clone_copies_bytes():
            ctl_ok(uri, "image", "clone", "evil.img", "evil-copy.img")
            with open(evil, "rb") as f:
                original = f.read()
            with open(os.path.join(images, "evil-copy.img"), "rb") as f:
                copied = f.read()
            check(copied == original, "the clone differs from the image (%d vs %d bytes)" % (len(copied), len(original)))
            check(b"the host's secret" not in copied, "the clone holds the host file")

        tap.step("image clone copies the raw bytes, not the host file", clone_copies_bytes)

        def outside_backing_refused():
            overlay = os.path.join(images, "overlay.qcow2")
            r = subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", secret, "-F", "raw", overlay],
                               capture_output=True, text=True)
            check(r.returncode == 0, "qemu-img create: %s" % r.stderr)
            os.makedirs(os.path.join(images, ".domus-formats"), exist_ok=True)
            with open(os.path.join(images, ".domus-formats", "overlay.qcow2"), "w") as f:
                f.write("qcow2\n")
            config = os.path.join(root, "based.cfg")
            with open(config, "w") as f:
                f.write("name = 'based'\nkernel = '%s'\nmemory = 64\ndisk = [ '%s,qcow2,xvda,ro' ]\n"
                        % (os.path.join(guest_dir, "vmlinuz"), overlay))
            r = ctl(uri, "create", config, timeout=120)
            check(r.returncode == 1, "create of a domain whose image is based on a host file: status %d" % r.returncode)
            check("its backing file %s lies outside %s" % (secret, images) in r.stderr, r.stderr)
            domains = listed(uri)
            check("based" not in domains or domains["based"]["state"] == "shutoff", "based: %r" % domains.get("based"))

        tap.step("a qcow2 image based on a file outside its folder refuses the start, naming the file",
                 outside_backing_refused)
    finally:
        if daemon is not None:
            daemon.stop()
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
