/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The `disk` and `cdrom` keys: xm's backend:path,device,mode and xl's diskspec, placed on IDE or virtio. */

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "hv-domain-spec-private.h"
#include "hv-image-store.h"

void
hv_disk_spec_free (HvDiskSpec *disk)
{
  g_free (disk->entry);
  g_free (disk->backend);
  g_free (disk->path);
  g_free (disk->device);
  g_free (disk->format);
  g_free (disk);
}

static gboolean
check_disk_file (HvSpecReader  *reader,
                 HvDiskSpec    *disk,
                 GError       **error)
{
  const char *key = disk->number > 0 ? "disk" : "cdrom";

  if (*disk->path == '\0' || g_file_test (disk->path, G_FILE_TEST_EXISTS))
    return TRUE;
  if (disk->number == 0)
    return hv_spec_check_file (reader, key, disk->path, error);
  if (reader->flags & HV_DOMAIN_SPEC_STRICT_FILES)
    {
      hv_config_set_key_error (reader->config, error, HV_CONFIG_ERROR_INVALID, key,
                               _("entry %u '%s': %s does not exist"),
                               disk->number, disk->entry, disk->path);
      return FALSE;
    }
  hv_spec_notice (reader, key, _("entry %u '%s': %s does not exist"),
          disk->number, disk->entry, disk->path);
  return TRUE;
}


typedef struct {
  const char *prefix;
  const char *backend;
  const char *format;
} DiskBackend;

static const DiskBackend disk_backends[] = {
  { "phy:", "phy", "raw" },
  { "file:", "file", "raw" },   /* never the file's first bytes: a guest writes those */
  { "tap:aio:", "tap:aio", "raw" },
  { "tap:sync:", "tap:sync", "raw" },
  { "tap:qcow2:", "tap:qcow2", "qcow2" },
  { "tap:qcow:", "tap:qcow", "qcow" },
  { "tap:vmdk:", "tap:vmdk", "vmdk" },
  { "tap:vhd:", "tap:vhd", "vpc" },
  /* The bare format prefixes of later xm and xl versions: phy or file by the path. */
  { "aio:", NULL, "raw" },
  { "raw:", NULL, "raw" },
  { "qcow2:", NULL, "qcow2" },
  { "qcow:", NULL, "qcow" },
  { "vhd:", NULL, "vpc" },
};

static gboolean disk_error (HvSpecReader  *reader,
                            GError       **error,
                            guint          number,
                            const char    *entry,
                            const char    *format,
                            ...) G_GNUC_PRINTF (5, 6);

static gboolean
disk_error (HvSpecReader  *reader,
            GError       **error,
            guint          number,
            const char    *entry,
            const char    *format,
            ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  hv_config_set_key_error (reader->config, error, HV_CONFIG_ERROR_INVALID, "disk",
                           _("entry %u '%s': %s"), number, entry, message);
  return FALSE;
}

static int
ide_slot_of (const char *device,
             gboolean    hvm)
{
  /* hda..hdd are the four IDE places; an HVM guest's xvda..xvdd were emulated IDE disks too. */
  if (strlen (device) == 3 && g_str_has_prefix (device, "hd") && device[2] >= 'a' && device[2] <= 'd')
    return device[2] - 'a';
  if (hvm && strlen (device) == 4 && g_str_has_prefix (device, "xvd") &&
      device[3] >= 'a' && device[3] <= 'd')
    return device[3] - 'a';
  return -1;
}

static gboolean
device_name_is_valid (const char *device)
{
  static const char * const prefixes[] = { "xvd", "hd", "sd", "vd" };
  const char *p = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (prefixes) && p == NULL; i++)
    if (g_str_has_prefix (device, prefixes[i]))
      p = device + strlen (prefixes[i]);
  if (p == NULL || !g_ascii_islower (*p))
    return FALSE;
  while (g_ascii_islower (*p))
    p++;
  while (g_ascii_isdigit (*p))
    p++;
  return *p == '\0';
}

