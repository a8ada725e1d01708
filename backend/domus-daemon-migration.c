/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Moving a domain between two domusd hosts, driven from this client over its connection
 * to each (docs/protocol.md, "Migration"; docs/migration.md).
 *
 * The client is the only party that talks to both daemons, so it carries the target's
 * answer (where to send the stream) to the source and decides, at every failure, which
 * side keeps the domain. The rule: until the target has taken the domain over, the source
 * keeps it and resumes it; once the stream completed, the source is resumed only when the
 * target said it dropped its copy.
 *
 * Check, run and start-on share their steps: reading the domain on the source, the calls
 * (step()), the source's confirm, and the two ends of a flow (flow_done(), flow_fail()).
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <glib/gi18n-lib.h>

#include "domus-daemon-driver.h"
#include "domus-json-util.h"
#include "domus-migration-private.h"

typedef enum {
  FLOW_CHECK,
  FLOW_RUN,
  FLOW_START_ON,
} FlowKind;

typedef struct {
  FlowKind         kind;
  DomusConnection *source;
  DomusConnection *target;
  char            *name;
  GCancellable    *cancellable;    /* the caller's, or NULL */

  /* What the source said about the domain */
  char            *config;
  JsonNode        *disks;          /* a JSON array: domain.get's `disks`, or empty */
  char            *state;          /* domain.get's `state` */

  /* run */
  gint64           start_us;
  GSource         *cancel_source;
  char            *token;          /* migration.prepare's id */
  char            *stream_uri;
  JsonNode        *nbd;
  char            *tls_psk;        /* this run's key (hex), or NULL: in clear */
  gboolean         performing;     /* migration.perform sent, no answer yet */
  gboolean         perform_completed;
  gboolean         cancel_sent;
  gboolean         user_cancelled;
  GError          *target_lost;    /* the target's connection closed while performing */
  GError          *error;          /* the first cause of a rollback */
  gulong           target_closed_handler;
  gulong           progress_handler;
} Flow;

static void
flow_free (Flow *flow)
{
  if (flow->cancel_source != NULL)
    {
      g_source_destroy (flow->cancel_source);
      g_source_unref (flow->cancel_source);
    }
  g_clear_signal_handler (&flow->target_closed_handler, flow->target);
  g_clear_signal_handler (&flow->progress_handler, flow->source);
  g_clear_object (&flow->source);
  g_clear_object (&flow->target);
  g_free (flow->name);
  g_clear_object (&flow->cancellable);
  g_free (flow->config);
  g_clear_pointer (&flow->disks, json_node_unref);
  g_free (flow->state);
  g_free (flow->token);
  g_free (flow->stream_uri);
  g_clear_pointer (&flow->nbd, json_node_unref);
  if (flow->tls_psk != NULL)
    explicit_bzero (flow->tls_psk, strlen (flow->tls_psk));
  g_free (flow->tls_psk);
  g_clear_error (&flow->target_lost);
  g_clear_error (&flow->error);
  g_free (flow);
}

static Flow *
flow_of (GTask *task)
{
  return g_task_get_task_data (task);
}

static DomusMigration *
migration_of (GTask *task)
{
  return g_task_get_source_object (task);
}

/* An error's sentence for the middle of another sentence: a GIO cancel becomes ours. */
static GError *
cancelled_error (Flow *flow)
{
  return g_error_new (DOMUS_ERROR, DOMUS_ERROR_MIGRATION_CANCELLED,
                      _("The migration of %s was cancelled; it stays on the source."), flow->name);
}

static gboolean
error_is_cancel (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
         g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_MIGRATION_CANCELLED);
}

/* The connection itself went away (as opposed to the daemon answering with an error). */
static gboolean
error_is_lost_connection (const GError *error)
{
  return g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_CLOSED) ||
         g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_DISCONNECTED);
}

static gboolean
caller_cancelled (Flow *flow)
{
  return flow->user_cancelled || (flow->cancellable != NULL && g_cancellable_is_cancelled (flow->cancellable));
}

/* The ends of a flow: both take the task */

