#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""domusctl snapshot, save, restore, clone, template and image debian|cloud, run as a user would.

Usage: test-cli-guests.py GUEST_DIR   (DOMUS_BUILD_DIR from the environment)

The client's path (domusctl on the backend's typed calls) on one real domusd with the test
guest on a qcow2 disk in its store; test-guest-ops.py tests the same methods over the raw
protocol. The guest's tick counter on its serial log says where it is: a snapshot revert
and a save/restore bring it back to where it was, not to 0. A linked clone writes into its
own overlay and leaves its template's disk as it was. TAP output.
"""

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib_domus import (DOMUSCTL, Daemon, Failure, Tap, ctl, guest_cfg, listed, pid_alive, rpc_call,  # noqa: E402
                       serial_text, wait_until)
from lib_qemu import ticks_in  # noqa: E402

GUEST_DIR = os.path.abspath(sys.argv[1])


def ticks(root, name):
    return ticks_in(serial_text(root, name).split("\n"))


def run(uri, *args, timeout=180):
    """domusctl ARGS; fails the run when it does not succeed."""
    r = ctl(uri, *args, timeout=timeout)
    if r.returncode != 0:
        raise Failure("domusctl %s: status %d: %s%s" % (" ".join(args), r.returncode, r.stdout, r.stderr))
    return r.stdout


def refused(uri, *args):
    """(status, stderr) of a domusctl command expected to fail."""
    r = ctl(uri, *args, timeout=180)
    return r.returncode, r.stderr.strip()


def snapshot_rows(uri, name):
    """snapshot list's rows as {NAME: (MEMORY, VM-SIZE)}; the header row first checked."""
    lines = run(uri, "snapshot", "list", name).splitlines()
    check_header = lines[0].split() == ["NAME", "DATE", "MEMORY", "VM-SIZE"]
    rows = {}
    for line in lines[1:]:
        fields = line.split()
        rows[fields[0]] = (fields[3], fields[4])
    return check_header, rows


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def backing_file(path):
    info = json.loads(subprocess.run(["qemu-img", "info", "-U", "--output=json", path], check=True,
                                     capture_output=True, text=True).stdout)
    return info.get("full-backing-filename") or info.get("backing-filename")


class SilentMirror:
    """A loopback "archive" that takes connections and never answers: a build waits on it."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.held = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.held.append(self.server.accept()[0])
            except OSError:
                return

    def close(self):
        self.server.close()
        for connection in self.held:
            connection.close()


def descendants(pid):
    """The processes below pid (the daemon's tools), by their parents in /proc."""
    parents = {}
    for entry in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % entry) as f:
                parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    found, todo = [], [pid]
    while todo:
        children = [child for child, parent in parents.items() if parent == todo[0]]
        found += children
        todo = todo[1:] + children
    return [child for child in found if pid_alive(child)]


