#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Boots the test guest again and again, under load, with domusd's own QEMU command line,
and counts the boots that never get there.

Usage: bench/boot-soak.py [BUILD_DIR] [--boots 60] [--parallel 3] [--hogs 0] [--vcpus 2]
                          [--memory 128] [--deadline 60] [--until TEXT] [--extra WORDS]
                          [--qemu-arg ARG]... [--taskset CPUS] [--nice N] [--keep DIR]
                          [--label TEXT]
       (default build dir: build; the test guest must be built:
        meson compile -C build test-guest)

Each boot's QEMU command line is domusd's own: a domusd under a temporary --root (TCG)
starts the guest once from a config like integration `domains`' guest (128 MiB, an e1000
vif, `vcpus` as asked; the kernel command line the daemon makes, with what it adds under
TCG), and its QEMU's /proc/PID/cmdline, less -daemonize, is the template for every boot.
`--extra` adds kernel words (the config's `extra`), `--tb-size` sets the config's
`tb_size`, `--qemu-arg` adds QEMU arguments after the daemon's: for diagnostic runs and
for trying a cure. `--taskset` and `--nice` run QEMU under those.

`--parallel` guests boot at once, one after the other in each slot, until `--boots` were
started; `--hogs` busy loops run beside them (ended by PID at the end). A boot passes when
"domus-test-guest ready" (or the `--until` text) is in its serial log; QEMU is then ended
by its PID. Like domusd, the script keeps a QMP connection to each QEMU and asks for its
block stats every 200 ms (integration `domains` runs its daemon with that interval). A boot
that has not passed after `--deadline` seconds is a hang if its serial log stood still for
the last 30 s and during the diagnosis, else slow; for both, its serial log, QEMU's output
and threads (state, CPU ticks, wait channel), `info cpus`, `info jit` and
`info registers -a` (three times, a second apart), each vCPU's RIP and the kernel addresses
on its stack, named, and whether the serial log still grew, are kept under `--keep`. Names
come from the guest kernel's own /proc/kallsyms (Debian's /boot/System.map is a
placeholder), printed by one extra boot at the first hang; the KASLR offset from the hung
guest's IDT. SIGINT or SIGTERM stops the soak: the boots under way end, uncounted.

