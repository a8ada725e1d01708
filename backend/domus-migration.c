/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Moving a domain between two daemons, driven from the client that holds a connection to each. */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "domus-json-util.h"
#include "domus-migration.h"

/*
 * The client is the only party that talks to both daemons, so it carries the target's
 * answer (where to send the stream) to the source and decides, at every failure, which
 * side keeps the domain. The rule: until the target has taken the domain over, the
 * source keeps it and resumes it; once the stream completed, the source is resumed only
 * when the target said it dropped its copy (docs/migration.md, "domusctl migrate").
 */

struct _DomusMigration
{
  GObject              parent_instance;

  DomusConnection     *source;
  DomusConnection     *target;
  char                *name;

  gboolean             live;
  gboolean             copy_storage;
  gboolean             postcopy;
  guint                bandwidth_mib;
  guint                downtime_ms;

  DomusMigrationStage  stage;
  gboolean             started;        /* run or start_on was called: one per object */

  guint64              result_downtime_ms;
  guint64              result_total_ms;
  guint64              result_migration_ms;
  guint64              result_setup_ms;
  guint64              result_transferred_bytes;
  guint64              result_dirty_rate;
  guint                result_throttle_pct;
  gboolean             result_postcopy;
  gint64               result_target_id;

  gulong               progress_handler;
};

G_DEFINE_FINAL_TYPE (DomusMigration, domus_migration, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SOURCE,
  PROP_TARGET,
  PROP_NAME,
  PROP_LIVE,
  PROP_COPY_STORAGE,
  PROP_POSTCOPY,
  PROP_BANDWIDTH_MIB,
  PROP_DOWNTIME_MS,
  PROP_STAGE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_PROGRESS,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

#define DEFAULT_DOWNTIME_MS 10

static const GEnumValue stage_values[] = {
  { DOMUS_MIGRATION_STAGE_IDLE,         "DOMUS_MIGRATION_STAGE_IDLE",         "idle" },
  { DOMUS_MIGRATION_STAGE_CHECKING,     "DOMUS_MIGRATION_STAGE_CHECKING",     "checking" },
  { DOMUS_MIGRATION_STAGE_PREPARING,    "DOMUS_MIGRATION_STAGE_PREPARING",    "preparing" },
  { DOMUS_MIGRATION_STAGE_MIGRATING,    "DOMUS_MIGRATION_STAGE_MIGRATING",    "migrating" },
  { DOMUS_MIGRATION_STAGE_FINISHING,    "DOMUS_MIGRATION_STAGE_FINISHING",    "finishing" },
  { DOMUS_MIGRATION_STAGE_ROLLING_BACK, "DOMUS_MIGRATION_STAGE_ROLLING_BACK", "rolling-back" },
  { DOMUS_MIGRATION_STAGE_DONE,         "DOMUS_MIGRATION_STAGE_DONE",         "done" },
  { DOMUS_MIGRATION_STAGE_FAILED,       "DOMUS_MIGRATION_STAGE_FAILED",       "failed" },
  { 0, NULL, NULL }
};

GType
domus_migration_stage_get_type (void)
{
  static gsize type_id = 0;

  if (g_once_init_enter (&type_id))
    g_once_init_leave (&type_id, g_enum_register_static (g_intern_static_string ("DomusMigrationStage"),
                                                         stage_values));
  return type_id;
}

/* Checks */

void
domus_migration_check_free (DomusMigrationCheck *check)
{
  if (check == NULL)
    return;
  g_free (check->id);
  g_free (check->message);
  g_free (check);
}

DomusMigrationCheck *
domus_migration_check_copy (const DomusMigrationCheck *check)
{
  DomusMigrationCheck *copy;

  g_return_val_if_fail (check != NULL, NULL);
  copy = g_new0 (DomusMigrationCheck, 1);
  copy->id = g_strdup (check->id);
  copy->ok = check->ok;
  copy->message = g_strdup (check->message);
  return copy;
}

/* JSON helpers */

static guint64
object_get_uint (JsonObject *object,
                 const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;
  GType type;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0;
  type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64)
    return MAX (json_node_get_int (node), 0);
  if (type == G_TYPE_DOUBLE)
    return (guint64) MAX (json_node_get_double (node), 0.0);
  return 0;
}

static double
object_get_number (JsonObject *object,
                   const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;
  GType type;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0.0;
  type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64)
    return (double) json_node_get_int (node);
  if (type == G_TYPE_DOUBLE)
    return json_node_get_double (node);
  return 0.0;
}

static const char *
object_get_string (JsonObject *object,
                   const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
object_get_bool (JsonObject *object,
                 const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return FALSE;
  return json_node_get_boolean (node);
}

static JsonObject *
result_object (JsonNode *result)
{
  return domus_json_node_get_object (result);
}

static JsonNode *
name_params (const char *name)
{
  JsonObject *object = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_string_member (object, "name", name);
  json_node_take_object (node, object);
  return node;
}

static JsonNode *
object_node (JsonObject *object)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, object);
  return node;
}

/* An error's sentence for the middle of another sentence: a GIO cancel becomes ours. */
static GError *
cancelled_error (DomusMigration *self)
{
  return g_error_new (DOMUS_ERROR, DOMUS_ERROR_MIGRATION_CANCELLED,
                      _("The migration of %s was cancelled; it stays on the source."), self->name);
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

static void
set_stage (DomusMigration      *self,
           DomusMigrationStage  stage)
{
  if (self->stage == stage)
    return;
  self->stage = stage;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STAGE]);
}

/*
 * Every call of a migration goes through here: with G_MESSAGES_DEBUG=domus-backend the
 * order of calls on both sides shows, which is what one needs after a failed migration.
 */
