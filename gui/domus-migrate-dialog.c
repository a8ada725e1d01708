/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The confirmation and progress of moving a domain to another server.
 *
 * One dialog does the whole thing, without a nested main loop: it asks the chosen target
 * for its checks (domus_migration_check_async) whenever the target or "Copy storage"
 * changes, enables "Migrate" when every check passed, then runs one DomusMigration and
 * shows its progress and, at the end, what the guest went through. The sidebar's rows move
 * by themselves: the servers' events say where the domain is.
 *
 * For a shut-off domain the same dialog starts it on the other server instead ("Start on
 * another server", as Xenman did with a shared image store): the same checks, no
 * migration options, and domus_migration_start_on_async. */

#include "config.h"

#include <inttypes.h>
#include <glib/gi18n.h>

#include "domus-migration.h"
#include "domus-migrate-dialog.h"
#include "domus-state-text.h"

struct _DomusMigrateDialog
{
  GtkDialog        parent_instance;

  /* Template children */
  GtkLabel        *heading_label;
  GtkWidget       *options_grid;
  GtkComboBoxText *target_combo;
  GtkToggleButton *live_radio;
  GtkToggleButton *copy_storage_check;
  GtkSpinButton   *bandwidth_spin;
  GtkSpinButton   *downtime_spin;
  GtkToggleButton *postcopy_check;
  GtkToggleButton *encrypt_check;
  GtkLabel        *checks_label;
  GtkListBox      *checks_list;
  GtkProgressBar  *progress_bar;
  GtkLabel        *progress_label;
  GtkLabel        *result_label;

  GtkWidget       *cancel_button;
  GtkWidget       *migrate_button;

  DomusDomain     *domain;
  DomusHost       *source;
  GPtrArray       *targets;        /* DomusHost, in the chooser's order */
  GCancellable    *check_cancellable;
  GCancellable    *run_cancellable;  /* non-NULL while the migration runs */
  DomusMigration  *migration;
  gboolean         start_on;       /* the domain is shut off: start it there, do not migrate */
  gboolean         checks_ok;
  gboolean         finished;
  gboolean         user_changed;   /* an option was changed after the dialog opened */
  gboolean         targets_filled; /* the chooser is filled: its changes are the user's */
  gboolean         encrypt_chosen; /* the user's choice, kept while a target forces or forbids it */
  gboolean         encrypt_forced; /* the check box shows what the target imposes, not the choice */
};

G_DEFINE_FINAL_TYPE (DomusMigrateDialog, domus_migrate_dialog, GTK_TYPE_DIALOG)

enum {
  SIGNAL_MIGRATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void run_checks (DomusMigrateDialog *self);

static DomusHost *
chosen_target (DomusMigrateDialog *self)
{
  int active = gtk_combo_box_get_active (GTK_COMBO_BOX (self->target_combo));

  if (active < 0 || (guint) active >= self->targets->len)
    return NULL;
  return g_ptr_array_index (self->targets, active);
}

static gboolean
can_migrate (DomusMigrateDialog *self)
{
  DomusHost *target = chosen_target (self);

  return self->checks_ok && self->run_cancellable == NULL && !self->finished
         && target != NULL && domus_host_get_state (target) == DOMUS_HOST_STATE_CONNECTED
         && domus_host_get_state (self->source) == DOMUS_HOST_STATE_CONNECTED;
}

static void
update_buttons (DomusMigrateDialog *self)
{
  gboolean ok = can_migrate (self);

  gtk_widget_set_sensitive (self->migrate_button, ok);
  gtk_widget_set_visible (self->migrate_button, !self->finished);
  gtk_widget_set_sensitive (self->options_grid, self->run_cancellable == NULL && !self->finished);
  gtk_button_set_label (GTK_BUTTON (self->cancel_button),
                        self->finished ? _("_Close") : _("_Cancel"));
  gtk_widget_set_tooltip_text (self->cancel_button,
                               self->finished ? _("Close this dialog")
                               : self->run_cancellable != NULL
                               ? (self->start_on ? _("Stop: the domain stays on its server")
                                                 : _("Stop the migration: the domain keeps running on its server"))
                               : self->start_on ? _("Close this dialog without starting the domain (Escape)")
                               : _("Close this dialog without migrating (Escape)"));
  /* Return confirms: the default button takes the focus once it can act, unless the
   * user has been changing an option (the spin button passes Return on anyway). */
  if (ok && !self->user_changed)
    gtk_widget_grab_focus (self->migrate_button);
}

static void
clear_checks (DomusMigrateDialog *self)
{
  g_autoptr(GList) rows = gtk_container_get_children (GTK_CONTAINER (self->checks_list));

  for (GList *l = rows; l != NULL; l = l->next)
    gtk_widget_destroy (l->data);
}

static void
add_check_row (DomusMigrateDialog        *self,
               const DomusMigrationCheck *check)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *image = gtk_image_new_from_icon_name (check->ok ? "emblem-ok-symbolic"
                                                             : "dialog-error-symbolic",
                                                   GTK_ICON_SIZE_MENU);
  g_autofree char *message = NULL;
  g_autofree char *text = NULL;
  GtkWidget *label;

  /* The daemon speaks to domusctl users; here the option is a check box. */
  if (!check->ok && g_strcmp0 (check->id, "disks") == 0
      && !gtk_toggle_button_get_active (self->copy_storage_check))
    message = g_strdup_printf ("%s %s", check->message != NULL ? check->message : "",
                               _("Tick “Copy storage” to copy them."));
  else
    message = g_strdup (check->message != NULL ? check->message : "");
  /* The state is in the text too: a screen reader and a test read the row's label. */
  text = g_strdup_printf (check->ok ? _("%s: ok — %s") : _("%s: failed — %s"),
                          domus_migration_check_label (check->id), message);
  label = gtk_label_new (text);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 60);
  atk_object_set_name (gtk_widget_get_accessible (image), check->ok ? _("passed") : _("failed"));
  gtk_box_pack_start (GTK_BOX (box), image, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (box), label, TRUE, TRUE, 0);
  gtk_widget_show_all (box);
  gtk_container_add (GTK_CONTAINER (self->checks_list), box);
}

