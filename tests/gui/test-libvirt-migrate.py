#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Live migration between two libvirt hosts from the window: a real mouse drag (AT-SPI, xdotool).

Usage: test-libvirt-migrate.py GUEST_DIR DOMUS   (DOMUS_BUILD_DIR from the environment)

Two private libvirtds (tests/integration/lib_libvirt.py: mount namespaces and host UUIDs
of their own, as the integration migration tests use them) with the test guest's kernel
and ramdisk at one path on both; "lvmover" (no disk) runs under TCG on the first.
`domus --connect A --connect B` runs under an Xvfb and a session bus of the test's own,
with G_DEBUG=fatal-warnings. Both servers are this machine, so both rows carry its host
name: the first is the one lvmover is listed under. Then:

- a real drag of lvmover's row onto the other server's row opens the migration dialog:
  its checks passed (the domain runs on the source, the target has no domain of that
  name), Migrate enabled; the Encrypt check box says what libvirt needs for it;
- Migrate: the dialog reports the downtime; virsh says lvmover runs on the second daemon
  and is gone from the first (undefined there); the tree shows it under the second server;
- both daemons have throwaway x509 certificates for QEMU's migration TLS (one CA,
  lib_libvirt.make_migration_certificates, named in their qemu.conf): dragged back with
  "Encrypt" ticked (its tooltip says what libvirt needs), the dialog's encryption check
  names QEMU's TLS, and the result says its memory and disks went encrypted; on the wire
  (the first daemon's one migration port, watched on the loopback interface) the stream
  opens with a TLS handshake and QEMU's stream never shows in clear; virsh has it back
  on the first daemon. (An encrypted migration to a daemon without certificates is
  refused saying what is missing: integration/libvirt-cli.)

Everything started here is ended by PID. Output is TAP.
"""

import os
import socket
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import lib_gui  # noqa: E402
from lib_domus import Tap, check  # noqa: E402
from lib_capture import QEMU_STREAM_MAGIC, LoopbackCapture, begins_as_tls  # noqa: E402
from lib_libvirt import LibvirtDaemon, make_migration_certificates, skip_if_impossible, test_guest_xml  # noqa: E402
from lib_qemu import make_temp_dir  # noqa: E402

GUEST_DIR = sys.argv[1]
DOMUS = sys.argv[2]
FIND_TIMEOUT = 30.0
MIGRATE_TIMEOUT = 120.0
NAME = "lvmover"
ENCRYPT = "Encrypt the memory and disks sent (TLS)"


def main():
    if skip_if_impossible():
        return 0
    tap = Tap()
    base = make_temp_dir("domus-gui-libvirt-migrate-")
    certificates = os.path.join(base, "certificates")
    make_migration_certificates(certificates)
    # The first daemon takes the encrypted migration back on one port, which the test watches.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = LibvirtDaemon(os.path.join(base, "a"), "a", migration_tls=certificates, migration_port=port)
    target = LibvirtDaemon(os.path.join(base, "b"), "b", migration_tls=certificates)
    session = app = None
    host_row = socket.gethostname()
    try:
        def start_hosts():
            for daemon in (source, target):
                daemon.start()
                # The kernel and initramfs at one path on both, as shared storage has them.
                kernel, initrd = daemon.install_test_guest(GUEST_DIR)
            source.define(test_guest_xml(NAME, kernel, initrd))
            source.virsh("start", NAME)

        if not tap.step("two private libvirtds, %s running on the first" % NAME, start_hosts):
            return tap.finish()

        session = lib_gui.Session(base).start()
        import pyatspi  # noqa: E402 - after the session: it connects to the buses in os.environ

        app = lib_gui.DomusApp(session, DOMUS, ["--connect", source.uri, "--connect", target.uri],
                               os.path.join(base, "domus.log"))
        tree = lib_gui.DomusTree(pyatspi)

        app_log_text = app.log_text

        def rows():
            return tree.all_rows()

        def server_indices():
            return [i for i, (name, _) in enumerate(rows()) if name == host_row]

        def server_of(name):
            """The index among the server rows of the one name is listed under, or None."""
            order = [n for n, _ in rows()]
            if name not in order:
                return None
            servers = server_indices()
            above = [k for k, i in enumerate(servers) if i < order.index(name)]
            return above[-1] if above else None

        def listed():
            check(lib_gui.wait_for(tree.find, FIND_TIMEOUT), "no domus window:\n%s" % app_log_text())
            ok = lib_gui.wait_for(lambda: len(server_indices()) == 2
                                  and all(rows()[i][1] == "connected" for i in server_indices())
                                  and dict(rows()).get(NAME) in ("running", "blocked"), FIND_TIMEOUT)
            check(ok, "rows: %r; log:\n%s" % (rows(), app_log_text()))

        if not tap.step("the tree shows both libvirt servers connected and %s running" % NAME, listed):
            return tap.finish()
        state = {"from": server_of(NAME)}

        def dialog():
            return lib_gui.find_one(tree.app, lambda n: n.getRole() == pyatspi.ROLE_DIALOG
                                    and n.name == "Migrate" and lib_gui.is_showing(n, pyatspi))

        def labels(parent):
            return [n.name for n in lib_gui.find_all(parent, lambda n: n.getRole() == pyatspi.ROLE_LABEL)]

        def button(parent, name):
            return lib_gui.find_one(parent, lambda n: n.getRole() == pyatspi.ROLE_PUSH_BUTTON
                                    and n.name == name and lib_gui.is_showing(n, pyatspi))

        def drag_opens_dialog(onto=None):
            table = tree.table.queryTable()
            names = [n for n, _ in rows()]
            other = server_indices()[1 - state["from"] if onto is None else onto]
            lib_gui.drag(lib_gui.centre(table.getAccessibleAt(names.index(NAME), 1), pyatspi),
                         lib_gui.centre(table.getAccessibleAt(other, 1), pyatspi))
            found = lib_gui.wait_for(dialog, 10)
            check(found, "no dialog 'Migrate' after the drop; log:\n%s" % app_log_text())
            state["dialog"] = found
            migrate = lib_gui.wait_for(lambda: button(found, "Migrate"), 5)
            check(migrate, "no Migrate button")
            ok = lib_gui.wait_for(lambda: migrate.getState().contains(pyatspi.STATE_SENSITIVE), 30)
            texts = labels(found)
            check(ok, "Migrate never became sensitive; the dialog says %r" % texts)
            check(not any(": failed" in t for t in texts), "a failed check: %r" % texts)
            check(any("runs on the source" in t for t in texts), "no check of the source: %r" % texts)
            check(any("has no domain named" in t for t in texts), "no check of the name: %r" % texts)
            state["migrate"] = migrate

        if not tap.step("dragging %s's row onto the other libvirt server opens the dialog, its checks "
                        "passed" % NAME, drag_opens_dialog):
            return tap.finish()

        def result_text():
            for node in lib_gui.find_all(state["dialog"], lambda n: n.getRole() == pyatspi.ROLE_LABEL
                                         and n.name == "Result"):
                text = node.queryText().getText(0, -1)
                if text:
                    return text
            return ""

        def migrates():
            state["migrate"].queryAction().doAction(0)
            text = lib_gui.wait_for(lambda: result_text() or None, MIGRATE_TIMEOUT)
            check(text, "no result after %.0f s; the dialog says %r; log:\n%s"
                  % (MIGRATE_TIMEOUT, labels(state["dialog"]), app_log_text()))
            print("# %s" % text, flush=True)
            check(text.startswith("“%s” now runs on " % NAME) and "Downtime " in text, "the dialog says %r" % text)
            check(target.domain_state(NAME) == "running", "virsh on the target: %r" % target.domain_state(NAME))
            check(source.domain_state(NAME) is None, "virsh on the source still has it: %r"
                  % source.domain_state(NAME))
            ok = lib_gui.wait_for(lambda: server_of(NAME) == 1 - state["from"]
                                  and dict(rows()).get(NAME) in ("running", "blocked"), 15)
            check(ok, "the row is not under the other server: %r" % rows())
            close = lib_gui.wait_for(lambda: button(state["dialog"], "Close"), 5)
            check(close, "no Close button once it ended")
            close.queryAction().doAction(0)
            check("went encrypted" not in text, "a migration in clear says %r" % text)

        if not tap.step("Migrate moves it: the dialog gives the downtime, virsh has it running on the "
                        "target only, the row is under the other server", migrates):
            return tap.finish()

        def encrypted_back():
            check(lib_gui.wait_for(lambda: dialog() is None, 5), "the first dialog did not close")
            drag_opens_dialog(onto=state["from"])
            box = lib_gui.find_one(state["dialog"], lambda n: n.getRole() == pyatspi.ROLE_CHECK_BOX
                                   and n.name == ENCRYPT and lib_gui.is_showing(n, pyatspi))
            check(box is not None and box.getState().contains(pyatspi.STATE_SENSITIVE),
                  "no free %r check box" % ENCRYPT)
            check("QEMU’s TLS" in (box.description or "") and "migrate_tls_x509_cert_dir" in box.description,
                  "the check box does not say what libvirt needs: %r" % box.description)
            box.queryAction().doAction(0)
            check(lib_gui.wait_for(lambda: box.getState().contains(pyatspi.STATE_CHECKED), 5), "Encrypt not ticked")
            said = lib_gui.wait_for(lambda: [t for t in labels(state["dialog"]) if "QEMU’s TLS" in t], 30)
            check(said, "no encryption check naming QEMU's TLS: %r" % labels(state["dialog"]))
            print("# %s" % said[0], flush=True)
            migrate = lib_gui.wait_for(lambda: button(state["dialog"], "Migrate"), 5)
            check(lib_gui.wait_for(lambda: migrate.getState().contains(pyatspi.STATE_SENSITIVE), 30),
                  "Migrate is not sensitive: %r" % labels(state["dialog"]))
            capture = LoopbackCapture(port)
            try:
                migrate.queryAction().doAction(0)
                text = lib_gui.wait_for(lambda: result_text() or None, MIGRATE_TIMEOUT)
            finally:
                capture.stop()
            check(text, "no result; the dialog says %r; log:\n%s" % (labels(state["dialog"]), app_log_text()))
            print("# %s" % text, flush=True)
            check("went encrypted (TLS)" in text, "the result does not say it went encrypted: %r" % text)
            check(" 0 bytes sent" not in text, "the result says nothing was sent: %r" % text)
            # The wire: the stream passed the first daemon's migration port, began as TLS
            # does (a handshake record), and QEMU's stream never showed in clear.
            flows = {k: bytes(v) for k, v in capture.flows.items()}
            check(capture.total > 1 << 20 and begins_as_tls(flows),
                  "%d bytes to port %d, opening %r" % (capture.total, port, {k: v[:8] for k, v in flows.items()}))
            check(not any(QEMU_STREAM_MAGIC in v for v in flows.values()), "QEMU's stream magic went in clear")
            print("# %d bytes to port %d in %d connection(s), each opening with a TLS handshake"
                  % (capture.total, port, len(flows)), flush=True)
            check(source.domain_state(NAME) == "running", "virsh on the first: %r" % source.domain_state(NAME))
            check(target.domain_state(NAME) is None, "virsh on the second still has it")
            check(lib_gui.wait_for(lambda: server_of(NAME) == state["from"], 15), "the row did not follow: %r" % rows())
            close = lib_gui.wait_for(lambda: button(state["dialog"], "Close"), 5)
            check(close, "no Close button once it ended")
            close.queryAction().doAction(0)

        tap.step("dragged back with Encrypt ticked, it moves over QEMU's TLS with the hosts' "
                 "certificates: the dialog says so, virsh has it on the first daemon", encrypted_back)

        tap.step("domus ends without a warning", app.quit_cleanly)
    finally:
        if app is not None:
            app.stop()
        if session is not None:
            session.stop()
        for daemon in (source, target):
            daemon.stop()
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
