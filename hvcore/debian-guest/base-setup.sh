#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs once inside the new system (mmdebstrap's customize hook, in a chroot): makes the
# suite's base image generic, so that every guest made from it gets its own identity from
# its seed disk (domus-guest-setup).
set -eu

system=/etc/systemd/system
units="$system/domus-guest-setup.service $system/domus-guest-ssh.service $system/domus-guest-grow.service"
confs="$system/getty@.service.d/domus-no-idle.conf $system/serial-getty@.service.d/domus-no-idle.conf
  /etc/systemd/system.conf.d/domus-status.conf"
chown -R root:root /usr/local/sbin/domus-guest-setup $units $confs /etc/fstab /etc/network/interfaces \
  /etc/ssh/sshd_config.d/domus-host-keys.conf
chmod 0755 /usr/local/sbin/domus-guest-setup
chmod 0644 $units $confs /etc/fstab /etc/network/interfaces /etc/ssh/sshd_config.d/domus-host-keys.conf

mkdir -p $system/multi-user.target.wants $system/getty.target.wants $system/ssh.service.requires
for unit in $units; do
  ln -sf "$unit" "$system/multi-user.target.wants/${unit##*/}"
done
# sshd never starts without the guest's own host keys (a clone's old ones, or none).
ln -sf "$system/domus-guest-ssh.service" "$system/ssh.service.requires/domus-guest-ssh.service"
# What domus-guest-setup would otherwise make before the login prompt, one program each:
# the seed's mount point and root's .ssh.
install -d -m 0755 /var/lib/domus-guest-setup/seed
install -d -m 0700 /root/.ssh
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
