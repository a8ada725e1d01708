#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The screen and serial console of a domain on a remote libvirt host, in the window.

Usage: test-libvirt-remote-screen.py GUEST_DIR DOMUS   (DOMUS_BUILD_DIR from the environment)

A private libvirtd (tests/integration/lib_libvirt.py) runs the test guest "rsguest" under
TCG, its VNC server on loopback; a real sshd on loopback (throwaway keys, lib_sshd.py)
stands in front of it. `domus --connect qemu+ssh://root@127.0.0.1:PORT/system?…` (the ssh
program, with the test's own known_hosts) runs under an Xvfb and a session bus of the
test's own, with G_DEBUG=fatal-warnings. Then, through AT-SPI and keys:

- the tree shows the libvirt server connected and rsguest running under it;
- Ctrl+O opens rsguest's screen (libvirt hands no descriptor over SSH: Domus's own SSH
  tunnel carries it) and it connects; the screen's pixels, read back from the X server,
  are not all one colour;
- Ctrl+Shift+O opens its serial console (libvirt's stream over the same connection), which
  shows the guest's ticks;
- domus ends without a warning.

Everything started here is ended by PID. Output is TAP.
"""

import os
import re
import shutil
import socket
import subprocess
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import lib_gui  # noqa: E402
from lib_domus import Tap, check  # noqa: E402
from lib_libvirt import (LibvirtDaemon, qemu_ssh_uri, skip_if_impossible, ssh_known_hosts,  # noqa: E402
                         ssh_program)
from lib_qemu import make_temp_dir  # noqa: E402
from lib_sshd import Sshd  # noqa: E402

GUEST_DIR = sys.argv[1]
DOMUS = sys.argv[2]
FIND_TIMEOUT = 30.0
BOOT_TIMEOUT = 150.0
NAME = "rsguest"
TICK_RE = re.compile(r"tick (\d+)")


def colours_in(display, x, y, width, height):
    """How many colours the X server shows in that rectangle (ImageMagick reads it back)."""
    out = subprocess.run(["import", "-display", display, "-window", "root", "-crop",
                          "%dx%d+%d+%d" % (width, height, x, y), "png:-"],
                         capture_output=True, timeout=30, check=True).stdout
    count = subprocess.run(["identify", "-format", "%k", "png:-"], input=out, capture_output=True,
                           timeout=30, check=True).stdout
    return int(count.decode().strip() or "0")


def main():
    if skip_if_impossible():
        return 0
    tap = Tap()
    base = make_temp_dir("domus-gui-lvremote-")
    libvirtd = LibvirtDaemon(os.path.join(base, "lv"), "lv")
    os.makedirs(os.path.join(base, "sshd"))
    sshd = Sshd(os.path.join(base, "sshd"))
    session = app = None
    app_log_path = os.path.join(base, "domus.log")
    uri = None
    # libvirt's host name is the machine's (the daemon's namespace shares it).
    libvirt_row = socket.gethostname()
    try:
        def start_hosts():
            nonlocal uri
            libvirtd.start()
            libvirtd.start_test_guest(GUEST_DIR, NAME)
            sshd.start()
            known = ssh_known_hosts(os.path.join(base, "known_hosts"), sshd)
            uri = qemu_ssh_uri(sshd, libvirtd, known, ssh_program(base, known))
            print("# " + uri)

        if not tap.step("a private libvirtd running %s under TCG, an sshd in front of it" % NAME,
                        start_hosts):
            return tap.finish()

        session = lib_gui.Session(base).start()
        import pyatspi  # noqa: E402 - after the session: it connects to the buses in os.environ

        env = session.env()
        env["G_DEBUG"] = "fatal-warnings"
        env["LC_ALL"] = "C.UTF-8"
        app = lib_gui.App([DOMUS, "--connect", uri], env, app_log_path)
        tree = lib_gui.DomusTree(pyatspi)

        app_log_text = app.log_text

        def what_shows():
            """The log and the labels showing: what the console says when it does not connect."""
            labels = lib_gui.find_all(tree.frame, lambda n: n.getRole() == pyatspi.ROLE_LABEL
                                      and lib_gui.is_showing(n, pyatspi) and n.name)
            return "labels: %r\nlog:\n%s" % ([n.name for n in labels], app_log_text())

        def rows():
            return dict(tree.all_rows())

        def listed():
            found = lib_gui.wait_for(tree.find, FIND_TIMEOUT)
            check(found, "no domus window (domus %s):\n%s"
                  % ("running" if app.poll() is None else "exited with %s" % app.returncode, app_log_text()))
            ok = lib_gui.wait_for(lambda: rows().get(libvirt_row) == "connected"
                                  and rows().get(NAME) in ("running", "blocked"), FIND_TIMEOUT)
            check(ok, "rows: %r; log:\n%s" % (tree.all_rows(), app_log_text()))

        if not tap.step("the tree shows the qemu+ssh server connected and %s running under it" % NAME,
                        listed):
            return tap.finish()

        def showing_named(role, name):
            return lib_gui.find_one(tree.frame, lambda n: n.getRole() == role and n.name == name
                                    and lib_gui.is_showing(n, pyatspi))

        def keys_on_tree(keys):
            check(tree.select(NAME), "the tree refused to select %s" % NAME)
            lib_gui.wait_until(lambda: tree.selected() == [NAME], 5, "%s selected" % NAME)
            tree.table.queryComponent().grabFocus()
            lib_gui.wait_until(lambda: tree.table.getState().contains(pyatspi.STATE_FOCUSED), 5,
                               "the tree focused")
            lib_gui.xdotool("key", keys)

        def screen_extents():
            """Where the screen is (x, y, width, height), asked of the accessible showing
            now: the one found before may have gone meanwhile (its Component then answers
            NotImplementedError)."""
            display = showing_named(pyatspi.ROLE_DRAWING_AREA, "Console of " + NAME)
            try:
                box = display.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
            except (AttributeError, NotImplementedError):
                return None
            return box.x, box.y, box.width, box.height

        def screen_shows():
            # The guest has booted (its ticks are in libvirt's serial log) and drawn its text.
            lib_gui.wait_until(lambda: "tick 2" in libvirtd.serial_text(NAME), BOOT_TIMEOUT,
                               "the guest's ticks in its serial log", lambda: libvirtd.serial_text(NAME)[-300:])
            keys_on_tree("ctrl+o")
            lib_gui.wait_until(lambda: showing_named(pyatspi.ROLE_DRAWING_AREA, "Console of " + NAME),
                               FIND_TIMEOUT, "%s's screen" % NAME, what_shows)

            def connected():
                button = showing_named(pyatspi.ROLE_PUSH_BUTTON, "Screenshot")
                return button is not None and button.getState().contains(pyatspi.STATE_SENSITIVE)
            lib_gui.wait_until(connected, 60, "the screen connected (Screenshot offered)", what_shows)
            x, y, width, height = lib_gui.wait_until(screen_extents, 10, "where the screen is", what_shows)
            check(width >= 64 and height >= 64, "the screen is %dx%d" % (width, height))
            seen = lib_gui.wait_for(lambda: colours_in(session.display, x, y, width, height) > 1, 30, 1.0)
            print("# screen %dx%d at %d,%d: %d colours" % (width, height, x, y,
                                                         colours_in(session.display, x, y, width, height)))
            check(seen, "the screen is one colour; log:\n%s" % app_log_text())

        tap.step("Ctrl+O opens %s's screen through the SSH tunnel, and it is not blank" % NAME, screen_shows)

        def serial_ticks():
            keys_on_tree("ctrl+shift+o")
            terminal = lib_gui.wait_until(lambda: showing_named(pyatspi.ROLE_TERMINAL, "Serial console of " + NAME),
                                          FIND_TIMEOUT, "a terminal 'Serial console of %s'" % NAME, app_log_text)

            def ticks():
                text = terminal.queryText()
                numbers = [int(n) for n in TICK_RE.findall(text.getText(0, text.characterCount))]
                return len(numbers) >= 2 and numbers[-1] > numbers[0]
            lib_gui.wait_until(ticks, 60, "ticks counting up in the serial console",
                               lambda: terminal.queryText().getText(0, -1).strip()[-300:] + "\n" + what_shows())

        tap.step("Ctrl+Shift+O opens its serial console, which shows the guest's ticks", serial_ticks)

        def quits_cleanly():
            app.terminate()
            app.wait(10)
            log = app.log_text()
            check("CRITICAL" not in log and "WARNING" not in log, "domus said:\n%s" % log)

        tap.step("domus ends without a warning", quits_cleanly)
    finally:
        if app is not None:
            app.quit()
        if session is not None:
            session.stop()
        sshd.kill()
        libvirtd.stop()
        if tap.failed == 0:
            shutil.rmtree(base, ignore_errors=True)
        else:
            print("# kept for a look: " + base)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
