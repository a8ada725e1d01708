#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Servers behind the same sshd share one SSH connection (docs/remote.md, "One connection
per account").

Usage: test-ssh-share.py HELPER   (DOMUS_BUILD_DIR from the environment)

A real OpenSSH server on a loopback port (throwaway keys, its default MaxSessions) and two
domusd (--root, no guest). HELPER (ssh-share-helper.c) follows two DomusHosts, one per
daemon, both ssh://…&socket=… through that sshd, as the window does. Connections are
counted from the server's side: TCP connections established to its port (/proc/net/tcp)
and the per-connection processes sshd forked. Both hosts connected over one connection;
one disconnected, its stream into its daemon ends on the server, the other still answers
and the connection stays; connected again, it joins the same connection; the
per-connection sshd process killed (by its PID, with its own children), both hosts
reconnect, again over one new connection. Six hosts take two connections (five to a
connection, room left for consoles). With a server that allows two sessions to a
connection (MaxSessions 2) and forwards no Unix socket (each stream an exec channel
running the bridge), three hosts connect without a failure over two connections; with
forwarding on, their direct-streamlocal streams are no sessions and they share one.
Everything started here is ended by PID. Output is TAP, the plan last.
"""

import os
import queue
import signal
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib_domus import Daemon, Failure, Tap, check, wait_until  # noqa: E402
from lib_qemu import make_temp_dir  # noqa: E402
from lib_sshd import Sshd, children_of, streams_into  # noqa: E402

TIMEOUT = 60.0


def established_to(port):
    """How many TCP connections to 127.0.0.1:port are established, seen from the server."""
    count = 0
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            local_port = int(fields[1].split(":")[1], 16)
            if local_port == port and fields[3] == "01":
                count += 1
    return count


def connection_processes(sshd):
    """sshd's direct children: one process per connection."""
    out = []
    for pid in children_of(sshd.proc.pid):
        try:
            with open("/proc/%d/stat" % pid) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == sshd.proc.pid:
            out.append(pid)
    return out


