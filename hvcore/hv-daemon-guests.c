/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The protocol face of the real-guest models (issue 15): domain.snapshot.*, domain.clone,
 * domain.set_template, domain.save, domain.restore, save.list, image.debian and image.cloud. The work is
 * the models' (HvSnapshots, hv-clone, hv-save-file, HvDebianBuilder, hv-cloud-guest); this file
 * only turns params into calls and results or errors into answers.
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "hv-clone.h"
#include "hv-cloud-guest.h"
#include "hv-config.h"
#include "hv-debian-builder.h"
#include "hv-daemon-private.h"
#include "hv-domain.h"
#include "hv-save-file.h"
#include "hv-snapshots.h"
#include "hv-tool.h"

typedef struct {
  HvRpcCall   *call;
  HvSnapshots *snapshots;
} SnapshotCall;

static void
snapshot_call_free (SnapshotCall *request)
{
  g_object_unref (request->snapshots);
  g_free (request);
}

/* A string param that must be there. */
static gboolean
require_string (HvRpcCall   *call,
                JsonNode    *params,
                const char  *member,
                const char **out)
{
  g_autoptr(GError) error = NULL;

  if (!hv_rpc_params_get_string (params, member, NULL, out, &error))
    {
      hv_rpc_call_return_error (call, error);
      return FALSE;
    }
  if (*out == NULL)
    {
      hv_rpc_call_return_new_error (call, HV_RPC_ERROR_INVALID_PARAMS, _("params: “%s” is missing"), member);
      return FALSE;
    }
  return TRUE;
}

static HvDomain *
lookup_domain (HvDaemon  *self,
               HvRpcCall *call,
               JsonNode  *params)
{
  g_autoptr(GError) error = NULL;
  const char *name;
  HvDomain *domain;

  if (!require_string (call, params, "name", &name))
    return NULL;
  domain = hv_host_lookup (self->host, name, &error);
  if (domain == NULL)
    hv_daemon_return_error (call, error);
  return domain;
}

/* Running: the spec it runs with and its QMP; shut off: its config as it is now. */
static HvSnapshots *
snapshots_for (HvDomain  *domain,
               GError   **error)
{
  g_autoptr(HvConfig) config = NULL;
  g_autoptr(HvDomainSpec) spec = NULL;
  const char *path;

  if (hv_domain_is_active (domain) && hv_domain_get_spec (domain) != NULL && hv_domain_get_qmp (domain) != NULL)
    return hv_snapshots_new (hv_domain_get_spec (domain), hv_domain_get_qmp (domain));
  path = hv_domain_get_config_path (domain);
  if (path == NULL)
    {
      g_set_error (error, HV_RPC_ERROR, HV_RPC_ERROR_NO_SUCH_DOMAIN,
                   _("Domain %s has no config file."), hv_domain_get_name (domain));
      return NULL;
    }
  config = hv_config_new_from_file (path, error);
  if (config == NULL || (spec = hv_domain_spec_new (config, HV_DOMAIN_SPEC_FLAGS_NONE, error)) == NULL)
    return NULL;
  return hv_snapshots_new (spec, NULL);
}

static SnapshotCall *
start_snapshot_call (HvDaemon  *self,
                     HvRpcCall *call,
                     JsonNode  *params)
{
  g_autoptr(GError) error = NULL;
  HvDomain *domain = lookup_domain (self, call, params);
  SnapshotCall *request;
  HvSnapshots *snapshots;

  if (domain == NULL)
    return NULL;
  snapshots = snapshots_for (domain, &error);
  if (snapshots == NULL)
    {
      hv_daemon_return_error (call, error);
      return NULL;
    }
  request = g_new0 (SnapshotCall, 1);
  request->call = call;
  request->snapshots = snapshots;
  return request;
}

