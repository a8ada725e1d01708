/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The migration.* methods: check, prepare and finish on the target; perform, confirm and cancel on the source. */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "domus-json-util.h"
#include "hv-daemon-private.h"
#include "hv-migration.h"

static void
fill_context (HvDaemon           *self,
              HvMigrationContext *context,
              char              **incoming_dir)
{
  *incoming_dir = g_build_filename (self->paths->config_dir, ".incoming", NULL);
  context->host = self->host;
  context->images = self->images;
  context->config = self->config;
  context->accel = self->accel;
  context->net_mode = self->options.net_mode;
  context->incoming_dir = *incoming_dir;
}

/* An array member, or NULL when absent or null; FALSE (and an error) for anything else. */
static gboolean
get_array_param (JsonNode    *params,
                 const char  *member,
                 JsonArray  **out,
                 GError     **error)
{
  JsonObject *object = domus_json_node_get_object (params);
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, HV_RPC_ERROR, HV_RPC_ERROR_INVALID_PARAMS, _("%s must be an array"), member);
      return FALSE;
    }
  *out = json_node_get_array (node);
  return TRUE;
}

/* An object member, or NULL when absent or null. */
static gboolean
get_nullable_object_param (JsonNode    *params,
                           const char  *member,
                           JsonObject **out,
                           GError     **error)
{
  JsonObject *object = domus_json_node_get_object (params);
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  return hv_rpc_params_get_object (params, member, out, error);
}

/* tls_psk: the migration's key, hex digits; NULL when absent. */
static gboolean
get_psk_param (JsonNode    *params,
               const char **psk,
               GError     **error)
{
  if (!hv_rpc_params_get_string (params, "tls_psk", NULL, psk, error))
    return FALSE;
  if (*psk != NULL && !hv_migration_psk_is_valid (*psk))
    {
      g_set_error (error, HV_RPC_ERROR, HV_RPC_ERROR_INVALID_PARAMS,
                   _("tls_psk must be %d to %d hexadecimal digits"),
                   2 * HV_MIGRATION_PSK_MIN_BYTES, 2 * HV_MIGRATION_PSK_MAX_BYTES);
      return FALSE;
    }
  return TRUE;
}

/* disks: [{path, size_bytes}]; an element that is not an object, or has no path, names no disk. */
static GArray *
read_disks (JsonArray *array)
{
  GArray *disks = g_array_new (FALSE, TRUE, sizeof (HvMigrationDisk));

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonObject *object = domus_json_node_get_object (json_array_get_element (array, i));
      HvMigrationDisk disk = {
        .path = domus_json_object_get_string (object, "path", NULL),
        .size_bytes = domus_json_object_get_int (object, "size_bytes", -1),
      };

      if (disk.path != NULL)
        g_array_append_val (disks, disk);
    }
  return disks;
}

/* request's strings and *disks live as long as params. */
static gboolean
read_request (JsonNode            *params,
              HvMigrationRequest  *request,
              GArray             **disks,
              GError             **error)
{
  JsonArray *array;

  memset (request, 0, sizeof *request);
  *disks = NULL;
  if (!hv_rpc_params_get_string (params, "config", NULL, &request->config_text, error) ||
      !hv_rpc_params_get_string (params, "name", NULL, &request->name, error) ||
      !hv_rpc_params_get_boolean (params, "copy_storage", FALSE, &request->copy_storage, error) ||
      !hv_rpc_params_get_boolean (params, "live", TRUE, &request->live, error) ||
      !hv_rpc_params_get_boolean (params, "postcopy", FALSE, &request->postcopy, error) ||
      !hv_rpc_params_get_string (params, "accelerator", NULL, &request->accelerator, error) ||
      !get_psk_param (params, &request->tls_psk, error) ||
      !get_array_param (params, "disks", &array, error))
    return FALSE;
  *disks = read_disks (array);
  request->disks = (const HvMigrationDisk *) (void *) (*disks)->data;
  request->n_disks = (*disks)->len;
  return TRUE;
}

