/* SPDX-License-Identifier: GPL-3.0-or-later */
/* xm save and restore: a running guest's whole state in a file, and back. */

#pragma once

#include <gio/gio.h>

#include "hv-qmp.h"

G_BEGIN_DECLS

#define HV_SAVE_FILE_ERROR (hv_save_file_error_quark ())

typedef enum {
  HV_SAVE_FILE_ERROR_EXISTS,     /* the file to save to exists: never overwritten */
  HV_SAVE_FILE_ERROR_NOT_SAVE,   /* the file to restore is not a Domus save file */
  HV_SAVE_FILE_ERROR_FAILED,     /* QEMU's migration failed; its words are quoted */
  HV_SAVE_FILE_ERROR_IO,
} HvSaveFileError;

GQuark hv_save_file_error_quark (void);

/*
 * The file: a header line "DOMUS-SAVE 1", one line of JSON ({"config": the domain's .cfg
 * text, "saved": Unix time}), then QEMU's migration stream. The guest is paused, its state
 * streamed into a hidden file beside `path` (renamed when whole), and left paused: the
 * caller ends its QEMU. On failure the guest runs on as before and no file is left.
 */
void      hv_save_file_save_async     (HvQmp                *qmp,
                                       const char           *path,
                                       const char           *config_text,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
gboolean  hv_save_file_save_finish    (GAsyncResult         *result,
                                       GError              **error);

/* The config text a save file holds (to start QEMU with `-incoming defer` from it). */
char     *hv_save_file_read_config    (const char           *path,
                                       gint64               *saved,
                                       GError              **error);

/* Feeds the file's state to a QEMU started with -incoming defer, then resumes the guest. */
void      hv_save_file_restore_async  (HvQmp                *qmp,
                                       const char           *path,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
gboolean  hv_save_file_restore_finish (GAsyncResult         *result,
                                       GError              **error);

G_END_DECLS
