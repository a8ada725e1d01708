#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Screenshots of the real Domus window, for the AppStream metainfo and the user guide.

Usage: take-screenshots.py [--build-dir BUILD] [--guest-dir DIR] [--out DIR]
                           [--size WxH] [--locale LOCALE] [--settle SECONDS] [SHOT...]
       take-screenshots.py --guide [--build-dir BUILD] ...

Starts, all of its own and ended by PID: an Xvfb and a session bus (tests/gui/lib_gui.py),
a domusd with --root in a fresh folder holding three domains of the test guest
(tests/integration/lib_domus.py): "web1" and "db1" running under TCG, "mail1" defined
only; and the `domus` window of the build, connected to that daemon. The window is moved
to the top left corner and sized to --size (default 1280x800); each shot drives it
through AT-SPI as a user would and saves the window with ImageMagick's `import` as
OUT/SHOT.png.

Shots (when none is named, the AppStream ones: dashboard, domain, console; see SHOTS
below to add one):
  dashboard   the server's page: every domain, its state and load
  domain      web1's page with its graphs
  console     web1's console showing the guest's screen
  add_server  the Add Server dialog with its SSH fields filled (for docs/user-guide.md)
  create_source  the create assistant's Install Source page, an ISO of the store chosen
  create_summary the create assistant's Summary page with the .cfg it will send
  images      the server page's Images tab (the image store)
  group_by_tag   the sidebar grouped by tag (the configs carry tags, see TAGS)
--guide takes the user guide's shots (GUIDE_SHOTS) at 1024x700 into docs/images (the
guide's own size and folder unless --size or --out say otherwise). Dialogs are saved
alone, cropped from the screen. Shrink the PNGs afterwards, e.g. `convert F -strip F`.

