#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The console widget on the real test guest, under an Xvfb of the test's own.

Usage: test-console.py GUEST_DIR TEST_CONSOLE   (DOMUS_BUILD_DIR from the environment)

Starts Xvfb (-displayfd picks a free display) and a domusd with --root, creates the test
guest with vnc = 1, waits for its ready line on the serial log, then runs TEST_CONSOLE (C:
the DomusConsole widget against that daemon), whose results are renumbered into this
test's TAP. Everything started here is ended by its PID.
"""

import os
import select
import subprocess
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from lib_domus import rpc_call as call, Daemon, Failure, Tap, guest_cfg, wait_until  # noqa: E402
import lib_gui  # noqa: E402
from lib_qemu import READY_LINE, end_process, make_temp_dir  # noqa: E402

NAME = "console1"
BOOT_TIMEOUT = 40.0
PROGRAM_TIMEOUT = 120.0


class Xvfb:
    def __init__(self, log_path):
        self.log = open(log_path, "wb")
        read_end, write_end = os.pipe()
        self.proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x1024x24",
             "-nolisten", "tcp", "-noreset"],
            pass_fds=(write_end,), stdin=subprocess.DEVNULL, stdout=self.log,
            stderr=subprocess.STDOUT)
        os.close(write_end)
        number = b""
        deadline = time.monotonic() + 15
        while not number.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([read_end], [], [], remaining)[0]:
                break
            chunk = os.read(read_end, 16)
            if not chunk:
                break
            number += chunk
        os.close(read_end)
        if not number.strip().isdigit():
            self.stop()
            raise Failure("Xvfb did not say which display it took (%r)" % number)
        self.display = ":" + number.strip().decode()

    def stop(self):
        end_process(self.proc, 5)
        self.log.close()


RESTART_REQUEST = "# domus-test: restart-daemon"


def main():
    guest_dir, program = sys.argv[1], sys.argv[2]
    tap = Tap()
    root = make_temp_dir("domus-console-")
    xvfb = None
    daemons = []
    try:
        xvfb = Xvfb(os.path.join(root, "xvfb.log"))
        tap.ok(True, "Xvfb on display %s" % xvfb.display)

        daemon = Daemon(root).wait_listening()
        daemons.append(daemon)

        def restart_daemon():
            daemons[-1].kill()
            daemons.append(Daemon(root, log_name="domusd-%d.log" % (len(daemons) + 1))
                           .wait_listening())
        config = guest_cfg(guest_dir, NAME)
        config_path = os.path.join(root, NAME + ".cfg.in")
        with open(config_path, "w") as f:
            f.write(config)
        call(daemon.socket_path, "domain.create", config=config, filename=NAME + ".cfg")
        serial_log = os.path.join(root, "run", NAME, "serial.log")

        def ready():
            try:
                with open(serial_log, errors="replace") as f:
                    return READY_LINE in f.read()
            except FileNotFoundError:
                return False
        booted = wait_until(ready, BOOT_TIMEOUT)
        tap.ok(booted, "the test guest with vnc = 1 says '%s'" % READY_LINE,
               "" if booted else daemon.log_text()[-2000:])
        if booted:
            # The file chooser notes saved files in recently-used.xbel: not in the user's.
            env = dict(os.environ, DISPLAY=xvfb.display, GDK_BACKEND="x11", NO_AT_BRIDGE="1",
                       XDG_DATA_HOME=os.path.join(root, "data"),
                       XDG_CONFIG_HOME=os.path.join(root, "config"),
                       XDG_CACHE_HOME=os.path.join(root, "cache"))
            env.pop("WAYLAND_DISPLAY", None)
            def restart_requested():
                try:
                    restart_daemon()
                    print("# domusd killed and started again", flush=True)
                except Failure as e:
                    tap.ok(False, "domusd started again", str(e))

            lib_gui.run_program(tap, program, env,
                                [daemon.uri, NAME, config_path, os.path.join(root, "shots"),
                                 serial_log],
                                PROGRAM_TIMEOUT, {RESTART_REQUEST: restart_requested})
    except Failure as e:
        tap.ok(False, "setting up", str(e))
    finally:
        for daemon in daemons:
            daemon.stop()
        if xvfb is not None:
            xvfb.stop()
        tap.remove_if_passed(root)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