static void
on_listed (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  SnapshotCall *request = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = hv_snapshots_list_finish (HV_SNAPSHOTS (source), result, &error);
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  if (list == NULL)
    {
      hv_daemon_return_error (request->call, error);
      snapshot_call_free (request);
      return;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "snapshots");
  json_builder_begin_array (builder);
  for (guint i = 0; i < list->len; i++)
    {
      const HvSnapshotInfo *info = g_ptr_array_index (list, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, info->name);
      json_builder_set_member_name (builder, "date");
      json_builder_add_int_value (builder, info->date_sec);
      json_builder_set_member_name (builder, "memory");
      json_builder_add_boolean_value (builder, info->vm_state_size > 0);
      json_builder_set_member_name (builder, "vm_state_bytes");
      json_builder_add_int_value (builder, (gint64) info->vm_state_size);
      json_builder_set_member_name (builder, "guest_clock_ns");
      json_builder_add_int_value (builder, (gint64) info->vm_clock_ns);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  hv_rpc_call_return (request->call, json_builder_get_root (builder));
  snapshot_call_free (request);
}

static void
method_snapshot_list (HvRpcCall *call,
                      JsonNode  *params,
                      gpointer   user_data)
{
  SnapshotCall *request = start_snapshot_call (HV_DAEMON (user_data), call, params);

  if (request != NULL)
    hv_snapshots_list_async (request->snapshots, hv_rpc_call_get_cancellable (call), on_listed, request);
}

static void
on_changed (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  SnapshotCall *request = user_data;
  g_autoptr(GError) error = NULL;

  if (hv_snapshots_change_finish (HV_SNAPSHOTS (source), result, &error))
    hv_rpc_call_return (request->call, hv_daemon_new_empty_result ());
  else
    hv_daemon_return_error (request->call, error);
  snapshot_call_free (request);
}

static void
snapshot_change (HvRpcCall *call,
                 JsonNode  *params,
                 HvDaemon  *self,
                 void     (*change) (HvSnapshots *, const char *, GCancellable *, GAsyncReadyCallback, gpointer))
{
  const char *snapshot;
  SnapshotCall *request;

  if (!require_string (call, params, "snapshot", &snapshot))
    return;
  request = start_snapshot_call (self, call, params);
  if (request != NULL)
    change (request->snapshots, snapshot, hv_rpc_call_get_cancellable (call), on_changed, request);
}

static void
method_snapshot_create (HvRpcCall *call,
                        JsonNode  *params,
                        gpointer   user_data)
{
  snapshot_change (call, params, HV_DAEMON (user_data), hv_snapshots_create_async);
}

static void
method_snapshot_revert (HvRpcCall *call,
                        JsonNode  *params,
                        gpointer   user_data)
{
  snapshot_change (call, params, HV_DAEMON (user_data), hv_snapshots_revert_async);
}

static void
method_snapshot_delete (HvRpcCall *call,
                        JsonNode  *params,
                        gpointer   user_data)
{
  snapshot_change (call, params, HV_DAEMON (user_data), hv_snapshots_delete_async);
}

/* A .cfg a model wrote into a staging folder, defined through the host so that clients hear of
 * it as of any other definition. */
static HvDomain *
define_made_config (HvDaemon    *self,
                    const char  *config_path,
                    GError     **error)
{
  g_autofree char *text = NULL;
  g_autofree char *filename = g_path_get_basename (config_path);

  if (!g_file_get_contents (config_path, &text, NULL, error))
    return NULL;
  return hv_host_define (self->host, text, filename, error);
}

/* Clones and templates */

typedef struct {
  HvDaemon  *daemon;
  HvRpcCall *call;
  char      *staging;   /* the clone's .cfg is written here, then defined through the host */
} CloneCall;

static void
clone_call_free (CloneCall *request)
{
  if (request->staging != NULL)
    hv_tool_remove_tree (request->staging);
  g_free (request->staging);
  g_object_unref (request->daemon);
  g_free (request);
}

static void
on_cloned (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  CloneCall *request = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(HvCloneResult) clone = hv_clone_finish (result, &error);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  HvDomain *domain;

  if (clone == NULL)
    {
      hv_daemon_return_error (request->call, error);
      clone_call_free (request);
      return;
    }
  domain = define_made_config (request->daemon, clone->config_path, &error);
  if (domain == NULL)
    {
      for (guint i = 0; i < clone->images->len; i++)
        g_unlink (g_ptr_array_index (clone->images, i));
      hv_daemon_return_error (request->call, error);
      clone_call_free (request);
      return;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, hv_domain_get_name (domain));
  json_builder_set_member_name (builder, "images");
  json_builder_begin_array (builder);
  for (guint i = 0; i < clone->images->len; i++)
    json_builder_add_string_value (builder, g_ptr_array_index (clone->images, i));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  hv_rpc_call_return (request->call, json_builder_get_root (builder));
  clone_call_free (request);
}

static void
method_domain_clone (HvRpcCall *call,
                     JsonNode  *params,
                     gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(GError) error = NULL;
  const char *new_name;
  gboolean linked = FALSE;
  CloneCall *request;
  HvDomain *domain;

  if (!require_string (call, params, "new_name", &new_name) ||
      !hv_rpc_params_get_boolean (params, "linked", FALSE, &linked, &error))
    {
      if (error != NULL)
        hv_rpc_call_return_error (call, error);
      return;
    }
  domain = lookup_domain (self, call, params);
  if (domain == NULL)
    return;
  if (hv_domain_is_active (domain) || hv_domain_get_config_path (domain) == NULL)
    {
      hv_rpc_call_return_new_error (call, HV_RPC_ERROR_ALREADY_RUNNING,
                                    _("Domain %s is running: shut it off before cloning it (its disks change while it runs)."),
                                    hv_domain_get_name (domain));
      return;
    }
  request = g_new0 (CloneCall, 1);
  request->daemon = g_object_ref (self);
  request->call = call;
  request->staging = g_dir_make_tmp ("domus-clone-XXXXXX", &error);
  if (request->staging == NULL)
    {
      hv_daemon_return_error (call, error);
      clone_call_free (request);
      return;
    }
  hv_clone_async (hv_domain_get_config_path (domain), new_name, self->paths->image_dir, request->staging,
                  linked, hv_rpc_call_get_cancellable (call), on_cloned, request);
}

static void
method_domain_set_template (HvRpcCall *call,
                            JsonNode  *params,
                            gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariantBuilder) values = g_variant_builder_new (G_VARIANT_TYPE ("a{smv}"));
  g_autoptr(GVariant) variant = NULL;
  g_autofree char *text = NULL;
  gboolean template = TRUE;
  HvDomain *domain;

  if (!hv_rpc_params_get_boolean (params, "template", TRUE, &template, &error))
    {
      hv_rpc_call_return_error (call, error);
      return;
    }
  domain = lookup_domain (self, call, params);
  if (domain == NULL)
    return;
  /* A template's disks stand under linked clones: it must not run, nor start while marked. */
  if (template && hv_domain_is_active (domain))
    {
      hv_rpc_call_return_new_error (call, HV_RPC_ERROR_ALREADY_RUNNING,
                                    _("Domain %s is running: shut it off before making it a template."),
                                    hv_domain_get_name (domain));
      return;
    }
  g_variant_builder_add (values, "{smv}", "template", template ? g_variant_new_int64 (1) : NULL);
  variant = g_variant_ref_sink (g_variant_builder_end (values));
  text = hv_host_set_values (self->host, hv_domain_get_name (domain), variant, &error);
  if (text == NULL)
    hv_daemon_return_error (call, error);
  else
    hv_rpc_call_return (call, hv_daemon_new_empty_result ());
}

