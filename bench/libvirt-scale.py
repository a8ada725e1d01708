#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Domus's libvirt pieces at scale, next to a baseline measured in the same run.

Usage: bench/libvirt-scale.py [BUILD_DIR] [--hosts N] [--domains N] [--rounds N]
       (default: build, 20 hosts of 50 domains, 3 rounds; needs -Dlibvirt enabled)

N hosts of libvirt's test driver (test:///NODE.xml, in the benchmark's own process) with
M running domains each. bench-libvirt opens them all at once, lists every domain, then
pauses and resumes every domain (two lifecycle events each, each followed by a refresh
of that domain, as a host's model does), while a 5 ms timer measures the main loop's
worst stall; the same timer on the idle loop for 2 s first shows what the machine's
other processes cost on their own. The baseline is `virsh list --all` run for each host, one after another:
what listing those hosts costs from a shell. The window's own figures (issue 16's goal:
1,000 domains listed in under 2 s, no stall over 50 ms) come once it shows libvirt hosts.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)


def node_xml(host, domains):
    out = ["<node>"]
    for d in range(domains):
        out.append("<domain type='test'><name>h%02d-d%02d</name><memory unit='MiB'>128</memory>"
                   "<vcpu>1</vcpu><os><type>hvm</type></os>"
                   "<devices><graphics type='vnc' port='-1'/></devices></domain>" % (host, d))
    out.append("</node>")
    return "\n".join(out)


def parse(line):
    return dict(item.split("=", 1) for item in line.split())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build", nargs="?", default=os.path.join(SOURCE, "build"))
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--domains", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    program = os.path.join(args.build, "bench", "bench-libvirt")
    if not os.access(program, os.X_OK):
        sys.exit("%s is missing: meson compile -C %s (with libvirt enabled)" % (program, args.build))
    workdir = tempfile.mkdtemp(prefix="domus-bench-lv-")
    try:
        uris = []
        for h in range(args.hosts):
            path = os.path.join(workdir, "host%02d.xml" % h)
            with open(path, "w") as f:
                f.write(node_xml(h, args.domains))
            uris.append("test://" + path)

        runs = []
        for _ in range(args.rounds):
            out = subprocess.run([program] + uris, check=True, capture_output=True, text=True).stdout
            runs.append(parse(out.strip().splitlines()[-1]))
        baseline = []
        for _ in range(args.rounds):
            start = time.monotonic()
            for uri in uris:
                subprocess.run(["virsh", "-q", "-c", uri, "list", "--all"], check=True,
                               capture_output=True)
            baseline.append((time.monotonic() - start) * 1000)

        def median(key):
            return statistics.median(float(r[key]) for r in runs)

        total = args.hosts * args.domains
        print("%d test:/// hosts of %d domains (%d), median of %d rounds" % (args.hosts, args.domains,
                                                                             total, args.rounds))
        print("| figure | Domus backend | baseline: virsh list --all per host |")
        print("|---|---|---|")
        print("| all %d domains listed | %.0f ms | %.0f ms |" % (total, median("list_ms"),
                                                             statistics.median(baseline)))
        print("| worst main-loop stall while listing | %.0f ms | idle loop, 2 s: %.0f ms |"
              % (median("list_worst_stall_ms"), median("idle_worst_stall_ms")))
        print("| %d lifecycle events, each refreshed | %.0f ms | — |" % (2 * total, median("events_ms")))
        print("| worst main-loop stall while they flow | %.0f ms | — |" % median("events_worst_stall_ms"))
        print("| RSS of the process | %.1f MiB (+%.1f for the hosts) | — |" % (median("rss_mib"),
                                                                           median("rss_growth_mib")))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
