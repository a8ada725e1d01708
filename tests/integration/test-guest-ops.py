#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""domusd's domain.snapshot.*, domain.clone, domain.set_template, domain.save, domain.restore
and save.list, over the protocol.

Usage: test-guest-ops.py GUEST_DIR

One domusd under --root with the test guest on a qcow2 disk in its store: a snapshot of the
running guest and a revert that brings its tick counter back to the snapshot's value; a
snapshot of the shut-off domain; bad names and a raw disk refused with their kinds; a full
clone of the shut-off domain that is defined and starts; a linked clone refused until the
source is a template, then made; templates marked in domain.list and domain.get, and a
template key that is not a boolean refused. TAP output.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib_domus  # noqa: E402
from lib_domus import Daemon, Failure, Tap, guest_cfg, wait_until  # noqa: E402

GUEST_DIR = os.path.abspath(sys.argv[1])


def call(daemon, method, notifications=None, **params):
    """The whole reply: {"result": ...} or {"error": {...}}; notifications that came before
    it are added to the list `notifications` when given."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(120)
        sock.connect(daemon.socket_path)
        f = sock.makefile("rwb", buffering=0)
        f.write((json.dumps({"jsonrpc": "2.0", "id": 7, "method": method, "params": params}) + "\n").encode())
        while True:
            line = f.readline()
            if not line:
                raise Failure("%s: the daemon closed the connection" % method)
            reply = json.loads(line)
            if reply.get("id") == 7:
                return reply
            if notifications is not None and "method" in reply:
                notifications.append(reply)


def ok(daemon, method, **params):
    reply = call(daemon, method, **params)
    if "error" in reply:
        raise Failure("%s: %s" % (method, reply["error"]))
    return reply["result"]


def kind(reply):
    return reply.get("error", {}).get("data", {}).get("kind")


def ticks(root, name):
    try:
        with open(os.path.join(root, "run", name, "serial.log"), errors="replace") as f:
            return [int(n) for n in re.findall(r"tick (\d+)", f.read())]
    except OSError:
        return []


def main():
    tap = Tap()
    root = tempfile.mkdtemp(prefix="domus-guest-ops-")
    daemon = None
    try:
        images = os.path.join(root, "images")
        os.makedirs(images)
        disk = os.path.join(images, "snap.qcow2")
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", disk, "64M"], check=True)
        raw = os.path.join(images, "raw.img")
        subprocess.run(["qemu-img", "create", "-q", "-f", "raw", raw, "16M"], check=True)
        daemon = Daemon(root).wait_listening()
        ok(daemon, "domain.define", config=guest_cfg(GUEST_DIR, "snap", "disk = [ 'tap:qcow2:%s,xvda,w' ]\n" % disk))
        ok(daemon, "domain.define", config=guest_cfg(GUEST_DIR, "rawguest", "disk = [ 'tap:aio:%s,xvda,w' ]\n" % raw))

        hello = ok(daemon, "hello")
        tap.ok(all(m in hello["capabilities"] for m in ("domain.snapshot.list", "domain.snapshot.create",
                                                         "domain.snapshot.revert", "domain.snapshot.delete",
                                                         "domain.clone", "domain.set_template")),
               "hello lists the snapshot, clone and template methods", str(hello["capabilities"]))

        ok(daemon, "domain.start", name="snap")
        wait_until(lambda: len(ticks(root, "snap")) >= 3, 120)
        ok(daemon, "domain.snapshot.create", name="snap", snapshot="first")
        saved = ticks(root, "snap")[-1]
        listed = ok(daemon, "domain.snapshot.list", name="snap")["snapshots"]
        tap.ok(len(listed) == 1 and listed[0]["name"] == "first" and listed[0]["memory"] and listed[0]["date"] > 0,
               "a snapshot of the running domain holds its memory", str(listed))
        wait_until(lambda: ticks(root, "snap")[-1] >= saved + 5, 120)
        seen = len(ticks(root, "snap"))
        ok(daemon, "domain.snapshot.revert", name="snap", snapshot="first")
        wait_until(lambda: len(ticks(root, "snap")) > seen, 60)
        after = ticks(root, "snap")[seen]
        tap.ok(saved <= after <= saved + 2,
               "a revert brings the counter back to the snapshot's value (%d, then %d)" % (saved, after))

        replies = [call(daemon, "domain.snapshot.create", name="snap", snapshot="first"),
                   call(daemon, "domain.snapshot.create", name="snap", snapshot="42"),
                   call(daemon, "domain.snapshot.revert", name="snap", snapshot="none"),
                   call(daemon, "domain.snapshot.create", name="snap"),
                   call(daemon, "domain.snapshot.create", name="rawguest", snapshot="x"),
                   call(daemon, "domain.snapshot.list", name="nosuch")]
        tap.ok([kind(r) for r in replies] == ["already-exists", "invalid-params", "invalid-params",
                                              "invalid-params", "not-supported", "no-such-domain"],
               "a taken name, a name of digits, an unknown snapshot, no name, a raw disk and an "
               "unknown domain are refused with their kinds", json.dumps(replies))

        # xm save and restore: the counter goes on from where it was saved.
        wait_until(lambda: len(ticks(root, "snap")) >= seen + 3, 60)
        # The run folder (and its serial log) goes with the saved QEMU: read the counter just before.
        at_save = ticks(root, "snap")[-1]
        saved_file = ok(daemon, "domain.save", name="snap", file="snap.save")
        listed = {d["name"]: d for d in ok(daemon, "domain.list", all=True)["domains"]}
        bad = [call(daemon, "domain.save", name="snap", file="other.save"),
               call(daemon, "domain.restore", file="../etc/passwd"),
               call(daemon, "domain.restore", file="nothing.save")]
        with open(os.path.join(root, "saves", "junk.save"), "w") as f:
            f.write("not a save\n")
        bad.append(call(daemon, "domain.restore", file="junk.save"))
        # save.list: the save with its domain, time and size; junk.save (no header) left out.
        with open(os.path.join(root, "saves", ".hidden.save"), "w") as f:
            f.write("DOMUS-SAVE 1\n")
        saves = ok(daemon, "save.list")
        tap.ok(saves["folder"] == os.path.join(root, "saves")
               and [(e["file"], e["domain"], e["size_bytes"]) for e in saves["saves"]]
               == [("snap.save", "snap", saved_file["size_bytes"])]
               and abs(saves["saves"][0]["saved"] - time.time()) < 600,
               "save.list lists the save folder's saves with their domain, time and size; a file "
               "that is no save and a hidden one are left out", json.dumps(saves))
        restored = ok(daemon, "domain.restore", file="snap.save")
        wait_until(lambda: len(ticks(root, "snap")) >= 1, 60)
        resumed = ticks(root, "snap")[0] if ticks(root, "snap") else 0
        tap.ok(saved_file["file"] == os.path.join(root, "saves", "snap.save") and saved_file["size_bytes"] > 0
               and listed["snap"]["state"] in ("shutoff", "off") and restored["name"] == "snap"
               and at_save <= resumed <= at_save + 3,
               "save stops the domain into a file; restore brings it back where it was (tick %d, then %d)"
               % (at_save, resumed), json.dumps([saved_file, listed.get("snap"), restored]))
        tap.ok([kind(r) for r in bad] == ["not-running", "invalid-params", "io-error", "invalid-params"]
               and "nothing.save" in bad[2]["error"]["message"],
               "a domain that is off, a path, a missing file and a file that is no save are refused",
               json.dumps(bad))

        ok(daemon, "domain.snapshot.delete", name="snap", snapshot="first")
        clone_running = call(daemon, "domain.clone", name="snap", new_name="copy")
        ok(daemon, "domain.destroy", name="snap")
        ok(daemon, "domain.snapshot.create", name="snap", snapshot="off")
        listed = ok(daemon, "domain.snapshot.list", name="snap")["snapshots"]
        tap.ok(kind(clone_running) == "already-running" and [s["name"] for s in listed] == ["off"]
               and not listed[0]["memory"],
               "a running domain is not cloned; a shut-off one gets a disk-only snapshot", json.dumps([clone_running, listed]))

        clone = ok(daemon, "domain.clone", name="snap", new_name="copy")
        domains = {d["name"]: d for d in ok(daemon, "domain.list", all=True)["domains"]}
        config = ok(daemon, "domain.get_config", name="copy")["config"]
        tap.ok("copy" in domains and os.path.join(images, "copy.qcow2") in clone["images"]
               and os.path.join(images, "copy.qcow2") in config,
               "a full clone is defined with a disk of its own", json.dumps([clone, config]))
        ok(daemon, "domain.start", name="copy")
        wait_until(lambda: len(ticks(root, "copy")) >= 2, 120)
        tap.ok(True, "the clone starts")

        # Saved, then undefined: restore defines it again from the saved config.
        ok(daemon, "domain.save", name="copy", file="copy.save")
        ok(daemon, "domain.undefine", name="copy")
        gone = "copy" not in {d["name"] for d in ok(daemon, "domain.list", all=True)["domains"]}
        ok(daemon, "domain.restore", file="copy.save")
        wait_until(lambda: len(ticks(root, "copy")) >= 1, 60)
        back = {d["name"]: d for d in ok(daemon, "domain.list", all=True)["domains"]}.get("copy", {})
        tap.ok(gone and back.get("state") in ("running", "blocked") and ticks(root, "copy")[:1] != [1]
               and os.path.exists(os.path.join(root, "domains", "copy.cfg")),
               "a saved domain that was undefined is restored and defined again", json.dumps(back))
        ok(daemon, "domain.destroy", name="copy")

        refused = call(daemon, "domain.clone", name="snap", new_name="thin", linked=True)
        ok(daemon, "domain.set_template", name="snap")
        start_template = call(daemon, "domain.start", name="snap")
        thin = call(daemon, "domain.clone", name="snap", new_name="thin", linked=True)
        again = call(daemon, "domain.clone", name="snap", new_name="copy")
        tap.ok(kind(refused) == "not-supported" and "result" in thin and kind(again) == "already-exists"
               and not os.path.exists(os.path.join(images, ".copy.qcow2.clone")),
               "a linked clone needs a template; a taken name is refused and leaves nothing",
               json.dumps([refused, thin, again]))
        ok(daemon, "domain.start", name="thin")
        wait_until(lambda: len(ticks(root, "thin")) >= 1, 120)
        tap.ok(kind(start_template) == "not-supported" and len(ticks(root, "thin")) >= 1
               and "domusctl template snap off" in start_template["error"]["message"],
               "a template is not started; its linked clone is", json.dumps(start_template))
        ok(daemon, "domain.destroy", name="thin")
        create_template = call(daemon, "domain.create", config=guest_cfg(GUEST_DIR, "tmpl", "template = 1\n"))
        listed_now = {d["name"] for d in ok(daemon, "domain.list", all=True)["domains"]}
        tap.ok(kind(create_template) == "not-supported" and "tmpl" not in listed_now
               and not os.path.exists(os.path.join(root, "run", "tmpl")),
               "domain.create of a config that says template = 1 is refused as domain.start of a template is",
               json.dumps(create_template))
        # Templates are listed as such (the create assistant offers them); a running domain is not one.
        listed = {d["name"]: d for d in ok(daemon, "domain.list", all=True)["domains"]}
        got = ok(daemon, "domain.get", name="snap")
        tap.ok(listed["snap"].get("template") is True and listed["thin"].get("template") is False
               and listed["Domain-0"].get("template") is False and got.get("template") is True,
               "domain.list and domain.get say which domains are templates",
               json.dumps([listed.get("snap"), listed.get("thin"), got]))
        bad_key = call(daemon, "domain.create", config=guest_cfg(GUEST_DIR, "badtmpl", "template = 'sometimes'\n"))
        tap.ok(kind(bad_key) == "invalid-config" and "template" in bad_key["error"]["message"]
               and "badtmpl" not in {d["name"] for d in ok(daemon, "domain.list", all=True)["domains"]},
               "a template key that is not a boolean is refused, naming it", json.dumps(bad_key))

        # A clone's port forwards move to host ports of their own: both can run at once.
        ok(daemon, "domain.define", config=guest_cfg(GUEST_DIR, "fwdsrc", "vif = [ 'mac=00:16:3e:0f:0f:01, "
                                                                       "forward=tcp:127.0.0.1:2299-:22' ]\n"))
        ok(daemon, "domain.clone", name="fwdsrc", new_name="fwdcopy")
        with open(os.path.join(root, "domains", "fwdcopy.cfg")) as f:
            clone_text = f.read()
        moved = re.search(r"forward=tcp:127\.0\.0\.1:(\d+)-:22", clone_text)
        tap.ok(moved is not None and int(moved.group(1)) > 2299 and "00:16:3e:0f:0f:01" not in clone_text,
               "a clone forwards a host port of its own to the same guest port", clone_text)
        # image.debian without the archive: refusals, and an archive that does not answer.
        key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHj3vQ8u2bXpZ1m6kTqv9mTj1o2qYQh1kq0Sx5bGd7Qs test"
        before = sorted(os.listdir(images))
        refusals = [call(daemon, "image.debian", name="snap", ssh_keys=key),
                    call(daemon, "image.debian", name="deb", ssh_keys="not a key"),
                    call(daemon, "image.debian", name="deb"),
                    call(daemon, "image.debian", name="deb", ssh_keys=key, packages="vim"),
                    call(daemon, "image.debian", name="deb", ssh_keys=key, mirror="file:///etc"),
                    call(daemon, "image.debian", name="deb", ssh_keys=key, ssh_port=70000)]
        progress = []
        unreachable = call(daemon, "image.debian", progress, name="deb", ssh_keys=key, root_password="secret",
                           mirror="http://127.0.0.1:9/debian")
        stages = [n["params"]["stage"] for n in progress if n["method"] == "image.progress"]
        defined = {d["name"] for d in ok(daemon, "domain.list", all=True)["domains"]}
        tap.ok([kind(r) for r in refusals] == ["already-exists"] + ["invalid-params"] * 5
               and kind(unreachable) == "failed" and "could not be reached" in unreachable["error"]["message"]
               and stages[:2] == ["checking", "bootstrapping"] and sorted(os.listdir(images)) == before
               and "deb" not in defined and "secret" not in daemon.log_text(),
               "image.debian refuses bad params by kind, reports progress, and an unreachable archive "
               "leaves nothing (and the password is in no log)", json.dumps([refusals, unreachable, stages]))
    except Failure as failure:
        tap.ok(False, "the run went through", str(failure) + "\n" + (daemon.log_text() if daemon else ""))
    finally:
        if daemon is not None:
            daemon.stop()
        shutil.rmtree(root, ignore_errors=True)
    return tap.finish()


sys.exit(main())
