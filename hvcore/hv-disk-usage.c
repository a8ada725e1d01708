/* SPDX-License-Identifier: GPL-3.0-or-later */
/* How full the filesystems holding some files are, counted as df counts them. */

#include "config.h"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include "hv-disk-usage.h"

GPtrArray *
hv_disk_usage_measure (const char * const *paths)
{
  GPtrArray *uses = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_filesystem_use_free);
  g_autoptr(GArray) devices = g_array_new (FALSE, FALSE, sizeof (dev_t));

  for (guint i = 0; paths != NULL && paths[i] != NULL; i++)
    {
      struct statvfs fs;
      struct stat info;
      HvFilesystemUse *use;
      gboolean seen = FALSE;
      guint64 used, usable;

      if (stat (paths[i], &info) != 0 || statvfs (paths[i], &fs) != 0 || fs.f_blocks == 0)
        continue;
      for (guint j = 0; j < devices->len && !seen; j++)
        seen = g_array_index (devices, dev_t, j) == info.st_dev;
      if (seen)
        continue;
      g_array_append_val (devices, info.st_dev);

      /* df's Use%: what is used of what ordinary users can have (root's reserve left out). */
      used = (guint64) (fs.f_blocks - fs.f_bfree);
      usable = used + (guint64) fs.f_bavail;
      use = g_new0 (HvFilesystemUse, 1);
      use->path = g_strdup (paths[i]);
      use->percent_used = usable > 0 ? 100.0 * (double) used / (double) usable : 0;
      use->free_bytes = (guint64) fs.f_bavail * (guint64) fs.f_frsize;
      g_ptr_array_add (uses, use);
    }
  return uses;
}
