# SPDX-License-Identifier: GPL-3.0-or-later
"""What the GUI tests share: an X server and a session bus of their own, and AT-SPI.

Xvfb picks a free display itself (-displayfd). The session bus is a dbus-daemon of our
own; GTK's accessibility bridge asks it for org.a11y.Bus, which starts
at-spi-bus-launcher (and it the accessibility bus and at-spi2-registryd). Everything
started here, and everything those processes started in turn, is ended by PID.

Import pyatspi only after Session.start(): it connects to the buses in os.environ.
"""

import collections
import os
import select
import signal
import subprocess
import time

XVFB = "/usr/bin/Xvfb"
DBUS_DAEMON = "/usr/bin/dbus-daemon"
XDOTOOL = "/usr/bin/xdotool"


def _children(pid):
    """The PIDs whose parent is pid (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


def descendants(pid):
    """pid's children, their children, … (deepest last)."""
    result = []
    todo = [pid]
    while todo:
        for child in _children(todo.pop()):
            result.append(child)
            todo.append(child)
    return result


def end_pids(pids, timeout=5.0):
    """SIGTERM, then SIGKILL after timeout, each PID of the list."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    for pid in pids:
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
                with open("/proc/%d/stat" % pid) as f:
                    if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                        break
            except (ProcessLookupError, FileNotFoundError):
                break
            time.sleep(0.05)
        else:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


class Session:
    """Xvfb and a session bus; env() is what a GTK program under test needs."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.xvfb = None
        self.dbus = None
        self.display = None
        self.bus_address = None
        self._pids = []

    def start(self):
        read_fd, write_fd = os.pipe()
        self.xvfb = subprocess.Popen(
            [XVFB, "-displayfd", str(write_fd), "-screen", "0", "1280x900x24", "-nolisten", "tcp",
             "-noreset"],
            pass_fds=(write_fd,), stdin=subprocess.DEVNULL,
            stdout=open(os.path.join(self.workdir, "xvfb.log"), "wb"), stderr=subprocess.STDOUT)
        os.close(write_fd)
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()
        if not number:
            raise RuntimeError("Xvfb did not give a display number (see %s/xvfb.log)" % self.workdir)
        self.display = ":" + number

        self.dbus = subprocess.Popen(
            [DBUS_DAEMON, "--session", "--nofork", "--print-address=1"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=open(os.path.join(self.workdir, "dbus.log"), "wb"),
            env=self.env(with_bus=False))
        self.bus_address = self.dbus.stdout.readline().decode().strip()
        if not self.bus_address:
            raise RuntimeError("dbus-daemon did not give an address")

        os.environ["DISPLAY"] = self.display
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = self.bus_address
        os.environ.pop("NO_AT_BRIDGE", None)
        return self

    def env(self, with_bus=True):
        env = dict(os.environ)
        env["DISPLAY"] = self.display
        # A desktop of the test's own: nothing from the user's session leaks in.
        for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR"):
            path = os.path.join(self.workdir, name.lower())
            os.makedirs(path, mode=0o700, exist_ok=True)
            env[name] = path
        env.pop("NO_AT_BRIDGE", None)
        env.pop("WAYLAND_DISPLAY", None)
        env["GDK_BACKEND"] = "x11"
        env["GTK_THEME"] = "Adwaita"
        env.setdefault("GSETTINGS_BACKEND", "memory")
        if with_bus:
            env["DBUS_SESSION_BUS_ADDRESS"] = self.bus_address
        else:
            env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        return env

    def stop(self):
        """The bus (with what it activated: the AT-SPI launcher, its bus, the registry), then X."""
        for proc in (self.dbus, self.xvfb):
            if proc is None or proc.poll() is not None:
                continue
            pids = descendants(proc.pid)
            end_pids([proc.pid] + list(reversed(pids)))
            proc.wait()


class App(subprocess.Popen):
    """A program under test (domus) with its output, both streams, in the file at log_path."""

    def __init__(self, args, env, log_path):
        self.log_path = log_path
        # Appended to: a second start of the program in one test adds to the same log.
        self.log = open(log_path, "ab")
        super().__init__(args, env=env, stdin=subprocess.DEVNULL, stdout=self.log,
                         stderr=subprocess.STDOUT)

    def log_text(self):
        """What the log holds so far."""
        self.log.flush()
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def how(self):
        """Running, or how it ended, and what it said: for a failure's message."""
        state = "running" if self.poll() is None else "exited with %s" % self.returncode
        return "%s %s:\n%s" % (os.path.basename(self.args[0]), state, self.log_text())

    def quiet(self):
        """Raises an AssertionError with the log when the program warned (a tap step)."""
        log = self.log_text()
        if "WARNING" in log or "CRITICAL" in log:
            raise AssertionError("%s complained:\n%s" % (os.path.basename(self.args[0]), log))

    def quit(self):
        """Ends the program by PID if it still runs, and closes its log."""
        if self.poll() is None:
            end_pids([self.pid])
        self.wait()
        self.log.close()


def xdotool(*args):
    """Keys and the pointer through the X server (XTest), as a user's arrive, on the display
    of os.environ (Session.start sets it)."""
    r = subprocess.run([XDOTOOL] + [str(a) for a in args], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=10)
    if r.returncode != 0:
        raise AssertionError("xdotool %s: %s" % (" ".join(map(str, args)), r.stderr))


def pointer_location():
    """(x, y) of the pointer, as the X server has it now."""
    r = subprocess.run([XDOTOOL, "getmouselocation", "--shell"], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=10)
    if r.returncode != 0:
        raise AssertionError("xdotool getmouselocation: %s" % r.stderr)
    values = dict(line.split("=", 1) for line in r.stdout.split() if "=" in line)
    return int(values["X"]), int(values["Y"])


def move_pointer(x, y, timeout=5.0):
    """The pointer to (x, y), returning once the X server has it there, so that keys sent
    next go where it now is: with no window manager, X gives the keyboard to the window
    under the pointer. (xdotool's own --sync waits for a motion, forever when the pointer
    is there already.)"""
    where = (int(x), int(y))
    xdotool("mousemove", where[0], where[1])
    wait_until(lambda: pointer_location() == where, timeout, "the pointer at %r" % (where,),
               pointer_location)


def centre(node, pyatspi):
    """The middle of an accessible on the screen."""
    extents = node.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
    return extents.x + extents.width // 2, extents.y + extents.height // 2


def drag(start, end, steps=8):
    """A real mouse drag (XTest): press at start, move in steps to end, let go."""
    (sx, sy), (dx, dy) = start, end
    xdotool("mousemove", sx, sy)
    xdotool("mousedown", 1)
    for i in range(1, steps + 1):
        xdotool("mousemove", sx + (dx - sx) * i // steps, sy + (dy - sy) * i // steps)
        time.sleep(0.05)
    time.sleep(0.3)
    xdotool("mouseup", 1)


def wait_for(predicate, timeout, interval=0.2):
    """predicate()'s first true value within timeout seconds, else None."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except Exception:  # noqa: BLE001 - objects come and go while the window updates
            value = None
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


class Timeout(AssertionError):
    """What wait_until raises: what was awaited, for how long, and what was seen last."""


def wait_until(predicate, timeout, what, last=None, interval=0.05):
    """predicate()'s first true value, polled until timeout seconds have passed; else raises
    Timeout naming what was awaited and, when last is given, last() at the end (say, the
    rows the tree showed). The way a GUI test waits for what it expects, rather than
    sleeping for a time that a loaded machine may not keep."""
    value = wait_for(predicate, timeout, interval)
    if value:
        return value
    seen = ""
    if last is not None:
        try:
            seen = ": %r" % (last(),)
        except Exception as e:  # noqa: BLE001 - the state itself may be gone
            seen = ": (%s)" % e
    raise Timeout("%s, not within %.0f s%s" % (what, timeout, seen))


# AT-SPI helpers (pyatspi imported by the caller after Session.start()).

def find_all(root, predicate, limit=5000, prune=None, first=False):
    """Every accessible under root (depth first) for which predicate holds, or only the
    first (first=True: the walk stops there); the children of a node for which prune holds
    (a table's cells, say) are not visited."""
    found = []
    stack = [root]
    seen = 0
    while stack and seen < limit and not (first and found):
        node = stack.pop()
        seen += 1
        try:
            if node is not root and predicate(node):
                found.append(node)
                if first:
                    break
            count = 0 if prune is not None and prune(node) else node.childCount
        except Exception:  # noqa: BLE001 - a node that went away
            continue
        for i in reversed(range(count)):
            try:
                child = node.getChildAtIndex(i)
            except Exception:  # noqa: BLE001
                child = None
            if child is not None:
                stack.append(child)
    return found


def find_one(root, predicate, prune=None):
    found = find_all(root, predicate, prune=prune, first=True)
    return found[0] if found else None


def is_showing(node, pyatspi):
    return node.getState().contains(pyatspi.STATE_SHOWING)


def find_domus_window(pyatspi, tree_name="Servers"):
    """(application, frame "Domus", tree named tree_name) as AT-SPI shows a running domus,
    or None while it has not shown them yet. tree_name is the tree's name in the language
    domus runs in ("Servidores" in Spanish)."""
    desktop = pyatspi.Registry.getDesktop(0)
    for i in range(desktop.childCount):
        app = desktop.getChildAtIndex(i)
        if app is None or app.name != "domus":
            continue
        for frame in find_all(app, lambda n: n.getRole() == pyatspi.ROLE_FRAME and n.name == "Domus"):
            tree = find_one(frame, lambda n: n.getRole() == pyatspi.ROLE_TREE_TABLE
                            and n.name == tree_name)
            if tree is not None:
                return app, frame, tree
    return None


class DomusTree:
    """A running domus as AT-SPI shows it: its window "Domus" and the server tree."""

    def __init__(self, pyatspi, tree_name="Servers"):
        self.pyatspi = pyatspi
        self.tree_name = tree_name
        self.app = self.frame = self.table = None

    def find(self):
        """True once the window and its tree are there (for wait_for)."""
        found = find_domus_window(self.pyatspi, self.tree_name)
        if found is None:
            return False
        self.app, self.frame, self.table = found
        return True

    def all_rows(self):
        """[(name, state text or count)] of the rows the tree shows, top to bottom."""
        table = self.table.queryTable()
        return [(table.getAccessibleAt(row, 1).name, table.getAccessibleAt(row, 2).name)
                for row in range(table.nRows)]

    def names(self):
        return [name for name, _ in self.all_rows()]

    def selected(self):
        table = self.table.queryTable()
        return [table.getAccessibleAt(row, 1).name for row in range(table.nRows)
                if table.isRowSelected(row)]

    def select(self, name):
        """Selects the first row named name alone, as a screen reader would (the tree takes
        several rows: the others selected are taken out first)."""
        return select_only_row(self.table.queryTable(), self.names().index(name))

    def add_to_selection(self, name):
        """Adds the first row named name to the selection (what Ctrl+click does)."""
        row = self.names().index(name)
        table = self.table.queryTable()
        return table.isRowSelected(row) or table.addRowSelection(row)

    def showing(self, role, name):
        pyatspi = self.pyatspi
        return find_one(self.frame, lambda n: n.getRole() == role and n.name == name
                        and is_showing(n, pyatspi))


def select_only_row(table, row):
    """Selects row alone in an AT-SPI table that takes several rows (the server tree): adding
    a row there keeps the others, so those are taken out first."""
    for other in table.getSelectedRows():
        if other != row:
            table.removeRowSelection(other)
    return table.isRowSelected(row) or table.addRowSelection(row)


# GTK's window manager buttons of a header bar: GTK names them and gives no description.
WM_BUTTONS = ("Minimize", "Maximize", "Close")


def control_roles(pyatspi):
    """The roles a screen reader user acts on, which must each have a name and a description."""
    return {pyatspi.ROLE_PUSH_BUTTON, pyatspi.ROLE_TOGGLE_BUTTON, pyatspi.ROLE_CHECK_BOX,
            pyatspi.ROLE_RADIO_BUTTON, pyatspi.ROLE_COMBO_BOX, pyatspi.ROLE_ENTRY,
            pyatspi.ROLE_TEXT, pyatspi.ROLE_PASSWORD_TEXT, pyatspi.ROLE_SPIN_BUTTON,
            pyatspi.ROLE_SLIDER, pyatspi.ROLE_TREE_TABLE, pyatspi.ROLE_TABLE,
            pyatspi.ROLE_DRAWING_AREA, pyatspi.ROLE_LINK}


def undescribed_controls(root, pyatspi, gtk_buttons=WM_BUTTONS):
    """The showing controls under root without an accessible name or description, one line
    each; push buttons named in gtk_buttons (made and labelled by GTK itself, which offers no
    way to describe them) are let off when they have no description."""
    roles = control_roles(pyatspi)
    found = []
    for n in find_all(root, lambda n: n.getRole() in roles and is_showing(n, pyatspi)):
        if n.getRole() == pyatspi.ROLE_PUSH_BUTTON and n.name in gtk_buttons and not n.description:
            continue
        if not n.name or not n.description:
            parent = n.parent
            found.append("%s name=%r description=%r (in %s %r, beside %r)"
                         % (n.getRoleName(), n.name, n.description,
                            parent.getRoleName() if parent else None,
                            parent.name if parent else None,
                            [(c.getRoleName(), c.name) for c in parent if c is not None]
                            if parent else []))
    return found


def run_program(tap, program, env, args, timeout, requests=None):
    """Runs a C test program; its "ok - …" / "not ok - …" lines become tap's numbered
    results, "#" lines pass through, and a line naming a key of requests runs that
    function (a program asking its driver to act, e.g. restart the daemon). Ends with one
    more result: the program ended by itself with status 0 and reported something."""
    requests = requests or {}
    name = os.path.basename(program)
    proc = subprocess.Popen([program] + list(args), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + timeout
    buffered = b""
    results = 0
    timed_out = False
    tail = collections.deque(maxlen=40)   # the program's last words, for a failed end
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = True
            break
        if not select.select([proc.stdout], [], [], remaining)[0]:
            continue
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            break
        buffered += chunk
        while b"\n" in buffered:
            raw, buffered = buffered.split(b"\n", 1)
            line = raw.decode(errors="replace")
            tail.append(line)
            if line.startswith("ok - ") or line.startswith("not ok - "):
                tap.ok(line.startswith("ok - "), line.split(" - ", 1)[1])
                results += 1
            elif line in requests:
                requests[line]()
            elif line.startswith("#"):
                print(line, flush=True)
            else:
                print("# " + line, flush=True)
    if timed_out and proc.poll() is None:
        proc.kill()
    status = proc.wait()
    ended_well = status == 0 and not timed_out and results > 0
    why = "timed out after %.0f s" % timeout if timed_out else "status %d" % status
    if not ended_well:
        why += "; its last lines:\n" + "\n".join(tail)
    tap.ok(ended_well, "%s ended by itself with status 0" % name, why)


def press(pyatspi, modifiers, keysym):
    """A key (an X keysym) with modifiers held, typed through AT-SPI's keyboard events."""
    registry = pyatspi.Registry
    registry.generateKeyboardEvent(modifiers, None, pyatspi.KEY_LOCKMODIFIERS)
    try:
        registry.generateKeyboardEvent(keysym, None, pyatspi.KEY_SYM)
    finally:
        registry.generateKeyboardEvent(modifiers, None, pyatspi.KEY_UNLOCKMODIFIERS)


class DomusApp:
    """The window (`domus ARGS`) in session, its output in log_path, LC_ALL=C.UTF-8 and
    G_DEBUG=fatal-warnings: any warning ends it. stop() ends it by PID if it still runs."""

    def __init__(self, session, domus, args, log_path):
        env = session.env()
        env["G_DEBUG"] = "fatal-warnings"
        env["LC_ALL"] = "C.UTF-8"
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen([domus] + list(args), env=env, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def log_text(self):
        self.log.flush()
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def quit_cleanly(self):
        """SIGTERM; the error (AssertionError) if it said a warning or a critical."""
        self.proc.terminate()
        self.proc.wait(10)
        text = self.log_text()
        if "CRITICAL" in text or "WARNING" in text:
            raise AssertionError("domus said:\n%s" % text)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class Controls:
    """What a screen reader finds and presses under an application (AT-SPI), waiting for
    what it expects; a control that does not come raises Timeout with what was looked for."""

    def __init__(self, pyatspi, root):
        self.pyatspi = pyatspi
        self.root = root

    def showing(self, node):
        return is_showing(node, self.pyatspi)

    def sensitive(self, node):
        return node.getState().contains(self.pyatspi.STATE_SENSITIVE)

    def find(self, role, name, under=None):
        return find_one(under or self.root, lambda n: n.getRole() == role and n.name == name
                        and self.showing(n))

    def wait_find(self, role, name, under=None, timeout=10):
        node = wait_for(lambda: self.find(role, name, under), timeout)
        if not node:
            raise Timeout("no %r showing (role %s)" % (name, role))
        return node

    def click(self, role, name, under=None, timeout=10):
        node = self.wait_find(role, name, under, timeout)
        if not wait_for(lambda: self.sensitive(node), timeout):
            raise Timeout("%r is not sensitive" % name)
        node.queryAction().doAction(0)
        return node

    def label_starting(self, under, prefix, timeout=30):
        """A showing label under `under` whose text starts with prefix, or None."""
        return wait_for(lambda: find_one(
            under, lambda n: n.getRole() == self.pyatspi.ROLE_LABEL and (n.name or "").startswith(prefix)
            and self.showing(n)), timeout)

    def dump(self, under=None):
        """(role, name) of what shows under a node, for a failure's message."""
        return [(n.getRoleName(), n.name) for n in find_all(
            under or self.root, lambda n: self.showing(n) and n.name, limit=3000)][:150]
