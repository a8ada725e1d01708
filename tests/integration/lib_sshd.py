# SPDX-License-Identifier: GPL-3.0-or-later
"""A real OpenSSH server on a loopback port, with throwaway host and client keys.

Stdlib only. The server and every session process it forks are ended by PID.
"""

import os
import signal
import socket
import subprocess
import time

SSHD = "/usr/sbin/sshd"
SSH_KEYGEN = "ssh-keygen"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_key(path, kind="ed25519"):
    subprocess.run([SSH_KEYGEN, "-q", "-t", kind, "-N", "", "-C", "domus-test", "-f", path],
                   check=True, stdin=subprocess.DEVNULL)
    return path


def fingerprint(public_key_path):
    """What `ssh-keygen -lf` says: 'SHA256:...'."""
    out = subprocess.run([SSH_KEYGEN, "-lf", public_key_path], check=True,
                         capture_output=True, text=True).stdout
    return out.split()[1]


def children_of(pid):
    """Every descendant of pid, found through /proc (sshd forks one process per session)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def bridges_under(pid):
    """The `domusctl bridge` processes among pid's descendants (an exec channel's)."""
    out = []
    for child in children_of(pid):
        try:
            with open("/proc/%d/cmdline" % child, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if len(argv) > 1 and argv[0].endswith(b"domusctl") and argv[1] == b"bridge":
            out.append(child)
    return out


def streams_into(socket_path):
    """How many connections a listening Unix socket has accepted and still holds
    (/proc/net/unix: an accepted socket shows its listener's path, state 03 connected),
    whoever made them: a bridge, or sshd forwarding a direct-streamlocal channel."""
    count = 0
    with open("/proc/net/unix") as f:
        next(f)
        for line in f:
            fields = line.split()
            if len(fields) >= 8 and fields[5] == "03" and fields[7] == socket_path:
                count += 1
    return count


def sshd_without_domus(workdir):
    """A started Sshd (in workdir/sshd) whose sessions' PATH is an empty folder: a host
    without domusctl, as far as a client can tell."""
    empty = os.path.join(workdir, "empty-bin")
    folder = os.path.join(workdir, "sshd")
    os.makedirs(empty)
    os.makedirs(folder)
    return Sshd(folder, extra_config="SetEnv PATH=%s\n" % empty).start()


class Sshd:
    def __init__(self, workdir, extra_config=""):
        """extra_config: more sshd_config lines (e.g. SetEnv PATH=... for the sessions)."""
        self.workdir = workdir
        self.port = free_port()
        self.host_key = make_key(os.path.join(workdir, "host_ed25519"))
        self.client_key = make_key(os.path.join(workdir, "client_ed25519"))
        self.stranger_key = make_key(os.path.join(workdir, "stranger_ed25519"))
        self.authorized = os.path.join(workdir, "authorized_keys")
        with open(self.client_key + ".pub") as src, open(self.authorized, "w") as dst:
            dst.write(src.read())
        os.chmod(self.authorized, 0o600)
        self.config = os.path.join(workdir, "sshd_config")
        with open(self.config, "w") as f:
            f.write("Port %d\n"
                    "ListenAddress 127.0.0.1\n"
                    "HostKey %s\n"
                    "PidFile %s\n"
                    "AuthorizedKeysFile %s\n"
                    "PasswordAuthentication no\n"
                    "KbdInteractiveAuthentication no\n"
                    "UsePAM no\n"
                    "PermitRootLogin prohibit-password\n"
                    "StrictModes no\n"
                    "LogLevel ERROR\n"
                    "%s"
                    % (self.port, self.host_key, os.path.join(workdir, "sshd.pid"),
                       self.authorized, extra_config))
        self.log_path = os.path.join(workdir, "sshd.log")
        self.proc = None

    def start(self, timeout=10.0):
        if os.geteuid() == 0 and not os.path.isdir("/run/sshd"):
            # sshd's privilege separation needs it; systemd would have made it.
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", self.config],
                                     stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("sshd exited with %d: %s" % (self.proc.returncode, self.log()))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("sshd did not listen on %d: %s" % (self.port, self.log()))

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def kill(self):
        """The listener and every session it forked: as if the server went down."""
        if self.proc is None:
            return
        victims = children_of(self.proc.pid) + [self.proc.pid]
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()
        self.proc = None

    def uri(self, known_hosts, keyfile=None, extra="", bridge=True):
        """bridge: True for this build's domusctl, False for none (the remote PATH decides)."""
        import getpass
        query = "keyfile=%s&known_hosts=%s" % (keyfile or self.client_key, known_hosts)
        if bridge:
            query += "&bridge=" + os.path.join(os.environ["DOMUS_BUILD_DIR"], "cli", "domusctl")
        return "ssh://%s@127.0.0.1:%d?%s%s" % (getpass.getuser(), self.port, query, extra)

    def write_known_hosts(self, path):
        """A known_hosts that knows this server's key, as ssh would have saved it."""
        with open(self.host_key + ".pub") as f:
            key_type, key = f.read().split()[:2]
        with open(path, "w") as f:
            f.write("[127.0.0.1]:%d %s %s\n" % (self.port, key_type, key))
        os.chmod(path, 0o600)
        return path
