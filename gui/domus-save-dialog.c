/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Saving a running domain to a file in its host's save folder (docs/gui.md, "Save and
 * restore").
 *
 * The host takes a file name in its own save folder, never a path (its daemon may be root,
 * and the folder may be on another machine), so the dialog asks a name, checked as the
 * daemon checks it and against the saves the host lists, and says where the file goes. */

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "domus-page-parts.h"
#include "domus-save-dialog.h"

struct _DomusSaveDialog
{
  GtkDialog       parent_instance;

  /* Template children */
  GtkLabel       *heading_label;
  GtkWidget      *file_label;
  GtkEntry       *file_entry;
  GtkLabel       *folder_label;
  GtkLabel       *hint_label;
  GtkProgressBar *progress_bar;
  GtkLabel       *result_label;

  GtkWidget      *save_button;

  DomusDomain    *domain;
  DomusHost      *host;
  GPtrArray      *saves;         /* DomusSaveFile the host listed, or NULL */
  GCancellable   *cancellable;   /* non-NULL while the save runs */
  GCancellable   *list_cancellable;   /* non-NULL until the host listed its saves */
  gboolean        host_keeps_saves;   /* no save folder: the host names a save by its domain */
};

G_DEFINE_FINAL_TYPE (DomusSaveDialog, domus_save_dialog, GTK_TYPE_DIALOG)

enum {
  SIGNAL_SAVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The file name's problem as a whole sentence ("" for an empty one), or NULL when it will do. */
static char *
file_problem (DomusSaveDialog *self,
              const char      *file)
{
  if (self->host_keeps_saves)
    return NULL;
  if (file[0] == '\0')
    return g_strdup ("");
  if (strchr (file, '/') != NULL || file[0] == '.' || strlen (file) > 255)
    return g_strdup (_("The file name must be a name in the server’s save folder: no “/”, not "
                       "starting with “.”, at most 255 bytes."));
  for (guint i = 0; self->saves != NULL && i < self->saves->len; i++)
    if (g_str_equal (domus_save_file_get_name (g_ptr_array_index (self->saves, i)), file))
      return g_strdup_printf (_("The save folder has a file named “%s” already: a save never "
                                "writes over one."), file);
  return NULL;
}

static gboolean
domain_runs (DomusSaveDialog *self)
{
  DomusDomainState state = domus_domain_get_state (self->domain);

  return state == DOMUS_DOMAIN_STATE_RUNNING || state == DOMUS_DOMAIN_STATE_BLOCKED
         || state == DOMUS_DOMAIN_STATE_PAUSED;
}

static void
update (DomusSaveDialog *self)
{
  g_autofree char *problem = file_problem (self, gtk_entry_get_text (self->file_entry));
  gboolean connected = domus_host_get_state (self->host) == DOMUS_HOST_STATE_CONNECTED;
  gboolean idle = self->cancellable == NULL;
  const char *hint;

  if (problem != NULL)
    hint = problem;
  else if (!connected)
    hint = _("The server is not connected.");
  else if (!domain_runs (self) && idle)
    hint = _("Only a running or paused domain can be saved.");
  else
    hint = _("The domain’s memory and devices go into the file and the domain stops; its "
             "definition stays. Restore… in the server’s menu brings it back where it left off. "
             "Its disks must not change until then.");
  gtk_label_set_text (self->hint_label, hint);
  gtk_widget_set_sensitive (self->save_button, problem == NULL && connected && domain_runs (self) && idle
                                               && self->list_cancellable == NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->file_entry), idle);
}

static void
fields_changed (DomusSaveDialog *self)
{
  update (self);
}

static void
saves_listed (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(DomusSaveDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = NULL;
  g_autoptr(GPtrArray) saves = domus_host_list_saves_finish (DOMUS_HOST (source), result, &folder, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->list_cancellable);
  /* A host that keeps saves itself (libvirt's managed save) takes no file name. */
  self->host_keeps_saves = saves != NULL && folder == NULL;
  gtk_widget_set_visible (self->file_label, !self->host_keeps_saves);
  gtk_widget_set_visible (GTK_WIDGET (self->file_entry), !self->host_keeps_saves);
  if (self->host_keeps_saves)
    gtk_label_set_text (self->folder_label,
                        _("The server keeps the state with the domain (libvirt’s managed save): "
                          "Restore… in its menu, or starting the domain, brings it back."));
  /* A daemon without save.list still saves: the folder is then only named, not shown. */
  else if (folder != NULL)
    {
      g_autofree char *text = g_strdup_printf (_("In %s on %s"), folder, domus_host_get_name (self->host));

      gtk_label_set_text (self->folder_label, text);
    }
  g_clear_pointer (&self->saves, g_ptr_array_unref);
  self->saves = g_steal_pointer (&saves);
  update (self);
}



static void
save_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(DomusSaveDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = domus_host_save_domain_finish (DOMUS_HOST (source), result, NULL, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->cancellable);
  domus_page_show_pulsing (self->progress_bar, FALSE);
  if (error != NULL)
    {
      g_autofree char *message = g_strdup_printf (_("Could not save “%s”: %s"),
                                                  domus_domain_get_name (self->domain), error->message);

      g_message ("%s", message);
      gtk_label_set_text (self->result_label, message);
      update (self);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_SAVED], 0, self->host, path);
  gtk_widget_destroy (GTK_WIDGET (self));
}

