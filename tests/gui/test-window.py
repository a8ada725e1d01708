#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Domus window as a screen reader sees it (AT-SPI), against a real domusd and QEMU.

Usage: test-window.py GUEST_DIR DOMUS   (DOMUS_BUILD_DIR from the environment)

A domusd with --root in a fresh folder gets three domains: "alpha" created (running the
test guest under TCG), "beta" only defined, and "gamma" defined with a kernel that is
not there. `domus --connect unix:ROOT/domusd.sock` runs under an Xvfb and a session bus
of the test's own, with G_DEBUG=fatal-warnings. Through AT-SPI, as a screen reader:

- the window, the server row and the domain rows by name, with their states; the filter;
- Pause on alpha's page (checked with domusctl), Resume from the context menu (Shift+F10),
  Ctrl+P (keys typed through XTest); gamma's refused start shown on its page;
- a second `domus` hands its --connect and --console to the first;
- the daemon killed: the row, the server page and alpha's page say so; a new daemon on
  the same root brings the host back;
- Destroy asks first, then destroys alpha;
- an unknown SSH host key (a real sshd) is shown with its fingerprint and accepted; the
  key's passphrase dialog goes away when the host is disconnected, Cancel refuses, and
  the passphrase typed in it connects;
- Add Server validates as one types and adds this computer (a session daemon started for
  it), whose menu removes it; app.quit ends domus with status 0 and nothing on stderr;
- a domus with no --connect starts and shows a session daemon (XDG folders of its own).

Everything started here is ended by PID. Output is TAP.
"""

import json
import os
import signal
import socket
import subprocess
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import lib_gui  # noqa: E402
from lib_domus import Daemon, Failure, Tap, check, ctl, ctl_ok, guest_cfg  # noqa: E402
from lib_qemu import make_temp_dir  # noqa: E402
from lib_sshd import Sshd, fingerprint  # noqa: E402

BUILD_DIR = os.environ["DOMUS_BUILD_DIR"]
GUEST_DIR = sys.argv[1]
DOMUS = sys.argv[2]
FIND_TIMEOUT = 20.0
HOST_NAME = "testhost"
PASSPHRASE = "gui s3cret"


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return ""


def domain_state(uri, name):
    r = ctl(uri, "list", "--all", "--json")
    if r.returncode != 0:
        return None
    for domain in json.loads(r.stdout):
        if domain["name"] == name:
            return domain["state"]
    return None


CONTROL_MASK = 1 << 2
SHIFT_MASK = 1 << 0
KEY_P = 0x70
KEY_O = 0x6f
KEY_W = 0x77
KEY_F10 = 0xffc7


def press(pyatspi, modifiers, keysym):
    """A key with modifiers, typed through the X server (XTest) as a user would."""
    registry = pyatspi.Registry
    registry.generateKeyboardEvent(modifiers, None, pyatspi.KEY_LOCKMODIFIERS)
    try:
        registry.generateKeyboardEvent(keysym, None, pyatspi.KEY_SYM)
    finally:
        registry.generateKeyboardEvent(modifiers, None, pyatspi.KEY_UNLOCKMODIFIERS)


class Window(lib_gui.DomusTree):
    """The running domus as AT-SPI shows it, with this test's questions about it."""

    def rows(self):
        """{name: (row index, state text)}; the first row of a name when several have it."""
        rows = {}
        for index, (name, state) in enumerate(self.all_rows()):
            rows.setdefault(name, (index, state))
        return rows

    def state_of(self, name):
        entry = self.rows().get(name)
        return entry[1] if entry else None

    def showing_label_starting(self, prefix):
        pyatspi = self.pyatspi
        return lib_gui.find_one(self.frame, lambda n: n.getRole() == pyatspi.ROLE_LABEL
                                and n.name.startswith(prefix) and lib_gui.is_showing(n, pyatspi))

    def sensitive(self, node):
        return node.getState().contains(self.pyatspi.STATE_SENSITIVE)


