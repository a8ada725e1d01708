/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The image store: qemu-img does the work in worker threads; image facts are cached per file version. */

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "hv-image-store.h"

#define MAX_NAME_LENGTH 255

/* What QEMU may be told an image is; anything else in a record is not trusted. */
static const char * const known_formats[] = { "raw", "qcow2", "qcow", "vmdk", "vpc", "qed", NULL };

G_DEFINE_QUARK (hv-image-store-error-quark, hv_image_store_error)

typedef struct {
  gint64       mtime_us;
  goffset      size;
  HvImageInfo *info;
} CacheEntry;

struct _HvImageStore
{
  GObject     parent_instance;

  char       *dir;
  char       *qemu_img;
  GMutex      lock;    /* guards cache: list, create and clone run in worker threads */
  GHashTable *cache;   /* path → CacheEntry */
};

G_DEFINE_FINAL_TYPE (HvImageStore, hv_image_store, G_TYPE_OBJECT)

void
hv_image_info_free (HvImageInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->name);
  g_free (info->path);
  g_free (info->format);
  g_free (info);
}

static HvImageInfo *
image_info_copy (const HvImageInfo *info)
{
  HvImageInfo *copy = g_memdup2 (info, sizeof *info);

  copy->name = g_strdup (info->name);
  copy->path = g_strdup (info->path);
  copy->format = g_strdup (info->format);
  return copy;
}

static void
cache_entry_free (CacheEntry *entry)
{
  hv_image_info_free (entry->info);
  g_free (entry);
}

JsonNode *
hv_image_info_to_json (const HvImageInfo *info)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, info->name);
  json_builder_set_member_name (builder, "path");
  json_builder_add_string_value (builder, info->path);
  json_builder_set_member_name (builder, "format");
  json_builder_add_string_value (builder, info->format);
  json_builder_set_member_name (builder, "size_bytes");
  json_builder_add_int_value (builder, (gint64) info->size_bytes);
  json_builder_set_member_name (builder, "allocated_bytes");
  json_builder_add_int_value (builder, (gint64) info->allocated_bytes);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

char *
hv_image_store_path_for (HvImageStore  *self,
                         const char    *name,
                         GError       **error)
{
  g_return_val_if_fail (HV_IS_IMAGE_STORE (self), NULL);

  if (name == NULL || *name == '\0' || *name == '.' || strchr (name, '/') != NULL ||
      strlen (name) > MAX_NAME_LENGTH || !g_utf8_validate (name, -1, NULL))
    {
      g_set_error (error, HV_IMAGE_STORE_ERROR, HV_IMAGE_STORE_ERROR_INVALID_NAME,
                   _("name: “%s” is not an image name (no “/”, not starting with “.”, at most %d bytes)"),
                   name != NULL ? name : "", MAX_NAME_LENGTH);
      return NULL;
    }
  return g_build_filename (self->dir, name, NULL);
}

/* Format records */

static char *
record_path (const char *image_path)
{
  g_autofree char *dir = g_path_get_dirname (image_path);
  g_autofree char *base = g_path_get_basename (image_path);

  return g_build_filename (dir, HV_IMAGE_STORE_FORMATS_FOLDER, base, NULL);
}

char *
hv_image_store_recorded_format (const char *path)
{
  g_autofree char *record = record_path (path);
  g_autofree char *text = NULL;

  if (!g_file_get_contents (record, &text, NULL, NULL))
    return NULL;
  g_strstrip (text);
  if (!g_strv_contains (known_formats, text))
    {
      g_message ("%s: “%s” is not an image format; the image counts as raw", record, text);
      return NULL;
    }
  return g_steal_pointer (&text);
}

/* Written under a temporary name; *temporary is renamed into place once the image is. */
static gboolean
write_record (const char  *image_path,
              const char  *format,
              char       **temporary,
              GError     **error)
{
  g_autofree char *record = record_path (image_path);
  g_autofree char *dir = g_path_get_dirname (record);
  g_autofree char *text = g_strconcat (format, "\n", NULL);
  g_autoptr(GError) local_error = NULL;

  *temporary = g_strdup_printf ("%s.%u.partial", record, g_random_int ());
  if (g_mkdir_with_parents (dir, 0700) != 0 ||
      !g_file_set_contents_full (*temporary, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &local_error))
    {
      g_set_error (error, HV_IMAGE_STORE_ERROR, HV_IMAGE_STORE_ERROR_IO, _("Cannot record the format of %s: %s"),
                   image_path, local_error != NULL ? local_error->message : g_strerror (errno));
      g_clear_pointer (temporary, g_free);
      return FALSE;
    }
  return TRUE;
}

