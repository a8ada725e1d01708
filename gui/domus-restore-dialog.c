/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Restoring a saved domain (docs/gui.md, "Save and restore").
 *
 * The saves live in the host's save folder, on the host: the dialog lists them through the
 * host's typed call and hands the chosen file's name to domus_host_restore_domain_async().
 * The host starts the domain from the saved configuration and feeds it the state, so the
 * guest goes on where it was saved. */

#include "config.h"

#include <glib/gi18n.h>

#include "domus-page-parts.h"
#include "domus-restore-dialog.h"

struct _DomusRestoreDialog
{
  GtkDialog         parent_instance;

  /* Template children */
  GtkLabel         *heading_label;
  GtkListStore     *store;
  GtkTreeView      *view;
  GtkWidget        *file_box;
  GtkEntry         *file_entry;
  GtkLabel         *hint_label;
  GtkProgressBar   *progress_bar;
  GtkLabel         *result_label;

  GtkWidget        *restore_button;

  DomusHost        *host;
  GCancellable     *cancellable;   /* non-NULL while the restore runs */
  GCancellable     *list_cancellable;
};

G_DEFINE_FINAL_TYPE (DomusRestoreDialog, domus_restore_dialog, GTK_TYPE_DIALOG)

enum {
  SIGNAL_RESTORED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

enum {
  COLUMN_FILE,
  COLUMN_DOMAIN,
  COLUMN_SAVED,
  COLUMN_SIZE,
};

static void
update (DomusRestoreDialog *self)
{
  const char *file = gtk_entry_get_text (self->file_entry);
  gboolean connected = domus_host_get_state (self->host) == DOMUS_HOST_STATE_CONNECTED;
  gboolean idle = self->cancellable == NULL;

  gtk_widget_set_sensitive (self->restore_button, connected && idle && file[0] != '\0');
  gtk_widget_set_sensitive (GTK_WIDGET (self->file_entry), idle);
  gtk_widget_set_sensitive (GTK_WIDGET (self->view), idle);
  if (!connected)
    gtk_label_set_text (self->hint_label, _("The server is not connected."));
}

static void
fields_changed (DomusRestoreDialog *self)
{
  update (self);
}

/* A row chosen is its file's name in the entry. */
static void
selection_changed (DomusRestoreDialog *self,
                   GtkTreeSelection   *selection)
{
  GtkTreeModel *model;
  GtkTreeIter iter;
  g_autofree char *file = NULL;

  if (!gtk_tree_selection_get_selected (selection, &model, &iter))
    return;
  gtk_tree_model_get (model, &iter, COLUMN_FILE, &file, -1);
  gtk_entry_set_text (self->file_entry, file);
}

static void
row_activated (DomusRestoreDialog *self)
{
  gtk_dialog_response (GTK_DIALOG (self), GTK_RESPONSE_OK);
}

static void
fill_list (DomusRestoreDialog *self,
           GPtrArray          *saves)
{
  gtk_list_store_clear (self->store);
  for (guint i = 0; i < saves->len; i++)
    {
      DomusSaveFile *save = g_ptr_array_index (saves, i);
      g_autoptr(GDateTime) when = domus_save_file_get_date_time (save);
      g_autofree char *saved = when != NULL ? g_date_time_format (when, "%Y-%m-%d %H:%M:%S") : g_strdup ("");
      g_autofree char *size = g_format_size_full (domus_save_file_get_size (save), G_FORMAT_SIZE_IEC_UNITS);

      gtk_list_store_insert_with_values (self->store, NULL, -1,
                                         COLUMN_FILE, domus_save_file_get_name (save),
                                         COLUMN_DOMAIN, domus_save_file_get_domain (save),
                                         COLUMN_SAVED, saved,
                                         COLUMN_SIZE, size, -1);
    }
}

static void
saves_listed (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(DomusRestoreDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *hint = NULL;
  g_autoptr(GPtrArray) saves = domus_host_list_saves_finish (DOMUS_HOST (source), result, &folder, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->list_cancellable);
  /* A host that keeps saves itself (libvirt's managed save) names them by their domains. */
  gtk_widget_set_visible (self->file_box, saves == NULL || folder != NULL);
  if (saves == NULL)
    /* An older daemon restores but cannot list: the name is typed then. */
    hint = g_strdup_printf (_("The server could not list its saves (%s): type the file’s name "
                              "in its save folder."), error->message);
  else if (folder == NULL && saves->len == 0)
    hint = g_strdup_printf (_("No domain of %s has a saved state (libvirt’s managed save). Save… in "
                              "a running domain’s menu makes one."), domus_host_get_name (self->host));
  else if (folder == NULL)
    hint = g_strdup_printf (_("The domains of %s with a saved state (libvirt’s managed save). "
                              "Restoring one starts it where it was saved."), domus_host_get_name (self->host));
  else if (saves->len == 0)
    hint = g_strdup_printf (_("The save folder %s on %s holds no saved domain. Save… in a "
                              "running domain’s menu makes one."), folder, domus_host_get_name (self->host));
  else
    hint = g_strdup_printf (_("The saves in %s on %s, newest first. The domain goes on where it "
                              "was saved, under its definition if it still has one."),
                            folder, domus_host_get_name (self->host));
  gtk_label_set_text (self->hint_label, hint);
  if (saves != NULL)
    {
      fill_list (self, saves);
      if (saves->len > 0)
        {
          GtkTreePath *first = gtk_tree_path_new_first ();

          gtk_tree_view_set_cursor (self->view, first, NULL, FALSE);
          gtk_tree_path_free (first);
        }
    }
  update (self);
}



static void
restore_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(DomusRestoreDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusDomainInfo) info = domus_host_restore_domain_finish (DOMUS_HOST (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->cancellable);
  domus_page_show_pulsing (self->progress_bar, FALSE);
  if (info == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("Could not restore from %s: %s"),
                                                  gtk_entry_get_text (self->file_entry), error->message);

      g_message ("%s", message);
      gtk_label_set_text (self->result_label, message);
      update (self);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_RESTORED], 0, self->host, info->name);
  gtk_widget_destroy (GTK_WIDGET (self));
}

