/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Live migration, one side of it: the object both sides share, its calls to QEMU, its one poll
 * loop and the answers to whoever drives it. The target's steps are in hv-migration-incoming.c,
 * the source's in hv-migration-outgoing.c, the target's checks in hv-migration-checks.c.
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "domus-json-util.h"
#include "hv-migration-private.h"

G_DEFINE_QUARK (hv-migration-error-quark, hv_migration_error)

G_DEFINE_FINAL_TYPE (HvMigration, hv_migration, G_TYPE_OBJECT)

enum {
  SIGNAL_PROGRESS,
  SIGNAL_DONE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

void
hv_migration_disk_copy_free (DiskCopy *copy)
{
  g_free (copy->source_path);
  g_free (copy->path);
  g_free (copy->format);
  g_free (copy->export_name);
  g_free (copy);
}

static void
request_disk_free (HvMigrationDisk *disk)
{
  g_free ((char *) disk->path);
  g_free (disk);
}

static void
hv_migration_dispose (GObject *object)
{
  HvMigration *self = HV_MIGRATION (object);

  hv_migration_stop_polling (self);
  g_clear_handle_id (&self->driver_gone_idle_id, g_source_remove);
  if (self->driver_cancelled_id != 0)
    g_signal_handler_disconnect (self->driver_cancellable, self->driver_cancelled_id);
  self->driver_cancelled_id = 0;
  g_clear_object (&self->driver_cancellable);
  if (self->ended_id != 0)
    g_signal_handler_disconnect (self->domain, self->ended_id);
  self->ended_id = 0;
  hv_migration_incoming_dispose (self);
  g_clear_object (&self->domain);
  G_OBJECT_CLASS (hv_migration_parent_class)->dispose (object);
}

static void
hv_migration_finalize (GObject *object)
{
  HvMigration *self = HV_MIGRATION (object);

  /* Every call is answered before the migration is done; a task left means a bug. */
  g_warn_if_fail (self->task == NULL);
  g_clear_object (&self->task);
  g_free (self->name);
  g_free (self->id);
  if (self->tls_psk != NULL)
    memset (self->tls_psk, 0, strlen (self->tls_psk));
  g_free (self->tls_psk);
  g_free (self->tls_id);
  g_free (self->config_text);
  g_free (self->request_text);
  g_clear_pointer (&self->request_disks, g_ptr_array_unref);
  g_free (self->temp_config_path);
  g_clear_pointer (&self->copies, g_ptr_array_unref);
  g_clear_pointer (&self->exports, g_array_unref);
  g_free (self->uri);
  g_free (self->peer_address);
  g_clear_error (&self->refusal);
  g_clear_error (&self->failure);
  g_free (self->perform_uri);
  g_free (self->mirror_host);
  g_clear_pointer (&self->mirror_exports, g_hash_table_unref);
  g_clear_pointer (&self->jobs, g_ptr_array_unref);
  g_ptr_array_unref (self->waiters);
  g_clear_pointer (&self->last_info, json_object_unref);
  g_clear_pointer (&self->context.config, hv_daemon_config_unref);
  g_clear_object (&self->context.host);
  g_clear_object (&self->context.images);
  g_free ((char *) self->context.incoming_dir);
  G_OBJECT_CLASS (hv_migration_parent_class)->finalize (object);
}

static void
hv_migration_class_init (HvMigrationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hv_migration_dispose;
  object_class->finalize = hv_migration_finalize;

  signals[SIGNAL_PROGRESS] = g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_DONE] = g_signal_new ("done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                       0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
hv_migration_init (HvMigration *self)
{
  self->copies = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_migration_disk_copy_free);
  self->request_disks = g_ptr_array_new_with_free_func ((GDestroyNotify) request_disk_free);
  self->exports = g_array_new (FALSE, TRUE, sizeof (HvMigrationExport));
  self->jobs = g_ptr_array_new_with_free_func (g_free);
  self->waiters = g_ptr_array_new_with_free_func (g_object_unref);
}

HvMigration *
hv_migration_new_with_context (const HvMigrationContext *context)
{
  HvMigration *self = g_object_new (HV_TYPE_MIGRATION, NULL);

  self->context = *context;
  self->context.config = hv_daemon_config_ref (context->config);
  self->context.incoming_dir = g_strdup (context->incoming_dir);
  g_object_ref (self->context.host);
  if (self->context.images != NULL)
    g_object_ref (self->context.images);
  return self;
}

const char *
hv_migration_get_name (HvMigration *self)
{
  g_return_val_if_fail (HV_IS_MIGRATION (self), NULL);
  return self->name;
}

const char *
hv_migration_get_id (HvMigration *self)
{
  g_return_val_if_fail (HV_IS_MIGRATION (self), NULL);
  return self->id;
}

gboolean
hv_migration_is_incoming (HvMigration *self)
{
  g_return_val_if_fail (HV_IS_MIGRATION (self), FALSE);
  return self->incoming;
}

const GError *
hv_migration_get_failure (HvMigration *self)
{
  g_return_val_if_fail (HV_IS_MIGRATION (self), NULL);
  return self->failure;
}

const GError *
hv_migration_get_refusal (HvMigration *self)
{
  g_return_val_if_fail (HV_IS_MIGRATION (self), NULL);
  return self->refusal;
}

HvDomain *
hv_migration_get_domain (HvMigration *self)
{
  g_return_val_if_fail (HV_IS_MIGRATION (self), NULL);
  return self->domain;
}

GError *
hv_migration_failure_from (GError *error)
{
  GError *failure;

  if (error->domain == HV_MIGRATION_ERROR || error->domain == HV_CONFIG_ERROR ||
      error->domain == HV_HOST_ERROR)
    return error;
  failure = g_error_new_literal (HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_FAILED, error->message);
  g_error_free (error);
  return failure;
}

/* The calls */

static GTask *
new_task (HvMigration         *self,
          gpointer             source_tag,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  /* The cancellable says the driver left; the migration decides what that means (see .h). */
  g_task_set_check_cancellable (task, FALSE);
  return task;
}

void
hv_migration_begin_task (HvMigration         *self,
                         gpointer             source_tag,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_return_if_fail (self->task == NULL);
  self->task = new_task (self, source_tag, cancellable, callback, user_data);
}

GTask *
hv_migration_new_side_task (HvMigration         *self,
                            gpointer             source_tag,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  return new_task (self, source_tag, cancellable, callback, user_data);
}

void
hv_migration_return_ok (HvMigration *self)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);

  if (task != NULL)
    g_task_return_boolean (task, TRUE);
}