static gboolean
claim_ide_slot (HvSpecReader  *reader,
                HvDiskSpec    *disk,
                int            slot,
                GError       **error)
{
  HvDiskSpec *other = reader->ide[slot];

  if (other != NULL)
    {
      hv_config_set_key_error (reader->config, error, HV_CONFIG_ERROR_INVALID, "disk",
                               _("entry %u '%s' and entry %u '%s' both use IDE slot %d (hd%c)"),
                               other->number, other->entry, disk->number, disk->entry,
                               slot, 'a' + slot);
      return FALSE;
    }
  reader->ide[slot] = disk;
  disk->bus = HV_DISK_BUS_IDE;
  disk->ide_index = slot;
  return TRUE;
}

/* A CD-ROM without an IDE name takes hdc if it is free, as Xen's cdrom key did. */
static int
free_ide_slot (HvSpecReader *reader)
{
  static const int preference[] = { 2, 3, 1, 0 };

  for (guint i = 0; i < G_N_ELEMENTS (preference); i++)
    if (reader->ide[preference[i]] == NULL)
      return preference[i];
  return -1;
}

static gboolean
split_disk_target (HvSpecReader  *reader,
                   HvDiskSpec    *disk,
                   const char    *uname,
                   GError       **error)
{
  const DiskBackend *backend = NULL;
  const char *path;

  for (guint i = 0; i < G_N_ELEMENTS (disk_backends) && backend == NULL; i++)
    if (g_str_has_prefix (uname, disk_backends[i].prefix))
      backend = &disk_backends[i];

  if (*uname == '\0')
    {
      disk->backend = g_strdup ("");
      path = "";
    }
  else if (backend == NULL)
    {
      const char *colon = strchr (uname, ':');
      g_autofree char *prefix = colon != NULL ? g_strndup (uname, colon - uname + 1) : NULL;

      if (prefix != NULL && g_str_has_prefix (prefix, "tap"))
        {
          g_autofree char *tap = NULL;
          const char *second = strchr (colon + 1, ':');

          tap = second != NULL ? g_strndup (uname, second - uname + 1) : g_strdup (prefix);
          return disk_error (reader, error, disk->number, disk->entry,
                             _("unknown backend '%s': use phy:, file:, tap:aio:, tap:qcow2:, qcow2: or raw:"),
                             tap);
        }
      if (prefix != NULL)
        return disk_error (reader, error, disk->number, disk->entry,
                           _("unknown backend '%s': use phy:, file:, tap:aio:, tap:qcow2:, qcow2: or raw:"),
                           prefix);
      return disk_error (reader, error, disk->number, disk->entry,
                         _("'%s' has no backend: write phy:%s for a device or file:%s for an image"),
                         uname, uname, uname);
    }
  else
    {
      path = uname + strlen (backend->prefix);
      disk->backend = g_strdup (backend->backend != NULL ? backend->backend
                                : g_str_has_prefix (path, "/dev/") ? "phy" : "file");
      disk->format = g_strdup (backend->format);
      /* phy: names a device, which is raw; a tap: or bare prefix names the image's format. */
      /* phy: and file: mean "a device", "an image": raw by default, not a statement of format. */
      disk->format_explicit = g_strcmp0 (backend->backend, "phy") != 0 && g_strcmp0 (backend->backend, "file") != 0;
    }

  if (*path == '\0')
    disk->path = g_strdup ("");
  else if (backend != NULL && g_strcmp0 (backend->backend, "phy") == 0 && !g_path_is_absolute (path))
    disk->path = g_build_filename ("/dev", path, NULL);   /* xm's phy:sda1 meant /dev/sda1 */
  else
    disk->path = hv_spec_resolve_path (reader, path);
  return TRUE;
}

static gboolean
split_disk_device (HvSpecReader  *reader,
                   HvDiskSpec    *disk,
                   const char    *field,
                   GError       **error)
{
  g_autofree char *device = g_strdup (field);

  if (g_str_has_prefix (device, "ioemu:"))
    memmove (device, device + strlen ("ioemu:"), strlen (device) - strlen ("ioemu:") + 1);
  if (g_str_has_suffix (device, ":cdrom"))
    {
      disk->cdrom = TRUE;
      device[strlen (device) - strlen (":cdrom")] = '\0';
    }
  else if (g_str_has_suffix (device, ":disk"))
    device[strlen (device) - strlen (":disk")] = '\0';

  if (*device == '\0')
    return disk_error (reader, error, disk->number, disk->entry, _("missing guest device"));
  if (!device_name_is_valid (device))
    return disk_error (reader, error, disk->number, disk->entry,
                       _("unknown guest device '%s': use hda..hdd, xvda, sda, vda or a partition like hda1"),
                       device);
  disk->device = g_steal_pointer (&device);
  return TRUE;
}