class Helper:
    """ssh-share-helper on a pipe; its lines read by a thread into a queue."""

    def __init__(self, path, uris, log_path):
        env = dict(os.environ)
        env.pop("SSH_AUTH_SOCK", None)
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen([path] + uris, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.log, text=True, env=env, start_new_session=True)
        self.lines = queue.Queue()
        self.states = {}
        self.history = []   # every line read so far
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def wait_for(self, predicate, what, timeout=TIMEOUT):
        """Reads lines until predicate(line) holds; returns that line."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure("no %s within %.0f s; states %r" % (what, timeout, self.states))
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            self.history.append(line)
            if line.startswith("state "):
                _, n, state = line.split(" ", 2)
                self.states[int(n)] = state
            if predicate(line):
                return line

    def wait_states(self, hosts, word, timeout=TIMEOUT):
        def all_there(_line):
            return all(self.states.get(n, "").startswith(word) for n in hosts)
        if not all_there(None):
            self.wait_for(all_there, "%r %s" % (hosts, word), timeout)

    def ping(self, n):
        self.send("ping %d" % n)
        line = self.wait_for(lambda l: l.startswith("ping %d " % n), "answer to ping %d" % n)
        check(line == "ping %d ok" % n, line)

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.send("quit")
                self.proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def main():
    helper_path = sys.argv[1]
    tap = Tap()
    tmp = make_temp_dir("domus-ssh-share-")
    sshd = None
    daemons = []
    helpers = []
    servers = []
    try:
        for n in range(2):
            folder = os.path.join(tmp, "d%d" % n)
            os.mkdir(folder)
            daemons.append(Daemon(folder, name="share%d" % n).wait_listening())
        sshd_dir = os.path.join(tmp, "sshd")
        os.mkdir(sshd_dir, 0o700)
        sshd = Sshd(sshd_dir).start()
        known_hosts = sshd.write_known_hosts(os.path.join(tmp, "known_hosts"))
        uris = [sshd.uri(known_hosts) + "&socket=" + d.socket_path for d in daemons]
        helper = Helper(helper_path, uris, os.path.join(tmp, "helper.log"))
        helpers.append(helper)
        first = []

        def one_connection():
            helper.wait_states([0, 1], "connected")
            check(wait_until(lambda: established_to(sshd.port) == 1, 5),
                  "%d TCP connections to sshd" % established_to(sshd.port))
            first.extend(connection_processes(sshd))
            check(len(first) == 1, "sshd forked %d connection processes: %r" % (len(first), first))
            helper.ping(0)
            helper.ping(1)

        if not tap.step("two servers behind one sshd: both connected over one SSH connection",
                        one_connection):
            return tap.finish()

        def close_one():
            streams = lambda: [streams_into(d.socket_path) for d in daemons]  # noqa: E731
            check(streams() == [1, 1], "streams into the two daemons: %r" % streams())
            helper.send("disconnect 0")
            helper.wait_states([0], "disconnected")
            helper.ping(1)
            # Its channel ended on the server too: sshd let go of its stream into daemon 0.
            check(wait_until(lambda: streams() == [0, 1], 10),
                  "streams into the two daemons: %r" % streams())
            time.sleep(1)
            check(helper.states[1].startswith("connected"), "host 1 %s" % helper.states[1])
            check(connection_processes(sshd) == first, "the connection changed: %r, was %r"
                  % (connection_processes(sshd), first))
            check(established_to(sshd.port) == 1, "%d TCP connections" % established_to(sshd.port))

        tap.step("one disconnected: the other still answers on the same connection", close_one)

        def rejoin():
            helper.send("connect 0")
            helper.wait_states([0], "connected")
            helper.ping(0)
            check(connection_processes(sshd) == first, "a new connection: %r, was %r"
                  % (connection_processes(sshd), first))
            check(established_to(sshd.port) == 1, "%d TCP connections" % established_to(sshd.port))

        tap.step("connected again: it joins the same connection", rejoin)

        def kill_connection():
            victims = children_of(first[0]) + [first[0]]
            for pid in victims:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            # Each host notices, says why, and reconnects on its own.
            helper.wait_for(lambda l: l.startswith("state 0 ") and not l.startswith("state 0 connected"),
                            "host 0 losing its connection")
            helper.wait_for(lambda _: not helper.states[1].startswith("connected"),
                            "host 1 losing its connection")
            helper.wait_states([0, 1], "connected")
            helper.ping(0)
            helper.ping(1)
            now = connection_processes(sshd)
            check(len(now) == 1 and now != first, "connection processes %r (the killed one %r)"
                  % (now, first))
            check(established_to(sshd.port) == 1, "%d TCP connections" % established_to(sshd.port))

        tap.step("the shared connection killed: both reconnect, over one new connection",
                 kill_connection)
        helper.stop()
        check(wait_until(lambda: established_to(sshd.port) == 0, 10), "connections left")

        def six_hosts():
            many = Helper(helper_path, [uris[n % 2] for n in range(6)],
                          os.path.join(tmp, "helper6.log"))
            helpers.append(many)
            many.wait_states(list(range(6)), "connected")
            check(wait_until(lambda: established_to(sshd.port) == 2, 5),
                  "%d TCP connections for six hosts" % established_to(sshd.port))
            for n in range(6):
                many.ping(n)

        tap.step("six servers: two connections, five to a connection", six_hosts)
        for helper in helpers:
            helper.stop()
        sshd.kill()

        def three_hosts(name, extra_config, connections):
            """Three hosts through a server of its own: all connect, none fails on its way,
            over that many connections."""
            folder = os.path.join(tmp, name)
            os.mkdir(folder, 0o700)
            small = Sshd(folder, extra_config=extra_config).start()
            servers.append(small)
            kh = small.write_known_hosts(os.path.join(folder, "known_hosts"))
            three = Helper(helper_path, [small.uri(kh) + "&socket=" + daemons[n % 2].socket_path
                                         for n in range(3)], os.path.join(folder, "helper.log"))
            helpers.append(three)
            three.wait_states([0, 1, 2], "connected")
            for n in range(3):
                three.ping(n)
            check(established_to(small.port) == connections,
                  "%d TCP connections" % established_to(small.port))
            check(not any(l.startswith("state ") and "disconnected" in l for l in three.history),
                  "a host failed on its way: %r" % three.history)

        # A server that allows two sessions to a connection and forwards no Unix socket: the
        # third host's bridge is refused there and moves to a connection of its own.
        tap.step("a server that allows two sessions and no socket forwarding: the third host's "
                 "refused bridge moves to a connection of its own, no host fails",
                 lambda: three_hosts("sshd-small", "MaxSessions 2\nAllowStreamLocalForwarding no\n", 2))
        # The same limit with socket forwarding on: a direct-streamlocal channel is no session
        # to sshd, so the three (and more, up to five) share one connection.
        tap.step("a server that allows two sessions, forwarding on: three hosts over one connection "
                 "(their streams are no sessions)",
                 lambda: three_hosts("sshd-small-forwarding", "MaxSessions 2\n", 1))
    except Failure as e:
        tap.ok(False, "setting up", str(e))
    finally:
        for helper in helpers:
            helper.stop()
        for server in [sshd] + servers:
            if server is not None:
                server.kill()
        for daemon in daemons:
            daemon.stop()
        tap.remove_if_passed(tmp)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
