#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Starts the real domusd and talks to it with the real domusctl and a raw socket.

Usage: test-daemon.py DOMUSD DOMUSCTL

Everything lives in a fresh temporary --root folder. Each daemon this test starts
is ended by its PID on every path (SIGTERM, then SIGKILL), never by name. Output is TAP.
"""

import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import lib_domus  # noqa: E402
from lib_domus import Failure, Tap, check  # noqa: E402

START_TIMEOUT = 20.0   # milliseconds with DOMUS_ACCEL; the KVM probe may take 5 s first
EXIT_TIMEOUT = 5.0
CALL_TIMEOUT = 10.0

HEADER = "Name                                      ID Mem(MiB) VCPUs State   Time(s)"

# The source article's Listing 1, and Listing 4 with other memory and vcpus so the rows differ.
LISTING_1 = """\
name = "debian1"
hostname = "debian1"
kernel = "/boot/vmlinuz-2.6.18-3-xen-686"
ramdisk = "/boot/initrd.img-2.6.18-3-xen-686"
memory = 512
vcpus = 1
vif = [ 'mac=aa:00:00:12:23:34, bridge=bridge0' ]
disk = [ 'phy:/dev/hda3,hda1,w', 'phy:/dev/hda5,hda2,w' ]
cdrom = "/dev/cdrom"
root = "/dev/hda1"
"""

LISTING_4 = """\
kernel = "/usr/lib/xen-3.0.3-1/boot/hvmloader"
builder = "hvm"
memory = 256
device_model = "/usr/lib/xen-3.0.3-1/bin/qemu-dm"
disk = [ 'phy:/dev/hda3,ioemu:hda,w', 'file:/root/wincd.iso,ioemu:hdc:cdrom,r' ]
name = "windows"
hostname = "windows"
vif = [ 'type=ioemu, bridge=xenbr0' ]
# Behaviour
boot = "d"
vnc = 1
vncviewer = 1
sdl = 0
vcpus = 2
"""


def Daemon(domusd, root, name, log_name, probe_kvm=False):
    # Only the first daemon pays for the KVM probe (up to 5 s); the rest choose TCG.
    return lib_domus.Daemon(root, log_name, name, probe_kvm=probe_kvm, domusd=domusd,
                            start_timeout=START_TIMEOUT)


def run_ctl(domusctl, *args):
    return subprocess.run([domusctl] + list(args), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=CALL_TIMEOUT)


def host_memory_mib():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    raise Failure("no MemTotal in /proc/meminfo")


def host_cpus():
    return len(os.sched_getaffinity(0))


def check_domain0_row(line):
    """Domain-0's row: exact up to the time column, which only has to be well formed."""
    expected = "%-40s %3d %8d %5d %5s" % ("Domain-0", 0, host_memory_mib(), host_cpus(), "r-----")
    check(line.startswith(expected + " "),
          "Domain-0 row %r does not start with %r" % (line, expected))
    time_column = line[len(expected) + 1:]
    check(re.fullmatch(r" *\d+\.\d", time_column) and len(time_column) >= 8,
          "Domain-0 time column %r is not %%8.1f" % time_column)