static void
flow_done (GTask *task)
{
  Flow *flow = flow_of (task);

  g_clear_signal_handler (&flow->target_closed_handler, flow->target);
  g_clear_signal_handler (&flow->progress_handler, flow->source);
  _domus_migration_set_stage (migration_of (task), DOMUS_MIGRATION_STAGE_DONE);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

/* Takes error. A check only answers; a run or start-on fails. */
static void
flow_fail (GTask  *task,
           GError *error)
{
  Flow *flow = flow_of (task);

  g_clear_signal_handler (&flow->target_closed_handler, flow->target);
  g_clear_signal_handler (&flow->progress_handler, flow->source);
  if (flow->kind != FLOW_CHECK)
    _domus_migration_set_stage (migration_of (task), DOMUS_MIGRATION_STAGE_FAILED);
  g_task_return_error (task, error);
  g_object_unref (task);
}

/* Steps */

/*
 * What a step's call came to: exactly one of answer (the result object, NULL for a
 * result that is not one) and error is set, unless the result is not an object. Takes
 * task and error.
 */
typedef void (*StepDone) (GTask      *task,
                          JsonObject *answer,
                          GError     *error);

typedef struct {
  GTask    *task;
  StepDone  done;
} Step;

static void
on_step_answered (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Step *step = user_data;
  GError *error = NULL;
  g_autoptr(JsonNode) answer = domus_connection_call_finish (DOMUS_CONNECTION (source), result, &error);

  g_debug ("  answer%s%s", error != NULL ? ": " : "", error != NULL ? error->message : "");
  step->done (step->task, domus_json_node_get_object (answer), error);
  g_free (step);
}

/*
 * Every call of a migration goes through here (params taken): with
 * G_MESSAGES_DEBUG=domus-backend the order of calls on both sides shows, which is what
 * one needs after a failed migration. Only the reading steps stop on the caller's
 * cancellable; the others must be answered (a cancel goes to the daemon instead).
 */
static void
step (GTask       *task,
      gboolean     on_target,
      const char  *method,
      JsonObject  *params,
      gboolean     cancellable,
      StepDone     done)
{
  Flow *flow = flow_of (task);
  g_autoptr(JsonObject) owned = params;
  g_autoptr(JsonNode) node = owned != NULL ? json_node_init_object (json_node_alloc (), owned) : NULL;
  Step *pending = g_new0 (Step, 1);

  g_debug ("migration of %s: %s <- %s", flow->name, on_target ? "target" : "source", method);
  pending->task = task;
  pending->done = done;
  domus_connection_call_async (on_target ? flow->target : flow->source, method, node,
                               cancellable ? flow->cancellable : NULL, on_step_answered, pending);
}

static JsonObject *
success_params (const char *member,
                const char *value,
                gboolean    success)
{
  JsonObject *params = json_object_new ();

  json_object_set_string_member (params, member, value);
  json_object_set_boolean_member (params, "success", success);
  return params;
}

/* The source lets go of the domain (success) or takes it back. */
static void
confirm_source (GTask    *task,
                gboolean  success,
                StepDone  done)
{
  step (task, FALSE, "migration.confirm", success_params ("name", flow_of (task)->name, success), FALSE, done);
}

/* Progress */

static void
on_source_notification (DomusConnection *connection,
                        const char      *method,
                        JsonNode        *params,
                        gpointer         user_data)
{
  GTask *task = user_data;
  JsonObject *object = domus_json_node_get_object (params);
  DomusMigrationProgress progress = { 0 };

  if (g_strcmp0 (domus_json_object_get_string (object, "name", NULL), flow_of (task)->name) != 0)
    return;
  progress.phase = domus_json_object_get_string (object, "phase", "active");
  progress.transferred_bytes = MAX (domus_json_object_get_int (object, "transferred_bytes", 0), 0);
  progress.remaining_bytes = MAX (domus_json_object_get_int (object, "remaining_bytes", 0), 0);
  progress.total_bytes = MAX (domus_json_object_get_int (object, "total_bytes", 0), 0);
  progress.dirty_rate_bytes_per_s = MAX (domus_json_object_get_int (object, "dirty_rate_bytes_per_s", 0), 0);
  progress.expected_downtime_ms = MAX (domus_json_object_get_int (object, "expected_downtime_ms", 0), 0);
  progress.mbps = domus_json_object_get_double (object, "mbps", 0);
  progress.disk_remaining_bytes = MAX (domus_json_object_get_int (object, "disk_remaining_bytes", 0), 0);
  _domus_migration_emit_progress (migration_of (task), &progress);
}

/* Reading the domain on the source: every flow starts here */

typedef void (*ReadDone) (GTask *task);

static void
read_failed (GTask  *task,
             GError *error)
{
  Flow *flow = flow_of (task);

  if (flow->kind != FLOW_CHECK && error_is_cancel (error))
    {
      g_error_free (error);
      error = cancelled_error (flow);
    }
  flow_fail (task, error);
}

static void
on_read_config (GTask      *task,
                JsonObject *answer,
                GError     *error)
{
  Flow *flow = flow_of (task);
  ReadDone done = g_object_get_data (G_OBJECT (task), "read-done");
  const char *config = domus_json_object_get_string (answer, "config", NULL);

  if (error != NULL)
    read_failed (task, error);
  else if (config == NULL)
    read_failed (task, g_error_new (DOMUS_ERROR, DOMUS_ERROR_PROTOCOL,
                                    _("The source daemon sent no configuration for the domain.")));
  else
    {
      flow->config = g_strdup (config);
      done (task);
    }
}

/*
 * The client cannot look at a remote host's files: the source daemon says what the disks
 * are and how big. A daemon that does not says nothing, and the target reads the disks
 * from the config alone.
 */
static JsonNode *
disks_of (JsonObject *domain)
{
  JsonArray *disks = domus_json_object_get_array (domain, "disks");
  JsonArray *copy = json_array_new ();

  for (guint i = 0; disks != NULL && i < json_array_get_length (disks); i++)
    {
      JsonObject *disk = domus_json_node_get_object (json_array_get_element (disks, i));
      const char *path = domus_json_object_get_string (disk, "path", NULL);
      JsonObject *entry;

      if (path == NULL)
        continue;
      entry = json_object_new ();
      json_object_set_string_member (entry, "path", path);
      json_object_set_int_member (entry, "size_bytes",
                                  domus_json_object_has_number (disk, "size_bytes")
                                  ? (gint64) domus_json_object_get_double (disk, "size_bytes", 0) : -1);
      json_array_add_object_element (copy, entry);
    }
  return json_node_init_array (json_node_alloc (), copy);
}

static void
on_read_domain (GTask      *task,
                JsonObject *answer,
                GError     *error)
{
  Flow *flow = flow_of (task);

  if (error != NULL)
    {
      read_failed (task, error);
      return;
    }
  flow->state = g_strdup (domus_json_object_get_string (answer, "state", NULL));
  flow->disks = disks_of (answer);
  step (task, FALSE, "domain.get_config", _domus_daemon_name_params (flow->name), TRUE, on_read_config);
}

/* Reads state, disks and config from the source, then calls done. */
static void
read_source_domain (GTask    *task,
                    ReadDone  done)
{
  g_object_set_data (G_OBJECT (task), "read-done", done);
  step (task, FALSE, "domain.get", _domus_daemon_name_params (flow_of (task)->name), TRUE, on_read_domain);
}

/* The params migration.check and migration.prepare share. */
static JsonObject *
check_params (Flow     *flow,
              gboolean  copy_storage)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "config", flow->config);
  json_object_set_string_member (object, "name", flow->name);
  json_object_set_boolean_member (object, "copy_storage", copy_storage);
  json_object_set_member (object, "disks", json_node_copy (flow->disks));
  return object;
}

