#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tags in the Domus window, read through AT-SPI as a screen reader would, on a real domusd.

Usage: test-tags.py GUEST_DIR DOMUS   (DOMUS_BUILD_DIR from the environment)

A domusd with --root defines four domains, none started: "both" tagged web and db,
"dbone" db, "webone" web, "plain" none. `domus --connect` runs under an Xvfb and a
session bus of the test's own, with its settings in a keyfile (GSETTINGS_BACKEND=keyfile)
so that a second start reads what the first kept. Checked:

- ungrouped, the tree is the server and its domains by name, no group rows;
- the "Group by Tag" toggle groups: rows read "Tag db", "Tag web", "Untagged" (showing
  "db", "web" beside a tag icon) with their counts, each domain under each of its tags;
- `domusctl config --set tags=…` moves a domain live; the selected domain stays selected
  when its row moves to another group; a group whose last domain leaves goes;
- the filter keeps working while grouped (by name, by tag);
- the Tags field of the domain's Configuration tab writes `tags` into its .cfg;
- Ctrl+G ungroups; grouping is remembered by a second start of domus;
- a group row the user closed stays closed while its domains change.

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
from lib_domus import Daemon, Failure, Tap, check, ctl, ctl_ok, guest_cfg  # noqa: E402
from lib_qemu import make_temp_dir  # noqa: E402

GUEST_DIR = sys.argv[1]
DOMUS = sys.argv[2]
FIND_TIMEOUT = 20.0
HOST = "taghost"
CONTROL_MASK = 1 << 2
KEY_G = 0x67
TAGS = {"both": "['web', 'db']", "dbone": "['db']", "webone": "['web']", "plain": None}


class Window(lib_gui.DomusTree):
    def rows(self):
        """[(name, state or count)] of the rows the tree shows, top to bottom."""
        return self.all_rows()

    def find_named(self, role, name):
        return lib_gui.find_one(self.frame, lambda n: n.getRole() == role and n.name == name)


def press(pyatspi, modifiers, keysym):
    registry = pyatspi.Registry
    registry.generateKeyboardEvent(modifiers, None, pyatspi.KEY_LOCKMODIFIERS)
    try:
        registry.generateKeyboardEvent(keysym, None, pyatspi.KEY_SYM)
    finally:
        registry.generateKeyboardEvent(modifiers, None, pyatspi.KEY_UNLOCKMODIFIERS)


