#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A domain created on a libvirt host from the create assistant, as a screen reader drives it (AT-SPI).

Usage: test-libvirt-create.py GUEST_DIR DOMUS   (DOMUS_BUILD_DIR from the environment)

A private libvirtd (tests/integration/lib_libvirt.py) in mount and network namespaces of
its own, without KVM (nested KVM hangs here, so libvirt's own choice is TCG), with two
storage pools ("default", "second") and an isolated virtual network "domusnet" (its
bridge is made in the daemon's network namespace, nothing reaches outside).
`domus --connect LIBVIRT_URI` runs under an Xvfb and a session bus of the test's own,
with G_DEBUG=fatal-warnings. Then:

- the assistant's sources a libvirt host cannot take (Debian, cloud image, template) are
  greyed out, each with a tooltip saying why;
- the test guest's kernel and ramdisk, 160 MiB and 1 vCPU, a new volume in the pool
  "second", the network "domusnet": the summary shows libvirt's domain XML; Apply;
- the row of the new domain shows it running; virsh says it is defined and running, its
  disk is a volume of "second" (virsh vol-pool), its card is on "domusnet", its memory is
  160 MiB, and QEMU runs it (its CPU time grows).

Everything started here is ended by PID. Output is TAP.
"""

import os
import re
import socket
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import lib_gui  # noqa: E402
from lib_domus import Tap, check  # noqa: E402
from lib_libvirt import LibvirtDaemon, skip_if_impossible  # noqa: E402
from lib_qemu import make_temp_dir  # noqa: E402

GUEST_DIR = sys.argv[1]
DOMUS = sys.argv[2]
FIND_TIMEOUT = 30.0
NAME = "lvnew"
POOL = "second"
NETWORK = "domusnet"
MEMORY_MIB = 160


def main():
    if skip_if_impossible():
        return 0
    tap = Tap()
    base = make_temp_dir("domus-gui-libvirt-create-")
    libvirtd = LibvirtDaemon(os.path.join(base, "lv"), "lv", own_network=True, without_kvm=True)
    session = app = None
    server_row = socket.gethostname()
    paths = {}
    try:
        def start_host():
            libvirtd.start()
            paths["kernel"], paths["initrd"] = libvirtd.install_test_guest(GUEST_DIR)
            libvirtd.define_pool("default")
            second = os.path.join(libvirtd.root, "lib", POOL)
            os.makedirs(second, exist_ok=True)
            os.chmod(second, 0o755)
            libvirtd.virsh("pool-define-as", POOL, "dir", "--target", "/var/lib/libvirt/" + POOL)
            libvirtd.virsh("pool-start", POOL)
            libvirtd.define_network(NETWORK, "domusbr0")

        if not tap.step("a private libvirtd without KVM, pools default and %s, network %s"
                        % (POOL, NETWORK), start_host):
            return tap.finish()

        session = lib_gui.Session(base).start()
        import pyatspi  # noqa: E402 - after the session: it connects to the buses in os.environ

        app = lib_gui.DomusApp(session, DOMUS, ["--connect", libvirtd.uri], os.path.join(base, "domus.log"))
        tree = lib_gui.DomusTree(pyatspi)

        app_log_text = app.log_text

        def showing(node):
            return lib_gui.is_showing(node, pyatspi)

        def find(root, role, name):
            return lib_gui.find_one(root, lambda n: n.getRole() == role and n.name == name and showing(n))

        def wait_find(root, role, name, timeout=10):
            found = lib_gui.wait_for(lambda: find(root, role, name), timeout)
            check(found, "no %r (role %s) showing" % (name, role))
            return found

        def click(root, role, name):
            wait_find(root, role, name).queryAction().doAction(0)

        def connected():
            check(lib_gui.wait_for(tree.find, FIND_TIMEOUT), "no domus window:\n%s" % app_log_text())
            check(lib_gui.wait_for(lambda: dict(tree.all_rows()).get(server_row) == "connected", FIND_TIMEOUT),
                  "rows: %r; log:\n%s" % (tree.all_rows(), app_log_text()))

        if not tap.step("the window shows the libvirt server connected", connected):
            return tap.finish()

        state = {}

        def open_assistant():
            check(tree.select(server_row), "the tree refused to select the server")
            click(tree.frame, pyatspi.ROLE_PUSH_BUTTON, "Create Domain")
            assistant = lib_gui.wait_for(lambda: lib_gui.find_one(
                tree.app, lambda n: n.getRole() in (pyatspi.ROLE_FRAME, pyatspi.ROLE_DIALOG)
                and n.name != "Domus" and showing(n)
                and lib_gui.find_one(n, lambda m: m.getRole() == pyatspi.ROLE_PUSH_BUTTON and m.name == "Next")), 10)
            check(assistant, "Create Domain opened no assistant; log:\n%s" % app_log_text())
            state["assistant"] = assistant
            wait_find(assistant, pyatspi.ROLE_TEXT, "Domain name").queryEditableText().setTextContents(NAME)
            click(assistant, pyatspi.ROLE_PUSH_BUTTON, "Next")
            for label in ("Debian from the archive", "Cloud image", "From a template"):
                radio = wait_find(assistant, pyatspi.ROLE_RADIO_BUTTON, label)
                check(not radio.getState().contains(pyatspi.STATE_SENSITIVE), "%r is offered" % label)
                check("libvirt host" in (radio.description or ""),
                      "%r does not say why it is greyed out: %r" % (label, radio.description))
                print("# %s: %s" % (label, radio.description), flush=True)

        if not tap.step("on a libvirt host the assistant greys out Debian, cloud image and template, "
                        "each saying why", open_assistant):
            return tap.finish()

        def choose():
            assistant = state["assistant"]
            click(assistant, pyatspi.ROLE_RADIO_BUTTON, "Boot a kernel and ramdisk")
            wait_find(assistant, pyatspi.ROLE_TEXT, "Kernel").queryEditableText().setTextContents(paths["kernel"])
            wait_find(assistant, pyatspi.ROLE_TEXT, "Ramdisk").queryEditableText().setTextContents(paths["initrd"])
            wait_find(assistant, pyatspi.ROLE_TEXT, "Kernel command line").queryEditableText().setTextContents(
                "console=tty0 console=ttyS0")
            click(assistant, pyatspi.ROLE_PUSH_BUTTON, "Next")
            memory = wait_find(assistant, pyatspi.ROLE_SPIN_BUTTON, "Memory in MiB")
            memory.queryValue().currentValue = float(MEMORY_MIB)
            wait_find(assistant, pyatspi.ROLE_SPIN_BUTTON, "Virtual CPUs").queryValue().currentValue = 1.0
            click(assistant, pyatspi.ROLE_PUSH_BUTTON, "Next")
            new = wait_find(assistant, pyatspi.ROLE_RADIO_BUTTON, "A new qcow2 volume in a storage pool")
            check(new.getState().contains(pyatspi.STATE_CHECKED), "a new volume is not the choice")
            pools = wait_find(assistant, pyatspi.ROLE_COMBO_BOX, "Storage pool")

            def pool_names():
                menu = pools.getChildAtIndex(0)
                return [menu.getChildAtIndex(i).name for i in range(menu.childCount)] if menu else []
            check(lib_gui.wait_for(lambda: pool_names() == ["default", POOL], 10),
                  "the pools offered: %r" % pool_names())
            check(pools.querySelection().selectChild(1), "the pool %s could not be chosen" % POOL)
            click(assistant, pyatspi.ROLE_PUSH_BUTTON, "Next")
            click(assistant, pyatspi.ROLE_RADIO_BUTTON, "A network of the host")
            networks = wait_find(assistant, pyatspi.ROLE_COMBO_BOX, "Host network")
            check(lib_gui.wait_for(lambda: networks.getChildAtIndex(0) is not None and
                                   networks.getChildAtIndex(0).childCount == 1, 10),
                  "the host's networks are not offered")
            networks.querySelection().selectChild(0)
            click(assistant, pyatspi.ROLE_PUSH_BUTTON, "Next")
            click(assistant, pyatspi.ROLE_PUSH_BUTTON, "Next")
            summary = wait_find(assistant, pyatspi.ROLE_TEXT, "Configuration file")

            def summary_text():
                return summary.queryText().getText(0, -1)
            check(lib_gui.wait_for(lambda: "<domain" in summary_text() and NETWORK in summary_text()
                                   and "/%s.qcow2" % NAME in summary_text(), 10),
                  "the summary shows %r" % summary_text())
            check("type=\"qemu\"" in summary_text() or "type='qemu'" in summary_text(),
                  "the summary's domain is not TCG (qemu): %r" % summary_text()[:200])
            check("<memory>%d</memory>" % (MEMORY_MIB * 1024) in summary_text()
                  or "<memory unit=\"KiB\">%d</memory>" % (MEMORY_MIB * 1024) in summary_text(),
                  "the summary's memory: %r" % re.findall(r"<memory.*?</memory>", summary_text()))
            said = lib_gui.wait_for(lambda: lib_gui.find_one(
                assistant, lambda n: n.getRole() == pyatspi.ROLE_LABEL and "libvirt’s domain XML" in n.name
                and showing(n)), 5)
            check(said, "the summary does not say it is libvirt's definition")
            print("# %s" % said.name.replace("\n", " / "), flush=True)
            click(assistant, pyatspi.ROLE_PUSH_BUTTON, "Apply")

        if not tap.step("kernel and ramdisk, %d MiB, a new volume in %s, the network %s: the summary "
                        "shows the domain XML, and Apply" % (MEMORY_MIB, POOL, NETWORK), choose):
            return tap.finish()

        def created():
            ok = lib_gui.wait_for(lambda: dict(tree.all_rows()).get(NAME) in ("running", "blocked"), 120)
            check(ok, "rows: %r; log:\n%s\n%s" % (tree.all_rows(), app_log_text(), libvirtd.logs()))
            check(libvirtd.domain_state(NAME) == "running", "virsh domstate: %r" % libvirtd.domain_state(NAME))
            check(NAME in libvirtd.virsh("list", "--all", "--name").stdout.split(), "not defined")
            check(libvirtd.virsh("dominfo", NAME).stdout.count("Persistent:     yes") == 1, "not persistent")

        if not tap.step("%s is listed running; virsh has it defined (persistent) and running" % NAME, created):
            return tap.finish()

        def what_virsh_says():
            blk = libvirtd.virsh("domblklist", NAME, "--details").stdout.split("\n")
            disks = [line.split() for line in blk if line.split()[:2] == ["file", "disk"]]
            check(len(disks) == 1, "domblklist: %r" % blk)
            path = disks[0][3]
            pool = libvirtd.virsh("vol-pool", path).stdout.strip()
            check(pool == POOL, "the disk %s is a volume of %r" % (path, pool))
            nics = libvirtd.virsh("domiflist", NAME).stdout
            check(re.search(r"\bnetwork\s+%s\b" % NETWORK, nics), "domiflist: %r" % nics)
            xml = libvirtd.virsh("dumpxml", NAME).stdout
            memory = re.search(r"<memory unit='KiB'>(\d+)</memory>", xml)
            check(memory and int(memory.group(1)) == MEMORY_MIB * 1024, "memory: %r" % (memory and memory.group(0)))
            check("<domain type='qemu'" in xml, "not TCG: %r" % xml[:80])
            print("# disk %s in pool %s; card on %s; %d MiB" % (path, pool, NETWORK, MEMORY_MIB), flush=True)

        tap.step("virsh: the disk is a volume of %s, the card is on %s, the memory is %d MiB, TCG"
                 % (POOL, NETWORK, MEMORY_MIB), what_virsh_says)

        def cpu_time():
            out = libvirtd.virsh("domstats", NAME, "--cpu-total").stdout
            found = re.search(r"cpu\.time=(\d+)", out)
            return int(found.group(1)) if found else None

        def runs():
            first = cpu_time()
            check(first is not None and len(libvirtd.qemu_pids()) == 1, "no QEMU for %s" % NAME)
            check(lib_gui.wait_for(lambda: (cpu_time() or 0) > first, 10), "its CPU time stays at %r" % first)

        tap.step("QEMU runs %s: its CPU time grows" % NAME, runs)

        tap.step("domus ends without a warning", app.quit_cleanly)
    finally:
        if app is not None:
            app.stop()
        if session is not None:
            session.stop()
        libvirtd.stop()
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
