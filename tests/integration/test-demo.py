#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""demo.prepare: the one-click demo guest is built on the host, and the config it
offers starts a guest that boots.

Usage: test-demo.py   (DOMUS_BUILD_DIR and DOMUS_SOURCE_DIR from the environment)

The daemon (--root, TCG) builds the guest with the source tree's build-guest.sh
(DOMUS_GUEST_SCRIPT), as an installed daemon does with the installed copy. Everything
started here is ended by PID. Output is TAP.
"""

import json
import os
import shutil
import socket
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib_domus import Daemon, Failure, Tap, check, wait_until  # noqa: E402
from lib_qemu import make_temp_dir  # noqa: E402

BOOT_TIMEOUT = 120.0


class Client:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(120)
        self.sock.connect(path)
        self.reader = self.sock.makefile("rb")
        self.next_id = 1

    def call(self, method, **params):
        self.next_id += 1
        self.sock.sendall(json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method,
                                      "params": params}).encode() + b"\n")
        while True:
            reply = json.loads(self.reader.readline())
            if reply.get("id") == self.next_id:
                return reply

    def close(self):
        self.reader.close()
        self.sock.close()


def main():
    tap = Tap()
    root = make_temp_dir("domus-demo-")
    os.environ["DOMUS_GUEST_SCRIPT"] = os.path.join(os.environ["DOMUS_SOURCE_DIR"], "tests", "guest",
                                                    "build-guest.sh")
    daemon = client = None
    try:
        daemon = Daemon(root).wait_listening()
        client = Client(daemon.socket_path)
        state = {}

        def prepared():
            reply = client.call("demo.prepare")
            check("result" in reply, "reply: %r" % reply)
            result = reply["result"]
            check(result["name"] == "demo", "name: %r" % result)
            for key in ("kernel", "ramdisk"):
                check(os.path.getsize(result[key]) > 1000000 if key == "kernel" else
                      os.path.getsize(result[key]) > 100000, "%s is too small" % key)
                check(result[key].startswith(os.path.join(root, "images")), "%s outside the store" % key)
            check("vnc = 1" in result["config"] and result["kernel"] in result["config"],
                  "config:\n" + result["config"])
            answer = client.call("image.list")["result"]
            check(answer.get("dir") == os.path.join(root, "images"),
                  "image.list's dir: %r" % answer.get("dir"))
            listing = answer["images"]
            check(not any("vmlinuz" in i["name"] or "initrd" in i["name"] for i in listing),
                  "the demo files show in the image store: %r" % listing)
            state["config"] = result["config"]

        def boots():
            reply = client.call("domain.create", config=state["config"], filename="demo.cfg")
            check("result" in reply, "create: %r" % reply)
            log = os.path.join(root, "run", "demo", "serial.log")

            def ready():
                try:
                    with open(log, errors="replace") as f:
                        return "domus-test-guest ready" in f.read()
                except OSError:
                    return False
            check(wait_until(ready, BOOT_TIMEOUT, 0.5), "the demo guest did not boot")

        def next_name():
            reply = client.call("demo.prepare")
            check(reply.get("result", {}).get("name") == "demo-2", "reply: %r" % reply)
            client.call("domain.destroy", name="demo")

        def missing_script():
            os.environ["DOMUS_GUEST_SCRIPT"] = "/nonexistent/build-guest.sh"
            other_root = make_temp_dir("domus-demo2-")
            other = Daemon(other_root).wait_listening()
            try:
                c = Client(other.socket_path)
                reply = c.call("demo.prepare")
                c.close()
                check(reply.get("error", {}).get("data", {}).get("kind") == "not-supported"
                      and "/nonexistent/build-guest.sh" in reply["error"]["message"],
                      "reply: %r" % reply)
            finally:
                other.stop()
                shutil.rmtree(other_root, ignore_errors=True)

        tap.step("demo.prepare builds the demo guest on the host and offers a config", prepared)
        tap.step("that config creates a domain that boots", boots)
        tap.step("the next demo gets the next free name", next_name)
        tap.step("a host without the script says what is missing", missing_script)
    except Failure as e:
        tap.ok(False, "setup", str(e))
    finally:
        if client is not None:
            client.close()
        if daemon is not None:
            daemon.stop()
        tap.remove_if_passed(root)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