static GPtrArray *
checks_of (JsonObject *answer)
{
  GPtrArray *checks = g_ptr_array_new_with_free_func ((GDestroyNotify) domus_migration_check_free);
  JsonArray *array = domus_json_object_get_array (answer, "checks");

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonObject *object = domus_json_node_get_object (json_array_get_element (array, i));
      DomusMigrationCheck *check;

      if (object == NULL)
        continue;
      check = g_new0 (DomusMigrationCheck, 1);
      check->id = g_strdup (domus_json_object_get_string (object, "id", ""));
      check->ok = domus_json_object_get_bool (object, "ok", FALSE);
      check->message = g_strdup (domus_json_object_get_string (object, "message", ""));
      g_ptr_array_add (checks, check);
    }
  return checks;
}

static Flow *
flow_new (FlowKind         kind,
          DomusHostDriver *source,
          DomusHostDriver *target,
          DomusMigration  *migration,
          GTask           *task)
{
  Flow *flow = g_new0 (Flow, 1);
  GCancellable *cancellable = g_task_get_cancellable (task);

  flow->kind = kind;
  flow->source = g_object_ref (domus_daemon_driver_get_connection (DOMUS_DAEMON_DRIVER (source)));
  flow->target = g_object_ref (domus_daemon_driver_get_connection (DOMUS_DAEMON_DRIVER (target)));
  flow->name = g_strdup (domus_migration_get_name (migration));
  flow->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  flow->start_us = g_get_monotonic_time ();
  g_task_set_task_data (task, flow, (GDestroyNotify) flow_free);
  return flow;
}

