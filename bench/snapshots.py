#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Snapshot create and revert of a running guest: Domus against bare QEMU, in the same run.

Usage: bench/snapshots.py [BUILD_DIR] [--rounds N]
       (default build dir: build, 10 rounds; needs `meson compile -C build test-guest`)

The guest is the test guest (docs/test-guest.md), 256 MiB, TCG, one vCPU, with a 1 GiB
qcow2 disk. Each round, on the same guest and disk:
  bare   QMP snapshot-save (vmstate and the disk's node given), wait for the job's
         JOB_STATUS_CHANGE "concluded", job-dismiss; then snapshot-load the same way;
  Domus  HvSnapshots create and revert (hvcore/hv-snapshots.c): the same jobs, plus the
         checks it makes first (the snapshot list read by qemu-img info, query-block).
Which goes first alternates from round to round (a second save finds the image grown);
both snapshots are deleted at the end of the round.
Prints the median and the spread of each.
"""

import os
import statistics
import subprocess
import sys


def main():
    args = [a for a in sys.argv[1:]]
    rounds = 10
    if "--rounds" in args:
        i = args.index("--rounds")
        rounds = int(args[i + 1])
        del args[i:i + 2]
    build = os.path.abspath(args[0] if args else "build")
    guest = os.path.join(build, "tests", "guest")
    tool = os.path.join(build, "bench", "bench-snapshots")
    if not os.path.exists(os.path.join(guest, "vmlinuz")):
        sys.exit("build the test guest first: meson compile -C %s test-guest" % build)
    out = subprocess.run([tool, guest, str(rounds)], capture_output=True, text=True, check=True).stdout
    times = {}
    for line in out.splitlines():
        who, what, ms = line.split()
        times.setdefault((who, what), []).append(float(ms))
    print("snapshots of a running 256 MiB test guest (TCG), %d rounds, milliseconds" % rounds)
    print("%-8s %-7s %8s %8s %8s" % ("", "", "median", "min", "max"))
    for what in ("create", "revert"):
        for who in ("bare", "domus"):
            values = times[(who, what)]
            print("%-8s %-7s %8.1f %8.1f %8.1f" % (who, what, statistics.median(values), min(values), max(values)))


if __name__ == "__main__":
    main()
