/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A validated, typed view of an xm domain configuration, ready to become a QEMU command line. */

#pragma once

#include <glib-object.h>

#include "hv-config.h"
#include "hv-port-forward.h"

G_BEGIN_DECLS

typedef enum {
  HV_DOMAIN_BUILDER_LINUX,  /* xm's default: a paravirtualised guest */
  HV_DOMAIN_BUILDER_HVM,    /* builder = "hvm": a fully virtualised guest */
} HvDomainBuilder;

typedef enum {
  HV_DOMAIN_BOOT_KERNEL,    /* direct kernel boot: -kernel, -initrd, -append */
  HV_DOMAIN_BOOT_FIRMWARE,  /* the firmware boots a disk or CD in `boot` order */
} HvDomainBootMethod;

typedef enum {
  HV_DISK_BUS_IDE,     /* hda..hdd, and every CD-ROM */
  HV_DISK_BUS_VIRTIO,  /* xvd*, sd*, vd* and partition names, in listed order */
} HvDiskBus;

/* What xm's on_poweroff, on_reboot and on_crash accept. */
typedef enum {
  HV_DOMAIN_ACTION_DESTROY,
  HV_DOMAIN_ACTION_RESTART,
  HV_DOMAIN_ACTION_PRESERVE,
  HV_DOMAIN_ACTION_RENAME_RESTART,
  HV_DOMAIN_ACTION_COREDUMP_DESTROY,
  HV_DOMAIN_ACTION_COREDUMP_RESTART,
} HvDomainAction;

typedef struct {
  guint      number;      /* 1-based position in `disk`; 0 for the `cdrom` key */
  char      *entry;       /* the entry as written, for messages */
  char      *backend;     /* "phy", "file", "tap:aio", "tap:qcow2", ...; "" when absent */
  char      *path;        /* absolute; "" for an empty CD-ROM drive */
  char      *device;      /* the guest device without ioemu: and :cdrom ("hda", "xvda2") */
  char      *format;      /* QEMU's name: "raw", "qcow2", "qcow", "vmdk", "vpc", "qed"; NULL for an empty drive */
  gboolean   format_explicit; /* the entry named it (tap:qcow2:, xl's format=), not a default */
  HvDiskBus  bus;
  int        ide_index;   /* 0..3 on IDE, -1 on virtio */
  gboolean   cdrom;
  gboolean   readonly;    /* mode "r" */
  gboolean   shared;      /* mode "w!": writable and shareable with another guest */
} HvDiskSpec;

typedef struct {
  guint     number;        /* 0-based, as Xen counts vifs (vif 0, vif 1) */
  char     *entry;         /* the entry as written */
  char     *mac;           /* lowercase aa:bb:cc:dd:ee:ff, never NULL */
  gboolean  mac_generated; /* the file had none: write `mac` back at first start */
  char     *bridge;        /* NULL when not given */
  char     *model;         /* the QEMU device: "e1000", "virtio-net-pci", ... */
  GPtrArray *forwards;     /* HvPortForward: `forward=` items (user-mode networking); never NULL */
} HvVifSpec;

typedef struct {
  char               *filename;   /* the config's name, for messages */
  char               *name;
  char               *uuid;       /* NULL when not given */
  GStrv               tags;       /* the `tags` key: labels for grouping, never NULL */
  gint64              memory_mib;
  gint64              vcpus;
  gint64              tb_size_mib; /* Domus's `tb_size`: TCG's translation cache, 0 for QEMU's
                                      default; -1 when the config does not set it */
  HvDomainBuilder     builder;
  HvDomainBootMethod  boot_method;
  char               *kernel;     /* absolute paths; NULL unless boot_method is KERNEL */
  char               *ramdisk;
  char               *cmdline;    /* the kernel command line built from root and extra */
  char               *boot_order; /* validated letters, e.g. "dc"; firmware boot only */
  GPtrArray          *disks;      /* HvDiskSpec, in listed order, the `cdrom` drive last */
  GPtrArray          *vifs;       /* HvVifSpec */
  gboolean            vnc;
  gboolean            localtime;
  gboolean            acpi;
  gboolean            usb;         /* a USB controller: usb = 1, or any usbdevice */
  GStrv               usb_devices; /* "usb-tablet", "usb-mouse"; never NULL */
  char               *vga;         /* QEMU's -vga: "std", "cirrus" or "none" */
  gboolean            clipboard;   /* a qemu-vdagent channel: the console's clipboard reaches
                                      the guest's spice-vdagent */
  HvDomainAction      on_poweroff;
  HvDomainAction      on_reboot;
  HvDomainAction      on_crash;
  GPtrArray          *notices;    /* strings "key: what happens instead" */
} HvDomainSpec;

typedef enum {
  HV_DOMAIN_SPEC_FLAGS_NONE   = 0,
  /* Kernels, ramdisks, images and CD-ROMs that do not exist are errors rather than
   * notices: what the daemon wants before it starts QEMU. */
  HV_DOMAIN_SPEC_STRICT_FILES = 1 << 0,
  /* Name, uuid, tags, memory and vcpus only, for listings (hv-defined.c): the rest of the
   * spec stays empty. */
  HV_DOMAIN_SPEC_BASICS_ONLY  = 1 << 1,
} HvDomainSpecFlags;

/* Errors are HV_CONFIG_ERROR_TYPE, _INVALID or _MISSING and name file, line, column and key. */
HvDomainSpec *hv_domain_spec_new          (HvConfig            *config,
                                           HvDomainSpecFlags    flags,
                                           GError             **error);
void          hv_domain_spec_free         (HvDomainSpec        *spec);

/* The notices as a NULL-terminated array of strings. */
GStrv         hv_domain_spec_dup_notices  (const HvDomainSpec  *spec);

/* A fresh MAC in Xen's range (00:16:3e with the next bit clear), as xm generated them. */
char         *hv_domain_spec_generate_mac (void);

/* `entry` (a vif entry) with "mac=MAC" put first, for writing a generated MAC back. */
char         *hv_domain_spec_vif_entry_with_mac (const char *entry,
                                                 const char *mac);

/*
 * Every file the spec names (kernel, ramdisk, each disk and CD-ROM) lies inside one of
 * `folders` (symbolic links followed); else FALSE and an HV_CONFIG_ERROR_INVALID error naming
 * the key and the path. For clients that are not the daemon's own user.
 */
gboolean      hv_domain_spec_check_folders (const HvDomainSpec  *spec,
                                            const char * const  *folders,
                                            GError             **error);

/* "destroy", "restart", ... */
const char   *hv_domain_action_to_string  (HvDomainAction       action);
gboolean      hv_domain_action_from_string (const char         *text,
                                            HvDomainAction     *out);

/* common/'s domus_domain_name_is_valid: letters, digits, '.', '_' and '-'; not starting with
 * '.' or '-'; at most 64 bytes; not digits only; not Domain-0. */
gboolean      hv_domain_name_is_valid     (const char          *name);

/*
 * The `tags` key (a Domus addition, ignored by xm): a list of labels the window groups
 * and filters domains by. Each tag is 1 to 64 bytes of printable UTF-8 without commas;
 * repeats are dropped. *tags is never NULL on success (an empty list when absent).
 */
gboolean      hv_domain_spec_read_tags    (HvConfig            *config,
                                           GStrv               *tags,
                                           GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvDomainSpec, hv_domain_spec_free)

G_END_DECLS
