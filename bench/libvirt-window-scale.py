#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Domus window with many libvirt hosts, next to baselines measured in the same run.

Usage: /usr/bin/python3 bench/libvirt-window-scale.py [BUILD_DIR] [--hosts N] [--domains N]
           [--seconds S] [--runs R]
       (default: build, 20 hosts of 50 domains, 20 s, 3 runs; needs -Dlibvirt enabled, and
        Debian's python3 with python3-pyatspi)

Under an Xvfb and a session bus of its own (tests/gui/lib_gui.py), after one throwaway
GTK client has opened the display (warm_up()), R times each, alternating:

1. Baseline: `domus --connect test:///NODE.xml` with one host of M running domains
   (libvirt's test driver, in the window's own process).
2. `domus --connect …` with N such hosts (N x M domains).

For each run: the time from exec until the server tree has a row for every host and domain
(AT-SPI's row count, polled every 10 ms: one call; the tree is found without walking its
cells, see lib_bench.Tree.find), the window's CPU time by then (all its threads, and its
main thread alone), VmRSS once listed plus 5 s, and with DOMUS_REPORT_STALLS (docs/gui.md,
"Measuring") the worst lateness of the window's 10 ms tick and the most CPU its main thread
used between two ticks: from exec until the window is built (start-up: the first tick
after it), from then until every row is there (listing), and during the following S seconds, in which
every host's 1 Hz sample updates its domains' figures and sparklines. Beside them, a
process that does nothing but the same tick (lib_bench.start_ticker) over the whole run:
how late this machine lets any main loop run meanwhile. The table gives medians over the
runs. libvirt's test driver sends no events of its own: lifecycle events at scale are
measured on the backend by bench/libvirt-scale.py, and how the sidebar takes a flood of
them by tests/gui/test-server-store.c (one batch per burst).
"""

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SOURCE, "tests", "gui"))
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))
sys.path.insert(0, HERE)

import lib_gui  # noqa: E402
from lib_bench import (CLK_TCK, Tree, cpu_seconds, quit_domus, read_stalls, rss_mib, start_ticker,  # noqa: E402
                       warm_up)
from lib_qemu import make_temp_dir  # noqa: E402

POLL = 0.01


def load_node_xml():
    """node_xml() of bench/libvirt-scale.py: the same test:/// hosts as the backend's figures."""
    spec = importlib.util.spec_from_file_location("libvirt_scale", os.path.join(HERE, "libvirt-scale.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.node_xml


def main_thread_cpu(pid):
    with open("/proc/%d/task/%d/stat" % (pid, pid)) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def stalls(path, since, until):
    """(worst lateness, worst main-thread CPU between two ticks) in ms, 0 under 5 ms; the
    CPU None from a window built before the report had it."""
    late, report = read_stalls(path, since, until)
    return late or 0.0, (report["busy"] or 0.0) if "max_busy_all" in report else None


def run_window(session, pyatspi, build, uris, rows, seconds, workdir, label):
    report = os.path.join(workdir, label + "-stalls.txt")
    ticks = os.path.join(workdir, label + "-ticker.txt")
    env = session.env()
    env.update({"GSETTINGS_SCHEMA_DIR": os.path.join(build, "data"), "GSETTINGS_BACKEND": "memory",
                "LC_ALL": "C.UTF-8", "DOMUS_REPORT_STALLS": report})
    args = [os.path.join(build, "gui", "domus")]
    for uri in uris:
        args += ["--connect", uri]
    tree = Tree(pyatspi, ("domus",), "Servers")
    ticker = start_ticker(ticks, 150)
    time.sleep(1)   # the ticker's interpreter started
    t0 = time.monotonic()
    proc = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL,
                            stdout=open(os.path.join(workdir, label + ".log"), "wb"), stderr=subprocess.STDOUT)
    shown = listed = None
    try:
        while time.monotonic() - t0 < 120 and proc.poll() is None:
            try:
                if tree.table is not None or tree.find():
                    shown = shown or time.monotonic()
                    if tree.table.queryTable().nRows >= rows:
                        listed = time.monotonic()
                        break
            except Exception:  # noqa: BLE001 - accessibles come and go while the window fills
                tree.table = None
            time.sleep(POLL)
        if listed is None:
            raise RuntimeError("%s: the tree never had %d rows" % (label, rows))
        cpu, main_cpu = cpu_seconds(proc.pid), main_thread_cpu(proc.pid)
        time.sleep(5)
        rss = rss_mib(proc.pid)
        flowing = time.monotonic()
        time.sleep(seconds)
        until = time.monotonic()
    finally:
        quit_domus(session, proc)
        ticker.terminate()
        ticker.wait()
    result = {"listed": listed - t0, "cpu": cpu, "main_cpu": main_cpu, "rss": rss}
    ticker_done = os.path.exists(ticks)
    # Start-up ends with the first tick once the window is built (the meter starts before
    # it, so that tick is late by the whole build): listing is what follows.
    _, whole = read_stalls(report, t0, listed)
    built = min([when for when, _ in whole["events"] if when >= t0] or [shown])
    for phase, since, end in (("startup", t0, built), ("listing", built + 1e-6, listed),
                              ("flowing", flowing, until)):
        result[phase], result[phase + "_busy"] = stalls(report, since, end)
        if ticker_done:
            result[phase + "_ticker"], _ = stalls(ticks, since, end)
    return result


def median(results, key):
    values = [r[key] for r in results if r.get(key) is not None]
    return statistics.median(values) if values else None


def fmt(value, unit, digits=1):
    if value is None:
        return "-"
    if unit == "ms" and value < 5:
        return "< 5 ms"   # the reports note from 5 ms on
    return "%.*f %s" % (digits, value, unit)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("build", nargs="?", default=os.path.join(SOURCE, "build"))
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--domains", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    node_xml = load_node_xml()
    workdir = make_temp_dir("domus-bench-lvwin-")
    session = None
    one, many = [], []
    load = []
    try:
        uris = []
        for h in range(args.hosts):
            path = os.path.join(workdir, "node%02d.xml" % h)
            with open(path, "w") as f:
                f.write(node_xml(h, args.domains))
            uris.append("test://" + path)
        session = lib_gui.Session(workdir).start()
        import pyatspi  # noqa: E402 - after the session: it connects to the buses in os.environ
        warm_up(session)
        for run in range(args.runs):
            load.append(os.getloadavg()[0])
            one.append(run_window(session, pyatspi, build, uris[:1], 1 + args.domains, args.seconds,
                                  workdir, "one%d" % run))
            many.append(run_window(session, pyatspi, build, uris, args.hosts * (1 + args.domains),
                                   args.seconds, workdir, "all%d" % run))
            print("run %d (load %.1f): %d hosts listed in %.3f s (%.2f s CPU), one host in %.3f s (%.2f s CPU)"
                  % (run + 1, load[-1], args.hosts, many[-1]["listed"], many[-1]["cpu"], one[-1]["listed"],
                     one[-1]["cpu"]), flush=True)
    finally:
        if session is not None:
            session.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    def row(figure, key, unit, digits=1, goal=""):
        m, o = median(many, key), median(one, key)
        ratio = "%.1fx" % (m / o) if m is not None and o and (unit != "ms" or min(m, o) >= 5) else "-"
        print("| %s | %s | %s | %s | %s |" % (figure, fmt(m, unit, digits), fmt(o, unit, digits), ratio, goal))

    print()
    print("Medians of %d runs; load average (1 min) at each run's start: %s"
          % (args.runs, ", ".join("%.1f" % x for x in load)))
    print()
    print("| figure | %d hosts x %d domains | baseline: 1 host x %d domains | ratio | goal |"
          % (args.hosts, args.domains, args.domains))
    print("|---|---|---|---|---|")
    row("all listed (exec to last row)", "listed", "s", 3, "< 2 s")
    row("window's CPU time by then, all threads", "cpu", "s", 2)
    row("... its main thread", "main_cpu", "s", 2)
    for phase, what in (("startup", "exec until the window is built"), ("listing", "built until listed"),
                        ("flowing", "%.0f s of 1 Hz samples" % args.seconds)):
        goal = "< 50 ms" if phase != "startup" else ""
        row("worst stall, %s" % what, phase, "ms", 1, goal)
        row("... main-thread CPU between two ticks", phase + "_busy", "ms", 1)
        row("... a do-nothing ticker's worst stall meanwhile", phase + "_ticker", "ms", 1)
    row("RSS, listed + 5 s", "rss", "MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
