/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The domain.* methods and the domain.event notification. */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>

#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "domus-json-util.h"
#include "hv-config.h"
#include "hv-daemon-private.h"
#include "hv-defined.h"
#include "hv-migration.h"
#include "hv-proc-stats.h"

/* Below this share of one core during the last sample a running domain counts as blocked (xm's b). */
#define BLOCKED_CPU_PERCENT 10.0

/* State and flags */

static const char *
state_name (HvDaemon *self,
            HvDomain *domain)
{
  HvDomainState state = hv_domain_get_state (domain);

  if (state == HV_DOMAIN_STATE_RUNNING)
    {
      double cpu = hv_daemon_get_domain_cpu_percent (self, domain);

      return cpu >= 0 && cpu < BLOCKED_CPU_PERCENT ? "blocked" : "running";
    }
  return hv_domain_state_to_string (state);
}

/* xm's six columns: running, blocked, paused, shutdown, crashed, dying. */
static const char *
state_flags (const char *state)
{
  static const struct { const char *state; const char *flags; } table[] = {
    { "running",  "r-----" },
    { "blocked",  "-b----" },
    { "paused",   "--p---" },
    { "shutdown", "---s--" },
    { "crashed",  "----c-" },
    { "dying",    "-----d" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    if (strcmp (table[i].state, state) == 0)
      return table[i].flags;
  return "------";
}

static guint64
domain_cpu_time_ns (HvDomain *domain)
{
  HvProcessStats stats;

  if (hv_domain_get_pid (domain) <= 0 || !hv_proc_stats_read_process (hv_domain_get_pid (domain), &stats))
    return 0;
  return stats.cpu_time_ns;
}

static void
add_cpu_time (JsonBuilder *builder,
              guint64      ns)
{
  json_builder_set_member_name (builder, "cpu_time_ns");
  json_builder_add_int_value (builder, (gint64) ns);
  /* Milliseconds are all anyone displays; more digits are noise. */
  json_builder_set_member_name (builder, "cpu_time");
  json_builder_add_double_value (builder, (double) (ns / 1000000) / 1000.0);
}

static void
add_tags (JsonBuilder        *builder,
          const char * const *tags)
{
  json_builder_set_member_name (builder, "tags");
  json_builder_begin_array (builder);
  for (guint i = 0; tags != NULL && tags[i] != NULL; i++)
    json_builder_add_string_value (builder, tags[i]);
  json_builder_end_array (builder);
}

/* Templates are offered as sources of new domains (domain.clone), never started. */
static void
add_template (JsonBuilder *builder,
              gboolean     template)
{
  json_builder_set_member_name (builder, "template");
  json_builder_add_boolean_value (builder, template);
}

/* The disks as a migration needs them: where, how big (virtual size), what kind. */
static void
add_disks (JsonBuilder        *builder,
           const HvDomainSpec *spec)
{
  json_builder_set_member_name (builder, "disks");
  json_builder_begin_array (builder);
  for (guint i = 0; spec != NULL && i < spec->disks->len; i++)
    {
      const HvDiskSpec *disk = g_ptr_array_index (spec->disks, i);
      gint64 size = *disk->path != '\0' ? hv_migration_disk_size (disk->path, disk->format) : -1;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "path");
      json_builder_add_string_value (builder, disk->path);
      json_builder_set_member_name (builder, "size_bytes");
      if (size >= 0)
        json_builder_add_int_value (builder, size);
      else
        json_builder_add_null_value (builder);
      domus_json_builder_add_string_or_null (builder, "format", disk->format);
      json_builder_set_member_name (builder, "target");
      json_builder_add_string_value (builder, disk->device);
      json_builder_set_member_name (builder, "mode");
      json_builder_add_string_value (builder, disk->readonly ? "r" : disk->shared ? "w!" : "w");
      json_builder_set_member_name (builder, "kind");
      json_builder_add_string_value (builder, disk->cdrom ? "cdrom"
                                              : g_strcmp0 (disk->backend, "phy") == 0 ? "phy" : "file");
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

/* Tags are the domain's labels, not part of the machine: a running domain shows those of
 * its config file (FILE, when found), so an edit shows at once, not at the next start. */
static void
add_active_domain (HvDaemon        *self,
                   JsonBuilder     *builder,
                   HvDomain        *domain,
                   const HvDefined *file,
                   gboolean         details)
{
  const HvDomainSpec *spec = hv_domain_get_spec (domain);
  const char *state = state_name (self, domain);
  char **tags = file != NULL && file->error == NULL ? file->tags : spec != NULL ? spec->tags : NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, hv_domain_get_name (domain));
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, hv_domain_get_id (domain));
  domus_json_builder_add_string_or_null (builder, "uuid", spec != NULL ? spec->uuid : NULL);
  add_tags (builder, (const char * const *) tags);
  add_template (builder, file != NULL && file->error == NULL && file->template);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, state);
  json_builder_set_member_name (builder, "flags");
  json_builder_add_string_value (builder, state_flags (state));
  json_builder_set_member_name (builder, "memory_mib");
  if (spec != NULL)
    json_builder_add_int_value (builder, spec->memory_mib);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "vcpus");
  if (spec != NULL)
    json_builder_add_int_value (builder, spec->vcpus);
  else
    json_builder_add_null_value (builder);
  add_cpu_time (builder, domain_cpu_time_ns (domain));
  json_builder_set_member_name (builder, "autostart");
  json_builder_add_boolean_value (builder, hv_host_get_autostart (self->host, hv_domain_get_name (domain)));
  domus_json_builder_add_string_or_null (builder, "config", hv_domain_get_config_path (domain));
  if (details)
    {
      g_autofree char *vnc = hv_domain_dup_socket_path (domain, "vnc.sock");
      g_autofree char *serial = hv_domain_dup_socket_path (domain, "serial.sock");
      g_autofree char *log = hv_domain_dup_socket_path (domain, "serial.log");

      domus_json_builder_add_string_or_null (builder, "vnc_socket", spec == NULL || spec->vnc ? vnc : NULL);
      domus_json_builder_add_string_or_null (builder, "serial_socket", serial);
      domus_json_builder_add_string_or_null (builder, "serial_log", log);
      domus_json_builder_add_string_or_null (builder, "run_dir", hv_domain_get_run_dir (domain));
      json_builder_set_member_name (builder, "notices");
      json_builder_begin_array (builder);
      for (guint i = 0; spec != NULL && i < spec->notices->len; i++)
        json_builder_add_string_value (builder, g_ptr_array_index (spec->notices, i));
      json_builder_end_array (builder);
      add_disks (builder, spec);
    }
  json_builder_end_object (builder);
}