static gboolean
split_disk_mode (HvSpecReader  *reader,
                 HvDiskSpec    *disk,
                 const char    *mode,
                 GError       **error)
{
  /* xl's older syntax spells the modes ro and rw too. */
  if (strcmp (mode, "r") == 0 || strcmp (mode, "ro") == 0)
    disk->readonly = TRUE;
  else if (strcmp (mode, "w!") == 0)
    disk->shared = TRUE;
  else if (strcmp (mode, "w") != 0 && strcmp (mode, "rw") != 0)
    return disk_error (reader, error, disk->number, disk->entry,
                       _("mode '%s' is not r, w or w!"), mode);
  return TRUE;
}

/* ------------------------------------------------------------------------- */
/* xl's diskspec (xl-disk-configuration(5)): positional target, format, vdev, access,
 * the same as key=value items, flags, and the deprecated prefixes.                */

/* The formats xl names, as QEMU names them. */
static const struct {
  const char *xl;
  const char *qemu;
} xl_formats[] = {
  { "raw", "raw" },
  { "qcow", "qcow" },
  { "qcow2", "qcow2" },
  { "vhd", "vpc" },
  { "qed", "qed" },
};

/* Flags xl accepts with nothing to do under QEMU. */
static const char * const xl_ignored_flags[] = {
  "direct-io-safe", "discard", "no-discard", "trusted", "untrusted", "colo",
};

/* Keys xl accepts with nothing to do under QEMU (the disk works without them). */
static const char * const xl_ignored_keys[] = {
  "backendtype", "backend", "colo-host", "colo-port", "colo-export", "active-disk", "hidden-disk",
  "specification",
};

static const char *
xl_format_to_qemu (const char *format)
{
  for (guint i = 0; i < G_N_ELEMENTS (xl_formats); i++)
    if (strcmp (xl_formats[i].xl, format) == 0)
      return xl_formats[i].qemu;
  return NULL;
}

static gboolean
is_mode_word (const char *text)
{
  static const char * const modes[] = { "r", "w", "w!", "ro", "rw", NULL };

  return g_strv_contains (modes, text);
}

/*
 * xm's entries have three fields, backend:path,device,mode. xl's have any number, key=value
 * items and flags; a three-field xl entry (target,format,vdev) has a format or nothing in the
 * middle, where xm has a device, and no mode at the end.
 */
static gboolean
is_xl_disk_spec (GStrv fields)
{
  g_autofree char *middle = NULL;
  g_autofree char *last = NULL;

  guint n = g_strv_length (fields);
  g_autofree char *tail = n > 0 ? g_strstrip (g_strdup (fields[n - 1])) : NULL;

  /* 'phy:/dev/sda,w' is an xm entry short of its device, not an xl one. */
  if (n < 3 && tail != NULL && is_mode_word (tail) && strchr (fields[0], '=') == NULL)
    return FALSE;
  if (n != 3)
    return TRUE;
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *item = g_strstrip (g_strdup (fields[i]));

      if (strchr (item, '=') != NULL || g_strv_contains ((const char * const *) xl_ignored_flags, item) ||
          strcmp (item, "cdrom") == 0)
        return TRUE;
    }
  middle = g_strstrip (g_strdup (fields[1]));
  last = g_strstrip (g_strdup (fields[2]));
  if (is_mode_word (last))
    return FALSE;
  /* xm's middle field is a device (ioemu:hda, hdc:cdrom, xvda); xl's is a format or empty. */
  if (g_str_has_prefix (middle, "ioemu:") || strchr (middle, ':') != NULL)
    return FALSE;
  return !device_name_is_valid (middle);
}

typedef struct {
  char     *target;
  char     *format;
  char     *vdev;
  char     *access;
  gboolean  set[4];      /* which of the four was given, positionally or by name */
  gboolean  cdrom;
  char     *prefix;      /* a deprecated prefix that named the backend ("phy", "file") */
} XlDisk;

static void
xl_disk_clear (XlDisk *xl)
{
  g_free (xl->target);
  g_free (xl->format);
  g_free (xl->vdev);
  g_free (xl->access);
  g_free (xl->prefix);
}

