#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Debian guests from Debian's archive: from nothing and from the cached base, to the login prompt.

Usage: bench/debian-guest.py [BUILD_DIR] [--suite S] [--no-mmdebstrap-baseline]
       (default build dir: build; needs Debian's archive; takes about 20 minutes)

In a fresh store (a temporary folder), through build/tests/slow/domus-debian-build (the
builder the daemon will use, hvcore/hv-debian-builder.c):
  first    a guest from nothing: the suite's base image is built (mmdebstrap, mke2fs,
           qemu-img), then its overlay, seed and .cfg; then booted, with the QEMU command
           Domus makes of the .cfg, under TCG until "login:" on its serial console;
  second   another guest: an overlay on the cached base; then booted the same way.
Baselines measured in the same run:
  mmdebstrap  bare mmdebstrap of the same suite and packages into a tarball (the floor of
              a first build: Domus adds the file system, the conversion and the guest);
  bare boot   the base image itself booted by a hand-written QEMU command (the suite's
              kernel and initrd, the same memory and devices, no seed): the guest's own
              boot time, which no builder can shorten.
The goal (issue 15): the second guest to its login prompt within 2 s plus the guest's own
boot time.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time


def args_and_options():
    args = sys.argv[1:]
    suite = "bookworm"
    baseline = "--no-mmdebstrap-baseline" not in args
    args = [a for a in args if a != "--no-mmdebstrap-baseline"]
    if "--suite" in args:
        i = args.index("--suite")
        suite = args[i + 1]
        del args[i:i + 2]
    return os.path.abspath(args[0] if args else "build"), suite, baseline


def build_guest(tool, work, name, key):
    start = time.monotonic()
    result = subprocess.run([tool, "--images", os.path.join(work, "images"), "--configs",
                             os.path.join(work, "configs"), "--ssh-key", key, name],
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(result.stderr)
    return time.monotonic() - start


def boot_to_login(command, log, prompt):
    start = time.monotonic()
    qemu = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.monotonic() - start < 900:
            if os.path.exists(log):
                with open(log, errors="replace") as f:
                    if prompt in f.read():
                        return time.monotonic() - start
            if qemu.poll() is not None:
                sys.exit("QEMU ended before the login prompt: %s" % " ".join(command))
            time.sleep(0.2)
        sys.exit("no login prompt within 900 s")
    finally:
        qemu.kill()
        qemu.wait()


def domus_boot(tool, work, name):
    run_dir = os.path.join(work, "run-" + name)
    os.mkdir(run_dir)
    command = subprocess.run([tool, "--qemu-command", os.path.join(work, "configs", name + ".cfg"), run_dir],
                             capture_output=True, text=True, check=True).stdout.splitlines()
    return boot_to_login(command, os.path.join(run_dir, "serial.log"), name + " login:")


def bare_boot(work, suite):
    images = os.path.join(work, "images")
    overlay = os.path.join(work, "bare.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", os.path.join(images, "debian-%s.qcow2" % suite),
                    "-F", "qcow2", overlay], check=True)
    log = os.path.join(work, "bare.serial")
    command = ["qemu-system-x86_64", "-accel", "tcg", "-m", "512", "-nodefaults", "-display", "none",
               "-kernel", os.path.join(images, "debian-%s.vmlinuz" % suite),
               "-initrd", os.path.join(images, "debian-%s.initrd" % suite),
               "-append", "root=/dev/vda ro console=ttyS0 net.ifnames=0",
               "-drive", "file=%s,format=qcow2,if=virtio" % overlay,
               "-netdev", "user,id=n0", "-device", "e1000,netdev=n0",
               "-serial", "file:" + log]
    return boot_to_login(command, log, "login:")


def mmdebstrap_baseline(work, suite):
    packages = ("linux-image-amd64,systemd-sysv,udev,openssh-server,ifupdown,isc-dhcp-client,"
                "netbase,kmod,e2fsprogs,passwd,ca-certificates")
    start = time.monotonic()
    subprocess.run(["mmdebstrap", "--quiet", "--mode=unshare", "--variant=apt", "--include=" + packages,
                    suite, os.path.join(work, "baseline.tar")], check=True,
                   env=dict(os.environ, TMPDIR=work))
    return time.monotonic() - start


def main():
    build, suite, baseline = args_and_options()
    tool = os.path.join(build, "tests", "slow", "domus-debian-build")
    work = tempfile.mkdtemp(prefix="domus-bench-debian-")
    try:
        key = os.path.join(work, "key")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
        rows = []
        if baseline:
            rows.append(("bare mmdebstrap (tarball only)", mmdebstrap_baseline(work, suite), None))
        first_build = build_guest(tool, work, "first", key + ".pub")
        first_boot = domus_boot(tool, work, "first")
        rows.append(("first guest (base built)", first_build, first_boot))
        second_build = build_guest(tool, work, "second", key + ".pub")
        second_boot = domus_boot(tool, work, "second")
        rows.append(("second guest (overlay on the base)", second_build, second_boot))
        rows.append(("bare boot of the base image", None, bare_boot(work, suite)))
        print("Debian %s guests, TCG, 512 MiB, seconds" % suite)
        print("%-36s %8s %8s %8s" % ("", "build", "boot", "total"))
        for what, built, boot in rows:
            print("%-36s %8s %8s %8s" % (what, "%.1f" % built if built is not None else "-",
                                         "%.1f" % boot if boot is not None else "-",
                                         "%.1f" % ((built or 0) + (boot or 0))))
        print("second guest over the guest's own boot: %.1f s (goal: under 2 s)" %
              (second_build + second_boot - rows[-1][2]))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