static void
migration_call (DomusMigration      *self,
                DomusConnection     *connection,
                const char          *method,
                JsonNode            *params,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  g_debug ("migration of %s: %s <- %s", self->name,
           connection == self->source ? "source" : "target", method);
  domus_connection_call_async (connection, method, params, cancellable, callback, user_data);
}

/* The answer of a migration_call, logged as the call was. */
static JsonNode *
migration_call_finish (GObject       *connection,
                       GAsyncResult  *result,
                       GError       **error)
{
  JsonNode *answer = domus_connection_call_finish (DOMUS_CONNECTION (connection), result, error);

  g_debug ("  answer%s%s", answer != NULL ? "" : ": ", answer != NULL ? "" : (*error)->message);
  return answer;
}

/* Progress */

static void
on_source_notification (DomusConnection *connection,
                        const char      *method,
                        JsonNode        *params,
                        gpointer         user_data)
{
  DomusMigration *self = user_data;
  JsonObject *object = result_object (params);
  DomusMigrationProgress progress = { 0 };
  const char *name;

  name = object_get_string (object, "name");
  if (name == NULL || g_strcmp0 (name, self->name) != 0)
    return;

  progress.phase = object_get_string (object, "phase");
  if (progress.phase == NULL)
    progress.phase = "active";
  progress.transferred_bytes = object_get_uint (object, "transferred_bytes");
  progress.remaining_bytes = object_get_uint (object, "remaining_bytes");
  progress.total_bytes = object_get_uint (object, "total_bytes");
  progress.dirty_rate_bytes_per_s = object_get_uint (object, "dirty_rate_bytes_per_s");
  progress.expected_downtime_ms = object_get_uint (object, "expected_downtime_ms");
  progress.mbps = object_get_number (object, "mbps");
  progress.disk_remaining_bytes = object_get_uint (object, "disk_remaining_bytes");
  g_signal_emit (self, signals[SIGNAL_PROGRESS], 0, &progress);
}

/* Reading the domain on the source: shared by check, run and start_on. */

typedef struct {
  GCancellable *cancellable;    /* the caller's, or NULL */
  char         *config;
  JsonNode     *disks;          /* a JSON array: domain.get's `disks`, or empty */
  char         *state;          /* domain.get's `state` */

  /* run */
  gint64        start_us;
  GSource      *cancel_source;
  char         *token;          /* migration.prepare's id */
  char         *stream_uri;
  JsonNode     *nbd;
  gboolean      performing;     /* migration.perform sent, no answer yet */
  gboolean      perform_completed;
  gboolean      cancel_sent;
  gboolean      user_cancelled;
  GError       *target_lost;    /* the target's connection closed while performing */
  GError       *error;          /* the first cause of a rollback */
  gulong        target_closed_handler;
} MigrationData;

static void
migration_data_free (MigrationData *data)
{
  if (data->cancel_source != NULL)
    {
      g_source_destroy (data->cancel_source);
      g_source_unref (data->cancel_source);
    }
  g_clear_object (&data->cancellable);
  g_free (data->config);
  g_clear_pointer (&data->disks, json_node_unref);
  g_free (data->state);
  g_free (data->token);
  g_free (data->stream_uri);
  g_clear_pointer (&data->nbd, json_node_unref);
  g_clear_error (&data->target_lost);
  g_clear_error (&data->error);
  g_free (data);
}

/* Both take the task (transfer full). */
typedef void (*ReadDoneFunc) (GTask *task);
static void read_failed (GTask *task, GError *error);

static void
on_read_config (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MigrationData *data = g_task_get_task_data (task);
  ReadDoneFunc done = g_object_get_data (G_OBJECT (task), "read-done");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = NULL;
  const char *config;

  answer = migration_call_finish (object, result, &error);
  if (answer == NULL)
    {
      read_failed (g_steal_pointer (&task), g_steal_pointer (&error));
      return;
    }
  config = object_get_string (result_object (answer), "config");
  if (config == NULL)
    {
      read_failed (g_steal_pointer (&task),
                   g_error_new (DOMUS_ERROR, DOMUS_ERROR_PROTOCOL,
                                _("The source daemon sent no configuration for the domain.")));
      return;
    }
  data->config = g_strdup (config);
  done (g_steal_pointer (&task));
}

static void
on_read_domain (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MigrationData *data = g_task_get_task_data (task);
  DomusMigration *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(JsonNode) params = NULL;
  JsonObject *domain;
  JsonArray *disks;

  answer = migration_call_finish (object, result, &error);
  if (answer == NULL)
    {
      read_failed (g_steal_pointer (&task), g_steal_pointer (&error));
      return;
    }
  domain = result_object (answer);
  data->state = g_strdup (object_get_string (domain, "state"));
  /*
   * The client cannot look at a remote host's files: the source daemon says what the
   * disks are and how big. A daemon that does not says nothing, and the target reads
   * the disks from the config alone.
   */
  disks = domus_json_object_get_array (domain, "disks");
  data->disks = json_node_new (JSON_NODE_ARRAY);
  if (disks != NULL)
    {
      JsonArray *copy = json_array_new ();

      for (guint i = 0; i < json_array_get_length (disks); i++)
        {
          JsonObject *disk = json_array_get_object_element (disks, i);
          JsonObject *entry;
          const char *path = object_get_string (disk, "path");

          if (path == NULL)
            continue;
          entry = json_object_new ();
          json_object_set_string_member (entry, "path", path);
          json_object_set_int_member (entry, "size_bytes",
                                      json_object_has_member (disk, "size_bytes")
                                      ? (gint64) object_get_number (disk, "size_bytes") : -1);
          json_array_add_object_element (copy, entry);
        }
      json_node_take_array (data->disks, copy);
    }
  else
    json_node_take_array (data->disks, json_array_new ());

  params = name_params (self->name);
  migration_call (self, self->source, "domain.get_config", params, data->cancellable,
                  on_read_config, g_steal_pointer (&task));
}

