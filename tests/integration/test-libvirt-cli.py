#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""domusctl --connect with a libvirt URI, against a real libvirt daemon of the test's own
(lib_libvirt.LibvirtDaemon) and the test guest under TCG: listed, started, paused (virsh
and domusctl list agree), its serial console through `domusctl console` shows its ticks,
tags set with `domusctl config --set` live in the domain's <metadata> as virsh reads it,
a change made with virsh reaches a following DomusHost (`domusctl monitor`) within a
second (libvirt's event, no polling), `domusctl top --batch` shows it, `domusctl import
--from` writes its .cfg, calls a libvirt host cannot make name the kind of host, and
`domusctl migrate --live --encrypt` fails saying which TLS certificates libvirt needs (the
daemons have none; the guest stays), and `domusctl migrate --live` moves it to a second
private libvirtd (tags and all).

Usage: test-libvirt-cli.py GUEST_DIR
"""

import os
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib_domus import DOMUSCTL, Console, Failure, Tap, check, wait_until  # noqa: E402
from lib_libvirt import skip_if_impossible, test_guest_xml, two_daemons  # noqa: E402
from lib_qemu import counts_up  # noqa: E402

GUEST = "tguest"
BOOT_TIMEOUT = 120
NAMESPACE = "https://domus.example.org/xmlns/libvirt/1.0"


def ctl(uri, *args, timeout=60):
    return subprocess.run([DOMUSCTL, "--connect", uri] + list(args), capture_output=True,
                          text=True, timeout=timeout)


def ctl_ok(uri, *args):
    proc = ctl(uri, *args)
    check(proc.returncode == 0, "domusctl %s failed (%d): %s" % (" ".join(args), proc.returncode,
                                                                  proc.stderr.strip()))
    return proc.stdout


def listed_flags(uri, name):
    """The State column of name in `domusctl list --all` (the next to last: a shut-off
    domain's ID column is empty), or None."""
    for line in ctl_ok(uri, "list", "--all").splitlines()[1:]:
        fields = line.split()
        if fields and fields[0] == name:
            return fields[-2]
    return None


class Monitor:
    """`domusctl monitor` left running: each line it prints, with the monotonic time it came."""

    def __init__(self, uri):
        self.proc = subprocess.Popen([DOMUSCTL, "--connect", uri, "monitor"], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.lines = []
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            with self.lock:
                self.lines.append((time.monotonic(), line.strip()))

    def first_after(self, since, words):
        with self.lock:
            for when, line in self.lines:
                if when >= since and all(w in line.split() for w in words):
                    return when
        return None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def main():
    guest_dir = sys.argv[1]
    if skip_if_impossible():
        return 0
    tap = Tap()
    workdir, daemon, other = two_daemons("domus-lvcli-")
    uri = None
    monitor = None
    console = None
    try:
        def start_daemon():
            nonlocal uri
            for d in (daemon, other):
                d.start()
                # The kernel and initramfs at one path on both, as shared storage has them.
                kernel, initrd = d.install_test_guest(guest_dir)
            daemon.define(test_guest_xml(GUEST, kernel, initrd))
            uri = daemon.uri
        if not tap.step("two private libvirtds, the test guest defined on the first", start_daemon):
            return tap.finish()

        def listed_shut_off():
            check(listed_flags(uri, GUEST) == "------",
                  "domusctl list --all does not show %s shut off:\n%s" % (GUEST, ctl_ok(uri, "list", "--all")))
            check(GUEST not in ctl_ok(uri, "list"), "list without --all shows a shut-off domain")
        tap.step("domusctl -c qemu:///system?socket=… list --all shows the guest, shut off",
                 listed_shut_off)

        def follow():
            nonlocal monitor
            monitor = Monitor(uri)
            check(wait_until(lambda: monitor.first_after(0, [GUEST]) is not None, 20),
                  "domusctl monitor never listed %s: %s" % (GUEST, monitor.lines))
        tap.step("domusctl monitor follows the libvirt host", follow)

        def start():
            out = ctl_ok(uri, "start", GUEST)
            check(daemon.domain_state(GUEST) == "running", "virsh says %s" % daemon.domain_state(GUEST))
            check(listed_flags(uri, GUEST) in ("r-----", "-b----"), "domusctl list says %s" % listed_flags(uri, GUEST))
            return out
        tap.step("domusctl start: virsh says running, domusctl list agrees", start)

        def serial_console():
            nonlocal console
            console = Console(uri, GUEST)
            got = console.wait_ticks(lambda t: counts_up(t, 3), BOOT_TIMEOUT)
            # stderr is read only once the console has ended: reading it waits for its end.
            check(counts_up(got, 3), "no ticks on the serial console: %r %s"
                  % (console.text()[-500:], console.stderr() if console.proc.poll() is not None else ""))
        tap.step("domusctl console shows the guest's ticks (virDomainOpenConsole)", serial_console)
        if console is not None:
            console.stop()

        def pause():
            ctl_ok(uri, "pause", GUEST)
            check(daemon.domain_state(GUEST) == "paused", "virsh says %s" % daemon.domain_state(GUEST))
            check(listed_flags(uri, GUEST) == "--p---", "domusctl list says %s" % listed_flags(uri, GUEST))
            ctl_ok(uri, "unpause", GUEST)
            check(daemon.domain_state(GUEST) == "running", "virsh says %s" % daemon.domain_state(GUEST))
        tap.step("domusctl pause and unpause: virsh and domusctl list agree", pause)

        def virsh_change_seen():
            for verb, state in (("suspend", "paused"), ("resume", "running")):
                since = time.monotonic()
                daemon.virsh(verb, GUEST)
                returned = time.monotonic()
                check(wait_until(lambda: monitor.first_after(since, [GUEST, state]) is not None, 30, 0.02),
                      "monitor never saw %s %s" % (GUEST, state))
                lag = monitor.first_after(since, [GUEST, state]) - returned
                print("# virsh %s seen %.0f ms after virsh returned" % (verb, max(lag, 0) * 1000))
                check(lag < 1.0, "virsh %s reached the model after %.2f s" % (verb, lag))
        tap.step("a change made with virsh reaches the followed host within a second (event)",
                 virsh_change_seen)

        def tags():
            ctl_ok(uri, "config", GUEST, "--set", "tags=['web', 'prod']")
            meta = daemon.virsh("metadata", GUEST, "--uri", NAMESPACE, "--config").stdout
            check("web" in meta and "prod" in meta, "the persistent metadata lacks the tags: %s" % meta)
            meta = daemon.virsh("metadata", GUEST, "--uri", NAMESPACE, "--live").stdout
            check("web" in meta, "the live metadata lacks the tags: %s" % meta)
            check("<domus:tag>web</domus:tag>" in daemon.virsh("dumpxml", GUEST).stdout,
                  "virsh dumpxml does not carry the tags")
        tap.step("domusctl config --set tags=… keeps them in <metadata> (live and persistent)", tags)

        def top():
            out = ctl_ok(uri, "top", "--batch", "--iterations", "2")
            check(GUEST in out, "domusctl top does not show %s:\n%s" % (GUEST, out))
        tap.step("domusctl top --batch shows the guest", top)

        def refused():
            proc = ctl(uri, "dump-core", GUEST)
            check(proc.returncode != 0 and "libvirt host" in proc.stderr,
                  "dump-core on a libvirt host: %d %s" % (proc.returncode, proc.stderr))
        tap.step("a call a libvirt host cannot make says so, naming the kind", refused)

        def import_cfg():
            proc = subprocess.run([DOMUSCTL, "import", "--from", uri, GUEST], capture_output=True,
                                  text=True, timeout=60)
            check(proc.returncode == 0, "import failed: %s" % proc.stderr)
            check("name = '%s'" % GUEST in proc.stdout and "kernel = " in proc.stdout,
                  "the .cfg lacks name or kernel:\n%s" % proc.stdout)
            check("tags = [" in proc.stdout and "'web'" in proc.stdout, "the tags were not imported")
        tap.step("domusctl import --from URI NAME writes the guest's .cfg with its tags", import_cfg)

        def migrate_check():
            out = ctl_ok(uri, "migrate", "--check", GUEST, other.uri)
            check("ok     name:" in out and "FAILED" not in out, "the checks say:\n%s" % out)
            proc = ctl(uri, "migrate", "--check", GUEST, "unix:/nonexistent/domusd.sock")
            check(proc.returncode != 0, "a check against a domusd address passed")
        tap.step("domusctl migrate --check between two libvirt hosts passes", migrate_check)

        def encrypted_without_certificates():
            proc = ctl(uri, "migrate", "--live", "--encrypt", GUEST, other.uri)
            check(proc.returncode != 0, "an encrypted migration without TLS certificates succeeded")
            check("migrate_tls_x509_cert_dir" in proc.stderr and "ca-cert.pem" in proc.stderr,
                  "the refusal does not say what is missing: %s" % proc.stderr)
            print("# " + proc.stderr.strip())
            check(daemon.domain_state(GUEST) == "running", "the source's virsh says %s" % daemon.domain_state(GUEST))
            check(other.domain_state(GUEST) is None, "the target has it: %s" % other.domain_state(GUEST))
        tap.step("domusctl migrate --encrypt without TLS certificates fails saying what libvirt needs; "
                 "the guest stays on the source", encrypted_without_certificates)

        def migrate():
            proc = ctl(uri, "migrate", "--live", "--downtime", "300", GUEST, other.uri)
            check(proc.returncode == 0, "migrate failed (%d): %s" % (proc.returncode, proc.stderr))
            print("# " + (proc.stdout.strip() or proc.stderr.strip()).replace("\n", "\n# "))
            check(other.domain_state(GUEST) == "running", "the target's virsh says %s" % other.domain_state(GUEST))
            check(daemon.domain_state(GUEST) is None, "the source still has it: %s" % daemon.domain_state(GUEST))
            check(listed_flags(other.uri, GUEST) in ("r-----", "-b----"), "domusctl list on the target: %s"
                  % listed_flags(other.uri, GUEST))
            check("<domus:tag>web</domus:tag>" in other.virsh("dumpxml", GUEST).stdout,
                  "the tags did not travel with the domain")
        tap.step("domusctl migrate --live moves it to the other libvirtd, tags and all", migrate)

        def destroy():
            where = other if other.domain_state(GUEST) is not None else daemon
            ctl_ok(where.uri, "destroy", GUEST)
            check(where.domain_state(GUEST) == "shut off", "virsh says %s" % where.domain_state(GUEST))
        tap.step("domusctl destroy", destroy)
    except Failure as e:
        tap.ok(False, "unexpected failure", str(e))
    finally:
        if console is not None:
            console.stop()
        if monitor is not None:
            monitor.stop()
        daemon.stop()
        other.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
