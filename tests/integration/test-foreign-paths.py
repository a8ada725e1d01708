#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which files a domain of another user may name (issue 13), on a real domusd.

Usage: test-foreign-paths.py   (DOMUS_BUILD_DIR from the environment; runs as root, skips otherwise)

domusd runs with --root in a fresh folder, its socket opened to everyone for the test (as the
system daemon's group will be). A second user, `nobody` (setpriv --reuid), sends JSON-RPC
calls. Checked: nobody's define, create, set_config and set_values naming a kernel, ramdisk, disk or
CD-ROM outside the daemon's folders (the image store and the ISO folder by default; a
symbolic link inside the store that points out counts as out) are refused as
permission-denied, naming the key and the path, and nothing is defined; nobody may name
files in the store and the ISO folder; root, the daemon's own user, may name any path; a
domusd.conf with [domains] folders replaces the defaults. Everything started here is ended
by PID. Output is TAP, the plan last.
"""

import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib_domus import DOMUSD, Daemon, Tap, check, rpc_call  # noqa: E402
from lib_qemu import make_temp_dir  # noqa: E402

# One call as `nobody`: the reply (events skipped), as JSON on stdout.
CLIENT = r"""
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall((json.dumps({"jsonrpc": "2.0", "id": 1, "method": sys.argv[2],
                       "params": json.loads(sys.argv[3])}) + "\n").encode())
f = s.makefile("rb")
while True:
    reply = json.loads(f.readline())
    if reply.get("id") == 1:
        print(json.dumps(reply))
        break
