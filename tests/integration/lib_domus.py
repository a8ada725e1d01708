# SPDX-License-Identifier: GPL-3.0-or-later
"""What the domusd/domusctl integration tests share: a daemon of their own, checks, waits.

Stdlib only. Everything started here is ended by its PID.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

from lib_qemu import READY_LINE, end_process, ticks_in

BUILD_DIR = os.environ.get("DOMUS_BUILD_DIR", "")
DOMUSD = os.path.join(BUILD_DIR, "hvcore", "domusd")
DOMUSCTL = os.path.join(BUILD_DIR, "cli", "domusctl")
START_TIMEOUT = 10.0


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def wait_until(predicate, timeout, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def process_start(pid):
    """When the live process pid started (/proc/PID/stat field 22, clock ticks after boot), or
    None once it is gone or a zombie. A busy machine (pid_max 32768) gives an ended process's
    pid to another within minutes: a pid with its start names one process."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    return None if fields[0] == "Z" else int(fields[19])


def pid_alive(pid, start=None):
    """True while the process exists and is not a zombie waiting to be reaped (and, given
    its process_start, is still that process and not a later one with its pid)."""
    now = process_start(pid)
    return now is not None and (start is None or now == start)


def children_of(pid):
    """The processes whose parent is pid: {child's pid: its state letter ("Z" for a zombie)}."""
    children = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children[int(name)] = fields[0]
    return children


def qemu_pids(root):
    """The QEMU processes the daemon under root started, from their run folders."""
    pids = []
    run = os.path.join(root, "run")
    if not os.path.isdir(run):
        return pids
    for name in os.listdir(run):
        try:
            with open(os.path.join(run, name, "qemu.pid")) as f:
                pids.append(int(f.read().strip()))
        except (OSError, ValueError):
            pass
    return pids


def qemu_processes(root):
    """qemu_pids(root) with each one's process_start: {pid: start}, for pid_alive."""
    started = {pid: process_start(pid) for pid in qemu_pids(root)}
    return {pid: start for pid, start in started.items() if start is not None}


def qemu_pids_naming(path):
    """Every live QEMU process whose command line names path, from /proc: also one whose pid
    file is not written yet, or gone."""
    pids = []
    needle = path.encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        if b"qemu-system" in cmdline and needle in cmdline and pid_alive(int(entry)):
            pids.append(int(entry))
    return pids


def fill_file_system(path):
    """Writes zeros into the new file `path` until its file system is full."""
    chunk = b"\0" * 65536
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                f.write(chunk)
        except OSError:
            pass