/* Save and restore (xm save, xm restore) */

typedef struct {
  char   *file;
  char   *domain;
  gint64  saved;
  gint64  size;
} SaveEntry;

static void
save_entry_free (SaveEntry *entry)
{
  g_free (entry->file);
  g_free (entry->domain);
  g_free (entry);
}

static int
compare_newest_first (gconstpointer a,
                      gconstpointer b)
{
  const SaveEntry *x = *(SaveEntry * const *) a;
  const SaveEntry *y = *(SaveEntry * const *) b;

  if (x->saved != y->saved)
    return x->saved < y->saved ? 1 : -1;
  return g_strcmp0 (x->file, y->file);
}

static char *saved_domain_name (const char *text, const char *path, GError **error);

/* One file of the save folder, or NULL when it is no Domus save (or a save being written,
 * whose hidden name starts with "."). Only the header is read. */
static SaveEntry *
read_save_entry (const char *folder,
                 const char *file)
{
  g_autofree char *path = g_build_filename (folder, file, NULL);
  g_autofree char *text = NULL;
  g_autofree char *domain = NULL;
  SaveEntry *entry;
  GStatBuf st;
  gint64 saved = 0;

  if (file[0] == '.' || g_lstat (path, &st) != 0 || !S_ISREG (st.st_mode))
    return NULL;
  text = hv_save_file_read_config (path, &saved, NULL);
  if (text == NULL || (domain = saved_domain_name (text, path, NULL)) == NULL)
    return NULL;
  entry = g_new0 (SaveEntry, 1);
  entry->file = g_strdup (file);
  entry->domain = g_steal_pointer (&domain);
  entry->saved = saved;
  entry->size = (gint64) st.st_size;
  return entry;
}

static void
method_save_list (HvRpcCall *call,
                  JsonNode  *params,
                  gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) save_entry_free);
  g_autoptr(GDir) dir = g_dir_open (self->paths->save_dir, 0, NULL);
  const char *file;

  /* No folder yet is no save yet: it is made by the first domain.save. */
  while (dir != NULL && (file = g_dir_read_name (dir)) != NULL)
    {
      SaveEntry *entry = read_save_entry (self->paths->save_dir, file);

      if (entry != NULL)
        g_ptr_array_add (entries, entry);
    }
  g_ptr_array_sort (entries, compare_newest_first);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "folder");
  json_builder_add_string_value (builder, self->paths->save_dir);
  json_builder_set_member_name (builder, "saves");
  json_builder_begin_array (builder);
  for (guint i = 0; i < entries->len; i++)
    {
      SaveEntry *entry = g_ptr_array_index (entries, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "file");
      json_builder_add_string_value (builder, entry->file);
      json_builder_set_member_name (builder, "domain");
      json_builder_add_string_value (builder, entry->domain);
      json_builder_set_member_name (builder, "saved");
      json_builder_add_int_value (builder, entry->saved);
      json_builder_set_member_name (builder, "size_bytes");
      json_builder_add_int_value (builder, entry->size);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  hv_rpc_call_return (call, json_builder_get_root (builder));
}

/* A file in the host's save folder: never a path the client names (the system daemon is root). */
static char *
save_path_param (HvDaemon    *self,
                 HvRpcCall   *call,
                 JsonNode    *params,
                 const char  *fallback_domain)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *fallback = NULL;
  const char *file;

  if (fallback_domain != NULL)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_local ();
      g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");

      fallback = g_strdup_printf ("%s-%s.save", fallback_domain, stamp);
    }
  if (!hv_rpc_params_get_string (params, "file", fallback, &file, &error))
    {
      hv_rpc_call_return_error (call, error);
      return NULL;
    }
  if (file == NULL)
    {
      hv_rpc_call_return_new_error (call, HV_RPC_ERROR_INVALID_PARAMS, _("params: “%s” is missing"), "file");
      return NULL;
    }
  if (*file == '\0' || *file == '.' || strchr (file, '/') != NULL || strlen (file) > 255)
    {
      hv_rpc_call_return_new_error (call, HV_RPC_ERROR_INVALID_PARAMS,
                                    _("file: “%s” is not a file name in the save folder %s (no “/”, not starting with “.”)"),
                                    file, self->paths->save_dir);
      return NULL;
    }
  return g_build_filename (self->paths->save_dir, file, NULL);
}