def main():
    tap = Tap()
    root = make_temp_dir("domus-gui-")
    session = daemon = app = sshd = None
    session_daemons = []
    app_log_path = os.path.join(root, "domus.log")
    try:
        daemon = Daemon(root, name=HOST_NAME).wait_listening()
        for name in ("alpha", "beta"):
            with open(os.path.join(root, name + ".cfg"), "w") as f:
                f.write(guest_cfg(GUEST_DIR, name, "tags = ['webfarm']\n" if name == "beta" else ""))
        with open(os.path.join(root, "gamma.cfg"), "w") as f:
            f.write(guest_cfg(os.path.join(root, "no-such-folder"), "gamma"))

        def set_up_domains():
            ctl_ok(daemon.uri, "define", os.path.join(root, "beta.cfg"))
            # A kernel that is not there: defining is fine, starting fails.
            ctl_ok(daemon.uri, "define", os.path.join(root, "gamma.cfg"))
            ctl_ok(daemon.uri, "create", os.path.join(root, "alpha.cfg"), timeout=120)

        if not tap.step("the daemon has alpha running, beta and gamma defined", set_up_domains):
            return tap.finish()

        session = lib_gui.Session(root).start()
        import pyatspi  # noqa: E402 - after the session: it connects to the buses in os.environ

        env = session.env()
        env["G_DEBUG"] = "fatal-warnings"
        env["LC_ALL"] = "C.UTF-8"
        env.pop("SSH_AUTH_SOCK", None)   # the passphrase must be asked, not an agent used
        # "local" (Add Server, or no --connect) starts this build's domusd, without the KVM probe.
        env["DOMUS_DOMUSD"] = os.path.join(BUILD_DIR, "hvcore", "domusd")
        env["DOMUS_ACCEL"] = "tcg"
        app = lib_gui.App([DOMUS, "--connect", daemon.uri], env, app_log_path)
        window = Window(pyatspi)
        state = {}

        def window_found():
            found = lib_gui.wait_for(window.find, FIND_TIMEOUT)
            check(found, "no application 'domus' with a frame 'Domus' and a tree 'Servers' in %.0f s"
                  " (domus %s):\n%s" % (FIND_TIMEOUT, "running" if app.poll() is None
                                        else "exited with %s" % app.returncode, app.log_text()))

            state["first_size"] = window_size()

        def window_size():
            extents = window.frame.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
            return extents.width, extents.height

        if not tap.step("AT-SPI shows the application, its window 'Domus' and the server tree",
                        window_found):
            return tap.finish()

        def rows_listed():
            wanted = (HOST_NAME, "alpha", "beta")
            ok = lib_gui.wait_for(lambda: all(n in window.rows() for n in wanted)
                                  and window.state_of(HOST_NAME) == "connected", FIND_TIMEOUT)
            check(ok, "rows after %.0f s: %r" % (FIND_TIMEOUT, window.rows()))
            rows = window.rows()
            check(rows[HOST_NAME][0] < rows["alpha"][0] < rows["beta"][0],
                  "the domains are not under their server, by name: %r" % rows)

        tap.step("the server row and both domain rows carry their names", rows_listed)

        def states_shown():
            check(window.state_of("alpha") in ("running", "blocked"),
                  "alpha shows %r" % window.state_of("alpha"))
            check(window.state_of("beta") == "shut off", "beta shows %r" % window.state_of("beta"))

        tap.step("the rows show the domains' states", states_shown)

        def filter_by_name_and_state():
            entry = lib_gui.find_one(window.frame, lambda n: n.getRole() == pyatspi.ROLE_TEXT
                                     and n.name == "Filter")
            check(entry is not None, "no text field named 'Filter'")
            text = entry.queryEditableText()
            text.setTextContents("alp")
            ok = lib_gui.wait_for(lambda: set(window.rows()) == {HOST_NAME, "alpha"}, 5)
            check(ok, "filtered by 'alp' the tree shows %r" % window.rows())
            text.setTextContents("shut off")
            ok = lib_gui.wait_for(lambda: set(window.rows()) == {HOST_NAME, "beta", "gamma"}, 5)
            check(ok, "filtered by 'shut off' the tree shows %r" % window.rows())
            text.setTextContents("webfarm")
            ok = lib_gui.wait_for(lambda: set(window.rows()) == {HOST_NAME, "beta"}, 5)
            check(ok, "filtered by the tag 'webfarm' the tree shows %r" % window.rows())
            text.setTextContents("")
            ok = lib_gui.wait_for(lambda: {HOST_NAME, "alpha", "beta"} <= set(window.rows()), 5)
            check(ok, "with no filter the tree shows %r" % window.rows())

        tap.step("the filter keeps matching names, states and tags, and their server", filter_by_name_and_state)

        def pause_through_the_page():
            check(window.select("alpha"), "the tree refused to select alpha")
            title = lib_gui.wait_for(lambda: window.showing(pyatspi.ROLE_LABEL, "alpha"), 5)
            check(title, "no domain page showing 'alpha' after selecting its row")
            pause = lib_gui.wait_for(lambda: window.showing(pyatspi.ROLE_PUSH_BUTTON, "Pause"), 5)
            check(pause, "no Pause button showing")
            resume = window.showing(pyatspi.ROLE_PUSH_BUTTON, "Resume")
            check(resume is not None and not window.sensitive(resume),
                  "Resume is offered for a running domain")
            check(lib_gui.wait_for(lambda: window.sensitive(pause), 5), "Pause is not sensitive")
            pause.queryAction().doAction(0)
            paused = lib_gui.wait_for(lambda: domain_state(daemon.uri, "alpha") == "paused", 15)
            check(paused, "domusctl list shows alpha %r" % domain_state(daemon.uri, "alpha"))
            shown = lib_gui.wait_for(lambda: window.state_of("alpha") == "paused", 5)
            check(shown, "alpha's row shows %r" % window.state_of("alpha"))
            check(lib_gui.wait_for(lambda: window.sensitive(resume) and not window.sensitive(pause), 5),
                  "after pausing, Resume is not offered or Pause still is")

        tap.step("Pause on alpha's page pauses it in the daemon, and the row follows",
                 pause_through_the_page)

        def resume_from_context_menu():
            check(window.table.queryComponent().grabFocus(), "the tree did not take the focus")
            press(pyatspi, SHIFT_MASK, KEY_F10)
            items = lib_gui.wait_for(lambda: {m.name: m for m in lib_gui.find_all(
                window.app, lambda n: n.getRole() == pyatspi.ROLE_MENU_ITEM
                and lib_gui.is_showing(n, pyatspi))}, 5)
            check(items, "Shift+F10 on alpha's row opened no menu")
            offered = sorted(name for name, item in items.items() if window.sensitive(item))
            # Add Tag is there for any domain; Remove Tag only for one with tags (alpha has none);
            # a paused domain can be saved (xm save).
            check(offered == ["Add Tag…", "Destroy…", "Open Console", "Open Serial Console", "Resume", "Save…"],
                  "the menu of a paused domain offers %r" % offered)
            items["Resume"].queryAction().doAction(0)
            running = lib_gui.wait_for(lambda: domain_state(daemon.uri, "alpha") in ("running", "blocked"), 15)
            check(running, "domusctl list shows alpha %r" % domain_state(daemon.uri, "alpha"))

        tap.step("the context menu offers what a paused domain accepts, and Resume resumes it",
                 resume_from_context_menu)

        def pause_with_shortcut():
            check(lib_gui.wait_for(lambda: window.state_of("alpha") in ("running", "blocked"), 5),
                  "alpha's row shows %r" % window.state_of("alpha"))
            press(pyatspi, CONTROL_MASK, KEY_P)
            paused = lib_gui.wait_for(lambda: domain_state(daemon.uri, "alpha") == "paused", 15)
            check(paused, "after Ctrl+P domusctl list shows alpha %r" % domain_state(daemon.uri, "alpha"))

        tap.step("Ctrl+P pauses the selected domain", pause_with_shortcut)

        def select_tab(name):
            tab = lib_gui.wait_for(lambda: window.showing(pyatspi.ROLE_PAGE_TAB, name), 5)
            check(tab, "no %r tab showing" % name)
            tabs = tab.parent
            index = [tabs.getChildAtIndex(i) for i in range(tabs.childCount)].index(tab)
            check(tabs.querySelection().selectChild(index), "the %r tab could not be selected" % name)

        alpha_tab = "alpha on " + HOST_NAME

        def console_tabs(name):
            return lib_gui.find_all(window.frame, lambda n: n.getRole() == pyatspi.ROLE_PAGE_TAB
                                    and n.name == name)

        def consoles_toggle(shown):
            """The header bar's Consoles toggle: its state says whether the consoles show."""
            button = lib_gui.wait_for(lambda: window.showing(pyatspi.ROLE_TOGGLE_BUTTON, "Consoles"), 5)
            check(button, "no Consoles toggle in the header bar")
            ok = lib_gui.wait_for(lambda: button.getState().contains(pyatspi.STATE_CHECKED) == shown, 5)
            check(ok, "the Consoles toggle is %s" % ("off" if shown else "on"))
            return button

        def console_tab():
            check(window.select("alpha"), "the tree refused to select alpha")
            select_tab("Console")
            tab = lib_gui.wait_for(lambda: window.showing(pyatspi.ROLE_PAGE_TAB, alpha_tab), 10)
            check(tab, "no %r tab showing among the consoles" % alpha_tab)
            display = lib_gui.wait_for(lambda: window.showing(pyatspi.ROLE_DRAWING_AREA, "Console of alpha")
                                       or lib_gui.find_one(window.frame, lambda n: n.name == "Console of alpha"
                                                           and lib_gui.is_showing(n, pyatspi)), 20)
            check(display, "no 'Console of alpha' showing in its tab")
            connected = lib_gui.wait_for(lambda: not window.showing_label_starting("Connecting")
                                         and not window.showing_label_starting("The console"), 20)
            check(connected, "the console still says it is connecting, or could not connect")
            # The screen has the keyboard: the window's shortcuts are the guest's keys now.
            press(pyatspi, CONTROL_MASK | SHIFT_MASK, KEY_P)
            resumed = lib_gui.wait_for(lambda: domain_state(daemon.uri, "alpha") != "paused", 3)
            check(not resumed, "Ctrl+Shift+P typed into alpha's screen resumed alpha: %r"
                  % domain_state(daemon.uri, "alpha"))
            consoles_toggle(True).queryAction().doAction(0)
            check(lib_gui.wait_for(lambda: window.showing(pyatspi.ROLE_PAGE_TAB, "Configuration"), 5),
                  "turning the Consoles toggle off did not go back to alpha's page")

        tap.step("alpha's Console tab opens its console in a tab 'alpha on testhost', connected; "
                 "the Consoles toggle goes back to the page", console_tab)

        def open_console_again():
            consoles_toggle(False)
            check(window.table.queryComponent().grabFocus(), "the tree did not take the focus")
            press(pyatspi, CONTROL_MASK, KEY_O)
            check(lib_gui.wait_for(lambda: window.showing(pyatspi.ROLE_PAGE_TAB, alpha_tab), 5),
                  "Ctrl+O did not show alpha's console tab")
            check(len(console_tabs(alpha_tab)) == 1,
                  "%d tabs %r after opening alpha's console twice" % (len(console_tabs(alpha_tab)), alpha_tab))
            check(lib_gui.find_one(window.frame, lambda n: n.name == "Console of alpha"
                                   and lib_gui.is_showing(n, pyatspi)), "alpha's screen is not shown")
            consoles_toggle(True).queryAction().doAction(0)
            check(lib_gui.wait_for(lambda: window.showing(pyatspi.ROLE_PAGE_TAB, "Configuration"), 5),
                  "turning the Consoles toggle off did not go back to alpha's page")

        tap.step("Ctrl+O on alpha shows its console tab again, not a second one", open_console_again)

        def activate_row_then_close():
            gamma_tab = "gamma on " + HOST_NAME
            row = window.rows()["gamma"][0]
            cell = window.table.queryTable().getAccessibleAt(row, 1)
            action = cell.queryAction()
            names = [action.getName(i) for i in range(action.nActions)]
            check("activate" in names, "gamma's cell offers no activate action: %r" % names)
            action.doAction(names.index("activate"))
            check(lib_gui.wait_for(lambda: window.showing(pyatspi.ROLE_PAGE_TAB, gamma_tab), 5),
                  "activating gamma's row showed no console tab %r" % gamma_tab)
            shown = lib_gui.wait_for(lambda: window.showing_label_starting("The console could not be opened"), 10)
            check(shown, "gamma's console does not say it could not be opened")
            # AT-SPI shows a GTK 3 notebook tab with the page under it, not the tab's own
            # widgets (its close button): Ctrl+W is the keyboard's way to close the console.
            check(window.table.queryComponent().grabFocus(), "the tree did not take the focus")
            press(pyatspi, CONTROL_MASK, KEY_W)
            check(lib_gui.wait_for(lambda: not console_tabs(gamma_tab), 5), "after Ctrl+W gamma's tab is still there")
            check(len(console_tabs(alpha_tab)) == 1, "alpha's tab went away with gamma's")
            consoles_toggle(True).queryAction().doAction(0)
            check(window.select("alpha"), "the tree refused to select alpha")

        tap.step("activating a domain's row (double-click, Enter) opens its console in a tab; "
                 "Ctrl+W closes the console in front", activate_row_then_close)

        def configuration_tab():
            select_tab("Configuration")
            text = lib_gui.wait_for(lambda: window.showing(pyatspi.ROLE_TEXT, "Configuration file"), 10)
            check(text, "no configuration text showing")
            content = lib_gui.wait_for(
                lambda: "name = 'alpha'" in text.queryText().getText(0, -1) and text.queryText().getText(0, -1), 10)
            check(content, "the configuration text lacks name = 'alpha': %r" % text.queryText().getText(0, -1))
            bar = lib_gui.find_one(window.frame, lambda n: n.getRole() == pyatspi.ROLE_INFO_BAR
                                   and lib_gui.is_showing(n, pyatspi))
            check(bar is None, "an info bar shows with no message: %r" % (
                [c.name for c in lib_gui.find_all(bar, lambda n: n.getRole() == pyatspi.ROLE_LABEL)]
                if bar else None))
            # The page fits the window it was given: nothing on it asks for more.
            check(window_size() == state["first_size"], "the window grew from %r to %r on alpha's page"
                  % (state["first_size"], window_size()))
            select_tab("Overview")
            graph = lib_gui.wait_for(lambda: window.showing(pyatspi.ROLE_DRAWING_AREA, "CPU")
                                     or lib_gui.find_one(window.frame, lambda n: n.name == "CPU"
                                                         and lib_gui.is_showing(n, pyatspi)), 10)
            check(graph, "no CPU graph showing on the Overview tab")

        tap.step("alpha's Configuration tab shows its file (no empty info bar, the window no wider"
                 " than it started), and Overview its graphs", configuration_tab)

        def refusal_shown():
            check(window.select("gamma"), "the tree refused to select gamma")
            check(lib_gui.wait_for(lambda: window.showing(pyatspi.ROLE_LABEL, "gamma"), 5),
                  "no page for gamma")
            start = window.showing(pyatspi.ROLE_PUSH_BUTTON, "Start")
            check(start is not None and lib_gui.wait_for(lambda: window.sensitive(start), 5),
                  "Start is not offered for gamma")
            start.queryAction().doAction(0)
            bar = lib_gui.wait_for(lambda: window.showing_label_starting("Could not start \u201cgamma\u201d: "), 15)
            check(bar, "no message on gamma's page after the daemon refused to start it")
            check("no-such-folder" in bar.name, "the message does not carry the daemon's reason: %r" % bar.name)
            check(window.state_of("gamma") == "shut off", "gamma's row shows %r" % window.state_of("gamma"))

        tap.step("a start the daemon refuses shows its reason on the domain's page", refusal_shown)

        def second_launch_hands_over():
            other = "unix:" + os.path.join(root, "nobody.sock")
            r = subprocess.run([DOMUS, "--connect", other], env=env, capture_output=True, text=True,
                               timeout=20)
            check(r.returncode == 0, "the second domus exited %d: %s" % (r.returncode, r.stderr))
            check(app.poll() is None, "the first domus exited")
            ok = lib_gui.wait_for(lambda: window.state_of(other) == "disconnected", 10)
            check(ok, "no disconnected row for %s: %r" % (other, window.all_rows()))
            # --console opens onto the domain (in the first instance: its first host's).
            r = subprocess.run([DOMUS, "--console", "beta"], env=env, capture_output=True, text=True,
                               timeout=20)
            check(r.returncode == 0, "domus --console exited %d: %s" % (r.returncode, r.stderr))
            check(lib_gui.wait_for(lambda: window.showing(pyatspi.ROLE_PAGE_TAB, "beta on " + HOST_NAME), 5),
                  "domus --console beta did not show a console tab 'beta on %s'" % HOST_NAME)
            check(len(console_tabs(alpha_tab)) == 1, "alpha's console tab went away")

        tap.step("a second domus hands its --connect and --console to the first", second_launch_hands_over)

        def daemon_killed():
            daemon.proc.send_signal(signal.SIGKILL)
            daemon.proc.wait()
            seen = lib_gui.wait_for(lambda: window.state_of(HOST_NAME) == "disconnected", 15, 0.05)
            check(seen, "the server row shows %r" % window.state_of(HOST_NAME))
            check(window.select("alpha"), "the tree refused to select alpha")
            notice = lib_gui.wait_for(lambda: window.showing_label_starting(HOST_NAME + " is not connected"), 5)
            check(notice, "alpha's page does not say its server is away")
            check(not window.sensitive(window.showing(pyatspi.ROLE_PUSH_BUTTON, "Resume")),
                  "Resume is offered while the server is away")
            check(window.select(HOST_NAME), "the tree refused to select the server")
            bar = lib_gui.wait_for(lambda: window.showing_label_starting("Disconnected from " + HOST_NAME), 5)
            check(bar, "the server page says nothing about the lost connection")
            check(window.showing(pyatspi.ROLE_PUSH_BUTTON, "Reconnect") is not None,
                  "no Reconnect button on the server page")

        tap.step("after the daemon is killed the row and the server page say disconnected", daemon_killed)

        def daemon_back():
            nonlocal daemon
            daemon = Daemon(root, log_name="domusd-2.log", name=HOST_NAME).wait_listening()
            ok = lib_gui.wait_for(lambda: window.state_of(HOST_NAME) == "connected", 30)
            check(ok, "the server row shows %r" % window.state_of(HOST_NAME))
            ok = lib_gui.wait_for(lambda: window.state_of("alpha") == "paused", 5)
            check(ok, "alpha's row shows %r after reconnecting" % window.state_of("alpha"))
            check(lib_gui.wait_for(lambda: window.showing_label_starting("Disconnected") is None, 5),
                  "the server page still shows the lost connection")
            check(window.showing(pyatspi.ROLE_LABEL, HOST_NAME) is not None, "the server page is not shown")
            check(window.select("alpha"), "the tree refused to select alpha")
            check(lib_gui.wait_for(lambda: window.showing(pyatspi.ROLE_LABEL, "alpha"), 5), "no page for alpha")
            check(window.showing_label_starting(HOST_NAME + " is not connected") is None,
                  "alpha's page still says its server is away")

        tap.step("a new daemon on the same root brings the host back, connected", daemon_back)

        def destroy_after_confirmation():
            check(window.select("alpha"), "the tree refused to select alpha")
            destroy = lib_gui.wait_for(lambda: window.showing(pyatspi.ROLE_PUSH_BUTTON, "Destroy"), 5)
            check(destroy and lib_gui.wait_for(lambda: window.sensitive(destroy), 5),
                  "no sensitive Destroy button on alpha's page")
            destroy.queryAction().doAction(0)
            alert = lib_gui.wait_for(lambda: lib_gui.find_one(
                window.app, lambda n: n.getRole() == pyatspi.ROLE_ALERT and lib_gui.is_showing(n, pyatspi)), 5)
            check(alert, "Destroy asked nothing")
            question = lib_gui.find_one(alert, lambda n: n.getRole() == pyatspi.ROLE_LABEL
                                        and n.name == "Destroy \u201calpha\u201d?")
            check(question is not None, "the confirmation does not name alpha")
            check(domain_state(daemon.uri, "alpha") == "paused", "alpha was destroyed before confirming")
            confirm = lib_gui.find_one(alert, lambda n: n.getRole() == pyatspi.ROLE_PUSH_BUTTON
                                       and n.name == "Destroy")
            check(confirm is not None, "the confirmation has no Destroy button")
            confirm.queryAction().doAction(0)
            off = lib_gui.wait_for(lambda: domain_state(daemon.uri, "alpha") == "shutoff", 20)
            check(off, "domusctl list shows alpha %r" % domain_state(daemon.uri, "alpha"))
            check(lib_gui.wait_for(lambda: window.state_of("alpha") == "shut off", 5),
                  "alpha's row shows %r" % window.state_of("alpha"))
            start = window.showing(pyatspi.ROLE_PUSH_BUTTON, "Start")
            check(start is not None and lib_gui.wait_for(lambda: window.sensitive(start), 5),
                  "Start is not offered for the destroyed domain")

        tap.step("Destroy asks first, then the daemon destroys the domain", destroy_after_confirmation)

        def ssh_host_key_and_passphrase():
            nonlocal sshd
            sshd_dir = os.path.join(root, "sshd")
            os.mkdir(sshd_dir, 0o700)
            sshd = Sshd(sshd_dir).start()
            locked = os.path.join(sshd_dir, "locked_ed25519")
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", PASSPHRASE, "-f", locked],
                           check=True, stdin=subprocess.DEVNULL)
            with open(locked + ".pub") as src, open(sshd.authorized, "a") as dst:
                dst.write(src.read())
            known_hosts = os.path.join(root, "known_hosts")
            uri = sshd.uri(known_hosts, keyfile=locked) + "&socket=" + daemon.socket_path
            r = subprocess.run([DOMUS, "--connect", uri], env=env, capture_output=True, text=True,
                               timeout=20)
            check(r.returncode == 0, "the second domus exited %d: %s" % (r.returncode, r.stderr))

            check(lib_gui.wait_for(lambda: window.state_of(uri) == "disconnected", 20),
                  "no disconnected row for the SSH host: %r" % window.all_rows())
            check(window.select(uri), "the tree refused to select the SSH host")
            question = lib_gui.wait_for(lambda: window.showing_label_starting("The host key of"), 5)
            check(question, "the server page does not ask about the unknown host key")
            expected = fingerprint(sshd.host_key + ".pub")
            check(expected in question.name, "the page shows %r, not the fingerprint %s"
                  % (question.name, expected))
            check(not os.path.exists(known_hosts), "known_hosts was written before accepting")
            accept = window.showing(pyatspi.ROLE_PUSH_BUTTON, "Accept Key")
            check(accept is not None, "no Accept Key button")
            accept.queryAction().doAction(0)

            def asking():
                return lib_gui.find_one(window.app, lambda n: n.getRole() == pyatspi.ROLE_DIALOG
                                        and n.name == "Authentication" and lib_gui.is_showing(n, pyatspi))
            dialog = lib_gui.wait_for(asking, 20)
            check(dialog, "no passphrase dialog after accepting the key")

            # Disconnecting the host while its question is open takes the question away.
            r = subprocess.run(["gdbus", "call", "--session", "--dest", "org.domus.Domus",
                                "--object-path", "/org/domus/Domus/window/1", "--method",
                                "org.gtk.Actions.Activate", "disconnect", "[]", "{}"],
                               env=env, capture_output=True, text=True, timeout=10)
            check(r.returncode == 0, "win.disconnect: " + r.stderr)
            check(lib_gui.wait_for(lambda: asking() is None, 10),
                  "the passphrase dialog stayed after the host was disconnected")
            check(lib_gui.wait_for(lambda: window.state_of(HOST_NAME) == "connected"
                                   and window.state_of(uri) == "disconnected", 10),
                  "after disconnecting: %r" % window.all_rows())

            # Cancel in the dialog: the login fails and the page says so.
            reconnect = lib_gui.wait_for(lambda: window.showing(pyatspi.ROLE_PUSH_BUTTON, "Reconnect"), 5)
            check(reconnect, "no Reconnect button for the disconnected SSH host")
            reconnect.queryAction().doAction(0)
            dialog = lib_gui.wait_for(asking, 20)
            check(dialog, "no passphrase dialog after Reconnect")
            cancel = lib_gui.find_one(dialog, lambda n: n.getRole() == pyatspi.ROLE_PUSH_BUTTON
                                      and n.name == "Cancel")
            check(cancel is not None, "no Cancel button in the dialog")
            cancel.queryAction().doAction(0)
            refused = lib_gui.wait_for(lambda: window.showing_label_starting("Disconnected from"), 15)
            check(refused, "the server page says nothing after the passphrase was refused")
            check(asking() is None, "the dialog stayed after Cancel")

            reconnect = lib_gui.wait_for(lambda: window.showing(pyatspi.ROLE_PUSH_BUTTON, "Reconnect"), 5)
            check(reconnect, "no Reconnect button after the refused login")
            reconnect.queryAction().doAction(0)
            dialog = lib_gui.wait_for(asking, 20)
            check(dialog, "no passphrase dialog after the second Reconnect")
            check(lib_gui.find_one(dialog, lambda n: n.getRole() == pyatspi.ROLE_LABEL
                                   and n.name == "Passphrase for " + locked),
                  "the dialog does not say which key it wants the passphrase of")
            # The window still answers while the dialog waits (it is not modal, no nested loop).
            check(window.state_of(HOST_NAME) == "connected", "the local host's row went stale")
            entry = lib_gui.find_one(dialog, lambda n: n.getRole() == pyatspi.ROLE_PASSWORD_TEXT)
            check(entry is not None, "no password field in the dialog")
            entry.queryEditableText().setTextContents(PASSPHRASE)
            log_in = lib_gui.find_one(dialog, lambda n: n.getRole() == pyatspi.ROLE_PUSH_BUTTON
                                      and n.name == "Log In")
            check(log_in is not None, "no Log In button in the dialog")
            log_in.queryAction().doAction(0)

            both = lib_gui.wait_for(lambda: [s for n, s in window.all_rows() if n == HOST_NAME]
                                    == ["connected", "connected"], 30)
            check(both, "after the passphrase the rows are %r\nsshd: %s"
                  % (window.all_rows(), sshd.log()))
            with open(known_hosts) as f:
                lines = f.read().splitlines()
            check(len(lines) == 1, "known_hosts holds %r" % lines)
            check(asking() is None, "the passphrase dialog is still there")

        tap.step("an unknown SSH host key is shown with its fingerprint; accepted, the key's "
                 "passphrase is asked in a dialog (taken away on disconnect, Cancel refuses) "
                 "and the host connects", ssh_host_key_and_passphrase)

        def add_and_remove_local_server():
            add = window.showing(pyatspi.ROLE_PUSH_BUTTON, "Add Server")
            check(add is not None, "no Add Server button")
            add.queryAction().doAction(0)

            def dialog():
                return lib_gui.find_one(window.app, lambda n: n.getRole() == pyatspi.ROLE_DIALOG
                                        and n.name == "Add Server" and lib_gui.is_showing(n, pyatspi))
            form = lib_gui.wait_for(dialog, 5)
            check(form, "Add Server opened no dialog")
            combo = lib_gui.find_one(form, lambda n: n.getRole() == pyatspi.ROLE_COMBO_BOX)
            host = lib_gui.find_one(form, lambda n: n.getRole() == pyatspi.ROLE_TEXT and n.name == "Host")
            confirm = lib_gui.find_one(form, lambda n: n.getRole() == pyatspi.ROLE_PUSH_BUTTON
                                       and n.name == "Add")
            check(combo and host and confirm, "the dialog lacks the server kind, Host or Add")
            check(window.sensitive(confirm), "Add is not offered for this computer")
            combo.querySelection().selectChild(1)
            check(lib_gui.wait_for(lambda: not window.sensitive(confirm), 5),
                  "Add is offered for SSH with no host")
            host.queryEditableText().setTextContents("bad host")
            check(lib_gui.wait_for(lambda: not window.sensitive(confirm), 5),
                  "Add is offered for the host 'bad host'")
            host.queryEditableText().setTextContents("server.example")
            check(lib_gui.wait_for(lambda: window.sensitive(confirm), 5),
                  "Add is not offered for server.example")
            combo.querySelection().selectChild(0)
            confirm.queryAction().doAction(0)
            name = socket.gethostname()
            ok = lib_gui.wait_for(lambda: window.state_of(name) == "connected", FIND_TIMEOUT)
            started = [pid for pid in lib_gui.descendants(app.pid) if comm(pid) == "domusd"]
            session_daemons.extend(started)
            check(ok, "no connected row %r for this computer: %r" % (name, window.all_rows()))
            check(dialog() is None, "the dialog stayed")

            check(window.select(name), "the tree refused to select the new server")
            check(window.table.queryComponent().grabFocus(), "the tree did not take the focus")
            press(pyatspi, SHIFT_MASK, KEY_F10)
            remove = lib_gui.wait_for(lambda: lib_gui.find_one(
                window.app, lambda n: n.getRole() == pyatspi.ROLE_MENU_ITEM and n.name == "Remove Server"
                and lib_gui.is_showing(n, pyatspi)), 5)
            check(remove, "the server's menu has no Remove Server")
            remove.queryAction().doAction(0)
            check(lib_gui.wait_for(lambda: name not in window.rows(), 5),
                  "the server is still listed: %r" % window.all_rows())
            # The next step wants to see domus start a session daemon itself.
            lib_gui.end_pids(started)

        tap.step("Add Server validates as one types, adds this computer, and its menu removes it",
                 add_and_remove_local_server)

        def quits_cleanly():
            r = subprocess.run(["gdbus", "call", "--session", "--dest", "org.domus.Domus",
                                "--object-path", "/org/domus/Domus", "--method",
                                "org.gtk.Actions.Activate", "quit", "[]", "{}"],
                               env=env, capture_output=True, text=True, timeout=10)
            check(r.returncode == 0, "app.quit: " + r.stderr)
            try:
                status = app.wait(10)
            except subprocess.TimeoutExpired:
                raise Failure("domus did not quit within 10 s")
            log = app.log_text()
            check(status == 0, "domus exited with %d:\n%s" % (status, log))
            check("WARNING" not in log and "CRITICAL" not in log, "domus complained:\n" + log)

        tap.step("app.quit ends domus with status 0 and no warning", quits_cleanly)

        def local_by_default():
            nonlocal app
            app = lib_gui.App([DOMUS], env, app_log_path)
            check(lib_gui.wait_for(window.find, FIND_TIMEOUT), "no window for a domus with no --connect")
            name = socket.gethostname()
            ok = lib_gui.wait_for(lambda: window.all_rows() == [(name, "connected")], FIND_TIMEOUT)
            started = [pid for pid in lib_gui.descendants(app.pid) if comm(pid) == "domusd"]
            session_daemons.extend(started)
            check(ok, "rows: %r (expected only %r, connected)" % (window.all_rows(), name))
            check(started, "domus started no domusd of its own")

        tap.step("with no --connect, domus shows the session daemon it started", local_by_default)
    except Exception as e:  # noqa: BLE001 - a crash of the harness is a failed test
        tap.ok(False, "the test ran to its end", "%s: %s" % (type(e).__name__, e))
    finally:
        if app is not None and app.poll() is None:
            session_daemons.extend(pid for pid in lib_gui.descendants(app.pid) if comm(pid) == "domusd")
            app.kill()
            app.wait()
        # The session daemon outlives domus, as it would for a user: end it here, by PID.
        lib_gui.end_pids(session_daemons)
        if sshd is not None:
            sshd.kill()
        if session is not None:
            session.stop()
        if daemon is not None:
            daemon.stop()
        tap.remove_if_passed(root)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
