#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the ssh:// transport costs, next to unix: measured in the same run.

Usage: bench/ssh-transport.py [BUILD_DIR] [--calls N] [--connects N] [--seconds S]
                              [--vnc-rounds N] [--stream-mb N] [--json]
       (default build dir: build; the test guest must be built:
        meson compile -C BUILD_DIR test-guest)

Starts a domusd (--root in a temporary folder, TCG) and a real sshd on a loopback
port with throwaway keys (tests/integration/lib_sshd.py), creates the test guest with
vnc = 1 and waits until it is ready. Then:

1. Round trip of a call (`hello`, sequential, each waiting for its answer) over an open
   connection, unix: against ssh:// (bench-rpc). Goal: SSH adds under 1 ms.
2. Time to connect: unix: and ssh:// with key authentication (a new SSH session each
   time: TCP, key exchange, host key check, login, the bridge's exec channel), and until
   the first `hello` is answered (the remote `domusctl bridge` has started and reached
   the daemon). Goal: SSH connect under 300 ms (median).
3. VNC stream throughput: a minimal RFB 3.8 client (security None, raw encoding only,
   non-incremental whole-screen requests, one outstanding at a time) through the
   guest's own VNC socket (baseline), through `domusctl vnc` over unix: and through
   `domusctl vnc` over ssh://. MB/s and frames/s. Goal: SSH at least half of unix:.

