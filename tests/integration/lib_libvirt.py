# SPDX-License-Identifier: GPL-3.0-or-later
"""A real libvirt daemon of the test's own: libvirtd and virtlogd started by hand, ended by PID.

Stdlib only. There is no systemd on the build machines, and the system daemon's paths
(/run/libvirt, /var/lib/libvirt, /etc/libvirt, ...) are fixed at build time, so each
LibvirtDaemon runs in a mount namespace of its own where those folders are folders of a
temporary root:

    ROOT/etc   -> /etc/libvirt        (libvirtd.conf, qemu.conf, virtlogd.conf, domain XML)
    ROOT/run   -> /run/libvirt        (virtlogd's socket, QEMU pid files and monitors)
    ROOT/lib   -> /var/lib/libvirt    (images/, the "default" pool; qemu/ domain state)
    ROOT/cache -> /var/cache/libvirt  (QEMU capabilities)
    ROOT/log   -> /var/log/libvirt    (qemu/NAME.log, NAME-serial.log)
    ROOT/sock/libvirt-sock            (the client socket: outside the namespace's mounts,
                                       so virsh and Domus reach it with ?socket=)

It is a privileged qemu:///system instance (QEMU runs as libvirt-qemu, with libvirt's DAC
labels and virtlogd), with a host UUID of its own: two of them on one machine are two
hosts to libvirt, which is what migration needs (see docs/libvirt.md for why neither
qemu:///session as root nor the embedded driver would do).
"""

import os
import random
import signal
import socket
import shutil
import subprocess
import tempfile
import time
import uuid

from lib_qemu import end_process

LIBVIRTD = "/usr/sbin/libvirtd"
VIRTLOGD = "/usr/sbin/virtlogd"
VIRSH = "virsh"
IMAGES = "/var/lib/libvirt/images"   # as the daemon (and QEMU) see it

NAMESPACE_SETUP = r"""
set -e
root=$1
mount --make-rprivate /
mount -t tmpfs -o mode=0755 tmpfs /run
# /var/lock is /run/lock: libvirt locks a console's pty there.
mkdir -p /run/libvirt /run/lock
mount --bind "$root/run" /run/libvirt
mount --bind "$root/etc" /etc/libvirt
mount --bind "$root/lib" /var/lib/libvirt
mount --bind "$root/cache" /var/cache/libvirt
mount --bind "$root/log" /var/log/libvirt
# A network namespace of its own (own_network): only loopback, up.
if [ "$3" = net ]; then ip link set lo up; fi
# No KVM (without_kvm): libvirt then offers its guests TCG only, as on a host without it.
if [ "$4" = nokvm ] && [ -e /dev/kvm ]; then mount --bind /dev/null /dev/kvm; fi
exec "$2" -f /etc/libvirt/libvirtd.conf -p "$root/libvirtd.pid"
"""


class LibvirtError(Exception):
    """The daemon did not do what was expected; the message says what and shows its logs."""


def missing_tools():
    """What this machine lacks to run a daemon here (empty when nothing)."""
    out = []
    for path in (LIBVIRTD, VIRTLOGD):
        if not os.access(path, os.X_OK):
            out.append(path + " (package libvirt-daemon-system)")
    if shutil.which(VIRSH) is None:
        out.append("virsh (package libvirt-clients)")
    if shutil.which("unshare") is None or shutil.which("nsenter") is None:
        out.append("unshare and nsenter (package util-linux)")
    if os.geteuid() != 0:
        out.append("root (a system instance of libvirtd, in a mount namespace)")
    return out


def skip_if_impossible():
    """Prints a TAP plan that skips everything and returns True when this machine cannot
    run a daemon here."""
    missing = missing_tools()
    if missing:
        print("1..0 # SKIP this machine lacks: " + ", ".join(missing), flush=True)
    return bool(missing)


def two_daemons(prefix):
    """A fresh work folder with two daemons, "a" and "b", not started yet."""
    workdir = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    return (workdir, LibvirtDaemon(os.path.join(workdir, "a"), "a"),
            LibvirtDaemon(os.path.join(workdir, "b"), "b"))


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def free_vnc_display(first=200, last=400):
    """A display number N whose port 5900+N is free on loopback now (for gvnccapture)."""
    for n in range(first, last):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", 5900 + n))
                return n
            except OSError:
                continue
    raise LibvirtError("no free VNC port between %d and %d" % (5900 + first, 5900 + last))