static void
add_defined_domain (HvDaemon        *self,
                    JsonBuilder     *builder,
                    const HvDefined *defined,
                    gboolean         details)
{
  gboolean valid = defined->error == NULL;
  const char *state = valid ? "shutoff" : "invalid";

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, defined->name);
  json_builder_set_member_name (builder, "id");
  json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "uuid");
  json_builder_add_null_value (builder);
  add_tags (builder, (const char * const *) defined->tags);
  add_template (builder, valid && defined->template);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, state);
  json_builder_set_member_name (builder, "flags");
  json_builder_add_string_value (builder, state_flags (state));
  json_builder_set_member_name (builder, "memory_mib");
  if (valid)
    json_builder_add_int_value (builder, defined->memory_mib);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "vcpus");
  if (valid)
    json_builder_add_int_value (builder, defined->vcpus);
  else
    json_builder_add_null_value (builder);
  add_cpu_time (builder, 0);
  json_builder_set_member_name (builder, "autostart");
  json_builder_add_boolean_value (builder, valid && hv_host_get_autostart (self->host, defined->name));
  json_builder_set_member_name (builder, "config");
  json_builder_add_string_value (builder, defined->path);
  if (!valid)
    domus_json_builder_add_string_or_null (builder, "error", defined->error);
  if (details)
    {
      domus_json_builder_add_string_or_null (builder, "vnc_socket", NULL);
      domus_json_builder_add_string_or_null (builder, "serial_socket", NULL);
      domus_json_builder_add_string_or_null (builder, "serial_log", NULL);
      domus_json_builder_add_string_or_null (builder, "run_dir", NULL);
      json_builder_set_member_name (builder, "notices");
      json_builder_begin_array (builder);
      json_builder_end_array (builder);
      {
        g_autoptr(HvConfig) config = valid ? hv_config_new_from_file (defined->path, NULL) : NULL;
        g_autoptr(HvDomainSpec) spec = config != NULL ? hv_domain_spec_new (config, HV_DOMAIN_SPEC_FLAGS_NONE, NULL) : NULL;

        add_disks (builder, spec);
      }
    }
  json_builder_end_object (builder);
}

