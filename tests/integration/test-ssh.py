#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""domusctl over ssh:// against a real OpenSSH server on a loopback port.

Usage: test-ssh.py GUEST_DIR   (DOMUS_BUILD_DIR from the environment)

The test starts its own domusd (--root, TCG) and its own sshd (throwaway host and
client keys, loopback only). Host keys: unknown refused with the fingerprint ssh-keygen
prints, accepted on a terminal and saved as OpenSSH reads it, changed refused. A wrong
client key is refused plainly. Over SSH, list equals the local list, a guest is created,
its serial console read, its screen captured by gvnccapture through `domusctl vnc`, and
it is destroyed. Everything started here is ended by PID. Output is TAP, the plan last.
"""

import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib_domus import (DOMUSCTL, Daemon, Failure, Tap, check, guest_cfg,  # noqa: E402
                       pid_alive, qemu_pids, wait_until)
from lib_qemu import end_process, make_temp_dir  # noqa: E402
from lib_sshd import Sshd, fingerprint  # noqa: E402

NAME = "sshguest"
BOOT_TIMEOUT = 120.0


def ctl(uri, *args, timeout=60):
    """domusctl with no terminal at all (a new session has no controlling tty)."""
    env = dict(os.environ)
    env.pop("SSH_AUTH_SOCK", None)
    return subprocess.run([DOMUSCTL, "--connect", uri] + list(args), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout, env=env,
                          start_new_session=True)


def ctl_on_terminal(uri, answer, *args, timeout=60, prompt=b"(yes/no)"):
    """domusctl on a pseudo-terminal; answers `answer` to the first question ending in prompt."""
    env = dict(os.environ)
    env.pop("SSH_AUTH_SOCK", None)
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(DOMUSCTL, [DOMUSCTL, "--connect", uri] + list(args), env)
    output = b""
    answered = False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
        if not answered and prompt in output:
            os.write(fd, answer.encode() + b"\n")
            answered = True
    else:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode("utf-8", "replace"), answered


def comparable(listing):
    """A domain list without what changes from one second to the next."""
    out = []
    for d in json.loads(listing):
        out.append({k: v for k, v in d.items() if not k.startswith("cpu_time") and k != "flags"})
    return out


class Background:
    """A domusctl left running (console, vnc), its output collected; ended by PID."""

    def __init__(self, args):
        self.proc = subprocess.Popen([DOMUSCTL] + args, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     start_new_session=True)
        os.set_blocking(self.proc.stdout.fileno(), False)
        self.data = b""

    def read(self):
        try:
            chunk = self.proc.stdout.read()
        except (OSError, ValueError):
            chunk = None
        if chunk:
            self.data += chunk
        return self.data.decode("latin-1")

    def stop(self):
        end_process(self.proc)
        err = self.proc.stderr.read().decode("utf-8", "replace")
        return err


def main():
    guest_dir = sys.argv[1]
    tap = Tap()
    root = make_temp_dir("domus-ssh-")
    os.chmod(root, 0o755)
    daemon = sshd = None
    background = []
    try:
        daemon = Daemon(root).wait_listening()
        sshd_dir = os.path.join(root, "sshd")
        os.mkdir(sshd_dir, 0o700)
        sshd = Sshd(sshd_dir).start()
        known_hosts = os.path.join(root, "known_hosts")
        socket_query = "&socket=" + daemon.socket_path
        uri = sshd.uri(known_hosts) + socket_query
        host_fingerprint = fingerprint(sshd.host_key + ".pub")
        cfg = os.path.join(root, NAME + ".cfg")
        with open(cfg, "w") as f:
            f.write(guest_cfg(guest_dir, NAME))

        def unknown_key_refused():
            r = ctl(uri, "list")
            check(r.returncode == 1, "exit status %d: %s" % (r.returncode, r.stderr))
            check(host_fingerprint in r.stderr,
                  "the message lacks the fingerprint %s: %r" % (host_fingerprint, r.stderr))
            check("ssh-ed25519" in r.stderr, "the message lacks the key type: %r" % r.stderr)
            check(not os.path.exists(known_hosts), "known_hosts was written")

        def refused_on_terminal():
            status, out, answered = ctl_on_terminal(uri, "no", "list")
            check(answered, "no question was asked:\n" + out)
            check(host_fingerprint in out, "the question lacks the fingerprint:\n" + out)
            check(status == 1, "exit status %d:\n%s" % (status, out))
            check(not os.path.exists(known_hosts), "known_hosts was written")

        def accepted_on_terminal():
            status, out, answered = ctl_on_terminal(uri, "yes", "list")
            check(answered and status == 0, "status %d, asked %s:\n%s" % (status, answered, out))
            check("Domain-0" in out, "no listing after accepting:\n" + out)
            with open(known_hosts) as f:
                lines = f.read().splitlines()
            check(len(lines) == 1 and lines[0].startswith("|1|"), "known_hosts: %r" % lines)
            # OpenSSH itself must find the entry we wrote.
            r = subprocess.run(["ssh-keygen", "-F", "[127.0.0.1]:%d" % sshd.port, "-f", known_hosts],
                               capture_output=True, text=True)
            check(r.returncode == 0, "ssh-keygen -F does not find it:\n" + r.stdout + r.stderr)
            check(oct(os.stat(known_hosts).st_mode & 0o777) == "0o600", "known_hosts mode")

        def list_equals_local():
            remote = ctl(uri, "list", "--all", "--json")
            local = ctl(daemon.uri, "list", "--all", "--json")
            check(remote.returncode == 0, remote.stderr)
            check(comparable(remote.stdout) == comparable(local.stdout),
                  "over ssh:\n%s\nlocally:\n%s" % (remote.stdout, local.stdout))

        def create_over_ssh():
            r = ctl(uri, "create", cfg, timeout=120)
            check(r.returncode == 0, "create: %d %s" % (r.returncode, r.stderr))
            local = ctl(daemon.uri, "list", "--json")
            names = {d["name"]: d for d in json.loads(local.stdout)}
            check(NAME in names and names[NAME]["id"], "not running locally:\n" + local.stdout)

        def console_over_ssh():
            console = Background(["--connect", uri, "console", NAME])
            background.append(console)
            seen = wait_until(lambda: "domus-test-guest ready" in console.read()
                              or console.proc.poll() is not None, BOOT_TIMEOUT, 0.5)
            seen = "domus-test-guest ready" in console.read()
            err = console.stop()
            check(seen, "no 'ready' line on the serial console in %.0f s:\n%s\n%s"
                  % (BOOT_TIMEOUT, console.read()[-2000:], err))

        def vnc_over_ssh():
            vnc = Background(["--connect", uri, "vnc", NAME])
            background.append(vnc)
            wait_until(lambda: "\n" in vnc.read() or vnc.proc.poll() is not None, 30, 0.1)
            if "\n" not in vnc.read():
                raise Failure("vnc printed no address: " + vnc.stop())
            address = vnc.read().splitlines()[0]
            check(address.startswith("127.0.0.1:"), "listens on %r" % address)
            port = int(address.rsplit(":", 1)[1])
            shot = os.path.join(root, "screen.png")
            # gvnccapture takes a display number: port 5900 + N is display N.
            check(port >= 5900, "port %d is below the VNC range" % port)
            r = subprocess.run(["gvnccapture", "127.0.0.1:%d" % (port - 5900), shot], capture_output=True,
                               text=True, timeout=60, stdin=subprocess.DEVNULL)
            err = vnc.stop()
            check(r.returncode == 0 and os.path.exists(shot),
                  "gvnccapture: %d %s %s\n%s" % (r.returncode, r.stdout, r.stderr, err))
            colours = subprocess.run(["identify", "-format", "%k", shot], capture_output=True,
                                     text=True).stdout.strip()
            check(colours.isdigit() and int(colours) >= 2,
                  "the screenshot is blank (%s colours)" % colours)

        def destroy_over_ssh():
            pids = qemu_pids(root)
            r = ctl(uri, "destroy", NAME)
            check(r.returncode == 0, r.stderr)
            local = ctl(daemon.uri, "list")
            check(NAME not in local.stdout, "still listed:\n" + local.stdout)
            check(wait_until(lambda: not any(pid_alive(p) for p in pids), 15), "QEMU lives on")

        def wrong_client_key():
            r = ctl(sshd.uri(known_hosts, keyfile=sshd.stranger_key) + socket_query, "list")
            check(r.returncode == 1, "exit status %d" % r.returncode)
            check("did not let us in" in r.stderr and sshd.stranger_key in r.stderr,
                  "unclear message: %r" % r.stderr)

        def changed_key_refused():
            changed = os.path.join(root, "known_hosts.changed")
            with open(sshd.stranger_key + ".pub") as f:
                kind, blob = f.read().split()[:2]
            text = "[127.0.0.1]:%d %s %s\n" % (sshd.port, kind, blob)
            with open(changed, "w") as f:
                f.write(text)
            r = ctl(sshd.uri(changed) + socket_query, "list")
            check(r.returncode == 1, "exit status %d: %s" % (r.returncode, r.stdout))
            check("CHANGED" in r.stderr and host_fingerprint in r.stderr, "message: %r" % r.stderr)
            with open(changed) as f:
                check(f.read() == text, "known_hosts was changed")

        def no_verify_says_so():
            fresh = os.path.join(root, "known_hosts.none")
            r = ctl(sshd.uri(fresh) + socket_query + "&no_verify=1", "list")
            check(r.returncode == 0, r.stderr)
            check("not checked" in r.stderr, "no warning: %r" % r.stderr)
            check(not os.path.exists(fresh), "known_hosts was written")

        def sshd_killed_and_back():
            monitor = Background(["--connect", uri, "monitor", "--retry-delay", "200"])
            background.append(monitor)
            lines = lambda: monitor.read().splitlines()  # noqa: E731
            connected = lambda: [l for l in lines() if " connected " in l]  # noqa: E731
            check(wait_until(lambda: connected() or monitor.proc.poll() is not None, 30, 0.1)
                  and connected(), "monitor never connected:\n" + monitor.read())
            sshd.kill()
            dropped = lambda: [l for l in lines() if " disconnected " in l]  # noqa: E731
            check(wait_until(dropped, 30, 0.1), "no disconnected line:\n" + monitor.read())
            check("SSH connection" in dropped()[0] and "lost" in dropped()[0],
                  "the reason is not given: %r" % dropped()[0])
            sshd.start()
            check(wait_until(lambda: len(connected()) >= 2, 45, 0.1),
                  "not back after sshd returned:\n" + monitor.read())
            err = monitor.stop()
            check(monitor.proc.returncode == 0, "monitor ended with %d: %s"
                  % (monitor.proc.returncode, err))

        def agent_login():
            agent = subprocess.run(["ssh-agent", "-s"], capture_output=True, text=True, check=True)
            sock = re.search(r"SSH_AUTH_SOCK=([^;]+);", agent.stdout).group(1)
            agent_pid = int(re.search(r"SSH_AGENT_PID=(\d+);", agent.stdout).group(1))
            try:
                env = dict(os.environ, SSH_AUTH_SOCK=sock)
                subprocess.run(["ssh-add", "-q", sshd.client_key], env=env, check=True,
                               capture_output=True)
                # No keyfile: the agent's key is the only one that can let us in.
                agent_uri = uri.replace("keyfile=%s&" % sshd.client_key, "")
                check("keyfile" not in agent_uri, agent_uri)
                r = subprocess.run([DOMUSCTL, "--connect", agent_uri, "list"], env=env,
                                   stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                   timeout=60, start_new_session=True)
                check(r.returncode == 0 and "Domain-0" in r.stdout, "%d %s" % (r.returncode, r.stderr))
            finally:
                os.kill(agent_pid, signal.SIGTERM)

        def passphrase_asked():
            locked = os.path.join(root, "locked_ed25519")
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "s3cret word", "-f", locked],
                           check=True, stdin=subprocess.DEVNULL)
            with open(locked + ".pub") as src, open(sshd.authorized, "a") as dst:
                dst.write(src.read())
            locked_uri = sshd.uri(known_hosts, keyfile=locked) + socket_query
            status, out, answered = ctl_on_terminal(locked_uri, "s3cret word", "list",
                                                    prompt=b"Passphrase for ")
            check(answered, "no passphrase was asked:\n" + out)
            check(status == 0 and "Domain-0" in out, "status %d:\n%s" % (status, out))
            check("s3cret" not in out, "the passphrase was echoed:\n" + out)
            r = ctl(locked_uri, "list")
            check(r.returncode == 1 and "did not let us in" in r.stderr,
                  "without a terminal: %d %r" % (r.returncode, r.stderr))

        def bridge_missing():
            # Without socket= the bridge must run (it starts the session daemon).
            bad = sshd.uri(known_hosts).replace("bridge=", "bridge=/nonexistent/")
            r = ctl(bad, "list")
            check(r.returncode == 1, "exit status %d" % r.returncode)
            # The shell's status 127: what to install there (test-ssh-no-domus.py has the rest).
            check("Domus is not installed" in r.stderr and "/nonexistent/" in r.stderr,
                  "message: %r" % r.stderr)
            # With socket=, sshd forwards the daemon's socket itself: no bridge is run.
            r = ctl(bad + socket_query, "list")
            check(r.returncode == 0 and "Domain-0" in r.stdout, "with socket=: %d %r" % (r.returncode, r.stderr))

        steps = [
            ("an unknown host key is refused with its fingerprint when no terminal can ask",
             unknown_key_refused),
            ("an unknown host key refused on a terminal is not saved", refused_on_terminal),
            ("an unknown host key accepted on a terminal is saved, hashed, as OpenSSH reads it",
             accepted_on_terminal),
            ("list over ssh:// equals the local list", list_equals_local),
            ("create over ssh:// starts the guest on the host", create_over_ssh),
            ("console over ssh:// shows the guest's serial output", console_over_ssh),
            ("vnc over ssh://: gvnccapture takes a non-blank screenshot", vnc_over_ssh),
            ("destroy over ssh:// ends the guest and its QEMU", destroy_over_ssh),
            ("a client key the server does not know is refused, saying what was tried",
             wrong_client_key),
            ("a changed host key is refused and known_hosts left alone", changed_key_refused),
            ("no_verify=1 connects and says the key was not checked", no_verify_says_so),
            ("a remote bridge that is not there is reported as Domus not installed (without socket=; "
             "with it, sshd forwards the socket and no bridge runs)", bridge_missing),
            ("ssh-agent's key logs in", agent_login),
            ("an encrypted key's passphrase is asked on the terminal, not echoed", passphrase_asked),
            ("sshd killed mid-session: the host goes disconnected with the reason, and comes back",
             sshd_killed_and_back),
        ]
        for description, function in steps:
            tap.step(description, function)
    except Failure as e:
        tap.ok(False, "setup", str(e))
    finally:
        for b in background:
            b.stop()
        if sshd is not None:
            sshd.kill()
        if daemon is not None:
            daemon.stop()
        tap.remove_if_passed(root)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
