#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""`meson install` into a folder of the test's own, and what a distribution checks in it.

Usage: test-install.py BUILD_DIR SOURCE_DIR [gui|no-gui]

Runs `meson install -C BUILD_DIR --destdir TMP` (nothing outside TMP is written; the
post-install cache updates skip themselves under DESTDIR) and checks, on what landed there:

- every file lands under the prefix, and every file issue 6 asks for is installed: the three programs, the desktop file, the
  AppStream metainfo, the GSettings schema, the icons (scalable and symbolic), the man
  pages, the systemd units (system and user), the sample daemon config, the Spanish
  catalogue;
- desktop-file-validate accepts the desktop file, and its Icon= is an installed icon;
- appstreamcli validate --no-net accepts the metainfo; every screenshot it names is a PNG
  in data/screenshots/ of the source tree with the width and height the metainfo says;
- glib-compile-schemas --strict --dry-run accepts the schema folder;
- groff -ww and man --warnings read every man page without a warning;
- every command `domusctl --help` lists, and every long option of domusctl (global, and of
  each command's --help), domusd --help and domus --help appears in its man page, so the
  pages cannot fall behind the programs;
- the units name the installed domusd, the sockets the daemons' default paths and modes
  (the system one's group domus, which the sysusers.d file makes), and systemd-analyze
  verify accepts them (skipped, with a message, without the tool);
- domusd starts with the sample config as installed, and with its [relocation] keys
  switched on at the values the sample shows, and `hello` reports those values.

Built with -Dgui=disabled (no-gui), none of the window's files may be installed, and their
checks are left out.

Output is TAP.
"""

import json
import os
import re
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib_domus import Daemon, Failure, Tap, check, rpc_call  # noqa: E402
from lib_qemu import make_temp_dir  # noqa: E402

BUILD_DIR = os.path.abspath(sys.argv[1])
SOURCE_DIR = os.path.abspath(sys.argv[2])
WINDOW = len(sys.argv) < 4 or sys.argv[3] != "no-gui"
# What only the window installs (the gui option).
WINDOW_FILES = ("domus", "desktop", "metainfo", "schema", "icon", "symbolic", "domus.1")
LONG_OPTION_RE = re.compile(r"^\s+(?:-\w, )?--([a-z][a-z0-9-]*)", re.M)


def run(args, **kwargs):
    kwargs.setdefault("timeout", 120)
    return subprocess.run(args, capture_output=True, text=True, **kwargs)


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    check(head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", "%s is not a PNG" % path)
    return struct.unpack(">II", head[16:24])


def application_options(help_text):
    """The long options of --help's "Application Options" part (GLib's layout)."""
    part = help_text.split("Application Options:", 1)
    return LONG_OPTION_RE.findall(part[1]) if len(part) == 2 else []


def render_man(path):
    """The page as plain text (no bold, no hyphenation), as a reader sees it."""
    env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="100")
    r = run(["groff", "-man", "-Tutf8", "-P-cbou", "-rHY=0", "-rLL=100n", path], env=env)
    check(r.returncode == 0, "groff %s: %s" % (path, r.stderr))
    # -\- and \(hy render as U+2010 or U+2212 in UTF-8: compare with ASCII hyphens.
    return r.stdout.replace("\u2010", "-").replace("\u2212", "-")


def main():
    tap = Tap()
    tmp = make_temp_dir("domus-install-")
    destdir = os.path.join(tmp, "dest")
    env = dict(os.environ, LC_ALL="C.UTF-8")
    installed = {}   # the install path (under the prefix) of each file, by the end of its path
    daemon = None

    try:
        def install():
            r = run(["meson", "install", "-C", BUILD_DIR, "--destdir", destdir, "--quiet"],
                    env=env, timeout=600)
            check(r.returncode == 0, "meson install: status %d\n%s%s"
                  % (r.returncode, r.stdout[-3000:], r.stderr[-3000:]))
            r = run(["meson", "introspect", BUILD_DIR, "--installed"], env=env)
            check(r.returncode == 0, "meson introspect --installed: " + r.stderr)
            for path in json.loads(r.stdout).values():
                installed[path] = destdir + path
            for root, _dirs, files in os.walk(destdir):
                for name in files:
                    full = os.path.join(root, name)
                    installed.setdefault(full[len(destdir):], full)

        if not tap.step("meson install --destdir", install):
            return tap.finish()

        def inside_prefix():
            r = run(["meson", "introspect", BUILD_DIR, "--buildoptions"], env=env)
            check(r.returncode == 0, "meson introspect --buildoptions: " + r.stderr)
            prefix = [o["value"] for o in json.loads(r.stdout) if o["name"] == "prefix"][0]
            outside = sorted(p for p in installed if not p.startswith(prefix.rstrip("/") + "/"))
            check(not outside, "installed outside the prefix %s: %s" % (prefix, outside))

        tap.step("every file goes under the prefix (systemd units too)", inside_prefix)

        def find(suffix):
            matches = [full for path, full in installed.items() if path.endswith(suffix)]
            check(matches, "nothing installed ends with %s" % suffix)
            check(os.path.isfile(matches[0]), "%s is in the install list but not in DESTDIR"
                  % matches[0])
            return matches[0]

        expected = {
            "domus": "/bin/domus",
            "domusd": "/bin/domusd",
            "domusctl": "/bin/domusctl",
            "desktop": "/share/applications/org.domus.Domus.desktop",
            "metainfo": "/share/metainfo/org.domus.Domus.metainfo.xml",
            "schema": "/share/glib-2.0/schemas/org.domus.Domus.gschema.xml",
            "icon": "/share/icons/hicolor/scalable/apps/org.domus.Domus.svg",
            "symbolic": "/share/icons/hicolor/symbolic/apps/org.domus.Domus-symbolic.svg",
            "domus.1": "/share/man/man1/domus.1",
            "domusctl.1": "/share/man/man1/domusctl.1",
            "domusd.8": "/share/man/man8/domusd.8",
            "system.service": "/systemd/system/domusd.service",
            "system.socket": "/systemd/system/domusd.socket",
            "user.service": "/systemd/user/domusd.service",
            "user.socket": "/systemd/user/domusd.socket",
            "sysusers": "/lib/sysusers.d/domus.conf",
            "sample": "/share/doc/domus/domusd.conf.sample",
            "catalogue": "/share/locale/es/LC_MESSAGES/domus.mo",
        }
        if not WINDOW:
            def no_window_files():
                found = sorted(p for p in installed for key in WINDOW_FILES
                               if p.endswith(expected[key]))
                check(not found, "built without the window, yet installed: %s" % found)
                # A daemon-only install pulls no GTK in: the programs do not link it.
                for program in ("domusd", "domusctl"):
                    r = run(["ldd", os.path.join(BUILD_DIR, "hvcore" if program == "domusd"
                                                 else "cli", program)])
                    check(r.returncode == 0 and "gtk" not in r.stdout,
                          "%s links %s" % (program, r.stdout))

            tap.step("without the window: none of its files, and no GTK", no_window_files)
            for key in WINDOW_FILES:
                del expected[key]
        def window_step(name, function):
            if WINDOW:
                tap.step(name, function)

        files = {}
        for key, suffix in expected.items():
            try:
                files[key] = find(suffix)
                tap.ok(True, "installed: ...%s" % suffix)
            except Failure as e:
                tap.ok(False, "installed: ...%s" % suffix, str(e))
        if len(files) != len(expected):
            return tap.finish()

        def desktop_valid():
            r = run(["desktop-file-validate", files["desktop"]])
            check(r.returncode == 0 and not r.stdout.strip(),
                  "desktop-file-validate: %s%s" % (r.stdout, r.stderr))
            icon = re.search(r"^Icon=(.*)$", read(files["desktop"]), re.M)
            check(icon and icon.group(1) == "org.domus.Domus", "Icon= is not org.domus.Domus")
            check(os.path.basename(files["icon"]) == icon.group(1) + ".svg", "no icon for Icon=")
            check(re.search(r"^Exec=domus\b", read(files["desktop"]), re.M), "Exec= is not domus")

        window_step("desktop-file-validate accepts the desktop file; its icon is installed",
                    desktop_valid)

        def icons_are_svg():
            for key in ("icon", "symbolic"):
                root = ET.parse(files[key]).getroot()
                check(root.tag == "{http://www.w3.org/2000/svg}svg", "%s is not SVG" % files[key])
            # Symbolic icons are one colour that the theme recolours.
            colours = set(re.findall(r'fill="(#[0-9a-fA-F]{6})"', read(files["symbolic"])))
            check(len(colours) == 1, "the symbolic icon has colours %s" % sorted(colours))

        window_step("the icons are SVG; the symbolic one has one colour", icons_are_svg)

        def metainfo_valid():
            r = run(["appstreamcli", "validate", "--no-net", files["metainfo"]])
            check(r.returncode == 0, "appstreamcli validate: %s%s" % (r.stdout, r.stderr))
            root = ET.parse(files["metainfo"]).getroot()
            check(root.findtext("id") == "org.domus.Domus", "wrong component id")
            check(root.find("launchable").text == "org.domus.Domus.desktop", "wrong launchable")
            binaries = {b.text for b in root.iter("binary")}
            check(binaries == {"domus", "domusd", "domusctl"}, "provides %s" % sorted(binaries))
            check(root.find("releases/release").get("version") == "0.1.0", "no 0.1.0 release")
            shots = root.findall("screenshots/screenshot")
            check(len(shots) >= 3, "%d screenshots" % len(shots))
            for shot in shots:
                check(shot.findtext("caption"), "a screenshot without a caption")
                image = shot.find("image")
                name = image.text.rsplit("/", 1)[1]
                png = os.path.join(SOURCE_DIR, "data", "screenshots", name)
                check(os.path.isfile(png), "%s names %s, not in data/screenshots/" % (image.text, name))
                size = png_size(png)
                check(size == (int(image.get("width")), int(image.get("height"))),
                      "%s is %dx%d, the metainfo says %sx%s"
                      % (name, size[0], size[1], image.get("width"), image.get("height")))

        window_step("appstreamcli accepts the metainfo; its screenshots are in the tree",
                    metainfo_valid)

        def schemas_valid():
            r = run(["glib-compile-schemas", "--strict", "--dry-run",
                     os.path.dirname(files["schema"])])
            check(r.returncode == 0 and not r.stderr.strip(), "glib-compile-schemas: " + r.stderr)

        window_step("glib-compile-schemas --strict accepts the installed schemas", schemas_valid)

        pages = {"domusctl": files["domusctl.1"], "domusd": files["domusd.8"]}
        if WINDOW:
            pages["domus"] = files["domus.1"]
        texts = {}
        for program, page in pages.items():
            def man_clean(page=page, program=program):
                r = run(["groff", "-man", "-ww", "-z", page])
                check(r.returncode == 0 and not r.stderr.strip(), "groff -ww: " + r.stderr)
                if shutil.which("man"):
                    r = run(["man", "--warnings", "-E", "UTF-8", "-l", page],
                            env=dict(env, MANWIDTH="80", MAN_KEEP_FORMATTING="0"))
                    check(r.returncode == 0 and not r.stderr.strip(), "man --warnings: " + r.stderr)
                texts[program] = render_man(page)
                check(re.search(r"^NAME\n\s+%s - " % program, texts[program], re.M),
                      "no NAME line for %s" % program)

            tap.step("%s: groff -ww and man --warnings without warnings"
                     % os.path.basename(page), man_clean)
        if len(texts) != len(pages):
            return tap.finish()

        def helps(program, *args):
            r = run([os.path.join(BUILD_DIR, *program)] + list(args) + ["--help"],
                    env=dict(env, DISPLAY=""))
            check(r.returncode == 0, "%s %s --help: status %d %s"
                  % (program[-1], " ".join(args), r.returncode, r.stderr))
            return r.stdout

        def missing_options(text, options):
            return [o for o in options if not re.search(r"--%s\b" % re.escape(o), text)]

        def domusd_options():
            options = application_options(helps(("hvcore", "domusd")))
            check(len(options) >= 10, "only %s in domusd --help" % options)
            missing = missing_options(texts["domusd"], options)
            check(not missing, "domusd.8 lacks --%s" % ", --".join(missing))

        tap.step("domusd.8 names every option of domusd --help", domusd_options)

        def domus_options():
            options = application_options(helps(("gui", "domus")))
            check("connect" in options and "console" in options, "domus --help: %s" % options)
            missing = missing_options(texts["domus"], options)
            check(not missing, "domus.1 lacks --%s" % ", --".join(missing))

        window_step("domus.1 names every option of domus --help", domus_options)

        def domusctl_verbs():
            text = helps(("cli", "domusctl"))
            verbs = re.findall(r"^  ([a-z][a-z-]*)\s{2,}\S", text.split("Commands:", 1)[1], re.M)
            check(len(verbs) >= 15, "only %s in domusctl --help" % verbs)
            commands = texts["domusctl"].split("\nCOMMANDS\n", 1)
            check(len(commands) == 2, "domusctl.1 has no COMMANDS section")
            # A command is documented where it starts an entry's tag (7 columns in).
            tags = [line for line in commands[1].splitlines() if re.match(r"^ {7}\S", line)]
            missing = [v for v in verbs if not any(re.search(r"\b%s\b" % v, t) for t in tags)]
            check(not missing, "domusctl.1 has no entry for %s" % ", ".join(missing))
            options = application_options(text)
            for verb in verbs:
                if verb == "image":
                    usage = helps(("cli", "domusctl"), "image")
                    for sub in re.findall(r"domusctl image ([a-z]+)", usage):
                        options += application_options(helps(("cli", "domusctl"), "image", sub))
                else:
                    options += application_options(helps(("cli", "domusctl"), verb))
            missing = sorted(set(missing_options(texts["domusctl"], options)))
            check(not missing, "domusctl.1 lacks --%s" % ", --".join(missing))

        tap.step("domusctl.1 has every command of domusctl --help and every option of each",
                 domusctl_verbs)

        prefix_bindir = os.path.dirname([p for p in installed if p.endswith("/bin/domusd")][0])

        def units_content():
            for kind, path, mode in (("system", "/run/domus/domusd.sock", "0660"),
                                     ("user", "%t/domus/domusd.sock", "0600")):
                service = read(files[kind + ".service"])
                check(re.search(r"^ExecStart=%s/domusd( --system)?$" % re.escape(prefix_bindir),
                                service, re.M), "%s unit: ExecStart is not %s/domusd"
                      % (kind, prefix_bindir))
                check(("--system" in service) == (kind == "system"),
                      "%s unit: --system where it does not belong" % kind)
                check(re.search(r"^KillMode=process$", service, re.M),
                      "%s unit: stopping the daemon would kill the guests" % kind)
                socket_unit = read(files[kind + ".socket"])
                check(re.search(r"^ListenStream=%s$" % re.escape(path), socket_unit, re.M),
                      "%s socket: not ListenStream=%s" % (kind, path))
                check(re.search(r"^SocketMode=%s$" % mode, socket_unit, re.M),
                      "%s socket: not SocketMode=%s" % (kind, mode))
                group = re.search(r"^SocketGroup=(.*)$", socket_unit, re.M)
                check((group.group(1) if group else None) == ("domus" if kind == "system" else None),
                      "%s socket: SocketGroup=%s" % (kind, group.group(1) if group else ""))
            check(re.search(r"^DirectoryMode=0711$", read(files["system.socket"]), re.M),
                  "system socket: the group cannot reach a socket in a folder that is not 0711")
            check(re.search(r"^g domus -$", read(files["sysusers"]), re.M),
                  "%s does not make the group domus" % files["sysusers"])

        tap.step("the units start the installed domusd on the daemons' own socket paths",
                 units_content)

        def units_verify():
            tool = shutil.which("systemd-analyze")
            if tool is None:
                print("# systemd-analyze is not installed: the units are not verified", flush=True)
                return
            for kind in ("system", "user"):
                folder = os.path.join(tmp, "units-" + kind)
                os.makedirs(folder)
                for unit in ("service", "socket"):
                    text = read(files[kind + "." + unit])
                    # The binary as installed in DESTDIR: verify checks that it exists.
                    text = text.replace("ExecStart=" + prefix_bindir,
                                        "ExecStart=" + destdir + prefix_bindir)
                    with open(os.path.join(folder, "domusd." + unit), "w") as f:
                        f.write(text)
                args = [tool] + (["--user"] if kind == "user" else []) + \
                    ["verify", "--man=no", "domusd.socket", "domusd.service"]
                runtime = os.path.join(tmp, "runtime")
                os.makedirs(runtime, mode=0o700, exist_ok=True)
                r = run(args, cwd=folder, env=dict(env, XDG_RUNTIME_DIR=runtime))
                check(r.returncode == 0 and not r.stderr.strip() and not r.stdout.strip(),
                      "systemd-analyze verify (%s): %s%s" % (kind, r.stdout, r.stderr))

        tap.step("systemd-analyze verify accepts the system and user units", units_verify)

        def sample_config():
            nonlocal daemon
            root = os.path.join(tmp, "sample-root")
            os.makedirs(root)
            daemon = Daemon(root, name="sample", extra_args=["--config", files["sample"]])
            daemon.wait_listening()
            hello = rpc_call(daemon.socket_path, "hello")
            daemon.stop()
            daemon = None
            relocation = hello.get("relocation")
            check(relocation is not None and relocation.get("enabled") is False,
                  "with the sample as it is, hello says relocation %r" % relocation)

            # Its [relocation] keys, switched on at the first value the sample shows.
            seen = set()
            lines = []
            values = {}
            for line in read(files["sample"]).splitlines():
                m = re.match(r"^#(enabled|address|port|hosts-allow)=(.*)$", line)
                if m and m.group(1) not in seen:
                    seen.add(m.group(1))
                    values[m.group(1)] = m.group(2)
                    line = line[1:]
                lines.append(line)
            check(seen == {"enabled", "address", "port", "hosts-allow"},
                  "the sample shows only %s" % sorted(seen))
            lines = [("enabled=true" if line.startswith("enabled=") else line) for line in lines]
            switched = os.path.join(tmp, "domusd.conf")
            with open(switched, "w") as f:
                f.write("\n".join(lines) + "\n")
            daemon = Daemon(root, name="sample", extra_args=["--config", switched])
            daemon.wait_listening()
            relocation = rpc_call(daemon.socket_path, "hello").get("relocation")
            check(relocation == {"enabled": True, "address": values["address"],
                                 "port": int(values["port"]),
                                 "hosts_allow": values["hosts-allow"].split(";")},
                  "hello says relocation %r for %r" % (relocation, values))

        tap.step("domusd accepts the sample config, and its keys switched on", sample_config)
    finally:
        if daemon is not None:
            daemon.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
