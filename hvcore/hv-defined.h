/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The domains a config folder defines: one .cfg file each, read quickly for listings and look-ups. */

#pragma once

#include <glib.h>

#include "domus-domain-name.h"

G_BEGIN_DECLS

#define HV_DOMAIN0_NAME DOMUS_DOMAIN0_NAME

typedef struct {
  char   *name;        /* the `name` key; the file name without .cfg while `error` is set */
  char   *path;
  gint64  memory_mib;  /* as hv-domain-spec.c reads them: one default, one range check */
  gint64  vcpus;
  GStrv   tags;        /* never NULL */
  gboolean template;   /* `template = 1`: cloned, never started (hv-clone.h) */
  char   *error;       /* non-NULL: the file does not parse or makes no sense */
} HvDefined;

void       hv_defined_free (HvDefined  *defined);

/* Every *.cfg file of the folder, sorted by name; of two files claiming one name, the second is in error. */
GPtrArray *hv_defined_scan (const char *config_dir);

/* The valid definition of `name`, or NULL. */
HvDefined *hv_defined_find (const char *config_dir,
                            const char *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvDefined, hv_defined_free)

G_END_DECLS