typedef struct {
  HvDaemon  *daemon;
  HvRpcCall *call;
  HvDomain  *domain;
  char      *path;
} SaveCall;

static void
save_call_free (SaveCall *request)
{
  g_object_unref (request->daemon);
  g_object_unref (request->domain);
  g_free (request->path);
  g_free (request);
}

static void
on_saved_domain_destroyed (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  SaveCall *request = user_data;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GError) error = NULL;
  struct stat st;

  /* The state is in the file whatever happens to the paused QEMU now. */
  if (!hv_domain_destroy_finish (HV_DOMAIN (source), result, &error))
    g_warning ("domain %s: saved, but its QEMU did not end: %s", hv_domain_get_name (request->domain), error->message);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "file");
  json_builder_add_string_value (builder, request->path);
  json_builder_set_member_name (builder, "size_bytes");
  json_builder_add_int_value (builder, g_stat (request->path, &st) == 0 ? (gint64) st.st_size : 0);
  json_builder_end_object (builder);
  hv_rpc_call_return (request->call, json_builder_get_root (builder));
  save_call_free (request);
}

static void
on_saved (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  SaveCall *request = user_data;
  g_autoptr(GError) error = NULL;

  if (!hv_save_file_save_finish (result, &error))
    {
      hv_daemon_return_error (request->call, error);
      save_call_free (request);
      return;
    }
  hv_domain_set_end_reason (request->domain, "saved");
  hv_domain_destroy_async (request->domain, NULL, on_saved_domain_destroyed, request);
}

static void
method_domain_save (HvRpcCall *call,
                    JsonNode  *params,
                    gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(GError) error = NULL;
  g_autofree char *live = NULL;
  g_autofree char *text = NULL;
  g_autofree char *path = NULL;
  HvDomainState state;
  SaveCall *request;
  HvDomain *domain = lookup_domain (self, call, params);

  if (domain == NULL)
    return;
  state = hv_domain_get_state (domain);
  if ((state != HV_DOMAIN_STATE_RUNNING && state != HV_DOMAIN_STATE_PAUSED) || hv_domain_get_qmp (domain) == NULL)
    {
      hv_rpc_call_return_new_error (call, HV_RPC_ERROR_NOT_RUNNING, _("Domain %s is not running."),
                                    hv_domain_get_name (domain));
      return;
    }
  path = save_path_param (self, call, params, hv_domain_get_name (domain));
  if (path == NULL)
    return;
  /* The config it runs with, as its run folder keeps it. */
  live = g_build_filename (hv_domain_get_run_dir (domain), "config.cfg", NULL);
  if (!g_file_get_contents (live, &text, NULL, &error) ||
      g_mkdir_with_parents (self->paths->save_dir, 0700) != 0)
    {
      if (error == NULL)
        g_set_error (&error, G_FILE_ERROR, g_file_error_from_errno (errno), _("Cannot make %s: %s"),
                     self->paths->save_dir, g_strerror (errno));
      hv_daemon_return_error (call, error);
      return;
    }
  request = g_new0 (SaveCall, 1);
  request->daemon = g_object_ref (self);
  request->call = call;
  request->domain = g_object_ref (domain);
  request->path = g_steal_pointer (&path);
  hv_save_file_save_async (hv_domain_get_qmp (domain), request->path, text, NULL, on_saved, request);
}

typedef struct {
  HvDaemon  *daemon;
  HvRpcCall *call;
  HvDomain  *domain;
  char      *path;
  char      *config_text;
  char      *staged_config;   /* a domain not defined here runs from this until it arrived */
} RestoreCall;

static void
restore_call_free (RestoreCall *request)
{
  g_object_unref (request->daemon);
  g_clear_object (&request->domain);
  g_free (request->path);
  g_free (request->config_text);
  if (request->staged_config != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (request->staged_config);

      hv_tool_remove_tree (dir);
    }
  g_free (request->staged_config);
  g_free (request);
}

static void
on_failed_restore_destroyed (GObject      *source,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  RestoreCall *request = user_data;
  GError *error = g_object_steal_data (G_OBJECT (request->domain), "domus-restore-error");

  hv_domain_destroy_finish (HV_DOMAIN (source), result, NULL);
  if (request->staged_config != NULL)
    hv_host_forget_incoming (request->daemon->host, request->domain);
  hv_daemon_return_error (request->call, error);
  g_error_free (error);
  restore_call_free (request);
}

static void
on_restored (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  RestoreCall *request = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  if (!hv_save_file_restore_finish (result, &error) ||
      (request->staged_config != NULL &&
       !hv_host_adopt_incoming (request->daemon->host, request->domain, request->config_text, &error)))
    {
      /* Nothing half-restored stays: the waiting QEMU goes. */
      g_object_set_data_full (G_OBJECT (request->domain), "domus-restore-error",
                              g_steal_pointer (&error), (GDestroyNotify) g_error_free);
      hv_domain_destroy_async (request->domain, NULL, on_failed_restore_destroyed, request);
      return;
    }
  hv_domain_complete_incoming_as (request->domain, HV_DOMAIN_STATE_RUNNING, "restored");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, hv_domain_get_name (request->domain));
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, hv_domain_get_id (request->domain));
  json_builder_end_object (builder);
  hv_rpc_call_return (request->call, json_builder_get_root (builder));
  restore_call_free (request);
}

