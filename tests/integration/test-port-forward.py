#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Port forwards of user-mode networking (`forward=` in a vif entry) reach the guest.

Usage: test-port-forward.py GUEST_DIR

One domusd under --root (user-mode networking) runs the test guest with an echo server
(domus.echo) behind `forward=tcp:PORT-:7`: a connection to 127.0.0.1:PORT gets the guest's
greeting and its own words back. A second domain forwarding the same host port is refused
with QEMU's reason and the first keeps running; a forward on a non-loopback address is
refused before QEMU starts, naming the vif; a bad port is refused by domain.define naming
the entry; domusd.conf's [network] forward-addresses is checked at start. TAP output.
"""

import os
import shutil
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib_domus import Daemon, Failure, Tap, check, error_kind, qemu_pids, serial_text, wait_until  # noqa: E402
import lib_domus  # noqa: E402

GUEST_DIR = os.path.abspath(sys.argv[1])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def echo_cfg(name, vif):
    return ("name = '%s'\n"
            "kernel = '%s'\n"
            "ramdisk = '%s'\n"
            "extra = 'console=ttyS0 domus.net=10.0.2.15/24,10.0.2.2 domus.echo=7'\n"
            "memory = 128\n"
            "vif = [ '%s' ]\n"
            "on_poweroff = 'destroy'\n"
            % (name, os.path.join(GUEST_DIR, "vmlinuz"), os.path.join(GUEST_DIR, "initrd.img"), vif))


def call(daemon, method, **params):
    return lib_domus.rpc_reply(daemon.socket_path, method, **params)


def echo_exchange(port, words):
    """Connects to 127.0.0.1:port, reads the greeting, sends words; the text that came back."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.settimeout(10)
        conn.sendall(words.encode() + b"\n")
        received = b""
        deadline = time.monotonic() + 10
        while received.count(b"\n") < 2 and time.monotonic() < deadline:
            chunk = conn.recv(4096)
            if not chunk:
                break
            received += chunk
        return received.decode(errors="replace")


def main():
    tap = Tap()
    root = tempfile.mkdtemp(prefix="domus-forward-")
    daemon = None
    try:
        daemon = Daemon(root).wait_listening()
        port = free_port()

        def reaches_guest():
            reply = call(daemon, "domain.create", config=echo_cfg("fwd", "mac=00:16:3e:0f:00:01, forward=tcp:%d-:7" % port))
            check("result" in reply, "domain.create: %s" % reply)
            check(wait_until(lambda: "domus-echo listening on 7" in serial_text(root, "fwd"), 120),
                  "the guest's echo server did not start:\n" + serial_text(root, "fwd")[-2000:])
            answers = []

            def exchange():
                try:
                    answers.append(echo_exchange(port, "hello through the forward"))
                except OSError as e:
                    answers.append("%s" % e)
                return answers[-1] == "domus-echo 7\nhello through the forward\n"
            check(wait_until(exchange, 30, interval=1),
                  "127.0.0.1:%d answered %r" % (port, answers[-3:]))
        tap.step("a connection to the forwarded host port reaches the guest's echo server", reaches_guest)

        def same_port_refused():
            pids = qemu_pids(root)
            reply = call(daemon, "domain.create", config=echo_cfg("fwd2", "forward=%d-7" % port))
            message = reply.get("error", {}).get("message", "")
            check("error" in reply and str(port) in message,
                  "a second forward of port %d: %s" % (port, reply))
            check(qemu_pids(root) == pids, "a QEMU was left: %s, before %s" % (qemu_pids(root), pids))
            check(echo_exchange(port, "still there").endswith("still there\n"),
                  "the first guest's forward no longer answers")
        tap.step("a second domain forwarding the same host port is refused with QEMU's reason; "
                 "the first still answers", same_port_refused)

        def open_address_refused():
            reply = call(daemon, "domain.create", config=echo_cfg("open", "forward=0.0.0.0:%d-7" % free_port()))
            message = reply.get("error", {}).get("message", "")
            check(error_kind(reply) == "invalid-config" and "vif 0 'forward=0.0.0.0:" in message
                  and "not a loopback address" in message and "forward-addresses" in message,
                  "forward on 0.0.0.0: %s" % reply)
            check(not os.path.exists(os.path.join(root, "run", "open")), "a run folder was made for it")
        tap.step("a forward on every address is refused unless domusd.conf allows it, naming the vif",
                 open_address_refused)

        def bad_port_refused():
            reply = call(daemon, "domain.define", config=echo_cfg("badport", "mac=00:16:3e:0f:00:03, forward=2222-70000"))
            message = reply.get("error", {}).get("message", "")
            check(error_kind(reply) == "invalid-config"
                  and "vif: vif 0 'mac=00:16:3e:0f:00:03, forward=2222-70000': forward=2222-70000: "
                      "guest port “70000” is not a number from 1 to 65535" in message,
                  "forward=2222-70000: %s" % reply)
            check(not os.path.exists(os.path.join(root, "domains", "badport.cfg")), "badport.cfg was written")
        tap.step("a bad port is refused by domain.define with the key, the entry and the item named",
                 bad_port_refused)

        def config_checked():
            other = os.path.join(root, "other")
            os.makedirs(other)
            conf = os.path.join(other, "domusd.conf")
            with open(conf, "w") as f:
                f.write("[network]\n# where forwards may listen\nforward-addresses=127.0.0.1; example.org\n")
            bad = Daemon(other, extra_args=("--config", conf))
            status = bad.wait_exit(10)
            text = bad.log_text()
            bad.stop()
            check(status not in (None, 0) and "%s:3: [network] forward-addresses:" % conf in text
                  and "“example.org” is not a numeric IPv4 address" in text,
                  "status %s:\n%s" % (status, text))
        tap.step("domusd refuses a [network] forward-addresses entry that is not an address, with "
                 "file and line", config_checked)
    except Failure as e:
        tap.ok(False, "setting up", str(e))
    finally:
        if daemon is not None:
            daemon.stop()
        shutil.rmtree(root, ignore_errors=True)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
