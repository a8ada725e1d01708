/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Cloning a shut-off domain (docs/gui.md, "Clones").
 *
 * The dialog checks the new name with the rule the daemon uses (common/) and against the
 * host's domains, then calls domus_host_clone_domain_async(); the daemon copies the disks
 * (or makes overlays for a linked clone of a template), gives new MACs and defines the
 * copy, whose row appears from the host's "defined" event. */

#include "config.h"

#include <glib/gi18n.h>

#include "domus-clone-dialog.h"
#include "domus-domain-name.h"

struct _DomusCloneDialog
{
  GtkDialog        parent_instance;

  /* Template children */
  GtkLabel        *heading_label;
  GtkEntry        *name_entry;
  GtkToggleButton *full_radio;
  GtkToggleButton *linked_radio;
  GtkLabel        *hint_label;
  GtkSpinner      *spinner;
  GtkLabel        *result_label;

  GtkWidget       *clone_button;

  DomusDomain     *domain;
  DomusHost       *host;
  GCancellable    *cancellable;   /* non-NULL while the clone runs */
};

G_DEFINE_FINAL_TYPE (DomusCloneDialog, domus_clone_dialog, GTK_TYPE_DIALOG)

enum {
  SIGNAL_CLONED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The name's problem as a whole sentence, or NULL when it will do. */
static char *
name_problem (DomusCloneDialog *self,
              const char       *name)
{
  g_autoptr(GError) error = NULL;

  if (name[0] == '\0')
    return g_strdup ("");
  if (!domus_domain_name_check (name, &error))
    return g_strdup (error->message);
  if (domus_host_lookup_domain (self->host, name) != NULL)
    return g_strdup_printf (_("This host has a domain named “%s” already."), name);
  return NULL;
}

static void
update (DomusCloneDialog *self)
{
  g_autofree char *problem = name_problem (self, gtk_entry_get_text (self->name_entry));
  gboolean connected = domus_host_get_state (self->host) == DOMUS_HOST_STATE_CONNECTED;
  gboolean shut_off = domus_domain_get_state (self->domain) == DOMUS_DOMAIN_STATE_SHUTOFF;
  const char *hint;

  if (problem != NULL)
    hint = problem;
  else if (!connected)
    hint = _("The host is not connected.");
  else if (!shut_off)
    hint = _("Only a shut-off domain can be cloned: shut it down first.");
  else if (gtk_toggle_button_get_active (self->linked_radio))
    hint = _("A linked clone stands on the source’s disks, so the source must be a template; "
             "the host refuses it otherwise.");
  else
    hint = _("Every writable disk is copied into the image store; the copy gets new MAC addresses.");
  gtk_label_set_text (self->hint_label, hint);
  gtk_widget_set_sensitive (self->clone_button,
                            problem == NULL && connected && shut_off && self->cancellable == NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->name_entry), self->cancellable == NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->full_radio), self->cancellable == NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->linked_radio), self->cancellable == NULL);
}

static void
fields_changed (DomusCloneDialog *self)
{
  update (self);
}

static void
clone_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(DomusCloneDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) images = NULL;
  g_autofree char *new_name = NULL;

  images = domus_host_clone_domain_finish (DOMUS_HOST (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->cancellable);
  gtk_spinner_stop (self->spinner);
  new_name = g_strdup (gtk_entry_get_text (self->name_entry));
  if (error != NULL)
    {
      g_autofree char *message = g_strdup_printf (_("Could not clone “%s” as “%s”: %s"),
                                                  domus_domain_get_name (self->domain), new_name,
                                                  error->message);

      g_message ("%s", message);
      gtk_label_set_text (self->result_label, message);
      update (self);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_CLONED], 0, self->host, new_name);
  gtk_widget_destroy (GTK_WIDGET (self));
}

static void
start_clone (DomusCloneDialog *self)
{
  const char *new_name = gtk_entry_get_text (self->name_entry);
  gboolean linked = gtk_toggle_button_get_active (self->linked_radio);
  g_autofree char *problem = name_problem (self, new_name);
  g_autofree char *progress = NULL;

  if (problem != NULL || self->cancellable != NULL)
    return;
  self->cancellable = g_cancellable_new ();
  progress = linked ? g_strdup_printf (_("Making “%s”, a linked clone…"), new_name)
                    : g_strdup_printf (_("Copying the disks into “%s”…"), new_name);
  gtk_label_set_text (self->result_label, progress);
  gtk_spinner_start (self->spinner);
  update (self);
  domus_host_clone_domain_async (self->host, domus_domain_get_name (self->domain), new_name, linked,
                                 self->cancellable, clone_done, g_object_ref (self));
}