void
hv_migration_return_error (HvMigration  *self,
                           const GError *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);

  if (task != NULL)
    g_task_return_error (task, g_error_copy (error));
}

static gboolean
propagate (HvMigration   *self,
           GAsyncResult  *result,
           gpointer       source_tag,
           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
hv_migration_prepare_finish (HvMigration   *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  return propagate (self, result, hv_migration_prepare_async, error);
}

gboolean
hv_migration_finish_finish (HvMigration   *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  return propagate (self, result, hv_migration_finish_async, error);
}

gboolean
hv_migration_confirm_finish (HvMigration   *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  return propagate (self, result, hv_migration_confirm_async, error);
}

gboolean
hv_migration_perform_finish (HvMigration         *self,
                             GAsyncResult        *result,
                             HvMigrationOutcome  *outcome,
                             GError             **error)
{
  JsonObject *info = self->last_info;
  JsonObject *ram = domus_json_object_get_object (info, "ram");
  JsonObject *disk = domus_json_object_get_object (info, "disk");

  if (!propagate (self, result, hv_migration_perform_async, error))
    return FALSE;
  if (outcome != NULL)
    {
      outcome->downtime_ms = domus_json_object_get_int (info, "downtime", 0);
      outcome->total_ms = domus_json_object_get_int (info, "total-time", 0);
      outcome->setup_ms = domus_json_object_get_int (info, "setup-time", 0);
      outcome->transferred_bytes = domus_json_object_get_int (ram, "transferred", 0) +
                                   domus_json_object_get_int (disk, "transferred", 0);
      outcome->dirty_rate_bytes_per_s = self->last_dirty_rate;
      outcome->auto_converge_throttle_pct = domus_json_object_get_int (info, "cpu-throttle-percentage", 0);
      outcome->postcopy = self->postcopy_started;
    }
  return TRUE;
}

void
hv_migration_set_done (HvMigration *self)
{
  g_autoptr(HvMigration) hold = g_object_ref (self);
  g_autoptr(GPtrArray) waiters = NULL;

  if (self->step == STEP_DONE)
    return;
  self->step = STEP_DONE;
  hv_migration_stop_polling (self);
  hv_migration_tls_remove_key (self);
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  /* Rollbacks asked for while one ran: it is done now. */
  waiters = g_steal_pointer (&self->waiters);
  self->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < waiters->len; i++)
    g_task_return_boolean (g_ptr_array_index (waiters, i), TRUE);
  g_signal_emit (self, signals[SIGNAL_DONE], 0);
}

