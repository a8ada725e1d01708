#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Snapshots, clones and built guests in the window (issue 15), through AT-SPI.

Usage: test-guests.py GUEST_DIR DOMUS   (DOMUS_BUILD_DIR from the environment)

A domusd with --root in a fresh folder has "snap", the test guest on a qcow2 disk of its
image store, running under TCG. `domus --connect unix:ROOT/domusd.sock` runs under an Xvfb
and a session bus of the test's own, with G_DEBUG=fatal-warnings. As a screen reader would:

- snap's Snapshots tab: Take… with the name "first" lists it (with memory), and the daemon
  lists it too (domain.snapshot.list on its socket, and `domusctl snapshot list` when that
  verb exists);
- Revert… asks first (nothing reverted before the answer); confirmed, the guest's tick
  counter (its serial log) goes back to the snapshot's value; Delete… asks, then the list
  and the daemon have no snapshot;
- snap shut off, "Clone…" in its context menu (Shift+F10) opens the dialog; "snap-copy"
  cloned: its row appears, the daemon has it defined with its own disk in the store;
- a disks-only snapshot of the shut-off snap; started, a revert to it is refused and the
  tab says why; a linked clone refused in the dialog until snap is a template, then made
  (its disk an overlay on snap's); the tab, popover, dialog and Debian page's controls all
  have accessible names and descriptions;
- the create assistant's "From a template": snap offered, Linked clone checked; the
  resources, disk, network and console pages skipped; Apply makes "snap-tpl" (its disk an
  overlay on snap's) and starts it: its row shows it running, `domusctl list` lists it;
- the create assistant's "Debian from the archive": name, SSH key file (a throwaway key),
  root password, and an archive mirror on a loopback port where nothing listens (a real
  build takes minutes: not in this suite, see tests/slow); the disk, network and console
  pages are skipped, Apply shows the host's build stages, then the host's refusal ("could
  not be reached") on the source page; nothing is left in the image store, and the password
  is in no file of the test's folder (the daemon's log, the window's settings);
- "Cloud image" is offered only when the host says it can make such guests.

Everything started here is ended by PID. Output is TAP.
"""

import json
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import lib_gui  # noqa: E402
from lib_domus import Daemon, Tap, check, ctl, ctl_ok, guest_cfg, rpc_call, serial_text  # noqa: E402
from lib_qemu import make_temp_dir  # noqa: E402

GUEST_DIR = sys.argv[1]
DOMUS = sys.argv[2]
FIND_TIMEOUT = 20.0
HOST_NAME = "testhost"
PASSWORD = "gui-r00t-Secret-7"
SHIFT_MASK = 1 << 0
KEY_F10 = 0xffc7


def daemon_snapshots(daemon, name):
    return [s["name"] for s in rpc_call(daemon.socket_path, "domain.snapshot.list", name=name)["snapshots"]]


def daemon_domains(daemon):
    return {d["name"]: d for d in rpc_call(daemon.socket_path, "domain.list", all=True)["domains"]}


def ticks(root, name):
    """The test guest's counter, as its serial port said it so far."""
    return [int(n) for n in re.findall(r"tick (\d+)", serial_text(root, name))]


def press(pyatspi, modifiers, keysym):
    registry = pyatspi.Registry
    registry.generateKeyboardEvent(modifiers, None, pyatspi.KEY_LOCKMODIFIERS)
    try:
        registry.generateKeyboardEvent(keysym, None, pyatspi.KEY_SYM)
    finally:
        registry.generateKeyboardEvent(modifiers, None, pyatspi.KEY_UNLOCKMODIFIERS)


def files_holding(folder, text):
    """Every file under folder whose bytes hold text (sockets and the like skipped)."""
    found = []
    needle = text.encode()
    for top, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(top, name)
            if not os.path.isfile(path) or os.path.islink(path):
                continue
            try:
                with open(path, "rb") as f:
                    if needle in f.read():
                        found.append(path)
            except OSError:
                continue
    return found


def main():
    tap = Tap()
    root = make_temp_dir("domus-gui-guests-")
    session = daemon = app = None
    app_log_path = os.path.join(root, "domus.log")
    try:
        images = os.path.join(root, "images")
        os.makedirs(images, exist_ok=True)
        disk = os.path.join(images, "snap.qcow2")
        daemon = Daemon(root, name=HOST_NAME).wait_listening()

        def set_up():
            subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", disk, "64M"], check=True)
            rpc_call(daemon.socket_path, "domain.define",
                     config=guest_cfg(GUEST_DIR, "snap", "disk = [ 'tap:qcow2:%s,xvda,w' ]\n" % disk))
            ctl_ok(daemon.uri, "start", "snap", timeout=120)
            check(lib_gui.wait_for(lambda: len(ticks(root, "snap")) >= 2, 120),
                  "the guest's tick counter did not start: %r" % ticks(root, "snap"))

        if not tap.step("the daemon runs snap, the test guest on a qcow2 disk of its store", set_up):
            return tap.finish()

        session = lib_gui.Session(root).start()
        import pyatspi  # noqa: E402 - after the session: it connects to the buses in os.environ

        env = session.env()
        env["G_DEBUG"] = "fatal-warnings"
        env["LC_ALL"] = "C.UTF-8"
        app = lib_gui.App([DOMUS, "--connect", daemon.uri], env, app_log_path)
        window = lib_gui.DomusTree(pyatspi)

        def showing(node):
            return lib_gui.is_showing(node, pyatspi)

        def sensitive(node):
            return node.getState().contains(pyatspi.STATE_SENSITIVE)

        def find(role, name, under=None):
            return lib_gui.find_one(under or window.app, lambda n: n.getRole() == role and n.name == name
                                    and showing(n))

        def wait_find(role, name, under=None, timeout=10):
            node = lib_gui.wait_for(lambda: find(role, name, under), timeout)
            check(node, "no %r showing (role %s)" % (name, role))
            return node

        def click(role, name, under=None, timeout=10):
            node = wait_find(role, name, under, timeout)
            check(lib_gui.wait_for(lambda: sensitive(node), timeout), "%r is not sensitive" % name)
            node.queryAction().doAction(0)
            return node

        def window_found():
            found = lib_gui.wait_for(window.find, FIND_TIMEOUT)
            check(found, "no window (domus %s):\n%s" % ("running" if app.poll() is None
                                                       else "exited with %s" % app.returncode, app.log_text()))
            check(lib_gui.wait_for(lambda: "snap" in window.names(), FIND_TIMEOUT),
                  "no row for snap: %r" % window.all_rows())

        if not tap.step("the window shows snap", window_found):
            return tap.finish()

        def dump(under=None, depth=99):
            """What shows under a node, for a failure's message."""
            return [(n.getRoleName(), n.name) for n in lib_gui.find_all(
                under or window.frame, lambda n: showing(n) and n.name, limit=3000)][:150]

        def select_tab(name):
            tab = wait_find(pyatspi.ROLE_PAGE_TAB, name)
            tabs = tab.parent
            index = [tabs.getChildAtIndex(i) for i in range(tabs.childCount)].index(tab)
            check(tabs.querySelection().selectChild(index), "the %r tab could not be selected" % name)

        def snapshot_table():
            return lib_gui.find_one(window.frame, lambda n: n.getRole() in (pyatspi.ROLE_TABLE, pyatspi.ROLE_TREE_TABLE)
                                    and n.name == "Snapshots" and showing(n))

        def listed_snapshots():
            table = snapshot_table()
            if table is None:
                return None
            cells = table.queryTable()
            return [(cells.getAccessibleAt(r, 0).name, cells.getAccessibleAt(r, 2).name)
                    for r in range(cells.nRows)]

        saved = {}

        def take_snapshot():
            check(window.select("snap"), "the tree refused to select snap")
            select_tab("Snapshots")
            check(lib_gui.wait_for(lambda: listed_snapshots() == [], 10),
                  "the Snapshots tab does not show an empty list: %r; showing: %r" % (listed_snapshots(), dump()))
            click(pyatspi.ROLE_TOGGLE_BUTTON, "Take…")
            entry = wait_find(pyatspi.ROLE_TEXT, "Snapshot name")
            check(entry.queryText().getText(0, -1).startswith("snap-"),
                  "the name offered is %r" % entry.queryText().getText(0, -1))
            entry.queryEditableText().setTextContents("first")
            saved["tick"] = ticks(root, "snap")[-1]
            click(pyatspi.ROLE_PUSH_BUTTON, "Take Snapshot")
            shown = lib_gui.wait_for(lambda: listed_snapshots() == [("first", "with memory")], 90)
            check(shown, "the tab lists %r" % listed_snapshots())
            check(daemon_snapshots(daemon, "snap") == ["first"],
                  "the daemon lists %r" % daemon_snapshots(daemon, "snap"))
            r = ctl(daemon.uri, "snapshot", "list", "snap")
            if r.returncode == 0:
                check("first" in r.stdout, "domusctl snapshot list says %r" % r.stdout)
            else:
                print("# domusctl has no snapshot verb here (%s): checked on the socket only"
                      % r.stderr.strip().splitlines()[-1:], flush=True)
            taken = lib_gui.find_one(snapshot_table(), lambda n: re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", n.name or ""))
            check(taken is not None, "no time shown for the snapshot")

        tap.step("Take… in snap's Snapshots tab lists the snapshot with its time; the daemon has it",
                 take_snapshot)

        def select_snapshot(name):
            table = snapshot_table()
            rows = [n for n, _ in listed_snapshots()]
            check(name in rows, "no row %r: %r" % (name, rows))
            cells = table.queryTable()
            row = rows.index(name)
            check(cells.isRowSelected(row) or cells.addRowSelection(row), "the row %r could not be selected" % name)

        def alert_with(question):
            return lib_gui.wait_for(lambda: lib_gui.find_one(
                window.app, lambda n: n.getRole() == pyatspi.ROLE_ALERT and showing(n)
                and lib_gui.find_one(n, lambda m: m.getRole() == pyatspi.ROLE_LABEL and m.name == question)), 10)

        def revert_after_confirmation():
            check(lib_gui.wait_for(lambda: ticks(root, "snap")[-1] >= saved["tick"] + 4, 120),
                  "the guest's counter did not move on: %r" % ticks(root, "snap")[-3:])
            select_snapshot("first")
            click(pyatspi.ROLE_PUSH_BUTTON, "Revert…")
            alert = alert_with("Revert \u201csnap\u201d to \u201cfirst\u201d?")
            check(alert, "Revert… asked nothing")
            before = len(ticks(root, "snap"))
            last = ticks(root, "snap")[-1]
            check(last >= saved["tick"] + 4, "the counter went back before the answer: %d" % last)
            click(pyatspi.ROLE_PUSH_BUTTON, "Revert", alert)
            check(lib_gui.wait_for(lambda: len(ticks(root, "snap")) > before + 1, 90),
                  "no tick after the revert")
            after = ticks(root, "snap")[before:]
            check(saved["tick"] <= after[0] <= saved["tick"] + 2,
                  "after the revert the counter reads %r (it was %d at the snapshot, %d before)"
                  % (after[:3], saved["tick"], last))

        tap.step("Revert… asks first; confirmed, the guest goes back to the snapshot's moment",
                 revert_after_confirmation)

        def delete_after_confirmation():
            select_snapshot("first")
            click(pyatspi.ROLE_PUSH_BUTTON, "Delete…")
            alert = alert_with("Delete the snapshot \u201cfirst\u201d of \u201csnap\u201d?")
            check(alert, "Delete… asked nothing")
            check(daemon_snapshots(daemon, "snap") == ["first"], "deleted before the answer")
            click(pyatspi.ROLE_PUSH_BUTTON, "Delete", alert)
            check(lib_gui.wait_for(lambda: listed_snapshots() == [], 60),
                  "the tab still lists %r" % listed_snapshots())
            check(daemon_snapshots(daemon, "snap") == [], "the daemon lists %r" % daemon_snapshots(daemon, "snap"))

        tap.step("Delete… asks first, then the snapshot is gone from the tab and the daemon",
                 delete_after_confirmation)

        def audit(node, where, allowed=lib_gui.WM_BUTTONS):
            missing = lib_gui.undescribed_controls(node, pyatspi, allowed)
            check(not missing, "%s: controls without a name or a description:\n%s" % (where, "\n".join(missing)))

        def open_clone_dialog():
            check(window.select("snap"), "the tree refused to select snap")
            check(window.table.queryComponent().grabFocus(), "the tree did not take the focus")
            press(pyatspi, SHIFT_MASK, KEY_F10)
            item = lib_gui.wait_for(lambda: find(pyatspi.ROLE_MENU_ITEM, "Clone…"), 5)
            check(item, "snap's menu has no Clone…")
            check(lib_gui.wait_for(lambda: sensitive(item), 5), "Clone… is not offered for a shut-off domain")
            item.queryAction().doAction(0)
            dialog = lib_gui.wait_for(lambda: find(pyatspi.ROLE_DIALOG, "Clone \u201csnap\u201d"), 10)
            check(dialog, "Clone… opened no dialog")
            return dialog

        def clone_dialog_gone():
            return lib_gui.wait_for(lambda: find(pyatspi.ROLE_DIALOG, "Clone \u201csnap\u201d") is None, 5)

        def clone_from_menu():
            ctl_ok(daemon.uri, "destroy", "snap")
            check(lib_gui.wait_for(lambda: dict(window.all_rows()).get("snap") == "shut off", 20),
                  "snap's row shows %r" % dict(window.all_rows()).get("snap"))
            dialog = open_clone_dialog()
            audit(dialog, "the Clone dialog")
            entry = wait_find(pyatspi.ROLE_TEXT, "New domain name", dialog)
            check(entry.queryText().getText(0, -1) == "snap-clone",
                  "the name offered is %r" % entry.queryText().getText(0, -1))
            entry.queryEditableText().setTextContents("snap")
            button = wait_find(pyatspi.ROLE_PUSH_BUTTON, "Clone", dialog)
            check(lib_gui.wait_for(lambda: not sensitive(button), 5), "Clone is offered for the name snap")
            entry.queryEditableText().setTextContents("snap-copy")
            click(pyatspi.ROLE_PUSH_BUTTON, "Clone", dialog)
            check(lib_gui.wait_for(lambda: "snap-copy" in window.names(), 60),
                  "no row for snap-copy: %r\n%s" % (window.all_rows(), app.log_text()))
            check(clone_dialog_gone(), "the dialog stayed")
            domains = daemon_domains(daemon)
            check("snap-copy" in domains and domains["snap-copy"]["state"] == "shutoff",
                  "the daemon has %r" % sorted(domains))
            check(os.path.exists(os.path.join(images, "snap-copy.qcow2")), "no disk snap-copy.qcow2 in the store")
            check(lib_gui.wait_for(lambda: window.selected() == ["snap-copy"], 10),
                  "the window selects %r, not the clone" % window.selected())

        tap.step("Clone… in a shut-off domain's menu makes snap-copy, listed in the window and the daemon",
                 clone_from_menu)

        def refusal_in_the_tab():
            check(window.select("snap"), "the tree refused to select snap")
            select_tab("Snapshots")
            audit(window.frame, "snap's page with its Snapshots tab")
            click(pyatspi.ROLE_TOGGLE_BUTTON, "Take…")
            entry = wait_find(pyatspi.ROLE_TEXT, "Snapshot name")
            audit(entry.parent, "the Take popover")
            entry.queryEditableText().setTextContents("off")
            click(pyatspi.ROLE_PUSH_BUTTON, "Take Snapshot")
            check(lib_gui.wait_for(lambda: listed_snapshots() == [("off", "disks only")], 60),
                  "the tab lists %r" % listed_snapshots())
            ctl_ok(daemon.uri, "start", "snap", timeout=120)
            select_snapshot("off")
            click(pyatspi.ROLE_PUSH_BUTTON, "Revert…")
            alert = alert_with("Revert \u201csnap\u201d to \u201coff\u201d?")
            check(alert, "Revert… asked nothing")
            click(pyatspi.ROLE_PUSH_BUTTON, "Revert", alert)
            prefix = "Could not revert \u201csnap\u201d to the snapshot \u201coff\u201d: "
            shown = lib_gui.wait_for(lambda: lib_gui.find_one(
                window.frame, lambda n: n.getRole() == pyatspi.ROLE_LABEL and n.name.startswith(prefix)
                and showing(n)), 60)
            check(shown, "the tab shows no refusal: %r" % dump())
            check(len(shown.name) > len(prefix), "the refusal has no reason: %r" % shown.name)
            print("# %s" % shown.name, flush=True)
            ctl_ok(daemon.uri, "destroy", "snap")

        tap.step("a disks-only snapshot of the shut-off domain is listed so; the host's refusal to "
                 "revert the running domain to it shows in the tab with its reason", refusal_in_the_tab)

        def linked_clone():
            check(lib_gui.wait_for(lambda: dict(window.all_rows()).get("snap") == "shut off", 20),
                  "snap's row shows %r" % dict(window.all_rows()).get("snap"))
            dialog = open_clone_dialog()
            wait_find(pyatspi.ROLE_TEXT, "New domain name", dialog).queryEditableText().setTextContents("snap-thin")
            click(pyatspi.ROLE_RADIO_BUTTON, "Linked clone (of a template)", dialog)
            click(pyatspi.ROLE_PUSH_BUTTON, "Clone", dialog)
            prefix = "Could not clone \u201csnap\u201d as \u201csnap-thin\u201d: "
            refused = lib_gui.wait_for(lambda: lib_gui.find_one(
                dialog, lambda n: n.getRole() == pyatspi.ROLE_LABEL and n.name.startswith(prefix)), 30)
            check(refused, "a linked clone of a domain that is no template was not refused in the dialog")
            check("snap-thin" not in daemon_domains(daemon), "snap-thin was defined all the same")
            ctl_ok(daemon.uri, "template", "snap", "on")
            click(pyatspi.ROLE_PUSH_BUTTON, "Clone", dialog)
            check(lib_gui.wait_for(lambda: "snap-thin" in window.names(), 60),
                  "no row for snap-thin: %r" % window.all_rows())
            check(clone_dialog_gone(), "the dialog stayed")
            info = subprocess.run(["qemu-img", "info", "--output=json", os.path.join(images, "snap-thin.qcow2")],
                                  capture_output=True, text=True, check=True)
            backing = json.loads(info.stdout).get("backing-filename", "")
            check(os.path.basename(backing) == "snap.qcow2", "snap-thin's disk stands on %r" % backing)

        tap.step("a linked clone is refused in the dialog until snap is a template, then made as an "
                 "overlay on snap's disk", linked_clone)

        def open_assistant(name):
            """The create assistant, its Name page filled in with name, on its source page."""
            check(window.select(HOST_NAME), "the tree refused to select the server")
            click(pyatspi.ROLE_PUSH_BUTTON, "Create Domain")
            assistant = lib_gui.wait_for(lambda: lib_gui.find_one(
                window.app, lambda n: n.getRole() in (pyatspi.ROLE_FRAME, pyatspi.ROLE_DIALOG)
                and n.name != "Domus" and showing(n)
                and lib_gui.find_one(n, lambda m: m.getRole() == pyatspi.ROLE_PUSH_BUTTON and m.name == "Next")), 10)
            check(assistant, "Create Domain opened no assistant: %r" % dump(window.app, 3))
            wait_find(pyatspi.ROLE_TEXT, "Domain name", assistant).queryEditableText().setTextContents(name)
            click(pyatspi.ROLE_PUSH_BUTTON, "Next", assistant)
            return assistant

        def template_source():
            assistant = open_assistant("snap-tpl")
            radio = wait_find(pyatspi.ROLE_RADIO_BUTTON, "From a template", assistant)
            check(lib_gui.wait_for(lambda: sensitive(radio), 5),
                  "From a template is not offered though snap is a template")
            click(pyatspi.ROLE_RADIO_BUTTON, "From a template", assistant)
            combo = wait_find(pyatspi.ROLE_COMBO_BOX, "Template", assistant)
            check(combo.name == "Template" and lib_gui.find_one(combo, lambda n: n.name == "snap"),
                  "the template list does not offer snap: %r" % dump(combo))
            linked = wait_find(pyatspi.ROLE_CHECK_BOX, "Linked clone", assistant)
            check(linked.getState().contains(pyatspi.STATE_CHECKED), "a linked clone is not the default")
            audit(assistant, "the assistant's template source",
                  lib_gui.WM_BUTTONS + ("Cancel", "Back", "Next", "Apply", "Close", "Finish"))
            click(pyatspi.ROLE_PUSH_BUTTON, "Next", assistant)
            summary = wait_find(pyatspi.ROLE_TEXT, "Configuration file", assistant)
            text = summary.queryText().getText(0, -1)
            check("linked clone of the template \u201csnap\u201d" in text,
                  "the summary (right after the source page) says %r" % text)
            click(pyatspi.ROLE_PUSH_BUTTON, "Apply", assistant)
            check(lib_gui.wait_for(lambda: dict(window.all_rows()).get("snap-tpl") == "running", 120),
                  "snap-tpl is not listed running: %r\n%s" % (window.all_rows(), app.log_text()))
            r = ctl(daemon.uri, "list")
            check(r.returncode == 0 and re.search(r"^snap-tpl\s", r.stdout, re.M),
                  "domusctl list does not list snap-tpl: %s%s" % (r.stdout, r.stderr))
            check(daemon_domains(daemon)["snap-tpl"]["state"] == "running", "the daemon does not run snap-tpl")
            info = subprocess.run(["qemu-img", "info", "-U", "--output=json", os.path.join(images, "snap-tpl.qcow2")],
                                  capture_output=True, text=True, check=True)
            backing = json.loads(info.stdout).get("backing-filename", "")
            check(os.path.basename(backing) == "snap.qcow2", "snap-tpl's disk stands on %r" % backing)
            ctl_ok(daemon.uri, "destroy", "snap-tpl")

        tap.step("the create assistant's \"From a template\" offers snap, makes snap-tpl a linked clone "
                 "of it and starts it; the window and domusctl list have it", template_source)

        def debian_source():
            key = os.path.join(root, "id_test")
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True,
                           stdin=subprocess.DEVNULL)
            before = sorted(os.listdir(images))
            assistant = open_assistant("deb")
            cloud = wait_find(pyatspi.ROLE_RADIO_BUTTON, "Cloud image", assistant)
            methods = rpc_call(daemon.socket_path, "hello")["capabilities"]
            can_cloud = any("cloud" in m for m in methods)
            check(sensitive(cloud) == can_cloud, "Cloud image is %s though the host's methods are %r"
                  % ("offered" if sensitive(cloud) else "not offered", methods))
            click(pyatspi.ROLE_RADIO_BUTTON, "Debian from the archive", assistant)
            audit(assistant, "the assistant's Debian source",
                  lib_gui.WM_BUTTONS + ("Cancel", "Back", "Next", "Apply", "Close", "Finish"))
            nxt = wait_find(pyatspi.ROLE_PUSH_BUTTON, "Next", assistant)
            check(lib_gui.wait_for(lambda: not sensitive(nxt), 5), "Next is offered with neither key nor password")
            wait_find(pyatspi.ROLE_TEXT, "SSH public key file", assistant).queryEditableText().setTextContents(key + ".pub")
            wait_find(pyatspi.ROLE_PASSWORD_TEXT, "Root password", assistant).queryEditableText().setTextContents(PASSWORD)
            wait_find(pyatspi.ROLE_PASSWORD_TEXT, "Repeat root password", assistant).queryEditableText().setTextContents("other")
            check(lib_gui.wait_for(lambda: find(pyatspi.ROLE_LABEL, "The two passwords differ.", assistant), 5),
                  "two different passwords are not refused")
            wait_find(pyatspi.ROLE_PASSWORD_TEXT, "Repeat root password", assistant).queryEditableText().setTextContents(PASSWORD)
            wait_find(pyatspi.ROLE_TEXT, "Archive mirror", assistant).queryEditableText().setTextContents(
                "http://127.0.0.1:9/debian")
            click(pyatspi.ROLE_PUSH_BUTTON, "Next", assistant)
            wait_find(pyatspi.ROLE_SPIN_BUTTON, "Memory in MiB", assistant)
            click(pyatspi.ROLE_PUSH_BUTTON, "Next", assistant)
            summary = wait_find(pyatspi.ROLE_TEXT, "Configuration file", assistant)
            text = summary.queryText().getText(0, -1)
            check("Debian \u201cbookworm\u201d" in text and key + ".pub" in text and PASSWORD not in text,
                  "the summary (right after the resources page) says %r" % text)
            click(pyatspi.ROLE_PUSH_BUTTON, "Apply", assistant)
            stages = set()

            def refused():
                for n in lib_gui.find_all(assistant, lambda n: n.getRole() == pyatspi.ROLE_LABEL and showing(n)):
                    if n.name.startswith("Checking") or n.name.startswith("Building the base"):
                        stages.add(n.name)
                error = find(pyatspi.ROLE_LABEL, "Error", assistant)
                return error is not None and error.queryText().getText(0, -1)
            message = lib_gui.wait_for(refused, 120, 0.05)
            check(message and "could not be reached" in message,
                  "the assistant shows %r\n%s" % (message, daemon.log_text()[-2000:]))
            check(find(pyatspi.ROLE_RADIO_BUTTON, "Debian from the archive", assistant) is not None,
                  "the refusal is not shown on the source page")
            print("# stages seen: %r" % sorted(stages), flush=True)
            check(stages, "no build stage was shown while the host worked")
            check(sorted(os.listdir(images)) == before, "the store changed: %r, was %r"
                  % (sorted(os.listdir(images)), before))
            check("deb" not in daemon_domains(daemon), "a domain deb was defined")
            holding = files_holding(root, PASSWORD)
            check(not holding, "the password is written in %r" % holding)
            click(pyatspi.ROLE_PUSH_BUTTON, "Cancel", assistant)

        tap.step("the assistant's Debian source: fields checked, disk/network/console skipped, the "
                 "host's build stages shown, its refusal on the source page; nothing left, the "
                 "password in no file", debian_source)

        def quiet():
            log = app.log_text()
            check("WARNING" not in log and "CRITICAL" not in log, "domus complained:\n" + log)

        tap.step("domus said no warning", quiet)
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
