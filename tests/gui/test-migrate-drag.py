#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Live migration from the window: a real mouse drag of a domain's row onto another server.

Usage: test-migrate-drag.py GUEST_DIR DOMUS   (DOMUS_BUILD_DIR from the environment)

Three domusd run with --root in folders of their own, different --name, and relocation on
(127.0.0.1 allowed) in each root's domusd.conf, host-c's on every address (address=""); the
test guest "mover" runs on host-a.
`domus --connect A --connect B --connect C` runs under an Xvfb and a session bus of the test's own,
with G_DEBUG=fatal-warnings. Then, as a user would:

- xdotool presses the mouse on mover's row (its screen position from AT-SPI), moves in
  steps onto host-b's row and lets go: the migration dialog opens with the target's
  checks, every one passed, and "Migrate" enabled;
- Return (typed with xdotool) migrates: `domusctl list --all --json` shows mover running
  on host-b and gone from host-a; the dialog reports the downtime; the tree shows mover
  under host-b;
- "Migrate to…" in the row's context menu (Shift+F10), the "Encrypt" check box ticked
  (a loopback target: off and free to tick) and Return bring it back to host-a, over TLS:
  the dialog's result says so, and host-a's daemon logs that it prepared an encrypted
  migration (the key reached it through the backend's call);
- with a shut-off "mover" defined on host-b, a drop shows the failed name check and
  "Migrate" stays disabled; Cancel closes the dialog;
- a shut-off "parked" defined on host-a, dropped on host-b: the dialog offers "Start
  There" (start on another server) without the migration options; Return starts it on
  host-b and its config leaves host-a;
- dropped on host-c (not loopback: encrypted migrations only), the dialog's Encrypt check
  box is ticked and cannot be unticked, its tooltip says why, and the client's encryption
  check passed; Cancel closes it.

Everything started here is ended by PID. Output is TAP.
"""

import json
import os
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import lib_gui  # noqa: E402
from lib_domus import Daemon, Tap, check, ctl, ctl_ok  # noqa: E402
from lib_qemu import make_temp_dir  # noqa: E402

BUILD_DIR = os.environ["DOMUS_BUILD_DIR"]
GUEST_DIR = sys.argv[1]
DOMUS = sys.argv[2]
FIND_TIMEOUT = 20.0
MIGRATE_TIMEOUT = 90.0
NAME = "mover"
ENCRYPT = "Encrypt the memory and disks sent (TLS)"
PARKED = "parked"
RELOCATION_CONF = ("[relocation]\n"
                   "enabled=true\n"
                   "address=%s\n"
                   "port=0\n"
                   "hosts-allow=^localhost$;^127\\.0\\.0\\.1$\n")

SHIFT_MASK = 1 << 0
KEY_F10 = 0xffc7


def listed(uri):
    """name -> state of every domain domusctl lists on uri (None when the call fails)."""
    r = ctl(uri, "list", "--all", "--json")
    if r.returncode != 0:
        return None
    return {d["name"]: d["state"] for d in json.loads(r.stdout)}


def guest_config(name):
    """The test guest, no disk: any server that has the guest's kernel can run it."""
    return ("name = '%s'\nkernel = '%s'\nramdisk = '%s'\n"
            "extra = 'console=ttyS0'\nmemory = 128\nvcpus = 1\n"
            "on_poweroff = 'destroy'\n"
            % (name, os.path.join(GUEST_DIR, "vmlinuz"), os.path.join(GUEST_DIR, "initrd.img")))


def centre(node, pyatspi):
    extents = node.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
    return extents.x + extents.width // 2, extents.y + extents.height // 2


class Host:
    def __init__(self, base, label, address="127.0.0.1"):
        self.name = "host-" + label
        self.root = os.path.join(base, label)
        os.mkdir(self.root, 0o700)
        with open(os.path.join(self.root, "domusd.conf"), "w") as f:
            f.write(RELOCATION_CONF % address)
        self.daemon = Daemon(self.root, name=self.name).wait_listening()
        self.uri = self.daemon.uri


def main():
    tap = Tap()
    base = make_temp_dir("domus-gui-migrate-")
    hosts = []
    session = app = None
    app_log_path = os.path.join(base, "domus.log")
    try:
        def start_daemons():
            hosts.append(Host(base, "a"))
            hosts.append(Host(base, "b"))
            # Relocation on every address (""): it takes encrypted migrations only. Nothing
            # migrates to it here; it listens only while a migration is prepared.
            hosts.append(Host(base, "c", address=""))
            cfg = os.path.join(base, NAME + ".cfg")
            with open(cfg, "w") as f:
                f.write(guest_config(NAME))
            ctl_ok(hosts[0].uri, "create", cfg, timeout=120)

        if not tap.step("three daemons with relocation on, %s running on host-a" % NAME, start_daemons):
            return tap.finish()
        a, b, c = hosts

        session = lib_gui.Session(base).start()
        import pyatspi  # noqa: E402 - after the session: it connects to the buses in os.environ

        env = session.env()
        env["G_DEBUG"] = os.environ.get("DRAG_G_DEBUG", "fatal-warnings")
        env["LC_ALL"] = "C.UTF-8"
        app = lib_gui.App([DOMUS, "--connect", a.uri, "--connect", b.uri, "--connect", c.uri], env, app_log_path)
        state = {}

        def find_window():
            found = lib_gui.find_domus_window(pyatspi)
            if found is None:
                return False
            state["app"], _, state["table"] = found
            return True

        def rows():
            """[(name, state text, row index)] top to bottom."""
            table = state["table"].queryTable()
            if table.nRows == 0:
                # The view's accessible can be replaced (a new model): look it up again.
                find_window()
                table = state["table"].queryTable()
            return [(table.getAccessibleAt(r, 1).name, table.getAccessibleAt(r, 2).name, r)
                    for r in range(table.nRows)]

        def index_of(name):
            for row_name, _, r in rows():
                if row_name == name:
                    return r
            return None

        def under(name, host):
            """True when name's row comes after host's row and before any later host's."""
            order = [n for n, _, _ in rows()]
            if name not in order or host not in order:
                return False
            hosts_after = [h.name for h in hosts if h.name in order
                           and order.index(h.name) > order.index(host)]
            end = min([order.index(h) for h in hosts_after], default=len(order))
            return order.index(host) < order.index(name) < end

        def cell(name):
            return state["table"].queryTable().getAccessibleAt(index_of(name), 1)

        def window_shows_both():
            found = lib_gui.wait_for(find_window, FIND_TIMEOUT)
            check(found, "no domus window with a tree 'Servers' (domus %s):\n%s"
                  % ("running" if app.poll() is None else "exited with %s" % app.returncode,
                     app.log_text()))
            ok = lib_gui.wait_for(lambda: {r[0]: r[1] for r in rows()}.get(a.name) == "connected"
                                  and {r[0]: r[1] for r in rows()}.get(b.name) == "connected"
                                  and {r[0]: r[1] for r in rows()}.get(c.name) == "connected"
                                  and under(NAME, a.name), FIND_TIMEOUT)
            check(ok, "rows: %r" % (rows(),))

        if not tap.step("the tree shows the three servers connected and %s under host-a" % NAME,
                        window_shows_both):
            return tap.finish()

        def dialog(title="Migrate"):
            return lib_gui.find_one(state["app"], lambda n: n.getRole() == pyatspi.ROLE_DIALOG
                                    and n.name == title and lib_gui.is_showing(n, pyatspi))

        def drag_onto(name, host_name):
            """A real drag: press on name's row, move in steps onto host_name's row, let go."""
            # Rows are redrawn as statistics arrive: read both positions in one go.
            points = lib_gui.wait_for(lambda: (centre(cell(name), pyatspi), centre(cell(host_name), pyatspi)), 5)
            check(points, "no screen position for the rows %r" % (rows(),))
            (sx, sy), (dx, dy) = points
            lib_gui.xdotool("mousemove", sx, sy)
            lib_gui.xdotool("mousedown", 1)
            for i in range(1, 9):
                lib_gui.xdotool("mousemove", sx + (dx - sx) * i // 8, sy + (dy - sy) * i // 8)
                lib_gui.wait_for(lambda: False, 0.05, 0.05)
            lib_gui.wait_for(lambda: False, 0.3, 0.3)
            lib_gui.xdotool("mouseup", 1)

        def button(parent, name):
            return lib_gui.find_one(parent, lambda n: n.getRole() == pyatspi.ROLE_PUSH_BUTTON
                                    and n.name == name and lib_gui.is_showing(n, pyatspi))

        def labels(parent):
            return [n.name for n in lib_gui.find_all(parent, lambda n: n.getRole() == pyatspi.ROLE_LABEL)]

        def sensitive(node):
            return node.getState().contains(pyatspi.STATE_SENSITIVE)

        def checks_passed(target):
            found = lib_gui.wait_for(dialog, 10)
            check(found, "no dialog 'Migrate' showing; log:\n%s" % app.log_text())
            state["dialog"] = found
            heading = "Move “%s” from " % NAME
            check(lib_gui.wait_for(lambda: any(t.startswith(heading) and t.endswith(" to " + target)
                                               for t in labels(found)), 5),
                  "the dialog's heading does not name %s: %r" % (target, labels(found)))
            migrate = lib_gui.wait_for(lambda: button(found, "Migrate"), 5)
            check(migrate, "no Migrate button in the dialog")
            ok = lib_gui.wait_for(lambda: sensitive(migrate), 30)
            texts = labels(found)
            check(ok, "Migrate never became sensitive; the dialog says %r" % texts)
            for check_id in ("Relocation", "Memory", "Name", "Disks"):
                check(any(t.startswith(check_id + ": ok") for t in texts),
                      "no passed %r check in %r" % (check_id, texts))
            check(not any(": failed" in t for t in texts), "a failed check: %r" % texts)

        def encrypt_box():
            return lib_gui.find_one(state["dialog"], lambda n: n.getRole() == pyatspi.ROLE_CHECK_BOX
                                    and n.name == ENCRYPT and lib_gui.is_showing(n, pyatspi))

        def checked(node):
            return node.getState().contains(pyatspi.STATE_CHECKED)

        def confirm_with_return(present=False):
            # No window manager: the keyboard goes to the window X focused last or, when none
            # was, where the pointer is. After AT-SPI focused the tree (the menu path), the
            # dialog is focused the same way (grabFocus presents its window).
            if present:
                migrate = button(state["dialog"], "Migrate")
                check(migrate is not None and migrate.queryComponent().grabFocus(),
                      "the Migrate button did not take the focus")
            x, y = centre(state["dialog"], pyatspi)
            lib_gui.xdotool("mousemove", x, y)
            lib_gui.xdotool("key", "Return")

        def result_text():
            for node in lib_gui.find_all(state["dialog"], lambda n: n.getRole() == pyatspi.ROLE_LABEL
                                         and n.name == "Result"):
                text = node.queryText().getText(0, -1)
                if text:
                    return text
            return ""

        def result_says(target):
            text = lib_gui.wait_for(lambda: result_text() or None, MIGRATE_TIMEOUT)
            check(text, "the dialog shows no result after %.0f s; it says %r"
                  % (MIGRATE_TIMEOUT, labels(state["dialog"])))
            check(text.startswith("“%s” now runs on %s. Downtime " % (NAME, target))
                  and " ms, total " in text, "the dialog says %r" % text)
            bar = lib_gui.find_one(state["dialog"], lambda n: n.getRole() == pyatspi.ROLE_PROGRESS_BAR
                                   and n.name == "Migration progress")
            check(bar is not None and lib_gui.is_showing(bar, pyatspi), "no progress bar showing")
            value = bar.queryValue()
            check(value.currentValue == value.maximumValue,
                  "the progress bar stopped at %r of %r" % (value.currentValue, value.maximumValue))
            return text

        def moved(source, target):
            ok = lib_gui.wait_for(lambda: (listed(target.uri) or {}).get(NAME) in ("running", "blocked")
                                  and NAME not in (listed(source.uri) or {NAME: "?"}), MIGRATE_TIMEOUT)
            check(ok, "after the migration: %s lists %r, %s lists %r"
                  % (source.name, listed(source.uri), target.name, listed(target.uri)))
            ok = lib_gui.wait_for(lambda: under(NAME, target.name), 10)
            check(ok, "%s's row is not under %s: %r" % (NAME, target.name, rows()))

        def close_dialog():
            close = lib_gui.wait_for(lambda: button(state["dialog"], "Close"), 5)
            check(close, "no Close button once it ended")
            close.queryAction().doAction(0)
            check(lib_gui.wait_for(lambda: dialog() is None, 5), "the dialog did not close")

        def drag_row():
            drag_onto(NAME, b.name)
            checks_passed(b.name)

        if not tap.step("dragging %s's row onto host-b's row opens the dialog, every check passed" % NAME,
                        drag_row):
            return tap.finish()

        def dialog_described():
            bad = lib_gui.undescribed_controls(state["dialog"], pyatspi)
            check(not bad, "%d control(s) of the dialog without a name or description:\n  %s"
                  % (len(bad), "\n  ".join(bad)))

        tap.step("the dialog: every control has a name and a description", dialog_described)

        def migrate_by_return():
            box = encrypt_box()
            check(box is not None, "no %r check box in the dialog" % ENCRYPT)
            check(sensitive(box) and not checked(box),
                  "to a loopback target, %r should be free and off: %s" % (ENCRYPT, box.getState().getStates()))
            confirm_with_return()
            text = result_says(b.name)
            check("encrypted" not in text, "a migration not asked to encrypt says %r" % text)
            check("(in clear)" in b.daemon.log_text(), "host-b's log: %s" % b.daemon.log_text()[-800:])
            moved(a, b)
            selected = state["table"].queryTable().isRowSelected(index_of(NAME))
            check(selected, "%s's row on host-b is not selected" % NAME)
            close_dialog()

        if not tap.step("Return migrates it: domusctl shows it on host-b only, the row moved",
                        migrate_by_return):
            return tap.finish()

        def migrate_back_from_menu():
            check(state["table"].queryComponent().grabFocus(), "the tree did not take the focus")
            point = lib_gui.wait_for(lambda: centre(cell(NAME), pyatspi), 5)
            check(point, "no screen position for %s's row: %r" % (NAME, rows()))
            lib_gui.xdotool("mousemove", point[0], point[1])
            registry = pyatspi.Registry
            registry.generateKeyboardEvent(SHIFT_MASK, None, pyatspi.KEY_LOCKMODIFIERS)
            try:
                registry.generateKeyboardEvent(KEY_F10, None, pyatspi.KEY_SYM)
            finally:
                registry.generateKeyboardEvent(SHIFT_MASK, None, pyatspi.KEY_UNLOCKMODIFIERS)
            item = lib_gui.wait_for(lambda: lib_gui.find_one(
                state["app"], lambda n: n.getRole() == pyatspi.ROLE_MENU_ITEM
                and n.name == "Migrate to…" and lib_gui.is_showing(n, pyatspi)), 5)
            check(item, "Shift+F10 on %s's row shows no 'Migrate to…'" % NAME)
            check(sensitive(item), "'Migrate to…' is not enabled for a running domain")
            item.queryAction().doAction(0)
            checks_passed(a.name)
            box = encrypt_box()
            check(box is not None and sensitive(box), "no free %r check box" % ENCRYPT)
            box.queryAction().doAction(0)
            check(lib_gui.wait_for(lambda: checked(box), 5), "%r did not become ticked" % ENCRYPT)
            confirm_with_return(present=True)
            text = result_says(a.name)
            check(text.endswith("Its memory and disks went encrypted (TLS)."), "the dialog says %r" % text)
            log = a.daemon.log_text()
            check("(encrypted: TLS with this migration's key)" in log, "host-a's log: %s" % log[-800:])
            moved(b, a)
            close_dialog()

        tap.step("“Migrate to…” from the context menu, Encrypt ticked and Return bring it back to host-a"
                 " over TLS",
                 migrate_back_from_menu)

        def refused_check_disables_migrate():
            # A shut-off "mover" defined on host-b: the target's name check fails.
            ctl_ok(b.uri, "define", os.path.join(base, NAME + ".cfg"))
            check(lib_gui.wait_for(lambda: any(n == NAME and r > index_of(b.name) for n, _, r in rows()), 10),
                  "no row for B's %s: %r" % (NAME, rows()))
            drag_onto(NAME, b.name)
            found = lib_gui.wait_for(dialog, 10)
            check(found, "no dialog 'Migrate' after the drop")
            state["dialog"] = found
            failed = lib_gui.wait_for(lambda: [t for t in labels(found) if t.startswith("Name: failed — ")], 30)
            check(failed, "no failed name check; the dialog says %r" % labels(found))
            migrate = button(found, "Migrate")
            check(migrate is not None and not sensitive(migrate), "Migrate is enabled despite %r" % failed)
            cancel = button(found, "Cancel")
            check(cancel is not None, "no Cancel button")
            cancel.queryAction().doAction(0)
            check(lib_gui.wait_for(lambda: dialog() is None, 5), "Cancel did not close the dialog")
            on_a = (listed(a.uri) or {}).get(NAME)
            check(on_a in ("running", "blocked"), "host-a lists %s as %r" % (NAME, on_a))

        tap.step("a failed check (the name is taken on the target) says so and disables Migrate",
                 refused_check_disables_migrate)

        def start_on_by_drag():
            cfg = os.path.join(base, PARKED + ".cfg")
            with open(cfg, "w") as f:
                f.write(guest_config(PARKED))
            ctl_ok(a.uri, "define", cfg)
            check(lib_gui.wait_for(lambda: under(PARKED, a.name), 10), "no row for %s: %r" % (PARKED, rows()))
            drag_onto(PARKED, b.name)
            found = lib_gui.wait_for(lambda: dialog("Start on Another Server"), 10)
            check(found, "no dialog 'Start on Another Server' after the drop; log:\n%s" % app.log_text())
            state["dialog"] = found
            heading = "Start “%s” on %s instead of %s" % (PARKED, b.name, a.name)
            check(lib_gui.wait_for(lambda: heading in labels(found), 5),
                  "no heading %r in %r" % (heading, labels(found)))
            start = lib_gui.wait_for(lambda: button(found, "Start There"), 5)
            check(start, "no Start There button")
            check(lib_gui.wait_for(lambda: sensitive(start), 30), "Start There never became sensitive; "
                  "the dialog says %r" % labels(found))
            check(not any(": failed" in t for t in labels(found)), "a failed check: %r" % labels(found))
            check(button(found, "Migrate") is None and not lib_gui.find_one(
                found, lambda n: n.getRole() == pyatspi.ROLE_RADIO_BUTTON and lib_gui.is_showing(n, pyatspi)),
                "migration options show for a shut-off domain")
            bad = lib_gui.undescribed_controls(found, pyatspi)
            check(not bad, "controls without a name or description:\n  %s" % "\n  ".join(bad))
            x, y = centre(found, pyatspi)
            lib_gui.xdotool("mousemove", x, y)
            lib_gui.xdotool("key", "Return")
            ok = lib_gui.wait_for(lambda: (listed(b.uri) or {}).get(PARKED) in ("running", "blocked")
                                  and PARKED not in (listed(a.uri) or {PARKED: "?"}), MIGRATE_TIMEOUT)
            check(ok, "host-a lists %r, host-b lists %r" % (listed(a.uri), listed(b.uri)))
            said = lib_gui.wait_for(lambda: result_text().startswith(
                "“%s” now runs on %s; its configuration left %s." % (PARKED, b.name, a.name)), 10)
            check(said, "the dialog's result says %r" % result_text())
            check(lib_gui.wait_for(lambda: under(PARKED, b.name), 10), "%s's row is not under %s: %r"
                  % (PARKED, b.name, rows()))
            close_dialog()

        tap.step("a shut-off domain dropped on host-b: Start There (no migration options), Return"
                 " starts it on host-b and its config leaves host-a", start_on_by_drag)

        def encryption_required():
            drag_onto(NAME, c.name)
            found = lib_gui.wait_for(dialog, 10)
            check(found, "no dialog 'Migrate' after the drop on %s" % c.name)
            state["dialog"] = found
            box = lib_gui.wait_for(encrypt_box, 5)
            check(box is not None, "no %r check box" % ENCRYPT)
            check(checked(box) and not sensitive(box),
                  "to a target on every address %r should be ticked and fixed: %s"
                  % (ENCRYPT, box.getState().getStates()))
            check("only encrypted" in (box.description or ""), "its tooltip says %r" % box.description)
            ok = lib_gui.wait_for(lambda: [t for t in labels(found) if t.startswith("Encryption: ok — ")], 30)
            check(ok, "no passed encryption check; the dialog says %r" % labels(found))
            cancel = button(found, "Cancel")
            check(cancel is not None, "no Cancel button")
            cancel.queryAction().doAction(0)
            check(lib_gui.wait_for(lambda: dialog() is None, 5), "Cancel did not close the dialog")

        tap.step("dropped on a server whose relocation address is every address: Encrypt ticked and"
                 " fixed, the encryption check passed", encryption_required)

        def still_running():
            check(app.poll() is None, "domus exited (%s):\n%s" % (app.returncode, app.log_text()))

        tap.step("domus is still running, no warning made it abort", still_running)
    finally:
        if app is not None and app.poll() is None:
            lib_gui.end_pids([app.pid] + list(reversed(lib_gui.descendants(app.pid))))
            app.wait()
        if session is not None:
            session.stop()
        for host in hosts:
            host.daemon.stop()
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
