/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A libvirt host's storage pools and volumes, read on the connection's thread. Pools are
 * read with libvirt-gconfig; a volume's format is one attribute of its XML, which
 * libvirt-gconfig can write but not read back, so a small GMarkup reader takes it.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <libvirt-gconfig/libvirt-gconfig.h>

#include "domus-libvirt.h"
#include "domus-libvirt-storage.h"

/* Boxed types */

DomusLibvirtVolume *
domus_libvirt_volume_copy (const DomusLibvirtVolume *volume)
{
  DomusLibvirtVolume *copy;

  g_return_val_if_fail (volume != NULL, NULL);
  copy = g_memdup2 (volume, sizeof *volume);
  copy->name = g_strdup (volume->name);
  copy->pool = g_strdup (volume->pool);
  copy->path = g_strdup (volume->path);
  copy->format = g_strdup (volume->format);
  return copy;
}

void
domus_libvirt_volume_free (DomusLibvirtVolume *volume)
{
  if (volume == NULL)
    return;
  g_free (volume->name);
  g_free (volume->pool);
  g_free (volume->path);
  g_free (volume->format);
  g_free (volume);
}

G_DEFINE_BOXED_TYPE (DomusLibvirtVolume, domus_libvirt_volume,
                     domus_libvirt_volume_copy, domus_libvirt_volume_free)

static DomusLibvirtPool *
pool_new (void)
{
  DomusLibvirtPool *pool = g_new0 (DomusLibvirtPool, 1);

  pool->capacity = pool->allocation = pool->available = -1;
  pool->volumes = g_ptr_array_new_with_free_func ((GDestroyNotify) domus_libvirt_volume_free);
  return pool;
}

DomusLibvirtPool *
domus_libvirt_pool_copy (const DomusLibvirtPool *pool)
{
  DomusLibvirtPool *copy;

  g_return_val_if_fail (pool != NULL, NULL);
  copy = pool_new ();
  copy->name = g_strdup (pool->name);
  copy->type = g_strdup (pool->type);
  copy->target = g_strdup (pool->target);
  copy->active = pool->active;
  copy->autostart = pool->autostart;
  copy->capacity = pool->capacity;
  copy->allocation = pool->allocation;
  copy->available = pool->available;
  for (guint i = 0; i < pool->volumes->len; i++)
    g_ptr_array_add (copy->volumes, domus_libvirt_volume_copy (g_ptr_array_index (pool->volumes, i)));
  return copy;
}

void
domus_libvirt_pool_free (DomusLibvirtPool *pool)
{
  if (pool == NULL)
    return;
  g_free (pool->name);
  g_free (pool->type);
  g_free (pool->target);
  g_ptr_array_unref (pool->volumes);
  g_free (pool);
}

G_DEFINE_BOXED_TYPE (DomusLibvirtPool, domus_libvirt_pool, domus_libvirt_pool_copy, domus_libvirt_pool_free)

/* A volume's <target><format type='…'/></target> */

typedef struct {
  int   depth_in_target;   /* 0 outside <target> */
  char *format;
} FormatParse;

static void
format_start (GMarkupParseContext  *context,
              const char           *element,
              const char          **names,
              const char          **values,
              gpointer              user_data,
              GError              **error)
{
  FormatParse *parse = user_data;
  const GSList *stack = g_markup_parse_context_get_element_stack (context);

  if (parse->depth_in_target > 0)
    parse->depth_in_target++;
  else if (strcmp (element, "target") == 0 && g_slist_length ((GSList *) stack) == 2)
    parse->depth_in_target = 1;
  if (parse->depth_in_target == 2 && strcmp (element, "format") == 0 && parse->format == NULL)
    for (int i = 0; names[i] != NULL; i++)
      if (strcmp (names[i], "type") == 0)
        parse->format = g_strdup (values[i]);
}

static void
format_end (GMarkupParseContext  *context,
            const char           *element,
            gpointer              user_data,
            GError              **error)
{
  FormatParse *parse = user_data;

  if (parse->depth_in_target > 0)
    parse->depth_in_target--;
}

