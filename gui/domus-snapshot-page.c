/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A domain's Snapshots tab (docs/gui.md, "Snapshots").
 *
 * Everything goes through the host's typed snapshot calls; the daemon decides what a
 * snapshot holds (the memory too while the domain runs). The page is made anew for each
 * domain shown (DomusDomainPage), so it follows one domain for its whole life. Revert and
 * Delete ask first, in a dialog answered through "response" (no nested main loop). */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "domus-snapshot-page.h"

enum {
  COLUMN_NAME,
  COLUMN_TAKEN,
  COLUMN_MEMORY,
  COLUMN_TIME,
};

struct _DomusSnapshotPage
{
  GtkBox        parent_instance;

  /* Template children */
  GtkListStore *store;
  GtkTreeView  *view;
  GtkWidget    *info_bar;
  GtkLabel     *info_label;
  GtkWidget    *take_button;
  GtkPopover   *take_popover;
  GtkEntry     *name_entry;
  GtkLabel     *take_hint;
  GtkWidget    *take_confirm;
  GtkWidget    *revert_button;
  GtkWidget    *delete_button;
  GtkLabel     *status_label;

  DomusDomain  *domain;
  GCancellable *cancellable;       /* the calls: cancelled in dispose */
  GCancellable *list_cancellable;  /* the listing in flight: cancelled by the next, and in dispose */
  GtkWidget    *confirm_dialog;
  guint         busy;              /* calls of this page in flight */
};

G_DEFINE_FINAL_TYPE (DomusSnapshotPage, domus_snapshot_page, GTK_TYPE_BOX)

/* The daemon's rule (docs/protocol.md, domain.snapshot.create), checked as the user types
 * so that the button says what is wrong before anything is asked. */
static gboolean
snapshot_name_is_valid (const char *name)
{
  gsize length = strlen (name);
  gboolean all_digits = TRUE;

  if (length == 0 || length > 64)
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '.' && *p != '_' && *p != '-')
        return FALSE;
      if (!g_ascii_isdigit (*p))
        all_digits = FALSE;
    }
  return !all_digits;
}

static DomusHost *
page_host (DomusSnapshotPage *self)
{
  return self->domain != NULL ? domus_domain_get_host (self->domain) : NULL;
}

static char *
selected_name (DomusSnapshotPage *self)
{
  GtkTreeSelection *selection = gtk_tree_view_get_selection (self->view);
  GtkTreeModel *model;
  GtkTreeIter iter;
  char *name = NULL;

  if (gtk_tree_selection_get_selected (selection, &model, &iter))
    gtk_tree_model_get (model, &iter, COLUMN_NAME, &name, -1);
  return name;
}

/* Connected to a host that takes snapshots (a kind or version without them says so). */
static gboolean
host_can_snapshot (DomusSnapshotPage *self)
{
  DomusHost *host = page_host (self);

  return host != NULL && domus_host_get_state (host) == DOMUS_HOST_STATE_CONNECTED
         && (domus_host_get_capabilities (host) & DOMUS_HOST_CAN_SNAPSHOTS);
}

static void
update_sensitivity (DomusSnapshotPage *self)
{
  gboolean connected = host_can_snapshot (self);
  g_autofree char *name = selected_name (self);

  gtk_widget_set_sensitive (self->take_button, connected && self->busy == 0);
  gtk_widget_set_sensitive (self->revert_button, connected && self->busy == 0 && name != NULL);
  gtk_widget_set_sensitive (self->delete_button, connected && self->busy == 0 && name != NULL);
}

static void
show_error (DomusSnapshotPage *self,
            const char        *message)
{
  gtk_label_set_text (self->info_label, message);
  gtk_widget_show (self->info_bar);
}

static void
info_bar_response (DomusSnapshotPage *self)
{
  gtk_widget_hide (self->info_bar);
}

static void
set_status (DomusSnapshotPage *self,
            const char        *text)
{
  gtk_label_set_text (self->status_label, text != NULL ? text : "");
}

/* Listing */

static void
fill_store (DomusSnapshotPage *self,
            GPtrArray         *snapshots)
{
  g_autofree char *keep = selected_name (self);

  gtk_list_store_clear (self->store);
  for (guint i = 0; i < snapshots->len; i++)
    {
      DomusSnapshot *snapshot = g_ptr_array_index (snapshots, i);
      g_autoptr(GDateTime) taken = domus_snapshot_get_date_time (snapshot);
      g_autofree char *taken_text = taken != NULL ? g_date_time_format (taken, "%Y-%m-%d %H:%M:%S")
                                                  : g_strdup ("—");
      GtkTreeIter iter;

      gtk_list_store_insert_with_values (self->store, &iter, -1,
                                         COLUMN_NAME, domus_snapshot_get_name (snapshot),
                                         COLUMN_TAKEN, taken_text,
                                         /* Translators: whether a snapshot holds the guest's memory. */
                                         COLUMN_MEMORY, domus_snapshot_get_has_memory (snapshot)
                                                        ? _("with memory") : _("disks only"),
                                         COLUMN_TIME, domus_snapshot_get_time (snapshot),
                                         -1);
      if (keep != NULL && g_str_equal (keep, domus_snapshot_get_name (snapshot)))
        gtk_tree_selection_select_iter (gtk_tree_view_get_selection (self->view), &iter);
    }
}

