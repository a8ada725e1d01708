#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which SSH channel carries the daemon's stream (docs/remote.md, "How it works").

Usage: test-ssh-streamlocal.py   (DOMUS_BUILD_DIR from the environment)

One domusd (--root, no guest) and two real OpenSSH servers on loopback ports (throwaway
keys): one with sshd's defaults, which forward Unix sockets, and one with
`AllowStreamLocalForwarding no`. `domusctl monitor` follows the daemon through each with
ssh://…&socket=… and G_MESSAGES_DEBUG=domus-backend (the transport logs which way each
channel went). Through the first, the stream is a direct-streamlocal channel: the log says
so, the daemon holds a stream from sshd, and no `domusctl bridge` runs under that sshd.
Through the second, the log says the forward was refused, a bridge runs under that sshd
(one per server), and listing works the same. A socket= path where nothing listens gives the
bridge's own error naming the path through either. The daemon stopped while both follow it:
each says why (the streamlocal one that the daemon closed the connection, naming its
socket), and both come back once a daemon listens there again.
Everything started here is ended by PID. Output is TAP, the plan last.
"""

import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib_domus import DOMUSCTL, Daemon, Failure, Tap, check, wait_until  # noqa: E402
from lib_qemu import end_process, make_temp_dir  # noqa: E402
from lib_sshd import Sshd, bridges_under, streams_into  # noqa: E402

TIMEOUT = 60.0


def env_without_agent(debug=False):
    env = dict(os.environ)
    env.pop("SSH_AUTH_SOCK", None)
    env["LC_ALL"] = "C.UTF-8"
    if debug:
        env["G_MESSAGES_DEBUG"] = "domus-backend"
    return env


def ctl(uri, *args):
    """domusctl with no terminal, no agent, the transport's debug log on (GLib's way)
    standard output."""
    return subprocess.run([DOMUSCTL, "--connect", uri] + list(args), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=TIMEOUT,
                          env=env_without_agent(debug=True), start_new_session=True)


class Monitor:
    """`domusctl monitor` left running; its lines and its debug log (GLib writes debug
    messages to standard output) in one file of its own."""

    def __init__(self, uri, folder, name):
        self.path = os.path.join(folder, name + ".log")
        with open(self.path, "wb") as out:
            self.proc = subprocess.Popen([DOMUSCTL, "--connect", uri, "monitor", "--retry-delay", "200"],
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                         env=env_without_agent(debug=True), start_new_session=True)

    def log(self):
        with open(self.path, errors="replace") as f:
            return f.read()

    def lines(self, event):
        """Its lines for event (connected, disconnected): "HH:MM:SS event details"."""
        return [l for l in self.log().splitlines() if re.match(r"\d\d:\d\d:\d\d %s " % event, l)]

    def wait_lines(self, event, count):
        if not wait_until(lambda: len(self.lines(event)) >= count or self.proc.poll() is not None,
                          TIMEOUT, 0.1) or len(self.lines(event)) < count:
            raise Failure("monitor: fewer than %d %r lines:\n%s" % (count, event, self.log()[-4000:]))

    def stop(self):
        end_process(self.proc)


def main():
    tap = Tap()
    tmp = make_temp_dir("domus-streamlocal-")
    daemons = []
    servers = []
    monitors = []
    try:
        root = os.path.join(tmp, "host")
        os.mkdir(root)
        daemons.append(Daemon(root, name="streamhost").wait_listening())
        socket_path = daemons[0].socket_path

        def server(name, extra_config=""):
            folder = os.path.join(tmp, name)
            os.mkdir(folder, 0o700)
            sshd = Sshd(folder, extra_config=extra_config).start()
            servers.append(sshd)
            known_hosts = sshd.write_known_hosts(os.path.join(folder, "known_hosts"))
            return sshd, sshd.uri(known_hosts), "[127.0.0.1]:%d" % sshd.port

        forwarding, forwarding_uri, forwarding_label = server("sshd")
        exec_only, exec_uri, exec_label = server("sshd-no-forwarding", "AllowStreamLocalForwarding no\n")
        opened = "“%s” open (direct-streamlocal)" % socket_path
        refused = "refused a direct-streamlocal channel to %s" % socket_path
        ran_bridge = "bridge --socket '%s'” open (exec)" % socket_path

        def through_streamlocal():
            monitor = Monitor(forwarding_uri + "&socket=" + socket_path, tmp, "forwarding")
            monitors.append(monitor)
            monitor.wait_lines("connected", 1)
            check(opened in monitor.log(), "the log does not say %r:\n%s" % (opened, monitor.log()))
            check(refused not in monitor.log() and " open (exec)" not in monitor.log(),
                  "an exec channel was used:\n" + monitor.log())
            check(bridges_under(forwarding.proc.pid) == [],
                  "domusctl bridge runs under sshd: %r" % bridges_under(forwarding.proc.pid))
            check(wait_until(lambda: streams_into(socket_path) == 1, 10),
                  "%d streams into the daemon" % streams_into(socket_path))
            r = ctl(forwarding_uri + "&socket=" + socket_path, "list")
            check(r.returncode == 0 and "Domain-0" in r.stdout, "list: %d %s" % (r.returncode, r.stderr))
            check(opened in r.stdout, "list's log does not say %r:\n%s" % (opened, r.stdout))

        if not tap.step("sshd's defaults: the daemon's stream is a direct-streamlocal channel, no bridge "
                        "process on the host", through_streamlocal):
            return tap.finish()

        def through_bridge():
            monitor = Monitor(exec_uri + "&socket=" + socket_path, tmp, "exec")
            monitors.append(monitor)
            monitor.wait_lines("connected", 1)
            log = monitor.log()
            check(refused in log and ran_bridge in log, "the log does not say it fell back:\n" + log)
            check(opened not in log, "a direct-streamlocal channel was opened:\n" + log)
            check(len(bridges_under(exec_only.proc.pid)) == 1,
                  "bridges under sshd: %r" % bridges_under(exec_only.proc.pid))
            # The first monitor's through sshd, and this one's through its bridge.
            check(wait_until(lambda: streams_into(socket_path) == 2, 10),
                  "%d streams into the daemon" % streams_into(socket_path))
            r = ctl(exec_uri + "&socket=" + socket_path, "list")
            check(r.returncode == 0 and "Domain-0" in r.stdout, "list: %d %s" % (r.returncode, r.stderr))

        tap.step("AllowStreamLocalForwarding no: the exec bridge carries it, and listing works",
                 through_bridge)

        def wrong_socket():
            nowhere = os.path.join(tmp, "nowhere", "domusd.sock")
            for uri, label in ((forwarding_uri, forwarding_label), (exec_uri, exec_label)):
                r = ctl(uri + "&socket=" + nowhere, "list")
                check(r.returncode == 1, "%s: status %d" % (label, r.returncode))
                said = [l for l in r.stderr.splitlines() if l.startswith("domusctl: ")]
                check(said and "cannot connect to the daemon at %s" % nowhere in said[-1]
                      and label in said[-1], "%s: the message: %r" % (label, r.stderr[-2000:]))
                print("# " + said[-1], flush=True)

        tap.step("a socket= path where nothing listens: the bridge's own error names it, either way",
                 wrong_socket)

        def daemon_gone_and_back():
            streamlocal, bridged = monitors
            daemons[0].stop()
            streamlocal.wait_lines("disconnected", 1)
            bridged.wait_lines("disconnected", 1)
            said = streamlocal.lines("disconnected")[0]
            print("# through direct-streamlocal: " + said, flush=True)
            check("The daemon on %s closed the connection" % forwarding_label in said
                  and socket_path in said, "streamlocal: the reason: %r" % said)
            said = bridged.lines("disconnected")[0]
            print("# through the bridge: " + said, flush=True)
            check(exec_label in said and "daemon" in said, "exec: the reason: %r" % said)
            daemons.append(Daemon(root, name="streamhost", log_name="domusd-2.log").wait_listening())
            # (A retry made while the new daemon was starting may have found nothing there and
            # come back through the bridge: which way each came back is left open.)
            streamlocal.wait_lines("connected", 2)
            bridged.wait_lines("connected", 2)
            r = ctl(forwarding_uri + "&socket=" + socket_path, "list")
            check(r.returncode == 0 and opened in r.stdout,
                  "list: %d %s" % (r.returncode, r.stdout + r.stderr))

        tap.step("the daemon stopped: both say why (the daemon closed the connection), and both come "
                 "back once it listens again", daemon_gone_and_back)
    except Failure as e:
        tap.ok(False, "setting up", str(e))
    finally:
        for monitor in monitors:
            monitor.stop()
        for sshd in servers:
            sshd.kill()
        for daemon in daemons:
            daemon.stop()
        tap.remove_if_passed(tmp)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