void
hv_migration_cancel (HvMigration *self)
{
  g_return_if_fail (HV_IS_MIGRATION (self));

  if (self->incoming)
    hv_migration_incoming_cancel (self);
  else
    hv_migration_outgoing_cancel (self);
}

/* QEMU */

typedef struct {
  HvMigration *self;
  QmpStep      step;
} QmpCall;

static void
on_qmp_step (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  QmpCall *call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (source), result, &error);

  if (call->step != NULL)
    call->step (call->self, reply, error);
  else if (error != NULL)
    g_debug ("migration of %s: QMP: %s", call->self->name, error->message);
  g_object_unref (call->self);
  g_free (call);
}

void
hv_migration_qmp (HvMigration *self,
                  const char  *command,
                  JsonObject  *arguments,
                  int          fd,
                  QmpStep      step)
{
  g_autoptr(JsonObject) args = arguments;
  HvQmp *qmp = self->domain != NULL ? hv_domain_get_qmp (self->domain) : NULL;
  QmpCall *call;

  if (qmp == NULL)
    {
      g_autoptr(GError) error = g_error_new (HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_FAILED,
                                             _("QEMU of %s is gone"), self->name);

      if (step != NULL)
        step (self, NULL, error);
      return;
    }
  call = g_new0 (QmpCall, 1);
  call->self = g_object_ref (self);
  call->step = step;
  if (fd >= 0)
    hv_qmp_execute_with_fd_async (qmp, command, args, fd, NULL, on_qmp_step, call);
  else
    hv_qmp_execute_async (qmp, command, args, NULL, on_qmp_step, call);
}

JsonObject *
hv_migration_capabilities (const char *first_name,
                           ...)
{
  JsonObject *arguments = json_object_new ();
  JsonArray *array = json_array_new ();
  va_list args;

  va_start (args, first_name);
  for (const char *name = first_name; name != NULL; name = va_arg (args, const char *))
    {
      JsonObject *item = json_object_new ();

      json_object_set_string_member (item, "capability", name);
      json_object_set_boolean_member (item, "state", va_arg (args, gboolean));
      json_array_add_object_element (array, item);
    }
  va_end (args);
  json_object_set_array_member (arguments, "capabilities", array);
  return arguments;
}

/* TLS */

gboolean
hv_migration_psk_is_valid (const char *psk)
{
  gsize length = psk != NULL ? strlen (psk) : 0;

  if (length % 2 != 0 || length < 2 * HV_MIGRATION_PSK_MIN_BYTES || length > 2 * HV_MIGRATION_PSK_MAX_BYTES)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isxdigit (psk[i]))
      return FALSE;
  return TRUE;
}

