/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A migration's source. perform sets QEMU's capabilities and parameters, mirrors the disks to
 * the target's NBD gate when storage is copied, and migrates; confirm ends the domain here once
 * the target has it. Whatever fails, the rollback leaves the domain running here as it was.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "domus-json-util.h"
#include "hv-migration-private.h"

/* "Fit the link": no bandwidth cap to speak of (1 TiB/s); the link and the CPU set the pace. */
#define UNCAPPED_BANDWIDTH_BYTES ((gint64) 1 << 40)
/* Post-copy starts after this many passes over RAM that did not converge. */
#define POSTCOPY_AFTER_PASSES 2
/* How often the mirrors are asked whether they ended, once the source stopped. */
#define JOBS_GONE_POLL_MS 10

static void confirm_start (HvMigration *self, gboolean success);

HvMigration *
hv_migration_new_outgoing (const HvMigrationContext *context,
                           HvDomain                 *domain)
{
  HvMigration *self = hv_migration_new_with_context (context);

  self->incoming = FALSE;
  self->name = g_strdup (hv_domain_get_name (domain));
  self->domain = g_object_ref (domain);
  return self;
}

static GError *
cancelled_error (HvMigration *self)
{
  return g_error_new (HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_CANCELLED,
                      _("The migration of %s was cancelled"), self->name);
}

static void rollback_source (HvMigration *self);

/* error: taken. */
static void
perform_fail (HvMigration *self,
              GError      *error)
{
  g_autoptr(GError) owned = hv_migration_failure_from (error);

  if (self->step != STEP_PERFORMING)
    return;
  g_message ("migration of %s from this host failed: %s", self->name, owned->message);
  hv_migration_stop_polling (self);
  hv_migration_emit_progress (self, g_error_matches (owned, HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_CANCELLED)
                                      ? "cancelled" : "failed");
  hv_migration_return_error (self, owned);
  rollback_source (self);
}

static void
on_rollback_cont (HvMigration  *self,
                  JsonNode     *reply,
                  const GError *error)
{
  if (error != NULL)
    g_message ("migration of %s: cannot resume the domain here: %s", self->name, error->message);
  hv_migration_return_ok (self);
  hv_migration_set_done (self);
}

/* Whatever happened, the domain goes on here as it was. */
static void
rollback_source (HvMigration *self)
{
  self->step = STEP_CLEANING;
  hv_migration_stop_polling (self);
  if (self->postcopy_started && !self->completed)
    g_message ("migration of %s: post-copy had started; the guest’s state is split between hosts",
               self->name);
  for (guint i = 0; i < self->jobs->len; i++)
    {
      JsonObject *arguments = json_object_new ();

      json_object_set_string_member (arguments, "device", g_ptr_array_index (self->jobs, i));
      json_object_set_boolean_member (arguments, "force", TRUE);
      hv_migration_qmp (self, "block-job-cancel", arguments, -1, NULL);
    }
  g_ptr_array_set_size (self->jobs, 0);
  hv_migration_tls_drop (self);
  if (self->was_running && hv_domain_get_qmp (self->domain) != NULL)
    hv_migration_qmp (self, "cont", NULL, -1, on_rollback_cont);
  else
    on_rollback_cont (self, NULL, NULL);
}

static void
perform_succeeded (HvMigration *self)
{
  self->step = STEP_PERFORMED;
  g_message ("migration of %s: QEMU completed (downtime %" G_GINT64_FORMAT " ms, total %" G_GINT64_FORMAT " ms)",
             self->name, domus_json_object_get_int (self->last_info, "downtime", 0),
             domus_json_object_get_int (self->last_info, "total-time", 0));
  hv_migration_return_ok (self);
}

/* The block job of each mirror in QEMU's list; NULL when it is not there. */
static JsonObject *
find_job (JsonNode   *reply,
          const char *id)
{
  JsonArray *jobs = reply != NULL && JSON_NODE_HOLDS_ARRAY (reply) ? json_node_get_array (reply) : NULL;

  for (guint i = 0; jobs != NULL && i < json_array_get_length (jobs); i++)
    {
      JsonObject *job = domus_json_node_get_object (json_array_get_element (jobs, i));

      if (g_strcmp0 (domus_json_object_get_string (job, "device", NULL), id) == 0)
        return job;
    }
  return NULL;
}

