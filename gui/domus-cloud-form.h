/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The create assistant's "Cloud image" source: an image of the store, host name, user and key. */

#pragma once

#include <gtk/gtk.h>

#include "domus-host.h"

G_BEGIN_DECLS

#define DOMUS_TYPE_CLOUD_FORM (domus_cloud_form_get_type ())
G_DECLARE_FINAL_TYPE (DomusCloudForm, domus_cloud_form, DOMUS, CLOUD_FORM, GtkGrid)

/*
 * The fields of a guest made of a cloud image in the host's store (the host writes its
 * NoCloud seed). Signal "changed": a field changed.
 */
GtkWidget         *domus_cloud_form_new           (void);

/* Offers image (a disk image of the store: not an ISO) in the image chooser. */
void               domus_cloud_form_add_image     (DomusCloudForm *self,
                                                   const char     *image);
/* NULL when complete, else a whole sentence ("" while nothing is chosen yet). */
char              *domus_cloud_form_check         (DomusCloudForm *self);
/* The SSH public key file to read ("~" expanded), or NULL for none. */
char              *domus_cloud_form_dup_key_file  (DomusCloudForm *self);
DomusCloudRequest *domus_cloud_form_make_request  (DomusCloudForm *self,
                                                   const char     *ssh_keys,
                                                   gint64          memory_mib);
char              *domus_cloud_form_describe      (DomusCloudForm *self,
                                                   const char     *name);

G_END_DECLS