/* Domain-0 stands for the host, as in xm list. */
static void
add_domain0 (JsonBuilder *builder)
{
  HvHostStats host;
  guint64 busy_ns = 0;
  gint64 memory_mib = 0;

  if (hv_proc_stats_read_host (&host))
    {
      busy_ns = hv_host_stats_busy_ns (&host);
      memory_mib = (gint64) (host.mem_total_kib / 1024);
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, HV_DOMAIN0_NAME);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, 0);
  json_builder_set_member_name (builder, "uuid");
  json_builder_add_null_value (builder);
  add_tags (builder, NULL);
  add_template (builder, FALSE);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, "running");
  json_builder_set_member_name (builder, "flags");
  json_builder_add_string_value (builder, state_flags ("running"));
  json_builder_set_member_name (builder, "memory_mib");
  json_builder_add_int_value (builder, memory_mib);
  json_builder_set_member_name (builder, "vcpus");
  json_builder_add_int_value (builder, g_get_num_processors ());
  add_cpu_time (builder, busy_ns);
  json_builder_set_member_name (builder, "autostart");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_end_object (builder);
}

/* domain.list */

static void
scan_defined_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  g_task_return_pointer (task, hv_defined_scan (task_data), (GDestroyNotify) g_ptr_array_unref);
}

/* Reading every .cfg may be slow (many files, NFS): a worker thread does it. */
static void
scan_defined_async (HvDaemon            *self,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, scan_defined_async);
  g_task_set_task_data (task, g_strdup (self->paths->config_dir), g_free);
  g_task_run_in_thread (task, scan_defined_thread);
}

typedef struct {
  HvRpcCall *call;
  gboolean   all;
} ListRequest;

static JsonNode *
build_list (HvDaemon  *self,
            GPtrArray *defined,
            gboolean   all)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GPtrArray) active = hv_host_dup_active (self->host);
  g_autoptr(GHashTable) active_names = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) files = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; defined != NULL && i < defined->len; i++)
    {
      HvDefined *entry = g_ptr_array_index (defined, i);

      g_hash_table_insert (files, entry->name, entry);
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "domains");
  json_builder_begin_array (builder);
  add_domain0 (builder);
  for (guint i = 0; i < active->len; i++)
    {
      HvDomain *domain = g_ptr_array_index (active, i);

      g_hash_table_add (active_names, (gpointer) hv_domain_get_name (domain));
      add_active_domain (self, builder, domain,
                         g_hash_table_lookup (files, hv_domain_get_name (domain)), FALSE);
    }
  for (guint i = 0; all && defined != NULL && i < defined->len; i++)
    {
      const HvDefined *entry = g_ptr_array_index (defined, i);

      if (!g_hash_table_contains (active_names, entry->name))
        add_defined_domain (self, builder, entry, FALSE);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
on_list_scanned (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  HvDaemon *self = HV_DAEMON (source);
  ListRequest *request = user_data;
  g_autoptr(GPtrArray) defined = g_task_propagate_pointer (G_TASK (result), NULL);

  hv_rpc_call_return (request->call, build_list (self, defined, request->all));
  g_free (request);
}

static void
method_domain_list (HvRpcCall *call,
                    JsonNode  *params,
                    gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(GError) error = NULL;
  ListRequest *request;
  gboolean all;

  if (!hv_rpc_params_get_boolean (params, "all", FALSE, &all, &error))
    {
      hv_rpc_call_return_error (call, error);
      return;
    }
  if (!all)
    {
      hv_rpc_call_return (call, build_list (self, NULL, FALSE));
      return;
    }
  request = g_new0 (ListRequest, 1);
  request->call = call;
  request->all = all;
  scan_defined_async (self, NULL, on_list_scanned, request);
}

/* domain.get */

static gboolean
get_name_param (HvRpcCall   *call,
                JsonNode    *params,
                const char **name)
{
  g_autoptr(GError) error = NULL;

  if (!hv_daemon_params_require_string (params, "name", name, &error))
    {
      hv_rpc_call_return_error (call, error);
      return FALSE;
    }
  return TRUE;
}

static HvDomain *
lookup_param (HvDaemon  *self,
              HvRpcCall *call,
              JsonNode  *params)
{
  g_autoptr(GError) error = NULL;
  const char *name;
  HvDomain *domain;

  if (!get_name_param (call, params, &name))
    return NULL;
  domain = hv_host_lookup (self->host, name, &error);
  if (domain == NULL)
    hv_daemon_return_error (call, error);
  return domain;
}

static void
method_domain_get (HvRpcCall *call,
                   JsonNode  *params,
                   gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(HvDefined) defined = NULL;
  HvDomain *domain = lookup_param (self, call, params);

  if (domain == NULL)
    return;
  if (hv_domain_is_active (domain))
    {
      defined = hv_defined_find (self->paths->config_dir, hv_domain_get_name (domain));
      add_active_domain (self, builder, domain, defined, TRUE);
    }
  else
    {
      defined = hv_defined_find (self->paths->config_dir, hv_domain_get_name (domain));
      if (defined == NULL)
        {
          hv_rpc_call_return_new_error (call, HV_RPC_ERROR_NO_SUCH_DOMAIN,
                                        _("There is no domain “%s” on this host."),
                                        hv_domain_get_name (domain));
          return;
        }
      add_defined_domain (self, builder, defined, TRUE);
    }
  hv_rpc_call_return (call, json_builder_get_root (builder));
}

/* Answers */

static JsonNode *
started_result (HvDomain  *domain,
                GPtrArray *notices)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, hv_domain_get_name (domain));
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, hv_domain_get_id (domain));
  json_builder_set_member_name (builder, "notices");
  json_builder_begin_array (builder);
  for (guint i = 0; notices != NULL && i < notices->len; i++)
    json_builder_add_string_value (builder, g_ptr_array_index (notices, i));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