/* Reads state, disks and config from the source, then calls done with a reference of its own. */
static void
read_source_domain (GTask        *task,
                    ReadDoneFunc  done)
{
  DomusMigration *self = g_task_get_source_object (task);
  MigrationData *data = g_task_get_task_data (task);
  g_autoptr(JsonNode) params = name_params (self->name);

  g_object_set_data (G_OBJECT (task), "read-done", done);
  migration_call (self, self->source, "domain.get", params, data->cancellable,
                  on_read_domain, g_object_ref (task));
}

/* The params migration.check and migration.prepare share. */
static JsonObject *
check_params (DomusMigration *self,
              MigrationData  *data,
              gboolean        copy_storage)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "config", data->config);
  json_object_set_string_member (object, "name", self->name);
  json_object_set_boolean_member (object, "copy_storage", copy_storage);
  json_object_set_member (object, "disks", json_node_copy (data->disks));
  return object;
}

static GPtrArray *
parse_checks (JsonNode *answer)
{
  GPtrArray *checks = g_ptr_array_new_with_free_func ((GDestroyNotify) domus_migration_check_free);
  JsonArray *array = domus_json_object_get_array (result_object (answer), "checks");

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      JsonObject *object = result_object (element);
      DomusMigrationCheck *check;

      if (object == NULL)
        continue;
      check = g_new0 (DomusMigrationCheck, 1);
      check->id = g_strdup (object_get_string (object, "id"));
      check->ok = object_get_bool (object, "ok");
      check->message = g_strdup (object_get_string (object, "message"));
      if (check->id == NULL)
        check->id = g_strdup ("");
      if (check->message == NULL)
        check->message = g_strdup ("");
      g_ptr_array_add (checks, check);
    }
  return checks;
}

/* start_on_fail and run_return_error take the task as read_failed does. */
static void run_return_error (GTask *task, GError *error);
static void start_on_fail (GTask *task, GError *error);

static void
read_failed (GTask  *task,
             GError *error)
{
  DomusMigration *self = g_task_get_source_object (task);

  if (g_task_get_source_tag (task) == domus_migration_check_async)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if (error_is_cancel (error))
    {
      g_error_free (error);
      error = cancelled_error (self);
    }
  if (g_task_get_source_tag (task) == domus_migration_run_async)
    run_return_error (task, error);
  else
    start_on_fail (task, error);
}

/* check */

static void
on_check_answered (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = NULL;

  answer = migration_call_finish (object, result, &error);
  if (answer == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, parse_checks (answer), (GDestroyNotify) g_ptr_array_unref);
}

static void
check_read_done (GTask *task)
{
  DomusMigration *self = g_task_get_source_object (task);
  MigrationData *data = g_task_get_task_data (task);
  g_autoptr(JsonNode) params = object_node (check_params (self, data, self->copy_storage));

  migration_call (self, self->target, "migration.check", params, data->cancellable,
                  on_check_answered, task);
}

