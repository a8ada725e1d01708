#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The `local` address: the session daemon is started when none answers, and reused.

Usage: test-session.py   (DOMUS_BUILD_DIR from the environment)

XDG folders point into a fresh temporary folder, so the user's own session daemon and
files are never touched. DOMUS_DOMUSD names the daemon to start. The daemon the test
caused to start is ended by its PID (read from its hello). Output is TAP.
"""

import json
import os
import signal
import socket
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib_domus import DOMUSCTL, DOMUSD, Failure, Tap, check, pid_alive, wait_until  # noqa: E402
from lib_qemu import make_temp_dir  # noqa: E402


def hello(path):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(path)
        s.sendall(b'{"jsonrpc": "2.0", "id": 1, "method": "hello"}\n')
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return json.loads(data)["result"]


def main():
    tap = Tap()
    root = make_temp_dir("domus-session-")
    env = dict(os.environ, DOMUS_DOMUSD=DOMUSD, DOMUS_ACCEL="tcg")
    for name in ("XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME",
                 "XDG_STATE_HOME"):
        env[name] = os.path.join(root, name.lower())
        os.makedirs(env[name], mode=0o700)
    socket_path = os.path.join(env["XDG_RUNTIME_DIR"], "domus", "domusd.sock")
    daemon_pid = None

    def ctl(*args):
        return subprocess.run([DOMUSCTL] + list(args), env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=60)

    try:
        def started_on_demand():
            nonlocal daemon_pid
            check(not os.path.exists(socket_path), "a socket is there before the test")
            r = ctl("list")
            check(r.returncode == 0, "list: %d %s" % (r.returncode, r.stderr))
            check(r.stdout.splitlines()[1].startswith("Domain-0"), "no Domain-0 row:\n" + r.stdout)
            check(os.path.exists(socket_path), "no socket at " + socket_path)
            check(oct(os.stat(socket_path).st_mode & 0o777) == "0o600", "socket not private")
            info = hello(socket_path)
            daemon_pid = info["pid"]
            check(info["mode"] == "session", "mode %r" % info["mode"])
            log = os.path.join(env["XDG_RUNTIME_DIR"], "domus", "domusd.log")
            check(os.path.exists(log), "no daemon log at " + log)

        def reused():
            r = ctl("--connect", "local", "list")
            check(r.returncode == 0, r.stderr)
            check(hello(socket_path)["pid"] == daemon_pid, "another daemon answers now")

        def missing_domusd_said():
            bad = dict(env, DOMUS_DOMUSD="/nonexistent/domusd",
                       XDG_RUNTIME_DIR=os.path.join(root, "other-runtime"))
            os.makedirs(bad["XDG_RUNTIME_DIR"], mode=0o700)
            r = subprocess.run([DOMUSCTL, "list"], env=bad, stdin=subprocess.DEVNULL,
                               capture_output=True, text=True, timeout=60)
            check(r.returncode == 1, "exit status %d" % r.returncode)
            check("session daemon" in r.stderr and "/nonexistent/domusd" in r.stderr,
                  "unclear message: %r" % r.stderr)

        tap.step("with no daemon running, domusctl starts the session daemon (socket 0600)",
                 started_on_demand)
        tap.step("the next call uses the same daemon", reused)
        tap.step("a session daemon that cannot start is reported, naming it", missing_domusd_said)
    except Failure as e:
        tap.ok(False, "setup", str(e))
    finally:
        if daemon_pid is not None and pid_alive(daemon_pid):
            os.kill(daemon_pid, signal.SIGTERM)
            wait_until(lambda: not pid_alive(daemon_pid), 10, 0.1)
        tap.remove_if_passed(root)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
