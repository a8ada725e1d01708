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
#include "hv-daemon.h"

/* QEMU answers --version in milliseconds; this only guards against a wedged binary. */
#define QEMU_PROBE_TIMEOUT_SECONDS 5
/* xm's defaults for a config that leaves them out. */
#define DEFAULT_MEMORY_MIB 128
#define DEFAULT_VCPUS      1
#define DOMAIN0_NAME       "Domain-0"

G_DEFINE_QUARK (hv-daemon-error-quark, hv_daemon_error)

struct _HvDaemon
{
  GObject       parent_instance;

  HvPaths      *paths;
  char         *name;
  HvRpcServer  *server;

  /* `qemu-system-x86_64 --version`, asked once at start. */
  GSubprocess  *qemu_probe;
  GCancellable *qemu_probe_cancellable;
  guint         qemu_probe_timeout_id;
  char         *qemu_version;     /* NULL until the probe ended */
  GPtrArray    *hello_waiting;    /* HvRpcCall, answered when the probe ends */
};

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

/*
 * Domain-0's CPU time: the CPU time the host spent doing work, all CPUs together,
 * since boot. The busy fields of /proc/stat's "cpu" line (idle and iowait are not
 * work; guest time is already inside user), in clock ticks.
 */
static double
host_cpu_seconds (void)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;
  guint64 busy = 0;
  long ticks_per_second;
  char *end;

  if (!g_file_get_contents ("/proc/stat", &text, NULL, NULL) ||
      !g_str_has_prefix (text, "cpu "))
    return 0.0;
  end = strchr (text, '\n');
  if (end != NULL)
    *end = '\0';
  fields = g_strsplit_set (text + strlen ("cpu "), " ", -1);

  /* user nice system idle iowait irq softirq steal: indexes 0 1 2 5 6 7 are busy. */
  for (guint i = 0, column = 0; fields[i] != NULL; i++)
    {
      if (*fields[i] == '\0')
        continue;
      if (column == 0 || column == 1 || column == 2 ||
          column == 5 || column == 6 || column == 7)
        busy += g_ascii_strtoull (fields[i], NULL, 10);
      column++;
    }

  ticks_per_second = sysconf (_SC_CLK_TCK);
  if (ticks_per_second <= 0)
    ticks_per_second = 100;
  return (double) busy / (double) ticks_per_second;
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
  /* The KVM probe comes with the domain lifecycle; until then TCG is what guests would get. */
  json_builder_set_member_name (builder, "accelerator");
  json_builder_add_string_value (builder, "tcg");
  json_builder_set_member_name (builder, "accelerator_probed");
  json_builder_add_boolean_value (builder, FALSE);
  json_builder_set_member_name (builder, "capabilities");
  json_builder_begin_array (builder);
  for (guint i = 0; methods[i] != NULL; i++)
    if (strcmp (methods[i], "hello") != 0)
      json_builder_add_string_value (builder, methods[i]);
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

/* domain.list */

typedef struct {
  char     *config_dir;
  gboolean  all;
} ListData;

static void
list_data_free (ListData *data)
{
  g_free (data->config_dir);
  g_free (data);
}

/* What one .cfg file says about its domain, or why it says nothing usable. */
typedef struct {
  char   *name;
  char   *path;
  gint64  memory_mib;
  gint64  vcpus;
  char   *error;      /* non-NULL: the config is invalid */
} Defined;

static void
defined_free (Defined *defined)
{
  g_free (defined->name);
  g_free (defined->path);
  g_free (defined->error);
  g_free (defined);
}

