#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The daemon's domain lifecycle at the protocol level: events, on_* actions, stats,
MAC write-back, config edits, autostart and reattach, with the real test guest.

Usage: test-domains.py GUEST_DIR   (DOMUS_BUILD_DIR from the environment)

Everything lives under a fresh --root folder. The test ends only what it started,
by PID: its daemons, and the QEMUs their run folders record. Output is TAP.
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib_domus import (RpcClient as Client, Tap, event_is, pid_alive, qemu_pids, qemu_processes,  # noqa: E402
                       wait_guest_ready, wait_until)
from lib_qemu import READY_LINE, make_temp_dir, ticks_in  # noqa: E402

BUILD_DIR = os.environ["DOMUS_BUILD_DIR"]
DOMUSD = os.path.join(BUILD_DIR, "hvcore", "domusd")
GUEST_DIR = sys.argv[1]
KERNEL = os.path.join(GUEST_DIR, "vmlinuz")
INITRD = os.path.join(GUEST_DIR, "initrd.img")


def guest_config(name, extra=""):
    return (
        'name = "%s"\n'
        'kernel = "%s"\n'
        'ramdisk = "%s"\n'
        "memory = 128\n"
        "vif = [ 'model=e1000' ]\n"
        '%s' % (name, KERNEL, INITRD, extra))


class Daemon:
    def __init__(self, root):
        self.root = root
        self.socket = os.path.join(root, "domusd.sock")
        self.log = open(os.path.join(root, "domusd.log"), "ab")
        env = dict(os.environ, DOMUS_ACCEL="tcg", G_MESSAGES_DEBUG="all")
        self.process = subprocess.Popen(
            [DOMUSD, "--root", root, "--name", "testhost", "--stats-interval", "200"],
            stdout=self.log, stderr=self.log, env=env)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                self.client = Client(self.socket)
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("domusd did not listen")

    def stop(self, sig=signal.SIGTERM):
        self.client.close()
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def all_gone(processes, timeout=15.0):
    """Whether every process of {pid: start} (qemu_processes) is gone within timeout s."""
    return wait_until(lambda: not any(pid_alive(pid, start) for pid, start in processes.items()),
                      timeout, 0.05)


def serial_log(root, name):
    try:
        with open(os.path.join(root, "run", name, "serial.log"), errors="replace") as f:
            return f.read().splitlines()
    except OSError:
        return []


