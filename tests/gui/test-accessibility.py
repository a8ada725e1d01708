#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Accessibility of the Domus window, through AT-SPI as a screen reader sees it, on a real domusd.

Usage: test-accessibility.py GUEST_DIR DOMUS   (DOMUS_BUILD_DIR from the environment)

A domusd with --root runs "alpha" (the test guest under TCG) and defines "beta" (tagged
"web"). `domus --connect` runs under an Xvfb and a session bus of the test's own. Checked:

- the audit: on the dashboard, the server page (Domains, Load, Images), the domain page
  (Overview, Configuration, Console), the Consoles, the Add Server dialog and each page of
  the create assistant (its kernel source and path set through AT-SPI), every showing control (buttons, toggle and check/radio buttons,
  entries, combo boxes, spin buttons, tables, graphs and the console's screen) has an
  accessible name and an accessible description. Not audited: GTK's own header bar buttons
  (Minimize, Maximize, Close) and notebook page tabs, whose names are their labels and
  which GTK gives no description;
- the keyboard walk, keys only (typed through the X server with xdotool, XTest), read back
  through AT-SPI and `domusctl list --json`: Ctrl+F and typing filter the sidebar; Tab and
  Down select alpha and show its page; Ctrl+P pauses, Ctrl+Shift+P resumes; Ctrl+Delete
  asks and Escape keeps alpha running; Ctrl+G groups by tag and back, alpha still selected;
  Ctrl+O opens its console, whose screen then keeps Ctrl+W for the guest, Shift+F12 gives
  the keys back and Ctrl+W closes the console, the focus back on the tree; Ctrl+N opens Add
  Server and Escape closes it; Ctrl+Shift+N opens the create assistant, a name typed, Alt+N
  advances its pages (Next through AT-SPI on the two pages where another control has the
  same mnemonic, said in the output), Escape closes it;
- a screen reader's focus request (AT-SPI grabFocus) on every control of the server page
  and of alpha's page, shown or hidden, leaves domus running under fatal-warnings.

Each step waits for the state it expects (lib_gui.wait_until, polling AT-SPI or domusctl)
rather than sleeping. Everything started here is ended by PID. Output is TAP.
"""

import json
import os
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import lib_gui  # noqa: E402
from lib_domus import Daemon, Tap, check, ctl, ctl_ok, guest_cfg  # noqa: E402
from lib_qemu import make_temp_dir  # noqa: E402

GUEST_DIR = sys.argv[1]
DOMUS = sys.argv[2]
HOST = "a11yhost"
FIND_TIMEOUT = 20.0
# How long a page's controls may take to all have their names once the page shows.
AUDIT_TIMEOUT = 10.0

# GtkAssistant's own navigation buttons: GTK makes them, labels them, and offers no way to
# reach them to add a description.
ASSISTANT_BUTTONS = ("Cancel", "Back", "Next", "Apply", "Close", "Finish")


def domain_state(uri, name):
    r = ctl(uri, "list", "--all", "--json")
    if r.returncode != 0:
        return None
    for domain in json.loads(r.stdout):
        if domain["name"] == name:
            return domain["state"]
    return None


def main():
    tap = Tap()
    root = make_temp_dir("domus-a11y-")
    session = daemon = app = None
    try:
        daemon = Daemon(root, name=HOST).wait_listening()
        with open(os.path.join(root, "alpha.cfg"), "w") as f:
            f.write(guest_cfg(GUEST_DIR, "alpha"))
        with open(os.path.join(root, "beta.cfg"), "w") as f:
            f.write(guest_cfg(GUEST_DIR, "beta", "tags = ['web']\n"))

        def set_up():
            ctl_ok(daemon.uri, "define", os.path.join(root, "beta.cfg"))
            ctl_ok(daemon.uri, "create", os.path.join(root, "alpha.cfg"), timeout=120)

        if not tap.step("the daemon runs alpha and has beta defined", set_up):
            return tap.finish()

        session = lib_gui.Session(root).start()
        import pyatspi  # noqa: E402 - after the session: it connects to the buses in os.environ

        env = session.env()
        env["LC_ALL"] = "C.UTF-8"
        env["GSETTINGS_BACKEND"] = "memory"
        app_log_path = os.path.join(root, "domus.log")
        app = lib_gui.App([DOMUS, "--connect", daemon.uri], env, app_log_path)
        controls = lib_gui.control_roles(pyatspi)
        w = {}

        # Keys go through the X server in order, so a key needs no pause after it: each step
        # waits for what its keys should do (lib_gui.wait_until), and a key whose effect is
        # that nothing happens is checked once a later key's effect shows.
        def press(keys):
            """keys in xdotool's spelling: "ctrl+shift+p", "Tab"."""
            lib_gui.xdotool("key", keys)

        def type_text(text):
            lib_gui.xdotool("type", text)

        def focus_window():
            """The pointer over the window (no window manager: X gives the keyboard to the
            window under the pointer). Keys only from there: no AT-SPI grabFocus."""
            check(app.poll() is None, "domus exited with %s" % app.returncode)
            w["tree"] = lib_gui.find_one(w["frame"], lambda n: n.getRole() == pyatspi.ROLE_TREE_TABLE
                                         and n.name == "Servers")
            x, y, width, height = w["frame"].queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
            lib_gui.move_pointer(x + width // 2, y + 10)

        def pointer_over(node):
            """No window manager: a new dialog gets the keyboard once the pointer is over it."""
            x, y, width, height = node.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
            lib_gui.move_pointer(x + width // 2, y + 5)

        def showing(node):
            return lib_gui.is_showing(node, pyatspi)

        def find_showing(root_node, role, name=None):
            return lib_gui.find_one(root_node, lambda n: n.getRole() == role and showing(n)
                                    and (name is None or n.name == name))

        def focused(node):
            return node is not None and node.getState().contains(pyatspi.STATE_FOCUSED)

        def rows():
            table = w["tree"].queryTable()
            return [table.getAccessibleAt(r, 1).name for r in range(table.nRows)]

        def selected_rows():
            table = w["tree"].queryTable()
            return [table.getAccessibleAt(r, 1).name for r in range(table.nRows)
                    if table.isRowSelected(r)]

        def audit(root_node, where, assistant_nav=False):
            """Every showing control under root_node named and described. The caller has
            waited for the page to show; its controls may still be getting their names (a
            state icon named when the domain's state arrives): the audit is asked again until
            it passes or AUDIT_TIMEOUT has gone, and the last answer is reported."""
            found = []

            def all_described():
                found[:] = lib_gui.undescribed_controls(
                    root_node, pyatspi, lib_gui.WM_BUTTONS + (ASSISTANT_BUTTONS if assistant_nav else ()))
                return not found
            lib_gui.wait_for(all_described, AUDIT_TIMEOUT)
            check(not found, "%d control(s) on %s without a name or description:\n  %s"
                  % (len(found), where, "\n  ".join(found)))

        def page_shown(marker_role, marker_name):
            """Waits for the page that has this control to show (a page tab, a button)."""
            lib_gui.wait_until(lambda: find_showing(w["frame"], marker_role, marker_name), 10,
                               "the page with %r to show" % marker_name)

        def server_page_shown():
            page_shown(pyatspi.ROLE_PAGE_TAB, "Domains")

        def domain_page_shown():
            page_shown(pyatspi.ROLE_PUSH_BUTTON, "Pause")

        def select_tab(name):
            tab = lib_gui.wait_for(lambda: find_showing(w["frame"], pyatspi.ROLE_PAGE_TAB, name), 5)
            check(tab, "no page tab %r showing" % name)
            tabs = tab.parent
            index = [tabs.getChildAtIndex(i) for i in range(tabs.childCount)].index(tab)
            tabs.querySelection().selectChild(index)
            lib_gui.wait_until(lambda: tab.getState().contains(pyatspi.STATE_SELECTED), 5,
                               "the page tab %r to be selected" % name)

        def select_row(name):
            table = w["tree"].queryTable()
            for r in range(table.nRows):
                if table.getAccessibleAt(r, 1).name == name:
                    lib_gui.select_only_row(table, r)
                    return
            raise AssertionError("no row %r in %r" % (name, rows()))

        def window_found():
            def find():
                found = lib_gui.find_domus_window(pyatspi)
                if found is not None:
                    w["app"], w["frame"], w["tree"] = found
                return found is not None
            check(lib_gui.wait_for(find, FIND_TIMEOUT), "no window 'Domus' with the tree 'Servers'")
            check(lib_gui.wait_for(lambda: {"alpha", "beta"} <= set(rows()), FIND_TIMEOUT),
                  "rows: %r" % rows())

        if not tap.step("AT-SPI shows the window and the server tree", window_found):
            return tap.finish()

        # (b) The keyboard walk, first: once a console is open, the pointer over the guest's
        # screen gives it the keyboard (gtk-vnc's grab), and the window's keys go to the guest.
        def filter_by_keys():
            focus_window()
            press("ctrl+f")
            entry = lib_gui.find_one(w["frame"], lambda n: n.getRole() == pyatspi.ROLE_TEXT
                                     and n.name == "Filter")
            check(lib_gui.wait_for(lambda: focused(entry), 5), "Ctrl+F did not focus the filter")
            type_text("alp")
            check(lib_gui.wait_for(lambda: "alpha" in rows() and "beta" not in rows(), 5),
                  "typing 'alp' shows %r" % rows())
            press("ctrl+a")
            press("BackSpace")
            check(lib_gui.wait_for(lambda: "beta" in rows(), 5), "emptying kept the filter: %r" % rows())

        tap.step("Ctrl+F focuses the filter and typing filters", filter_by_keys)

        def arrows_select_alpha():
            entry = lib_gui.find_one(w["frame"], lambda n: n.getRole() == pyatspi.ROLE_TEXT
                                     and n.name == "Filter")
            if not focused(entry):
                focus_window()
                press("ctrl+f")
            # The filter, then the Group by Tag button, then the tree.
            def alpha_page():
                return find_showing(w["frame"], pyatspi.ROLE_PUSH_BUTTON, "Pause") is not None
            press("Tab")
            press("Tab")
            check(lib_gui.wait_for(lambda: focused(w["tree"]), 5), "two Tabs from the filter did not reach the tree")
            for _ in range(3):
                before = selected_rows()
                if before == ["alpha"]:
                    break
                press("Down")
                lib_gui.wait_for(lambda: selected_rows() != before, 5)
            check(selected_rows() == ["alpha"], "Down selected %r" % selected_rows())
            check(lib_gui.wait_for(alpha_page, 5), "selecting alpha did not show its page")

        if not tap.step("Tab reaches the tree and Down selects alpha, showing its page",
                        arrows_select_alpha):
            # The shortcut steps below still test the shortcuts themselves.
            select_row("alpha")
            focus_window()

        def pause_resume():
            press("ctrl+p")
            check(lib_gui.wait_for(lambda: domain_state(daemon.uri, "alpha") == "paused", 15),
                  "Ctrl+P: domusctl shows alpha %r" % domain_state(daemon.uri, "alpha"))
            press("ctrl+shift+p")
            check(lib_gui.wait_for(lambda: domain_state(daemon.uri, "alpha") in ("running", "blocked"), 15),
                  "Ctrl+Shift+P: domusctl shows alpha %r" % domain_state(daemon.uri, "alpha"))

        tap.step("Ctrl+P pauses alpha and Ctrl+Shift+P resumes it", pause_resume)

        def destroy_asks():
            press("ctrl+Delete")
            alert = lib_gui.wait_for(lambda: find_showing(w["app"], pyatspi.ROLE_ALERT), 5)
            check(alert, "Ctrl+Delete asked nothing")
            audit(alert, "the Destroy confirmation")
            pointer_over(alert)
            press("Escape")
            check(lib_gui.wait_for(lambda: find_showing(w["app"], pyatspi.ROLE_ALERT) is None, 5),
                  "Escape left the confirmation open")
            # Not a wait for a state: nothing should happen, and a destroy wrongly sent as the
            # dialog closed would take this long at most to show in domusctl.
            time.sleep(1.0)
            check(domain_state(daemon.uri, "alpha") in ("running", "blocked"),
                  "after Escape domusctl shows alpha %r" % domain_state(daemon.uri, "alpha"))

        tap.step("Ctrl+Delete asks first and Escape leaves alpha running", destroy_asks)

        def group_by_tag():
            focus_window()
            press("ctrl+g")
            check(lib_gui.wait_for(lambda: "Untagged" in rows(), 5), "Ctrl+G did not group: %r" % rows())
            press("ctrl+g")
            check(lib_gui.wait_for(lambda: "Untagged" not in rows(), 5),
                  "a second Ctrl+G did not ungroup: %r" % rows())
            check(lib_gui.wait_for(lambda: selected_rows() == ["alpha"], 5),
                  "after regrouping the selection is %r" % selected_rows())

        tap.step("Ctrl+G groups the sidebar by tag and back", group_by_tag)

        def console_display():
            return find_showing(w["frame"], pyatspi.ROLE_DRAWING_AREA, "Console of alpha")

        def console_tab():
            return find_showing(w["frame"], pyatspi.ROLE_PAGE_TAB, "alpha on " + HOST)

        def console_connected():
            """The guest's screen shows: the toolbar's Screenshot is offered only then (and
            only then do keys reach the guest; before, the window's shortcuts still act)."""
            button = find_showing(w["frame"], pyatspi.ROLE_PUSH_BUTTON, "Screenshot")
            return button is not None and button.getState().contains(pyatspi.STATE_SENSITIVE)

        def console_by_keys():
            focus_window()
            press("ctrl+o")
            check(lib_gui.wait_for(console_tab, 10), "Ctrl+O opened no console tab for alpha")
            check(lib_gui.wait_for(lambda: focused(console_display()), 10),
                  "the guest's screen did not take the focus")
            check(lib_gui.wait_for(console_connected, 15), "alpha's console did not connect")
            # Keys are the guest's now: Ctrl+W reaches it and the tab stays. Ctrl+W has been
            # handled once Shift+F12, typed after it, has taken the focus from the screen.
            press("ctrl+w")
            press("shift+F12")
            check(lib_gui.wait_for(lambda: not focused(console_display()), 5),
                  "Shift+F12 left the focus on the guest's screen")
            check(console_tab() is not None, "Ctrl+W closed the console while the guest had the keys")
            press("ctrl+w")
            check(lib_gui.wait_for(lambda: console_tab() is None, 5), "Ctrl+W left alpha's console tab")
            check(lib_gui.wait_for(lambda: focused(w["tree"]), 5),
                  "after Ctrl+W the focus is not back on the sidebar")

        tap.step("Ctrl+O opens alpha's console, Shift+F12 gives the keys back, Ctrl+W closes it",
                 console_by_keys)

        # (a) The audit, page by page.
        tap.step("dashboard: every control has a name and a description",
                 lambda: audit(w["frame"], "the dashboard"))

        def server_page(tab):
            def step():
                select_row(HOST)
                select_tab(tab)   # waits for the server page's tab
                audit(w["frame"], "the server page, " + tab)
            return step

        for tab in ("Domains", "Load", "Images"):
            tap.step("server page, %s: every control has a name and a description" % tab,
                     server_page(tab))

        def domain_page(tab):
            def step():
                select_row("alpha")
                domain_page_shown()
                select_tab(tab)
                audit(w["frame"], "alpha's page, " + tab)
            return step

        for tab in ("Overview", "Configuration", "Console"):
            tap.step("domain page, %s: every control has a name and a description" % tab,
                     domain_page(tab))


        def dialog(name):
            return lib_gui.find_one(w["app"], lambda n: n.getRole() == pyatspi.ROLE_DIALOG
                                    and n.name == name and showing(n))

        def add_server_dialog():
            focus_window()
            # The domain page's Console tab (the last page audited) gave alpha's screen the
            # keys: Shift+F12 takes them back, as a user would.
            if focused(lib_gui.find_one(w["frame"], lambda n: n.getRole() == pyatspi.ROLE_DRAWING_AREA
                                        and n.name == "Console of alpha")):
                press("shift+F12")
            press("ctrl+n")
            form = lib_gui.wait_for(lambda: dialog("Add Server"), 5)
            check(form, "Ctrl+N opened no Add Server dialog")
            audit(form, "Add Server (this computer)")
            combo = lib_gui.find_one(form, lambda n: n.getRole() == pyatspi.ROLE_COMBO_BOX)
            combo.querySelection().selectChild(1)
            audit(form, "Add Server (over SSH)")
            pointer_over(form)
            press("Escape")
            check(lib_gui.wait_for(lambda: dialog("Add Server") is None, 5), "Escape left Add Server open")

        tap.step("Ctrl+N: Add Server has names and descriptions, and Escape closes it",
                 add_server_dialog)

        def assistant_window():
            return lib_gui.find_one(w["app"], lambda n: n.getRole() in (pyatspi.ROLE_FRAME,
                                                                        pyatspi.ROLE_DIALOG)
                                    and n.name != "Domus" and showing(n)
                                    and lib_gui.find_one(n, lambda m: m.getRole() == pyatspi.ROLE_PUSH_BUTTON
                                                         and m.name == "Next") is not None)

        def create_assistant():
            select_row(HOST)
            server_page_shown()
            focus_window()
            press("ctrl+shift+n")
            assistant = lib_gui.wait_for(assistant_window, 5)
            check(assistant, "Ctrl+Shift+N opened no create assistant")
            name = lib_gui.wait_for(lambda: lib_gui.find_one(
                assistant, lambda n: n.getRole() == pyatspi.ROLE_TEXT and showing(n)
                and n.getState().contains(pyatspi.STATE_FOCUSED)), 5)
            check(name, "the assistant's first page has no focused entry")
            type_text("kbd")
            check(lib_gui.wait_for(lambda: name.queryText().getText(0, -1) == "kbd", 5),
                  "typing gave %r" % name.queryText().getText(0, -1))
            def next_enabled():
                nxt = find_showing(assistant, pyatspi.ROLE_PUSH_BUTTON, "Next")
                return nxt is not None and nxt.getState().contains(pyatspi.STATE_SENSITIVE)

            def choose_kernel():
                """The source page wants a kernel: its radio button and path through AT-SPI."""
                kernel_radio().queryAction().doAction(0)
                entry = lib_gui.wait_for(lambda: lib_gui.find_one(
                    assistant, lambda n: n.getRole() == pyatspi.ROLE_TEXT and showing(n)
                    and n.name == "Kernel"
                    and n.getState().contains(pyatspi.STATE_SENSITIVE)), 5)
                check(entry, "no kernel path entry after choosing the kernel source")
                entry.queryEditableText().setTextContents(os.path.join(GUEST_DIR, "vmlinuz"))

            def kernel_radio():
                return lib_gui.find_one(assistant, lambda n: n.getRole() == pyatspi.ROLE_RADIO_BUTTON
                                        and showing(n) and "kernel" in n.name.lower())

            def showing_controls():
                """What the assistant's page shows, to tell one page from the next."""
                return [(n.getRoleName(), n.name) for n in lib_gui.find_all(
                    assistant, lambda n: n.getRole() in controls and showing(n))]

            def mnemonic_n(node):
                """Whether node's mnemonic is Alt+N, as AT-SPI gives it ("<Alt>n")."""
                try:
                    action = node.queryAction()
                    bindings = [action.getKeyBinding(i) for i in range(action.nActions)]
                except Exception:  # noqa: BLE001 - a control without actions has no mnemonic
                    return False
                return any(b.lower().replace("mod1", "alt").startswith("<alt>n") for b in bindings)

            def shadowing_next():
                """The page's other controls whose mnemonic is Alt+N too: GTK then only moves the
                focus among them and Next, and Alt+N cannot advance."""
                return [n.name for n in lib_gui.find_all(
                    assistant, lambda n: n.getRole() in controls and showing(n) and n.name != "Next"
                    and mnemonic_n(n))]

            pages = 0
            for _ in range(10):
                if not next_enabled() and kernel_radio() is not None:
                    choose_kernel()
                    check(lib_gui.wait_for(next_enabled, 10), "a kernel path did not enable Next: %r" % [
                        (n.getRoleName(), n.name, n.queryText().getText(0, -1) if n.getRole() == pyatspi.ROLE_TEXT else "")
                        for n in lib_gui.find_all(assistant, lambda n: showing(n) and n.getRole() in
                                                  (pyatspi.ROLE_LABEL, pyatspi.ROLE_TEXT, pyatspi.ROLE_RADIO_BUTTON))])
                pages += 1
                audit(assistant, "the create assistant, page %d" % pages, assistant_nav=True)
                if not next_enabled():
                    break
                before = showing_controls()
                shadows = shadowing_next()
                # Another Alt+N on the page only moves the focus between it and Next.
                check(not shadows, "Alt+N is shadowed on page %d by %s" % (pages, ", ".join(shadows)))
                press("alt+n")
                lib_gui.wait_until(lambda: showing_controls() != before, 10,
                                   "the page after page %d to show" % pages, showing_controls)
            # Name, Install Source, Memory and CPUs, Disk, Network, Console, Summary.
            check(pages == 7, "the assistant went through %d pages, not the 7 up to the summary" % pages)
            press("Escape")
            check(lib_gui.wait_for(lambda: assistant_window() is None, 5), "Escape left the assistant open")
            check(domain_state(daemon.uri, "kbd") is None, "cancelling created a domain")

        if not tap.step("Ctrl+Shift+N: the assistant's seven pages have names and descriptions,"
                        " Alt+N advances, Escape closes", create_assistant):
            left_open = assistant_window()
            if left_open is not None:   # so that the steps after it still get the keys
                pointer_over(left_open)
                press("Escape")
        def consoles():
            select_row("alpha")
            domain_page_shown()
            focus_window()
            press("ctrl+o")
            display = lib_gui.wait_for(console_display, 10)
            check(display, "Ctrl+O showed no console of alpha")
            audit(w["frame"], "the Consoles")
            press("shift+F12")
            press("ctrl+w")
            check(lib_gui.wait_for(lambda: console_display() is None, 5), "Ctrl+W left the console open")

        tap.step("the Consoles: every control has a name and a description", consoles)

        def focus_requests():
            """AT-SPI exposes a stack's shown page only: the server page and alpha's."""
            tables = (pyatspi.ROLE_TREE_TABLE, pyatspi.ROLE_TABLE)
            asked = 0
            for row, shown in ((HOST, server_page_shown), ("alpha", domain_page_shown)):
                select_row(row)
                shown()
                for n in lib_gui.find_all(w["app"], lambda n: n.getRole() in controls,
                                          prune=lambda n: n.getRole() in tables):
                    try:
                        n.queryComponent().grabFocus()
                    except Exception:  # noqa: BLE001 - a refusal is an answer; only a crash counts
                        pass
                    asked += 1
                    check(app.poll() is None, "domus ended (%s) after a focus request on %s %r (see %s)"
                          % (app.returncode, n.getRoleName(), n.name, app_log_path))
            check(asked > 30, "only %d controls were found" % asked)

        tap.step("a screen reader's focus request on every control, shown or hidden, is answered"
                 " (no critical under fatal-warnings)", focus_requests)

    finally:
        if app is not None:
            lib_gui.end_pids([app.pid])
            app.wait()
        if session is not None:
            session.stop()
        if daemon is not None:
            daemon.stop()
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
