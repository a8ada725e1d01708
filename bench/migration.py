#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Live migration on loopback: bare QEMU driven over QMP against Domus, in the same run.

Usage: bench/migration.py [BUILD_DIR] [--rounds N] [--only idle|dirty|storage|tls] [--memory MIB]
       (--rounds: idle, storage and tls; default 5 idle, 3 storage and tls)
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

storage: live migration with the disk copied (the target does not share it). Each round
  makes a raw image of DISK_MIB MiB filled with random bytes (nothing in it is zero, so
  the mirror copies every byte) and attaches it to the guest as Domus would (`disk =
  ['file:PATH,xvda,w']`, i.e. `-drive file=PATH,format=raw,if=virtio,media=disk,id=disk0`).
  The test guest never touches the disk. Rounds alternate bare, Domus, bare, Domus, ...
  bare    source QEMU with the disk; target QEMU (-incoming defer, -S) with an empty
          raw image of the same size, `nbd-server-start` on tcp 127.0.0.1:PORT and
          `nbd-server-add` (writable) of its drive; the source runs `drive-mirror`
          (sync full, format raw, mode existing) to nbd://127.0.0.1:PORT/disk0 straight
          into the target QEMU's NBD server, until its BLOCK_JOB_READY event (waited
          for, not polled: a QMP command runs in the main loop the mirror runs in;
          polling every 5 ms made the mirror about 4% slower); then the RAM as "bare tuned" (max-bandwidth lifted, downtime-limit
          20 ms), `block-job-cancel` once `completed`, the job gone, the target's
          `nbd-server-stop` and `cont`.
  Domus   two domusd (relocation on, 127.0.0.1 allowed), a new domain per round created
          on A, `domusctl migrate --live --copy-storage --verbose NAME B`: the target
          daemon makes the empty image, QEMU's NBD server listens on a private Unix
          socket and the daemon relays the admitted TCP connection to it (the cost
          this scenario is about). Always A -> B; afterwards the domain is destroyed
          and undefined on B and its copy removed.
  Reported: the disk copy phase ("mirror": bare, from `drive-mirror` until the job
  reports ready; Domus, from the daemon's first `mirror` progress notification until
  its `setup` one, which the daemon sends as soon as it sees every mirror ready: it
  polls every 100 ms, so up to 100 ms of this is polling), DISK_MIB over that as MiB/s,
  the RAM downtime, the wall time (bare: `drive-mirror` until the target runs; Domus:
  the whole `domusctl migrate` process, the target's image and QEMU start included)
  and DISK_MIB over the wall time; for Domus also the CPU time (user + system) the
  target's domusd used during the command: almost all of it the relay (qemu-img runs as
  a child and is not counted; an idle migration without disks costs it under 10 ms).
  Every copy is checked: sha256 of the first DISK_MIB MiB of the target's image (Domus:
  the path in B's config for the domain) against the source's; a mismatch is printed
  loudly and makes the script exit 1.
  Rounds: STORAGE_ROUNDS (3) unless --rounds is given. Part of the default run: a round
  (bare and Domus) takes about 30 s here, so the three add about 1.5 minutes; the whole
  default run took 466 s on 2026-11-29 (2 cores, TCG), well under 15 minutes.
  `--only storage` runs it alone.

tls: what encryption costs, plain and encrypted side by side in the same run, on bare QEMU
  (what Domus asks of it: the same credentials, parameters and NBD options). A key made
  for the run is written as keys.psk in a folder of the bench's; each QEMU makes a
  tls-creds-psk object from it (target: endpoint server; source: endpoint client,
  identity domus) and gets `tls-creds` in its migration parameters.
  idle     bare tuned (as above) in clear, and the same over TLS; rounds alternate.
  storage  the storage scenario's bare round (DISK_MIB MiB of random bytes mirrored, then
           the RAM) in clear, and over TLS: the target's NBD server started with
           `tls-creds`, the source's drive-mirror target a json: name (raw over nbd with
           `tls-creds`), as the Domus daemons do it; rounds alternate; every copy checked.
  Reported as the idle and storage tables, plus the source QEMU's CPU time during the
  migration (user + system: the encryption's cost lands there and in the target's).
  Then Domus end to end on the idle guest: `domusctl migrate --live` and the same with
  `--encrypt` (its --verbose line must say TLS), as the idle scenario's Domus row.

