/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The host side of domusd: its folders, its socket and the methods it answers. */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <gio/gunixsocketaddress.h>
#include <json-glib/json-glib.h>

#include "hv-config.h"
#include "hv-bridges.h"
#include "hv-daemon.h"
#include "hv-daemon-private.h"
#include "hv-accel.h"
#include "hv-clone.h"
#include "hv-cloud-guest.h"
#include "hv-debian-builder.h"
#include "hv-defined.h"
#include "hv-domain.h"
#include "hv-migration.h"
#include "hv-qmp.h"
#include "hv-save-file.h"
#include "hv-snapshots.h"
#include "hv-socket-activation.h"

/* QEMU answers --version in milliseconds; this only guards against a wedged binary. */
#define QEMU_PROBE_TIMEOUT_SECONDS 5

G_DEFINE_QUARK (hv-daemon-error-quark, hv_daemon_error)

G_DEFINE_FINAL_TYPE (HvDaemon, hv_daemon, G_TYPE_OBJECT)

/* Host facts */

static gint64
host_memory_mib (void)
{
  g_autofree char *text = NULL;
  const char *line;
  guint64 kib;

  if (!g_file_get_contents ("/proc/meminfo", &text, NULL, NULL))
    return 0;
  line = strstr (text, "MemTotal:");
  if (line == NULL)
    return 0;
  kib = g_ascii_strtoull (line + strlen ("MemTotal:"), NULL, 10);
  return (gint64) (kib / 1024);
}

/* Errors */

