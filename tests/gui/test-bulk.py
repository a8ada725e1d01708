#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Several domains at once in the Domus window (docs/gui.md, "Many domains at once"), on a
real domusd with real QEMU guests (TCG), through xdotool and AT-SPI.

Usage: test-bulk.py GUEST_DIR DOMUS   (DOMUS_BUILD_DIR from the environment)

Two domusd with --root and relocation on: bulkhost runs four test guests, web1, web2, web3
and spare; otherhost none. `domus --connect` (both) runs under an Xvfb and a session bus of
the test's own. Checked:

- a click on web1's row, then Ctrl+click on web2's and web3's (the pointer and the keys
  through the X server, as a user's): the tree has exactly those three selected and the
  window shows the Selection page ("3 domains selected");
- Ctrl+P opens one dialog asking "Pause 3 domains?"; its Pause button pauses all three in
  one action: `domusctl list` says web1, web2, web3 paused and spare still running, and
  the dialog's list says each one's result;
- Ctrl+A on a domain row selects every domain of its server (four); Resume then leaves
  spare out and says so before anything is done ("1 of the 4 selected is left out"), and
  resumes the three;
- Add Tag… with the four selected: the tag typed in the dialog reaches every domain's
  configuration (`domusctl list --json` shows it in each one's tags); Remove Tag… on two
  takes it out of those two only;
- a click on spare, then Shift+click on web2 selects the range spare, web1, web2; Shift+click
  on web3 extends it to the four;
- Migrate to… with web1 and web2 selected: the target's checks pass for each, one
  confirmation ("Move 2 domains to otherhost?"), both move one after another; each row
  says "Now on otherhost (downtime … ms)." and `domusctl list` on both servers agrees;
- Migrate to… with spare and web3, Stop pressed as soon as the first starts: web3 says
  "Cancelled before it started." and stays; spare went back ("Cancelled: it keeps running
  on bulkhost.") or had arrived; none failed, and `domusctl list` on both agrees;
- Destroy… with web1 and web2 selected asks "Destroy 2 domains?": Cancel closes it and both
  still run; confirmed, both are destroyed and each row says so.

Everything started here is ended by PID. Output is TAP.
"""

import os
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import lib_gui  # noqa: E402
from lib_domus import Daemon, Tap, check, ctl_ok, guest_cfg, listed  # noqa: E402
from lib_qemu import make_temp_dir  # noqa: E402

GUEST_DIR = sys.argv[1]
DOMUS = sys.argv[2]
FIND_TIMEOUT = 30.0
HOST = "bulkhost"
OTHER = "otherhost"
MOVED = ["web1", "web2"]
MIGRATE_TIMEOUT = 180.0
RELOCATION_CONF = ("[relocation]\n"
                   "enabled=true\n"
                   "address=127.0.0.1\n"
                   "port=0\n"
                   "hosts-allow=^localhost$;^127\\.0\\.0\\.1$\n")
PAUSED = ["web1", "web2", "web3"]
STOPPED = ["spare", "web3"]   # migrated, then stopped after the first started
ALL = ["spare"] + PAUSED   # the tree's order: by name


def states(uri):
    return {name: d.get("state") for name, d in listed(uri).items() if name in ALL}


def centre(node, pyatspi):
    extents = node.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
    return extents.x + extents.width // 2, extents.y + extents.height // 2


def main():
    tap = Tap()
    root = make_temp_dir("domus-bulk-")
    session = daemon = other = app = None
    log_path = os.path.join(root, "domus.log")
    try:
        # Both with relocation on, for the bulk migration.
        for folder in ("a", "b"):
            os.mkdir(os.path.join(root, folder), 0o700)
            with open(os.path.join(root, folder, "domusd.conf"), "w") as f:
                f.write(RELOCATION_CONF)
        daemon = Daemon(os.path.join(root, "a"), name=HOST).wait_listening()
        other = Daemon(os.path.join(root, "b"), name=OTHER).wait_listening()

        def create():
            for name in ALL:
                path = os.path.join(root, name + ".cfg")
                with open(path, "w") as f:
                    # No screen: nothing here needs one, and four TCG guests boot faster so.
                    f.write(guest_cfg(GUEST_DIR, name).replace("vnc = 1", "vnc = 0")
                            .replace("memory = 128", "memory = 64"))
                ctl_ok(daemon.uri, "create", path)
            running = lib_gui.wait_for(lambda: all(s in ("running", "blocked")
                                                   for s in states(daemon.uri).values()), 60)
            check(running, "the four guests do not all run: %r" % states(daemon.uri))

        if not tap.step("the daemon runs four guests: web1, web2, web3 and spare", create):
            return tap.finish()

        session = lib_gui.Session(root).start()
        import pyatspi  # noqa: E402 - after the session: it connects to the buses in os.environ

        env = session.env()
        env["G_DEBUG"] = "fatal-warnings"
        env["LC_ALL"] = "C.UTF-8"
        window = lib_gui.DomusTree(pyatspi)


        def window_lists_them():
            nonlocal app
            app = lib_gui.App([DOMUS, "--connect", daemon.uri, "--connect", other.uri], env, log_path)
            check(lib_gui.wait_for(window.find, FIND_TIMEOUT),
                  "no window 'Domus' with a tree 'Servers' (domus %s):\n%s"
                  % ("running" if app.poll() is None else "exited with %s" % app.returncode, app.log_text()))
            ok = lib_gui.wait_for(lambda: window.names() == [HOST] + ALL + [OTHER]
                                  and window.all_rows()[-1][1] == "connected", FIND_TIMEOUT)
            check(ok, "the tree shows %r" % (window.all_rows(),))

        if not tap.step("the window lists both servers and the first one's four domains", window_lists_them):
            return tap.finish()

        def row_point(name):
            table = window.table.queryTable()
            return centre(table.getAccessibleAt(window.names().index(name), 1), pyatspi)

        def click(name, modifier=None):
            x, y = row_point(name)
            lib_gui.move_pointer(x, y)
            if modifier:
                lib_gui.xdotool("keydown", modifier)
            try:
                lib_gui.xdotool("click", 1)
            finally:
                if modifier:
                    lib_gui.xdotool("keyup", modifier)

        def showing(role, name, root_node=None):
            return lib_gui.find_one(root_node or window.app, lambda n: n.getRole() == role and n.name == name
                                    and lib_gui.is_showing(n, pyatspi))

        def dialog():
            return lib_gui.find_one(window.app, lambda n: n.getRole() == pyatspi.ROLE_DIALOG
                                    and n.name == "Many Domains" and lib_gui.is_showing(n, pyatspi))

        def labels(node):
            return [n.name for n in lib_gui.find_all(node, lambda n: n.getRole() == pyatspi.ROLE_LABEL)]

        def ctrl_click_three():
            click("web1")
            lib_gui.wait_until(lambda: window.selected() == ["web1"], 5, "web1 alone selected",
                               window.selected)
            click("web2", "ctrl")
            click("web3", "ctrl")
            lib_gui.wait_until(lambda: window.selected() == PAUSED, 5, "web1, web2, web3 selected",
                               window.selected)
            lib_gui.wait_until(lambda: showing(pyatspi.ROLE_LABEL, "3 domains selected"), 5,
                               "the Selection page saying '3 domains selected'")

        if not tap.step("a click on web1 and Ctrl+click on web2 and web3 select those three; "
                        "the Selection page says so", ctrl_click_three):
            return tap.finish()

        def act(question, verb, summary, timeout=MIGRATE_TIMEOUT):
            """The open dialog asks question; verb's button acts; the heading says summary
            within timeout seconds."""
            box = lib_gui.wait_until(dialog, 10, "the 'Many Domains' dialog")
            lib_gui.wait_until(lambda: showing(pyatspi.ROLE_LABEL, question, box), 10,
                               "the question %r" % question, lambda: labels(box))
            button = lib_gui.wait_until(
                lambda: [b for b in lib_gui.find_all(box, lambda n: n.getRole() == pyatspi.ROLE_PUSH_BUTTON
                                                     and n.name == verb)
                         if b.getState().contains(pyatspi.STATE_SENSITIVE)], 10,
                "a sensitive %r button" % verb)[0]
            button.queryAction().doAction(0)
            lib_gui.wait_until(lambda: showing(pyatspi.ROLE_LABEL, summary, box), timeout,
                               "the heading %r" % summary, lambda: labels(box))
            return box

        def close(box):
            closer = showing(pyatspi.ROLE_PUSH_BUTTON, "Close", box)
            check(closer is not None, "no Close button once done")
            closer.queryAction().doAction(0)
            lib_gui.wait_until(lambda: dialog() is None, 5, "the dialog to close")

        def pause_three():
            x, y = row_point("web2")
            lib_gui.move_pointer(x, y)
            lib_gui.xdotool("key", "ctrl+p")
            box = act("Pause 3 domains?", "Pause", "Done: 3 succeeded, 0 failed, 0 not done.")
            now = states(daemon.uri)
            check(all(now[n] == "paused" for n in PAUSED) and now["spare"] in ("running", "blocked"),
                  "domusctl list says %r" % now)
            rows = labels(box)
            for name in PAUSED:
                check("%s on %s: Paused." % (name, HOST) in rows, "no result row for %s in %r" % (name, rows))
            close(box)
            lib_gui.wait_until(lambda: [s for n, s in window.all_rows() if n in PAUSED] == ["paused"] * 3, 10,
                               "the rows to say paused", window.all_rows)

        if not tap.step("Ctrl+P asks once 'Pause 3 domains?' and pauses the three in one action "
                        "(domusctl list agrees; spare runs on)", pause_three):
            return tap.finish()

        def select_all_then_resume():
            click("web1")
            lib_gui.xdotool("key", "ctrl+a")
            lib_gui.wait_until(lambda: window.selected() == ALL, 5, "the four domains selected",
                               window.selected)
            lib_gui.xdotool("key", "ctrl+shift+p")
            box = lib_gui.wait_until(dialog, 10, "the 'Many Domains' dialog")
            lib_gui.wait_until(lambda: showing(pyatspi.ROLE_LABEL, "1 of the 4 selected is left out: "
                                               "the list says why.", box), 10,
                               "the left-out line", lambda: labels(box))
            check("spare on %s: Not done: it is running." % HOST in labels(box)
                  or "spare on %s: Not done: it is blocked." % HOST in labels(box),
                  "spare's row says %r" % labels(box))
            act("Resume 3 domains?", "Resume", "Done: 3 succeeded, 0 failed, 1 not done.")
            now = states(daemon.uri)
            check(all(s in ("running", "blocked") for s in now.values()), "domusctl list says %r" % now)
            close(box)

        tap.step("Ctrl+A selects the server's four domains; Resume leaves spare out, says why, "
                 "and resumes the three", select_all_then_resume)

        def add_tag_to_all():
            if window.selected() != ALL:
                click("web1")
                lib_gui.xdotool("key", "ctrl+a")
                lib_gui.wait_until(lambda: window.selected() == ALL, 5, "the four selected", window.selected)
            menu_button = showing(pyatspi.ROLE_PUSH_BUTTON, "Add Tag…")
            check(menu_button is not None, "no 'Add Tag…' button on the Selection page")
            menu_button.queryAction().doAction(0)
            box = lib_gui.wait_until(dialog, 10, "the 'Many Domains' dialog")
            entry = lib_gui.wait_until(lambda: lib_gui.find_one(box, lambda n: n.getRole() == pyatspi.ROLE_TEXT
                                                                and lib_gui.is_showing(n, pyatspi)), 5,
                                       "the tag entry")
            entry.queryEditableText().setTextContents("estate")
            act("Add a tag to 4 domains?", "Add Tag", "Done: 4 succeeded, 0 failed, 0 not done.")
            tags = {name: d.get("tags") for name, d in listed(daemon.uri).items() if name in ALL}
            check(all(t is not None and "estate" in t for t in tags.values()), "tags: %r" % tags)
            close(box)

        tap.step("Add Tag… on the four selected writes the tag into each one's configuration",
                 add_tag_to_all)

        def remove_tag_from_two():
            click("spare")
            click("web3", "ctrl")
            lib_gui.wait_until(lambda: window.selected() == ["spare", "web3"], 5, "spare and web3 selected",
                               window.selected)
            showing(pyatspi.ROLE_PUSH_BUTTON, "Remove Tag…").queryAction().doAction(0)
            # The chooser offers the selected domains' tags, the first chosen.
            act("Remove a tag from 2 domains?", "Remove Tag", "Done: 2 succeeded, 0 failed, 0 not done.")
            tags = {name: d.get("tags") or [] for name, d in listed(daemon.uri).items() if name in ALL}
            check("estate" not in tags["spare"] and "estate" not in tags["web3"]
                  and "estate" in tags["web1"] and "estate" in tags["web2"], "tags: %r" % tags)
            close(dialog())

        tap.step("Remove Tag… on two of them takes the tag out of those two only", remove_tag_from_two)

        def shift_click_range():
            click("spare")
            lib_gui.wait_until(lambda: window.selected() == ["spare"], 5, "spare alone selected",
                               window.selected)
            click("web2", "shift")
            lib_gui.wait_until(lambda: window.selected() == ["spare", "web1", "web2"], 5,
                               "spare to web2 selected", window.selected)
            lib_gui.wait_until(lambda: showing(pyatspi.ROLE_LABEL, "3 domains selected"), 5,
                               "the Selection page saying '3 domains selected'")
            # The range runs from the row clicked first: Shift+click on web3 reaches it.
            click("web3", "shift")
            lib_gui.wait_until(lambda: window.selected() == ALL, 5, "spare to web3 selected",
                               window.selected)
            lib_gui.wait_until(lambda: showing(pyatspi.ROLE_LABEL, "4 domains selected"), 5,
                               "the Selection page saying '4 domains selected'")

        tap.step("a click on spare, then Shift+click on web2 selects spare to web2 (3), on web3 "
                 "all four", shift_click_range)

        def migrate_two():
            click("web1")
            click("web2", "ctrl")
            lib_gui.wait_until(lambda: window.selected() == MOVED, 5, "web1 and web2 selected", window.selected)
            showing(pyatspi.ROLE_PUSH_BUTTON, "Migrate to…").queryAction().doAction(0)
            box = lib_gui.wait_until(dialog, 10, "the 'Many Domains' dialog")
            # The target's checks for each: both rows say they passed before Migrate is offered.
            lib_gui.wait_until(lambda: all("%s on %s: The target’s checks passed." % (n, HOST) in labels(box)
                                           for n in MOVED), 60, "both checks passed", lambda: labels(box))
            act("Move 2 domains to %s?" % OTHER, "Migrate", "Done: 2 succeeded, 0 failed, 0 not done.")
            rows = labels(box)
            for name in MOVED:
                check(any(r.startswith("%s on %s: Now on %s (downtime " % (name, HOST, OTHER)) for r in rows),
                      "no result row for %s in %r" % (name, rows))
            there = {name: d.get("state") for name, d in listed(other.uri).items()}
            here = listed(daemon.uri)
            check(all(there.get(n) in ("running", "blocked") for n in MOVED), "%s lists %r" % (OTHER, there))
            check(not any(n in here for n in MOVED), "%s still lists %r" % (HOST, sorted(here)))
            close(box)

        tap.step("Migrate to… with web1 and web2 selected: the target's checks for each, one "
                 "confirmation, both moved to %s one after another (domusctl list on both agrees)" % OTHER,
                 migrate_two)

        def stop_during_migration():
            # What is left on the first server, in the tree's order: spare, then web3.
            click("spare")
            click("web3", "shift")
            lib_gui.wait_until(lambda: window.selected() == STOPPED, 5, "spare and web3 selected",
                               window.selected)
            showing(pyatspi.ROLE_PUSH_BUTTON, "Migrate to…").queryAction().doAction(0)
            box = lib_gui.wait_until(dialog, 10, "the 'Many Domains' dialog")
            lib_gui.wait_until(lambda: all("%s on %s: The target’s checks passed." % (n, HOST) in labels(box)
                                           for n in STOPPED), 60, "both checks passed", lambda: labels(box))
            lib_gui.wait_until(lambda: showing(pyatspi.ROLE_LABEL, "Move 2 domains to %s?" % OTHER, box), 10,
                               "the question", lambda: labels(box))
            showing(pyatspi.ROLE_PUSH_BUTTON, "Migrate", box).queryAction().doAction(0)
            stop = lib_gui.wait_until(lambda: showing(pyatspi.ROLE_PUSH_BUTTON, "Stop", box), 10,
                                      "the Stop button while the first moves", lambda: labels(box))
            stop.queryAction().doAction(0)
            heading = lib_gui.wait_until(
                lambda: [t for t in labels(box) if t.startswith("Done: ")], MIGRATE_TIMEOUT,
                "the run to end", lambda: labels(box))[0]
            rows = labels(box)
            first, second = STOPPED
            # The one moving when Stop came goes back (or had arrived already); the other never starts.
            check("%s on %s: Cancelled before it started." % (second, HOST) in rows,
                  "%s was not left unstarted: %r" % (second, rows))
            went = any(r.startswith("%s on %s: Now on %s (downtime " % (first, HOST, OTHER)) for r in rows)
            back = "%s on %s: Cancelled: it keeps running on %s." % (first, HOST, HOST) in rows
            check(went or back, "%s neither moved nor went back: %r" % (first, rows))
            print("# %s %s" % (first, "had arrived when Stop took effect" if went else "went back"), flush=True)
            check(heading == "Done: %d succeeded, 0 failed, %d not done." % (1 if went else 0, 1 if went else 2),
                  "the heading says %r" % heading)
            here = states(daemon.uri)
            there = {name: d.get("state") for name, d in listed(other.uri).items()}
            check(here.get(second) in ("running", "blocked") and second not in there,
                  "%s: %s lists %r, %s %r" % (second, HOST, here, OTHER, there))
            where, elsewhere = (there, here) if went else (here, there)
            check(where.get(first) in ("running", "blocked") and first not in elsewhere,
                  "%s: %s lists %r, %s %r" % (first, HOST, here, OTHER, there))
            close(box)

        tap.step("Stop during a bulk migration: the one moving goes back or arrives, the other is "
                 "not started (domusctl list on both agrees)", stop_during_migration)

        def bulk_destroy():
            lib_gui.wait_until(lambda: all(n in window.names() for n in MOVED), 10, "web1 and web2 listed",
                               window.names)
            click("web1")
            click("web2", "ctrl")
            lib_gui.wait_until(lambda: window.selected() == MOVED, 5, "web1 and web2 selected", window.selected)

            def there():
                return {name: d.get("state") for name, d in listed(other.uri).items()}

            showing(pyatspi.ROLE_PUSH_BUTTON, "Destroy…").queryAction().doAction(0)
            box = lib_gui.wait_until(dialog, 10, "the 'Many Domains' dialog")
            lib_gui.wait_until(lambda: showing(pyatspi.ROLE_LABEL, "Destroy 2 domains?", box), 10,
                               "the question 'Destroy 2 domains?'", lambda: labels(box))
            showing(pyatspi.ROLE_PUSH_BUTTON, "Cancel", box).queryAction().doAction(0)
            lib_gui.wait_until(lambda: dialog() is None, 5, "the dialog to close on Cancel")
            time.sleep(1)
            check(all(there().get(n) in ("running", "blocked") for n in MOVED),
                  "after Cancel %s lists %r" % (OTHER, there()))
            check(window.selected() == MOVED, "the selection changed: %r" % window.selected())

            showing(pyatspi.ROLE_PUSH_BUTTON, "Destroy…").queryAction().doAction(0)
            box = act("Destroy 2 domains?", "Destroy", "Done: 2 succeeded, 0 failed, 0 not done.")
            rows = labels(box)
            for name in MOVED:
                check("%s on %s: Destroyed." % (name, OTHER) in rows, "no result row for %s in %r" % (name, rows))
            now = there()
            check(not any(now.get(n) in ("running", "blocked", "paused") for n in MOVED),
                  "after Destroy %s lists %r" % (OTHER, now))
            close(box)

        tap.step("Destroy… on two: Cancel changes nothing; confirmed, both are destroyed "
                 "(domusctl list agrees)", bulk_destroy)

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
        for d in (daemon, other):
            if d is not None:
                d.stop()
        tap.remove_if_passed(root)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
