/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Clones and templates: a shut-off domain copied under a new name, with new disks, MACs and identity. */

#pragma once

#include <gio/gio.h>

#include "hv-config.h"

G_BEGIN_DECLS

#define HV_CLONE_ERROR (hv_clone_error_quark ())

typedef enum {
  HV_CLONE_ERROR_INVALID_NAME,
  HV_CLONE_ERROR_EXISTS,         /* the new .cfg or one of the new images exists */
  HV_CLONE_ERROR_NOT_TEMPLATE,   /* a linked clone of a domain not marked as a template */
  HV_CLONE_ERROR_UNSUPPORTED,    /* a writable disk that is a block device (phy:) */
  HV_CLONE_ERROR_FAILED,         /* qemu-img or the seed failed; their words are quoted */
  HV_CLONE_ERROR_IO,
} HvCloneError;

GQuark hv_clone_error_quark (void);

typedef struct {
  char      *config_path;
  GPtrArray *images;       /* the new files in the store (disks, seed) */
} HvCloneResult;

void hv_clone_result_free (HvCloneResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvCloneResult, hv_clone_result_free)

/*
 * The `template` key (a Domus addition, ignored by xm): a template is never started, only
 * cloned, so linked clones can stand on its disks. Errors name the file, line and key.
 */
gboolean hv_clone_is_template     (HvConfig     *config,
                                   gboolean     *template,
                                   GError      **error);
void     hv_clone_set_template    (HvConfig     *config,
                                   gboolean      template);

/*
 * Clones the domain whose config is `source_path` (it must be shut off: the caller knows)
 * as `new_name`: each writable disk copied into `image_dir` (full: a standalone copy in
 * the same format; linked: a qcow2 overlay on the template's disk, which stays untouched),
 * read-only disks and CD-ROMs shared, a seed of Domus's Debian guests made anew (new
 * instance id, host name `new_name`), every vif a new MAC, no uuid, not a template. The
 * new .cfg goes to `config_dir`. On failure nothing new is left.
 */
void           hv_clone_async     (const char           *source_path,
                                   const char           *new_name,
                                   const char           *image_dir,
                                   const char           *config_dir,
                                   gboolean              linked,
                                   GCancellable         *cancellable,
                                   GAsyncReadyCallback   callback,
                                   gpointer              user_data);
HvCloneResult *hv_clone_finish    (GAsyncResult         *result,
                                   GError              **error);

G_END_DECLS
