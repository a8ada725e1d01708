/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Asks SSH passwords and key passphrases in a dialog that does not block the window.
 *
 * Only the async vfuncs are implemented: the backend's SSH worker thread calls
 * g_tls_interaction_invoke_ask_password(), which runs ask_password_async on the main
 * context and waits in its own thread; the main loop keeps running and no nested loop
 * is needed here. */

#include "config.h"

#include <glib/gi18n.h>

#include "domus-interaction.h"

struct _DomusInteraction
{
  GTlsInteraction  parent_instance;

  GtkWindow       *parent;   /* weak */
};

G_DEFINE_FINAL_TYPE (DomusInteraction, domus_interaction, G_TYPE_TLS_INTERACTION)

/* One question on screen. The dialog holds the task: the caller is answered exactly once,
 * by a response or, when the dialog goes away some other way, as cancelled. */
typedef struct {
  GtkWidget    *dialog;     /* NULL once destroyed */
  GtkWidget    *entry;
  GTlsPassword *password;
  gboolean      answered;
  gulong        cancelled_id;
} Ask;

static void
ask_free (Ask *ask)
{
  g_clear_object (&ask->password);
  g_free (ask);
}

static void
answer (GTask                *task,
        GTlsInteractionResult result)
{
  Ask *ask = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  if (ask->answered)
    return;
  ask->answered = TRUE;
  if (cancellable != NULL && ask->cancelled_id != 0)
    g_cancellable_disconnect (cancellable, ask->cancelled_id);
  ask->cancelled_id = 0;

  if (result == G_TLS_INTERACTION_HANDLED)
    g_task_return_int (task, result);
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             _("The password was not given"));
}

static void
dialog_response (GtkDialog *dialog,
                 int        response,
                 GTask     *task)
{
  Ask *ask = g_task_get_task_data (task);

  if (response == GTK_RESPONSE_OK)
    {
      const char *text = gtk_entry_get_text (GTK_ENTRY (ask->entry));

      g_tls_password_set_value (ask->password, (const guchar *) text, -1);
      /* Leave no copy in the entry's buffer. */
      gtk_entry_set_text (GTK_ENTRY (ask->entry), "");
      answer (task, G_TLS_INTERACTION_HANDLED);
    }
  else
    {
      answer (task, G_TLS_INTERACTION_FAILED);
    }
  gtk_widget_destroy (GTK_WIDGET (dialog));
}

/* Also when its parent window goes (destroy-with-parent): the caller must not wait forever. */
static void
dialog_destroyed (GtkWidget *dialog,
                  GTask     *task)
{
  Ask *ask = g_task_get_task_data (task);

  ask->dialog = NULL;
  answer (task, G_TLS_INTERACTION_FAILED);
}

/* The connection attempt gave up (the host was disconnected): take the question away. */
static gboolean
cancelled_idle (gpointer user_data)
{
  Ask *ask = g_task_get_task_data (G_TASK (user_data));

  if (ask->dialog != NULL)
    gtk_widget_destroy (ask->dialog);
  return G_SOURCE_REMOVE;
}

static void
ask_cancelled (GCancellable *cancellable,
               gpointer      user_data)
{
  g_autoptr(GSource) source = g_idle_source_new ();

  /* "cancelled" may come from any thread, and answering disconnects this handler, which
   * must not happen inside it: always answer later, on the dialog's own context. */
  g_source_set_callback (source, cancelled_idle, g_object_ref (user_data), g_object_unref);
  g_source_attach (source, g_task_get_context (G_TASK (user_data)));
}

