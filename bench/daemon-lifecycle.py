#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The daemon's costs, each next to a baseline measured in the same run.

Usage: bench/daemon-lifecycle.py [BUILD_DIR] [--rounds N] [--guests N] [--only PART]
       (default build dir: build; the test guest must be built:
        meson compile -C build test-guest)

1. create-to-running: `domusctl create FILE` (client start, RPC, config checks,
   run folder, QEMU start, QMP handshake) against bare QEMU started with the very
   command line the daemon uses, until it has daemonized (the guest is set up).
2. the daemon's CPU and RSS over 30 s at 1 Hz sampling with N guests (paused, so
   that they do not crowd the two cores), against the same daemon with no guest.
3. QEMU's RSS per idle guest (128 MiB, the least the test guest's Debian kernel
   boots in; booted, 20 s idle) with QEMU's default TCG translation cache and with
   the daemon's tb-size choices, and the time each takes to boot to userland.

Everything runs under a temporary --root; the script ends what it started, by PID.
"""

import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import lib_args  # bench/lib_args.py, beside this script

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)


def parse_args():
    parser = lib_args.parser_with_build()
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--guests", type=int, default=20)
    parser.add_argument("--only", choices=["create", "idle-daemon", "tb-size"])
    return parser.parse_args()


ARGS = parse_args()
DOMUSD = os.path.join(ARGS.build, "hvcore", "domusd")
DOMUSCTL = os.path.join(ARGS.build, "cli", "domusctl")
GUEST = os.path.join(ARGS.build, "tests", "guest")
TICKS = os.sysconf("SC_CLK_TCK")


def config(name, memory=128):
    return ('name = "%s"\nkernel = "%s"\nramdisk = "%s"\nmemory = %d\n'
            'extra = "domus.loglevel=1"\n' % (name, os.path.join(GUEST, "vmlinuz"),
                                              os.path.join(GUEST, "initrd.img"), memory))


class Daemon:
    def __init__(self, root, *extra):
        self.root = root
        self.uri = "unix:" + os.path.join(root, "domusd.sock")
        self.log = open(os.path.join(root, "domusd.log"), "ab")
        self.process = subprocess.Popen([DOMUSD, "--root", root, "--accel", "tcg"] + list(extra),
                                        stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(os.path.join(root, "domusd.sock"))
                s.close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("domusd did not start")

    def ctl(self, *args):
        return subprocess.run([DOMUSCTL, "--connect", self.uri] + list(args),
                              capture_output=True, text=True, check=True).stdout

    def stop(self):
        for pid in qemu_pids(self.root):
            kill(pid)
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(10)
        self.log.close()


class RpcClient:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(path)
        self.file = self.sock.makefile("rwb", buffering=0)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.file.write((json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method,
                                     "params": params}) + "\n").encode())
        while True:
            reply = json.loads(self.file.readline())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(reply["error"]["message"])
                return reply["result"]


def kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def qemu_pids(root):
    pids = []
    run = os.path.join(root, "run")
    for name in os.listdir(run) if os.path.isdir(run) else []:
        try:
            with open(os.path.join(run, name, "qemu.pid")) as f:
                pids.append(int(f.read()))
        except (OSError, ValueError):
            pass
    return pids


def wait_gone(pid):
    while True:
        try:
            with open("/proc/%d/stat" % pid) as f:
                if f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                    return
        except OSError:
            return
        time.sleep(0.005)


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def median_ms(values):
    return statistics.median(values) * 1000


def bench_create(workdir):
    root = os.path.join(workdir, "create")
    os.makedirs(root)
    daemon = Daemon(root)
    cfg = os.path.join(workdir, "bench.cfg")
    with open(cfg, "w") as f:
        f.write(config("bench"))
    domus, bare, rpc, version = [], [], [], []
    client = RpcClient(os.path.join(root, "domusd.sock"))
    bare_dir = os.path.join(workdir, "bare")
    run_dir = os.path.join(root, "run", "bench")
    try:
        # Rounds alternate, so that neither side gets the warmer caches.
        for _ in range(ARGS.rounds):
            t0 = time.perf_counter()
            daemon.ctl("create", cfg)
            domus.append(time.perf_counter() - t0)
            pid = qemu_pids(root)[0]
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                argv = [a.decode() for a in f.read().split(b"\0") if a]
            daemon.ctl("destroy", "bench")

            # The daemon's part alone: domain.create over a connection already open.
            t0 = time.perf_counter()
            client.call("domain.create", config=open(cfg).read(), filename=cfg)
            rpc.append(time.perf_counter() - t0)
            client.call("domain.destroy", name="bench")

            # The client's part alone: starting domusctl.
            t0 = time.perf_counter()
            subprocess.run([DOMUSCTL, "--version"], capture_output=True, check=True)
            version.append(time.perf_counter() - t0)

            # The same command line, sockets in a folder of its own.
            os.makedirs(bare_dir)
            t0 = time.perf_counter()
            subprocess.run([a.replace(run_dir, bare_dir) for a in argv], check=True)
            bare.append(time.perf_counter() - t0)
            with open(os.path.join(bare_dir, "qemu.pid")) as f:
                pid = int(f.read())
            kill(pid)
            wait_gone(pid)
            shutil.rmtree(bare_dir)
    finally:
        daemon.stop()
    print("1. create-to-running, median of %d (ms)" % ARGS.rounds)
    print("   %-40s %8.1f" % ("bare QEMU, same command line", median_ms(bare)))
    print("   %-40s %8.1f   (%.2fx bare)" % ("domusctl create", median_ms(domus),
                                               statistics.median(domus) / statistics.median(bare)))
    print("   %-40s %8.1f   (%.2fx bare)" % ("domain.create on an open connection", median_ms(rpc),
                                               statistics.median(rpc) / statistics.median(bare)))
    print("   %-40s %8.1f" % ("domusctl --version (process start)", median_ms(version)))
    if shutil.which("virsh"):
        print("   (virsh is installed: compare `time virsh create` of the same guest by hand)")
    else:
        print("   libvirt is not installed here: no virsh figure in this run")


def sample_daemon(pid, seconds):
    t0, c0 = time.monotonic(), cpu_ticks(pid)
    rss = []
    while time.monotonic() - t0 < seconds:
        time.sleep(1)
        rss.append(rss_kib(pid))
    cpu = (cpu_ticks(pid) - c0) / TICKS / (time.monotonic() - t0) * 100
    return cpu, max(rss) / 1024


def bench_idle_daemon(workdir):
    root = os.path.join(workdir, "idle")
    os.makedirs(root)
    os.makedirs(os.path.join(workdir, "empty"))
    empty = Daemon(os.path.join(workdir, "empty"))
    try:
        base_cpu, base_rss = sample_daemon(empty.process.pid, 30)
    finally:
        empty.stop()
    daemon = Daemon(root)
    try:
        for i in range(ARGS.guests):
            cfg = os.path.join(workdir, "g%d.cfg" % i)
            with open(cfg, "w") as f:
                f.write(config("g%d" % i))
            daemon.ctl("create", cfg)
            daemon.ctl("pause", "g%d" % i)
        # Let a ring's worth of history build up before measuring its cost.
        time.sleep(5)
        cpu, rss = sample_daemon(daemon.process.pid, 30)
    finally:
        daemon.stop()
    print("2. domusd over 30 s, stats every 1 s")
    print("   %-40s %6.2f %% of a core  %6.1f MiB RSS" % ("no guests", base_cpu, base_rss))
    print("   %-40s %6.2f %% of a core  %6.1f MiB RSS" % ("%d paused guests" % ARGS.guests, cpu, rss))


def bench_tb_size(workdir):
    print("3. QEMU RSS of one idle 128 MiB guest, 20 s after boot (MiB)")
    for tb in (0, 128, 64, 32):
        root = os.path.join(workdir, "tb%d" % tb)
        os.makedirs(root)
        daemon = Daemon(root, "--tb-size", str(tb))
        cfg = os.path.join(workdir, "tb.cfg")
        with open(cfg, "w") as f:
            f.write(config("tb"))
        try:
            t0 = time.perf_counter()
            daemon.ctl("create", cfg)
            log = os.path.join(root, "run", "tb", "serial.log")
            while "domus-test-guest ready" not in open(log, errors="replace").read():
                time.sleep(0.1)
            boot = time.perf_counter() - t0
            time.sleep(20)
            rss = rss_kib(qemu_pids(root)[0]) / 1024
        finally:
            daemon.stop()
        label = "QEMU's default (tb-size not set)" if tb == 0 else "tb-size=%d" % tb
        print("   %-40s %8.1f   (boot to userland %.1f s)" % (label, rss, boot))


def main():
    for path in (DOMUSD, DOMUSCTL, os.path.join(GUEST, "vmlinuz")):
        if not os.path.exists(path):
            sys.exit("%s is missing: meson compile -C %s && meson compile -C %s test-guest"
                     % (path, ARGS.build, ARGS.build))
    workdir = tempfile.mkdtemp(prefix="domus-bench-")
    try:
        if ARGS.only in (None, "create"):
            bench_create(workdir)
        if ARGS.only in (None, "idle-daemon"):
            bench_idle_daemon(workdir)
        if ARGS.only in (None, "tb-size"):
            bench_tb_size(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