static DomusMigration *
new_migration (DomusMigrateDialog *self,
               DomusHost          *target)
{
  DomusMigration *migration = domus_migration_new (self->source, target, domus_domain_get_name (self->domain));

  domus_migration_set_live (migration, gtk_toggle_button_get_active (self->live_radio));
  domus_migration_set_copy_storage (migration, gtk_toggle_button_get_active (self->copy_storage_check));
  domus_migration_set_bandwidth_mib (migration, (guint) gtk_spin_button_get_value_as_int (self->bandwidth_spin));
  domus_migration_set_downtime_limit_ms (migration, (guint) gtk_spin_button_get_value_as_int (self->downtime_spin));
  domus_migration_set_postcopy (migration, gtk_toggle_button_get_active (self->postcopy_check));
  domus_migration_set_encrypt (migration, gtk_toggle_button_get_active (self->encrypt_check));
  return migration;
}

/* The check box says what the pair of hosts allows: a target off loopback always
 * encrypts (ticked, fixed), an older daemon cannot (unticked, fixed), else the user picks. */
static void
show_encryption (DomusMigrateDialog       *self,
                 DomusMigrationEncryption  encryption)
{
  gboolean choice = encryption == DOMUS_MIGRATION_ENCRYPTION_OPTIONAL;

  self->encrypt_forced = !choice;
  gtk_toggle_button_set_active (self->encrypt_check,
                                encryption == DOMUS_MIGRATION_ENCRYPTION_REQUIRED
                                || (choice && self->encrypt_chosen));
  self->encrypt_forced = FALSE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->encrypt_check), choice);
  /* libvirt's encryption is QEMU's TLS with certificates set up on the hosts, which
   * libvirt cannot be asked about: say what it takes. */
  if (choice && g_strcmp0 (domus_host_get_kind (self->source), "libvirt") == 0)
    {
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->encrypt_check),
                                   _("libvirt encrypts with QEMU’s TLS: tick it when both hosts have x509 certificates "
                                     "for migrations (qemu.conf’s migrate_tls_x509_cert_dir, /etc/pki/qemu by default); "
                                     "without them the migration fails as it starts and the domain stays where it is"));
      return;
    }
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->encrypt_check),
                               encryption == DOMUS_MIGRATION_ENCRYPTION_REQUIRED
                               ? _("Always on for this target: it takes migrations over the network only encrypted, with a key made for each one")
                               : encryption == DOMUS_MIGRATION_ENCRYPTION_UNAVAILABLE
                               ? _("Not available: a server’s daemon is older than this program and cannot encrypt migrations")
                               : _("The target is on this machine (loopback); tick to encrypt anyway, with a key made for this migration (slower)"));
}

