#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bridged networking as the system daemon does it, inside network and mount namespaces of
the test's own: a tap per vif on the vif's bridge, its traffic counted, a missing bridge refused.

Usage: test-bridge.py GUEST_DIR   (DOMUS_BUILD_DIR from the environment; needs root for
unshare, else every case is skipped)

The script runs itself again under `unshare --net --mount`, so the bridge, the taps and the
guest's traffic never leave that namespace. It ends only the processes it started, by PID.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib_domus import Tap  # noqa: E402
from lib_qemu import READY_LINE, make_temp_dir  # noqa: E402

PLAN = 7
BUILD_DIR = os.environ["DOMUS_BUILD_DIR"]
DOMUSD = os.path.join(BUILD_DIR, "hvcore", "domusd")
GUEST_DIR = sys.argv[1]
INSIDE = "DOMUS_TEST_BRIDGE_INSIDE"


def call(sock_file, method, **params):
    sock_file.write((json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
                     + "\n").encode())
    while True:
        reply = json.loads(sock_file.readline())
        if reply.get("id") == 1:
            return reply


def config(name, bridge):
    return ('name = "%s"\nkernel = "%s"\nramdisk = "%s"\nmemory = 128\n'
            "vif = [ 'bridge=%s, model=e1000' ]\n"
            'extra = "domus.net=10.99.0.2/24,10.99.0.1"\n'
            % (name, os.path.join(GUEST_DIR, "vmlinuz"), os.path.join(GUEST_DIR, "initrd.img"), bridge))


def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def inside():
    tap = Tap(PLAN)
    # A private sysfs, so that /sys/class/net shows this namespace's devices.
    subprocess.run(["mount", "-t", "sysfs", "sysfs", "/sys"], check=True)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    subprocess.run(["ip", "link", "add", "br0", "type", "bridge"], check=True)
    subprocess.run(["ip", "link", "set", "br0", "up"], check=True)

    root = make_temp_dir("domus-bridge-")
    log = open(os.path.join(root, "domusd.log"), "wb")
    env = dict(os.environ, DOMUS_ACCEL="tcg")
    daemon = subprocess.Popen([DOMUSD, "--root", root, "--network", "bridge", "--stats-interval", "200"],
                              stdout=log, stderr=log, env=env)
    qemu_pid = None
    try:
        path = os.path.join(root, "domusd.sock")
        for _ in range(200):
            if os.path.exists(path):
                break
            time.sleep(0.05)
        sock = socket.socket(socket.AF_UNIX)
        sock.connect(path)
        f = sock.makefile("rwb", buffering=0)

        hello = call(f, "hello")["result"]
        tap.ok(hello["network"] == "bridge", "hello says bridge networking", json.dumps(hello))

        bridges = call(f, "host.bridges")["result"]
        tap.ok(bridges == {"network": "bridge", "bridges": ["br0"]},
               "host.bridges lists this namespace's bridge, and only it", json.dumps(bridges))

        missing = call(f, "domain.create", config=config("lost", "nobr"), filename="lost.cfg")
        listed = [d["name"] for d in call(f, "domain.list", all=True)["result"]["domains"]]
        tap.ok(missing.get("error", {}).get("data", {}).get("kind") == "invalid-config"
               and "nobr" in missing["error"]["message"] and "lost" not in listed,
               "a vif on a bridge that does not exist is refused, nothing defined",
               json.dumps(missing))

        created = call(f, "domain.create", config=config("net1", "br0"), filename="net1.cfg")
        with open(os.path.join(root, "run", "net1", "qemu.pid")) as pid_file:
            qemu_pid = int(pid_file.read())
        master = os.path.basename(os.path.realpath("/sys/class/net/vif-net1.0/master"))
        tap.ok("result" in created and master == "br0"
               and read("/sys/class/net/vif-net1.0/operstate") in ("up", "unknown"),
               "the vif's tap vif-net1.0 is on br0 and up", json.dumps(created))

        # The test guest brings eth0 up and sends; the tap counts it.
        deadline = time.monotonic() + 60
        counted = None
        while time.monotonic() < deadline:
            sample = call(f, "stats.get")["result"]["samples"][-1]
            domains = [d for d in sample["domains"] if d["name"] == "net1"]
            if domains and domains[0]["net_tx_bytes"]:
                counted = domains[0]
                break
            time.sleep(0.5)
        tap.ok(counted is not None and counted["net_rx_bytes"] is not None,
               "stats count the guest's traffic on its tap", json.dumps(counted))

        call(f, "domain.destroy", name="net1")
        tap.ok(not os.path.exists("/sys/class/net/vif-net1.0"),
               "destroy removes the tap with the QEMU that made it")
        tap.ok(read(os.path.join(root, "run", "net1", "qemu.pid")) is None,
               "and the run folder")
    except Exception as error:
        tap.ok(False, "unexpected error: %s" % error)
    finally:
        if qemu_pid is not None and os.path.exists("/proc/%d" % qemu_pid):
            os.kill(qemu_pid, signal.SIGKILL)
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(10)
        log.close()
    return tap.finish()


def main():
    if os.environ.get(INSIDE):
        return inside()
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root for network namespaces")
        return 0
    env = dict(os.environ, **{INSIDE: "1"})
    try:
        return subprocess.run(["unshare", "--net", "--mount", sys.executable] + sys.argv,
                              env=env).returncode
    except OSError as error:
        print("1..0 # SKIP cannot make namespaces: %s" % error)
        return 0


if __name__ == "__main__":
    sys.exit(main())