/* The mirrors end once the source stopped: block-job-cancel after READY leaves a consistent copy. */
static gboolean
on_jobs_gone_listed (HvMigration  *self,
                     JsonNode     *reply,
                     const GError *error)
{
  if (self->step != STEP_PERFORMING)
    return FALSE;
  for (guint i = 0; error == NULL && i < self->jobs->len; i++)
    if (find_job (reply, g_ptr_array_index (self->jobs, i)) != NULL)
      return TRUE;
  g_ptr_array_set_size (self->jobs, 0);
  perform_succeeded (self);
  return FALSE;
}

static void
end_mirrors (HvMigration *self)
{
  for (guint i = 0; i < self->jobs->len; i++)
    {
      JsonObject *arguments = json_object_new ();

      json_object_set_string_member (arguments, "device", g_ptr_array_index (self->jobs, i));
      hv_migration_qmp (self, "block-job-cancel", arguments, -1, NULL);
    }
  hv_migration_poll (self, "query-block-jobs", JOBS_GONE_POLL_MS, on_jobs_gone_listed);
}

static gboolean
on_migration_info (HvMigration  *self,
                   JsonNode     *reply,
                   const GError *error)
{
  JsonObject *info = domus_json_node_get_object (reply);
  const char *status;
  JsonObject *ram;

  if (self->step != STEP_PERFORMING)
    return FALSE;
  if (error != NULL || info == NULL)
    {
      perform_fail (self, error != NULL ? g_error_copy (error)
                                        : g_error_new (HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_FAILED,
                                                       _("QEMU said nothing about the migration")));
      return FALSE;
    }
  status = domus_json_object_get_string (info, "status", "none");
  g_clear_pointer (&self->last_info, json_object_unref);
  self->last_info = json_object_ref (info);
  ram = domus_json_object_get_object (info, "ram");
  if (domus_json_object_get_int (ram, "dirty-pages-rate", 0) > 0)
    self->last_dirty_rate = domus_json_object_get_int (ram, "dirty-pages-rate", 0) *
                            MAX (domus_json_object_get_int (ram, "page-size", 0), 4096);

  if (g_str_equal (status, "completed"))
    {
      self->completed = TRUE;
      hv_migration_emit_progress (self, "completed");
      end_mirrors (self);
      return FALSE;
    }
  if (g_str_equal (status, "failed"))
    {
      perform_fail (self, g_error_new (HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_FAILED,
                                       _("QEMU’s migration failed: %s"),
                                       domus_json_object_get_string (info, "error-desc", _("no reason given"))));
      return FALSE;
    }
  if (g_str_equal (status, "cancelled"))
    {
      perform_fail (self, cancelled_error (self));
      return FALSE;
    }
  if (g_str_has_prefix (status, "postcopy"))
    hv_migration_emit_progress (self, "postcopy");
  else
    hv_migration_emit_progress (self, g_str_equal (status, "setup") ? "setup" : "active");

  /* Post-copy when asked and the copy did not converge in its first passes. */
  if (self->perform.postcopy && !self->postcopy_started && g_str_equal (status, "active") &&
      domus_json_object_get_int (ram, "dirty-sync-count", 0) >= POSTCOPY_AFTER_PASSES)
    {
      self->postcopy_started = TRUE;
      hv_migration_qmp (self, "migrate-start-postcopy", NULL, -1, NULL);
    }
  return TRUE;
}

static void
on_migrate_started (HvMigration  *self,
                    JsonNode     *reply,
                    const GError *error)
{
  if (error != NULL)
    {
      perform_fail (self, g_error_new (HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_FAILED,
                                       _("QEMU did not start the migration: %s"), error->message));
      return;
    }
  hv_migration_poll (self, "query-migrate", HV_MIGRATION_PROGRESS_MS, on_migration_info);
}

static void
start_migrate (HvMigration *self)
{
  JsonObject *arguments;

  if (self->cancel_requested)
    {
      perform_fail (self, cancelled_error (self));
      return;
    }
  arguments = json_object_new ();
  json_object_set_string_member (arguments, "uri", self->perform_uri);
  hv_migration_emit_progress (self, "setup");
  hv_migration_qmp (self, "migrate", arguments, -1, on_migrate_started);
}

static void
on_stopped (HvMigration  *self,
            JsonNode     *reply,
            const GError *error)
{
  if (error != NULL)
    {
      perform_fail (self, g_error_copy (error));
      return;
    }
  self->stopped_by_us = TRUE;
  start_migrate (self);
}

