/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the files that read an HvDomainSpec share: the reader's state and its helpers. */

#pragma once

#include "hv-domain-spec.h"

G_BEGIN_DECLS

#define HV_SPEC_N_IDE_SLOTS 4

/* Per-call state while reading one config. */
typedef struct {
  HvConfig          *config;
  HvDomainSpecFlags  flags;
  HvDomainSpec      *spec;
  char              *base_dir;   /* relative paths are relative to the config's folder */
  gboolean           xl;         /* the file uses xl's `type` key: xl's defaults apply */
  HvDiskSpec        *ide[HV_SPEC_N_IDE_SLOTS];
} HvSpecReader;

/* Adds "key: message" to the spec's notices. */
void      hv_spec_notice              (HvSpecReader  *reader,
                                       const char    *key,
                                       const char    *format,
                                       ...) G_GNUC_PRINTF (3, 4);
char     *hv_spec_resolve_path        (HvSpecReader  *reader,
                                       const char    *path);
/* A key's value when it is a non-empty string (after stripping), else NULL. */
gboolean  hv_spec_get_nonempty_string (HvSpecReader  *reader,
                                       const char    *key,
                                       char         **out,
                                       GError       **error);
/* Missing files are errors for the daemon and notices for `domusctl check`. */
gboolean  hv_spec_check_file          (HvSpecReader  *reader,
                                       const char    *key,
                                       const char    *path,
                                       GError       **error);

/* hv-disk-spec.c: `disk` in xm's and xl's forms, and `cdrom`. */
void      hv_disk_spec_free           (HvDiskSpec    *disk);
gboolean  hv_spec_read_disks          (HvSpecReader  *reader,
                                       GError       **error);

/* hv-xen-keys.c: keys that only meant something to Xen, each explained with a notice. */
void      hv_spec_read_xen_only_keys  (HvSpecReader  *reader);

G_END_DECLS