def test_guest_xml(name, kernel, initrd, memory=128, vcpus=1, disk=None, vnc=True,
                   cmdline="console=tty0 console=ttyS0"):
    """The test guest under TCG: kernel and initramfs, the serial port on a pty (also
    logged to /var/log/libvirt/qemu/NAME-serial.log), VGA, VNC on loopback, ACPI.
    no_timer_check joins cmdline, as domusd adds it under TCG (docs/config-format.md): on a
    loaded machine the kernel's timer check may fail and panic ("IO-APIC + timer doesn't
    work!")."""
    if "no_timer_check" not in cmdline.split():
        cmdline += " no_timer_check"
    disk_xml = ""
    if disk is not None:
        disk_xml = ("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                    "<source file='%s'/><target dev='vda' bus='virtio'/></disk>" % disk)
    graphics = "<graphics type='vnc' autoport='yes' listen='127.0.0.1'/>" if vnc else ""
    return """<domain type='qemu'>
  <name>%(name)s</name>
  <memory unit='MiB'>%(memory)d</memory>
  <vcpu>%(vcpus)d</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>%(kernel)s</kernel>
    <initrd>%(initrd)s</initrd>
    <cmdline>%(cmdline)s</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    %(disk)s
    <serial type='pty'>
      <log file='/var/log/libvirt/qemu/%(name)s-serial.log' append='off'/>
      <target port='0'/>
    </serial>
    <console type='pty'><target type='serial' port='0'/></console>
    %(graphics)s
    <video><model type='vga'/></video>
  </devices>
</domain>
""" % {"name": name, "memory": memory, "vcpus": vcpus, "kernel": kernel, "initrd": initrd,
       "cmdline": cmdline, "disk": disk_xml, "graphics": graphics}


def make_migration_certificates(folder, names=("127.0.0.1", "localhost")):
    """Throwaway x509 certificates for QEMU's migration TLS in folder (created): a CA, and
    one certificate for the server end and one for the client end, both for names
    (addresses become IP entries), as qemu.conf's migrate_tls_x509_cert_dir wants them
    (ca-cert.pem, server-cert.pem, server-key.pem, client-cert.pem, client-key.pem).
    Readable by all: QEMU reads them as libvirt-qemu, and they protect nothing."""
    os.makedirs(folder, exist_ok=True)

    def openssl(*args):
        subprocess.run(["openssl"] + list(args), check=True, capture_output=True, cwd=folder)

    alt = ",".join(("IP:" if n.replace(".", "").isdigit() else "DNS:") + n for n in names)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Domus test CA",
            "-keyout", "ca-key.pem", "-out", "ca-cert.pem",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    for end, usage in (("server", "serverAuth"), ("client", "clientAuth")):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=%s" % names[0],
                "-keyout", end + "-key.pem", "-out", end + ".csr")
        with open(os.path.join(folder, end + ".ext"), "w") as f:
            f.write("subjectAltName=%s\nextendedKeyUsage=%s\n"
                    "keyUsage=digitalSignature,keyEncipherment\n" % (alt, usage))
        openssl("x509", "-req", "-in", end + ".csr", "-CA", "ca-cert.pem", "-CAkey", "ca-key.pem",
                "-CAcreateserial", "-days", "2", "-extfile", end + ".ext", "-out", end + "-cert.pem")
    os.chmod(folder, 0o755)
    for entry in os.listdir(folder):
        os.chmod(os.path.join(folder, entry), 0o644)


def ssh_known_hosts(path, *servers):
    """A known_hosts that knows each lib_sshd.Sshd in servers, as ssh would have saved them."""
    with open(path, "w") as f:
        for server in servers:
            with open(server.host_key + ".pub") as pub:
                key_type, blob = pub.read().split()[:2]
            f.write("[127.0.0.1]:%d %s %s\n" % (server.port, key_type, blob))
    os.chmod(path, 0o600)
    return path


def ssh_program(workdir, known_hosts):
    """The ssh program libvirt's qemu+ssh runs (its command= option), checking host keys
    against the test's own known_hosts: OpenSSH reads ~/.ssh from the password database,
    not $HOME, so only its options keep it away from root's own files."""
    path = os.path.join(workdir, "ssh-test-known-hosts")
    with open(path, "w") as f:
        f.write("#!/bin/sh\n"
                "exec ssh -F /dev/null -o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes "
                "-o BatchMode=yes \"$@\"\n" % known_hosts)
    os.chmod(path, 0o755)
    return path