typedef struct {
  HvRpcCall *call;
  GPtrArray *notices;
} StartRequest;

static StartRequest *
start_request_new (HvRpcCall *call)
{
  StartRequest *request = g_new0 (StartRequest, 1);

  request->call = call;
  request->notices = g_ptr_array_new_with_free_func (g_free);
  return request;
}

static void
start_request_free (StartRequest *request)
{
  g_ptr_array_unref (request->notices);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (StartRequest, start_request_free)

/* domain.define, domain.undefine, domain.create, domain.start */

/*
 * A client that is not the daemon's own user may name only files in the folders domusd.conf
 * lists (issue 13): a guest must not boot or read a host file that user could not read.
 * FALSE when the call has been answered with the refusal. A config that does not parse is
 * left to the host, which says why.
 */
static gboolean
allow_config_paths (HvDaemon    *self,
                    HvRpcCall   *call,
                    const char  *text,
                    const char  *filename)
{
  g_autoptr(HvConfig) config = NULL;
  g_autoptr(HvDomainSpec) spec = NULL;
  g_auto(GStrv) folders = NULL;
  g_autoptr(GError) error = NULL;

  if (hv_rpc_peer_get_uid (hv_rpc_call_get_peer (call)) == (gint64) getuid ())
    return TRUE;
  config = hv_config_new_from_data (text, -1, filename, NULL);
  spec = config != NULL ? hv_domain_spec_new (config, HV_DOMAIN_SPEC_FLAGS_NONE, NULL) : NULL;
  if (spec == NULL)
    return TRUE;
  folders = hv_daemon_config_dup_domain_folders (self->config, self->paths->image_dir);
  if (hv_domain_spec_check_folders (spec, (const char * const *) folders, &error))
    return TRUE;
  hv_rpc_call_return_new_error (call, HV_RPC_ERROR_PERMISSION_DENIED, "%s", error->message);
  return FALSE;
}

static gboolean
get_config_params (HvRpcCall   *call,
                   JsonNode    *params,
                   const char **text,
                   const char **filename)
{
  g_autoptr(GError) error = NULL;

  if (!hv_daemon_params_require_string (params, "config", text, &error) ||
      !hv_rpc_params_get_string (params, "filename", "<config>", filename, &error))
    {
      hv_rpc_call_return_error (call, error);
      return FALSE;
    }
  return TRUE;
}

static void
method_domain_define (HvRpcCall *call,
                      JsonNode  *params,
                      gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GError) error = NULL;
  const char *text, *filename;
  HvDomain *domain;

  if (!get_config_params (call, params, &text, &filename) ||
      !allow_config_paths (self, call, text, filename))
    return;
  domain = hv_host_define (self->host, text, filename, &error);
  if (domain == NULL)
    {
      hv_daemon_return_error (call, error);
      return;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, hv_domain_get_name (domain));
  json_builder_set_member_name (builder, "config");
  json_builder_add_string_value (builder, hv_domain_get_config_path (domain));
  json_builder_end_object (builder);
  hv_rpc_call_return (call, json_builder_get_root (builder));
}

