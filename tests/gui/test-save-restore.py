#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Save and restore in the window (issue 15, xm save / xm restore), through AT-SPI.

Usage: test-save-restore.py GUEST_DIR DOMUS   (DOMUS_BUILD_DIR from the environment)

A domusd with --root in a fresh folder runs "keep", the test guest (a tick counter on its
serial port), under TCG. `domus --connect unix:ROOT/domusd.sock --connect test:///default`
runs under an Xvfb and a session bus of the test's own, with G_DEBUG=fatal-warnings. As a
screen reader would:

- keep's page has Save…; its context menu (Shift+F10) has Save…, which opens the dialog
  with a file name offered as keep-YYYYMMDD-HHMMSS.save in the server's save folder (named
  in the dialog); a name with "/" is refused in the dialog before anything is sent;
- saved as keep-gui.save: the row shows keep shut off as the daemon reports it, the daemon
  lists it shut off, ROOT/saves/keep-gui.save exists and is a Domus save; Save… is then
  greyed out;
- the server's menu has Restore…, whose dialog lists keep-gui.save (domain keep); a file
  that is not there is refused in the dialog with the host's words; the listed one
  restored: keep's row shows it running, and the guest's tick counter goes on from the
  value it had when saved (not from 1); a save over the existing file is refused in the
  dialog before anything is sent;