def ssh_alias_program(workdir, alias, sshd, known_hosts):
    """An ssh program whose configuration (its own -F file) names sshd as the host alias:
    HostName, Port, User, IdentityFile and UserKnownHostsFile, as a person's ~/.ssh/config
    would; for qemu+ssh://ALIAS/system?command=PROGRAM."""
    config = os.path.join(workdir, "ssh_config")
    with open(config, "w") as f:
        f.write("Host %s\n  HostName 127.0.0.1\n  Port %d\n  User root\n  IdentityFile %s\n"
                "  UserKnownHostsFile %s\n  StrictHostKeyChecking yes\n  BatchMode yes\n"
                % (alias, sshd.port, sshd.client_key, known_hosts))
    path = os.path.join(workdir, "ssh-test-config")
    with open(path, "w") as f:
        f.write("#!/bin/sh\nexec ssh -F %s \"$@\"\n" % config)
    os.chmod(path, 0o755)
    return path


def qemu_ssh_uri(sshd, daemon, known_hosts, program):
    """qemu+ssh to daemon (a LibvirtDaemon) through sshd (a lib_sshd.Sshd) as root: the ssh
    program checks known_hosts through program, Domus's screen tunnel through the URI's
    known_hosts (the same file)."""
    return ("qemu+ssh://root@127.0.0.1:%d/system?socket=%s&keyfile=%s&known_hosts=%s"
            "&no_verify=0&command=%s" % (sshd.port, daemon.socket_path, sshd.client_key,
                                         known_hosts, program))


