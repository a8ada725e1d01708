/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Saving a picture of a guest's screen: asks where, then writes a PNG in the background. */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define DOMUS_TYPE_SCREENSHOT_SAVER (domus_screenshot_saver_get_type ())
G_DECLARE_FINAL_TYPE (DomusScreenshotSaver, domus_screenshot_saver, DOMUS, SCREENSHOT_SAVER, GObject)

/* A saver of pixbuf (the frame of the moment it was taken, whatever the guest draws while
 * the user chooses), offering suggested_name ("web-2026-12-07-101500.png"). */
DomusScreenshotSaver *domus_screenshot_saver_new        (GdkPixbuf             *pixbuf,
                                                         const char            *suggested_name);

/*
 * Asks where to save (a file chooser over parent, which may be NULL), then writes the
 * picture there as PNG without blocking the main loop. Cancelling (from the main thread)
 * closes the chooser; a write that has begun is finished.
 * Finishes with FALSE and G_IO_ERROR_CANCELLED when the user chose nothing (or the call
 * was cancelled), with FALSE and the file's error when the picture could not be written.
 */
void                  domus_screenshot_saver_run_async  (DomusScreenshotSaver  *self,
                                                         GtkWindow             *parent,
                                                         GCancellable          *cancellable,
                                                         GAsyncReadyCallback    callback,
                                                         gpointer               user_data);
gboolean              domus_screenshot_saver_run_finish (DomusScreenshotSaver  *self,
                                                         GAsyncResult          *result,
                                                         GError               **error);

/* Shows the chooser again while the saver asks; FALSE once it has been answered. */
gboolean              domus_screenshot_saver_present    (DomusScreenshotSaver  *self);

G_END_DECLS