static void
after_mirrors (HvMigration *self)
{
  if (!self->perform.live && hv_domain_get_state (self->domain) == HV_DOMAIN_STATE_RUNNING)
    hv_migration_qmp (self, "stop", NULL, -1, on_stopped);
  else
    start_migrate (self);
}

static gboolean
on_mirrors_listed (HvMigration  *self,
                   JsonNode     *reply,
                   const GError *error)
{
  gboolean all_ready = TRUE;
  gint64 remaining = 0;

  if (self->step != STEP_PERFORMING)
    return FALSE;
  if (error != NULL)
    {
      perform_fail (self, g_error_copy (error));
      return FALSE;
    }
  if (self->cancel_requested)
    {
      perform_fail (self, cancelled_error (self));
      return FALSE;
    }
  for (guint i = 0; i < self->jobs->len; i++)
    {
      const char *id = g_ptr_array_index (self->jobs, i);
      JsonObject *job = find_job (reply, id);

      if (job == NULL)
        {
          perform_fail (self, g_error_new (HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_FAILED,
                                           _("The copy of %s to the target stopped before it was complete"), id));
          return FALSE;
        }
      if (!domus_json_object_get_bool (job, "ready", FALSE))
        all_ready = FALSE;
      remaining += domus_json_object_get_int (job, "len", 0) - domus_json_object_get_int (job, "offset", 0);
    }
  self->disk_remaining = remaining;
  hv_migration_emit_progress (self, "mirror");
  if (!all_ready)
    return TRUE;
  after_mirrors (self);
  return FALSE;
}

static void
on_mirror_started (HvMigration  *self,
                   JsonNode     *reply,
                   const GError *error)
{
  if (error != NULL)
    perform_fail (self, g_error_new (HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_FAILED,
                                     _("QEMU cannot copy a disk to the target: %s"), error->message));
}

/* The export as drive-mirror opens it: QEMU's options in a json: name, which carry the TLS
 * credentials too (an nbd:// URL has no place for them). The export is the guest's view of the
 * copy, raw data, said as the top driver: nothing is probed from what the target holds. */
static char *
mirror_target (HvMigration *self,
               const char  *export_name)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *port = g_strdup_printf ("%u", self->mirror_port);
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "driver");
  json_builder_add_string_value (builder, "raw");
  json_builder_set_member_name (builder, "file");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "driver");
  json_builder_add_string_value (builder, "nbd");
  json_builder_set_member_name (builder, "server");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "inet");
  json_builder_set_member_name (builder, "host");
  json_builder_add_string_value (builder, self->mirror_host);
  json_builder_set_member_name (builder, "port");
  json_builder_add_string_value (builder, port);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "export");
  json_builder_add_string_value (builder, export_name);
  if (self->tls_id != NULL)
    {
      json_builder_set_member_name (builder, "tls-creds");
      json_builder_add_string_value (builder, self->tls_id);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  return g_strconcat ("json:", text, NULL);
}

static gboolean
start_mirrors (HvMigration  *self,
               GError      **error)
{
  const HvDomainSpec *spec = hv_domain_get_spec (self->domain);

  if (spec == NULL)
    {
      g_set_error (error, HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_FAILED,
                   _("The disks of %s are unknown: its QEMU was started without a readable config"),
                   self->name);
      return FALSE;
    }
  for (guint i = 0; i < spec->disks->len; i++)
    {
      const HvDiskSpec *disk = g_ptr_array_index (spec->disks, i);
      const char *export_name;
      g_autofree char *target = NULL;
      g_autofree char *job = NULL;
      JsonObject *arguments;

      if (disk->number == 0 || (export_name = g_hash_table_lookup (self->mirror_exports, disk->path)) == NULL)
        continue;
      target = mirror_target (self, export_name);
      job = g_strdup_printf ("disk%u", disk->number - 1);
      arguments = json_object_new ();
      json_object_set_string_member (arguments, "job-id", job);
      json_object_set_string_member (arguments, "device", job);
      json_object_set_string_member (arguments, "target", target);
      json_object_set_string_member (arguments, "sync", "full");
      json_object_set_string_member (arguments, "mode", "existing");
      g_ptr_array_add (self->jobs, g_steal_pointer (&job));
      hv_migration_qmp (self, "drive-mirror", arguments, -1, on_mirror_started);
    }
  return TRUE;
}