static void
method_domain_undefine (HvRpcCall *call,
                        JsonNode  *params,
                        gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(GError) error = NULL;
  const char *name;

  if (!get_name_param (call, params, &name))
    return;
  if (!hv_host_undefine (self->host, name, &error))
    hv_daemon_return_error (call, error);
  else
    hv_rpc_call_return (call, hv_daemon_new_empty_result ());
}

static void
on_domain_created (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(StartRequest) request = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(HvDomain) domain = NULL;

  if (g_task_get_source_tag (G_TASK (result)) == hv_host_create_async)
    domain = hv_host_create_finish (HV_HOST (source), result, &error);
  else
    domain = hv_host_start_finish (HV_HOST (source), result, &error);
  if (domain == NULL)
    hv_daemon_return_error (request->call, error);
  else
    hv_rpc_call_return (request->call, started_result (domain, request->notices));
}

static void
method_domain_create (HvRpcCall *call,
                      JsonNode  *params,
                      gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  StartRequest *request;
  const char *text, *filename;

  if (!get_config_params (call, params, &text, &filename) ||
      !allow_config_paths (self, call, text, filename) ||
      hv_daemon_refuse_template_text (call, text, filename))
    return;
  request = start_request_new (call);
  hv_host_create_async (self->host, text, filename, request->notices, NULL, on_domain_created, request);
}

static void
method_domain_start (HvRpcCall *call,
                     JsonNode  *params,
                     gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  StartRequest *request;
  const char *name;

  if (!get_name_param (call, params, &name) || hv_daemon_refuse_template (self, call, name))
    return;
  request = start_request_new (call);
  hv_host_start_async (self->host, name, request->notices, NULL, on_domain_created, request);
}

/* domain.destroy */

static void
on_domain_destroyed (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  HvRpcCall *call = user_data;
  g_autoptr(GError) error = NULL;

  if (!hv_domain_destroy_finish (HV_DOMAIN (source), result, &error))
    hv_daemon_return_error (call, error);
  else
    hv_rpc_call_return (call, hv_daemon_new_empty_result ());
}

static void
method_domain_destroy (HvRpcCall *call,
                       JsonNode  *params,
                       gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  HvDomain *domain = lookup_param (self, call, params);

  if (domain != NULL)
    hv_domain_destroy_async (domain, NULL, on_domain_destroyed, call);
}

/* domain.shutdown, pause, unpause, reboot */

typedef struct {
  HvRpcCall *call;
  HvDomain  *domain;
  gulong     ended_id;
} EndWait;

static void
on_waited_domain_ended (HvDomain   *domain,
                        const char *reason,
                        guint       action,
                        gpointer    user_data)
{
  EndWait *wait = user_data;

  g_signal_handler_disconnect (domain, wait->ended_id);
  hv_rpc_call_return (wait->call, hv_daemon_new_empty_result ());
  g_object_unref (wait->domain);
  g_free (wait);
}

static void
on_domain_commanded (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  EndWait *wait = user_data;
  g_autoptr(GError) error = NULL;

  if (!hv_domain_command_finish (HV_DOMAIN (source), result, &error))
    {
      if (wait->ended_id != 0)
        g_signal_handler_disconnect (wait->domain, wait->ended_id);
      hv_daemon_return_error (wait->call, error);
    }
  else if (wait->ended_id != 0)
    return;  /* shutdown --wait: the answer comes when the domain is off */
  else
    hv_rpc_call_return (wait->call, hv_daemon_new_empty_result ());
  g_object_unref (wait->domain);
  g_free (wait);
}

