/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A domain moving between two libvirt hosts. virDomainMigrate3 blocks until the guest
 * has moved (minutes, for a big one), so it runs on a thread of its own with references
 * to both connections lent by their threads; those threads stay free to read libvirt's job
 * info twice a second, to switch to post-copy, and to abort the job when asked.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "domus-libvirt.h"
#include "domus-libvirt-migration.h"

#define POLL_MS 500

struct _DomusLibvirtMigration
{
  GObject                     parent_instance;

  DomusLibvirtConnection     *source;
  DomusLibvirtConnection     *target;
  char                       *name;
  DomusLibvirtMigrateOptions  options;
  char                       *migrate_uri;
  DomusLibvirtJobInfo         progress;
  gint64                      downtime_ms;
  gboolean                    running;
  guint                       poll_timer;
  gboolean                    polling;
  gboolean                    postcopy_asked;
};

G_DEFINE_FINAL_TYPE (DomusLibvirtMigration, domus_libvirt_migration, G_TYPE_OBJECT)

enum {
  SIGNAL_PROGRESS,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* What the migration thread works with. */
typedef struct {
  virConnectPtr source;   /* lent: released with virConnectClose() */
  virConnectPtr target;
  gint64        downtime_ms;
  /* libvirt's figures for the completed job: the last progress report, the bar full even
   * when the job ended before the first poll. */
  DomusLibvirtJobInfo final;
  gboolean            have_final;
} Run;

static void
run_free (Run *run)
{
  if (run->source != NULL)
    virConnectClose (run->source);
  if (run->target != NULL)
    virConnectClose (run->target);
  g_free (run);
}

/* On the migration thread */

static virTypedParameterPtr
migrate_params (DomusLibvirtMigration *self,
                int                   *n)
{
  virTypedParameterPtr params = NULL;
  int max = 0;

  *n = 0;
  if (self->options.bandwidth_mib > 0)
    virTypedParamsAddULLong (&params, n, &max, VIR_MIGRATE_PARAM_BANDWIDTH, self->options.bandwidth_mib);
  if (self->migrate_uri != NULL)
    virTypedParamsAddString (&params, n, &max, VIR_MIGRATE_PARAM_URI, self->migrate_uri);
  return params;
}

static unsigned int
migrate_flags (DomusLibvirtMigration *self,
               virDomainPtr           dom)
{
  unsigned int flags = VIR_MIGRATE_PERSIST_DEST | VIR_MIGRATE_ABORT_ON_ERROR;

  if (self->options.live)
    flags |= VIR_MIGRATE_LIVE;
  if (self->options.copy_storage)
    flags |= VIR_MIGRATE_NON_SHARED_DISK;
  if (self->options.postcopy)
    flags |= VIR_MIGRATE_POSTCOPY;
  if (self->options.tls)
    flags |= VIR_MIGRATE_TLS;
  /* It lives on the target from now on, as a domain moved by domusd does. */
  if (virDomainIsPersistent (dom) == 1)
    flags |= VIR_MIGRATE_UNDEFINE_SOURCE;
  return flags;
}

static gint64
param_of (virTypedParameterPtr params,
          int                  n,
          const char          *name)
{
  unsigned long long value;

  return virTypedParamsGetULLong (params, n, name, &value) == 1 ? (gint64) value : -1;
}

static void
job_info_from_params (DomusLibvirtJobInfo  *info,
                      virTypedParameterPtr  params,
                      int                   n)
{
  info->elapsed_ms = param_of (params, n, VIR_DOMAIN_JOB_TIME_ELAPSED);
  info->data_total = param_of (params, n, VIR_DOMAIN_JOB_DATA_TOTAL);
  info->data_processed = param_of (params, n, VIR_DOMAIN_JOB_DATA_PROCESSED);
  info->data_remaining = param_of (params, n, VIR_DOMAIN_JOB_DATA_REMAINING);
  info->disk_total = param_of (params, n, VIR_DOMAIN_JOB_DISK_TOTAL);
  info->disk_processed = param_of (params, n, VIR_DOMAIN_JOB_DISK_PROCESSED);
  info->memory_iteration = param_of (params, n, VIR_DOMAIN_JOB_MEMORY_ITERATION);
}

/* The downtime the target measured, and the completed job's figures. */
static void
read_completed_job (virDomainPtr  dom,
                    Run          *run)
{
  virTypedParameterPtr params = NULL;
  int type, n = 0;

  run->downtime_ms = -1;
  if (virDomainGetJobStats (dom, &type, &params, &n, VIR_DOMAIN_JOB_STATS_COMPLETED) == 0)
    {
      run->downtime_ms = param_of (params, n, VIR_DOMAIN_JOB_DOWNTIME);
      job_info_from_params (&run->final, params, n);
      run->have_final = run->final.data_total >= 0;
    }
  virTypedParamsFree (params, n);
  virResetLastError ();
}

static void
set_migrate_error (GError **error)
{
  virErrorPtr last = virGetLastError ();

  /* A driver that cannot migrate at all says so as "not supported": keep that apart. */
  if (last != NULL && last->code == VIR_ERR_NO_SUPPORT)
    domus_libvirt_set_error (error, DOMUS_ERROR_NOT_SUPPORTED);
  else
    domus_libvirt_set_error (error, DOMUS_ERROR_MIGRATION_FAILED);
}

/* libvirt's own words for missing certificates name a file ("Unable to access
 * credentials /etc/pki/qemu/ca-cert.pem"), not what to set up: say it. */
static void
explain_tls_failure (GError **error)
{
  g_autofree char *message = NULL;
  g_autofree char *cause = NULL;

  if (error == NULL || *error == NULL || (*error)->code != DOMUS_ERROR_MIGRATION_FAILED)
    return;
  cause = g_strchomp (g_strdup ((*error)->message));
  if (g_str_has_suffix (cause, "."))
    cause[strlen (cause) - 1] = '\0';
  message = g_strdup_printf (_("The encrypted migration failed: %s. libvirt encrypts it with QEMU’s TLS, which needs "
                               "x509 certificates on both hosts, in the folder their qemu.conf names "
                               "(migrate_tls_x509_cert_dir, /etc/pki/qemu by default)."), cause);
  g_free ((*error)->message);
  (*error)->message = g_steal_pointer (&message);
}

static gboolean
migrate (DomusLibvirtMigration  *self,
         Run                    *run,
         GError                **error)
{
  virDomainPtr dom = virDomainLookupByName (run->source, self->name);
  virDomainPtr moved = NULL;
  virTypedParameterPtr params;
  int n;

  if (dom == NULL)
    {
      domus_libvirt_set_error (error, DOMUS_ERROR_NO_SUCH_DOMAIN);
      return FALSE;
    }
  if (virDomainIsActive (dom) != 1)
    {
      g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_NOT_RUNNING,
                   _("Domain “%s” is not running: only a running domain migrates."), self->name);
      virDomainFree (dom);
      return FALSE;
    }
  if (self->options.max_downtime_ms > 0 &&
      virDomainMigrateSetMaxDowntime (dom, self->options.max_downtime_ms, 0) < 0)
    {
      domus_libvirt_set_error (error, DOMUS_ERROR_MIGRATION_REFUSED);
      virDomainFree (dom);
      return FALSE;
    }
  params = migrate_params (self, &n);
  moved = virDomainMigrate3 (dom, run->target, params, (unsigned int) n, migrate_flags (self, dom));
  if (moved == NULL)
    {
      set_migrate_error (error);
      if (self->options.tls)
        explain_tls_failure (error);
    }
  else
    read_completed_job (moved, run);
  virTypedParamsFree (params, n);
  virDomainFree (dom);
  if (moved == NULL)
    return FALSE;
  virDomainFree (moved);
  return TRUE;
}

