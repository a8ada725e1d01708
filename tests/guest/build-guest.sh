#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds the Domus test guest (the host's kernel plus a busybox initramfs) into OUTDIR.
#
# Usage: build-guest.sh [--depfile FILE] OUTDIR
#
# Writes OUTDIR/vmlinuz and OUTDIR/initrd.img. Needs only read access to /boot and
# /lib/modules, and the packages linux-image-amd64 and busybox-static. The initramfs
# is written by hand as a newc cpio so that it can hold a /dev/console node without
# root and comes out byte-for-byte identical on every run (fixed inode numbers,
# owners and times, gzip -n).
#
# Overrides (for odd hosts): DOMUS_GUEST_KERNEL=/boot/vmlinuz-X picks a kernel,
# DOMUS_GUEST_BUSYBOX=/path/busybox picks a static busybox.

set -eu

die () {
  echo "build-guest.sh: error: $*" >&2
  exit 1
}

depfile=
while [ $# -gt 0 ]; do
  case $1 in
    --depfile) [ $# -ge 2 ] || die "--depfile needs a file name"; depfile=$2; shift 2 ;;
    --depfile=*) depfile=${1#--depfile=}; shift ;;
    -h|--help) sed -n '3,14s/^# \{0,1\}//p' "$0"; exit 0 ;;
    --) shift; break ;;
    -*) die "unknown option $1" ;;
    *) break ;;
  esac
done
[ $# -eq 1 ] || die "usage: build-guest.sh [--depfile FILE] OUTDIR"
outdir=$1
srcdir=$(cd "$(dirname "$0")" && pwd)

# Modules the guest loads, in this order (each after its dependencies). button and
# evdev make the ACPI power button reach acpid; the rest let later tests see disks,
# CD-ROMs and NICs, pvpanic-mmio a kernel panic to QEMU (on_crash). Missing ones are skipped
# with a notice, except button and evdev.
required_modules="button evdev"
optional_modules="virtio_pci virtio_blk virtio_net scsi_mod sd_mod cdrom sr_mod
                  ata_piix ata_generic ahci e1000 pvpanic-mmio"

# --- pick the kernel -------------------------------------------------------------

if [ -n "${DOMUS_GUEST_KERNEL:-}" ]; then
  kernel=$DOMUS_GUEST_KERNEL
else
  kernel=$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
fi
if [ -n "${DOMUS_GUEST_KERNEL:-}" ]; then
  [ -f "$kernel" ] || die "DOMUS_GUEST_KERNEL names $kernel, which does not exist"
else
  [ -n "$kernel" ] && [ -f "$kernel" ] ||
    die "no kernel found in /boot (/boot/vmlinuz-*); install the package linux-image-amd64"
fi
[ -r "$kernel" ] || die "cannot read $kernel; make it readable or run as a user who can"
kver=${kernel##*/vmlinuz-}
moddir=/lib/modules/$kver
[ -r "$moddir/modules.dep" ] ||
  die "no $moddir/modules.dep for kernel $kernel; reinstall the package linux-image-amd64 (or linux-image-$kver)"

busybox=${DOMUS_GUEST_BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || die "no $busybox; install the package busybox-static"
# A dynamically linked busybox would need its libraries in the initramfs too.
if command -v file >/dev/null 2>&1 && file -L "$busybox" | grep -q 'dynamically linked'; then
  die "$busybox is dynamically linked; install the package busybox-static"
fi

mkdir -p "$outdir"
work=$(mktemp -d "$outdir/.build-guest.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# --- resolve modules through modules.dep ------------------------------------------

# Prints the modules.dep path of module $1 (dashes and underscores are the same).
module_path () {
  name=$(echo "$1" | tr - _)
  awk -F: -v want="$name" '{
      base = $1; sub(/.*\//, "", base); sub(/\.ko(\.xz|\.zst|\.gz)?$/, "", base)
      gsub(/-/, "_", base)
      if (base == want) { print $1; exit }
    }' "$moddir/modules.dep"
}

# Prints the dependencies of the module at modules.dep path $1, in load order.
# modules.dep lists them so that the last one must be loaded first.
module_deps () {
  awk -F: -v want="$1" '$1 == want {
      n = split($2, d, " ")
      for (i = n; i >= 1; i--) print d[i]
      exit
    }' "$moddir/modules.dep"
}

: > "$work/order"
add_module () {
  grep -qxF "$1" "$work/order" || echo "$1" >> "$work/order"
}

deps_used="$moddir/modules.dep"
for m in $required_modules $optional_modules; do
  p=$(module_path "$m")
  if [ -z "$p" ]; then
    case " $required_modules " in
      *" $m "*) die "kernel $kver has no module $m (needed for the ACPI power button)" ;;
    esac
    # Built into the kernel (modules.builtin) or absent: nothing to load either way.
    continue
  fi
  for d in $(module_deps "$p"); do
    add_module "$d"
  done
  add_module "$p"
done

mkdir -p "$work/root/lib/modules"
: > "$work/root/lib/modules/load-order"
while read -r p; do
  src=$moddir/$p
  base=${p##*/}
  base=${base%.xz}; base=${base%.zst}; base=${base%.gz}
  # busybox insmod cannot be relied on to decompress, so store plain .ko files.
  case $p in
    *.ko.xz) xz -dc "$src" > "$work/root/lib/modules/$base" ;;
    *.ko.zst) zstd -qdc "$src" > "$work/root/lib/modules/$base" ;;
    *.ko.gz) gzip -dc "$src" > "$work/root/lib/modules/$base" ;;
    *) cat "$src" > "$work/root/lib/modules/$base" ;;
  esac
  echo "$base" >> "$work/root/lib/modules/load-order"
  deps_used="$deps_used $src"