static void
on_restore_started (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  RestoreCall *request = user_data;
  g_autoptr(GError) error = NULL;
  HvDomain *domain;

  if (request->staged_config != NULL)
    domain = hv_host_start_incoming_finish (HV_HOST (source), result, &error);
  else
    domain = hv_host_start_finish (HV_HOST (source), result, &error);
  if (domain == NULL)
    {
      hv_daemon_return_error (request->call, error);
      restore_call_free (request);
      return;
    }
  request->domain = g_object_ref (domain);
  hv_save_file_restore_async (hv_domain_get_qmp (domain), request->path, NULL, on_restored, request);
}

/* The name the saved config gives its domain. */
static char *
saved_domain_name (const char  *text,
                   const char  *path,
                   GError     **error)
{
  g_autoptr(HvConfig) config = hv_config_new_from_data (text, -1, path, error);
  const char *name = NULL;

  if (config == NULL || !hv_config_get_string (config, "name", NULL, &name, error))
    return NULL;
  if (name == NULL)
    g_set_error (error, HV_CONFIG_ERROR, HV_CONFIG_ERROR_MISSING, _("%s: the saved config has no name"), path);
  return g_strdup (name);
}

static void
method_domain_restore (HvRpcCall *call,
                       JsonNode  *params,
                       gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = save_path_param (self, call, params, NULL);
  g_autofree char *text = NULL;
  g_autofree char *name = NULL;
  RestoreCall *request;
  HvDomain *domain;

  if (path == NULL)
    return;
  text = hv_save_file_read_config (path, NULL, &error);
  if (text == NULL || (name = saved_domain_name (text, path, &error)) == NULL)
    {
      hv_daemon_return_error (call, error);
      return;
    }
  request = g_new0 (RestoreCall, 1);
  request->daemon = g_object_ref (self);
  request->call = call;
  request->path = g_steal_pointer (&path);
  request->config_text = g_steal_pointer (&text);
  domain = hv_host_lookup (self->host, name, NULL);
  if (domain != NULL && hv_domain_get_config_path (domain) != NULL && !hv_domain_is_active (domain))
    {
      /* Defined here (xm save keeps the definition): it comes back under it, as it was. */
      hv_domain_set_incoming (domain, TRUE, FALSE);
      hv_host_start_async (self->host, name, NULL, NULL, on_restore_started, request);
      return;
    }
  if (domain != NULL && hv_domain_is_active (domain))
    {
      hv_rpc_call_return_new_error (call, HV_RPC_ERROR_ALREADY_RUNNING, _("Domain %s is running already."), name);
      restore_call_free (request);
      return;
    }
  /* Not defined here: it runs from the saved config until it is in, then is defined by it. */
  {
    g_autofree char *dir = g_dir_make_tmp ("domus-restore-XXXXXX", &error);

    if (dir != NULL)
      {
        request->staged_config = g_build_filename (dir, "config.cfg", NULL);
        if (!g_file_set_contents_full (request->staged_config, request->config_text, -1,
                                       G_FILE_SET_CONTENTS_NONE, 0600, &error))
          g_clear_pointer (&dir, g_free);
      }
    if (dir == NULL)
      {
        hv_daemon_return_error (call, error);
        restore_call_free (request);
        return;
      }
  }
  hv_host_start_incoming_async (self->host, name, request->staged_config, FALSE, NULL, NULL,
                                on_restore_started, request);
}

/* Debian guests from the archive (xen-create-image) */

typedef struct {
  HvDaemon        *daemon;
  HvRpcCall       *call;
  HvRpcPeer       *peer;
  HvDebianBuilder *builder;
  char            *name;
  char            *staging;     /* the builder's config folder: defined through the host after */
  gulong           progress_id;
} DebianCall;

static void
debian_call_free (DebianCall *request)
{
  g_clear_signal_handler (&request->progress_id, request->builder);
  if (request->staging != NULL)
    hv_tool_remove_tree (request->staging);
  g_free (request->staging);
  g_free (request->name);
  g_object_unref (request->builder);
  hv_rpc_peer_unref (request->peer);
  g_object_unref (request->daemon);
  g_free (request);
}

/* One builder per daemon: it knows which suites' bases are being built, so two requests never
 * make the same base at once. */
static HvDebianBuilder *
daemon_builder (HvDaemon *self)
{
  HvDebianBuilder *builder = g_object_get_data (G_OBJECT (self), "domus-debian-builder");

  if (builder == NULL)
    {
      builder = hv_debian_builder_new (self->paths->image_dir, self->paths->config_dir);
      g_object_set_data_full (G_OBJECT (self), "domus-debian-builder", builder, g_object_unref);
    }
  return g_object_ref (builder);
}

