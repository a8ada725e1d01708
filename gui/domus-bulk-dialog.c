/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One action on several domains: the one confirmation, then the results.
 *
 * The list is there from the start: before the user confirms it says which domains would be
 * left out and why (a domain already paused is not paused again), for a migration what the
 * target's checks said for each; once confirmed, the same rows follow the run. The dialog is
 * not modal: the window stays usable while a long run goes on. */

#include "config.h"

#include <glib/gi18n.h>

#include "domus-bulk-dialog.h"

struct _DomusBulkDialog
{
  GtkDialog        parent_instance;

  /* Template children */
  GtkLabel        *heading_label;
  GtkLabel        *detail_label;
  GtkWidget       *options_grid;
  GtkWidget       *tag_label;
  GtkComboBoxText *tag_combo;
  GtkWidget       *target_label;
  GtkComboBoxText *target_combo;
  GtkToggleButton *copy_storage_check;
  GtkListBox      *items_list;
  GtkLabel        *summary_label;

  GtkWidget       *close_button;
  GtkWidget       *act_button;

  DomusBulkRun    *run;
  GPtrArray       *targets;     /* DomusHost, in the chooser's order */
  gboolean         checking;    /* a migration's target is being asked */
  gboolean         started;
};

G_DEFINE_FINAL_TYPE (DomusBulkDialog, domus_bulk_dialog, GTK_TYPE_DIALOG)

static DomusBulkOperation
operation (DomusBulkDialog *self)
{
  return domus_bulk_run_get_operation (self->run);
}

static guint
n_domains (DomusBulkDialog *self)
{
  return g_list_model_get_n_items (G_LIST_MODEL (self->run));
}

static DomusHost *
chosen_target (DomusBulkDialog *self)
{
  int active = gtk_combo_box_get_active (GTK_COMBO_BOX (self->target_combo));

  if (active < 0 || (guint) active >= self->targets->len)
    return NULL;
  return g_ptr_array_index (self->targets, active);
}

/* The words */

/* "Pause 3 domains?": n is how many it would act on. */
static char *
question (DomusBulkDialog *self,
          guint            n)
{
  const char *target = chosen_target (self) != NULL ? domus_host_get_name (chosen_target (self)) : "…";

  switch (operation (self))
    {
    case DOMUS_BULK_START:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Start %u domain?", "Start %u domains?", n), n);
    case DOMUS_BULK_SHUTDOWN:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Shut down %u domain?", "Shut down %u domains?", n), n);
    case DOMUS_BULK_REBOOT:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Reboot %u domain?", "Reboot %u domains?", n), n);
    case DOMUS_BULK_PAUSE:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Pause %u domain?", "Pause %u domains?", n), n);
    case DOMUS_BULK_RESUME:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Resume %u domain?", "Resume %u domains?", n), n);
    case DOMUS_BULK_DESTROY:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Destroy %u domain?", "Destroy %u domains?", n), n);
    case DOMUS_BULK_ADD_TAG:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Add a tag to %u domain?", "Add a tag to %u domains?", n), n);
    case DOMUS_BULK_REMOVE_TAG:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Remove a tag from %u domain?", "Remove a tag from %u domains?", n), n);
    case DOMUS_BULK_MIGRATE:
    default:
      /* Translators: %u domains, %s the target server. */
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Move %u domain to %s?", "Move %u domains to %s?", n), n, target);
    }
}

static const char *
verb (DomusBulkOperation op)
{
  switch (op)
    {
    case DOMUS_BULK_START:      return _("_Start");
    case DOMUS_BULK_SHUTDOWN:   return _("Shut _Down");
    case DOMUS_BULK_REBOOT:     return _("_Reboot");
    case DOMUS_BULK_PAUSE:      return _("_Pause");
    case DOMUS_BULK_RESUME:     return _("_Resume");
    case DOMUS_BULK_DESTROY:    return _("_Destroy");
    case DOMUS_BULK_ADD_TAG:    return _("_Add Tag");
    case DOMUS_BULK_REMOVE_TAG: return _("_Remove Tag");
    case DOMUS_BULK_MIGRATE:
    default:                    return _("_Migrate");
    }
}

