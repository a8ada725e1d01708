#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Live migration on loopback: bare QEMU driven over QMP against Domus, in the same run.

Usage: bench/migration.py [BUILD_DIR] [--rounds N] [--only idle|dirty] [--memory MIB]
       (default build dir: build; the test guest must be built:
        meson compile -C build test-guest)

The guest is the test guest (docs/test-guest.md), 256 MiB, TCG, one vCPU.

idle:  the guest sits in its one-tick-a-second loop.
  bare defaults  two QEMU processes started here (the target with -incoming defer),
                 `migrate-incoming` + `migrate` over tcp:127.0.0.1, no parameters set:
                 QEMU's own max-bandwidth (128 MiB/s) and downtime-limit (300 ms).
  bare tuned     the same with max-bandwidth lifted (100 GiB/s) and downtime-limit 20 ms.
  Domus          two domusd under --root (relocation on), `domusctl migrate --live`;
                 rounds go A -> B, B -> A, ...
  Reported: downtime and total-time as QEMU measured them (query-migrate on the source),
  the wall time of the whole operation (bare: from `migrate` to `completed`; Domus: the
  whole `domusctl migrate` process, connecting and starting the target's QEMU included),
  and the bytes sent.

dirty: the guest rewrites a 64 MiB buffer of random bytes over and over (dd from a
  tmpfs file into a 64 MiB buffer), so pages go dirty as fast as one TCG vCPU can copy
  (about 230 MiB/s here). The test guest's /init has no option for this, so the guest
  is booted with `rdinit=/bin/busybox -- sh -c "..."`: the same kernel and initramfs, a
  different PID 1. Loopback carries more than that, so it is run twice: on the open
  link, and on a link capped at DIRTY_CAP_MIB MiB/s (bare: max-bandwidth; Domus:
  --bandwidth), slower than the guest writes. Bare tuned (no auto-converge), Domus
  (auto-converge on) and, on the capped link, Domus with --postcopy each get
  DIRTY_LIMIT_S to finish; reported: converged or not, downtime, wall time, sent,
  the dirty rate QEMU saw, the auto-converge throttle or "post-copy".

Everything runs in a temporary folder; every process started here is ended by its PID.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("build", nargs="?", default=os.path.join(SOURCE, "build"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--memory", type=int, default=256)
    parser.add_argument("--only", choices=["idle", "dirty"])
    return parser.parse_args()


ARGS = parse_args()
DOMUSD = os.path.join(ARGS.build, "hvcore", "domusd")
DOMUSCTL = os.path.join(ARGS.build, "cli", "domusctl")
GUEST = os.path.join(ARGS.build, "tests", "guest")
QEMU = os.environ.get("DOMUS_QEMU", "qemu-system-x86_64")
READY_LINE = "domus-test-guest ready"
DIRTY_READY = "dirty-ready"
SETTLE_S = 3.0            # after the guest is ready: let boot-time writes settle
DIRTY_LIMIT_S = 120.0     # a migration of the dirtying guest that takes longer did not converge
DIRTY_CAP_MIB = 16        # the slow link of the second dirty run
VERBOSE_RE = re.compile(r"QEMU: total (\d+) ms, setup (\d+) ms, downtime (\d+) ms, (\d+) bytes, "
                        r"dirty rate ([\d.]+) MiB/s, throttle (\d+)%")
FINAL_RE = re.compile(r"downtime (\d+) ms, total (\d+) ms, transferred (\d+) MiB")

# PID 1 for the dirty case. No double quotes or single quotes inside: it travels in a
# kernel command line and, for Domus, in a cfg string.
DIRTY_SCRIPT = ("busybox mount -t devtmpfs d /dev; busybox mount -t tmpfs t /tmp; "
                "busybox dd if=/dev/urandom of=/tmp/r bs=1M count=64 2>/dev/null; "
                "busybox echo " + DIRTY_READY + "; "
                "i=0; while :; do busybox dd if=/tmp/r of=/dev/null bs=64M 2>/dev/null; "
                "i=$((i+1)); busybox echo pass $i; done")
DIRTY_CMDLINE = 'console=ttyS0 rdinit=/bin/busybox -- sh -c "%s"' % DIRTY_SCRIPT
IDLE_CMDLINE = "console=ttyS0"


def kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise RuntimeError("timed out waiting for " + what)


def read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("latin-1")
    except FileNotFoundError:
        return ""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Qmp:
    def __init__(self, path, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        self.file = self.sock.makefile("rwb", buffering=0)
        json.loads(self.file.readline())          # the greeting
        self.execute("qmp_capabilities")

    def execute(self, command, **arguments):
        message = {"execute": command}
        if arguments:
            message["arguments"] = arguments
        self.file.write((json.dumps(message) + "\n").encode())
        while True:
            reply = json.loads(self.file.readline())
            if "event" in reply:
                continue
            if "error" in reply:
                raise RuntimeError("%s: %s" % (command, reply["error"].get("desc")))
            return reply.get("return")

    def close(self):
        self.sock.close()


class BareQemu:
    """One QEMU process running the test guest, QMP on a socket, serial to a file."""

    def __init__(self, workdir, name, cmdline, incoming=False):
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir)
        self.serial = os.path.join(self.dir, "serial.log")
        argv = [QEMU, "-accel", "tcg", "-m", str(ARGS.memory), "-smp", "1",
                "-nodefaults", "-vga", "std", "-display", "none",
                "-kernel", os.path.join(GUEST, "vmlinuz"),
                "-initrd", os.path.join(GUEST, "initrd.img"), "-append", cmdline,
                "-serial", "file:" + self.serial,
                "-qmp", "unix:%s,server=on,wait=off" % os.path.join(self.dir, "qmp.sock")]
        if incoming:
            argv += ["-incoming", "defer"]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.qmp = Qmp(os.path.join(self.dir, "qmp.sock"))

    def close(self):
        try:
            self.qmp.close()
        except OSError:
            pass
        kill(self.proc.pid)
        self.proc.wait()


def query_numbers(info):
    ram = info.get("ram", {})
    return {
        "downtime_ms": info.get("downtime"),
        "total_ms": info.get("total-time"),
        "setup_ms": info.get("setup-time"),
        "bytes": ram.get("transferred", 0),
        "dirty_rate": ram.get("dirty-pages-rate", 0) * ram.get("page-size", 4096),
        "throttle": info.get("cpu-throttle-percentage", 0),
    }


def bare_round(workdir, label, tuned, dirty, bandwidth_mib=0):
    cmdline = DIRTY_CMDLINE if dirty else IDLE_CMDLINE
    ready = DIRTY_READY if dirty else READY_LINE
    source = BareQemu(workdir, label + "-src", cmdline)
    target = BareQemu(workdir, label + "-dst", cmdline, incoming=True)
    try:
        wait_for(lambda: ready in read_text(source.serial), 120, "the guest to be ready")
        time.sleep(SETTLE_S)
        port = free_port()
        target.qmp.execute("migrate-incoming", uri="tcp:127.0.0.1:%d" % port)
        if tuned:
            source.qmp.execute("migrate-set-parameters",
                               **{"max-bandwidth": (bandwidth_mib << 20) if bandwidth_mib else 100 << 30,
                                  "downtime-limit": 20})
        t0 = time.perf_counter()
        source.qmp.execute("migrate", uri="tcp:127.0.0.1:%d" % port)
        limit = time.monotonic() + (DIRTY_LIMIT_S if dirty else 120)
        info = {}
        dirty_seen = 0
        while time.monotonic() < limit:
            info = source.qmp.execute("query-migrate")
            if info.get("status") in ("completed", "failed", "cancelled"):
                break
            dirty_seen = max(dirty_seen, query_numbers(info)["dirty_rate"])
            time.sleep(0.005)
        wall_ms = (time.perf_counter() - t0) * 1000
        converged = info.get("status") == "completed"
        if not converged:
            numbers = query_numbers(info)
            source.qmp.execute("migrate_cancel")
        else:
            numbers = query_numbers(info)
            wait_for(lambda: target.qmp.execute("query-status")["status"] == "running", 10,
                     "the target to run")
        numbers["dirty_rate"] = max(numbers["dirty_rate"], dirty_seen)
        numbers.update(wall_ms=wall_ms, converged=converged, status=info.get("status"))
        return numbers
    finally:
        source.close()
        target.close()


class ProgressWatch:
    """The source daemon's migration.progress notifications, on a connection of their own."""

    def __init__(self, socket_path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(socket_path)
        self.sock.sendall(b'{"jsonrpc": "2.0", "id": 1, "method": "hello"}\n')
        self.last = {}
        self.max_dirty = 0
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.sock.makefile("rb"):
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if message.get("method") == "migration.progress":
                params = message["params"]
                self.last = params
                self.max_dirty = max(self.max_dirty, params.get("dirty_rate_bytes_per_s", 0))

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class Daemon:
    def __init__(self, root, name):
        self.root = root
        os.makedirs(root)
        with open(os.path.join(root, "domusd.conf"), "w") as f:
            f.write("[relocation]\nenabled=true\naddress=127.0.0.1\nhosts-allow=^127\\.0\\.0\\.1$\n")
        self.uri = "unix:" + os.path.join(root, "domusd.sock")
        self.log = open(os.path.join(root, "domusd.log"), "ab")
        self.process = subprocess.Popen([DOMUSD, "--root", root, "--name", name, "--accel", "tcg"],
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

    def ctl(self, *args, check=True):
        return subprocess.run([DOMUSCTL, "--connect", self.uri] + list(args),
                              capture_output=True, text=True, check=check)

    def serial_log(self, name):
        return os.path.join(self.root, "run", name, "serial.log")

    def qemu_pids(self):
        pids = []
        run = os.path.join(self.root, "run")
        for name in os.listdir(run) if os.path.isdir(run) else []:
            try:
                with open(os.path.join(run, name, "qemu.pid")) as f:
                    pids.append(int(f.read()))
            except (OSError, ValueError):
                pass
        return pids

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(10)
        for pid in self.qemu_pids():
            kill(pid)
        self.log.close()


def domus_config(name, cmdline):
    return ("name = '%s'\nkernel = '%s'\nramdisk = '%s'\nmemory = %d\nvcpus = 1\n"
            "extra = '%s'\n" % (name, os.path.join(GUEST, "vmlinuz"),
                                os.path.join(GUEST, "initrd.img"), ARGS.memory, cmdline))


def domus_rounds(workdir, dirty, rounds, bandwidth_mib=0, postcopy=False):
    name = ("dirty%d%s" % (bandwidth_mib, "pc" if postcopy else "")) if dirty else "idle"
    cmdline = DIRTY_CMDLINE if dirty else IDLE_CMDLINE
    ready = DIRTY_READY if dirty else READY_LINE
    hosts = [Daemon(os.path.join(workdir, "domus-a-" + name), "bench-a"),
             Daemon(os.path.join(workdir, "domus-b-" + name), "bench-b")]
    results = []
    try:
        cfg = os.path.join(workdir, name + ".cfg")
        with open(cfg, "w") as f:
            f.write(domus_config(name, cmdline))
        hosts[0].ctl("create", cfg)
        wait_for(lambda: ready in read_text(hosts[0].serial_log(name)), 120, "the guest to be ready")
        for i in range(rounds):
            source, target = hosts[i % 2], hosts[(i + 1) % 2]
            time.sleep(SETTLE_S)
            watch = ProgressWatch(os.path.join(source.root, "domusd.sock"))
            t0 = time.perf_counter()
            proc = subprocess.Popen([DOMUSCTL, "--connect", source.uri, "migrate", "--live", "--verbose",
                                     "--bandwidth", str(bandwidth_mib)] + (["--postcopy"] if postcopy else [])
                                    + [name, target.uri],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
            try:
                out, err = proc.communicate(timeout=DIRTY_LIMIT_S if dirty else 120)
                converged = proc.returncode == 0
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGINT)
                out, err = proc.communicate(timeout=60)
                converged = False
            wall_ms = (time.perf_counter() - t0) * 1000
            watch.close()
            m = FINAL_RE.search(out)
            if converged and m is None:
                raise RuntimeError("domusctl migrate printed %r, %r" % (out, err))
            if not converged and not dirty:
                raise RuntimeError("domusctl migrate failed: %s" % err)
            v = VERBOSE_RE.search(err)
            if converged and v is None:
                raise RuntimeError("domusctl migrate --verbose printed no QEMU line: %r" % err)
            results.append({
                "downtime_ms": int(m.group(1)) if m else None,
                "total_ms": int(v.group(1)) if v else None,
                "wall_ms": int(m.group(2)) if m else wall_ms,
                "bytes": int(v.group(4)) if v else watch.last.get("transferred_bytes", 0),
                "dirty_rate": max(float(v.group(5)) * (1 << 20) if v else 0, watch.max_dirty),
                "postcopy": bool(v and "post-copy yes" in err),
                "throttle": int(v.group(6)) if v else 0,
                "converged": converged,
                "status": "completed" if converged else err.strip()[-200:],
            })
            if not converged:
                break
            if not dirty:
                # The guest counts on: the ticks go on in the target's serial log.
                wait_for(lambda: re.search(r"tick \d+", read_text(target.serial_log(name))),
                         10, "a tick on the target")
    finally:
        for host in hosts:
            host.stop()
    return results


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, unit=""):
    if value is None:
        return "-"
    if isinstance(value, float):
        return "%.1f%s" % (value, unit)
    return "%s%s" % (value, unit)


def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    return "%s (%s-%s)" % (fmt(median(values)), fmt(min(values)), fmt(max(values)))


def report(title, rows):
    print("\n" + title)
    print("%-16s %-20s %-20s %-20s %-10s" % ("", "downtime ms", "QEMU total ms", "wall ms", "sent MiB"))
    for label, results in rows:
        print("%-16s %-20s %-20s %-20s %-10s" % (
            label,
            spread([r["downtime_ms"] for r in results]),
            spread([r["total_ms"] for r in results]),
            spread([round(r["wall_ms"]) for r in results]),
            fmt(median([r["bytes"] / (1 << 20) for r in results]))))
    sys.stdout.flush()


def report_dirty(rows):
    print("\ndirtying guest (limit %.0f s)" % DIRTY_LIMIT_S)
    print("%-26s %-10s %-10s %-10s %-10s %-14s %-9s" % ("", "converged", "downtime", "wall ms", "sent MiB",
                                                      "dirty MiB/s", "throttle"))
    for label, r in rows:
        print("%-26s %-10s %-10s %-10s %-10s %-14s %-9s" % (
            label, "yes" if r["converged"] else "no", fmt(r["downtime_ms"]), fmt(round(r["wall_ms"])),
            fmt(r["bytes"] / (1 << 20)), fmt(r["dirty_rate"] / (1 << 20)),
            "post-copy" if r.get("postcopy") else "%d%%" % r["throttle"]))
    sys.stdout.flush()


def main():
    for path in (DOMUSD, DOMUSCTL, os.path.join(GUEST, "vmlinuz")):
        if not os.path.exists(path):
            sys.exit("missing %s (build it, and the test guest: meson compile -C BUILD test-guest)" % path)
    workdir = tempfile.mkdtemp(prefix="domus-bench-mig-", dir="/tmp")
    try:
        print("guest: test guest, %d MiB, TCG, 1 vCPU; loopback; %d rounds" % (ARGS.memory, ARGS.rounds))
        if ARGS.only in (None, "idle"):
            defaults, tuned = [], []
            # Alternate, so that neither gets the warmer machine.
            for i in range(ARGS.rounds):
                defaults.append(bare_round(workdir, "def%d" % i, tuned=False, dirty=False))
                tuned.append(bare_round(workdir, "tun%d" % i, tuned=True, dirty=False))
            domus = domus_rounds(workdir, dirty=False, rounds=ARGS.rounds)
            report("idle guest (median (min-max))", [("bare defaults", defaults),
                                                     ("bare tuned", tuned),
                                                     ("Domus", domus)])
        if ARGS.only in (None, "dirty"):
            rows = []
            for cap in (0, DIRTY_CAP_MIB):
                suffix = " %d MiB/s" % cap if cap else " open"
                rows.append(("bare tuned" + suffix,
                             bare_round(workdir, "dirty%d" % cap, tuned=True, dirty=True, bandwidth_mib=cap)))
                rows.append(("Domus" + suffix, domus_rounds(workdir, dirty=True, rounds=1, bandwidth_mib=cap)[0]))
            rows.append(("Domus %d MiB/s postcopy" % DIRTY_CAP_MIB,
                         domus_rounds(workdir, dirty=True, rounds=1, bandwidth_mib=DIRTY_CAP_MIB, postcopy=True)[0]))
            report_dirty(rows)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