void
domus_migration_check_async (DomusMigration      *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  MigrationData *data;

  g_return_if_fail (DOMUS_IS_MIGRATION (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, domus_migration_check_async);
  data = g_new0 (MigrationData, 1);
  data->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  g_task_set_task_data (task, data, (GDestroyNotify) migration_data_free);
  read_source_domain (task, check_read_done);
}

GPtrArray *
domus_migration_check_finish (DomusMigration  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (DOMUS_IS_MIGRATION (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == domus_migration_check_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* run */

static void run_rollback (GTask *task, GError *error);

static void
run_disconnect_target (GTask *task)
{
  DomusMigration *self = g_task_get_source_object (task);
  MigrationData *data = g_task_get_task_data (task);

  g_clear_signal_handler (&data->target_closed_handler, self->target);
}

/* Takes task and error. */
static void
run_return_error (GTask  *task,
                  GError *error)
{
  DomusMigration *self = g_task_get_source_object (task);

  run_disconnect_target (task);
  g_clear_signal_handler (&self->progress_handler, self->source);
  set_stage (self, DOMUS_MIGRATION_STAGE_FAILED);
  g_task_return_error (task, error);
  g_object_unref (task);
}

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
send_cancel (GTask *task)
{
  DomusMigration *self = g_task_get_source_object (task);
  MigrationData *data = g_task_get_task_data (task);
  g_autoptr(JsonNode) params = NULL;

  if (!data->performing || data->cancel_sent)
    return;
  data->cancel_sent = TRUE;
  params = name_params (self->name);
  migration_call (self, self->source, "migration.cancel", params, NULL,
                  on_cancel_answered, NULL);
}

/* In the task's context, whatever thread cancelled. */
static gboolean
on_run_cancelled (GCancellable *cancellable,
                  gpointer      user_data)
{
  GTask *task = user_data;
  MigrationData *data = g_task_get_task_data (task);

  data->user_cancelled = TRUE;
  /* Before perform, each step looks at the cancellable when its call returns. */
  send_cancel (task);
  return G_SOURCE_REMOVE;
}

/* The target's daemon went away: its QEMU may still wait for the stream, so stop sending. */
static void
on_target_closed (DomusConnection *connection,
                  const GError    *reason,
                  gpointer         user_data)
{
  GTask *task = user_data;
  MigrationData *data = g_task_get_task_data (task);

  if (data->target_lost == NULL)
    data->target_lost = g_error_new (DOMUS_ERROR, DOMUS_ERROR_MIGRATION_FAILED,
                                     _("The target daemon went away during the migration (%s)."),
                                     reason != NULL ? reason->message : _("its connection was closed"));
  send_cancel (task);
}

static void
on_run_confirmed (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DomusMigration *self = g_task_get_source_object (task);
  MigrationData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = NULL;

  answer = migration_call_finish (object, result, &error);
  self->result_total_ms = (g_get_monotonic_time () - data->start_us) / 1000;
  if (answer == NULL)
    {
      /* The target runs the guest: resuming the source now would run it twice. */
      run_return_error (g_steal_pointer (&task), g_error_new (DOMUS_ERROR, DOMUS_ERROR_MIGRATION_INCOMPLETE,
                                           _("%s now runs on the target, but the source could not let go of it: %s. "
                                             "Its stopped copy may still be on the source: destroy it there, do not unpause it."),
                                           self->name, error->message));
      return;
    }
  run_disconnect_target (task);
  g_clear_signal_handler (&self->progress_handler, self->source);
  set_stage (self, DOMUS_MIGRATION_STAGE_DONE);
  g_task_return_boolean (task, TRUE);
}

static void
on_run_finished (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DomusMigration *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(JsonObject) params = NULL;
  g_autoptr(JsonNode) params_node = NULL;
  JsonObject *object_result;

  answer = migration_call_finish (object, result, &error);
  if (answer == NULL)
    {
      run_rollback (g_steal_pointer (&task),
                    g_error_new (DOMUS_ERROR, DOMUS_ERROR_MIGRATION_FAILED,
                                 _("The target could not take %s over: %s"), self->name, error->message));
      return;
    }
  object_result = result_object (answer);
  self->result_target_id = json_object_has_member (object_result, "id")
                           ? (gint64) object_get_number (object_result, "id") : -1;

  params = json_object_new ();
  json_object_set_string_member (params, "name", self->name);
  json_object_set_boolean_member (params, "success", TRUE);
  params_node = object_node (g_steal_pointer (&params));
  migration_call (self, self->source, "migration.confirm", params_node, NULL,
                  on_run_confirmed, g_steal_pointer (&task));
}

static void
on_run_performed (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DomusMigration *self = g_task_get_source_object (task);
  MigrationData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(JsonObject) params = NULL;
  g_autoptr(JsonNode) params_node = NULL;
  JsonObject *stats;

  answer = migration_call_finish (object, result, &error);
  data->performing = FALSE;
  if (answer == NULL)
    {
      GError *cause;

      /* Say why it stopped, not how the stop showed up on the source. */
      if (data->target_lost != NULL)
        cause = g_error_copy (data->target_lost);
      else if (data->user_cancelled)
        cause = cancelled_error (self);
      else if (error->domain == DOMUS_ERROR &&
               (error->code == DOMUS_ERROR_MIGRATION_CANCELLED || error->code == DOMUS_ERROR_MIGRATION_FAILED))
        cause = g_steal_pointer (&error);
      else if (error_is_lost_connection (error))
        cause = g_error_new (DOMUS_ERROR, DOMUS_ERROR_MIGRATION_FAILED,
                             _("The source daemon went away during the migration (%s)."), error->message);
      else
        cause = g_steal_pointer (&error);
      run_rollback (g_steal_pointer (&task), cause);
      return;
    }

  data->perform_completed = TRUE;
  stats = result_object (answer);
  self->result_downtime_ms = object_get_uint (stats, "downtime_ms");
  self->result_migration_ms = object_get_uint (stats, "total_ms");
  self->result_setup_ms = object_get_uint (stats, "setup_ms");
  self->result_transferred_bytes = object_get_uint (stats, "transferred_bytes");
  self->result_dirty_rate = object_get_uint (stats, "dirty_rate_bytes_per_s");
  self->result_throttle_pct = (guint) object_get_uint (stats, "auto_converge_throttle_pct");
  self->result_postcopy = object_get_bool (stats, "postcopy");

  /*
   * From here a cancel is too late: the target has the guest's whole state and may be
   * running it already, so the way forward is the safe one.
   */
  set_stage (self, DOMUS_MIGRATION_STAGE_FINISHING);
  params = json_object_new ();
  json_object_set_string_member (params, "id", data->token);
  json_object_set_boolean_member (params, "success", TRUE);
  params_node = object_node (g_steal_pointer (&params));
  migration_call (self, self->target, "migration.finish", params_node, NULL,
                  on_run_finished, g_steal_pointer (&task));
}

static void
run_perform (GTask *task)
{
  DomusMigration *self = g_task_get_source_object (task);
  MigrationData *data = g_task_get_task_data (task);
  g_autoptr(JsonObject) params = json_object_new ();
  g_autoptr(JsonNode) params_node = NULL;

  set_stage (self, DOMUS_MIGRATION_STAGE_MIGRATING);
  json_object_set_string_member (params, "name", self->name);
  json_object_set_string_member (params, "uri", data->stream_uri);
  json_object_set_boolean_member (params, "live", self->live);
  json_object_set_int_member (params, "bandwidth_mib", self->bandwidth_mib);
  json_object_set_int_member (params, "downtime_ms", self->downtime_ms);
  json_object_set_member (params, "nbd", data->nbd != NULL ? json_node_copy (data->nbd)
                                                            : json_node_new (JSON_NODE_NULL));
  json_object_set_boolean_member (params, "postcopy", self->postcopy);
  params_node = object_node (g_steal_pointer (&params));

  data->performing = TRUE;
  data->target_closed_handler = g_signal_connect (self->target, "closed",
                                                  G_CALLBACK (on_target_closed), task);
  /* No cancellable: a cancel goes to the daemon (migration.cancel) and perform answers it. */
  migration_call (self, self->source, "migration.perform", params_node, NULL,
                  on_run_performed, task);
  if (data->target_lost != NULL || domus_connection_is_closed (self->target))
    on_target_closed (self->target, NULL, task);
  else if (data->user_cancelled)
    send_cancel (task);
}

static void
on_run_prepared (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DomusMigration *self = g_task_get_source_object (task);
  MigrationData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = NULL;
  JsonObject *prepared;
  JsonNode *nbd;
  const char *token;
  const char *uri;

  answer = migration_call_finish (object, result, &error);
  if (answer == NULL)
    {
      /* A prepare that failed cleaned up after itself: there is nothing to take back. */
      if (g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_MIGRATION_REFUSED))
        run_return_error (g_steal_pointer (&task), g_steal_pointer (&error));
      else if (error_is_lost_connection (error))
        run_return_error (g_steal_pointer (&task),
                          g_error_new (DOMUS_ERROR, DOMUS_ERROR_MIGRATION_FAILED,
                                       _("The target daemon went away while preparing (%s)."), error->message));
      else
        run_return_error (g_steal_pointer (&task), g_steal_pointer (&error));
      return;
    }

  prepared = result_object (answer);
  token = object_get_string (prepared, "id");
  uri = object_get_string (prepared, "uri");
  if (token == NULL || uri == NULL)
    {
      run_rollback (g_steal_pointer (&task),
                    g_error_new (DOMUS_ERROR, DOMUS_ERROR_PROTOCOL,
                                 _("The target answered migration.prepare without an id or a stream address.")));
      return;
    }
  data->token = g_strdup (token);
  data->stream_uri = g_strdup (uri);
  nbd = json_object_get_member (prepared, "nbd");
  if (nbd != NULL && JSON_NODE_HOLDS_OBJECT (nbd))
    data->nbd = json_node_copy (nbd);

  if (data->user_cancelled || (data->cancellable != NULL && g_cancellable_is_cancelled (data->cancellable)))
    {
      run_rollback (g_steal_pointer (&task), cancelled_error (self));
      return;
    }
  run_perform (g_steal_pointer (&task));
}

static void
run_read_done (GTask *task)
{
  DomusMigration *self = g_task_get_source_object (task);
  MigrationData *data = g_task_get_task_data (task);
  g_autoptr(JsonObject) params = NULL;
  g_autoptr(JsonNode) params_node = NULL;

  if (g_strcmp0 (data->state, "shutoff") == 0 || g_strcmp0 (data->state, "invalid") == 0 ||
      g_strcmp0 (data->state, "shutdown") == 0)
    {
      run_return_error (task, g_error_new (DOMUS_ERROR, DOMUS_ERROR_NOT_RUNNING,
                                           _("%s is not running: only a running domain migrates (a shut-off one can be started on the other host)."),
                                           self->name));
      return;
    }
  if (data->cancellable != NULL && g_cancellable_is_cancelled (data->cancellable))
    {
      run_return_error (task, cancelled_error (self));
      return;
    }

  set_stage (self, DOMUS_MIGRATION_STAGE_PREPARING);
  params = check_params (self, data, self->copy_storage);
  json_object_set_boolean_member (params, "live", self->live);
  /* QEMU needs postcopy-ram on both ends, set before the stream starts. */
  json_object_set_boolean_member (params, "postcopy", self->postcopy);
  params_node = object_node (g_steal_pointer (&params));
  /* No cancellable: a target that prepared must be told to let go, so we wait for its id. */
  migration_call (self, self->target, "migration.prepare", params_node, NULL,
                  on_run_prepared, task);
}

/* Rollback: the target drops what it has, then the source resumes. */

static void
on_rollback_confirmed (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MigrationData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = NULL;
  GError *cause = g_steal_pointer (&data->error);

  answer = migration_call_finish (object, result, &error);
  /*
   * The daemon answers no-such-domain or the like when perform never began; only a source
   * that did not answer at all leaves the user something to check.
   */
  if (answer == NULL && error_is_lost_connection (error))
    {
      g_autofree char *message = g_strdup_printf (_("%s (The source did not answer the rollback either: %s)"),
                                                  cause->message, error->message);

      g_free (cause->message);
      cause->message = g_steal_pointer (&message);
    }
  else if (answer == NULL)
    g_debug ("migration.confirm{success: false}: %s", error->message);
  run_return_error (g_steal_pointer (&task), cause);
}

static void
rollback_source (GTask *task)
{
  DomusMigration *self = g_task_get_source_object (task);
  g_autoptr(JsonObject) params = json_object_new ();
  g_autoptr(JsonNode) params_node = NULL;

  json_object_set_string_member (params, "name", self->name);
  json_object_set_boolean_member (params, "success", FALSE);
  params_node = object_node (g_steal_pointer (&params));
  migration_call (self, self->source, "migration.confirm", params_node, NULL,
                  on_rollback_confirmed, task);
}

/* When the target had failed by itself (its hosts-allow refused us, its QEMU ended), the
 * source saw only the effect (a broken pipe): the target's reason, which finish{false}
 * answers, is the cause to report. A cancel stays a cancel. */
static void
take_target_reason (MigrationData *data,
                    JsonNode      *answer)
{
  JsonObject *object = domus_json_node_get_object (answer);
  const char *reason = object != NULL ? json_object_get_string_member_with_default (object, "reason", NULL) : NULL;
  const char *kind = object != NULL ? json_object_get_string_member_with_default (object, "kind", NULL) : NULL;

  if (reason == NULL || g_error_matches (data->error, DOMUS_ERROR, DOMUS_ERROR_MIGRATION_CANCELLED))
    return;
  g_debug ("the target's reason: %s (the source saw: %s)", reason,
           data->error != NULL ? data->error->message : "nothing");
  g_clear_error (&data->error);
  data->error = g_error_new (DOMUS_ERROR,
                             g_strcmp0 (kind, "migration-refused") == 0 ? DOMUS_ERROR_MIGRATION_REFUSED
                                                                        : DOMUS_ERROR_MIGRATION_FAILED,
                             _("The target ended the migration: %s"), reason);
}

static void
on_rollback_finished (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DomusMigration *self = g_task_get_source_object (task);
  MigrationData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = NULL;

  answer = migration_call_finish (object, result, &error);
  if (answer == NULL && data->perform_completed)
    {
      /*
       * The target got the whole guest and may run it; it did not say it dropped it.
       * Resuming the source could run the guest twice on the same disks: it stays paused.
       * (The source daemon does the same when our connection closes after completion.)
       */
      GError *cause = g_steal_pointer (&data->error);

      run_return_error (g_steal_pointer (&task),
                        g_error_new (DOMUS_ERROR, DOMUS_ERROR_MIGRATION_INCOMPLETE,
                                     _("%s; the guest's memory reached the target, which did not confirm dropping it (%s), "
                                       "so %s stays paused on the source. If it does not run on the target, resume it on the "
                                       "source (domusctl unpause); if it does, destroy the source's copy."),
                                     cause->message, error->message, self->name));
      g_error_free (cause);
      return;
    }
  if (answer == NULL)
    g_debug ("migration.finish{success: false}: %s", error->message);
  else
    take_target_reason (data, answer);
  rollback_source (g_steal_pointer (&task));
}

/* Takes task and error (the first cause). */
static void
run_rollback (GTask  *task,
              GError *error)
{
  DomusMigration *self = g_task_get_source_object (task);
  MigrationData *data = g_task_get_task_data (task);

  g_clear_error (&data->error);
  data->error = error;
  set_stage (self, DOMUS_MIGRATION_STAGE_ROLLING_BACK);
  run_disconnect_target (task);

  if (data->token != NULL)
    {
      g_autoptr(JsonObject) params = json_object_new ();
      g_autoptr(JsonNode) params_node = NULL;

      json_object_set_string_member (params, "id", data->token);
      json_object_set_boolean_member (params, "success", FALSE);
      params_node = object_node (g_steal_pointer (&params));
      migration_call (self, self->target, "migration.finish", params_node, NULL,
                      on_rollback_finished, task);
    }
  else
    rollback_source (task);
}

/* The task of a run or a start_on, with its data; NULL (the task answered already) when
 * this object ran before: one object, one migration. */
static GTask *
start_task (DomusMigration      *self,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data,
            gpointer             source_tag)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  MigrationData *data;

  g_task_set_source_tag (task, source_tag);
  /* A cancel mid-way ends in our own error, after the rollback, not in G_IO_ERROR_CANCELLED at once. */
  g_task_set_check_cancellable (task, FALSE);
  if (self->started)
    {
      g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_FAILED,
                               _("This migration has run already."));
      return NULL;
    }
  self->started = TRUE;

  data = g_new0 (MigrationData, 1);
  data->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  data->start_us = g_get_monotonic_time ();
  g_task_set_task_data (task, data, (GDestroyNotify) migration_data_free);
  return g_steal_pointer (&task);
}

void
domus_migration_run_async (DomusMigration      *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  MigrationData *data;

  g_return_if_fail (DOMUS_IS_MIGRATION (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = start_task (self, cancellable, callback, user_data, domus_migration_run_async);
  if (task == NULL)
    return;
  data = g_task_get_task_data (task);
  if (cancellable != NULL)
    {
      data->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (data->cancel_source, G_SOURCE_FUNC (on_run_cancelled), task, NULL);
      g_source_attach (data->cancel_source, g_task_get_context (task));
    }

  self->progress_handler = g_signal_connect (self->source, "notification::migration.progress",
                                             G_CALLBACK (on_source_notification), self);
  set_stage (self, DOMUS_MIGRATION_STAGE_CHECKING);
  read_source_domain (task, run_read_done);
}

gboolean
domus_migration_run_finish (DomusMigration  *self,
                            GAsyncResult    *result,
                            GError         **error)
{
  g_return_val_if_fail (DOMUS_IS_MIGRATION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == domus_migration_run_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* start_on */

static void
start_on_fail (GTask  *task,
               GError *error)
{
  DomusMigration *self = g_task_get_source_object (task);

  set_stage (self, DOMUS_MIGRATION_STAGE_FAILED);
  g_task_return_error (task, error);
  g_object_unref (task);
}

static void
on_start_on_confirmed (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  GTask *task = user_data;
  DomusMigration *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = NULL;

  answer = migration_call_finish (object, result, &error);
  if (answer == NULL)
    {
      start_on_fail (task, g_error_new (DOMUS_ERROR, DOMUS_ERROR_MIGRATION_INCOMPLETE,
                                        _("%s runs on the target now, but its config could not leave the source: %s. "
                                          "Do not start it there as well; undefine it on the source."),
                                        self->name, error->message));
      return;
    }
  set_stage (self, DOMUS_MIGRATION_STAGE_DONE);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
on_start_on_undefined (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  GTask *task = user_data;
  MigrationData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = NULL;

  answer = migration_call_finish (object, result, &error);
  if (answer == NULL)
    g_debug ("undefining the target's copy: %s", error->message);
  start_on_fail (task, g_steal_pointer (&data->error));
}

static void
on_start_on_started (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GTask *task = user_data;
  DomusMigration *self = g_task_get_source_object (task);
  MigrationData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(JsonObject) params = NULL;
  g_autoptr(JsonNode) params_node = NULL;
  JsonObject *started;

  answer = migration_call_finish (object, result, &error);
  if (answer == NULL)
    {
      g_autoptr(JsonNode) undefine = name_params (self->name);

      set_stage (self, DOMUS_MIGRATION_STAGE_ROLLING_BACK);
      data->error = g_error_new (error->domain, error->code, _("Starting %s on the target failed: %s"),
                                 self->name, error->message);
      migration_call (self, self->target, "domain.undefine", undefine, NULL,
                      on_start_on_undefined, task);
      return;
    }
  started = result_object (answer);
  self->result_target_id = json_object_has_member (started, "id")
                           ? (gint64) object_get_number (started, "id") : -1;

  set_stage (self, DOMUS_MIGRATION_STAGE_FINISHING);
  params = json_object_new ();
  json_object_set_string_member (params, "name", self->name);
  json_object_set_boolean_member (params, "success", TRUE);
  params_node = object_node (g_steal_pointer (&params));
  migration_call (self, self->source, "migration.confirm", params_node, NULL,
                  on_start_on_confirmed, task);
}

static void
on_start_on_defined (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GTask *task = user_data;
  DomusMigration *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(JsonNode) params = NULL;

  answer = migration_call_finish (object, result, &error);
  if (answer == NULL)
    {
      start_on_fail (task, g_error_new (error->domain, error->code,
                                        _("Defining %s on the target failed: %s"), self->name, error->message));
      return;
    }
  params = name_params (self->name);
  migration_call (self, self->target, "domain.start", params, NULL,
                  on_start_on_started, task);
}

static void
on_start_on_checked (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GTask *task = user_data;
  DomusMigration *self = g_task_get_source_object (task);
  MigrationData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GPtrArray) checks = NULL;
  g_autoptr(JsonObject) params = NULL;
  g_autoptr(JsonNode) params_node = NULL;

  answer = migration_call_finish (object, result, &error);
  if (answer == NULL)
    {
      start_on_fail (task, g_steal_pointer (&error));
      return;
    }
  checks = parse_checks (answer);
  for (guint i = 0; i < checks->len; i++)
    {
      DomusMigrationCheck *check = g_ptr_array_index (checks, i);

      if (!check->ok)
        {
          start_on_fail (task, g_error_new (DOMUS_ERROR, DOMUS_ERROR_MIGRATION_REFUSED,
                                            "%s", check->message));
          return;
        }
    }
  if (data->cancellable != NULL && g_cancellable_is_cancelled (data->cancellable))
    {
      start_on_fail (task, cancelled_error (self));
      return;
    }

  /* From here on, no cancel: a half-moved domain is worse than a finished one. */
  set_stage (self, DOMUS_MIGRATION_STAGE_PREPARING);
  params = json_object_new ();
  json_object_set_string_member (params, "config", data->config);
  json_object_set_string_member (params, "filename", self->name);
  params_node = object_node (g_steal_pointer (&params));
  migration_call (self, self->target, "domain.define", params_node, NULL,
                  on_start_on_defined, task);
}

static void
start_on_read_done (GTask *task)
{
  DomusMigration *self = g_task_get_source_object (task);
  MigrationData *data = g_task_get_task_data (task);
  g_autoptr(JsonNode) params = NULL;

  if (g_strcmp0 (data->state, "shutoff") != 0)
    {
      start_on_fail (task, g_error_new (DOMUS_ERROR, DOMUS_ERROR_ALREADY_RUNNING,
                                        _("%s is %s on the source: only a shut-off domain can be started on another host (migrate a running one)."),
                                        self->name, data->state != NULL ? data->state : "?"));
      return;
    }
  params = object_node (check_params (self, data, FALSE));
  migration_call (self, self->target, "migration.check", params, data->cancellable,
                  on_start_on_checked, task);
}

void
domus_migration_start_on_async (DomusMigration      *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (DOMUS_IS_MIGRATION (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = start_task (self, cancellable, callback, user_data, domus_migration_start_on_async);
  if (task == NULL)
    return;
  set_stage (self, DOMUS_MIGRATION_STAGE_CHECKING);
  read_source_domain (task, start_on_read_done);
}

gboolean
domus_migration_start_on_finish (DomusMigration  *self,
                                 GAsyncResult    *result,
                                 GError         **error)
{
  g_return_val_if_fail (DOMUS_IS_MIGRATION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == domus_migration_start_on_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Accessors */

const char *
domus_migration_get_name (DomusMigration *self)
{
  g_return_val_if_fail (DOMUS_IS_MIGRATION (self), NULL);
  return self->name;
}

DomusConnection *
domus_migration_get_source (DomusMigration *self)
{
  g_return_val_if_fail (DOMUS_IS_MIGRATION (self), NULL);
  return self->source;
}

DomusConnection *
domus_migration_get_target (DomusMigration *self)
{
  g_return_val_if_fail (DOMUS_IS_MIGRATION (self), NULL);
  return self->target;
}

DomusMigrationStage
domus_migration_get_stage (DomusMigration *self)
{
  g_return_val_if_fail (DOMUS_IS_MIGRATION (self), DOMUS_MIGRATION_STAGE_IDLE);
  return self->stage;
}

#define DEFINE_OPTION(type, accessor, field, prop)                              \
  void                                                                          \
  domus_migration_set_##accessor (DomusMigration *self, type value)             \
  {                                                                             \
    g_return_if_fail (DOMUS_IS_MIGRATION (self));                               \
    if (self->field == value)                                                   \
      return;                                                                   \
    self->field = value;                                                        \
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);               \
  }                                                                             \
  type                                                                          \
  domus_migration_get_##accessor (DomusMigration *self)                         \
  {                                                                             \
    g_return_val_if_fail (DOMUS_IS_MIGRATION (self), 0);                        \
    return self->field;                                                         \
  }

DEFINE_OPTION (gboolean, live, live, PROP_LIVE)
DEFINE_OPTION (gboolean, copy_storage, copy_storage, PROP_COPY_STORAGE)
DEFINE_OPTION (gboolean, postcopy, postcopy, PROP_POSTCOPY)
DEFINE_OPTION (guint, bandwidth_mib, bandwidth_mib, PROP_BANDWIDTH_MIB)
DEFINE_OPTION (guint, downtime_limit_ms, downtime_ms, PROP_DOWNTIME_MS)

#define DEFINE_RESULT(type, getter, field, fallback)                            \
  type                                                                          \
  domus_migration_get_##getter (DomusMigration *self)                           \
  {                                                                             \
    g_return_val_if_fail (DOMUS_IS_MIGRATION (self), fallback);                 \
    return self->field;                                                         \
  }

DEFINE_RESULT (guint64, downtime_ms, result_downtime_ms, 0)
DEFINE_RESULT (guint64, total_ms, result_total_ms, 0)
DEFINE_RESULT (guint64, migration_ms, result_migration_ms, 0)
DEFINE_RESULT (guint64, setup_ms, result_setup_ms, 0)
DEFINE_RESULT (guint64, transferred_bytes, result_transferred_bytes, 0)
DEFINE_RESULT (guint64, dirty_rate, result_dirty_rate, 0)
DEFINE_RESULT (guint, throttle_pct, result_throttle_pct, 0)
DEFINE_RESULT (gboolean, postcopy_used, result_postcopy, FALSE)
DEFINE_RESULT (gint64, target_id, result_target_id, -1)

/* Object */

static void
domus_migration_dispose (GObject *object)
{
  DomusMigration *self = DOMUS_MIGRATION (object);

  if (self->source != NULL)
    g_clear_signal_handler (&self->progress_handler, self->source);
  g_clear_object (&self->source);
  g_clear_object (&self->target);
  G_OBJECT_CLASS (domus_migration_parent_class)->dispose (object);
}

static void
domus_migration_finalize (GObject *object)
{
  DomusMigration *self = DOMUS_MIGRATION (object);

  g_free (self->name);
  G_OBJECT_CLASS (domus_migration_parent_class)->finalize (object);
}

static void
domus_migration_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  DomusMigration *self = DOMUS_MIGRATION (object);

  switch (prop_id)
    {
    case PROP_SOURCE:        g_value_set_object (value, self->source); break;
    case PROP_TARGET:        g_value_set_object (value, self->target); break;
    case PROP_NAME:          g_value_set_string (value, self->name); break;
    case PROP_LIVE:          g_value_set_boolean (value, self->live); break;
    case PROP_COPY_STORAGE:  g_value_set_boolean (value, self->copy_storage); break;
    case PROP_POSTCOPY:      g_value_set_boolean (value, self->postcopy); break;
    case PROP_BANDWIDTH_MIB: g_value_set_uint (value, self->bandwidth_mib); break;
    case PROP_DOWNTIME_MS:   g_value_set_uint (value, self->downtime_ms); break;
    case PROP_STAGE:         g_value_set_enum (value, self->stage); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_migration_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  DomusMigration *self = DOMUS_MIGRATION (object);

  switch (prop_id)
    {
    case PROP_SOURCE:        self->source = g_value_dup_object (value); break;
    case PROP_TARGET:        self->target = g_value_dup_object (value); break;
    case PROP_NAME:          self->name = g_value_dup_string (value); break;
    case PROP_LIVE:          domus_migration_set_live (self, g_value_get_boolean (value)); break;
    case PROP_COPY_STORAGE:  domus_migration_set_copy_storage (self, g_value_get_boolean (value)); break;
    case PROP_POSTCOPY:      domus_migration_set_postcopy (self, g_value_get_boolean (value)); break;
    case PROP_BANDWIDTH_MIB: domus_migration_set_bandwidth_mib (self, g_value_get_uint (value)); break;
    case PROP_DOWNTIME_MS:   domus_migration_set_downtime_limit_ms (self, g_value_get_uint (value)); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_migration_class_init (DomusMigrationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = domus_migration_dispose;
  object_class->finalize = domus_migration_finalize;
  object_class->get_property = domus_migration_get_property;
  object_class->set_property = domus_migration_set_property;

  properties[PROP_SOURCE] =
    g_param_spec_object ("source", NULL, NULL, DOMUS_TYPE_CONNECTION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TARGET] =
    g_param_spec_object ("target", NULL, NULL, DOMUS_TYPE_CONNECTION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LIVE] = g_param_spec_boolean ("live", NULL, NULL, TRUE, rw);
  properties[PROP_COPY_STORAGE] = g_param_spec_boolean ("copy-storage", NULL, NULL, FALSE, rw);
  properties[PROP_POSTCOPY] = g_param_spec_boolean ("postcopy", NULL, NULL, FALSE, rw);
  properties[PROP_BANDWIDTH_MIB] = g_param_spec_uint ("bandwidth-mib", NULL, NULL, 0, G_MAXUINT32, 0, rw);
  properties[PROP_DOWNTIME_MS] = g_param_spec_uint ("downtime-ms", NULL, NULL, 1, 60000, DEFAULT_DOWNTIME_MS, rw);
  properties[PROP_STAGE] =
    g_param_spec_enum ("stage", NULL, NULL, DOMUS_TYPE_MIGRATION_STAGE, DOMUS_MIGRATION_STAGE_IDLE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * DomusMigration::progress:
   * @progress: (type gpointer): a const DomusMigrationProgress *, valid during the emission
   *
   * The source reported how the stream goes (about every 100 ms while it runs).
   */
  signals[SIGNAL_PROGRESS] =
    g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
domus_migration_init (DomusMigration *self)
{
  self->live = TRUE;
  self->downtime_ms = DEFAULT_DOWNTIME_MS;
  self->result_target_id = -1;
}

DomusMigration *
domus_migration_new (DomusConnection *source,
                     DomusConnection *target,
                     const char      *name)
{
  g_return_val_if_fail (DOMUS_IS_CONNECTION (source), NULL);
  g_return_val_if_fail (DOMUS_IS_CONNECTION (target), NULL);
  g_return_val_if_fail (name != NULL && *name != '\0', NULL);

  return g_object_new (DOMUS_TYPE_MIGRATION, "source", source, "target", target, "name", name, NULL);
}
