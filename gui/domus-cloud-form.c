/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The "Cloud image" source of the create assistant (docs/gui.md).
 *
 * A cloud image the user put in the host's image store becomes a guest: an overlay on the
 * image and a NoCloud seed the host writes (host name, user, key). The host looks into the
 * image for cloud-init and refuses one without it; the assistant shows its words. */

#include "config.h"

#include <glib/gi18n.h>

#include "domus-cloud-form.h"
#include "domus-key-file.h"

struct _DomusCloudForm
{
  GtkGrid          parent_instance;

  /* Template children */
  GtkComboBoxText *image_combo;
  GtkEntry        *hostname_entry;
  GtkEntry        *user_entry;
  GtkEntry        *key_entry;
  GtkWidget       *key_browse;
  GtkLabel        *hint_label;

  guint            n_images;
};

G_DEFINE_FINAL_TYPE (DomusCloudForm, domus_cloud_form, GTK_TYPE_GRID)

enum {
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static char *
trimmed_or_null (GtkEntry *entry)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_entry_get_text (entry)));

  return text[0] != '\0' ? g_steal_pointer (&text) : NULL;
}

void
domus_cloud_form_add_image (DomusCloudForm *self,
                            const char     *image)
{
  g_return_if_fail (DOMUS_IS_CLOUD_FORM (self));

  gtk_combo_box_text_append (self->image_combo, image, image);
  self->n_images++;
}

char *
domus_cloud_form_check (DomusCloudForm *self)
{
  g_autofree char *key_file = NULL;
  char *problem = NULL;

  g_return_val_if_fail (DOMUS_IS_CLOUD_FORM (self), NULL);

  key_file = domus_key_file_path (self->key_entry);
  if (self->n_images == 0)
    problem = g_strdup (_("The image store has no disk image: put a cloud image (a Debian or Ubuntu "
                          "“genericcloud” image, say) in the server’s image store first."));
  else if (gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->image_combo)) == NULL)
    problem = g_strdup (_("Choose the cloud image."));
  else if (key_file == NULL)
    problem = g_strdup (_("Give an SSH key file: cloud images let nobody log in with a password."));
  else
    problem = domus_key_file_problem (key_file);
  gtk_label_set_text (self->hint_label, problem != NULL ? problem : "");
  return problem;
}

char *
domus_cloud_form_dup_key_file (DomusCloudForm *self)
{
  g_return_val_if_fail (DOMUS_IS_CLOUD_FORM (self), NULL);

  return domus_key_file_path (self->key_entry);
}

DomusCloudRequest *
domus_cloud_form_make_request (DomusCloudForm *self,
                               const char     *ssh_keys,
                               gint64          memory_mib)
{
  DomusCloudRequest *request;

  g_return_val_if_fail (DOMUS_IS_CLOUD_FORM (self), NULL);

  request = domus_cloud_request_new ();
  request->image = g_strdup (gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->image_combo)));
  request->ssh_keys = g_strdup (ssh_keys);
  request->user = trimmed_or_null (self->user_entry);
  request->hostname = trimmed_or_null (self->hostname_entry);
  request->memory_mib = memory_mib;
  return request;
}

char *
domus_cloud_form_describe (DomusCloudForm *self,
                           const char     *name)
{
  g_autofree char *hostname = trimmed_or_null (self->hostname_entry);
  g_autofree char *user = trimmed_or_null (self->user_entry);
  g_autofree char *key_file = domus_key_file_path (self->key_entry);
  g_autoptr(GString) text = g_string_new (NULL);

  g_return_val_if_fail (DOMUS_IS_CLOUD_FORM (self), NULL);

  g_string_append_printf (text, _("An overlay on the cloud image “%s”, with a NoCloud seed."),
                          gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->image_combo)));
  g_string_append_c (text, '\n');
  g_string_append_printf (text, _("Host name: %s"), hostname != NULL ? hostname : name);
  g_string_append_c (text, '\n');
  if (user != NULL)
    g_string_append_printf (text, _("User “%s” logs in with the key in %s."), user, key_file);
  else
    g_string_append_printf (text, _("The image’s default user logs in with the key in %s."), key_file);
  g_string_append_c (text, '\n');
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
on_changed (DomusCloudForm *self)
{
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

static void
on_browse_clicked (DomusCloudForm *self)
{
  domus_key_file_choose (self->key_entry);
}

static void
domus_cloud_form_class_init (DomusCloudFormClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/domus/Domus/ui/domus-cloud-form.ui");
  gtk_widget_class_bind_template_child (widget_class, DomusCloudForm, image_combo);
  gtk_widget_class_bind_template_child (widget_class, DomusCloudForm, hostname_entry);
  gtk_widget_class_bind_template_child (widget_class, DomusCloudForm, user_entry);
  gtk_widget_class_bind_template_child (widget_class, DomusCloudForm, key_entry);
  gtk_widget_class_bind_template_child (widget_class, DomusCloudForm, key_browse);
  gtk_widget_class_bind_template_child (widget_class, DomusCloudForm, hint_label);
  gtk_widget_class_bind_template_callback (widget_class, on_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_browse_clicked);
}

static void
domus_cloud_form_init (DomusCloudForm *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
domus_cloud_form_new (void)
{
  return g_object_new (DOMUS_TYPE_CLOUD_FORM, NULL);
}
