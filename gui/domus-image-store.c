/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A host's image store: the host's model of its disk images, shown, created and deleted from the window. */

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "domus-image-store.h"

#define GIB 1073741824.0

struct _DomusImageStore
{
  GtkBox         parent_instance;

  DomusHost     *host;
  GCancellable  *cancellable;     /* every call's; cancelled when the widget goes */
  gboolean       listing;         /* a refresh is on its way */
  gboolean       list_again;      /* something changed while it was */
  guint          n_refreshes;
  gboolean       creating;
  GtkWidget     *confirm_dialog;  /* the Delete question while it is asked */

  GtkInfoBar    *error_bar;
  GtkLabel      *error_label;
  GtkWidget     *create_button;
  GtkWidget     *delete_button;
  GtkWidget     *refresh_button;
  GtkLabel      *status_label;
  GtkTreeView   *view;
  GtkListStore  *store;
  GtkPopover    *create_popover;
  GtkEntry      *name_entry;
  GtkComboBox   *format_combo;
  GtkSpinButton *size_spin;
  GtkLabel      *hint_label;
  GtkWidget     *create_confirm_button;
};

G_DEFINE_FINAL_TYPE (DomusImageStore, domus_image_store, GTK_TYPE_BOX)

enum {
  PROP_0,
  PROP_HOST,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void update_create_fields (DomusImageStore *self);

/* The info bar */

static void
show_error (DomusImageStore *self,
            const char      *message)
{
  gtk_label_set_text (self->error_label, message);
  gtk_widget_show (GTK_WIDGET (self->error_bar));
  gtk_info_bar_set_revealed (self->error_bar, TRUE);
}

static void
hide_error (DomusImageStore *self)
{
  gtk_info_bar_set_revealed (self->error_bar, FALSE);
  gtk_widget_hide (GTK_WIDGET (self->error_bar));
}

static void
error_bar_response (DomusImageStore *self,
                    int              response_id)
{
  hide_error (self);
}

/* The list */

static gboolean
is_connected (DomusImageStore *self)
{
  return self->host != NULL
         && domus_host_get_state (self->host) == DOMUS_HOST_STATE_CONNECTED;
}

static char *
selected_name (DomusImageStore *self,
               char           **used_by)
{
  GtkTreeModel *model;
  GtkTreeIter iter;
  char *name = NULL;

  if (!gtk_tree_selection_get_selected (gtk_tree_view_get_selection (self->view), &model, &iter))
    return NULL;
  gtk_tree_model_get (model, &iter, DOMUS_IMAGE_STORE_COLUMN_NAME, &name, -1);
  if (used_by != NULL)
    gtk_tree_model_get (model, &iter, DOMUS_IMAGE_STORE_COLUMN_USED_BY, used_by, -1);
  return name;
}

static void
update_sensitivity (DomusImageStore *self)
{
  gboolean connected = is_connected (self);
  g_autofree char *selected = selected_name (self, NULL);

  gtk_widget_set_sensitive (self->create_button, connected);
  gtk_widget_set_sensitive (self->refresh_button, connected);
  gtk_widget_set_sensitive (self->delete_button, connected && selected != NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->view), connected);
  update_create_fields (self);
}

static void
update_status (DomusImageStore *self)
{
  guint n = gtk_tree_model_iter_n_children (GTK_TREE_MODEL (self->store), NULL);
  g_autofree char *text = NULL;

  if (!is_connected (self))
    text = g_strdup (_("Not connected"));
  else
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u image", "%u images", n), n);
  gtk_label_set_text (self->status_label, text);
}


static char *
join_users (DomusImage *image)
{
  const char * const *users = domus_image_get_users (image);
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; users[i] != NULL; i++)
    {
      if (text->len > 0)
        /* TRANSLATORS: between the names of the domains that use an image. */
        g_string_append (text, _(", "));
      g_string_append (text, users[i]);
    }
  return text->len > 0 ? g_string_free (g_steal_pointer (&text), FALSE) : g_strdup ("—");
}

