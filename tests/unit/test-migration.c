/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DomusMigration between two hosts opened on scripted daemons: the calls on each side, on success and every failure. */

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <json-glib/json-glib.h>

#include "domus-host-driver.h"
#include "domus-host-private.h"
#include "domus-migration.h"
#include "test-util.h"

/* One scripted daemon on a Unix socket of its own; one client (the host) at a time. */
typedef struct {
  const char        *label;
  char              *dir;
  char              *path;
  GSocketService    *service;
  GIOStream         *stream;
  GDataInputStream  *input;
  GCancellable      *cancellable;
  GString           *log;            /* "method method:false …", in order */
  GHashTable        *results;        /* method -> JSON text */
  GHashTable        *errors;         /* method -> kind (message "scripted KIND") */
  GHashTable        *params;         /* method -> the params it last came with, as JSON text */
  const char        *hello_extra;    /* members added to hello's result ("" or ",\"features\":…") */
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
  if (fake->stream != NULL)
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

  /* The host's own handshake, not the migration's. */
  if (g_str_equal (method, "hello"))
    {
      g_autofree char *text = g_strdup_printf ("{\"jsonrpc\":\"2.0\",\"id\":%" G_GINT64_FORMAT ",\"result\":"
                                               "{\"protocol\":1,\"name\":\"%s\",\"capabilities\":[]%s}}",
                                               id, fake->label, fake->hello_extra);

      fake_send (fake, text);
      fake_read_next (fake);
      return;
    }
  if (fake->log->len > 0)
    g_string_append_c (fake->log, ' ');
  g_string_append (fake->log, method);
  if (params != NULL && json_object_has_member (params, "success"))
    key = g_strconcat (method, json_object_get_boolean_member (params, "success") ? ":true" : ":false", NULL);
  else
    key = g_strdup (method);
  g_string_append (fake->log, key + strlen (method));
  if (params != NULL)
    {
      g_autoptr(JsonNode) copy = json_node_init_object (json_node_alloc (), params);

      g_hash_table_insert (fake->params, g_strdup (method), json_to_string (copy, FALSE));
    }

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

static gboolean
on_fake_incoming (GSocketService    *service,
                  GSocketConnection *connection,
                  GObject           *source_object,
                  gpointer           user_data)
{
  Fake *fake = user_data;

  g_assert_null (fake->stream);
  fake->stream = G_IO_STREAM (g_object_ref (connection));
  fake->input = g_data_input_stream_new (g_io_stream_get_input_stream (fake->stream));
  fake_read_next (fake);
  return TRUE;
}

static void
on_opened (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* A host opened on address, as domusctl opens one. */
static DomusHost *
open_host (DomusHost *host)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint limit = test_wait_limit ("a host to open");

  domus_host_open_async (host, NULL, on_opened, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (limit);
  g_assert_true (domus_host_open_finish (host, result, &error));
  g_assert_no_error (error);
  return host;
}

/* The daemon, and the host the client opens on it; hello_extra: see Fake. */
static Fake *
fake_new (const char  *label,
          const char  *hello_extra,
          DomusHost  **client)
{
  Fake *fake = g_new0 (Fake, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = NULL;

  fake->label = label;
  fake->hello_extra = hello_extra != NULL ? hello_extra : "";
  fake->params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  fake->dir = g_dir_make_tmp ("test-migration-XXXXXX", &error);
  g_assert_no_error (error);
  fake->path = g_build_filename (fake->dir, "domusd.sock", NULL);
  fake->service = test_listen_unix (fake->path, G_CALLBACK (on_fake_incoming), fake);
  fake->cancellable = g_cancellable_new ();
  fake->log = g_string_new (NULL);
  fake->results = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  fake->errors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  fake->held_id = -1;

  uri = g_strconcat ("unix:", fake->path, NULL);
  *client = open_host (domus_host_new (uri));
  return fake;
}

static void
fake_free (Fake *fake)
{
  fake_hang_up (fake);
  g_socket_service_stop (fake->service);
  g_socket_listener_close (G_SOCKET_LISTENER (fake->service));
  g_clear_object (&fake->service);
  g_unlink (fake->path);
  g_rmdir (fake->dir);
  g_free (fake->path);
  g_free (fake->dir);
  /* Let the cancelled read finish before its user data goes. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&fake->input);
  g_clear_object (&fake->stream);
  g_clear_object (&fake->cancellable);
  g_string_free (fake->log, TRUE);
  g_hash_table_unref (fake->results);
  g_hash_table_unref (fake->errors);
  g_hash_table_unref (fake->params);
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
  DomusHost       *source_host;
  DomusHost       *target_host;
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

/* hello_extra: each daemon's, as fake_new() takes it. */
static void
scene_init_hello (Scene      *scene,
                  const char *state,
                  const char *source_hello_extra,
                  const char *target_hello_extra)
{
  g_autofree char *domain = g_strdup_printf ("{\"name\":\"mover\",\"state\":\"%s\",\"disks\":"
                                             "[{\"path\":\"/img/a.raw\",\"size_bytes\":1048576}]}", state);

  memset (scene, 0, sizeof *scene);
  scene->source = fake_new ("source", source_hello_extra, &scene->source_host);
  scene->target = fake_new ("target", target_hello_extra, &scene->target_host);
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
  scene->migration = domus_migration_new (scene->source_host, scene->target_host, "mover");
  scene->cancellable = g_cancellable_new ();
  scene->progress = g_string_new (NULL);
  g_signal_connect (scene->migration, "progress", G_CALLBACK (on_progress), scene);
}

static void
scene_init (Scene      *scene,
            const char *state)
{
  scene_init_hello (scene, state, NULL, NULL);
}

static void
scene_clear (Scene *scene)
{
  g_clear_object (&scene->migration);
  domus_host_disconnect (scene->source_host);
  domus_host_disconnect (scene->target_host);
  g_clear_object (&scene->source_host);
  g_clear_object (&scene->target_host);
  fake_free (scene->source);
  fake_free (scene->target);
  g_clear_object (&scene->cancellable);
  g_clear_error (&scene->error);
  g_string_free (scene->progress, TRUE);
}

/* Runs the main context until the fake has logged `method`. */
static void
wait_logged (Fake       *fake,
             const char *method)
{
  guint limit = test_wait_limit (method);

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
  test_wait_until (&scene.done);

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

/* Encryption: the key the client makes and hands to both daemons */

#define TLS_FEATURE ",\"features\":[\"migration-tls\"]"
#define LOOPBACK_TARGET TLS_FEATURE ",\"relocation\":{\"enabled\":true,\"address\":\"127.0.0.1\"}"
#define NETWORK_TARGET TLS_FEATURE ",\"relocation\":{\"enabled\":true,\"address\":\"192.0.2.7\"}"
#define PREPARED_TLS "{\"id\":\"tok1\",\"uri\":\"tcp:192.0.2.7:4444\",\"nbd\":null,\"tls\":true}"

/* The tls_psk method last came with, or NULL. */
static char *
tls_psk_of (Fake       *fake,
            const char *method)
{
  const char *text = g_hash_table_lookup (fake->params, method);
  g_autoptr(JsonNode) node = NULL;
  JsonObject *params;

  g_assert_nonnull (text);
  node = json_from_string (text, NULL);
  params = json_node_get_object (node);
  return json_object_has_member (params, "tls_psk")
         ? g_strdup (json_object_get_string_member (params, "tls_psk")) : NULL;
}

/* prepare and perform got the same key: 32 bytes as hex digits; returns it. */
static char *
assert_one_key (Scene *scene)
{
  g_autofree char *prepared = tls_psk_of (scene->target, "migration.prepare");
  g_autofree char *performed = tls_psk_of (scene->source, "migration.perform");

  g_assert_nonnull (prepared);
  g_assert_cmpuint (strlen (prepared), ==, 64);
  g_assert_cmpuint (strspn (prepared, "0123456789abcdef"), ==, 64);
  g_assert_cmpstr (performed, ==, prepared);
  return g_steal_pointer (&prepared);
}

/* Asked for on loopback: both daemons get one key, and the result says encrypted. */
static void
test_encrypt_asked (void)
{
  Scene scene;
  g_autofree char *key = NULL;
  g_autofree char *second = NULL;

  scene_init_hello (&scene, "running", TLS_FEATURE, LOOPBACK_TARGET);
  g_assert_cmpint (domus_migration_get_encryption (scene.migration), ==, DOMUS_MIGRATION_ENCRYPTION_OPTIONAL);
  fake_result (scene.target, "migration.prepare", PREPARED_TLS);
  domus_migration_set_encrypt (scene.migration, TRUE);
  scene_start (&scene);
  test_wait_until (&scene.done);

  g_assert_no_error (scene.error);
  g_assert_cmpstr (scene.source->log->str, ==,
                   "domain.get domain.get_config migration.perform migration.confirm:true");
  key = assert_one_key (&scene);
  g_assert_true (domus_migration_get_encrypted (scene.migration));

  /* A new migration, a new key. */
  g_clear_object (&scene.migration);
  scene.done = FALSE;
  scene.migration = domus_migration_new (scene.source_host, scene.target_host, "mover");
  domus_migration_set_encrypt (scene.migration, TRUE);
  scene_start (&scene);
  test_wait_until (&scene.done);
  g_assert_no_error (scene.error);
  second = assert_one_key (&scene);
  g_assert_cmpstr (second, !=, key);
  scene_clear (&scene);
}

/* Not asked for, to loopback: in clear, no key anywhere. */
static void
test_encrypt_not_asked (void)
{
  Scene scene;
  g_autofree char *prepared = NULL;
  g_autofree char *performed = NULL;

  scene_init_hello (&scene, "running", TLS_FEATURE, LOOPBACK_TARGET);
  scene_start (&scene);
  test_wait_until (&scene.done);

  g_assert_no_error (scene.error);
  prepared = tls_psk_of (scene.target, "migration.prepare");
  performed = tls_psk_of (scene.source, "migration.perform");
  g_assert_null (prepared);
  g_assert_null (performed);
  g_assert_false (domus_migration_get_encrypted (scene.migration));
  scene_clear (&scene);
}

/* A target on a network address: encrypted without being asked. */
static void
test_encrypt_required (void)
{
  Scene scene;
  g_autofree char *key = NULL;

  scene_init_hello (&scene, "running", TLS_FEATURE, NETWORK_TARGET);
  g_assert_cmpint (domus_migration_get_encryption (scene.migration), ==, DOMUS_MIGRATION_ENCRYPTION_REQUIRED);
  g_assert_false (domus_migration_get_encrypt (scene.migration));
  fake_result (scene.target, "migration.prepare", PREPARED_TLS);
  scene_start (&scene);
  test_wait_until (&scene.done);

  g_assert_no_error (scene.error);
  key = assert_one_key (&scene);
  g_assert_true (domus_migration_get_encrypted (scene.migration));
  scene_clear (&scene);
}

/* A daemon without the feature would take the key and send in clear: nothing is asked of either. */
static void
test_encrypt_unavailable (void)
{
  Scene scene;

  scene_init_hello (&scene, "running", NULL, LOOPBACK_TARGET);
  g_assert_cmpint (domus_migration_get_encryption (scene.migration), ==, DOMUS_MIGRATION_ENCRYPTION_UNAVAILABLE);
  domus_migration_set_encrypt (scene.migration, TRUE);
  scene_start (&scene);
  test_wait_until (&scene.done);

  g_assert_error (scene.error, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (scene.error->message, "source"));
  g_assert_cmpstr (scene.source->log->str, ==, "");
  g_assert_cmpstr (scene.target->log->str, ==, "");
  scene_clear (&scene);
}

/* An older source to a target that requires it: refused without being asked, saying why. */
static void
test_encrypt_required_unavailable (void)
{
  Scene scene;

  scene_init_hello (&scene, "running", NULL, NETWORK_TARGET);
  scene_start (&scene);
  test_wait_until (&scene.done);

  g_assert_error (scene.error, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (scene.error->message, "takes only encrypted"));
  g_assert_cmpstr (scene.source->log->str, ==, "");
  g_assert_cmpstr (scene.target->log->str, ==, "");
  scene_clear (&scene);
}

static void on_check_done (GObject *object, GAsyncResult *result, gpointer user_data);

/* The checks say it before a run: the client adds its own, failed, naming the old host. */
static void
test_encrypt_check (void)
{
  Scene scene;
  g_autoptr(GPtrArray) checks = NULL;
  DomusMigrationCheck *last;

  scene_init_hello (&scene, "running", NULL, LOOPBACK_TARGET);
  domus_migration_set_encrypt (scene.migration, TRUE);
  g_object_set_data (G_OBJECT (scene.migration), "checks", &checks);
  domus_migration_check_async (scene.migration, NULL, on_check_done, &scene);
  test_wait_until (&scene.done);

  g_assert_no_error (scene.error);
  g_assert_cmpuint (checks->len, ==, 3);
  last = g_ptr_array_index (checks, 2);
  g_assert_cmpstr (last->id, ==, "encryption");
  g_assert_false (last->ok);
  g_assert_nonnull (strstr (last->message, "source"));
  scene_clear (&scene);
}

/* A target that got a key but does not say tls: true: rolled back before the source sends. */
static void
test_encrypt_not_confirmed (void)
{
  Scene scene;

  scene_init_hello (&scene, "running", TLS_FEATURE, LOOPBACK_TARGET);
  domus_migration_set_encrypt (scene.migration, TRUE);
  scene_start (&scene);
  test_wait_until (&scene.done);

  g_assert_error (scene.error, DOMUS_ERROR, DOMUS_ERROR_PROTOCOL);
  g_assert_cmpstr (scene.target->log->str, ==, "migration.prepare migration.finish:false");
  g_assert_cmpstr (scene.source->log->str, ==, "domain.get domain.get_config migration.confirm:false");
  g_assert_false (domus_migration_get_encrypted (scene.migration));
  scene_clear (&scene);
}

static void
test_refused (void)
{
  Scene scene;

  scene_init (&scene, "running");
  fake_error (scene.target, "migration.prepare", "migration-refused");
  scene_start (&scene);
  test_wait_until (&scene.done);

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
  test_wait_until (&scene.done);

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
  test_wait_until (&scene.done);

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
  test_wait_until (&scene.done);

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
  test_wait_until (&scene.done);

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
  test_wait_until (&scene.done);

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
  test_wait_until (&scene.done);

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
  test_wait_until (&scene.done);

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
  test_wait_until (&scene.done);

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
  test_wait_until (&scene.done);

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

/* A host of another kind: it connects and says who it is, and nothing more. */

#define TEST_TYPE_DRIVER (test_driver_get_type ())
G_DECLARE_FINAL_TYPE (TestDriver, test_driver, TEST, DRIVER, DomusHostDriver)

struct _TestDriver
{
  DomusHostDriver parent_instance;
};

G_DEFINE_FINAL_TYPE (TestDriver, test_driver, DOMUS_TYPE_HOST_DRIVER)

static void
test_driver_connect (DomusHostDriver *driver,
                     GTlsInteraction *interaction,
                     const char      *accept_host_key,
                     GTask           *task)
{
  DomusHostFacts *facts = domus_host_facts_new ();

  facts->name = g_strdup ("elsewhere");
  g_task_return_pointer (task, facts, (GDestroyNotify) domus_host_facts_free);
  g_object_unref (task);
}

static void
test_driver_close (DomusHostDriver *driver,
                   guint            wait_ms)
{
}

static void
test_driver_class_init (TestDriverClass *klass)
{
  DomusHostDriverClass *driver_class = DOMUS_HOST_DRIVER_CLASS (klass);

  driver_class->kind = "test";
  driver_class->connect = test_driver_connect;
  driver_class->close = test_driver_close;
}

static void
test_driver_init (TestDriver *self)
{
}

static void
on_check_result (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Scene *scene = user_data;

  g_assert_null (domus_migration_check_finish (DOMUS_MIGRATION (object), result, &scene->error));
  scene->done = TRUE;
}

/* Hosts of two kinds: refused before either is asked anything, whatever the call. */
static void
test_kind_mismatch (void)
{
  Scene scene;
  g_autoptr(DomusHost) other = open_host (_domus_host_new_for_driver ("test:///nowhere", TEST_TYPE_DRIVER));
  g_autoptr(DomusMigration) to_other = NULL;
  g_autoptr(DomusMigration) from_other = NULL;

  scene_init (&scene, "running");
  g_assert_cmpstr (domus_host_get_kind (other), ==, "test");
  to_other = domus_migration_new (scene.source_host, other, "mover");
  domus_migration_run_async (to_other, NULL, on_run_done, &scene);
  test_wait_until (&scene.done);
  g_assert_error (scene.error, DOMUS_ERROR, DOMUS_ERROR_HOST_KIND_MISMATCH);
  g_assert_nonnull (strstr (scene.error->message, "elsewhere"));
  g_assert_cmpint (domus_migration_get_stage (to_other), ==, DOMUS_MIGRATION_STAGE_IDLE);
  g_clear_error (&scene.error);

  scene.done = FALSE;
  from_other = domus_migration_new (other, scene.target_host, "mover");
  domus_migration_check_async (from_other, NULL, on_check_result, &scene);
  test_wait_until (&scene.done);
  g_assert_error (scene.error, DOMUS_ERROR, DOMUS_ERROR_HOST_KIND_MISMATCH);

  g_assert_cmpstr (scene.source->log->str, ==, "");
  g_assert_cmpstr (scene.target->log->str, ==, "");
  scene_clear (&scene);
}

/* The guests' calls on a kind without them: refused here, naming the kind, the driver never asked. */
static void
on_progress_freed (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

static void
test_other_kind_guests (void)
{
  g_autoptr(DomusHost) other = open_host (_domus_host_new_for_driver ("test:///nowhere", TEST_TYPE_DRIVER));
  g_autoptr(DomusDebianRequest) request = domus_debian_request_new ();
  g_autoptr(GAsyncResult) snapshots = NULL;
  g_autoptr(GAsyncResult) built = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) none = NULL;
  g_autoptr(DomusNewGuest) guest = NULL;
  gboolean freed = FALSE;

  domus_host_list_snapshots_async (other, "mover", NULL, on_opened, &snapshots);
  while (snapshots == NULL)
    g_main_context_iteration (NULL, TRUE);
  none = domus_host_list_snapshots_finish (other, snapshots, &error);
  g_assert_null (none);
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "a test host"));
  g_clear_error (&error);

  domus_host_build_debian_guest_async (other, "deb", request, NULL, &freed, on_progress_freed, NULL,
                                       on_opened, &built);
  while (built == NULL)
    g_main_context_iteration (NULL, TRUE);
  guest = domus_host_build_guest_finish (other, built, &error);
  g_assert_null (guest);
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED);
  /* The caller's progress data is let go all the same. */
  g_assert_true (freed);
}

/* start_on: defined and started on the target, then the source lets go of its config. */
static void
on_start_on_done (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Scene *scene = user_data;

  scene->ok = domus_migration_start_on_finish (DOMUS_MIGRATION (object), result, &scene->error);
  scene->done = TRUE;
}

static void
test_start_on (void)
{
  Scene scene;

  scene_init (&scene, "shutoff");
  fake_result (scene.target, "migration.check", "{\"ok\":true,\"checks\":[{\"id\":\"disks\",\"ok\":true,\"message\":\"shared\"}]}");
  fake_result (scene.target, "domain.start", "{\"name\":\"mover\",\"id\":12}");
  domus_migration_start_on_async (scene.migration, NULL, on_start_on_done, &scene);
  test_wait_until (&scene.done);

  g_assert_no_error (scene.error);
  g_assert_true (scene.ok);
  g_assert_cmpstr (scene.source->log->str, ==, "domain.get domain.get_config migration.confirm:true");
  g_assert_cmpstr (scene.target->log->str, ==, "migration.check domain.define domain.start");
  g_assert_cmpint (domus_migration_get_target_id (scene.migration), ==, 12);
  g_assert_cmpint (domus_migration_get_stage (scene.migration), ==, DOMUS_MIGRATION_STAGE_DONE);
  scene_clear (&scene);
}

/* Starting there fails: the target's copy is undefined again, the source keeps its config. */
static void
test_start_on_start_fails (void)
{
  Scene scene;

  scene_init (&scene, "shutoff");
  fake_result (scene.target, "migration.check", "{\"ok\":true,\"checks\":[]}");
  fake_error (scene.target, "domain.start", "invalid-config");
  domus_migration_start_on_async (scene.migration, NULL, on_start_on_done, &scene);
  test_wait_until (&scene.done);

  g_assert_error (scene.error, DOMUS_ERROR, DOMUS_ERROR_INVALID_CONFIG);
  g_assert_nonnull (strstr (scene.error->message, "scripted invalid-config"));
  g_assert_cmpstr (scene.target->log->str, ==, "migration.check domain.define domain.start domain.undefine");
  g_assert_cmpstr (scene.source->log->str, ==, "domain.get domain.get_config");
  g_assert_cmpint (domus_migration_get_stage (scene.migration), ==, DOMUS_MIGRATION_STAGE_FAILED);
  scene_clear (&scene);
}

/* A running domain does not start elsewhere: refused before the target is asked. */
static void
test_start_on_running (void)
{
  Scene scene;

  scene_init (&scene, "running");
  domus_migration_start_on_async (scene.migration, NULL, on_start_on_done, &scene);
  test_wait_until (&scene.done);

  g_assert_error (scene.error, DOMUS_ERROR, DOMUS_ERROR_ALREADY_RUNNING);
  g_assert_cmpstr (scene.target->log->str, ==, "");
  scene_clear (&scene);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/migration/success", test_success);
  g_test_add_func ("/migration/refused", test_refused);
  g_test_add_func ("/migration/encrypt-asked", test_encrypt_asked);
  g_test_add_func ("/migration/encrypt-not-asked", test_encrypt_not_asked);
  g_test_add_func ("/migration/encrypt-required", test_encrypt_required);
  g_test_add_func ("/migration/encrypt-unavailable", test_encrypt_unavailable);
  g_test_add_func ("/migration/encrypt-not-confirmed", test_encrypt_not_confirmed);
  g_test_add_func ("/migration/encrypt-check", test_encrypt_check);
  g_test_add_func ("/migration/encrypt-required-unavailable", test_encrypt_required_unavailable);
  g_test_add_func ("/migration/not-running", test_not_running);
  g_test_add_func ("/migration/perform-fails", test_perform_fails);
  g_test_add_func ("/migration/cancel", test_cancel);
  g_test_add_func ("/migration/cancel-while-preparing", test_cancel_while_preparing);
  g_test_add_func ("/migration/target-dies-while-performing", test_target_dies_while_performing);
  g_test_add_func ("/migration/target-lost-after-completion", test_target_lost_after_completion);
  g_test_add_func ("/migration/finish-refused", test_finish_refused);
  g_test_add_func ("/migration/confirm-fails", test_confirm_fails);
  g_test_add_func ("/migration/check", test_check);
  g_test_add_func ("/migration/kind-mismatch", test_kind_mismatch);
  g_test_add_func ("/migration/other-kind-guests", test_other_kind_guests);
  g_test_add_func ("/migration/start-on", test_start_on);
  g_test_add_func ("/migration/start-on-start-fails", test_start_on_start_fails);
  g_test_add_func ("/migration/start-on-running", test_start_on_running);
  return g_test_run ();
}