Printed: the QEMU command, one line per boot (when the kernel printed "IP idents", where
CI's hung boot stopped; how often the translation cache was flushed; the longest gap
between two kernel messages' times: a boot that stalls and recovers shows there), then
the counts (passed, hung, QEMU exited), boot times (median, 90th percentile, max) and the
load average at the start and the end.
"""

import bisect
import gzip
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

import lib_args  # bench/lib_args.py, beside this script

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
sys.dont_write_bytecode = True

HUNG_QUIET = 30.0  # as tests/integration/lib_domus.py's GUEST_HUNG_QUIET
STATS_INTERVAL = 0.2  # integration domains runs its daemon with --stats-interval 200
POLL = 0.2


def parse_args():
    parser = lib_args.parser_with_build()
    parser.add_argument("--boots", type=int, default=60, help="boots to start in all")
    parser.add_argument("--parallel", type=int, default=3, help="guests booting at once")
    parser.add_argument("--hogs", type=int, default=0, help="busy loops beside them")
    parser.add_argument("--vcpus", type=int, default=2)
    parser.add_argument("--memory", type=int, default=128)
    parser.add_argument("--deadline", type=float, default=60.0, help="seconds to the ready line")
    parser.add_argument("--until", default=None,
                        help="a serial line's text that ends a boot as passed instead of the ready line "
                             "(e.g. 'NET: Registered PF_UNIX', just past where CI's hung boot stopped): "
                             "shorter boots, more of them")
    parser.add_argument("--tb-size", type=int, default=None,
                        help="the config's tb_size (MiB of TCG's translation cache; 0: QEMU's default); "
                             "without it the daemon's choice")
    parser.add_argument("--extra", default="", help="kernel command line words (the config's extra)")
    parser.add_argument("--qemu-arg", action="append", default=[], help="a QEMU argument to add")
    parser.add_argument("--taskset", default=None,
                        help="host CPUs for every QEMU (taskset -c LIST): vCPU threads that share one "
                             "core are descheduled in turn, which provokes timing races")
    parser.add_argument("--nice", type=int, default=None,
                        help="run every QEMU at this niceness (nice -n N; negative needs root): a guest "
                             "that gets its cores on a busy machine boots as on a quiet one")
    parser.add_argument("--keep", default=None, help="folder for the hung boots' logs")
    parser.add_argument("--label", default="", help="a name for this run in the summary")
    return parser.parse_args()


ARGS = parse_args()
os.environ["DOMUS_BUILD_DIR"] = ARGS.build
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))

import lib_domus  # noqa: E402
import lib_qemu  # noqa: E402

DOMUSD = os.path.join(ARGS.build, "hvcore", "domusd")
GUEST = os.path.join(ARGS.build, "tests", "guest")


def log(text):
    print(text, flush=True)


def guest_config(name):
    extra = "extra = '%s'\n" % ARGS.extra if ARGS.extra else ""
    if ARGS.tb_size is not None:
        extra += "tb_size = %d\n" % ARGS.tb_size
    return ("name = '%s'\nkernel = '%s'\nramdisk = '%s'\nmemory = %d\nvcpus = %d\n"
            "vif = [ 'model=e1000' ]\non_crash = 'destroy'\n%s"
            % (name, os.path.join(GUEST, "vmlinuz"), os.path.join(GUEST, "initrd.img"),
               ARGS.memory, ARGS.vcpus, extra))


def daemon_template(work):
    """domusd's own QEMU argv for the soak's config, read from /proc of the guest a domusd
    (under a --root of its own, TCG) started from it; that guest and daemon are then ended.
    -daemonize is left out, so that each boot's QEMU stays the process the soak started:
    it changes nothing for the guest. Returns (argv, the run folder it names)."""
    root = os.path.join(work, "daemon")
    os.makedirs(root)
    daemon = lib_domus.Daemon(root, name="boot-soak").wait_listening()
    try:
        lib_domus.rpc_reply(daemon.socket_path, "domain.create", config=guest_config("soak"),
                            filename="soak.cfg")
        pids = lib_domus.qemu_pids(root)
        if not pids:
            sys.exit("boot-soak.py: domusd started no QEMU:\n" + daemon.log_text())
        with open("/proc/%d/cmdline" % pids[0], "rb") as f:
            argv = [arg.decode() for arg in f.read().split(b"\0")[:-1]]
    finally:
        daemon.stop()
    return [arg for arg in argv if arg != "-daemonize"], os.path.join(root, "run", "soak")


def daemon_command(work, template, number):
    """The template for boot number: its own name and run folder (made here), then --qemu-arg."""
    argv, template_run_dir = template
    run_dir = os.path.join(work, "run", "soak%d" % number)
    os.makedirs(run_dir)
    argv = [arg.replace(template_run_dir, run_dir) for arg in argv] + ARGS.qemu_arg
    argv[argv.index("-name") + 1] = "soak%d" % number
    # taskset and nice exec QEMU: the PID stays QEMU's.
    if ARGS.taskset:
        argv = ["taskset", "-c", ARGS.taskset] + argv
    if ARGS.nice is not None:
        argv = ["nice", "-n", str(ARGS.nice)] + argv
    return argv, run_dir


class DaemonLineGuest(lib_qemu.QemuGuest):
    """A QemuGuest that runs a given argv, with the serial log and QMP socket of a run folder."""

    def __init__(self, argv, run_dir):
        super().__init__(GUEST, run_dir, name="qemu")
        self.argv = argv
        self.serial_path = os.path.join(run_dir, "serial.log")
        self.qmp_path = os.path.join(run_dir, "qmp.sock")

    def command(self):
        return self.argv


# --- naming kernel addresses --------------------------------------------------------------

KALLSYMS_INIT = b"""#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox grep -i ' [tw] ' /proc/kallsyms > /dev/console
/bin/busybox poweroff -f
"""
KASLR_ALIGN = 0x200000  # CONFIG_PHYSICAL_ALIGN of Debian's x86-64 kernels
SYMBOL_LINE = re.compile(r"^([0-9a-f]{16}) [tTwW] (\S+)$")


def newc_file(name, data, mode=0o100755):
    """A one-file newc cpio archive: enough to add a file to the guest's initramfs."""
    def padded(blob):
        return blob + b"\0" * (-len(blob) % 4)
    def header(ino, entry_mode, size, entry_name):
        fields = (ino, entry_mode, 0, 0, 1, 0, size, 0, 0, 0, 0, len(entry_name) + 1, 0)
        return padded(b"070701" + b"".join(b"%08X" % f for f in fields) + entry_name + b"\0")
    return (header(1, mode, len(data), name) + padded(data)
            + header(2, 0, 0, b"TRAILER!!!"))


def guest_kallsyms(work):
    """The test guest kernel's text symbols, unmoved: Debian's /boot/System.map is a placeholder
    (the real one is in the -dbg package), so the guest prints /proc/kallsyms once, booted with
    nokaslr and an init that does only that (added to its initramfs as a second archive)."""
    initrd = os.path.join(work, "kallsyms-initrd.img")
    serial = os.path.join(work, "kallsyms.txt")
    with open(os.path.join(GUEST, "initrd.img"), "rb") as f:
        base = f.read()
    with open(initrd, "wb") as f:
        f.write(base + gzip.compress(newc_file(b"domus-kallsyms", KALLSYMS_INIT)))
    subprocess.run([lib_qemu.qemu_binary(), "-accel", "tcg", "-m", "256", "-nodefaults", "-display", "none",
                    "-no-reboot", "-kernel", os.path.join(GUEST, "vmlinuz"), "-initrd", initrd,
                    "-append", "console=ttyS0 loglevel=1 nokaslr no_timer_check rdinit=/domus-kallsyms",
                    "-serial", "file:" + serial], stdin=subprocess.DEVNULL, capture_output=True, timeout=600)
    symbols = {}
    with open(serial, errors="replace") as f:
        for line in f:
            m = SYMBOL_LINE.match(line.strip())
            if m:
                symbols.setdefault(m.group(2), int(m.group(1), 16))
    return symbols


class Symbols:
    """Names for a running guest kernel's addresses, loaded on first use."""

    def __init__(self, work):
        self.work = work
        self.lock = threading.Lock()
        self.by_name = None

    def load(self):
        with self.lock:
            if self.by_name is None:
                self.by_name = guest_kallsyms(self.work)
                pairs = sorted((address, name) for name, address in self.by_name.items())
                self.addresses = [address for address, _ in pairs]
                self.names = [name for _, name in pairs]
        return bool(self.by_name)

    def name(self, address, offset):
        """function+0xN for an address of the kernel moved by offset, or None outside it."""
        unslid = address - offset
        if not self.addresses or not self.addresses[0] <= unslid < self.addresses[-1] + 0x1000:
            return None
        i = bisect.bisect_right(self.addresses, unslid) - 1
        return "%s+0x%x" % (self.names[i], unslid - self.addresses[i])

    def kaslr_offset(self, idt_entry):
        """How far the kernel was moved: the IDT's divide-error entry against its symbol. None
        before the kernel has its own IDT: the offset is then not a multiple of 2 MiB."""
        handler = self.by_name.get("asm_exc_divide_error")
        if handler is None or idt_entry is None:
            return None
        offset = idt_entry - handler
        return offset if offset >= 0 and offset % KASLR_ALIGN == 0 else None


def idt_divide_error_entry(guest, registers):
    """The handler address in the IDT's first gate (a 16-byte x86-64 interrupt gate)."""
    m = re.search(r"IDT=\s*([0-9a-f]+)", registers)
    if m is None:
        return None
    words = re.findall(r"0x([0-9a-f]{16})", guest.hmp("x /2gx 0x%s" % m.group(1)))
    if len(words) < 2:
        return None
    low, high = int(words[0], 16), int(words[1], 16)
    return (low & 0xFFFF) | (((low >> 48) & 0xFFFF) << 16) | ((high & 0xFFFFFFFF) << 32)


def vcpu_states(guest, registers):
    """[(RIP, [words on the stack])] per vCPU from one 'info registers -a'."""
    states = []
    for index, block in enumerate(re.split(r"(?m)^CPU#\d+", registers)[1:]):
        rip = re.search(r"[RE]IP=([0-9a-f]+)", block)
        rsp = re.search(r"[RE]SP=([0-9a-f]+)", block)
        if rip is None or rsp is None:
            continue
        guest.hmp("cpu %d" % index)
        stack = re.findall(r"0x([0-9a-f]{16})", guest.hmp("x /96gx 0x%s" % rsp.group(1)))
        states.append((int(rip.group(1), 16), [int(word, 16) for word in stack]))
    guest.hmp("cpu 0")
    return states


def named_states(symbols, samples, offset):
    """Lines naming each sample's vCPU RIPs and the kernel addresses on their stacks."""
    lines = []
    for number, states in enumerate(samples):
        for cpu, (rip, stack) in enumerate(states):
            names = [symbols.name(word, offset) for word in stack]
            lines.append("sample %d cpu %d: RIP %016x %s" % (number + 1, cpu, rip, symbols.name(rip, offset)))
            lines.append("  stack: " + " < ".join(n for n in names if n is not None))
    return lines


def qemu_threads(pid):
    """'name state cpu-ticks' of each thread of QEMU: a vCPU thread that spins gains ticks, one
    that is halted or blocked inside QEMU sleeps (its kernel wait channel says where)."""
    lines = []
    for tid in sorted(os.listdir("/proc/%d/task" % pid), key=int):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                name, rest = f.read().rsplit(")", 1)
            with open("/proc/%d/task/%s/wchan" % (pid, tid)) as f:
                wchan = f.read().strip()
        except OSError:
            continue
        fields = rest.split()
        lines.append("%s %s %s ticks=%d wchan=%s" % (tid, name.split("(", 1)[1], fields[0],
                                                     int(fields[11]) + int(fields[12]), wchan))
    return lines


def diagnose(guest, keep_dir, argv, symbols):
    """What a hung guest's vCPUs do, written beside a copy of its logs. Returns the first
    sample's RIPs, named, and whether the serial log still grew meanwhile."""
    size_before = os.path.getsize(guest.serial_path) if os.path.exists(guest.serial_path) else 0
    report = ["command: " + " ".join(shlex.quote(a) for a in argv), ""]
    samples = []
    idt_entry = None
    report += ["QEMU threads:"] + qemu_threads(guest.proc.pid)
    try:
        report += ["info cpus:", guest.hmp("info cpus"), "info jit:", guest.hmp("info jit")]
        for sample in range(3):
            registers = guest.hmp("info registers -a")
            report += ["--- info registers -a, sample %d ---" % (sample + 1), registers]
            if sample == 0:
                idt_entry = idt_divide_error_entry(guest, registers)
            samples.append(vcpu_states(guest, registers))
            time.sleep(1.0)
    except (lib_qemu.GuestError, OSError) as e:
        report.append("monitor: %s" % e)
    report += ["QEMU threads, %d s later:" % len(samples)] + qemu_threads(guest.proc.pid)
    size_after = os.path.getsize(guest.serial_path) if os.path.exists(guest.serial_path) else 0
    report.append("serial log: %d bytes at the deadline, %d after the diagnosis" % (size_before, size_after))
    os.makedirs(keep_dir, exist_ok=True)
    for path in (guest.serial_path, guest.log_path):
        if os.path.exists(path):
            shutil.copy(path, keep_dir)
    guest.close()
    summary = []
    if samples and symbols.load():
        offset = symbols.kaslr_offset(idt_entry)
        if offset is not None:
            report.append("KASLR offset 0x%x" % offset)
            named = named_states(symbols, samples, offset)
            report += named
            summary = [line.split(": ", 1)[1] for line in named if line.startswith("sample 1 cpu")]
    with open(os.path.join(keep_dir, "diagnosis.txt"), "w") as f:
        f.write("\n".join(report) + "\n")
    return summary, size_after > size_before


# --- the soak ------------------------------------------------------------------------------

class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.started = 0
        self.ready_times = []
        self.hung = []
        self.exited = []
        self.slow = []
        self.long_gaps = []
        self.stopping = False

    def stop(self, *_):
        """SIGINT or SIGTERM: no new boots, and the running ones end now, uncounted."""
        self.stopping = True

    def take(self):
        """The next boot's number, or None once --boots were started or the soak was stopped."""
        with self.lock:
            if self.stopping or self.started >= ARGS.boots:
                return None
            self.started += 1
            return self.started


KERNEL_TIME = re.compile(r"^\[\s*(\d+\.\d+)\] (.*)")
LONG_GAP = 5.0


def longest_gap(lines):
    """(seconds, line) of the longest stretch of kernel time between two kernel messages:
    a boot that stalls and then recovers shows it here."""
    best = (0.0, "")
    previous = None
    for line in lines:
        m = KERNEL_TIME.match(line.strip())
        if m is None:
            continue
        stamp = float(m.group(1))
        if previous is not None and stamp - previous > best[0]:
            best = (stamp - previous, m.group(2))
        previous = stamp
    return best


def kernel_time_of(lines, text):
    """The kernel's time stamp of the first message holding text, or None."""
    for line in lines:
        m = KERNEL_TIME.match(line.strip())
        if m and text in m.group(2):
            return float(m.group(1))
    return None


def last_line(guest):
    lines = [line for line in guest.serial_lines() if line.strip()]
    return lines[-1].strip() if lines else "(nothing)"


def passed(line):
    """Whether this serial line ends a boot as passed (--until, or the guest's ready line)."""
    return ARGS.until in line if ARGS.until else line.strip() == lib_qemu.READY_LINE


def boot_once(number, work, keep, tally, symbols, template):
    name = "soak%d" % number
    argv, run_dir = daemon_command(work, template, number)
    guest = DaemonLineGuest(argv, run_dir)
    t0 = time.monotonic()
    try:
        guest.start(qmp_timeout=ARGS.deadline)
        next_stats = t0
        length, changed = 0, t0
        while not tally.stopping:
            now = time.monotonic()
            lines = guest.serial_lines()
            if sum(map(len, lines)) != length:
                length, changed = sum(map(len, lines)), now
            if any(passed(line) for line in lines):
                gap, before = longest_gap(lines)
                flushes = re.search(r"TB flush count\s+(\d+)", guest.hmp("info jit"))
                with tally.lock:
                    tally.ready_times.append(now - t0)
                    if gap > LONG_GAP:
                        tally.long_gaps.append(number)
                idents = kernel_time_of(lines, "IP idents hash table")
                log("boot %d: passed in %.1f s; 'IP idents' at %s s of the kernel's time; %s translation "
                    "cache flushes; longest kernel-time gap %.2f s, before: %s"
                    % (number, now - t0, "?" if idents is None else "%.2f" % idents,
                       flushes.group(1) if flushes else "?", gap, before))
                return
            if guest.proc.poll() is not None:
                with tally.lock:
                    tally.exited.append(number)
                log("boot %d: QEMU exited (status %d) after %.1f s; serial ends: %s"
                    % (number, guest.proc.returncode, now - t0, last_line(guest)))
                return
            if now - t0 > ARGS.deadline:
                keep_dir = os.path.join(keep, name)
                quiet = now - changed
                cpus, grew = diagnose(guest, keep_dir, argv, symbols)
                # A log that still grows is a slow boot (a loaded host), not a hang.
                hung = quiet >= HUNG_QUIET and not grew
                with tally.lock:
                    (tally.hung if hung else tally.slow).append(number)
                log("boot %d: %s, not passed in %.0f s; no serial output for the last %.0f s%s; serial ends: %s; "
                    "%s; kept in %s" % (number, "HUNG" if hung else "SLOW", ARGS.deadline, quiet,
                                        ", nor during the diagnosis" if not grew else ", some during the diagnosis",
                                        last_line(guest), "; ".join(cpus) or "no RIP named", keep_dir))
                return
            if now >= next_stats:
                guest.qmp("query-blockstats")
                next_stats = now + STATS_INTERVAL
            time.sleep(POLL)
    except lib_qemu.GuestError as e:
        with tally.lock:
            tally.exited.append(number)
        log("boot %d: %s" % (number, str(e).splitlines()[0]))
    finally:
        guest.close()
        shutil.rmtree(run_dir, ignore_errors=True)


def slot(work, keep, tally, symbols, template):
    while True:
        number = tally.take()
        if number is None:
            return
        boot_once(number, work, keep, tally, symbols, template)


def start_hogs(count):
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def describe_run(load_start):
    return ("boot-soak %s: %d boots, %d at once, %d hogs, %d vCPUs, %d MiB, deadline %.0f s, until '%s', "
            "tb_size %s, extra '%s', QEMU args %s, taskset %s, nice %s, load %s"
            % (ARGS.label, ARGS.boots, ARGS.parallel, ARGS.hogs, ARGS.vcpus, ARGS.memory, ARGS.deadline,
               ARGS.until or lib_qemu.READY_LINE, "the daemon's" if ARGS.tb_size is None else ARGS.tb_size,
               ARGS.extra, ARGS.qemu_arg, ARGS.taskset or "none", ARGS.nice, load_start))


def describe_result(tally, seconds, load_start, keep):
    times = tally.ready_times or [0.0]
    return ("boot-soak %s: %d boots in %.0f s%s: %d passed, %d hung (%s), %d slow (%s), %d QEMU exited; %d passed "
            "boots with a kernel-time gap over %.0f s (%s); passed in median %.1f s, p90 %.1f s, max %.1f s; "
            "load %s at the start, %s at the end; logs of the boots not passed in %s"
            % (ARGS.label, len(tally.ready_times) + len(tally.hung) + len(tally.slow) + len(tally.exited), seconds,
               " (stopped: boots under way not counted)" if tally.stopping else "",
               len(tally.ready_times), len(tally.hung), ", ".join(map(str, tally.hung)) or "none",
               len(tally.slow), ", ".join(map(str, tally.slow)) or "none",
               len(tally.exited), len(tally.long_gaps), LONG_GAP, ", ".join(map(str, tally.long_gaps)) or "none",
               statistics.median(times), percentile(times, 0.9), max(times), load_start, load_average(), keep))


def main():
    for path in (DOMUSD, os.path.join(GUEST, "vmlinuz")):
        if not os.path.exists(path):
            sys.exit("boot-soak.py: %s is missing; run meson compile -C %s && meson compile -C %s test-guest"
                     % (path, ARGS.build, ARGS.build))
    work = lib_qemu.make_temp_dir("domus-boot-soak-")
    keep = ARGS.keep or os.path.join(work, "hung")
    tally = Tally()
    symbols = Symbols(work)
    template = daemon_template(work)
    log("QEMU command (domusd's, less -daemonize): " + " ".join(shlex.quote(a) for a in template[0]))
    load_start = load_average()
    log(describe_run(load_start))
    signal.signal(signal.SIGINT, tally.stop)
    signal.signal(signal.SIGTERM, tally.stop)
    hogs = start_hogs(ARGS.hogs)
    t0 = time.monotonic()
    try:
        threads = [threading.Thread(target=slot, args=(work, keep, tally, symbols, template))
                   for _ in range(ARGS.parallel)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for hog in hogs:
            lib_qemu.end_process(hog, 5)
        # The hung boots' logs stay; without --keep they are in the work folder.
        if ARGS.keep or not (tally.hung or tally.slow):
            shutil.rmtree(work, ignore_errors=True)
    log(describe_result(tally, time.monotonic() - t0, load_start, keep))
    return 1 if tally.hung or tally.slow or tally.exited else 0


if __name__ == "__main__":
    sys.exit(main())