static void
run_command (HvRpcCall       *call,
             JsonNode        *params,
             HvDaemon        *self,
             HvDomainCommand  command,
             gboolean         wait_for_end)
{
  HvDomain *domain = lookup_param (self, call, params);
  EndWait *wait;

  if (domain == NULL)
    return;
  wait = g_new0 (EndWait, 1);
  wait->call = call;
  wait->domain = g_object_ref (domain);
  if (wait_for_end && hv_domain_is_active (domain))
    wait->ended_id = g_signal_connect (domain, "ended", G_CALLBACK (on_waited_domain_ended), wait);
  hv_domain_command_async (domain, command, NULL, on_domain_commanded, wait);
}

static void
method_domain_shutdown (HvRpcCall *call,
                        JsonNode  *params,
                        gpointer   user_data)
{
  g_autoptr(GError) error = NULL;
  gboolean wait;

  if (!hv_rpc_params_get_boolean (params, "wait", FALSE, &wait, &error))
    {
      hv_rpc_call_return_error (call, error);
      return;
    }
  run_command (call, params, user_data, HV_DOMAIN_COMMAND_SHUTDOWN, wait);
}

static void
method_domain_pause (HvRpcCall *call,
                     JsonNode  *params,
                     gpointer   user_data)
{
  run_command (call, params, user_data, HV_DOMAIN_COMMAND_PAUSE, FALSE);
}

static void
method_domain_unpause (HvRpcCall *call,
                       JsonNode  *params,
                       gpointer   user_data)
{
  run_command (call, params, user_data, HV_DOMAIN_COMMAND_UNPAUSE, FALSE);
}

static void
method_domain_reboot (HvRpcCall *call,
                      JsonNode  *params,
                      gpointer   user_data)
{
  run_command (call, params, user_data, HV_DOMAIN_COMMAND_REBOOT, FALSE);
}

static void
on_sysrq_sent (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  HvRpcCall *call = user_data;
  g_autoptr(GError) error = NULL;

  if (!hv_domain_sysrq_finish (HV_DOMAIN (source), result, &error))
    hv_daemon_return_error (call, error);
  else
    hv_rpc_call_return (call, hv_daemon_new_empty_result ());
}

/* `xm sysrq`: the magic SysRq key, so that a hung guest can be asked for a sync, a task
 * dump or a crash (which, with pvpanic, on_crash then handles). */
static void
method_domain_sysrq (HvRpcCall *call,
                     JsonNode  *params,
                     gpointer   user_data)
{
  g_autoptr(GError) error = NULL;
  const char *key = NULL;
  HvDomain *domain;

  if (!hv_rpc_params_get_string (params, "key", NULL, &key, &error))
    {
      hv_rpc_call_return_error (call, error);
      return;
    }
  if (key == NULL || strlen (key) != 1 || !(g_ascii_islower (key[0]) || g_ascii_isdigit (key[0])))
    {
      g_set_error (&error, HV_RPC_ERROR, HV_RPC_ERROR_INVALID_PARAMS,
                   _("key must be one letter a-z or digit 0-9, not “%s”"), key != NULL ? key : "");
      hv_rpc_call_return_error (call, error);
      return;
    }
  domain = lookup_param (HV_DAEMON (user_data), call, params);
  if (domain == NULL)
    return;
  hv_domain_sysrq_async (domain, key[0], NULL, on_sysrq_sent, call);
}

typedef struct {
  HvRpcCall *call;
  char      *path;
  int        fd;
} Dump;

static void
on_dumped (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Dump *dump = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  struct stat info;

  if (!hv_domain_dump_finish (HV_DOMAIN (source), result, &error) || fstat (dump->fd, &info) != 0)
    {
      /* No half-written core left behind. */
      g_unlink (dump->path);
      if (error == NULL)
        g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s", dump->path, g_strerror (errno));
      hv_daemon_return_error (dump->call, error);
    }
  else
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "path");
      json_builder_add_string_value (builder, dump->path);
      json_builder_set_member_name (builder, "size_bytes");
      json_builder_add_int_value (builder, info.st_size);
      json_builder_end_object (builder);
      hv_rpc_call_return (dump->call, json_builder_get_root (builder));
    }
  close (dump->fd);
  g_free (dump->path);
  g_free (dump);
}

/* `xm dump-core`: the guest's memory into the host's dump folder, never a path the client
 * names (the system daemon is root). The file is the daemon's, mode 0600: it holds
 * whatever the guest had in memory. */
