/* SPDX-License-Identifier: GPL-3.0-or-later */
/* HvImageStore with the real qemu-img, in a folder of its own. */

#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "hv-image-store.h"

#define MIB (1024 * 1024)

typedef struct {
  char         *dir;          /* the test's folder: images/, the wrapper, its count file */
  char         *image_dir;
  char         *records;      /* image_dir/.domus-formats */
  char         *count_file;
  char         *wrapper;
  HvImageStore *store;
} Fixture;

/* The async calls, one at a time: each waits for its own result. */

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static HvImageInfo *
create_sync (HvImageStore  *store,
             const char    *name,
             const char    *format,
             guint64        size_bytes,
             GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  hv_image_store_create_async (store, name, format, size_bytes, NULL, on_done, &result);
  return hv_image_store_create_finish (store, wait_for (&result), error);
}

static HvImageInfo *
clone_sync (HvImageStore  *store,
            const char    *source,
            const char    *name,
            GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  hv_image_store_clone_async (store, source, name, NULL, on_done, &result);
  return hv_image_store_clone_finish (store, wait_for (&result), error);
}

static GPtrArray *
list_sync (HvImageStore *store)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *images;

  hv_image_store_list_async (store, NULL, on_done, &result);
  images = hv_image_store_list_finish (store, wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (images);
  return images;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* Every name in the folder, hidden ones too, sorted and joined by spaces. */
static char *
folder_listing (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_strings);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **) names->pdata);
}

static void
run_qemu_img (const char **arguments)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  int status;

  g_ptr_array_add (argv, "qemu-img");
  for (guint i = 0; arguments[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) arguments[i]);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_spawn_check_wait_status (status, &error);
  g_assert_no_error (error);
}

/* qemu-img's own view of a file, independent of the store's cache; format NULL lets it look at
 * the content, which only this test, checking what the store wrote, may do. */
static JsonObject *
qemu_img_info (const char *path,
               const char *format)
{
  const char *told[] = { "qemu-img", "info", "-f", format, "--output=json", path, NULL };
  const char *probed[] = { "qemu-img", "info", "--output=json", path, NULL };
  const char **argv = format != NULL ? told : probed;
  g_autofree char *text = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  int status;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &text, NULL, &status,
                &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* How many times the wrapper ran `qemu-img info`. */
static guint
count_info_runs (Fixture *fixture)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  guint count = 0;

  if (!g_file_get_contents (fixture->count_file, &text, NULL, NULL))
    return 0;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_equal (lines[i], "info"))
      count++;
  return count;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *script = NULL;

  fixture->dir = g_dir_make_tmp ("domus-images-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->image_dir = g_build_filename (fixture->dir, "images", NULL);
  fixture->records = g_build_filename (fixture->image_dir, ".domus-formats", NULL);
  fixture->count_file = g_build_filename (fixture->dir, "runs", NULL);
  fixture->wrapper = g_build_filename (fixture->dir, "qemu-img-counting", NULL);
  /* The subcommand is the first argument: one line per run. */
  script = g_strdup_printf ("#!/bin/sh\necho \"$1\" >> '%s'\nexec qemu-img \"$@\"\n", fixture->count_file);
  g_file_set_contents (fixture->wrapper, script, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (fixture->wrapper, 0755), ==, 0);
  fixture->store = hv_image_store_new (fixture->image_dir, NULL);
  g_assert_cmpstr (hv_image_store_get_dir (fixture->store), ==, fixture->image_dir);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->store);
  remove_tree (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->image_dir);
  g_free (fixture->records);
  g_free (fixture->count_file);
  g_free (fixture->wrapper);
}

