#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""TCG's translation cache (tb-size): what it costs small guests and what it saves real ones.

Usage: bench/tb-size.py [BUILD_DIR] [--only test|many|debian] [--tb LIST] [--guests N]
                        [--store DIR] [--timeout S]
                        [--rounds N]
       (default build dir: build; the test guest must be built:
        meson compile -C build test-guest; the debian part needs Debian's archive
        unless --store names an image store that holds the base image already)

Each value of --tb (default 32,64,128,256,0,auto) is one domusd under a temporary --root
started with `--tb-size VALUE` (0: QEMU's own default, a cache of up to 1 GiB), or, for
`auto`, with no --tb-size: the daemon's default rule. Guests run under TCG.
  test    the test guest (128 MiB): seconds from domain.create to "domus-test-guest
          ready", and its QEMU's RSS after 20 s idle;
  many    N test guests (default 20) booted and left idle for 20 s: their QEMUs' RSS,
          summed, for --tb values 32, 0 and auto only (the others add little);
  debian  a Debian guest (512 MiB, image.debian, an overlay on the suite's base image):
          seconds from domain.start to "login:" on its serial console (given up after
          --timeout, default 900 s) and until root runs a command over SSH (through the
          vif's port forward); then a workload over SSH (a few rounds of dpkg, perl, find
          and md5sum over /usr: much distinct code, what a cache too small must translate
          again and again), its seconds; and its QEMU's RSS after that. --rounds N repeats
          the whole list N times (the order of the values alternates).
The machine's load average is printed before each part: figures from a loaded machine
are only comparable within one run.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

from domusbench import Daemon as BenchDaemon, rss_mib

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("build", nargs="?", default=os.path.join(SOURCE, "build"))
    parser.add_argument("--only", choices=["test", "many", "debian"])
    parser.add_argument("--tb", default="32,64,128,256,0,auto")
    parser.add_argument("--guests", type=int, default=20)
    parser.add_argument("--store", help="an image store holding debian-SUITE.qcow2 already")
    parser.add_argument("--suite", default="bookworm")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--rounds", type=int, default=1)
    return parser.parse_args()


ARGS = parse_args()
DOMUSD = os.path.join(os.path.abspath(ARGS.build), "hvcore", "domusd")
GUEST = os.path.join(os.path.abspath(ARGS.build), "tests", "guest")
TB_VALUES = [v.strip() for v in ARGS.tb.split(",") if v.strip()]


def label(tb):
    return {"0": "QEMU's default (0)", "auto": "the daemon's default"}.get(tb, "tb-size=%s" % tb)


def Daemon(root, tb, images=None):
    """A domusd with --tb-size VALUE, or none for "auto"."""
    return BenchDaemon(DOMUSD, root, [] if tb == "auto" else ["--tb-size", tb], images)


def test_config(name):
    return ('name = "%s"\nkernel = "%s"\nramdisk = "%s"\nmemory = 128\n'
            'extra = "console=ttyS0 domus.loglevel=1"\n' % (name, os.path.join(GUEST, "vmlinuz"),
                                                             os.path.join(GUEST, "initrd.img")))


def wait_for(daemon, name, text, timeout, start):
    """Seconds from `start` until `text` is on the domain's serial console, or None after timeout."""
    while time.monotonic() - start < timeout:
        if text in daemon.serial(name):
            return time.monotonic() - start
        time.sleep(0.2)
    return None


def load():
    return "load average %.1f %.1f %.1f" % os.getloadavg()


def bench_test(work):
    print("1. the test guest (128 MiB): create to userland, RSS after 20 s idle  [%s]" % load())
    for tb in TB_VALUES:
        daemon = Daemon(os.path.join(work, "test-" + tb), tb)
        try:
            start = time.monotonic()
            daemon.call("domain.create", config=test_config("t"))
            boot = wait_for(daemon, "t", "domus-test-guest ready", 120, start)
            time.sleep(20)
            shown = "%6.1f s" % boot if boot is not None else "> 120 s"
            print("   %-28s boot %8s   RSS %7.1f MiB" % (label(tb), shown, rss_mib(daemon.qemu_pid("t"))),
                  flush=True)
        finally:
            daemon.stop()


def bench_many(work):
    print("2. %d idle test guests (128 MiB each): their QEMUs' RSS  [%s]" % (ARGS.guests, load()))
    for tb in [v for v in TB_VALUES if v in ("32", "0", "auto")]:
        daemon = Daemon(os.path.join(work, "many-" + tb), tb)
        try:
            names = ["g%d" % i for i in range(ARGS.guests)]
            for name in names:
                daemon.call("domain.create", config=test_config(name))
            start = time.monotonic()
            for name in names:
                wait_for(daemon, name, "domus-test-guest ready", 300, start)
            time.sleep(20)
            rss = [rss_mib(daemon.qemu_pid(name)) for name in names]
            print("   %-28s total %8.1f MiB   per guest %6.1f MiB" % (label(tb), sum(rss), sum(rss) / len(rss)),
                  flush=True)
        finally:
            daemon.stop()


def debian_store(work):
    """A store holding the suite's base image: --store, or one built here (minutes)."""
    if ARGS.store:
        return os.path.abspath(ARGS.store)
    store = os.path.join(work, "store")
    os.makedirs(store)
    daemon = Daemon(os.path.join(work, "base"), "auto", images=store)
    try:
        start = time.monotonic()
        daemon.call("image.debian", name="base-guest", suite=ARGS.suite, ssh_keys=ssh_key(work))
        print("   (the base image was built first: %.0f s)" % (time.monotonic() - start), flush=True)
    finally:
        daemon.stop()
    return store


def ssh_key(work):
    key = os.path.join(work, "key")
    if not os.path.exists(key):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
    with open(key + ".pub") as f:
        return f.read()


WORKLOAD = ("for i in 1 2 3; do dpkg -l > /dev/null; dpkg -S /bin/ls > /dev/null; "
            "perl -e 'my %h; $h{$_} = $_ * 2 for 1 .. 200000; print scalar (keys %h), qq(\\n)' > /dev/null; "
            "find /usr/lib -name '*.so*' -type f | head -300 | xargs md5sum > /dev/null; "
            "ls -lR /usr/share > /dev/null; done")


def ssh(work, port, command, timeout):
    return subprocess.run(["ssh", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                           "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-i", os.path.join(work, "key"),
                           "-p", str(port), "root@127.0.0.1", command],
                          capture_output=True, text=True, timeout=timeout)


def wait_for_ssh(work, port, start, timeout):
    """Seconds from `start` until root runs `true` over SSH, or None."""
    while time.monotonic() - start < timeout:
        try:
            if ssh(work, port, "true", 60).returncode == 0:
                return time.monotonic() - start
        except subprocess.TimeoutExpired:
            pass
        time.sleep(2)
    return None


def shown(seconds, timeout):
    return "%6.0f s" % seconds if seconds is not None else "> %.0f s" % timeout


def boot_debian(work, store, tb, name):
    daemon = Daemon(os.path.join(work, "debian-" + name), tb, images=store)
    try:
        port = daemon.call("image.debian", name=name, suite=ARGS.suite, ssh_keys=ssh_key(work))["ssh_port"]
        start = time.monotonic()
        daemon.call("domain.start", name=name)
        login = wait_for(daemon, name, name + " login:", ARGS.timeout, start)
        ready = wait_for_ssh(work, port, start, ARGS.timeout) if login is not None else None
        work_seconds = None
        if ready is not None:
            begin = time.monotonic()
            if ssh(work, port, WORKLOAD, ARGS.timeout).returncode == 0:
                work_seconds = time.monotonic() - begin
        print("   %-28s login %8s   ssh %8s   workload %8s   RSS %7.1f MiB   [%s]"
              % (label(tb), shown(login, ARGS.timeout), shown(ready, ARGS.timeout), shown(work_seconds, ARGS.timeout),
                 rss_mib(daemon.qemu_pid(name)), load()), flush=True)
    finally:
        daemon.stop()
        for suffix in (".qcow2", "-seed.iso"):
            path = os.path.join(store, name + suffix)
            if os.path.exists(path):
                os.unlink(path)


def bench_debian(work):
    print("3. a Debian %s guest (512 MiB): start to its login prompt and to SSH; a workload  [%s]"
          % (ARGS.suite, load()), flush=True)
    store = debian_store(work)
    for round_number in range(ARGS.rounds):
        values = TB_VALUES if round_number % 2 == 0 else list(reversed(TB_VALUES))
        for i, tb in enumerate(values):
            boot_debian(work, store, tb, "tb%d-%d-%d" % (round_number, i, os.getpid()))


def main():
    for path in (DOMUSD, os.path.join(GUEST, "vmlinuz")):
        if not os.path.exists(path):
            sys.exit("%s is missing: meson compile -C %s && meson compile -C %s test-guest"
                     % (path, ARGS.build, ARGS.build))
    work = tempfile.mkdtemp(prefix="domus-bench-tb-")
    try:
        if ARGS.only in (None, "test"):
            bench_test(work)
        if ARGS.only in (None, "many"):
            bench_many(work)
        if ARGS.only in (None, "debian"):
            bench_debian(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