static void
migrate_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  GError *error = NULL;

  if (migrate (source_object, task_data, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* Job info, post-copy and abort (on the source's connection thread) */

static virDomainPtr
lookup_quietly (virConnectPtr  conn,
                const char    *name)
{
  virDomainPtr dom = virDomainLookupByName (conn, name);

  virResetLastError ();
  return dom;
}

static void
poll_work (DomusLibvirtReply *reply,
           virConnectPtr      conn,
           gpointer           task_data,
           GCancellable      *cancellable)
{
  virDomainPtr dom = lookup_quietly (conn, task_data);
  DomusLibvirtJobInfo *info = g_new0 (DomusLibvirtJobInfo, 1);
  virTypedParameterPtr params = NULL;
  int type = VIR_DOMAIN_JOB_NONE, n = 0, state = 0, reason = 0;

  info->elapsed_ms = info->data_total = info->data_processed = info->data_remaining = -1;
  info->disk_total = info->disk_processed = info->memory_iteration = -1;
  if (dom != NULL && virDomainGetJobStats (dom, &type, &params, &n, 0) == 0 && type != VIR_DOMAIN_JOB_NONE)
    job_info_from_params (info, params, n);
  /* Once in post-copy the source keeps the guest paused for good, with this reason. */
  if (dom != NULL && virDomainGetState (dom, &state, &reason, 0) == 0)
    info->postcopy = state == VIR_DOMAIN_PAUSED && reason == VIR_DOMAIN_PAUSED_POSTCOPY;
  virTypedParamsFree (params, n);
  g_clear_pointer (&dom, virDomainFree);
  virResetLastError ();
  domus_libvirt_reply_pointer (reply, info, g_free);
}

static void
postcopy_work (DomusLibvirtReply *reply,
               virConnectPtr      conn,
               gpointer           task_data,
               GCancellable      *cancellable)
{
  virDomainPtr dom = lookup_quietly (conn, task_data);

  if (dom != NULL && virDomainMigrateStartPostCopy (dom, 0) < 0)
    g_debug ("post-copy did not start: %s", virGetLastErrorMessage ());
  g_clear_pointer (&dom, virDomainFree);
  virResetLastError ();
  domus_libvirt_reply_boolean (reply, TRUE);
}

static void
abort_work (DomusLibvirtReply *reply,
            virConnectPtr      conn,
            gpointer           task_data,
            GCancellable      *cancellable)
{
  virDomainPtr dom = lookup_quietly (conn, task_data);

  /* Too late (post-copy, or done) is no error: the run's own result says how it ended. */
  if (dom != NULL && virDomainAbortJob (dom) < 0)
    g_debug ("the migration could not be aborted: %s", virGetLastErrorMessage ());
  g_clear_pointer (&dom, virDomainFree);
  virResetLastError ();
  domus_libvirt_reply_boolean (reply, TRUE);
}

static void
run_on_source (DomusLibvirtMigration *self,
               DomusLibvirtWork       work,
               GAsyncReadyCallback    callback)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, NULL);

  g_task_set_task_data (task, g_strdup (self->name), g_free);
  domus_libvirt_connection_run (self->source, task, work);
}

/* Main context */

static void
on_polled (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  DomusLibvirtMigration *self = DOMUS_LIBVIRT_MIGRATION (source);
  g_autofree DomusLibvirtJobInfo *info = g_task_propagate_pointer (G_TASK (result), NULL);

  self->polling = FALSE;
  if (info == NULL || !self->running)
    return;
  /* Between a job's end and the run's, libvirt has nothing more to say: keep the last. */
  if (info->data_total >= 0 || info->postcopy)
    self->progress = *info;
  if (self->options.postcopy && !self->postcopy_asked && info->memory_iteration >= 2)
    {
      self->postcopy_asked = TRUE;
      run_on_source (self, postcopy_work, NULL);
    }
  g_signal_emit (self, signals[SIGNAL_PROGRESS], 0);
}

static gboolean
on_poll (gpointer user_data)
{
  DomusLibvirtMigration *self = user_data;

  if (!self->polling)
    {
      self->polling = TRUE;
      run_on_source (self, poll_work, on_polled);
    }
  return G_SOURCE_CONTINUE;
}

/* The job's last report: a migration faster than the first poll still shows one, full. */
static void
report_completed (DomusLibvirtMigration *self,
                  Run                   *run)
{
  DomusLibvirtJobInfo polled = self->progress;

  if (!run->have_final)
    return;
  self->progress = run->final;
  self->progress.postcopy = polled.postcopy;
  /* The completed job's figures (the target's) leave out a storage copy the polls saw: it
   * is all done now. */
  if (self->progress.disk_total <= 0 && polled.disk_total > 0)
    {
      self->progress.disk_total = self->progress.disk_processed = polled.disk_total;
      self->progress.data_total += polled.disk_total;
      self->progress.data_processed += polled.disk_total;
    }
  g_signal_emit (self, signals[SIGNAL_PROGRESS], 0);
}

static void
on_migrated (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DomusLibvirtMigration *self = DOMUS_LIBVIRT_MIGRATION (source);
  Run *run = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;

  self->running = FALSE;
  g_clear_handle_id (&self->poll_timer, g_source_remove);
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      return;
    }
  self->downtime_ms = run->downtime_ms;
  report_completed (self, run);
  g_task_return_boolean (task, TRUE);
}

