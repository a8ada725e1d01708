#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The dashboard over several servers, as a screen reader reads it (AT-SPI), on real daemons.

Usage: test-dashboard.py DOMUS   (DOMUS_BUILD_DIR from the environment)

Two domusd with --root in fresh folders, "beta" and "alpha", each with defined (shut-off)
domains tagged web or db, and a third address where no daemon answers ("gone"). `domus`
connects to all three under an Xvfb and a session bus of the test's own, with
G_DEBUG=fatal-warnings. Checked:

- the summary line: 2 of 3 servers connected, and the domains by state;
- the cards come trouble first: the server that is not connected, then beta (its image store
  raises an alert at once: disk-percent=1), then the others by name; the card of a server
  that comes back moves among them;
- the cards reflow with the window's width (two on a row when wide, one when narrow);
- the search over every server: `tag:web` lists the web domains of both servers,
  `tag:web host:beta` only beta's (and alpha's card goes), plain words match names,
  `state:sleepy` is refused with a message, and activating a result opens its page.

Nothing boots. Everything started here is ended by PID. Output is TAP.
"""

import os
import subprocess
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import lib_gui  # noqa: E402
from lib_domus import Daemon, Failure, Tap, check, ctl_ok  # noqa: E402
from lib_qemu import make_temp_dir  # noqa: E402

DOMUS = sys.argv[1]
FIND_TIMEOUT = 30.0

DOMAINS = {
    "alpha": [("web-a1", "web"), ("web-a2", "web"), ("db-a", "db")],
    "beta": [("web-b1", "web"), ("db-b", "db")],
}


ALERT_RULES = {
    "alpha": "[alerts]\ndisk-percent=0\nmemory-percent=0\n",
    "beta": "[alerts]\ndisk-percent=1\nmemory-percent=0\n",
    "gamma": "[alerts]\ndisk-percent=0\nmemory-percent=0\n",
}


def config(name, tag):
    # Defined only: the kernel need not exist until a start.
    return ("name = '%s'\nkernel = '/nonexistent/vmlinuz'\nmemory = 64\nvcpus = 1\n"
            "tags = ['%s']\n" % (name, tag))


def main():
    tap = Tap()
    root = make_temp_dir("domus-dashboard-")
    session = app = None
    daemons = {}
    try:
        def daemons_have_domains():
            for host, domains in DOMAINS.items():
                folder = os.path.join(root, host)
                os.mkdir(folder)
                # beta's image store raises an alert at once (disk-percent=1); alpha's nothing.
                with open(os.path.join(folder, "domusd.conf"), "w") as f:
                    f.write(ALERT_RULES[host])
                daemons[host] = Daemon(folder, name=host).wait_listening()
                for name, tag in domains:
                    path = os.path.join(folder, name + ".cfg")
                    with open(path, "w") as f:
                        f.write(config(name, tag))
                    ctl_ok(daemons[host].uri, "define", path)

        if not tap.step("two daemons, alpha and beta, have web and db domains defined",
                        daemons_have_domains):
            return tap.finish()

        session = lib_gui.Session(root).start()
        import pyatspi  # noqa: E402 - after the session: it connects to the buses in os.environ

        env = session.env()
        env["G_DEBUG"] = "fatal-warnings"
        env["LC_ALL"] = "C.UTF-8"
        gone_socket = os.path.join(root, "gone.sock")
        gone_uri = "unix:" + gone_socket
        log_path = os.path.join(root, "domus.log")
        app = lib_gui.App([DOMUS, "--connect", daemons["beta"].uri, "--connect", gone_uri,
                                "--connect", daemons["alpha"].uri], env, log_path)
        window = lib_gui.DomusTree(pyatspi)


        def showing(role, predicate=lambda n: True):
            return [n for n in lib_gui.find_all(window.frame, lambda n: n.getRole() == role
                                                and lib_gui.is_showing(n, pyatspi) and predicate(n))]

        def cards():
            """The cards' names in the order the flow box shows them (top to bottom, left to
            right), with their positions."""
            box = lib_gui.find_one(window.frame, lambda n: n.name == "Servers"
                                   and n.getRole() != pyatspi.ROLE_TREE_TABLE)
            found = []
            for i in range(box.childCount):
                child = box.getChildAtIndex(i)
                if child is None or not lib_gui.is_showing(child, pyatspi):
                    continue
                card = lib_gui.find_one(child, lambda n: n.name in ("alpha", "beta", "gamma", gone_uri))
                if card is None and child.name in ("alpha", "beta", "gamma", gone_uri):
                    card = child
                if card is None:
                    continue
                extents = child.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
                found.append((extents.y, extents.x, card.name))
            return [(name, x, y) for y, x, name in sorted(found)]

        def card_names():
            return [name for name, _, _ in cards()]

        def summary():
            labels = showing(pyatspi.ROLE_LABEL, lambda n: "servers connected" in n.name)
            return labels[0].name if labels else None

        def summary_line():
            check(lib_gui.wait_for(window.find, FIND_TIMEOUT),
                  "no domus window in %.0f s:\n%s" % (FIND_TIMEOUT, app.log_text()))
            lib_gui.wait_until(lambda: summary() == "2 of 3 servers connected · Domains — running: 0, "
                               "paused: 0, shut off: 5, crashed: 0, other: 0 · 1 open alert",
                               FIND_TIMEOUT, "the summary of 2 connected servers, 5 domains off "
                               "and beta's alert", summary)

        if not tap.step("the summary line counts the servers connected, every domain by state and "
                        "the open alerts",
                        summary_line):
            return tap.finish()

        def trouble_first():
            lib_gui.wait_until(lambda: card_names() == [gone_uri, "beta", "alpha"], FIND_TIMEOUT,
                               "the cards: the unreachable server, the one with an open alert, "
                               "then the rest", card_names)

        tap.step("the cards come trouble first: the server not connected, then one with an open "
                 "alert, then the others by name", trouble_first)

        def comes_back():
            folder = os.path.join(root, "gamma")
            os.mkdir(folder)
            with open(os.path.join(folder, "domusd.conf"), "w") as f:
                f.write(ALERT_RULES["gamma"])
            gamma = daemons["gamma"] = Daemon(folder, name="gamma", extra_args=["--socket", gone_socket])
            gamma.socket_path = gone_socket
            gamma.wait_listening()
            lib_gui.wait_until(lambda: card_names() == ["beta", "alpha", "gamma"], 60,
                               "the server back among the others, by name", card_names)
            lib_gui.wait_until(lambda: summary() is not None and summary().startswith("3 of 3"), 10,
                               "the summary with 3 connected", summary)
            check(gamma.proc.poll() is None, "gamma's daemon exited")

        tap.step("a server that comes back takes its place by name", comes_back)

        def reflows():
            r = subprocess.run([lib_gui.XDOTOOL, "search", "--onlyvisible", "--name", "^Domus$"],
                               capture_output=True, text=True, timeout=10)
            windows = r.stdout.split()
            check(windows, "xdotool found no window named Domus")

            def size():
                extents = window.frame.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
                return extents.width, extents.height

            lib_gui.xdotool("windowsize", windows[0], 1600, 800)
            lib_gui.wait_until(lambda: len({y for _, _, y in cards()}) < len(cards()), 20,
                               "two cards on one row when the window is wide",
                               lambda: (cards(), size()))
            lib_gui.xdotool("windowsize", windows[0], 700, 800)
            lib_gui.wait_until(lambda: len({y for _, _, y in cards()}) == len(cards()), 20,
                               "one card to a row when the window is narrow",
                               lambda: (cards(), size()))
            lib_gui.xdotool("windowsize", windows[0], 1024, 700)

        tap.step("the cards reflow with the window's width", reflows)

        def search():
            entry = lib_gui.wait_until(lambda: showing(pyatspi.ROLE_TEXT, lambda n: n.name == "Search all servers"),
                                       5, "the search box")[0]
            text = entry.queryEditableText()

            def results():
                lists = showing(pyatspi.ROLE_LIST_BOX, lambda n: n.name == "Matching domains")
                if not lists:
                    return []
                return sorted(lists[0].getChildAtIndex(i).name for i in range(lists[0].childCount))

            text.setTextContents("tag:web")
            lib_gui.wait_until(lambda: [r.split(",")[0] for r in results()] == ["web-a1", "web-a2", "web-b1"],
                               10, "the web domains of both servers", results)
            check(any(r.startswith("web-b1, shut off on beta") for r in results()),
                  "a result reads %r" % results())
            text.setTextContents("tag:web host:beta")
            lib_gui.wait_until(lambda: [r.split(",")[0] for r in results()] == ["web-b1"], 10,
                               "only beta's web domain", results)
            lib_gui.wait_until(lambda: card_names() == ["beta"], 10, "only beta's card", card_names)
            text.setTextContents("db state:shutoff")
            lib_gui.wait_until(lambda: [r.split(",")[0] for r in results()] == ["db-a", "db-b"], 10,
                               "the db domains by name", results)
            text.setTextContents("state:sleepy")
            lib_gui.wait_until(lambda: showing(pyatspi.ROLE_LABEL, lambda n: "not a state" in n.name), 10,
                               "a message naming the unknown state")
            check(card_names() == ["beta", "alpha", "gamma"], "a refused search filtered the cards: %r"
                  % card_names())
            text.setTextContents("web-a2")
            lib_gui.wait_until(lambda: [r.split(",")[0] for r in results()] == ["web-a2"], 10,
                               "web-a2 alone", results)
            # Enter in the box opens the first match: the sidebar selects it, its page shows.
            extents = entry.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
            lib_gui.move_pointer(extents.x + extents.width // 2, extents.y + extents.height // 2)
            lib_gui.xdotool("click", "1")
            lib_gui.wait_until(lambda: entry.getState().contains(pyatspi.STATE_FOCUSED), 5,
                               "the search box focused")
            lib_gui.xdotool("key", "Return")
            lib_gui.wait_until(lambda: window.selected() == ["web-a2"], 10,
                               "web-a2 selected in the sidebar", window.selected)

        tap.step("the search finds domains on every server by tag, host, state and name; a bad "
                 "term is named; a result opens its page", search)
    except Failure as e:
        tap.ok(False, "the test ran to its end", str(e))
    finally:
        if app is not None and app.poll() is None:
            lib_gui.end_pids([app.pid])
            app.wait()
        if session is not None:
            session.stop()
        for daemon in daemons.values():
            daemon.stop()
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
