#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The migration.* methods of domusd at the protocol level, between daemons on one machine.

Usage: test-migration-daemon.py GUEST_DIR   (DOMUS_BUILD_DIR from the environment)

Five domusd with --root and different --name: A (the source) and B allow 127.0.0.1;
C has relocation on but names only 192.0.2.1 in hosts-allow; D has no domusd.conf
(the defaults: relocation off); E's relocation address, 192.0.2.1, is not loopback. The
test guest (TCG) runs on A and counts on its serial port. Steps: a bad domusd.conf stops
domusd with FILE:LINE; hello reports relocation and the migration-tls feature;
migration.check refuses a name clash, relocation off, a missing disk and kvm to tcg; C
refuses the stream, waits on, and its rollback says why; a cancel mid-way leaves the
guest running on A; prepare + perform + finish + confirm moves it to B, and B's ticks
continue from A's; a paused migration brings it back to A; with a key (tls_psk) the
stream is TLS and nothing of the guest passes in clear, while without one (on loopback)
QEMU's magic and the kernel's banner do (a relay on the test's own port looks); a source
with another key fails and both sides roll back; a connection from 127.0.0.2 is refused
and the right one after it completes; E refuses a prepare without a key; copy-storage
moves a disk's data, in clear and, with a key, encrypted.
The client side (backend, domusctl) is tests/integration/test-migrate.py. Everything
started here is ended by its PID. TAP output, the plan last.
"""

import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import lib_domus  # noqa: E402
from lib_domus import Failure, Tap, check, first_bytes_from, qemu_pids_naming, wait_until  # noqa: E402
from lib_qemu import READY_LINE, counts_up, make_temp_dir, ticks_in  # noqa: E402

BOOT_TIMEOUT = 90.0        # TCG on a shared two-core machine
CALL_TIMEOUT = 90.0
NAME = "wanderer"

RELOCATION_CONF = ("# written by test-migration-daemon.py\n"
                   "[relocation]\n"
                   "enabled=%s\n"
                   "address=%s\n"
                   "port=0\n"
                   "hosts-allow=%s\n")


class RpcError(Exception):
    def __init__(self, method, error):
        self.kind = (error.get("data") or {}).get("kind")
        super().__init__("%s: %s (%s)" % (method, error.get("message"), self.kind))


class Client:
    """One lasting connection: migrations watch the connection that drives them."""

    def __init__(self, socket_path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(socket_path)
        self.file = self.sock.makefile("rwb", buffering=0)
        self.replies = {}
        self.notifications = []
        self.lock = threading.Condition()
        self.next_id = 1
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            try:
                line = self.file.readline()
            except OSError:
                line = b""
            if not line:
                with self.lock:
                    self.replies[None] = None
                    self.lock.notify_all()
                return
            message = json.loads(line)
            with self.lock:
                if "id" in message and message["id"] is not None:
                    self.replies[message["id"]] = message
                elif "method" in message:
                    self.notifications.append(message)
                self.lock.notify_all()

    def send(self, method, **params):
        with self.lock:
            call_id = self.next_id
            self.next_id += 1
        self.file.write((json.dumps({"jsonrpc": "2.0", "id": call_id, "method": method,
                                     "params": params}) + "\n").encode())
        return call_id

    def wait(self, call_id, method="call", timeout=CALL_TIMEOUT):
        deadline = time.monotonic() + timeout
        with self.lock:
            while call_id not in self.replies:
                if None in self.replies:
                    raise Failure("%s: the daemon closed the connection" % method)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Failure("%s: no answer within %.0f s" % (method, timeout))
                self.lock.wait(left)
            reply = self.replies.pop(call_id)
        if "error" in reply:
            raise RpcError(method, reply["error"])
        return reply["result"]

    def call(self, method, timeout=CALL_TIMEOUT, **params):
        return self.wait(self.send(method, **params), method, timeout)

    def progress(self):
        with self.lock:
            return [n["params"] for n in self.notifications if n["method"] == "migration.progress"]

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def write_conf(root, enabled, hosts_allow, address="127.0.0.1"):
    with open(os.path.join(root, "domusd.conf"), "w") as f:
        f.write(RELOCATION_CONF % ("true" if enabled else "false", address, hosts_allow))


class Capture:
    """A relay on this test's own loopback port between a source and the address it should
    connect to, looking at what the source sends: each connection's first bytes, and which of
    the given byte strings went through in clear."""

    HEAD = 64

    def __init__(self, host, port, needles=()):
        self.target = (host, port)
        self.needles = list(needles)
        self.seen = set()
        self.heads = []
        self.sent = 0
        self.lock = threading.Lock()
        self.sockets = []
        self.pumps = []
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def uri(self):
        return "tcp:127.0.0.1:%d" % self.port

    def _serve(self):
        while True:
            try:
                source, _ = self.listener.accept()
            except OSError:
                return
            target = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [source, target]
                self.heads.append(b"")
                index = len(self.heads) - 1
            for args in ((source, target, index), (target, source, None)):
                thread = threading.Thread(target=self._pump, args=args, daemon=True)
                thread.start()
                with self.lock:
                    self.pumps.append(thread)

    def _pump(self, a, b, index):
        keep = max([len(n) for n in self.needles] + [1]) - 1
        tail = b""
        while True:
            try:
                data = a.recv(1 << 16)
            except OSError:
                data = b""
            if not data:
                break
            if index is not None:
                window = tail + data
                with self.lock:
                    self.sent += len(data)
                    if len(self.heads[index]) < self.HEAD:
                        self.heads[index] = (self.heads[index] + data)[:self.HEAD]
                    self.seen.update(n for n in self.needles if n in window)
                tail = window[-keep:] if keep else b""
            try:
                b.sendall(data)
            except OSError:
                break
        try:
            b.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self, timeout=30.0):
        """No new connection; those under way end by themselves (the target may still be
        reading what the source sent), or are closed after timeout seconds."""
        self.listener.close()
        deadline = time.monotonic() + timeout
        with self.lock:
            pumps = list(self.pumps)
        for thread in pumps:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self.lock:
            for sock in self.sockets:
                sock.close()


def is_tls_record(head):
    """A TLS handshake record: content type 22, protocol 3.x."""
    return len(head) >= 3 and head[0] == 0x16 and head[1] == 0x03


# What a plain RAM stream shows: QEMU's savevm magic, and the guest kernel's banner in its memory.
STREAM_NEEDLES = (b"QEVM", b"Linux version")


def serial_ticks(root, name):
    try:
        with open(os.path.join(root, "run", name, "serial.log"), errors="replace") as f:
            return ticks_in(f.read().replace("\r", "").split("\n"))
    except OSError:
        return []


def domain_names(client):
    return {d["name"]: d for d in client.call("domain.list", all=True)["domains"]}


def expect_error(kind, function, *args, **kwargs):
    try:
        result = function(*args, **kwargs)
    except RpcError as e:
        check(e.kind == kind, "error kind %s, expected %s: %s" % (e.kind, kind, e))
        return e
    raise Failure("no error (expected %s); answered %s" % (kind, result))


def main():
    guest_dir = os.path.abspath(sys.argv[1])
    tap = Tap()
    work = make_temp_dir("domus-migd-")
    roots = {n: os.path.join(work, n) for n in "ABCDE"}
    for root in roots.values():
        os.makedirs(root)
    write_conf(roots["A"], True, r"^127\.0\.0\.1$")
    write_conf(roots["B"], True, r"^127\.0\.0\.1$;^localhost$")
    write_conf(roots["C"], True, r"^192\.0\.2\.1$")
    # Not loopback (and not this machine's: E never listens, it refuses first).
    write_conf(roots["E"], True, r"^127\.0\.0\.1$", address="192.0.2.1")
    daemons = {}
    clients = {}
    state = {}

    try:
        def bad_config():
            path = os.path.join(roots["D"], "bad.conf")
            with open(path, "w") as f:
                f.write("[relocation]\nenabled=true\nport=http\n")
            proc = subprocess.run([lib_domus.DOMUSD, "--root", roots["D"], "--config", path],
                                  stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
            err = proc.stderr.decode(errors="replace")
            check(proc.returncode == 2, "exit %d: %s" % (proc.returncode, err))
            check("%s:3: [relocation] port:" % path in err, "message: %s" % err)
            check(not os.path.exists(os.path.join(roots["D"], "domusd.sock")), "it listened")
            with open(path, "w") as f:
                f.write("[relocation]\nenabled=true\nthis is not a key\n")
            proc = subprocess.run([lib_domus.DOMUSD, "--root", roots["D"], "--config", path],
                                  stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
            err = proc.stderr.decode(errors="replace")
            check(proc.returncode == 2 and "%s:3:" % path in err, "exit %d: %s" % (proc.returncode, err))

        def start_daemons():
            for n in "ABCDE":
                daemons[n] = lib_domus.Daemon(roots[n], name="host" + n.lower())
            for n in "ABCDE":
                daemons[n].wait_listening()
                clients[n] = Client(daemons[n].socket_path)

        def hello():
            b = clients["B"].call("hello")["relocation"]
            check(b == {"enabled": True, "address": "127.0.0.1", "port": 0,
                        "hosts_allow": [r"^127\.0\.0\.1$", "^localhost$"]}, "B: %s" % b)
            d = clients["D"].call("hello")["relocation"]
            check(d == {"enabled": False, "address": "127.0.0.1", "port": 0,
                        "hosts_allow": ["^localhost$", r"^127\.0\.0\.1$"]}, "D (defaults): %s" % d)
            a = clients["A"].call("hello")
            for method in ("migration.check", "migration.prepare", "migration.finish",
                           "migration.perform", "migration.confirm", "migration.cancel"):
                check(method in a["capabilities"], "%s not in %s" % (method, a["capabilities"]))
            check("migration-tls" in a.get("features", []), "features: %s" % a.get("features"))

        def boot():
            config = lib_domus.guest_cfg(guest_dir, NAME)
            state["config"] = config
            clients["A"].call("domain.create", config=config)
            check(wait_until(lambda: counts_up(serial_ticks(roots["A"], NAME), 3), BOOT_TIMEOUT),
                  "no ticks on A: %s" % serial_ticks(roots["A"], NAME)[-5:])

        def checks_by_id(result):
            return {c["id"]: c for c in result["checks"]}

        def check_ok():
            result = clients["B"].call("migration.check", config=state["config"], name=NAME,
                                       copy_storage=False, disks=[], accelerator="tcg")
            check(result["ok"] is True, "B refuses: %s" % result)
            ids = [c["id"] for c in result["checks"]]
            check(ids == ["relocation", "memory", "name", "disks", "cpu", "devices"], "ids %s" % ids)

        def check_refusals():
            result = clients["D"].call("migration.check", config=state["config"], name=NAME)
            checks = checks_by_id(result)
            check(result["ok"] is False and checks["relocation"]["ok"] is False and
                  "enabled=true" in checks["relocation"]["message"],
                  "relocation off not refused: %s" % result)
            # Name clash: the domain runs on A itself.
            result = clients["A"].call("migration.check", config=state["config"], name=NAME)
            checks = checks_by_id(result)
            check(result["ok"] is False and checks["name"]["ok"] is False and checks["relocation"]["ok"],
                  "name clash not seen: %s" % result)
            missing = state["config"] + "disk = ['file:/nonexistent/domus-migd.img,xvda,w']\n"
            result = clients["B"].call("migration.check", config=missing, name=NAME,
                                       disks=[{"path": "/nonexistent/domus-migd.img", "size_bytes": 1048576}])
            disks = checks_by_id(result)["disks"]
            check(result["ok"] is False and disks["ok"] is False and "--copy-storage" in disks["message"],
                  "missing disk: %s" % disks)
            result = clients["B"].call("migration.check", config=state["config"], name=NAME,
                                       accelerator="kvm")
            check(checks_by_id(result)["cpu"]["ok"] is False, "kvm→tcg allowed: %s" % result)
            expect_error("migration-refused", clients["D"].call, "migration.prepare",
                         config=state["config"], name=NAME)
            expect_error("migration-refused", clients["A"].call, "migration.prepare",
                         config=state["config"], name=NAME)
            nothing_on("D")

        def guest_fine_on_a():
            listed = domain_names(clients["A"])
            check(NAME in listed and listed[NAME]["state"] in ("running", "blocked"),
                  "A lists %s" % listed.get(NAME))
            seen = len(serial_ticks(roots["A"], NAME))
            check(wait_until(lambda: len(serial_ticks(roots["A"], NAME)) >= seen + 2, 20),
                  "the guest stopped counting on A")

        def nothing_on(n):
            check(NAME not in domain_names(clients[n]), "%s lists %s" % (n, NAME))
            run_dir = os.path.join(roots[n], "run", NAME)
            check(wait_until(lambda: not os.path.exists(run_dir), 10), "%s keeps %s" % (n, run_dir))
            pids = qemu_pids_naming(run_dir + "/")
            check(not pids, "a QEMU for %s still runs under %s: %s" % (NAME, n, pids))
            check(not os.path.exists(os.path.join(roots[n], "domains", NAME + ".cfg")),
                  "%s defines %s" % (n, NAME))

        def hosts_allow_refuses():
            prepared = clients["C"].call("migration.prepare", config=state["config"], name=NAME)
            check(prepared["uri"].startswith("tcp:127.0.0.1:") and prepared["nbd"] is None, "%s" % prepared)
            listed = domain_names(clients["C"])
            check(listed.get(NAME, {}).get("state") == "incoming", "C lists %s" % listed.get(NAME))
            expect_error("migration-failed", clients["A"].call, "migration.perform",
                         name=NAME, uri=prepared["uri"], live=True)
            # The refused peer did not end C's migration: the client's rollback does, and is
            # told why the source failed.
            check(NAME in domain_names(clients["C"]), "the refused stream ended C's migration")
            rolled = clients["C"].call("migration.finish", id=prepared["id"], success=False)
            check("hosts-allow" in rolled.get("reason", "") and rolled.get("kind") == "migration-refused",
                  "finish{false} answered %s" % rolled)
            clients["A"].call("migration.confirm", name=NAME, success=False)
            check(wait_until(lambda: NAME not in domain_names(clients["C"]), 10), "C still lists it")
            nothing_on("C")
            check("hosts-allow" in daemons["C"].log_text(), "C's log does not say why")
            guest_fine_on_a()

        def cancel():
            prepared = clients["B"].call("migration.prepare", config=state["config"], name=NAME)
            # 1 MiB/s: a 128 MiB guest takes minutes, plenty of room to cancel.
            perform = clients["A"].send("migration.perform", name=NAME, uri=prepared["uri"],
                                        live=True, bandwidth_mib=1)
            check(wait_until(lambda: any(p["phase"] == "active" and p["transferred_bytes"] > 0
                                         for p in clients["A"].progress()), 30),
                  "no active progress: %s" % clients["A"].progress()[-3:])
            clients["A"].call("migration.cancel", name=NAME)
            error = expect_error("cancelled", clients["A"].wait, perform, "migration.perform")
            check("cancel" in str(error), str(error))
            clients["B"].call("migration.finish", id=prepared["id"], success=False)
            clients["A"].call("migration.confirm", name=NAME, success=False)
            nothing_on("B")
            guest_fine_on_a()

        def migrate():
            a, b = clients["A"], clients["B"]
            prepared = b.call("migration.prepare", config=state["config"], name=NAME, live=True)
            check(prepared["tls"] is False, "loopback without a key: %s" % prepared)
            # In clear on loopback: what the capture sees is the control of the encrypted step.
            capture = Capture("127.0.0.1", int(prepared["uri"].rsplit(":", 1)[1]), STREAM_NEEDLES)
            try:
                started = time.monotonic()
                result = a.call("migration.perform", name=NAME, uri=capture.uri(), live=True,
                                bandwidth_mib=0, downtime_ms=10)
                state["perform_s"] = time.monotonic() - started
            finally:
                capture.close()
            check(capture.seen == set(STREAM_NEEDLES) and not is_tls_record(capture.heads[0]),
                  "the plain stream showed %s, began %r" % (capture.seen, capture.heads[0][:8]))
            for key in ("downtime_ms", "total_ms", "setup_ms", "transferred_bytes",
                        "dirty_rate_bytes_per_s", "auto_converge_throttle_pct", "postcopy"):
                check(key in result, "%s missing from %s" % (key, result))
            check(result["transferred_bytes"] > 0 and result["postcopy"] is False, "%s" % result)
            state["result"] = result
            # The source is paused now: its serial log is complete.
            state["last_a"] = serial_ticks(roots["A"], NAME)[-1]
            finished = b.call("migration.finish", id=prepared["id"], success=True)
            check(finished["name"] == NAME and finished["id"] > 0, "%s" % finished)
            a.call("migration.confirm", name=NAME, success=True)
            listed_b = domain_names(b)
            check(listed_b.get(NAME, {}).get("state") in ("running", "blocked"), "B lists %s" % listed_b.get(NAME))
            check(wait_until(lambda: NAME not in domain_names(a), 10), "A still lists %s" % NAME)
            check(os.path.exists(os.path.join(roots["B"], "domains", NAME + ".cfg")), "no config on B")
            # What nothing_on() looks for is really there while the domain runs.
            check(qemu_pids_naming(os.path.join(roots["B"], "run", NAME) + "/"),
                  "no QEMU found for %s on B" % NAME)
            moved = os.listdir(os.path.join(roots["A"], "domains", ".migrated"))
            check(any(m.startswith(NAME + ".cfg.") for m in moved), "A's config not kept: %s" % moved)
            phases = {p["phase"] for p in a.progress()}
            check({"active", "completed"} <= phases, "phases %s" % phases)

        def ticks_continue():
            last = state["last_a"]
            check(wait_until(lambda: len(serial_ticks(roots["B"], NAME)) >= 3, 30),
                  "no ticks on B: %s" % serial_ticks(roots["B"], NAME))
            ticks = serial_ticks(roots["B"], NAME)
            check(ticks[0] == last + 1 and counts_up(ticks, 3),
                  "A ended at tick %d; B: %s" % (last, ticks[:6]))
            nothing_on("A")

        def paused_back():
            a, b = clients["A"], clients["B"]
            prepared = a.call("migration.prepare", config=state["config"], name=NAME, live=False)
            result = b.call("migration.perform", name=NAME, uri=prepared["uri"], live=False)
            check(result["downtime_ms"] >= 0, "%s" % result)
            last = serial_ticks(roots["B"], NAME)[-1]
            a.call("migration.finish", id=prepared["id"], success=True, resume=True)
            b.call("migration.confirm", name=NAME, success=True)
            check(domain_names(a).get(NAME, {}).get("state") in ("running", "blocked"),
                  "A lists %s" % domain_names(a).get(NAME))
            check(wait_until(lambda: len(serial_ticks(roots["A"], NAME)) >= 2, 30),
                  "no ticks on A after the paused migration")
            ticks = serial_ticks(roots["A"], NAME)
            check(ticks[0] == last + 1, "B ended at %d; A: %s" % (last, ticks[:4]))
            nothing_on("B")

        def key_file(n, name):
            return os.path.join(roots[n], "run", name, "keys.psk")

        def encrypted_migrate():
            a, b = clients["A"], clients["B"]
            psk = os.urandom(32).hex()
            prepared = b.call("migration.prepare", config=state["config"], name=NAME, tls_psk=psk)
            check(prepared["tls"] is True, "prepare with a key: %s" % prepared)
            mode = os.stat(key_file("B", NAME)).st_mode & 0o777
            with open(key_file("B", NAME)) as f:
                check(f.read() == "domus:%s\n" % psk and mode == 0o600, "B's key file (mode %o)" % mode)
            capture = Capture("127.0.0.1", int(prepared["uri"].rsplit(":", 1)[1]), STREAM_NEEDLES)
            try:
                result = a.call("migration.perform", name=NAME, uri=capture.uri(), live=True, tls_psk=psk)
            finally:
                capture.close()
            state["last_a"] = serial_ticks(roots["A"], NAME)[-1]
            b.call("migration.finish", id=prepared["id"], success=True)
            a.call("migration.confirm", name=NAME, success=True)
            check(capture.sent >= result["transferred_bytes"] > 0, "the capture saw %d bytes of %s"
                  % (capture.sent, result["transferred_bytes"]))
            check(is_tls_record(capture.heads[0]) and not capture.seen,
                  "the stream began %r and showed %s in clear" % (capture.heads[0][:8], capture.seen))
            ticks_continue()
            check(not os.path.exists(key_file("B", NAME)), "the key stays in B's run folder")
            check(not os.path.exists(key_file("A", NAME)), "the key stays in A's run folder")

        def wrong_key():
            # The source holds another key: the TLS handshake fails, both sides roll back.
            prepared = clients["A"].call("migration.prepare", config=state["config"], name=NAME,
                                         tls_psk=os.urandom(32).hex())
            expect_error("migration-failed", clients["B"].call, "migration.perform", name=NAME,
                         uri=prepared["uri"], tls_psk=os.urandom(32).hex())
            clients["A"].call("migration.finish", id=prepared["id"], success=False)
            clients["B"].call("migration.confirm", name=NAME, success=False)
            nothing_on("A")
            seen = len(serial_ticks(roots["B"], NAME))
            check(wait_until(lambda: len(serial_ticks(roots["B"], NAME)) >= seen + 2, 20),
                  "the guest stopped counting on B")
            check(not os.path.exists(key_file("B", NAME)), "the key stays in B's run folder")

        def refused_then_right():
            a, b = clients["A"], clients["B"]
            prepared = a.call("migration.prepare", config=state["config"], name=NAME)
            port = int(prepared["uri"].rsplit(":", 1)[1])
            # 127.0.0.2 is this machine too, but A's hosts-allow names 127.0.0.1 only.
            answer = first_bytes_from("127.0.0.2", "127.0.0.1", port)
            check(answer == b"", "the stream port answered 127.0.0.2 with %r" % answer)
            check(wait_until(lambda: "a stream was refused" in daemons["A"].log_text(), 10),
                  "A's log does not say it refused 127.0.0.2")
            check(domain_names(a).get(NAME, {}).get("state") == "incoming",
                  "the refused peer ended A's migration: %s" % domain_names(a).get(NAME))
            b.call("migration.perform", name=NAME, uri=prepared["uri"], live=True)
            last = serial_ticks(roots["B"], NAME)[-1]
            a.call("migration.finish", id=prepared["id"], success=True)
            b.call("migration.confirm", name=NAME, success=True)
            check(wait_until(lambda: len(serial_ticks(roots["A"], NAME)) >= 2, 30),
                  "no ticks on A after the migration")
            ticks = serial_ticks(roots["A"], NAME)
            check(ticks[0] == last + 1, "B ended at %d; A: %s" % (last, ticks[:4]))
            nothing_on("B")

        def encryption_required():
            e = expect_error("migration-refused", clients["E"].call, "migration.prepare",
                             config=state["config"], name=NAME)
            check("192.0.2.1" in str(e) and "encrypted" in str(e), str(e))
            e = expect_error("invalid-params", clients["E"].call, "migration.prepare",
                             config=state["config"], name=NAME, tls_psk="not hex")
            check("tls_psk" in str(e), str(e))
            expect_error("invalid-params", clients["A"].call, "migration.perform", name=NAME,
                         uri="tcp:127.0.0.1:9", tls_psk="00" * 8)
            nothing_on("E")
            guest_fine_on_a()

        def client_gone():
            # Target: the client that prepared leaves before any stream: B cleans up.
            leaving = Client(daemons["B"].socket_path)
            leaving.call("migration.prepare", config=state["config"], name=NAME)
            check(NAME in domain_names(clients["B"]), "B does not list the incoming domain")
            leaving.close()
            check(wait_until(lambda: NAME not in domain_names(clients["B"]), 15), "B keeps it")
            nothing_on("B")
            # Source: the client that performs leaves mid-way: A cancels and the guest runs on.
            prepared = clients["B"].call("migration.prepare", config=state["config"], name=NAME)
            leaving = Client(daemons["A"].socket_path)
            seen = len(clients["A"].progress())
            leaving.send("migration.perform", name=NAME, uri=prepared["uri"], live=True, bandwidth_mib=1)
            check(wait_until(lambda: any(p["phase"] == "active" for p in clients["A"].progress()[seen:]), 30),
                  "no progress")
            leaving.close()
            check(wait_until(lambda: any(p["phase"] == "cancelled" for p in clients["A"].progress()[seen:]), 15),
                  "A did not cancel: %s" % clients["A"].progress()[-2:])
            clients["B"].call("migration.finish", id=prepared["id"], success=False)
            nothing_on("B")
            guest_fine_on_a()

        def copy_storage():
            a, b = clients["A"], clients["B"]
            disk = os.path.join(work, "carrier.img")
            pattern = os.urandom(1024 * 1024)
            with open(disk, "wb") as f:
                f.write(pattern)
                f.truncate(8 * 1024 * 1024)
            config = lib_domus.guest_cfg(guest_dir, "carrier", "disk = ['file:%s,xvda,w']\n" % disk)
            a.call("domain.create", config=config)
            check(wait_until(lambda: len(serial_ticks(roots["A"], "carrier")) >= 1, BOOT_TIMEOUT),
                  "carrier does not boot")
            disks = a.call("domain.get", name="carrier")["disks"]
            check(disks == [{"path": disk, "size_bytes": 8 * 1024 * 1024, "format": "raw",
                             "target": "xvda", "mode": "w", "kind": "file"}], "domain.get disks: %s" % disks)
            disks = [{"path": d["path"], "size_bytes": d["size_bytes"]} for d in disks]
            checked = b.call("migration.check", config=config, name="carrier", copy_storage=True, disks=disks)
            message = checks_by_id(checked)["disks"]["message"]
            check(checked["ok"] and "copied" in message, "%s" % checked)
            prepared = b.call("migration.prepare", config=config, name="carrier", copy_storage=True,
                              disks=disks)
            nbd = prepared["nbd"]
            check(nbd is not None and nbd["port"] > 0 and nbd["exports"] == {disk: "disk0"}, "nbd %s" % nbd)
            # 127.0.0.2 is this machine too, but B's hosts-allow names 127.0.0.1 only: the
            # writable export must not answer it, nor spend the one connection the disk gets.
            greeting = first_bytes_from("127.0.0.2", nbd["host"], nbd["port"], timeout=20)
            check(greeting == b"", "an NBD connection from 127.0.0.2 got %r" % greeting)
            phases = len(a.progress())
            sample = pattern[4096:4096 + 64]
            capture = Capture(nbd["host"], nbd["port"], [sample])
            try:
                a.call("migration.perform", name="carrier", uri=prepared["uri"], live=True,
                       nbd=dict(nbd, host="127.0.0.1", port=capture.port))
            finally:
                capture.close()
            check(capture.seen == {sample}, "the plain disk copy did not show its data")
            state["pattern"] = pattern
            check("mirror" in {p["phase"] for p in a.progress()[phases:]}, "no mirror phase")
            b.call("migration.finish", id=prepared["id"], success=True)
            a.call("migration.confirm", name="carrier", success=True)
            with open(os.path.join(roots["B"], "domains", "carrier.cfg")) as f:
                stored = f.read()
            copy = os.path.join(roots["B"], "images", "carrier.img")
            check(copy in stored and disk not in stored, "B's config: %s" % stored)
            with open(copy, "rb") as f:
                copied = f.read()
            check(len(copied) == 8 * 1024 * 1024 and copied[:len(pattern)] == pattern,
                  "the copy differs from the disk (%d bytes)" % len(copied))
            check(domain_names(b).get("carrier", {}).get("state") in ("running", "blocked"),
                  "B lists %s" % domain_names(b).get("carrier"))
            seen = len(serial_ticks(roots["B"], "carrier"))
            check(wait_until(lambda: len(serial_ticks(roots["B"], "carrier")) >= seen + 2, 20),
                  "carrier does not count on B")

        def abandoned():
            # The target's daemon dies after prepare; the next one ends what nobody will finish.
            clients["B"].call("migration.prepare", config=state["config"], name=NAME)
            incoming = os.path.join(roots["B"], "domains", ".incoming")
            check(os.listdir(incoming) == [NAME + ".cfg"], "incoming: %s" % os.listdir(incoming))
            clients["B"].close()
            daemons["B"].kill()
            daemons["B"] = lib_domus.Daemon(roots["B"], log_name="domusd-2.log", name="hostb")
            daemons["B"].wait_listening()
            clients["B"] = Client(daemons["B"].socket_path)
            check(wait_until(lambda: NAME not in domain_names(clients["B"]), 15), "B lists it again")
            nothing_on("B")
            check(os.listdir(incoming) == [], "left in .incoming: %s" % os.listdir(incoming))
            check("carrier" in domain_names(clients["B"]), "B lost carrier")
            guest_fine_on_a()

        def encrypted_copy_storage():
            a, b = clients["A"], clients["B"]
            pattern = state["pattern"]
            psk = os.urandom(32).hex()
            disks = [{"path": d["path"], "size_bytes": d["size_bytes"]}
                     for d in b.call("domain.get", name="carrier")["disks"]]
            config = b.call("domain.get_config", name="carrier")["config"]
            prepared = a.call("migration.prepare", config=config, name="carrier", copy_storage=True,
                              disks=disks, tls_psk=psk)
            nbd = prepared["nbd"]
            check(prepared["tls"] is True and nbd is not None, "%s" % prepared)
            sample = pattern[4096:4096 + 64]
            disk_capture = Capture(nbd["host"], nbd["port"], [sample])
            stream_capture = Capture("127.0.0.1", int(prepared["uri"].rsplit(":", 1)[1]), STREAM_NEEDLES)
            try:
                b.call("migration.perform", name="carrier", uri=stream_capture.uri(), live=True,
                       nbd=dict(nbd, host="127.0.0.1", port=disk_capture.port), tls_psk=psk)
            finally:
                disk_capture.close()
                stream_capture.close()
            a.call("migration.finish", id=prepared["id"], success=True)
            b.call("migration.confirm", name="carrier", success=True)
            check(disk_capture.sent > len(pattern) and not disk_capture.seen,
                  "the disk copy (%d bytes) showed its data in clear" % disk_capture.sent)
            check(is_tls_record(stream_capture.heads[0]) and not stream_capture.seen,
                  "the stream began %r and showed %s" % (stream_capture.heads[0][:8], stream_capture.seen))
            copy = os.path.join(roots["A"], "images", "carrier.img")
            with open(copy, "rb") as f:
                copied = f.read()
            check(len(copied) == 8 * 1024 * 1024 and copied[:len(pattern)] == pattern,
                  "the copy on A differs from the disk (%d bytes)" % len(copied))
            check(domain_names(a).get("carrier", {}).get("state") in ("running", "blocked"),
                  "A lists %s" % domain_names(a).get("carrier"))
            check(not os.path.exists(key_file("A", "carrier")), "the key stays in A's run folder")

        steps = [
            ("a bad domusd.conf: exit 2 before listening, FILE:LINE: [group] key", bad_config),
            ("four daemons start, each with its domusd.conf (D with none)", start_daemons),
            ("hello reports relocation and the migration methods", hello),
            ("the test guest boots on A and counts", boot),
            ("migration.check on B: every check passes, in the protocol's order", check_ok),
            ("check refuses relocation off, a name clash, a missing disk, kvm to tcg", check_refusals),
            ("hosts-allow without 127.0.0.1: stream refused, C left clean, guest runs on A", hosts_allow_refuses),
            ("migration.cancel mid-way: perform fails with cancelled, B clean, guest runs on A", cancel),
            ("prepare, perform, finish, confirm: the guest moves from A to B", migrate),
            ("the ticks on B continue from A's", ticks_continue),
            ("a paused migration (live false) brings it back to A, resumed, ticks continue", paused_back),
            ("encrypted (tls_psk) on loopback: key file 0600 on B, the stream a TLS one with nothing"
             " in clear, ticks continue on B, no key left", encrypted_migrate),
            ("a source with another key: the handshake fails, A clean, the guest runs on B", wrong_key),
            ("a connection from 127.0.0.2 is refused and the migration waits on: the right one completes",
             refused_then_right),
            ("E's relocation address is not loopback: prepare without a key is refused; a bad key is"
             " invalid-params", encryption_required),
            ("the client goes away: the target cleans up, the source cancels and runs on", client_gone),
            ("copy_storage: NBD export on B (nothing for a peer hosts-allow does not name), mirror from A,"
             " the copy holds the disk's data", copy_storage),
            ("B's daemon killed after prepare: the next one ends the incoming domain", abandoned),
            ("copy_storage with a key: the disk copy and the stream encrypted, the copy holds the data",
             encrypted_copy_storage),
        ]
        for description, function in steps:
            if not tap.step(description, function) and function in (start_daemons, boot):
                break
        if "result" in state:
            print("# perform: %s (%.2f s as the client saw it)"
                  % (json.dumps(state["result"]), state["perform_s"]))
    finally:
        for client in clients.values():
            client.close()
        for n, daemon in daemons.items():
            if tap.failed:
                print("# --- domusd %s log (tail) ---" % n)
                for line in daemon.log_text().splitlines()[-25:]:
                    print("# " + line)
        for daemon in daemons.values():
            daemon.stop()
        shutil.rmtree(work, ignore_errors=True)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
