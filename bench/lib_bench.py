# SPDX-License-Identifier: GPL-3.0-or-later
"""What the window's benchmarks share: the measured process from /proc, an application's tree
through AT-SPI, the stall report, the display warmed up. Stdlib, and pyatspi once a session
runs (tests/gui/lib_gui.py).
"""

import os
import subprocess
import time

import lib_gui

POLL = 0.01
RSS_AFTER = 10.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(text):
    print(text, flush=True)


def rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return None


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK   # utime, stime


def sleep_until(t):
    delay = t - time.monotonic()
    if delay > 0:
        time.sleep(delay)


class Tree:
    """An application's first tree table, found through AT-SPI, and the names in its cells."""

    def __init__(self, pyatspi, app_names, table_name=None):
        self.pyatspi = pyatspi
        self.app_names = app_names
        self.table_name = table_name
        self.table = None

    def find(self):
        desktop = self.pyatspi.Registry.getDesktop(0)
        for i in range(desktop.childCount):
            app = desktop.getChildAtIndex(i)
            if app is None or (app.name or "").lower() not in self.app_names:
                continue
            # Each node visited is a few D-Bus calls that the measured program's main loop
            # answers, and a table's cells are made on demand: walking a tree of 1,000 rows
            # cell by cell (4,000 accessibles) cost the window more than listing them, so
            # tables are not walked and the walk stops at the first match.
            table = lib_gui.find_one(app, lambda n: n.getRole() == self.pyatspi.ROLE_TREE_TABLE
                                     and (self.table_name is None or n.name == self.table_name),
                                     prune=lambda n: n.getRole() in self.containers())
            if table is not None:
                self.table = table
                return True
        return False

    def containers(self):
        """Roles whose children are rows or cells: not walked (see find)."""
        p = self.pyatspi
        return (p.ROLE_TABLE, p.ROLE_TREE_TABLE, p.ROLE_TREE, p.ROLE_LIST, p.ROLE_TABLE_CELL)

    def cell_texts(self):
        table = self.table.queryTable()
        texts = []
        for row in range(table.nRows):
            for column in range(table.nColumns):
                cell = table.getAccessibleAt(row, column)
                if cell is None:
                    continue
                texts.append(cell.name or "")
                # virt-manager's cells are composite: the text is in a child cell.
                for i in range(cell.childCount):
                    texts.append(cell.getChildAtIndex(i).name or "")
        return texts

    def listed(self, names):
        """How many of names appear as a word of some cell. Each cell is a D-Bus round trip
        served by the window's main loop: while the tree has fewer rows than names (one
        call to ask), the cells are not read, so that the poll does not slow down what it
        measures."""
        if self.table.queryTable().nRows < len(names):
            return 0
        words = set()
        for text in self.cell_texts():
            words.update(text.split())
        return sum(1 for n in names if n in words)


def time_to_list(proc, tree, names, t0, timeout=60.0):
    """Seconds from t0 until the tree lists every name (polled every POLL s), or None. The
    time is taken when the poll asks, before the cells are read: reading a few hundred
    cells one D-Bus call at a time is the poll's cost, not the window's."""
    deadline = t0 + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the program exited with status %d" % proc.returncode)
        try:
            asked = time.monotonic()
            if (tree.table is not None or tree.find()) and tree.listed(names) == len(names):
                return asked - t0
        except Exception:  # noqa: BLE001 - accessibles come and go while the window fills
            tree.table = None
        time.sleep(POLL)
    return None


def measure(label, proc, tree, names, t0, idle_seconds):
    """Window time and its CPU time by then, RSS after RSS_AFTER s, CPU over the next idle
    seconds (no AT-SPI calls)."""
    listed = time_to_list(proc, tree, names, t0)
    # All its threads' CPU by then: what listing cost it, whatever the machine's load.
    cpu_listed = cpu_seconds(proc.pid)
    log("  %s: all %d listed after %s (%.2f s of CPU)" % (label, len(names),
                                                         "%.3f s" % listed if listed is not None else "(never)",
                                                         cpu_listed))
    sleep_until(t0 + RSS_AFTER)
    rss = rss_mib(proc.pid)
    cpu0, w0 = cpu_seconds(proc.pid), time.monotonic()
    time.sleep(idle_seconds)
    cpu1, w1 = cpu_seconds(proc.pid), time.monotonic()
    cpu = 100.0 * (cpu1 - cpu0) / (w1 - w0)
    log("  %s: RSS %.1f MiB after %.0f s; CPU %.2f %% of a core over %.0f s idle"
        % (label, rss, RSS_AFTER, cpu, w1 - w0))
    return {"window": listed, "cpu_listed": cpu_listed, "rss": rss, "cpu": cpu}


def end_process(proc):
    if proc is not None and proc.poll() is None:
        lib_gui.end_pids([proc.pid] + list(reversed(lib_gui.descendants(proc.pid))))
        proc.wait()


