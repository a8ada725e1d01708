#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Debian packages: built, checked by lintian, installed into a fresh Debian 12 root.

Usage: test-package.py SOURCE_DIR

In a folder of its own (nothing is written to the source tree or outside the folder):

- `dpkg-buildpackage -us -uc -b` on a copy of the source tree builds domusd, domus and
  domus-common; lintian finds no error and no warning (every tag it prints is shown);
- domusd's Depends name no GTK, gtk-vnc or X library, and the window only recommends it;
- the build profile pkg.domus.nogui (meson -Dgui=disabled) builds domusd and domus-common
  alone, and its domusd holds the same files;
- mmdebstrap makes a minimal Debian 12 root (started first: it downloads while the packages
  build), and in it, through chroot in a mount and PID namespace of its own:
  - apt installs domusd (without recommends, as on a headless host) and pulls in no GTK,
    gtk-vnc or X library, by the dependency closure nor by what got installed;
  - `domusd --version` and `domusctl --help` run;
  - the units are where `systemd-analyze unit-paths` says systemd looks, `systemd-analyze
    verify` accepts them, the system socket and daemon are enabled and the user units not;
  - the group domus exists, and `domusd --system` makes /run/domus/domusd.sock 0660
    root:domus in a 0711 /run/domus: a member of domus lists the domains, another user is
    refused with a message that names the group;
  - a guest's config and image, and a change to /etc/domus/domusd.conf, outlive an upgrade
    (the same files repacked as a later version) and a removal; purge removes the conffile
    only (and leaves the group);
  - the window installs, without the daemon, and `domus --help` runs.

Needs root (mmdebstrap and chroot), dpkg-buildpackage, debhelper, lintian and mmdebstrap
(.ci/packages lists them) and Debian's archive: without them it skips, saying what is
missing. Output is TAP; each step says how long it took.
"""

import os
import re
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))

from lib_domus import Failure, Tap, check  # noqa: E402
from lib_qemu import make_temp_dir  # noqa: E402

SOURCE_DIR = os.path.abspath(sys.argv[1])
SUITE = "bookworm"
TOOLS = ("dpkg-buildpackage", "dh", "lintian", "mmdebstrap", "unshare", "chroot")
BUILD_TIMEOUT = 1800
APT_TIMEOUT = 900
# Library packages that would mean a graphical stack came along.
GRAPHICAL_RE = re.compile(r"^(libgtk|libgtk-vnc|libgvnc|libgdk|libx11|libxcb|libwayland-client"
                          r"|libwayland-cursor|libgl1|libegl1)", re.M)


def run(args, timeout, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, **kwargs)


def tail(text, lines=40):
    return "\n".join(text.rstrip().splitlines()[-lines:])


def copy_source(destination):
    """The tree as git sees it (tracked and new files, not what .gitignore leaves out)."""
    r = None
    if shutil.which("git") is not None:
        r = run(["git", "-C", SOURCE_DIR, "ls-files", "-z", "--cached", "--others",
                 "--exclude-standard"], 60)
    if r is None or r.returncode != 0:
        shutil.copytree(SOURCE_DIR, destination, symlinks=True,
                        ignore=shutil.ignore_patterns(".git", "build*", "obj-*"))
        return
    for name in r.stdout.split("\0"):
        if not name or not os.path.lexists(os.path.join(SOURCE_DIR, name)):
            continue
        target = os.path.join(destination, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(os.path.join(SOURCE_DIR, name), target, follow_symlinks=False)


def mounts_under(path):
    """Mount points below path in this namespace (none, unless a tool left one behind)."""
    prefix = os.path.realpath(path) + "/"
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if line.split()[4].startswith(prefix)]


class Build:
    """One dpkg-buildpackage run in a copy of the source of its own."""

    def __init__(self, folder, profiles=None):
        self.folder = folder
        self.source = os.path.join(folder, "src")
        self.profiles = profiles
        self.debs = {}

    def run(self):
        os.makedirs(self.source)
        copy_source(self.source)
        args = ["dpkg-buildpackage", "-us", "-uc", "-b"]
        if self.profiles:
            args.append("--build-profiles=" + self.profiles)
        log_path = os.path.join(self.folder, "build.log")
        with open(log_path, "w") as log:
            r = subprocess.run(args, cwd=self.source, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, timeout=BUILD_TIMEOUT)
        with open(log_path, errors="replace") as f:
            self.log = f.read()
        check(r.returncode == 0, "dpkg-buildpackage: status %d\n%s" % (r.returncode, tail(self.log)))
        for name in os.listdir(self.folder):
            m = re.match(r"^([a-z0-9-]+)_([^_]+)_([a-z0-9]+)\.deb$", name)
            if m:
                self.debs[m.group(1)] = os.path.join(self.folder, name)
        self.changes = [os.path.join(self.folder, n) for n in os.listdir(self.folder)
                        if n.endswith(".changes")][0]

    def field(self, package, name):
        r = run(["dpkg-deb", "-f", self.debs[package], name], 60)
        return r.stdout.strip()

    def files(self, package):
        r = run(["dpkg-deb", "-c", self.debs[package]], 60)
        return sorted(line.split()[5] for line in r.stdout.splitlines())


class Root:
    """A Debian 12 root made by mmdebstrap; commands run in it through chroot."""

    def __init__(self, path, log_path):
        self.path = path
        self.log_path = log_path
        self.proc = None

    def start(self):
        # Its own mount namespace: whatever mmdebstrap mounts goes away with it, even if it is
        # killed. The package lists stay, so that apt in the root installs without an update.
        log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            ["unshare", "--mount", "--fork", "--kill-child",
             "mmdebstrap", "--mode=root", "--variant=minbase", "--skip=cleanup/apt/lists",
             "--aptopt=Acquire::Languages \"none\"", SUITE, self.path],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def wait(self, timeout):
        try:
            status = self.proc.wait(timeout=timeout)
        finally:
            self.stop()
        with open(self.log_path, errors="replace") as f:
            log = f.read()
        check(status == 0, "mmdebstrap: status %s\n%s" % (status, tail(log)))

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def sh(self, script, timeout=120):
        """script run by /bin/sh in the root, in PID and mount namespaces that end with it
        (every process it started ends too); /proc is the namespace's own."""
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C.UTF-8", "HOME": "/root",
               "DEBIAN_FRONTEND": "noninteractive"}
        return run(["unshare", "--mount", "--pid", "--fork", "--kill-child",
                    "--mount-proc=" + os.path.join(self.path, "proc"),
                    "chroot", self.path, "/bin/sh", "-ec", script], timeout, env=env)

    def check_sh(self, script, what, timeout=120):
        r = self.sh(script, timeout)
        check(r.returncode == 0, "%s: status %d\n%s%s" % (what, r.returncode, tail(r.stdout),
                                                          tail(r.stderr)))
        return r.stdout


