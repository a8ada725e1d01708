#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where a Debian guest's first boot goes, seeded against bare, on the guest's own clock.

Usage: bench/debian-boot-phases.py [BUILD_DIR] --store DIR [--other-base FILE.qcow2] [--rounds N]
       (DIR: an image store holding this builder's base, debian-SUITE-vN.qcow2 with its
        kernel and initrd; --other-base: another format's base, e.g. an older
        debian-bookworm-v2.qcow2 with its kernel and initrd beside it, booted the same way
        in the same rounds; no archive needed)

Per round, in rotated order: a seeded first boot (a new guest made by
build/tests/slow/domus-debian-build on the base, booted with the QEMU command Domus makes of
its .cfg) and a bare boot (the base on an overlay of its own, the hand-written QEMU command
of bench/debian-guest.py, no seed); with --other-base, the same two for that base (its
guest's disk an overlay on it, with the same kind of seed). Each boot has
systemd.log_target=kmsg on its kernel command line, so the serial console carries systemd's
messages stamped with the guest's clock: printed are the seconds from QEMU's start to
"login:" and, on the guest's clock, when the kernel ran /init, systemd started,
domus-guest-setup started and finished, networking.service finished, the serial getty and
sshd started. The guests and overlays are removed after.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from domusbench import debian_bare_command, debian_kernel_files, remove_debian_guests
from lib_args import parser_with_build

EXTRA = " systemd.log_target=kmsg systemd.log_level=info"
MARKS = [("init", "Run /init"), ("systemd", "running in system mode"),
         ("setup+", "Starting domus-guest-setup.service"), ("setup.", "Finished domus-guest-setup.service"),
         ("net", "Finished networking.service"), ("getty", "Started serial-getty@ttyS0"),
         ("sshd", "Started ssh.service")]


def phases(text):
    seen = {}
    for line in text.splitlines():
        stamp = re.match(r"\[\s*([0-9.]+)\]", line.strip())
        if stamp:
            for key, needle in MARKS:
                if needle in line and key not in seen:
                    seen[key] = float(stamp.group(1))
    setup = seen.get("setup.", 0) - seen.get("setup+", 0)
    return " ".join("%s=%.1f" % (k, seen[k]) for k, _ in MARKS if k in seen) + " (setup %.1f s)" % setup


def boot(command, log):
    """Seconds from QEMU's start to "login:", and the serial text by the end of the boot."""
    start = time.monotonic()
    qemu = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    login, text = None, ""
    try:
        while qemu.poll() is None and time.monotonic() - start < 900:
            text = open(log, errors="replace").read() if os.path.exists(log) else ""
            if login is None and "login:" in text:
                login = time.monotonic() - start
            if login is not None and ("Startup finished" in text or time.monotonic() - start > login + 30):
                break
            time.sleep(0.2)
    finally:
        qemu.kill()
        qemu.wait()
    return login, text


def bare_command(base, work):
    return debian_bare_command(base, work, append=EXTRA)


def seeded_command(tool, store, work, name, key, own_base, base):
    """A new guest NAME on the store's base; with BASE another than OWN_BASE, its disk is made
    an overlay on BASE and its .cfg boots BASE's kernel."""
    configs = os.path.join(work, "configs")
    subprocess.run([tool, "--images", store, "--configs", configs, "--ssh-key", key, "--ssh-port", "-1", name],
                   check=True, capture_output=True)
    cfg = os.path.join(configs, name + ".cfg")
    if base != own_base:
        disk = os.path.join(store, name + ".qcow2")
        os.unlink(disk)
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", base, "-F", "qcow2", disk, "4G"],
                       check=True)
        text = open(cfg).read()
        for own, other in zip(debian_kernel_files(own_base), debian_kernel_files(base)):
            text = text.replace(own, other)
        with open(cfg, "w") as f:
            f.write(text)
    run = os.path.join(work, "run-" + name)
    os.makedirs(run)
    command = subprocess.run([tool, "--qemu-command", cfg, run], capture_output=True, text=True,
                             check=True).stdout.splitlines()
    command[command.index("-append") + 1] += EXTRA
    return command, os.path.join(run, "serial.log")


def main():
    parser = parser_with_build("Where a Debian guest's first boot goes, seeded against bare.")
    parser.add_argument("--store", required=True, type=os.path.abspath, help="an image store holding a base")
    parser.add_argument("--other-base", type=os.path.abspath, help="another format's base image, booted alike")
    parser.add_argument("--rounds", type=int, default=1)
    options = parser.parse_args()
    tool = os.path.join(options.build, "tests", "slow", "domus-debian-build")
    if not os.access(tool, os.X_OK):
        sys.exit("%s is missing: meson compile -C %s" % (tool, options.build))
    store = options.store
    bases = sorted((f for f in os.listdir(store) if re.fullmatch(r"debian-[a-z0-9-]+-v\d+\.qcow2", f)),
                   key=lambda f: int(re.search(r"-v(\d+)\.qcow2$", f).group(1)))
    if not bases:
        sys.exit("%s holds no base image (debian-SUITE-vN.qcow2)" % store)
    own = os.path.join(store, bases[-1])
    formats = [own] + ([options.other_base] if options.other_base else [])
    work = tempfile.mkdtemp(prefix="domus-bench-phases-")
    made = []
    try:
        key = os.path.join(work, "key")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
        for round_number in range(options.rounds):
            jobs = []
            for base in formats:
                name = "phases-%d-%d-%d" % (os.getpid(), round_number, len(made))
                made.append(name)
                jobs.append(("seeded " + os.path.basename(base),
                             lambda base=base, name=name: seeded_command(tool, store, work, name, key + ".pub",
                                                                          own, base)))
                jobs.append(("bare   " + os.path.basename(base), lambda base=base: bare_command(base, work)))
            shift = round_number % len(jobs)
            for what, command in jobs[shift:] + jobs[:shift]:
                login, text = boot(*command())
                print("round %d %-32s login: %s [load %.1f] %s"
                      % (round_number + 1, what, "%.1f s" % login if login else "never", os.getloadavg()[0],
                         phases(text)), flush=True)
    finally:
        remove_debian_guests(store, made)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