/* The rows, from the host's model of its store. */
static void
fill_store (DomusImageStore *self)
{
  g_autofree char *selected = selected_name (self, NULL);
  GtkTreeSelection *selection = gtk_tree_view_get_selection (self->view);
  GListModel *images = domus_host_get_images (self->host);

  gtk_list_store_clear (self->store);
  for (guint i = 0; i < g_list_model_get_n_items (images); i++)
    {
      g_autoptr(DomusImage) image = g_list_model_get_item (images, i);
      g_autofree char *size = g_format_size_full (domus_image_get_size (image), G_FORMAT_SIZE_IEC_UNITS);
      g_autofree char *allocated = g_format_size_full (domus_image_get_allocated (image), G_FORMAT_SIZE_IEC_UNITS);
      g_autofree char *used_by = join_users (image);
      const char *name = domus_image_get_name (image);
      const char *format = domus_image_get_format (image);
      const char *path = domus_image_get_path (image);
      GtkTreeIter iter;

      gtk_list_store_insert_with_values (self->store, &iter, -1,
                                         DOMUS_IMAGE_STORE_COLUMN_NAME, name,
                                         DOMUS_IMAGE_STORE_COLUMN_FORMAT, format != NULL ? format : "",
                                         DOMUS_IMAGE_STORE_COLUMN_SIZE_TEXT, size,
                                         DOMUS_IMAGE_STORE_COLUMN_SIZE_BYTES, (gint64) domus_image_get_size (image),
                                         DOMUS_IMAGE_STORE_COLUMN_ALLOCATED_TEXT, allocated,
                                         DOMUS_IMAGE_STORE_COLUMN_ALLOCATED_BYTES,
                                         (gint64) domus_image_get_allocated (image),
                                         DOMUS_IMAGE_STORE_COLUMN_USED_BY, used_by,
                                         DOMUS_IMAGE_STORE_COLUMN_PATH, path != NULL ? path : "",
                                         -1);
      /* The row the user had chosen stays chosen across a refresh. */
      if (selected != NULL && g_str_equal (selected, name))
        gtk_tree_selection_select_iter (selection, &iter);
    }
}

static void list_images (DomusImageStore *self);

static void
on_listed (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = domus_host_refresh_images_finish (DOMUS_HOST (source), result, &error);
  DomusImageStore *self = user_data;

  /* Cancelled: the widget is gone (dispose cancels), touch nothing. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->listing = FALSE;
  if (!ok)
    {
      /* A lost connection is the host's news, shown where the host's state is. */
      if (!g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_CLOSED))
        {
          g_autofree char *message = g_strdup_printf (_("Could not list the images: %s"), error->message);

          show_error (self, message);
        }
    }
  else
    {
      /* An image's users change without the list changing: the rows are read again. */
      fill_store (self);
      self->n_refreshes++;
    }
  update_status (self);
  update_sensitivity (self);

  if (self->list_again)
    list_images (self);
}

static void
list_images (DomusImageStore *self)
{
  /* Only what is on screen is kept current; mapping asks again. */
  if (!gtk_widget_get_mapped (GTK_WIDGET (self)) || !is_connected (self))
    return;
  if (self->listing)
    {
      /* One refresh at a time: images are costly for the host to read. */
      self->list_again = TRUE;
      return;
    }
  self->listing = TRUE;
  self->list_again = FALSE;
  domus_host_refresh_images_async (self->host, self->cancellable, on_listed, self);
}

static void
on_images_changed (GListModel      *images,
                   guint            position,
                   guint            removed,
                   guint            added,
                   DomusImageStore *self)
{
  fill_store (self);
  update_status (self);
  update_sensitivity (self);
}

/* Changes */

/* The answer of a create or delete, for its task: the model has the change already. */
static void
change_done (DomusImageStore *self,
             GTask           *task,
             gboolean         ok,
             GError          *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, error);
      return;
    }
  if (!ok)
    {
      show_error (self, error->message);
      g_task_return_error (task, error);
    }
  else
    g_task_return_boolean (task, TRUE);
  /* Even a refusal may mean the list changed under us (an image someone else made). */
  list_images (self);
}

static void
on_created (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(DomusImage) image = domus_host_create_image_finish (DOMUS_HOST (source), result, &error);

  change_done (g_task_get_source_object (task), task, image != NULL, error);
}

static void
on_deleted (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  gboolean ok = domus_host_delete_image_finish (DOMUS_HOST (source), result, &error);

  change_done (g_task_get_source_object (task), task, ok, error);
}

/* FALSE (task answered) when the host cannot be asked. Hides an old message, which would
 * read as this action's. */
static gboolean
can_change (DomusImageStore *self,
            GTask           *task)
{
  GError *error;

  if (is_connected (self))
    {
      hide_error (self);
      return TRUE;
    }
  error = g_error_new_literal (DOMUS_ERROR, DOMUS_ERROR_CLOSED, _("The server is not connected."));
  show_error (self, error->message);
  g_task_return_error (task, error);
  g_object_unref (task);
  return FALSE;
}

/* The Create popover */

