/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Add Server: this computer, another one over SSH, or a libvirt host.
 *
 * The fields make an address (`local`, `ssh://user@host:port?keyfile=…`, or a libvirt
 * URI as libvirt spells it, which the backend must take for a libvirt host) that the
 * window adds to the application's servers. Passwords and passphrases are not asked here:
 * the connection asks for them when it needs them (DomusInteraction). */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "domus-add-server-dialog.h"
#include "domus-host.h"
#include "domus-ssh-options.h"

struct _DomusAddServerDialog
{
  GtkDialog  parent_instance;

  /* Template children */
  GtkWidget *kind;       /* "local", "ssh" or "libvirt" */
  GtkWidget *host;
  GtkWidget *port;
  GtkWidget *user;
  GtkWidget *keyfile;
  GtkWidget *ssh_grid;
  GtkWidget *libvirt_grid;
  GtkWidget *libvirt_uri;
  GtkWidget *libvirt_uri_label;
  GtkWidget *problem;
  GtkWidget *add_button;
  GtkWidget *kind_label;
  GtkWidget *host_label;
  GtkWidget *port_label;
  GtkWidget *user_label;
  GtkWidget *keyfile_label;
};

G_DEFINE_FINAL_TYPE (DomusAddServerDialog, domus_add_server_dialog, GTK_TYPE_DIALOG)

enum {
  SIGNAL_ADD_SERVER,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static char *
escape_query (const char *value)
{
  return g_uri_escape_string (value, "/", FALSE);
}

/* The libvirt URI as typed, when the backend takes it for a libvirt host. */
static char *
libvirt_uri (DomusAddServerDialog  *self,
             char                 **problem)
{
  g_autofree char *uri = g_strstrip (g_strdup (gtk_entry_get_text (GTK_ENTRY (self->libvirt_uri))));

  if (*uri == '\0')
    {
      *problem = g_strdup (_("Enter the libvirt URI, e.g. qemu:///system or qemu+ssh://user@host/system."));
      return NULL;
    }
  if (g_strcmp0 (domus_host_kind_for_uri (uri), "libvirt") != 0)
    {
#if HAVE_LIBVIRT
      *problem = g_strdup_printf (_("“%s” is not a libvirt URI: it starts with a libvirt driver, "
                                    "as in qemu:///system, qemu+ssh://user@host/system or xen:///system."), uri);
#else
      *problem = g_strdup (_("This Domus was built without libvirt support."));
#endif
      return NULL;
    }
  return g_steal_pointer (&uri);
}

char *
domus_add_server_dialog_get_uri (DomusAddServerDialog  *self,
                                 char                 **problem)
{
  const char *host = gtk_entry_get_text (GTK_ENTRY (self->host));
  const char *user = gtk_entry_get_text (GTK_ENTRY (self->user));
  const char *keyfile = gtk_entry_get_text (GTK_ENTRY (self->keyfile));
  int port = gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (self->port));
  g_autoptr(GString) uri = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusSshOptions) options = NULL;

  g_return_val_if_fail (DOMUS_IS_ADD_SERVER_DIALOG (self), NULL);
  g_return_val_if_fail (problem != NULL, NULL);

  *problem = NULL;
  if (g_strcmp0 (gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->kind)), "local") == 0)
    return g_strdup (DOMUS_DEFAULT_URI);
  if (g_strcmp0 (gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->kind)), "libvirt") == 0)
    return libvirt_uri (self, problem);

  if (*host == '\0')
    {
      *problem = g_strdup (_("Enter the server’s host name or address."));
      return NULL;
    }
  if (strpbrk (host, " /?@#") != NULL)
    {
      *problem = g_strdup (_("A host name has no spaces and none of / ? @ #."));
      return NULL;
    }
  if (*keyfile != '\0' && !g_file_test (keyfile, G_FILE_TEST_IS_REGULAR))
    {
      *problem = g_strdup_printf (_("There is no key file %s."), keyfile);
      return NULL;
    }

  uri = g_string_new ("ssh://");
  if (*user != '\0')
    {
      g_autofree char *escaped = g_uri_escape_string (user, NULL, FALSE);

      g_string_append_printf (uri, "%s@", escaped);
    }
  /* An IPv6 address goes in brackets, as in any URI. */
  g_string_append_printf (uri, strchr (host, ':') != NULL ? "[%s]" : "%s", host);
  if (port != 22)
    g_string_append_printf (uri, ":%d", port);
  if (*keyfile != '\0')
    {
      g_autofree char *escaped = escape_query (keyfile);

      g_string_append_printf (uri, "?keyfile=%s", escaped);
    }

  /* The backend is the judge of what it can read. */
  options = domus_ssh_options_parse (uri->str, &error);
  if (options == NULL)
    {
      *problem = g_strdup (error->message);
      return NULL;
    }
  return g_string_free (g_steal_pointer (&uri), FALSE);
}

