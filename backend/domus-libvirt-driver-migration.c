/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Moving a domain between two libvirt hosts for DomusMigration: the options become
 * libvirt's, libvirt's job info becomes progress, the caller's cancel aborts the job.
 * libvirt makes its own checks when the migration starts; the check here reads what it
 * can without changing anything (the domain on the source, its name on the target).
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "domus-libvirt-domains.h"
#include "domus-libvirt-driver.h"
#include "domus-libvirt-migration.h"
#include "domus-migration-private.h"

typedef struct {
  DomusMigration        *migration;
  DomusLibvirtDriver    *source;
  DomusLibvirtDriver    *target;
  DomusLibvirtMigration *job;
  gulong                 cancel_handler;
  gint64                 started_us;
  GPtrArray             *checks;
} Flow;

static void
flow_free (Flow *flow)
{
  g_clear_object (&flow->job);
  g_object_unref (flow->migration);
  g_object_unref (flow->source);
  g_object_unref (flow->target);
  g_clear_pointer (&flow->checks, g_ptr_array_unref);
  g_free (flow);
}

static Flow *
flow_new (GTask           *task,
          DomusHostDriver *source,
          DomusHostDriver *target,
          DomusMigration  *migration)
{
  Flow *flow = g_new0 (Flow, 1);

  flow->migration = g_object_ref (migration);
  flow->source = g_object_ref (DOMUS_LIBVIRT_DRIVER (source));
  flow->target = g_object_ref (DOMUS_LIBVIRT_DRIVER (target));
  flow->started_us = g_get_monotonic_time ();
  g_task_set_task_data (task, flow, (GDestroyNotify) flow_free);
  return flow;
}

static void
add_check (Flow       *flow,
           const char *id,
           gboolean    ok,
           char       *message)
{
  DomusMigrationCheck *check = g_new0 (DomusMigrationCheck, 1);

  check->id = g_strdup (id);
  check->ok = ok;
  check->message = message;
  g_ptr_array_add (flow->checks, check);
}

/* Checking: the domain runs on the source; the target has no domain of that name */

static void
on_target_looked_up (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GTask *task = user_data;
  Flow *flow = g_task_get_task_data (task);
  const char *name = domus_migration_get_name (flow->migration);
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusLibvirtDomainInfo) there = domus_libvirt_get_domain_finish (DOMUS_LIBVIRT_CONNECTION (source),
                                                                             result, &error);

  if (there != NULL)
    add_check (flow, "name", FALSE, g_strdup_printf (_("The target already has a domain named “%s”."), name));
  else if (g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_NO_SUCH_DOMAIN))
    add_check (flow, "name", TRUE, g_strdup_printf (_("The target has no domain named “%s”."), name));
  else
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  /* The rest (CPU, devices, storage) libvirt checks itself as the migration begins. */
  add_check (flow, "devices", TRUE, g_strdup (_("libvirt checks the CPU, devices and disks when the migration begins.")));
  g_task_return_pointer (task, g_steal_pointer (&flow->checks), (GDestroyNotify) g_ptr_array_unref);
  g_object_unref (task);
}