static char *
volume_format (const char *xml)
{
  static const GMarkupParser parser = { format_start, format_end, NULL, NULL, NULL };
  FormatParse parse = { 0, NULL };
  g_autoptr(GMarkupParseContext) context = g_markup_parse_context_new (&parser, 0, &parse, NULL);

  if (xml != NULL && g_markup_parse_context_parse (context, xml, -1, NULL))
    g_markup_parse_context_end_parse (context, NULL);
  return parse.format;
}

/* On the connection's thread */

static DomusLibvirtVolume *
describe_volume (virStorageVolPtr  vol,
                 const char       *pool)
{
  DomusLibvirtVolume *volume = g_new0 (DomusLibvirtVolume, 1);
  virStorageVolInfo info;
  char *path = virStorageVolGetPath (vol);
  char *xml = virStorageVolGetXMLDesc (vol, 0);

  volume->name = g_strdup (virStorageVolGetName (vol));
  volume->pool = g_strdup (pool);
  volume->path = g_strdup (path);
  volume->format = volume_format (xml);
  volume->capacity = volume->allocation = -1;
  if (virStorageVolGetInfo (vol, &info) == 0)
    {
      volume->capacity = (gint64) info.capacity;
      volume->allocation = (gint64) info.allocation;
    }
  free (path);
  free (xml);
  virResetLastError ();
  return volume;
}

/* For arrays of DomusLibvirtVolume or DomusLibvirtPool: both begin with their name. */
static int
by_name (gconstpointer a,
         gconstpointer b)
{
  const char * const *name_a = *(const char * const * const *) a;
  const char * const *name_b = *(const char * const * const *) b;

  return g_strcmp0 (*name_a, *name_b);
}

static void
read_pool_xml (DomusLibvirtPool *pool,
               virStoragePoolPtr p)
{
  char *xml = virStoragePoolGetXMLDesc (p, 0);
  GVirConfigStoragePool *config = xml != NULL ? gvir_config_storage_pool_new_from_xml (xml, NULL) : NULL;
  GVirConfigStoragePoolTarget *target;
  GEnumClass *types;
  GEnumValue *type;

  free (xml);
  if (config == NULL)
    return;
  types = g_type_class_ref (GVIR_CONFIG_TYPE_STORAGE_POOL_TYPE);
  type = g_enum_get_value (types, gvir_config_storage_pool_get_pool_type (config));
  pool->type = g_strdup (type != NULL ? type->value_nick : NULL);
  g_type_class_unref (types);
  target = gvir_config_storage_pool_get_target (config);
  if (target != NULL)
    pool->target = g_strdup (gvir_config_storage_pool_target_get_path (target));
  g_clear_object (&target);
  g_object_unref (config);
}

static DomusLibvirtPool *
describe_pool (virStoragePoolPtr p)
{
  DomusLibvirtPool *pool = pool_new ();
  virStoragePoolInfo info;
  virStorageVolPtr *vols = NULL;
  int autostart = 0, n;

  pool->name = g_strdup (virStoragePoolGetName (p));
  pool->active = virStoragePoolIsActive (p) == 1;
  if (virStoragePoolGetAutostart (p, &autostart) == 0)
    pool->autostart = autostart != 0;
  read_pool_xml (pool, p);
  if (pool->active && virStoragePoolGetInfo (p, &info) == 0)
    {
      pool->capacity = (gint64) info.capacity;
      pool->allocation = (gint64) info.allocation;
      pool->available = (gint64) info.available;
    }
  n = pool->active ? virStoragePoolListAllVolumes (p, &vols, 0) : 0;
  for (int i = 0; i < n; i++)
    {
      g_ptr_array_add (pool->volumes, describe_volume (vols[i], pool->name));
      virStorageVolFree (vols[i]);
    }
  free (vols);
  g_ptr_array_sort (pool->volumes, by_name);
  virResetLastError ();
  return pool;
}