/* check */

static void
on_checked (GTask      *task,
            JsonObject *answer,
            GError     *error)
{
  if (error != NULL)
    flow_fail (task, error);
  else
    {
      g_task_return_pointer (task, checks_of (answer), (GDestroyNotify) g_ptr_array_unref);
      g_object_unref (task);
    }
}

static void
check_read_done (GTask *task)
{
  Flow *flow = flow_of (task);

  step (task, TRUE, "migration.check",
        check_params (flow, domus_migration_get_copy_storage (migration_of (task))), TRUE, on_checked);
}

void
_domus_daemon_migration_check (DomusHostDriver *source,
                               DomusHostDriver *target,
                               DomusMigration  *migration,
                               GTask           *task)
{
  flow_new (FLOW_CHECK, source, target, migration, task);
  read_source_domain (task, check_read_done);
}

/* run */

static void rollback (GTask *task, GError *error);

static void
on_cancel_answered (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = NULL;

  /* The pending perform reports the outcome; a cancel that came too late is no failure. */
  answer = domus_connection_call_finish (DOMUS_CONNECTION (object), result, &error);
  g_debug ("  answer to migration.cancel%s%s", answer != NULL ? "" : ": ", answer != NULL ? "" : error->message);
}

static void
send_cancel (Flow *flow)
{
  g_autoptr(JsonNode) params = NULL;

  if (!flow->performing || flow->cancel_sent)
    return;
  flow->cancel_sent = TRUE;
  params = json_node_init_object (json_node_alloc (), _domus_daemon_name_params (flow->name));
  json_object_unref (json_node_get_object (params));
  g_debug ("migration of %s: source <- migration.cancel", flow->name);
  domus_connection_call_async (flow->source, "migration.cancel", params, NULL, on_cancel_answered, NULL);
}

/* In the task's context, whatever thread cancelled. */
static gboolean
on_run_cancelled (GCancellable *cancellable,
                  gpointer      user_data)
{
  Flow *flow = flow_of (user_data);

  flow->user_cancelled = TRUE;
  /* Before perform, each step looks at the cancellable when its call returns. */
  send_cancel (flow);
  return G_SOURCE_REMOVE;
}

/* The target's daemon went away: its QEMU may still wait for the stream, so stop sending. */
static void
on_target_closed (DomusConnection *connection,
                  const GError    *reason,
                  gpointer         user_data)
{
  Flow *flow = flow_of (user_data);

  if (flow->target_lost == NULL)
    flow->target_lost = g_error_new (DOMUS_ERROR, DOMUS_ERROR_MIGRATION_FAILED,
                                     _("The target daemon went away during the migration (%s)."),
                                     reason != NULL ? reason->message : _("its connection was closed"));
  send_cancel (flow);
}

static void
on_run_confirmed (GTask      *task,
                  JsonObject *answer,
                  GError     *error)
{
  Flow *flow = flow_of (task);

  _domus_migration_set_total_ms (migration_of (task), (g_get_monotonic_time () - flow->start_us) / 1000);
  if (error == NULL)
    {
      flow_done (task);
      return;
    }
  /* The target runs the guest: resuming the source now would run it twice. */
  flow_fail (task, g_error_new (DOMUS_ERROR, DOMUS_ERROR_MIGRATION_INCOMPLETE,
                                _("%s now runs on the target, but the source could not let go of it: %s. "
                                  "Its stopped copy may still be on the source: destroy it there, do not unpause it."),
                                flow->name, error->message));
  g_error_free (error);
}

static void
on_run_finished (GTask      *task,
                 JsonObject *answer,
                 GError     *error)
{
  Flow *flow = flow_of (task);

  if (error != NULL)
    {
      rollback (task, g_error_new (DOMUS_ERROR, DOMUS_ERROR_MIGRATION_FAILED,
                                   _("The target could not take %s over: %s"), flow->name, error->message));
      g_error_free (error);
      return;
    }
  _domus_migration_set_target_id (migration_of (task), domus_json_object_get_int (answer, "id", -1));
  confirm_source (task, TRUE, on_run_confirmed);
}