BUILD defaults to $DOMUS_BUILD_DIR, else ./build; the test guest (BUILD/tests/guest, made
by `meson compile -C BUILD`) must be there. OUT defaults to this script's folder. Needs
Xvfb, dbus-daemon, python3-pyatspi, at-spi2-core, xdotool and imagemagick (.ci/packages).
"""

import argparse
import os
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "gui"))
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))

HOST_NAME = "server1"
RUNNING = ("web1", "db1")
DEFINED = ("mail1",)
# In the configs from the start: a running domain takes a tag change at its next start.
TAGS = {"web1": "tags = ['web', 'prod']\n", "db1": "tags = ['db', 'prod']\n",
        "mail1": "tags = ['mail']\n"}
FIND_TIMEOUT = 30.0


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


class Window:
    """The running domus, through AT-SPI (pyatspi) and its X window (xdotool)."""

    def __init__(self, pyatspi, lib_gui, pid):
        self.pyatspi = pyatspi
        self.lib_gui = lib_gui
        self.pid = pid
        self.frame = None
        self.table = None
        self.xid = None

    def find(self):
        desktop = self.pyatspi.Registry.getDesktop(0)
        for i in range(desktop.childCount):
            app = desktop.getChildAtIndex(i)
            if app is None or app.name != "domus":
                continue
            frame = self.lib_gui.find_one(app, lambda n: n.getRole() == self.pyatspi.ROLE_FRAME)
            table = self.lib_gui.find_one(app, lambda n: n.getRole() == self.pyatspi.ROLE_TREE_TABLE
                                          and n.name == "Servers")
            if frame is not None and table is not None:
                self.frame, self.table = frame, table
                return True
        return False

    def find_xid(self):
        r = subprocess.run(["xdotool", "search", "--onlyvisible", "--pid", str(self.pid)],
                           capture_output=True, text=True)
        ids = r.stdout.split()
        if ids:
            self.xid = ids[-1]
        return bool(ids)

    def place(self, width, height):
        # No window manager: the window takes the geometry it is given.
        subprocess.run(["xdotool", "windowmove", self.xid, "0", "0"], check=True)
        subprocess.run(["xdotool", "windowsize", self.xid, str(width), str(height)], check=True)

    def rows(self):
        """{name: row index} of the domain and server rows."""
        table = self.table.queryTable()
        rows = {}
        for row in range(table.nRows):
            rows.setdefault(table.getAccessibleAt(row, 1).name, row)
        return rows

    def select(self, name):
        row = self.rows()[name]
        table = self.table.queryTable()
        return table.isRowSelected(row) or table.addRowSelection(row)

    def showing(self, role, name):
        pyatspi = self.pyatspi
        return self.lib_gui.find_one(self.frame, lambda n: n.getRole() == role and n.name == name
                                     and self.lib_gui.is_showing(n, pyatspi))

    def select_tab(self, name):
        tab = self.lib_gui.wait_for(lambda: self.showing(self.pyatspi.ROLE_PAGE_TAB, name), 10)
        check(tab, "no %r tab showing" % name)
        tabs = tab.parent
        index = [tabs.getChildAtIndex(i) for i in range(tabs.childCount)].index(tab)
        check(tabs.querySelection().selectChild(index), "the %r tab could not be selected" % name)

    def save(self, path, screen=None):
        if screen is not None:
            # A dialog is an X window of its own (no window manager to frame it): the
            # screen is saved, cropped to the dialog's extents as AT-SPI gives them.
            ext = screen.queryComponent().getExtents(self.pyatspi.DESKTOP_COORDS)
            geometry = "%dx%d+%d+%d" % (ext.width, ext.height, ext.x, ext.y)
            subprocess.run(["import", "-window", "root", "-crop", geometry, "+repage", path],
                           check=True)
        else:
            subprocess.run(["import", "-window", self.xid, path], check=True)

    def button(self, root, name):
        pyatspi = self.pyatspi
        return self.lib_gui.find_one(root, lambda n: n.getRole() in (pyatspi.ROLE_PUSH_BUTTON,
                                                                      pyatspi.ROLE_TOGGLE_BUTTON)
                                     and n.name == name and self.lib_gui.is_showing(n, pyatspi))

    def dialog(self, name, timeout=10):
        pyatspi = self.pyatspi
        lib_gui = self.lib_gui

        def found():
            app = self.frame.getApplication()
            return lib_gui.find_one(app, lambda n: n.getRole() in (pyatspi.ROLE_DIALOG,
                                                                   pyatspi.ROLE_FRAME)
                                    and n.name == name and lib_gui.is_showing(n, pyatspi))
        return lib_gui.wait_for(found, timeout)


# Each shot puts the window in the state to show; main() then saves it. A new shot adds a
# function and an entry here (the user guide's helper does).

def shot_dashboard(window, ctx):
    check(window.select(HOST_NAME), "the tree refused to select the server row")
    time.sleep(2)


def shot_domain(window, ctx):
    check(window.select("web1"), "the tree refused to select web1")
    window.select_tab("Overview")
    time.sleep(2)


def shot_console(window, ctx):
    check(window.select("web1"), "the tree refused to select web1")
    window.select_tab("Console")
    pyatspi = window.pyatspi
    lib_gui = window.lib_gui
    display = lib_gui.wait_for(
        lambda: lib_gui.find_one(window.frame, lambda n: n.name == "Console of web1"
                                 and lib_gui.is_showing(n, pyatspi)), 20)
    check(display, "no 'Console of web1' showing")
    # The guest's text console: give the VNC picture a moment after connecting.
    time.sleep(4)


def click(node, what):
    check(node is not None, "no %s" % what)
    check(node.queryAction().doAction(0), "%s did not react" % what)


def shot_add_server(window, ctx):
    pyatspi = window.pyatspi
    lib_gui = window.lib_gui
    check(window.select(HOST_NAME), "the tree refused to select the server row")
    click(window.button(window.frame, "Add Server"), "Add Server button")
    form = window.dialog("Add Server")
    check(form, "Add Server opened no dialog")
    combo = lib_gui.find_one(form, lambda n: n.getRole() == pyatspi.ROLE_COMBO_BOX)
    check(combo and combo.querySelection().selectChild(1), "could not choose SSH")

    def field(name):
        node = lib_gui.wait_for(lambda: lib_gui.find_one(
            form, lambda n: n.getRole() in (pyatspi.ROLE_TEXT, pyatspi.ROLE_SPIN_BUTTON)
            and n.name == name and lib_gui.is_showing(n, pyatspi)), 5)
        check(node, "no %r field" % name)
        return node.queryEditableText()
    field("Host").setTextContents("host1.example.org")
    field("User").setTextContents("admin")
    # Key file left empty: the agent, then ~/.ssh/id_* (a path must exist to be accepted).
    time.sleep(1)
    ctx["screen"] = form
    ctx["after"] = lambda: click(window.button(form, "Cancel"), "Cancel button")


def assistant_next(window, assistant, what):
    click(window.button(assistant, "Next"), "Next button (%s)" % what)
    time.sleep(0.5)


def open_assistant(window, ctx):
    pyatspi = window.pyatspi
    lib_gui = window.lib_gui
    check(window.select(HOST_NAME), "the tree refused to select the server row")
    click(window.button(window.frame, "Create Domain"), "Create Domain button")
    # GtkAssistant is read by its page's title ("Name"), not its window title: it is the
    # application's other frame.
    def other_frame():
        app = window.frame.getApplication()
        for i in range(app.childCount):
            node = app.getChildAtIndex(i)
            if node.getRole() == pyatspi.ROLE_FRAME and node.name != "Domus" \
                    and lib_gui.is_showing(node, pyatspi):
                return node
        return None
    assistant = lib_gui.wait_for(other_frame, 10)
    check(assistant, "Create Domain opened no assistant")
    name = lib_gui.wait_for(lambda: lib_gui.find_one(
        assistant, lambda n: n.getRole() == pyatspi.ROLE_TEXT and n.name == "Domain name"
        and lib_gui.is_showing(n, pyatspi)), 5)
    check(name, "no 'Domain name' field")
    name.queryEditableText().setTextContents("debian1")
    time.sleep(0.5)
    assistant_next(window, assistant, "name")
    iso = lib_gui.wait_for(lambda: lib_gui.find_one(
        assistant, lambda n: n.getRole() == pyatspi.ROLE_COMBO_BOX
        and n.name == "ISO images in the image store" and lib_gui.is_showing(n, pyatspi)), 5)
    check(iso, "no ISO list on the source page")
    check(iso.querySelection().selectChild(0), "could not choose the store's ISO")
    time.sleep(1)
    ctx["screen"] = assistant
    ctx["after"] = lambda: click(window.button(assistant, "Cancel"), "Cancel button")
    return assistant


def shot_create_source(window, ctx):
    open_assistant(window, ctx)


def shot_create_summary(window, ctx):
    assistant = open_assistant(window, ctx)
    for page in ("source", "memory", "disk", "network", "console"):
        assistant_next(window, assistant, page)
    time.sleep(1)


def shot_images(window, ctx):
    ctl(ctx["domusctl"], ctx["uri"], "image", "create", "web1-data.qcow2", "8G",
        "--format", "qcow2")
    check(window.select(HOST_NAME), "the tree refused to select the server row")
    window.select_tab("Images")
    time.sleep(2)


def lib_gui_rows(window, names):
    return window.lib_gui.wait_for(lambda: all(n in window.rows() for n in names), 15)


def shot_group_by_tag(window, ctx):
    click(window.button(window.frame, "Group by Tag"), "Group by Tag button")
    # The server's page: a domain's page would widen the window and squeeze the sidebar.
    check(lib_gui_rows(window, ("Tag web", "Tag db", "Tag prod", "Tag mail")),
          "the tag groups are not all listed: %r" % sorted(window.rows()))
    check(window.select(HOST_NAME), "the tree refused to select the server row")
    time.sleep(2)
    ctx["after"] = lambda: click(window.button(window.frame, "Group by Tag"),
                                 "Group by Tag button")


APPSTREAM_SHOTS = ("dashboard", "domain", "console")
GUIDE_SHOTS = ("dashboard", "console", "add_server", "create_source", "create_summary",
               "images", "group_by_tag")
SHOTS = {
    "dashboard": shot_dashboard,
    "domain": shot_domain,
    "console": shot_console,
    "add_server": shot_add_server,
    "create_source": shot_create_source,
    "create_summary": shot_create_summary,
    "images": shot_images,
    "group_by_tag": shot_group_by_tag,
}


def ctl(domusctl, uri, *args):
    r = subprocess.run([domusctl, "-c", uri] + list(args), capture_output=True, text=True,
                       timeout=120)
    check(r.returncode == 0, "domusctl %s: %s" % (" ".join(args), r.stderr.strip()))


def main():
    parser = argparse.ArgumentParser(description="Screenshots of the real Domus window.")
    parser.add_argument("--build-dir", default=os.environ.get("DOMUS_BUILD_DIR")
                        or os.path.join(SOURCE_DIR, "build"))
    parser.add_argument("--guest-dir", help="the test guest (default: BUILD/tests/guest)")
    parser.add_argument("--out", help="where the PNG files go (default: this folder;"
                        " docs/images with --guide)")
    parser.add_argument("--size", help="the window's size, WxH (default 1280x800;"
                        " 1024x700 with --guide)")
    parser.add_argument("--guide", action="store_true",
                        help="the user guide's shots (%s)" % ", ".join(GUIDE_SHOTS))
    parser.add_argument("--locale", default="C.UTF-8", help="LC_ALL for the window (es_ES.UTF-8…)")
    parser.add_argument("--settle", type=float, default=60.0,
                        help="seconds the domains run before the first shot, so graphs have a past")
    parser.add_argument("shots", nargs="*", metavar="SHOT",
                        help="shots to take (%s; default: %s)"
                        % (", ".join(SHOTS), ", ".join(APPSTREAM_SHOTS)))
    args = parser.parse_args()
    if args.guide:
        shots = args.shots or list(GUIDE_SHOTS)
        args.out = args.out or os.path.join(SOURCE_DIR, "docs", "images")
        args.size = args.size or "1024x700"
    else:
        shots = args.shots or list(APPSTREAM_SHOTS)
    args.out = args.out or HERE
    args.size = args.size or "1280x800"
    unknown = [s for s in shots if s not in SHOTS]
    if unknown:
        parser.error("unknown shot(s): %s (known: %s)" % (", ".join(unknown), ", ".join(SHOTS)))
    width, height = (int(v) for v in args.size.lower().split("x"))

    build = os.path.abspath(args.build_dir)
    guest_dir = os.path.abspath(args.guest_dir or os.path.join(build, "tests", "guest"))
    os.environ["DOMUS_BUILD_DIR"] = build     # lib_domus finds domusd and domusctl with it
    import lib_gui  # noqa: E402
    import lib_domus  # noqa: E402
    from lib_qemu import make_temp_dir  # noqa: E402

    domus = os.path.join(build, "gui", "domus")
    for path in (domus, lib_domus.DOMUSD, lib_domus.DOMUSCTL,
                 os.path.join(guest_dir, "vmlinuz"), os.path.join(guest_dir, "initrd.img")):
        if not os.path.exists(path):
            sys.exit("take-screenshots: %s is missing (meson compile -C %s?)" % (path, build))
    for tool in ("xdotool", "import"):
        if shutil.which(tool) is None:
            sys.exit("take-screenshots: %s is not installed" % tool)
    os.makedirs(args.out, exist_ok=True)

    root = make_temp_dir("domus-shots-")
    session = daemon = app = None
    status = 0
    try:
        # An installer "CD" in the image store, for the create assistant's source page.
        os.makedirs(os.path.join(root, "images"), exist_ok=True)
        with open(os.path.join(root, "images", "debian-12-netinst.iso"), "wb") as f:
            f.truncate(2048 * 16)
        daemon = lib_domus.Daemon(root, name=HOST_NAME).wait_listening()
        for name in RUNNING + DEFINED:
            cfg = os.path.join(root, name + ".cfg")
            with open(cfg, "w") as f:
                f.write(lib_domus.guest_cfg(guest_dir, name, TAGS[name]))
            if name in RUNNING:
                ctl(lib_domus.DOMUSCTL, daemon.uri, "create", cfg)
            else:
                ctl(lib_domus.DOMUSCTL, daemon.uri, "define", cfg)

        session = lib_gui.Session(root).start()
        import pyatspi  # noqa: E402 - after the session: it connects to its buses

        env = session.env()
        env["LC_ALL"] = args.locale
        env["GSETTINGS_SCHEMA_DIR"] = os.path.join(build, "data")
        env["DOMUS_LOCALEDIR"] = os.path.join(build, "po")
        log = open(os.path.join(root, "domus.log"), "wb")
        app = subprocess.Popen([domus, "--connect", daemon.uri], env=env,
                               stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        window = Window(pyatspi, lib_gui, app.pid)
        check(lib_gui.wait_for(window.find, FIND_TIMEOUT), "the Domus window did not appear")
        check(lib_gui.wait_for(window.find_xid, FIND_TIMEOUT), "no X window for domus")
        window.place(width, height)
        window.width, window.height = width, height
        check(lib_gui.wait_for(lambda: all(n in window.rows() for n in RUNNING + DEFINED),
                               FIND_TIMEOUT), "the domains are not all listed")
        time.sleep(args.settle)

        for name in shots:
            ctx = {"root": root, "uri": daemon.uri, "domusctl": lib_domus.DOMUSCTL}
            SHOTS[name](window, ctx)
            path = os.path.join(args.out, name + ".png")
            window.save(path, screen=ctx.get("screen"))
            print("take-screenshots: %s" % path, flush=True)
            if "after" in ctx:     # close a dialog, ungroup: the next shot starts clean
                ctx["after"]()
                time.sleep(1)
    except Failure as e:
        print("take-screenshots: %s" % e, file=sys.stderr)
        status = 1
    finally:
        if app is not None and app.poll() is None:
            lib_gui.end_pids([app.pid])
            app.wait()
        if session is not None:
            session.stop()
        if daemon is not None:
            daemon.stop()
        if status == 0:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print("take-screenshots: logs kept in %s" % root, file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
