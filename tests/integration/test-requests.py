#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every request domusd takes is answered exactly once, whatever its params, and leaves nothing.

Usage: test-requests.py   (DOMUS_BUILD_DIR from the environment)

A real domusd under --root in a fresh folder (no guest boots). The methods come from the
daemon's own table (hello's capabilities, and hello), so a method added later is covered
without touching this file. Each gets, on a connection of its own and all at once: no params,
{}, an array, every parameter name any method reads set to null, to a wrong type (list,
object, number, boolean), to names no domain or image has, to digits that name no running
domain, and to huge values. Checked: one answer per request (a result, or an error with a
kind), none twice, none after; a method that needs a name or a config says which param is
missing; the daemon still runs and answers; once the clients have closed, it holds no more
file descriptors than before. Also: a config file whose name is all digits is listed as
invalid, and the digits reach no domain by that name (they are an id, as xm read them).
Output is TAP, the plan last. The daemon is ended by its PID.
"""

import json
import os
import socket
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib_domus import Daemon, Failure, Tap, check, rpc_call, wait_until  # noqa: E402
from lib_qemu import make_temp_dir  # noqa: E402

ANSWER_TIMEOUT = 30.0
QUIET_AFTER_S = 1.0

# Every parameter name a method of the protocol reads (docs/protocol.md).
PARAM_NAMES = ["name", "config", "filename", "all", "wait", "key", "values", "autostart",
               "enable", "interval_ms", "range", "source", "format", "size_bytes", "id",
               "success", "resume", "uri", "live", "bandwidth_mib", "downtime_ms", "nbd",
               "postcopy", "copy_storage", "accelerator", "disks", "snapshot", "new_name",
               "linked", "template", "file", "ssh_keys", "root_password", "suite", "hostname",
               "packages", "memory_mib", "mirror"]

# What these need above all, and must say is missing when it is.
NEEDS = {"domain.define": "config", "domain.create": "config", "domain.start": "name",
         "domain.get": "name", "domain.undefine": "name", "domain.shutdown": "name",
         "domain.destroy": "name", "domain.pause": "name", "domain.unpause": "name",
         "domain.reboot": "name", "domain.dump": "name", "domain.get_config": "name",
         "domain.set_config": "name", "domain.set_values": "name",
         "domain.set_autostart": "name", "image.create": "name", "image.clone": "source",
         "image.delete": "name"}

NO_PARAMS = object()


def variants():
    huge = "x" * 50000  # ten of them and the rest stay under the 1 MiB line limit
    return [
        NO_PARAMS,
        {},
        [],
        [1, "two"],
        {n: None for n in PARAM_NAMES},
        {n: [] for n in PARAM_NAMES},
        {n: {"a": [1, {"b": None}]} for n in PARAM_NAMES},
        {n: -1 for n in PARAM_NAMES},
        {n: True for n in PARAM_NAMES},
        {"name": "nobody", "source": "nothing.img", "id": "no-such-id", "key": "s",
         "config": "name = 'nobody'\nmemory = [\n", "values": {"memory": 64}, "autostart": True},
        {"name": "7", "values": {"memory": 64}, "config": "name = '7'\n", "autostart": True},
        {"name": huge, "source": huge, "config": huge, "filename": huge, "key": huge,
         "uri": "tcp:" + huge, "range": huge, "format": huge, "accelerator": huge, "id": huge,
         "values": {"k%d" % i: "v" * 100 for i in range(1000)},
         "disks": [{"path": huge, "size_bytes": 2 ** 62}] * 3},
        {"size_bytes": 2 ** 63 + 5, "interval_ms": 10 ** 30, "bandwidth_mib": -(2 ** 63),
         "downtime_ms": 1e308, "name": "nobody", "source": "nothing.img"},
    ]


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


class Client:
    """One connection sending every variant of one method at once."""

    def __init__(self, socket_path, method):
        self.method = method
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # Blocking: with a timeout Python's connect gives EAGAIN when the listen backlog is full.
        self.sock.connect(socket_path)
        self.sock.settimeout(ANSWER_TIMEOUT)
        self.buffer = b""
        self.sent = {}
        self.answers = {}
        self.duplicates = []
        self.bad = []

    def send_all(self):
        lines = []
        for i, params in enumerate(variants(), start=1):
            request = {"jsonrpc": "2.0", "id": i, "method": self.method}
            if params is not NO_PARAMS:
                request["params"] = params
            self.sent[i] = params
            lines.append(json.dumps(request).encode() + b"\n")
        self.sock.sendall(b"".join(lines))

    def _take(self, reply):
        if "id" not in reply or reply.get("method") is not None:
            return  # a notification (stats.subscribe turns them on)
        rid = reply["id"]
        if rid in self.answers:
            self.duplicates.append(reply)
            return
        if rid not in self.sent or (("result" in reply) == ("error" in reply)) or \
                ("error" in reply and not (reply["error"].get("data") or {}).get("kind")):
            self.bad.append(reply)
        self.answers[rid] = reply

    def read(self, until, quiet=False):
        """Reads replies until `until()` holds; with quiet, for QUIET_AFTER_S whatever comes."""
        deadline = time.monotonic() + (QUIET_AFTER_S if quiet else ANSWER_TIMEOUT)
        while quiet or not until():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return
            if not chunk:
                return
            self.buffer += chunk
            while b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                self._take(json.loads(line))

    def close(self):
        self.sock.close()


ALL_DIGITS_CFG = "name = '7'\nmemory = 64\nkernel = '/nonexistent/vmlinuz'\n"
ALPHA_CFG = "name = 'alpha'\nmemory = 64\nkernel = '/nonexistent/vmlinuz'\n"


def main():
    tap = Tap()
    root = make_temp_dir("domus-requests-")
    os.environ["DOMUS_GUEST_SCRIPT"] = os.path.join(root, "no-such-script")  # demo.prepare: not-supported
    os.makedirs(os.path.join(root, "domains"))
    for name, text in (("7", ALL_DIGITS_CFG), ("alpha", ALPHA_CFG)):
        with open(os.path.join(root, "domains", name + ".cfg"), "w") as f:
            f.write(text)
    daemon = None
    try:
        daemon = Daemon(root).wait_listening()
        pid = daemon.proc.pid
        hello = rpc_call(daemon.socket_path, "hello")
        methods = sorted(set(hello["capabilities"]) | {"hello"})
        check(len(methods) > 30 and "domain.start" in methods, "hello's capabilities: %r" % methods)
        fds_before = fd_count(pid)
        clients = []

        def all_answered():
            for method in methods:
                clients.append(Client(daemon.socket_path, method))
            for client in clients:
                client.send_all()
            for client in clients:
                client.read(lambda c=client: len(c.answers) == len(c.sent))
            for client in clients:
                client.read(None, quiet=True)
            missing = {c.method: sorted(set(c.sent) - set(c.answers)) for c in clients
                       if len(c.answers) != len(c.sent)}
            check(not missing, "never answered (method: request numbers): %r\n%s"
                  % (missing, daemon.log_text()[-2000:]))
            twice = {c.method: c.duplicates for c in clients if c.duplicates}
            check(not twice, "answered twice: %r" % twice)
            bad = {c.method: c.bad for c in clients if c.bad}
            check(not bad, "not one result or one error with a kind: %r" % bad)

        tap.step("each of the %d methods, sent %d kinds of params at once, answers each request "
                 "exactly once" % (len(methods), len(variants())), all_answered)

        def missing_named():
            for client in clients:
                need = NEEDS.get(client.method)
                if need is None:
                    continue
                for rid in (1, 2):  # no params, {}
                    error = client.answers.get(rid, {}).get("error") or {}
                    check((error.get("data") or {}).get("kind") == "invalid-params"
                          and "“%s”" % need in error.get("message", ""),
                          "%s %s: %r" % (client.method, "without params" if rid == 1 else "{}", error))

        tap.step("a method that needs a name or a config says, as invalid-params, which one is "
                 "missing", missing_named)

        def digits_are_ids():
            answers = {c.method: c.answers.get(11, {}) for c in clients}
            got = answers["domain.get"].get("error") or {}
            check((got.get("data") or {}).get("kind") == "no-such-domain" and "id 7" in got.get("message", ""),
                  "domain.get 7 with only a config named 7: %r" % got)
            check(os.path.exists(os.path.join(root, "domains", "7.cfg")),
                  "the request for id 7 reached the config named 7: %r" % answers["domain.undefine"])
            listed = {d["name"]: d for d in rpc_call(daemon.socket_path, "domain.list", all=True)["domains"]}
            seven = listed.get("7", {})
            check(seven.get("state") == "invalid" and "digits only" in (seven.get("error") or ""),
                  "7.cfg is listed as %r" % seven)
            check(listed.get("alpha", {}).get("state") == "shutoff", "alpha: %r" % listed.get("alpha"))

        tap.step("digits are an id: a config named 7 is listed as invalid, and `7` reaches no "
                 "domain by that name", digits_are_ids)

        def nothing_left():
            for client in clients:
                client.close()
            check(daemon.proc.poll() is None, "domusd died:\n%s" % daemon.log_text()[-3000:])
            check(wait_until(lambda: fd_count(pid) <= fds_before, 10.0),
                  "domusd holds %d fds, %d before the clients came: %r"
                  % (fd_count(pid), fds_before,
                     sorted(os.readlink("/proc/%d/fd/%s" % (pid, fd)) for fd in os.listdir("/proc/%d/fd" % pid))))
            check(rpc_call(daemon.socket_path, "hello")["name"] == hello["name"], "hello after the flood")

        tap.step("domusd still runs and answers, and holds no more file descriptors once the "
                 "clients have gone", nothing_left)
    except Failure as e:
        tap.ok(False, "domusd starts", str(e))
    finally:
        if daemon is not None:
            daemon.stop()
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