Everything started here is ended by its PID; all traffic stays on loopback.
"""

import json
import getpass
import os
import shlex
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

import lib_args  # bench/lib_args.py, beside this script

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
NAME = "benchguest"
BOOT_TIMEOUT = 120.0


def parse_args():
    parser = lib_args.parser_with_build()
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--connects", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--vnc-rounds", type=int, default=2)
    parser.add_argument("--stream-mb", type=int, default=200,
                        help="size of the bulk stream for the pump's ceiling")
    parser.add_argument("--json", action="store_true", help="print only the raw numbers")
    return parser.parse_args()


ARGS = parse_args()
os.environ["DOMUS_BUILD_DIR"] = os.path.abspath(ARGS.build)
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))

from lib_domus import DOMUSCTL, Daemon, guest_cfg  # noqa: E402
from lib_sshd import Sshd  # noqa: E402

BENCH_RPC = os.path.join(ARGS.build, "bench", "bench-rpc")
GUEST = os.path.join(ARGS.build, "tests", "guest")


def log(message):
    if not ARGS.json:
        print(message, file=sys.stderr, flush=True)


def quiet_env():
    """No ssh-agent: the key file given in the address is what logs in."""
    env = dict(os.environ)
    env.pop("SSH_AUTH_SOCK", None)
    return env


def rpc(socket_path, method, params=None):
    """One call straight on the daemon's socket (no library), for setup only."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(socket_path)
        request = {"jsonrpc": "2.0", "id": 1, "method": method}
        if params is not None:
            request["params"] = params
        s.sendall(json.dumps(request).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    answer = json.loads(data)
    if "error" in answer:
        raise RuntimeError("%s: %s" % (method, answer["error"]["message"]))
    return answer["result"]


def bench_rpc(uri):
    r = subprocess.run([BENCH_RPC, uri, str(ARGS.calls), str(ARGS.connects)],
                       capture_output=True, text=True, timeout=600, env=quiet_env(),
                       stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise RuntimeError("bench-rpc %s failed (%d): %s" % (uri, r.returncode, r.stderr))
    return json.loads(r.stdout)


def openssh_command(sshd, known_hosts, command):
    return ["ssh", "-p", str(sshd.port), "-i", sshd.client_key, "-F", "/dev/null",
            "-o", "UserKnownHostsFile=" + known_hosts, "-o", "StrictHostKeyChecking=yes",
            "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR",
            "%s@127.0.0.1" % getpass.getuser(), command]


def openssh_hello(sshd, known_hosts, socket_path):
    """OpenSSH's client running the bridge: microseconds until hello is answered."""
    bridge = "%s bridge --socket %s" % (shlex.quote(DOMUSCTL), shlex.quote(socket_path))
    start = time.monotonic()
    proc = subprocess.Popen(openssh_command(sshd, known_hosts, bridge), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=quiet_env())
    try:
        proc.stdin.write(b'{"jsonrpc":"2.0","id":1,"method":"hello"}\n')
        proc.stdin.flush()
        line = proc.stdout.readline()
        elapsed = time.monotonic() - start
        if b'"protocol"' not in line:
            raise RuntimeError("ssh bridge: no answer to hello: %r %s"
                               % (line, proc.stderr.read(4096)))
        return int(elapsed * 1e6)
    finally:
        proc.stdin.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def stream_command():
    return "head -c %d /dev/zero" % (ARGS.stream_mb * 1000000)


def pump_ceiling(ssh_uri):
    r = subprocess.run([BENCH_RPC, "--stream", ssh_uri, stream_command()],
                       capture_output=True, text=True, timeout=600, env=quiet_env(),
                       stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise RuntimeError("bench-rpc --stream failed (%d): %s" % (r.returncode, r.stderr))
    out = json.loads(r.stdout)
    flowing = (out["us"] - out["first_byte_us"]) / 1e6
    out["mb_per_s"] = out["bytes"] / flowing / 1e6
    return out


def openssh_ceiling(sshd, known_hosts):
    proc = subprocess.Popen(openssh_command(sshd, known_hosts, stream_command()),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=quiet_env())
    start = time.monotonic()
    first = None
    total = 0
    while True:
        chunk = proc.stdout.read1(1 << 20)
        if not chunk:
            break
        if first is None:
            first = time.monotonic()
        total += len(chunk)
    end = time.monotonic()
    proc.wait()
    if total != ARGS.stream_mb * 1000000:
        raise RuntimeError("ssh read %d bytes: %s" % (total, proc.stderr.read().decode()))
    return {"bytes": total, "us": int((end - start) * 1e6),
            "first_byte_us": int((first - start) * 1e6),
            "mb_per_s": total / (end - first) / 1e6}


# A minimal RFB 3.8 client

class RfbError(Exception):
    pass


class Rfb:
    def __init__(self, sock):
        self.sock = sock
        self.received = 0
        self.scratch = bytearray(1 << 20)
        self.view = memoryview(self.scratch)

    def read(self, n):
        """Exactly n bytes, as bytes (for headers)."""
        buf = bytearray(n)
        view = memoryview(buf)
        got = 0
        while got < n:
            k = self.sock.recv_into(view[got:], n - got)
            if k == 0:
                raise RfbError("the server closed the stream after %d bytes" % self.received)
            got += k
        self.received += n
        return bytes(buf)

    def skip(self, n):
        """n bytes read and dropped (pixel data): no copies kept."""
        while n > 0:
            k = self.sock.recv_into(self.view, min(n, len(self.scratch)))
            if k == 0:
                raise RfbError("the server closed the stream after %d bytes" % self.received)
            n -= k
            self.received += k

    def handshake(self):
        version = self.read(12)
        if not version.startswith(b"RFB 003."):
            raise RfbError("not an RFB server: %r" % version)
        self.sock.sendall(b"RFB 003.008\n")
        count = self.read(1)[0]
        if count == 0:
            length = struct.unpack(">I", self.read(4))[0]
            raise RfbError("refused: %s" % self.read(length).decode("utf-8", "replace"))
        types = self.read(count)
        if 1 not in types:
            raise RfbError("the server does not offer security None: %r" % list(types))
        self.sock.sendall(b"\x01")
        if struct.unpack(">I", self.read(4))[0] != 0:
            length = struct.unpack(">I", self.read(4))[0]
            raise RfbError("security failed: %s" % self.read(length).decode("utf-8", "replace"))
        self.sock.sendall(b"\x01")  # ClientInit: shared
        init = self.read(24)
        self.width, self.height = struct.unpack(">HH", init[:4])
        self.bpp = init[4]
        name_length = struct.unpack(">I", init[20:24])[0]
        self.name = self.read(name_length).decode("utf-8", "replace")
        # SetEncodings: raw (0) only.
        self.sock.sendall(struct.pack(">BxHi", 2, 1, 0))

    def request(self):
        self.sock.sendall(struct.pack(">BBHHHH", 3, 0, 0, 0, self.width, self.height))

    def next_update(self):
        """Reads server messages until a FramebufferUpdate has been read whole."""
        while True:
            kind = self.read(1)[0]
            if kind == 0:  # FramebufferUpdate
                rects = struct.unpack(">xH", self.read(3))[0]
                for _ in range(rects):
                    x, y, w, h, encoding = struct.unpack(">HHHHi", self.read(12))
                    if encoding == 0:
                        self.skip(w * h * self.bpp // 8)
                    elif encoding == -223:  # DesktopSize, should we ever get it
                        self.width, self.height = w, h
                    else:
                        raise RfbError("encoding %d was not asked for" % encoding)
                return
            if kind == 1:  # SetColourMapEntries
                count = struct.unpack(">xHH", self.read(5))[1]
                self.read(6 * count)
            elif kind == 2:  # Bell
                pass
            elif kind == 3:  # ServerCutText
                length = struct.unpack(">xxxI", self.read(7))[0]
                self.read(length)
            else:
                raise RfbError("unknown server message %d" % kind)


def vnc_throughput(connect, seconds):
    """Frames and bytes through one RFB stream for `seconds`, one request outstanding."""
    sock = connect()
    try:
        sock.settimeout(30)
        rfb = Rfb(sock)
        start = time.monotonic()
        rfb.handshake()
        handshake_ms = (time.monotonic() - start) * 1000
        # One frame first, so the measured period starts with the stream flowing.
        rfb.request()
        rfb.next_update()
        frames = 0
        latencies = []
        first = rfb.received
        start = time.monotonic()
        deadline = start + seconds
        while True:
            t = time.monotonic()
            if t >= deadline:
                break
            rfb.request()
            rfb.next_update()
            latencies.append(time.monotonic() - t)
            frames += 1
        elapsed = time.monotonic() - start
        payload = rfb.received - first
        return {
            "width": rfb.width, "height": rfb.height, "bpp": rfb.bpp,
            "seconds": elapsed, "frames": frames, "bytes": payload,
            "mb_per_s": payload / elapsed / 1e6, "frames_per_s": frames / elapsed,
            "frame_ms_median": statistics.median(latencies) * 1000 if latencies else None,
            "handshake_ms": handshake_ms,
        }
    finally:
        sock.close()


def combine(rounds):
    """One figure over several runs of vnc_throughput(), each run kept too."""
    seconds = sum(r["seconds"] for r in rounds)
    frames = sum(r["frames"] for r in rounds)
    payload = sum(r["bytes"] for r in rounds)
    first = rounds[0]
    return {"width": first["width"], "height": first["height"], "bpp": first["bpp"],
            "seconds": seconds, "frames": frames, "bytes": payload,
            "mb_per_s": payload / seconds / 1e6, "frames_per_s": frames / seconds,
            "frame_ms_median": median([r["frame_ms_median"] for r in rounds
                                       if r["frame_ms_median"] is not None]),
            "rounds": rounds}


def unix_connector(path):
    def connect():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        return s
    return connect


def tcp_connector(port):
    def connect():
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s
    return connect


class Forwarder:
    """`domusctl --connect URI vnc NAME`, ended by PID."""

    def __init__(self, uri):
        self.proc = subprocess.Popen([DOMUSCTL, "--connect", uri, "vnc", NAME],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=quiet_env(),
                                     start_new_session=True)
        line = self.proc.stdout.readline().decode().strip()
        if not line:
            self.stop()
            raise RuntimeError("domusctl vnc printed no address: %s"
                               % self.proc.stderr.read().decode("utf-8", "replace"))
        self.port = int(line.rsplit(":", 1)[1])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.stderr.read().decode("utf-8", "replace")


def wait_ready(serial_log):
    deadline = time.monotonic() + BOOT_TIMEOUT
    while time.monotonic() < deadline:
        try:
            with open(serial_log, "rb") as f:
                if b"domus-test-guest ready" in f.read():
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the guest did not print 'ready' within %.0f s" % BOOT_TIMEOUT)


def median(values):
    return statistics.median(values) if values else None


def run(root):
    daemon = Daemon(root).wait_listening()
    sshd = forwarder = None
    try:
        sshd_dir = os.path.join(root, "sshd")
        os.mkdir(sshd_dir, 0o700)
        sshd = Sshd(sshd_dir).start()
        # The host key is known beforehand, as after a first accepted connection.
        known_hosts = os.path.join(root, "known_hosts")
        with open(sshd.host_key + ".pub") as f:
            host_key = " ".join(f.read().split()[:2])
        with open(known_hosts, "w") as f:
            f.write("[127.0.0.1]:%d %s\n" % (sshd.port, host_key))
        unix_uri = daemon.uri
        ssh_uri = sshd.uri(known_hosts) + "&socket=" + daemon.socket_path

        cfg = os.path.join(root, NAME + ".cfg")
        with open(cfg, "w") as f:
            f.write(guest_cfg(GUEST, NAME))
        r = subprocess.run([DOMUSCTL, "--connect", unix_uri, "create", cfg],
                           capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            raise RuntimeError("domusctl create failed: " + r.stderr)
        domain = rpc(daemon.socket_path, "domain.get", {"name": NAME})
        log("waiting for the guest to boot...")
        wait_ready(domain["serial_log"])

        results = {"calls": ARGS.calls, "connects": ARGS.connects, "seconds": ARGS.seconds}
        log("RPC over unix: ...")
        results["rpc_unix"] = bench_rpc(unix_uri)
        log("RPC over ssh:// ...")
        results["rpc_ssh"] = bench_rpc(ssh_uri)
        log("connect + hello with OpenSSH's client ...")
        results["openssh_connect_hello_us"] = [
            openssh_hello(sshd, known_hosts, daemon.socket_path) for _ in range(ARGS.connects)]
        log("bulk stream through the SSH pump and through OpenSSH ...")
        results["stream_pump"] = pump_ceiling(ssh_uri)
        results["stream_openssh"] = openssh_ceiling(sshd, known_hosts)

        # Rounds alternate between the three paths, so that the guest's screen and
        # QEMU's refresh timer treat them alike; the figures are over all rounds.
        runs = {"direct": [], "unix": [], "ssh": []}
        vnc = {}
        for round_number in range(ARGS.vnc_rounds):
            log("VNC round %d: the guest's own socket ..." % (round_number + 1))
            runs["direct"].append(vnc_throughput(unix_connector(domain["vnc_socket"]),
                                                 ARGS.seconds))
            for label, uri in (("unix", unix_uri), ("ssh", ssh_uri)):
                log("VNC round %d: domusctl vnc over %s ..." % (round_number + 1, label))
                forwarder = Forwarder(uri)
                try:
                    runs[label].append(vnc_throughput(tcp_connector(forwarder.port),
                                                      ARGS.seconds))
                finally:
                    err = forwarder.stop()
                    forwarder = None
                    if err.strip():
                        vnc[label + "_stderr"] = err
        for label, rounds in runs.items():
            vnc[label] = combine(rounds)
        results["vnc"] = vnc
        return results
    finally:
        if forwarder is not None:
            forwarder.stop()
        if sshd is not None:
            sshd.kill()
        daemon.stop()


def report(results):
    ru, rs = results["rpc_unix"], results["rpc_ssh"]
    added_us = rs["call_median_us"] - ru["call_median_us"]
    cu_ms = median(ru["connect_us"]) / 1000
    cs_ms = median(rs["connect_us"]) / 1000
    hu_ms = median(ru["connect_hello_us"]) / 1000
    hs_ms = median(rs["connect_hello_us"]) / 1000
    ho_ms = median(results["openssh_connect_hello_us"]) / 1000
    goals = {
        "ssh_adds_under_1ms": added_us < 1000,
        "ssh_connect_under_300ms": cs_ms < 300,
        "ssh_connect_hello_under_300ms": hs_ms < 300,
    }
    vnc = results["vnc"]
    ratio = vnc["ssh"]["mb_per_s"] / vnc["unix"]["mb_per_s"] if vnc["unix"]["mb_per_s"] else 0
    goals["vnc_ssh_at_least_half_of_unix"] = ratio >= 0.5
    results["summary"] = {"call_added_by_ssh_us": added_us, "connect_unix_ms": cu_ms,
                          "connect_ssh_ms": cs_ms, "connect_hello_unix_ms": hu_ms,
                          "connect_hello_ssh_ms": hs_ms, "connect_hello_openssh_ms": ho_ms,
                          "vnc_ssh_over_unix": ratio,
                          "goals": goals}
    if ARGS.json:
        print(json.dumps(results, indent=2))
        return

    def yes(flag):
        return "met" if flag else "NOT met"

    print("Round trip of a call (hello, %d sequential, open connection), microseconds:"
          % results["calls"])
    print("  %-10s %8s %8s %8s" % ("", "min", "median", "p90"))
    for label, r in (("unix:", ru), ("ssh://", rs)):
        print("  %-10s %8d %8d %8d" % (label, r["call_min_us"], r["call_median_us"],
                                       r["call_p90_us"]))
    print("  SSH adds %d us at the median (goal < 1000 us: %s)"
          % (added_us, yes(goals["ssh_adds_under_1ms"])))
    print()
    print("Connect (median of %d), milliseconds:" % results["connects"])
    print("  %-10s %10s %22s" % ("", "connected", "first hello answered"))
    print("  %-10s %10.2f %22.2f" % ("unix:", cu_ms, hu_ms))
    print("  %-10s %10.2f %22.2f" % ("ssh://", cs_ms, hs_ms))
    print("  %-10s %10s %22.2f" % ("OpenSSH", "", ho_ms))
    print("  SSH connect goal < 300 ms: %s (until first answer: %s)"
          % (yes(goals["ssh_connect_under_300ms"]), yes(goals["ssh_connect_hello_under_300ms"])))
    print()
    d = vnc["direct"]
    print("VNC stream, raw encoding, %dx%d at %d bpp, whole-screen non-incremental requests, "
          "%d x %.0f s each:" % (d["width"], d["height"], d["bpp"], ARGS.vnc_rounds,
                                 results["seconds"]))
    print("  %-28s %8s %10s %14s" % ("", "MB/s", "frames/s", "ms per frame"))
    for label, key in (("guest's VNC socket (direct)", "direct"),
                       ("domusctl vnc over unix:", "unix"),
                       ("domusctl vnc over ssh://", "ssh")):
        v = vnc[key]
        print("  %-28s %8.1f %10.1f %14.2f" % (label, v["mb_per_s"], v["frames_per_s"],
                                               v["frame_ms_median"]))
    print("  ssh:// / unix: = %.2f (goal >= 0.5: %s)"
          % (ratio, yes(goals["vnc_ssh_at_least_half_of_unix"])))
    print()
    sp, so = results["stream_pump"], results["stream_openssh"]
    print("Bulk stream (%d MB of zeros from the server), once flowing:" % ARGS.stream_mb)
    print("  %-28s %8s %16s" % ("", "MB/s", "first byte (ms)"))
    print("  %-28s %8.1f %16.1f" % ("library's exec channel", sp["mb_per_s"],
                                    sp["first_byte_us"] / 1000))
    print("  %-28s %8.1f %16.1f" % ("OpenSSH client", so["mb_per_s"],
                                    so["first_byte_us"] / 1000))
    print()
    print("Raw numbers:")
    print(json.dumps(results, indent=2))


def main():
    for path in (BENCH_RPC, DOMUSCTL, os.path.join(GUEST, "vmlinuz")):
        if not os.path.exists(path):
            sys.exit("%s is missing: meson compile -C %s && meson compile -C %s test-guest"
                     % (path, ARGS.build, ARGS.build))
    root = tempfile.mkdtemp(prefix="domus-bench-ssh-")
    os.chmod(root, 0o755)
    try:
        report(run(root))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
