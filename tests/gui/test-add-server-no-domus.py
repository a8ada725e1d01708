#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Add Server to an SSH host without Domus: the window says what to install there (AT-SPI).

Usage: test-add-server-no-domus.py DOMUS   (DOMUS_BUILD_DIR from the environment)

A real OpenSSH server on a loopback port (throwaway keys) whose sessions get a PATH with no
domusctl in it; the window (`domus --connect` to a domusd of the test's own, under an Xvfb
and a session bus of the test's own, with G_DEBUG=fatal-warnings) knows the server's host
key (a HOME of its own). Through AT-SPI, as a screen reader user: Add Server, "Another
computer, over SSH", the host, port and key file, Add. The new server's page then shows,
read through AT-SPI, that Domus is not installed there with the package to install and the
unit to enable, and that Reconnect comes next (the button is there); it does not say it
tries again by itself. Everything
started here is ended by PID. Output is TAP.
"""

import os
import shutil
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import lib_gui  # noqa: E402
from lib_domus import Daemon, Tap, check  # noqa: E402
from lib_qemu import make_temp_dir  # noqa: E402
from lib_sshd import sshd_without_domus  # noqa: E402

DOMUS = sys.argv[1]
FIND_TIMEOUT = 20.0


def main():
    tap = Tap()
    root = make_temp_dir("domus-gui-nodomus-")
    session = daemon = app = sshd = None
    app_log_path = os.path.join(root, "domus.log")
    try:
        os.makedirs(os.path.join(root, "local"))
        daemon = Daemon(os.path.join(root, "local"), name="testhost").wait_listening()
        sshd = sshd_without_domus(root)
        home = os.path.join(root, "home")
        os.makedirs(os.path.join(home, ".ssh"), mode=0o700)
        sshd.write_known_hosts(os.path.join(home, ".ssh", "known_hosts"))
        label = "[127.0.0.1]:%d" % sshd.port

        session = lib_gui.Session(root).start()
        import pyatspi  # noqa: E402 - after the session: it connects to the buses in os.environ

        env = session.env()
        env["G_DEBUG"] = "fatal-warnings"
        env["LC_ALL"] = "C.UTF-8"
        env["HOME"] = home
        env.pop("SSH_AUTH_SOCK", None)   # the key file given in the dialog, nothing else
        app = lib_gui.App([DOMUS, "--connect", daemon.uri], env, app_log_path)
        window = lib_gui.DomusTree(pyatspi)

        def window_found():
            check(lib_gui.wait_for(window.find, FIND_TIMEOUT),
                  "no window 'Domus' with the tree 'Servers' in %.0f s:\n%s"
                  % (FIND_TIMEOUT, app.log_text()))

        if not tap.step("AT-SPI shows the window and the server tree", window_found):
            return tap.finish()

        def dialog():
            return lib_gui.find_one(window.app, lambda n: n.getRole() == pyatspi.ROLE_DIALOG
                                    and n.name == "Add Server" and lib_gui.is_showing(n, pyatspi))

        def add_ssh_server():
            add = lib_gui.wait_for(lambda: window.showing(pyatspi.ROLE_PUSH_BUTTON, "Add Server"), 5)
            check(add, "no Add Server button")
            add.queryAction().doAction(0)
            form = lib_gui.wait_for(dialog, 5)
            check(form, "Add Server opened no dialog")

            def field(role, name):
                return lib_gui.find_one(form, lambda n: n.getRole() == role and n.name == name)

            combo = lib_gui.find_one(form, lambda n: n.getRole() == pyatspi.ROLE_COMBO_BOX)
            host = field(pyatspi.ROLE_TEXT, "Host")
            port = field(pyatspi.ROLE_SPIN_BUTTON, "Port")
            keyfile = field(pyatspi.ROLE_TEXT, "Key file")
            confirm = field(pyatspi.ROLE_PUSH_BUTTON, "Add")
            check(combo and host and port and keyfile and confirm,
                  "the dialog lacks the server kind, Host, Port, Key file or Add")
            combo.querySelection().selectChild(1)    # Another computer, over SSH
            host.queryEditableText().setTextContents("127.0.0.1")
            port.queryValue().currentValue = float(sshd.port)
            keyfile.queryEditableText().setTextContents(sshd.client_key)
            check(lib_gui.wait_for(lambda: confirm.getState().contains(pyatspi.STATE_SENSITIVE), 5),
                  "Add is not offered for 127.0.0.1 port %d" % sshd.port)
            confirm.queryAction().doAction(0)
            check(lib_gui.wait_for(lambda: dialog() is None, 5), "the dialog stayed")

        if not tap.step("Add Server: another computer over SSH (host, port, key file), Add",
                        add_ssh_server):
            return tap.finish()

        def hint_label():
            return lib_gui.find_one(window.frame, lambda n: n.getRole() == pyatspi.ROLE_LABEL
                                    and "Domus is not installed on %s" % label in n.name
                                    and lib_gui.is_showing(n, pyatspi))

        def install_hint_shown():
            found = lib_gui.wait_for(hint_label, FIND_TIMEOUT)
            shown = [n.name for n in lib_gui.find_all(
                window.frame, lambda n: n.getRole() == pyatspi.ROLE_LABEL and n.name
                and lib_gui.is_showing(n, pyatspi))]
            check(found, "no label says Domus is not installed on %s; the labels showing: %r\n%s"
                  % (label, shown, app.log_text()))
            text = found.name
            for part in ("the command “domusctl” was not found there",
                         "install the package domusd", "sudo apt install ./domusd_",
                         "sudo systemctl enable --now domusd.socket"):
                check(part in text, "%r is not in %r" % (part, text))
            check("Trying again" not in text and "Connecting again" not in text,
                  "it says it retries by itself: %r" % text)
            check(text.startswith("Domus is not installed") and text.endswith("Then press Reconnect."),
                  "not the hint and what to do next, alone: %r" % text)
            check(window.showing(pyatspi.ROLE_PUSH_BUTTON, "Reconnect") is not None,
                  "no Reconnect button beside it")

        tap.step("the server's page says Domus is not installed there, what to install and "
                 "enable, and offers Reconnect", install_hint_shown)

        def still_running():
            log = app.log_text()
            check(app.poll() is None, "domus ended (status %s):\n%s" % (app.returncode, log))
            check("CRITICAL" not in log and "WARNING" not in log, "domus said:\n" + log)

        tap.step("domus still runs and said nothing on the way", still_running)
    finally:
        if app is not None and app.poll() is None:
            lib_gui.end_pids([app.pid] + list(reversed(lib_gui.descendants(app.pid))))
        if session is not None:
            session.stop()
        if sshd is not None:
            sshd.kill()
        if daemon is not None:
            daemon.stop()
        shutil.rmtree(root, ignore_errors=True)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
