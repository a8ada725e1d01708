#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Domus window with many libvirt hosts, next to a baseline measured in the same run.

Usage: /usr/bin/python3 bench/libvirt-window-scale.py [BUILD_DIR] [--hosts N] [--domains N]
           [--seconds S]
       (default: build, 20 hosts of 50 domains, 20 s; needs -Dlibvirt enabled, and
        Debian's python3 with python3-pyatspi)

Under an Xvfb and a session bus of its own (tests/gui/lib_gui.py), after one throwaway
GTK client has opened the display (warm_up()):

1. Baseline: `domus --connect test:///NODE.xml` with one host of M running domains
   (libvirt's test driver, in the window's own process).
2. `domus --connect …` with N such hosts (N x M domains).

For each: the time from exec until the server tree has a row for every host and domain
(AT-SPI's row count, polled every 10 ms: one call, so the polling costs the window
little), VmRSS once listed plus 5 s, and with DOMUS_REPORT_STALLS (docs/gui.md,
"Measuring") the worst lateness of the window's 10 ms tick while the hosts are listed and
during the following S seconds, in which every host's 1 Hz sample updates its domains'
figures and sparklines. libvirt's test driver sends no events of its own: lifecycle
events at scale are measured on the backend by bench/libvirt-scale.py.
"""

import argparse
import importlib.util
import os
import shutil
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
from lib_bench import rss_mib, warm_up  # noqa: E402
from lib_qemu import make_temp_dir  # noqa: E402

POLL = 0.01


def load_node_xml():
    """node_xml() of bench/libvirt-scale.py: the same test:/// hosts as the backend's figures."""
    spec = importlib.util.spec_from_file_location("libvirt_scale", os.path.join(HERE, "libvirt-scale.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.node_xml


def worst_stall(path, since, until):
    """The worst lateness (ms) of the ticks between since and until, None under the report's
    threshold; and the whole run's worst."""
    worst, whole = None, None
    with open(path) as f:
        for line in f:
            fields = line.split()
            if fields[0] == "max_stall_ms":
                whole = float(fields[1])
            elif len(fields) == 2 and fields[0].isdigit():
                when, late = int(fields[0]) / 1e6, int(fields[1]) / 1000.0
                if since <= when <= until:
                    worst = late if worst is None else max(worst, late)
    return worst, whole


def run_window(session, pyatspi, build, uris, rows, seconds, workdir, label):
    report = os.path.join(workdir, label + "-stalls.txt")
    env = session.env()
    env.update({"GSETTINGS_SCHEMA_DIR": os.path.join(build, "data"), "GSETTINGS_BACKEND": "memory",
                "LC_ALL": "C.UTF-8", "DOMUS_REPORT_STALLS": report})
    args = [os.path.join(build, "gui", "domus")]
    for uri in uris:
        args += ["--connect", uri]
    tree = lib_gui.DomusTree(pyatspi)
    t0 = time.monotonic()
    proc = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL,
                            stdout=open(os.path.join(workdir, label + ".log"), "wb"), stderr=subprocess.STDOUT)
    listed = None
    try:
        while time.monotonic() - t0 < 120 and proc.poll() is None:
            try:
                if (tree.table is not None or tree.find()) and tree.table.queryTable().nRows >= rows:
                    listed = time.monotonic()
                    break
            except Exception:  # noqa: BLE001 - accessibles come and go while the window fills
                tree.table = None
            time.sleep(POLL)
        if listed is None:
            raise RuntimeError("%s: the tree never had %d rows" % (label, rows))
        time.sleep(5)
        rss = rss_mib(proc.pid)
        flowing = time.monotonic()
        time.sleep(seconds)
        until = time.monotonic()
    finally:
        subprocess.run(["gdbus", "call", "--session", "--dest", "org.domus.Domus", "--object-path",
                        "/org/domus/Domus", "--method", "org.gtk.Actions.Activate", "quit", "[]", "{}"],
                       env=session.env(), capture_output=True, timeout=10)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    while_listing, _ = worst_stall(report, t0, listed)
    while_flowing, whole = worst_stall(report, flowing, until)
    return {"listed": listed - t0, "rss": rss, "listing": while_listing, "flowing": while_flowing,
            "whole": whole}


def fmt_stall(value):
    return "under 5 ms" if value is None else "%.1f ms" % value


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("build", nargs="?", default=os.path.join(SOURCE, "build"))
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--domains", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    node_xml = load_node_xml()
    workdir = make_temp_dir("domus-bench-lvwin-")
    session = None
    results = {}
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
        results["one"] = run_window(session, pyatspi, build, uris[:1], 1 + args.domains, args.seconds,
                                    workdir, "one")
        results["all"] = run_window(session, pyatspi, build, uris, args.hosts * (1 + args.domains),
                                    args.seconds, workdir, "all")
    finally:
        if session is not None:
            session.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    one, many = results["one"], results["all"]
    print("| figure | %d hosts x %d domains | baseline: 1 host x %d domains | goal |"
          % (args.hosts, args.domains, args.domains))
    print("|---|---|---|---|")
    print("| all listed (exec to last row) | %.3f s | %.3f s | < 2 s |" % (many["listed"], one["listed"]))
    print("| worst main-loop stall from exec until listed (start-up included) | %s | %s | < 50 ms |"
          % (fmt_stall(many["listing"]), fmt_stall(one["listing"])))
    print("| worst main-loop stall, %.0f s of 1 Hz samples | %s | %s | < 50 ms |"
          % (args.seconds, fmt_stall(many["flowing"]), fmt_stall(one["flowing"])))
    print("| RSS, listed + 5 s | %.1f MiB | %.1f MiB | |" % (many["rss"], one["rss"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