static void
on_parameters_set (HvMigration  *self,
                   JsonNode     *reply,
                   const GError *error)
{
  g_autoptr(GError) local_error = NULL;

  if (error != NULL)
    {
      perform_fail (self, g_error_copy (error));
      return;
    }
  if (self->mirror_host == NULL)
    {
      after_mirrors (self);
      return;
    }
  if (!start_mirrors (self, &local_error))
    {
      perform_fail (self, g_steal_pointer (&local_error));
      return;
    }
  hv_migration_emit_progress (self, "mirror");
  hv_migration_poll (self, "query-block-jobs", HV_MIGRATION_PROGRESS_MS, on_mirrors_listed);
}

static void
on_source_capabilities_set (HvMigration  *self,
                            JsonNode     *reply,
                            const GError *error)
{
  JsonObject *arguments;
  gint64 bandwidth = self->perform.bandwidth_mib > 0 ? self->perform.bandwidth_mib * 1024 * 1024
                                                     : UNCAPPED_BANDWIDTH_BYTES;

  if (error != NULL)
    {
      perform_fail (self, g_error_new (HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_FAILED,
                                       self->perform.postcopy ? _("Post-copy cannot be used here: %s")
                                                              : _("QEMU refused the migration capabilities: %s"),
                                       error->message));
      return;
    }
  arguments = json_object_new ();
  json_object_set_int_member (arguments, "max-bandwidth", bandwidth);
  json_object_set_int_member (arguments, "downtime-limit", self->perform.downtime_ms);
  /* Always said: "" (in clear) undoes what an earlier migration of this QEMU may have left. */
  json_object_set_string_member (arguments, "tls-creds", self->tls_id != NULL ? self->tls_id : "");
  hv_migration_qmp (self, "migrate-set-parameters", arguments, -1, on_parameters_set);
}

static void
set_source_capabilities (HvMigration *self)
{
  /* auto-converge: a guest dirtying memory faster than the link is slowed until the copy catches up. */
  hv_migration_qmp (self, "migrate-set-capabilities",
                    hv_migration_capabilities ("auto-converge", TRUE, "events", TRUE,
                                               "postcopy-ram", self->perform.postcopy, NULL),
                    -1, on_source_capabilities_set);
}

static void
on_source_tls_added (HvMigration  *self,
                     JsonNode     *reply,
                     const GError *error)
{
  /* QEMU's client credentials read the key once, when made: the file has done its work. */
  hv_migration_tls_remove_key (self);
  if (error != NULL)
    {
      g_clear_pointer (&self->tls_id, g_free);
      perform_fail (self, g_error_new (HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_FAILED,
                                       _("Cannot set up TLS for the migration: %s"), error->message));
      return;
    }
  set_source_capabilities (self);
}

static void
take_nbd (HvMigration          *self,
          const HvMigrationNbd *nbd)
{
  if (nbd == NULL)
    return;
  self->mirror_host = g_strdup (nbd->host);
  self->mirror_port = nbd->port;
  self->mirror_exports = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < nbd->n_exports; i++)
    g_hash_table_insert (self->mirror_exports, g_strdup (nbd->exports[i].disk_path),
                         g_strdup (nbd->exports[i].export_name));
}

void
hv_migration_perform_async (HvMigration              *self,
                            const HvMigrationPerform *perform,
                            GCancellable             *cancellable,
                            GAsyncReadyCallback       callback,
                            gpointer                  user_data)
{
  HvDomainState state;

  g_return_if_fail (HV_IS_MIGRATION (self) && !self->incoming && self->step == STEP_NEW);
  g_return_if_fail (perform->uri != NULL);
  g_return_if_fail (perform->nbd == NULL || perform->nbd->host != NULL);

  hv_migration_begin_task (self, hv_migration_perform_async, cancellable, callback, user_data);
  hv_migration_watch_driver (self, cancellable);
  self->step = STEP_PERFORMING;
  self->perform = *perform;
  self->perform_uri = g_strdup (perform->uri);
  self->perform.uri = self->perform_uri;
  self->perform.nbd = NULL;
  self->perform.tls_psk = NULL;   /* kept in self->tls_psk once the domain is found movable */
  if (self->perform.downtime_ms <= 0)
    self->perform.downtime_ms = HV_MIGRATION_DEFAULT_DOWNTIME_MS;
  take_nbd (self, perform->nbd);

  state = hv_domain_get_state (self->domain);
  if (state != HV_DOMAIN_STATE_RUNNING && state != HV_DOMAIN_STATE_PAUSED)
    {
      perform_fail (self, g_error_new (HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_NOT_RUNNING,
                                       _("Domain %s is %s: only a running or paused domain migrates"),
                                       self->name, hv_domain_state_to_string (state)));
      return;
    }
  self->was_running = state == HV_DOMAIN_STATE_RUNNING;
  if (perform->tls_psk != NULL)
    {
      self->tls_psk = g_strdup (perform->tls_psk);
      hv_migration_tls_add (self, "client", on_source_tls_added);
    }
  else
    set_source_capabilities (self);
}