/* Say why it stopped, not how the stop showed up on the source. Takes error. */
static GError *
perform_failure (Flow   *flow,
                 GError *error)
{
  GError *cause;

  if (flow->target_lost != NULL)
    cause = g_error_copy (flow->target_lost);
  else if (flow->user_cancelled)
    cause = cancelled_error (flow);
  else if (g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_MIGRATION_CANCELLED) ||
           g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_MIGRATION_FAILED))
    return error;
  else if (error_is_lost_connection (error))
    cause = g_error_new (DOMUS_ERROR, DOMUS_ERROR_MIGRATION_FAILED,
                         _("The source daemon went away during the migration (%s)."), error->message);
  else
    return error;
  g_error_free (error);
  return cause;
}

static void
on_run_performed (GTask      *task,
                  JsonObject *answer,
                  GError     *error)
{
  Flow *flow = flow_of (task);
  DomusMigrationResults results = { 0 };

  flow->performing = FALSE;
  if (error != NULL)
    {
      rollback (task, perform_failure (flow, error));
      return;
    }

  flow->perform_completed = TRUE;
  results.downtime_ms = MAX (domus_json_object_get_int (answer, "downtime_ms", 0), 0);
  results.migration_ms = MAX (domus_json_object_get_int (answer, "total_ms", 0), 0);
  results.setup_ms = MAX (domus_json_object_get_int (answer, "setup_ms", 0), 0);
  results.transferred_bytes = MAX (domus_json_object_get_int (answer, "transferred_bytes", 0), 0);
  results.dirty_rate = MAX (domus_json_object_get_int (answer, "dirty_rate_bytes_per_s", 0), 0);
  results.throttle_pct = (guint) CLAMP (domus_json_object_get_int (answer, "auto_converge_throttle_pct", 0), 0, 100);
  results.postcopy_used = domus_json_object_get_bool (answer, "postcopy", FALSE);
  _domus_migration_set_results (migration_of (task), &results);

  /*
   * From here a cancel is too late: the target has the guest's whole state and may be
   * running it already, so the way forward is the safe one.
   */
  _domus_migration_set_stage (migration_of (task), DOMUS_MIGRATION_STAGE_FINISHING);
  step (task, TRUE, "migration.finish", success_params ("id", flow->token, TRUE), FALSE, on_run_finished);
}

static void
run_perform (GTask *task)
{
  Flow *flow = flow_of (task);
  DomusMigration *migration = migration_of (task);
  JsonObject *params = _domus_daemon_name_params (flow->name);

  _domus_migration_set_stage (migration, DOMUS_MIGRATION_STAGE_MIGRATING);
  json_object_set_string_member (params, "uri", flow->stream_uri);
  json_object_set_boolean_member (params, "live", domus_migration_get_live (migration));
  json_object_set_int_member (params, "bandwidth_mib", domus_migration_get_bandwidth_mib (migration));
  json_object_set_int_member (params, "downtime_ms", domus_migration_get_downtime_limit_ms (migration));
  json_object_set_member (params, "nbd", flow->nbd != NULL ? json_node_copy (flow->nbd)
                                                           : json_node_new (JSON_NODE_NULL));
  json_object_set_boolean_member (params, "postcopy", domus_migration_get_postcopy (migration));
  if (flow->tls_psk != NULL)
    json_object_set_string_member (params, "tls_psk", flow->tls_psk);

  flow->performing = TRUE;
  flow->target_closed_handler = g_signal_connect (flow->target, "closed", G_CALLBACK (on_target_closed), task);
  /* No cancellable: a cancel goes to the daemon (migration.cancel) and perform answers it. */
  step (task, FALSE, "migration.perform", params, FALSE, on_run_performed);
  if (flow->target_lost != NULL || domus_connection_is_closed (flow->target))
    on_target_closed (flow->target, NULL, task);
  else if (flow->user_cancelled)
    send_cancel (flow);
}