static void
method_domain_dump (HvRpcCall *call,
                    JsonNode  *params,
                    gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *file_name = NULL;
  g_autofree char *path = NULL;
  HvDomain *domain = lookup_param (self, call, params);
  Dump *dump;
  int fd;

  if (domain == NULL)
    return;
  if (!hv_domain_is_active (domain))
    {
      hv_rpc_call_return_new_error (call, HV_RPC_ERROR_NOT_RUNNING, _("Domain %s is not running."),
                                    hv_domain_get_name (domain));
      return;
    }
  file_name = g_strdup_printf ("%s-%s.core", hv_domain_get_name (domain), stamp);
  path = g_build_filename (self->paths->dump_dir, file_name, NULL);
  if (g_mkdir_with_parents (self->paths->dump_dir, 0700) != 0 ||
      (fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
    {
      int saved_errno = errno;
      g_autoptr(GError) error = g_error_new (G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                                             _("Cannot create the dump file “%s”: %s"),
                                             path, g_strerror (saved_errno));

      hv_daemon_return_error (call, error);
      return;
    }
  dump = g_new0 (Dump, 1);
  dump->call = call;
  dump->path = g_steal_pointer (&path);
  dump->fd = fd;
  hv_domain_dump_async (domain, fd, NULL, on_dumped, dump);
}

/* Configs and autostart */

static void
method_domain_get_config (HvRpcCall *call,
                          JsonNode  *params,
                          gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  HvDomain *domain = lookup_param (self, call, params);
  const char *path;

  if (domain == NULL)
    return;
  path = hv_domain_get_config_path (domain);
  if (path == NULL || !g_file_get_contents (path, &text, NULL, &error))
    {
      if (error == NULL)
        g_set_error (&error, HV_RPC_ERROR, HV_RPC_ERROR_NO_SUCH_DOMAIN,
                     _("Domain %s runs, but its config file is gone."), hv_domain_get_name (domain));
      hv_daemon_return_error (call, error);
      return;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "config");
  json_builder_add_string_value (builder, text);
  json_builder_set_member_name (builder, "path");
  json_builder_add_string_value (builder, path);
  json_builder_end_object (builder);
  hv_rpc_call_return (call, json_builder_get_root (builder));
}

static void
method_domain_set_config (HvRpcCall *call,
                          JsonNode  *params,
                          gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(GError) error = NULL;
  const char *name, *text = NULL;
  HvDomain *domain;

  if (!get_name_param (call, params, &name))
    return;
  if (hv_daemon_params_require_string (params, "config", &text, &error) &&
      (domain = hv_host_lookup (self->host, name, NULL)) != NULL &&
      !allow_config_paths (self, call, text, hv_domain_get_config_path (domain)))
    return;
  if (error != NULL ||
      !hv_host_set_config (self->host, name, text, &error))
    {
      hv_daemon_return_error (call, error);
      return;
    }
  hv_rpc_call_return (call, hv_daemon_new_empty_result ());
}

static GVariant *
variant_from_json (const char  *key,
                   JsonNode    *node,
                   GError     **error)
{
  if (JSON_NODE_HOLDS_VALUE (node))
    switch (json_node_get_value_type (node))
      {
      case G_TYPE_STRING:
        return g_variant_new_string (json_node_get_string (node));
      case G_TYPE_INT64:
        return g_variant_new_int64 (json_node_get_int (node));
      case G_TYPE_BOOLEAN:
        return g_variant_new_boolean (json_node_get_boolean (node));
      default:
        break;
      }
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      GVariantBuilder builder;

      g_variant_builder_init (&builder, G_VARIANT_TYPE ("av"));
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);

          if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
            {
              g_variant_builder_clear (&builder);
              g_set_error (error, HV_RPC_ERROR, HV_RPC_ERROR_INVALID_PARAMS,
                           _("values.%s: a list may only hold strings"), key);
              return NULL;
            }
          g_variant_builder_add (&builder, "v", g_variant_new_string (json_node_get_string (element)));
        }
      return g_variant_builder_end (&builder);
    }
  g_set_error (error, HV_RPC_ERROR, HV_RPC_ERROR_INVALID_PARAMS,
               _("values.%s: expected a string, an integer, a boolean, a list of strings or null"), key);
  return NULL;
}