static void
update_create_fields (DomusImageStore *self)
{
  g_autofree char *problem = domus_image_store_check_name (self, gtk_entry_get_text (self->name_entry));
  gboolean empty = gtk_entry_get_text_length (self->name_entry) == 0;

  /* An empty name is where everyone starts: no scolding for it. */
  gtk_label_set_text (self->hint_label, problem != NULL && !empty ? problem : "");
  gtk_widget_set_sensitive (self->create_confirm_button,
                            problem == NULL && !self->creating && is_connected (self)
                            && gtk_spin_button_get_value (self->size_spin) > 0);
}

static void
create_fields_changed (DomusImageStore *self)
{
  update_create_fields (self);
}

static void
on_popover_created (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  DomusImageStore *self = DOMUS_IMAGE_STORE (source);
  g_autoptr(GError) error = NULL;

  if (!domus_image_store_create_finish (self, result, &error)
      && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->creating = FALSE;
  /* On failure the info bar has the daemon's words; the fields keep what was typed. */
  gtk_popover_popdown (self->create_popover);
  if (error == NULL)
    gtk_entry_set_text (self->name_entry, "");
  update_create_fields (self);
}

static void
create_confirm_clicked (DomusImageStore *self)
{
  const char *format = gtk_combo_box_get_active_id (self->format_combo);
  double gib = gtk_spin_button_get_value (self->size_spin);

  if (!gtk_widget_get_sensitive (self->create_confirm_button))
    return;
  self->creating = TRUE;
  update_create_fields (self);
  domus_image_store_create_async (self, gtk_entry_get_text (self->name_entry),
                                  format != NULL ? format : "qcow2", (guint64) (gib * GIB + 0.5),
                                  NULL, on_popover_created, NULL);
}

/* Delete and Refresh */

static void
on_confirm_response (GtkDialog       *dialog,
                     int              response_id,
                     DomusImageStore *self)
{
  const char *name = g_object_get_data (G_OBJECT (dialog), "domus-image-name");

  if (response_id == GTK_RESPONSE_ACCEPT && name != NULL)
    domus_image_store_delete_async (self, name, NULL, NULL, NULL);
  self->confirm_dialog = NULL;
  gtk_widget_destroy (GTK_WIDGET (dialog));
}

static void
delete_clicked (DomusImageStore *self)
{
  g_autofree char *used_by = NULL;
  g_autofree char *name = selected_name (self, &used_by);
  GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));
  GtkWidget *dialog, *button;

  if (name == NULL)
    return;
  if (self->confirm_dialog != NULL)
    gtk_widget_destroy (self->confirm_dialog);

  /* Answered through "response": no nested main loop. */
  dialog = gtk_message_dialog_new (GTK_IS_WINDOW (toplevel) ? GTK_WINDOW (toplevel) : NULL,
                                   GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                   GTK_MESSAGE_WARNING, GTK_BUTTONS_NONE,
                                   _("Delete the image “%s”?"), name);
  if (used_by != NULL && !g_str_equal (used_by, "—"))
    gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog),
                                              _("Its contents will be lost. It is a disk of %s."), used_by);
  else
    gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog), _("Its contents will be lost."));
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Cancel"), GTK_RESPONSE_CANCEL);
  button = gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Delete"), GTK_RESPONSE_ACCEPT);
  gtk_style_context_add_class (gtk_widget_get_style_context (button), "destructive-action");
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_CANCEL);
  g_object_set_data_full (G_OBJECT (dialog), "domus-image-name", g_steal_pointer (&name), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_confirm_response), self, 0);
  self->confirm_dialog = dialog;
  gtk_widget_show (dialog);
}

static void
refresh_clicked (DomusImageStore *self)
{
  domus_image_store_refresh (self);
}

static void
selection_changed (DomusImageStore  *self,
                   GtkTreeSelection *selection)
{
  update_sensitivity (self);
}

/* The host */

static void
update_name (DomusImageStore *self)
{
  g_autofree char *name = g_strdup_printf (_("Images on %s"), domus_host_get_name (self->host));

  atk_object_set_name (gtk_widget_get_accessible (GTK_WIDGET (self->view)), name);
}

static void
on_host_notify (DomusHost       *host,
                GParamSpec      *pspec,
                DomusImageStore *self)
{
  const char *name = g_param_spec_get_name (pspec);

  if (g_str_equal (name, "name"))
    update_name (self);
  else if (g_str_equal (name, "state"))
    {
      update_status (self);
      update_sensitivity (self);
      /* A reconnection may find another daemon's store (or the same one changed). */
      if (domus_host_get_state (host) == DOMUS_HOST_STATE_CONNECTED)
        list_images (self);
    }
}