static const char * const xl_positional[] = { "target", "format", "vdev", "access" };

static gboolean
xl_set_param (HvSpecReader  *reader,
              HvDiskSpec    *disk,
              XlDisk        *xl,
              guint          index,
              const char    *value,
              GError       **error)
{
  char **slots[] = { &xl->target, &xl->format, &xl->vdev, &xl->access };

  if (xl->set[index])
    return disk_error (reader, error, disk->number, disk->entry,
                       _("%s is given twice"), xl_positional[index]);
  xl->set[index] = TRUE;
  *slots[index] = g_strdup (value);
  return TRUE;
}

/* Deprecated prefixes on the target: format ones name the format, the others are dropped. */
static gboolean
xl_strip_prefixes (HvSpecReader  *reader,
                   HvDiskSpec    *disk,
                   XlDisk        *xl,
                   GError       **error)
{
  static const char * const dropped[] = { "tapdisk", "tap2", "tap", "aio", "ioemu", "file", "phy" };
  static const char * const scripts[] = { "iscsi", "nbd", "enbd", "drbd" };

  for (;;)
    {
      const char *colon = xl->target != NULL ? strchr (xl->target, ':') : NULL;
      g_autofree char *prefix = NULL;
      char *rest;
      gboolean known = FALSE;
      const char *slash = colon != NULL ? strchr (xl->target, '/') : NULL;

      /* A prefix comes before the path proper: the colon of /a:b belongs to the file name. */
      if (colon == NULL || (slash != NULL && slash < colon))
        return TRUE;
      prefix = g_strndup (xl->target, colon - xl->target);
      if (g_strv_contains (scripts, prefix))
        return disk_error (reader, error, disk->number, disk->entry,
                           _("%s: is one of Xen's block scripts, which Domus does not run: give the device or image path itself"),
                           prefix);
      if (xl_format_to_qemu (prefix) != NULL && strcmp (prefix, "qed") != 0)
        {
          if (!xl->set[1] || xl->format == NULL || *xl->format == '\0')
            {
              g_free (xl->format);
              xl->format = g_strdup (prefix);
              xl->set[1] = TRUE;
            }
          known = TRUE;
        }
      for (guint i = 0; i < G_N_ELEMENTS (dropped) && !known; i++)
        if (strcmp (prefix, dropped[i]) == 0)
          {
            known = TRUE;
            if (strcmp (prefix, "phy") == 0 || strcmp (prefix, "file") == 0)
              {
                g_free (xl->prefix);
                xl->prefix = g_strdup (prefix);
              }
          }
      if (!known)
        return TRUE;
      rest = g_strdup (colon + 1);
      g_free (xl->target);
      xl->target = rest;
    }
}

static gboolean
xl_read_item (HvSpecReader  *reader,
              HvDiskSpec    *disk,
              XlDisk        *xl,
              const char    *item,
              guint         *next_positional,
              GError       **error)
{
  const char *equals = strchr (item, '=');
  g_autofree char *key = NULL;
  const char *value;

  if (equals == NULL)
    {
      if (strcmp (item, "cdrom") == 0)
        {
          xl->cdrom = TRUE;
          return TRUE;
        }
      if (g_strv_contains ((const char * const *) xl_ignored_flags, item))
        {
          hv_spec_notice (reader, "disk", _("entry %u: %s ignored: QEMU serves the disk itself, without Xen's backend"),
                          disk->number, item);
          return TRUE;
        }
      /* Parameters not yet given take positional values in their order. */
      while (*next_positional < G_N_ELEMENTS (xl_positional) && xl->set[*next_positional])
        (*next_positional)++;
      if (*next_positional >= G_N_ELEMENTS (xl_positional))
        return disk_error (reader, error, disk->number, disk->entry,
                           _("'%s' is one value too many: the positional values are target, format, vdev and access"),
                           item);
      return xl_set_param (reader, disk, xl, (*next_positional)++, item, error);
    }

  key = g_strstrip (g_strndup (item, equals - item));
  value = equals + 1;
  for (guint i = 0; i < G_N_ELEMENTS (xl_positional); i++)
    if (strcmp (key, xl_positional[i]) == 0)
      return xl_set_param (reader, disk, xl, i, value, error);
  if (strcmp (key, "devtype") == 0)
    {
      if (strcmp (value, "cdrom") != 0)
        return disk_error (reader, error, disk->number, disk->entry,
                           _("devtype '%s' is not cdrom (the only device type xl knows)"), value);
      xl->cdrom = TRUE;
      return TRUE;
    }
  if (strcmp (key, "script") == 0)
    return disk_error (reader, error, disk->number, disk->entry,
                       _("script=%s: Xen's block scripts are not run: give the device or image path itself"),
                       value);
  if (g_strv_contains ((const char * const *) xl_ignored_keys, key))
    {
      hv_spec_notice (reader, "disk", _("entry %u: %s=%s ignored: QEMU serves the disk itself, without Xen's backend"),
                      disk->number, key, value);
      return TRUE;
    }
  return disk_error (reader, error, disk->number, disk->entry,
                     _("'%s' is not a parameter of xl's disk syntax (target, format, vdev, access, devtype, "
                       "backendtype, script, ...)"),
                     key);
}

