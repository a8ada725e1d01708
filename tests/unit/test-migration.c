/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DomusMigration against two scripted daemons on socket pairs: the calls on each side, on success and every failure. */

#include "config.h"

#include <string.h>
#include <sys/socket.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "domus-migration.h"

/* No test should come near this; it turns a hang into a failure. */
#define WAIT_LIMIT_SECONDS 10

/* One scripted daemon: the far end of a socket pair. */
typedef struct {
  const char        *label;
  GIOStream         *stream;
  GDataInputStream  *input;
  GCancellable      *cancellable;
  GString           *log;            /* "method method:false …", in order */
  GHashTable        *results;        /* method -> JSON text */
  GHashTable        *errors;         /* method -> kind (message "scripted KIND") */
  char              *hold;           /* a method answered only when migration.cancel comes */
  gint64             held_id;        /* its id, or -1 */
  char              *close_on;       /* a method on which the daemon hangs up instead */
  gboolean           closed;
} Fake;

static void fake_read_next (Fake *fake);

static void
fake_send (Fake       *fake,
           const char *text)
{
  g_autofree char *line = g_strconcat (text, "\n", NULL);

  if (fake->closed)
    return;
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (fake->stream),
                                            line, strlen (line), NULL, NULL, NULL));
}

/* key: "method" or "method:true" / "method:false" for one value of `success`. */
static void
fake_answer (Fake       *fake,
             gint64      id,
             const char *key)
{
  g_autofree char *method = g_strndup (key, strcspn (key, ":"));
  const char *kind = g_hash_table_lookup (fake->errors, key);
  const char *result = g_hash_table_lookup (fake->results, method);
  g_autofree char *text = NULL;

  if (kind == NULL)
    kind = g_hash_table_lookup (fake->errors, method);
  if (kind != NULL)
    text = g_strdup_printf ("{\"jsonrpc\":\"2.0\",\"id\":%" G_GINT64_FORMAT ",\"error\":{\"code\":1000,"
                            "\"message\":\"scripted %s\",\"data\":{\"kind\":\"%s\"}}}", id, kind, kind);
  else
    text = g_strdup_printf ("{\"jsonrpc\":\"2.0\",\"id\":%" G_GINT64_FORMAT ",\"result\":%s}",
                            id, result != NULL ? result : "{}");
  fake_send (fake, text);
}

static void
fake_hang_up (Fake *fake)
{
  if (fake->closed)
    return;
  fake->closed = TRUE;
  g_cancellable_cancel (fake->cancellable);
  g_io_stream_close (fake->stream, NULL, NULL);
}

static void
on_fake_line (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Fake *fake = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), result,
                                                                NULL, &error);
  g_autoptr(JsonNode) node = NULL;
  JsonObject *request;
  JsonObject *params;
  const char *method;
  g_autofree char *key = NULL;
  gint64 id;

  if (line == NULL)
    return;   /* closed or cancelled */
  node = json_from_string (line, &error);
  g_assert_no_error (error);
  request = json_node_get_object (node);
  method = json_object_get_string_member (request, "method");
  id = json_object_get_int_member (request, "id");
  params = json_object_has_member (request, "params") ? json_object_get_object_member (request, "params") : NULL;

  if (fake->log->len > 0)
    g_string_append_c (fake->log, ' ');
  g_string_append (fake->log, method);
  if (params != NULL && json_object_has_member (params, "success"))
    key = g_strconcat (method, json_object_get_boolean_member (params, "success") ? ":true" : ":false", NULL);
  else
    key = g_strdup (method);
  g_string_append (fake->log, key + strlen (method));

  if (g_strcmp0 (method, fake->close_on) == 0)
    {
      fake_hang_up (fake);
      return;
    }
  if (g_strcmp0 (method, fake->hold) == 0)
    fake->held_id = id;
  else
    {
      fake_answer (fake, id, key);
      if (g_strcmp0 (method, "migration.cancel") == 0 && fake->held_id >= 0)
        {
          /* As the daemon does: the pending perform fails once QEMU stopped. */
          g_hash_table_insert (fake->errors, g_strdup (fake->hold), g_strdup ("cancelled"));
          fake_answer (fake, fake->held_id, fake->hold);
          fake->held_id = -1;
        }
    }
  fake_read_next (fake);
}