/* The answer to a rollback (finish or confirm with success false): empty, or why the
 * migration had already failed here, so the client can tell its user the real cause
 * (say, hosts-allow) rather than what the other side saw (a broken pipe). */
static JsonNode *
rollback_result (const GError *failure)
{
  JsonNode *node = hv_daemon_new_empty_result ();

  if (failure != NULL)
    {
      g_autoptr(GError) mapped = hv_daemon_error_to_rpc (failure);
      JsonObject *object = json_node_get_object (node);

      json_object_set_string_member (object, "reason", mapped->message);
      json_object_set_string_member (object, "kind", hv_rpc_error_get_kind (mapped));
    }
  return node;
}

static HvMigration *
find_incoming_by_id (HvDaemon   *self,
                     const char *id)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->migrations);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (hv_migration_is_incoming (value) && g_strcmp0 (hv_migration_get_id (value), id) == 0)
      return value;
  return NULL;
}

/* A target side that failed by itself (hosts-allow, QEMU, a timeout) is gone before the
 * client's finish{false} comes: its reason is kept for that answer. A handful is plenty:
 * the client asks at once. */
#define MAX_REMEMBERED_FAILURES 16

static void
remember_failure (HvDaemon    *self,
                  HvMigration *migration)
{
  const GError *failure = hv_migration_get_failure (migration);

  if (!hv_migration_is_incoming (migration) || failure == NULL || hv_migration_get_id (migration) == NULL)
    return;
  if (g_hash_table_size (self->migration_failures) >= MAX_REMEMBERED_FAILURES)
    g_hash_table_remove_all (self->migration_failures);
  g_hash_table_replace (self->migration_failures, g_strdup (hv_migration_get_id (migration)),
                        g_error_copy (failure));
}

static void
on_migration_done (HvMigration *migration,
                   gpointer     user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  const char *name = hv_migration_get_name (migration);

  if (self->migrations != NULL && g_hash_table_lookup (self->migrations, name) == migration)
    {
      remember_failure (self, migration);
      g_signal_handlers_disconnect_by_data (migration, self);
      g_hash_table_remove (self->migrations, name);
    }
}

static void
on_migration_progress (HvMigration               *migration,
                       const HvMigrationProgress *progress,
                       gpointer                   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) params = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, hv_migration_get_name (migration));
  json_builder_set_member_name (builder, "phase");
  json_builder_add_string_value (builder, progress->phase);
  json_builder_set_member_name (builder, "transferred_bytes");
  json_builder_add_int_value (builder, progress->transferred_bytes);
  json_builder_set_member_name (builder, "remaining_bytes");
  json_builder_add_int_value (builder, progress->remaining_bytes);
  json_builder_set_member_name (builder, "total_bytes");
  json_builder_add_int_value (builder, progress->total_bytes);
  json_builder_set_member_name (builder, "dirty_rate_bytes_per_s");
  json_builder_add_int_value (builder, progress->dirty_rate_bytes_per_s);
  json_builder_set_member_name (builder, "expected_downtime_ms");
  json_builder_add_int_value (builder, progress->expected_downtime_ms);
  json_builder_set_member_name (builder, "mbps");
  json_builder_add_double_value (builder, progress->mbps);
  json_builder_set_member_name (builder, "disk_remaining_bytes");
  json_builder_add_int_value (builder, progress->disk_remaining_bytes);
  json_builder_end_object (builder);
  params = json_builder_get_root (builder);
  hv_rpc_server_broadcast (self->server, "migration.progress", params);
}

static void
track (HvDaemon    *self,
       HvMigration *migration)
{
  g_signal_connect (migration, "done", G_CALLBACK (on_migration_done), self);
  g_signal_connect (migration, "progress", G_CALLBACK (on_migration_progress), self);
  g_hash_table_replace (self->migrations, g_strdup (hv_migration_get_name (migration)), migration);
}

/* migration.check */

