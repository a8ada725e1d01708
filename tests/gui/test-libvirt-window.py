#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A libvirt host in the window beside a domusd host, as a screen reader sees it (AT-SPI).

Usage: test-libvirt-window.py GUEST_DIR DOMUS   (DOMUS_BUILD_DIR from the environment)

A private libvirtd (tests/integration/lib_libvirt.py) runs the test guest "lvguest" under
TCG; a domusd runs with --root in a folder of its own. `domus --connect LIBVIRT_URI
--connect unix:…` runs under an Xvfb and a session bus of the test's own, with
G_DEBUG=fatal-warnings. Then:

- the tree shows both servers connected, lvguest under the libvirt one, running;
- Pause on lvguest's page pauses it in libvirtd (virsh domstate) and the row follows;
- `virsh resume` shows in the row within a second (libvirt's event, no polling);
- the graphs' "Last hour" says that libvirt keeps no history; the Configuration tab shows
  the domain's libvirt XML;
- a real mouse drag of lvguest's row onto the domusd server's row opens the migration
  dialog, which refuses before anything starts, saying why (two kinds of host), with
  Migrate disabled; lvguest still runs on libvirtd.

Everything started here is ended by PID. Output is TAP.
"""

import os
import socket
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import lib_gui  # noqa: E402
from lib_domus import Daemon, Tap, check  # noqa: E402
from lib_libvirt import LibvirtDaemon, skip_if_impossible  # noqa: E402
from lib_qemu import make_temp_dir  # noqa: E402

GUEST_DIR = sys.argv[1]
DOMUS = sys.argv[2]
FIND_TIMEOUT = 30.0
NAME = "lvguest"
DOMUSD_NAME = "domusd-host"


def main():
    if skip_if_impossible():
        return 0
    tap = Tap()
    base = make_temp_dir("domus-gui-libvirt-")
    libvirtd = LibvirtDaemon(os.path.join(base, "lv"), "lv")
    domusd = None
    session = app = None
    app_log_path = os.path.join(base, "domus.log")
    # libvirt's host name is the machine's (the daemon's namespace shares it).
    libvirt_row = socket.gethostname()
    try:
        def start_hosts():
            nonlocal domusd
            libvirtd.start()
            libvirtd.start_test_guest(GUEST_DIR, NAME)
            root = os.path.join(base, "domusd")
            os.mkdir(root, 0o700)
            domusd = Daemon(root, name=DOMUSD_NAME).wait_listening()

        if not tap.step("a private libvirtd running %s under TCG, and a domusd" % NAME, start_hosts):
            return tap.finish()

        session = lib_gui.Session(base).start()
        import pyatspi  # noqa: E402 - after the session: it connects to the buses in os.environ

        env = session.env()
        env["G_DEBUG"] = "fatal-warnings"
        env["LC_ALL"] = "C.UTF-8"
        app = lib_gui.App([DOMUS, "--connect", libvirtd.uri, "--connect", domusd.uri], env, app_log_path)
        tree = lib_gui.DomusTree(pyatspi)

        def rows():
            return dict(tree.all_rows())

        def under_libvirt():
            names = tree.names()
            return (libvirt_row in names and NAME in names and DOMUSD_NAME in names
                    and names.index(libvirt_row) < names.index(NAME)
                    and (names.index(DOMUSD_NAME) < names.index(libvirt_row)
                         or names.index(NAME) < names.index(DOMUSD_NAME)))

        def listed():
            found = lib_gui.wait_for(tree.find, FIND_TIMEOUT)
            check(found, "no domus window (domus %s):\n%s"
                  % ("running" if app.poll() is None else "exited with %s" % app.returncode, app.log_text()))
            ok = lib_gui.wait_for(lambda: rows().get(libvirt_row) == "connected"
                                  and rows().get(DOMUSD_NAME) == "connected" and under_libvirt()
                                  and rows().get(NAME) in ("running", "blocked"), FIND_TIMEOUT)
            check(ok, "rows: %r; log:\n%s" % (tree.all_rows(), app.log_text()))

        if not tap.step("the tree shows the libvirt server and the domusd server connected, "
                        "%s running under the libvirt one" % NAME, listed):
            return tap.finish()

        def pause_from_page():
            check(tree.select(NAME), "the tree refused to select %s" % NAME)
            pause = lib_gui.wait_for(lambda: tree.showing(pyatspi.ROLE_PUSH_BUTTON, "Pause"), 5)
            check(pause, "no Pause button showing")
            check(lib_gui.wait_for(lambda: pause.getState().contains(pyatspi.STATE_SENSITIVE), 5),
                  "Pause is not sensitive")
            pause.queryAction().doAction(0)
            check(lib_gui.wait_for(lambda: libvirtd.domain_state(NAME) == "paused", 15),
                  "virsh domstate says %r" % libvirtd.domain_state(NAME))
            check(lib_gui.wait_for(lambda: rows().get(NAME) == "paused", 5),
                  "the row shows %r" % rows().get(NAME))

        tap.step("Pause on %s's page pauses it in libvirtd, and the row follows" % NAME, pause_from_page)

        def virsh_resume_seen():
            libvirtd.virsh("resume", NAME)
            returned = time.monotonic()
            ok = lib_gui.wait_for(lambda: rows().get(NAME) in ("running", "blocked"), 5, 0.02)
            lag = time.monotonic() - returned
            print("# virsh resume shown %.0f ms after virsh returned (AT-SPI polled every 20 ms)" % (lag * 1000))
            check(ok and lag < 1.0, "after virsh resume the row shows %r after %.2f s" % (rows().get(NAME), lag))

        tap.step("virsh resume shows in the row within a second", virsh_resume_seen)

        def long_range_says_why():
            combo = lib_gui.wait_for(lambda: tree.showing(pyatspi.ROLE_COMBO_BOX, "Graph range"), 5)
            check(combo, "no 'Graph range' showing on %s's page" % NAME)
            check(combo.querySelection().selectChild(1), "the range 'Last hour' could not be chosen")

            def charts_say():
                charts = lib_gui.find_all(tree.frame, lambda n: n.getRole() == pyatspi.ROLE_CHART
                                          and lib_gui.is_showing(n, pyatspi))
                return [c.description for c in charts if "keeps no history" in (c.description or "")]
            said = lib_gui.wait_for(charts_say, 5)
            check(said, "no graph says that libvirt keeps no history")
            check(said[0].startswith("No archive: ") and "libvirt" in said[0], "a graph says %r" % said[0])
            combo.querySelection().selectChild(0)

        tap.step("the graphs' 'Last hour' says that libvirt keeps no history", long_range_says_why)

        def configuration_is_xml():
            tab = lib_gui.wait_for(lambda: tree.showing(pyatspi.ROLE_PAGE_TAB, "Configuration"), 5)
            check(tab, "no Configuration tab showing")
            tabs = tab.parent
            index = [tabs.getChildAtIndex(i) for i in range(tabs.childCount)].index(tab)
            check(tabs.querySelection().selectChild(index), "the Configuration tab could not be selected")

            def xml_shown():
                views = lib_gui.find_all(tree.frame, lambda n: n.getRole() == pyatspi.ROLE_TEXT
                                         and lib_gui.is_showing(n, pyatspi))
                for view in views:
                    text = view.queryText().getText(0, -1)
                    if "<name>%s</name>" % NAME in text:
                        return text
                return None
            check(lib_gui.wait_for(xml_shown, 10), "the Configuration tab shows no domain XML")
            tabs.querySelection().selectChild(0)

        tap.step("the Configuration tab shows the domain's libvirt XML", configuration_is_xml)

        def dialog():
            return lib_gui.find_one(tree.app, lambda n: n.getRole() == pyatspi.ROLE_DIALOG
                                    and n.name == "Migrate" and lib_gui.is_showing(n, pyatspi))

        def drag_refused():
            table = tree.table.queryTable()
            names = tree.names()
            lib_gui.drag(lib_gui.centre(table.getAccessibleAt(names.index(NAME), 1), pyatspi),
                         lib_gui.centre(table.getAccessibleAt(names.index(DOMUSD_NAME), 1), pyatspi))
            found = lib_gui.wait_for(dialog, 10)
            check(found, "no dialog 'Migrate' after the drop; log:\n%s" % app.log_text())

            def labels():
                return [n.name for n in lib_gui.find_all(found, lambda n: n.getRole() == pyatspi.ROLE_LABEL)]
            said = lib_gui.wait_for(lambda: [t for t in labels() if "one kind" in t], 10)
            check(said, "the dialog does not say why: %r" % labels())
            check("libvirt" in said[0] and "domusd" in said[0], "the reason does not name both kinds: %r" % said)
            migrate = lib_gui.find_one(found, lambda n: n.getRole() == pyatspi.ROLE_PUSH_BUTTON
                                       and n.name == "Migrate")
            check(migrate is None or not migrate.getState().contains(pyatspi.STATE_SENSITIVE),
                  "Migrate is offered between two kinds of host")
            check(libvirtd.domain_state(NAME) == "running", "virsh says %r" % libvirtd.domain_state(NAME))
            cancel = lib_gui.find_one(found, lambda n: n.getRole() == pyatspi.ROLE_PUSH_BUTTON
                                      and n.name in ("Cancel", "Close"))
            if cancel is not None:
                cancel.queryAction().doAction(0)

        tap.step("dragging %s onto the domusd server is refused before anything starts, "
                 "with the reason" % NAME, drag_refused)

        def quits_cleanly():
            app.terminate()
            app.wait(10)
            log = app.log_text()
            check("CRITICAL" not in log and "WARNING" not in log, "domus said:\n%s" % log)

        tap.step("domus ends without a warning", quits_cleanly)
    finally:
        if app is not None and app.poll() is None:
            app.kill()
            app.wait()
        if session is not None:
            session.stop()
        if domusd is not None:
            domusd.stop()
        libvirtd.stop()
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
