#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the hand-made seeds of every corpus in tests/fuzz/corpus/ (files named seed-*).

Usage: tests/fuzz/make-seeds.py [BUILD_DIR]   (default: build)
The rpc seeds need the daemon's method names, sorted as the harness sorts them (it picks a
method by the first byte, modulo their number): BUILD_DIR/hvcore/domusd is started under a
temporary --root and asked (`hello`'s capabilities, and `hello`). What fuzzing found is kept
beside the seeds (tests/fuzz/README.md says how).
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")

ED25519 = "AAAAC3NzaC1lZDI1NTE5AAAAIHV6/EoKQar0kid1DJbl9W81gubNpBUAm/Ady9MEBpAy"
ECDSA = ("AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBCk9glcLvmjPSORghMf+fSZQPR/"
         "JBKsRCHG/ip1SUyQAQxNbfR8M0UlJb5txD2Q9V1+1M6ntHQmjrNDIkmPacOI=")

GUEST_CFG = """name = "seed"
kernel = "/boot/vmlinuz"
ramdisk = "/boot/initrd.img"
memory = 128
vcpus = 1
vif = [ 'mac=00:16:3e:00:00:01, bridge=xenbr0, model=e1000', 'bridge=br1' ]
disk = [ 'file:/var/lib/domus/images/seed.qcow2,xvda,w', 'phy:/dev/sdb,hdb,r', 'file:/srv/iso/d.iso,hdc:cdrom,r' ]
extra = "console=ttyS0"
on_crash = "restart"
tags = [ 'web', 'prod' ]
vnc = 1
"""

RPC_PARAMS = {
    "demo.prepare": "{}",
    "domain.create": '{"config": "name = \\"s\\"\\nmemory = 64\\nkernel = \\"/boot/vmlinuz\\"\\n", "filename": "s.cfg"}',
    "domain.define": '{"config": "name = \\"s\\"\\nmemory = 64\\nkernel = \\"/boot/vmlinuz\\"\\n", "filename": "s.cfg"}',
    "domain.destroy": '{"name": "s"}',
    "domain.dump": '{"name": "s"}',
    "domain.get": '{"name": "Domain-0"}',
    "domain.get_config": '{"name": "s"}',
    "domain.list": '{"all": true}',
    "domain.pause": '{"name": "s"}',
    "domain.reboot": '{"name": "s"}',
    "domain.set_autostart": '{"name": "s", "autostart": true}',
    "domain.set_config": '{"name": "s", "config": "name = \\"s\\"\\nmemory = 96\\nkernel = \\"/boot/vmlinuz\\"\\n"}',
    "domain.set_values": '{"name": "s", "values": {"memory": 80, "tags": ["a"]}}',
    "domain.shutdown": '{"name": "s", "wait": true}',
    "domain.snapshot.list": '{"name": "s"}',
    "domain.snapshot.create": '{"name": "s", "snapshot": "before-update"}',
    "domain.snapshot.revert": '{"name": "s", "snapshot": "before-update"}',
    "domain.snapshot.delete": '{"name": "s", "snapshot": "before-update"}',
    "domain.clone": '{"name": "s", "new_name": "t", "linked": true}',
    "domain.set_template": '{"name": "s", "template": true}',
    "domain.save": '{"name": "s", "file": "s.save"}',
    "domain.restore": '{"file": "s.save"}',
    # Never a build (no ssh_keys nor root_password): image.debian would run mmdebstrap.
    "image.debian": '{"name": "d", "suite": "bookworm", "packages": ["openssh-server"]}',
    "domain.start": '{"name": "s"}',
    "domain.sysrq": '{"name": "s", "key": "s"}',
    "domain.undefine": '{"name": "s"}',
    "domain.unpause": '{"name": "s"}',
    "hello": "{}",
    "host.bridges": "{}",
    "image.clone": '{"source": "a.qcow2", "name": "b.qcow2"}',
    "image.create": '{"name": "a.qcow2", "size_bytes": 16777216, "format": "qcow2"}',
    "image.delete": '{"name": "a.qcow2"}',
    "image.list": "{}",
    "migration.cancel": '{"id": "x"}',
    "migration.check": '{"name": "s", "live": true, "copy_storage": false, "accelerator": "tcg"}',
    "migration.confirm": '{"id": "x", "success": true}',
    "migration.finish": '{"id": "x"}',
    "migration.perform": '{"id": "x", "name": "s", "uri": "tcp:127.0.0.1:1", "bandwidth_mib": 100, "downtime_ms": 300, "postcopy": false}',
    "migration.prepare": '{"name": "s", "config": "name = \\"s\\"\\n", "live": true, "resume": true}',
    "stats.archive": '{"range": "24h"}',
    "stats.get": "{}",
    "stats.set_interval": '{"interval_ms": 1000}',
    "stats.subscribe": '{"enable": true, "name": "s"}',
}


def write(name, seed, data):
    folder = os.path.join(CORPUS, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "seed-" + seed), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def daemon_methods(build):
    root = tempfile.mkdtemp(prefix="domus-seeds-", dir="/tmp")
    path = os.path.join(root, "domusd.sock")
    env = dict(os.environ, DOMUS_ACCEL="tcg")
    daemon = subprocess.Popen([os.path.join(build, "hvcore", "domusd"), "--root", root],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        for _ in range(200):
            try:
                with socket.socket(socket.AF_UNIX) as s:
                    s.connect(path)
                    s.sendall(b'{"jsonrpc": "2.0", "id": 1, "method": "hello"}\n')
                    reply = json.loads(s.makefile("rb").readline())
                    return sorted(reply["result"]["capabilities"] + ["hello"])
            except OSError:
                time.sleep(0.05)
        sys.exit("domusd did not answer")
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait()
        shutil.rmtree(root, ignore_errors=True)


def main():
    data_dir = os.path.join(SOURCE, "tests", "data")
    for cfg in sorted(os.listdir(data_dir)):
        with open(os.path.join(data_dir, cfg), "rb") as f:
            text = f.read()
        write("config", cfg, text)
        for flags in (0, 1, 2, 6, 8):
            write("domain-spec", "%s-%d" % (cfg, flags), bytes([flags]) + text)
    write("domain-spec", "guest", b"\x00" + GUEST_CFG.encode())
    write("domain-spec", "guest-tap", b"\x0e" + GUEST_CFG.encode())

    lines = [
        '{"jsonrpc": "2.0", "id": 1, "method": "hello"}\n',
        '{"a": [1, 2.5, -3, true, false, null, "x\\ny\\u00e9\\"\\\\"], "b": {}}\r\n\n',
        '[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]\n',
        '{"id": 9223372036854775807, "n": -9223372036854775808, "s": "\\u0000"}\n',
        '{"id": 18446744073709551615}\n{"half": ',
        "not json\n" + "x" * 3000 + "\n{}",
    ]
    for i, text in enumerate(lines):
        write("json-stream", "%d-loose" % i, b"\x00" + text.encode())
        write("json-stream", "%d-exact" % i, b"\x01" + text.encode())

    greeting = ('{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, '
                '"package": "Debian 1:7.2+dfsg-7"}, "capabilities": ["oob"]}}\r\n')
    write("qmp", "greeting-only", greeting)
    write("qmp", "status", greeting + '{"return": {}, "id": 1}\r\n'
          '{"timestamp": {"seconds": 1700000000, "microseconds": 5}, "event": "STOP"}\r\n'
          '{"return": {"status": "running", "singlestep": false, "running": true}, "id": 2}\r\n')
    write("qmp", "error", greeting + '{"return": {}, "id": 1}\r\n'
          '{"error": {"class": "GenericError", "desc": "no"}, "id": 2}\r\n')
    write("qmp", "event-data", greeting + '{"return": {}, "id": 1}\r\n'
          '{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "SHUTDOWN", '
          '"data": {"guest": true, "reason": "guest-shutdown"}}\r\n')

    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(SOURCE, "build"))
    methods = daemon_methods(build)
    for index, method in enumerate(methods):
        write("rpc", method, bytes([index]) + RPC_PARAMS.get(method, "{}").encode())
    write("rpc", "not-an-object", b"\x00[1, 2]")
    write("rpc", "deep", b"\x00" + b"[" * 200)

    write("known-hosts", "plain", "example.org ssh-ed25519 %s\n192.0.2.1,example.org %s %s\n"
          % (ED25519, "ecdsa-sha2-nistp256", ECDSA))
    write("known-hosts", "port", "[example.org]:2222 ssh-ed25519 %s comment\n[::1]:2222 ssh-ed25519 %s\n"
          % (ED25519, ED25519))
    write("known-hosts", "hashed", "|1|F1E1KeoE/eEWhi10WpGv4OdiO6Y=|3988QV0VE8wmZL7suNrYQLITLCg= "
          "ssh-ed25519 %s\n" % ED25519)
    write("known-hosts", "markers", "@revoked * ssh-ed25519 %s\n@cert-authority *.example ssh-ed25519 %s\n"
          "*.org,!bad.org ssh-ed25519 %s\n# comment\n\nexample.org ssh-ed25519 !!!\n"
          % (ED25519, ED25519, ED25519))
    write("known-hosts", "blob", b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + b"k" * 32)

    for i, uri in enumerate(["ssh://root@example.org", "ssh://u@[::1]:2222?socket=/run/domus/domusd.sock",
                             "ssh://h?keyfile=/k&known_hosts=/kh&bridge=/opt/domusctl%20x&no_verify=1",
                             "ssh://h:0", "ssh://a%40b@h/x", "unix:/run/x.sock", "local", ""]):
        write("uri", str(i), uri)

    # libvirt-tunnel: the first byte picks the reader (0 the domain's XML, 1 `ssh -G`, 2 the URI).
    for seed, xml in (("endpoint-address", "<domain><name>w</name><devices><graphics type='vnc' port='5900' "
                       "listen='0.0.0.0'><listen type='address' address='0.0.0.0'/></graphics></devices></domain>"),
                      ("endpoint-socket", "<domain><devices><graphics type='spice' port='5901'/><graphics "
                       "type='vnc'><listen type='socket' socket='/run/vnc.sock'/></graphics></devices></domain>"),
                      ("endpoint-refused", "<domain><devices><graphics type='vnc' port='5900' passwd='x'/>"
                       "</devices></domain>")):
        write("libvirt-tunnel", seed, b"\x00" + xml.encode())
    write("libvirt-tunnel", "ssh-config", b"\x01user deploy\nhostname web.example.org\nport 2222\n"
          b"identityfile ~/.ssh/web\nuserknownhostsfile ~/.ssh/known_hosts ~/.ssh/known_hosts2\nproxyjump none\n")
    write("libvirt-tunnel", "ssh-config-jump", b"\x01hostname web\nproxycommand ssh -W %h:%p bastion\n")
    write("libvirt-tunnel", "uri", b"\x02qemu+libssh2://root@[::1]:2200/system?known_hosts=/kh&no_verify=1&keyfile=/k")


if __name__ == "__main__":
    main()
