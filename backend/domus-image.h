/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One disk image in a host's image store, as the host last described it. */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define DOMUS_TYPE_IMAGE (domus_image_get_type ())
G_DECLARE_FINAL_TYPE (DomusImage, domus_image, DOMUS, IMAGE, GObject)

/*
 * Properties (read-only, notified on change): "name", "path" (on the host), "format"
 * ("raw", "qcow2", "iso", …; NULL when the host did not say), "size" (the virtual size
 * in bytes), "allocated" (bytes the file takes on the host's disk), "users" (the domains
 * whose configuration has it as a disk; never NULL).
 */
const char         *domus_image_get_name      (DomusImage *self);
const char         *domus_image_get_path      (DomusImage *self);
const char         *domus_image_get_format    (DomusImage *self);
guint64             domus_image_get_size      (DomusImage *self);
guint64             domus_image_get_allocated (DomusImage *self);
const char * const *domus_image_get_users     (DomusImage *self);

/* < private > For the host and its driver. users: NULL for none. */
DomusImage         *_domus_image_new          (const char         *name,
                                               const char         *path,
                                               const char         *format,
                                               guint64             size,
                                               guint64             allocated,
                                               const char * const *users);
/* Takes what other says, notifying what changed (the name stays). */
void                _domus_image_update       (DomusImage         *self,
                                               DomusImage         *other);

G_END_DECLS
