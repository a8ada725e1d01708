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
- Type Clipboard with a desktop clipboard of the test's own (a GTK process owning it): on
  screened's screen the text arrives as key presses, upper case and symbols included (the
  guest echoes the line typed on its screen as "key: LINE"); on quiet's serial console over
  1,000 characters it asks first, Cancel types nothing, Type sends them all ("serial: …");
  the Share Clipboard switch is off to begin with;
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
from lib_domus import Daemon, Failure, Tap, check, ctl_ok, guest_cfg  # noqa: E402
from lib_qemu import READY_LINE, make_temp_dir, ticks_in  # noqa: E402
from lib_sshd import Sshd  # noqa: E402

GUEST_DIR = sys.argv[1]
DOMUS = sys.argv[2]
FIND_TIMEOUT = 30.0
SYSTEM_PYTHON = "/usr/bin/python3"   # python3-gi and GTK's typelib, to own the clipboard

CLIPBOARD_OWNER = """import sys
import gi
gi.require_version("Gtk", "3.0")
from gi.repository import Gdk, GLib, Gtk
text = open(sys.argv[1], encoding="utf-8").read()
clipboard = Gtk.Clipboard.get(Gdk.SELECTION_CLIPBOARD)
clipboard.set_text(text, -1)
GLib.idle_add(lambda: print("owned", flush=True))
Gtk.main()
"""
BOOT_TIMEOUT = 120.0
HOST_NAME = "testhost"


