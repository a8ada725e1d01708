#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Run by busybox acpid on an ACPI power-button press: ask init (PID 1) to power off.
#
# busybox poweroff without -f sends SIGUSR2 to PID 1; the test guest's init traps it,
# says goodbye on its consoles, syncs, unmounts and powers the machine off.
exec /bin/busybox poweroff
