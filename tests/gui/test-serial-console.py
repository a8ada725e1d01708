#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The serial console in the window, against a real domusd and QEMU, locally and over SSH.

Usage: test-serial-console.py GUEST_DIR DOMUS   (DOMUS_BUILD_DIR from the environment)

A domusd with --root in a fresh folder runs the test guest as "quiet" with vnc = 0 (no
screen: the article's Listing 1 had none), and as "screened" with one. `domus --connect URI
--console quiet` runs under an Xvfb and a session bus of the test's own, with
G_DEBUG=fatal-warnings. Checked through AT-SPI, as a screen reader reads it, and with keys
typed through the X server (xdotool):

- --console on a guest without a screen opens its serial console: a tab "quiet on testhost
  (serial)" whose terminal's accessible text shows the guest's counting `tick` lines;
- text typed into the terminal reaches the guest's serial port (the test guest echoes each
  line as "serial: LINE"), seen in its serial log and in the terminal;
- the domain destroyed and started again: the tab says so, then reconnects by itself, and
  the new boot's lines show;
- Ctrl+Shift+O on "screened" (which has a screen) opens its serial console as a tab of its own;
- over SSH (a real sshd on loopback, the same daemon) --console quiet shows the ticks too.

Everything started here is ended by PID. Output is TAP.
"""

import os
import subprocess
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import lib_gui  # noqa: E402
from lib_domus import DOMUSCTL, Daemon, Failure, Tap, check, guest_cfg  # noqa: E402
from lib_qemu import READY_LINE, make_temp_dir, ticks_in  # noqa: E402
from lib_sshd import Sshd  # noqa: E402

GUEST_DIR = sys.argv[1]
DOMUS = sys.argv[2]
FIND_TIMEOUT = 30.0
BOOT_TIMEOUT = 120.0
HOST_NAME = "testhost"


def ctl(uri, *args, timeout=60):
    return subprocess.run([DOMUSCTL, "-c", uri] + list(args), capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=timeout)


def serial_log(root, name):
    try:
        with open(os.path.join(root, "run", name, "serial.log"), errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def counting(ticks, at_least=3):
    """The last at_least ticks count up by one."""
    tail = ticks[-at_least:]
    return len(tail) == at_least and all(b == a + 1 for a, b in zip(tail, tail[1:]))


class App:
    """One domus process and its log."""

    def __init__(self, root, env, args, log_name):
        self.log_path = os.path.join(root, log_name)
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([DOMUS] + args, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def log_text(self):
        self.log.flush()
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def quit(self):
        if self.proc.poll() is None:
            lib_gui.end_pids([self.proc.pid])
        self.proc.wait()
        self.log.close()


def main():
    tap = Tap()
    root = make_temp_dir("domus-serial-")
    session = daemon = app = sshd = None
    try:
        daemon = Daemon(root, name=HOST_NAME).wait_listening()

        def guests_run():
            quiet = guest_cfg(GUEST_DIR, "quiet").replace("vnc = 1\n", "vnc = 0\n")
            check("vnc = 0" in quiet, "the guest config has no vnc line to switch off")
            for name, text in (("quiet", quiet), ("screened", guest_cfg(GUEST_DIR, "screened"))):
                path = os.path.join(root, name + ".cfg")
                with open(path, "w") as f:
                    f.write(text)
                r = ctl(daemon.uri, "create", path, timeout=120)
                check(r.returncode == 0, "create %s: %s" % (name, r.stderr))

        if not tap.step("the daemon runs quiet (vnc = 0) and screened (vnc = 1)", guests_run):
            return tap.finish()

        session = lib_gui.Session(root).start()
        import pyatspi  # noqa: E402 - after the session: it connects to the buses in os.environ

        env = session.env()
        env["G_DEBUG"] = "fatal-warnings"
        env["LC_ALL"] = "C.UTF-8"
        env.pop("SSH_AUTH_SOCK", None)
        app = App(root, env, ["--connect", daemon.uri, "--console", "quiet"], "domus.log")
        window = lib_gui.DomusTree(pyatspi)
        state = {}

        def terminal_named(name):
            return lib_gui.find_one(window.frame, lambda n: n.getRole() == pyatspi.ROLE_TERMINAL
                                    and n.name == name and lib_gui.is_showing(n, pyatspi))

        def terminal_text(node):
            text = node.queryText()
            return text.getText(0, text.characterCount)

        def serial_tab_shows_ticks():
            found = lib_gui.wait_for(window.find, FIND_TIMEOUT)
            check(found, "no domus window in %.0f s:\n%s" % (FIND_TIMEOUT, app.log_text()))
            terminal = lib_gui.wait_until(lambda: terminal_named("Serial console of quiet"),
                                          FIND_TIMEOUT, "a terminal 'Serial console of quiet'")
            lib_gui.wait_until(lambda: counting(ticks_in(terminal_text(terminal).splitlines())),
                               BOOT_TIMEOUT, "three counting ticks in the terminal",
                               lambda: terminal_text(terminal)[-400:])
            tab = lib_gui.find_one(window.frame, lambda n: n.getRole() == pyatspi.ROLE_PAGE_TAB
                                   and n.name == "quiet on %s (serial)" % HOST_NAME)
            check(tab is not None, "no tab 'quiet on %s (serial)': %r" % (HOST_NAME, [
                n.name for n in lib_gui.find_all(window.frame,
                                                 lambda n: n.getRole() == pyatspi.ROLE_PAGE_TAB)]))
            check(terminal.description and "Shift+F12" in terminal.description,
                  "the terminal's description is %r" % terminal.description)
            state["terminal"] = terminal

        if not tap.step("--console on a guest without a screen opens its serial console: the "
                        "terminal's accessible text shows its ticks", serial_tab_shows_ticks):
            return tap.finish()

        def typed_text_reaches_guest():
            terminal = state["terminal"]
            extents = terminal.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
            lib_gui.move_pointer(extents.x + extents.width // 2, extents.y + extents.height // 2)
            lib_gui.xdotool("click", "1")
            lib_gui.wait_until(lambda: terminal.getState().contains(pyatspi.STATE_FOCUSED), 5,
                               "the terminal focused")
            lib_gui.xdotool("type", "--delay", "30", "hello-serial")
            lib_gui.xdotool("key", "Return")
            lib_gui.wait_until(lambda: "serial: hello-serial" in serial_log(root, "quiet"), 20,
                               "'serial: hello-serial' in the guest's serial log",
                               lambda: serial_log(root, "quiet")[-300:])
            lib_gui.wait_until(lambda: "serial: hello-serial" in terminal_text(terminal), 10,
                               "the guest's answer in the terminal")

        tap.step("text typed into the terminal reaches the guest's serial port", typed_text_reaches_guest)

        def status_lines():
            return [n.name for n in lib_gui.find_all(window.frame, lambda n: n.getRole() == pyatspi.ROLE_LABEL
                                                     and lib_gui.is_showing(n, pyatspi)
                                                     and ("console" in n.name or "again" in n.name
                                                          or "Waiting" in n.name or "Connect" in n.name))]

        def reconnects_after_restart():
            terminal = state["terminal"]
            # Old enough that the new boot's first ticks are told apart from the old ones.
            lib_gui.wait_until(lambda: ticks_in(terminal_text(terminal).splitlines())[-1:] >= [10],
                               60, "tick 10 in the terminal", lambda: terminal_text(terminal)[-200:])
            before = ticks_in(terminal_text(terminal).splitlines())
            r = ctl(daemon.uri, "destroy", "quiet")
            check(r.returncode == 0, "destroy quiet: %s" % r.stderr)
            status = lib_gui.wait_until(
                lambda: lib_gui.find_one(window.frame, lambda n: n.getRole() == pyatspi.ROLE_LABEL
                                         and n.name.startswith("The console was disconnected")
                                         and lib_gui.is_showing(n, pyatspi)),
                20, "the console saying it was disconnected")
            check("not running" in status.name or "closed" in status.name, "it says %r" % status.name)
            r = ctl(daemon.uri, "start", "quiet", timeout=120)
            check(r.returncode == 0, "start quiet: %s" % r.stderr)
            # The new boot counts from 1 again: three counting ticks below the old guest's last.
            # (A serial port keeps nothing while no one listens, so the kernel's first lines
            # may come before the console is back; the ticks come every second.)
            lib_gui.wait_until(lambda: counting([t for t in ticks_in(terminal_text(terminal).splitlines())
                                                 if t < before[-1]]),
                               BOOT_TIMEOUT, "the new boot's ticks in the terminal (the old "
                               "guest had reached tick %d)" % before[-1],
                               lambda: (terminal_text(terminal)[-200:], status_lines()))

        tap.step("destroyed and started again, the serial console reconnects by itself",
                 reconnects_after_restart)

        def serial_beside_screen():
            check(window.select("screened"), "the tree refused to select screened")
            lib_gui.wait_until(lambda: window.selected() == ["screened"], 5, "screened selected")
            tree = window.table.queryComponent()
            tree.grabFocus()
            lib_gui.wait_until(lambda: window.table.getState().contains(pyatspi.STATE_FOCUSED), 5,
                               "the tree focused")
            lib_gui.xdotool("key", "ctrl+shift+o")
            terminal = lib_gui.wait_until(lambda: terminal_named("Serial console of screened"),
                                          FIND_TIMEOUT, "a terminal 'Serial console of screened'")
            lib_gui.wait_until(lambda: counting(ticks_in(terminal_text(terminal).splitlines())),
                               BOOT_TIMEOUT, "ticks in screened's terminal")
            tab = lib_gui.find_one(window.frame, lambda n: n.getRole() == pyatspi.ROLE_PAGE_TAB
                                   and n.name == "screened on %s (serial)" % HOST_NAME)
            check(tab is not None, "no tab for screened's serial console")

        tap.step("Ctrl+Shift+O opens the serial console of a guest that has a screen too",
                 serial_beside_screen)

        def over_ssh():
            nonlocal app, sshd
            app.quit()
            app = None
            sshd_dir = os.path.join(root, "sshd")
            os.mkdir(sshd_dir, 0o700)
            sshd = Sshd(sshd_dir).start()
            known_hosts = os.path.join(root, "known_hosts")
            with open(sshd.host_key + ".pub") as f:
                kind, key = f.read().split()[:2]
            with open(known_hosts, "w") as f:
                f.write("[127.0.0.1]:%d %s %s\n" % (sshd.port, kind, key))
            uri = sshd.uri(known_hosts) + "&socket=" + daemon.socket_path
            app = App(root, env, ["--connect", uri, "--console", "quiet"], "domus-ssh.log")
            found = lib_gui.wait_for(window.find, FIND_TIMEOUT)
            check(found, "no domus window over SSH:\n%s" % app.log_text())
            terminal = lib_gui.wait_until(lambda: terminal_named("Serial console of quiet"),
                                          FIND_TIMEOUT, "the serial console over SSH",
                                          lambda: app.log_text()[-500:] + sshd.log()[-500:])
            lib_gui.wait_until(lambda: counting(ticks_in(terminal_text(terminal).splitlines())),
                               BOOT_TIMEOUT, "ticks over SSH", lambda: terminal_text(terminal)[-300:])

        tap.step("over SSH (an exec channel running domusctl bridge --serial) the serial console "
                 "shows the ticks", over_ssh)
    except Failure as e:
        tap.ok(False, "the test ran to its end", str(e))
    finally:
        if app is not None:
            app.quit()
        if sshd is not None:
            sshd.kill()
        if session is not None:
            session.stop()
        if daemon is not None:
            daemon.stop()
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