def upgraded_copy(deb, version, folder):
    """The same package as a later version, for a real upgrade (dpkg-deb -R, then -b)."""
    tree = os.path.join(folder, "repack")
    package, _version, arch = os.path.basename(deb)[:-len(".deb")].split("_")
    out = os.path.join(folder, "%s_%s+upgrade1_%s.deb" % (package, version, arch))
    check(run(["dpkg-deb", "-R", deb, tree], 120).returncode == 0, "dpkg-deb -R %s" % deb)
    control = os.path.join(tree, "DEBIAN", "control")
    with open(control) as f:
        text = f.read()
    with open(control, "w") as f:
        f.write(re.sub(r"^Version: .*$", "Version: %s+upgrade1" % version, text, flags=re.M))
    r = run(["dpkg-deb", "--root-owner-group", "-b", tree, out], 300)
    check(r.returncode == 0, "dpkg-deb -b: %s" % r.stderr)
    shutil.rmtree(tree)
    return out


def skip_reason():
    if os.geteuid() != 0:
        return "needs root (mmdebstrap --mode=root and chroot)"
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        return ("%s not installed (apt-get install debhelper dpkg-dev lintian mmdebstrap; "
                ".ci/packages lists them)" % ", ".join(missing))
    return None


def main():
    reason = skip_reason()
    if reason:
        print("1..0 # SKIP %s" % reason, flush=True)
        return 0

    tap = Tap()
    tmp = make_temp_dir("domus-package-")
    started = time.monotonic()
    root = Root(os.path.join(tmp, "root"), os.path.join(tmp, "mmdebstrap.log"))
    build = Build(os.path.join(tmp, "build"))
    nogui = Build(os.path.join(tmp, "nogui"), profiles="pkg.domus.nogui")
    state = {}

    def timed(description, function):
        t0 = time.monotonic()
        passed = tap.step(description, function)
        print("# %.0f s (%.0f s since the start)" % (time.monotonic() - t0,
                                                     time.monotonic() - started), flush=True)
        return passed

    try:
        root.start()

        def full_build():
            build.run()
            check({"domusd", "domus", "domus-common"} <= set(build.debs),
                  "built %s" % sorted(build.debs))

        if not timed("dpkg-buildpackage -us -uc -b builds domusd, domus and domus-common",
                     full_build):
            return tap.finish()
        version = build.field("domusd", "Version")

        def lintian():
            r = run(["lintian", "--pedantic", "--info", "--display-experimental",
                     "--fail-on", "error,warning", build.changes], 600)
            tags = [line for line in r.stdout.splitlines() if re.match(r"^[EWIPX]: ", line)]
            for line in tags:
                print("# lintian: " + line)
            serious = [line for line in tags if line[0] in "EW"]
            check(r.returncode == 0 and not serious,
                  "lintian: status %d\n%s%s" % (r.returncode, "\n".join(serious), tail(r.stderr)))

        timed("lintian: no error, no warning", lintian)

        def package_relations():
            depends = build.field("domusd", "Depends")
            check(not GRAPHICAL_RE.search(depends.replace(", ", "\n")),
                  "domusd depends on %s" % depends)
            check("domusd" not in build.field("domus", "Depends"), "the window depends on domusd")
            check("domusd" in build.field("domus", "Recommends"), "the window does not recommend domusd")

        timed("domusd depends on no GTK, gtk-vnc or X library; domus only recommends domusd",
              package_relations)

        def nogui_build():
            nogui.run()
            check(set(nogui.debs) == {"domusd", "domus-common", "domusd-dbgsym"},
                  "the profile built %s" % sorted(nogui.debs))
            check(nogui.files("domusd") == build.files("domusd"),
                  "domusd differs:\n%s" % "\n".join(sorted(set(nogui.files("domusd")) ^
                                                          set(build.files("domusd")))))
            check("-Dgui=disabled" in nogui.log, "meson was not told -Dgui=disabled")

        timed("the pkg.domus.nogui profile (-Dgui=disabled) builds domusd alone, the same files",
              nogui_build)

        if not timed("mmdebstrap makes a minimal Debian 12 root", lambda: root.wait(APT_TIMEOUT)):
            return tap.finish()
        debs = os.path.join(root.path, "tmp", "debs")
        os.makedirs(debs)
        for package in ("domusd", "domus", "domus-common"):
            shutil.copy(build.debs[package], debs)
        state["upgrade"] = upgraded_copy(build.debs["domusd"], version, debs)
        deb = {p: "/tmp/debs/" + os.path.basename(build.debs[p]) for p in build.debs}

        if not timed("apt installs domusd (without recommends) into the root",
                     lambda: root.check_sh("apt-get install -y -q --no-install-recommends %s %s"
                                           % (deb["domusd"], deb["domus-common"]),
                                           "apt-get install", APT_TIMEOUT)):
            return tap.finish()

        def binaries_run():
            out = root.check_sh("domusd --version", "domusd --version")
            check(out.strip() == "domusd %s" % version, "domusd --version says %r" % out)
            out = root.check_sh("domusctl --help", "domusctl --help")
            check("Commands:" in out and "bridge" in out, "domusctl --help says %r" % out[:500])

        timed("domusd --version and domusctl --help run", binaries_run)

        def no_graphical_stack():
            installed = root.check_sh("dpkg-query -W -f='${Package}\\n'", "dpkg-query")
            found = GRAPHICAL_RE.findall(installed)
            check(not found, "installed with domusd: %s" % sorted(set(found)))
            closure = root.check_sh(
                "apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts "
                "--no-breaks --no-replaces --no-enhances domusd", "apt-cache depends")
            names = "\n".join(line.split(":")[-1].strip() for line in closure.splitlines())
            found = GRAPHICAL_RE.findall(names)
            check(not found, "domusd's dependencies include %s" % sorted(set(found)))

        timed("no GTK, gtk-vnc or X library came with it (installed, or in its dependency closure)",
              no_graphical_stack)

        def units():
            runtime = "mkdir -p -m 0700 /run/user/0; export XDG_RUNTIME_DIR=/run/user/0; "
            for scope, folder in (("", "/lib/systemd/system"), ("--user ", "/usr/lib/systemd/user")):
                paths = root.check_sh(runtime + "systemd-analyze %sunit-paths" % scope, "unit-paths")
                check(folder in paths.split(), "systemd %slooks in %s, not %s"
                      % (scope, " ".join(paths.split()), folder))
                root.check_sh(runtime + "systemd-analyze %sverify --man=no %s/domusd.socket "
                              "%s/domusd.service" % (scope, folder, folder),
                              "systemd-analyze %sverify" % scope)
            enabled = root.sh("systemctl is-enabled domusd.socket domusd.service; "
                              "systemctl --global is-enabled domusd.socket || true").stdout.split()
            check(enabled == ["enabled", "enabled", "disabled"],
                  "system socket, service, user socket: %s" % enabled)

        timed("the units are where systemd looks and systemd-analyze verify accepts them; "
              "the system ones are enabled, the user ones not", units)

        def group_and_socket():
            out = root.check_sh("getent group domus", "getent group domus")
            gid = int(out.split(":")[2])
            check(gid < 1000, "domus is not a system group (gid %d)" % gid)
            out = root.check_sh(
                "useradd -m -G domus alice; useradd -m bob\n"
                "domusd --system --accel tcg 2>/tmp/domusd.log & pid=$!\n"
                "for i in $(seq 100); do [ -S /run/domus/domusd.sock ] && break; sleep 0.1; done\n"
                "stat -c '%a %U:%G %n' /run/domus /run/domus/domusd.sock\n"
                "su alice -c 'domusctl -c unix:/run/domus/domusd.sock list' && echo alice=ok\n"
                "su bob -c 'domusctl -c unix:/run/domus/domusd.sock list' 2>&1 || echo bob=refused\n"
                "kill $pid; wait $pid || true; cat /tmp/domusd.log",
                "the system daemon", timeout=120)
            check("711 root:root /run/domus\n660 root:domus /run/domus/domusd.sock" in out,
                  "modes and owners:\n%s" % out)
            check("Domain-0" in out and "alice=ok" in out, "a member of domus could not list:\n" + out)
            check("bob=refused" in out and "permission denied" in out,
                  "a user outside domus was not refused:\n" + out)
            check("members of the group domus (sudo adduser bob domus" in out,
                  "the refusal does not say who gets in:\n" + out)

        timed("the group domus exists; domusd --system gives it the socket (0660 root:domus, "
              "/run/domus 0711): a member lists, another user is refused", group_and_socket)

        def guests_survive():
            guest = ("mkdir -p /etc/domus/domains /var/lib/domus/images\n"
                     "echo 'name = \"web\"' > /etc/domus/domains/web.cfg\n"
                     "echo disk > /var/lib/domus/images/web.img\n"
                     "echo '# a local change' >> /etc/domus/domusd.conf\n")
            kept = ("test \"$(cat /etc/domus/domains/web.cfg)\" = 'name = \"web\"'\n"
                    "test \"$(cat /var/lib/domus/images/web.img)\" = disk\n")
            root.check_sh(guest, "a guest")
            root.check_sh("dpkg -i /tmp/debs/%s\n" % os.path.basename(state["upgrade"]) + kept +
                          "dpkg-query -W -f='${Version}' domusd | grep -qx '%s+upgrade1'\n"
                          "grep -qx '# a local change' /etc/domus/domusd.conf" % re.escape(version),
                          "after the upgrade")
            root.check_sh("apt-get remove -y -q domusd\n" + kept +
                          "test ! -e /usr/bin/domusd\n"
                          "grep -qx '# a local change' /etc/domus/domusd.conf",
                          "after apt-get remove")
            root.check_sh("apt-get purge -y -q domusd domus-common\n" + kept +
                          "test ! -e /etc/domus/domusd.conf\n"
                          "getent group domus\n"
                          "test ! -e /etc/systemd/system/sockets.target.wants/domusd.socket",
                          "after apt-get purge")

        timed("a guest's config and image outlive an upgrade, a removal and a purge; purge "
              "removes /etc/domus/domusd.conf and the units' links only", guests_survive)

        def window():
            root.check_sh("apt-get install -y -q --no-install-recommends %s %s"
                          % (deb["domus"], deb["domus-common"]), "apt-get install domus",
                          APT_TIMEOUT)
            out = root.check_sh("domus --help", "domus --help")
            check("--connect" in out, "domus --help says %r" % out[:300])
            status = root.sh("dpkg-query -W -f='${Status}' domusd").stdout
            check("installed" not in status.split(), "installing the window installed the daemon")

        timed("the window installs without the daemon, and domus --help runs", window)
    finally:
        root.stop()
        left = mounts_under(tmp)
        if left:
            # Never delete through a mount: it could reach the host's own files.
            print("# left in place, still mounted: %s (%s)" % (tmp, ", ".join(left)), flush=True)
        else:
            # rm is quicker than shutil.rmtree on the root's ~30,000 files, and stays on
            # this file system whatever happens.
            subprocess.run(["rm", "-rf", "--one-file-system", tmp], stdin=subprocess.DEVNULL)
        print("# the package suite took %.0f s" % (time.monotonic() - started), flush=True)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
