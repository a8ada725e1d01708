#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a real domusd promises a hostile or clumsy client (docs/daemon.md, "Under bad input").

Usage: test-limits.py GUEST_DIR   (DOMUS_BUILD_DIR from the environment)

Each part runs a daemon of its own under a fresh --root: JSON nested 100,000 deep, a NUL
in a name, an id beyond 64 bits, a last line without its newline, a client that leaves
while its request waits, the client cap and the idle timeout ([clients] in domusd.conf),
the descriptor limit (the daemon under a limit of 64 open files, filled with idle
clients), zombies after QEMU starts and a failed start; and a fake daemon that answers
`domusctl list` with 100,000 "[". Everything started here is ended by its PID. Output is
TAP, the plan last.
"""

import json
import os
import select
import shutil
import socket
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import lib_domus  # noqa: E402
from lib_domus import Failure, Tap, check, wait_until  # noqa: E402
from lib_qemu import make_temp_dir  # noqa: E402

BUILD_DIR = os.environ["DOMUS_BUILD_DIR"]
DOMUSCTL = os.path.join(BUILD_DIR, "cli", "domusctl")
CALL_TIMEOUT = 60.0
TICKS = os.sysconf("SC_CLK_TCK")
FD_LIMIT = 64


class Client:
    """A raw connection: lines out, JSON lines in."""

    def __init__(self, path, timeout=CALL_TIMEOUT):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buffer = b""

    def send(self, data):
        self.sock.sendall(data)

    def request(self, request_id, method, **params):
        self.send(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method,
                              "params": params}).encode() + b"\n")

    def line(self):
        """The next line, or None at the end of the stream."""
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line

    def reply(self):
        """The next message with an id (notifications skipped)."""
        while True:
            line = self.line()
            check(line is not None, "the daemon closed the connection instead of answering")
            message = json.loads(line)
            if "id" in message:
                return message

    def call(self, request_id, method, **params):
        self.request(request_id, method, **params)
        reply = self.reply()
        check(reply.get("id") == request_id, "reply to %d: %r" % (request_id, reply))
        return reply

    def readable_within(self, seconds):
        return bool(self.buffer) or bool(select.select([self.sock], [], [], seconds)[0])

    def close(self):
        self.sock.close()


def error_kind(reply):
    return reply.get("error", {}).get("data", {}).get("kind")


def ctl(uri, *args, timeout=CALL_TIMEOUT):
    return subprocess.run([DOMUSCTL, "--connect", uri] + list(args), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])   # utime, stime (fields 14 and 15)


def settled_fd_count(pid):
    """The daemon's descriptors once it has let go of clients that just left."""
    counts = [fd_count(pid)]
    while True:
        time.sleep(0.3)
        counts.append(fd_count(pid))
        if counts[-1] == counts[-2]:
            return counts[-1]


def zombie_children(pid):
    return [child for child, state in lib_domus.children_of(pid).items() if state == "Z"]


class Setup:
    def __init__(self, guest_dir):
        self.guest_dir = guest_dir
        self.roots = []
        self.daemons = []

    def daemon(self, conf=None, wrapper=()):
        root = make_temp_dir("domus-limits-")
        self.roots.append(root)
        if conf is not None:
            with open(os.path.join(root, "domusd.conf"), "w") as f:
                f.write(conf)
        daemon = lib_domus.Daemon(root, wrapper=wrapper)
        self.daemons.append(daemon)
        return daemon.wait_listening()

    def write_cfg(self, daemon, name, text):
        path = os.path.join(daemon.root, name + ".cfg")
        with open(path, "w") as f:
            f.write(text)
        return path

    def teardown(self):
        for daemon in self.daemons:
            daemon.stop()
        for root in self.roots:
            shutil.rmtree(root, ignore_errors=True)