/* The one mapping from the models' errors onto the protocol's kinds (docs/protocol.md). */
static HvRpcError
rpc_code_for (const GError *error)
{
  if (error->domain == HV_HOST_ERROR)
    switch ((HvHostError) error->code)
      {
      case HV_HOST_ERROR_NO_SUCH_DOMAIN:  return HV_RPC_ERROR_NO_SUCH_DOMAIN;
      case HV_HOST_ERROR_ALREADY_EXISTS:  return HV_RPC_ERROR_ALREADY_EXISTS;
      case HV_HOST_ERROR_ALREADY_RUNNING: return HV_RPC_ERROR_ALREADY_RUNNING;
      case HV_HOST_ERROR_RENAME:
      case HV_HOST_ERROR_INVALID_KEY:     return HV_RPC_ERROR_INVALID_PARAMS;
      default:                            return HV_RPC_ERROR_FAILED;
      }
  if (error->domain == HV_MIGRATION_ERROR)
    switch ((HvMigrationError) error->code)
      {
      case HV_MIGRATION_ERROR_INVALID:     return HV_RPC_ERROR_INVALID_PARAMS;
      case HV_MIGRATION_ERROR_REFUSED:     return HV_RPC_ERROR_MIGRATION_REFUSED;
      case HV_MIGRATION_ERROR_FAILED:      return HV_RPC_ERROR_MIGRATION_FAILED;
      case HV_MIGRATION_ERROR_CANCELLED:   return HV_RPC_ERROR_CANCELLED;
      case HV_MIGRATION_ERROR_NOT_RUNNING: return HV_RPC_ERROR_NOT_RUNNING;
      default:                             return HV_RPC_ERROR_FAILED;
      }
  /* A config that cannot be read or written is the disk's fault, not the config's. */
  if (g_error_matches (error, HV_CONFIG_ERROR, HV_CONFIG_ERROR_IO))
    return HV_RPC_ERROR_IO;
  if (error->domain == HV_CONFIG_ERROR)
    return HV_RPC_ERROR_INVALID_CONFIG;
  if (error->domain == HV_SNAPSHOT_ERROR)
    switch ((HvSnapshotError) error->code)
      {
      case HV_SNAPSHOT_ERROR_INVALID_NAME:
      case HV_SNAPSHOT_ERROR_NOT_FOUND:        return HV_RPC_ERROR_INVALID_PARAMS;
      case HV_SNAPSHOT_ERROR_EXISTS:           return HV_RPC_ERROR_ALREADY_EXISTS;
      case HV_SNAPSHOT_ERROR_UNSUPPORTED:
      case HV_SNAPSHOT_ERROR_NO_MEMORY_STATE:  return HV_RPC_ERROR_NOT_SUPPORTED;
      default:                                 return HV_RPC_ERROR_FAILED;
      }
  if (error->domain == HV_DEBIAN_BUILDER_ERROR)
    switch ((HvDebianBuilderError) error->code)
      {
      case HV_DEBIAN_BUILDER_ERROR_INVALID:
      case HV_DEBIAN_BUILDER_ERROR_UNKNOWN_SUITE:
      case HV_DEBIAN_BUILDER_ERROR_UNKNOWN_PACKAGE: return HV_RPC_ERROR_INVALID_PARAMS;
      case HV_DEBIAN_BUILDER_ERROR_EXISTS:          return HV_RPC_ERROR_ALREADY_EXISTS;
      case HV_DEBIAN_BUILDER_ERROR_NO_TOOL:         return HV_RPC_ERROR_NOT_SUPPORTED;
      case HV_DEBIAN_BUILDER_ERROR_NO_SPACE:
      case HV_DEBIAN_BUILDER_ERROR_IO:              return HV_RPC_ERROR_IO;
      default:                                      return HV_RPC_ERROR_FAILED;
      }
  if (error->domain == HV_CLOUD_GUEST_ERROR)
    switch ((HvCloudGuestError) error->code)
      {
      case HV_CLOUD_GUEST_ERROR_INVALID:        return HV_RPC_ERROR_INVALID_PARAMS;
      case HV_CLOUD_GUEST_ERROR_NO_SUCH_IMAGE:  return HV_RPC_ERROR_NO_SUCH_IMAGE;
      case HV_CLOUD_GUEST_ERROR_EXISTS:         return HV_RPC_ERROR_ALREADY_EXISTS;
      case HV_CLOUD_GUEST_ERROR_NO_CLOUD_INIT:
      case HV_CLOUD_GUEST_ERROR_NO_TOOL:        return HV_RPC_ERROR_NOT_SUPPORTED;
      case HV_CLOUD_GUEST_ERROR_IO:             return HV_RPC_ERROR_IO;
      default:                                  return HV_RPC_ERROR_FAILED;
      }
  if (error->domain == HV_SAVE_FILE_ERROR)
    switch ((HvSaveFileError) error->code)
      {
      case HV_SAVE_FILE_ERROR_EXISTS:    return HV_RPC_ERROR_ALREADY_EXISTS;
      case HV_SAVE_FILE_ERROR_NOT_SAVE:  return HV_RPC_ERROR_INVALID_PARAMS;
      case HV_SAVE_FILE_ERROR_IO:        return HV_RPC_ERROR_IO;
      default:                           return HV_RPC_ERROR_FAILED;
      }
  if (error->domain == HV_CLONE_ERROR)
    switch ((HvCloneError) error->code)
      {
      case HV_CLONE_ERROR_INVALID_NAME:  return HV_RPC_ERROR_INVALID_PARAMS;
      case HV_CLONE_ERROR_EXISTS:        return HV_RPC_ERROR_ALREADY_EXISTS;
      case HV_CLONE_ERROR_NOT_TEMPLATE:
      case HV_CLONE_ERROR_UNSUPPORTED:   return HV_RPC_ERROR_NOT_SUPPORTED;
      case HV_CLONE_ERROR_IO:            return HV_RPC_ERROR_IO;
      default:                           return HV_RPC_ERROR_FAILED;
      }
  if (error->domain == HV_ALERT_RULES_ERROR)
    return HV_RPC_ERROR_INVALID_PARAMS;
  /* The rules' file could not be written back: the disk's fault, as for a config. */
  if (g_error_matches (error, HV_DAEMON_CONFIG_ERROR, HV_DAEMON_CONFIG_ERROR_WRITE))
    return HV_RPC_ERROR_IO;
  if (error->domain == HV_DOMAIN_ERROR)
    switch ((HvDomainError) error->code)
      {
      case HV_DOMAIN_ERROR_NOT_RUNNING:     return HV_RPC_ERROR_NOT_RUNNING;
      case HV_DOMAIN_ERROR_ALREADY_RUNNING: return HV_RPC_ERROR_ALREADY_RUNNING;
      case HV_DOMAIN_ERROR_NETWORK:         return HV_RPC_ERROR_INVALID_CONFIG;
      default:                              return HV_RPC_ERROR_FAILED;
      }
  if (error->domain == HV_IMAGE_STORE_ERROR)
    switch ((HvImageStoreError) error->code)
      {
      case HV_IMAGE_STORE_ERROR_INVALID_NAME:
      case HV_IMAGE_STORE_ERROR_INVALID_FORMAT:
      case HV_IMAGE_STORE_ERROR_INVALID_SIZE:   return HV_RPC_ERROR_INVALID_PARAMS;
      case HV_IMAGE_STORE_ERROR_EXISTS:         return HV_RPC_ERROR_ALREADY_EXISTS;
      case HV_IMAGE_STORE_ERROR_NOT_FOUND:      return HV_RPC_ERROR_NO_SUCH_IMAGE;
      default:                                  return HV_RPC_ERROR_FAILED;
      }
  if (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_ACCES) ||
      g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_PERM) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
    return HV_RPC_ERROR_PERMISSION_DENIED;
  /* The daemon's own files (configs, links, folders): their messages name the path. */
  if (error->domain == G_FILE_ERROR || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
    return HV_RPC_ERROR_IO;
  return HV_RPC_ERROR_FAILED;
}

