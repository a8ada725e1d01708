#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A bounded soak: two daemons work for a while with a flood of clients on the side.

Usage: bench/soak.py [BUILD_DIR] [--minutes 20] [--residents 2] [--flood-rate 20]
       (default build dir: build; the test guest must be built:
        meson compile -C build test-guest)

Two domusd under temporary --root folders take migrations from each other (relocation on
127.0.0.1). Resident guests (the test guest, 128 MiB, TCG) live the whole time and are
paused, resumed and migrated live from one daemon to the other, round after round; a
churn guest per round is created, paused, resumed and destroyed. Beside them, a client
flood: short connections calling hello, domain.list and stats.get, garbage lines, 100,000
'[', a NUL in a name, silent connections, clients that leave with a request in progress.

Printed: each daemon's RSS, open descriptors and child processes after a warm-up and at
the end (once the flood has stopped and its connections are gone), what was done and
what failed, and whether every guest is accounted for: each resident running on exactly
one daemon, nothing else running, no zombie. Exit status 1 when a guest is lost or a
daemon died. Everything started here is ended by its PID.

Each resident has a qcow2 disk both daemons see at the same path (shared storage for the
migrations); every round takes a snapshot of it running (memory and disk), every third
round reverts to it, and the round's previous snapshot is deleted, so one stays. Snapshots
leave the rounds when the daemon does not offer them (hello's capabilities).
"""

import json
import os
import random
import shutil
import socket
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
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--residents", type=int, default=2)
    parser.add_argument("--flood-rate", type=float, default=20.0, help="flood clients per second")
    parser.add_argument("--warm-up", type=float, default=30.0, help="seconds before the start figures")
    return parser.parse_args()


ARGS = parse_args()
os.environ["DOMUS_BUILD_DIR"] = ARGS.build
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))

import lib_domus  # noqa: E402

DOMUSCTL = os.path.join(ARGS.build, "cli", "domusctl")
GUEST = os.path.join(ARGS.build, "tests", "guest")
CALL_TIMEOUT = 120.0
RELOCATION = "[relocation]\nenabled=true\naddress=127.0.0.1\n"


class Host:
    def __init__(self, base, label):
        self.label = label
        self.root = os.path.join(base, label)
        os.mkdir(self.root, 0o700)
        with open(os.path.join(self.root, "domusd.conf"), "w") as f:
            f.write(RELOCATION)
        self.daemon = lib_domus.Daemon(self.root, name="soak-" + label).wait_listening()
        self.uri = self.daemon.uri
        self.socket_path = self.daemon.socket_path
        self.capabilities = set(lib_domus.rpc_call(self.socket_path, "hello")["capabilities"])

    def ctl(self, *args):
        r = subprocess.run([DOMUSCTL, "--connect", self.uri] + list(args), stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=CALL_TIMEOUT)
        if r.returncode != 0:
            raise RuntimeError("%s: domusctl %s: %s" % (self.label, " ".join(args), r.stderr.strip()))
        return r.stdout

    def call(self, method, **params):
        """One request on a connection of its own, waiting as long as a domusctl call may."""
        client = lib_domus.RpcClient(self.socket_path)
        try:
            reply = client.call(method, timeout=CALL_TIMEOUT, **params)
        except (EOFError, socket.timeout) as e:
            raise RuntimeError("%s: %s: %s" % (self.label, method, e))
        finally:
            client.close()
        if "error" in reply:
            raise RuntimeError("%s: %s: %s" % (self.label, method, reply["error"].get("message")))
        return reply["result"]

    def running(self):
        domains = lib_domus.rpc_call(self.socket_path, "domain.list")["domains"]
        return {d["name"] for d in domains if d["name"] != "Domain-0"}

    def figures(self):
        pid = self.daemon.proc.pid
        with open("/proc/%d/status" % pid) as f:
            rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        children = lib_domus.children_of(pid)
        return {"rss_kib": rss, "fds": len(os.listdir("/proc/%d/fd" % pid)),
                "children": len(children), "zombies": sum(state == "Z" for state in children.values())}


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.done = {}
        self.failed = {}
        self.messages = []

    def count(self, what, ok=True, message=None):
        with self.lock:
            table = self.done if ok else self.failed
            table[what] = table.get(what, 0) + 1
            if message and len(self.messages) < 20:
                self.messages.append("%s: %s" % (what, message))


def guest_cfg(name, disk=None):
    extra = "disk = [ 'tap:qcow2:%s,xvda,w' ]\n" % disk if disk else ""
    return lib_domus.guest_cfg(GUEST, name, extra).replace("vnc = 1\n", "vnc = 0\n")


def write_cfg(host, name, disk=None):
    path = os.path.join(host.root, name + ".cfg")
    with open(path, "w") as f:
        f.write(guest_cfg(name, disk))
    return path


def make_disk(base, name):
    """A small qcow2 disk outside both daemons' folders: each sees it at the same path."""
    path = os.path.join(base, "disks", name + ".qcow2")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", path, "64M"], check=True)
    return path


def step(tally, what, function, *args, **params):
    try:
        function(*args, **params)
        tally.count(what)
        return True
    except (RuntimeError, subprocess.SubprocessError, OSError, lib_domus.Failure) as e:
        tally.count(what, False, str(e)[:300])
        return False


def snapshots_offered(host):
    return "domain.snapshot.create" in host.capabilities


def snapshot_round(host, name, round_number, tally):
    """Take this round's snapshot, revert to it every third round, drop the one before."""
    if not snapshots_offered(host):
        return
    taken = "round-%d" % round_number
    if not step(tally, "snapshot create", host.call, "domain.snapshot.create", name=name, snapshot=taken):
        return
    if round_number % 3 == 0:
        step(tally, "snapshot revert", host.call, "domain.snapshot.revert", name=name, snapshot=taken)
    try:
        listed = [s["name"] for s in host.call("domain.snapshot.list", name=name)["snapshots"]]
    except (RuntimeError, OSError) as e:
        tally.count("snapshot list", False, str(e)[:300])
        return
    tally.count("snapshot list")
    for old in listed:
        if old != taken:
            step(tally, "snapshot delete", host.call, "domain.snapshot.delete", name=name, snapshot=old)


# The flood: one client per call, each of one of these kinds.

def flood_call(path, method):
    lib_domus.rpc_call(path, method)


def flood_raw(path, data, expect_answer=True):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(30)
        s.connect(path)
        s.sendall(data)
        if expect_answer:
            reader = s.makefile("rb")
            reply = json.loads(reader.readline())
            while "id" not in reply:      # an event on the way (domain.event, migration.progress)
                reply = json.loads(reader.readline())
            if "error" not in reply:
                raise RuntimeError("no error for %r: %r" % (data[:40], reply))


def flood_silent(path):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(path)
        time.sleep(random.uniform(0.5, 3))


def flood_leaver(path):
    """Requests, and gone before their answers."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(path)
        s.sendall(b'{"jsonrpc": "2.0", "id": 1, "method": "domain.list", "params": {"all": true}}\n'
                  b'{"jsonrpc": "2.0", "id": 2, "method": "stats.get"}\n')


FLOOD_KINDS = [
    ("hello", lambda p: flood_call(p, "hello")),
    ("domain.list", lambda p: flood_call(p, "domain.list")),
    ("stats.get", lambda p: flood_call(p, "stats.get")),
    ("garbage", lambda p: flood_raw(p, b"this is not JSON\n")),
    ("deep", lambda p: flood_raw(p, b"[" * 100000 + b"\n")),
    ("nul", lambda p: flood_raw(p, b'{"jsonrpc": "2.0", "id": 3, "method": "domain.get", '
                                  b'"params": {"name": "a\\u0000b"}}\n')),
    ("silent", flood_silent),
    ("leaver", flood_leaver),
]


def flood(hosts, tally, stop):
    threads = []
    interval = 1.0 / ARGS.flood_rate
    while not stop.is_set():
        host = random.choice(hosts)
        kind, function = random.choice(FLOOD_KINDS)
        thread = threading.Thread(target=step, args=(tally, "flood " + kind, function, host.socket_path),
                                  daemon=True)
        thread.start()
        threads.append(thread)
        threads = [t for t in threads if t.is_alive()]
        stop.wait(interval)
    for thread in threads:
        thread.join(30)


def churn_round(host, name, tally):
    path = write_cfg(host, name)
    if not step(tally, "create", host.ctl, "create", path):
        return
    step(tally, "pause", host.ctl, "pause", name)
    step(tally, "unpause", host.ctl, "unpause", name)
    step(tally, "destroy", host.ctl, "destroy", name)


def resident_round(hosts, where, name, round_number, tally):
    source = where[name]
    target = hosts[1 - hosts.index(source)]
    step(tally, "pause", source.ctl, "pause", name)
    step(tally, "unpause", source.ctl, "unpause", name)
    snapshot_round(source, name, round_number, tally)
    if step(tally, "migrate --live", source.ctl, "migrate", "--live", name, target.uri):
        where[name] = target


def print_figures(hosts, start, end):
    print("\n%-6s %-12s %10s %10s" % ("daemon", "", "start", "end"))
    for host in hosts:
        for key, label in (("rss_kib", "RSS (KiB)"), ("fds", "descriptors"),
                           ("children", "children"), ("zombies", "zombies")):
            print("%-6s %-12s %10d %10d" % (host.label, label, start[host.label][key], end[host.label][key]))


def account(hosts, where, tally):
    """Every resident runs on exactly the host it should, nothing else runs."""
    lost = []
    running = {host.label: host.running() for host in hosts}
    for name, host in where.items():
        on = [label for label, names in running.items() if name in names]
        if on != [host.label]:
            lost.append("%s is running on %s, expected on %s" % (name, on or "no daemon", host.label))
    residents = set(where)
    for label, names in running.items():
        for extra in names - residents:
            lost.append("%s still runs on %s" % (extra, label))
    qemus = [pid for host in hosts for pid in lib_domus.qemu_pids(host.root) if lib_domus.pid_alive(pid)]
    if len(qemus) != len(residents):
        lost.append("%d QEMU processes for %d residents" % (len(qemus), len(residents)))
    return lost


def main():
    for path in (os.path.join(ARGS.build, "hvcore", "domusd"), DOMUSCTL, os.path.join(GUEST, "vmlinuz")):
        if not os.path.exists(path):
            sys.exit("missing %s (build it, and the test guest: meson compile -C %s test-guest)"
                     % (path, ARGS.build))
    base = tempfile.mkdtemp(prefix="domus-soak-", dir="/tmp")
    hosts = []
    tally = Tally()
    stop = threading.Event()
    status = 0
    try:
        hosts = [Host(base, "A"), Host(base, "B")]
        where = {}
        for i in range(ARGS.residents):
            name = "resident-%d" % (i + 1)
            hosts[i % 2].ctl("create", write_cfg(hosts[i % 2], name, make_disk(base, name)))
            where[name] = hosts[i % 2]
        flood_thread = threading.Thread(target=flood, args=(hosts, tally, stop), daemon=True)
        flood_thread.start()
        time.sleep(ARGS.warm_up)
        start = {host.label: host.figures() for host in hosts}
        began = time.monotonic()
        deadline = began + ARGS.minutes * 60
        rounds = 0
        while time.monotonic() < deadline:
            rounds += 1
            for name in where:
                resident_round(hosts, where, name, rounds, tally)
            churn_round(random.choice(hosts), "churn-%d" % rounds, tally)
            if any(host.daemon.proc.poll() is not None for host in hosts):
                break
        stop.set()
        flood_thread.join(60)
        # Silent clients leave, the daemons let go of what the flood held.
        time.sleep(5)
        elapsed = time.monotonic() - began
        dead = [host.label for host in hosts if host.daemon.proc.poll() is not None]
        if dead:
            print("daemon(s) died: %s" % ", ".join(dead))
            for host in hosts:
                print(host.daemon.log_text()[-3000:])
            return 1
        end = {host.label: host.figures() for host in hosts}
        lost = account(hosts, where, tally)

        print("soak: %.1f minutes, %d rounds, %d residents, flood %.0f clients/s"
              % (elapsed / 60, rounds, ARGS.residents, ARGS.flood_rate))
        print_figures(hosts, start, end)
        print("\ndone:   " + ", ".join("%s %d" % kv for kv in sorted(tally.done.items())))
        print("failed: " + (", ".join("%s %d" % kv for kv in sorted(tally.failed.items())) or "nothing"))
        for message in tally.messages:
            print("  " + message)
        if not snapshots_offered(hosts[0]):
            print("snapshots: not offered by this daemon (hello's capabilities)")
        print("guests: " + ("every one accounted for" if not lost else "LOST: " + "; ".join(lost)))
        status = 1 if lost else 0
    finally:
        stop.set()
        for host in hosts:
            host.daemon.stop()
        shutil.rmtree(base, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
