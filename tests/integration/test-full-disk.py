#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A full disk, for a guest and for the daemon's own files, on a real domusd and QEMU (TCG).

Usage: test-full-disk.py GUEST_DIR   (DOMUS_BUILD_DIR from the environment; needs root)

domusd runs under --root in a mount namespace of its own (unshare -m) in which two small
tmpfs are mounted: ROOT/small holds the guest's disk (a sparse raw image) and ROOT/domains
is the config folder. The test reaches them through /proc/PID/root. Both are filled to the
last byte. The guest (the test guest with domus.disk=/dev/vda) writes its marker at boot:
QEMU stops it on ENOSPC, and the daemon must report state paused with reason io-error and
log the disk and the error; once the filler is removed, unpause resumes the guest and the
write goes through. Then, with the config folder full, define and set_values must fail with
kind io-error naming the folder, changing nothing. The daemon and QEMU are ended by PID; the
mounts go with the namespace's last process. Output is TAP, the plan last.
"""

import os
import shlex
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib_domus import Daemon, RpcClient, Tap, check, event_is, fill_file_system, serial_text, wait_until  # noqa: E402
from lib_qemu import READY_LINE, make_temp_dir  # noqa: E402

BOOT_TIMEOUT = 120.0
DISK_BYTES = 64 * 1024 * 1024


def main(guest_dir):
    tap = Tap()
    if os.geteuid() != 0:
        print("1..0 # SKIP mounting a small filesystem needs root")
        return 77
    root = make_temp_dir("domus-fulldisk-")
    small = os.path.join(root, "small")
    domains = os.path.join(root, "domains")
    for folder in (small, domains):
        os.makedirs(folder)
    mount = ("mount -t tmpfs -o size=4m,mode=0700 domus-small %s && "
             "mount -t tmpfs -o size=1m,mode=0700 domus-domains %s && exec \"$@\""
             % (shlex.quote(small), shlex.quote(domains)))
    daemon = client = None
    ok = False
    try:
        daemon = Daemon(root, wrapper=["unshare", "-m", "--propagation", "private", "sh", "-c", mount, "sh"])
        daemon.wait_listening()
        inside = "/proc/%d/root" % daemon.proc.pid
        disk = os.path.join(small, "disk.img")
        client = RpcClient(daemon.socket_path)

        def paused_for_io_error():
            with open(inside + disk, "wb") as f:
                f.truncate(DISK_BYTES)
            fill_file_system(inside + os.path.join(small, "filler"))
            check(os.statvfs(inside + small).f_bfree == 0, "the small filesystem is not full")
            config = ("name = 'full'\nkernel = '%s'\nramdisk = '%s'\n"
                      "extra = 'console=ttyS0 domus.disk=/dev/vda'\nmemory = 128\n"
                      "disk = [ 'file:%s,xvda,w' ]\non_poweroff = 'destroy'\n"
                      % (os.path.join(guest_dir, "vmlinuz"), os.path.join(guest_dir, "initrd.img"), disk))
            client.result("domain.create", config=config)
            event = client.wait_notification(event_is("full", "io-error"), BOOT_TIMEOUT)
            check(event is not None and event["params"]["state"] == "paused",
                  "no paused/io-error event; serial log ends %r; daemon log:\n%s"
                  % (serial_text(root, "full")[-400:], daemon.log_text()[-1500:]))
            state = client.result("domain.get", name="full")
            check(state["state"] == "paused" and state["flags"] == "--p---", "domain.get: %r" % state)
            log = daemon.log_text()
            check("disk xvda (%s): write" % disk in log and "No space left on device" in log,
                  "the log does not name the disk and the error:\n%s" % log[-1500:])

        if not tap.step("the guest's write to a full disk pauses it: state paused, reason io-error, "
                        "the disk and the error in the log", paused_for_io_error):
            return tap.finish()

        def unpause_resumes():
            os.unlink(inside + os.path.join(small, "filler"))
            client.result("domain.unpause", name="full")
            event = client.wait_notification(event_is("full", "unpaused"), 30)
            check(event is not None and event["params"]["state"] in ("running", "blocked"),
                  "no unpaused event: %r" % event)
            check(wait_until(lambda: "domus-disk /dev/vda marker 1" in serial_text(root, "full")
                             and READY_LINE in serial_text(root, "full"), BOOT_TIMEOUT),
                  "the write did not go through: %r" % serial_text(root, "full")[-400:])

        tap.step("with room again, unpause resumes the guest and its write goes through", unpause_resumes)

        def config_writes_fail_as_io_error():
            before = open(os.path.join(inside + domains, "full.cfg")).read()
            fill_file_system(inside + os.path.join(domains, "filler"))
            reply = client.call("domain.define", config="name = 'other'\nmemory = 64\nkernel = '%s'\n"
                                % os.path.join(guest_dir, "vmlinuz"))
            error = reply.get("error") or {}
            check((error.get("data") or {}).get("kind") == "io-error" and domains in error.get("message", ""),
                  "define on a full config folder: %r" % reply)
            reply = client.call("domain.set_values", name="full", values={"tags": ["x"]})
            error = reply.get("error") or {}
            check((error.get("data") or {}).get("kind") == "io-error" and domains in error.get("message", ""),
                  "set_values on a full config folder: %r" % reply)
            names = [d["name"] for d in client.result("domain.list", all=True)["domains"]]
            check("other" not in names, "other was defined: %r" % names)
            check(open(os.path.join(inside + domains, "full.cfg")).read() == before, "full.cfg changed")

        tap.step("with the config folder full, define and set_values fail as io-error naming it, "
                 "and nothing changes", config_writes_fail_as_io_error)
        ok = tap.failed == 0
    finally:
        if client is not None:
            client.close()
        if daemon is not None:
            daemon.stop()
        if not ok:
            print("# left for a look: %s" % root, flush=True)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