def serial_log(root, name):
    try:
        with open(os.path.join(root, "run", name, "serial.log"), errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def log_around(text, marker, before=300, after=200):
    """What a serial log shows around the first marker (and whether it has it at all)."""
    at = text.find(marker)
    if at < 0:
        return "(no %r) …%s" % (marker, text[-before:])
    return "…%s[%s]…%s" % (text[max(0, at - before):at], marker, text[at + len(marker) + 1200:][:after])


TICK_CHARS = set("tick 0123456789\r\n")


def echo_mismatch(text, line):
    """None when the guest echoed line as "serial: LINE", else where it differs. The guest's
    tick lines go to the same port from another process and the tty may cut one into the
    middle of a long echo, even split: the echo must hold line's characters in order with
    nothing between them but what tick lines are made of."""
    at = text.find("serial: " + line[:20])
    if at < 0:
        return log_around(text, line[:5])
    rest = text[at + len("serial: "):]
    matched = 0
    for i, c in enumerate(rest):
        if matched == len(line):
            return None
        if c == line[matched]:
            matched += 1
        elif matched > 0 and c == line[matched - 1]:
            # QEMU's serial.log (the chardev's logfile) sometimes holds one byte of the
            # guest's output twice when the machine is loaded: seen in both the tty's echo
            # and the guest's "serial:" line, at different places of the same input, so
            # the input itself was sent once. The order of every character is still checked.
            continue
        elif c not in TICK_CHARS:
            return "the echo differs at %d: %r for %r" % (matched, rest[max(0, i - 30):i + 30],
                                                         line[max(0, matched - 30):matched + 30])
    if matched == len(line):
        return None
    return "the echo stops after %d of %d characters: %r" % (matched, len(line), rest[-60:])


def echoed(text, line):
    return echo_mismatch(text, line) is None


def new_boot_ticking(ticks, old_last):
    """The newest ticks count up from below where the old guest had got: a new boot. (The
    terminal still shows the old guest's lines above them.)"""
    return counting(ticks) and ticks[-1] < old_last


def counting(ticks, at_least=3):
    """The last at_least ticks count up by one."""
    tail = ticks[-at_least:]
    return len(tail) == at_least and all(b == a + 1 for a, b in zip(tail, tail[1:]))


class ClipboardOwner:
    """A GTK process of the test's own holding text as the desktop's clipboard (the test's X
    server has no clipboard manager: the owner must stay), ended by its PID."""

    def __init__(self, root, env, text):
        self.text_path = os.path.join(root, "clipboard.txt")
        with open(self.text_path, "w", encoding="utf-8") as f:
            f.write(text)
        script = os.path.join(root, "clipboard-owner.py")
        with open(script, "w") as f:
            f.write(CLIPBOARD_OWNER)
        env = dict(env)
        env.pop("G_MESSAGES_DEBUG", None)
        self.proc = subprocess.Popen([SYSTEM_PYTHON, script, self.text_path], env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        line = self.proc.stdout.readline()
        check(line.strip() == b"owned", "the clipboard owner did not start: %r" % line)

    def stop(self):
        if self.proc.poll() is None:
            lib_gui.end_pids([self.proc.pid])
        self.proc.wait()


def main():
    tap = Tap()
    root = make_temp_dir("domus-serial-")
    session = daemon = app = sshd = owner = None
    try:
        daemon = Daemon(root, name=HOST_NAME).wait_listening()

        def guests_run():
            quiet = guest_cfg(GUEST_DIR, "quiet").replace("vnc = 1\n", "vnc = 0\n")
            check("vnc = 0" in quiet, "the guest config has no vnc line to switch off")
            for name, text in (("quiet", quiet), ("screened", guest_cfg(GUEST_DIR, "screened"))):
                path = os.path.join(root, name + ".cfg")
                with open(path, "w") as f:
                    f.write(text)
                ctl_ok(daemon.uri, "create", path, timeout=120)

        if not tap.step("the daemon runs quiet (vnc = 0) and screened (vnc = 1)", guests_run):
            return tap.finish()

        session = lib_gui.Session(root).start()
        import pyatspi  # noqa: E402 - after the session: it connects to the buses in os.environ

        env = session.env()
        env["G_DEBUG"] = "fatal-warnings"
        env["LC_ALL"] = "C.UTF-8"
        env.pop("SSH_AUTH_SOCK", None)
        app = lib_gui.App([DOMUS, "--connect", daemon.uri, "--console", "quiet"], env,
                          os.path.join(root, "domus.log"))
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
            ctl_ok(daemon.uri, "destroy", "quiet")
            status = lib_gui.wait_until(
                lambda: lib_gui.find_one(window.frame, lambda n: n.getRole() == pyatspi.ROLE_LABEL
                                         and n.name.startswith("The console was disconnected")
                                         and lib_gui.is_showing(n, pyatspi)),
                20, "the console saying it was disconnected")
            check("not running" in status.name or "closed" in status.name, "it says %r" % status.name)
            ctl_ok(daemon.uri, "start", "quiet", timeout=120)
            # The new boot counts from 1 again: its three newest ticks count up below the old
            # guest's last.
            # (A serial port keeps nothing while no one listens, so the kernel's first lines
            # may come before the console is back; the ticks come every second.)
            lib_gui.wait_until(lambda: new_boot_ticking(ticks_in(terminal_text(terminal).splitlines()),
                                                        before[-1]),
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

        def press_button(name):
            button = lib_gui.wait_until(lambda: showing_named(pyatspi.ROLE_PUSH_BUTTON, name), 10,
                                        "a showing button %r" % name)
            button.queryAction().doAction(0)

        def showing_named(role, name):
            return lib_gui.find_one(window.frame, lambda n: n.getRole() == role and n.name == name
                                    and lib_gui.is_showing(n, pyatspi))

        def type_clipboard_on_screen():
            nonlocal owner
            check(window.select("screened"), "the tree refused to select screened")
            window.table.queryComponent().grabFocus()
            lib_gui.wait_until(lambda: window.table.getState().contains(pyatspi.STATE_FOCUSED), 5,
                               "the tree focused")
            lib_gui.xdotool("key", "ctrl+o")
            lib_gui.wait_until(lambda: showing_named(pyatspi.ROLE_DRAWING_AREA, "Console of screened"),
                               FIND_TIMEOUT, "screened's screen")
            share = lib_gui.wait_until(lambda: showing_named(pyatspi.ROLE_TOGGLE_BUTTON, "Share Clipboard"),
                                       10, "a Share Clipboard switch")
            check(not share.getState().contains(pyatspi.STATE_CHECKED),
                  "Share Clipboard is on before anyone switched it on")
            owner = ClipboardOwner(root, env, "Hello, Domus 42!\n")
            press_button("Type Clipboard")
            lib_gui.wait_until(lambda: "key: Hello, Domus 42!" in serial_log(root, "screened"), 60,
                               "'key: Hello, Domus 42!' on screened's serial port",
                               lambda: serial_log(root, "screened")[-300:])
            owner.stop()
            owner = None

        tap.step("Type Clipboard types the desktop's text on a guest's screen, Shift and symbols "
                 "included; Share Clipboard is off at first", type_clipboard_on_screen)

        def type_clipboard_long_on_serial():
            nonlocal owner
            check(window.select("quiet"), "the tree refused to select quiet")
            window.table.queryComponent().grabFocus()
            lib_gui.xdotool("key", "ctrl+o")
            lib_gui.wait_until(lambda: terminal_named("Serial console of quiet"), FIND_TIMEOUT,
                               "quiet's serial console in front")
            long_line = "".join("w%04d" % i for i in range(240))   # 1200 characters
            owner = ClipboardOwner(root, env, long_line + "\n")
            question = "Type 1201 characters into quiet?"
            press_button("Type Clipboard")
            lib_gui.wait_until(lambda: lib_gui.find_one(window.app, lambda n: n.name == question), 10,
                               "the question %r" % question)
            cancel = lib_gui.find_one(window.app, lambda n: n.getRole() == pyatspi.ROLE_PUSH_BUTTON
                                      and n.name == "Cancel")
            cancel.queryAction().doAction(0)
            lib_gui.wait_until(lambda: lib_gui.find_one(window.app, lambda n: n.name == question) is None,
                               10, "the question gone after Cancel")
            check(long_line not in serial_log(root, "quiet"), "Cancel typed the text anyway")
            press_button("Type Clipboard")
            lib_gui.wait_until(lambda: lib_gui.find_one(window.app, lambda n: n.name == question), 10,
                               "the question again")
            lib_gui.find_one(window.app, lambda n: n.getRole() == pyatspi.ROLE_PUSH_BUTTON
                             and n.name == "Type").queryAction().doAction(0)
            lib_gui.wait_until(lambda: echoed(serial_log(root, "quiet"), long_line), 60,
                               "the 1200 characters echoed by the guest ('serial: w0000…w0239')",
                               lambda: (echo_mismatch(serial_log(root, "quiet"), long_line), [
                                   n.name for n in lib_gui.find_all(window.frame, lambda n: n.getRole()
                                                                    == pyatspi.ROLE_LABEL
                                                                    and lib_gui.is_showing(n, pyatspi))]))
            owner.stop()
            owner = None

        tap.step("Type Clipboard over 1,000 characters asks first: Cancel types nothing, Type sends "
                 "them to the serial console", type_clipboard_long_on_serial)

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
            app = lib_gui.App([DOMUS, "--connect", uri, "--console", "quiet"], env,
                              os.path.join(root, "domus-ssh.log"))
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
        if owner is not None:
            owner.stop()
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