static void
list_pools_work (DomusLibvirtReply *reply,
                 virConnectPtr      conn,
                 gpointer           task_data,
                 GCancellable      *cancellable)
{
  g_autoptr(GPtrArray) pools = g_ptr_array_new_with_free_func ((GDestroyNotify) domus_libvirt_pool_free);
  virStoragePoolPtr *list = NULL;
  GError *error = NULL;
  int n = virConnectListAllStoragePools (conn, &list, 0);

  if (n < 0)
    {
      domus_libvirt_set_error (&error, DOMUS_ERROR_FAILED);
      domus_libvirt_reply_error (reply, error);
      return;
    }
  for (int i = 0; i < n; i++)
    {
      g_ptr_array_add (pools, describe_pool (list[i]));
      virStoragePoolFree (list[i]);
    }
  free (list);
  g_ptr_array_sort (pools, by_name);
  domus_libvirt_reply_pointer (reply, g_steal_pointer (&pools), (GDestroyNotify) g_ptr_array_unref);
}

void
domus_libvirt_list_pools_async (DomusLibvirtConnection *connection,
                                GCancellable           *cancellable,
                                GAsyncReadyCallback     callback,
                                gpointer                user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (DOMUS_IS_LIBVIRT_CONNECTION (connection));
  task = g_task_new (connection, cancellable, callback, user_data);
  g_task_set_source_tag (task, domus_libvirt_list_pools_async);
  domus_libvirt_connection_run (connection, task, list_pools_work);
}

GPtrArray *
domus_libvirt_list_pools_finish (DomusLibvirtConnection  *connection,
                                 GAsyncResult            *result,
                                 GError                 **error)
{
  g_return_val_if_fail (g_task_is_valid (result, connection), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == domus_libvirt_list_pools_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Volumes */

typedef struct {
  char   *pool;
  char   *name;
  char   *format;
  gint64  capacity;
} VolumeCall;

static void
volume_call_free (VolumeCall *call)
{
  g_free (call->pool);
  g_free (call->name);
  g_free (call->format);
  g_free (call);
}

static virStoragePoolPtr
lookup_active_pool (virConnectPtr   conn,
                    const char     *name,
                    GError        **error)
{
  virStoragePoolPtr pool = virStoragePoolLookupByName (conn, name);

  if (pool == NULL)
    {
      virResetLastError ();
      g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_NO_SUCH_IMAGE,
                   _("The host has no storage pool “%s”."), name);
      return NULL;
    }
  if (virStoragePoolIsActive (pool) != 1)
    {
      g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_NO_SUCH_IMAGE,
                   _("The storage pool “%s” is not started."), name);
      virStoragePoolFree (pool);
      return NULL;
    }
  return pool;
}

/* The XML of a new volume, written with libvirt-gconfig. */
static char *
volume_xml (const char *name,
            gint64      capacity,
            const char *format)
{
  GVirConfigStorageVol *vol = gvir_config_storage_vol_new ();
  GVirConfigStorageVolTarget *target = gvir_config_storage_vol_target_new ();
  char *xml;

  gvir_config_storage_vol_set_name (vol, name);
  gvir_config_storage_vol_set_capacity (vol, (guint64) capacity);
  gvir_config_storage_vol_set_allocation (vol, 0);
  gvir_config_storage_vol_target_set_format (target, format);
  gvir_config_storage_vol_set_target (vol, target);
  xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (vol));
  g_object_unref (target);
  g_object_unref (vol);
  return xml;
}

virStorageVolPtr
domus_libvirt_storage_create_volume (virConnectPtr   conn,
                                     const char     *pool_name,
                                     const char     *name,
                                     gint64          capacity,
                                     const char     *format,
                                     GError        **error)
{
  virStoragePoolPtr pool = lookup_active_pool (conn, pool_name, error);
  virStorageVolPtr vol = NULL;

  if (pool != NULL && (vol = virStorageVolLookupByName (pool, name)) != NULL)
    {
      /* Asked first: drivers word "it exists" differently (the test driver as a plain failure). */
      g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_ALREADY_EXISTS,
                   _("The storage pool “%s” already has a volume “%s”."), pool_name, name);
      g_clear_pointer (&vol, virStorageVolFree);
    }
  else if (pool != NULL)
    {
      g_autofree char *xml = volume_xml (name, capacity, format);

      virResetLastError ();
      vol = virStorageVolCreateXML (pool, xml, 0);
      if (vol == NULL)
        domus_libvirt_set_error (error, DOMUS_ERROR_FAILED);
    }
  g_clear_pointer (&pool, virStoragePoolFree);
  return vol;
}