/* Splits the entry into items; target= takes the rest of the entry, commas and all. */
static gboolean
xl_read_items (HvSpecReader  *reader,
               HvDiskSpec    *disk,
               XlDisk        *xl,
               const char    *entry,
               GError       **error)
{
  guint next_positional = 0;
  const char *p = entry;

  for (;;)
    {
      const char *comma;
      g_autofree char *item = NULL;

      while (*p == ' ' || *p == '\t')
        p++;
      if (g_str_has_prefix (p, "target="))
        return xl_set_param (reader, disk, xl, 0, p + strlen ("target="), error);
      comma = strchr (p, ',');
      item = g_strstrip (comma != NULL ? g_strndup (p, comma - p) : g_strdup (p));
      /* An empty value stands for the parameter's default, positionally too. */
      if (*item == '\0' && (comma != NULL || next_positional > 0))
        {
          while (next_positional < G_N_ELEMENTS (xl_positional) && xl->set[next_positional])
            next_positional++;
          if (next_positional < G_N_ELEMENTS (xl_positional))
            xl->set[next_positional++] = TRUE;
        }
      else if (*item != '\0' && !xl_read_item (reader, disk, xl, item, &next_positional, error))
        return FALSE;
      if (comma == NULL)
        return TRUE;
      p = comma + 1;
    }
}

static gboolean
read_xl_disk_spec (HvSpecReader  *reader,
                   HvDiskSpec    *disk,
                   const char    *entry,
                   GError       **error)
{
  XlDisk xl = { 0 };
  g_autofree char *vdev = NULL;
  const char *format;
  gboolean ok = FALSE;

  if (!xl_read_items (reader, disk, &xl, entry, error) ||
      !xl_strip_prefixes (reader, disk, &xl, error))
    goto out;

  format = xl.format != NULL && *xl.format != '\0' ? xl.format : "raw";
  if (xl_format_to_qemu (format) == NULL)
    {
      disk_error (reader, error, disk->number, disk->entry,
                  _("format '%s' is not raw, qcow, qcow2, vhd or qed"), format);
      goto out;
    }
  disk->format = g_strdup (xl_format_to_qemu (format));
  disk->format_explicit = xl.format != NULL && *xl.format != '\0';

  /* The old vdev:cdrom spelling still works in xl. */
  vdev = g_strdup (xl.vdev != NULL ? xl.vdev : "");
  if (g_str_has_suffix (vdev, ":cdrom"))
    {
      xl.cdrom = TRUE;
      vdev[strlen (vdev) - strlen (":cdrom")] = '\0';
    }
  else if (g_str_has_suffix (vdev, ":disk"))
    vdev[strlen (vdev) - strlen (":disk")] = '\0';
  if (!split_disk_device (reader, disk, vdev, error))
    goto out;
  disk->cdrom = xl.cdrom;

  if (xl.access == NULL || *xl.access == '\0')
    disk->readonly = disk->cdrom;
  else if (strcmp (xl.access, "ro") == 0 || strcmp (xl.access, "r") == 0)
    disk->readonly = TRUE;
  else if (strcmp (xl.access, "rw") != 0 && strcmp (xl.access, "w") != 0)
    {
      disk_error (reader, error, disk->number, disk->entry,
                  _("access '%s' is not ro, r, rw or w"), xl.access);
      goto out;
    }

  if (xl.target == NULL || *xl.target == '\0')
    disk->path = g_strdup ("");
  else if (xl.target[0] != '/')
    disk->path = g_build_filename ("/dev", xl.target, NULL);   /* xl's rule for a bare name */
  else
    disk->path = g_canonicalize_filename (xl.target, NULL);
  /* What a block device is matters for migration, which copies only images. */
  if (g_strcmp0 (xl.prefix, "phy") == 0 || g_str_has_prefix (disk->path, "/dev/"))
    disk->backend = g_strdup ("phy");
  else
    disk->backend = g_strdup (*disk->path == '\0' ? "" : "file");
  ok = TRUE;

out:
  xl_disk_clear (&xl);
  return ok;
}