static void
dialog_response (GtkDialog *dialog,
                 int        response)
{
  DomusCloneDialog *self = DOMUS_CLONE_DIALOG (dialog);

  if (response == GTK_RESPONSE_OK)
    {
      start_clone (self);
      return;
    }
  gtk_widget_destroy (GTK_WIDGET (self));
}

/* GObject */

static void
domus_clone_dialog_dispose (GObject *object)
{
  DomusCloneDialog *self = DOMUS_CLONE_DIALOG (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->domain);
  g_clear_object (&self->host);
  G_OBJECT_CLASS (domus_clone_dialog_parent_class)->dispose (object);
}

static void
domus_clone_dialog_class_init (DomusCloneDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkDialogClass *dialog_class = GTK_DIALOG_CLASS (klass);

  object_class->dispose = domus_clone_dialog_dispose;
  dialog_class->response = dialog_response;

  signals[SIGNAL_CLONED] =
    g_signal_new ("cloned", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, DOMUS_TYPE_HOST, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/domus/Domus/ui/domus-clone-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, DomusCloneDialog, heading_label);
  gtk_widget_class_bind_template_child (widget_class, DomusCloneDialog, name_entry);
  gtk_widget_class_bind_template_child (widget_class, DomusCloneDialog, full_radio);
  gtk_widget_class_bind_template_child (widget_class, DomusCloneDialog, linked_radio);
  gtk_widget_class_bind_template_child (widget_class, DomusCloneDialog, hint_label);
  gtk_widget_class_bind_template_child (widget_class, DomusCloneDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, DomusCloneDialog, result_label);
  gtk_widget_class_bind_template_callback (widget_class, fields_changed);
}

static void
domus_clone_dialog_init (DomusCloneDialog *self)
{
  GtkWidget *button;

  gtk_widget_init_template (GTK_WIDGET (self));
  button = gtk_dialog_add_button (GTK_DIALOG (self), _("_Cancel"), GTK_RESPONSE_CANCEL);
  gtk_widget_set_tooltip_text (button, _("Close without cloning (Escape)"));
  self->clone_button = gtk_dialog_add_button (GTK_DIALOG (self), _("C_lone"), GTK_RESPONSE_OK);
  gtk_widget_set_tooltip_text (self->clone_button, _("Make the copy now (Return)"));
  gtk_style_context_add_class (gtk_widget_get_style_context (self->clone_button), "suggested-action");
  gtk_dialog_set_default_response (GTK_DIALOG (self), GTK_RESPONSE_OK);
}

GtkWidget *
domus_clone_dialog_new (GtkWindow   *parent,
                        DomusDomain *domain)
{
  DomusCloneDialog *self;
  g_autofree char *heading = NULL;
  g_autofree char *title = NULL;
  g_autofree char *proposal = NULL;

  g_return_val_if_fail (DOMUS_IS_DOMAIN (domain), NULL);
  g_return_val_if_fail (domus_domain_get_host (domain) != NULL, NULL);

  self = g_object_new (DOMUS_TYPE_CLONE_DIALOG, "transient-for", parent, "destroy-with-parent", TRUE, NULL);
  self->domain = g_object_ref (domain);
  self->host = g_object_ref (domus_domain_get_host (domain));
  title = g_strdup_printf (_("Clone “%s”"), domus_domain_get_name (domain));
  gtk_window_set_title (GTK_WINDOW (self), title);
  heading = g_strdup_printf (_("Clone “%s” on %s"), domus_domain_get_name (domain),
                             domus_host_get_name (self->host));
  gtk_label_set_text (self->heading_label, heading);
  proposal = g_strdup_printf ("%s-clone", domus_domain_get_name (domain));
  gtk_entry_set_text (self->name_entry, proposal);
  g_signal_connect_object (domain, "notify::state", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->host, "notify::state", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (domus_host_get_domains (self->host), "items-changed", G_CALLBACK (update), self,
                           G_CONNECT_SWAPPED);
  update (self);
  return GTK_WIDGET (self);
}