static void
start_thread (GTask *task)
{
  DomusLibvirtMigration *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);
  g_autoptr(GTask) thread_task = g_task_new (self, NULL, on_migrated, g_object_ref (task));

  /* The run data moves to the thread's task (its lent connections go with it). */
  g_task_set_task_data (thread_task, g_memdup2 (run, sizeof *run), (GDestroyNotify) run_free);
  run->source = run->target = NULL;
  self->poll_timer = g_timeout_add (POLL_MS, on_poll, self);
  g_task_run_in_thread (thread_task, migrate_thread);
}

/* Both connections are lent in turn: the source's first, then the target's. */
static void
on_lent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DomusLibvirtMigration *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);
  GError *error = NULL;
  virConnectPtr conn = domus_libvirt_connection_lend_finish (DOMUS_LIBVIRT_CONNECTION (source), result, &error);

  if (conn == NULL)
    {
      self->running = FALSE;
      g_task_return_error (task, error);
      return;
    }
  if (run->source == NULL)
    {
      run->source = conn;
      domus_libvirt_connection_lend_async (self->target, NULL, on_lent, g_steal_pointer (&task));
      return;
    }
  run->target = conn;
  start_thread (task);
}

static void
on_cancelled (GCancellable *cancellable,
              gpointer      user_data)
{
  domus_libvirt_migration_cancel (user_data);
}