Everything runs in a temporary folder; every process started here is ended by its PID.
"""

import hashlib
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

import lib_args  # bench/lib_args.py, beside this script

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)


def parse_args():
    parser = lib_args.parser_with_build()
    parser.add_argument("--rounds", type=int, default=None,
                        help="rounds of idle and storage (default: 5 idle, 3 storage)")
    parser.add_argument("--memory", type=int, default=256)
    parser.add_argument("--only", choices=["idle", "dirty", "storage", "tls"])
    return parser.parse_args()


ARGS = parse_args()
ARGS.build = os.path.abspath(ARGS.build)   # the guest's kernel path goes into configs the daemons read
DOMUSD = os.path.join(ARGS.build, "hvcore", "domusd")
DOMUSCTL = os.path.join(ARGS.build, "cli", "domusctl")
GUEST = os.path.join(ARGS.build, "tests", "guest")
QEMU = os.environ.get("DOMUS_QEMU", "qemu-system-x86_64")
READY_LINE = "domus-test-guest ready"
DIRTY_READY = "dirty-ready"
SETTLE_S = 3.0            # after the guest is ready: let boot-time writes settle
DIRTY_LIMIT_S = 120.0     # a migration of the dirtying guest that takes longer did not converge
DIRTY_CAP_MIB = 16        # the slow link of the second dirty run
DISK_MIB = 512            # the disk copied by the storage scenario
STORAGE_ROUNDS = 3        # its default rounds
STORAGE_LIMIT_S = 300.0   # a storage migration that takes longer failed
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


def cpu_ms(pid):
    """User + system CPU time of a process so far, in ms."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000.0 / os.sysconf("SC_CLK_TCK")


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
        self.events = []                          # events seen while waiting for replies
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
                self.events.append(reply)
                continue
            if "error" in reply:
                raise RuntimeError("%s: %s" % (command, reply["error"].get("desc")))
            return reply.get("return")

    def wait_event(self, name, timeout):
        """The first event NAME, whether it came already or comes within timeout s."""
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if event["event"] == name:
                    self.events.remove(event)
                    return event
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError("no %s within %.0f s" % (name, timeout))
            self.sock.settimeout(remaining)
            try:
                line = self.file.readline()
            except socket.timeout:
                continue
            finally:
                self.sock.settimeout(None)
            if not line:
                raise RuntimeError("QMP closed while waiting for " + name)
            message = json.loads(line)
            if "event" in message:
                self.events.append(message)

    def close(self):
        self.sock.close()


class BareQemu:
    """One QEMU process running the test guest, QMP on a socket, serial to a file."""

    def __init__(self, workdir, name, cmdline, incoming=False, extra=()):
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
        argv += list(extra)
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