/* qemu-img, run from a worker thread; its stderr becomes the error. */
static gboolean
run_program (const char   *qemu_img,
             const char  **arguments,
             char        **out,
             GError      **error)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;
  int status;

  g_ptr_array_add (argv, (char *) (qemu_img != NULL ? qemu_img : "qemu-img"));
  for (guint i = 0; arguments[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) arguments[i]);
  g_ptr_array_add (argv, NULL);

  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                     &stdout_text, &stderr_text, &status, error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_set_error (error, HV_IMAGE_STORE_ERROR, HV_IMAGE_STORE_ERROR_QEMU_IMG,
                   _("qemu-img %s failed: %s"), arguments[0], g_strstrip (stderr_text));
      return FALSE;
    }
  if (out != NULL)
    *out = g_steal_pointer (&stdout_text);
  return TRUE;
}

static gboolean
run_qemu_img (HvImageStore  *self,
              const char   **arguments,
              char         **out,
              GError       **error)
{
  return run_program (self->qemu_img, arguments, out, error);
}

static gboolean
path_is_inside (const char *path,
                const char *dir)
{
  return g_str_has_prefix (path, dir) && path[strlen (dir)] == '/';
}

gboolean
hv_image_check_backing_chain (const char  *qemu_img,
                              const char  *path,
                              const char  *format,
                              GError     **error)
{
  const char *arguments[] = { "info", "-f", format, "--backing-chain", "--output=json", "--force-share", path, NULL };
  g_autofree char *text = NULL;
  g_autofree char *real_top = NULL;
  g_autofree char *folder = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonArray *chain;

  if (g_strcmp0 (format, "raw") == 0)
    return TRUE;
  if (!run_program (qemu_img, arguments, &text, error))
    return FALSE;
  if (!json_parser_load_from_data (parser, text, -1, NULL) ||
      !JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
    {
      g_set_error (error, HV_IMAGE_STORE_ERROR, HV_IMAGE_STORE_ERROR_QEMU_IMG,
                   _("qemu-img info %s answered something that is not JSON"), path);
      return FALSE;
    }
  real_top = realpath (path, NULL);
  folder = g_path_get_dirname (real_top != NULL ? real_top : path);
  chain = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 1; i < json_array_get_length (chain); i++)
    {
      JsonNode *node = json_array_get_element (chain, i);
      const char *file = JSON_NODE_HOLDS_OBJECT (node)
                         ? json_object_get_string_member_with_default (json_node_get_object (node), "filename", NULL)
                         : NULL;
      g_autofree char *real = file != NULL ? realpath (file, NULL) : NULL;

      if (real == NULL || !path_is_inside (real, folder))
        {
          g_set_error (error, HV_IMAGE_STORE_ERROR, HV_IMAGE_STORE_ERROR_BACKING,
                       _("%s: its backing file %s lies outside %s; a %s image may only be based on "
                         "images in its own folder"),
                       path, file != NULL ? file : "?", folder, format);
          return FALSE;
        }
    }
  return TRUE;
}

static void
check_backing_chains_thread (GTask        *task,
                             gpointer      source_object,
                             gpointer      task_data,
                             GCancellable *cancellable)
{
  GPtrArray *images = task_data;   /* path, format, path, format, ... */
  GError *error = NULL;

  for (guint i = 0; i + 1 < images->len; i += 2)
    if (!hv_image_check_backing_chain (NULL, g_ptr_array_index (images, i),
                                       g_ptr_array_index (images, i + 1), &error))
      {
        g_task_return_error (task, error);
        return;
      }
  g_task_return_boolean (task, TRUE);
}

void
hv_image_check_backing_chains_async (const HvDomainSpec  *spec,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  GPtrArray *images = g_ptr_array_new_with_free_func (g_free);

  g_task_set_source_tag (task, hv_image_check_backing_chains_async);
  /* Copied: the thread must not read a spec the main loop may free. */
  for (guint i = 0; i < spec->disks->len; i++)
    {
      const HvDiskSpec *disk = g_ptr_array_index (spec->disks, i);

      if (*disk->path != '\0' && disk->format != NULL && strcmp (disk->format, "raw") != 0)
        {
          g_ptr_array_add (images, g_strdup (disk->path));
          g_ptr_array_add (images, g_strdup (disk->format));
        }
    }
  g_task_set_task_data (task, images, (GDestroyNotify) g_ptr_array_unref);
  if (images->len == 0)
    g_task_return_boolean (task, TRUE);
  else
    g_task_run_in_thread (task, check_backing_chains_thread);
}