GError *
hv_daemon_error_to_rpc (const GError *error)
{
  if (error->domain == HV_RPC_ERROR)
    return g_error_copy (error);
  return g_error_new_literal (HV_RPC_ERROR, rpc_code_for (error), error->message);
}

void
hv_daemon_return_error (HvRpcCall    *call,
                        const GError *error)
{
  g_autoptr(GError) mapped = hv_daemon_error_to_rpc (error);

  hv_rpc_call_return_error (call, mapped);
}

/* Absent or null: invalid-params naming the member. */
static gboolean
check_present (gconstpointer   value,
               const char     *member,
               GError        **error)
{
  if (value != NULL)
    return TRUE;
  g_set_error (error, HV_RPC_ERROR, HV_RPC_ERROR_INVALID_PARAMS,
               _("The parameter “%s” is missing."), member);
  return FALSE;
}

gboolean
hv_daemon_params_require_string (JsonNode     *params,
                                 const char   *member,
                                 const char  **out,
                                 GError      **error)
{
  return hv_rpc_params_get_string (params, member, NULL, out, error) &&
         check_present (*out, member, error);
}

gboolean
hv_daemon_params_require_object (JsonNode     *params,
                                 const char   *member,
                                 JsonObject  **out,
                                 GError      **error)
{
  return hv_rpc_params_get_object (params, member, out, error) &&
         check_present (*out, member, error);
}

JsonNode *
hv_daemon_new_empty_result (void)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, json_object_new ());
  return node;
}

/* hello */

