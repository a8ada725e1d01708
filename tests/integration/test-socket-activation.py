#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""domusd started as systemd starts a socket-activated service, without systemd.

Usage: test-socket-activation.py DOMUSD DOMUSCTL

The test binds and listens on a Unix socket itself, as systemd does for domusd.socket,
then forks; the child puts the socket on descriptor 3, sets LISTEN_FDS=1 and LISTEN_PID to
its own PID and execs domusd --root ROOT. Checked:

- a client that connected before domusd even started gets its `hello` answered (the whole
  point of socket activation), and so does a new one, and domusctl lists over it;
- domusd binds nothing of its own (no ROOT/domusd.sock) and does not refuse to start
  although the socket file exists and answers;
- SIGTERM ends it with status 0 and leaves the socket file (it is the manager's);
- LISTEN_PID naming another process: the variables are not for domusd, which binds its
  own socket as usual;
- a passed descriptor that is not a listening stream socket: domusd refuses to start
  (status 1) and says why.

Everything started here is ended by its PID. Output is TAP.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib_domus import Failure, Tap, check, rpc_call, wait_until  # noqa: E402
from lib_qemu import make_temp_dir  # noqa: E402

DOMUSD = sys.argv[1]
DOMUSCTL = sys.argv[2]


def spawn_activated(args, fd_to_pass, log_path, listen_pid=None):
    """fork + exec as a service manager would: fd_to_pass becomes descriptor 3."""
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    pid = os.fork()
    if pid == 0:
        try:
            os.dup2(log, 1)
            os.dup2(log, 2)
            devnull = os.open(os.devnull, os.O_RDONLY)
            os.dup2(devnull, 0)
            # Last, as it may replace log or devnull at 3. dup2 onto itself changes nothing,
            # and Python's sockets are close-on-exec: then only set_inheritable keeps it.
            if fd_to_pass == 3:
                os.set_inheritable(3, True)
            else:
                os.dup2(fd_to_pass, 3)
            env = dict(os.environ)
            env["LISTEN_FDS"] = "1"
            env["LISTEN_PID"] = str(os.getpid() if listen_pid is None else listen_pid)
            env["LISTEN_FDNAMES"] = "domusd.socket"
            env["DOMUS_ACCEL"] = "tcg"
            os.closerange(4, 256)
            os.execve(DOMUSD, [DOMUSD] + args, env)
        finally:
            os._exit(127)
    os.close(log)
    return pid


def wait_exit(pid, timeout):
    """The exit status, or None if pid still runs after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    return None


def kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def read_text(path):
    with open(path, errors="replace") as f:
        return f.read()


def hello_line():
    return (json.dumps({"jsonrpc": "2.0", "id": 1, "method": "hello"}) + "\n").encode()


def main():
    tap = Tap()
    root = make_temp_dir("domus-sockact-")
    pids = []
    try:
        path = os.path.join(root, "activated.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        os.chmod(path, 0o600)
        listener.listen(16)
        log_path = os.path.join(root, "domusd.log")
        state = {}

        def early_client_answered():
            # Connected before the daemon exists: the kernel queues it on the listening socket.
            early = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            early.connect(path)
            early.sendall(hello_line())
            pid = spawn_activated(["--root", root, "--name", "activated"], listener.fileno(),
                                  log_path)
            pids.append(pid)
            state["pid"] = pid
            early.settimeout(20)
            reply = early.makefile("rb").readline()
            early.close()
            check(reply, "no answer to the early client; log:\n" + read_text(log_path))
            result = json.loads(reply).get("result")
            check(result and result.get("name") == "activated",
                  "hello answered %r; log:\n%s" % (reply, read_text(log_path)))

        if not tap.step("a client connected before domusd started gets hello answered",
                        early_client_answered):
            return tap.finish()

        def new_client_answered():
            result = rpc_call(path, "hello")
            check(result.get("name") == "activated", "hello answered %r" % result)
            r = subprocess.run([DOMUSCTL, "-c", "unix:" + path, "list"], capture_output=True,
                               text=True, timeout=30)
            check(r.returncode == 0 and "Domain-0" in r.stdout,
                  "domusctl list: status %d, %s%s" % (r.returncode, r.stdout, r.stderr))

        tap.step("new clients and domusctl are answered on the passed socket", new_client_answered)

        own_bound = os.path.exists(os.path.join(root, "domusd.sock"))
        tap.ok(not own_bound, "domusd bound no socket of its own",
               "ROOT/domusd.sock exists" if own_bound else "")

        def sigterm_keeps_socket():
            os.kill(state["pid"], signal.SIGTERM)
            status = wait_exit(state["pid"], 10)
            check(status == 0, "status %r after SIGTERM; log:\n%s" % (status, read_text(log_path)))
            pids.remove(state["pid"])
            check(os.path.exists(path), "domusd removed the manager's socket file")

        tap.step("SIGTERM: status 0, the socket file stays", sigterm_keeps_socket)
        listener.close()

        def other_pid_ignored():
            # LISTEN_PID names a process that is not domusd: the variables are someone else's.
            own = os.path.join(root, "domusd.sock")
            decoy = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            decoy.bind(os.path.join(root, "decoy.sock"))
            decoy.listen(1)
            log2 = os.path.join(root, "domusd-other-pid.log")
            pid = spawn_activated(["--root", root, "--name", "own"], decoy.fileno(), log2,
                                  listen_pid=1)
            pids.append(pid)
            decoy.close()
            check(wait_until(lambda: os.path.exists(own), 10),
                  "domusd did not bind ROOT/domusd.sock; log:\n" + read_text(log2))
            result = None
            deadline = time.monotonic() + 10
            while result is None and time.monotonic() < deadline:
                try:
                    result = rpc_call(own, "hello")
                except (OSError, Failure):
                    time.sleep(0.1)
            check(result is not None and result.get("name") == "own",
                  "no hello on its own socket: %r" % result)
            os.kill(pid, signal.SIGTERM)
            check(wait_exit(pid, 10) == 0, "no clean exit")
            pids.remove(pid)

        tap.step("LISTEN_PID of another process: domusd binds its own socket", other_pid_ignored)

        def not_listening_refused():
            a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            log3 = os.path.join(root, "domusd-bad-fd.log")
            pid = spawn_activated(["--root", root], a.fileno(), log3)
            pids.append(pid)
            a.close()
            status = wait_exit(pid, 10)
            pids.remove(pid) if status is not None else None
            b.close()
            text = read_text(log3)
            check(status == 1, "status %r with a connected socket on fd 3; log:\n%s" % (status, text))
            check("listening" in text, "the message does not say why:\n" + text)

        tap.step("a passed socket that is not listening: domusd refuses, status 1",
                 not_listening_refused)
    finally:
        for pid in pids:
            kill(pid)
        tap.remove_if_passed(root)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
