#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The create assistant's "Cloud image" source (issue 15), through AT-SPI.

Usage: test-cloud-source.py DOMUS   (DOMUS_BUILD_DIR from the environment)

The machines that run the tests reach no cloud image (only Debian's package archive), so
the image store holds what tests/integration/test-cloud-image.py makes (its helpers, reused
here): "cloudy.qcow2", a 64 MiB disk with an MBR and an ext4 partition holding
/usr/bin/cloud-init and /etc/os-release (what the server's probe looks for), and
"plain.img", the same without cloud-init. A domusd with --root in a fresh folder; `domus
--connect unix:ROOT/domusd.sock` under an Xvfb and a session bus of the test's own, with
G_DEBUG=fatal-warnings. As a screen reader would:

- Create Domain, the name "cloud1", the source "Cloud image": plain.img, a host name, a
  user and an SSH public key file (a throwaway key made here); Apply is refused by the
  server (the image holds no cloud-init), the refusal shown on the source page, nothing
  defined and nothing left in the store;
- cloudy.qcow2 instead: the disk, network and console pages are skipped; Apply makes the
  guest: its row shows it running, the daemon lists it running, its disk is a qcow2
  overlay on cloudy.qcow2, and its seed (cloud1-seed.iso, attached in its .cfg) is a
  `cidata` ISO whose meta-data has an instance id and the host name, and whose user-data
  is a #cloud-config with the user, sudo and the key. (The image holds no system: the
  guest's firmware finds nothing to boot, but QEMU runs it.)

Everything started here is ended by PID. Output is TAP.
"""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import lib_gui  # noqa: E402
from lib_domus import Daemon, Tap, check, rpc_call  # noqa: E402
from lib_qemu import make_temp_dir  # noqa: E402


def integration_test(name):
    """A module of tests/integration whose file name has dashes (its helpers, not its main)."""
    path = os.path.join(HERE, "..", "integration", name + ".py")
    spec = importlib.util.spec_from_file_location(name.replace("-", "_"), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


cloud_image = integration_test("test-cloud-image")

DOMUS = sys.argv[1]
FIND_TIMEOUT = 20.0
HOST_NAME = "testhost"
RUNNING = ("running", "blocked")


def daemon_domains(daemon):
    return {d["name"]: d for d in rpc_call(daemon.socket_path, "domain.list", all=True)["domains"]}


def store_files(images):
    return sorted(n for n in os.listdir(images) if not n.startswith("."))


def main():
    tap = Tap()
    root = make_temp_dir("domus-gui-cloud-")
    session = daemon = app = None
    images = os.path.join(root, "images")
    work = os.path.join(root, "work")
    key = os.path.join(root, "id_cloud")
    try:
        def set_up():
            os.makedirs(images)
            os.makedirs(work)
            raw = cloud_image.make_disk(work, "cloud", ["etc/os-release", "usr/bin/cloud-init"])
            subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw,
                            os.path.join(images, "cloudy.qcow2")], check=True)
            shutil.copy(cloud_image.make_disk(work, "plain", ["etc/os-release", "usr/bin/ls"]),
                        os.path.join(images, "plain.img"))
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "cloud@domus-test", "-f", key],
                           check=True, stdin=subprocess.DEVNULL)

        if not tap.step("the store holds a disk with cloud-init and one without; a throwaway key", set_up):
            return tap.finish()
        daemon = Daemon(root, name=HOST_NAME).wait_listening()
        with open(key + ".pub") as f:
            public_key = f.read().strip()

        session = lib_gui.Session(root).start()
        import pyatspi  # noqa: E402 - after the session: it connects to the buses in os.environ

        env = session.env()
        env["G_DEBUG"] = "fatal-warnings"
        env["LC_ALL"] = "C.UTF-8"
        app = lib_gui.App([DOMUS] + ["--connect", daemon.uri], env, os.path.join(root, "domus.log"))
        window = lib_gui.DomusTree(pyatspi)
        ui = lib_gui.Controls(pyatspi, None)
        sensitive, find, wait_find, click, dump = ui.sensitive, ui.find, ui.wait_find, ui.click, ui.dump

        def window_found():
            check(lib_gui.wait_for(window.find, FIND_TIMEOUT), "no window: " + app.how())
            ui.root = window.app
            check(lib_gui.wait_for(lambda: dict(window.all_rows()).get(HOST_NAME) == "connected", FIND_TIMEOUT),
                  "the server is not connected: %r" % window.all_rows())

        if not tap.step("the window shows the server connected", window_found):
            return tap.finish()

        state = {}

        def choose_image(assistant, image):
            combo = wait_find(pyatspi.ROLE_COMBO_BOX, "Cloud image", assistant)
            items = lib_gui.find_all(combo, lambda n: n.getRole() == pyatspi.ROLE_MENU_ITEM)
            names = [n.name for n in items]
            check(image in names, "the image chooser offers %r" % names)
            # The summary says which image was chosen: checked there.
            check(combo.querySelection().selectChild(names.index(image)), "%s could not be chosen" % image)

        def filled_source():
            check(window.select(HOST_NAME), "the tree refused to select the server")
            click(pyatspi.ROLE_PUSH_BUTTON, "Create Domain")
            assistant = lib_gui.wait_for(lambda: lib_gui.find_one(
                window.app, lambda n: n.getRole() in (pyatspi.ROLE_FRAME, pyatspi.ROLE_DIALOG)
                and n.name != "Domus" and ui.showing(n)
                and lib_gui.find_one(n, lambda m: m.getRole() == pyatspi.ROLE_PUSH_BUTTON and m.name == "Next")), 10)
            check(assistant, "Create Domain opened no assistant: %r" % dump(window.app))
            state["assistant"] = assistant
            wait_find(pyatspi.ROLE_TEXT, "Domain name", assistant).queryEditableText().setTextContents("cloud1")
            click(pyatspi.ROLE_PUSH_BUTTON, "Next", assistant)
            click(pyatspi.ROLE_RADIO_BUTTON, "Cloud image", assistant)
            nxt = wait_find(pyatspi.ROLE_PUSH_BUTTON, "Next", assistant)
            check(lib_gui.wait_for(lambda: not sensitive(nxt), 5), "Next is offered with no image and no key")
            choose_image(assistant, "plain.img")
            wait_find(pyatspi.ROLE_TEXT, "Host name", assistant).queryEditableText().setTextContents("cloud1.example")
            wait_find(pyatspi.ROLE_TEXT, "User name", assistant).queryEditableText().setTextContents("ops")
            wait_find(pyatspi.ROLE_TEXT, "SSH public key file", assistant).queryEditableText().setTextContents(key + ".pub")
            missing = lib_gui.undescribed_controls(assistant, pyatspi, lib_gui.WM_BUTTONS
                                                   + ("Cancel", "Back", "Next", "Apply", "Close", "Finish"))
            check(not missing, "the Cloud image source: controls without a name or a description:\n%s"
                  % "\n".join(missing))

        if not tap.step("the assistant's Cloud image source takes an image of the store, a host name, "
                        "a user and a key file", filled_source):
            return tap.finish()

        def to_summary_and_apply():
            assistant = state["assistant"]
            click(pyatspi.ROLE_PUSH_BUTTON, "Next", assistant)
            wait_find(pyatspi.ROLE_SPIN_BUTTON, "Memory in MiB", assistant)
            click(pyatspi.ROLE_PUSH_BUTTON, "Next", assistant)
            summary = wait_find(pyatspi.ROLE_TEXT, "Configuration file", assistant)
            text = summary.queryText().getText(0, -1)
            click(pyatspi.ROLE_PUSH_BUTTON, "Apply", assistant)
            return text

        def refused_without_cloud_init():
            assistant = state["assistant"]
            before = store_files(images)
            summary = to_summary_and_apply()
            check("plain.img" in summary, "the summary (right after the resources page) says %r" % summary)

            def refusal():
                error = find(pyatspi.ROLE_LABEL, "Error", assistant)
                return error is not None and error.queryText().getText(0, -1)
            message = lib_gui.wait_for(refusal, 120)
            check(message and "no cloud-init" in message, "the assistant shows %r\n%s"
                  % (message, daemon.log_text()[-2000:]))
            print("# %s" % message, flush=True)
            check(find(pyatspi.ROLE_RADIO_BUTTON, "Cloud image", assistant) is not None,
                  "the refusal is not shown on the source page")
            check("cloud1" not in daemon_domains(daemon), "cloud1 was defined all the same")
            check(store_files(images) == before, "the store changed: %r, was %r" % (store_files(images), before))

        tap.step("plain.img (no cloud-init) is refused by the server, on the source page; nothing is "
                 "defined or left in the store", refused_without_cloud_init)

        def made_from_cloud_image():
            assistant = state["assistant"]
            choose_image(assistant, "cloudy.qcow2")
            summary = to_summary_and_apply()
            check("cloudy.qcow2" in summary, "the summary says %r" % summary)
            check(lib_gui.wait_for(lambda: dict(window.all_rows()).get("cloud1") in RUNNING, 120),
                  "cloud1 is not listed running: %r\n%s" % (window.all_rows(), app.log_text()))
            check(daemon_domains(daemon)["cloud1"]["state"] in RUNNING,
                  "the daemon has cloud1 %s" % daemon_domains(daemon)["cloud1"]["state"])
            disk = os.path.join(images, "cloud1.qcow2")
            info = json.loads(subprocess.run(["qemu-img", "info", "-U", "--output=json", disk],
                                             capture_output=True, text=True, check=True).stdout)
            check(info.get("backing-filename") == "cloudy.qcow2", "cloud1's disk: %s" % json.dumps(info))
            with open(os.path.join(root, "domains", "cloud1.cfg")) as f:
                cfg = f.read()
            seed = os.path.join(images, "cloud1-seed.iso")
            check("file:%s,hdc:cdrom,r" % seed in cfg, "the seed is not attached in cloud1.cfg:\n" + cfg)
            state["seed"] = seed

        tap.step("cloudy.qcow2: Apply makes cloud1, an overlay on the image, and starts it; the window "
                 "and the daemon list it running", made_from_cloud_image)

        def seed_has_the_files():
            seed = state["seed"]
            check(cloud_image.volume_id(seed) == "cidata", "volume id %r" % cloud_image.volume_id(seed))
            meta = cloud_image.seed_file(seed, "meta-data", work)
            user = cloud_image.seed_file(seed, "user-data", work)
            check(re.search(r"^instance-id: \S+$", meta, re.M)
                  and re.search(r"^local-hostname: cloud1\.example$", meta, re.M), "meta-data:\n" + meta)
            check(user.startswith("#cloud-config\n") and "ops" in user and "sudo" in user and public_key in user,
                  "user-data:\n" + user)

        tap.step("cloud1's seed is a cidata ISO: meta-data with an instance id and the host name, "
                 "user-data with the user, sudo and the key", seed_has_the_files)

        tap.step("domus said no warning", app.quiet)
    except Exception as e:  # noqa: BLE001 - a crash of the harness is a failed test
        tap.ok(False, "the test ran to its end", "%s: %s" % (type(e).__name__, e))
    finally:
        if app is not None:
            app.quit()
        if session is not None:
            session.stop()
        if daemon is not None:
            daemon.stop()
        tap.remove_if_passed(root)
    return tap.finish()

if __name__ == "__main__":
    sys.exit(main())