static void
return_hello (HvDaemon  *self,
              HvRpcCall *call)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_auto(GStrv) methods = hv_rpc_server_dup_method_names (self->server);
  static const char * const mode_names[] = {
    [HV_PATHS_ROOT] = "root",
    [HV_PATHS_SESSION] = "session",
    [HV_PATHS_SYSTEM] = "system",
  };

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "protocol");
  json_builder_add_int_value (builder, HV_PROTOCOL_VERSION);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, self->name);
  json_builder_set_member_name (builder, "version");
  json_builder_add_string_value (builder, PACKAGE_VERSION);
  json_builder_set_member_name (builder, "mode");
  json_builder_add_string_value (builder, mode_names[self->paths->kind]);
  json_builder_set_member_name (builder, "hypervisor");
  json_builder_add_string_value (builder, "qemu");
  json_builder_set_member_name (builder, "qemu_version");
  json_builder_add_string_value (builder, self->qemu_version);
  json_builder_set_member_name (builder, "accelerator");
  json_builder_add_string_value (builder, hv_accel_to_string (self->accel));
  json_builder_set_member_name (builder, "accelerator_probed");
  json_builder_add_boolean_value (builder, self->accel_probed);
  json_builder_set_member_name (builder, "accelerator_detail");
  json_builder_add_string_value (builder, self->accel_detail);
  json_builder_set_member_name (builder, "tb_size_mib");
  json_builder_add_int_value (builder, self->options.tb_size_mib == HV_QEMU_TB_SIZE_AUTO
                                       ? -1 : (gint64) self->options.tb_size_mib);
  json_builder_set_member_name (builder, "network");
  json_builder_add_string_value (builder, self->options.net_mode == HV_QEMU_NET_TAP ? "bridge" : "user");
  json_builder_set_member_name (builder, "relocation");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "enabled");
  json_builder_add_boolean_value (builder, self->config->relocation.enabled);
  json_builder_set_member_name (builder, "address");
  json_builder_add_string_value (builder, self->config->relocation.address);
  json_builder_set_member_name (builder, "port");
  json_builder_add_int_value (builder, self->config->relocation.port);
  json_builder_set_member_name (builder, "hosts_allow");
  json_builder_begin_array (builder);
  for (guint i = 0; self->config->relocation.hosts_allow[i] != NULL; i++)
    json_builder_add_string_value (builder, self->config->relocation.hosts_allow[i]);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "capabilities");
  json_builder_begin_array (builder);
  for (guint i = 0; methods[i] != NULL; i++)
    if (strcmp (methods[i], "hello") != 0)
      json_builder_add_string_value (builder, methods[i]);
  json_builder_end_array (builder);
  /* What methods of this version do beyond what their name promised at first. */
  json_builder_set_member_name (builder, "features");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, HV_FEATURE_MIGRATION_TLS);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "pid");
  json_builder_add_int_value (builder, getpid ());
  json_builder_set_member_name (builder, "cpus");
  json_builder_add_int_value (builder, g_get_num_processors ());
  json_builder_set_member_name (builder, "memory_mib");
  json_builder_add_int_value (builder, host_memory_mib ());
  json_builder_end_object (builder);

  hv_rpc_call_return (call, json_builder_get_root (builder));
}

/* What the create assistant offers for networks: the host's bridges, and whether
   guests get them (bridge mode) or user-mode networking whatever a vif says. */
static void
method_host_bridges (HvRpcCall *call,
                     JsonNode  *params,
                     gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_auto(GStrv) bridges = hv_bridges_list (HV_SYS_CLASS_NET);
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "network");
  json_builder_add_string_value (builder, self->options.net_mode == HV_QEMU_NET_TAP ? "bridge" : "user");
  json_builder_set_member_name (builder, "bridges");
  json_builder_begin_array (builder);
  for (guint i = 0; bridges[i] != NULL; i++)
    json_builder_add_string_value (builder, bridges[i]);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  hv_rpc_call_return (call, json_builder_get_root (builder));
}

static void
method_hello (HvRpcCall *call,
              JsonNode  *params,
              gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);

  /* The first client may beat the QEMU probe by a few milliseconds: it waits. */
  if (self->qemu_version == NULL)
    g_ptr_array_add (self->hello_waiting, call);
  else
    return_hello (self, call);
}

static char *
parse_qemu_version (const char *output)
{
  /* "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)" */
  const char *start = output != NULL ? strstr (output, "version ") : NULL;
  gsize length;

  if (start == NULL)
    return NULL;
  start += strlen ("version ");
  length = strcspn (start, " \t\r\n");
  return length > 0 ? g_strndup (start, length) : NULL;
}