"""


def as_nobody(socket_path, method, params):
    r = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                        sys.executable, "-c", CLIENT, socket_path, method, json.dumps(params)],
                       capture_output=True, text=True, timeout=30, env={"PATH": os.environ["PATH"]})
    check(r.returncode == 0, "the client as nobody: %s" % r.stderr)
    return json.loads(r.stdout)


def config(name, kernel, disk=None, cdrom=None, ramdisk=None):
    text = "name = '%s'\nkernel = '%s'\nmemory = 64\n" % (name, kernel)
    if ramdisk:
        text += "ramdisk = '%s'\n" % ramdisk
    if disk:
        text += "disk = [ '%s' ]\n" % disk
    if cdrom:
        text += "cdrom = '%s'\n" % cdrom
    return text


def touch(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("x")


def expect_refused(reply, key, path):
    error = reply.get("error")
    check(error is not None, "not refused: %r" % reply)
    check(error.get("data", {}).get("kind") == "permission-denied", "kind: %r" % error)
    check("%s: %s is outside the folders" % (key, path) in error.get("message", ""), "message: %r" % error)


def main():
    tap = Tap()
    if os.getuid() != 0:
        print("ok 1 # SKIP needs root, to run a client as a second user")
        print("1..1")
        return 0
    root = make_temp_dir("domus-paths-")
    daemon = None
    try:
        images = os.path.join(root, "images")
        isos = os.path.join(root, "isos")
        outside = os.path.join(root, "outside")
        for path in (os.path.join(images, "vmlinuz"), os.path.join(images, "disk.img"),
                     os.path.join(isos, "install.iso"), os.path.join(outside, "vmlinuz"),
                     os.path.join(outside, "initrd"), os.path.join(outside, "disk.img")):
            touch(path)
        os.symlink("/etc/shadow", os.path.join(images, "sneaky.img"))
        daemon = Daemon(root).wait_listening()
        os.chmod(root, 0o711)
        os.chmod(daemon.socket_path, 0o666)
        sock = daemon.socket_path
        domains = os.path.join(root, "domains")

        def defined_names():
            return {d["name"] for d in rpc_call(sock, "domain.list", all=True)["domains"]}

        def outside_refused():
            cases = [
                ("kernel", os.path.join(outside, "vmlinuz"), config("a1", os.path.join(outside, "vmlinuz"))),
                ("ramdisk", os.path.join(outside, "initrd"),
                 config("a2", os.path.join(images, "vmlinuz"), ramdisk=os.path.join(outside, "initrd"))),
                ("disk", os.path.join(outside, "disk.img"),
                 config("a3", os.path.join(images, "vmlinuz"), disk="file:%s,xvda,w" % os.path.join(outside, "disk.img"))),
                ("disk", "/dev/sda", config("a4", os.path.join(images, "vmlinuz"), disk="phy:/dev/sda,xvda,w")),
                ("cdrom", "/etc/passwd", config("a5", os.path.join(images, "vmlinuz"), cdrom="/etc/passwd")),
                ("disk", os.path.join(images, "sneaky.img"),
                 config("a6", os.path.join(images, "vmlinuz"), disk="file:%s,xvda,r" % os.path.join(images, "sneaky.img"))),
            ]
            for key, path, text in cases:
                for method in ("domain.define", "domain.create"):
                    expect_refused(as_nobody(sock, method, {"config": text, "filename": "/tmp/x.cfg"}), key, path)
            check(defined_names() == {"Domain-0"}, "defined: %r" % defined_names())
            check(not os.path.exists(domains) or os.listdir(domains) == [], "files: %r" % os.listdir(domains))

        tap.step("nobody's define and create naming a kernel, ramdisk, disk, device, CD-ROM or a link "
                 "out of the store are refused (permission-denied, key and path named)", outside_refused)

        def inside_allowed():
            text = config("mine", os.path.join(images, "vmlinuz"),
                          disk="file:%s,xvda,w" % os.path.join(images, "disk.img"),
                          cdrom=os.path.join(isos, "install.iso"))
            reply = as_nobody(sock, "domain.define", {"config": text, "filename": "/tmp/mine.cfg"})
            check("result" in reply, "define: %r" % reply)
            check("mine" in defined_names(), "not defined")

        tap.step("nobody may define a domain whose files are in the image store and the ISO folder",
                 inside_allowed)

        def set_config_refused():
            text = config("mine", os.path.join(images, "vmlinuz"), disk="file:/etc/shadow,xvda,r")
            expect_refused(as_nobody(sock, "domain.set_config", {"name": "mine", "config": text}),
                           "disk", "/etc/shadow")
            current = rpc_call(sock, "domain.get_config", name="mine")["config"]
            check("/etc/shadow" not in current, "the config changed: %r" % current)

        tap.step("nobody's set_config naming /etc/shadow is refused and changes nothing", set_config_refused)

        def set_values_refused():
            reply = as_nobody(sock, "domain.set_values",
                              {"name": "mine", "values": {"disk": ["file:/etc/shadow,xvda,r"]}})
            expect_refused(reply, "disk", "/etc/shadow")
            current = rpc_call(sock, "domain.get_config", name="mine")["config"]
            check("/etc/shadow" not in current, "the config changed: %r" % current)
            reply = as_nobody(sock, "domain.set_values", {"name": "mine", "values": {"memory": 96}})
            check("result" in reply, "a value naming no file is taken: %r" % reply)

        tap.step("nobody's set_values naming /etc/shadow is refused and changes nothing; memory is taken",
                 set_values_refused)

        def owner_unrestricted():
            result = rpc_call(sock, "domain.define", config=config("roots", os.path.join(outside, "vmlinuz")),
                              filename="/tmp/roots.cfg")
            check(result.get("name") == "roots", "define as root: %r" % result)

        tap.step("the daemon's own user may name any path", owner_unrestricted)
        daemon.stop()
        daemon = None

        def configured_folders():
            with open(os.path.join(root, "domusd.conf"), "w") as f:
                f.write("[domains]\nfolders=%s\n" % outside)
            second = Daemon(root, log_name="domusd2.log").wait_listening()
            try:
                os.chmod(second.socket_path, 0o666)
                s2 = second.socket_path
                reply = as_nobody(s2, "domain.define",
                                  {"config": config("b1", os.path.join(outside, "vmlinuz")), "filename": "/tmp/b.cfg"})
                check("result" in reply, "define with a configured folder: %r" % reply)
                expect_refused(as_nobody(s2, "domain.define", {"config": config("b2", os.path.join(images, "vmlinuz")),
                                                               "filename": "/tmp/b.cfg"}),
                               "kernel", os.path.join(images, "vmlinuz"))
            finally:
                second.stop()

        tap.step("[domains] folders in domusd.conf replaces the default folders", configured_folders)

        def relative_folder_refused():
            conf = os.path.join(root, "domusd.conf")
            with open(conf, "w") as f:
                f.write("[domains]\nfolders=/srv/isos;images\n")
            r = subprocess.run([DOMUSD, "--root", root], capture_output=True, text=True, timeout=30)
            check(r.returncode == 2, "domusd: status %d" % r.returncode)
            check("%s:2: [domains] folders: “images” is not an absolute path" % conf in r.stderr, r.stderr)

        tap.step("a relative folder in [domains] stops the daemon with the file and line", relative_folder_refused)
    finally:
        if daemon is not None:
            daemon.stop()
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