static const char *
detail (DomusBulkOperation op)
{
  switch (op)
    {
    case DOMUS_BULK_SHUTDOWN:
      return _("Each guest is asked to shut down, as if its power button were pressed; a guest that ignores it keeps running.");
    case DOMUS_BULK_DESTROY:
      return _("Each domain stops at once, as if its power cord were pulled: what its guest had not saved is lost.");
    case DOMUS_BULK_MIGRATE:
      return _("The domains move one after another, each while its guest keeps running.");
    default:
      return NULL;
    }
}

/* The rows */

static const char *
status_icon (DomusBulkStatus status)
{
  switch (status)
    {
    case DOMUS_BULK_STATUS_CHECKING:
    case DOMUS_BULK_STATUS_RUNNING:   return "content-loading-symbolic";
    case DOMUS_BULK_STATUS_READY:
    case DOMUS_BULK_STATUS_SUCCEEDED: return "emblem-ok-symbolic";
    case DOMUS_BULK_STATUS_FAILED:    return "dialog-error-symbolic";
    case DOMUS_BULK_STATUS_SKIPPED:   return "action-unavailable-symbolic";
    case DOMUS_BULK_STATUS_WAITING:
    default:                          return NULL;
    }
}

/* "web1 on rack02: Paused." — the state is in the words, for a screen reader and a test. */
static char *
row_text (DomusBulkItem *item)
{
  const char *message = domus_bulk_item_get_message (item);
  const char *name = domus_bulk_item_get_name (item);
  const char *host = domus_bulk_item_get_host_name (item);

  if (domus_bulk_item_get_status (item) == DOMUS_BULK_STATUS_FAILED)
    /* Translators: a domain, its server, then why the action failed. */
    return g_strdup_printf (_("%s on %s: failed — %s"), name, host, message != NULL ? message : "");
  if (message == NULL)
    /* Translators: a domain and its server, in the bulk action's list. */
    return g_strdup_printf (_("%s on %s"), name, host);
  /* Translators: a domain, its server, then what became of it ("Paused."). */
  return g_strdup_printf (_("%s on %s: %s"), name, host, message);
}

static void
update_row (DomusBulkItem *item,
            GParamSpec    *pspec,
            GtkWidget     *box)
{
  GtkWidget *image = g_object_get_data (G_OBJECT (box), "domus-image");
  GtkWidget *label = g_object_get_data (G_OBJECT (box), "domus-label");
  const char *icon = status_icon (domus_bulk_item_get_status (item));
  g_autofree char *text = row_text (item);

  gtk_label_set_text (GTK_LABEL (label), text);
  gtk_image_set_from_icon_name (GTK_IMAGE (image), icon, GTK_ICON_SIZE_MENU);
  gtk_widget_set_visible (image, icon != NULL);
}

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *image = gtk_image_new ();
  GtkWidget *label = gtk_label_new (NULL);

  gtk_widget_set_size_request (image, 16, 16);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_box_pack_start (GTK_BOX (box), image, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (box), label, TRUE, TRUE, 0);
  g_object_set (box, "margin", 4, NULL);
  gtk_widget_show_all (box);
  g_object_set_data (G_OBJECT (box), "domus-image", image);
  g_object_set_data (G_OBJECT (box), "domus-label", label);
  g_signal_connect_object (item, "notify", G_CALLBACK (update_row), box, 0);
  update_row (item, NULL, box);
  return box;
}

/* Before the start */