static void
on_domains_changed (GListModel      *model,
                    guint            position,
                    guint            removed,
                    guint            added,
                    DomusImageStore *self)
{
  /* A domain defined or undefined changes which images are in use. */
  list_images (self);
}

/* API */

GtkWidget *
domus_image_store_new (DomusHost *host)
{
  g_return_val_if_fail (DOMUS_IS_HOST (host), NULL);
  return g_object_new (DOMUS_TYPE_IMAGE_STORE, "host", host, NULL);
}

DomusHost *
domus_image_store_get_host (DomusImageStore *self)
{
  g_return_val_if_fail (DOMUS_IS_IMAGE_STORE (self), NULL);
  return self->host;
}

GtkTreeView *
domus_image_store_get_tree_view (DomusImageStore *self)
{
  g_return_val_if_fail (DOMUS_IS_IMAGE_STORE (self), NULL);
  return self->view;
}

void
domus_image_store_refresh (DomusImageStore *self)
{
  g_return_if_fail (DOMUS_IS_IMAGE_STORE (self));
  list_images (self);
}

guint
domus_image_store_get_n_refreshes (DomusImageStore *self)
{
  g_return_val_if_fail (DOMUS_IS_IMAGE_STORE (self), 0);
  return self->n_refreshes;
}

gboolean
domus_image_store_has_image (DomusImageStore *self,
                             const char      *name)
{
  GtkTreeModel *model;
  GtkTreeIter iter;

  g_return_val_if_fail (DOMUS_IS_IMAGE_STORE (self), FALSE);
  model = GTK_TREE_MODEL (self->store);
  if (name == NULL || !gtk_tree_model_get_iter_first (model, &iter))
    return FALSE;
  do
    {
      g_autofree char *row_name = NULL;

      gtk_tree_model_get (model, &iter, DOMUS_IMAGE_STORE_COLUMN_NAME, &row_name, -1);
      if (g_strcmp0 (row_name, name) == 0)
        return TRUE;
    }
  while (gtk_tree_model_iter_next (model, &iter));
  return FALSE;
}

char *
domus_image_store_check_name (DomusImageStore *self,
                              const char      *name)
{
  g_return_val_if_fail (DOMUS_IS_IMAGE_STORE (self), NULL);

  /* The daemon's own rules (image.create's invalid-params), told before it is asked. */
  if (name == NULL || *name == '\0')
    return g_strdup (_("Give the image a name."));
  if (strchr (name, '/') != NULL)
    return g_strdup (_("A name cannot contain “/”."));
  if (name[0] == '.')
    return g_strdup (_("A name cannot start with “.”."));
  if (domus_image_store_has_image (self, name))
    return g_strdup_printf (_("There is an image named “%s” already."), name);
  return NULL;
}

