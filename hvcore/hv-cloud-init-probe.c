/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The cloud-init probe: raw copy by qemu-img, partition table read here, ext file systems read by debugfs. */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "hv-cloud-init-probe.h"
#include "hv-tool.h"

G_DEFINE_QUARK (hv-cloud-init-probe-error-quark, hv_cloud_init_probe_error)

#define SECTOR            512
#define NOBODY_ID         65534
/* A GPT's entry array is 128 entries of 128 bytes; more than this is not a disk we know. */
#define MAX_GPT_ENTRIES   256
#define EXT_MAGIC_OFFSET  (1024 + 56)
#define MAX_FILE_SYSTEMS  16

typedef struct {
  char *image;
  char *format;
} ProbeData;

typedef struct {
  HvCloudInitPresence  presence;
  char                *detail;
} ProbeResult;

static void
probe_data_free (ProbeData *data)
{
  g_free (data->image);
  g_free (data->format);
  g_free (data);
}

static void
probe_result_free (ProbeResult *result)
{
  g_free (result->detail);
  g_free (result);
}

const char *
hv_cloud_init_presence_to_string (HvCloudInitPresence presence)
{
  switch (presence)
    {
    case HV_CLOUD_INIT_PRESENT:
      return "present";
    case HV_CLOUD_INIT_ABSENT:
      return "absent";
    case HV_CLOUD_INIT_UNKNOWN:
    default:
      return "unknown";
    }
}

/* Reading the copy */

static gboolean
read_at (int      fd,
         guint64  offset,
         void    *buffer,
         gsize    size)
{
  return pread (fd, buffer, size, (off_t) offset) == (gssize) size;
}

static guint64
le64 (const guint8 *p)
{
  guint64 value = 0;

  for (int i = 7; i >= 0; i--)
    value = value << 8 | p[i];
  return value;
}

static guint32
le32 (const guint8 *p)
{
  return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24;
}

static gboolean
has_ext_magic (int     fd,
               guint64 offset)
{
  guint8 magic[2];

  return read_at (fd, offset + EXT_MAGIC_OFFSET, magic, sizeof magic) &&
         magic[0] == 0x53 && magic[1] == 0xef;
}

static void
add_offset (GArray  *offsets,
            guint64  first_lba,
            guint64  disk_size)
{
  guint64 offset;

  /* Entries pointing past the disk or overflowing are what a hostile table would hold. */
  if (first_lba == 0 || first_lba > G_MAXUINT64 / SECTOR || offsets->len >= MAX_FILE_SYSTEMS)
    return;
  offset = first_lba * SECTOR;
  if (offset < disk_size)
    g_array_append_val (offsets, offset);
}

static void
read_gpt (int      fd,
          guint64  disk_size,
          GArray  *offsets)
{
  guint8 header[92];
  guint64 entries_lba;
  guint32 count, entry_size;

  if (!read_at (fd, SECTOR, header, sizeof header) || memcmp (header, "EFI PART", 8) != 0)
    return;
  entries_lba = le64 (header + 72);
  count = le32 (header + 80);
  entry_size = le32 (header + 84);
  if (entry_size < 128 || entry_size > 4096 || count > MAX_GPT_ENTRIES ||
      entries_lba > disk_size / SECTOR)
    return;
  for (guint32 i = 0; i < count; i++)
    {
      guint8 entry[128];
      static const guint8 unused[16] = { 0 };

      if (!read_at (fd, entries_lba * SECTOR + (guint64) i * entry_size, entry, sizeof entry))
        return;
      if (memcmp (entry, unused, sizeof unused) != 0)
        add_offset (offsets, le64 (entry + 32), disk_size);
    }
}

/* Where file systems may start: the whole disk, then each partition of an MBR or a GPT. */
static GArray *
find_offsets (int     fd,
              guint64 disk_size)
{
  GArray *offsets = g_array_new (FALSE, FALSE, sizeof (guint64));
  guint8 mbr[SECTOR];
  guint64 zero = 0;

  g_array_append_val (offsets, zero);
  if (!read_at (fd, 0, mbr, sizeof mbr) || mbr[510] != 0x55 || mbr[511] != 0xaa)
    return offsets;
  for (int i = 0; i < 4; i++)
    {
      const guint8 *entry = mbr + 446 + i * 16;
      guint8 type = entry[4];

      if (type == 0xee)
        read_gpt (fd, disk_size, offsets);
      /* 0x05, 0x0f, 0x85: extended partitions, which hold no file system themselves. */
      else if (type != 0 && type != 0x05 && type != 0x0f && type != 0x85)
        add_offset (offsets, le32 (entry + 8), disk_size);
    }
  return offsets;
}