static void
test_create_and_list (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HvImageInfo) raw = NULL;
  g_autoptr(HvImageInfo) qcow2 = NULL;
  g_autoptr(GPtrArray) images = NULL;
  g_autoptr(JsonNode) json = NULL;
  g_autofree char *raw_path = g_build_filename (fixture->image_dir, "disk.raw", NULL);
  g_autoptr(JsonObject) on_disk = NULL;
  const HvImageInfo *first, *second;
  JsonObject *object;

  /* The folder does not exist yet: the store makes it. */
  images = list_sync (fixture->store);
  g_assert_cmpuint (images->len, ==, 0);
  g_clear_pointer (&images, g_ptr_array_unref);

  raw = create_sync (fixture->store, "disk.raw", "raw", 3 * MIB, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (raw->name, ==, "disk.raw");
  g_assert_cmpstr (raw->path, ==, raw_path);
  g_assert_cmpstr (raw->format, ==, "raw");
  g_assert_cmpuint (raw->size_bytes, ==, 3 * MIB);
  g_assert_true (g_file_test (raw_path, G_FILE_TEST_IS_REGULAR));

  qcow2 = create_sync (fixture->store, "b-disk", "qcow2", 64 * MIB, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qcow2->format, ==, "qcow2");
  g_assert_cmpuint (qcow2->size_bytes, ==, 64 * MIB);
  /* A qcow2 of 64 MiB starts with a few hundred KiB of metadata, not 64 MiB. */
  g_assert_cmpuint (qcow2->allocated_bytes, >, 0);
  g_assert_cmpuint (qcow2->allocated_bytes, <, 8 * MIB);
  on_disk = qemu_img_info (qcow2->path, NULL);
  g_assert_cmpstr (json_object_get_string_member (on_disk, "format"), ==, "qcow2");
  g_assert_cmpint (json_object_get_int_member (on_disk, "virtual-size"), ==, 64 * MIB);

  /* Sorted by name, with what create answered. */
  images = list_sync (fixture->store);
  g_assert_cmpuint (images->len, ==, 2);
  first = g_ptr_array_index (images, 0);
  second = g_ptr_array_index (images, 1);
  g_assert_cmpstr (first->name, ==, "b-disk");
  g_assert_cmpstr (first->format, ==, "qcow2");
  g_assert_cmpuint (first->size_bytes, ==, 64 * MIB);
  g_assert_cmpstr (second->name, ==, "disk.raw");
  g_assert_cmpstr (second->format, ==, "raw");
  g_assert_cmpuint (second->size_bytes, ==, 3 * MIB);

  json = hv_image_info_to_json (first);
  object = json_node_get_object (json);
  g_assert_cmpstr (json_object_get_string_member (object, "name"), ==, "b-disk");
  g_assert_cmpstr (json_object_get_string_member (object, "path"), ==, first->path);
  g_assert_cmpstr (json_object_get_string_member (object, "format"), ==, "qcow2");
  g_assert_cmpint (json_object_get_int_member (object, "size_bytes"), ==, 64 * MIB);
  g_assert_cmpint (json_object_get_int_member (object, "allocated_bytes"), ==, (gint64) first->allocated_bytes);
}