def main():
    tap = Tap()
    root = make_temp_dir("domus-tags-")
    session = daemon = app = None
    log_path = os.path.join(root, "domus.log")
    try:
        daemon = Daemon(root, name=HOST).wait_listening()

        def define():
            for name, tags in TAGS.items():
                path = os.path.join(root, name + ".cfg")
                with open(path, "w") as f:
                    f.write(guest_cfg(GUEST_DIR, name, "tags = %s\n" % tags if tags else ""))
                ctl_ok(daemon.uri, "define", path)

        if not tap.step("the daemon has four defined domains, tagged web, db, both and none", define):
            return tap.finish()

        session = lib_gui.Session(root).start()
        import pyatspi  # noqa: E402 - after the session: it connects to the buses in os.environ

        env = session.env()
        env["G_DEBUG"] = "fatal-warnings"
        env["LC_ALL"] = "C.UTF-8"
        env["GSETTINGS_BACKEND"] = "keyfile"
        window = Window(pyatspi)

        def start_domus():
            nonlocal app
            app = lib_gui.App([DOMUS, "--connect", daemon.uri], env, log_path)
            check(lib_gui.wait_for(window.find, FIND_TIMEOUT),
                  "no window 'Domus' with a tree 'Servers' (domus %s)"
                  % ("running" if app.poll() is None else "exited with %s" % app.returncode))


        def wait_names(expected, timeout=10):
            ok = lib_gui.wait_for(lambda: window.names() == expected, timeout)
            check(ok, "the tree shows %r, not %r" % (window.rows(), expected))

        def ungrouped():
            start_domus()
            wait_names([HOST, "both", "dbone", "plain", "webone"], FIND_TIMEOUT)

        if not tap.step("ungrouped, the tree lists the server and its domains by name", ungrouped):
            return tap.finish()

        def toggle():
            button = window.find_named(pyatspi.ROLE_TOGGLE_BUTTON, "Group by Tag")
            check(button is not None, "no toggle button named 'Group by Tag'")
            return button

        def group():
            button = toggle()
            check(not button.getState().contains(pyatspi.STATE_CHECKED), "the toggle starts on")
            button.queryAction().doAction(0)
            wait_names([HOST, "Tag db", "both", "dbone", "Tag web", "both", "webone", "Untagged", "plain"])
            counts = {name: count for name, count in window.rows() if name.startswith(("Tag ", "Untagged"))}
            check(counts == {"Tag db": "2", "Tag web": "2", "Untagged": "1"},
                  "the group rows count %r" % counts)
            check(lib_gui.wait_for(lambda: button.getState().contains(pyatspi.STATE_CHECKED), 5),
                  "the toggle is not on after grouping")
            # Shown: the tag beside its icon; read: "Tag db".
            table = window.table.queryTable()
            shown = [table.getAccessibleAt(row, 1).queryText().getText(0, -1) for row in range(table.nRows)]
            check(shown[1] == "db" and shown[4] == "web" and shown[7] == "Untagged" and shown[2] == "both",
                  "the rows show %r" % shown)

        if not tap.step("Group by Tag shows a row per tag and Untagged, each domain under each of its tags",
                        group):
            return tap.finish()

        def live_moves():
            ctl_ok(daemon.uri, "config", "plain", "--set", "tags=['db']")
            # Untagged had only plain: it goes.
            wait_names([HOST, "Tag db", "both", "dbone", "plain", "Tag web", "both", "webone"])

            check(window.select("webone"), "the tree refused to select webone")
            check(lib_gui.wait_for(lambda: window.selected() == ["webone"], 5),
                  "selected: %r" % window.selected())
            ctl_ok(daemon.uri, "config", "webone", "--set", "tags=['db', 'cache']")
            wait_names([HOST, "Tag cache", "webone", "Tag db", "both", "dbone", "plain", "webone",
                        "Tag web", "both"])
            check(window.selected() == ["webone"],
                  "after its row moved the selection is %r" % window.selected())
            page = lib_gui.wait_for(lambda: lib_gui.find_one(window.frame, lambda n: n.getRole() == pyatspi.ROLE_LABEL
                                                             and n.name == "webone"
                                                             and lib_gui.is_showing(n, pyatspi)), 5)
            check(page, "webone's page is not shown")

        tap.step("a domain's new tags move its rows live, keeping it selected; an emptied group goes",
                 live_moves)

        def filter_grouped():
            entry = window.find_named(pyatspi.ROLE_TEXT, "Filter")
            check(entry is not None, "no text field named 'Filter'")
            text = entry.queryEditableText()
            text.setTextContents("dbone")
            wait_names([HOST, "Tag db", "dbone"], 5)
            # A tag: its group whole, and its domains under their other tags too.
            text.setTextContents("cache")
            wait_names([HOST, "Tag cache", "webone", "Tag db", "webone"], 5)
            text.setTextContents("")
            wait_names([HOST, "Tag cache", "webone", "Tag db", "both", "dbone", "plain", "webone",
                        "Tag web", "both"], 5)

        tap.step("the filter works while grouped, by name and by tag", filter_grouped)

        def edit_tags():
            check(window.select("plain"), "the tree refused to select plain")
            entry = lib_gui.wait_for(lambda: window.find_named(pyatspi.ROLE_TEXT, "Tags"), 5)
            check(entry, "no text field 'Tags' on plain's page")
            check(lib_gui.wait_for(lambda: entry.queryText().getText(0, -1) == "db", 5),
                  "the Tags field shows %r" % entry.queryText().getText(0, -1))
            apply = lib_gui.find_one(entry.parent, lambda n: n.getRole() == pyatspi.ROLE_PUSH_BUTTON
                                     and n.name == "Apply")
            check(apply is not None, "no Apply button next to the Tags field")
            # Apply is offered once the page has read the configuration.
            check(lib_gui.wait_for(lambda: apply.getState().contains(pyatspi.STATE_SENSITIVE), 10),
                  "Apply is not offered")
            entry.queryEditableText().setTextContents(" web ,  prod,")
            apply.queryAction().doAction(0)

            def saved():
                r = ctl(daemon.uri, "config", "plain")
                return r.returncode == 0 and "tags=['web','prod']" in r.stdout.replace(" ", "")
            check(lib_gui.wait_for(saved, 10), "plain's config is\n%s\nthe field shows %r"
                  % (ctl(daemon.uri, "config", "plain").stdout, entry.queryText().getText(0, -1)))
            wait_names([HOST, "Tag cache", "webone", "Tag db", "both", "dbone", "webone",
                        "Tag prod", "plain", "Tag web", "both", "plain"])
            check(window.selected() == ["plain"], "selected: %r" % window.selected())

            check(lib_gui.wait_for(lambda: apply.getState().contains(pyatspi.STATE_SENSITIVE), 10),
                  "Apply is not offered after saving")
            entry.queryEditableText().setTextContents("")
            apply.queryAction().doAction(0)

            def removed():
                r = ctl(daemon.uri, "config", "plain")
                return r.returncode == 0 and not any(line.replace(" ", "").startswith("tags=")
                                                     for line in r.stdout.splitlines())
            check(lib_gui.wait_for(removed, 10), "plain's config is\n%s" % ctl(daemon.uri, "config", "plain").stdout)
            wait_names([HOST, "Tag cache", "webone", "Tag db", "both", "dbone", "webone",
                        "Tag web", "both", "Untagged", "plain"])

        tap.step("the Tags field of the Configuration tab saves the domain's tags (and removes them)",
                 edit_tags)

        def remembered():
            r = subprocess.run(["gdbus", "call", "--session", "--dest", "org.domus.Domus",
                                "--object-path", "/org/domus/Domus", "--method",
                                "org.gtk.Actions.Activate", "quit", "[]", "{}"],
                               env=env, capture_output=True, text=True, timeout=10)
            check(r.returncode == 0, "app.quit: " + r.stderr)
            check(app.wait(10) == 0, "domus exited with %s:\n%s" % (app.returncode, app.log_text()))
            start_domus()
            wait_names([HOST, "Tag cache", "webone", "Tag db", "both", "dbone", "webone",
                        "Tag web", "both", "Untagged", "plain"], FIND_TIMEOUT)
            check(toggle().getState().contains(pyatspi.STATE_CHECKED), "the toggle is off after a restart")

        tap.step("grouping is remembered by the next start", remembered)

        def shortcut():
            check(window.table.queryComponent().grabFocus(), "the tree did not take the focus")
            press(pyatspi, CONTROL_MASK, KEY_G)
            wait_names([HOST, "both", "dbone", "plain", "webone"], 5)
            check(not toggle().getState().contains(pyatspi.STATE_CHECKED), "the toggle stayed on")
            press(pyatspi, CONTROL_MASK, KEY_G)
            wait_names([HOST, "Tag cache", "webone", "Tag db", "both", "dbone", "webone",
                        "Tag web", "both", "Untagged", "plain"], 5)

        tap.step("Ctrl+G ungroups and groups again", shortcut)

        def collapsed_group_stays():
            table = window.table.queryTable()
            row = window.names().index("Tag db")
            cell = table.getAccessibleAt(row, 0)
            action = cell.queryAction()
            names = [action.getName(i) for i in range(action.nActions)]
            check("expand or contract" in names, "the group row's cell offers %r" % names)
            action.doAction(names.index("expand or contract"))
            wait_names([HOST, "Tag cache", "webone", "Tag db", "Tag web", "both", "Untagged", "plain"], 5)
            # webone leaves db and cache for web: the closed group stays closed, the others follow.
            ctl_ok(daemon.uri, "config", "webone", "--set", "tags=['web']")
            wait_names([HOST, "Tag db", "Tag web", "both", "webone", "Untagged", "plain"])
            counts = {name: count for name, count in window.rows() if name.startswith("Tag ")}
            check(counts == {"Tag db": "2", "Tag web": "2"}, "the group rows count %r" % counts)

        tap.step("a group the user closed stays closed while its domains change", collapsed_group_stays)

        def no_complaint():
            text = app.log_text()
            check("WARNING" not in text and "CRITICAL" not in text, "domus complained:\n" + text)
            check(app.poll() is None, "domus exited with %s" % app.returncode)

        tap.step("domus said nothing on stderr", no_complaint)
    except Exception as e:  # noqa: BLE001 - a crash of the harness is a failed test
        tap.ok(False, "the test ran to its end", "%s: %s" % (type(e).__name__, e))
    finally:
        if app is not None:
            app.quit()
        if session is not None:
            session.stop()
        if daemon is not None:
            daemon.stop()
        tap.remove_if_passed(root)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