def wait_serial(root, name, predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = serial_log(root, name)
        if predicate(lines):
            return True
        time.sleep(0.2)
    return False


def main():
    tap = Tap(29)
    root = make_temp_dir("domus-domains-")
    # Every QEMU the test saw, {pid: start}: its pid alone may name another's process later.
    started_pids = {}
    daemon = None
    try:
        daemon = Daemon(root)
        c = daemon.client

        hello = c.result("hello")
        tap.ok(hello["accelerator"] == "tcg" and hello["accelerator_probed"] is False
               and "domain.create" in hello["capabilities"],
               "hello: TCG chosen by DOMUS_ACCEL, domain methods listed", json.dumps(hello))

        # A vif without mac= gets one written back at the first start.
        created = c.result("domain.create", config=guest_config("alpha"), filename="alpha.cfg")
        info = c.result("domain.get", name="alpha")
        started_pids.update(qemu_processes(root))
        tap.ok(created["id"] == 1 and info["state"] in ("running", "blocked"),
               "create answers once the guest runs, with id 1", json.dumps(info))
        tap.ok(c.wait_notification(event_is("alpha", "defined"), 30) is not None
               and c.wait_notification(event_is("alpha", "started"), 30) is not None,
               "domain.event: defined, then started")
        with open(info["config"]) as f:
            text = f.read()
        tap.ok(re.search(r"mac=00:16:3e:[0-9a-f:]{8}", text) is not None,
               "the generated MAC is written back into the config", text)
        tap.ok(wait_serial(root, "alpha", lambda lines: READY_LINE in "\n".join(lines)),
               "the guest boots to userland", "\n".join(serial_log(root, "alpha")[-5:]))

        # Stats: history at once, then samples for subscribers.
        time.sleep(1.0)
        history = c.result("stats.get")
        last = history["samples"][-1] if history["samples"] else {}
        alpha = [d for d in last.get("domains", []) if d["name"] == "alpha"]
        tap.ok(history["interval_ms"] == 200 and len(history["samples"]) >= 3 and alpha
               and alpha[0]["cpu_time_ns"] > 0 and alpha[0]["rss_mib"] > 0
               and alpha[0]["net_rx_bytes"] is None and last["host"]["memory_mib"] > 0,
               "stats.get: recent history with CPU time and RSS; no net counters for user-mode",
               json.dumps(last)[:600])
        c.result("stats.subscribe")
        sample = c.wait_notification(lambda m: m.get("method") == "stats.sample", 30)
        tap.ok(sample is not None and any(d["name"] == "alpha" for d in sample["params"]["domains"]),
               "stats.subscribe: stats.sample notifications arrive")
        c.result("stats.subscribe", enable=False)
        too_fast = c.call("stats.set_interval", interval_ms=50)
        c.result("stats.set_interval", interval_ms=300)
        tap.ok(too_fast.get("error", {}).get("data", {}).get("kind") == "invalid-params"
               and c.result("stats.get")["interval_ms"] == 300,
               "stats.set_interval takes 100..60000 ms and refuses the rest", json.dumps(too_fast))

        # Pause and unpause.
        c.result("domain.pause", name="alpha")
        paused = c.wait_notification(event_is("alpha", "paused"), 10)
        tap.ok(paused is not None and paused["params"]["flags"] == "--p---",
               "pause: event with --p---", json.dumps(paused))
        c.result("domain.unpause", name="alpha")
        tap.ok(c.wait_notification(event_is("alpha", "unpaused"), 10) is not None,
               "unpause: event")

        # Config edits: a value, a removal, refusals that change nothing.
        new_text = c.result("domain.set_values", name="alpha",
                            values={"vcpus": 2, "on_crash": "destroy", "extra": None})["config"]
        tap.ok("vcpus = 2" in new_text and re.search(r"on_crash = [\"']destroy[\"']", new_text),
               "set_values writes values in the config", new_text)
        # Tags are labels: a running domain's new tags show at once, not at its next start.
        c.result("domain.set_values", name="alpha", values={"tags": ["web", "lab"]})
        got = c.result("domain.get", name="alpha")
        listed = {d["name"]: d for d in c.result("domain.list", all=True)["domains"]}
        tap.ok(got["state"] in ("running", "blocked") and got["tags"] == ["web", "lab"]
               and listed["alpha"]["tags"] == ["web", "lab"],
               "a running domain's new tags show at once in domain.get and domain.list",
               json.dumps([got, listed["alpha"]]))
        before = c.result("domain.get_config", name="alpha")["config"]
        bad = c.call("domain.set_values", name="alpha", values={"memory": "lots"})
        renamed = c.call("domain.set_values", name="alpha", values={"name": "beta"})
        after = c.result("domain.get_config", name="alpha")["config"]
        tap.ok(bad.get("error", {}).get("data", {}).get("kind") == "invalid-config"
               and "memory" in bad["error"]["message"]
               and renamed.get("error", {}).get("data", {}).get("kind") == "invalid-params"
               and before == after,
               "a bad value or a rename is refused and the file stays", json.dumps([bad, renamed]))

        # Killing QEMU is a crash; the live config still says on_crash = restart.
        old_pid = c.result("domain.get", name="alpha")
        pid = qemu_pids(root)[0]
        os.kill(pid, signal.SIGKILL)
        crashed = c.wait_notification(event_is("alpha", "crashed"), 15)
        restarted = c.wait_notification(event_is("alpha", "started"), 30)
        started_pids.update(qemu_processes(root))
        again = c.result("domain.get", name="alpha")
        tap.ok(crashed is not None and restarted is not None and restarted["params"]["id"] == 2
               and again["memory_mib"] == 128 and again["vcpus"] == 2,
               "a killed QEMU is reported crashed and on_crash=restart starts it again (id 2)",
               json.dumps([old_pid["id"], crashed, restarted, again]))

        # Now the file says on_crash = destroy (read at that restart): a kill leaves it off.
        pid = qemu_pids(root)[0]
        os.kill(pid, signal.SIGKILL)
        crashed = c.wait_notification(event_is("alpha", "crashed"), 15)
        time.sleep(1.0)
        state = c.result("domain.get", name="alpha")
        tap.ok(crashed is not None and state["state"] == "shutoff"
               and not os.path.exists(os.path.join(root, "run", "alpha")),
               "with on_crash=destroy a crash leaves it off and its run folder removed",
               json.dumps(state))

        def start_alpha():
            c.result("domain.start", name="alpha")
            started_pids.update(qemu_processes(root))

        def start_alpha_again():
            """After a hung boot (wait_guest_ready says so in the log): a fresh QEMU."""
            c.result("domain.destroy", name="alpha")
            start_alpha()

        # ACPI shutdown with wait, and on_poweroff = preserve.
        c.result("domain.set_values", name="alpha", values={"on_poweroff": "preserve"})
        start_alpha()
        wait_guest_ready(root, "alpha", start_alpha_again)
        c.result("domain.shutdown", name="alpha")
        kept = c.wait_notification(event_is("alpha", "shutdown"), 60)
        state = c.result("domain.get", name="alpha")
        tap.ok(kept is not None and state["flags"] == "---s--" and qemu_pids(root),
               "on_poweroff=preserve keeps the powered-off domain as ---s--", json.dumps(state))
        c.result("domain.destroy", name="alpha")
        tap.ok(all_gone(started_pids) and
               not os.path.exists(os.path.join(root, "run", "alpha")),
               "destroy of the kept domain leaves no QEMU and no run folder")

        c.result("domain.set_values", name="alpha", values={"on_poweroff": None})
        start_alpha()
        wait_guest_ready(root, "alpha", start_alpha_again)
        this_qemu = qemu_processes(root)
        t0 = time.monotonic()
        reply = c.call("domain.shutdown", name="alpha", wait=True, timeout=90)
        state = c.result("domain.get", name="alpha")
        # The daemon answers once QEMU is a zombie or gone (hv-domain.c: poll_gone, then
        # "ended"): the second is leeway for this test's own scheduling, not a wait.
        tap.ok("result" in reply and state["state"] == "shutoff" and this_qemu and all_gone(this_qemu, 1),
               "shutdown --wait answers once the guest powered itself off (%.1f s)" % (time.monotonic() - t0),
               json.dumps([reply, state, {pid: pid_alive(pid, start) for pid, start in this_qemu.items()}]))

        # Bad input changes nothing.
        missing = c.call("domain.create", config=guest_config("gamma").replace(KERNEL, "/nonexistent/vmlinuz"))
        listed = [d["name"] for d in c.result("domain.list", all=True)["domains"]]
        tap.ok(missing.get("error", {}).get("data", {}).get("kind") == "invalid-config"
               and "/nonexistent/vmlinuz" in missing["error"]["message"] and "gamma" not in listed
               and not os.path.exists(os.path.join(root, "run", "gamma")),
               "a missing kernel is refused before QEMU and nothing is defined", json.dumps(missing))
        huge = c.call("domain.create", config=guest_config("delta").replace("memory = 128", "memory = 4000000"))
        listed = [d["name"] for d in c.result("domain.list", all=True)["domains"]]
        tap.ok(huge.get("error", {}).get("data", {}).get("kind") == "failed"
               and "memory" in huge["error"]["message"] and "delta" not in listed
               and not os.path.exists(os.path.join(root, "run", "delta")) and not qemu_pids(root),
               "QEMU's own refusal is the error; no definition, run folder or process stays",
               json.dumps(huge))
        duplicate = c.call("domain.create", config=guest_config("alpha", "vcpus = 1\n"))
        tap.ok(duplicate.get("error", {}).get("data", {}).get("kind") == "already-exists",
               "a different config under a taken name is refused", json.dumps(duplicate))
        unparsable = c.call("domain.define", config="name = 'x'\nmemory = [\n", filename="broken.cfg")
        tap.ok(unparsable.get("error", {}).get("data", {}).get("kind") == "invalid-config"
               and "broken.cfg:" in unparsable["error"]["message"],
               "an unparseable config names the file and line", json.dumps(unparsable))

        # The image store refuses what it cannot do, and leaves nothing half-made.
        made = c.result("image.create", name="base.qcow2", format="qcow2", size_bytes=64 * 1024 * 1024)
        clone = c.result("image.clone", source="base.qcow2", name="copy.qcow2")
        refusals = [c.call("image.create", name=n, format="raw", size_bytes=1024)
                    for n in ("../escape", ".hidden", "a/b", "base.qcow2")]
        no_source = c.call("image.clone", source="missing.img", name="never.img")
        kinds = [r.get("error", {}).get("data", {}).get("kind") for r in refusals + [no_source]]
        leftovers = sorted(os.listdir(os.path.join(root, "images")))
        records = sorted(os.listdir(os.path.join(root, "images", ".domus-formats")))
        tap.ok(made["format"] == "qcow2" and made["size_bytes"] == 64 * 1024 * 1024
               and clone["format"] == "qcow2" and clone["size_bytes"] == made["size_bytes"]
               and kinds == ["invalid-params"] * 3 + ["already-exists", "no-such-image"]
               and leftovers == [".domus-formats", "base.qcow2", "copy.qcow2"]
               and records == ["base.qcow2", "copy.qcow2"],
               "image.create/clone make what was asked; bad names, taken names and missing sources are refused",
               json.dumps([made, clone, kinds, leftovers, records]))

        # Autostart and reattach across daemon restarts.
        c.result("domain.define", config=guest_config("auto"))
        c.result("domain.set_autostart", name="auto", autostart=True)
        c.result("domain.start", name="alpha")
        alpha_id = c.result("domain.get", name="alpha")["id"]
        started_pids.update(qemu_processes(root))
        wait_serial(root, "alpha", lambda lines: len(ticks_in(lines)) >= 1)
        daemon.stop(signal.SIGKILL)
        daemon = Daemon(root)
        c = daemon.client
        deadline = time.monotonic() + 30
        listing = {}
        while time.monotonic() < deadline:
            listing = {d["name"]: d for d in c.result("domain.list")["domains"]}
            if "auto" in listing:
                break
            time.sleep(0.2)
        started_pids.update(qemu_processes(root))
        tap.ok("alpha" in listing and listing["alpha"]["id"] == alpha_id,
               "after SIGKILL of the daemon, the next one reattaches: same id", json.dumps(listing))
        tap.ok("auto" in listing and listing["auto"]["autostart"] is True,
               "the next daemon starts the autostart domain", json.dumps(listing))
        before = len(ticks_in(serial_log(root, "alpha")))
        wait_serial(root, "alpha", lambda lines: len(ticks_in(lines)) > before + 1, timeout=20)
        after = len(ticks_in(serial_log(root, "alpha")))
        tap.ok(after > before, "the reattached guest keeps ticking (%d → %d ticks)" % (before, after))
        c.result("domain.pause", name="alpha")
        tap.ok(c.result("domain.get", name="alpha")["flags"] == "--p---",
               "the reattached domain obeys QMP commands")
        undefine_running = c.call("domain.undefine", name="auto")
        tap.ok(undefine_running.get("error", {}).get("data", {}).get("kind") == "already-running",
               "a running domain cannot be undefined")
        for name in ("alpha", "auto"):
            c.result("domain.destroy", name=name)
        tap.ok(all_gone(started_pids) and not qemu_pids(root),
               "destroy leaves no QEMU behind")
    except Exception as error:  # report instead of dying with QEMUs left over
        tap.ok(False, "unexpected error: %s" % error)
    finally:
        if daemon is not None:
            daemon.stop()
        started_pids.update(qemu_processes(root))
        for pid, start in started_pids.items():
            if pid_alive(pid, start):
                os.kill(pid, signal.SIGKILL)
        try:
            with open(os.path.join(root, "domusd.log"), errors="replace") as f:
                for line in f.read().splitlines()[-30:]:
                    print("# " + line)
        except OSError:
            pass
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