/*
 * An image the image store made carries the format recorded then (hv-image-store.c), whatever
 * the entry's backend defaults to; an entry that names another format is refused, since a
 * raw image read as qcow2 would let the guest's own bytes name files for QEMU to open.
 */
static gboolean
apply_recorded_format (HvSpecReader  *reader,
                       HvDiskSpec    *disk,
                       GError       **error)
{
  g_autofree char *recorded = NULL;

  if (*disk->path == '\0' || disk->cdrom ||
      (recorded = hv_image_store_recorded_format (disk->path)) == NULL)
    return TRUE;
  if (disk->format_explicit && g_strcmp0 (disk->format, recorded) != 0)
    return disk_error (reader, error, disk->number, disk->entry,
                       _("the image store made %s as a %s image, not %s: name its format as %s or leave it out"),
                       disk->path, recorded, disk->format, recorded);
  g_free (disk->format);
  disk->format = g_steal_pointer (&recorded);
  return TRUE;
}

static gboolean
has_iso_suffix (const char *path)
{
  g_autofree char *lower = g_ascii_strdown (path, -1);

  return g_str_has_suffix (lower, ".iso");
}

static gboolean
read_disk_entry (HvSpecReader  *reader,
                 guint          number,
                 const char    *entry,
                 GError       **error)
{
  g_autoptr(GPtrArray) owned = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_disk_spec_free);
  g_auto(GStrv) fields = g_strsplit (entry, ",", -1);
  HvDiskSpec *disk = g_new0 (HvDiskSpec, 1);
  int slot;

  g_ptr_array_add (owned, disk);
  disk->number = number;
  disk->entry = g_strdup (entry);
  disk->ide_index = -1;
  disk->bus = HV_DISK_BUS_VIRTIO;

  if (is_xl_disk_spec (fields))
    {
      if (!read_xl_disk_spec (reader, disk, entry, error))
        return FALSE;
    }
  else
    {
      if (g_strv_length (fields) != 3)
        return disk_error (reader, error, number, entry,
                           _("expected backend:path,guest-device,mode"));
      for (guint i = 0; i < 3; i++)
        g_strstrip (fields[i]);
      if (!split_disk_target (reader, disk, fields[0], error) ||
          !split_disk_device (reader, disk, fields[1], error) ||
          !split_disk_mode (reader, disk, fields[2], error))
        return FALSE;
    }

  for (guint i = 0; i < reader->spec->disks->len; i++)
    {
      HvDiskSpec *other = g_ptr_array_index (reader->spec->disks, i);

      if (strcmp (other->device, disk->device) == 0)
        {
          hv_config_set_key_error (reader->config, error, HV_CONFIG_ERROR_INVALID, "disk",
                                   _("entry %u '%s' and entry %u '%s' both name guest device %s"),
                                   other->number, other->entry, number, entry, disk->device);
          return FALSE;
        }
    }

  if (!disk->cdrom && has_iso_suffix (disk->path))
    {
      disk->cdrom = TRUE;
      hv_spec_notice (reader, "disk", _("entry %u '%s': an ISO image, attached as a CD-ROM"), number, entry);
    }
  if (*disk->path == '\0' && !disk->cdrom)
    return disk_error (reader, error, number, entry,
                       _("missing path (only a CD-ROM drive may be empty)"));

  if (disk->cdrom)
    {
      /* A CD is read-only whatever the mode says, and has no format to guess. */
      disk->readonly = TRUE;
      disk->shared = FALSE;
      if (*disk->path != '\0' && disk->format == NULL)
        disk->format = g_strdup ("raw");
      if (*disk->path == '\0')
        g_clear_pointer (&disk->format, g_free);
    }

  slot = ide_slot_of (disk->device, reader->spec->builder == HV_DOMAIN_BUILDER_HVM);
  if (slot >= 0 && !claim_ide_slot (reader, disk, slot, error))
    return FALSE;

  if (!check_disk_file (reader, disk, error))
    return FALSE;
  if (!apply_recorded_format (reader, disk, error))
    return FALSE;

  g_ptr_array_add (reader->spec->disks, g_ptr_array_steal_index (owned, 0));
  return TRUE;
}