static void
qemu_probe_done (HvDaemon *self,
                 char     *version)
{
  g_clear_handle_id (&self->qemu_probe_timeout_id, g_source_remove);
  g_clear_object (&self->qemu_probe);
  g_clear_object (&self->qemu_probe_cancellable);
  g_free (self->qemu_version);
  self->qemu_version = version != NULL ? version : g_strdup ("unknown");
  g_debug ("QEMU version: %s", self->qemu_version);

  for (guint i = 0; i < self->hello_waiting->len; i++)
    return_hello (self, g_ptr_array_index (self->hello_waiting, i));
  g_ptr_array_set_size (self->hello_waiting, 0);
}

static void
on_qemu_probe_output (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(HvDaemon) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *output = NULL;

  if (!g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result,
                                             &output, NULL, &error))
    g_debug ("qemu-system-x86_64 --version failed: %s", error->message);
  if (self->qemu_probe == G_SUBPROCESS (source))
    qemu_probe_done (self, parse_qemu_version (output));
}

static gboolean
on_qemu_probe_timeout (gpointer user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);

  self->qemu_probe_timeout_id = 0;
  g_message ("qemu-system-x86_64 --version did not answer within %d seconds",
             QEMU_PROBE_TIMEOUT_SECONDS);
  g_subprocess_force_exit (self->qemu_probe);
  g_cancellable_cancel (self->qemu_probe_cancellable);
  return G_SOURCE_REMOVE;
}

static void
start_qemu_probe (HvDaemon *self)
{
  g_autoptr(GError) error = NULL;

  self->qemu_probe = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                       G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                                       &error, "qemu-system-x86_64", "--version", NULL);
  if (self->qemu_probe == NULL)
    {
      g_debug ("cannot run qemu-system-x86_64: %s", error->message);
      qemu_probe_done (self, NULL);
      return;
    }
  self->qemu_probe_cancellable = g_cancellable_new ();
  self->qemu_probe_timeout_id = g_timeout_add_seconds (QEMU_PROBE_TIMEOUT_SECONDS,
                                                       on_qemu_probe_timeout, self);
  g_subprocess_communicate_utf8_async (self->qemu_probe, NULL, self->qemu_probe_cancellable,
                                       on_qemu_probe_output, g_object_ref (self));
}

/* Starting */

static void
hv_daemon_dispose (GObject *object)
{
  HvDaemon *self = HV_DAEMON (object);

  if (self->server != NULL)
    hv_rpc_server_stop (self->server);
  hv_daemon_stop_alerts (self);
  g_clear_handle_id (&self->qemu_probe_timeout_id, g_source_remove);
  if (self->qemu_probe_cancellable != NULL)
    g_cancellable_cancel (self->qemu_probe_cancellable);
  g_clear_object (&self->qemu_probe);
  g_clear_object (&self->qemu_probe_cancellable);
  g_clear_object (&self->server);
  g_clear_object (&self->sampler);
  g_clear_pointer (&self->archive, hv_stats_archive_free);
  g_clear_object (&self->host);
  g_clear_object (&self->images);
  g_clear_pointer (&self->migrations, g_hash_table_unref);
  g_clear_pointer (&self->migration_failures, g_hash_table_unref);
  G_OBJECT_CLASS (hv_daemon_parent_class)->dispose (object);
}

static void
hv_daemon_finalize (GObject *object)
{
  HvDaemon *self = HV_DAEMON (object);

  /* Calls still waiting for the probe belong to peers that are gone by now. */
  for (guint i = 0; i < self->hello_waiting->len; i++)
    hv_rpc_call_return_new_error (g_ptr_array_index (self->hello_waiting, i),
                                  HV_RPC_ERROR_FAILED, _("The daemon is shutting down."));
  g_ptr_array_unref (self->hello_waiting);
  g_clear_pointer (&self->paths, hv_paths_free);
  g_free (self->name);
  g_free (self->qemu_version);
  g_free (self->qemu_binary);
  g_free (self->accel_detail);
  g_ptr_array_unref (self->stats_subscribers);
  g_clear_pointer (&self->config, hv_daemon_config_unref);
  G_OBJECT_CLASS (hv_daemon_parent_class)->finalize (object);
}