static void
start_save (DomusSaveDialog *self)
{
  const char *file = gtk_entry_get_text (self->file_entry);
  g_autofree char *problem = file_problem (self, file);
  g_autofree char *progress = NULL;

  if (problem != NULL || self->cancellable != NULL || !domain_runs (self))
    return;
  self->cancellable = g_cancellable_new ();
  progress = self->host_keeps_saves ? g_strdup_printf (_("Saving “%s”…"), domus_domain_get_name (self->domain))
                                    : g_strdup_printf (_("Saving “%s” into %s…"), domus_domain_get_name (self->domain), file);
  gtk_progress_bar_set_text (self->progress_bar, progress);
  gtk_label_set_text (self->result_label, "");
  /* The host reports no progress: the bar pulses until it answers. */
  domus_page_show_pulsing (self->progress_bar, TRUE);
  update (self);
  domus_host_save_domain_async (self->host, domus_domain_get_name (self->domain),
                                self->host_keeps_saves ? NULL : file,
                                self->cancellable, save_done, g_object_ref (self));
}

static void
dialog_response (GtkDialog *dialog,
                 int        response)
{
  DomusSaveDialog *self = DOMUS_SAVE_DIALOG (dialog);

  if (response == GTK_RESPONSE_OK)
    {
      start_save (self);
      return;
    }
  gtk_widget_destroy (GTK_WIDGET (self));
}

/* GObject */

static void
domus_save_dialog_dispose (GObject *object)
{
  DomusSaveDialog *self = DOMUS_SAVE_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_cancellable_cancel (self->list_cancellable);
  g_clear_object (&self->list_cancellable);
  g_clear_pointer (&self->saves, g_ptr_array_unref);
  g_clear_object (&self->domain);
  g_clear_object (&self->host);
  G_OBJECT_CLASS (domus_save_dialog_parent_class)->dispose (object);
}

static void
domus_save_dialog_class_init (DomusSaveDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkDialogClass *dialog_class = GTK_DIALOG_CLASS (klass);

  object_class->dispose = domus_save_dialog_dispose;
  dialog_class->response = dialog_response;

  signals[SIGNAL_SAVED] =
    g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, DOMUS_TYPE_HOST, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/domus/Domus/ui/domus-save-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, DomusSaveDialog, heading_label);
  gtk_widget_class_bind_template_child (widget_class, DomusSaveDialog, file_label);
  gtk_widget_class_bind_template_child (widget_class, DomusSaveDialog, file_entry);
  gtk_widget_class_bind_template_child (widget_class, DomusSaveDialog, folder_label);
  gtk_widget_class_bind_template_child (widget_class, DomusSaveDialog, hint_label);
  gtk_widget_class_bind_template_child (widget_class, DomusSaveDialog, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, DomusSaveDialog, result_label);
  gtk_widget_class_bind_template_callback (widget_class, fields_changed);
}

static void
domus_save_dialog_init (DomusSaveDialog *self)
{
  GtkWidget *button;

  gtk_widget_init_template (GTK_WIDGET (self));
  button = gtk_dialog_add_button (GTK_DIALOG (self), _("_Cancel"), GTK_RESPONSE_CANCEL);
  gtk_widget_set_tooltip_text (button, _("Close without saving (Escape)"));
  self->save_button = gtk_dialog_add_button (GTK_DIALOG (self), _("_Save"), GTK_RESPONSE_OK);
  gtk_widget_set_tooltip_text (self->save_button, _("Save the domain’s state now and stop it (Return)"));
  gtk_style_context_add_class (gtk_widget_get_style_context (self->save_button), "suggested-action");
  gtk_dialog_set_default_response (GTK_DIALOG (self), GTK_RESPONSE_OK);
}

GtkWidget *
domus_save_dialog_new (GtkWindow   *parent,
                       DomusDomain *domain)
{
  DomusSaveDialog *self;
  g_autofree char *heading = NULL;
  g_autofree char *title = NULL;
  g_autofree char *proposal = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");

  g_return_val_if_fail (DOMUS_IS_DOMAIN (domain), NULL);
  g_return_val_if_fail (domus_domain_get_host (domain) != NULL, NULL);

  self = g_object_new (DOMUS_TYPE_SAVE_DIALOG, "transient-for", parent, "destroy-with-parent", TRUE, NULL);
  self->domain = g_object_ref (domain);
  self->host = g_object_ref (domus_domain_get_host (domain));
  title = g_strdup_printf (_("Save “%s”"), domus_domain_get_name (domain));
  gtk_window_set_title (GTK_WINDOW (self), title);
  heading = g_strdup_printf (_("Save “%s” on %s"), domus_domain_get_name (domain),
                             domus_host_get_name (self->host));
  gtk_label_set_text (self->heading_label, heading);
  /* The name the host itself would choose (domusctl save NAME without FILE). */
  proposal = g_strdup_printf ("%s-%s.save", domus_domain_get_name (domain), stamp);
  gtk_entry_set_text (self->file_entry, proposal);
  gtk_label_set_text (self->folder_label, _("In the server’s save folder"));
  g_signal_connect_object (domain, "notify::state", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->host, "notify::state", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  self->list_cancellable = g_cancellable_new ();
  domus_host_list_saves_async (self->host, self->list_cancellable, saves_listed, g_object_ref (self));
  update (self);
  return GTK_WIDGET (self);
}
