/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The protocol face of the real-guest models (issue 15): domain.snapshot.*, domain.clone and
 * domain.set_template. The work is HvSnapshots' and hv-clone's; this file only turns params
 * into calls and results or errors into answers.
 */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "hv-clone.h"
#include "hv-config.h"
#include "hv-daemon-private.h"
#include "hv-domain.h"
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
  g_autofree char *text = NULL;
  g_autofree char *filename = NULL;
  HvDomain *domain;

  if (clone != NULL && !g_file_get_contents (clone->config_path, &text, NULL, &error))
    g_clear_pointer (&clone, hv_clone_result_free);
  if (clone == NULL)
    {
      hv_daemon_return_error (request->call, error);
      clone_call_free (request);
      return;
    }
  /* Defined through the host, so that clients hear of it as of any other definition. */
  filename = g_path_get_basename (clone->config_path);
  domain = hv_host_define (request->daemon->host, text, filename, &error);
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

gboolean
hv_daemon_refuse_template (HvDaemon   *self,
                           HvRpcCall  *call,
                           const char *name)
{
  g_autofree char *file = g_strconcat (name != NULL ? name : "", ".cfg", NULL);
  g_autofree char *path = g_build_filename (self->paths->config_dir, file, NULL);
  g_autoptr(HvConfig) config = NULL;
  gboolean template = FALSE;

  /* What cannot be read is the start's own business to report. */
  if (name == NULL || (config = hv_config_new_from_file (path, NULL)) == NULL ||
      !hv_clone_is_template (config, &template, NULL) || !template)
    return FALSE;
  hv_rpc_call_return_new_error (call, HV_RPC_ERROR_NOT_SUPPORTED,
                                _("Domain %s is a template: it is never started, only cloned (domain.set_template with false makes it an ordinary domain again)."),
                                name);
  return TRUE;
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
  };

  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    hv_rpc_server_add_method (self->server, methods[i].name, methods[i].func, self, NULL);
}