def tls_setup(workdir, source, target):
    """Both QEMUs get the credentials Domus gives them, from one key made here; their ids."""
    folder = os.path.join(workdir, "tls")
    if not os.path.exists(os.path.join(folder, "keys.psk")):
        os.makedirs(folder, mode=0o700, exist_ok=True)
        fd = os.open(os.path.join(folder, "keys.psk"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("domus:%s\n" % os.urandom(32).hex())
    target.qmp.execute("object-add", **{"qom-type": "tls-creds-psk", "id": "tls-server",
                                        "endpoint": "server", "dir": folder})
    source.qmp.execute("object-add", **{"qom-type": "tls-creds-psk", "id": "tls-client",
                                        "endpoint": "client", "dir": folder, "username": "domus"})
    target.qmp.execute("migrate-set-parameters", **{"tls-creds": "tls-server"})
    source.qmp.execute("migrate-set-parameters", **{"tls-creds": "tls-client"})
    return "tls-server", "tls-client"


def bare_round(workdir, label, tuned, dirty, bandwidth_mib=0, tls=False):
    cmdline = DIRTY_CMDLINE if dirty else IDLE_CMDLINE
    ready = DIRTY_READY if dirty else READY_LINE
    source = BareQemu(workdir, label + "-src", cmdline)
    target = BareQemu(workdir, label + "-dst", cmdline, incoming=True)
    try:
        wait_for(lambda: ready in read_text(source.serial), 120, "the guest to be ready")
        time.sleep(SETTLE_S)
        if tls:
            tls_setup(workdir, source, target)
        port = free_port()
        target.qmp.execute("migrate-incoming", uri="tcp:127.0.0.1:%d" % port)
        if tuned:
            source.qmp.execute("migrate-set-parameters",
                               **{"max-bandwidth": (bandwidth_mib << 20) if bandwidth_mib else 100 << 30,
                                  "downtime-limit": 20})
        t0 = time.perf_counter()
        cpu0 = cpu_ms(source.proc.pid)
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
        source_cpu_ms = cpu_ms(source.proc.pid) - cpu0
        converged = info.get("status") == "completed"
        if not converged:
            numbers = query_numbers(info)
            source.qmp.execute("migrate_cancel")
        else:
            numbers = query_numbers(info)
            wait_for(lambda: target.qmp.execute("query-status")["status"] == "running", 10,
                     "the target to run")
        numbers["dirty_rate"] = max(numbers["dirty_rate"], dirty_seen)
        numbers.update(wall_ms=wall_ms, converged=converged, status=info.get("status"),
                       source_cpu_ms=source_cpu_ms)
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
        self.phase_at = {}        # phase -> perf_counter() when it was first seen
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
                self.phase_at.setdefault(params.get("phase"), time.perf_counter())
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


def domus_rounds(workdir, dirty, rounds, bandwidth_mib=0, postcopy=False, encrypt=False):
    name = ("dirty%d%s" % (bandwidth_mib, "pc" if postcopy else "")) if dirty else "idle"
    name += "tls" if encrypt else ""
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
                                    + (["--encrypt"] if encrypt else []) + [name, target.uri],
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
            if converged and ("went over TLS" in err) != encrypt:
                raise RuntimeError("domusctl migrate%s: %r" % (" --encrypt" if encrypt else "", err))
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


def make_disk(path):
    """A raw image of DISK_MIB MiB of random bytes: no zero block the mirror could skip."""
    with open(path, "wb") as f:
        for _ in range(DISK_MIB):
            f.write(os.urandom(1 << 20))


def disk_digest(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for _ in range(DISK_MIB):
            chunk = f.read(1 << 20)
            if not chunk:
                break
            digest.update(chunk)
    return digest.hexdigest()


def check_copy(label, source_path, target_path, source_digest):
    target_digest = disk_digest(target_path)
    if target_digest != source_digest:
        print("\n!!! %s: THE DISK COPY DIFFERS FROM THE SOURCE !!!\n!!!   source %s %s\n!!!   target %s %s\n"
              % (label, source_digest, source_path, target_digest, target_path), file=sys.stderr)
        sys.stderr.flush()
        return False
    return True


def drive_args(path):
    # What domusctl create --dry-run prints for disk = ['file:PATH,xvda,w'].
    return ["-drive", "file=%s,format=raw,if=virtio,media=disk,id=disk0" % path]


def bare_storage_round(workdir, label, disk, disk_digest_hex, tls=False):
    target_disk = os.path.join(workdir, label + "-target.img")
    with open(target_disk, "wb") as f:
        f.truncate(DISK_MIB << 20)
    source = BareQemu(workdir, label + "-src", IDLE_CMDLINE, extra=drive_args(disk))
    target = BareQemu(workdir, label + "-dst", IDLE_CMDLINE, incoming=True,
                      extra=["-S"] + drive_args(target_disk))
    try:
        wait_for(lambda: READY_LINE in read_text(source.serial), 120, "the guest to be ready")
        time.sleep(SETTLE_S)
        nbd_port = free_port()
        server = {"type": "inet", "host": "127.0.0.1", "port": str(nbd_port)}
        nbd_tls = {}
        mirror_target = "nbd://127.0.0.1:%d/disk0" % nbd_port
        if tls:
            server_creds, client_creds = tls_setup(workdir, source, target)
            nbd_tls = {"tls-creds": server_creds}
            mirror_target = "json:" + json.dumps({"driver": "raw", "file": {
                "driver": "nbd", "server": server, "export": "disk0", "tls-creds": client_creds}})
        target.qmp.execute("nbd-server-start",
                           addr={"type": "inet", "data": {"host": "127.0.0.1", "port": str(nbd_port)}},
                           **nbd_tls)
        target.qmp.execute("nbd-server-add", device="disk0", name="disk0", writable=True)
        port = free_port()
        target.qmp.execute("migrate-incoming", uri="tcp:127.0.0.1:%d" % port)
        source.qmp.execute("migrate-set-parameters", **{"max-bandwidth": 100 << 30, "downtime-limit": 20})
        limit = time.monotonic() + STORAGE_LIMIT_S
        t0 = time.perf_counter()
        cpu0 = cpu_ms(source.proc.pid)
        mirror = {"job-id": "disk0", "device": "disk0", "target": mirror_target,
                  "sync": "full", "mode": "existing"}
        if not tls:
            mirror["format"] = "raw"
        source.qmp.execute("drive-mirror", **mirror)
        # The event, not polling: QMP commands run in the main loop the mirror runs in.
        source.qmp.wait_event("BLOCK_JOB_READY", STORAGE_LIMIT_S)
        mirror_ms = (time.perf_counter() - t0) * 1000
        source.qmp.execute("migrate", uri="tcp:127.0.0.1:%d" % port)
        while True:
            info = source.qmp.execute("query-migrate")
            if info.get("status") in ("completed", "failed", "cancelled"):
                break
            if time.monotonic() > limit:
                raise RuntimeError("the migration did not complete in %.0f s" % STORAGE_LIMIT_S)
            time.sleep(0.005)
        if info.get("status") != "completed":
            raise RuntimeError("bare migration: %s" % info.get("status"))
        source.qmp.execute("block-job-cancel", device="disk0")
        wait_for(lambda: not source.qmp.execute("query-block-jobs"), 30, "the mirror to end")
        wait_for(lambda: target.qmp.execute("query-status")["status"] != "inmigrate", 30,
                 "the target's incoming side to complete")
        target.qmp.execute("nbd-server-stop")
        target.qmp.execute("cont")
        wait_for(lambda: target.qmp.execute("query-status")["status"] == "running", 10, "the target to run")
        wall_ms = (time.perf_counter() - t0) * 1000
        numbers = query_numbers(info)
        numbers.update(mirror_ms=mirror_ms, wall_ms=wall_ms, source_cpu_ms=cpu_ms(source.proc.pid) - cpu0)
    finally:
        source.close()
        target.close()
    numbers["verified"] = check_copy(label, disk, target_disk, disk_digest_hex)
    os.unlink(target_disk)
    return numbers


def domus_storage_round(workdir, hosts, name, disk, disk_digest_hex):
    source, target = hosts
    cfg = os.path.join(workdir, name + ".cfg")
    with open(cfg, "w") as f:
        f.write(domus_config(name, IDLE_CMDLINE) + "disk = ['file:%s,xvda,w']\n" % disk)
    source.ctl("create", cfg)
    wait_for(lambda: READY_LINE in read_text(source.serial_log(name)), 120, "the guest to be ready")
    time.sleep(SETTLE_S)
    watch = ProgressWatch(os.path.join(source.root, "domusd.sock"))
    target_cpu = cpu_ms(target.process.pid)
    t0 = time.perf_counter()
    proc = subprocess.run([DOMUSCTL, "--connect", source.uri, "migrate", "--live", "--copy-storage",
                           "--verbose", name, target.uri],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=STORAGE_LIMIT_S)
    wall_ms = (time.perf_counter() - t0) * 1000
    target_cpu = cpu_ms(target.process.pid) - target_cpu
    time.sleep(0.1)                          # the last notifications
    watch.close()
    m = FINAL_RE.search(proc.stdout)
    if proc.returncode != 0 or m is None:
        raise RuntimeError("domusctl migrate --copy-storage failed: %r, %r" % (proc.stdout, proc.stderr))
    v = VERBOSE_RE.search(proc.stderr)
    mirror_ms = None
    if "mirror" in watch.phase_at and "setup" in watch.phase_at:
        mirror_ms = (watch.phase_at["setup"] - watch.phase_at["mirror"]) * 1000
    wait_for(lambda: re.search(r"tick \d+", read_text(target.serial_log(name))), 10, "a tick on the target")
    # The copy's path, from B's config for the domain.
    config = target.ctl("config", name).stdout
    d = re.search(r"file:([^,']+),xvda", config)
    if d is None:
        raise RuntimeError("no xvda disk in the target's config: %r" % config)
    copy = d.group(1)
    if os.path.realpath(copy) == os.path.realpath(disk):
        raise RuntimeError("the target's config names the source disk %s, not a copy" % copy)
    target.ctl("destroy", name)
    verified = check_copy("Domus " + name, disk, copy, disk_digest_hex)
    target.ctl("undefine", name, check=False)
    try:
        os.unlink(copy)
    except OSError:
        pass
    return {
        "downtime_ms": int(m.group(1)),
        "total_ms": int(v.group(1)) if v else None,
        "wall_ms": wall_ms,
        "mirror_ms": mirror_ms,
        "daemon_cpu_ms": target_cpu,
        "bytes": int(v.group(4)) if v else 0,
        "verified": verified,
    }


def storage_rounds(workdir, rounds):
    """Bare and Domus rounds, alternating, each round with a fresh disk."""
    bare, domus = [], []
    hosts = [Daemon(os.path.join(workdir, "domus-a-storage"), "bench-a"),
             Daemon(os.path.join(workdir, "domus-b-storage"), "bench-b")]
    try:
        for i in range(rounds):
            disk = os.path.join(workdir, "storage%d.img" % i)
            make_disk(disk)
            digest = disk_digest(disk)
            bare.append(bare_storage_round(workdir, "stor%d" % i, disk, digest))
            domus.append(domus_storage_round(workdir, hosts, "storage%d" % i, disk, digest))
            os.unlink(disk)
    finally:
        for host in hosts:
            host.stop()
    return bare, domus


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


def report_storage(rows):
    print("\nstorage: %d MiB raw disk copied (median (min-max))" % DISK_MIB)
    print("%-8s %-22s %-20s %-14s %-22s %-20s %-16s %-9s" % ("", "mirror ms", "mirror MiB/s", "downtime ms",
                                                             "wall ms", "wall MiB/s", "B daemon CPU ms",
                                                             "verified"))
    for label, results in rows:
        print("%-8s %-22s %-20s %-14s %-22s %-20s %-16s %-9s" % (
            label,
            spread([round(r["mirror_ms"]) if r["mirror_ms"] else None for r in results]),
            spread([DISK_MIB * 1000.0 / r["mirror_ms"] if r["mirror_ms"] else None for r in results]),
            spread([r["downtime_ms"] for r in results]),
            spread([round(r["wall_ms"]) for r in results]),
            spread([DISK_MIB * 1000.0 / r["wall_ms"] for r in results]),
            spread([round(r["daemon_cpu_ms"]) if "daemon_cpu_ms" in r else None for r in results]),
            "%d/%d" % (sum(1 for r in results if r["verified"]), len(results))))
    sys.stdout.flush()


def tls_rounds(workdir, rounds):
    """Plain and encrypted, alternating: the idle guest, then the disk copy."""
    idle = {"plain": [], "tls": []}
    storage = {"plain": [], "tls": []}
    for i in range(rounds):
        for mode in ("plain", "tls"):
            idle[mode].append(bare_round(workdir, "%s-idle%d" % (mode, i), tuned=True, dirty=False,
                                         tls=mode == "tls"))
    for i in range(rounds):
        disk = os.path.join(workdir, "tls-storage%d.img" % i)
        make_disk(disk)
        digest = disk_digest(disk)
        for mode in ("plain", "tls"):
            storage[mode].append(bare_storage_round(workdir, "%s-stor%d" % (mode, i), disk, digest,
                                                    tls=mode == "tls"))
        os.unlink(disk)
    return idle, storage


def report_cpu(title, rows):
    print("%s, source QEMU CPU ms during the migration: %s" % (
        title, ", ".join("%s %s" % (label, spread([r["source_cpu_ms"] for r in results]))
                         for label, results in rows)))
    sys.stdout.flush()


def main():
    for path in (DOMUSD, DOMUSCTL, os.path.join(GUEST, "vmlinuz")):
        if not os.path.exists(path):
            sys.exit("missing %s (build it, and the test guest: meson compile -C BUILD test-guest)" % path)
    workdir = tempfile.mkdtemp(prefix="domus-bench-mig-", dir="/tmp")
    failed = False
    try:
        rounds = ARGS.rounds or 5
        if ARGS.only is None:
            shown = "%d rounds (storage: %d)" % (rounds, ARGS.rounds or STORAGE_ROUNDS)
        else:
            shown = "%d rounds" % (ARGS.rounds or (STORAGE_ROUNDS if ARGS.only in ("storage", "tls") else 5))
        print("guest: test guest, %d MiB, TCG, 1 vCPU; loopback; %s" % (ARGS.memory, shown))
        if ARGS.only in (None, "idle"):
            defaults, tuned = [], []
            # Alternate, so that neither gets the warmer machine.
            for i in range(rounds):
                defaults.append(bare_round(workdir, "def%d" % i, tuned=False, dirty=False))
                tuned.append(bare_round(workdir, "tun%d" % i, tuned=True, dirty=False))
            domus = domus_rounds(workdir, dirty=False, rounds=rounds)
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
        if ARGS.only in (None, "storage"):
            bare, domus = storage_rounds(workdir, ARGS.rounds or STORAGE_ROUNDS)
            report_storage([("bare", bare), ("Domus", domus)])
            failed = not all(r["verified"] for r in bare + domus)
        if ARGS.only in (None, "tls"):
            idle, storage = tls_rounds(workdir, ARGS.rounds or STORAGE_ROUNDS)
            rows = [("bare tuned", idle["plain"]), ("bare tuned TLS", idle["tls"])]
            domus = [("Domus", domus_rounds(workdir, dirty=False, rounds=ARGS.rounds or STORAGE_ROUNDS)),
                     ("Domus --encrypt", domus_rounds(workdir, dirty=False, rounds=ARGS.rounds or STORAGE_ROUNDS,
                                                      encrypt=True))]
            report("encryption, idle guest (median (min-max))", rows + domus)
            report_cpu("idle", rows)
            rows = [("bare", storage["plain"]), ("bare TLS", storage["tls"])]
            report_storage(rows)
            report_cpu("storage", rows)
            failed = failed or not all(r["verified"] for r in storage["plain"] + storage["tls"])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if failed:
        sys.exit("a disk copy differed from its source (see above)")


if __name__ == "__main__":
    main()