static Defined *
read_defined (const char *config_dir,
              const char *file_name)
{
  Defined *defined = g_new0 (Defined, 1);
  g_autoptr(HvConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  const char *name = NULL;

  defined->path = g_build_filename (config_dir, file_name, NULL);
  /* Until the file says otherwise, its name stands for the domain. */
  defined->name = g_strndup (file_name, strlen (file_name) - strlen (".cfg"));

  config = hv_config_new_from_file (defined->path, &error);
  if (config == NULL ||
      !hv_config_get_string (config, "name", NULL, &name, &error) ||
      !hv_config_get_int (config, "memory", "MiB", DEFAULT_MEMORY_MIB,
                          &defined->memory_mib, &error) ||
      !hv_config_get_int (config, "vcpus", NULL, DEFAULT_VCPUS, &defined->vcpus, &error))
    {
      defined->error = g_strdup (error->message);
      return defined;
    }

  if (name == NULL || *name == '\0')
    hv_config_set_key_error (config, &error, HV_CONFIG_ERROR_MISSING, "name",
                             _("every domain needs a name"));
  else if (strcmp (name, DOMAIN0_NAME) == 0)
    hv_config_set_key_error (config, &error, HV_CONFIG_ERROR_INVALID, "name",
                             _("“%s” is the host’s own name"), DOMAIN0_NAME);
  else if (defined->memory_mib <= 0)
    hv_config_set_key_error (config, &error, HV_CONFIG_ERROR_INVALID, "memory",
                             _("must be at least 1 MiB"));
  else if (defined->vcpus <= 0)
    hv_config_set_key_error (config, &error, HV_CONFIG_ERROR_INVALID, "vcpus",
                             _("must be at least 1"));
  if (error != NULL)
    {
      defined->error = g_strdup (error->message);
      return defined;
    }

  g_free (defined->name);
  defined->name = g_strdup (name);
  return defined;
}

static int
compare_defined (gconstpointer a,
                 gconstpointer b)
{
  const Defined *da = *(const Defined * const *) a;
  const Defined *db = *(const Defined * const *) b;
  int by_name = g_utf8_collate (da->name, db->name);

  return by_name != 0 ? by_name : strcmp (da->path, db->path);
}

static int
compare_file_names (gconstpointer a,
                    gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static GPtrArray *
read_all_defined (const char *config_dir)
{
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func ((GDestroyNotify) defined_free);
  g_autoptr(GHashTable) by_name = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) file_names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) error = NULL;
  const char *file_name;

  dir = g_dir_open (config_dir, 0, &error);
  if (dir == NULL)
    {
      /* A missing folder just means nothing is defined. */
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_message ("cannot read %s: %s", config_dir, error->message);
      return g_steal_pointer (&all);
    }
  while ((file_name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (file_name, ".cfg") && file_name[0] != '.' &&
        strlen (file_name) > strlen (".cfg"))
      g_ptr_array_add (file_names, g_strdup (file_name));
  /* File order decides which of two files claiming one name wins: make it stable. */
  g_ptr_array_sort (file_names, compare_file_names);

  for (guint i = 0; i < file_names->len; i++)
    {
      Defined *defined = read_defined (config_dir, g_ptr_array_index (file_names, i));
      const Defined *first;

      if (defined->error == NULL &&
          (first = g_hash_table_lookup (by_name, defined->name)) != NULL)
        defined->error = g_strdup_printf (_("%s: name: “%s” is already used by %s"),
                                          defined->path, defined->name, first->path);
      else if (defined->error == NULL)
        g_hash_table_insert (by_name, defined->name, defined);
      g_ptr_array_add (all, defined);
    }

  g_ptr_array_sort (all, compare_defined);
  return g_steal_pointer (&all);
}

static void
add_domain0 (JsonBuilder *builder)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, DOMAIN0_NAME);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, 0);
  json_builder_set_member_name (builder, "memory_mib");
  json_builder_add_int_value (builder, host_memory_mib ());
  json_builder_set_member_name (builder, "vcpus");
  json_builder_add_int_value (builder, g_get_num_processors ());
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, "running");
  json_builder_set_member_name (builder, "cpu_time");
  json_builder_add_double_value (builder, host_cpu_seconds ());
  json_builder_end_object (builder);
}

