#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A server without Domus says so: domusctl over ssh:// to a host whose PATH has no domusctl.

Usage: test-ssh-no-domus.py   (DOMUS_BUILD_DIR from the environment)

A real OpenSSH server on a loopback port (throwaway keys) whose sessions get a PATH with no
domusctl in it (SetEnv). domusctl --connect ssh://… list then fails with status 1 and one
line that names the host and the missing command and says what to run there (the package
domusd, the unit domusd.socket), rather than the shell's "command not found"; a bridge= path
that does not exist is named the same way. The same server with this build's domusctl as
bridge= reaches a daemon: the message is about the missing command, not the server.
domusctl monitor, which retries what may pass, stops with status 1 on the same host.
Everything started here is ended by PID. Output is TAP, the plan last.
"""

import os
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib_domus import DOMUSCTL, Daemon, Tap, check  # noqa: E402
from lib_qemu import make_temp_dir  # noqa: E402
from lib_sshd import sshd_without_domus  # noqa: E402


def ctl(uri, *args):
    """domusctl with no terminal and no agent: nothing to ask, nothing but the key file."""
    env = dict(os.environ)
    env.pop("SSH_AUTH_SOCK", None)
    return subprocess.run([DOMUSCTL, "--connect", uri] + list(args), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60, env=env,
                          start_new_session=True)


def main():
    tap = Tap()
    tmp = make_temp_dir("domus-nodomus-")
    sshd = None
    daemon = None
    try:
        sshd = sshd_without_domus(tmp)
        known_hosts = sshd.write_known_hosts(os.path.join(tmp, "known_hosts"))
        label = "[127.0.0.1]:%d" % sshd.port

        def says_not_installed(r, command):
            check(r.returncode == 1, "status %d: %s" % (r.returncode, r.stderr))
            lines = r.stderr.splitlines()
            check(len(lines) == 1, "not one line: %r" % r.stderr)
            for part in ("domusctl: Domus is not installed on %s" % label,
                         "the command “%s” was not found there" % command,
                         "install the package domusd", "sudo apt install ./domusd_",
                         "sudo systemctl enable --now domusd.socket"):
                check(part in lines[0], "%r is not in %r" % (part, lines[0]))
            check("not found:" not in lines[0] and "exit status" not in lines[0],
                  "the shell's words instead: %r" % lines[0])

        def missing_from_path():
            says_not_installed(ctl(sshd.uri(known_hosts, bridge=False), "list"), "domusctl")

        tap.step("no domusctl in the host's PATH: list fails with what to install and enable",
                 missing_from_path)

        def missing_bridge_path():
            nowhere = os.path.join(tmp, "nowhere", "domusctl")
            uri = sshd.uri(known_hosts, bridge=False) + "&bridge=" + nowhere
            says_not_installed(ctl(uri, "list"), nowhere)

        tap.step("a bridge= path that is not there is named in the same message", missing_bridge_path)

        def monitor_fails():
            # monitor retries what may pass, but a host without Domus needs the user: it
            # stops at once and says so with a failing status, for scripts that watch it.
            r = ctl(sshd.uri(known_hosts, bridge=False), "monitor", "--retry-delay", "100")
            check(r.returncode == 1, "monitor ended with %d: %s" % (r.returncode, r.stderr))
            check("Domus is not installed on %s" % label in r.stderr, "no reason: %r" % r.stderr)

        tap.step("monitor of a host without Domus ends with status 1 and the reason", monitor_fails)

        def present_bridge_works():
            nonlocal daemon
            root = os.path.join(tmp, "host")
            os.makedirs(root)
            daemon = Daemon(root, name="with-domus")
            daemon.wait_listening()
            r = ctl(sshd.uri(known_hosts) + "&socket=" + daemon.socket_path, "list")
            check(r.returncode == 0 and "Domain-0" in r.stdout,
                  "status %d: %s%s" % (r.returncode, r.stdout, r.stderr))

        tap.step("the same server with domusctl as bridge= reaches a daemon", present_bridge_works)
    finally:
        if daemon is not None:
            daemon.stop()
        if sshd is not None:
            sshd.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