static void
fake_read_next (Fake *fake)
{
  g_data_input_stream_read_line_async (fake->input, G_PRIORITY_DEFAULT, fake->cancellable,
                                       on_fake_line, fake);
}

static void
fake_notify (Fake       *fake,
             const char *method,
             const char *params)
{
  g_autofree char *text = g_strdup_printf ("{\"jsonrpc\":\"2.0\",\"method\":\"%s\",\"params\":%s}",
                                           method, params);
  fake_send (fake, text);
}

/* The client's end becomes a DomusConnection. */
static Fake *
fake_new (const char       *label,
          DomusConnection **client)
{
  Fake *fake = g_new0 (Fake, 1);
  g_autoptr(GSocket) ours = NULL;
  g_autoptr(GSocket) theirs = NULL;
  g_autoptr(GSocketConnection) client_stream = NULL;
  int fds[2];

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
  ours = g_socket_new_from_fd (fds[0], NULL);
  theirs = g_socket_new_from_fd (fds[1], NULL);
  g_assert_nonnull (ours);
  g_assert_nonnull (theirs);

  fake->label = label;
  fake->stream = G_IO_STREAM (g_socket_connection_factory_create_connection (ours));
  fake->input = g_data_input_stream_new (g_io_stream_get_input_stream (fake->stream));
  fake->cancellable = g_cancellable_new ();
  fake->log = g_string_new (NULL);
  fake->results = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  fake->errors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  fake->held_id = -1;
  fake_read_next (fake);

  client_stream = g_socket_connection_factory_create_connection (theirs);
  *client = domus_connection_new (G_IO_STREAM (client_stream));
  return fake;
}