- a libvirt server (libvirt's own test driver, when this build has libvirt): Save… on its
  running domain is libvirt's managed save (the dialog asks no file name and says so): its row
  shows it shut off; Restore… in the server's menu lists it and brings it back running.

Everything started here is ended by PID. Output is TAP.
"""

import os
import re
import subprocess
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import lib_gui  # noqa: E402
from lib_domus import DOMUSCTL, Daemon, Tap, check, guest_cfg, rpc_call, serial_text  # noqa: E402
from lib_qemu import make_temp_dir  # noqa: E402

GUEST_DIR = sys.argv[1]
DOMUS = sys.argv[2]
FIND_TIMEOUT = 20.0
HOST_NAME = "testhost"
LIBVIRT_URI = "test:///default"
SHIFT_MASK = 1 << 0
KEY_F10 = 0xffc7
# A running guest that idles is "blocked" in xm's words.
RUNNING = ("running", "blocked")


def daemon_state(daemon, name):
    domains = {d["name"]: d for d in rpc_call(daemon.socket_path, "domain.list", all=True)["domains"]}
    return domains[name]["state"] if name in domains else None


def ticks(root, name):
    """The test guest's counter, as its serial port said it so far (its run folder's log)."""
    return [int(n) for n in re.findall(r"tick (\d+)", serial_text(root, name))]



def main():
    tap = Tap()
    root = make_temp_dir("domus-gui-save-")
    session = daemon = app = None
    saves = os.path.join(root, "saves")
    try:
        daemon = Daemon(root, name=HOST_NAME).wait_listening()

        def set_up():
            rpc_call(daemon.socket_path, "domain.define", config=guest_cfg(GUEST_DIR, "keep"))
            rpc_call(daemon.socket_path, "domain.start", name="keep")
            # Far enough from 1 that a guest started afresh could not pass for a restored one.
            check(lib_gui.wait_for(lambda: len(ticks(root, "keep")) >= 6, 120),
                  "the guest's tick counter did not start: %r" % ticks(root, "keep"))

        if not tap.step("the daemon runs keep, the test guest", set_up):
            return tap.finish()

        session = lib_gui.Session(root).start()
        import pyatspi  # noqa: E402 - after the session: it connects to the buses in os.environ

        env = session.env()
        env["G_DEBUG"] = "fatal-warnings"
        env["LC_ALL"] = "C.UTF-8"
        app = lib_gui.App([DOMUS] + ["--connect", daemon.uri, "--connect", LIBVIRT_URI], env, os.path.join(root, "domus.log"))
        window = lib_gui.DomusTree(pyatspi)
        ui = lib_gui.Controls(pyatspi, None)
        showing, sensitive, find, wait_find, click = ui.showing, ui.sensitive, ui.find, ui.wait_find, ui.click
        label_starting, dump = ui.label_starting, ui.dump

        def row_state(name):
            return dict(window.all_rows()).get(name)

        def window_found():
            check(lib_gui.wait_for(window.find, FIND_TIMEOUT), "no window: " + app.how())
            ui.root = window.app
            check(lib_gui.wait_for(lambda: row_state("keep") in RUNNING, FIND_TIMEOUT),
                  "keep is not listed running: %r" % window.all_rows())

        if not tap.step("the window shows keep running", window_found):
            return tap.finish()

        def audit(node, where):
            missing = lib_gui.undescribed_controls(node, pyatspi, lib_gui.WM_BUTTONS)
            check(not missing, "%s: controls without a name or a description:\n%s" % (where, "\n".join(missing)))

        def menu_item(row, label):
            """label in row's context menu (Shift+F10 on the row), the menu left open."""
            check(window.select(row), "the tree refused to select %s" % row)
            check(window.table.queryComponent().grabFocus(), "the tree did not take the focus")
            lib_gui.press(pyatspi, SHIFT_MASK, KEY_F10)
            item = lib_gui.wait_for(lambda: find(pyatspi.ROLE_MENU_ITEM, label), 5)
            check(item, "%s's menu has no %s" % (row, label))
            return item

        def close_menu(item):
            menu = item.parent
            lib_gui.press(pyatspi, 0, 0xff1b)   # Escape
            check(lib_gui.wait_for(lambda: not showing(menu), 5), "the menu stayed open")

        def open_dialog(row, label, title):
            item = menu_item(row, label)
            check(lib_gui.wait_for(lambda: sensitive(item), 5), "%s is not offered for %s" % (label, row))
            item.queryAction().doAction(0)
            dialog = lib_gui.wait_for(lambda: find(pyatspi.ROLE_DIALOG, title), 10)
            check(dialog, "%s opened no dialog %r" % (label, title))
            return dialog

        last_tick = {}

        def save_dialog():
            check(window.select("keep"), "the tree refused to select keep")
            button = wait_find(pyatspi.ROLE_PUSH_BUTTON, "Save…")
            check(lib_gui.wait_for(lambda: sensitive(button), 5), "the page's Save… is greyed out for keep running")
            dialog = open_dialog("keep", "Save…", "Save \u201ckeep\u201d")
            audit(dialog, "the Save dialog")
            entry = wait_find(pyatspi.ROLE_TEXT, "State file name", dialog)
            offered = entry.queryText().getText(0, -1)
            check(re.fullmatch(r"keep-\d{8}-\d{6}\.save", offered), "the name offered is %r" % offered)
            folder = label_starting(dialog, "In %s on %s" % (saves, HOST_NAME), 10)
            check(folder, "the dialog does not name the save folder %s" % saves)
            entry.queryEditableText().setTextContents("../keep.save")
            save = wait_find(pyatspi.ROLE_PUSH_BUTTON, "Save", dialog)
            check(lib_gui.wait_for(lambda: not sensitive(save), 5), "Save is offered for ../keep.save")
            check(label_starting(dialog, "The file name must be a name in the server", 5),
                  "the dialog does not say why ../keep.save will not do")
            entry.queryEditableText().setTextContents("keep-gui.save")
            check(lib_gui.wait_for(lambda: sensitive(save), 5), "Save is not offered for keep-gui.save")
            save.queryAction().doAction(0)
            # The guest's run folder (and its serial log) goes with its QEMU once saved: the
            # last tick seen before is the counter's value in the saved state (or one short).
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and daemon_state(daemon, "keep") != "shutoff":
                seen = ticks(root, "keep")
                if seen:
                    last_tick["value"] = seen[-1]
                time.sleep(0.05)
            check("value" in last_tick, "no tick seen before the save")
            check(lib_gui.wait_for(lambda: row_state("keep") == "shut off", 60),
                  "keep's row shows %r after the save\n%s" % (row_state("keep"), app.log_text()))
            check(lib_gui.wait_for(lambda: find(pyatspi.ROLE_DIALOG, "Save \u201ckeep\u201d") is None, 10),
                  "the dialog stayed after the save")
            check(daemon_state(daemon, "keep") == "shutoff", "the daemon has keep %s" % daemon_state(daemon, "keep"))
            path = os.path.join(saves, "keep-gui.save")
            check(os.path.isfile(path), "no %s: %r" % (path, os.listdir(saves) if os.path.isdir(saves) else None))
            with open(path, "rb") as f:
                check(f.readline() == b"DOMUS-SAVE 1\n", "%s is not a Domus save" % path)
            print("# saved at tick %d, %d bytes" % (last_tick["value"], os.path.getsize(path)), flush=True)

        if not tap.step("Save… in keep's menu saves it under the name typed into the server's save "
                        "folder; the window shows it shut off as the daemon does; the file is there",
                        save_dialog):
            return tap.finish()

        def save_greyed_when_off():
            button = wait_find(pyatspi.ROLE_PUSH_BUTTON, "Save…")
            check(lib_gui.wait_for(lambda: not sensitive(button), 5), "the page offers Save… for keep shut off")
            item = menu_item("keep", "Save…")
            check(not sensitive(item), "the menu offers Save… for keep shut off")
            close_menu(item)

        tap.step("Save… is greyed out for the shut-off domain", save_greyed_when_off)

        def restore_dialog():
            dialog = open_dialog(HOST_NAME, "Restore…", "Restore")
            audit(dialog, "the Restore dialog")
            table = lib_gui.wait_for(lambda: lib_gui.find_one(dialog, lambda n: n.getRole() in (
                pyatspi.ROLE_TABLE, pyatspi.ROLE_TREE_TABLE) and n.name == "Saved domains"), 10)
            check(table, "the dialog has no list of saves")

            def rows():
                cells = table.queryTable()
                return [tuple(cells.getAccessibleAt(r, c).name for c in range(cells.nColumns))
                        for r in range(cells.nRows)]
            check(lib_gui.wait_for(lambda: len(rows()) == 1, 10), "the saves listed: %r" % rows())
            domain, saved, size, file_name = rows()[0]
            check(domain == "keep" and file_name == "keep-gui.save"
                  and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", saved) and size,
                  "the listed save: %r" % (rows()[0],))
            entry = wait_find(pyatspi.ROLE_TEXT, "State file name", dialog)
            check(lib_gui.wait_for(lambda: entry.queryText().getText(0, -1) == "keep-gui.save", 5),
                  "the file name shown is %r" % entry.queryText().getText(0, -1))
            # A file the folder does not have: the host refuses, the dialog says so and stays.
            entry.queryEditableText().setTextContents("nothing.save")
            click(pyatspi.ROLE_PUSH_BUTTON, "Restore", dialog)
            refused = label_starting(dialog, "Could not restore from nothing.save: ", 60)
            check(refused and len(refused.name) > len("Could not restore from nothing.save: "),
                  "no refusal with a reason shown")
            print("# %s" % refused.name, flush=True)
            check(daemon_state(daemon, "keep") == "shutoff", "keep changed: %s" % daemon_state(daemon, "keep"))
            # Chosen again (the row was chosen already: out of the selection, then in).
            cells = table.queryTable()
            cells.removeRowSelection(0)
            check(cells.addRowSelection(0), "the save's row could not be selected")
            check(lib_gui.wait_for(lambda: entry.queryText().getText(0, -1) == "keep-gui.save", 5),
                  "choosing the row did not put its file name back: %r" % entry.queryText().getText(0, -1))
            click(pyatspi.ROLE_PUSH_BUTTON, "Restore", dialog)
            check(lib_gui.wait_for(lambda: row_state("keep") in RUNNING, 120),
                  "keep's row shows %r after the restore\n%s" % (row_state("keep"), app.log_text()))
            check(lib_gui.wait_for(lambda: find(pyatspi.ROLE_DIALOG, "Restore") is None, 10),
                  "the dialog stayed after the restore")
            check(lib_gui.wait_for(lambda: len(ticks(root, "keep")) >= 2, 120),
                  "no tick after the restore: %r" % serial_text(root, "keep")[-300:])
            first = ticks(root, "keep")[0]
            check(last_tick["value"] <= first <= last_tick["value"] + 3,
                  "after the restore the counter reads %d (it was %d when saved)" % (first, last_tick["value"]))
            print("# tick %d when saved, %d after the restore" % (last_tick["value"], first), flush=True)

        tap.step("Restore… in the server's menu lists the save; a missing file is refused in the "
                 "dialog; the save restored, keep runs again and its counter goes on from the saved "
                 "value", restore_dialog)

        def same_name_refused():
            dialog = open_dialog("keep", "Save…", "Save \u201ckeep\u201d")
            entry = wait_find(pyatspi.ROLE_TEXT, "State file name", dialog)
            save = wait_find(pyatspi.ROLE_PUSH_BUTTON, "Save", dialog)
            entry.queryEditableText().setTextContents("keep-gui.save")
            check(label_starting(dialog, "The save folder has a file named \u201ckeep-gui.save\u201d already", 10),
                  "the dialog does not say keep-gui.save exists")
            check(not sensitive(save), "Save is offered over an existing file")
            click(pyatspi.ROLE_PUSH_BUTTON, "Cancel", dialog)
            check(lib_gui.wait_for(lambda: find(pyatspi.ROLE_DIALOG, "Save \u201ckeep\u201d") is None, 10),
                  "Cancel left the dialog open")
            check(daemon_state(daemon, "keep") in ("running", "blocked"), "keep is %s" % daemon_state(daemon, "keep"))

        tap.step("a save over an existing file is refused in the dialog before anything is sent",
                 same_name_refused)

        def libvirt_managed_save():
            if not lib_gui.wait_for(lambda: "test" in window.names(), 10):
                print("# no libvirt server here (%r): not checked" % window.all_rows(), flush=True)
                return
            servers = [n for n, state in window.all_rows() if state == "connected" and n != HOST_NAME]
            check(len(servers) == 1, "which row is the libvirt server? %r" % window.all_rows())
            check(lib_gui.wait_for(lambda: row_state("test") in RUNNING, 10), "test is %r" % row_state("test"))
            dialog = open_dialog("test", "Save…", "Save \u201ctest\u201d")
            audit(dialog, "the Save dialog on a libvirt server")
            check(label_starting(dialog, "The server keeps the state with the domain (libvirt", 10),
                  "the dialog does not say libvirt keeps the state: %r" % dump(dialog))
            check(find(pyatspi.ROLE_TEXT, "State file name", dialog) is None, "a file name is asked of libvirt")
            click(pyatspi.ROLE_PUSH_BUTTON, "Save", dialog)
            check(lib_gui.wait_for(lambda: row_state("test") == "shut off", 30),
                  "test's row shows %r after the save\n%s" % (row_state("test"), app.log_text()))
            check(lib_gui.wait_for(lambda: find(pyatspi.ROLE_DIALOG, "Save \u201ctest\u201d") is None, 10),
                  "the dialog stayed after the save")
            dialog = open_dialog(servers[0], "Restore…", "Restore")
            table = lib_gui.wait_for(lambda: lib_gui.find_one(dialog, lambda n: n.getRole() in (
                pyatspi.ROLE_TABLE, pyatspi.ROLE_TREE_TABLE) and n.name == "Saved domains"), 10)
            check(table, "the dialog has no list of saves")
            check(lib_gui.wait_for(lambda: table.queryTable().nRows == 1
                                   and table.queryTable().getAccessibleAt(0, 0).name == "test", 10),
                  "the libvirt server's saves: %r" % dump(table))
            check(find(pyatspi.ROLE_TEXT, "State file name", dialog) is None, "a file name is asked of libvirt")
            click(pyatspi.ROLE_PUSH_BUTTON, "Restore", dialog)
            check(lib_gui.wait_for(lambda: row_state("test") in RUNNING, 30),
                  "test's row shows %r after the restore\n%s" % (row_state("test"), app.log_text()))
            check(lib_gui.wait_for(lambda: find(pyatspi.ROLE_DIALOG, "Restore") is None, 10),
                  "the dialog stayed after the restore")

        tap.step("on a libvirt server Save… is libvirt's managed save (no file name asked) and "
                 "Restore… lists the domain and starts it from it", libvirt_managed_save)

        tap.step("domus said no warning", app.quiet)
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