static void
snapshots_listed (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(DomusSnapshotPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) snapshots = NULL;
  g_autofree char *status = NULL;

  snapshots = domus_host_list_snapshots_finish (DOMUS_HOST (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->list_cancellable);
  if (snapshots == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("The snapshots of “%s” could not be listed: %s"),
                                                  domus_domain_get_name (self->domain), error->message);

      set_status (self, NULL);
      show_error (self, message);
      return;
    }
  fill_store (self, snapshots);
  status = g_strdup_printf (ngettext ("%u snapshot", "%u snapshots", snapshots->len), snapshots->len);
  set_status (self, status);
  update_sensitivity (self);
}

void
domus_snapshot_page_refresh (DomusSnapshotPage *self)
{
  DomusHost *host;

  g_return_if_fail (DOMUS_IS_SNAPSHOT_PAGE (self));

  host = page_host (self);
  update_sensitivity (self);
  if (host == NULL || domus_host_get_state (host) != DOMUS_HOST_STATE_CONNECTED)
    return;
  if (!host_can_snapshot (self))
    {
      set_status (self, _("This server cannot take snapshots."));
      return;
    }
  /* A newer listing replaces one in flight (cancel and start again). */
  if (self->list_cancellable != NULL)
    g_cancellable_cancel (self->list_cancellable);
  g_clear_object (&self->list_cancellable);
  self->list_cancellable = g_cancellable_new ();
  set_status (self, _("Listing…"));
  domus_host_list_snapshots_async (host, domus_domain_get_name (self->domain), self->list_cancellable,
                                   snapshots_listed, g_object_ref (self));
}

static void
refresh_clicked (DomusSnapshotPage *self)
{
  domus_snapshot_page_refresh (self);
}

static void
selection_changed (DomusSnapshotPage *self)
{
  update_sensitivity (self);
}

/* The calls: take, revert, delete */

typedef struct {
  DomusSnapshotPage   *page;
  DomusSnapshotAction  kind;
  char                *snapshot;
} Call;

static void
call_free (Call *call)
{
  g_object_unref (call->page);
  g_free (call->snapshot);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Call, call_free)

/* Whole sentences, one per call, so that translators see each. */
static char *
call_failure (const Call *call,
              const char *domain,
              const char *reason)
{
  switch (call->kind)
    {
    case DOMUS_SNAPSHOT_CREATE:
      return g_strdup_printf (_("Could not take the snapshot “%s” of “%s”: %s"), call->snapshot, domain, reason);
    case DOMUS_SNAPSHOT_REVERT:
      return g_strdup_printf (_("Could not revert “%s” to the snapshot “%s”: %s"), domain, call->snapshot, reason);
    case DOMUS_SNAPSHOT_DELETE:
    default:
      return g_strdup_printf (_("Could not delete the snapshot “%s” of “%s”: %s"), call->snapshot, domain, reason);
    }
}

static char *
call_progress (const Call *call)
{
  switch (call->kind)
    {
    case DOMUS_SNAPSHOT_CREATE: return g_strdup_printf (_("Taking “%s”…"), call->snapshot);
    case DOMUS_SNAPSHOT_REVERT: return g_strdup_printf (_("Reverting to “%s”…"), call->snapshot);
    case DOMUS_SNAPSHOT_DELETE:
    default:          return g_strdup_printf (_("Deleting “%s”…"), call->snapshot);
    }
}

