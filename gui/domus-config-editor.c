/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The configuration tab of a domain: the configuration file as text and a form for the
 * values people change most (which keeps every other line of the file). The host checks
 * both the way it checks a file it starts; its refusal, naming line and key, shows here
 * in an info bar.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "domus-config-editor.h"
#include "domus-host.h"

struct _DomusConfigEditor
{
  GtkBox          parent_instance;

  GtkInfoBar     *info_bar;
  GtkLabel       *info_label;
  GtkSpinButton  *memory_spin;
  GtkSpinButton  *vcpus_spin;
  GtkToggleButton *autostart_check;
  GtkEntry       *tags_entry;
  GtkWidget      *apply_button;
  GtkTextView    *text_view;
  GtkLabel       *path_label;
  GtkWidget      *reload_button;
  GtkWidget      *save_button;

  DomusDomain    *domain;
  GCancellable   *cancellable;
  guint           busy;
  gboolean        updating_form;   /* the form is being filled in, not edited */
};

G_DEFINE_FINAL_TYPE (DomusConfigEditor, domus_config_editor, GTK_TYPE_BOX)

static void
show_message (DomusConfigEditor *self,
              GtkMessageType     type,
              const char        *message)
{
  gtk_info_bar_set_message_type (self->info_bar, type);
  gtk_label_set_text (self->info_label, message);
  gtk_widget_show (GTK_WIDGET (self->info_bar));
}

static void
info_bar_response (GtkInfoBar        *info_bar,
                   int                response,
                   DomusConfigEditor *self)
{
  gtk_widget_hide (GTK_WIDGET (info_bar));
}

static void
set_busy (DomusConfigEditor *self,
          gboolean           busy)
{
  self->busy += busy ? 1 : -1;
  gtk_widget_set_sensitive (self->save_button, self->busy == 0);
  gtk_widget_set_sensitive (self->reload_button, self->busy == 0);
  gtk_widget_set_sensitive (self->apply_button, self->busy == 0);
}

static void
fill_form (DomusConfigEditor *self)
{
  self->updating_form = TRUE;
  if (domus_domain_get_memory_mib (self->domain) > 0)
    gtk_spin_button_set_value (self->memory_spin, domus_domain_get_memory_mib (self->domain));
  if (domus_domain_get_vcpus (self->domain) > 0)
    gtk_spin_button_set_value (self->vcpus_spin, domus_domain_get_vcpus (self->domain));
  gtk_toggle_button_set_active (self->autostart_check, domus_domain_get_autostart (self->domain));
  {
    g_autofree char *tags = g_strjoinv (", ", (char **) domus_domain_get_tags (self->domain));

    gtk_entry_set_text (self->tags_entry, tags);
  }
  self->updating_form = FALSE;
}

/* The host to ask, or NULL (said in the info bar) once the domain's host is gone. */
static DomusHost *
host_to_ask (DomusConfigEditor *self)
{
  DomusHost *host = domus_domain_get_host (self->domain);

  if (host == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("The host of domain “%s” is not connected."),
                                                  domus_domain_get_name (self->domain));

      show_message (self, GTK_MESSAGE_ERROR, message);
    }
  return host;
}

/* The end of every call this editor makes: FALSE when it was cancelled (the editor is
 * going: touch nothing) or refused (the host's words are shown: *refused is TRUE). */
static gboolean
call_ended (DomusConfigEditor *self,
            gboolean           ok,
            GError            *error,
            gboolean          *refused)
{
  *refused = FALSE;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;
  set_busy (self, FALSE);
  if (!ok)
    {
      show_message (self, GTK_MESSAGE_ERROR, error->message);
      *refused = TRUE;
    }
  return ok;
}

/* Reading */

static void
on_config (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(DomusConfigEditor) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = domus_host_get_domain_config_finish (DOMUS_HOST (source), result, &path, &error);
  gboolean refused;

  if (!call_ended (self, text != NULL, error, &refused))
    return;
  domus_config_editor_set_text (self, text);
  gtk_label_set_text (self->path_label, path != NULL ? path : "");
  fill_form (self);
}

void
domus_config_editor_reload (DomusConfigEditor *self)
{
  DomusHost *host;

  g_return_if_fail (DOMUS_IS_CONFIG_EDITOR (self));

  if ((host = host_to_ask (self)) == NULL)
    return;
  set_busy (self, TRUE);
  domus_host_get_domain_config_async (host, domus_domain_get_name (self->domain), self->cancellable,
                                      on_config, g_object_ref (self));
}