static void
test_refusals (Fixture       *fixture,
               gconstpointer  data)
{
  const char *bad_names[] = { "../x", ".hidden", "a/b", "", "/etc/passwd", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(HvImageInfo) first = NULL;
  g_autoptr(HvImageInfo) again = NULL;
  g_autofree char *listing = NULL;
  g_autofree char *long_name = g_strnfill (256, 'n');
  g_autoptr(JsonObject) on_disk = NULL;

  first = create_sync (fixture->store, "taken", "raw", MIB, &error);
  g_assert_no_error (error);

  /* Never overwrites, not even with another format or size. */
  again = create_sync (fixture->store, "taken", "qcow2", 2 * MIB, &error);
  g_assert_null (again);
  g_assert_error (error, HV_IMAGE_STORE_ERROR, HV_IMAGE_STORE_ERROR_EXISTS);
  g_clear_error (&error);
  on_disk = qemu_img_info (first->path, NULL);
  g_assert_cmpstr (json_object_get_string_member (on_disk, "format"), ==, "raw");
  g_assert_cmpint (json_object_get_int_member (on_disk, "virtual-size"), ==, MIB);

  for (guint i = 0; bad_names[i] != NULL; i++)
    {
      g_autoptr(HvImageInfo) info = create_sync (fixture->store, bad_names[i], "raw", MIB, &error);
      g_autofree char *path = NULL;

      g_test_message ("name “%s”", bad_names[i]);
      g_assert_null (info);
      g_assert_error (error, HV_IMAGE_STORE_ERROR, HV_IMAGE_STORE_ERROR_INVALID_NAME);
      g_clear_error (&error);
      path = hv_image_store_path_for (fixture->store, bad_names[i], &error);
      g_assert_null (path);
      g_assert_error (error, HV_IMAGE_STORE_ERROR, HV_IMAGE_STORE_ERROR_INVALID_NAME);
      g_clear_error (&error);
    }
  g_assert_null (hv_image_store_path_for (fixture->store, long_name, &error));
  g_assert_error (error, HV_IMAGE_STORE_ERROR, HV_IMAGE_STORE_ERROR_INVALID_NAME);
  g_clear_error (&error);
  long_name[255] = '\0';
  {
    g_autofree char *path = hv_image_store_path_for (fixture->store, long_name, &error);

    g_assert_no_error (error);
    g_assert_true (g_str_has_prefix (path, fixture->image_dir));
  }

  g_assert_null (create_sync (fixture->store, "fmt", "vmdk", MIB, &error));
  g_assert_error (error, HV_IMAGE_STORE_ERROR, HV_IMAGE_STORE_ERROR_INVALID_FORMAT);
  g_clear_error (&error);
  g_assert_null (create_sync (fixture->store, "fmt", NULL, MIB, &error));
  g_assert_error (error, HV_IMAGE_STORE_ERROR, HV_IMAGE_STORE_ERROR_INVALID_FORMAT);
  g_clear_error (&error);
  g_assert_null (create_sync (fixture->store, "empty", "raw", 0, &error));
  g_assert_error (error, HV_IMAGE_STORE_ERROR, HV_IMAGE_STORE_ERROR_INVALID_SIZE);
  g_clear_error (&error);

  /* qemu-img refuses 8 EiB; its own words reach the caller, and nothing stays behind. */
  g_assert_null (create_sync (fixture->store, "huge", "qcow2", G_MAXINT64, &error));
  g_assert_error (error, HV_IMAGE_STORE_ERROR, HV_IMAGE_STORE_ERROR_QEMU_IMG);
  g_test_message ("qemu-img said: %s", error->message);
  g_assert_nonnull (strstr (error->message, "qemu-img: "));
  g_assert_nonnull (strstr (error->message, "resize"));
  g_clear_error (&error);
  g_assert_null (create_sync (fixture->store, "huge", "raw", G_MAXINT64, &error));
  g_assert_error (error, HV_IMAGE_STORE_ERROR, HV_IMAGE_STORE_ERROR_QEMU_IMG);
  g_clear_error (&error);

  listing = folder_listing (fixture->image_dir);
  g_assert_cmpstr (listing, ==, ".domus-formats taken");
  g_free (listing);
  /* One record, and no record of a failed image left behind. */
  listing = folder_listing (fixture->records);
  g_assert_cmpstr (listing, ==, "taken");
}

static void
test_clone (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HvImageInfo) source = NULL;
  g_autoptr(HvImageInfo) copy = NULL;
  g_autoptr(HvImageInfo) raw_copy = NULL;
  g_autoptr(HvImageInfo) missing = NULL;
  g_autoptr(HvImageInfo) clash = NULL;
  g_autoptr(JsonObject) on_disk = NULL;
  g_autofree char *raw_path = g_build_filename (fixture->image_dir, "base.raw", NULL);
  g_autofree char *copied = NULL;
  g_autofree char *listing = NULL;
  gsize length;
  char pattern[4096];

  source = create_sync (fixture->store, "base", "qcow2", 16 * MIB, &error);
  g_assert_no_error (error);
  copy = clone_sync (fixture->store, "base", "copy", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (copy->name, ==, "copy");
  g_assert_cmpstr (copy->format, ==, "qcow2");
  g_assert_cmpuint (copy->size_bytes, ==, 16 * MIB);
  /* Standalone: no backing file pointing at the source. */
  on_disk = qemu_img_info (copy->path, "qcow2");
  g_assert_cmpstr (json_object_get_string_member (on_disk, "format"), ==, "qcow2");
  g_assert_false (json_object_has_member (on_disk, "backing-filename"));
  g_assert_false (json_object_has_member (on_disk, "full-backing-filename"));
  g_assert_true (hv_image_store_delete (fixture->store, "base", &error));
  g_assert_no_error (error);
  g_clear_pointer (&on_disk, json_object_unref);
  on_disk = qemu_img_info (copy->path, "qcow2");
  g_assert_cmpint (json_object_get_int_member (on_disk, "virtual-size"), ==, 16 * MIB);

  /* A raw source stays raw, byte for byte. */
  memset (pattern, 0x5a, sizeof pattern);
  g_file_set_contents (raw_path, pattern, sizeof pattern, &error);
  g_assert_no_error (error);
  raw_copy = clone_sync (fixture->store, "base.raw", "copy.raw", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (raw_copy->format, ==, "raw");
  g_assert_cmpuint (raw_copy->size_bytes, ==, sizeof pattern);
  g_file_get_contents (raw_copy->path, &copied, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (copied, length, pattern, sizeof pattern);

  /* Failures leave the folder as it was: no half-written or hidden files. */
  missing = clone_sync (fixture->store, "no-such-image", "orphan", &error);
  g_assert_null (missing);
  g_assert_error (error, HV_IMAGE_STORE_ERROR, HV_IMAGE_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  clash = clone_sync (fixture->store, "copy.raw", "copy", &error);
  g_assert_null (clash);
  g_assert_error (error, HV_IMAGE_STORE_ERROR, HV_IMAGE_STORE_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_null (clone_sync (fixture->store, "copy", "../escape", &error));
  g_assert_error (error, HV_IMAGE_STORE_ERROR, HV_IMAGE_STORE_ERROR_INVALID_NAME);
  g_clear_error (&error);
  g_assert_null (clone_sync (fixture->store, "../copy", "fine", &error));
  g_assert_error (error, HV_IMAGE_STORE_ERROR, HV_IMAGE_STORE_ERROR_INVALID_NAME);
  g_clear_error (&error);

  listing = folder_listing (fixture->image_dir);
  g_assert_cmpstr (listing, ==, ".domus-formats base.raw copy copy.raw");
  g_free (listing);
  /* base's record went with it; base.raw was put there by hand and has none. */
  listing = folder_listing (fixture->records);
  g_assert_cmpstr (listing, ==, "copy copy.raw");
}

/*
 * Issue 13: a raw image whose first bytes a guest made into a qcow2 header naming a host
 * file. The store keeps calling it raw (list, size) and a clone copies its bytes, never the
 * host file; a qcow2 image whose backing file lies outside the store is not cloned.
 */
static void
test_formats_recorded (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HvImageInfo) victim = NULL;
  g_autoptr(HvImageInfo) copy = NULL;
  g_autoptr(HvImageInfo) overlay = NULL;
  g_autoptr(GPtrArray) images = NULL;
  g_autofree char *secret = g_build_filename (fixture->dir, "host-secret", NULL);
  g_autofree char *header = g_build_filename (fixture->dir, "header.qcow2", NULL);
  g_autofree char *overlay_path = g_build_filename (fixture->image_dir, "overlay", NULL);
  g_autofree char *overlay_record = g_build_filename (fixture->records, "overlay", NULL);
  g_autofree char *header_bytes = NULL;
  g_autofree char *victim_bytes = NULL;
  g_autofree char *copy_bytes = NULL;
  gsize header_length, victim_length, copy_length;

  g_assert_true (g_file_set_contents (secret, "the host's secret\n", -1, NULL));
  {
    const char *arguments[] = { "create", "-q", "-f", "qcow2", "-b", secret, "-F", "raw", header, NULL };

    run_qemu_img (arguments);
  }
  victim = create_sync (fixture->store, "victim.img", "raw", MIB, &error);
  g_assert_no_error (error);
  /* What the guest writes to its disk's first sectors. */
  g_assert_true (g_file_get_contents (header, &header_bytes, &header_length, NULL));
  {
    FILE *file = fopen (victim->path, "r+b");

    g_assert_nonnull (file);
    g_assert_cmpuint (fwrite (header_bytes, 1, header_length, file), ==, header_length);
    fclose (file);
  }
  images = list_sync (fixture->store);
  g_assert_cmpuint (images->len, ==, 1);
  g_assert_cmpstr (((HvImageInfo *) g_ptr_array_index (images, 0))->format, ==, "raw");
  g_assert_cmpuint (((HvImageInfo *) g_ptr_array_index (images, 0))->size_bytes, ==, MAX (MIB, header_length));

  copy = clone_sync (fixture->store, "victim.img", "copy.img", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (copy->format, ==, "raw");
  g_assert_true (g_file_get_contents (victim->path, &victim_bytes, &victim_length, NULL));
  g_assert_true (g_file_get_contents (copy->path, &copy_bytes, &copy_length, NULL));
  g_assert_cmpmem (copy_bytes, copy_length, victim_bytes, victim_length);
  g_assert_null (g_strstr_len (copy_bytes, copy_length, "the host's secret"));

  /* A qcow2 image recorded as such, but based on a file outside the store: refused. */
  {
    const char *arguments[] = { "create", "-q", "-f", "qcow2", "-b", secret, "-F", "raw", overlay_path, NULL };

    run_qemu_img (arguments);
  }
  g_assert_true (g_file_set_contents (overlay_record, "qcow2\n", -1, NULL));
  overlay = clone_sync (fixture->store, "overlay", "overlay-copy", &error);
  g_assert_null (overlay);
  g_assert_error (error, HV_IMAGE_STORE_ERROR, HV_IMAGE_STORE_ERROR_BACKING);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, secret));
  g_assert_false (g_file_test (overlay_record, G_FILE_TEST_IS_DIR));
}

static void
test_list_cache (Fixture       *fixture,
                 gconstpointer  data)
{
  const char *names[] = { "one", "three", "two", NULL };
  g_autoptr(HvImageStore) counted = NULL;
  g_autoptr(GPtrArray) images = NULL;
  g_autofree char *hidden = g_build_filename (fixture->image_dir, ".work.partial", NULL);
  g_autofree char *one = g_build_filename (fixture->image_dir, "one", NULL);
  g_autofree char *two = g_build_filename (fixture->image_dir, "two", NULL);
  g_autoptr(GError) error = NULL;

  /* Made behind the store's back, so nothing is cached yet. */
  g_assert_cmpint (g_mkdir_with_parents (fixture->image_dir, 0700), ==, 0);
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *path = g_build_filename (fixture->image_dir, names[i], NULL);
      const char *arguments[] = { "create", "-q", "-f", "qcow2", path, "1M", NULL };
      g_autofree char *record = g_build_filename (fixture->records, names[i], NULL);

      run_qemu_img (arguments);
      /* Added by hand: its format recorded by hand, as docs/daemon.md says. */
      g_assert_cmpint (g_mkdir_with_parents (fixture->records, 0700), ==, 0);
      g_assert_true (g_file_set_contents (record, "qcow2\n", -1, NULL));
    }
  g_file_set_contents (hidden, "not an image", -1, &error);
  g_assert_no_error (error);

  counted = hv_image_store_new (fixture->image_dir, fixture->wrapper);
  images = list_sync (counted);
  g_assert_cmpuint (images->len, ==, 3);
  for (guint i = 0; names[i] != NULL; i++)
    g_assert_cmpstr (((HvImageInfo *) g_ptr_array_index (images, i))->name, ==, names[i]);
  g_assert_cmpuint (count_info_runs (fixture), ==, 3);
  g_clear_pointer (&images, g_ptr_array_unref);

  images = list_sync (counted);
  g_assert_cmpuint (images->len, ==, 3);
  g_assert_cmpuint (count_info_runs (fixture), ==, 3);
  g_clear_pointer (&images, g_ptr_array_unref);

  /* A changed file is asked about again; the others are not. */
  {
    const char *arguments[] = { "resize", "-q", "-f", "qcow2", two, "4M", NULL };

    run_qemu_img (arguments);
  }
  images = list_sync (counted);
  g_assert_cmpuint (count_info_runs (fixture), ==, 4);
  g_assert_cmpuint (((HvImageInfo *) g_ptr_array_index (images, 2))->size_bytes, ==, 4 * MIB);
  g_clear_pointer (&images, g_ptr_array_unref);

  /* Deleted: gone from the list, and asking again finds nothing to delete. */
  g_assert_true (hv_image_store_delete (counted, "one", &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (one, G_FILE_TEST_EXISTS));
  images = list_sync (counted);
  g_assert_cmpuint (images->len, ==, 2);
  g_assert_cmpstr (((HvImageInfo *) g_ptr_array_index (images, 0))->name, ==, "three");
  g_assert_false (hv_image_store_delete (counted, "one", &error));
  g_assert_error (error, HV_IMAGE_STORE_ERROR, HV_IMAGE_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (hv_image_store_delete (counted, "../runs", &error));
  g_assert_error (error, HV_IMAGE_STORE_ERROR, HV_IMAGE_STORE_ERROR_INVALID_NAME);
  g_assert_true (g_file_test (fixture->count_file, G_FILE_TEST_IS_REGULAR));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/image-store/create-and-list", Fixture, NULL, fixture_set_up, test_create_and_list,
              fixture_tear_down);
  g_test_add ("/image-store/refusals", Fixture, NULL, fixture_set_up, test_refusals, fixture_tear_down);
  g_test_add ("/image-store/clone", Fixture, NULL, fixture_set_up, test_clone, fixture_tear_down);
  g_test_add ("/image-store/formats-recorded", Fixture, NULL, fixture_set_up, test_formats_recorded,
              fixture_tear_down);
  g_test_add ("/image-store/list-cache", Fixture, NULL, fixture_set_up, test_list_cache,
              fixture_tear_down);
  return g_test_run ();
}
