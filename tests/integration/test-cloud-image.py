#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""image.cloud: a guest of a cloud image in the store, with its NoCloud seed and .cfg.

Usage: test-cloud-image.py

A domusd under --root whose store holds small images of this test's own: a 64 MiB disk with
an MBR and an ext4 partition holding /usr/bin/cloud-init and /etc/os-release (what the
probe looks for; as qcow2), the same without cloud-init, and a disk with no Linux system.
image.cloud makes a guest of the first: an overlay on it, a seed whose meta-data and
user-data are read back with xorriso, a .cfg defined on the host with the seed attached and
SSH forwarded; with a user-data file of the user's own it goes in verbatim. The image
without cloud-init is refused (not-supported, saying so) and nothing is left; the one the
probe cannot read is accepted with "unknown". Bad params are refused by kind. No guest
boots (the images hold no system). TAP output.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib_domus  # noqa: E402
from lib_domus import Daemon, Failure, Tap, check, error_kind  # noqa: E402

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHj3vQ8u2bXpZ1m6kTqv9mTj1o2qYQh1kq0Sx5bGd7Qs test@domus"


def make_disk(work, name, files):
    """A 64 MiB raw disk: an MBR with one Linux partition at 1 MiB, ext4, holding `files`."""
    tree = os.path.join(work, name)
    for path in files:
        full = os.path.join(tree, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write("#!/bin/sh\n" if "bin/" in path else 'PRETTY_NAME="Domus test system"\n')
    raw = tree + ".raw"
    with open(raw, "wb") as f:
        f.truncate(64 << 20)
    if files:
        subprocess.run(["mke2fs", "-q", "-t", "ext4", "-E", "offset=1048576", "-d", tree, "-F", raw, "32M"],
                       check=True, capture_output=True)
        start, count = 2048, 64 * 2048 - 2048
        entry = bytes([0, 0, 0, 0, 0x83, 0, 0, 0]) + start.to_bytes(4, "little") + count.to_bytes(4, "little")
        with open(raw, "r+b") as f:
            f.seek(446)
            f.write(entry)
            f.seek(510)
            f.write(b"\x55\xaa")
    return raw


def call(daemon, method, **params):
    return lib_domus.rpc_reply(daemon.socket_path, method, **params)


def seed_file(iso, name, work):
    target = os.path.join(work, "extract-%s-%s" % (os.path.basename(iso), name))
    subprocess.run(["xorriso", "-osirrox", "on", "-indev", iso, "-extract", "/" + name, target],
                   check=True, capture_output=True)
    with open(target) as f:
        return f.read()


def volume_id(iso):
    out = subprocess.run(["xorriso", "-indev", iso, "-pvd_info"], capture_output=True, text=True).stdout
    match = re.search(r"Volume Id\s*:\s*(\S+)", out)
    return match.group(1) if match else None


def store_files(images):
    return sorted(n for n in os.listdir(images) if not n.startswith("."))


def main():
    tap = Tap()
    root = tempfile.mkdtemp(prefix="domus-cloud-")
    work = os.path.join(root, "work")
    images = os.path.join(root, "images")
    os.makedirs(work)
    os.makedirs(images)
    daemon = None
    try:
        cloud_raw = make_disk(work, "cloud", ["etc/os-release", "usr/bin/cloud-init"])
        subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2", cloud_raw,
                        os.path.join(images, "cloudy.qcow2")], check=True)
        shutil.copy(make_disk(work, "plain", ["etc/os-release", "usr/bin/ls"]), os.path.join(images, "plain.img"))
        shutil.copy(make_disk(work, "blank", []), os.path.join(images, "blank.raw"))
        daemon = Daemon(root).wait_listening()

        made = {}

        def makes_guest():
            reply = call(daemon, "image.cloud", name="web1", image="cloudy.qcow2", hostname="web1.example",
                         user="admin", ssh_keys=KEY + "\n")
            check("result" in reply, "image.cloud: %s" % reply)
            made.update(reply["result"])
            check(made["cloud_init"] == "present" and made["ssh_port"] >= 2222
                  and made["disk"] == os.path.join(images, "web1.qcow2")
                  and made["seed"] == os.path.join(images, "web1-seed.iso"),
                  "the answer: %s" % json.dumps(made))
            info = json.loads(subprocess.run(["qemu-img", "info", "--output=json", "-U", made["disk"]],
                                             capture_output=True, text=True, check=True).stdout)
            check(info.get("backing-filename") == "cloudy.qcow2" and info.get("backing-filename-format") == "qcow2"
                  and info["virtual-size"] == 64 << 20,
                  "the overlay: %s" % json.dumps(info))
            domains = {d["name"]: d for d in call(daemon, "domain.list", all=True)["result"]["domains"]}
            check("web1" in domains, "web1 is not defined: %s" % list(domains))
        tap.step("image.cloud makes a qcow2 overlay on the cloud image and defines the guest", makes_guest)

        def seed_files():
            check(volume_id(made["seed"]) == "cidata", "volume id %r" % volume_id(made["seed"]))
            meta = seed_file(made["seed"], "meta-data", work)
            user = seed_file(made["seed"], "user-data", work)
            check(re.search(r"^instance-id: domus-[0-9a-f-]{36}$", meta, re.M)
                  and re.search(r"^local-hostname: web1\.example$", meta, re.M),
                  "meta-data:\n" + meta)
            check(user.startswith("#cloud-config\n") and "admin" in user and KEY in user and "sudo" in user,
                  "user-data:\n" + user)
        tap.step("its seed is a cidata ISO with meta-data (instance id, host name) and user-data "
                 "(the user, with sudo, and the key)", seed_files)

        def config_written():
            with open(os.path.join(root, "domains", "web1.cfg")) as f:
                text = f.read()
            check(re.search(r"^builder = \"hvm\"$", text, re.M)
                  and "'tap:qcow2:%s,xvda,w', 'file:%s,hdc:cdrom,r'" % (made["disk"], made["seed"]) in text
                  and "forward=tcp:127.0.0.1:%d-:22" % made["ssh_port"] in text
                  and "ssh -p %d admin@127.0.0.1" % made["ssh_port"] in text,
                  "web1.cfg:\n" + text)
            dry = lib_domus.ctl(daemon.uri, "create", "--dry-run", os.path.join(root, "domains", "web1.cfg"))
            check(dry.returncode == 0 and "hostfwd=tcp:127.0.0.1:%d-:22" % made["ssh_port"] in dry.stdout
                  and "-boot" in dry.stdout,
                  "domusctl create --dry-run:\n" + dry.stdout + dry.stderr)
        tap.step("its .cfg boots the image's own boot loader with the seed attached and SSH forwarded",
                 config_written)

        def own_user_data():
            text = "#cloud-config\nruncmd:\n  - [ touch, /domus-was-here ]\n"
            reply = call(daemon, "image.cloud", name="web2", image="cloudy.qcow2", user_data=text, ssh_port=0,
                         size_bytes=128 << 20, memory_mib=512)
            check("result" in reply, "image.cloud: %s" % reply)
            seed = reply["result"]["seed"]
            check(seed_file(seed, "user-data", work) == text, "the user-data was not kept verbatim")
            check("hostname: web2" in seed_file(seed, "meta-data", work) and reply["result"]["ssh_port"] == 0,
                  json.dumps(reply["result"]))
            with open(os.path.join(root, "domains", "web2.cfg")) as f:
                cfg = f.read()
            info = json.loads(subprocess.run(["qemu-img", "info", "--output=json", "-U", reply["result"]["disk"]],
                                             capture_output=True, text=True, check=True).stdout)
            check("forward=" not in cfg and "memory = 512" in cfg and info["virtual-size"] == 128 << 20,
                  cfg + json.dumps(info))
        tap.step("a user-data file of the user's own goes in verbatim; ssh_port 0 forwards nothing; "
                 "size and memory as asked", own_user_data)

        def through_domusctl():
            # The client side (backend's typed call, domusctl's verb) against this daemon's method.
            key_file = os.path.join(work, "id_test.pub")
            with open(key_file, "w") as f:
                f.write(KEY + "\n")
            r = lib_domus.ctl(daemon.uri, "image", "cloud", "web3", "cloudy.qcow2", "--ssh-key", key_file,
                              "--user", "ops", "--hostname", "web3.example", "--ssh-port", "0")
            check(r.returncode == 0, "domusctl image cloud: %d\n%s%s" % (r.returncode, r.stdout, r.stderr))
            with open(os.path.join(root, "domains", "web3.cfg")) as f:
                cfg = f.read()
            seed = os.path.join(images, "web3-seed.iso")
            check("web3-seed.iso" in cfg and "forward=" not in cfg, "web3.cfg:\n" + cfg)
            check("ops" in seed_file(seed, "user-data", work)
                  and "local-hostname: web3.example" in seed_file(seed, "meta-data", work), "the seed of web3")
            listed = lib_domus.ctl(daemon.uri, "list", "--all")
            check(re.search(r"^web3\s", listed.stdout, re.M), "not listed:\n" + listed.stdout)
        tap.step("domusctl image cloud makes the same kind of guest through the backend's call",
                 through_domusctl)

        def no_cloud_init():
            before = store_files(images)
            reply = call(daemon, "image.cloud", name="plain1", image="plain.img", ssh_keys=KEY)
            message = reply.get("error", {}).get("message", "")
            check(error_kind(reply) == "not-supported" and "plain.img holds no cloud-init" in message
                  and "use a cloud image" in message, "image.cloud of plain.img: %s" % reply)
            check(store_files(images) == before and not os.path.exists(os.path.join(root, "domains", "plain1.cfg")),
                  "left behind: %s" % sorted(set(store_files(images)) - set(before)))
        tap.step("an image whose system lacks cloud-init is refused, saying so, and nothing is left",
                 no_cloud_init)

        def unknown_accepted():
            reply = call(daemon, "image.cloud", name="blank1", image="blank.raw", ssh_keys=KEY)
            check("result" in reply and reply["result"]["cloud_init"] == "unknown"
                  and reply["result"]["cloud_init_detail"] != "", json.dumps(reply))
        tap.step("an image the probe cannot read is accepted, its answer saying cloud-init is unknown",
                 unknown_accepted)

        def refusals():
            before = store_files(images)
            replies = [call(daemon, "image.cloud", name="web1", image="cloudy.qcow2", ssh_keys=KEY),
                       call(daemon, "image.cloud", name="x1", image="nosuch.qcow2", ssh_keys=KEY),
                       call(daemon, "image.cloud", name="x1", image="../images/cloudy.qcow2", ssh_keys=KEY),
                       call(daemon, "image.cloud", name="x1", image="cloudy.qcow2"),
                       call(daemon, "image.cloud", name="x1", image="cloudy.qcow2", ssh_keys="not a key"),
                       call(daemon, "image.cloud", name="x1", image="cloudy.qcow2", ssh_keys=KEY, user="0root"),
                       call(daemon, "image.cloud", name="x1", image="cloudy.qcow2", ssh_keys=KEY, hostname="a_b"),
                       call(daemon, "image.cloud", name="x1", image="cloudy.qcow2", ssh_keys=KEY, format="vmdk"),
                       call(daemon, "image.cloud", name="x1", image="cloudy.qcow2", ssh_keys=KEY, format="raw"),
                       call(daemon, "image.cloud", name="x1", image="cloudy.qcow2", ssh_keys=KEY, ssh_port=70000),
                       call(daemon, "image.cloud", name="x1", image="cloudy.qcow2", ssh_keys=KEY, size_bytes=1 << 20),
                       call(daemon, "image.cloud", name="x1")]
            kinds = [error_kind(r) for r in replies]
            check(kinds == ["already-exists", "no-such-image"] + ["invalid-params"] * 10,
                  json.dumps(replies, indent=1, ensure_ascii=False))
            check(store_files(images) == before, "left behind: %s" % sorted(set(store_files(images)) - set(before)))
        tap.step("a taken name, a missing image, a path, no key, a bad key, user, host name, format, "
                 "port or size are refused by kind, leaving nothing", refusals)
    except Failure as e:
        tap.ok(False, "setting up", str(e))
    finally:
        if daemon is not None:
            daemon.stop()
        shutil.rmtree(root, ignore_errors=True)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
