/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The .cfg text of a new domain from the create assistant's choices. Pure GLib: the window and domusctl share it. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DOMUS_CFG_ERROR (domus_cfg_error_quark ())

/* Which choice is wrong: the assistant shows the message on that choice's page. */
typedef enum {
  DOMUS_CFG_ERROR_NAME,
  DOMUS_CFG_ERROR_SOURCE,    /* the ISO, kernel, ramdisk or command line */
  DOMUS_CFG_ERROR_MEMORY,
  DOMUS_CFG_ERROR_VCPUS,
  DOMUS_CFG_ERROR_DISK,
  DOMUS_CFG_ERROR_NETWORK,
} DomusCfgError;

GQuark domus_cfg_error_quark (void);

typedef enum {
  DOMUS_CFG_KIND_ISO,      /* firmware boots a CD-ROM image (then the disk, if any) */
  DOMUS_CFG_KIND_KERNEL,   /* direct kernel boot: kernel, optional ramdisk and command line */
  DOMUS_CFG_KIND_DISK,     /* firmware boots an existing disk image */
} DomusCfgKind;

typedef enum {
  DOMUS_CFG_NETWORK_NONE,    /* no network card */
  DOMUS_CFG_NETWORK_USER,    /* one card on the daemon's default network (user-mode) */
  DOMUS_CFG_NETWORK_BRIDGE,  /* one card on a host bridge */
  DOMUS_CFG_NETWORK_NAMED,   /* one card on a network the host defines (a libvirt network):
                              * no .cfg can say it, a libvirt host's builder can */
} DomusCfgNetwork;

/* Whether a disk is new does not change the text: the caller creates it (image.create)
 * and passes the path the image store gave it. */
typedef struct {
  const char      *name;
  gint64           memory_mib;
  gint64           vcpus;
  DomusCfgKind     kind;
  const char      *iso_path;     /* KIND_ISO: absolute path on the host */
  const char      *kernel;       /* KIND_KERNEL: absolute paths on the host */
  const char      *ramdisk;      /*   nullable or "" for none */
  const char      *extra;        /*   the kernel command line; nullable */
  const char      *disk_path;    /* absolute; NULL or "" for no disk (KIND_DISK needs one) */
  const char      *disk_format;  /* "qcow2", "raw", or NULL to let the daemon look */
  DomusCfgNetwork  network;
  const char      *bridge;       /* NETWORK_BRIDGE: the host bridge's name */
  const char      *network_name; /* NETWORK_NAMED: the host's network */
  gboolean         vnc;
} DomusCfgChoices;

/* A Python string literal in single quotes with what must be escaped escaped. */
char     *domus_cfg_quote            (const char             *text);

/* The whole file, or NULL and a DOMUS_CFG_ERROR naming the choice that cannot be written. */
char     *domus_cfg_build            (const DomusCfgChoices  *choices,
                                      GError                **error);

G_END_DECLS
