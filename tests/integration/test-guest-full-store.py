#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A full image store, for what issue 15 adds to domusd: image.debian, snapshots, clones.

Usage: test-guest-full-store.py GUEST_DIR   (needs root)

domusd runs under --root in a mount namespace of its own (unshare -m) whose ROOT/images,
the image store, is a 32 MiB tmpfs; the test reaches it through /proc/PID/root. The test
guest runs on a qcow2 disk there, then the store is filled to the last byte:
  - image.debian is refused before anything is fetched, as io-error naming the free space;
  - a snapshot of the running guest and one of the shut-off domain fail, naming the
    cause, list nothing afterwards, and the guest keeps running (its tick counter goes on);
  - a full clone fails and leaves no file and no domain;
then, with the filler gone, the same snapshot succeeds (the disk was the cause). Nothing
the failures touched is left in the store. TAP output, the plan last; the daemon and QEMU
are ended by PID, the mount goes with the namespace.
"""

import json
import os
import shlex
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib_domus import (Daemon, Failure, Tap, check, error_kind, fill_file_system, guest_cfg, rpc_reply,  # noqa: E402
                       serial_text, wait_until)
from lib_qemu import make_temp_dir, ticks_in  # noqa: E402

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHj3vQ8u2bXpZ1m6kTqv9mTj1o2qYQh1kq0Sx5bGd7Qs test"


def ticks(root, name):
    return ticks_in(serial_text(root, name).splitlines())


def main(guest_dir):
    tap = Tap()
    if os.geteuid() != 0:
        print("1..0 # SKIP mounting a small file system needs root")
        return 77
    root = make_temp_dir("domus-fullstore-")
    images = os.path.join(root, "images")
    os.makedirs(images)
    mount = "mount -t tmpfs -o size=32m,mode=0700 domus-store %s && exec \"$@\"" % shlex.quote(images)
    daemon = None
    try:
        daemon = Daemon(root, wrapper=["unshare", "-m", "--propagation", "private", "sh", "-c", mount, "sh"])
        daemon.wait_listening()
        inside = "/proc/%d/root" % daemon.proc.pid
        filler = os.path.join(images, "filler")

        def call(method, **params):
            reply = rpc_reply(daemon.socket_path, method, **params)
            if "error" in reply:
                print("# %s: %s" % (method, reply["error"]["message"]), flush=True)
            return reply

        def result(method, **params):
            reply = call(method, **params)
            if "error" in reply:
                raise Failure("%s: %s" % (method, reply["error"]))
            return reply["result"]

        def store():
            return sorted(n for n in os.listdir(inside + images) if n != "filler")

        def domains():
            return {d["name"] for d in result("domain.list", all=True)["domains"]}

        disk = os.path.join(images, "full.qcow2")
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", inside + disk, "64M"], check=True)
        result("domain.define", config=guest_cfg(guest_dir, "full", "disk = [ 'tap:qcow2:%s,xvda,w' ]\n" % disk))
        result("domain.start", name="full")
        check(wait_until(lambda: len(ticks(root, "full")) >= 2, 120), "the guest did not tick")
        fill_file_system(inside + filler)
        check(os.statvfs(inside + images).f_bavail == 0, "the store is not full")
        before = store()

        def debian_refused():
            reply = call("image.debian", name="deb", ssh_keys=KEY, mirror="http://127.0.0.1:9/debian")
            message = reply.get("error", {}).get("message", "")
            check(error_kind(reply) == "io-error" and "MiB free" in message and images in message,
                  "image.debian on a full store: %s" % json.dumps(reply))
            check(store() == before and "deb" not in domains(), "left behind: %s" % store())

        tap.step("image.debian on a full store is refused as io-error naming the store and its free "
                 "space, before anything is fetched; nothing is left", debian_refused)

        def running_snapshot_fails():
            seen = len(ticks(root, "full"))
            reply = call("domain.snapshot.create", name="full", snapshot="s1")
            message = reply.get("error", {}).get("message", "")
            check(error_kind(reply) == "failed" and "s1" in message
                  and "the file system of %s is full" % disk in message,
                  "snapshot of the running guest on a full store: %s" % json.dumps(reply))
            check(result("domain.snapshot.list", name="full")["snapshots"] == [], "a snapshot is listed")
            check(wait_until(lambda: len(ticks(root, "full")) > seen + 1, 60)
                  and result("domain.get", name="full")["state"] in ("running", "blocked"),
                  "the guest does not go on: %s" % result("domain.get", name="full")["state"])

        tap.step("a snapshot of the running guest on a full store fails naming the cause; none is "
                 "listed and the guest goes on", running_snapshot_fails)

        def clone_fails():
            result("domain.destroy", name="full")
            reply = call("domain.clone", name="full", new_name="copy")
            check("error" in reply and "No space left" in reply["error"]["message"]
                  and "copy" not in domains() and store() == before,
                  "clone on a full store: %s; store %s" % (json.dumps(reply), store()))

        tap.step("a full clone on a full store fails and leaves no file and no domain", clone_fails)

        def offline_snapshot_fails():
            reply = call("domain.snapshot.create", name="full", snapshot="s2")
            check("error" in reply and "s2" in reply["error"]["message"]
                  and ("is full" in reply["error"]["message"] or "No space" in reply["error"]["message"])
                  and result("domain.snapshot.list", name="full")["snapshots"] == [],
                  "disk-only snapshot on a full store: %s" % json.dumps(reply))

        tap.step("a disk-only snapshot of the shut-off domain on a full store fails; none is listed",
                 offline_snapshot_fails)

        def snapshot_with_room():
            os.unlink(inside + filler)
            result("domain.snapshot.create", name="full", snapshot="s3")
            names = [s["name"] for s in result("domain.snapshot.list", name="full")["snapshots"]]
            check(names == ["s3"], "snapshots: %s" % names)
            check(store() == before, "the store holds more than before: %s" % store())

        tap.step("with room again the same snapshot is taken, and the store holds only what it held",
                 snapshot_with_room)
    except Failure as failure:
        tap.ok(False, "the run went through", str(failure) + "\n" + (daemon.log_text()[-3000:] if daemon else ""))
    finally:
        if daemon is not None:
            daemon.stop()
        tap.remove_if_passed(root)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
