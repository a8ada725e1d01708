#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The libvirt test harness itself, driven with virsh: two libvirt daemons of the test's
own on this machine (lib_libvirt.LibvirtDaemon), the test guest under TCG on one of them
(listed, started, paused, its serial ticks, its VNC screen), live migration with storage
copy to the other and back, and the reason libvirt gives when two daemons share a host
UUID. What Domus itself does against such daemons is in test-libvirt.py.

Usage: test-libvirt-daemon.py GUEST_DIR
"""

import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib_domus import Failure, Tap, check, wait_until  # noqa: E402
from lib_libvirt import (IMAGES, LibvirtDaemon, skip_if_impossible, test_guest_xml,  # noqa: E402
                         two_daemons)
from lib_qemu import counts_up, ticks_in  # noqa: E402

GUEST = "tguest"
BOOT_TIMEOUT = 120


def ticks(daemon):
    return ticks_in(daemon.serial_text(GUEST).split("\n"))


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    check(head[:8] == b"\x89PNG\r\n\x1a\n", "%s is not a PNG" % path)
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def disk_marker(daemon, volume):
    """The marker the test guest writes at offset 0 of its disk, read from the qcow2 image."""
    raw = os.path.join(daemon.root, "marker.raw")
    subprocess.run(["qemu-img", "convert", "-U", "-O", "raw",
                    daemon.host_path(IMAGES + "/" + volume), raw], check=True)
    with open(raw, "rb") as f:
        head = f.read(32)
    os.unlink(raw)
    return head.split(b"\n")[0].decode("latin-1")


def main():
    guest_dir = sys.argv[1]
    if skip_if_impossible():
        return 0
    tap = Tap()
    workdir, a, b = two_daemons("domus-lvd-")
    twin = LibvirtDaemon(os.path.join(workdir, "twin"), "twin", host_uuid=a.host_uuid)
    kernel = initrd = None
    try:
        def start_daemons():
            for d in (a, b):
                d.start()
                d.define_pool()
            caps_a = a.virsh("capabilities").stdout
            caps_b = b.virsh("capabilities").stdout
            check(a.host_uuid in caps_a and b.host_uuid in caps_b,
                  "each daemon does not report its own host UUID")
        if not tap.step("two libvirtd+virtlogd pairs start, each in its own mount namespace "
                        "with its own host UUID", start_daemons):
            return tap.finish()

        def define_guest():
            nonlocal kernel, initrd
            kernel, initrd = a.install_test_guest(guest_dir)
            # The kernel and initramfs are where the guest boots from on either host, as
            # shared storage would have them; only the disk is copied.
            b.install_test_guest(guest_dir)
            a.virsh("vol-create-as", "default", GUEST + ".qcow2", "16M", "--format", "qcow2")
            a.define(test_guest_xml(GUEST, kernel, initrd, disk=IMAGES + "/" + GUEST + ".qcow2",
                                    cmdline="console=tty0 console=ttyS0 domus.disk=/dev/vda"))
            listed = a.virsh("list", "--all", "--name").stdout.split()
            check(GUEST in listed, "the guest is not listed: %r" % listed)
            check(a.domain_state(GUEST) == "shut off", "state %r" % a.domain_state(GUEST))
        tap.step("the test guest is defined (TCG, disk in the default pool) and listed shut off",
                 define_guest)

        def start_guest():
            a.virsh("start", GUEST)
            check(a.domain_state(GUEST) == "running", "state %r" % a.domain_state(GUEST))
            qemu = a.qemu_pids()
            check(len(qemu) == 1, "QEMU pids %r" % qemu)
            with open("/proc/%d/status" % qemu[0]) as f:
                uid = [l.split()[1] for l in f if l.startswith("Uid:")][0]
            check(int(uid) != 0, "QEMU runs as root, not as libvirt-qemu")
            check(wait_until(lambda: counts_up(ticks(a), 3), BOOT_TIMEOUT),
                  "no counting ticks on the serial log:\n" + a.serial_text(GUEST)[-2000:] + a.logs())
        tap.step("it starts under TCG as an unprivileged QEMU and its serial port ticks", start_guest)

        def pause_resume():
            a.virsh("suspend", GUEST)
            check(a.domain_state(GUEST) == "paused", "state %r" % a.domain_state(GUEST))
            time.sleep(0.5)
            before = ticks(a)
            time.sleep(2.5)
            check(ticks(a) == before, "the guest ticked while paused")
            a.virsh("resume", GUEST)
            check(wait_until(lambda: len(ticks(a)) > len(before) + 1, 15), "no ticks after resume")
        tap.step("paused, it stops ticking; resumed, it ticks again", pause_resume)

        def screen():
            if shutil.which("gvnccapture") is None:
                raise Failure("gvnccapture is missing (package gvncviewer)")
            png = os.path.join(workdir, "screen.png")
            subprocess.run(["gvnccapture", "-q", a.vnc_display(GUEST), png], check=True,
                           timeout=30, capture_output=True)
            width, height = png_size(png)
            check(width >= 640 and height >= 400, "screen %dx%d" % (width, height))
        tap.step("its VNC screen is captured (gvnccapture)", screen)

        def migrate_there():
            marker = disk_marker(a, GUEST + ".qcow2")
            check(marker.startswith("domus-marker"), "no marker on the disk: %r" % marker)
            before = ticks(a)[-1]
            a.virsh("migrate", "--live", "--p2p", "--copy-storage-all", "--persistent",
                    "--undefinesource", GUEST, b.peer_uri, "--migrateuri", "tcp://127.0.0.1",
                    timeout=300)
            check(b.domain_state(GUEST) == "running", "on b: %r" % b.domain_state(GUEST))
            check(a.domain_state(GUEST) is None, "still on a: %r" % a.domain_state(GUEST))
            check(wait_until(lambda: ticks(b) and ticks(b)[-1] > before + 1, 20),
                  "no ticks on b after the migration:\n" + b.serial_text(GUEST)[-500:])
            check(disk_marker(b, GUEST + ".qcow2") == marker, "the disk copy differs")
            info = b.virsh("domjobinfo", GUEST, "--completed").stdout
            check("downtime" in info.lower(), "no downtime reported:\n" + info)
        tap.step("live migration with storage copy (NBD) to the other daemon: it ticks on, "
                 "its disk came along", migrate_there)

        def migrate_back():
            # Client-driven this time: virsh speaks to both daemons itself.
            b.virsh("migrate", "--live", "--copy-storage-all", "--persistent", "--undefinesource",
                    GUEST, a.uri, "--migrateuri", "tcp://127.0.0.1", timeout=300)
            check(a.domain_state(GUEST) == "running", "on a: %r" % a.domain_state(GUEST))
            check(b.domain_state(GUEST) is None, "still on b")
        tap.step("and back, driven from the client", migrate_back)

        def same_uuid_refused():
            twin.start()
            twin.define_pool()
            twin.install_test_guest(guest_dir)
            proc = a.virsh("migrate", "--live", "--p2p", "--copy-storage-all", GUEST,
                           twin.peer_uri, "--migrateuri", "tcp://127.0.0.1", check=False,
                           timeout=120)
            check(proc.returncode != 0, "migrating to a daemon with the same host UUID worked")
            check("same host" in proc.stderr, "unexpected refusal: " + proc.stderr)
            check(a.domain_state(GUEST) == "running", "the guest left a")
        tap.step("a daemon with the same host UUID is refused as 'the same host'", same_uuid_refused)
    finally:
        for d in (a, b, twin):
            d.stop()
        tap.remove_if_passed(workdir)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