static void
encrypt_toggled (GtkToggleButton    *button,
                 DomusMigrateDialog *self)
{
  if (self->encrypt_forced)
    return;
  self->encrypt_chosen = gtk_toggle_button_get_active (button);
  self->user_changed = TRUE;
  /* The client's encryption check comes and goes with it. */
  run_checks (self);
}

static void
check_done (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(DomusMigrateDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) checks = domus_migration_check_finish (DOMUS_MIGRATION (object), result, &error);
  gboolean ok = TRUE;

  /* A newer check replaced it, or the dialog went away. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->targets == NULL
      || (G_IS_TASK (result) && g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (result)))))
    return;
  g_clear_object (&self->check_cancellable);
  if (checks == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("The target could not be asked: %s"), error->message);

      gtk_label_set_text (self->checks_label, text);
      self->checks_ok = FALSE;
      update_buttons (self);
      return;
    }
  for (guint i = 0; i < checks->len; i++)
    {
      const DomusMigrationCheck *check = g_ptr_array_index (checks, i);

      add_check_row (self, check);
      ok = ok && check->ok;
    }
  gtk_label_set_text (self->checks_label,
                      ok ? _("The target’s checks passed.")
                         : _("The target refuses: change what a failed check names."));
  self->checks_ok = ok;
  update_buttons (self);
}

static void
run_checks (DomusMigrateDialog *self)
{
  DomusHost *target = chosen_target (self);
  g_autoptr(DomusMigration) migration = NULL;

  g_cancellable_cancel (self->check_cancellable);
  g_clear_object (&self->check_cancellable);
  clear_checks (self);
  self->checks_ok = FALSE;
  update_buttons (self);
  if (target == NULL)
    {
      gtk_label_set_text (self->checks_label, _("No other connected server to move to."));
      return;
    }
  gtk_label_set_text (self->checks_label, _("Asking the target…"));
  self->check_cancellable = g_cancellable_new ();
  migration = new_migration (self, target);
  /* The target decides what the check box may say; the migration then takes what it says. */
  show_encryption (self, domus_migration_get_encryption (migration));
  domus_migration_set_encrypt (migration, gtk_toggle_button_get_active (self->encrypt_check));
  domus_migration_check_async (migration, self->check_cancellable, check_done, g_object_ref (self));
}

static void
target_changed (GtkComboBox        *combo,
                DomusMigrateDialog *self)
{
  DomusHost *target = chosen_target (self);
  g_autofree char *heading = NULL;

  if (self->start_on)
    /* Translators: a shut-off domain started on another server; the second %s is that server. */
    heading = g_strdup_printf (_("Start “%s” on %s instead of %s"), domus_domain_get_name (self->domain),
                               target != NULL ? domus_host_get_name (target) : "…",
                               domus_host_get_name (self->source));
  else
    heading = g_strdup_printf (_("Move “%s” from %s to %s"), domus_domain_get_name (self->domain),
                               domus_host_get_name (self->source),
                               target != NULL ? domus_host_get_name (target) : "…");
  gtk_label_set_text (self->heading_label, heading);
  self->user_changed = self->targets_filled;
  run_checks (self);
}

static void
copy_storage_toggled (GtkToggleButton    *button,
                      DomusMigrateDialog *self)
{
  /* The disks check depends on it. */
  self->user_changed = TRUE;
  run_checks (self);
}

/* Running */

static char *
format_rate (guint64 bytes_per_s)
{
  g_autofree char *size = g_format_size (bytes_per_s);

  return g_strdup_printf (_("%s/s"), size);
}