def bad_input_steps(tap, setup):
    # A daemon each: one that dies must not take the next step's verdict with it.
    def deep():
        daemon = setup.daemon()
        pid = daemon.proc.pid
        client = Client(daemon.socket_path)
        try:
            client.send(b"[" * 100000 + b"\n")
            reply = client.reply()
            check(reply["id"] is None and reply["error"]["code"] == -32700 and
                  error_kind(reply) == "parse-error" and "128" in reply["error"]["message"],
                  "reply: %r" % reply)
            check(client.call(1, "hello")["result"]["pid"] == pid, "hello after it")
        finally:
            client.close()
        check(daemon.proc.poll() is None, "the daemon died")
    tap.step("100,000 '[': a parse error naming the depth limit; the daemon lives", deep)

    def inexact():
        daemon = setup.daemon()
        client = Client(daemon.socket_path)
        try:
            client.send(b'{"jsonrpc": "2.0", "id": 2, "method": "domain.get", '
                        b'"params": {"name": "Domain-0\\u0000junk"}}\n')
            reply = client.reply()
            check(error_kind(reply) == "invalid-request" and "NUL" in reply["error"]["message"],
                  "a NUL in a name: %r" % reply)
            client.send(b'{"jsonrpc": "2.0", "id": 18446744073709551615, "method": "hello"}\n')
            reply = client.reply()
            check(reply["id"] is None and error_kind(reply) == "invalid-request", "a 2^64-1 id: %r" % reply)
            client.send(b'{"jsonrpc": "2.0", "id": 5, "method": "stats.set_interval", '
                        b'"params": {"interval_ms": 18446744073709552616}}\n')
            reply = client.reply()
            check(reply["id"] == 5 and error_kind(reply) == "invalid-params" and
                  "interval_ms" in reply["error"]["message"], "a 2^64+1000 param: %r" % reply)
            reply = client.call(9223372036854775807, "hello")
            check("result" in reply, "the largest id: %r" % reply)
        finally:
            client.close()
    tap.step("a NUL in a name, an id or a param beyond 64 bits: refused, never truncated or wrapped",
             inexact)

    def last_line():
        daemon = setup.daemon()
        client = Client(daemon.socket_path)
        try:
            client.send(b'{"jsonrpc": "2.0", "id": 3, "method": "hello"}')
            client.sock.shutdown(socket.SHUT_WR)
            check(client.reply()["id"] == 3, "no reply")
            check(client.line() is None, "the connection did not end after the reply")
        finally:
            client.close()
    tap.step("a last line without a newline, then a half-close: answered", last_line)

    def client_leaves():
        daemon = setup.daemon()
        pid = daemon.proc.pid
        cfg = setup.write_cfg(daemon, "waiter", lib_domus.guest_cfg(setup.guest_dir, "waiter"))
        r = ctl(daemon.uri, "create", cfg)
        check(r.returncode == 0, "create: %s" % r.stderr)
        r = ctl(daemon.uri, "pause", "waiter")
        check(r.returncode == 0, "pause: %s" % r.stderr)
        before = settled_fd_count(pid)
        # A paused guest does not hear the power button: the request waits for the end.
        client = Client(daemon.socket_path)
        client.request(4, "domain.shutdown", name="waiter", wait=True)
        check(not client.readable_within(1.0), "shutdown --wait of a paused guest answered")
        check(fd_count(pid) == before + 1, "the client's descriptor: %d, then %d"
              % (before, fd_count(pid)))
        client.close()
        check(wait_until(lambda: fd_count(pid) == before, 30, 0.05),
              "the daemon keeps the descriptor of a client that left: %d, was %d"
              % (fd_count(pid), before))
        r = ctl(daemon.uri, "destroy", "waiter")
        check(r.returncode == 0, "destroy: %s" % r.stderr)
        check(daemon.proc.poll() is None, "the late answer killed the daemon")
        check(ctl(daemon.uri, "list").returncode == 0, "list after it")
    tap.step("a client that leaves while its request waits is dropped at once", client_leaves)

    def zombies():
        daemon = setup.daemon()
        pid = daemon.proc.pid
        cfg = setup.write_cfg(daemon, "round", lib_domus.guest_cfg(setup.guest_dir, "round"))
        for i in range(3):
            r = ctl(daemon.uri, "create", cfg)
            check(r.returncode == 0, "create %d: %s" % (i, r.stderr))
            r = ctl(daemon.uri, "destroy", "round")
            check(r.returncode == 0, "destroy %d: %s" % (i, r.stderr))
        # Within what a config may ask, beyond what the machine gives: QEMU fails after -daemonize.
        huge = setup.write_cfg(daemon, "huge", lib_domus.guest_cfg(setup.guest_dir, "huge")
                               .replace("memory = 128", "memory = 16000000"))
        r = ctl(daemon.uri, "create", huge)
        check(r.returncode != 0, "the huge guest started")
        check(wait_until(lambda: not zombie_children(pid), 30),
              "zombie children of the daemon: %s" % zombie_children(pid))
    tap.step("no zombie children after 4 starts and a failed start", zombies)