static void
call_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(Call) call = user_data;
  DomusSnapshotPage *self = call->page;
  g_autoptr(GError) error = NULL;
  gboolean ok = domus_host_snapshot_action_finish (DOMUS_HOST (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->busy--;
  if (!ok)
    {
      g_autofree char *message = call_failure (call, domus_domain_get_name (self->domain), error->message);

      g_message ("%s", message);
      show_error (self, message);
    }
  domus_snapshot_page_refresh (self);
}

static void
start_call (DomusSnapshotPage   *self,
            DomusSnapshotAction  kind,
            const char          *snapshot)
{
  DomusHost *host = page_host (self);
  const char *domain = domus_domain_get_name (self->domain);
  g_autofree char *progress = NULL;
  Call *call;

  if (host == NULL)
    return;
  call = g_new0 (Call, 1);
  call->page = g_object_ref (self);
  call->kind = kind;
  call->snapshot = g_strdup (snapshot);
  progress = call_progress (call);
  set_status (self, progress);
  gtk_widget_hide (self->info_bar);
  self->busy++;
  update_sensitivity (self);
  domus_host_snapshot_action_async (host, domain, snapshot, kind, self->cancellable, call_done, call);
}

/* Take: the popover */

static gboolean
has_snapshot_named (DomusSnapshotPage *self,
                    const char        *name)
{
  GtkTreeModel *model = GTK_TREE_MODEL (self->store);
  GtkTreeIter iter;
  gboolean valid;

  for (valid = gtk_tree_model_get_iter_first (model, &iter); valid; valid = gtk_tree_model_iter_next (model, &iter))
    {
      g_autofree char *listed = NULL;

      gtk_tree_model_get (model, &iter, COLUMN_NAME, &listed, -1);
      if (g_strcmp0 (listed, name) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
take_name_ok (DomusSnapshotPage *self)
{
  const char *name = gtk_entry_get_text (self->name_entry);
  const char *hint = "";
  gboolean ok = FALSE;

  if (name[0] == '\0')
    hint = "";
  else if (!snapshot_name_is_valid (name))
    hint = _("A snapshot name is letters, digits, “.”, “_” and “-”, at most 64, and not only digits.");
  else if (has_snapshot_named (self, name))
    hint = _("This domain has a snapshot of that name already.");
  else
    ok = TRUE;
  gtk_label_set_text (self->take_hint, hint);
  gtk_widget_set_visible (GTK_WIDGET (self->take_hint), hint[0] != '\0');
  return ok;
}

static void
take_name_changed (DomusSnapshotPage *self)
{
  gtk_widget_set_sensitive (self->take_confirm, take_name_ok (self));
}

/* The popover offers a name from the time, as the user would likely type one. */
static void
take_popover_shown (DomusSnapshotPage *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *name = g_date_time_format (now, "snap-%Y%m%d-%H%M%S");

  gtk_entry_set_text (self->name_entry, name);
  gtk_widget_grab_focus (GTK_WIDGET (self->name_entry));
  take_name_changed (self);
}

static void
take_confirm_clicked (DomusSnapshotPage *self)
{
  if (!take_name_ok (self))
    return;
  start_call (self, DOMUS_SNAPSHOT_CREATE, gtk_entry_get_text (self->name_entry));
  gtk_popover_popdown (self->take_popover);
}

/* Revert and Delete: asked first */

static void
confirm_response (GtkDialog         *dialog,
                  int                response,
                  DomusSnapshotPage *self)
{
  const char *snapshot = g_object_get_data (G_OBJECT (dialog), "domus-snapshot");
  DomusSnapshotAction kind = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "domus-call"));

  if (response == GTK_RESPONSE_ACCEPT)
    start_call (self, kind, snapshot);
  if (self->confirm_dialog == GTK_WIDGET (dialog))
    self->confirm_dialog = NULL;
  gtk_widget_destroy (GTK_WIDGET (dialog));
}

static void
ask (DomusSnapshotPage   *self,
     DomusSnapshotAction  kind,
     const char          *snapshot,
     const char          *question,
     const char          *detail,
     const char          *confirm_label,
     const char          *confirm_tooltip)
{
  GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));
  GtkWidget *dialog, *button;

  if (self->confirm_dialog != NULL)
    gtk_widget_destroy (self->confirm_dialog);
  dialog = gtk_message_dialog_new (GTK_IS_WINDOW (toplevel) ? GTK_WINDOW (toplevel) : NULL,
                                   GTK_DIALOG_DESTROY_WITH_PARENT, GTK_MESSAGE_WARNING,
                                   GTK_BUTTONS_NONE, "%s", question);
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog), "%s", detail);
  button = gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Cancel"), GTK_RESPONSE_CANCEL);
  gtk_widget_set_tooltip_text (button, _("Leave the domain and its snapshots as they are (Escape)"));
  button = gtk_dialog_add_button (GTK_DIALOG (dialog), confirm_label, GTK_RESPONSE_ACCEPT);
  gtk_widget_set_tooltip_text (button, confirm_tooltip);
  gtk_style_context_add_class (gtk_widget_get_style_context (button), "destructive-action");
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_CANCEL);
  gtk_window_set_modal (GTK_WINDOW (dialog), FALSE);
  g_object_set_data_full (G_OBJECT (dialog), "domus-snapshot", g_strdup (snapshot), g_free);
  g_object_set_data (G_OBJECT (dialog), "domus-call", GINT_TO_POINTER (kind));
  g_signal_connect_object (dialog, "response", G_CALLBACK (confirm_response), self, 0);
  self->confirm_dialog = dialog;
  gtk_widget_show (dialog);
}

