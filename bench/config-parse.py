#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""How fast Domus reads .cfg files, next to how xm read them (Python's exec), in the same run.

Usage: bench/config-parse.py [BUILD_DIR]   (default: build)
Prints microseconds per file for each sample config: Domus's parser, Domus's
parse + one-key edit + write, and the baseline: compiling and executing the file
as Python, which is what xm did with every domain file.
"""

import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(SOURCE, "build"))
BENCH = os.path.join(BUILD, "bench", "bench-config")
FILES = ["listing1.cfg", "listing4.cfg", "admin-pv.cfg", "admin-hvm.cfg"]
ROUNDS = 20000


def python_exec_us(path):
    with open(path) as f:
        text = f.read()
    start = time.perf_counter()
    for _ in range(ROUNDS):
        exec(compile(text, path, "exec"), {})
    return (time.perf_counter() - start) * 1e6 / ROUNDS


def domus_us(path):
    out = subprocess.run([BENCH, path, str(ROUNDS)], capture_output=True, text=True,
                         check=True).stdout
    figures = {}
    for line in out.splitlines():
        name, value = line.rsplit(" ", 1)
        figures[name] = float(value)
    return figures


def main():
    if not os.path.exists(BENCH):
        sys.exit("%s is missing: run `meson compile -C %s` first" % (BENCH, BUILD))
    print("%-14s %12s %20s %20s" % ("file", "Domus parse", "Domus parse+edit+write",
                                     "xm baseline (exec)"))
    for name in FILES:
        path = os.path.join(SOURCE, "tests", "data", name)
        domus = domus_us(path)
        print("%-14s %10.2f us %18.2f us %18.2f us" % (
            name, domus["parse"], domus["parse+edit+write"], python_exec_us(path)))


if __name__ == "__main__":
    main()
