#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Alerts in the window, on a real domusd and QEMU (TCG), with a desktop notification server
of the test's own on its session bus.

Usage: test-alerts.py GUEST_DIR DOMUS   (DOMUS_BUILD_DIR from the environment)

domusd runs with --root in a fresh folder (its domusd.conf keeps only the crash rule on) and
boots the test guest "keeper" with on_crash = 'preserve' and sysrq_always_enabled. A small
org.freedesktop.Notifications server (GLib, in a process of the test's own) records every
Notify. `domus --connect` runs under an Xvfb and that session bus, with
G_DEBUG=fatal-warnings. Checked:

- `domusctl sysrq keeper c` makes the guest panic: the daemon's alert reaches the window as a
  desktop notification ("Alert on testhost": "The domain keeper crashed."), the header's
  Alerts button counts it, the Alerts page lists it (AT-SPI), and `domusctl alerts` lists it
  open; the dashboard's summary counts it and the server's card comes with it;
- its Acknowledge button acknowledges it for everyone (`domusctl alerts` says ack);
- the daemon killed: the lost connection is an alert too (a notification, a row).

Everything started here is ended by PID. Output is TAP.
"""

import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import lib_gui  # noqa: E402
from lib_domus import Daemon, Failure, Tap, check, ctl, ctl_ok, guest_cfg, serial_text  # noqa: E402
from lib_qemu import READY_LINE, make_temp_dir  # noqa: E402

GUEST_DIR = sys.argv[1]
DOMUS = sys.argv[2]
FIND_TIMEOUT = 30.0
BOOT_TIMEOUT = 120.0
HOST_NAME = "testhost"
SYSTEM_PYTHON = "/usr/bin/python3"

NOTIFICATION_SERVER = r'''
import json, sys
from gi.repository import Gio, GLib

XML = """<node><interface name="org.freedesktop.Notifications">
<method name="Notify"><arg type="s" direction="in"/><arg type="u" direction="in"/>
<arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="s" direction="in"/>
<arg type="as" direction="in"/><arg type="a{sv}" direction="in"/><arg type="i" direction="in"/>
<arg type="u" direction="out"/></method>
<method name="CloseNotification"><arg type="u" direction="in"/></method>
<method name="GetCapabilities"><arg type="as" direction="out"/></method>
<method name="GetServerInformation"><arg type="s" direction="out"/><arg type="s" direction="out"/>
<arg type="s" direction="out"/><arg type="s" direction="out"/></method>
<signal name="NotificationClosed"><arg type="u"/><arg type="u"/></signal>
<signal name="ActionInvoked"><arg type="u"/><arg type="s"/></signal>
</interface></node>"""
log_path = sys.argv[1]
next_id = [1]

def on_call(connection, sender, path, interface, method, params, invocation):
    if method == "Notify":
        app, replaces, icon, summary, body, actions, hints, timeout = params.unpack()
        with open(log_path, "a") as f:
            f.write(json.dumps({"app": app, "summary": summary, "body": body,
                                "urgency": int(hints.get("urgency", -1))}) + "\n")
        invocation.return_value(GLib.Variant("(u)", (next_id[0],)))
        next_id[0] += 1
    elif method == "GetCapabilities":
        invocation.return_value(GLib.Variant("(as)", (["body", "actions"],)))
    elif method == "GetServerInformation":
        invocation.return_value(GLib.Variant("(ssss)", ("domus-test", "domus", "1", "1.2")))
    else:
        invocation.return_value(None)

def on_bus(connection, name):
    info = Gio.DBusNodeInfo.new_for_xml(XML)
    connection.register_object("/org/freedesktop/Notifications", info.interfaces[0], on_call)

def on_name(connection, name):
    print("owned", flush=True)

Gio.bus_own_name(Gio.BusType.SESSION, "org.freedesktop.Notifications",
                 Gio.BusNameOwnerFlags.NONE, on_bus, on_name, None)
GLib.MainLoop().run()
'''


class NotificationServer:
    """org.freedesktop.Notifications of the test's own; every Notify is a line in a file."""

    def __init__(self, root, env):
        self.log_path = os.path.join(root, "notifications.jsonl")
        script = os.path.join(root, "notification-server.py")
        with open(script, "w") as f:
            f.write(NOTIFICATION_SERVER)
        env = dict(env)
        env.pop("G_MESSAGES_DEBUG", None)
        self.proc = subprocess.Popen([SYSTEM_PYTHON, script, self.log_path], env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        line = self.proc.stdout.readline()
        check(line.strip() == b"owned", "the notification server did not start: %r" % line)

    def received(self):
        try:
            with open(self.log_path) as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def stop(self):
        if self.proc.poll() is None:
            lib_gui.end_pids([self.proc.pid])
        self.proc.wait()


def main():
    tap = Tap()
    root = make_temp_dir("domus-gui-alerts-")
    session = daemon = app = notifier = None
    app_log_path = os.path.join(root, "domus.log")
    try:
        with open(os.path.join(root, "domusd.conf"), "w") as f:
            f.write("[alerts]\ndomain-crashed=true\ndisk-percent=0\nmemory-percent=0\ncpu-percent=0\n")
        daemon = Daemon(root, name=HOST_NAME).wait_listening()

        def guest_boots():
            config = guest_cfg(GUEST_DIR, "keeper", "on_crash = 'preserve'\n").replace(
                "console=tty0 console=ttyS0", "console=tty0 console=ttyS0 sysrq_always_enabled")
            path = os.path.join(root, "keeper.cfg")
            with open(path, "w") as f:
                f.write(config)
            ctl_ok(daemon.uri, "create", path, timeout=120)
            check(lib_gui.wait_for(lambda: READY_LINE in serial_text(root, "keeper"), BOOT_TIMEOUT),
                  "keeper did not boot: %r" % serial_text(root, "keeper")[-300:])

        if not tap.step("the daemon boots keeper (on_crash = 'preserve')", guest_boots):
            return tap.finish()

        session = lib_gui.Session(root).start()
        import pyatspi  # noqa: E402 - after the session: it connects to the buses in os.environ

        env = session.env()
        env["G_DEBUG"] = "fatal-warnings"
        env["LC_ALL"] = "C.UTF-8"
        notifier = NotificationServer(root, env)
        app = lib_gui.App([DOMUS, "--connect", daemon.uri], env, app_log_path)
        window = lib_gui.DomusTree(pyatspi)

        def showing(role, name):
            return lib_gui.find_one(window.frame, lambda n: n.getRole() == role and n.name == name
                                    and lib_gui.is_showing(n, pyatspi))

        def alerts_button():
            return lib_gui.find_one(window.frame, lambda n: n.getRole() == pyatspi.ROLE_TOGGLE_BUTTON
                                    and n.name.startswith("Alerts"))

        def alerts_button_name():
            button = alerts_button()
            return button.name if button is not None else None

        def summary():
            label = lib_gui.find_one(window.frame, lambda n: n.getRole() == pyatspi.ROLE_LABEL
                                     and "connected · Domains" in n.name)
            return label.name if label is not None else None

        def crash_reaches_window():
            check(lib_gui.wait_for(window.find, FIND_TIMEOUT),
                  "no domus window in %.0f s:\n%s" % (FIND_TIMEOUT, app.log_text()))
            lib_gui.wait_until(lambda: (HOST_NAME, "connected") in window.all_rows(), FIND_TIMEOUT,
                               "testhost connected", window.all_rows)
            check(alerts_button_name() == "Alerts", "before the crash the button says %r" % alerts_button_name())
            ctl_ok(daemon.uri, "sysrq", "keeper", "c")
            notification = lib_gui.wait_until(
                lambda: [n for n in notifier.received() if n["body"] == "The domain keeper crashed."],
                60, "a notification of the crash", notifier.received)[0]
            check(notification["summary"] == "Alert on %s" % HOST_NAME and notification["urgency"] == 2,
                  "the notification: %r" % notification)
            lib_gui.wait_until(lambda: alerts_button_name() == "Alerts (1)", 10,
                               "the header's Alerts (1)", alerts_button_name)
            lib_gui.wait_until(lambda: summary() is not None and summary().endswith("· 1 open alert"), 10,
                               "the dashboard's summary counting it", summary)
            r = ctl(daemon.uri, "alerts", "--json")
            listed = json.loads(r.stdout)
            check(len(listed) == 1 and listed[0]["kind"] == "domain-crashed" and not listed[0]["acknowledged"],
                  "domusctl alerts: %r" % listed)

        if not tap.step("a guest that panics: its alert reaches the window as a desktop notification, "
                        "the header's count and the dashboard's summary, and domusctl alerts lists it",
                        crash_reaches_window):
            return tap.finish()

        def listed_and_acknowledged():
            button = alerts_button()
            check(button is not None, "no Alerts toggle in the header")
            button.queryAction().doAction(0)
            row = lib_gui.wait_until(lambda: showing(pyatspi.ROLE_LIST_ITEM, "The domain keeper crashed."),
                                     10, "the Alerts page listing the crash")
            check(HOST_NAME in row.description and "keeper" in row.description
                  and "domain-crashed" in row.description, "the row says %r" % row.description)
            acknowledge = lib_gui.find_one(row, lambda n: n.getRole() == pyatspi.ROLE_PUSH_BUTTON
                                           and n.name == "Acknowledge")
            check(acknowledge is not None, "no Acknowledge button on the row")
            acknowledge.queryAction().doAction(0)
            lib_gui.wait_until(lambda: json.loads(ctl(daemon.uri, "alerts", "--json").stdout)[0]["acknowledged"],
                               10, "domusctl alerts saying it was acknowledged")
            lib_gui.wait_until(lambda: alerts_button_name() == "Alerts", 10, "the header's count gone",
                               alerts_button_name)
            row = lib_gui.wait_until(lambda: showing(pyatspi.ROLE_LIST_ITEM, "The domain keeper crashed."),
                                     10, "the row still listed")
            check(lib_gui.find_one(row, lambda n: n.name == "Acknowledged") is not None,
                  "the row does not say Acknowledged")

        tap.step("the Alerts page lists it with its server, domain and kind; its Acknowledge button "
                 "acknowledges it for everyone", listed_and_acknowledged)

        def lost_connection_is_an_alert():
            before = len(notifier.received())
            daemon.kill()
            message = "The connection to %s was lost:" % HOST_NAME
            notification = lib_gui.wait_until(
                lambda: [n for n in notifier.received()[before:] if n["body"].startswith(message)],
                30, "a notification of the lost connection", notifier.received)[0]
            check(notification["summary"] == "Alert on %s" % HOST_NAME, "the notification: %r" % notification)
            lib_gui.wait_until(lambda: lib_gui.find_one(window.frame, lambda n: n.getRole() == pyatspi.ROLE_LIST_ITEM
                                                        and n.name.startswith(message)
                                                        and lib_gui.is_showing(n, pyatspi)),
                               10, "a row for the lost connection")
            lib_gui.wait_until(lambda: alerts_button_name() == "Alerts (1)", 10,
                               "the header counting the lost connection", alerts_button_name)

        tap.step("the daemon killed: the lost connection is an alert too (a notification and a row)",
                 lost_connection_is_an_alert)
    except Failure as e:
        tap.ok(False, "the test ran to its end", str(e))
    finally:
        if app is not None and app.poll() is None:
            lib_gui.end_pids([app.pid])
            app.wait()
        if notifier is not None:
            notifier.stop()
        if session is not None:
            session.stop()
        if daemon is not None:
            daemon.stop()
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