static void
method_migration_check (HvRpcCall *call,
                        JsonNode  *params,
                        gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GPtrArray) checks = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) disks = NULL;
  g_autofree char *incoming_dir = NULL;
  HvMigrationContext context;
  HvMigrationRequest request;
  gboolean ok = TRUE;

  fill_context (self, &context, &incoming_dir);
  if (!read_request (params, &request, &disks, &error) ||
      (checks = hv_migration_run_checks (&context, &request, &error)) == NULL)
    {
      hv_daemon_return_error (call, error);
      return;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "checks");
  json_builder_begin_array (builder);
  for (guint i = 0; i < checks->len; i++)
    {
      HvMigrationCheck *check = g_ptr_array_index (checks, i);

      ok = ok && check->ok;
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, check->id);
      json_builder_set_member_name (builder, "ok");
      json_builder_add_boolean_value (builder, check->ok);
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, check->message);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "ok");
  json_builder_add_boolean_value (builder, ok);
  json_builder_end_object (builder);
  hv_rpc_call_return (call, json_builder_get_root (builder));
}

/* migration.prepare */

static JsonNode *
prepared_result (HvMigration *migration)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  HvMigrationNbd nbd;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, hv_migration_get_id (migration));
  json_builder_set_member_name (builder, "uri");
  json_builder_add_string_value (builder, hv_migration_get_uri (migration));
  json_builder_set_member_name (builder, "tls");
  json_builder_add_boolean_value (builder, hv_migration_get_tls (migration));
  json_builder_set_member_name (builder, "nbd");
  if (hv_migration_get_nbd (migration, &nbd))
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "host");
      json_builder_add_string_value (builder, nbd.host);
      json_builder_set_member_name (builder, "port");
      json_builder_add_int_value (builder, nbd.port);
      json_builder_set_member_name (builder, "exports");
      json_builder_begin_object (builder);
      for (guint i = 0; i < nbd.n_exports; i++)
        {
          json_builder_set_member_name (builder, nbd.exports[i].disk_path);
          json_builder_add_string_value (builder, nbd.exports[i].export_name);
        }
      json_builder_end_object (builder);
      json_builder_end_object (builder);
    }
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
on_prepared (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  HvRpcCall *call = user_data;
  HvMigration *migration = HV_MIGRATION (source);
  g_autoptr(GError) error = NULL;

  if (!hv_migration_prepare_finish (migration, result, &error))
    hv_daemon_return_error (call, error);
  else
    hv_rpc_call_return (call, prepared_result (migration));
}

static void
method_migration_prepare (HvRpcCall *call,
                          JsonNode  *params,
                          gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(GPtrArray) checks = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) disks = NULL;
  g_autoptr(HvMigration) migration = NULL;
  g_autofree char *incoming_dir = NULL;
  HvMigrationContext context;
  HvMigrationRequest request;

  fill_context (self, &context, &incoming_dir);
  if (!read_request (params, &request, &disks, &error) ||
      (checks = hv_migration_run_checks (&context, &request, &error)) == NULL)
    {
      hv_daemon_return_error (call, error);
      return;
    }
  for (guint i = 0; i < checks->len; i++)
    {
      HvMigrationCheck *check = g_ptr_array_index (checks, i);

      if (!check->ok)
        {
          hv_rpc_call_return_new_error (call, HV_RPC_ERROR_MIGRATION_REFUSED, "%s: %s", check->id, check->message);
          return;
        }
    }
  if (request.name == NULL)
    {
      hv_rpc_call_return_new_error (call, HV_RPC_ERROR_INVALID_PARAMS, _("name is missing"));
      return;
    }
  if (g_hash_table_contains (self->migrations, request.name))
    {
      hv_rpc_call_return_new_error (call, HV_RPC_ERROR_MIGRATION_REFUSED,
                                    _("A migration of %s is already under way here"), request.name);
      return;
    }
  migration = hv_migration_new_incoming (&context, &request);
  track (self, g_object_ref (migration));
  hv_migration_prepare_async (migration, hv_rpc_call_get_cancellable (call), on_prepared, call);
}

/* migration.finish */

typedef struct {
  HvRpcCall *call;
  gboolean   success;
} FinishRequest;

