/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The image.* methods: the host's image store, and which domains use which image. */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "hv-config.h"
#include "hv-daemon-private.h"
#include "hv-defined.h"
#include "hv-domain-spec.h"

/* path → GPtrArray of domain names whose disks (running or defined) are that file. */
static GHashTable *
collect_image_users (HvDaemon *self)
{
  GHashTable *users = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify) g_ptr_array_unref);
  g_autoptr(GPtrArray) defined = hv_defined_scan (self->paths->config_dir);
  g_autoptr(GPtrArray) active = hv_host_dup_active (self->host);

  for (guint i = 0; i < defined->len + active->len; i++)
    {
      g_autoptr(HvConfig) config = NULL;
      g_autoptr(HvDomainSpec) owned_spec = NULL;
      const HvDomainSpec *spec;

      if (i < defined->len)
        {
          const HvDefined *entry = g_ptr_array_index (defined, i);

          if (entry->error != NULL || (config = hv_config_new_from_file (entry->path, NULL)) == NULL ||
              (owned_spec = hv_domain_spec_new (config, HV_DOMAIN_SPEC_FLAGS_NONE, NULL)) == NULL)
            continue;
          spec = owned_spec;
        }
      else if ((spec = hv_domain_get_spec (g_ptr_array_index (active, i - defined->len))) == NULL)
        continue;

      for (guint d = 0; d < spec->disks->len; d++)
        {
          const HvDiskSpec *disk = g_ptr_array_index (spec->disks, d);
          GPtrArray *names;

          if (*disk->path == '\0')
            continue;
          names = g_hash_table_lookup (users, disk->path);
          if (names == NULL)
            {
              names = g_ptr_array_new_with_free_func (g_free);
              g_hash_table_insert (users, g_strdup (disk->path), names);
            }
          if (!g_ptr_array_find_with_equal_func (names, spec->name, g_str_equal, NULL))
            g_ptr_array_add (names, g_strdup (spec->name));
        }
    }
  return users;
}

static JsonNode *
image_to_json (const HvImageInfo *info,
               GHashTable        *users)
{
  JsonNode *node = hv_image_info_to_json (info);
  JsonObject *object = json_node_get_object (node);
  JsonArray *used_by = json_array_new ();
  GPtrArray *names = users != NULL ? g_hash_table_lookup (users, info->path) : NULL;

  for (guint i = 0; names != NULL && i < names->len; i++)
    json_array_add_string_element (used_by, g_ptr_array_index (names, i));
  json_object_set_array_member (object, "used_by", used_by);
  return node;
}

typedef struct {
  HvDaemon  *daemon;
  HvRpcCall *call;
} ListRequest;

static void
on_images_listed (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autofree ListRequest *request = user_data;
  HvDaemon *self = request->daemon;
  HvRpcCall *call = request->call;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) images = hv_image_store_list_finish (HV_IMAGE_STORE (source), result, &error);
  g_autoptr(GHashTable) users = NULL;
  JsonArray *array;
  JsonObject *object;
  JsonNode *node;

  if (images == NULL)
    {
      hv_daemon_return_error (call, error);
      return;
    }
  users = collect_image_users (self);
  array = json_array_new ();
  for (guint i = 0; i < images->len; i++)
    json_array_add_element (array, image_to_json (g_ptr_array_index (images, i), users));
  object = json_object_new ();
  json_object_set_array_member (object, "images", array);
  json_object_set_string_member (object, "dir", hv_image_store_get_dir (self->images));
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, object);
  hv_rpc_call_return (call, node);
}

static void
method_image_list (HvRpcCall *call,
                   JsonNode  *params,
                   gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  ListRequest *request = g_new0 (ListRequest, 1);

  request->daemon = self;
  request->call = call;
  hv_image_store_list_async (self->images, NULL, on_images_listed, request);
}

static void
on_image_made (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  HvRpcCall *call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(HvImageInfo) info = NULL;

  if (g_task_get_source_tag (G_TASK (result)) == hv_image_store_clone_async)
    info = hv_image_store_clone_finish (HV_IMAGE_STORE (source), result, &error);
  else
    info = hv_image_store_create_finish (HV_IMAGE_STORE (source), result, &error);
  if (info == NULL)
    hv_daemon_return_error (call, error);
  else
    hv_rpc_call_return (call, image_to_json (info, NULL));
}

static void
method_image_create (HvRpcCall *call,
                     JsonNode  *params,
                     gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(GError) error = NULL;
  const char *name, *format;
  gint64 size;

  if (!hv_daemon_params_require_string (params, "name", &name, &error) ||
      !hv_rpc_params_get_string (params, "format", "raw", &format, &error) ||
      !hv_rpc_params_get_int (params, "size_bytes", -1, &size, &error))
    {
      hv_rpc_call_return_error (call, error);
      return;
    }
  if (size <= 0)
    {
      hv_rpc_call_return_new_error (call, HV_RPC_ERROR_INVALID_PARAMS,
                                    _("size_bytes: an image needs a size of at least one byte"));
      return;
    }
  hv_image_store_create_async (self->images, name, format, (guint64) size, NULL, on_image_made, call);
}

static void
method_image_clone (HvRpcCall *call,
                    JsonNode  *params,
                    gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(GError) error = NULL;
  const char *source, *name;

  if (!hv_daemon_params_require_string (params, "source", &source, &error) ||
      !hv_daemon_params_require_string (params, "name", &name, &error))
    {
      hv_rpc_call_return_error (call, error);
      return;
    }
  hv_image_store_clone_async (self->images, source, name, NULL, on_image_made, call);
}

static void
method_image_delete (HvRpcCall *call,
                     JsonNode  *params,
                     gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) users = NULL;
  g_autofree char *path = NULL;
  GPtrArray *names;
  const char *name;

  if (!hv_daemon_params_require_string (params, "name", &name, &error))
    {
      hv_rpc_call_return_error (call, error);
      return;
    }
  path = hv_image_store_path_for (self->images, name, &error);
  if (path == NULL)
    {
      hv_daemon_return_error (call, error);
      return;
    }
  users = collect_image_users (self);
  names = g_hash_table_lookup (users, path);
  if (names != NULL && names->len > 0)
    {
      g_ptr_array_add (names, NULL);
      {
        g_autofree char *list = g_strjoinv (", ", (char **) names->pdata);

        hv_rpc_call_return_new_error (call, HV_RPC_ERROR_IN_USE,
                                      _("Image %s is a disk of %s; remove it from their configs first."),
                                      name, list);
      }
      return;
    }
  if (!hv_image_store_delete (self->images, name, &error))
    {
      hv_daemon_return_error (call, error);
      return;
    }
  hv_rpc_call_return (call, hv_daemon_new_empty_result ());
}

void
hv_daemon_add_image_methods (HvDaemon *self)
{
  hv_rpc_server_add_method (self->server, "image.list", method_image_list, self, NULL);
  hv_rpc_server_add_method (self->server, "image.create", method_image_create, self, NULL);
  hv_rpc_server_add_method (self->server, "image.clone", method_image_clone, self, NULL);
  hv_rpc_server_add_method (self->server, "image.delete", method_image_delete, self, NULL);
}