/* Confirm */

static void
on_confirmed_end (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(HvMigration) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!hv_domain_destroy_finish (HV_DOMAIN (source), result, &error))
    g_message ("migration of %s: ending QEMU here: %s", self->name, error->message);
  g_clear_error (&error);
  if (!hv_host_retire_migrated (self->context.host, self->name, &error))
    {
      g_message ("migration of %s: the config stays: %s", self->name, error->message);
      error = hv_migration_failure_from (g_steal_pointer (&error));
      hv_migration_return_error (self, error);
    }
  else
    hv_migration_return_ok (self);
  hv_migration_set_done (self);
}

/* The work of confirm, for a caller or for the migration itself (no task then). */
static void
confirm_start (HvMigration *self,
               gboolean     success)
{
  if (!success)
    {
      rollback_source (self);
      return;
    }
  if (self->step != STEP_PERFORMED)
    {
      g_autoptr(GError) error = g_error_new (HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_WRONG_STEP,
                                             _("The migration of %s did not complete"), self->name);

      hv_migration_return_error (self, error);
      return;
    }
  self->step = STEP_FINISHING;
  hv_domain_set_end_reason (self->domain, "migrated");
  hv_domain_destroy_async (self->domain, NULL, on_confirmed_end, g_object_ref (self));
}

/* confirm{false} or cancel during perform: QEMU is told; perform answers "cancelled". */
static void
cancel_perform (HvMigration *self)
{
  self->cancel_requested = TRUE;
  if (self->task == NULL)
    {
      perform_fail (self, cancelled_error (self));
      return;
    }
  hv_migration_qmp (self, "migrate_cancel", NULL, -1, NULL);
}

void
hv_migration_confirm_async (HvMigration         *self,
                            gboolean             success,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (HV_IS_MIGRATION (self) && !self->incoming);

  if (self->step == STEP_DONE || self->step == STEP_CLEANING || self->step == STEP_FINISHING ||
      self->step == STEP_PERFORMING)
    {
      task = hv_migration_new_side_task (self, hv_migration_confirm_async, cancellable, callback, user_data);
      if (self->step == STEP_PERFORMING)
        {
          g_task_return_boolean (task, TRUE);
          cancel_perform (self);
        }
      else if (self->step == STEP_CLEANING && !success)
        g_ptr_array_add (self->waiters, g_steal_pointer (&task));
      else
        g_task_return_new_error (task, HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_WRONG_STEP,
                                 _("The migration of %s is already ending"), self->name);
      return;
    }
  hv_migration_begin_task (self, hv_migration_confirm_async, cancellable, callback, user_data);
  confirm_start (self, success);
}

void
hv_migration_outgoing_cancel (HvMigration *self)
{
  if (self->step == STEP_PERFORMING)
    {
      self->cancel_requested = TRUE;
      hv_migration_qmp (self, "migrate_cancel", NULL, -1, NULL);
    }
}

void
hv_migration_outgoing_driver_gone (HvMigration *self)
{
  /* A confirm under way ends the migration anyway. */
  if (self->step == STEP_DONE || self->step == STEP_CLEANING || self->step == STEP_FINISHING)
    return;
  if (self->completed)
    {
      /* The target may already run the guest: resuming here could run it twice. */
      g_message ("migration of %s: the client left after QEMU completed; the domain stays paused here "
                 "(resume it, or destroy it if the target runs it)", self->name);
      hv_migration_set_done (self);
      return;
    }
  g_message ("migration of %s: the client left; cancelling", self->name);
  if (self->step == STEP_PERFORMING)
    cancel_perform (self);
  else
    confirm_start (self, FALSE);
}