static void
hv_daemon_class_init (HvDaemonClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hv_daemon_dispose;
  object_class->finalize = hv_daemon_finalize;
}

static void
hv_daemon_init (HvDaemon *self)
{
  self->hello_waiting = g_ptr_array_new ();
  self->stats_subscribers = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_rpc_peer_unref);
  self->accel_detail = g_strdup ("");
  self->config = hv_daemon_config_new ();
  self->migrations = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->migration_failures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                    (GDestroyNotify) g_error_free);
}

void
hv_daemon_options_init (HvDaemonOptions *options)
{
  memset (options, 0, sizeof *options);
  options->accel = HV_DAEMON_ACCEL_AUTO;
  options->tb_size_mib = HV_QEMU_TB_SIZE_AUTO;
  options->net_mode = HV_QEMU_NET_USER;
  options->stats_interval_ms = 1000;
}

HvDaemon *
hv_daemon_new (const HvPaths         *paths,
               const char            *name,
               const HvDaemonOptions *options)
{
  HvDaemon *self;

  g_return_val_if_fail (paths != NULL, NULL);

  self = g_object_new (HV_TYPE_DAEMON, NULL);
  self->paths = hv_paths_copy (paths);
  self->name = g_strdup (name != NULL ? name : g_get_host_name ());
  if (options != NULL)
    self->options = *options;
  else
    hv_daemon_options_init (&self->options);
  self->qemu_binary = g_strdup (self->options.qemu_binary);
  self->options.qemu_binary = self->qemu_binary;
  self->images = hv_image_store_new (self->paths->image_dir, NULL);
  self->server = hv_rpc_server_new ();
  hv_rpc_server_add_method (self->server, "hello", method_hello, self, NULL);
  hv_rpc_server_add_method (self->server, "host.bridges", method_host_bridges, self, NULL);
  hv_daemon_add_domain_methods (self);
  hv_daemon_add_stats_methods (self);
  hv_daemon_add_image_methods (self);
  hv_daemon_add_demo_methods (self);
  hv_daemon_add_migration_methods (self);
  hv_daemon_add_guest_methods (self);
  hv_daemon_add_alert_methods (self);
  return self;
}

const HvPaths *
hv_daemon_get_paths (HvDaemon *self)
{
  g_return_val_if_fail (HV_IS_DAEMON (self), NULL);
  return self->paths;
}

void
hv_daemon_set_config (HvDaemon       *self,
                      HvDaemonConfig *config)
{
  g_return_if_fail (HV_IS_DAEMON (self));
  g_return_if_fail (config != NULL);
  hv_daemon_config_ref (config);
  hv_daemon_config_unref (self->config);
  self->config = config;
}

HvDaemonConfig *
hv_daemon_get_config (HvDaemon *self)
{
  g_return_val_if_fail (HV_IS_DAEMON (self), NULL);
  return self->config;
}

const char *
hv_daemon_get_name (HvDaemon *self)
{
  g_return_val_if_fail (HV_IS_DAEMON (self), NULL);
  return self->name;
}

HvRpcServer *
hv_daemon_get_server (HvDaemon *self)
{
  g_return_val_if_fail (HV_IS_DAEMON (self), NULL);
  return self->server;
}

static void
on_host_loaded (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HvDaemon *self = g_task_get_source_object (task);
  GError *error = NULL;

  /* A socket systemd made has the unit's SocketGroup= already; ours gets it here. */
  if (!hv_host_load_finish (self->host, result, &error) ||
      !hv_socket_activation_listen (self->server, self->paths->socket_path,
                                    self->paths->socket_mode, &error) ||
      (hv_socket_activation_get_n_fds () == 0 && !hv_paths_set_socket_group (self->paths, &error)))
    {
      g_task_return_error (task, error);
      return;
    }
  start_qemu_probe (self);
  hv_daemon_clean_migrations (self);
  hv_daemon_start_stats (self);
  hv_daemon_start_alerts (self);
  hv_host_autostart (self->host);
  g_task_return_boolean (task, TRUE);
}