static void
migration_progress (DomusMigration               *migration,
                    const DomusMigrationProgress *p,
                    DomusMigrateDialog           *self)
{
  g_autofree char *sent = g_format_size (p->transferred_bytes);
  g_autofree char *total = g_format_size (p->total_bytes);
  g_autofree char *remaining = g_format_size (p->remaining_bytes);
  g_autofree char *dirty = format_rate (p->dirty_rate_bytes_per_s);
  g_autofree char *text = NULL;

  if (p->total_bytes > 0)
    {
      double done = 1.0 - (double) MIN (p->remaining_bytes, p->total_bytes) / (double) p->total_bytes;

      gtk_progress_bar_set_fraction (self->progress_bar, CLAMP (done, 0.0, 1.0));
    }
  text = g_strdup_printf (_("%s of %s sent, %s remaining; the guest dirties %s; "
                            "expected downtime %" PRIu64 " ms"),
                          sent, total, remaining, dirty, p->expected_downtime_ms);
  if (p->disk_remaining_bytes > 0)
    {
      g_autofree char *disk = g_format_size (p->disk_remaining_bytes);
      g_autofree char *more = g_strdup_printf (_("%s; disks: %s to copy"), text, disk);

      g_free (text);
      text = g_steal_pointer (&more);
    }
  gtk_label_set_text (self->progress_label, text);
}

static void
stage_changed (DomusMigration     *migration,
               GParamSpec         *pspec,
               DomusMigrateDialog *self)
{
  gtk_progress_bar_set_text (self->progress_bar,
                             domus_migration_stage_label (domus_migration_get_stage (migration)));
}

static void
run_done (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(DomusMigrateDialog) self = user_data;
  DomusMigration *migration = DOMUS_MIGRATION (object);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  DomusHost *target;
  const char *target_name;

  if (self->migration == NULL)
    {
      /* The dialog went away while it ran: nothing left to show it in. */
      domus_migration_run_finish (migration, result, NULL);
      return;
    }
  target = chosen_target (self);
  target_name = target != NULL ? domus_host_get_name (target) : "";
  g_clear_object (&self->run_cancellable);
  self->finished = TRUE;
  if (self->start_on)
    {
      if (domus_migration_start_on_finish (migration, result, &error))
        {
          gtk_progress_bar_set_fraction (self->progress_bar, 1.0);
          text = g_strdup_printf (_("“%s” now runs on %s; its configuration left %s."),
                                  domus_domain_get_name (self->domain), target_name,
                                  domus_host_get_name (self->source));
          if (target != NULL)
            g_signal_emit (self, signals[SIGNAL_MIGRATED], 0, target, domus_domain_get_name (self->domain));
        }
      else if (g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_MIGRATION_CANCELLED))
        text = g_strdup_printf (_("Cancelled: “%s” stays on %s."),
                                domus_domain_get_name (self->domain), domus_host_get_name (self->source));
      else
        text = g_strdup_printf (_("It could not start there: %s"), error->message);
    }
  else if (domus_migration_run_finish (migration, result, &error))
    {
      g_autofree char *dirty = format_rate (domus_migration_get_dirty_rate (migration));
      g_autofree char *sent = g_format_size (domus_migration_get_transferred_bytes (migration));

      gtk_progress_bar_set_fraction (self->progress_bar, 1.0);
      /* No peer console says what the guest went through: this is the point of the page. */
      text = g_strdup_printf (_("“%s” now runs on %s. Downtime %" PRIu64 " ms, "
                                "total %" PRIu64 " ms, %s sent; the guest dirtied %s."),
                              domus_domain_get_name (self->domain), target_name,
                              domus_migration_get_downtime_ms (migration),
                              domus_migration_get_total_ms (migration), sent, dirty);
      if (domus_migration_get_throttle_pct (migration) > 0)
        {
          g_autofree char *more = g_strdup_printf (_("%s Auto-converge slowed its processors by up to %u%%."),
                                                   text, domus_migration_get_throttle_pct (migration));

          g_free (text);
          text = g_steal_pointer (&more);
        }
      if (domus_migration_get_postcopy_used (migration))
        {
          g_autofree char *more = g_strdup_printf (_("%s It finished in post-copy."), text);

          g_free (text);
          text = g_steal_pointer (&more);
        }
      if (domus_migration_get_encrypted (migration))
        {
          g_autofree char *more = g_strdup_printf (_("%s Its memory and disks went encrypted (TLS)."), text);

          g_free (text);
          text = g_steal_pointer (&more);
        }
      if (target != NULL)
        g_signal_emit (self, signals[SIGNAL_MIGRATED], 0, target, domus_domain_get_name (self->domain));
    }
  else if (g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_MIGRATION_CANCELLED))
    text = g_strdup_printf (_("Cancelled: “%s” keeps running on %s."),
                            domus_domain_get_name (self->domain), domus_host_get_name (self->source));
  else
    text = g_strdup_printf (_("The migration failed: %s"), error->message);
  gtk_label_set_text (self->result_label, text);
  gtk_widget_show (GTK_WIDGET (self->result_label));
  update_buttons (self);
  gtk_widget_grab_focus (self->cancel_button);
}