char *
domus_config_editor_dup_text (DomusConfigEditor *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text_view);
  GtkTextIter start, end;

  g_return_val_if_fail (DOMUS_IS_CONFIG_EDITOR (self), NULL);

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

void
domus_config_editor_set_text (DomusConfigEditor *self,
                              const char        *text)
{
  g_return_if_fail (DOMUS_IS_CONFIG_EDITOR (self));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->text_view), text != NULL ? text : "", -1);
}

/* Writing */

static void
saved (DomusConfigEditor *self,
       gboolean           ok,
       GError            *error)
{
  gboolean refused;

  if (!call_ended (self, ok, error, &refused))
    return;
  show_message (self, GTK_MESSAGE_INFO,
                domus_domain_get_id (self->domain) >= 0
                ? _("Saved. The domain gets the new configuration when it next starts.")
                : _("Saved."));
  domus_config_editor_reload (self);
}

static void
on_text_saved (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(DomusConfigEditor) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok = domus_host_set_domain_config_finish (DOMUS_HOST (source), result, &error);

  saved (self, ok, error);
}

static void
on_values_saved (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(DomusConfigEditor) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = domus_host_set_domain_values_finish (DOMUS_HOST (source), result, &error);

  saved (self, text != NULL, error);
}

void
domus_config_editor_save (DomusConfigEditor *self)
{
  g_autofree char *text = NULL;
  DomusHost *host;

  g_return_if_fail (DOMUS_IS_CONFIG_EDITOR (self));

  if ((host = host_to_ask (self)) == NULL)
    return;
  text = domus_config_editor_dup_text (self);
  set_busy (self, TRUE);
  domus_host_set_domain_config_async (host, domus_domain_get_name (self->domain), text, self->cancellable,
                                      on_text_saved, g_object_ref (self));
}

/* "web, prod" as the config's list ['web', 'prod']; nothing (the key removed) when empty.
 * The host checks each tag (no commas, printable, 1 to 64 characters). */
static GVariant *
tags_from_text (const char *text)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);
  g_auto(GVariantBuilder) tags = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("av"));
  gboolean any = FALSE;

  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *tag = g_strstrip (parts[i]);

      if (*tag == '\0')
        continue;
      g_variant_builder_add (&tags, "v", g_variant_new_string (tag));
      any = TRUE;
    }
  if (!any)
    return g_variant_new_maybe (G_VARIANT_TYPE_VARIANT, NULL);
  return g_variant_builder_end (&tags);
}

static void
apply_clicked (DomusConfigEditor *self)
{
  g_auto(GVariantDict) values = G_VARIANT_DICT_INIT (NULL);
  DomusHost *host;

  if ((host = host_to_ask (self)) == NULL)
    return;
  g_variant_dict_insert (&values, "memory", "x", (gint64) gtk_spin_button_get_value_as_int (self->memory_spin));
  g_variant_dict_insert (&values, "vcpus", "x", (gint64) gtk_spin_button_get_value_as_int (self->vcpus_spin));
  g_variant_dict_insert_value (&values, "tags", tags_from_text (gtk_entry_get_text (self->tags_entry)));
  set_busy (self, TRUE);
  domus_host_set_domain_values_async (host, domus_domain_get_name (self->domain), g_variant_dict_end (&values),
                                      self->cancellable, on_values_saved, g_object_ref (self));
}

static void
on_autostart_set (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(DomusConfigEditor) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok = domus_host_set_domain_autostart_finish (DOMUS_HOST (source), result, &error);
  gboolean refused;

  /* Refused: the check box goes back to what the domain says. */
  if (!call_ended (self, ok, error, &refused) && refused)
    fill_form (self);
}

static void
autostart_toggled (GtkToggleButton   *button,
                   DomusConfigEditor *self)
{
  DomusHost *host;

  if (self->updating_form)
    return;
  if ((host = host_to_ask (self)) == NULL)
    {
      fill_form (self);
      return;
    }
  set_busy (self, TRUE);
  domus_host_set_domain_autostart_async (host, domus_domain_get_name (self->domain),
                                         gtk_toggle_button_get_active (button), self->cancellable,
                                         on_autostart_set, g_object_ref (self));
}

