#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Domus's libvirt pieces against real libvirt daemons: two libvirtd+virtlogd pairs of the
test's own (lib_libvirt.py), the test guest under TCG on the first, and real sshds on
loopback in front of it for qemu+libssh2 and qemu+ssh (one of them refusing to forward
TCP, for the screen's fallback tunnel). The checks themselves are the C program
test-libvirt-backend (connection, events from virsh, serial console, VNC screen through
gvnccapture, 1 Hz samples, tags, configuration, create, storage, libssh2 with a host key
and a passphrase, migration with storage copy, cancel, import); its results are passed on
as this test's own TAP lines.

Usage: test-libvirt.py BACKEND_TEST GUEST_DIR
"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib_domus import Tap  # noqa: E402
from lib_libvirt import (IMAGES, qemu_ssh_uri, skip_if_impossible, ssh_alias_program,  # noqa: E402
                         ssh_known_hosts, ssh_program, test_guest_xml, two_daemons)
from lib_sshd import Sshd  # noqa: E402

GUEST = "tguest"
PASSPHRASE = "correct horse battery"
RESULT_RE = re.compile(r"^(ok|not ok) \d+ (.*)$")


def passphrase_key(workdir, sshd):
    """A client key that needs PASSPHRASE, allowed in by sshd."""
    key = os.path.join(workdir, "passphrase_ed25519")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", PASSPHRASE, "-C", "domus-test",
                    "-f", key], check=True, stdin=subprocess.DEVNULL)
    with open(key + ".pub") as src, open(sshd.authorized, "a") as dst:
        dst.write(src.read())
    return key


def relay_results(tap, program, env):
    """Runs the C program and passes each of its results on as one of ours."""
    proc = subprocess.Popen([program, "--tap"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=env, text=True, errors="replace")
    said = []   # what the program said since its last result: a failure's diagnostics
    for line in proc.stdout:
        line = line.rstrip("\n")
        match = RESULT_RE.match(line)
        if match:
            passed = match.group(1) == "ok"
            tap.ok(passed, match.group(2), "" if passed else "\n".join(said[-40:]))
            said = []
        elif line.startswith("#"):
            # GLib's test log shows libvirt-glib's debug messages: noise here.
            if "DEBUG:" not in line and line.strip() != "#":
                said.append(line[1:].strip())
                print(line, flush=True)
        elif line and not line.startswith("1..") and not line.startswith("TAP version"):
            said.append(line)
            print("# " + line, flush=True)
    status = proc.wait()
    if status < 0:
        tap.ok(False, "test-libvirt-backend ended by signal %d" % -status)


def main():
    program, guest_dir = sys.argv[1], sys.argv[2]
    if skip_if_impossible():
        return 0
    tap = Tap()
    workdir, a, b = two_daemons("domus-lvb-")
    sshd = Sshd(workdir)
    os.makedirs(os.path.join(workdir, "noforward"))
    noforward = Sshd(os.path.join(workdir, "noforward"), extra_config="AllowTcpForwarding no\n")
    env = dict(os.environ)
    try:
        def prepare():
            for d in (a, b):
                d.start()
                d.define_pool()
                kernel, initrd = d.install_test_guest(guest_dir)
            a.virsh("pool-refresh", "default")
            b.virsh("pool-refresh", "default")
            a.virsh("vol-create-as", "default", GUEST + ".qcow2", "16M", "--format", "qcow2")
            a.define(test_guest_xml(GUEST, kernel, initrd, disk=IMAGES + "/" + GUEST + ".qcow2",
                                    cmdline="console=tty0 console=ttyS0 domus.disk=/dev/vda"))
            key = passphrase_key(workdir, sshd)
            sshd.start()
            noforward.start()
            # qemu+ssh: a known_hosts that knows both servers, as ssh would have saved them.
            known = ssh_known_hosts(os.path.join(workdir, "ssh_known_hosts"), sshd, noforward)
            program = ssh_program(workdir, known)
            env.update({
                "DOMUS_LV_URI_A": a.uri,
                "DOMUS_LV_URI_B": b.uri,
                "DOMUS_LV_GUEST": GUEST,
                "DOMUS_LV_KERNEL": kernel,
                "DOMUS_LV_INITRD": initrd,
                "DOMUS_LV_SSH_URI": "qemu+libssh2://root@127.0.0.1:%d/system?socket=%s&keyfile=%s"
                                    "&known_hosts=%s&sshauth=privkey"
                                    % (sshd.port, a.socket_path, key,
                                       os.path.join(workdir, "known_hosts")),
                "DOMUS_LV_SSH_PASSPHRASE": PASSPHRASE,
                "DOMUS_LV_SSH_PROGRAM_URI": qemu_ssh_uri(sshd, a, known, program),
                "DOMUS_LV_SSH_NOFORWARD_URI": qemu_ssh_uri(noforward, a, known, program),
                # Only the alias and the socket: the rest is in the ssh program's config.
                "DOMUS_LV_SSH_ALIAS_URI": "qemu+ssh://lvtest/system?socket=%s&command=%s"
                                          % (a.socket_path, ssh_alias_program(workdir, "lvtest", sshd, known)),
                # The last case ends B's libvirtd (by this PID) to see the connection close.
                "DOMUS_LV_PID_B": str(b.libvirtd.pid),
            })
        if not tap.step("two libvirt daemons, the test guest defined on one, sshd in front of it",
                        prepare):
            return tap.finish()
        relay_results(tap, program, env)
    finally:
        sshd.kill()
        noforward.kill()
        for d in (a, b):
            d.stop()
        if not tap.remove_if_passed(workdir):
            for d in (a, b):
                print("\n".join("# " + l for l in d.logs(tail=15).splitlines()))
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