static void
on_finished (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autofree FinishRequest *request = user_data;
  HvMigration *migration = HV_MIGRATION (source);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GError) error = NULL;
  HvDomain *domain;

  if (!hv_migration_finish_finish (migration, result, &error))
    {
      hv_daemon_return_error (request->call, error);
      return;
    }
  if (!request->success)
    {
      /* A refused peer did not end the migration, but it is likely why the source failed. */
      const GError *reason = hv_migration_get_failure (migration);

      hv_rpc_call_return (request->call, rollback_result (reason != NULL ? reason
                                                                         : hv_migration_get_refusal (migration)));
      return;
    }
  domain = hv_migration_get_domain (migration);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, hv_migration_get_name (migration));
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, domain != NULL ? hv_domain_get_id (domain) : 0);
  json_builder_end_object (builder);
  hv_rpc_call_return (request->call, json_builder_get_root (builder));
}

static void
method_migration_finish (HvRpcCall *call,
                         JsonNode  *params,
                         gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(GError) error = NULL;
  FinishRequest *request;
  const char *id;
  gboolean success, resume;
  HvMigration *migration;

  if (!hv_rpc_params_get_string (params, "id", NULL, &id, &error) ||
      !hv_rpc_params_get_boolean (params, "success", TRUE, &success, &error) ||
      !hv_rpc_params_get_boolean (params, "resume", TRUE, &resume, &error))
    {
      hv_rpc_call_return_error (call, error);
      return;
    }
  migration = id != NULL ? find_incoming_by_id (self, id) : NULL;
  if (migration == NULL)
    {
      /* finish{false} twice, or after the prepared state timed out: nothing is left to undo. */
      if (!success)
        hv_rpc_call_return (call, rollback_result (id != NULL ? g_hash_table_lookup (self->migration_failures, id)
                                                              : NULL));
      else
        hv_rpc_call_return_new_error (call, HV_RPC_ERROR_MIGRATION_FAILED,
                                      _("No prepared migration has the id “%s” (it failed or timed out)"),
                                      id != NULL ? id : "");
      return;
    }
  request = g_new0 (FinishRequest, 1);
  request->call = call;
  request->success = success;
  hv_migration_finish_async (migration, success, resume, hv_rpc_call_get_cancellable (call),
                             on_finished, request);
}

/* migration.perform */

static void
on_performed (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  HvRpcCall *call = user_data;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GError) error = NULL;
  HvMigrationOutcome outcome;

  if (!hv_migration_perform_finish (HV_MIGRATION (source), result, &outcome, &error))
    {
      hv_daemon_return_error (call, error);
      return;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "downtime_ms");
  json_builder_add_int_value (builder, outcome.downtime_ms);
  json_builder_set_member_name (builder, "total_ms");
  json_builder_add_int_value (builder, outcome.total_ms);
  json_builder_set_member_name (builder, "setup_ms");
  json_builder_add_int_value (builder, outcome.setup_ms);
  json_builder_set_member_name (builder, "transferred_bytes");
  json_builder_add_int_value (builder, outcome.transferred_bytes);
  json_builder_set_member_name (builder, "dirty_rate_bytes_per_s");
  json_builder_add_int_value (builder, outcome.dirty_rate_bytes_per_s);
  json_builder_set_member_name (builder, "auto_converge_throttle_pct");
  json_builder_add_int_value (builder, outcome.auto_converge_throttle_pct);
  json_builder_set_member_name (builder, "postcopy");
  json_builder_add_boolean_value (builder, outcome.postcopy);
  json_builder_end_object (builder);
  hv_rpc_call_return (call, json_builder_get_root (builder));
}