gboolean
hv_migration_get_tls (HvMigration *self)
{
  g_return_val_if_fail (HV_IS_MIGRATION (self), FALSE);
  return self->tls_psk != NULL;
}

static char *
key_path (HvMigration *self)
{
  return g_build_filename (hv_domain_get_run_dir (self->domain), HV_MIGRATION_PSK_FILE, NULL);
}

void
hv_migration_tls_remove_key (HvMigration *self)
{
  g_autofree char *path = NULL;

  if (!self->tls_key_written)
    return;
  self->tls_key_written = FALSE;
  path = key_path (self);
  if (g_unlink (path) != 0 && errno != ENOENT)
    g_message ("migration of %s: cannot remove %s: %s", self->name, path, g_strerror (errno));
}

void
hv_migration_tls_add (HvMigration *self,
                      const char  *endpoint,
                      QmpStep      step)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *line = NULL;
  gboolean written;
  JsonObject *arguments;

  g_return_if_fail (self->tls_psk != NULL && self->domain != NULL);

  path = key_path (self);
  line = g_strdup_printf ("%s:%s\n", HV_MIGRATION_PSK_USER, self->tls_psk);
  /* The run folder is the daemon's own (0700); the key file is made 0600 before a byte is in it. */
  written = g_file_set_contents_full (path, line, -1, G_FILE_SET_CONTENTS_NONE, 0600, &error);
  memset (line, 0, strlen (line));
  if (!written)
    {
      step (self, NULL, error);
      return;
    }
  self->tls_key_written = TRUE;
  if (self->tls_id == NULL)
    {
      g_autofree char *token = g_uuid_string_random ();

      /* Its own per migration: a source that migrated before may still hold an older one. */
      self->tls_id = g_strdup_printf ("domus-tls-%.8s", token);
    }
  arguments = json_object_new ();
  json_object_set_string_member (arguments, "qom-type", "tls-creds-psk");
  json_object_set_string_member (arguments, "id", self->tls_id);
  json_object_set_string_member (arguments, "endpoint", endpoint);
  json_object_set_string_member (arguments, "dir", hv_domain_get_run_dir (self->domain));
  /* The server finds the key by the identity the client gives; it takes no username itself. */
  if (g_str_equal (endpoint, "client"))
    json_object_set_string_member (arguments, "username", HV_MIGRATION_PSK_USER);
  hv_migration_qmp (self, "object-add", arguments, -1, step);
}

void
hv_migration_tls_drop (HvMigration *self)
{
  JsonObject *arguments;

  hv_migration_tls_remove_key (self);
  if (self->tls_id == NULL || self->domain == NULL || hv_domain_get_qmp (self->domain) == NULL)
    return;
  arguments = json_object_new ();
  json_object_set_string_member (arguments, "tls-creds", "");
  hv_migration_qmp (self, "migrate-set-parameters", arguments, -1, NULL);
  arguments = json_object_new ();
  json_object_set_string_member (arguments, "id", self->tls_id);
  hv_migration_qmp (self, "object-del", arguments, -1, NULL);
  g_clear_pointer (&self->tls_id, g_free);
}

/* The poll loop: QEMU's migration, its block jobs and the target's arrival are all watched by
 * asking again and again; each asker says when it has seen enough. */

static void poll_now (HvMigration *self);

static gboolean
poll_again (gpointer user_data)
{
  HvMigration *self = user_data;

  self->poll_id = 0;
  poll_now (self);
  return G_SOURCE_REMOVE;
}

typedef struct {
  HvMigration *self;
  PollFunc     func;   /* the loop the question belongs to: a reply to a stopped loop is dropped */
} PollCall;