/* debugfs as nobody: a parser of what the guest wrote must not run as root. */
static gboolean
ext_has_file (const char    *raw,
              guint64        offset,
              const char    *file,
              GCancellable  *cancellable,
              GError       **error)
{
  g_autofree char *device = g_strdup_printf ("%s?offset=%" G_GUINT64_FORMAT, raw, offset);
  g_autofree char *request = g_strdup_printf ("stat %s", file);
  const char *argv[] = { "debugfs", "-c", "-R", request, device, NULL };
  /* No pager: debugfs pipes a long answer through one otherwise. */
  static const char * const environment[] = { "DEBUGFS_PAGER=__none__", "PAGER=__none__", NULL };
  HvToolOptions options = { .drop_root = TRUE, .environment = environment };
  g_autofree char *out = NULL;
  int status = 0;

  if (!hv_tool_run (argv, &options, &out, NULL, &status, cancellable, error))
    return FALSE;
  return status == 0 && out != NULL && strstr (out, "Inode:") != NULL;
}

static gboolean
copy_to_raw (const ProbeData  *data,
             const char       *raw,
             GCancellable     *cancellable,
             GError          **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *json = NULL;
  g_autofree char *source = NULL;
  g_autofree char *err = NULL;
  g_autofree char *last = NULL;
  int status = 0;

  /* The format is the one recorded; "backing": null so no host file is ever read through it. */
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "driver");
  json_builder_add_string_value (builder, data->format);
  if (g_str_equal (data->format, "qcow2"))
    {
      json_builder_set_member_name (builder, "backing");
      json_builder_add_null_value (builder);
    }
  json_builder_set_member_name (builder, "file");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "driver");
  json_builder_add_string_value (builder, "file");
  json_builder_set_member_name (builder, "filename");
  json_builder_add_string_value (builder, data->image);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  json_generator_set_root (generator, json_builder_get_root (builder));
  json = json_generator_to_data (generator, NULL);
  source = g_strdup_printf ("json:%s", json);
  {
    const char *argv[] = { "qemu-img", "convert", "-U", "-O", "raw", source, raw, NULL };

    if (!hv_tool_run (argv, NULL, NULL, &err, &status, cancellable, error))
      return FALSE;
  }
  if (status == 0)
    return TRUE;
  last = hv_tool_last_line (err);
  g_set_error (error, HV_CLOUD_INIT_PROBE_ERROR, HV_CLOUD_INIT_PROBE_ERROR_TOOL,
               _("qemu-img could not read %s as %s: %s"), data->image, data->format, last);
  return FALSE;
}

static ProbeResult *
look_inside (const char    *raw,
             GCancellable  *cancellable,
             GError       **error)
{
  ProbeResult *result = g_new0 (ProbeResult, 1);
  g_autoptr(GArray) offsets = NULL;
  guint n_ext = 0, n_linux = 0;
  GStatBuf st;
  int fd;

  fd = g_open (raw, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0 || fstat (fd, &st) != 0)
    {
      g_set_error (error, HV_CLOUD_INIT_PROBE_ERROR, HV_CLOUD_INIT_PROBE_ERROR_IO,
                   _("Cannot read %s: %s"), raw, g_strerror (errno));
      if (fd >= 0)
        close (fd);
      probe_result_free (result);
      return NULL;
    }
  offsets = find_offsets (fd, (guint64) st.st_size);
  result->presence = HV_CLOUD_INIT_UNKNOWN;
  for (guint i = 0; i < offsets->len && result->presence != HV_CLOUD_INIT_PRESENT; i++)
    {
      guint64 offset = g_array_index (offsets, guint64, i);
      GError *local = NULL;

      if (!has_ext_magic (fd, offset))
        continue;
      n_ext++;
      if (ext_has_file (raw, offset, "/usr/bin/cloud-init", cancellable, &local))
        result->presence = HV_CLOUD_INIT_PRESENT;
      else if (local == NULL && ext_has_file (raw, offset, "/etc/os-release", cancellable, &local))
        n_linux++;
      if (local != NULL)
        {
          g_propagate_error (error, local);
          close (fd);
          probe_result_free (result);
          return NULL;
        }
    }
  close (fd);
  if (result->presence == HV_CLOUD_INIT_PRESENT)
    result->detail = g_strdup (_("cloud-init is installed (/usr/bin/cloud-init)"));
  else if (n_linux > 0)
    {
      result->presence = HV_CLOUD_INIT_ABSENT;
      result->detail = g_strdup (_("a Linux system without cloud-init: a NoCloud seed would be ignored"));
    }
  else if (n_ext > 0)
    result->detail = g_strdup (_("an ext file system that holds no Linux system"));
  else
    result->detail = g_strdup (_("no ext2, ext3 or ext4 file system: cloud-init cannot be looked for"));
  return result;
}

