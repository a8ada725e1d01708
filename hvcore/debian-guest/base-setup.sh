#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs once inside the new system (mmdebstrap's customize hook, in a chroot): makes the
# suite's base image generic, so that every guest made from it gets its own identity from
# its seed disk (domus-guest-setup).
set -eu

units="/etc/systemd/system/domus-guest-setup.service /etc/systemd/system/domus-guest-grow.service"
chown -R root:root /usr/local/sbin/domus-guest-setup $units /etc/fstab /etc/network/interfaces \
  /etc/ssh/sshd_config.d/domus-host-keys.conf
chmod 0755 /usr/local/sbin/domus-guest-setup
chmod 0644 $units /etc/fstab /etc/network/interfaces /etc/ssh/sshd_config.d/domus-host-keys.conf

mkdir -p /etc/systemd/system/multi-user.target.wants /etc/systemd/system/getty.target.wants
for unit in $units; do
  ln -sf "$unit" "/etc/systemd/system/multi-user.target.wants/${unit##*/}"
done
# Nothing at boot that a guest does not need, since under TCG every process started at boot
# takes time from the login prompt (one vCPU): e2scrub_reap and e2scrub_all look for LVM
# snapshots (there is no LVM here; the first took up to a minute of a boot), getty-static
# starts gettys on tty2 to tty6 (tty1 keeps its own).
for unit in e2scrub_reap.service e2scrub_all.timer getty-static.service; do
  rm -f /etc/systemd/system/*.wants/"$unit"
  ln -sf /dev/null "/etc/systemd/system/$unit"
done
# A login prompt on the serial console, which domusctl create -c shows.
ln -sf /lib/systemd/system/serial-getty@.service \
  /etc/systemd/system/getty.target.wants/serial-getty@ttyS0.service

# No identity in the base: host keys and machine id are made per guest at its first boot.
rm -f /etc/ssh/ssh_host_*
: > /etc/machine-id
rm -f /var/lib/dbus/machine-id
echo debian > /etc/hostname
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n' > /etc/hosts
# The build host's resolver means nothing in the guest; DHCP writes the guest's own.
rm -f /etc/resolv.conf