/* Guests already running come back before any client can ask about them. */
static void
load_host (GTask *task)
{
  HvDaemon *self = g_task_get_source_object (task);
  HvDomainRuntime runtime = {
    .qemu_binary = self->qemu_binary,
    .accel = self->accel,
    .tb_size_mib = self->options.tb_size_mib,
    .net_mode = self->options.net_mode,
    .forward_addresses = (const char * const *) self->config->forward_addresses,
  };

  g_message ("accelerator: %s (%s)", hv_accel_to_string (self->accel), self->accel_detail);
  self->host = hv_host_new (self->paths, &runtime);
  hv_daemon_connect_domain_events (self);
  hv_host_load_async (self->host, g_task_get_cancellable (task), on_host_loaded, task);
}

static void
on_accel_probed (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GTask *task = user_data;
  HvDaemon *self = g_task_get_source_object (task);

  g_free (self->accel_detail);
  self->accel = hv_accel_probe_finish (result, &self->accel_probed, &self->accel_detail);
  load_host (task);
}

static void
daemon_listen (GTask *task)
{
  HvDaemon *self = g_task_get_source_object (task);

  if (self->options.accel == HV_DAEMON_ACCEL_AUTO)
    {
      hv_accel_probe_async (HV_DAEMON_KVM_PROBE_TIMEOUT_MS, g_task_get_cancellable (task),
                            on_accel_probed, task);
      return;
    }
  self->accel = self->options.accel == HV_DAEMON_ACCEL_KVM ? HV_QEMU_ACCEL_KVM : HV_QEMU_ACCEL_TCG;
  g_free (self->accel_detail);
  self->accel_detail = g_strdup (_("chosen with --accel; KVM was not probed"));
  load_host (task);
}

static void
on_probe_connected (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HvDaemon *self = g_task_get_source_object (task);
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  const char *path = self->paths->socket_path;

  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (connection != NULL)
    {
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      g_task_return_new_error (task, HV_DAEMON_ERROR, HV_DAEMON_ERROR_ALREADY_RUNNING,
                               _("Another domusd already answers on %s."), path);
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  /* Nobody listens: a daemon that died left its socket behind. */
  g_debug ("replacing the stale socket %s (%s)", path, error->message);
  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      int saved_errno = errno;

      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                               _("Cannot remove the stale socket %s: %s"),
                               path, g_strerror (saved_errno));
      return;
    }
  daemon_listen (g_steal_pointer (&task));
}

void
hv_daemon_start_async (HvDaemon            *self,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GSocketClient) client = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  GError *error = NULL;
  const char *path;
  struct stat info;

  g_return_if_fail (HV_IS_DAEMON (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hv_daemon_start_async);

  if (!hv_paths_ensure (self->paths, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  path = self->paths->socket_path;
  /* Socket-activated: the file is systemd's socket, and a probe would only reach ourselves. */
  if (hv_socket_activation_get_n_fds () > 0 || g_lstat (path, &info) != 0)
    {
      daemon_listen (g_steal_pointer (&task));
      return;
    }
  if (!S_ISSOCK (info.st_mode))
    {
      g_task_return_new_error (task, HV_DAEMON_ERROR, HV_DAEMON_ERROR_SOCKET,
                               _("%s exists and is not a socket; remove it or choose another path."),
                               path);
      return;
    }

  /* A socket file is there: is a daemon behind it? */
  client = g_socket_client_new ();
  address = g_unix_socket_address_new (path);
  g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (address), cancellable,
                                 on_probe_connected, g_steal_pointer (&task));
}

gboolean
hv_daemon_start_finish (HvDaemon      *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (HV_IS_DAEMON (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
hv_daemon_stop (HvDaemon *self)
{
  g_return_if_fail (HV_IS_DAEMON (self));
  hv_rpc_server_stop (self->server);
  hv_daemon_stop_alerts (self);
}