static void
on_debian_progress (HvDebianBuilder *builder,
                    const char      *name,
                    const char      *stage,
                    guint            percent,
                    gpointer         user_data)
{
  DebianCall *request = user_data;
  g_autoptr(JsonBuilder) json = json_builder_new ();

  /* The builder is the daemon's: its other builds are other clients' business. */
  if (!g_str_equal (name, request->name))
    return;

  json_builder_begin_object (json);
  json_builder_set_member_name (json, "name");
  json_builder_add_string_value (json, request->name);
  json_builder_set_member_name (json, "stage");
  json_builder_add_string_value (json, stage);
  json_builder_set_member_name (json, "percent");
  json_builder_add_int_value (json, percent);
  json_builder_end_object (json);
  hv_rpc_peer_notify (request->peer, "image.progress", json_builder_get_root (json));
}

static void
on_debian_built (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  DebianCall *request = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(HvDebianResult) built = hv_debian_builder_build_finish (HV_DEBIAN_BUILDER (source), result, &error);
  g_autoptr(JsonBuilder) json = json_builder_new ();
  HvDomain *domain = NULL;

  if (built != NULL)
    domain = define_made_config (request->daemon, built->config_path, &error);
  if (domain == NULL)
    {
      if (built != NULL)
        {
          g_unlink (built->disk_path);
          g_unlink (built->seed_path);
        }
      hv_daemon_return_error (request->call, error);
      debian_call_free (request);
      return;
    }
  json_builder_begin_object (json);
  json_builder_set_member_name (json, "name");
  json_builder_add_string_value (json, hv_domain_get_name (domain));
  json_builder_set_member_name (json, "disk");
  json_builder_add_string_value (json, built->disk_path);
  json_builder_set_member_name (json, "seed");
  json_builder_add_string_value (json, built->seed_path);
  json_builder_set_member_name (json, "base");
  json_builder_add_string_value (json, built->base_path);
  json_builder_set_member_name (json, "base_built");
  json_builder_add_boolean_value (json, built->base_built);
  json_builder_set_member_name (json, "ssh_port");
  json_builder_add_int_value (json, built->ssh_port);
  json_builder_end_object (json);
  hv_rpc_call_return (request->call, json_builder_get_root (json));
  debian_call_free (request);
}

/* "packages": an array of strings, or absent. */
static gboolean
packages_param (JsonNode  *params,
                GStrv     *out,
                GError   **error)
{
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (params) ? json_node_get_object (params) : NULL;
  JsonNode *member = object != NULL ? json_object_get_member (object, "packages") : NULL;
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  JsonArray *array;

  *out = NULL;
  if (member == NULL || JSON_NODE_HOLDS_NULL (member))
    return TRUE;
  array = JSON_NODE_HOLDS_ARRAY (member) ? json_node_get_array (member) : NULL;
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (item) || json_node_get_value_type (item) != G_TYPE_STRING)
        {
          array = NULL;
          break;
        }
      g_strv_builder_add (names, json_node_get_string (item));
    }
  if (array == NULL)
    {
      g_set_error_literal (error, HV_RPC_ERROR, HV_RPC_ERROR_INVALID_PARAMS,
                           _("packages: expected an array of package names"));
      return FALSE;
    }
  *out = g_strv_builder_end (names);
  return TRUE;
}

/* "ssh_port": a host port, 0 for no forward; absent: the first free one from 2222 where guests
 * have user-mode networking, none on bridges (there the guest has an address of its own).
 * *out as the builders take it: 0 to choose, -1 for none. */
static gboolean
ssh_port_param (HvDaemon   *self,
                JsonNode   *params,
                gint       *out,
                GError    **error)
{
  const gint64 absent = G_MININT64;
  gint64 port;

  if (!hv_rpc_params_get_int (params, "ssh_port", absent, &port, error))
    return FALSE;
  if (port == absent)
    *out = self->options.net_mode == HV_QEMU_NET_TAP ? -1 : 0;
  else if (port < 0 || port > 65535)
    {
      g_set_error (error, HV_RPC_ERROR, HV_RPC_ERROR_INVALID_PARAMS,
                   _("ssh_port: %lld is not a port from 1 to 65535 (0: no forward)"), (long long) port);
      return FALSE;
    }
  else
    *out = port == 0 ? -1 : (gint) port;
  return TRUE;
}

static gboolean
debian_request_params (JsonNode          *params,
                       HvDebianRequest   *request,
                       const char       **mirror,
                       GError           **error)
{
  const char *suite = NULL, *hostname = NULL, *keys = NULL, *password = NULL;
  gint64 size = 0, memory = 0;

  if (!hv_rpc_params_get_string (params, "suite", NULL, &suite, error) ||
      !hv_rpc_params_get_string (params, "hostname", NULL, &hostname, error) ||
      !hv_rpc_params_get_string (params, "ssh_keys", NULL, &keys, error) ||
      !hv_rpc_params_get_string (params, "root_password", NULL, &password, error) ||
      !hv_rpc_params_get_string (params, "mirror", NULL, mirror, error) ||
      !hv_rpc_params_get_int (params, "size_bytes", 0, &size, error) ||
      !hv_rpc_params_get_int (params, "memory_mib", 0, &memory, error) ||
      !packages_param (params, &request->packages, error))
    return FALSE;
  if (size < 0)
    {
      g_set_error (error, HV_RPC_ERROR, HV_RPC_ERROR_INVALID_PARAMS, _("size_bytes: %lld is not a size"), (long long) size);
      return FALSE;
    }
  if (*mirror != NULL && !g_str_has_prefix (*mirror, "http://") && !g_str_has_prefix (*mirror, "https://"))
    {
      g_set_error (error, HV_RPC_ERROR, HV_RPC_ERROR_INVALID_PARAMS,
                   _("mirror: “%s” is not an http:// or https:// address"), *mirror);
      return FALSE;
    }
  request->suite = g_strdup (suite);
  request->hostname = g_strdup (hostname);
  request->ssh_keys = g_strdup (keys);
  request->root_password = g_strdup (password);
  request->size_bytes = (guint64) size;
  request->memory_mib = memory;
  return TRUE;
}

