#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""How long domusctl waits for a daemon that is working (issue 13, item 8).

Usage: test-cli-wait.py DOMUSCTL

A scripted daemon on a Unix socket of the test's own answers hello at once and
domain.start late, as a host does while QEMU starts on a loaded machine:
- 33 s late, longer than the fixed 30 s limit domusctl had: domusctl keeps waiting while
  the daemon answers its pings, and prints what xm start printed;
- never, with the daemon still answering: Ctrl-C (SIGINT) stops domusctl, which says the
  daemon may still start the domain (exit 130);
- never, with the daemon wedged (no ping answered either): domusctl gives up after 30 s,
  saying the command may still complete there.
The three run at once (each with a daemon of its own), so the test takes about 35 s.
Every process it starts is ended by its PID. Output is TAP.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib_domus import Tap, check  # noqa: E402

LATE_SECONDS = 33          # past the old fixed limit of 30 s
GIVE_UP_SECONDS = 30       # DOMUSCTL_ANSWER_TIMEOUT_SECONDS
RUN_LIMIT = 90

HELLO = {"protocol": 1, "name": "scripted", "version": "0.1.0", "mode": "session", "hypervisor": "qemu",
         "qemu_version": "7.2.22", "accelerator": "tcg", "network": "user",
         "capabilities": ["domain.start"], "pid": 1, "cpus": 2, "memory_mib": 1024}


class ScriptedDaemon:
    """answer_start: seconds before domain.start is answered, or None for never.
    wedged: once domain.start came, nothing more is answered (pings included)."""

    def __init__(self, folder, answer_start, wedged=False):
        self.path = os.path.join(folder, "domusd.sock")
        self.answer_start = answer_start
        self.wedged = wedged
        self.start_seen = threading.Event()
        self.pings = 0
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(4)
        self.lock = threading.Lock()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(connection,), daemon=True).start()

    def send(self, connection, message):
        with self.lock:
            try:
                connection.sendall((json.dumps(message) + "\n").encode())
            except OSError:
                pass

    def answer_later(self, connection, request, delay):
        time.sleep(delay)
        self.send(connection, {"jsonrpc": "2.0", "id": request["id"],
                               "result": {"name": request["params"]["name"], "id": 5, "notices": []}})

    def serve(self, connection):
        reader = connection.makefile("rb")
        for line in reader:
            request = json.loads(line)
            if request["method"] == "hello":
                if self.start_seen.is_set():
                    self.pings += 1
                    if self.wedged:
                        continue
                self.send(connection, {"jsonrpc": "2.0", "id": request["id"], "result": HELLO})
            elif request["method"] == "domain.start":
                self.start_seen.set()
                if self.answer_start is not None:
                    threading.Thread(target=self.answer_later, daemon=True,
                                     args=(connection, request, self.answer_start)).start()

    def close(self):
        self.listener.close()


def domusctl_start(domusctl, daemon):
    return subprocess.Popen([domusctl, "--connect", "unix:" + daemon.path, "start", "web"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def main():
    domusctl = sys.argv[1]
    tap = Tap()
    folder = tempfile.mkdtemp(prefix="domus-cli-wait-")
    processes = []
    try:
        dirs = [os.path.join(folder, name) for name in ("late", "interrupted", "wedged")]
        for d in dirs:
            os.mkdir(d)
        late = ScriptedDaemon(dirs[0], LATE_SECONDS)
        interrupted = ScriptedDaemon(dirs[1], None)
        wedged = ScriptedDaemon(dirs[2], None, wedged=True)
        started = time.monotonic()
        runs = [domusctl_start(domusctl, d) for d in (late, interrupted, wedged)]
        processes.extend(runs)

        # Ctrl-C once the daemon has the request and domusctl has pinged it at least once.
        check(interrupted.start_seen.wait(20), "domain.start never reached the scripted daemon")
        deadline = time.monotonic() + 20
        while interrupted.pings == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        runs[1].send_signal(signal.SIGINT)

        results = []
        for run in runs:
            out, err = run.communicate(timeout=RUN_LIMIT)
            results.append((run.returncode, out, err, time.monotonic() - started))

        code, out, err, seconds = results[0]
        tap.ok(code == 0 and out == "Started domain web (id=5)\n" and err == "",
               "a start answered after %d s (the daemon answering pings) is waited for and reported" % LATE_SECONDS,
               "exit %s after %.0f s, %d pings; stdout %r, stderr %r" % (code, seconds, late.pings, out, err))
        tap.ok(late.pings >= 5, "domusctl asked the working daemon whether it still answers",
               "%d pings" % late.pings)

        code, out, err, seconds = results[1]
        tap.ok(code == 130 and out == "" and
               err == "domusctl: interrupted; the daemon at unix:%s may still complete the command\n"
               % interrupted.path,
               "Ctrl-C stops waiting and says the daemon may still complete the command (exit 130)",
               "exit %s after %.0f s; stdout %r, stderr %r" % (code, seconds, out, err))

        code, out, err, seconds = results[2]
        tap.ok(code == 1 and out == "" and
               err == "domusctl: the daemon at unix:%s did not answer within %d seconds; "
                      "it may still complete the command\n" % (wedged.path, GIVE_UP_SECONDS) and
               GIVE_UP_SECONDS <= seconds < GIVE_UP_SECONDS + 15,
               "a daemon that answers nothing, not even a ping, is given up on after %d s" % GIVE_UP_SECONDS,
               "exit %s after %.0f s; stdout %r, stderr %r" % (code, seconds, out, err))
    except Exception as error:  # noqa: BLE001 - any failure is a failed test, with its reason
        tap.ok(False, "the scripted daemons and domusctl ran", repr(error))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        shutil.rmtree(folder, ignore_errors=True)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
