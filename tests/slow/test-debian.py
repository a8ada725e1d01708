#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Debian guests from Debian's archive (HvDebianBuilder through domus-debian-build).

Usage: test-debian.py BUILD_DIR

Skips (TAP "1..0 # SKIP") when Debian's archive cannot be reached. Otherwise: a suite that
does not exist and an archive that does not answer are refused with their cause and leave
the store as it was; a first guest is built from nothing (the suite's base image); a second
one is an overlay on it; the second boots under TCG with the QEMU command Domus makes of
its .cfg to its login prompt, and root logs in over SSH through the host port its vif
forwards (forward=), with the key and with the password given at build time; a clone boots
as a new machine on a host port of its own; a guest made by image.debian through domusd
boots by domain.start, and root logs in through its forward. Takes about 10 to 20 minutes
on the project's machines.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import lib_domus  # noqa: E402

BUILD = os.path.abspath(sys.argv[1])
TOOL = os.path.join(BUILD, "tests", "slow", "domus-debian-build")
ARCHIVE = os.environ.get("DOMUS_DEBIAN_MIRROR", "http://deb.debian.org/debian")
SUITE = os.environ.get("DOMUS_DEBIAN_SUITE", "bookworm")
# HvDebianBuilderError values.
UNKNOWN_SUITE, NO_ARCHIVE = 2, 4

count = 0
failed = False


def tap(ok, what, detail=""):
    global count, failed
    count += 1
    print(("ok" if ok else "not ok") + " %d - %s" % (count, what), flush=True)
    if not ok:
        failed = True
        for line in detail.splitlines()[-40:]:
            print("# " + line, flush=True)


def archive_reachable():
    try:
        with urllib.request.urlopen("%s/dists/%s/Release" % (ARCHIVE, SUITE), timeout=15) as answer:
            return answer.status == 200
    except OSError:
        return False


def build(work, name, *extra):
    mirror = ["--mirror", os.environ["DOMUS_DEBIAN_MIRROR"]] if "DOMUS_DEBIAN_MIRROR" in os.environ else []
    args = [TOOL, "--images", os.path.join(work, "images"), "--configs", os.path.join(work, "configs"),
            "--suite", SUITE, *mirror, *extra, name]
    return subprocess.run(args, capture_output=True, text=True, timeout=1500)


def store_listing(work):
    images = os.path.join(work, "images")
    configs = os.path.join(work, "configs")
    return sorted(os.listdir(images) if os.path.isdir(images) else []) + \
        sorted(os.listdir(configs) if os.path.isdir(configs) else [])


def proc_cmdline(pid):
    try:
        with open("/proc/%s/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


SSH = ["ssh", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=10"]


def forwarded_ssh_port(cfg):
    """The host port the .cfg's vif forwards to the guest's port 22 (Domus's forward=)."""
    with open(cfg) as f:
        match = re.search(r"forward=tcp:127\.0\.0\.1:(\d+)-:22\b", f.read())
    return int(match.group(1)) if match else None


def wait_for_login(log, name, alive, timeout=900):
    """The serial text once "NAME login:" is in it (or the time is up, or QEMU ended)."""
    text = ""
    start = time.monotonic()
    while time.monotonic() - start < timeout and alive():
        if os.path.exists(log):
            with open(log, errors="replace") as f:
                text = f.read()
            if name + " login:" in text:
                break
        time.sleep(1)
    return text, time.monotonic() - start


def boot_guest(work, name, qemus):
    """Boots NAME with the QEMU command Domus makes of its .cfg (its vif forwards a host port
    to SSH); returns that port, the serial text and the seconds to "NAME login:"."""
    run_dir = os.path.join(work, "run-" + name)
    os.mkdir(run_dir)
    cfg = os.path.join(work, "configs", name + ".cfg")
    command = subprocess.run([TOOL, "--qemu-command", cfg, run_dir],
                             capture_output=True, text=True, check=True).stdout.splitlines()
    qemus.append(subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                  stderr=open(os.path.join(run_dir, "qemu.err"), "w")))
    text, seconds = wait_for_login(os.path.join(run_dir, "serial.log"), name, lambda: qemus[-1].poll() is None)
    return forwarded_ssh_port(cfg), text, seconds


def ssh_key(key, port, command):
    """Runs COMMAND as root with KEY, retrying while sshd comes up; the last answer."""
    answer = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        answer = subprocess.run(SSH + ["-o", "BatchMode=yes", "-i", key, "-p", str(port), "root@127.0.0.1", command],
                                capture_output=True, text=True, timeout=60)
        if answer.returncode == 0:
            break
        time.sleep(3)
    return answer


def main():
    if not os.access(TOOL, os.X_OK):
        print("1..0 # SKIP %s is not built" % TOOL)
        return 0
    if not archive_reachable():
        print("1..0 # SKIP Debian's archive (%s, suite %s) is not reachable from here" % (ARCHIVE, SUITE))
        return 0
    print("1..16", flush=True)
    work = tempfile.mkdtemp(prefix="domus-debian-")
    qemus = []
    try:
        key = os.path.join(work, "id_ed25519")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
        password = os.path.join(work, "password")
        with open(password, "w") as f:
            f.write("domus-test-password\n")

        before = store_listing(work)
        result = build(work, "nosuch", "--suite", "domus-no-such-suite", "--ssh-key", key + ".pub")
        tap(result.returncode == 1 and result.stderr.startswith("error %d:" % UNKNOWN_SUITE)
            and store_listing(work) == before,
            "a suite the archive does not have is refused by name and nothing is left",
            result.stdout + result.stderr)
        result = build(work, "nonet", "--mirror", "http://127.0.0.1:9/debian", "--ssh-key", key + ".pub")
        tap(result.returncode == 1 and result.stderr.startswith("error %d:" % NO_ARCHIVE)
            and store_listing(work) == before,
            "an archive that does not answer is named as the cause and nothing is left",
            result.stdout + result.stderr)

        # Cancelled in the middle of mmdebstrap's work (in a store of its own, so the base is
        # being built): nothing left, no process of the build still running.
        cancel_work = os.path.join(work, "cancel")
        os.mkdir(cancel_work)
        result = build(cancel_work, "gone", "--ssh-key", key + ".pub", "--cancel-at", "bootstrapping:20")
        time.sleep(2)
        running = [pid for pid in os.listdir("/proc") if pid.isdigit() and cancel_work in proc_cmdline(pid)]
        tap(result.returncode == 1 and "cancelling" in result.stdout and store_listing(cancel_work) == []
            and os.listdir(os.path.join(cancel_work, "images")) == [] and not running,
            "a build cancelled while packages install leaves no file and no process",
            result.stdout + result.stderr + " ".join(running))

        start = time.monotonic()
        result = build(work, "deb1", "--ssh-key", key + ".pub", "--root-password-file", password)
        first = time.monotonic() - start
        tap(result.returncode == 0 and "built base=1" in result.stdout,
            "the first guest builds the suite's base image (%.0f s)" % first, result.stdout + result.stderr)
        base = re.search(r"base_path=(\S+)", result.stdout)
        base = base.group(1) if base else os.path.join(work, "images", "no-base-reported")
        stages = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("progress ")]
        tap(stages[:1] == ["checking"] and "bootstrapping" in stages and stages[-1:] == ["done"],
            "progress comes as stages: " + " ".join(dict.fromkeys(stages)), result.stdout)

        start = time.monotonic()
        result = build(work, "deb2", "--hostname", "deb2.example", "--ssh-key", key + ".pub",
                       "--root-password-file", password)
        second = time.monotonic() - start
        tap(result.returncode == 0 and "built base=0" in result.stdout and second < 30,
            "a second guest is an overlay on the base (%.1f s)" % second, result.stdout + result.stderr)
        info = subprocess.run(["qemu-img", "info", "-U", os.path.join(work, "images", "deb2.qcow2")],
                              capture_output=True, text=True).stdout
        tap("backing file: %s" % os.path.basename(base) in info and os.path.basename(base).startswith("debian-" + SUITE),
            "the overlay's backing file is the base, by name (%s)" % os.path.basename(base), info)

        port, text, boot = boot_guest(work, "deb2", qemus)
        tap("deb2 login:" in text and port is not None,
            "the guest boots to its login prompt under TCG (%.0f s); its vif forwards host port %s to SSH"
            % (boot, port), text)
        answer = ssh_key(key, port, "hostname -f; cat /etc/hostname; id -u; cat /etc/ssh/ssh_host_ed25519_key.pub")
        words = answer.stdout.split() if answer else []
        tap(answer is not None and answer.returncode == 0 and words[:3] == ["deb2.example", "deb2.example", "0"],
            "root logs in over SSH with the key; the host name is the one asked for",
            (answer.stdout + answer.stderr) if answer else "")
        host_key = words[4:5]

        # The login prompts wait for the host name and root's password only (base format v3):
        # SSH's part of the seed (keys) is ordered before sshd alone, which requires it; the
        # password went into /etc/shadow by the shell, which keeps the file's owner and mode.
        answer = ssh_key(key, port, "systemctl show -p After --value serial-getty@ttyS0.service; "
                                    "systemctl show -p After --value getty@tty1.service; echo ==; "
                                    "systemctl show -p Requires -p After --value ssh.service; echo ==; "
                                    "systemctl is-active domus-guest-setup domus-guest-ssh; "
                                    "stat -c '%a %U %G' /etc/shadow /root/.ssh /root/.ssh/authorized_keys")
        parts = (answer.stdout if answer is not None else "").split("==")
        gettys, sshd, rest = (parts + ["", "", ""])[:3]
        tap(len(parts) == 3 and "domus-guest-setup.service" in gettys and "domus-guest-ssh" not in gettys
            and sshd.count("domus-guest-ssh.service") == 2
            and rest.split() == ["active", "active", "640", "root", "shadow", "700", "root", "root",
                                 "600", "root", "root"],
            "the login prompts wait for domus-guest-setup but not for the SSH keys, which sshd requires; "
            "/etc/shadow keeps its owner and mode", (answer.stdout + answer.stderr) if answer else "")

        # The guest grows its file system (2 GiB in the base) to its 4 GiB disk once sshd is
        # up, not before: the login prompt does not wait for it.
        size = 0
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and size <= 3 << 30:
            answer = ssh_key(key, port, "df -B1 --output=size / | tail -n 1")
            size = int(answer.stdout) if answer is not None and answer.stdout.strip().isdigit() else 0
            if size <= 3 << 30:
                time.sleep(5)
        tap(size > 3 << 30, "the guest's root file system is grown to its 4 GiB disk (%d bytes)" % size,
            (answer.stdout + answer.stderr) if answer else "")

        # The password, given to ssh by an askpass program (no terminal needed).
        askpass = os.path.join(work, "askpass")
        with open(askpass, "w") as f:
            f.write("#!/bin/sh\necho domus-test-password\n")
        os.chmod(askpass, 0o700)
        env = dict(os.environ, SSH_ASKPASS=askpass, SSH_ASKPASS_REQUIRE="force", DISPLAY=":none")
        answer = subprocess.run(SSH + ["-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password",
                                       "-o", "NumberOfPasswordPrompts=1", "-p", str(port), "root@127.0.0.1", "id -un"],
                                capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL)
        tap(answer.returncode == 0 and answer.stdout.strip() == "root",
            "root logs in over SSH with the password from the password file", answer.stdout + answer.stderr)

        # A clone of the shut-off guest comes up under its own name, as a new machine.
        subprocess.run(SSH + ["-o", "BatchMode=yes", "-i", key, "-p", str(port), "root@127.0.0.1", "poweroff"],
                       capture_output=True, timeout=60)
        try:
            qemus[-1].wait(timeout=180)
        except subprocess.TimeoutExpired:
            qemus[-1].kill()
            qemus[-1].wait()
        result = subprocess.run([TOOL, "--images", os.path.join(work, "images"), "--configs",
                                 os.path.join(work, "configs"), "--clone", os.path.join(work, "configs", "deb2.cfg"),
                                 "deb3"], capture_output=True, text=True)
        deb2_port = port
        port, text, boot = boot_guest(work, "deb3", qemus) if result.returncode == 0 else (0, "", 0)
        answer = ssh_key(key, port, "hostname; cat /etc/ssh/ssh_host_ed25519_key.pub") if "deb3 login:" in text else None
        words = answer.stdout.split() if answer is not None and answer.returncode == 0 else []
        tap(words[:1] == ["deb3"] and host_key != [] and words[2:3] != host_key and port != deb2_port,
            "a clone of the shut-off guest boots as deb3 with SSH host keys of its own, reached on a "
            "host port of its own (%s, not %s) (%.0f s)" % (port, deb2_port, boot),
            result.stdout + result.stderr + text[-2000:] + " ".join(words))

        # The same through domusd: image.debian (an overlay on the base built above, which the
        # daemon's store shares), then domain.start, to the login prompt on its serial console,
        # and SSH through the forward the daemon's QEMU sets up.
        root = os.path.join(work, "daemon")
        os.makedirs(root)
        os.symlink(os.path.join(work, "images"), os.path.join(root, "images"))
        daemon = lib_domus.Daemon(root).wait_listening()
        try:
            with open(key + ".pub") as f:
                keys = f.read()
            built = lib_domus.rpc_call(daemon.socket_path, "image.debian", name="deb4", ssh_keys=keys)
            lib_domus.rpc_call(daemon.socket_path, "domain.start", name="deb4")
            text, boot = wait_for_login(os.path.join(root, "run", "deb4", "serial.log"), "deb4", lambda: True)
            tap(not built["base_built"] and "deb4 login:" in text,
                "image.debian through domusd makes a guest that domain.start boots to its login prompt, "
                "with the daemon's default translation cache (%.0f s)" % boot, json.dumps(built) + text[-2000:])
            answer = ssh_key(key, built["ssh_port"], "hostname") if "deb4 login:" in text else None
            tap(built["ssh_port"] > 0 and answer is not None and answer.returncode == 0
                and answer.stdout.strip() == "deb4",
                "root logs in over SSH through the port forward of the daemon's guest (port %s)" % built["ssh_port"],
                (answer.stdout + answer.stderr) if answer else json.dumps(built))
        except lib_domus.Failure as failure:
            tap(False, "image.debian through domusd", str(failure) + daemon.log_text())
        finally:
            daemon.stop()

        result = subprocess.run([TOOL, "--probe", base, "qcow2"],
                                capture_output=True, text=True)
        tap(result.returncode == 0 and result.stdout.startswith("cloud-init absent:"),
            "the probe finds a Linux system without cloud-init in the base image", result.stdout + result.stderr)
    finally:
        for qemu in qemus:
            if qemu.poll() is None:
                qemu.kill()
                qemu.wait()
        if os.environ.get("DOMUS_KEEP_TEST_DIR") is None:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("# kept " + work)
    return 1 if failed else 0


sys.exit(main())