def serial_text(root, name):
    """What the domain's guest wrote on its serial port so far ("" before it started)."""
    try:
        with open(os.path.join(root, "run", name, "serial.log"), errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


GUEST_BOOT_DEADLINE = 60.0
# At the deadline, a test guest whose kernel has printed nothing for this long, before it ran
# init, has stopped: a rare hang of the kernel's early boot under TCG (docs/test-guest.md,
# "A boot that hangs"). A boot that still prints is only slow.
GUEST_HUNG_QUIET = 30.0
KERNEL_RAN_INIT = "Run /init as init process"


def boot_outcome(root, name, deadline=GUEST_BOOT_DEADLINE):
    """Watches domain name's serial log until its guest is ready, at most deadline s.
    ("ready" | "hung" | "slow", the end of its log): "hung" when the kernel stopped printing
    GUEST_HUNG_QUIET s before the deadline without running init, "slow" for any other boot
    that did not get there."""
    end = time.monotonic() + deadline
    length, changed = -1, time.monotonic()
    while True:
        text = serial_text(root, name)
        if READY_LINE in text:
            return "ready", text
        if len(text) != length:
            length, changed = len(text), time.monotonic()
        if time.monotonic() >= end:
            stopped = time.monotonic() - changed >= GUEST_HUNG_QUIET
            return ("hung" if stopped and KERNEL_RAN_INIT not in text else "slow"), text
        time.sleep(0.2)


def say_known_fault(note):
    """A known rare fault a test worked around: on stdout (a TAP comment, "# ...") and on
    stderr, which is what CI's excerpt of a passing test keeps."""
    print(note, flush=True)
    print(note, file=sys.stderr, flush=True)


def log_end(text, lines=3):
    return " | ".join(text.splitlines()[-lines:])


def wait_guest_ready(root, name, restart):
    """Until domain name's test guest says it is ready. A boot whose kernel hung (boot_outcome)
    is said so on stdout (TAP) and stderr, its serial log kept as NAME-hung-boot.log in root,
    and the guest started once more through restart(); a second hang, or a slow boot, is a
    Failure naming the end of the serial log."""
    outcome, text = boot_outcome(root, name)
    if outcome == "hung":
        with open(os.path.join(root, name + "-hung-boot.log"), "w") as f:
            f.write(text)
        note = ("# %s: the guest's kernel stopped printing before it ran init (serial log ends: %s); "
                "a known rare hang under TCG (docs/test-guest.md, \"A boot that hangs\"): starting it "
                "again, once" % (name, log_end(text)))
        say_known_fault(note)
        restart()
        outcome, text = boot_outcome(root, name)
    check(outcome == "ready",
          "%s did not boot to its ready line in %.0f s (%s: %s); its serial log ends: %s"
          % (name, GUEST_BOOT_DEADLINE, outcome,
             "its kernel stopped printing before init, again" if outcome == "hung"
             else "still booting, or stopped after init ran",
             log_end(text)))


def rpc_call(socket_path, method, **params):
    """One JSON-RPC call on a connection of its own: the result, or Failure with the daemon's words."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(30)
        sock.connect(socket_path)
        f = sock.makefile("rwb", buffering=0)
        f.write((json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                             "params": params}) + "\n").encode())
        while True:
            line = f.readline()
            if not line:
                raise Failure("%s: the daemon closed the connection" % method)
            reply = json.loads(line)
            if reply.get("id") == 1:
                break
    if "error" in reply:
        raise Failure("%s: %s" % (method, reply["error"].get("message")))
    return reply["result"]


def first_bytes_from(source, host, port, timeout=30.0):
    """Connects to host:port from the local address source and returns what the other end says
    first (b"" when it closes the connection: a refusal after accept)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.bind((source, 0))
        sock.connect((host, port))
        try:
            return sock.recv(64)
        except (ConnectionResetError, socket.timeout) as e:
            return repr(e).encode()


def rpc_reply(socket_path, method, timeout=120.0, **params):
    """The whole reply of one call on a connection of its own: {"result": ...} or {"error": ...}."""
    client = RpcClient(socket_path)
    try:
        return client.call(method, timeout=timeout, **params)
    finally:
        client.close()


def error_kind(reply):
    """The daemon's kind of an error reply ("invalid-params", ...), or None."""
    return reply.get("error", {}).get("data", {}).get("kind")


class RpcClient:
    """A JSON-RPC client that keeps the notifications it reads while waiting."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.file = self.sock.makefile("rwb", buffering=0)
        self.next_id = 1
        self.notifications = []

    def close(self):
        self.file.close()
        self.sock.close()

    def _read(self, timeout):
        self.sock.settimeout(timeout)
        line = self.file.readline()
        if not line:
            raise EOFError("the daemon closed the connection")
        return json.loads(line)

    def call(self, method, timeout=60.0, **params):
        request_id = self.next_id
        self.next_id += 1
        message = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
        self.file.write((json.dumps(message) + "\n").encode())
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(max(0.1, deadline - time.monotonic()))
            if "id" not in reply:
                self.notifications.append(reply)
                continue
            if reply["id"] == request_id:
                return reply

    def result(self, method, **params):
        reply = self.call(method, **params)
        if "error" in reply:
            raise RuntimeError("%s: %s" % (method, reply["error"]["message"]))
        return reply["result"]

    def wait_notification(self, predicate, timeout=60.0):
        deadline = time.monotonic() + timeout
        while True:
            for i, message in enumerate(self.notifications):
                if predicate(message):
                    del self.notifications[i]
                    return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                self.notifications.append(self._read(remaining))
            except (socket.timeout, TimeoutError):
                return None


class Listener:
    """A connection that only listens: every notification the daemon sends, in order, read
    in a thread. With hello, it says hello first (the answer is not kept)."""

    def __init__(self, socket_path, hello=False):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(socket_path)
        if hello:
            self.sock.sendall(b'{"jsonrpc": "2.0", "id": 1, "method": "hello"}\n')
        self.items = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.sock.makefile("rb"):
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if "method" in message and "id" not in message:
                with self.lock:
                    self.items.append(message)

    def of(self, method):
        """The params of each notification of method so far."""
        with self.lock:
            return [m["params"] for m in self.items if m["method"] == method]

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def event_is(name, reason):
    return lambda m: (m.get("method") == "domain.event" and m["params"]["name"] == name
                      and m["params"]["reason"] == reason)


class Tap:
    """Numbered results. The plan comes last, as a failed start skips the rest; or, for a
    test that knows how many results it gives (planned), first, and fewer or more fail."""

    def __init__(self, planned=None):
        self.n = 0
        self.failed = 0
        self.planned = planned
        print("TAP version 13", flush=True)
        if planned is not None:
            print("1..%d" % planned, flush=True)

    def ok(self, passed, description, diagnostics=""):
        self.n += 1
        if not passed:
            self.failed += 1
        print("%s %d - %s" % ("ok" if passed else "not ok", self.n, description))
        for line in str(diagnostics).splitlines():
            print("# " + line)
        sys.stdout.flush()
        if not passed:
            # meson's summary of a failed test (and CI's log) shows stderr, not the TAP.
            print("not ok %d - %s" % (self.n, description), file=sys.stderr)
            for line in str(diagnostics).splitlines():
                print("# " + line, file=sys.stderr)
            sys.stderr.flush()

    def step(self, description, function):
        """Runs function; a Failure or an exception is a failed subtest with its message."""
        try:
            function()
            self.ok(True, description)
            return True
        except Failure as e:
            self.ok(False, description, str(e))
        except Exception as e:  # noqa: BLE001 - a test step's crash is its failure
            self.ok(False, description, "%s: %s" % (type(e).__name__, e))
        return False

    def remove_if_passed(self, folder):
        """Removes the test's own folder when every check passed; else keeps it for a look
        and says where. True when it was removed."""
        if self.failed == 0:
            shutil.rmtree(folder, ignore_errors=True)
            return True
        print("# kept for a look: " + folder, flush=True)
        return False

    def finish(self):
        if self.planned is None:
            print("1..%d" % self.n, flush=True)
            return 1 if self.failed else 0
        return 1 if self.failed or self.n != self.planned else 0


class Daemon:
    """One domusd with --root, ended by its PID whatever happens.

    Guests get TCG (DOMUS_ACCEL=tcg) unless probe_kvm asks for the real KVM probe.
    """

    def __init__(self, root, log_name="domusd.log", name="testhost", probe_kvm=False,
                 domusd=DOMUSD, start_timeout=START_TIMEOUT, extra_args=(), wrapper=(), extra_env=None):
        """wrapper: a command that ends by running its arguments with exec (the daemon keeps
        its PID), e.g. unshare and a shell that mounts something first. extra_env: variables
        for the daemon alone (G_MESSAGES_DEBUG for its debug lines in its log)."""
        self.root = root
        self.socket_path = os.path.join(root, "domusd.sock")
        self.uri = "unix:" + self.socket_path
        self.log_path = os.path.join(root, log_name)
        self.log = open(self.log_path, "wb")
        self.start_timeout = start_timeout
        env = dict(os.environ)
        if probe_kvm:
            env.pop("DOMUS_ACCEL", None)
        else:
            env["DOMUS_ACCEL"] = "tcg"
        env.update(extra_env or {})
        self.proc = subprocess.Popen(list(wrapper) + [domusd, "--root", root, "--name", name]
                                     + list(extra_args),
                                     stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, env=env)

    def log_text(self):
        """The daemon's log, and how it ended if it has (a crash says nothing in its log)."""
        self.log.flush()
        with open(self.log_path, "r", errors="replace") as f:
            text = f.read()
        status = self.proc.poll()
        if status is not None:
            text += "[domusd %d ended: %s]\n" % (
                self.proc.pid, "signal %d" % -status if status < 0 else "status %d" % status)
        return text

    def wait_listening(self):
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Failure("domusd exited with status %d before listening:\n%s"
                              % (self.proc.returncode, self.log_text()))
            if os.path.exists(self.socket_path) and "listening on" in self.log_text():
                return self
            time.sleep(0.02)
        raise Failure("domusd did not listen on %s within %.0f s:\n%s"
                      % (self.socket_path, self.start_timeout, self.log_text()))

    def wait_exit(self, timeout=5.0):
        """The exit status, or None if it still runs after timeout seconds."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        """SIGKILL, as a crash would: guests keep running."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def stop(self, kill_guests=True):
        """SIGTERM (guests keep running, as with xend), then, unless told not to, every
        QEMU it started, by PID."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            if self.wait_exit(10) is None:
                self.proc.kill()
                self.proc.wait()
        if kill_guests:
            for pid in qemu_pids(self.root):
                if pid_alive(pid):
                    os.kill(pid, signal.SIGKILL)
        if not self.log.closed:
            self.log.close()


def ctl(uri, *args, timeout=60):
    """domusctl --connect uri ARGS, without a terminal; the CompletedProcess (text)."""
    return subprocess.run([DOMUSCTL, "--connect", uri] + list(args), capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=timeout)


def ctl_ok(uri, *args, timeout=60):
    """ctl() of a command that must succeed: a Failure with what domusctl said otherwise."""
    r = ctl(uri, *args, timeout=timeout)
    check(r.returncode == 0, "domusctl %s: %s" % (" ".join(map(str, args)), r.stderr))
    return r


def listed(uri):
    """Every domain of `domusctl list --all --json`, by name."""
    return {d["name"]: d for d in json.loads(ctl_ok(uri, "list", "--all", "--json").stdout)}


def guest_cfg(guest_dir, name, extra=""):
    """A config for the test guest: kernel text on the screen and on the serial port."""
    return ("name = '%s'\n"
            "kernel = '%s'\n"
            "ramdisk = '%s'\n"
            "extra = 'console=tty0 console=ttyS0'\n"
            "memory = 128\n"
            "vcpus = 1\n"
            "vnc = 1\n"
            "on_poweroff = 'destroy'\n"
            "%s"
            % (name, os.path.join(guest_dir, "vmlinuz"),
               os.path.join(guest_dir, "initrd.img"), extra))


class Console:
    """`domusctl console NAME` on uri with a pipe for stdin; its output is collected by a thread."""

    def __init__(self, uri, name):
        self.proc = subprocess.Popen([DOMUSCTL, "--connect", uri, "console", name],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.data = b""
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            chunk = self.proc.stdout.read1(4096)
            if not chunk:
                return
            with self.lock:
                self.data += chunk

    def text(self):
        with self.lock:
            return self.data.decode("latin-1").replace("\r", "")

    def ticks(self):
        return ticks_in(self.text().split("\n"))

    def wait_ticks(self, predicate, timeout):
        wait_until(lambda: predicate(self.ticks()) or self.proc.poll() is not None, timeout)
        return self.ticks()

    def stderr(self):
        try:
            return self.proc.stderr.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""

    def stop(self):
        """SIGTERM, as a user leaving a piped console would; returns the exit status."""
        end_process(self.proc)
        self.reader.join(5)
        return self.proc.returncode