static void
start_run (DomusMigrateDialog *self)
{
  DomusHost *target = chosen_target (self);

  if (!can_migrate (self))
    return;
  g_cancellable_cancel (self->check_cancellable);
  g_clear_object (&self->check_cancellable);
  self->migration = new_migration (self, target);
  g_signal_connect (self->migration, "progress", G_CALLBACK (migration_progress), self);
  g_signal_connect (self->migration, "notify::stage", G_CALLBACK (stage_changed), self);
  self->run_cancellable = g_cancellable_new ();
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  gtk_widget_show (GTK_WIDGET (self->progress_bar));
  gtk_widget_show (GTK_WIDGET (self->progress_label));
  update_buttons (self);
  gtk_widget_grab_focus (self->cancel_button);
  if (self->start_on)
    domus_migration_start_on_async (self->migration, self->run_cancellable, run_done, g_object_ref (self));
  else
    domus_migration_run_async (self->migration, self->run_cancellable, run_done, g_object_ref (self));
}

static void
dialog_response (GtkDialog *dialog,
                 int        response)
{
  DomusMigrateDialog *self = DOMUS_MIGRATE_DIALOG (dialog);

  if (response == GTK_RESPONSE_OK)
    {
      start_run (self);
      return;
    }
  if (self->run_cancellable != NULL)
    {
      /* The run ends by itself, rolled back; the dialog says so and stays. */
      g_cancellable_cancel (self->run_cancellable);
      gtk_widget_set_sensitive (self->cancel_button, FALSE);
      return;
    }
  gtk_widget_destroy (GTK_WIDGET (dialog));
}

static gboolean
dialog_delete (GtkWidget   *widget,
               GdkEventAny *event)
{
  DomusMigrateDialog *self = DOMUS_MIGRATE_DIALOG (widget);

  /* Closing while it runs cancels; the dialog stays to say how it ended. */
  if (self->run_cancellable != NULL)
    {
      g_cancellable_cancel (self->run_cancellable);
      return TRUE;
    }
  return FALSE;
}

static void
domus_migrate_dialog_dispose (GObject *object)
{
  DomusMigrateDialog *self = DOMUS_MIGRATE_DIALOG (object);

  g_cancellable_cancel (self->check_cancellable);
  g_clear_object (&self->check_cancellable);
  if (self->migration != NULL)
    g_signal_handlers_disconnect_by_data (self->migration, self);
  g_clear_object (&self->migration);
  /* Destroyed with its parent while it runs: the migration rolls back. */
  g_cancellable_cancel (self->run_cancellable);
  g_clear_object (&self->run_cancellable);
  g_clear_pointer (&self->targets, g_ptr_array_unref);
  g_clear_object (&self->domain);
  g_clear_object (&self->source);

  G_OBJECT_CLASS (domus_migrate_dialog_parent_class)->dispose (object);
}