class RawClient:
    """A hand-driven client: lines out, lines in."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(CALL_TIMEOUT)
        self.sock.connect(path)
        self.reader = self.sock.makefile("rb")

    def send(self, data):
        self.sock.sendall(data)

    def receive(self):
        line = self.reader.readline()
        check(line.endswith(b"\n"), "the daemon closed the connection instead of answering")
        return json.loads(line)

    def close(self):
        self.reader.close()
        self.sock.close()


def main():
    domusd, domusctl = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    tap = Tap()
    root = tempfile.mkdtemp(prefix="domus-daemon-", dir="/tmp")  # short: socket paths max 108 bytes
    uri = "unix:" + os.path.join(root, "domusd.sock")
    daemons = []

    def step(description, function):
        try:
            function()
        except (Failure, AssertionError, OSError, ValueError, subprocess.SubprocessError) as e:
            tap.ok(False, description, "%s: %s" % (type(e).__name__, e))
            return False
        tap.ok(True, description)
        return True

    def start(log_name, probe_kvm=False):
        daemon = Daemon(domusd, root, "testhost", log_name, probe_kvm=probe_kvm)
        daemons.append(daemon)
        daemon.wait_listening()
        return daemon

    try:
        first = None

        def start_first():
            nonlocal first
            first = start("domusd-1.log", probe_kvm=True)

        if not step("domusd --root starts and listens", start_first):
            return tap.finish()

        def socket_and_folders():
            info = os.lstat(first.socket_path)
            check(stat.S_ISSOCK(info.st_mode), "domusd.sock is not a socket")
            check(stat.S_IMODE(info.st_mode) == 0o600,
                  "the socket's mode is %o, not 600" % stat.S_IMODE(info.st_mode))
            for folder in ("domains", "images", "run"):
                mode = stat.S_IMODE(os.stat(os.path.join(root, folder)).st_mode)
                check(mode == 0o700, "%s/ has mode %o, not 700" % (folder, mode))
        step("the socket has mode 0600 and the folders 0700", socket_and_folders)

        with open(os.path.join(root, "domains", "debian1.cfg"), "w") as f:
            f.write(LISTING_1)
        with open(os.path.join(root, "domains", "windows.cfg"), "w") as f:
            f.write(LISTING_4)

        def plain_list():
            result = run_ctl(domusctl, "--connect", uri, "list")
            check(result.returncode == 0, "exit status %d: %s" % (result.returncode, result.stderr))
            lines = result.stdout.splitlines()
            check(len(lines) == 2, "expected the header and Domain-0 only:\n" + result.stdout)
            check(lines[0] == HEADER, "header %r is not xm's %r" % (lines[0], HEADER))
            check_domain0_row(lines[1])
            check(result.stderr == "", "unexpected stderr: " + result.stderr)
        step("list: xm's header and Domain-0 only (nothing runs)", plain_list)

        def list_all():
            result = run_ctl(domusctl, "--connect", uri, "list", "--all")
            check(result.returncode == 0, "exit status %d: %s" % (result.returncode, result.stderr))
            lines = result.stdout.splitlines()
            check(len(lines) == 4, "expected header, Domain-0 and two domains:\n" + result.stdout)
            check(lines[0] == HEADER, "header %r" % lines[0])
            check_domain0_row(lines[1])
            expected = [
                "debian1                                           512     1 ------      0.0",
                "windows                                           256     2 ------      0.0",
            ]
            check(lines[2:] == expected, "defined domains:\n%s\nexpected:\n%s"
                  % ("\n".join(lines[2:]), "\n".join(expected)))
        step("list --all: the two defined domains, shut off, in xm's format", list_all)

        def list_json():
            result = run_ctl(domusctl, "--connect", uri, "list", "--all", "--json")
            check(result.returncode == 0, "exit status %d: %s" % (result.returncode, result.stderr))
            domains = json.loads(result.stdout)
            check(isinstance(domains, list) and len(domains) == 3, "not three domains: %r" % domains)
            dom0 = domains[0]
            check(dom0["name"] == "Domain-0" and dom0["id"] == 0 and dom0["state"] == "running",
                  "first entry is not Domain-0: %r" % dom0)
            check(dom0["memory_mib"] == host_memory_mib() and dom0["vcpus"] == host_cpus(),
                  "Domain-0's size: %r" % dom0)
            by_name = {d["name"]: d for d in domains}
            debian1 = by_name["debian1"]
            check(debian1["id"] is None and debian1["state"] == "shutoff" and
                  debian1["memory_mib"] == 512 and debian1["vcpus"] == 1,
                  "debian1: %r" % debian1)
            check(debian1["config"] == os.path.join(root, "domains", "debian1.cfg"),
                  "debian1's config path: %r" % debian1)
        step("list --all --json parses and carries the same facts", list_json)

        def invalid_config():
            path = os.path.join(root, "domains", "broken.cfg")
            with open(path, "w") as f:
                f.write('name = "broken"\nmemory = "lots"\n')
            try:
                result = run_ctl(domusctl, "--connect", uri, "list", "--all")
                check(result.returncode == 0, "exit status %d: %s" % (result.returncode, result.stderr))
                rows = [l for l in result.stdout.splitlines() if l.startswith("broken ")]
                check(len(rows) == 1 and rows[0].split()[-2:] == ["------", "0.0"],
                      "the broken config's row:\n" + result.stdout)
                check("broken.cfg:2:" in result.stderr and "memory" in result.stderr,
                      "no warning naming file, line and key: %r" % result.stderr)
                check(first.proc.poll() is None, "the daemon died")
            finally:
                os.unlink(path)
        step("a config that does not parse is listed with its error, the daemon carries on",
             invalid_config)

        def garbage_line():
            client = RawClient(first.socket_path)
            try:
                client.send(b"this is not JSON\n")
                reply = client.receive()
                check(reply.get("id", "absent") is None, "error reply id: %r" % reply)
                check(reply["error"]["code"] == -32700 and
                      reply["error"]["data"]["kind"] == "parse-error", "reply: %r" % reply)
                client.send(b'{"jsonrpc": "2.0", "id": 1, "method": "hello"}\n')
                hello = client.receive()
                check(hello["id"] == 1, "hello reply: %r" % hello)
                result = hello["result"]
                check(result["protocol"] == 1 and result["name"] == "testhost" and
                      result["hypervisor"] == "qemu" and result["accelerator"] in ("tcg", "kvm") and
                      result["accelerator_probed"] is True and result["accelerator_detail"] and
                      "domain.list" in result["capabilities"] and "hello" not in result["capabilities"] and
                      result["pid"] == first.proc.pid, "hello: %r" % result)
                check(isinstance(result["qemu_version"], str) and result["qemu_version"],
                      "qemu_version: %r" % result)
                client.send(b'{"jsonrpc": "2.0", "id": 2, "method": "domain.teleport"}\n')
                missing = client.receive()
                check(missing["error"]["data"]["kind"] == "method-not-found", "reply: %r" % missing)
            finally:
                client.close()
            result = run_ctl(domusctl, "--connect", uri, "list")
            check(result.returncode == 0 and result.stdout.startswith(HEADER),
                  "domusctl after the garbage: %d %s" % (result.returncode, result.stderr))
        step("a garbage line gets a parse-error reply; hello and list still answer", garbage_line)

        def stats_archive():
            client = RawClient(first.socket_path)
            try:
                # The first sample comes a second after the start.
                deadline = time.monotonic() + 10
                points = []
                while not points and time.monotonic() < deadline:
                    client.send(b'{"jsonrpc": "2.0", "id": 7, "method": "stats.archive", '
                                b'"params": {"range": "24h"}}\n')
                    reply = client.receive()
                    check("result" in reply, "reply: %r" % reply)
                    points = reply["result"]["points"]
                    time.sleep(0.2)
                check(reply["result"]["interval_s"] == 60 and reply["result"]["name"] is None,
                      "reply: %r" % reply)
                check(points and "cpu_percent" in points[-1] and len(points[-1]["cpu_percent"]) == 2,
                      "no minute in progress: %r" % points)
                client.send(b'{"jsonrpc": "2.0", "id": 8, "method": "stats.archive", '
                            b'"params": {"range": "1w"}}\n')
                bad = client.receive()
                check(bad["error"]["data"]["kind"] == "invalid-params" and "1w" in bad["error"]["message"],
                      "reply: %r" % bad)
                check(os.path.isdir(os.path.join(root, "stats")), "no stats folder under the root")
            finally:
                client.close()
        step("stats.archive answers the minute in progress and refuses an unknown range", stats_archive)

        def tags():
            client = RawClient(first.socket_path)

            def call(request_id, method, **params):
                client.send(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method,
                                        "params": params}).encode() + b"\n")
                reply = client.receive()
                while "id" not in reply:      # a domain.event on the way
                    reply = client.receive()
                check("result" in reply, "%s: %r" % (method, reply))
                return reply["result"]

            def listed():
                return {d["name"]: d for d in call(99, "domain.list", all=True)["domains"]}

            try:
                call(20, "domain.define", filename="tagged.cfg",
                     config="name = 'tagged'\nmemory = 64\nkernel = '/boot/none'\n"
                            "tags = ['web', 'prod', 'web']\n")
                check(listed()["tagged"]["tags"] == ["web", "prod"], "tags: %r" % listed()["tagged"])
                check(listed()["Domain-0"]["tags"] == [], "Domain-0: %r" % listed()["Domain-0"])
                call(21, "domain.set_values", name="tagged", values={"tags": ["lab"]})
                check(listed()["tagged"]["tags"] == ["lab"], "after set_values: %r" % listed()["tagged"])
                client.send(b'{"jsonrpc": "2.0", "id": 22, "method": "domain.set_values", '
                            b'"params": {"name": "tagged", "values": {"tags": ["a,b"]}}}\n')
                bad = client.receive()
                while "id" not in bad:
                    bad = client.receive()
                check(bad["error"]["data"]["kind"] == "invalid-config" and "tags" in bad["error"]["message"],
                      "reply: %r" % bad)
                call(23, "domain.undefine", name="tagged")
            finally:
                client.close()
        step("tags in a config are listed, changed with set_values, and checked", tags)

        def second_refused():
            second = Daemon(domusd, root, "intruder", "domusd-2.log")
            daemons.append(second)
            status = second.wait_exit()
            check(status is not None, "a second domusd on the same socket kept running")
            check(status != 0, "the second domusd exited with status 0")
            check("already answers" in second.log_text(), "its message: %r" % second.log_text())
            check(os.path.exists(first.socket_path), "the second daemon removed the first's socket")
            result = run_ctl(domusctl, "--connect", uri, "list")
            check(result.returncode == 0, "the first daemon no longer answers: " + result.stderr)
        step("a second domusd on the same socket refuses to start", second_refused)

        def sigterm():
            first.proc.send_signal(signal.SIGTERM)
            status = first.wait_exit()
            check(status is not None, "domusd still runs %.0f s after SIGTERM" % EXIT_TIMEOUT)
            check(status == 0, "domusd exited with status %d" % status)
            check(not os.path.lexists(first.socket_path), "the socket is still there")
        step("SIGTERM: clean exit, socket removed", sigterm)

        def no_daemon():
            result = run_ctl(domusctl, "--connect", uri, "list")
            check(result.returncode != 0, "exit status 0 with no daemon")
            expected = "domusctl: cannot connect to %s: " % uri
            lines = result.stderr.splitlines()
            check(len(lines) == 1 and lines[0].startswith(expected) and
                  lines[0].endswith("(is domusd running?)"), "stderr: %r" % result.stderr)
            check(result.stdout == "", "stdout: %r" % result.stdout)
        step("list with no daemon: one line saying so, non-zero exit", no_daemon)

        def stale_socket():
            # What a killed daemon leaves: a socket file nobody listens on.
            stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            stale.bind(first.socket_path)
            stale.close()
            check(os.path.lexists(first.socket_path), "could not make a stale socket")
            third = start("domusd-3.log")
            result = run_ctl(domusctl, "--connect", uri, "list")
            check(result.returncode == 0, "the new daemon does not answer: " + result.stderr)
            third.proc.send_signal(signal.SIGINT)
            check(third.wait_exit() == 0, "SIGINT did not end domusd cleanly")
            check(not os.path.lexists(first.socket_path), "SIGINT left the socket behind")
        step("a stale socket is replaced; SIGINT exits cleanly too", stale_socket)
    finally:
        for daemon in daemons:
            daemon.stop()
        shutil.rmtree(root, ignore_errors=True)

    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
