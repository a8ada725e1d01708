/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One disk image in a host's image store, as the host described it when it listed the store. */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define DOMUS_TYPE_IMAGE (domus_image_get_type ())
G_DECLARE_FINAL_TYPE (DomusImage, domus_image, DOMUS, IMAGE, GObject)

/*
 * An image does not change: when the host says something new about it, the host's
 * image model replaces it (items-changed at its position). format is "raw", "qcow2",
 * "iso", … or NULL when the host did not say; size is the virtual size in bytes,
 * allocated what the file takes on the host's disk; users are the domains whose
 * configuration has it as a disk (never NULL).
 */
const char         *domus_image_get_name      (DomusImage *self);
const char         *domus_image_get_path      (DomusImage *self);
const char         *domus_image_get_format    (DomusImage *self);
guint64             domus_image_get_size      (DomusImage *self);
guint64             domus_image_get_allocated (DomusImage *self);
const char * const *domus_image_get_users     (DomusImage *self);

/* < private > For the drivers. users: NULL for none. */
DomusImage         *_domus_image_new          (const char         *name,
                                               const char         *path,
                                               const char         *format,
                                               guint64             size,
                                               guint64             allocated,
                                               const char * const *users);
/* TRUE when both say the same. */
gboolean            _domus_image_equal        (DomusImage         *self,
                                               DomusImage         *other);

G_END_DECLS