gboolean
hv_image_check_backing_chains_finish (GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static HvImageInfo *
read_image_info (HvImageStore  *self,
                 const char    *name,
                 const char    *path,
                 GError       **error)
{
  g_autofree char *format = hv_image_store_recorded_format (path);
  const char *arguments[] = { "info", "-f", format != NULL ? format : "raw", "--output=json", "--force-share",
                              path, NULL };
  g_autofree char *text = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  HvImageInfo *info;
  JsonObject *object;

  if (!run_qemu_img (self, arguments, &text, error))
    return NULL;
  if (!json_parser_load_from_data (parser, text, -1, error) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_clear_error (error);
      g_set_error (error, HV_IMAGE_STORE_ERROR, HV_IMAGE_STORE_ERROR_QEMU_IMG,
                   _("qemu-img info %s answered something that is not JSON"), path);
      return NULL;
    }
  object = json_node_get_object (json_parser_get_root (parser));
  info = g_new0 (HvImageInfo, 1);
  info->name = g_strdup (name);
  info->path = g_strdup (path);
  /* The recorded format, which qemu-img was told: never what the content looks like. */
  info->format = g_strdup (format != NULL ? format : "raw");
  info->size_bytes = (guint64) json_object_get_int_member_with_default (object, "virtual-size", 0);
  info->allocated_bytes = (guint64) json_object_get_int_member_with_default (object, "actual-size", 0);
  return info;
}

/* The image's facts, from the cache while the file is unchanged. */
static HvImageInfo *
lookup_image (HvImageStore  *self,
              const char    *name,
              GError       **error)
{
  g_autofree char *path = hv_image_store_path_for (self, name, error);
  g_autoptr(GMutexLocker) locker = NULL;
  CacheEntry *entry;
  HvImageInfo *info;
  GStatBuf st;

  if (path == NULL)
    return NULL;
  if (g_stat (path, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, HV_IMAGE_STORE_ERROR, HV_IMAGE_STORE_ERROR_NOT_FOUND,
                   _("There is no image “%s” in %s."), name, self->dir);
      return NULL;
    }
  locker = g_mutex_locker_new (&self->lock);
  entry = g_hash_table_lookup (self->cache, path);
  if (entry != NULL && entry->mtime_us == st.st_mtim.tv_sec * G_USEC_PER_SEC + st.st_mtim.tv_nsec / 1000 &&
      entry->size == st.st_size)
    return image_info_copy (entry->info);
  g_clear_pointer (&locker, g_mutex_locker_free);

  info = read_image_info (self, name, path, error);
  if (info == NULL)
    return NULL;
  entry = g_new0 (CacheEntry, 1);
  entry->mtime_us = st.st_mtim.tv_sec * G_USEC_PER_SEC + st.st_mtim.tv_nsec / 1000;
  entry->size = st.st_size;
  entry->info = image_info_copy (info);
  locker = g_mutex_locker_new (&self->lock);
  g_hash_table_insert (self->cache, g_strdup (path), entry);
  return info;
}

/* Listing */

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  const HvImageInfo *ia = *(const HvImageInfo * const *) a;
  const HvImageInfo *ib = *(const HvImageInfo * const *) b;

  return strcmp (ia->name, ib->name);
}

static void
list_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  HvImageStore *self = source_object;
  g_autoptr(GPtrArray) images = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_image_info_free);
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) error = NULL;
  const char *name;

  dir = g_dir_open (self->dir, 0, &error);
  if (dir == NULL && !g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autoptr(GError) image_error = NULL;
      HvImageInfo *info;

      /* Hidden files are clones being written. */
      if (*name == '.')
        continue;
      info = lookup_image (self, name, &image_error);
      if (info != NULL)
        g_ptr_array_add (images, info);
      else if (!g_error_matches (image_error, HV_IMAGE_STORE_ERROR, HV_IMAGE_STORE_ERROR_NOT_FOUND))
        g_message ("image %s: %s", name, image_error->message);
    }
  g_ptr_array_sort (images, compare_names);
  g_task_return_pointer (task, g_steal_pointer (&images), (GDestroyNotify) g_ptr_array_unref);
}