static void
fake_free (Fake *fake)
{
  fake_hang_up (fake);
  /* Let the cancelled read finish before its user data goes. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&fake->input);
  g_clear_object (&fake->stream);
  g_clear_object (&fake->cancellable);
  g_string_free (fake->log, TRUE);
  g_hash_table_unref (fake->results);
  g_hash_table_unref (fake->errors);
  g_free (fake->hold);
  g_free (fake->close_on);
  g_free (fake);
}

static void
fake_result (Fake       *fake,
             const char *method,
             const char *json)
{
  g_hash_table_insert (fake->results, g_strdup (method), g_strdup (json));
}

static void
fake_error (Fake       *fake,
            const char *method,
            const char *kind)
{
  g_hash_table_insert (fake->errors, g_strdup (method), g_strdup (kind));
}

/* A scene: the two daemons and the migration between them. */

typedef struct {
  DomusConnection *source_connection;
  DomusConnection *target_connection;
  Fake            *source;
  Fake            *target;
  DomusMigration  *migration;
  GCancellable    *cancellable;
  gboolean         done;
  gboolean         ok;
  GError          *error;
  GString         *progress;       /* the phases the "progress" signal gave */
} Scene;

static void
on_progress (DomusMigration               *migration,
             const DomusMigrationProgress *progress,
             gpointer                      user_data)
{
  Scene *scene = user_data;

  g_string_append_printf (scene->progress, "%s%s/%" G_GUINT64_FORMAT, scene->progress->len > 0 ? " " : "",
                          progress->phase, progress->transferred_bytes);
}

static void
scene_init (Scene      *scene,
            const char *state)
{
  g_autofree char *domain = g_strdup_printf ("{\"name\":\"mover\",\"state\":\"%s\",\"disks\":"
                                             "[{\"path\":\"/img/a.raw\",\"size_bytes\":1048576}]}", state);

  memset (scene, 0, sizeof *scene);
  scene->source = fake_new ("source", &scene->source_connection);
  scene->target = fake_new ("target", &scene->target_connection);
  fake_result (scene->source, "domain.get", domain);
  fake_result (scene->source, "domain.get_config", "{\"config\":\"name = 'mover'\\n\",\"path\":\"/x\"}");
  fake_result (scene->target, "migration.prepare", "{\"id\":\"tok1\",\"uri\":\"tcp:127.0.0.1:4444\",\"nbd\":null}");
  fake_result (scene->source, "migration.perform",
               "{\"downtime_ms\":3,\"total_ms\":250,\"setup_ms\":2,\"transferred_bytes\":90000000,"
               "\"dirty_rate_bytes_per_s\":4096,\"auto_converge_throttle_pct\":30,\"postcopy\":false}");
  fake_result (scene->target, "migration.finish", "{\"name\":\"mover\",\"id\":7}");
  fake_result (scene->target, "migration.check",
               "{\"ok\":false,\"checks\":[{\"id\":\"memory\",\"ok\":true,\"message\":\"enough\"},"
               "{\"id\":\"disks\",\"ok\":false,\"message\":\"use --copy-storage\"}]}");
  scene->migration = domus_migration_new (scene->source_connection, scene->target_connection, "mover");
  scene->cancellable = g_cancellable_new ();
  scene->progress = g_string_new (NULL);
  g_signal_connect (scene->migration, "progress", G_CALLBACK (on_progress), scene);
}

static void
scene_clear (Scene *scene)
{
  g_clear_object (&scene->migration);
  domus_connection_close (scene->source_connection);
  domus_connection_close (scene->target_connection);
  g_clear_object (&scene->source_connection);
  g_clear_object (&scene->target_connection);
  fake_free (scene->source);
  fake_free (scene->target);
  g_clear_object (&scene->cancellable);
  g_clear_error (&scene->error);
  g_string_free (scene->progress, TRUE);
}

static gboolean
on_wait_limit (gpointer user_data)
{
  g_error ("a migration did not end within %d s", WAIT_LIMIT_SECONDS);
  return G_SOURCE_REMOVE;
}

static void
wait_for (gboolean *flag)
{
  guint limit = g_timeout_add_seconds (WAIT_LIMIT_SECONDS, on_wait_limit, NULL);

  while (!*flag)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (limit);
}

/* Runs the main context until the fake has logged `method`. */
static void
wait_logged (Fake       *fake,
             const char *method)
{
  guint limit = g_timeout_add_seconds (WAIT_LIMIT_SECONDS, on_wait_limit, NULL);

  while (strstr (fake->log->str, method) == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (limit);
}

static void
on_run_done (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Scene *scene = user_data;

  scene->ok = domus_migration_run_finish (DOMUS_MIGRATION (object), result, &scene->error);
  scene->done = TRUE;
}

static void
scene_start (Scene *scene)
{
  domus_migration_run_async (scene->migration, scene->cancellable, on_run_done, scene);
}

/* Tests */

static void
test_success (void)
{
  Scene scene;

  scene_init (&scene, "running");
  scene_start (&scene);
  wait_logged (scene.source, "migration.perform");
  g_assert_cmpint (domus_migration_get_stage (scene.migration), ==, DOMUS_MIGRATION_STAGE_MIGRATING);
  /* Progress for this domain reaches the signal; another domain's does not. */
  fake_notify (scene.source, "migration.progress",
               "{\"name\":\"other\",\"phase\":\"active\",\"transferred_bytes\":1}");
  fake_notify (scene.source, "migration.progress",
               "{\"name\":\"mover\",\"phase\":\"active\",\"transferred_bytes\":4096,\"total_bytes\":8192}");
  wait_for (&scene.done);

  g_assert_no_error (scene.error);
  g_assert_true (scene.ok);
  g_assert_cmpstr (scene.source->log->str, ==,
                   "domain.get domain.get_config migration.perform migration.confirm:true");
  g_assert_cmpstr (scene.target->log->str, ==, "migration.prepare migration.finish:true");
  g_assert_cmpstr (scene.progress->str, ==, "active/4096");
  g_assert_cmpuint (domus_migration_get_downtime_ms (scene.migration), ==, 3);
  g_assert_cmpuint (domus_migration_get_migration_ms (scene.migration), ==, 250);
  g_assert_cmpuint (domus_migration_get_transferred_bytes (scene.migration), ==, 90000000);
  g_assert_cmpuint (domus_migration_get_throttle_pct (scene.migration), ==, 30);
  g_assert_cmpint (domus_migration_get_target_id (scene.migration), ==, 7);
  g_assert_cmpint (domus_migration_get_stage (scene.migration), ==, DOMUS_MIGRATION_STAGE_DONE);
  scene_clear (&scene);
}

static void
test_refused (void)
{
  Scene scene;

  scene_init (&scene, "running");
  fake_error (scene.target, "migration.prepare", "migration-refused");
  scene_start (&scene);
  wait_for (&scene.done);

  g_assert_error (scene.error, DOMUS_ERROR, DOMUS_ERROR_MIGRATION_REFUSED);
  g_assert_cmpstr (scene.error->message, ==, "scripted migration-refused");
  /* Nothing was started: nothing to undo, and the source is not touched. */
  g_assert_cmpstr (scene.source->log->str, ==, "domain.get domain.get_config");
  g_assert_cmpstr (scene.target->log->str, ==, "migration.prepare");
  g_assert_cmpint (domus_migration_get_stage (scene.migration), ==, DOMUS_MIGRATION_STAGE_FAILED);
  scene_clear (&scene);
}

static void
test_not_running (void)
{
  Scene scene;

  scene_init (&scene, "shutoff");
  scene_start (&scene);
  wait_for (&scene.done);

  g_assert_error (scene.error, DOMUS_ERROR, DOMUS_ERROR_NOT_RUNNING);
  g_assert_cmpstr (scene.target->log->str, ==, "");
  scene_clear (&scene);
}

static void
test_perform_fails (void)
{
  Scene scene;

  scene_init (&scene, "running");
  fake_error (scene.source, "migration.perform", "migration-failed");
  fake_error (scene.target, "migration.finish", "failed");   /* the rollback's trouble is not the cause */
  scene_start (&scene);
  wait_for (&scene.done);

  g_assert_error (scene.error, DOMUS_ERROR, DOMUS_ERROR_MIGRATION_FAILED);
  g_assert_cmpstr (scene.error->message, ==, "scripted migration-failed");
  g_assert_cmpstr (scene.target->log->str, ==, "migration.prepare migration.finish:false");
  g_assert_cmpstr (scene.source->log->str, ==,
                   "domain.get domain.get_config migration.perform migration.confirm:false");
  scene_clear (&scene);
}

static void
test_cancel (void)
{
  Scene scene;

  scene_init (&scene, "running");
  scene.source->hold = g_strdup ("migration.perform");
  scene_start (&scene);
  wait_logged (scene.source, "migration.perform");
  g_cancellable_cancel (scene.cancellable);
  wait_for (&scene.done);

  g_assert_error (scene.error, DOMUS_ERROR, DOMUS_ERROR_MIGRATION_CANCELLED);
  g_assert_cmpstr (scene.source->log->str, ==,
                   "domain.get domain.get_config migration.perform migration.cancel migration.confirm:false");
  g_assert_cmpstr (scene.target->log->str, ==, "migration.prepare migration.finish:false");
  scene_clear (&scene);
}

/* A cancel before perform: prepare is waited for, then the target is told to let go. */
static void
test_cancel_while_preparing (void)
{
  Scene scene;

  scene_init (&scene, "running");
  scene.target->hold = g_strdup ("migration.prepare");
  scene_start (&scene);
  wait_logged (scene.target, "migration.prepare");
  g_cancellable_cancel (scene.cancellable);
  /* Answer prepare late, as a daemon busy starting QEMU would. */
  fake_answer (scene.target, scene.target->held_id, "migration.prepare");
  wait_for (&scene.done);

  g_assert_error (scene.error, DOMUS_ERROR, DOMUS_ERROR_MIGRATION_CANCELLED);
  g_assert_cmpstr (scene.target->log->str, ==, "migration.prepare migration.finish:false");
  g_assert_cmpstr (scene.source->log->str, ==, "domain.get domain.get_config migration.confirm:false");
  scene_clear (&scene);
}

/* The target's daemon dies mid-stream: the client stops the source at once and rolls back. */
static void
test_target_dies_while_performing (void)
{
  Scene scene;

  scene_init (&scene, "running");
  scene.source->hold = g_strdup ("migration.perform");
  scene_start (&scene);
  wait_logged (scene.source, "migration.perform");
  fake_hang_up (scene.target);
  wait_for (&scene.done);

  g_assert_error (scene.error, DOMUS_ERROR, DOMUS_ERROR_MIGRATION_FAILED);
  g_assert_nonnull (strstr (scene.error->message, "target daemon went away"));
  g_assert_cmpstr (scene.source->log->str, ==,
                   "domain.get domain.get_config migration.perform migration.cancel migration.confirm:false");
  scene_clear (&scene);
}

/*
 * The stream completed, then the target hung up on finish: it may run the guest, so the
 * source must not be resumed (no confirm at all) and the error says so.
 */
static void
test_target_lost_after_completion (void)
{
  Scene scene;

  scene_init (&scene, "running");
  scene.target->close_on = g_strdup ("migration.finish");
  scene_start (&scene);
  wait_for (&scene.done);

  g_assert_error (scene.error, DOMUS_ERROR, DOMUS_ERROR_MIGRATION_INCOMPLETE);
  g_assert_nonnull (strstr (scene.error->message, "paused on the source"));
  g_assert_cmpstr (scene.source->log->str, ==, "domain.get domain.get_config migration.perform");
  scene_clear (&scene);
}

/* finish answered an error (the target dropped the guest): the source may resume. */
static void
test_finish_refused (void)
{
  Scene scene;

  scene_init (&scene, "running");
  fake_error (scene.target, "migration.finish:true", "migration-failed");
  scene_start (&scene);
  wait_for (&scene.done);

  g_assert_error (scene.error, DOMUS_ERROR, DOMUS_ERROR_MIGRATION_FAILED);
  g_assert_cmpstr (scene.target->log->str, ==, "migration.prepare migration.finish:true migration.finish:false");
  g_assert_cmpstr (scene.source->log->str, ==,
                   "domain.get domain.get_config migration.perform migration.confirm:false");
  scene_clear (&scene);
}

/* The guest runs on the target and the source cannot let go: no rollback, INCOMPLETE. */
static void
test_confirm_fails (void)
{
  Scene scene;

  scene_init (&scene, "running");
  fake_error (scene.source, "migration.confirm", "failed");
  scene_start (&scene);
  wait_for (&scene.done);

  g_assert_error (scene.error, DOMUS_ERROR, DOMUS_ERROR_MIGRATION_INCOMPLETE);
  g_assert_cmpstr (scene.target->log->str, ==, "migration.prepare migration.finish:true");
  g_assert_cmpstr (scene.source->log->str, ==,
                   "domain.get domain.get_config migration.perform migration.confirm:true");
  scene_clear (&scene);
}

static void
on_check_done (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Scene *scene = user_data;
  GPtrArray **checks = g_object_get_data (G_OBJECT (scene->migration), "checks");

  *checks = domus_migration_check_finish (DOMUS_MIGRATION (object), result, &scene->error);
  scene->done = TRUE;
}

static void
test_check (void)
{
  Scene scene;
  g_autoptr(GPtrArray) checks = NULL;
  DomusMigrationCheck *disks;

  scene_init (&scene, "running");
  g_object_set_data (G_OBJECT (scene.migration), "checks", &checks);
  domus_migration_check_async (scene.migration, NULL, on_check_done, &scene);
  wait_for (&scene.done);

  g_assert_no_error (scene.error);
  g_assert_cmpuint (checks->len, ==, 2);
  disks = g_ptr_array_index (checks, 1);
  g_assert_cmpstr (disks->id, ==, "disks");
  g_assert_false (disks->ok);
  g_assert_cmpstr (disks->message, ==, "use --copy-storage");
  g_assert_cmpstr (scene.target->log->str, ==, "migration.check");
  g_assert_cmpstr (scene.source->log->str, ==, "domain.get domain.get_config");
  scene_clear (&scene);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/migration/success", test_success);
  g_test_add_func ("/migration/refused", test_refused);
  g_test_add_func ("/migration/not-running", test_not_running);
  g_test_add_func ("/migration/perform-fails", test_perform_fails);
  g_test_add_func ("/migration/cancel", test_cancel);
  g_test_add_func ("/migration/cancel-while-preparing", test_cancel_while_preparing);
  g_test_add_func ("/migration/target-dies-while-performing", test_target_dies_while_performing);
  g_test_add_func ("/migration/target-lost-after-completion", test_target_lost_after_completion);
  g_test_add_func ("/migration/finish-refused", test_finish_refused);
  g_test_add_func ("/migration/confirm-fails", test_confirm_fails);
  g_test_add_func ("/migration/check", test_check);
  return g_test_run ();
}