void
domus_libvirt_migration_run_async (DomusLibvirtMigration *self,
                                   GCancellable          *cancellable,
                                   GAsyncReadyCallback    callback,
                                   gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (DOMUS_IS_LIBVIRT_MIGRATION (self));
  g_return_if_fail (!self->running);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, domus_libvirt_migration_run_async);
  /* A cancelled run still says how the migration really ended (aborted, or done). */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, g_new0 (Run, 1), (GDestroyNotify) run_free);
  self->running = TRUE;
  self->postcopy_asked = FALSE;
  self->downtime_ms = -1;
  if (cancellable != NULL)
    g_signal_connect_object (cancellable, "cancelled", G_CALLBACK (on_cancelled), self, 0);
  domus_libvirt_connection_lend_async (self->source, NULL, on_lent, g_steal_pointer (&task));
}

gboolean
domus_libvirt_migration_run_finish (DomusLibvirtMigration  *self,
                                    GAsyncResult           *result,
                                    GError                **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == domus_libvirt_migration_run_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
domus_libvirt_migration_cancel (DomusLibvirtMigration *self)
{
  g_return_if_fail (DOMUS_IS_LIBVIRT_MIGRATION (self));

  if (self->running)
    run_on_source (self, abort_work, NULL);
}

const DomusLibvirtJobInfo *
domus_libvirt_migration_get_progress (DomusLibvirtMigration *self)
{
  g_return_val_if_fail (DOMUS_IS_LIBVIRT_MIGRATION (self), NULL);
  return &self->progress;
}

gint64
domus_libvirt_migration_get_downtime_ms (DomusLibvirtMigration *self)
{
  g_return_val_if_fail (DOMUS_IS_LIBVIRT_MIGRATION (self), -1);
  return self->downtime_ms;
}

static void
domus_libvirt_migration_dispose (GObject *object)
{
  DomusLibvirtMigration *self = DOMUS_LIBVIRT_MIGRATION (object);

  g_clear_handle_id (&self->poll_timer, g_source_remove);
  g_clear_object (&self->source);
  g_clear_object (&self->target);
  G_OBJECT_CLASS (domus_libvirt_migration_parent_class)->dispose (object);
}

static void
domus_libvirt_migration_finalize (GObject *object)
{
  DomusLibvirtMigration *self = DOMUS_LIBVIRT_MIGRATION (object);

  g_free (self->name);
  g_free (self->migrate_uri);
  G_OBJECT_CLASS (domus_libvirt_migration_parent_class)->finalize (object);
}

static void
domus_libvirt_migration_class_init (DomusLibvirtMigrationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = domus_libvirt_migration_dispose;
  object_class->finalize = domus_libvirt_migration_finalize;

  /* New job info (domus_libvirt_migration_get_progress()). */
  signals[SIGNAL_PROGRESS] =
    g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
domus_libvirt_migration_init (DomusLibvirtMigration *self)
{
  self->downtime_ms = -1;
  self->progress.elapsed_ms = self->progress.data_total = self->progress.data_processed = -1;
  self->progress.data_remaining = self->progress.disk_total = self->progress.disk_processed = -1;
  self->progress.memory_iteration = -1;
}

DomusLibvirtMigration *
domus_libvirt_migration_new (DomusLibvirtConnection           *source,
                             DomusLibvirtConnection           *target,
                             const char                       *name,
                             const DomusLibvirtMigrateOptions *options)
{
  DomusLibvirtMigration *self;

  g_return_val_if_fail (DOMUS_IS_LIBVIRT_CONNECTION (source), NULL);
  g_return_val_if_fail (DOMUS_IS_LIBVIRT_CONNECTION (target), NULL);
  g_return_val_if_fail (name != NULL && options != NULL, NULL);

  self = g_object_new (DOMUS_TYPE_LIBVIRT_MIGRATION, NULL);
  self->source = g_object_ref (source);
  self->target = g_object_ref (target);
  self->name = g_strdup (name);
  self->options = *options;
  self->migrate_uri = g_strdup (options->migrate_uri);
  self->options.migrate_uri = self->migrate_uri;
  return self;
}
