#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs once inside the new system (mmdebstrap's customize hook, in a chroot): makes the
# suite's base image generic, so that every guest made from it gets its own identity from
# its seed disk (domus-guest-setup).
set -eu

chown -R root:root /usr/local/sbin/domus-guest-setup /etc/systemd/system/domus-guest-setup.service \
  /etc/fstab /etc/network/interfaces
chmod 0755 /usr/local/sbin/domus-guest-setup
chmod 0644 /etc/systemd/system/domus-guest-setup.service /etc/fstab /etc/network/interfaces

mkdir -p /etc/systemd/system/multi-user.target.wants /etc/systemd/system/getty.target.wants
ln -sf /etc/systemd/system/domus-guest-setup.service \
  /etc/systemd/system/multi-user.target.wants/domus-guest-setup.service
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