/* nbd: what the target's prepare answered, {host, port, exports}; the arrays live as long as params. */
static gboolean
read_nbd (JsonObject      *object,
          HvMigrationNbd  *nbd,
          GArray         **exports,
          GError         **error)
{
  JsonObject *map = domus_json_object_get_object (object, "exports");
  g_autoptr(GList) members = map != NULL ? json_object_get_members (map) : NULL;

  nbd->host = domus_json_object_get_string (object, "host", NULL);
  nbd->port = (guint) CLAMP (domus_json_object_get_int (object, "port", 0), 0, G_MAXUINT16);
  if (nbd->host == NULL || nbd->port == 0 || map == NULL)
    {
      g_set_error (error, HV_RPC_ERROR, HV_RPC_ERROR_INVALID_PARAMS,
                   _("nbd must be what migration.prepare answered: {host, port, exports}"));
      return FALSE;
    }
  *exports = g_array_new (FALSE, TRUE, sizeof (HvMigrationExport));
  for (GList *l = members; l != NULL; l = l->next)
    {
      HvMigrationExport export = { l->data, domus_json_object_get_string (map, l->data, NULL) };

      if (export.export_name != NULL)
        g_array_append_val (*exports, export);
    }
  nbd->exports = (const HvMigrationExport *) (void *) (*exports)->data;
  nbd->n_exports = (*exports)->len;
  return TRUE;
}

static void
method_migration_perform (HvRpcCall *call,
                          JsonNode  *params,
                          gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(GError) error = NULL;
  g_autoptr(HvMigration) migration = NULL;
  g_autoptr(GArray) exports = NULL;
  g_autofree char *incoming_dir = NULL;
  HvMigrationContext context;
  HvMigrationPerform perform = { 0 };
  HvMigrationNbd nbd;
  JsonObject *nbd_object;
  const char *name;
  HvDomain *domain;

  if (!hv_rpc_params_get_string (params, "name", NULL, &name, &error) ||
      !hv_rpc_params_get_string (params, "uri", NULL, &perform.uri, &error) ||
      !hv_rpc_params_get_boolean (params, "live", TRUE, &perform.live, &error) ||
      !hv_rpc_params_get_int (params, "bandwidth_mib", 0, &perform.bandwidth_mib, &error) ||
      !hv_rpc_params_get_int (params, "downtime_ms", HV_MIGRATION_DEFAULT_DOWNTIME_MS, &perform.downtime_ms, &error) ||
      !hv_rpc_params_get_boolean (params, "postcopy", FALSE, &perform.postcopy, &error) ||
      !get_psk_param (params, &perform.tls_psk, &error) ||
      !get_nullable_object_param (params, "nbd", &nbd_object, &error) ||
      (nbd_object != NULL && !read_nbd (nbd_object, &nbd, &exports, &error)))
    {
      hv_rpc_call_return_error (call, error);
      return;
    }
  perform.nbd = nbd_object != NULL ? &nbd : NULL;
  if (name == NULL || perform.uri == NULL)
    {
      hv_rpc_call_return_new_error (call, HV_RPC_ERROR_INVALID_PARAMS, _("name and uri are needed"));
      return;
    }
  /* QEMU would connect anywhere it is told: only TCP, as prepare answers. */
  if (!g_str_has_prefix (perform.uri, "tcp:"))
    {
      hv_rpc_call_return_new_error (call, HV_RPC_ERROR_INVALID_PARAMS,
                                    _("uri must be tcp:HOST:PORT, as migration.prepare answered"));
      return;
    }
  if (perform.bandwidth_mib < 0 || perform.bandwidth_mib > 1024 * 1024 ||
      perform.downtime_ms < 0 || perform.downtime_ms > 2000000)
    {
      hv_rpc_call_return_new_error (call, HV_RPC_ERROR_INVALID_PARAMS,
                                    _("bandwidth_mib or downtime_ms is out of range"));
      return;
    }
  domain = hv_host_lookup (self->host, name, &error);
  if (domain == NULL)
    {
      hv_daemon_return_error (call, error);
      return;
    }
  if (!hv_domain_is_active (domain))
    {
      hv_rpc_call_return_new_error (call, HV_RPC_ERROR_NOT_RUNNING,
                                    _("Domain %s is not running."), hv_domain_get_name (domain));
      return;
    }
  if (g_hash_table_contains (self->migrations, hv_domain_get_name (domain)))
    {
      hv_rpc_call_return_new_error (call, HV_RPC_ERROR_FAILED,
                                    _("A migration of %s is already under way"), hv_domain_get_name (domain));
      return;
    }
  fill_context (self, &context, &incoming_dir);
  migration = hv_migration_new_outgoing (&context, domain);
  track (self, g_object_ref (migration));
  hv_migration_perform_async (migration, &perform, hv_rpc_call_get_cancellable (call), on_performed, call);
}

