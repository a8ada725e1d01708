#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Domus speaks Spanish under an es_ES.UTF-8 locale.

Usage: test-spanish.py GUEST_DIR DOMUS   (DOMUS_BUILD_DIR from the environment)

The locale is compiled by localedef into a folder of the test's own (LOCPATH), so the
machine's locales are not touched; the catalogue is the one the build made
(DOMUS_LOCALEDIR=BUILD/po). Checked, as a user would see them:

- `domusctl --help` and `domusd --help` and `domus --help` are in Spanish;
- a domusctl error (a daemon that is not there) is in Spanish;
- the window, through AT-SPI: the server tree is "Servidores", the server "conectado",
  a defined domain "apagado".

Everything started here is ended by PID. Output is TAP.
"""

import os
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import lib_gui  # noqa: E402
from lib_domus import DOMUSCTL, Daemon, Failure, Tap, check, guest_cfg  # noqa: E402
from lib_qemu import make_temp_dir  # noqa: E402

BUILD_DIR = os.environ["DOMUS_BUILD_DIR"]
GUEST_DIR = sys.argv[1]
DOMUS = sys.argv[2]
DOMUSD = os.path.join(BUILD_DIR, "hvcore", "domusd")
FIND_TIMEOUT = 20.0
LOCALE = "es_ES.UTF-8"


def make_locale(root):
    """es_ES.UTF-8 compiled into ROOT/locales; returns that folder for LOCPATH."""
    path = os.path.join(root, "locales")
    os.makedirs(path)
    r = subprocess.run(["localedef", "-i", "es_ES", "-f", "UTF-8", os.path.join(path, LOCALE)],
                       capture_output=True, text=True, timeout=120)
    # localedef exits 1 for warnings with a usable locale; the file is what counts.
    check(os.path.exists(os.path.join(path, LOCALE, "LC_MESSAGES")),
          "localedef -i es_ES -f UTF-8 failed (is the 'locales' package installed?): "
          + r.stderr)
    return path


def spanish_env(locpath, base=None):
    env = dict(base if base is not None else os.environ)
    for name in ("LANGUAGE", "LC_MESSAGES", "LC_CTYPE"):
        env.pop(name, None)
    env["LOCPATH"] = locpath
    env["LANG"] = LOCALE
    env["LC_ALL"] = LOCALE
    env["DOMUS_LOCALEDIR"] = os.path.join(BUILD_DIR, "po")
    return env


def run(argv, env):
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=30,
                          stdin=subprocess.DEVNULL)


def expect_in(text, wanted, what):
    missing = [w for w in wanted if w not in text]
    check(not missing, "%s lacks %r:\n%s" % (what, missing, text))


def main():
    tap = Tap()
    root = make_temp_dir("domus-spanish-")
    session = daemon = app = None
    locpath = None
    try:
        def locale_made():
            nonlocal locpath
            locpath = make_locale(root)

        if not tap.step("es_ES.UTF-8 compiled with localedef into the test's folder", locale_made):
            return tap.finish()

        def domusctl_help():
            r = run([DOMUSCTL, "--help"], spanish_env(locpath))
            check(r.returncode == 0, "domusctl --help: %d %s" % (r.returncode, r.stderr))
            expect_in(r.stdout, ["Uso:", "Opciones de la aplicación",
                                 "Listar los dominios, como hace xm list"], "domusctl --help")

        tap.step("domusctl --help is in Spanish", domusctl_help)

        def domusctl_error():
            missing = os.path.join(root, "nobody.sock")
            r = run([DOMUSCTL, "--connect", "unix:" + missing, "list"], spanish_env(locpath))
            check(r.returncode != 0, "domusctl list succeeded without a daemon")
            expect_in(r.stderr, ["no se puede conectar", missing], "domusctl's error")

        tap.step("domusctl's error messages are in Spanish", domusctl_error)

        def domusd_help():
            r = run([DOMUSD, "--help"], spanish_env(locpath))
            check(r.returncode == 0, "domusd --help: %d %s" % (r.returncode, r.stderr))
            expect_in(r.stdout, ["Uso:", "Opciones de la aplicación"], "domusd --help")

        tap.step("domusd --help is in Spanish", domusd_help)

        def domus_help():
            r = run([DOMUS, "--help"], spanish_env(locpath))
            check(r.returncode == 0, "domus --help: %d %s" % (r.returncode, r.stderr))
            expect_in(r.stdout, ["Uso:", "Opciones de la aplicación"], "domus --help")

        tap.step("domus --help is in Spanish", domus_help)

        daemon = Daemon(root, name="servidor1").wait_listening()
        cfg = os.path.join(root, "web.cfg")
        with open(cfg, "w") as f:
            # Defined only: it never starts, so the kernel need not exist.
            f.write(guest_cfg(os.path.join(root, "no-guest"), "web"))
        r = subprocess.run([DOMUSCTL, "-c", daemon.uri, "define", cfg], capture_output=True,
                           text=True, timeout=30)
        tap.ok(r.returncode == 0, "a defined domain 'web' on the daemon", r.stderr)

        session = lib_gui.Session(root).start()
        import pyatspi  # noqa: E402 - after the session: it connects to the buses in os.environ

        env = spanish_env(locpath, session.env())
        env["G_DEBUG"] = "fatal-warnings"
        log_path = os.path.join(root, "domus.log")
        app = subprocess.Popen([DOMUS, "--connect", daemon.uri], env=env,
                               stdin=subprocess.DEVNULL, stdout=open(log_path, "wb"),
                               stderr=subprocess.STDOUT)

        def spanish_tree():
            def tree():
                found = lib_gui.find_domus_window(pyatspi, "Servidores")
                return found[2] if found else None

            def rows():
                table = tree().queryTable()
                return {table.getAccessibleAt(r, 1).name: table.getAccessibleAt(r, 2).name
                        for r in range(table.nRows)}

            found = lib_gui.wait_for(tree, FIND_TIMEOUT)
            with open(log_path, errors="replace") as f:
                log = f.read()
            check(found, "no tree named 'Servidores' in %.0f s:\n%s" % (FIND_TIMEOUT, log))
            shown = lib_gui.wait_for(lambda: rows().get("servidor1") == "conectado"
                                     and rows().get("web") == "apagado", FIND_TIMEOUT)
            check(shown, "rows: %r" % (lib_gui.wait_for(rows, 1) or {},))

        tap.step("the window: 'Servidores', the server 'conectado', the domain 'apagado'",
                 spanish_tree)
    except Failure as e:
        tap.ok(False, "setting up", str(e))
    finally:
        if app is not None:
            lib_gui.end_pids([app.pid])
            app.wait()
        if session is not None:
            session.stop()
        if daemon is not None:
            daemon.stop()
        shutil.rmtree(root, ignore_errors=True)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