void
hv_image_store_list_async (HvImageStore        *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, hv_image_store_list_async);
  g_task_run_in_thread (task, list_thread);
}

GPtrArray *
hv_image_store_list_finish (HvImageStore  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Creating and cloning */

typedef struct {
  char    *name;
  char    *source;
  char    *format;
  guint64  size_bytes;
} MakeData;

static void
make_data_free (MakeData *data)
{
  g_free (data->name);
  g_free (data->source);
  g_free (data->format);
  g_free (data);
}

static gboolean
refuse_existing (HvImageStore  *self,
                 const char    *path,
                 const char    *name,
                 GError       **error)
{
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  g_set_error (error, HV_IMAGE_STORE_ERROR, HV_IMAGE_STORE_ERROR_EXISTS,
               _("An image named “%s” exists already in %s."), name, self->dir);
  return FALSE;
}

static gboolean
ensure_dir (HvImageStore  *self,
            GError       **error)
{
  if (g_mkdir_with_parents (self->dir, 0700) == 0)
    return TRUE;
  g_set_error (error, HV_IMAGE_STORE_ERROR, HV_IMAGE_STORE_ERROR_IO,
               _("Cannot make %s: %s"), self->dir, g_strerror (errno));
  return FALSE;
}

/* Written under a hidden name and renamed once whole: a failure leaves nothing behind. */
static HvImageInfo *
make_image (HvImageStore  *self,
            const char    *name,
            const char    *format,
            const char   **arguments,
            const char    *temporary,
            GError       **error)
{
  g_autofree char *path = hv_image_store_path_for (self, name, error);
  g_autofree char *record = NULL;
  g_autofree char *record_temporary = NULL;

  if (path == NULL || !refuse_existing (self, path, name, error) || !ensure_dir (self, error) ||
      !write_record (path, format, &record_temporary, error))
    return NULL;
  if (!run_qemu_img (self, arguments, NULL, error))
    {
      g_unlink (temporary);
      g_unlink (record_temporary);
      return NULL;
    }
  /* link() rather than rename(): it refuses to replace a file made meanwhile. */
  if (link (temporary, path) != 0)
    {
      int saved_errno = errno;

      g_unlink (temporary);
      g_unlink (record_temporary);
      if (saved_errno == EEXIST)
        refuse_existing (self, path, name, error);
      else
        g_set_error (error, HV_IMAGE_STORE_ERROR, HV_IMAGE_STORE_ERROR_IO,
                     _("Cannot make %s: %s"), path, g_strerror (saved_errno));
      return NULL;
    }
  g_unlink (temporary);
  /* The image is ours now: its record goes in place. A crash before this leaves it raw. */
  record = record_path (path);
  if (g_rename (record_temporary, record) != 0)
    {
      int saved_errno = errno;

      g_unlink (record_temporary);
      g_set_error (error, HV_IMAGE_STORE_ERROR, HV_IMAGE_STORE_ERROR_IO,
                   _("Cannot record the format of %s: %s"), path, g_strerror (saved_errno));
      return NULL;
    }
  return lookup_image (self, name, error);
}

static char *
temporary_path (HvImageStore *self,
                const char   *name)
{
  g_autofree char *file = g_strdup_printf (".%s.%u.partial", name, g_random_int ());

  return g_build_filename (self->dir, file, NULL);
}

static void
create_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  HvImageStore *self = source_object;
  MakeData *data = task_data;
  g_autofree char *temporary = temporary_path (self, data->name);
  g_autofree char *size = g_strdup_printf ("%" G_GUINT64_FORMAT, data->size_bytes);
  const char *arguments[] = { "create", "-q", "-f", data->format, temporary, size, NULL };
  GError *error = NULL;
  HvImageInfo *info = make_image (self, data->name, data->format, arguments, temporary, &error);

  if (info == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, info, (GDestroyNotify) hv_image_info_free);
}