void
domus_image_store_create_async (DomusImageStore     *self,
                                const char          *name,
                                const char          *format,
                                guint64              size_bytes,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (DOMUS_IS_IMAGE_STORE (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (format != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, domus_image_store_create_async);
  if (can_change (self, task))
    domus_host_create_image_async (self->host, name, format, size_bytes, self->cancellable, on_created, task);
}

gboolean
domus_image_store_create_finish (DomusImageStore  *self,
                                 GAsyncResult     *result,
                                 GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
domus_image_store_delete_async (DomusImageStore     *self,
                                const char          *name,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (DOMUS_IS_IMAGE_STORE (self));
  g_return_if_fail (name != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, domus_image_store_delete_async);
  if (can_change (self, task))
    domus_host_delete_image_async (self->host, name, self->cancellable, on_deleted, task);
}

gboolean
domus_image_store_delete_finish (DomusImageStore  *self,
                                 GAsyncResult     *result,
                                 GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

const char *
domus_image_store_get_error_message (DomusImageStore *self)
{
  g_return_val_if_fail (DOMUS_IS_IMAGE_STORE (self), NULL);
  if (!gtk_widget_get_visible (GTK_WIDGET (self->error_bar)) || !gtk_info_bar_get_revealed (self->error_bar))
    return NULL;
  return gtk_label_get_text (self->error_label);
}

/* GtkWidget */

static void
domus_image_store_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (domus_image_store_parent_class)->map (widget);
  /* Images change behind our back (domusctl, another window): read them when shown. */
  list_images (DOMUS_IMAGE_STORE (widget));
}

/* GObject */

static void
domus_image_store_constructed (GObject *object)
{
  DomusImageStore *self = DOMUS_IMAGE_STORE (object);

  G_OBJECT_CLASS (domus_image_store_parent_class)->constructed (object);
  g_return_if_fail (self->host != NULL);

  g_signal_connect_object (self->host, "notify", G_CALLBACK (on_host_notify), self, 0);
  g_signal_connect_object (domus_host_get_domains (self->host), "items-changed",
                           G_CALLBACK (on_domains_changed), self, 0);
  g_signal_connect_object (domus_host_get_images (self->host), "items-changed",
                           G_CALLBACK (on_images_changed), self, 0);
  fill_store (self);
  update_name (self);
  update_status (self);
  update_sensitivity (self);
}

static void
domus_image_store_dispose (GObject *object)
{
  DomusImageStore *self = DOMUS_IMAGE_STORE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->confirm_dialog != NULL)
    {
      GtkWidget *dialog = g_steal_pointer (&self->confirm_dialog);

      gtk_widget_destroy (dialog);
    }
  if (self->host != NULL)
    {
      g_signal_handlers_disconnect_by_data (domus_host_get_domains (self->host), self);
      g_signal_handlers_disconnect_by_data (domus_host_get_images (self->host), self);
      g_signal_handlers_disconnect_by_data (self->host, self);
      g_clear_object (&self->host);
    }

  G_OBJECT_CLASS (domus_image_store_parent_class)->dispose (object);
}

static void
domus_image_store_finalize (GObject *object)
{
  DomusImageStore *self = DOMUS_IMAGE_STORE (object);

  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (domus_image_store_parent_class)->finalize (object);
}

static void
domus_image_store_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  DomusImageStore *self = DOMUS_IMAGE_STORE (object);

  switch (prop_id)
    {
    case PROP_HOST: g_value_set_object (value, self->host); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_image_store_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  DomusImageStore *self = DOMUS_IMAGE_STORE (object);

  switch (prop_id)
    {
    case PROP_HOST: self->host = g_value_dup_object (value); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_image_store_class_init (DomusImageStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = domus_image_store_constructed;
  object_class->dispose = domus_image_store_dispose;
  object_class->finalize = domus_image_store_finalize;
  object_class->get_property = domus_image_store_get_property;
  object_class->set_property = domus_image_store_set_property;

  widget_class->map = domus_image_store_map;

  properties[PROP_HOST] =
    g_param_spec_object ("host", NULL, NULL, DOMUS_TYPE_HOST,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/domus/Domus/ui/domus-image-store.ui");
  gtk_widget_class_bind_template_child (widget_class, DomusImageStore, error_bar);
  gtk_widget_class_bind_template_child (widget_class, DomusImageStore, error_label);
  gtk_widget_class_bind_template_child (widget_class, DomusImageStore, create_button);
  gtk_widget_class_bind_template_child (widget_class, DomusImageStore, delete_button);
  gtk_widget_class_bind_template_child (widget_class, DomusImageStore, refresh_button);
  gtk_widget_class_bind_template_child (widget_class, DomusImageStore, status_label);
  gtk_widget_class_bind_template_child (widget_class, DomusImageStore, view);
  gtk_widget_class_bind_template_child (widget_class, DomusImageStore, store);
  gtk_widget_class_bind_template_child (widget_class, DomusImageStore, create_popover);
  gtk_widget_class_bind_template_child (widget_class, DomusImageStore, name_entry);
  gtk_widget_class_bind_template_child (widget_class, DomusImageStore, format_combo);
  gtk_widget_class_bind_template_child (widget_class, DomusImageStore, size_spin);
  gtk_widget_class_bind_template_child (widget_class, DomusImageStore, hint_label);
  gtk_widget_class_bind_template_child (widget_class, DomusImageStore, create_confirm_button);
  gtk_widget_class_bind_template_callback (widget_class, error_bar_response);
  gtk_widget_class_bind_template_callback (widget_class, create_fields_changed);
  gtk_widget_class_bind_template_callback (widget_class, create_confirm_clicked);
  gtk_widget_class_bind_template_callback (widget_class, delete_clicked);
  gtk_widget_class_bind_template_callback (widget_class, refresh_clicked);
  gtk_widget_class_bind_template_callback (widget_class, selection_changed);
}

static void
domus_image_store_init (DomusImageStore *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_tree_sortable_set_sort_column_id (GTK_TREE_SORTABLE (self->store), DOMUS_IMAGE_STORE_COLUMN_NAME,
                                        GTK_SORT_ASCENDING);
}