static void
revert_clicked (DomusSnapshotPage *self)
{
  g_autofree char *snapshot = selected_name (self);
  g_autofree char *question = NULL;

  if (snapshot == NULL)
    return;
  question = g_strdup_printf (_("Revert “%s” to “%s”?"), domus_domain_get_name (self->domain), snapshot);
  ask (self, DOMUS_SNAPSHOT_REVERT, snapshot, question,
       _("The domain’s disks, and its memory if the snapshot holds it, go back to that moment: "
         "whatever changed since then is lost."),
       _("_Revert"), _("Go back to the snapshot now, losing what changed since"));
}

static void
delete_clicked (DomusSnapshotPage *self)
{
  g_autofree char *snapshot = selected_name (self);
  g_autofree char *question = NULL;

  if (snapshot == NULL)
    return;
  question = g_strdup_printf (_("Delete the snapshot “%s” of “%s”?"), snapshot,
                              domus_domain_get_name (self->domain));
  ask (self, DOMUS_SNAPSHOT_DELETE, snapshot, question,
       _("The domain stays as it is now; it can no longer go back to this snapshot."),
       _("_Delete"), _("Delete the snapshot now"));
}

/* Following the domain and its host */

static void
domain_state_changed (DomusSnapshotPage *self)
{
  /* A snapshot could be taken or reverted elsewhere; the state change is the cheap hint. */
  domus_snapshot_page_refresh (self);
}

static void
host_state_changed (DomusSnapshotPage *self)
{
  /* Back from a reconnection: the list may have changed meanwhile. */
  domus_snapshot_page_refresh (self);
}

/* GObject */

static void
domus_snapshot_page_dispose (GObject *object)
{
  DomusSnapshotPage *self = DOMUS_SNAPSHOT_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->list_cancellable != NULL)
    g_cancellable_cancel (self->list_cancellable);
  if (self->confirm_dialog != NULL)
    gtk_widget_destroy (self->confirm_dialog);
  self->confirm_dialog = NULL;
  g_clear_object (&self->list_cancellable);
  g_clear_object (&self->domain);
  G_OBJECT_CLASS (domus_snapshot_page_parent_class)->dispose (object);
}

static void
domus_snapshot_page_finalize (GObject *object)
{
  DomusSnapshotPage *self = DOMUS_SNAPSHOT_PAGE (object);

  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (domus_snapshot_page_parent_class)->finalize (object);
}

static void
domus_snapshot_page_class_init (DomusSnapshotPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = domus_snapshot_page_dispose;
  object_class->finalize = domus_snapshot_page_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/domus/Domus/ui/domus-snapshot-page.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, DomusSnapshotPage, name)
  BIND (store);
  BIND (view);
  BIND (info_bar);
  BIND (info_label);
  BIND (take_button);
  BIND (take_popover);
  BIND (name_entry);
  BIND (take_hint);
  BIND (take_confirm);
  BIND (revert_button);
  BIND (delete_button);
  BIND (status_label);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, info_bar_response);
  gtk_widget_class_bind_template_callback (widget_class, take_popover_shown);
  gtk_widget_class_bind_template_callback (widget_class, take_name_changed);
  gtk_widget_class_bind_template_callback (widget_class, take_confirm_clicked);
  gtk_widget_class_bind_template_callback (widget_class, revert_clicked);
  gtk_widget_class_bind_template_callback (widget_class, delete_clicked);
  gtk_widget_class_bind_template_callback (widget_class, refresh_clicked);
  gtk_widget_class_bind_template_callback (widget_class, selection_changed);
}

static void
domus_snapshot_page_init (DomusSnapshotPage *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_tree_sortable_set_sort_column_id (GTK_TREE_SORTABLE (self->store), COLUMN_TIME, GTK_SORT_ASCENDING);
}

GtkWidget *
domus_snapshot_page_new (DomusDomain *domain)
{
  DomusSnapshotPage *self;
  DomusHost *host;

  g_return_val_if_fail (DOMUS_IS_DOMAIN (domain), NULL);

  self = g_object_new (DOMUS_TYPE_SNAPSHOT_PAGE, NULL);
  self->domain = g_object_ref (domain);
  g_signal_connect_object (domain, "notify::state", G_CALLBACK (domain_state_changed), self, G_CONNECT_SWAPPED);
  host = domus_domain_get_host (domain);
  if (host != NULL)
    g_signal_connect_object (host, "notify::state", G_CALLBACK (host_state_changed), self, G_CONNECT_SWAPPED);
  domus_snapshot_page_refresh (self);
  return GTK_WIDGET (self);
}
