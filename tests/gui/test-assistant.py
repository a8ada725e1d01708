#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The create assistant against a real domusd, under an Xvfb of the test's own.

Usage: test-assistant.py GUEST_DIR TEST_ASSISTANT   (DOMUS_BUILD_DIR from the environment)

Starts Xvfb (lib_gui.Session) and a domusd with --root whose image store holds an empty
"ISO", defines a domain "taken" (a name the assistant must refuse), then runs TEST_ASSISTANT (C: DomusCreateAssistant driven
through its widgets), whose results are renumbered into this test's TAP. Last, domusctl
must list the domains the assistant created as running. Everything started here is ended
by its PID.
"""

import os
import subprocess
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from lib_domus import rpc_call as call, DOMUSCTL, Daemon, Failure, Tap, guest_cfg, wait_until  # noqa: E402
import lib_gui  # noqa: E402
from lib_gui import Session  # noqa: E402
from lib_qemu import make_temp_dir  # noqa: E402

TAKEN = "taken"
CREATED = "asst1"
CREATED_2 = "asst2"
ISO_NAME = "empty.iso"
PROGRAM_TIMEOUT = 50.0


def listed_running(uri, name):
    """domusctl list's row for name has a domain id: the domain is active."""
    out = subprocess.run([DOMUSCTL, "--connect", uri, "list"], stdin=subprocess.DEVNULL,
                         capture_output=True, text=True, timeout=15)
    for line in out.stdout.splitlines():
        fields = line.split()
        if fields and fields[0] == name:
            return len(fields) > 1 and fields[1].isdigit(), out.stdout
    return False, out.stdout + out.stderr


def main():
    guest_dir, program = sys.argv[1], sys.argv[2]
    tap = Tap()
    root = make_temp_dir("domus-assistant-")
    session = daemon = None
    try:
        session = Session(root)
        session.start()
        tap.ok(True, "Xvfb on display %s" % session.display)

        # An empty "CD" in the image store, for the ISO scenario.
        os.makedirs(os.path.join(root, "images"), exist_ok=True)
        with open(os.path.join(root, "images", ISO_NAME), "wb") as f:
            f.truncate(2048 * 16)
        daemon = Daemon(root).wait_listening()
        call(daemon.socket_path, "domain.define", config=guest_cfg(guest_dir, TAKEN),
             filename=TAKEN + ".cfg")

        env = session.env(with_bus=False)
        env["NO_AT_BRIDGE"] = "1"
        lib_gui.run_program(tap, program, env, [daemon.uri, guest_dir, TAKEN], PROGRAM_TIMEOUT)

        running, listing = False, ""

        def check_running():
            nonlocal running, listing
            running, listing = listed_running(daemon.uri, CREATED)
            return running
        wait_until(check_running, 30.0)
        tap.ok(running, "domusctl list shows %s running" % CREATED, listing)
        wait_until(lambda: listed_running(daemon.uri, CREATED_2)[0], 30.0)
        running, listing = listed_running(daemon.uri, CREATED_2)
        tap.ok(running, "domusctl list shows %s running" % CREATED_2, listing)
        image = os.path.join(root, "images", CREATED_2 + ".qcow2")
        with open(image, "rb") if os.path.exists(image) else open(os.devnull, "rb") as f:
            magic = f.read(4)
        tap.ok(magic == b"QFI\xfb", "the new disk %s is a qcow2 image in the store" % image)
    except Failure as e:
        tap.ok(False, "setting up", str(e))
    finally:
        if daemon is not None:
            daemon.stop()
        if session is not None:
            session.stop()
        tap.remove_if_passed(root)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