/* CD-ROMs named xvdc:cdrom and the like, which virtio cannot carry, go on IDE. */
static gboolean
place_cdroms (HvSpecReader  *reader,
              GError       **error)
{
  for (guint i = 0; i < reader->spec->disks->len; i++)
    {
      HvDiskSpec *disk = g_ptr_array_index (reader->spec->disks, i);
      int slot;

      if (!disk->cdrom || disk->bus == HV_DISK_BUS_IDE)
        continue;
      slot = free_ide_slot (reader);
      if (slot < 0)
        return disk_error (reader, error, disk->number, disk->entry,
                           _("no IDE slot is left for this CD-ROM (hda..hdd are all used)"));
      if (!claim_ide_slot (reader, disk, slot, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
read_cdrom_key (HvSpecReader  *reader,
                GError       **error)
{
  g_autofree char *path = NULL;
  HvDiskSpec *disk;
  int slot;

  if (!hv_spec_get_nonempty_string (reader, "cdrom", &path, error))
    return FALSE;
  if (path == NULL)
    return TRUE;

  slot = free_ide_slot (reader);
  if (slot < 0)
    {
      hv_config_set_key_error (reader->config, error, HV_CONFIG_ERROR_INVALID, "cdrom",
                               _("no IDE slot is left for the CD-ROM (hda..hdd are all used by disk)"));
      return FALSE;
    }
  disk = g_new0 (HvDiskSpec, 1);
  disk->number = 0;
  disk->entry = g_strdup (path);
  disk->backend = g_strdup ("");
  disk->path = hv_spec_resolve_path (reader, path);
  disk->device = g_strdup_printf ("hd%c", 'a' + slot);
  disk->format = g_strdup ("raw");
  disk->cdrom = TRUE;
  disk->readonly = TRUE;
  disk->bus = HV_DISK_BUS_IDE;
  disk->ide_index = slot;
  reader->ide[slot] = disk;
  g_ptr_array_add (reader->spec->disks, disk);
  return check_disk_file (reader, disk, error);
}

/* Tells where root=/dev/hda1 went when that disk became a virtio disk. */
static void
explain_root_device (HvSpecReader *reader)
{
  g_autofree char *root = NULL;
  guint virtio = 0;

  if (reader->spec->boot_method != HV_DOMAIN_BOOT_KERNEL ||
      !hv_spec_get_nonempty_string (reader, "root", &root, NULL) || root == NULL ||
      !g_str_has_prefix (root, "/dev/"))
    return;
  g_strdelimit (root, " \t", '\0');
  for (guint i = 0; i < reader->spec->disks->len; i++)
    {
      HvDiskSpec *disk = g_ptr_array_index (reader->spec->disks, i);

      if (disk->bus != HV_DISK_BUS_VIRTIO)
        continue;
      if (strcmp (disk->device, root + strlen ("/dev/")) == 0 && virtio < 26)
        hv_spec_notice (reader, "root",
                _("the disk listed as %s appears in the guest as /dev/vd%c (virtio); root=%s is passed unchanged"),
                disk->device, 'a' + virtio, root);
      virtio++;
    }
}

gboolean
hv_spec_read_disks (HvSpecReader  *reader,
                    GError       **error)
{
  g_auto(GStrv) entries = NULL;

  if (!hv_config_get_string_list (reader->config, "disk", &entries, error))
    return FALSE;
  for (guint i = 0; entries[i] != NULL; i++)
    if (!read_disk_entry (reader, i + 1, entries[i], error))
      return FALSE;
  if (!place_cdroms (reader, error) || !read_cdrom_key (reader, error))
    return FALSE;
  explain_root_device (reader);
  return TRUE;
}