def hostile_daemon_step(tap, setup):
    def hostile():
        root = make_temp_dir("domus-hostile-")
        setup.roots.append(root)
        path = os.path.join(root, "fake.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        listener.listen(1)
        listener.settimeout(CALL_TIMEOUT)

        def serve():
            try:
                connection, _ = listener.accept()
                with connection:
                    connection.makefile("rb").readline()
                    connection.sendall(b"[" * 100000 + b"\n")
                    connection.settimeout(CALL_TIMEOUT)
                    while connection.recv(4096):
                        pass
            except OSError:
                pass

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        try:
            r = ctl("unix:" + path, "list")
        finally:
            listener.close()
            thread.join(5)
        check(r.returncode == 1, "exit status %d (a negative one is a signal): %s"
              % (r.returncode, r.stderr))
        check("nested deeper than 128 levels" in r.stderr, "stderr: %r" % r.stderr)
    tap.step("a fake daemon answering 100,000 '[': domusctl list says so and exits 1", hostile)


def client_limit_steps(tap, setup):
    def cap():
        daemon = setup.daemon("[clients]\nmax=4\n")
        clients = [Client(daemon.socket_path) for _ in range(4)]
        try:
            for i, client in enumerate(clients):
                check("result" in client.call(i, "hello"), "client %d" % i)
            extra = Client(daemon.socket_path)
            line = extra.line()
            check(line is not None and b"max" in line and b"4 clients" in line,
                  "the fifth client was told: %r" % line)
            check(extra.line() is None, "the fifth client was not closed")
            extra.close()
            r = ctl(daemon.uri, "list")
            check(r.returncode != 0 and "4 clients" in r.stderr, "domusctl list: %d %r"
                  % (r.returncode, r.stderr))
            clients.pop().close()
            check(wait_until(lambda: ctl(daemon.uri, "list").returncode == 0, 30),
                  "a client that left did not free its place")
        finally:
            for client in clients:
                client.close()
    tap.step("[clients] max: one client too many is told why and closed; room frees up", cap)

    def idle():
        daemon = setup.daemon("[clients]\nidle-timeout=2\n")
        silent = Client(daemon.socket_path)
        subscriber = Client(daemon.socket_path)
        try:
            check("result" in subscriber.call(1, "stats.subscribe"), "subscribe")
            started = time.monotonic()
            line = silent.line()
            check(line is not None and b"No request came in 2 seconds" in line,
                  "the silent client was told: %r" % line)
            check(silent.line() is None, "the silent client was not closed")
            check(time.monotonic() - started < 10, "closed only after %.1f s"
                  % (time.monotonic() - started))
            time.sleep(3)
            check("result" in subscriber.call(2, "hello"), "the subscriber was cut")
        finally:
            silent.close()
            subscriber.close()
    tap.step("[clients] idle-timeout: a client that never speaks goes, a quiet subscriber stays",
             idle)


def fd_limit_step(tap, setup):
    def fd_limit():
        # Soft and hard: the daemon raises its soft limit to the hard one at start.
        limit = ("prlimit", "--nofile=%d:%d" % (FD_LIMIT, FD_LIMIT), "--")
        daemon = setup.daemon("[clients]\nmax=1000\n", wrapper=limit)
        pid = daemon.proc.pid
        clients = []
        try:
            # More than the limit leaves room for: the rest wait in the listen backlog, or
            # find it full (a Unix socket then refuses with EAGAIN).
            for _ in range(2 * FD_LIMIT):
                try:
                    clients.append(Client(daemon.socket_path, timeout=5))
                except (BlockingIOError, socket.timeout):
                    pass
            check(len(clients) > FD_LIMIT, "only %d clients could connect" % len(clients))
            check(wait_until(lambda: fd_count(pid) >= FD_LIMIT - 1, 10),
                  "the daemon holds %d descriptors of %d" % (fd_count(pid), FD_LIMIT))
            time.sleep(1)
            log_size = os.path.getsize(daemon.log_path)
            ticks = cpu_ticks(pid)
            time.sleep(3)
            used = (cpu_ticks(pid) - ticks) / TICKS / 3
            grown = os.path.getsize(daemon.log_path) - log_size
            check(used < 0.2, "the daemon used %.0f %% of a core at the limit" % (used * 100))
            check(grown < 1000, "the log grew by %d bytes in 3 s at the limit" % grown)
            check(daemon.log_text().count("cannot accept clients") == 1,
                  "the limit is not logged once:\n" + daemon.log_text()[-2000:])
        finally:
            for client in clients:
                client.close()
        r = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            r = ctl(daemon.uri, "list", timeout=10)
            if r.returncode == 0:
                break
            time.sleep(0.2)
        check(r.returncode == 0, "no service after the clients left: %s" % r.stderr)
        check("accepting clients again" in daemon.log_text(), "no word of the recovery")
    tap.step("at the descriptor limit: little CPU, one log line, service again after", fd_limit)


def main():
    guest_dir = os.path.abspath(sys.argv[1])
    tap = Tap()
    setup = Setup(guest_dir)
    try:
        bad_input_steps(tap, setup)
        hostile_daemon_step(tap, setup)
        client_limit_steps(tap, setup)
        fd_limit_step(tap, setup)
    except Failure as e:
        tap.ok(False, "setup", str(e))
    finally:
        setup.teardown()
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
