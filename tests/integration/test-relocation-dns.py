#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""hosts-allow names only forward-confirmed names, on a real DNS server and the real resolver.

Usage: test-relocation-dns.py GUEST_DIR   (DOMUS_BUILD_DIR from the environment; needs root)

A dnsmasq of this test's own answers on a loopback address picked at random (127.53.X.Y,
port 53) with: 127.0.0.2 → PTR liar.test, liar.test → A 127.0.0.9 (a reverse name its own
zone does not confirm); 127.0.0.1 → PTR honest.test, honest.test → A 127.0.0.1. domusd runs
in a mount namespace of its own (unshare -m) where /etc/resolv.conf names that server and
/etc/nsswitch.conf asks DNS only, so glibc, GLib's resolver and the daemon are the real ones.
Its hosts-allow names liar.test and honest.test, no address. A copy-storage prepare (QEMU
waiting with -incoming defer, no guest boots) opens the stream port and the NBD gate. A
connection from 127.0.0.2 to either is refused (before forward confirmation both let it in);
one from 127.0.0.1 reaches QEMU's NBD server (its greeting). dnsmasq, the daemon and QEMU are
ended by PID; the mounts go with the namespace. TAP output, the plan last.
"""

import os
import random
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import lib_domus  # noqa: E402
from lib_domus import Daemon, RpcClient, Tap, check, first_bytes_from, wait_until  # noqa: E402
from lib_qemu import end_process, make_temp_dir  # noqa: E402

NAME = "dnsprobe"
# In the namespace: the server's address first, then the databases to read.
MOUNTS = ('mount --bind "$1" /etc/resolv.conf && mount --bind "$2" /etc/nsswitch.conf '
          '&& shift 2 && exec "$@"')


def main(guest_dir):
    tap = Tap()
    dnsmasq = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
    if os.geteuid() != 0 or not os.path.exists(dnsmasq):
        print("1..0 # SKIP needs root (a mount namespace, port 53) and dnsmasq (dnsmasq-base)")
        return 77
    work = make_temp_dir("domus-dns-")
    server = "127.53.%d.%d" % (random.randint(1, 254), random.randint(1, 254))
    resolv = os.path.join(work, "resolv.conf")
    nsswitch = os.path.join(work, "nsswitch.conf")
    with open(resolv, "w") as f:
        f.write("nameserver %s\noptions timeout:2 attempts:2\n" % server)
    with open(nsswitch, "w") as f:
        f.write("hosts: dns\n")
    wrapper = ["unshare", "-m", "--propagation", "private", "sh", "-c", MOUNTS, "sh", resolv, nsswitch]
    root = os.path.join(work, "root")
    os.makedirs(root)
    with open(os.path.join(root, "domusd.conf"), "w") as f:
        f.write("[relocation]\nenabled=true\naddress=127.0.0.1\nport=0\n"
                "hosts-allow=^liar\\.test$;^honest\\.test$\n")
    dns = daemon = client = None
    state = {}
    try:
        def dns_answers():
            nonlocal dns
            dns = subprocess.Popen(
                [dnsmasq, "--keep-in-foreground", "--no-resolv", "--no-hosts", "--no-poll",
                 "--port=53", "--listen-address=" + server, "--bind-interfaces",
                 "--pid-file=", "--log-facility=" + os.path.join(work, "dnsmasq.log"), "--log-queries",
                 "--ptr-record=2.0.0.127.in-addr.arpa,liar.test", "--host-record=liar.test,127.0.0.9",
                 "--ptr-record=1.0.0.127.in-addr.arpa,honest.test", "--host-record=honest.test,127.0.0.1"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

            def lookup(*args):
                return subprocess.run(wrapper + ["getent"] + list(args), capture_output=True,
                                      text=True, timeout=20).stdout

            check(wait_until(lambda: "liar.test" in lookup("hosts", "127.0.0.2"), 10),
                  "127.0.0.2 has no name in the namespace: %r" % lookup("hosts", "127.0.0.2"))
            forward = lookup("ahostsv4", "liar.test")
            check("127.0.0.9" in forward and "127.0.0.2" not in forward, "liar.test: %r" % forward)

        def prepared():
            nonlocal daemon, client
            daemon = Daemon(root, wrapper=wrapper)
            daemon.wait_listening()
            client = RpcClient(daemon.socket_path)
            disk = os.path.join(work, "probe.img")
            with open(disk, "wb") as f:
                f.truncate(4 * 1024 * 1024)
            config = lib_domus.guest_cfg(guest_dir, NAME, "disk = ['file:%s,xvda,w']\n" % disk)
            result = client.result("migration.prepare", config=config, name=NAME, copy_storage=True,
                                   disks=[{"path": disk, "size_bytes": 4 * 1024 * 1024}])
            check(result["nbd"] is not None, "no NBD gate: %s" % result)
            state["stream_port"] = int(result["uri"].rsplit(":", 1)[1])
            state["nbd_port"] = result["nbd"]["port"]
            state["id"] = result["id"]

        def liar_refused():
            answer = first_bytes_from("127.0.0.2", "127.0.0.1", state["nbd_port"])
            check(answer == b"", "the NBD gate let 127.0.0.2 (liar.test, unconfirmed) in: %r" % answer)
            answer = first_bytes_from("127.0.0.2", "127.0.0.1", state["stream_port"], timeout=10)
            check(answer == b"", "the stream port let 127.0.0.2 in: %r" % answer)
            check(wait_until(lambda: daemon.log_text().count("a reverse name alone is not trusted") >= 2, 10),
                  "the daemon's log does not say why:\n%s" % daemon.log_text()[-1500:])

        def honest_admitted():
            answer = first_bytes_from("127.0.0.1", "127.0.0.1", state["nbd_port"])
            check(answer.startswith(b"NBDMAGIC"), "127.0.0.1 (honest.test, confirmed) got %r" % answer)
            listed = {d["name"]: d for d in client.result("domain.list", all=True)["domains"]}
            check(listed.get(NAME, {}).get("state") == "incoming", "the refusals ended the migration")
            client.result("migration.finish", id=state["id"], success=False)
            check(wait_until(lambda: not os.path.exists(os.path.join(root, "run", NAME)), 15),
                  "the run folder stays after the rollback")

        steps = [
            ("dnsmasq answers in the namespace: 127.0.0.2 says liar.test, which says 127.0.0.9", dns_answers),
            ("domusd in the namespace prepares a copy-storage migration (hosts-allow: names only)", prepared),
            ("127.0.0.2 is refused at the NBD gate and the stream port: its name does not resolve back",
             liar_refused),
            ("127.0.0.1 (honest.test, confirmed) reaches QEMU's NBD server; finish{false} cleans up",
             honest_admitted),
        ]
        for description, function in steps:
            if not tap.step(description, function):
                break
    finally:
        if client is not None:
            client.close()
        if daemon is not None:
            if tap.failed:
                for line in daemon.log_text().splitlines()[-25:]:
                    print("# " + line)
            daemon.stop()
        end_process(dns)
        shutil.rmtree(work, ignore_errors=True)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main(os.path.abspath(sys.argv[1])))