static void
domus_interaction_ask_password_async (GTlsInteraction    *interaction,
                                      GTlsPassword       *password,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data)
{
  DomusInteraction *self = DOMUS_INTERACTION (interaction);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  GtkWidget *content;
  GtkWidget *box;
  GtkWidget *label;
  const char *warning;
  Ask *ask;

  g_task_set_source_tag (task, domus_interaction_ask_password_async);
  ask = g_new0 (Ask, 1);
  g_task_set_task_data (task, ask, (GDestroyNotify) ask_free);

  ask->dialog = gtk_dialog_new_with_buttons (_("Authentication"), self->parent,
                                             GTK_DIALOG_DESTROY_WITH_PARENT,
                                             _("_Cancel"), GTK_RESPONSE_CANCEL,
                                             _("_Log In"), GTK_RESPONSE_OK,
                                             NULL);
  gtk_dialog_set_default_response (GTK_DIALOG (ask->dialog), GTK_RESPONSE_OK);
  gtk_window_set_modal (GTK_WINDOW (ask->dialog), FALSE);
  ask->password = g_object_ref (password);

  content = gtk_dialog_get_content_area (GTK_DIALOG (ask->dialog));
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_container_set_border_width (GTK_CONTAINER (box), 12);
  gtk_container_add (GTK_CONTAINER (content), box);

  label = gtk_label_new (g_tls_password_get_description (password));
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
  gtk_container_add (GTK_CONTAINER (box), label);

  warning = g_tls_password_get_warning (password);
  if (warning != NULL && *warning != '\0')
    {
      label = gtk_label_new (warning);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
      gtk_style_context_add_class (gtk_widget_get_style_context (label), "dim-label");
      gtk_container_add (GTK_CONTAINER (box), label);
    }

  ask->entry = gtk_entry_new ();
  gtk_entry_set_visibility (GTK_ENTRY (ask->entry), FALSE);
  gtk_entry_set_input_purpose (GTK_ENTRY (ask->entry), GTK_INPUT_PURPOSE_PASSWORD);
  gtk_entry_set_activates_default (GTK_ENTRY (ask->entry), TRUE);
  atk_object_set_name (gtk_widget_get_accessible (ask->entry), _("Password"));
  gtk_container_add (GTK_CONTAINER (box), ask->entry);

  /* The dialog keeps the task alive until it is destroyed. */
  g_object_set_data_full (G_OBJECT (ask->dialog), "domus-task", g_object_ref (task), g_object_unref);
  g_signal_connect (ask->dialog, "response", G_CALLBACK (dialog_response), task);
  g_signal_connect (ask->dialog, "destroy", G_CALLBACK (dialog_destroyed), task);
  if (cancellable != NULL)
    ask->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (ask_cancelled), task, NULL);

  gtk_widget_show_all (ask->dialog);
}

static GTlsInteractionResult
domus_interaction_ask_password_finish (GTlsInteraction *interaction,
                                       GAsyncResult    *result,
                                       GError         **error)
{
  GError *local = NULL;
  gssize value;

  g_return_val_if_fail (g_task_is_valid (result, interaction), G_TLS_INTERACTION_FAILED);

  value = g_task_propagate_int (G_TASK (result), &local);
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return G_TLS_INTERACTION_FAILED;
    }
  return (GTlsInteractionResult) value;
}

static void
domus_interaction_class_init (DomusInteractionClass *klass)
{
  GTlsInteractionClass *interaction_class = G_TLS_INTERACTION_CLASS (klass);

  interaction_class->ask_password_async = domus_interaction_ask_password_async;
  interaction_class->ask_password_finish = domus_interaction_ask_password_finish;
}

static void
domus_interaction_init (DomusInteraction *self)
{
}

DomusInteraction *
domus_interaction_new (void)
{
  return g_object_new (DOMUS_TYPE_INTERACTION, NULL);
}

void
domus_interaction_set_parent (DomusInteraction *self,
                              GtkWindow        *parent)
{
  g_return_if_fail (DOMUS_IS_INTERACTION (self));
  g_return_if_fail (parent == NULL || GTK_IS_WINDOW (parent));

  if (self->parent == parent)
    return;
  if (self->parent != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->parent), (gpointer *) &self->parent);
  self->parent = parent;
  if (parent != NULL)
    g_object_add_weak_pointer (G_OBJECT (parent), (gpointer *) &self->parent);
}