/* A domain of that name defined or running here is refused before minutes of work. */
static gboolean
refuse_existing_domain (HvDaemon   *self,
                        HvRpcCall  *call,
                        const char *name)
{
  g_autoptr(GError) lookup_error = NULL;

  if (hv_host_lookup (self->host, name, &lookup_error) == NULL)
    return FALSE;
  hv_rpc_call_return_new_error (call, HV_RPC_ERROR_ALREADY_EXISTS,
                                _("A domain named “%s” exists on this host already."), name);
  return TRUE;
}

static void
method_image_debian (HvRpcCall *call,
                     JsonNode  *params,
                     gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(GError) error = NULL;
  g_autoptr(HvDebianRequest) debian = NULL;
  g_autofree char *staging = NULL;
  const char *name, *mirror = NULL;
  DebianCall *request;

  if (!require_string (call, params, "name", &name))
    return;
  debian = hv_debian_request_new (name);
  if (!debian_request_params (params, debian, &mirror, &error) ||
      !ssh_port_param (self, params, &debian->ssh_port, &error))
    {
      hv_rpc_call_return_error (call, error);
      return;
    }
  if (refuse_existing_domain (self, call, name))
    return;
  staging = g_dir_make_tmp ("domus-debian-XXXXXX", &error);
  if (staging == NULL)
    {
      hv_daemon_return_error (call, error);
      return;
    }
  request = g_new0 (DebianCall, 1);
  request->daemon = g_object_ref (self);
  request->call = call;
  request->peer = hv_rpc_peer_ref (hv_rpc_call_get_peer (call));
  request->name = g_strdup (name);
  request->staging = g_steal_pointer (&staging);
  request->builder = daemon_builder (self);
  debian->config_dir = g_strdup (request->staging);
  debian->mirror = g_strdup (mirror);
  request->progress_id = g_signal_connect (request->builder, "progress", G_CALLBACK (on_debian_progress), request);
  /* A client that leaves cancels the build: nothing half-made stays. */
  hv_debian_builder_build_async (request->builder, debian, hv_rpc_call_get_cancellable (call),
                                 on_debian_built, request);
}

/* Guests of cloud images */

typedef struct {
  HvDaemon  *daemon;
  HvRpcCall *call;
  char      *staging;   /* the .cfg is written here, then defined through the host */
} CloudCall;

static void
cloud_call_free (CloudCall *request)
{
  hv_tool_remove_tree (request->staging);
  g_free (request->staging);
  g_object_unref (request->daemon);
  g_free (request);
}

static void
on_cloud_guest_made (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  CloudCall *request = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(HvCloudGuestResult) made = hv_cloud_guest_make_finish (result, &error);
  g_autoptr(JsonBuilder) json = json_builder_new ();
  HvDomain *domain = NULL;

  if (made != NULL)
    domain = define_made_config (request->daemon, made->config_path, &error);
  if (domain == NULL)
    {
      if (made != NULL)
        {
          g_unlink (made->disk_path);
          g_unlink (made->seed_path);
        }
      hv_daemon_return_error (request->call, error);
      cloud_call_free (request);
      return;
    }
  json_builder_begin_object (json);
  json_builder_set_member_name (json, "name");
  json_builder_add_string_value (json, hv_domain_get_name (domain));
  json_builder_set_member_name (json, "disk");
  json_builder_add_string_value (json, made->disk_path);
  json_builder_set_member_name (json, "seed");
  json_builder_add_string_value (json, made->seed_path);
  json_builder_set_member_name (json, "image");
  json_builder_add_string_value (json, made->image_path);
  json_builder_set_member_name (json, "cloud_init");
  json_builder_add_string_value (json, hv_cloud_init_presence_to_string (made->cloud_init));
  json_builder_set_member_name (json, "cloud_init_detail");
  json_builder_add_string_value (json, made->probe_detail != NULL ? made->probe_detail : "");
  json_builder_set_member_name (json, "ssh_port");
  json_builder_add_int_value (json, made->ssh_port);
  json_builder_end_object (json);
  hv_rpc_call_return (request->call, json_builder_get_root (json));
  cloud_call_free (request);
}

