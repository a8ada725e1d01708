/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A host's image store: its disk images (image.list), created and deleted from the window. */

#pragma once

#include <gtk/gtk.h>

#include "domus-host.h"

G_BEGIN_DECLS

/* The view's model columns. */
typedef enum {
  DOMUS_IMAGE_STORE_COLUMN_NAME,
  DOMUS_IMAGE_STORE_COLUMN_FORMAT,
  DOMUS_IMAGE_STORE_COLUMN_SIZE_TEXT,
  DOMUS_IMAGE_STORE_COLUMN_SIZE_BYTES,
  DOMUS_IMAGE_STORE_COLUMN_ALLOCATED_TEXT,
  DOMUS_IMAGE_STORE_COLUMN_ALLOCATED_BYTES,
  DOMUS_IMAGE_STORE_COLUMN_USED_BY,     /* the domains' names, comma-separated; "—" when none */
  DOMUS_IMAGE_STORE_COLUMN_PATH,        /* on the host */
  DOMUS_IMAGE_STORE_N_COLUMNS
} DomusImageStoreColumn;

#define DOMUS_TYPE_IMAGE_STORE (domus_image_store_get_type ())
G_DECLARE_FINAL_TYPE (DomusImageStore, domus_image_store, DOMUS, IMAGE_STORE, GtkBox)

/*
 * The list is read again when the widget is mapped, after each change made here, when the
 * host (re)connects and when its domains come and go (their disks decide "used by").
 * The daemon's refusals and failures show in an info bar at the top.
 */
GtkWidget   *domus_image_store_new               (DomusHost        *host);
/* (transfer none) */
DomusHost   *domus_image_store_get_host          (DomusImageStore  *self);
/* (transfer none) */
GtkTreeView *domus_image_store_get_tree_view     (DomusImageStore  *self);

/* Reads image.list again (at once when mapped and connected, else once mapped). */
void         domus_image_store_refresh           (DomusImageStore  *self);
/* How many image.list answers the widget has shown: tests wait for the next one. */
guint        domus_image_store_get_n_refreshes   (DomusImageStore  *self);
/* Whether the list shows an image of that name. */
gboolean     domus_image_store_has_image         (DomusImageStore  *self,
                                                  const char       *name);

/*
 * What the Create popover checks as the user types: NULL when name can be created, else
 * why not (transfer full), e.g. a "/" in it or an image of that name in the list.
 */
char        *domus_image_store_check_name        (DomusImageStore  *self,
                                                  const char       *name);

/*
 * image.create with format "raw" or "qcow2" (what the Create popover calls). On success
 * the list is read again; on failure the daemon's message goes to the info bar as well as
 * to the caller.
 */
void         domus_image_store_create_async      (DomusImageStore     *self,
                                                  const char          *name,
                                                  const char          *format,
                                                  guint64              size_bytes,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean     domus_image_store_create_finish     (DomusImageStore     *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);
/* image.delete, with no question asked (the Delete button asks first); as create otherwise.
 * An image a domain uses is refused with DOMUS_ERROR_IN_USE. */
void         domus_image_store_delete_async      (DomusImageStore     *self,
                                                  const char          *name,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean     domus_image_store_delete_finish     (DomusImageStore     *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);

/* The info bar's message while it shows, else NULL. */
const char  *domus_image_store_get_error_message (DomusImageStore  *self);

G_END_DECLS