/* values as the host takes them (a{smv}); the JSON types the protocol allows, nothing else. */
static GVariant *
values_from_json (JsonObject  *values,
                  GError     **error)
{
  g_autoptr(GList) members = json_object_get_members (values);
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a{smv}"));

  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *key = l->data;
      JsonNode *node = json_object_get_member (values, key);
      GVariant *value = NULL;

      if (!JSON_NODE_HOLDS_NULL (node) && (value = variant_from_json (key, node, error)) == NULL)
        return NULL;
      g_variant_builder_add (&builder, "{smv}", key, value);
    }
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

static void
method_domain_set_values (HvRpcCall *call,
                          JsonNode  *params,
                          gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) values = NULL;
  g_autofree char *text = NULL;
  JsonObject *object;
  const char *name;

  if (!get_name_param (call, params, &name))
    return;
  if (!hv_daemon_params_require_object (params, "values", &object, &error) ||
      (values = values_from_json (object, &error)) == NULL ||
      (text = hv_host_apply_values (self->host, name, values, &error)) == NULL)
    {
      hv_daemon_return_error (call, error);
      return;
    }
  /* A value may name a file (disk, kernel…): the same folders rule as a whole config. */
  if (!allow_config_paths (self, call, text, name))
    return;
  if (!hv_host_set_config (self->host, name, text, &error))
    {
      hv_daemon_return_error (call, error);
      return;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "config");
  json_builder_add_string_value (builder, text);
  json_builder_end_object (builder);
  hv_rpc_call_return (call, json_builder_get_root (builder));
}

static void
method_domain_set_autostart (HvRpcCall *call,
                             JsonNode  *params,
                             gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(GError) error = NULL;
  const char *name;
  gboolean autostart;

  if (!get_name_param (call, params, &name))
    return;
  if (!hv_rpc_params_get_boolean (params, "autostart", FALSE, &autostart, &error) ||
      !hv_host_set_autostart (self->host, name, autostart, &error))
    {
      hv_daemon_return_error (call, error);
      return;
    }
  hv_rpc_call_return (call, hv_daemon_new_empty_result ());
}

/* Events */

static void
on_domain_event (HvHost     *host,
                 HvDomain   *domain,
                 const char *reason,
                 gpointer    user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) params = NULL;
  const char *state = hv_domain_is_active (domain) ? state_name (self, domain) : "shutoff";

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, hv_domain_get_name (domain));
  json_builder_set_member_name (builder, "id");
  if (hv_domain_get_id (domain) > 0)
    json_builder_add_int_value (builder, hv_domain_get_id (domain));
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, state);
  json_builder_set_member_name (builder, "flags");
  json_builder_add_string_value (builder, state_flags (state));
  json_builder_set_member_name (builder, "reason");
  json_builder_add_string_value (builder, reason);
  json_builder_end_object (builder);

  params = json_builder_get_root (builder);
  g_debug ("domain %s: %s (%s)", hv_domain_get_name (domain), state, reason);
  hv_rpc_server_broadcast (self->server, "domain.event", params);
}

void
hv_daemon_connect_domain_events (HvDaemon *self)
{
  g_signal_connect_object (self->host, "domain-event", G_CALLBACK (on_domain_event), self, 0);
}

void
hv_daemon_add_domain_methods (HvDaemon *self)
{
  static const struct {
    const char      *name;
    HvRpcMethodFunc  func;
  } methods[] = {
    { "domain.list", method_domain_list },
    { "domain.get", method_domain_get },
    { "domain.define", method_domain_define },
    { "domain.undefine", method_domain_undefine },
    { "domain.create", method_domain_create },
    { "domain.start", method_domain_start },
    { "domain.shutdown", method_domain_shutdown },
    { "domain.destroy", method_domain_destroy },
    { "domain.pause", method_domain_pause },
    { "domain.unpause", method_domain_unpause },
    { "domain.reboot", method_domain_reboot },
    { "domain.sysrq", method_domain_sysrq },
    { "domain.dump", method_domain_dump },
    { "domain.get_config", method_domain_get_config },
    { "domain.set_config", method_domain_set_config },
    { "domain.set_values", method_domain_set_values },
    { "domain.set_autostart", method_domain_set_autostart },
  };

  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    hv_rpc_server_add_method (self->server, methods[i].name, methods[i].func, self, NULL);
}