static char *
make_private_dir (GError **error)
{
  g_autofree char *dir = g_dir_make_tmp ("domus-probe-XXXXXX", error);

  if (dir == NULL)
    return NULL;
  /* As root, the folder is nobody's so that debugfs (as nobody) may read the copy; no
   * one else may. */
  if (geteuid () == 0 && chown (dir, NOBODY_ID, NOBODY_ID) != 0)
    {
      g_set_error (error, HV_CLOUD_INIT_PROBE_ERROR, HV_CLOUD_INIT_PROBE_ERROR_IO,
                   _("Cannot hand %s to nobody: %s"), dir, g_strerror (errno));
      hv_tool_remove_tree (dir);
      return NULL;
    }
  return g_steal_pointer (&dir);
}

static ProbeResult *
probe (const ProbeData  *data,
       GCancellable     *cancellable,
       GError          **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *raw = NULL;
  ProbeResult *result = NULL;

  dir = make_private_dir (error);
  if (dir == NULL)
    return NULL;
  raw = g_build_filename (dir, "disk.raw", NULL);
  if (copy_to_raw (data, raw, cancellable, error))
    {
      if (geteuid () == 0 && chown (raw, NOBODY_ID, NOBODY_ID) != 0)
        g_set_error (error, HV_CLOUD_INIT_PROBE_ERROR, HV_CLOUD_INIT_PROBE_ERROR_IO,
                     _("Cannot hand %s to nobody: %s"), raw, g_strerror (errno));
      else
        result = look_inside (raw, cancellable, error);
    }
  hv_tool_remove_tree (dir);
  return result;
}

static void
probe_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  GError *error = NULL;
  ProbeResult *result = probe (task_data, cancellable, &error);

  if (result != NULL)
    g_task_return_pointer (task, result, (GDestroyNotify) probe_result_free);
  else
    g_task_return_error (task, error);
}

static gboolean
check_format (const char  *format,
              GError     **error)
{
  if (format != NULL && (g_str_equal (format, "raw") || g_str_equal (format, "qcow2")))
    return TRUE;
  g_set_error (error, HV_CLOUD_INIT_PROBE_ERROR, HV_CLOUD_INIT_PROBE_ERROR_INVALID_FORMAT,
               _("format: “%s” is not raw or qcow2"), format != NULL ? format : "");
  return FALSE;
}

HvCloudInitPresence
hv_cloud_init_probe (const char    *image,
                     const char    *format,
                     char         **detail,
                     GCancellable  *cancellable,
                     GError       **error)
{
  ProbeData data = { .image = (char *) image, .format = (char *) format };
  ProbeResult *result;
  HvCloudInitPresence presence;

  g_return_val_if_fail (image != NULL, HV_CLOUD_INIT_UNKNOWN);

  if (!check_format (format, error) || (result = probe (&data, cancellable, error)) == NULL)
    return HV_CLOUD_INIT_UNKNOWN;
  presence = result->presence;
  if (detail != NULL)
    *detail = g_steal_pointer (&result->detail);
  probe_result_free (result);
  return presence;
}

void
hv_cloud_init_probe_async (const char          *image,
                           const char          *format,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  GError *error = NULL;
  ProbeData *data;

  g_return_if_fail (image != NULL);

  g_task_set_source_tag (task, hv_cloud_init_probe_async);
  if (!check_format (format, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  data = g_new0 (ProbeData, 1);
  data->image = g_strdup (image);
  data->format = g_strdup (format);
  g_task_set_task_data (task, data, (GDestroyNotify) probe_data_free);
  g_task_run_in_thread (task, probe_thread);
}

HvCloudInitPresence
hv_cloud_init_probe_finish (GAsyncResult  *result,
                            char         **detail,
                            GError       **error)
{
  ProbeResult *probe;
  HvCloudInitPresence presence;

  g_return_val_if_fail (g_task_is_valid (result, NULL), HV_CLOUD_INIT_UNKNOWN);

  probe = g_task_propagate_pointer (G_TASK (result), error);
  if (probe == NULL)
    return HV_CLOUD_INIT_UNKNOWN;
  presence = probe->presence;
  if (detail != NULL)
    *detail = g_steal_pointer (&probe->detail);
  probe_result_free (probe);
  return presence;
}