static void
create_volume_work (DomusLibvirtReply *reply,
                    virConnectPtr      conn,
                    gpointer           task_data,
                    GCancellable      *cancellable)
{
  VolumeCall *call = task_data;
  GError *error = NULL;
  virStorageVolPtr vol = domus_libvirt_storage_create_volume (conn, call->pool, call->name,
                                                              call->capacity, call->format, &error);

  if (vol == NULL)
    {
      domus_libvirt_reply_error (reply, error);
      return;
    }
  domus_libvirt_reply_pointer (reply, describe_volume (vol, call->pool), (GDestroyNotify) domus_libvirt_volume_free);
  virStorageVolFree (vol);
}

void
domus_libvirt_create_volume_async (DomusLibvirtConnection *connection,
                                   const char             *pool,
                                   const char             *name,
                                   gint64                  capacity,
                                   const char             *format,
                                   GCancellable           *cancellable,
                                   GAsyncReadyCallback     callback,
                                   gpointer                user_data)
{
  g_autoptr(GTask) task = NULL;
  VolumeCall *call;

  g_return_if_fail (DOMUS_IS_LIBVIRT_CONNECTION (connection));
  g_return_if_fail (pool != NULL && name != NULL && format != NULL);
  g_return_if_fail (capacity > 0);

  task = g_task_new (connection, cancellable, callback, user_data);
  g_task_set_source_tag (task, domus_libvirt_create_volume_async);
  call = g_new0 (VolumeCall, 1);
  call->pool = g_strdup (pool);
  call->name = g_strdup (name);
  call->format = g_strdup (format);
  call->capacity = capacity;
  g_task_set_task_data (task, call, (GDestroyNotify) volume_call_free);
  domus_libvirt_connection_run (connection, task, create_volume_work);
}

DomusLibvirtVolume *
domus_libvirt_create_volume_finish (DomusLibvirtConnection  *connection,
                                    GAsyncResult            *result,
                                    GError                 **error)
{
  g_return_val_if_fail (g_task_is_valid (result, connection), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == domus_libvirt_create_volume_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
delete_volume_work (DomusLibvirtReply *reply,
                    virConnectPtr      conn,
                    gpointer           task_data,
                    GCancellable      *cancellable)
{
  VolumeCall *call = task_data;
  GError *error = NULL;
  virStoragePoolPtr pool = lookup_active_pool (conn, call->pool, &error);
  virStorageVolPtr vol = NULL;

  if (pool != NULL)
    {
      vol = virStorageVolLookupByName (pool, call->name);
      if (vol == NULL)
        domus_libvirt_set_error (&error, DOMUS_ERROR_NO_SUCH_IMAGE);
      else if (virStorageVolDelete (vol, 0) < 0)
        domus_libvirt_set_error (&error, DOMUS_ERROR_FAILED);
      g_clear_pointer (&vol, virStorageVolFree);
      virStoragePoolFree (pool);
    }
  if (error != NULL)
    domus_libvirt_reply_error (reply, error);
  else
    domus_libvirt_reply_boolean (reply, TRUE);
}

void
domus_libvirt_delete_volume_async (DomusLibvirtConnection *connection,
                                   const char             *pool,
                                   const char             *name,
                                   GCancellable           *cancellable,
                                   GAsyncReadyCallback     callback,
                                   gpointer                user_data)
{
  g_autoptr(GTask) task = NULL;
  VolumeCall *call;

  g_return_if_fail (DOMUS_IS_LIBVIRT_CONNECTION (connection));
  g_return_if_fail (pool != NULL && name != NULL);

  task = g_task_new (connection, cancellable, callback, user_data);
  g_task_set_source_tag (task, domus_libvirt_delete_volume_async);
  call = g_new0 (VolumeCall, 1);
  call->pool = g_strdup (pool);
  call->name = g_strdup (name);
  g_task_set_task_data (task, call, (GDestroyNotify) volume_call_free);
  domus_libvirt_connection_run (connection, task, delete_volume_work);
}

gboolean
domus_libvirt_delete_volume_finish (DomusLibvirtConnection  *connection,
                                    GAsyncResult            *result,
                                    GError                 **error)
{
  g_return_val_if_fail (g_task_is_valid (result, connection), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == domus_libvirt_delete_volume_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