static void
on_run_prepared (GTask      *task,
                 JsonObject *answer,
                 GError     *error)
{
  Flow *flow = flow_of (task);
  const char *token = domus_json_object_get_string (answer, "id", NULL);
  const char *uri = domus_json_object_get_string (answer, "uri", NULL);
  JsonObject *nbd = domus_json_object_get_object (answer, "nbd");

  if (error != NULL)
    {
      /* A prepare that failed cleaned up after itself: there is nothing to take back. */
      if (error_is_lost_connection (error))
        {
          flow_fail (task, g_error_new (DOMUS_ERROR, DOMUS_ERROR_MIGRATION_FAILED,
                                        _("The target daemon went away while preparing (%s)."), error->message));
          g_error_free (error);
        }
      else
        flow_fail (task, error);
      return;
    }
  if (token == NULL || uri == NULL)
    {
      rollback (task, g_error_new (DOMUS_ERROR, DOMUS_ERROR_PROTOCOL,
                                   _("The target answered migration.prepare without an id or a stream address.")));
      return;
    }
  flow->token = g_strdup (token);
  flow->stream_uri = g_strdup (uri);
  if (nbd != NULL)
    flow->nbd = json_node_copy (json_object_get_member (answer, "nbd"));
  /* The hosts said they can (domus-migration.c checked): a target that took the key and
   * does not say so would have the source send the guest in clear. */
  if (flow->tls_psk != NULL && !domus_json_object_get_bool (answer, "tls", FALSE))
    {
      rollback (task, g_error_new (DOMUS_ERROR, DOMUS_ERROR_PROTOCOL,
                                   _("The target did not confirm the encryption it was given a key for; "
                                     "nothing was sent.")));
      return;
    }
  _domus_migration_set_encrypted (migration_of (task), flow->tls_psk != NULL);

  if (caller_cancelled (flow))
    rollback (task, cancelled_error (flow));
  else
    run_perform (task);
}

/*
 * The run's pre-shared key: 32 bytes from the kernel's random source, as the hex digits
 * QEMU's tls-creds-psk reads. It travels only in prepare and perform, over this client's
 * connections (a local socket, or SSH), and lives no longer than the run.
 */
static char *
make_tls_psk (GError **error)
{
  guint8 key[32];
  char *hex = g_malloc (sizeof key * 2 + 1);
  gsize filled = 0;

  while (filled < sizeof key)
    {
      ssize_t got = getrandom (key + filled, sizeof key - filled, 0);

      if (got < 0 && errno == EINTR)
        continue;
      if (got < 0)
        {
          int saved = errno;

          g_free (hex);
          g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_FAILED,
                       _("No key could be made for the encrypted migration: %s"), g_strerror (saved));
          return NULL;
        }
      filled += (gsize) got;
    }
  for (gsize i = 0; i < sizeof key; i++)
    g_snprintf (hex + 2 * i, 3, "%02x", key[i]);
  explicit_bzero (key, sizeof key);
  return hex;
}

static void
run_read_done (GTask *task)
{
  Flow *flow = flow_of (task);
  DomusMigration *migration = migration_of (task);
  JsonObject *params;

  if (g_strcmp0 (flow->state, "shutoff") == 0 || g_strcmp0 (flow->state, "invalid") == 0 ||
      g_strcmp0 (flow->state, "shutdown") == 0)
    {
      flow_fail (task, g_error_new (DOMUS_ERROR, DOMUS_ERROR_NOT_RUNNING,
                                    _("%s is not running: only a running domain migrates (a shut-off one can be started on the other host)."),
                                    flow->name));
      return;
    }
  if (caller_cancelled (flow))
    {
      flow_fail (task, cancelled_error (flow));
      return;
    }

  if (_domus_migration_wants_encryption (migration))
    {
      GError *error = NULL;

      flow->tls_psk = make_tls_psk (&error);
      if (flow->tls_psk == NULL)
        {
          flow_fail (task, error);
          return;
        }
    }

  _domus_migration_set_stage (migration, DOMUS_MIGRATION_STAGE_PREPARING);
  params = check_params (flow, domus_migration_get_copy_storage (migration));
  if (flow->tls_psk != NULL)
    json_object_set_string_member (params, "tls_psk", flow->tls_psk);
  json_object_set_boolean_member (params, "live", domus_migration_get_live (migration));
  /* QEMU needs postcopy-ram on both ends, set before the stream starts. */
  json_object_set_boolean_member (params, "postcopy", domus_migration_get_postcopy (migration));
  /* No cancellable: a target that prepared must be told to let go, so we wait for its id. */
  step (task, TRUE, "migration.prepare", params, FALSE, on_run_prepared);
}

/* Rollback: the target drops what it has, then the source resumes. */