static void
domus_migrate_dialog_class_init (DomusMigrateDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkDialogClass *dialog_class = GTK_DIALOG_CLASS (klass);

  object_class->dispose = domus_migrate_dialog_dispose;
  widget_class->delete_event = dialog_delete;
  dialog_class->response = dialog_response;

  signals[SIGNAL_MIGRATED] =
    g_signal_new ("migrated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, DOMUS_TYPE_HOST, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/domus/Domus/ui/domus-migrate-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, DomusMigrateDialog, heading_label);
  gtk_widget_class_bind_template_child (widget_class, DomusMigrateDialog, options_grid);
  gtk_widget_class_bind_template_child (widget_class, DomusMigrateDialog, target_combo);
  gtk_widget_class_bind_template_child (widget_class, DomusMigrateDialog, live_radio);
  gtk_widget_class_bind_template_child (widget_class, DomusMigrateDialog, copy_storage_check);
  gtk_widget_class_bind_template_child (widget_class, DomusMigrateDialog, bandwidth_spin);
  gtk_widget_class_bind_template_child (widget_class, DomusMigrateDialog, downtime_spin);
  gtk_widget_class_bind_template_child (widget_class, DomusMigrateDialog, postcopy_check);
  gtk_widget_class_bind_template_child (widget_class, DomusMigrateDialog, encrypt_check);
  gtk_widget_class_bind_template_child (widget_class, DomusMigrateDialog, checks_label);
  gtk_widget_class_bind_template_child (widget_class, DomusMigrateDialog, checks_list);
  gtk_widget_class_bind_template_child (widget_class, DomusMigrateDialog, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, DomusMigrateDialog, progress_label);
  gtk_widget_class_bind_template_child (widget_class, DomusMigrateDialog, result_label);
  gtk_widget_class_bind_template_callback (widget_class, target_changed);
  gtk_widget_class_bind_template_callback (widget_class, copy_storage_toggled);
  gtk_widget_class_bind_template_callback (widget_class, encrypt_toggled);
}

static void
domus_migrate_dialog_init (DomusMigrateDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->targets = g_ptr_array_new_with_free_func (g_object_unref);
  self->cancel_button = gtk_dialog_add_button (GTK_DIALOG (self), _("_Cancel"), GTK_RESPONSE_CANCEL);
  self->migrate_button = gtk_dialog_add_button (GTK_DIALOG (self), _("_Migrate"), GTK_RESPONSE_OK);
  gtk_widget_set_tooltip_text (self->migrate_button, _("Move the domain now (Return)"));
  gtk_style_context_add_class (gtk_widget_get_style_context (self->migrate_button), "suggested-action");
  gtk_dialog_set_default_response (GTK_DIALOG (self), GTK_RESPONSE_OK);
  gtk_widget_set_sensitive (self->migrate_button, FALSE);
}

/* Only the target's row of options applies to starting a shut-off domain elsewhere. */
static void
become_start_on (DomusMigrateDialog *self)
{
  g_autoptr(GList) children = gtk_container_get_children (GTK_CONTAINER (self->options_grid));

  self->start_on = TRUE;
  gtk_window_set_title (GTK_WINDOW (self), _("Start on Another Server"));
  for (GList *l = children; l != NULL; l = l->next)
    {
      int row = 0;

      gtk_container_child_get (GTK_CONTAINER (self->options_grid), l->data, "top-attach", &row, NULL);
      if (row > 0)
        gtk_widget_hide (l->data);
    }
  gtk_button_set_label (GTK_BUTTON (self->migrate_button), _("_Start There"));
  gtk_widget_set_tooltip_text (self->migrate_button,
                               _("Start the domain on that server, which keeps its configuration from now on (Return)"));
}

GtkWidget *
domus_migrate_dialog_new (GtkWindow   *parent,
                          DomusDomain *domain,
                          DomusHost   *target,
                          GListModel  *hosts)
{
  DomusMigrateDialog *self;
  int active = -1;

  g_return_val_if_fail (DOMUS_IS_DOMAIN (domain), NULL);
  g_return_val_if_fail (domus_domain_get_host (domain) != NULL, NULL);

  self = g_object_new (DOMUS_TYPE_MIGRATE_DIALOG, "transient-for", parent,
                       "destroy-with-parent", TRUE, NULL);
  self->domain = g_object_ref (domain);
  self->source = g_object_ref (domus_domain_get_host (domain));
  if (domus_domain_get_state (domain) == DOMUS_DOMAIN_STATE_SHUTOFF)
    become_start_on (self);
  for (guint i = 0; hosts != NULL && i < g_list_model_get_n_items (hosts); i++)
    {
      g_autoptr(DomusHost) host = g_list_model_get_item (hosts, i);

      if (host == self->source || domus_host_get_state (host) != DOMUS_HOST_STATE_CONNECTED)
        continue;
      if (host == target)
        active = self->targets->len;
      g_ptr_array_add (self->targets, g_object_ref (host));
      gtk_combo_box_text_append_text (self->target_combo, domus_host_get_name (host));
    }
  if (active < 0 && self->targets->len > 0)
    active = 0;
  if (active >= 0)
    gtk_combo_box_set_active (GTK_COMBO_BOX (self->target_combo), active);
  else
    target_changed (GTK_COMBO_BOX (self->target_combo), self);
  self->targets_filled = TRUE;
  return GTK_WIDGET (self);
}