def quit_domus(session, proc):
    """app.quit over the session bus, so that shutdown runs (and writes the stall report)."""
    subprocess.run(["gdbus", "call", "--session", "--dest", "org.domus.Domus", "--object-path",
                    "/org/domus/Domus", "--method", "org.gtk.Actions.Activate", "quit", "[]", "{}"],
                   env=session.env(), capture_output=True, timeout=10)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        end_process(proc)


def read_stalls(path, since, until):
    """(worst lateness in ms between since and until, or None if under the report's
    threshold, 5 ms; the report). report["busy"] is the worst CPU time (ms) the main thread
    used between two ticks in that window (None: under 5 ms; absent from older reports)."""
    report = {"events": [], "histogram": [], "busy_events": []}
    with open(path) as f:
        for line in f:
            fields = line.split()
            if fields[0] == "max_stall_ms":
                report["max_all"] = float(fields[1])
            elif fields[0] == "max_busy_ms":
                report["max_busy_all"] = float(fields[1])
            elif fields[0] == "ticks":
                report["ticks"] = int(fields[1])
            elif fields[0] == "late_ms":
                report["histogram"].append((fields[1], int(fields[2])))
            elif fields[0] == "stalls_over_ms":
                report["threshold"] = int(fields[1])
            elif len(fields) in (2, 3) and fields[0].isdigit():
                when = int(fields[0]) / 1e6
                report["events"].append((when, int(fields[1]) / 1000.0))
                if len(fields) == 3:
                    report["busy_events"].append((when, int(fields[2]) / 1000.0))
    inside = [late for when, late in report["events"] if since <= when <= until and late >= 5]
    busy = [cpu for when, cpu in report["busy_events"] if since <= when <= until and cpu >= 5]
    report["busy"] = max(busy) if busy else None
    return (max(inside) if inside else None), report


# The same 10 ms tick as DOMUS_REPORT_STALLS, in a process that does nothing else: how late
# the machine itself runs a main loop meanwhile (other programs' CPU, the scheduler). It
# writes the same report, times in the same clock (CLOCK_MONOTONIC), so read_stalls()
# reads both.
TICKER = r"""
import signal, sys, time
from gi.repository import GLib
path, seconds = sys.argv[1], float(sys.argv[2])
bounds = (5, 10, 20, 50, 100)
hist = [0] * (len(bounds) + 1)
events = []
state = {"last": time.monotonic(), "cpu": time.thread_time(), "worst": 0.0, "busy": 0.0, "ticks": 0}
def tick():
    now, cpu = time.monotonic(), time.thread_time()
    late = max(0.0, now - state["last"] - 0.010) * 1000
    busy = max(0.0, cpu - state["cpu"]) * 1000
    state["last"], state["cpu"] = now, cpu
    state["ticks"] += 1
    state["worst"] = max(state["worst"], late)
    state["busy"] = max(state["busy"], busy)
    hist[sum(1 for b in bounds if late >= b)] += 1
    if late >= 5 or busy >= 5:
        events.append((now, late, busy))
    return True
loop = GLib.MainLoop()
GLib.timeout_add(10, tick)
GLib.timeout_add(int(seconds * 1000), loop.quit)
GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
loop.run()
with open(path, "w") as f:
    f.write("max_stall_ms %.1f\nmax_busy_ms %.1f\nticks %d\n" % (state["worst"], state["busy"], state["ticks"]))
    lower = 0
    for i, n in enumerate(hist):
        f.write("late_ms %d-%s %d\n" % (lower, bounds[i] if i < len(bounds) else "", n))
        lower = bounds[i] if i < len(bounds) else lower
    f.write("stalls_over_ms 5\n")
    for when, late, busy in events:
        f.write("%d %d %d\n" % (when * 1e6, late * 1000, busy * 1000))
"""


def start_ticker(path, seconds):
    """A baseline tick process for SECONDS (see TICKER), or until SIGTERM; wait() on it,
    then read_stalls(PATH)."""
    return subprocess.Popen(["/usr/bin/python3", "-c", TICKER, path, str(seconds)],
                            stdin=subprocess.DEVNULL)


def warm_up(session):
    """A GTK client opens the display once before anything is measured. The first GTK 3
    program on an X server probes GLX for its visuals (Mesa's llvmpipe: libLLVM, some
    50 MB of RSS) and leaves the answer on the root window (GDK_VISUALS) for the others;
    on a desktop session that was done long ago, so neither program should pay it here."""
    r = subprocess.run(["/usr/bin/python3", "-c",
                        "import gi; gi.require_version('Gtk', '3.0'); from gi.repository import Gtk;"
                        " Gtk.init(None)"], env=session.env(), capture_output=True, text=True,
                       timeout=30)
    if r.returncode != 0:
        raise RuntimeError("the GTK warm-up failed: " + r.stderr.strip())


def fmt(value, unit, digits=1):
    return "-" if value is None else "%.*f %s" % (digits, value, unit)