static gboolean
tag_is_valid (const char *tag)
{
  /* The daemon's rule (docs/config-format.md): 1 to 64 printable characters, no comma. */
  if (*tag == '\0' || g_utf8_strlen (tag, -1) > 64 || strchr (tag, ',') != NULL)
    return FALSE;
  for (const char *p = tag; *p != '\0'; p = g_utf8_next_char (p))
    if (!g_unichar_isprint (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

static void
update_confirmation (DomusBulkDialog *self)
{
  guint ready = domus_bulk_run_count_ready (self->run);
  g_autofree char *heading = NULL;
  g_autofree char *summary = NULL;
  gboolean can = ready > 0 && !self->checking;

  if (self->started)
    return;
  if (operation (self) == DOMUS_BULK_ADD_TAG || operation (self) == DOMUS_BULK_REMOVE_TAG)
    {
      g_autofree char *tag = g_strstrip (gtk_combo_box_text_get_active_text (self->tag_combo));

      can = can && tag_is_valid (tag);
    }
  if (self->checking)
    heading = g_strdup_printf (_("Asking %s…"), domus_host_get_name (chosen_target (self)));
  else
    heading = question (self, ready);
  gtk_label_set_text (self->heading_label, heading);
  if (ready < n_domains (self))
    summary = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                            "%u of the %u selected is left out: the list says why.",
                                            "%u of the %u selected are left out: the list says why.",
                                            n_domains (self) - ready),
                               n_domains (self) - ready, n_domains (self));
  gtk_label_set_text (self->summary_label, summary != NULL ? summary : "");
  gtk_widget_set_visible (GTK_WIDGET (self->summary_label), summary != NULL);
  gtk_widget_set_sensitive (self->act_button, can);
}

static void
options_changed (DomusBulkDialog *self)
{
  g_autofree char *tag = NULL;

  if (self->started)
    return;
  tag = g_strstrip (gtk_combo_box_text_get_active_text (self->tag_combo));
  domus_bulk_run_set_tag (self->run, tag);
  domus_bulk_run_preview (self->run);
  update_confirmation (self);
}

static void
run_checked (DomusBulkRun    *run,
             DomusBulkDialog *self)
{
  self->checking = FALSE;
  update_confirmation (self);
}

static void
target_changed (DomusBulkDialog *self)
{
  DomusHost *target = chosen_target (self);

  if (self->started || self->targets == NULL)
    return;
  domus_bulk_run_set_target (self->run, target);
  domus_bulk_run_set_copy_storage (self->run, gtk_toggle_button_get_active (self->copy_storage_check));
  self->checking = target != NULL;
  update_confirmation (self);
  domus_bulk_run_check (self->run);
}

/* Running */

static void
run_finished (DomusBulkRun    *run,
              DomusBulkDialog *self)
{
  guint done = domus_bulk_run_count (run, DOMUS_BULK_STATUS_SUCCEEDED);
  guint failed = domus_bulk_run_count (run, DOMUS_BULK_STATUS_FAILED);
  guint skipped = domus_bulk_run_count (run, DOMUS_BULK_STATUS_SKIPPED);
  g_autofree char *heading = NULL;

  /* Translators: the bulk action's result; each %u a number of domains. */
  heading = g_strdup_printf (_("Done: %u succeeded, %u failed, %u not done."), done, failed, skipped);
  gtk_label_set_text (self->heading_label, heading);
  gtk_label_set_text (self->summary_label,
                      failed > 0 ? _("Nothing was tried again: the list says why each failure failed.") : "");
  gtk_widget_set_visible (GTK_WIDGET (self->summary_label), failed > 0);
  gtk_button_set_label (GTK_BUTTON (self->close_button), _("_Close"));
  gtk_widget_set_tooltip_text (self->close_button, _("Close this dialog"));
  gtk_widget_set_sensitive (self->close_button, TRUE);
  gtk_widget_grab_focus (self->close_button);
}

static void
start_run (DomusBulkDialog *self)
{
  g_autofree char *heading = NULL;
  guint n = domus_bulk_run_count_ready (self->run);

  self->started = TRUE;
  gtk_widget_hide (self->act_button);
  gtk_widget_set_sensitive (self->options_grid, FALSE);
  /* Translators: while a bulk action runs; %u is how many domains it acts on. */
  heading = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Working on %u domain…", "Working on %u domains…", n), n);
  gtk_label_set_text (self->heading_label, heading);
  gtk_widget_hide (GTK_WIDGET (self->summary_label));
  if (operation (self) == DOMUS_BULK_MIGRATE)
    {
      gtk_button_set_label (GTK_BUTTON (self->close_button), _("_Stop"));
      gtk_widget_set_tooltip_text (self->close_button,
                                   _("Stop: the domain moving now goes back to its server, the others stay"));
    }
  else
    {
      gtk_button_set_label (GTK_BUTTON (self->close_button), _("_Close"));
      gtk_widget_set_tooltip_text (self->close_button, _("Close this dialog; what was asked goes on"));
    }
  gtk_widget_grab_focus (self->close_button);
  domus_bulk_run_start (self->run);
}

static void
dialog_response (GtkDialog *dialog,
                 int        response)
{
  DomusBulkDialog *self = DOMUS_BULK_DIALOG (dialog);

  if (response == GTK_RESPONSE_OK)
    {
      if (!self->started && gtk_widget_get_sensitive (self->act_button))
        start_run (self);
      return;
    }
  if (domus_bulk_run_get_running (self->run) && operation (self) == DOMUS_BULK_MIGRATE)
    {
      /* The migration under way rolls back; the dialog stays to say how each ended. */
      domus_bulk_run_cancel (self->run);
      gtk_widget_set_sensitive (self->close_button, FALSE);
      return;
    }
  gtk_widget_destroy (GTK_WIDGET (dialog));
}

static gboolean
dialog_delete (GtkWidget   *widget,
               GdkEventAny *event)
{
  DomusBulkDialog *self = DOMUS_BULK_DIALOG (widget);

  if (domus_bulk_run_get_running (self->run) && operation (self) == DOMUS_BULK_MIGRATE)
    {
      dialog_response (GTK_DIALOG (widget), GTK_RESPONSE_CANCEL);
      return TRUE;
    }
  return FALSE;
}

/* Construction */

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static void
fill_tags (DomusBulkDialog *self)
{
  g_autoptr(GPtrArray) tags = g_ptr_array_new ();

  for (guint i = 0; i < n_domains (self); i++)
    {
      g_autoptr(DomusBulkItem) item = g_list_model_get_item (G_LIST_MODEL (self->run), i);
      const char * const *domain_tags = domus_domain_get_tags (domus_bulk_item_get_domain (item));

      for (guint j = 0; domain_tags[j] != NULL; j++)
        if (!g_ptr_array_find_with_equal_func (tags, domain_tags[j], g_str_equal, NULL))
          g_ptr_array_add (tags, (gpointer) domain_tags[j]);
    }
  g_ptr_array_sort (tags, compare_strings);
  for (guint i = 0; i < tags->len; i++)
    gtk_combo_box_text_append_text (self->tag_combo, g_ptr_array_index (tags, i));
  /* Removing: the tag most likely meant is one they have. */
  if (operation (self) == DOMUS_BULK_REMOVE_TAG && tags->len > 0)
    gtk_combo_box_set_active (GTK_COMBO_BOX (self->tag_combo), 0);
}

/* Every connected server; the index of the first that is not every domain's own, or -1. */
static int
fill_targets (DomusBulkDialog *self,
              GListModel      *hosts)
{
  int active = -1;

  for (guint i = 0; hosts != NULL && i < g_list_model_get_n_items (hosts); i++)
    {
      g_autoptr(DomusHost) host = g_list_model_get_item (hosts, i);
      gboolean all_there = TRUE;

      if (domus_host_get_state (host) != DOMUS_HOST_STATE_CONNECTED)
        continue;
      for (guint j = 0; j < n_domains (self) && all_there; j++)
        {
          g_autoptr(DomusBulkItem) item = g_list_model_get_item (G_LIST_MODEL (self->run), j);

          all_there = domus_domain_get_host (domus_bulk_item_get_domain (item)) == host;
        }
      if (active < 0 && !all_there)
        active = (int) self->targets->len;
      g_ptr_array_add (self->targets, g_object_ref (host));
      gtk_combo_box_text_append_text (self->target_combo, domus_host_get_name (host));
    }
  return active;
}

static void
show_options (DomusBulkDialog *self,
              GListModel      *hosts)
{
  gboolean tags = operation (self) == DOMUS_BULK_ADD_TAG || operation (self) == DOMUS_BULK_REMOVE_TAG;
  gboolean migrate = operation (self) == DOMUS_BULK_MIGRATE;

  gtk_widget_set_visible (self->options_grid, tags || migrate);
  gtk_widget_set_visible (self->tag_label, tags);
  gtk_widget_set_visible (GTK_WIDGET (self->tag_combo), tags);
  gtk_widget_set_visible (self->target_label, migrate);
  gtk_widget_set_visible (GTK_WIDGET (self->target_combo), migrate);
  gtk_widget_set_visible (GTK_WIDGET (self->copy_storage_check), migrate);
  if (tags)
    {
      fill_tags (self);
      /* Typing a new tag changes the entry, not the chooser's active item. */
      g_signal_connect_swapped (gtk_bin_get_child (GTK_BIN (self->tag_combo)), "changed",
                                G_CALLBACK (options_changed), self);
    }
  if (migrate)
    {
      int active = fill_targets (self, hosts);

      /* Choosing asks the target for its checks (target_changed); no target says so too. */
      if (active >= 0)
        gtk_combo_box_set_active (GTK_COMBO_BOX (self->target_combo), active);
      else
        target_changed (self);
    }
}

static void
domus_bulk_dialog_dispose (GObject *object)
{
  DomusBulkDialog *self = DOMUS_BULK_DIALOG (object);

  if (self->run != NULL)
    g_signal_handlers_disconnect_by_data (self->run, self);
  g_clear_object (&self->run);
  g_clear_pointer (&self->targets, g_ptr_array_unref);

  G_OBJECT_CLASS (domus_bulk_dialog_parent_class)->dispose (object);
}

static void
domus_bulk_dialog_class_init (DomusBulkDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkDialogClass *dialog_class = GTK_DIALOG_CLASS (klass);

  object_class->dispose = domus_bulk_dialog_dispose;
  widget_class->delete_event = dialog_delete;
  dialog_class->response = dialog_response;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/domus/Domus/ui/domus-bulk-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, DomusBulkDialog, heading_label);
  gtk_widget_class_bind_template_child (widget_class, DomusBulkDialog, detail_label);
  gtk_widget_class_bind_template_child (widget_class, DomusBulkDialog, options_grid);
  gtk_widget_class_bind_template_child (widget_class, DomusBulkDialog, tag_label);
  gtk_widget_class_bind_template_child (widget_class, DomusBulkDialog, tag_combo);
  gtk_widget_class_bind_template_child (widget_class, DomusBulkDialog, target_label);
  gtk_widget_class_bind_template_child (widget_class, DomusBulkDialog, target_combo);
  gtk_widget_class_bind_template_child (widget_class, DomusBulkDialog, copy_storage_check);
  gtk_widget_class_bind_template_child (widget_class, DomusBulkDialog, items_list);
  gtk_widget_class_bind_template_child (widget_class, DomusBulkDialog, summary_label);
  gtk_widget_class_bind_template_callback (widget_class, options_changed);
  gtk_widget_class_bind_template_callback (widget_class, target_changed);
}