static void
add_defined (JsonBuilder   *builder,
             const Defined *defined)
{
  gboolean valid = defined->error == NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, defined->name);
  json_builder_set_member_name (builder, "id");
  json_builder_add_null_value (builder);
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
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, valid ? "shutoff" : "invalid");
  json_builder_set_member_name (builder, "cpu_time");
  json_builder_add_double_value (builder, 0.0);
  json_builder_set_member_name (builder, "config");
  json_builder_add_string_value (builder, defined->path);
  if (!valid)
    {
      json_builder_set_member_name (builder, "error");
      json_builder_add_string_value (builder, defined->error);
    }
  json_builder_end_object (builder);
}

/* Runs in a worker thread: the configs folder may be large, or on NFS. */
static void
list_domains_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  ListData *data = task_data;
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "domains");
  json_builder_begin_array (builder);
  add_domain0 (builder);
  /* No domain runs yet: the lifecycle arrives with the next issue. */
  if (data->all)
    {
      g_autoptr(GPtrArray) all = read_all_defined (data->config_dir);

      for (guint i = 0; i < all->len; i++)
        add_defined (builder, g_ptr_array_index (all, i));
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  g_task_return_pointer (task, json_builder_get_root (builder),
                         (GDestroyNotify) json_node_unref);
}

static void
on_domains_listed (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  HvRpcCall *call = user_data;
  g_autoptr(GError) error = NULL;
  JsonNode *domains;

  domains = g_task_propagate_pointer (G_TASK (result), &error);
  if (domains == NULL)
    hv_rpc_call_return_error (call, error);
  else
    hv_rpc_call_return (call, domains);
}

static void
method_domain_list (HvRpcCall *call,
                    JsonNode  *params,
                    gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;
  ListData *data;
  gboolean all;

  if (!hv_rpc_params_get_boolean (params, "all", FALSE, &all, &error))
    {
      hv_rpc_call_return_error (call, error);
      return;
    }

  data = g_new0 (ListData, 1);
  data->config_dir = g_strdup (self->paths->config_dir);
  data->all = all;
  task = g_task_new (self, hv_rpc_call_get_cancellable (call), on_domains_listed, call);
  g_task_set_source_tag (task, method_domain_list);
  g_task_set_task_data (task, data, (GDestroyNotify) list_data_free);
  g_task_run_in_thread (task, list_domains_thread);
}

/* Starting */

static void
hv_daemon_dispose (GObject *object)
{
  HvDaemon *self = HV_DAEMON (object);

  if (self->server != NULL)
    hv_rpc_server_stop (self->server);
  g_clear_handle_id (&self->qemu_probe_timeout_id, g_source_remove);
  if (self->qemu_probe_cancellable != NULL)
    g_cancellable_cancel (self->qemu_probe_cancellable);
  g_clear_object (&self->qemu_probe);
  g_clear_object (&self->qemu_probe_cancellable);
  g_clear_object (&self->server);
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
}

HvDaemon *
hv_daemon_new (const HvPaths *paths,
               const char    *name)
{
  HvDaemon *self;

  g_return_val_if_fail (paths != NULL, NULL);

  self = g_object_new (HV_TYPE_DAEMON, NULL);
  self->paths = hv_paths_copy (paths);
  self->name = g_strdup (name != NULL ? name : g_get_host_name ());
  self->server = hv_rpc_server_new ();
  hv_rpc_server_add_method (self->server, "hello", method_hello, self, NULL);
  hv_rpc_server_add_method (self->server, "domain.list", method_domain_list, self, NULL);
  return self;
}

const HvPaths *
hv_daemon_get_paths (HvDaemon *self)
{
  g_return_val_if_fail (HV_IS_DAEMON (self), NULL);
  return self->paths;
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
daemon_listen (GTask *task)
{
  HvDaemon *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!hv_rpc_server_listen_unix (self->server, self->paths->socket_path,
                                  self->paths->socket_mode, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  start_qemu_probe (self);
  g_task_return_boolean (task, TRUE);
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
  daemon_listen (task);
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
  if (g_lstat (path, &info) != 0)
    {
      daemon_listen (task);
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
}