static void
start_restore (DomusRestoreDialog *self)
{
  const char *file = gtk_entry_get_text (self->file_entry);
  g_autofree char *progress = NULL;

  if (file[0] == '\0' || self->cancellable != NULL)
    return;
  self->cancellable = g_cancellable_new ();
  progress = g_strdup_printf (_("Restoring from %s…"), file);
  gtk_progress_bar_set_text (self->progress_bar, progress);
  gtk_label_set_text (self->result_label, "");
  /* The host reports no progress: the bar pulses until it answers. */
  domus_page_show_pulsing (self->progress_bar, TRUE);
  update (self);
  domus_host_restore_domain_async (self->host, file, self->cancellable, restore_done, g_object_ref (self));
}

static void
dialog_response (GtkDialog *dialog,
                 int        response)
{
  DomusRestoreDialog *self = DOMUS_RESTORE_DIALOG (dialog);

  if (response == GTK_RESPONSE_OK)
    {
      start_restore (self);
      return;
    }
  gtk_widget_destroy (GTK_WIDGET (self));
}

/* GObject */

static void
domus_restore_dialog_dispose (GObject *object)
{
  DomusRestoreDialog *self = DOMUS_RESTORE_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_cancellable_cancel (self->list_cancellable);
  g_clear_object (&self->list_cancellable);
  g_clear_object (&self->host);
  G_OBJECT_CLASS (domus_restore_dialog_parent_class)->dispose (object);
}

static void
domus_restore_dialog_class_init (DomusRestoreDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkDialogClass *dialog_class = GTK_DIALOG_CLASS (klass);

  object_class->dispose = domus_restore_dialog_dispose;
  dialog_class->response = dialog_response;

  signals[SIGNAL_RESTORED] =
    g_signal_new ("restored", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, DOMUS_TYPE_HOST, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/domus/Domus/ui/domus-restore-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, DomusRestoreDialog, heading_label);
  gtk_widget_class_bind_template_child (widget_class, DomusRestoreDialog, store);
  gtk_widget_class_bind_template_child (widget_class, DomusRestoreDialog, view);
  gtk_widget_class_bind_template_child (widget_class, DomusRestoreDialog, file_box);
  gtk_widget_class_bind_template_child (widget_class, DomusRestoreDialog, file_entry);
  gtk_widget_class_bind_template_child (widget_class, DomusRestoreDialog, hint_label);
  gtk_widget_class_bind_template_child (widget_class, DomusRestoreDialog, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, DomusRestoreDialog, result_label);
  gtk_widget_class_bind_template_callback (widget_class, fields_changed);
  gtk_widget_class_bind_template_callback (widget_class, selection_changed);
  gtk_widget_class_bind_template_callback (widget_class, row_activated);
}

static void
domus_restore_dialog_init (DomusRestoreDialog *self)
{
  GtkWidget *button;

  gtk_widget_init_template (GTK_WIDGET (self));
  button = gtk_dialog_add_button (GTK_DIALOG (self), _("_Cancel"), GTK_RESPONSE_CANCEL);
  gtk_widget_set_tooltip_text (button, _("Close without restoring (Escape)"));
  self->restore_button = gtk_dialog_add_button (GTK_DIALOG (self), _("_Restore"), GTK_RESPONSE_OK);
  gtk_widget_set_tooltip_text (self->restore_button,
                               _("Bring the saved domain back running where it left off (Return)"));
  gtk_style_context_add_class (gtk_widget_get_style_context (self->restore_button), "suggested-action");
  gtk_dialog_set_default_response (GTK_DIALOG (self), GTK_RESPONSE_OK);
}

GtkWidget *
domus_restore_dialog_new (GtkWindow *parent,
                          DomusHost *host)
{
  DomusRestoreDialog *self;
  g_autofree char *heading = NULL;

  g_return_val_if_fail (DOMUS_IS_HOST (host), NULL);

  self = g_object_new (DOMUS_TYPE_RESTORE_DIALOG, "transient-for", parent, "destroy-with-parent", TRUE, NULL);
  self->host = g_object_ref (host);
  heading = g_strdup_printf (_("Restore a saved domain on %s"), domus_host_get_name (host));
  gtk_label_set_text (self->heading_label, heading);
  gtk_label_set_text (self->hint_label, _("Reading the server’s save folder…"));
  g_signal_connect_object (host, "notify::state", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  self->list_cancellable = g_cancellable_new ();
  domus_host_list_saves_async (host, self->list_cancellable, saves_listed, g_object_ref (self));
  update (self);
  return GTK_WIDGET (self);
}