static void
on_source_looked_up (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GTask *task = user_data;
  Flow *flow = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(DomusLibvirtDomainInfo) here = domus_libvirt_get_domain_finish (DOMUS_LIBVIRT_CONNECTION (source),
                                                                            result, &error);
  DomusLibvirtConnection *target = _domus_libvirt_driver_get_connection (flow->target);

  if (here == NULL || target == NULL)
    {
      if (error == NULL)
        error = g_error_new (DOMUS_ERROR, DOMUS_ERROR_CLOSED, _("The target is not connected."));
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  add_check (flow, "state", here->id >= 0,
             here->id >= 0 ? g_strdup (_("The domain runs on the source."))
                           : g_strdup (_("The domain is not running: libvirt moves running domains only.")));
  domus_libvirt_get_domain_async (target, domus_migration_get_name (flow->migration), g_task_get_cancellable (task),
                                  on_target_looked_up, task);
}

void
_domus_libvirt_migration_check (DomusHostDriver *source,
                                DomusHostDriver *target,
                                DomusMigration  *migration,
                                GTask           *task)
{
  Flow *flow = flow_new (task, source, target, migration);

  flow->checks = g_ptr_array_new_with_free_func ((GDestroyNotify) domus_migration_check_free);
  domus_libvirt_get_domain_async (_domus_libvirt_driver_get_connection (flow->source),
                                  domus_migration_get_name (migration), g_task_get_cancellable (task),
                                  on_source_looked_up, task);
}

/* Running */

static void
on_job_progress (DomusLibvirtMigration *job,
                 gpointer               user_data)
{
  Flow *flow = user_data;
  const DomusLibvirtJobInfo *info = domus_libvirt_migration_get_progress (job);
  DomusMigrationProgress progress = { 0 };
  gint64 memory_total = info->data_total - MAX (info->disk_total, 0);

  progress.phase = info->postcopy ? "postcopy"
                   : (info->disk_total > 0 && info->disk_processed < info->disk_total) ? "mirror" : "active";
  progress.total_bytes = (guint64) MAX (memory_total, 0);
  progress.transferred_bytes = (guint64) MAX (info->data_processed - MAX (info->disk_processed, 0), 0);
  progress.remaining_bytes = (guint64) MAX (info->data_remaining, 0);
  if (info->disk_total > 0)
    progress.disk_remaining_bytes = (guint64) MAX (info->disk_total - info->disk_processed, 0);
  if (info->elapsed_ms > 0 && info->data_processed > 0)
    progress.mbps = info->data_processed * 8.0 / 1000.0 / info->elapsed_ms;
  _domus_migration_emit_progress (flow->migration, &progress);
}

static void
on_cancelled (GCancellable *cancellable,
              gpointer      user_data)
{
  Flow *flow = user_data;

  if (flow->job != NULL)
    domus_libvirt_migration_cancel (flow->job);
}

static void
on_migrated (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  Flow *flow = g_task_get_task_data (task);
  GError *error = NULL;
  DomusMigrationResults results = { 0 };
  gint64 downtime = domus_libvirt_migration_get_downtime_ms (flow->job);

  if (flow->cancel_handler != 0)
    g_cancellable_disconnect (g_task_get_cancellable (task), flow->cancel_handler);
  flow->cancel_handler = 0;
  g_signal_handlers_disconnect_by_data (flow->job, flow);
  _domus_migration_set_total_ms (flow->migration, (guint64) ((g_get_monotonic_time () - flow->started_us) / 1000));
  if (!domus_libvirt_migration_run_finish (flow->job, result, &error))
    {
      _domus_migration_set_stage (flow->migration, DOMUS_MIGRATION_STAGE_FAILED);
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  results.downtime_ms = downtime >= 0 ? (guint64) downtime : 0;
  results.migration_ms = (guint64) MAX (domus_libvirt_migration_get_progress (flow->job)->elapsed_ms, 0);
  results.transferred_bytes = (guint64) MAX (domus_libvirt_migration_get_progress (flow->job)->data_processed, 0);
  results.postcopy_used = domus_libvirt_migration_get_progress (flow->job)->postcopy;
  _domus_migration_set_results (flow->migration, &results);
  /* libvirt fails rather than send in clear what was asked encrypted (VIR_MIGRATE_TLS). */
  _domus_migration_set_encrypted (flow->migration, _domus_migration_wants_encryption (flow->migration));
  _domus_migration_set_stage (flow->migration, DOMUS_MIGRATION_STAGE_DONE);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

/*
 * Where the target's QEMU listens: libvirt's default is the target's own host name, which
 * need not resolve on the source. Domus names the host the person gave in the target's
 * URI, and loopback when both hosts are this machine's (two daemons on one machine).
 */
static char *
stream_address (DomusLibvirtDriver *source,
                DomusLibvirtDriver *target)
{
  g_autoptr(GUri) target_uri = g_uri_parse (domus_host_driver_get_uri (DOMUS_HOST_DRIVER (target)),
                                            G_URI_FLAGS_NONE, NULL);
  const char *host = target_uri != NULL ? g_uri_get_host (target_uri) : NULL;

  if (host != NULL && *host != '\0')
    return g_strdup_printf ("tcp://%s", host);
  if (DOMUS_HOST_DRIVER_GET_CLASS (source)->is_local (DOMUS_HOST_DRIVER (source)))
    return g_strdup ("tcp://127.0.0.1");
  return NULL;
}

void
_domus_libvirt_migration_run (DomusHostDriver *source,
                              DomusHostDriver *target,
                              DomusMigration  *migration,
                              GTask           *task)
{
  Flow *flow = flow_new (task, source, target, migration);
  g_autofree char *address = stream_address (flow->source, flow->target);
  DomusLibvirtMigrateOptions options = {
    .live = domus_migration_get_live (migration),
    .copy_storage = domus_migration_get_copy_storage (migration),
    .bandwidth_mib = domus_migration_get_bandwidth_mib (migration),
    .max_downtime_ms = domus_migration_get_downtime_limit_ms (migration),
    .postcopy = domus_migration_get_postcopy (migration),
    .migrate_uri = address,
    .tls = _domus_migration_wants_encryption (migration),
  };
  GCancellable *cancellable = g_task_get_cancellable (task);

  flow->job = domus_libvirt_migration_new (_domus_libvirt_driver_get_connection (flow->source),
                                           _domus_libvirt_driver_get_connection (flow->target),
                                           domus_migration_get_name (migration), &options);
  g_signal_connect (flow->job, "progress", G_CALLBACK (on_job_progress), flow);
  _domus_migration_set_stage (migration, DOMUS_MIGRATION_STAGE_MIGRATING);
  domus_libvirt_migration_run_async (flow->job, NULL, on_migrated, task);
  if (cancellable != NULL)
    flow->cancel_handler = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), flow, NULL);
}