class LibvirtDaemon:
    """libvirtd and virtlogd in a mount namespace of their own, under root (a folder the
    caller owns). Use as a context manager, or call stop() on every path."""

    def __init__(self, root, name="lv", host_uuid=None, own_network=False, without_kvm=False,
                 migration_tls=None, migration_port=None):
        """own_network: the daemon (and its guests) in a network namespace of its own too,
        so that the virtual networks it starts make their bridges there, not on the
        machine; its VNC and migration ports are then not on the machine's loopback.
        without_kvm: /dev/kvm hidden in the namespace, so that libvirt's own choice of
        virtualisation (kvm before qemu) is TCG: nested KVM hangs on the build machines.
        migration_tls: a folder of certificates from make_migration_certificates(), copied
        to ROOT/etc/pki-qemu and named in qemu.conf (migrate_tls_x509_cert_dir); two
        daemons given the same folder migrate with --tls.
        migration_port: the port its QEMU takes incoming migrations on (qemu.conf's
        migration_port_min; _max is the next one, as libvirt wants a range), for a test
        that watches it: free when the daemon starts, it is the one libvirt takes."""
        self.root = root
        self.own_network = own_network
        self.without_kvm = without_kvm
        self.migration_tls = migration_tls
        self.migration_port = migration_port
        self.name = name
        self.host_uuid = host_uuid or str(uuid.uuid4())
        self.libvirtd = None
        self.virtlogd = None
        self.socket_path = os.path.join(root, "sock", "libvirt-sock")
        for sub in ("etc", "run", "lib/images", "lib/qemu", "cache/qemu", "log/qemu", "sock"):
            os.makedirs(os.path.join(root, sub), exist_ok=True)
        # The namespace's /var/lib/libvirt is ROOT/lib: QEMU (libvirt-qemu) walks through it.
        for sub in ("lib", "lib/images"):
            os.chmod(os.path.join(root, sub), 0o755)
        self._write_config()

    # --- configuration ------------------------------------------------------------

    def _write(self, relative, text):
        with open(os.path.join(self.root, relative), "w") as f:
            f.write(text)

    def _write_config(self):
        self._write("etc/libvirtd.conf",
                    'unix_sock_dir = "%s"\n'
                    'unix_sock_rw_perms = "0700"\n'
                    'unix_sock_ro_perms = "0700"\n'
                    'auth_unix_rw = "none"\n'
                    'auth_unix_ro = "none"\n'
                    'host_uuid = "%s"\n'
                    'log_outputs = "3:file:%s"\n'
                    % (os.path.dirname(self.socket_path), self.host_uuid,
                       os.path.join(self.root, "libvirtd.log")))
        self._write("etc/virtlogd.conf",
                    'log_outputs = "3:file:%s"\n' % os.path.join(self.root, "virtlogd.log"))
        # QEMU's defaults (user libvirt-qemu, DAC labels, VNC on 127.0.0.1, virtlogd) are
        # what a Debian host has, with one change: no cgroups. The cgroup tree is the
        # machine's, not the namespace's, and libvirt names a domain's group after its id
        # and name ("machine/qemu-1-tguest.libvirt-qemu"), so two daemons on one machine
        # running the same guest (a migration's two ends) would share one group and fail
        # to remove it (EBUSY). CPU times then come from /proc instead.
        # And VNC ports of its own: libvirt's autoport takes the first port from 5900 that is
        # free when it looks, and another libvirt on the machine (another test's, or another
        # user's) may bind it before this one's QEMU does ("Failed to find an available
        # port"). 64 ports at random between 7000 and 32700: outside gvnccapture's relays
        # (free_vnc_display) and the kernel's ephemeral ports.
        vnc_min = 7000 + random.randrange(400) * 64
        qemu_conf = ("cgroup_controllers = [ ]\n"
                     "remote_display_port_min = %d\nremote_display_port_max = %d\n" % (vnc_min, vnc_min + 63))
        if self.migration_tls:
            folder = os.path.join(self.root, "etc", "pki-qemu")
            shutil.copytree(self.migration_tls, folder, dirs_exist_ok=True)
            os.chmod(folder, 0o755)
            qemu_conf += 'migrate_tls_x509_cert_dir = "/etc/libvirt/pki-qemu"\n'
        if self.migration_port is not None:
            # libvirt wants a range of two at least; it takes the first port that is free.
            qemu_conf += "migration_port_min = %d\nmigration_port_max = %d\n" % (self.migration_port,
                                                                               self.migration_port + 1)
        self._write("etc/qemu.conf", qemu_conf)

    # --- addresses ----------------------------------------------------------------

    @property
    def uri(self):
        """For virsh and Domus in this mount namespace."""
        return "qemu:///system?socket=" + self.socket_path

    @property
    def peer_uri(self):
        """For another libvirtd (peer-to-peer migration): explicitly remote, so that the
        other daemon's own QEMU driver does not take it for itself."""
        return "qemu+unix:///system?socket=" + self.socket_path

    def host_path(self, inside):
        """Where a path of the namespace's /var/lib/libvirt or /var/log/libvirt is here."""
        for prefix, sub in (("/var/lib/libvirt/", "lib"), ("/var/log/libvirt/", "log"),
                            ("/run/libvirt/", "run"), ("/etc/libvirt/", "etc")):
            if inside.startswith(prefix):
                return os.path.join(self.root, sub, inside[len(prefix):])
        return inside

    # --- processes ----------------------------------------------------------------

    def start(self, timeout=30.0):
        log = open(os.path.join(self.root, "libvirtd.out"), "wb")
        self.libvirtd = subprocess.Popen(
            ["unshare", "--mount"] + (["--net"] if self.own_network else []) +
            ["--propagation", "private", "sh", "-c", NAMESPACE_SETUP,
             "namespace-setup", self.root, LIBVIRTD, "net" if self.own_network else "-",
             "nokvm" if self.without_kvm else "-"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self._wait(lambda: os.path.exists(self.socket_path), "libvirtd's socket", timeout)
        # virtlogd in the same namespace (it listens on /run/libvirt/virtlogd-sock there).
        log = open(os.path.join(self.root, "virtlogd.out"), "wb")
        self.virtlogd = subprocess.Popen(
            ["nsenter", "--mount=/proc/%d/ns/mnt" % self.libvirtd.pid, "--", VIRTLOGD,
             "-f", "/etc/libvirt/virtlogd.conf", "-p", os.path.join(self.root, "virtlogd.pid")],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self._wait(lambda: os.path.exists(os.path.join(self.root, "run", "virtlogd-sock")),
                   "virtlogd's socket", timeout)
        self._wait(lambda: self.virsh("version", check=False).returncode == 0,
                   "libvirtd to answer", timeout)
        return self

    def _wait(self, predicate, what, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for proc, label in ((self.libvirtd, "libvirtd"), (self.virtlogd, "virtlogd")):
                if proc is not None and proc.poll() is not None:
                    raise LibvirtError("%s exited with status %d while waiting for %s\n%s"
                                       % (label, proc.returncode, what, self.logs()))
            if predicate():
                return
            time.sleep(0.05)
        raise LibvirtError("timed out after %.0f s waiting for %s\n%s" % (timeout, what, self.logs()))

    def qemu_pids(self):
        """The QEMU processes of this daemon's domains, from their pid files."""
        pids = []
        folder = os.path.join(self.root, "run", "qemu")
        if os.path.isdir(folder):
            for entry in os.listdir(folder):
                # driver.pid is libvirtd's own lock, not a guest's.
                if entry.endswith(".pid") and entry != "driver.pid":
                    try:
                        with open(os.path.join(folder, entry)) as f:
                            pids.append(int(f.read().strip()))
                    except (OSError, ValueError):
                        pass
        return [pid for pid in pids if pid_alive(pid)]

    def stop(self):
        """Every domain destroyed, both daemons ended, any QEMU left killed: all by PID."""
        if self.libvirtd is not None and self.libvirtd.poll() is None:
            for name in self.virsh("list", "--name", check=False).stdout.split():
                self.virsh("destroy", name, check=False)
        end_process(self.libvirtd)
        end_process(self.virtlogd)
        for pid in self.qemu_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    # --- using it -----------------------------------------------------------------

    def virsh(self, *args, check=True, timeout=120):
        """virsh -c URI ARGS; a CompletedProcess (text). check: LibvirtError on failure."""
        proc = subprocess.run([VIRSH, "-q", "-c", self.uri] + list(args), capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        if check and proc.returncode != 0:
            raise LibvirtError("virsh %s failed (%d): %s" % (" ".join(args), proc.returncode,
                                                           proc.stderr.strip()))
        return proc

    def define(self, xml):
        path = os.path.join(self.root, "define-%d.xml" % time.monotonic_ns())
        with open(path, "w") as f:
            f.write(xml)
        self.virsh("define", path)

    def install_test_guest(self, guest_dir):
        """The test guest's kernel and initramfs in the daemon's images folder; their
        paths as QEMU sees them. (Copies: libvirt relabels what its guests use.)"""
        paths = []
        for name in ("vmlinuz", "initrd.img"):
            source = os.path.join(guest_dir, name)
            if not os.path.isfile(source):
                raise LibvirtError("test guest file %s is missing; build the 'test-guest' "
                                   "target (tests/guest/build-guest.sh)" % source)
            shutil.copyfile(source, os.path.join(self.root, "lib", "images", name))
            paths.append(IMAGES + "/" + name)
        return tuple(paths)

    def start_test_guest(self, guest_dir, name):
        """The test guest as name (test_guest_xml's defaults: VNC on loopback, a serial
        pty), defined and started."""
        kernel, initrd = self.install_test_guest(guest_dir)
        self.define(test_guest_xml(name, kernel, initrd))
        self.virsh("start", name)

    def define_pool(self, name="default"):
        """A directory pool on the images folder, started and autostarted."""
        self.virsh("pool-define-as", name, "dir", "--target", IMAGES)
        self.virsh("pool-start", name)
        self.virsh("pool-autostart", name)

    def define_network(self, name, bridge):
        """An isolated virtual network (no address, no DHCP, no forwarding: nothing
        outside), started. Only in a network namespace of the daemon's own: starting it
        makes the bridge, which must not appear on the machine."""
        if not self.own_network:
            raise LibvirtError("define_network needs LibvirtDaemon(own_network=True)")
        path = os.path.join(self.root, "network-%s.xml" % name)
        with open(path, "w") as f:
            f.write("<network><name>%s</name><bridge name='%s' stp='off'/></network>\n" % (name, bridge))
        self.virsh("net-define", path)
        self.virsh("net-start", name)

    def domain_state(self, name):
        proc = self.virsh("domstate", name, check=False)
        return proc.stdout.strip() if proc.returncode == 0 else None

    def serial_text(self, name):
        try:
            with open(os.path.join(self.root, "log", "qemu", name + "-serial.log"), "rb") as f:
                return f.read().decode("latin-1").replace("\r", "")
        except FileNotFoundError:
            return ""

    def vnc_display(self, name):
        """The domain's VNC port as `host:display` for gvnccapture."""
        out = self.virsh("vncdisplay", name).stdout.strip()
        return out if not out.startswith(":") else "127.0.0.1" + out

    def logs(self, tail=30):
        out = []
        for name in ("libvirtd.log", "libvirtd.out", "virtlogd.out"):
            try:
                with open(os.path.join(self.root, name), errors="replace") as f:
                    lines = f.read().splitlines()
            except OSError:
                continue
            out.append("--- %s (last %d lines) ---" % (name, tail))
            out += lines[-tail:]
        folder = os.path.join(self.root, "log", "qemu")
        if os.path.isdir(folder):
            for entry in sorted(os.listdir(folder)):
                if entry.endswith(".log") and not entry.endswith("-serial.log"):
                    with open(os.path.join(folder, entry), errors="replace") as f:
                        out.append("--- qemu/%s ---" % entry)
                        out += f.read().splitlines()[-10:]
        return "\n".join(out)