/* Validates as the user types: Add is offered only for an address that can be read. */
static void
fields_changed (DomusAddServerDialog *self)
{
  g_autofree char *problem = NULL;
  g_autofree char *uri = NULL;
  gboolean ssh = g_strcmp0 (gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->kind)), "ssh") == 0;

  gtk_widget_set_sensitive (self->ssh_grid, ssh);
  gtk_widget_set_visible (self->libvirt_grid,
                          g_strcmp0 (gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->kind)), "libvirt") == 0);
  uri = domus_add_server_dialog_get_uri (self, &problem);
  gtk_label_set_text (GTK_LABEL (self->problem), problem != NULL ? problem : "");
  gtk_widget_set_sensitive (self->add_button, uri != NULL);
}

static void
domus_add_server_dialog_response (GtkDialog *dialog,
                                  int        response)
{
  DomusAddServerDialog *self = DOMUS_ADD_SERVER_DIALOG (dialog);
  g_autofree char *problem = NULL;
  g_autofree char *uri = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      uri = domus_add_server_dialog_get_uri (self, &problem);
      if (uri == NULL)
        return;
      g_signal_emit (self, signals[SIGNAL_ADD_SERVER], 0, uri);
    }
  gtk_widget_destroy (GTK_WIDGET (dialog));
}

/* A screen reader names each field by its label (without the mnemonic's underline). */
static void
name_field (GtkWidget *label)
{
  GtkWidget *field = gtk_label_get_mnemonic_widget (GTK_LABEL (label));

  atk_object_set_name (gtk_widget_get_accessible (field), gtk_label_get_text (GTK_LABEL (label)));
}

static void
domus_add_server_dialog_class_init (DomusAddServerDialogClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkDialogClass *dialog_class = GTK_DIALOG_CLASS (klass);

  dialog_class->response = domus_add_server_dialog_response;

  signals[SIGNAL_ADD_SERVER] =
    g_signal_new ("add-server", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/domus/Domus/ui/domus-add-server-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, DomusAddServerDialog, kind);
  gtk_widget_class_bind_template_child (widget_class, DomusAddServerDialog, host);
  gtk_widget_class_bind_template_child (widget_class, DomusAddServerDialog, port);
  gtk_widget_class_bind_template_child (widget_class, DomusAddServerDialog, user);
  gtk_widget_class_bind_template_child (widget_class, DomusAddServerDialog, keyfile);
  gtk_widget_class_bind_template_child (widget_class, DomusAddServerDialog, ssh_grid);
  gtk_widget_class_bind_template_child (widget_class, DomusAddServerDialog, libvirt_grid);
  gtk_widget_class_bind_template_child (widget_class, DomusAddServerDialog, libvirt_uri);
  gtk_widget_class_bind_template_child (widget_class, DomusAddServerDialog, libvirt_uri_label);
  gtk_widget_class_bind_template_child (widget_class, DomusAddServerDialog, problem);
  gtk_widget_class_bind_template_child (widget_class, DomusAddServerDialog, add_button);
  gtk_widget_class_bind_template_child (widget_class, DomusAddServerDialog, kind_label);
  gtk_widget_class_bind_template_child (widget_class, DomusAddServerDialog, host_label);
  gtk_widget_class_bind_template_child (widget_class, DomusAddServerDialog, port_label);
  gtk_widget_class_bind_template_child (widget_class, DomusAddServerDialog, user_label);
  gtk_widget_class_bind_template_child (widget_class, DomusAddServerDialog, keyfile_label);
  gtk_widget_class_bind_template_callback (widget_class, fields_changed);
}

static void
domus_add_server_dialog_init (DomusAddServerDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  name_field (self->kind_label);
  name_field (self->host_label);
  name_field (self->port_label);
  name_field (self->user_label);
  name_field (self->keyfile_label);
  name_field (self->libvirt_uri_label);
  gtk_entry_set_placeholder_text (GTK_ENTRY (self->user), g_get_user_name ());
  fields_changed (self);
}

GtkWidget *
domus_add_server_dialog_new (GtkWindow *parent)
{
  return g_object_new (DOMUS_TYPE_ADD_SERVER_DIALOG,
                       "transient-for", parent,
                       "use-header-bar", FALSE,
                       NULL);
}