static void
on_domain_changed (DomusDomain       *domain,
                   GParamSpec        *pspec,
                   DomusConfigEditor *self)
{
  fill_form (self);
}

const char *
domus_config_editor_get_message (DomusConfigEditor *self)
{
  g_return_val_if_fail (DOMUS_IS_CONFIG_EDITOR (self), NULL);

  if (!gtk_widget_get_visible (GTK_WIDGET (self->info_bar)))
    return NULL;
  return gtk_label_get_text (self->info_label);
}

gboolean
domus_config_editor_is_busy (DomusConfigEditor *self)
{
  g_return_val_if_fail (DOMUS_IS_CONFIG_EDITOR (self), FALSE);
  return self->busy > 0;
}

GtkWidget *
domus_config_editor_new (DomusDomain *domain)
{
  DomusConfigEditor *self;

  g_return_val_if_fail (DOMUS_IS_DOMAIN (domain), NULL);

  self = g_object_new (DOMUS_TYPE_CONFIG_EDITOR, NULL);
  self->domain = g_object_ref (domain);
  g_signal_connect_object (domain, "notify::autostart", G_CALLBACK (on_domain_changed), self, 0);
  g_signal_connect_object (domain, "notify::memory-mib", G_CALLBACK (on_domain_changed), self, 0);
  g_signal_connect_object (domain, "notify::vcpus", G_CALLBACK (on_domain_changed), self, 0);
  g_signal_connect_object (domain, "notify::tags", G_CALLBACK (on_domain_changed), self, 0);
  g_signal_connect (self->autostart_check, "toggled", G_CALLBACK (autostart_toggled), self);
  fill_form (self);
  domus_config_editor_reload (self);
  return GTK_WIDGET (self);
}

static void
domus_config_editor_dispose (GObject *object)
{
  DomusConfigEditor *self = DOMUS_CONFIG_EDITOR (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->domain);
  G_OBJECT_CLASS (domus_config_editor_parent_class)->dispose (object);
}

static void
domus_config_editor_class_init (DomusConfigEditorClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = domus_config_editor_dispose;
  gtk_widget_class_set_template_from_resource (widget_class, "/org/domus/Domus/ui/domus-config-editor.ui");
  gtk_widget_class_bind_template_child (widget_class, DomusConfigEditor, info_bar);
  gtk_widget_class_bind_template_child (widget_class, DomusConfigEditor, info_label);
  gtk_widget_class_bind_template_child (widget_class, DomusConfigEditor, memory_spin);
  gtk_widget_class_bind_template_child (widget_class, DomusConfigEditor, vcpus_spin);
  gtk_widget_class_bind_template_child (widget_class, DomusConfigEditor, autostart_check);
  gtk_widget_class_bind_template_child (widget_class, DomusConfigEditor, tags_entry);
  gtk_widget_class_bind_template_child (widget_class, DomusConfigEditor, apply_button);
  gtk_widget_class_bind_template_child (widget_class, DomusConfigEditor, text_view);
  gtk_widget_class_bind_template_child (widget_class, DomusConfigEditor, path_label);
  gtk_widget_class_bind_template_child (widget_class, DomusConfigEditor, reload_button);
  gtk_widget_class_bind_template_child (widget_class, DomusConfigEditor, save_button);
  gtk_widget_class_bind_template_callback (widget_class, info_bar_response);
  gtk_widget_class_bind_template_callback (widget_class, apply_clicked);
  gtk_widget_class_bind_template_callback (widget_class, domus_config_editor_reload);
  gtk_widget_class_bind_template_callback (widget_class, domus_config_editor_save);
}

static void
domus_config_editor_init (DomusConfigEditor *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));

  /* GtkInfoBar's own close button (beside its action area) is an icon with no accessible
   * name or tooltip. */
  {
    GtkWidget *area = gtk_info_bar_get_action_area (self->info_bar);
    g_autoptr(GList) buttons = gtk_container_get_children (
      GTK_CONTAINER (gtk_widget_get_parent (area)));

    for (GList *l = buttons; l != NULL; l = l->next)
      if (GTK_IS_BUTTON (l->data) && gtk_button_get_label (l->data) == NULL)
        {
          atk_object_set_name (gtk_widget_get_accessible (l->data), _("Close"));
          gtk_widget_set_tooltip_text (l->data, _("Hide this message"));
        }
  }
}