static void
on_rollback_confirmed (GTask      *task,
                       JsonObject *answer,
                       GError     *error)
{
  Flow *flow = flow_of (task);
  GError *cause = g_steal_pointer (&flow->error);

  /*
   * The daemon answers no-such-domain or the like when perform never began; only a source
   * that did not answer at all leaves the user something to check.
   */
  if (error != NULL && error_is_lost_connection (error))
    {
      g_autofree char *message = g_strdup_printf (_("%s (The source did not answer the rollback either: %s)"),
                                                  cause->message, error->message);

      g_free (cause->message);
      cause->message = g_steal_pointer (&message);
    }
  else if (error != NULL)
    g_debug ("migration.confirm{success: false}: %s", error->message);
  g_clear_error (&error);
  flow_fail (task, cause);
}

/* When the target had failed by itself (its hosts-allow refused us, its QEMU ended), the
 * source saw only the effect (a broken pipe): the target's reason, which finish{false}
 * answers, is the cause to report. A cancel stays a cancel. */
static void
take_target_reason (Flow       *flow,
                    JsonObject *answer)
{
  const char *reason = domus_json_object_get_string (answer, "reason", NULL);
  const char *kind = domus_json_object_get_string (answer, "kind", NULL);

  if (reason == NULL || g_error_matches (flow->error, DOMUS_ERROR, DOMUS_ERROR_MIGRATION_CANCELLED))
    return;
  g_debug ("the target's reason: %s (the source saw: %s)", reason,
           flow->error != NULL ? flow->error->message : "nothing");
  g_clear_error (&flow->error);
  flow->error = g_error_new (DOMUS_ERROR,
                             g_strcmp0 (kind, "migration-refused") == 0 ? DOMUS_ERROR_MIGRATION_REFUSED
                                                                        : DOMUS_ERROR_MIGRATION_FAILED,
                             _("The target ended the migration: %s"), reason);
}

static void
on_rollback_finished (GTask      *task,
                      JsonObject *answer,
                      GError     *error)
{
  Flow *flow = flow_of (task);

  if (error != NULL && flow->perform_completed)
    {
      /*
       * The target got the whole guest and may run it; it did not say it dropped it.
       * Resuming the source could run the guest twice on the same disks: it stays paused.
       * (The source daemon does the same when our connection closes after completion.)
       */
      g_autoptr(GError) cause = g_steal_pointer (&flow->error);

      flow_fail (task, g_error_new (DOMUS_ERROR, DOMUS_ERROR_MIGRATION_INCOMPLETE,
                                    _("%s; the guest's memory reached the target, which did not confirm dropping it (%s), "
                                      "so %s stays paused on the source. If it does not run on the target, resume it on the "
                                      "source (domusctl unpause); if it does, destroy the source's copy."),
                                    cause->message, error->message, flow->name));
      g_error_free (error);
      return;
    }
  if (error != NULL)
    g_debug ("migration.finish{success: false}: %s", error->message);
  else
    take_target_reason (flow, answer);
  g_clear_error (&error);
  confirm_source (task, FALSE, on_rollback_confirmed);
}

/* Takes task and error (the first cause). */
static void
rollback (GTask  *task,
          GError *error)
{
  Flow *flow = flow_of (task);

  g_clear_error (&flow->error);
  flow->error = error;
  _domus_migration_set_stage (migration_of (task), DOMUS_MIGRATION_STAGE_ROLLING_BACK);
  g_clear_signal_handler (&flow->target_closed_handler, flow->target);

  if (flow->token != NULL)
    step (task, TRUE, "migration.finish", success_params ("id", flow->token, FALSE), FALSE, on_rollback_finished);
  else
    confirm_source (task, FALSE, on_rollback_confirmed);
}

void
_domus_daemon_migration_run (DomusHostDriver *source,
                             DomusHostDriver *target,
                             DomusMigration  *migration,
                             GTask           *task)
{
  Flow *flow = flow_new (FLOW_RUN, source, target, migration, task);

  if (flow->cancellable != NULL)
    {
      flow->cancel_source = g_cancellable_source_new (flow->cancellable);
      g_source_set_callback (flow->cancel_source, G_SOURCE_FUNC (on_run_cancelled), task, NULL);
      g_source_attach (flow->cancel_source, g_task_get_context (task));
    }
  flow->progress_handler = g_signal_connect (flow->source, "notification::migration.progress",
                                             G_CALLBACK (on_source_notification), task);
  _domus_migration_set_stage (migration, DOMUS_MIGRATION_STAGE_CHECKING);
  read_source_domain (task, run_read_done);
}

/* start_on: define and start on the target, then the source lets go of its config */