void
hv_image_store_create_async (HvImageStore        *self,
                             const char          *name,
                             const char          *format,
                             guint64              size_bytes,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *path = NULL;
  GError *error = NULL;
  MakeData *data;

  g_task_set_source_tag (task, hv_image_store_create_async);
  if ((path = hv_image_store_path_for (self, name, &error)) == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (g_strcmp0 (format, "raw") != 0 && g_strcmp0 (format, "qcow2") != 0)
    {
      g_task_return_new_error (task, HV_IMAGE_STORE_ERROR, HV_IMAGE_STORE_ERROR_INVALID_FORMAT,
                               _("format: “%s” is not raw or qcow2"), format != NULL ? format : "");
      return;
    }
  if (size_bytes == 0)
    {
      g_task_return_new_error (task, HV_IMAGE_STORE_ERROR, HV_IMAGE_STORE_ERROR_INVALID_SIZE,
                               _("size: an image needs at least one byte"));
      return;
    }
  data = g_new0 (MakeData, 1);
  data->name = g_strdup (name);
  data->format = g_strdup (format);
  data->size_bytes = size_bytes;
  g_task_set_task_data (task, data, (GDestroyNotify) make_data_free);
  g_task_run_in_thread (task, create_thread);
}

HvImageInfo *
hv_image_store_create_finish (HvImageStore  *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
clone_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  HvImageStore *self = source_object;
  MakeData *data = task_data;
  g_autoptr(HvImageInfo) source = NULL;
  g_autofree char *temporary = temporary_path (self, data->name);
  GError *error = NULL;
  HvImageInfo *info;

  source = lookup_image (self, data->source, &error);
  /* A copy reads the whole chain: it must not reach out of the store. */
  if (source == NULL || !hv_image_check_backing_chain (self->qemu_img, source->path, source->format, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  {
    const char *arguments[] = { "convert", "-q", "-f", source->format, "-O", source->format,
                                source->path, temporary, NULL };

    info = make_image (self, data->name, source->format, arguments, temporary, &error);
  }
  if (info == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, info, (GDestroyNotify) hv_image_info_free);
}

void
hv_image_store_clone_async (HvImageStore        *self,
                            const char          *source,
                            const char          *name,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  MakeData *data;

  g_task_set_source_tag (task, hv_image_store_clone_async);
  data = g_new0 (MakeData, 1);
  data->name = g_strdup (name);
  data->source = g_strdup (source);
  g_task_set_task_data (task, data, (GDestroyNotify) make_data_free);
  g_task_run_in_thread (task, clone_thread);
}

HvImageInfo *
hv_image_store_clone_finish (HvImageStore  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
hv_image_store_delete (HvImageStore  *self,
                       const char    *name,
                       GError       **error)
{
  g_autofree char *path = hv_image_store_path_for (self, name, error);

  if (path == NULL)
    return FALSE;
  if (g_unlink (path) != 0)
    {
      int saved_errno = errno;

      if (saved_errno == ENOENT)
        g_set_error (error, HV_IMAGE_STORE_ERROR, HV_IMAGE_STORE_ERROR_NOT_FOUND,
                     _("There is no image “%s” in %s."), name, self->dir);
      else
        g_set_error (error, HV_IMAGE_STORE_ERROR, HV_IMAGE_STORE_ERROR_IO,
                     _("Cannot delete %s: %s"), path, g_strerror (saved_errno));
      return FALSE;
    }
  {
    g_autofree char *record = record_path (path);

    g_unlink (record);
  }
  g_mutex_lock (&self->lock);
  g_hash_table_remove (self->cache, path);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* The object */

static void
hv_image_store_finalize (GObject *object)
{
  HvImageStore *self = HV_IMAGE_STORE (object);

  g_hash_table_unref (self->cache);
  g_mutex_clear (&self->lock);
  g_free (self->dir);
  g_free (self->qemu_img);
  G_OBJECT_CLASS (hv_image_store_parent_class)->finalize (object);
}

static void
hv_image_store_class_init (HvImageStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hv_image_store_finalize;
}

static void
hv_image_store_init (HvImageStore *self)
{
  g_mutex_init (&self->lock);
  self->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) cache_entry_free);
}

HvImageStore *
hv_image_store_new (const char *dir,
                    const char *qemu_img)
{
  HvImageStore *self;

  g_return_val_if_fail (dir != NULL, NULL);

  self = g_object_new (HV_TYPE_IMAGE_STORE, NULL);
  self->dir = g_strdup (dir);
  self->qemu_img = g_strdup (qemu_img != NULL ? qemu_img : "qemu-img");
  return self;
}

const char *
hv_image_store_get_dir (HvImageStore *self)
{
  g_return_val_if_fail (HV_IS_IMAGE_STORE (self), NULL);
  return self->dir;
}