static gboolean
cloud_request_params (JsonNode             *params,
                      HvCloudGuestRequest  *request,
                      GError              **error)
{
  const char *format = NULL, *hostname = NULL, *user = NULL, *keys = NULL, *user_data = NULL;
  gint64 size = 0, memory = 0;

  if (!hv_rpc_params_get_string (params, "format", NULL, &format, error) ||
      !hv_rpc_params_get_string (params, "hostname", NULL, &hostname, error) ||
      !hv_rpc_params_get_string (params, "user", NULL, &user, error) ||
      !hv_rpc_params_get_string (params, "ssh_keys", NULL, &keys, error) ||
      !hv_rpc_params_get_string (params, "user_data", NULL, &user_data, error) ||
      !hv_rpc_params_get_int (params, "size_bytes", 0, &size, error) ||
      !hv_rpc_params_get_int (params, "memory_mib", 0, &memory, error))
    return FALSE;
  if (size < 0)
    {
      g_set_error (error, HV_RPC_ERROR, HV_RPC_ERROR_INVALID_PARAMS, _("size_bytes: %lld is not a size"), (long long) size);
      return FALSE;
    }
  request->format = g_strdup (format);
  request->hostname = g_strdup (hostname);
  request->user = g_strdup (user);
  request->ssh_keys = g_strdup (keys);
  request->user_data = g_strdup (user_data);
  request->size_bytes = (guint64) size;
  request->memory_mib = memory;
  return TRUE;
}

static void
method_image_cloud (HvRpcCall *call,
                    JsonNode  *params,
                    gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(GError) error = NULL;
  g_autoptr(HvCloudGuestRequest) cloud = NULL;
  const char *name, *image;
  CloudCall *request;

  if (!require_string (call, params, "name", &name) || !require_string (call, params, "image", &image))
    return;
  cloud = hv_cloud_guest_request_new (name, image);
  if (!cloud_request_params (params, cloud, &error) ||
      !ssh_port_param (self, params, &cloud->ssh_port, &error))
    {
      hv_rpc_call_return_error (call, error);
      return;
    }
  if (refuse_existing_domain (self, call, name))
    return;
  request = g_new0 (CloudCall, 1);
  request->staging = g_dir_make_tmp ("domus-cloud-XXXXXX", &error);
  if (request->staging == NULL)
    {
      hv_daemon_return_error (call, error);
      g_free (request);
      return;
    }
  request->daemon = g_object_ref (self);
  request->call = call;
  cloud->config_dir = g_strdup (request->staging);
  cloud->domains_dir = g_strdup (self->paths->config_dir);
  /* A client that leaves cancels it: nothing half-made stays. */
  hv_cloud_guest_make_async (cloud, self->paths->image_dir, hv_rpc_call_get_cancellable (call),
                             on_cloud_guest_made, request);
}

/* TRUE (and `call` answered) when `config` says template = 1, or says something else
 * than a boolean there. A config that cannot be read at all is the start's own business. */
static gboolean
refuse_template_config (HvRpcCall  *call,
                        HvConfig   *config,
                        const char *name)
{
  g_autoptr(GError) error = NULL;
  gboolean template = FALSE;

  if (config == NULL)
    return FALSE;
  if (!hv_clone_is_template (config, &template, &error))
    {
      hv_rpc_call_return_new_error (call, HV_RPC_ERROR_INVALID_CONFIG, "%s", error->message);
      return TRUE;
    }
  if (!template)
    return FALSE;
  hv_rpc_call_return_new_error (call, HV_RPC_ERROR_NOT_SUPPORTED,
                                _("Domain %s is a template: it is never started, only cloned (“domusctl template %s off” makes it an ordinary domain again)."),
                                name, name);
  return TRUE;
}

gboolean
hv_daemon_refuse_template (HvDaemon   *self,
                           HvRpcCall  *call,
                           const char *name)
{
  g_autofree char *file = g_strconcat (name != NULL ? name : "", ".cfg", NULL);
  g_autofree char *path = g_build_filename (self->paths->config_dir, file, NULL);
  g_autoptr(HvConfig) config = NULL;

  if (name == NULL)
    return FALSE;
  config = hv_config_new_from_file (path, NULL);
  return refuse_template_config (call, config, name);
}

gboolean
hv_daemon_refuse_template_text (HvRpcCall  *call,
                                const char *text,
                                const char *filename)
{
  g_autoptr(HvConfig) config = hv_config_new_from_data (text, -1, filename, NULL);
  const char *name = NULL;

  if (config == NULL || !hv_config_get_string (config, "name", NULL, &name, NULL))
    return FALSE;
  return refuse_template_config (call, config, name != NULL ? name : filename);
}

void
hv_daemon_add_guest_methods (HvDaemon *self)
{
  static const struct {
    const char      *name;
    HvRpcMethodFunc  func;
  } methods[] = {
    { "domain.snapshot.list", method_snapshot_list },
    { "domain.snapshot.create", method_snapshot_create },
    { "domain.snapshot.revert", method_snapshot_revert },
    { "domain.snapshot.delete", method_snapshot_delete },
    { "domain.clone", method_domain_clone },
    { "domain.set_template", method_domain_set_template },
    { "domain.save", method_domain_save },
    { "domain.restore", method_domain_restore },
    { "save.list", method_save_list },
    { "image.debian", method_image_debian },
    { "image.cloud", method_image_cloud },
  };

  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    hv_rpc_server_add_method (self->server, methods[i].name, methods[i].func, self, NULL);
}
