#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Debian guests from Debian's archive: from nothing and from the cached base, to the login prompt.

Usage: bench/debian-guest.py [BUILD_DIR] [--suite S] [--no-mmdebstrap-baseline] [--store DIR]
                             [--rounds N]
       (default build dir: build; needs Debian's archive; takes about 20 minutes;
        --store DIR: an image store that holds the suite's base image already (of this
        builder's format: debian-SUITE-v3.qcow2; an older one is not used), e.g. the
        session daemon's ~/.local/share/domus/images: the first build and the mmdebstrap
        baseline are skipped, the second guest is made there and removed after; about
        5 minutes, no archive needed)

In a fresh store (a temporary folder), through a domusd of its own (--root, TCG, the
daemon's default translation cache), as a client would:
  first    a guest from nothing: image.debian builds the suite's base image (mmdebstrap,
           mke2fs, qemu-img), then the guest's overlay, seed and .cfg; then domain.start
           until "login:" on its serial console;
  second   another guest: image.debian makes an overlay on the cached base; then booted the
           same way (the first is shut off by then). --rounds N: N such guests, each
           followed or preceded (alternately) by a bare boot; medians and each round.
Baselines measured in the same run:
  mmdebstrap  bare mmdebstrap of the same suite and packages into a tarball (the floor of
              a first build: Domus adds the file system, the conversion and the guest);
  bare boot   the base image itself booted by a hand-written QEMU command (the suite's
              kernel and initrd, the same memory, the same TCG translation cache as Domus
              gave its guest, no seed): the guest's own boot time, which no builder can
              shorten.
The goal (issue 15): the second guest to its login prompt within 2 s plus the guest's own
boot time.
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from domusbench import Daemon, debian_bare_command, remove_debian_guests


def args_and_options():
    args = sys.argv[1:]
    baseline = "--no-mmdebstrap-baseline" not in args
    args = [a for a in args if a != "--no-mmdebstrap-baseline"]
    values = {"--suite": "bookworm", "--store": None, "--rounds": "1"}
    for option in values:
        if option in args:
            i = args.index(option)
            values[option] = args[i + 1]
            del args[i:i + 2]
    store = os.path.abspath(values["--store"]) if values["--store"] else None
    return (os.path.abspath(args[0] if args else "build"), values["--suite"], baseline and store is None, store,
            int(values["--rounds"]))


def build_guest(daemon, name, key, suite):
    """image.debian: the seconds it took, and the base image the guest stands on."""
    with open(key) as f:
        keys = f.read()
    start = time.monotonic()
    answer = daemon.call("image.debian", name=name, ssh_keys=keys, suite=suite)
    return time.monotonic() - start, answer["base"]


def wait_for_text(log, text, alive, timeout=900):
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if os.path.exists(log):
            with open(log, errors="replace") as f:
                if text in f.read():
                    return time.monotonic() - start
        if not alive():
            sys.exit("QEMU ended before %r (see %s)" % (text, log))
        time.sleep(0.2)
    sys.exit("no %r within %d s" % (text, timeout))


def domus_boot(daemon, name):
    """domain.start until NAME login:; then the domain is destroyed. The seconds, and the
    translation cache its QEMU got."""
    start = time.monotonic()
    daemon.call("domain.start", name=name)
    pid = daemon.qemu_pid(name)
    wait_for_text(os.path.join(daemon.root, "run", name, "serial.log"), name + " login:",
                  lambda: os.path.exists("/proc/%d" % pid))
    seconds = time.monotonic() - start
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        accel = [a for a in f.read().split(b"\0") if a.startswith(b"tcg")]
    daemon.call("domain.destroy", name=name)
    return seconds, accel[0].decode() if accel else "tcg"


def boot_to_login(command, log, prompt):
    qemu = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return wait_for_text(log, prompt, lambda: qemu.poll() is None)
    finally:
        qemu.kill()
        qemu.wait()


def bare_boot(base, work, accel):
    """BASE (the store's debian-SUITE-vN.qcow2, its kernel and initrd beside it) booted by
    a hand-written QEMU command, on an overlay of its own, until "login:"."""
    command, log = debian_bare_command(base, work, accel)
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
    build, suite, baseline, store, rounds = args_and_options()
    domusd = os.path.join(build, "hvcore", "domusd")
    if not os.path.exists(domusd):
        sys.exit("%s is missing: meson setup %s && meson compile -C %s" % (domusd, build, build))
    work = tempfile.mkdtemp(prefix="domus-bench-debian-")
    daemon = None
    made = []
    try:
        key = os.path.join(work, "key")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
        rows = []
        if baseline:
            rows.append(("bare mmdebstrap (tarball only)", mmdebstrap_baseline(work, suite), None))
        root = os.path.join(work, "root")
        os.makedirs(root)
        daemon = Daemon(domusd, root, images=store)
        base = None
        if store is None:
            first_build, base = build_guest(daemon, "first", key + ".pub", suite)
            first_boot, _ = domus_boot(daemon, "first")
            rows.append(("first guest (base built)", first_build, first_boot))
        accel = "tcg"
        seconds = []  # per round: (build, boot, bare boot)
        for round_number in range(rounds):
            second = "second%d" % round_number if store is None else "bench-second-%d-%d" % (os.getpid(), round_number)
            made.append(second)
            bare = bare_boot(base, work, accel) if round_number % 2 == 1 else None
            second_build, base = build_guest(daemon, second, key + ".pub", suite)
            second_boot, accel = domus_boot(daemon, second)
            if bare is None:
                bare = bare_boot(base, work, accel)
            seconds.append((second_build, second_boot, bare))
            print("round %d: second guest build %.1f s, boot %.1f s; bare boot %.1f s [load average %.1f]"
                  % ((round_number + 1, second_build, second_boot, bare) + os.getloadavg()[:1]), flush=True)
        median = [statistics.median(column) for column in zip(*seconds)]
        rows.append(("second guest (overlay on the base)", median[0], median[1]))
        rows.append(("bare boot of the base image", None, median[2]))
        print("Debian %s guests, TCG (-accel %s, the daemon's default for 512 MiB), seconds%s [load average "
              "%.1f %.1f %.1f at the end]" % ((suite, accel, ", medians of %d rounds" % rounds if rounds > 1 else "")
                                             + os.getloadavg()))
        print("%-36s %8s %8s %8s" % ("", "build", "boot", "total"))
        for what, built, boot in rows:
            print("%-36s %8s %8s %8s" % (what, "%.1f" % built if built is not None else "-",
                                         "%.1f" % boot if boot is not None else "-",
                                         "%.1f" % ((built or 0) + (boot or 0))))
        over = [b + s - bare for b, s, bare in seconds]
        print("second guest over the guest's own boot: median %.1f s, per round %s (goal: under 2 s)"
              % (statistics.median(over), " ".join("%.1f" % o for o in over)))
    finally:
        if daemon is not None:
            daemon.stop()
        if store is not None:
            remove_debian_guests(store, made)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