/* migration.confirm, migration.cancel */

static void
on_confirmed (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  HvRpcCall *call = user_data;
  g_autoptr(GError) error = NULL;

  if (!hv_migration_confirm_finish (HV_MIGRATION (source), result, &error))
    hv_daemon_return_error (call, error);
  else
    hv_rpc_call_return (call, hv_daemon_new_empty_result ());
}

static void
method_migration_confirm (HvRpcCall *call,
                          JsonNode  *params,
                          gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(GError) error = NULL;
  const char *name;
  gboolean success;
  HvMigration *migration;

  if (!hv_rpc_params_get_string (params, "name", NULL, &name, &error) ||
      !hv_rpc_params_get_boolean (params, "success", TRUE, &success, &error))
    {
      hv_rpc_call_return_error (call, error);
      return;
    }
  if (name == NULL)
    {
      hv_rpc_call_return_new_error (call, HV_RPC_ERROR_INVALID_PARAMS, _("name is missing"));
      return;
    }
  migration = g_hash_table_lookup (self->migrations, name);
  if (migration == NULL && success)
    {
      HvDomain *domain = hv_host_lookup (self->host, name, NULL);

      /* "Start on another server": the domain was defined and started there; here it only
         leaves the configs folder, kept aside. */
      if (domain != NULL && !hv_domain_is_active (domain))
        {
          if (!hv_host_retire_migrated (self->host, hv_domain_get_name (domain), &error))
            hv_daemon_return_error (call, error);
          else
            hv_rpc_call_return (call, hv_daemon_new_empty_result ());
          return;
        }
    }
  if (migration == NULL || hv_migration_is_incoming (migration))
    {
      /* confirm{false} again, or after a perform that already rolled back: the domain is as it was. */
      if (!success)
        hv_rpc_call_return (call, hv_daemon_new_empty_result ());
      else
        hv_rpc_call_return_new_error (call, HV_RPC_ERROR_MIGRATION_FAILED,
                                      _("No completed migration of %s to confirm"), name);
      return;
    }
  hv_migration_confirm_async (migration, success, hv_rpc_call_get_cancellable (call), on_confirmed, call);
}

static void
method_migration_cancel (HvRpcCall *call,
                         JsonNode  *params,
                         gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(GError) error = NULL;
  const char *name;
  HvMigration *migration;

  if (!hv_rpc_params_get_string (params, "name", NULL, &name, &error))
    {
      hv_rpc_call_return_error (call, error);
      return;
    }
  migration = name != NULL ? g_hash_table_lookup (self->migrations, name) : NULL;
  /* Too late or too early, nothing runs; else the migration's own call answers how it ended. */
  if (migration != NULL)
    hv_migration_cancel (migration);
  hv_rpc_call_return (call, hv_daemon_new_empty_result ());
}

void
hv_daemon_clean_migrations (HvDaemon *self)
{
  g_autofree char *incoming_dir = g_build_filename (self->paths->config_dir, ".incoming", NULL);

  hv_migration_clean_abandoned (self->host, incoming_dir);
}

void
hv_daemon_add_migration_methods (HvDaemon *self)
{
  static const struct {
    const char      *name;
    HvRpcMethodFunc  func;
  } methods[] = {
    { "migration.check", method_migration_check },
    { "migration.prepare", method_migration_prepare },
    { "migration.finish", method_migration_finish },
    { "migration.perform", method_migration_perform },
    { "migration.confirm", method_migration_confirm },
    { "migration.cancel", method_migration_cancel },
  };

  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    hv_rpc_server_add_method (self->server, methods[i].name, methods[i].func, self, NULL);
}