def main():
    tap = Tap()
    root = tempfile.mkdtemp(prefix="domus-cli-guests-")
    daemon = None
    try:
        images = os.path.join(root, "images")
        os.makedirs(images)
        disk = os.path.join(images, "snap.qcow2")
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", disk, "64M"], check=True)
        cfg = os.path.join(root, "snap.cfg")
        with open(cfg, "w") as f:
            f.write(guest_cfg(GUEST_DIR, "snap", "disk = [ 'tap:qcow2:%s,xvda,w' ]\n" % disk))
        daemon = Daemon(root).wait_listening()
        uri = daemon.uri
        run(uri, "define", cfg)

        # Snapshots of the running guest: memory and disks.
        run(uri, "start", "snap")
        wait_until(lambda: len(ticks(root, "snap")) >= 3, 120)
        created = ctl(uri, "snapshot", "create", "snap", "first", timeout=180)
        at_snapshot = ticks(root, "snap")[-1]
        header, rows = snapshot_rows(uri, "snap")
        tap.ok(created.returncode == 0 and created.stdout == "" and header and list(rows) == ["first"]
               and rows["first"][0] == "yes" and rows["first"][1] != "-",
               "snapshot create takes the running guest's memory; snapshot list shows it",
               json.dumps([created.returncode, created.stderr, rows]))

        wait_until(lambda: ticks(root, "snap")[-1] >= at_snapshot + 4, 120)
        seen = len(ticks(root, "snap"))
        run(uri, "snapshot", "revert", "snap", "first")
        wait_until(lambda: len(ticks(root, "snap")) > seen, 60)
        after = ticks(root, "snap")[seen] if len(ticks(root, "snap")) > seen else -1
        tap.ok(at_snapshot <= after <= at_snapshot + 2,
               "snapshot revert brings the counter back (tick %d at the snapshot, %d after)" % (at_snapshot, after))

        mistakes = [refused(uri, "snapshot", "create", "snap", "first"),
                    refused(uri, "snapshot", "revert", "snap", "none"),
                    refused(uri, "snapshot", "list", "nosuch"),
                    refused(uri, "snapshot", "create", "snap"),
                    refused(uri, "snapshot", "undo", "snap", "first")]
        tap.ok([m[0] for m in mistakes] == [1, 1, 1, 2, 2]
               and "first" in mistakes[0][1] and "none" in mistakes[1][1] and "nosuch" in mistakes[2][1]
               and "snapshot name" in mistakes[3][1] and "“undo”" in mistakes[4][1],
               "a taken name, an unknown snapshot or domain, a missing argument and an unknown command "
               "are refused, each named", json.dumps(mistakes))

        # xm save and restore: the counter goes on from the saved value, not from 0.
        wait_until(lambda: len(ticks(root, "snap")) >= seen + 3, 60)
        at_save = ticks(root, "snap")[-1]
        saved = run(uri, "save", "snap", "snap.save")
        state = listed(uri)["snap"]["state"]
        saves = run(uri, "saves").splitlines()
        tap.ok(len(saves) == 2 and saves[0].split() == ["FILE", "DOMAIN", "DATE", "SIZE"]
               and saves[1].split()[:2] == ["snap.save", "snap"]
               and re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", " ".join(saves[1].split()[2:4])),
               "domusctl saves lists the save with its domain and date", "\n".join(saves))
        restored = run(uri, "restore", "snap.save")
        wait_until(lambda: len(ticks(root, "snap")) >= 1, 60)
        resumed = ticks(root, "snap")[0] if ticks(root, "snap") else 0
        tap.ok(os.path.join(root, "saves", "snap.save") in saved and "domusctl restore snap.save" in saved
               and state == "shutoff" and restored.startswith("Restored snap (id ")
               and at_save <= resumed <= at_save + 3 and resumed > 1,
               "save stops the guest into a file, restore brings it back where it was (tick %d, then %d)"
               % (at_save, resumed), json.dumps([saved, state, restored]))

        bad_saves = [refused(uri, "save", "snap", "snap.save"),
                     refused(uri, "save", "snap", os.path.join(root, "elsewhere.save")),
                     refused(uri, "restore", "nothing.save"),
                     refused(uri, "save"),
                     refused(uri, "restore", "a.save", "b.save")]
        tap.ok([b[0] for b in bad_saves] == [1, 1, 1, 2, 2]
               and "snap.save" in bad_saves[0][1] and os.path.join(root, "saves") in bad_saves[1][1]
               and "nothing.save" in bad_saves[2][1]
               and not os.path.exists(os.path.join(root, "elsewhere.save")),
               "a save over an existing file, a path, a missing save and wrong arguments are refused",
               json.dumps(bad_saves))

        # Clones: a running domain is not cloned; a linked clone needs a template.
        running_clone = refused(uri, "clone", "snap", "copy")
        run(uri, "snapshot", "delete", "snap", "first")
        _, rows = snapshot_rows(uri, "snap")
        run(uri, "destroy", "snap")
        not_template = refused(uri, "clone", "snap", "thin", "--linked")
        tap.ok(rows == {} and running_clone[0] == 1 and "snap" in running_clone[1]
               and not_template[0] == 1 and "template" in not_template[1],
               "snapshot delete removes it; a running domain and a linked clone of a non-template are refused",
               json.dumps([rows, running_clone, not_template]))

        base_before = sha256(disk)
        template_on = run(uri, "template", "snap", "on")
        start_template = refused(uri, "start", "snap")
        cloned = run(uri, "clone", "snap", "thin", "--linked")
        thin_disk = os.path.join(images, "thin.qcow2")
        # The clone's writes land in its overlay: a guest run and a disk snapshot of it.
        run(uri, "start", "thin")
        wait_until(lambda: len(ticks(root, "thin")) >= 2, 120)
        thin_ran = len(ticks(root, "thin")) >= 2
        run(uri, "destroy", "thin")
        run(uri, "snapshot", "create", "thin", "offline")
        _, thin_rows = snapshot_rows(uri, "thin")
        _, base_rows = snapshot_rows(uri, "snap")
        tap.ok(template_on == "" and start_template[0] == 1 and cloned.startswith("Cloned snap as thin (linked)")
               and thin_disk in cloned and backing_file(thin_disk) == disk and thin_ran
               and thin_rows.get("offline", ("?",))[0] == "no" and base_rows == {}
               and sha256(disk) == base_before,
               "clone --linked of a template: an overlay on its disk that boots and takes snapshots, "
               "the template's disk unchanged", json.dumps([start_template, cloned, thin_rows, base_rows]))

        run(uri, "template", "snap", "off")
        full = run(uri, "clone", "snap", "copy")
        copy_disk = os.path.join(images, "copy.qcow2")
        run(uri, "start", "copy")
        wait_until(lambda: len(ticks(root, "copy")) >= 2, 120)
        taken = refused(uri, "clone", "snap", "copy")
        tap.ok(full.startswith("Cloned snap as copy\n") and copy_disk in full and backing_file(copy_disk) is None
               and len(ticks(root, "copy")) >= 2 and taken[0] == 1 and "copy" in taken[1],
               "a full clone has a standalone disk and starts; a taken name is refused", json.dumps([full, taken]))
        run(uri, "destroy", "copy")

        # image debian: the files read here, progress printed, a refusal by cause, nothing left.
        key_file = os.path.join(root, "id_test.pub")
        with open(key_file, "w") as f:
            f.write("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHj3vQ8u2bXpZ1m6kTqv9mTj1o2qYQh1kq0Sx5bGd7Qs test\n")
        password_file = os.path.join(root, "password")
        with open(password_file, "w") as f:
            f.write("Sup3r-secret\n")
        before = sorted(os.listdir(images))
        unreachable = ctl(uri, "image", "debian", "deb", "--ssh-key", key_file, "--root-password-file",
                          password_file, "--packages", "less,vim", "--mirror", "http://127.0.0.1:9/debian",
                          timeout=300)
        progress = [line for line in unreachable.stdout.splitlines() if re.match(r"^ *\d+%  ", line)]
        tap.ok(unreachable.returncode == 1 and "could not be reached" in unreachable.stderr
               and len(progress) >= 2 and "Checking" in progress[0]
               and sorted(os.listdir(images)) == before and "deb" not in listed(uri)
               and "Sup3r-secret" not in daemon.log_text(),
               "image debian prints progress, and an archive that does not answer fails by cause, "
               "leaving nothing (the password in no log)", json.dumps([unreachable.stdout, unreachable.stderr]))

        no_login = refused(uri, "image", "debian", "deb")
        bad_key = refused(uri, "image", "debian", "deb", "--ssh-key", password_file)
        missing = refused(uri, "image", "debian", "deb", "--ssh-key", os.path.join(root, "none.pub"))
        bad_size = refused(uri, "image", "debian", "deb", "--ssh-key", key_file, "--size", "lots")
        tap.ok(no_login[0] == 2 and "--ssh-key" in no_login[1] and bad_key[0] == 2 and password_file + ", line 1" in bad_key[1]
               and missing[0] == 2 and "none.pub" in missing[1] and bad_size[0] == 2 and "--size" in bad_size[1]
               and sorted(os.listdir(images)) == before,
               "image debian refuses no key or password, a file that is no key, a missing file and a bad "
               "size, naming each", json.dumps([no_login, bad_key, missing, bad_size]))

        # Ctrl-C during a build: status 130 and what becomes of the build; once the archive's
        # wait ends, the daemon keeps nothing of it (no file, no process).
        mirror = SilentMirror()
        try:
            build = subprocess.Popen([DOMUSCTL, "--connect", uri, "image", "debian", "deb", "--ssh-key", key_file,
                                      "--mirror", "http://127.0.0.1:%d/debian" % mirror.port],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
            lines = []
            while not any("Building the base system" in line for line in lines):
                line = build.stdout.readline()
                if not line:
                    break
                lines.append(line)
            waiting = wait_until(lambda: mirror.held != [], 60)
            build.send_signal(signal.SIGINT)
            out, err = build.communicate(timeout=60)
        finally:
            mirror.close()
        cleaned = wait_until(lambda: descendants(daemon.proc.pid) == [] and sorted(os.listdir(images)) == before, 120)
        tap.ok(waiting and build.returncode == 130 and "interrupted" in err and "stops the build" in err
               and cleaned and "deb" not in listed(uri),
               "Ctrl-C during image debian exits 130 saying the build stops; nothing of it is left",
               json.dumps(["".join(lines) + out, err, descendants(daemon.proc.pid), os.listdir(images)]))

        # image cloud: a daemon without it says so; one with it names the missing image.
        capabilities = rpc_call(daemon.socket_path, "hello")["capabilities"]
        cloud = refused(uri, "image", "cloud", "cloudy", "nosuch.qcow2", "--ssh-key", key_file)
        if "image.cloud" in capabilities:
            cloud_ok = cloud[0] == 1 and "nosuch.qcow2" in cloud[1]
        else:
            cloud_ok = cloud[0] == 1 and "image.cloud" in cloud[1] and "older" in cloud[1]
        tap.ok(cloud_ok and "cloudy" not in listed(uri),
               "image cloud of an image not in the store is refused, naming it (or the daemon lacks it)",
               json.dumps(cloud))
    except Failure as failure:
        tap.ok(False, "the run went through", str(failure) + "\n" + (daemon.log_text() if daemon else ""))
    finally:
        if daemon is not None:
            daemon.stop()
        shutil.rmtree(root, ignore_errors=True)
    return tap.finish()


sys.exit(main())