static void
domus_bulk_dialog_init (DomusBulkDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->targets = g_ptr_array_new_with_free_func (g_object_unref);
  self->close_button = gtk_dialog_add_button (GTK_DIALOG (self), _("_Cancel"), GTK_RESPONSE_CANCEL);
  gtk_widget_set_tooltip_text (self->close_button, _("Close this dialog without acting (Escape)"));
  self->act_button = gtk_dialog_add_button (GTK_DIALOG (self), "", GTK_RESPONSE_OK);
}

GtkWidget *
domus_bulk_dialog_new (GtkWindow    *parent,
                       DomusBulkRun *run,
                       GListModel   *hosts)
{
  DomusBulkDialog *self;
  DomusBulkOperation op;

  g_return_val_if_fail (DOMUS_IS_BULK_RUN (run), NULL);

  self = g_object_new (DOMUS_TYPE_BULK_DIALOG, "transient-for", parent, "use-header-bar", FALSE, NULL);
  self->run = g_object_ref (run);
  op = domus_bulk_run_get_operation (run);
  gtk_window_set_title (GTK_WINDOW (self), _("Many Domains"));
  gtk_button_set_label (GTK_BUTTON (self->act_button), verb (op));
  gtk_button_set_use_underline (GTK_BUTTON (self->act_button), TRUE);
  gtk_style_context_add_class (gtk_widget_get_style_context (self->act_button),
                               op == DOMUS_BULK_DESTROY ? "destructive-action" : "suggested-action");
  /* Return confirms, except where a slip loses data. */
  gtk_dialog_set_default_response (GTK_DIALOG (self), op == DOMUS_BULK_DESTROY ? GTK_RESPONSE_CANCEL
                                                                                : GTK_RESPONSE_OK);
  if (detail (op) != NULL)
    {
      gtk_label_set_text (self->detail_label, detail (op));
      gtk_widget_show (GTK_WIDGET (self->detail_label));
    }
  gtk_list_box_bind_model (self->items_list, G_LIST_MODEL (run), create_row, NULL, NULL);
  g_signal_connect (run, "checked", G_CALLBACK (run_checked), self);
  g_signal_connect (run, "finished", G_CALLBACK (run_finished), self);
  domus_bulk_run_preview (run);
  show_options (self, hosts);
  update_confirmation (self);
  return GTK_WIDGET (self);
}
