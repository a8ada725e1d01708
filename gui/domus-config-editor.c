/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The configuration tab of a domain: the .cfg file as text (domain.get_config,
 * domain.set_config) and a form for the values people change most (domain.set_values,
 * which keeps every other line of the file). The daemon checks both the way it checks
 * a file it starts; its refusal, naming line and key, shows here in an info bar.
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

static JsonNode *finish_call (DomusConfigEditor *self,
                              GObject           *source,
                              GAsyncResult      *result,
                              gboolean          *refused);

/* Reading */

static void
on_config (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(DomusConfigEditor) self = user_data;
  gboolean refused;
  g_autoptr(JsonNode) answer = finish_call (self, source, result, &refused);
  JsonObject *object;

  if (answer == NULL)
    return;
  if (!JSON_NODE_HOLDS_OBJECT (answer))
    {
      show_message (self, GTK_MESSAGE_ERROR, _("The daemon sent no configuration."));
      return;
    }
  object = json_node_get_object (answer);
  domus_config_editor_set_text (self, json_object_get_string_member_with_default (object, "config", ""));
  gtk_label_set_text (self->path_label, json_object_get_string_member_with_default (object, "path", ""));
  fill_form (self);
}

void
domus_config_editor_reload (DomusConfigEditor *self)
{
  g_return_if_fail (DOMUS_IS_CONFIG_EDITOR (self));

  set_busy (self, TRUE);
  domus_domain_call_async (self->domain, "domain.get_config", NULL, self->cancellable,
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

/* The end of every call this editor makes: the answer, or NULL when the call was
   cancelled (the editor is going: *refused stays FALSE) or refused (the daemon's words
   are shown: *refused is TRUE). */
static JsonNode *
finish_call (DomusConfigEditor *self,
             GObject           *source,
             GAsyncResult      *result,
             gboolean          *refused)
{
  g_autoptr(GError) error = NULL;
  JsonNode *answer = domus_domain_call_finish (DOMUS_DOMAIN (source), result, &error);

  *refused = FALSE;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return NULL;
  set_busy (self, FALSE);
  if (answer == NULL)
    {
      show_message (self, GTK_MESSAGE_ERROR, error->message);
      *refused = TRUE;
    }
  return answer;
}

static void
on_saved (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(DomusConfigEditor) self = user_data;
  gboolean refused;
  g_autoptr(JsonNode) answer = finish_call (self, source, result, &refused);

  if (answer == NULL)
    return;
  show_message (self, GTK_MESSAGE_INFO,
                domus_domain_get_id (self->domain) >= 0
                ? _("Saved. The domain gets the new configuration when it next starts.")
                : _("Saved."));
  domus_config_editor_reload (self);
}

void
domus_config_editor_save (DomusConfigEditor *self)
{
  g_autoptr(JsonObject) params = json_object_new ();
  g_autofree char *text = NULL;

  g_return_if_fail (DOMUS_IS_CONFIG_EDITOR (self));

  text = domus_config_editor_dup_text (self);
  json_object_set_string_member (params, "config", text);
  set_busy (self, TRUE);
  domus_domain_call_async (self->domain, "domain.set_config", params, self->cancellable,
                           on_saved, g_object_ref (self));
}

/* "web, prod" as the config's list ['web', 'prod']; NULL (the key removed) when empty.
 * The daemon checks each tag (no commas, printable, 1 to 64 characters). */
static JsonArray *
tags_from_text (const char *text)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);
  JsonArray *tags = json_array_new ();

  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *tag = g_strstrip (parts[i]);

      if (*tag != '\0')
        json_array_add_string_element (tags, tag);
    }
  if (json_array_get_length (tags) == 0)
    g_clear_pointer (&tags, json_array_unref);
  return tags;
}

static void
apply_clicked (DomusConfigEditor *self)
{
  g_autoptr(JsonObject) params = json_object_new ();
  JsonObject *values = json_object_new ();
  JsonArray *tags = tags_from_text (gtk_entry_get_text (self->tags_entry));

  json_object_set_int_member (values, "memory", gtk_spin_button_get_value_as_int (self->memory_spin));
  json_object_set_int_member (values, "vcpus", gtk_spin_button_get_value_as_int (self->vcpus_spin));
  if (tags != NULL)
    json_object_set_array_member (values, "tags", tags);
  else
    json_object_set_null_member (values, "tags");
  json_object_set_object_member (params, "values", values);
  set_busy (self, TRUE);
  domus_domain_call_async (self->domain, "domain.set_values", params, self->cancellable,
                           on_saved, g_object_ref (self));
}

static void
on_autostart_set (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(DomusConfigEditor) self = user_data;
  gboolean refused;
  g_autoptr(JsonNode) answer = finish_call (self, source, result, &refused);

  /* Refused: the check box goes back to what the domain says. */
  if (refused)
    fill_form (self);
}

static void
autostart_toggled (GtkToggleButton   *button,
                   DomusConfigEditor *self)
{
  g_autoptr(JsonObject) params = json_object_new ();

  if (self->updating_form)
    return;
  json_object_set_boolean_member (params, "autostart", gtk_toggle_button_get_active (button));
  set_busy (self, TRUE);
  domus_domain_call_async (self->domain, "domain.set_autostart", params, self->cancellable,
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