done < "$work/order"

# --- write the initramfs ----------------------------------------------------------

cpio=$work/initrd.cpio
: > "$cpio"
ino=1
mtime=${SOURCE_DATE_EPOCH:-0}

# pad FILE-SIZE: writes NULs up to the next multiple of 4.
pad () {
  case $(( $1 % 4 )) in
    1) printf '\000\000\000' ;;
    2) printf '\000\000' ;;
    3) printf '\000' ;;
  esac
}

# entry NAME MODE(octal) NLINK RDEVMAJOR RDEVMINOR [DATAFILE | -s TARGET]
entry () {
  name=$1 mode=$2 nlink=$3 rmaj=$4 rmin=$5
  size=0
  if [ $# -ge 7 ] && [ "$6" = -s ]; then
    size=$(( $(printf '%s' "$7" | wc -c) ))
  elif [ $# -ge 6 ]; then
    size=$(( $(wc -c < "$6") ))
  fi
  namesize=$(( ${#name} + 1 ))
  {
    printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
      "$ino" "$((0$mode))" 0 0 "$nlink" "$mtime" "$size" 0 0 "$rmaj" "$rmin" "$namesize" 0
    printf '%s\000' "$name"
    pad $(( 110 + namesize ))
    if [ $# -ge 7 ] && [ "$6" = -s ]; then
      printf '%s' "$7"
    elif [ $# -ge 6 ]; then
      cat "$6"
    fi
    pad "$size"
  } >> "$cpio"
  ino=$(( ino + 1 ))
}

dir () { entry "$1" 040755 2 0 0; }
file () { entry "$1" "$2" 1 0 0 "$3"; }

for d in bin dev etc etc/acpi etc/acpi/PWRF lib lib/modules proc run sys tmp; do
  dir "$d"
done
# The kernel opens /dev/console for init before init can mount devtmpfs.
entry dev/console 020600 1 5 1
file bin/busybox 0100755 "$busybox"
entry bin/sh 0120777 1 0 0 -s busybox
file init 0100755 "$srcdir/init"
# busybox acpid runs /etc/acpi/PWRF/00000080 when the power button is pressed.
file etc/acpi/PWRF/00000080 0100755 "$srcdir/power-button.sh"
file lib/modules/load-order 0100644 "$work/root/lib/modules/load-order"
while read -r base; do
  file "lib/modules/$base" 0100644 "$work/root/lib/modules/$base"
done < "$work/root/lib/modules/load-order"
entry TRAILER!!! 0 1 0 0

gzip -n -9 < "$cpio" > "$work/initrd.img"
cp "$kernel" "$work/vmlinuz"

# --- publish: rename over the old files, so readers never see a half-written one --

mv -f "$work/vmlinuz" "$outdir/vmlinuz"
mv -f "$work/initrd.img" "$outdir/initrd.img"

if [ -n "$depfile" ]; then
  # The directories are listed so that installing a newer kernel triggers a rebuild.
  {
    printf '%s %s:' "$outdir/vmlinuz" "$outdir/initrd.img"
    for f in "$kernel" "$busybox" /boot /lib/modules "$srcdir/init" \
        "$srcdir/power-button.sh" "$srcdir/build-guest.sh" $deps_used; do
      printf ' \\\n  %s' "$f"
    done
    printf '\n'
  } > "$work/depfile"
  mv -f "$work/depfile" "$depfile"
fi

echo "build-guest.sh: kernel $kver, $(wc -l < "$work/root/lib/modules/load-order") modules," \
  "initrd $(wc -c < "$outdir/initrd.img") bytes in $outdir"