static void
on_polled (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  PollCall *call = user_data;
  g_autoptr(HvMigration) self = call->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (source), result, &error);
  PollFunc func = call->func;

  g_free (call);
  if (self->poll_func != func || self->poll_id != 0)
    return;
  if (func (self, reply, error) && self->poll_func == func && self->poll_id == 0)
    self->poll_id = g_timeout_add (self->poll_interval_ms, poll_again, self);
}

static void
poll_now (HvMigration *self)
{
  HvQmp *qmp = self->domain != NULL ? hv_domain_get_qmp (self->domain) : NULL;
  PollCall *call;

  if (qmp == NULL)
    {
      g_autoptr(GError) error = g_error_new (HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_FAILED,
                                             _("QEMU of %s is gone"), self->name);
      PollFunc func = self->poll_func;

      if (func (self, NULL, error) && self->poll_func == func && self->poll_id == 0)
        self->poll_id = g_timeout_add (self->poll_interval_ms, poll_again, self);
      return;
    }
  call = g_new0 (PollCall, 1);
  call->self = g_object_ref (self);
  call->func = self->poll_func;
  hv_qmp_execute_async (qmp, self->poll_command, NULL, NULL, on_polled, call);
}

void
hv_migration_poll (HvMigration *self,
                   const char  *command,
                   guint        interval_ms,
                   PollFunc     func)
{
  hv_migration_stop_polling (self);
  self->poll_command = command;
  self->poll_interval_ms = interval_ms;
  self->poll_func = func;
  poll_now (self);
}

void
hv_migration_stop_polling (HvMigration *self)
{
  g_clear_handle_id (&self->poll_id, g_source_remove);
  self->poll_func = NULL;
}

void
hv_migration_emit_progress (HvMigration *self,
                            const char  *phase)
{
  JsonObject *ram = domus_json_object_get_object (self->last_info, "ram");
  HvMigrationProgress progress = {
    .phase = phase,
    .transferred_bytes = domus_json_object_get_int (ram, "transferred", 0),
    .remaining_bytes = domus_json_object_get_int (ram, "remaining", 0),
    .total_bytes = domus_json_object_get_int (ram, "total", 0),
    .dirty_rate_bytes_per_s = self->last_dirty_rate,
    .expected_downtime_ms = domus_json_object_get_int (self->last_info, "expected-downtime", 0),
    .mbps = domus_json_object_get_double (ram, "mbps", 0),
    .disk_remaining_bytes = self->disk_remaining,
  };

  g_signal_emit (self, signals[SIGNAL_PROGRESS], 0, &progress);
}

/* Whoever drives us going away (the cancellable of their latest call). */

static gboolean
driver_gone_idle (gpointer user_data)
{
  HvMigration *self = user_data;

  self->driver_gone_idle_id = 0;
  if (self->incoming)
    hv_migration_incoming_driver_gone (self);
  else
    hv_migration_outgoing_driver_gone (self);
  return G_SOURCE_REMOVE;
}

static void
on_driver_cancelled (GCancellable *cancellable,
                     gpointer      user_data)
{
  HvMigration *self = user_data;

  /* Out of the cancellable's emission: the handlers undo half the daemon. */
  if (self->driver_gone_idle_id == 0)
    self->driver_gone_idle_id = g_idle_add_full (G_PRIORITY_DEFAULT, driver_gone_idle,
                                                 g_object_ref (self), g_object_unref);
}

void
hv_migration_watch_driver (HvMigration  *self,
                           GCancellable *cancellable)
{
  if (self->driver_cancellable == cancellable || cancellable == NULL)
    return;
  if (self->driver_cancelled_id != 0)
    g_signal_handler_disconnect (self->driver_cancellable, self->driver_cancelled_id);
  g_set_object (&self->driver_cancellable, cancellable);
  self->driver_cancelled_id = g_signal_connect (cancellable, "cancelled", G_CALLBACK (on_driver_cancelled), self);
  if (g_cancellable_is_cancelled (cancellable))
    on_driver_cancelled (cancellable, self);
}
