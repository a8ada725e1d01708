#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Boots the test guest under bare QEMU (no Domus code) and checks what every later test relies on.

Usage: test-guest-boot.py GUEST_DIR   (GUEST_DIR holds vmlinuz and initrd.img)

Boot 1, console=ttyS0: ready line and counting ticks on the serial port, the same
on the VGA text console, and a QMP system_powerdown makes QEMU exit by itself.
Boot 2, 'quiet' and no console=: the ticks still reach the serial port (init
writes there itself), and the power button still works. Output is TAP.
"""

import os
import shutil
import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib_domus import Tap  # noqa: E402
from lib_qemu import (GuestError, QemuGuest, READY_LINE, POWEROFF_LINE,  # noqa: E402
                      counts_up, make_temp_dir, ticks_in)

BOOT_TIMEOUT = 60.0       # a 256 MiB guest reaches userland in ~10 s under TCG
POWEROFF_TIMEOUT = 20.0   # init reacts within a second; the rest is slack for a busy host


def check_vga(guest):
    """The ready line and ticks 1..3 are in VGA text memory."""
    def ok(rows):
        stripped = [r.strip() for r in rows]
        return READY_LINE in stripped and {1, 2, 3} <= set(ticks_in(rows))
    # The VGA write follows the serial one; allow a moment for it.
    guest.wait_for("'%s' and ticks 1-3 in VGA text memory" % READY_LINE, ok, 10.0,
                   source=guest.vga_lines)


def check_powerdown(guest):
    """system_powerdown makes the guest power itself off and QEMU exit with status 0."""
    guest.qmp("system_powerdown")
    status = guest.wait_exit(POWEROFF_TIMEOUT)
    if status is None:
        raise GuestError("QEMU still runs %.0f s after system_powerdown: the guest did "
                         "not power off\n%s" % (POWEROFF_TIMEOUT, guest.logs()))
    if status != 0:
        raise GuestError("QEMU exited with status %d after system_powerdown\n%s"
                         % (status, guest.logs()))
    if POWEROFF_LINE not in [l.strip() for l in guest.serial_lines()]:
        raise GuestError("QEMU exited, but the guest never said '%s': not a clean "
                         "power-off\n%s" % (POWEROFF_LINE, guest.logs()))


def check_no_kernel_console(guest):
    """With no console= the kernel's own messages must not be on the serial port."""
    leaked = [l for l in guest.serial_lines() if "Linux version" in l or "Run /init" in l]
    if leaked:
        raise GuestError("kernel messages reached the serial port although the command "
                         "line names no serial console: %r" % leaked[:2])


def run_boot(tap, guest_dir, workdir, name, append, steps):
    """Boots one guest and runs steps (description, function) in order, one TAP line each.

    After a failed step the rest of this boot cannot be trusted: they are reported as
    failed with the reason, and QEMU is ended by its PID.
    """
    guest = QemuGuest(guest_dir, workdir, append=append, name=name)
    failure = None
    try:
        for description, step in steps:
            if failure is not None:
                tap.ok(False, description, "not run: an earlier step of this boot failed")
                continue
            try:
                step(guest)
                tap.ok(True, description)
            except (GuestError, OSError, ValueError) as e:
                failure = e
                tap.ok(False, description, str(e))
    finally:
        guest.close()


def main():
    if len(sys.argv) != 2:
        print("usage: test-guest-boot.py GUEST_DIR", file=sys.stderr)
        return 2
    guest_dir = sys.argv[1]

    boot1 = [
        ("console=ttyS0: QEMU starts and answers QMP", lambda g: g.start()),
        ("console=ttyS0: '%s' and 3 counting ticks on serial" % READY_LINE,
         lambda g: g.wait_ready(3, BOOT_TIMEOUT)),
        ("console=ttyS0: the VGA text console shows the same text", check_vga),
        ("console=ttyS0: system_powerdown powers the guest off cleanly", check_powerdown),
    ]
    boot2 = [
        ("quiet, no console=: QEMU starts and answers QMP", lambda g: g.start()),
        ("quiet, no console=: '%s' and 3 counting ticks on serial" % READY_LINE,
         lambda g: g.wait_ready(3, BOOT_TIMEOUT)),
        ("quiet, no console=: no kernel messages on serial", check_no_kernel_console),
        ("quiet, no console=: system_powerdown powers the guest off cleanly",
         check_powerdown),
    ]

    tap = Tap(len(boot1) + len(boot2))
    workdir = make_temp_dir()
    try:
        # Sequential on purpose: the build machines have two cores.
        run_boot(tap, guest_dir, workdir, "boot-serial", "console=ttyS0", boot1)
        run_boot(tap, guest_dir, workdir, "boot-quiet", "quiet", boot2)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
