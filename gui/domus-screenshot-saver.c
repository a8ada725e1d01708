/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Saving a picture of a guest's screen: asks where, then writes a PNG in the background.
 *
 * The chooser is a GtkFileChooserNative (a portal's where there is one), answered through
 * its "response" signal: no nested main loop. The file is replaced whole
 * (G_FILE_CREATE_REPLACE_DESTINATION: a temporary file renamed on close), and gdk-pixbuf
 * encodes in a thread of its own. */

#include "config.h"

#include <glib/gi18n.h>

#include "domus-screenshot-saver.h"

struct _DomusScreenshotSaver
{
  GObject               parent_instance;

  GdkPixbuf            *pixbuf;
  char                 *suggested_name;
  GTask                *task;         /* while running (it holds the saver) */
  GtkFileChooserNative *chooser;      /* while asking */
  GOutputStream        *stream;       /* while writing */
  gulong                cancelled_id;
};

G_DEFINE_FINAL_TYPE (DomusScreenshotSaver, domus_screenshot_saver, G_TYPE_OBJECT)

static void chooser_response_cb (GtkNativeDialog      *dialog,
                                 int                   response,
                                 DomusScreenshotSaver *self);

DomusScreenshotSaver *
domus_screenshot_saver_new (GdkPixbuf  *pixbuf,
                            const char *suggested_name)
{
  DomusScreenshotSaver *self;

  g_return_val_if_fail (GDK_IS_PIXBUF (pixbuf), NULL);
  g_return_val_if_fail (suggested_name != NULL, NULL);

  self = g_object_new (DOMUS_TYPE_SCREENSHOT_SAVER, NULL);
  self->pixbuf = g_object_ref (pixbuf);
  self->suggested_name = g_strdup (suggested_name);
  return self;
}

/* Lets go of the chooser; a dialog still showing (cancelled) is closed. */
static void
drop_chooser (DomusScreenshotSaver *self,
              gboolean              close)
{
  g_autoptr(GtkFileChooserNative) chooser = g_steal_pointer (&self->chooser);

  if (chooser == NULL)
    return;
  g_signal_handlers_disconnect_by_func (chooser, chooser_response_cb, self);
  if (close)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (chooser));
}

/* The run is over: what it held goes, and the caller hears. */
static void
finish (DomusScreenshotSaver *self,
        GError               *error)
{
  GTask *task = g_steal_pointer (&self->task);

  if (self->cancelled_id != 0)
    g_signal_handler_disconnect (g_task_get_cancellable (task), self->cancelled_id);
  self->cancelled_id = 0;
  drop_chooser (self, TRUE);
  g_clear_object (&self->stream);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
closed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GError *error = NULL;

  g_output_stream_close_finish (G_OUTPUT_STREAM (source), result, &error);
  finish (user_data, error);
}

static void
written_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  DomusScreenshotSaver *self = user_data;
  GError *error = NULL;

  if (!gdk_pixbuf_save_to_stream_finish (result, &error))
    {
      finish (self, error);
      return;
    }
  g_output_stream_close_async (self->stream, G_PRIORITY_DEFAULT, NULL, closed_cb, self);
}

static void
file_opened_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  DomusScreenshotSaver *self = user_data;
  GError *error = NULL;
  GFileOutputStream *stream;

  stream = g_file_replace_finish (G_FILE (source), result, &error);
  if (stream == NULL)
    {
      finish (self, error);
      return;
    }
  self->stream = G_OUTPUT_STREAM (stream);
  gdk_pixbuf_save_to_stream_async (self->pixbuf, self->stream, "png", NULL, written_cb, self, NULL);
}

static GError *
not_chosen (void)
{
  return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "no file was chosen");
}

static void
chooser_response_cb (GtkNativeDialog      *dialog,
                     int                   response,
                     DomusScreenshotSaver *self)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  /* Answered: the dialog has hidden itself and only needs letting go. */
  drop_chooser (self, FALSE);
  if (file == NULL)
    {
      finish (self, not_chosen ());
      return;
    }
  /* The write goes on once it has begun (the task holds the saver): the file is replaced
   * whole or not at all. */
  g_file_replace_async (file, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION,
                        G_PRIORITY_DEFAULT, NULL, file_opened_cb, self);
}

/* Only the question is cut short: a picture being written is finished. A plain signal
 * handler rather than g_cancellable_connect(), which may not be disconnected from within. */
static void
cancelled_cb (GCancellable         *cancellable,
              DomusScreenshotSaver *self)
{
  if (self->chooser != NULL)
    finish (self, not_chosen ());
}

void
domus_screenshot_saver_run_async (DomusScreenshotSaver *self,
                                  GtkWindow            *parent,
                                  GCancellable         *cancellable,
                                  GAsyncReadyCallback   callback,
                                  gpointer              user_data)
{
  g_autoptr(GtkFileFilter) filter = NULL;

  g_return_if_fail (DOMUS_IS_SCREENSHOT_SAVER (self));
  g_return_if_fail (parent == NULL || GTK_IS_WINDOW (parent));
  g_return_if_fail (self->task == NULL);

  self->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->task, domus_screenshot_saver_run_async);
  if (g_task_return_error_if_cancelled (self->task))
    {
      g_clear_object (&self->task);
      return;
    }

  self->chooser = gtk_file_chooser_native_new (_("Save Screenshot"), parent,
                                               GTK_FILE_CHOOSER_ACTION_SAVE,
                                               _("_Save"), _("_Cancel"));
  gtk_file_chooser_set_do_overwrite_confirmation (GTK_FILE_CHOOSER (self->chooser), TRUE);
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("PNG images"));
  gtk_file_filter_add_mime_type (filter, "image/png");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), g_object_ref (filter));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), self->suggested_name);
  g_signal_connect (self->chooser, "response", G_CALLBACK (chooser_response_cb), self);
  if (cancellable != NULL)
    self->cancelled_id = g_signal_connect (cancellable, "cancelled", G_CALLBACK (cancelled_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

gboolean
domus_screenshot_saver_run_finish (DomusScreenshotSaver  *self,
                                   GAsyncResult          *result,
                                   GError               **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == domus_screenshot_saver_run_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
domus_screenshot_saver_present (DomusScreenshotSaver *self)
{
  g_return_val_if_fail (DOMUS_IS_SCREENSHOT_SAVER (self), FALSE);

  if (self->chooser == NULL)
    return FALSE;
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
  return TRUE;
}

static void
domus_screenshot_saver_dispose (GObject *object)
{
  DomusScreenshotSaver *self = DOMUS_SCREENSHOT_SAVER (object);

  /* A run holds the saver (its task): nothing is under way by now. */
  g_clear_object (&self->pixbuf);

  G_OBJECT_CLASS (domus_screenshot_saver_parent_class)->dispose (object);
}

static void
domus_screenshot_saver_finalize (GObject *object)
{
  DomusScreenshotSaver *self = DOMUS_SCREENSHOT_SAVER (object);

  g_free (self->suggested_name);

  G_OBJECT_CLASS (domus_screenshot_saver_parent_class)->finalize (object);
}

static void
domus_screenshot_saver_class_init (DomusScreenshotSaverClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = domus_screenshot_saver_dispose;
  object_class->finalize = domus_screenshot_saver_finalize;
}

static void
domus_screenshot_saver_init (DomusScreenshotSaver *self)
{
}