static void
on_start_on_confirmed (GTask      *task,
                       JsonObject *answer,
                       GError     *error)
{
  if (error == NULL)
    {
      flow_done (task);
      return;
    }
  flow_fail (task, g_error_new (DOMUS_ERROR, DOMUS_ERROR_MIGRATION_INCOMPLETE,
                                _("%s runs on the target now, but its config could not leave the source: %s. "
                                  "Do not start it there as well; undefine it on the source."),
                                flow_of (task)->name, error->message));
  g_error_free (error);
}

static void
on_start_on_undefined (GTask      *task,
                       JsonObject *answer,
                       GError     *error)
{
  if (error != NULL)
    g_debug ("undefining the target's copy: %s", error->message);
  g_clear_error (&error);
  flow_fail (task, g_steal_pointer (&flow_of (task)->error));
}

static void
on_start_on_started (GTask      *task,
                     JsonObject *answer,
                     GError     *error)
{
  Flow *flow = flow_of (task);

  if (error != NULL)
    {
      _domus_migration_set_stage (migration_of (task), DOMUS_MIGRATION_STAGE_ROLLING_BACK);
      flow->error = g_error_new (error->domain, error->code, _("Starting %s on the target failed: %s"),
                                 flow->name, error->message);
      g_error_free (error);
      step (task, TRUE, "domain.undefine", _domus_daemon_name_params (flow->name), FALSE, on_start_on_undefined);
      return;
    }
  _domus_migration_set_target_id (migration_of (task), domus_json_object_get_int (answer, "id", -1));
  _domus_migration_set_stage (migration_of (task), DOMUS_MIGRATION_STAGE_FINISHING);
  confirm_source (task, TRUE, on_start_on_confirmed);
}

static void
on_start_on_defined (GTask      *task,
                     JsonObject *answer,
                     GError     *error)
{
  Flow *flow = flow_of (task);

  if (error != NULL)
    {
      flow_fail (task, g_error_new (error->domain, error->code,
                                    _("Defining %s on the target failed: %s"), flow->name, error->message));
      g_error_free (error);
      return;
    }
  step (task, TRUE, "domain.start", _domus_daemon_name_params (flow->name), FALSE, on_start_on_started);
}

static void
on_start_on_checked (GTask      *task,
                     JsonObject *answer,
                     GError     *error)
{
  Flow *flow = flow_of (task);
  g_autoptr(GPtrArray) checks = NULL;
  JsonObject *params;

  if (error != NULL)
    {
      flow_fail (task, error);
      return;
    }
  checks = checks_of (answer);
  for (guint i = 0; i < checks->len; i++)
    {
      DomusMigrationCheck *check = g_ptr_array_index (checks, i);

      if (!check->ok)
        {
          flow_fail (task, g_error_new (DOMUS_ERROR, DOMUS_ERROR_MIGRATION_REFUSED, "%s", check->message));
          return;
        }
    }
  if (caller_cancelled (flow))
    {
      flow_fail (task, cancelled_error (flow));
      return;
    }

  /* From here on, no cancel: a half-moved domain is worse than a finished one. */
  _domus_migration_set_stage (migration_of (task), DOMUS_MIGRATION_STAGE_PREPARING);
  params = json_object_new ();
  json_object_set_string_member (params, "config", flow->config);
  json_object_set_string_member (params, "filename", flow->name);
  step (task, TRUE, "domain.define", params, FALSE, on_start_on_defined);
}

static void
start_on_read_done (GTask *task)
{
  Flow *flow = flow_of (task);

  if (g_strcmp0 (flow->state, "shutoff") != 0)
    {
      flow_fail (task, g_error_new (DOMUS_ERROR, DOMUS_ERROR_ALREADY_RUNNING,
                                    _("%s is %s on the source: only a shut-off domain can be started on another host (migrate a running one)."),
                                    flow->name, flow->state != NULL ? flow->state : "?"));
      return;
    }
  step (task, TRUE, "migration.check", check_params (flow, FALSE), TRUE, on_start_on_checked);
}

void
_domus_daemon_migration_start_on (DomusHostDriver *source,
                                  DomusHostDriver *target,
                                  DomusMigration  *migration,
                                  GTask           *task)
{
  flow_new (FLOW_START_ON, source, target, migration, task);
  _domus_migration_set_stage (migration, DOMUS_MIGRATION_STAGE_CHECKING);
  read_source_domain (task, start_on_read_done);
}
