/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reads an xm configuration into an HvDomainSpec: every key checked, every Xen-ism explained. */

#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "domus-domain-name.h"
#include "hv-domain-spec.h"

#define DEFAULT_MEMORY_MIB 128  /* what xm gave a guest without `memory`; the one default */
#define MAX_VCPUS          255  /* the pc machine's limit */
#define N_IDE_SLOTS        4

/* Per-call state while reading one config. */
typedef struct {
  HvConfig          *config;
  HvDomainSpecFlags  flags;
  HvDomainSpec      *spec;
  char              *base_dir;   /* relative paths are relative to the config's folder */
  HvDiskSpec        *ide[N_IDE_SLOTS];
} Reader;

static const char * const action_names[] = {
  [HV_DOMAIN_ACTION_DESTROY] = "destroy",
  [HV_DOMAIN_ACTION_RESTART] = "restart",
  [HV_DOMAIN_ACTION_PRESERVE] = "preserve",
  [HV_DOMAIN_ACTION_RENAME_RESTART] = "rename-restart",
  [HV_DOMAIN_ACTION_COREDUMP_DESTROY] = "coredump-destroy",
  [HV_DOMAIN_ACTION_COREDUMP_RESTART] = "coredump-restart",
};

/* ------------------------------------------------------------------------- */
/* Small public helpers                                                       */

const char *
hv_domain_action_to_string (HvDomainAction action)
{
  g_return_val_if_fail (action < G_N_ELEMENTS (action_names), NULL);
  return action_names[action];
}

gboolean
hv_domain_action_from_string (const char     *text,
                              HvDomainAction *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (action_names); i++)
    if (g_strcmp0 (text, action_names[i]) == 0)
      {
        *out = (HvDomainAction) i;
        return TRUE;
      }
  return FALSE;
}

gboolean
hv_domain_name_is_valid (const char *name)
{
  return domus_domain_name_is_valid (name);
}

char *
hv_domain_spec_generate_mac (void)
{
  /* Xen's own recipe: its OUI, then a byte with the top bit clear, then two random bytes. */
  return g_strdup_printf ("00:16:3e:%02x:%02x:%02x",
                          (guint) g_random_int_range (0x00, 0x80),
                          (guint) g_random_int_range (0x00, 0x100),
                          (guint) g_random_int_range (0x00, 0x100));
}

char *
hv_domain_spec_vif_entry_with_mac (const char *entry,
                                   const char *mac)
{
  g_autofree char *rest = g_strstrip (g_strdup (entry != NULL ? entry : ""));

  if (*rest == '\0')
    return g_strdup_printf ("mac=%s", mac);
  return g_strdup_printf ("mac=%s, %s", mac, rest);
}

static void
disk_spec_free (HvDiskSpec *disk)
{
  g_free (disk->entry);
  g_free (disk->backend);
  g_free (disk->path);
  g_free (disk->device);
  g_free (disk->format);
  g_free (disk);
}

static void
vif_spec_free (HvVifSpec *vif)
{
  g_free (vif->entry);
  g_free (vif->mac);
  g_free (vif->bridge);
  g_free (vif->model);
  g_free (vif);
}

void
hv_domain_spec_free (HvDomainSpec *spec)
{
  if (spec == NULL)
    return;
  g_free (spec->filename);
  g_free (spec->name);
  g_free (spec->uuid);
  g_strfreev (spec->tags);
  g_free (spec->kernel);
  g_free (spec->ramdisk);
  g_free (spec->cmdline);
  g_free (spec->boot_order);
  g_clear_pointer (&spec->disks, g_ptr_array_unref);
  g_clear_pointer (&spec->vifs, g_ptr_array_unref);
  g_clear_pointer (&spec->notices, g_ptr_array_unref);
  g_free (spec->usb_device);
  g_free (spec);
}

GStrv
hv_domain_spec_dup_notices (const HvDomainSpec *spec)
{
  GStrvBuilder *builder = g_strv_builder_new ();
  GStrv result;

  for (guint i = 0; i < spec->notices->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (spec->notices, i));
  result = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return result;
}

/* ------------------------------------------------------------------------- */
/* Reader helpers                                                             */

static void notice (Reader     *reader,
                    const char *key,
                    const char *format,
                    ...) G_GNUC_PRINTF (3, 4);

static void
notice (Reader     *reader,
        const char *key,
        const char *format,
        ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_ptr_array_add (reader->spec->notices, g_strdup_printf ("%s: %s", key, message));
}

static char *
resolve_path (Reader     *reader,
              const char *path)
{
  return g_canonicalize_filename (path, reader->base_dir);
}

/* A key's value when it is a non-empty string (after stripping), else NULL. */
static gboolean
get_nonempty_string (Reader      *reader,
                     const char  *key,
                     char       **out,
                     GError     **error)
{
  const char *value = NULL;

  if (!hv_config_get_string (reader->config, key, NULL, &value, error))
    return FALSE;
  *out = value != NULL ? g_strstrip (g_strdup (value)) : NULL;
  if (*out != NULL && **out == '\0')
    g_clear_pointer (out, g_free);
  return TRUE;
}

/* Missing files are errors for the daemon and notices for `domusctl check`. */
static gboolean
check_file (Reader      *reader,
            const char  *key,
            const char  *path,
            GError     **error)
{
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  if (reader->flags & HV_DOMAIN_SPEC_STRICT_FILES)
    {
      hv_config_set_key_error (reader->config, error, HV_CONFIG_ERROR_INVALID, key,
                               _("%s does not exist"), path);
      return FALSE;
    }
  notice (reader, key, _("%s does not exist"), path);
  return TRUE;
}

static gboolean
check_disk_file (Reader      *reader,
                 HvDiskSpec  *disk,
                 GError     **error)
{
  const char *key = disk->number > 0 ? "disk" : "cdrom";

  if (*disk->path == '\0' || g_file_test (disk->path, G_FILE_TEST_EXISTS))
    return TRUE;
  if (disk->number == 0)
    return check_file (reader, key, disk->path, error);
  if (reader->flags & HV_DOMAIN_SPEC_STRICT_FILES)
    {
      hv_config_set_key_error (reader->config, error, HV_CONFIG_ERROR_INVALID, key,
                               _("entry %u '%s': %s does not exist"),
                               disk->number, disk->entry, disk->path);
      return FALSE;
    }
  notice (reader, key, _("entry %u '%s': %s does not exist"),
          disk->number, disk->entry, disk->path);
  return TRUE;
}

/* ------------------------------------------------------------------------- */
/* Identity, size, builder                                                    */

static gboolean
tag_is_valid (const char *tag)
{
  gsize length = strlen (tag);

  if (length == 0 || length > 64 || !g_utf8_validate (tag, -1, NULL) || strchr (tag, ',') != NULL)
    return FALSE;
  for (const char *p = tag; *p != '\0'; p = g_utf8_next_char (p))
    if (!g_unichar_isprint (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

gboolean
hv_domain_spec_read_tags (HvConfig  *config,
                          GStrv     *tags,
                          GError   **error)
{
  g_auto(GStrv) listed = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  if (!hv_config_get_string_list (config, "tags", &listed, error))
    return FALSE;
  for (guint i = 0; listed[i] != NULL; i++)
    {
      if (!tag_is_valid (listed[i]))
        {
          hv_config_set_key_error (config, error, HV_CONFIG_ERROR_INVALID, "tags",
                                   _("'%s' is not a tag: use 1 to 64 printable characters, no commas"),
                                   listed[i]);
          return FALSE;
        }
      if (g_hash_table_add (seen, listed[i]))
        g_strv_builder_add (builder, listed[i]);
    }
  *tags = g_strv_builder_end (builder);
  return TRUE;
}

static gboolean
read_identity (Reader  *reader,
               GError **error)
{
  HvDomainSpec *spec = reader->spec;
  g_autofree char *uuid = NULL;
  g_autoptr(GError) name_error = NULL;

  if (!get_nonempty_string (reader, "name", &spec->name, error))
    return FALSE;
  if (spec->name == NULL)
    {
      hv_config_set_key_error (reader->config, error, HV_CONFIG_ERROR_MISSING, "name",
                               _("missing: every domain needs a name"));
      return FALSE;
    }
  if (!domus_domain_name_check (spec->name, &name_error))
    {
      hv_config_set_key_error (reader->config, error, HV_CONFIG_ERROR_INVALID, "name",
                               "%s", name_error->message);
      return FALSE;
    }

  if (!get_nonempty_string (reader, "uuid", &uuid, error))
    return FALSE;
  if (uuid != NULL)
    {
      if (!g_uuid_string_is_valid (uuid))
        {
          hv_config_set_key_error (reader->config, error, HV_CONFIG_ERROR_INVALID, "uuid",
                                   _("'%s' is not a UUID (like 4f1c2a3e-5d6b-4c7d-8e9f-0a1b2c3d4e5f)"),
                                   uuid);
          return FALSE;
        }
      spec->uuid = g_ascii_strdown (uuid, -1);
    }
  return hv_domain_spec_read_tags (reader->config, &spec->tags, error);
}

static gboolean
read_size (Reader  *reader,
           GError **error)
{
  HvDomainSpec *spec = reader->spec;

  if (!hv_config_get_int (reader->config, "memory", "MiB", DEFAULT_MEMORY_MIB,
                          &spec->memory_mib, error))
    return FALSE;
  if (spec->memory_mib < 1 || spec->memory_mib > G_GINT64_CONSTANT (16) * 1024 * 1024)
    {
      hv_config_set_key_error (reader->config, error, HV_CONFIG_ERROR_INVALID, "memory",
                               _("%" PRId64 " MiB is not a possible memory size"),
                               spec->memory_mib);
      return FALSE;
    }

  if (!hv_config_get_int (reader->config, "vcpus", NULL, 1, &spec->vcpus, error))
    return FALSE;
  if (spec->vcpus < 1 || spec->vcpus > MAX_VCPUS)
    {
      hv_config_set_key_error (reader->config, error, HV_CONFIG_ERROR_INVALID, "vcpus",
                               _("%" PRId64 " is not between 1 and %d"),
                               spec->vcpus, MAX_VCPUS);
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_builder (Reader  *reader,
              GError **error)
{
  const char *builder = NULL;

  if (!hv_config_get_string (reader->config, "builder", "linux", &builder, error))
    return FALSE;
  if (g_ascii_strcasecmp (builder, "hvm") == 0)
    reader->spec->builder = HV_DOMAIN_BUILDER_HVM;
  else if (g_ascii_strcasecmp (builder, "linux") == 0 || *builder == '\0')
    reader->spec->builder = HV_DOMAIN_BUILDER_LINUX;
  else
    {
      hv_config_set_key_error (reader->config, error, HV_CONFIG_ERROR_INVALID, "builder",
                               _("'%s' is neither 'linux' nor 'hvm'"), builder);
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------------- */
/* Boot: kernel, or firmware and `boot`                                      */

static gboolean
read_boot_order (Reader      *reader,
                 const char  *fallback,
                 GError     **error)
{
  const char *boot = NULL;
  g_autofree char *order = NULL;

  if (!hv_config_get_string (reader->config, "boot", fallback, &boot, error))
    return FALSE;
  order = g_ascii_strdown (boot, -1);
  g_strstrip (order);
  if (*order == '\0')
    {
      hv_config_set_key_error (reader->config, error, HV_CONFIG_ERROR_INVALID, "boot",
                               _("empty: use letters from a (floppy), c (disk), d (CD-ROM) and n (network)"));
      return FALSE;
    }
  for (const char *p = order; *p != '\0'; p++)
    {
      if (strchr ("abcdn", *p) == NULL)
        {
          hv_config_set_key_error (reader->config, error, HV_CONFIG_ERROR_INVALID, "boot",
                                   _("'%c' in '%s' is not a boot device: use a (floppy), c (disk), d (CD-ROM) or n (network)"),
                                   *p, boot);
          return FALSE;
        }
      if (strchr (p + 1, *p) != NULL)
        {
          hv_config_set_key_error (reader->config, error, HV_CONFIG_ERROR_INVALID, "boot",
                                   _("'%c' appears twice in '%s'"), *p, boot);
          return FALSE;
        }
    }
  reader->spec->boot_order = g_steal_pointer (&order);
  return TRUE;
}

static void
ignore_for_hvm (Reader     *reader,
                const char *key)
{
  if (hv_config_has_key (reader->config, key))
    notice (reader, key, _("ignored: a builder = 'hvm' guest boots through its firmware"));
}

static gboolean
read_kernel_command_line (Reader  *reader,
                          GError **error)
{
  g_autofree char *root = NULL;
  g_autofree char *extra = NULL;
  g_autoptr(GStrvBuilder) parts = g_strv_builder_new ();
  g_auto(GStrv) words = NULL;

  if (!get_nonempty_string (reader, "root", &root, error) ||
      !get_nonempty_string (reader, "extra", &extra, error))
    return FALSE;

  if (root != NULL)
    {
      g_autofree char *root_arg = g_strdup_printf ("root=%s", root);
      g_strv_builder_add (parts, root_arg);
    }
  if (extra != NULL)
    g_strv_builder_add (parts, extra);
  /* xm create -c showed the boot on the console: under QEMU that console is
   * ttyS0, so add it unless the file chose its own. */
  if (extra == NULL || strstr (extra, "console=") == NULL)
    {
      g_strv_builder_add (parts, "console=tty0");
      g_strv_builder_add (parts, "console=ttyS0");
    }
  else if (strstr (extra, "console=hvc0") != NULL || strstr (extra, "console=xvc0") != NULL)
    notice (reader, "extra",
            _("console=hvc0 and console=xvc0 are Xen's consoles: under QEMU the serial console is console=ttyS0"));

  words = g_strv_builder_end (parts);
  reader->spec->cmdline = g_strjoinv (" ", words);
  return TRUE;
}

static gboolean
read_boot (Reader  *reader,
           GError **error)
{
  HvDomainSpec *spec = reader->spec;
  g_autofree char *kernel = NULL;
  g_autofree char *ramdisk = NULL;
  g_autofree char *bootloader = NULL;

  if (!get_nonempty_string (reader, "kernel", &kernel, error) ||
      !get_nonempty_string (reader, "ramdisk", &ramdisk, error) ||
      !get_nonempty_string (reader, "bootloader", &bootloader, error))
    return FALSE;

  if (spec->builder == HV_DOMAIN_BUILDER_HVM)
    {
      g_autofree char *base = kernel != NULL ? g_path_get_basename (kernel) : NULL;

      spec->boot_method = HV_DOMAIN_BOOT_FIRMWARE;
      if (base != NULL && strcmp (base, "hvmloader") == 0)
        notice (reader, "kernel",
                _("hvmloader is Xen's firmware loader: QEMU's own firmware boots the guest"));
      else
        ignore_for_hvm (reader, "kernel");
      ignore_for_hvm (reader, "ramdisk");
      ignore_for_hvm (reader, "root");
      ignore_for_hvm (reader, "extra");
      if (bootloader != NULL)
        notice (reader, "bootloader", _("ignored: a builder = 'hvm' guest boots through its firmware"));
      return read_boot_order (reader, "c", error);
    }

  if (hv_config_has_key (reader->config, "boot"))
    notice (reader, "boot", _("ignored: only builder = 'hvm' guests boot from a boot order"));

  if (kernel == NULL && bootloader != NULL)
    {
      /* pygrub read the guest's grub menu from its disk; the firmware does the same job. */
      spec->boot_method = HV_DOMAIN_BOOT_FIRMWARE;
      spec->boot_order = g_strdup ("c");
      notice (reader, "bootloader",
              _("Xen's bootloader is not used: the firmware boots the first disk"));
      if (hv_config_has_key (reader->config, "bootargs"))
        notice (reader, "bootargs", _("ignored: Xen's bootloader is not used"));
      return TRUE;
    }
  if (kernel == NULL)
    {
      hv_config_set_key_error (reader->config, error, HV_CONFIG_ERROR_MISSING, "kernel",
                               _("missing: a guest without builder = 'hvm' needs a kernel (or a bootloader)"));
      return FALSE;
    }
  if (bootloader != NULL)
    notice (reader, "bootloader", _("ignored: the guest boots the kernel named by 'kernel'"));

  spec->boot_method = HV_DOMAIN_BOOT_KERNEL;
  spec->kernel = resolve_path (reader, kernel);
  if (!check_file (reader, "kernel", spec->kernel, error))
    return FALSE;
  if (ramdisk != NULL)
    {
      spec->ramdisk = resolve_path (reader, ramdisk);
      if (!check_file (reader, "ramdisk", spec->ramdisk, error))
        return FALSE;
    }
  return read_kernel_command_line (reader, error);
}

/* ------------------------------------------------------------------------- */
/* Disks                                                                      */

typedef struct {
  const char *prefix;
  const char *backend;
  const char *format;   /* NULL: look at the file */
} DiskBackend;

static const DiskBackend disk_backends[] = {
  { "phy:", "phy", "raw" },
  { "file:", "file", NULL },
  { "tap:aio:", "tap:aio", "raw" },
  { "tap:sync:", "tap:sync", "raw" },
  { "tap:qcow2:", "tap:qcow2", "qcow2" },
  { "tap:qcow:", "tap:qcow", "qcow" },
  { "tap:vmdk:", "tap:vmdk", "vmdk" },
};

static gboolean disk_error (Reader      *reader,
                            GError     **error,
                            guint        number,
                            const char  *entry,
                            const char  *format,
                            ...) G_GNUC_PRINTF (5, 6);

static gboolean
disk_error (Reader      *reader,
            GError     **error,
            guint        number,
            const char  *entry,
            const char  *format,
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

/* qcow and qcow2 images start with "QFI\xfb" and a big-endian version. */
static const char *
sniff_format (const char *path)
{
  guchar header[8];
  gsize got;
  FILE *file;

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    return "raw";
  file = fopen (path, "rb");
  if (file == NULL)
    return "raw";
  got = fread (header, 1, sizeof header, file);
  fclose (file);
  if (got == sizeof header && memcmp (header, "QFI\xfb", 4) == 0)
    return header[7] == 1 && header[4] == 0 && header[5] == 0 && header[6] == 0 ? "qcow" : "qcow2";
  return "raw";
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
claim_ide_slot (Reader      *reader,
                HvDiskSpec  *disk,
                int          slot,
                GError     **error)
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
free_ide_slot (Reader *reader)
{
  static const int preference[] = { 2, 3, 1, 0 };

  for (guint i = 0; i < G_N_ELEMENTS (preference); i++)
    if (reader->ide[preference[i]] == NULL)
      return preference[i];
  return -1;
}

static gboolean
split_disk_target (Reader      *reader,
                   HvDiskSpec  *disk,
                   const char  *uname,
                   GError     **error)
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
                             _("unknown backend '%s': use phy:, file:, tap:aio:, tap:qcow: or tap:qcow2:"),
                             tap);
        }
      if (prefix != NULL)
        return disk_error (reader, error, disk->number, disk->entry,
                           _("unknown backend '%s': use phy:, file:, tap:aio:, tap:qcow: or tap:qcow2:"),
                           prefix);
      return disk_error (reader, error, disk->number, disk->entry,
                         _("'%s' has no backend: write phy:%s for a device or file:%s for an image"),
                         uname, uname, uname);
    }
  else
    {
      disk->backend = g_strdup (backend->backend);
      path = uname + strlen (backend->prefix);
      disk->format = g_strdup (backend->format);
    }

  if (*path == '\0')
    disk->path = g_strdup ("");
  else if (backend != NULL && strcmp (backend->backend, "phy") == 0 && !g_path_is_absolute (path))
    disk->path = g_build_filename ("/dev", path, NULL);   /* xm's phy:sda1 meant /dev/sda1 */
  else
    disk->path = resolve_path (reader, path);
  return TRUE;
}

static gboolean
split_disk_device (Reader      *reader,
                   HvDiskSpec  *disk,
                   const char  *field,
                   GError     **error)
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
split_disk_mode (Reader      *reader,
                 HvDiskSpec  *disk,
                 const char  *mode,
                 GError     **error)
{
  if (strcmp (mode, "r") == 0)
    disk->readonly = TRUE;
  else if (strcmp (mode, "w!") == 0)
    disk->shared = TRUE;
  else if (strcmp (mode, "w") != 0)
    return disk_error (reader, error, disk->number, disk->entry,
                       _("mode '%s' is not r, w or w!"), mode);
  return TRUE;
}

static gboolean
has_iso_suffix (const char *path)
{
  g_autofree char *lower = g_ascii_strdown (path, -1);

  return g_str_has_suffix (lower, ".iso");
}

static gboolean
read_disk_entry (Reader      *reader,
                 guint        number,
                 const char  *entry,
                 GError     **error)
{
  g_autoptr(GPtrArray) owned = g_ptr_array_new_with_free_func ((GDestroyNotify) disk_spec_free);
  g_auto(GStrv) fields = g_strsplit (entry, ",", -1);
  HvDiskSpec *disk = g_new0 (HvDiskSpec, 1);
  int slot;

  g_ptr_array_add (owned, disk);
  disk->number = number;
  disk->entry = g_strdup (entry);
  disk->ide_index = -1;
  disk->bus = HV_DISK_BUS_VIRTIO;

  if (g_strv_length (fields) != 3)
    return disk_error (reader, error, number, entry,
                       _("expected backend:path,guest-device,mode"));
  for (guint i = 0; i < 3; i++)
    g_strstrip (fields[i]);

  if (!split_disk_target (reader, disk, fields[0], error) ||
      !split_disk_device (reader, disk, fields[1], error) ||
      !split_disk_mode (reader, disk, fields[2], error))
    return FALSE;

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
      notice (reader, "disk", _("entry %u '%s': an ISO image, attached as a CD-ROM"), number, entry);
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
  if (disk->format == NULL && *disk->path != '\0')
    disk->format = g_strdup (sniff_format (disk->path));

  g_ptr_array_add (reader->spec->disks, g_ptr_array_steal_index (owned, 0));
  return TRUE;
}

/* CD-ROMs named xvdc:cdrom and the like, which virtio cannot carry, go on IDE. */
static gboolean
place_cdroms (Reader  *reader,
              GError **error)
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
read_cdrom_key (Reader  *reader,
                GError **error)
{
  g_autofree char *path = NULL;
  HvDiskSpec *disk;
  int slot;

  if (!get_nonempty_string (reader, "cdrom", &path, error))
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
  disk->path = resolve_path (reader, path);
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
explain_root_device (Reader *reader)
{
  g_autofree char *root = NULL;
  guint virtio = 0;

  if (reader->spec->boot_method != HV_DOMAIN_BOOT_KERNEL ||
      !get_nonempty_string (reader, "root", &root, NULL) || root == NULL ||
      !g_str_has_prefix (root, "/dev/"))
    return;
  g_strdelimit (root, " \t", '\0');
  for (guint i = 0; i < reader->spec->disks->len; i++)
    {
      HvDiskSpec *disk = g_ptr_array_index (reader->spec->disks, i);

      if (disk->bus != HV_DISK_BUS_VIRTIO)
        continue;
      if (strcmp (disk->device, root + strlen ("/dev/")) == 0 && virtio < 26)
        notice (reader, "root",
                _("the disk listed as %s appears in the guest as /dev/vd%c (virtio); root=%s is passed unchanged"),
                disk->device, 'a' + virtio, root);
      virtio++;
    }
}

static gboolean
read_disks (Reader  *reader,
            GError **error)
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

/* ------------------------------------------------------------------------- */
/* Network                                                                    */

typedef struct {
  const char *name;    /* as written in the file */
  const char *device;  /* QEMU's device */
} NicModel;

static const NicModel nic_models[] = {
  { "e1000", "e1000" },
  { "e1000e", "e1000e" },
  { "rtl8139", "rtl8139" },
  { "ne2k_pci", "ne2k_pci" },
  { "pcnet", "pcnet" },
  { "i82551", "i82551" },
  { "i82557b", "i82557b" },
  { "i82559er", "i82559er" },
  { "virtio", "virtio-net-pci" },
  { "virtio-net", "virtio-net-pci" },
  { "virtio-net-pci", "virtio-net-pci" },
};

static gboolean
mac_parse (const char *text,
           char      **out)
{
  guint octets[6];
  char tail;

  if (strlen (text) != 17)
    return FALSE;
  for (guint i = 0; i < 17; i++)
    if ((i % 3 == 2) ? text[i] != ':' : !g_ascii_isxdigit (text[i]))
      return FALSE;
  if (sscanf (text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &octets[0], &octets[1], &octets[2],
              &octets[3], &octets[4], &octets[5], &tail) != 6)
    return FALSE;
  /* A NIC cannot have a multicast address. */
  if (octets[0] & 1)
    return FALSE;
  *out = g_ascii_strdown (text, -1);
  return TRUE;
}

static gboolean vif_error (Reader      *reader,
                           GError     **error,
                           HvVifSpec   *vif,
                           const char  *format,
                           ...) G_GNUC_PRINTF (4, 5);

static gboolean
vif_error (Reader      *reader,
           GError     **error,
           HvVifSpec   *vif,
           const char  *format,
           ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  hv_config_set_key_error (reader->config, error, HV_CONFIG_ERROR_INVALID, "vif",
                           _("vif %u '%s': %s"), vif->number, vif->entry, message);
  return FALSE;
}

static gboolean
read_vif_item (Reader      *reader,
               HvVifSpec   *vif,
               const char  *key,
               const char  *value,
               GError     **error)
{
  if (strcmp (key, "mac") == 0)
    {
      g_clear_pointer (&vif->mac, g_free);
      if (!mac_parse (value, &vif->mac))
        return vif_error (reader, error, vif,
                          _("'%s' is not a MAC address like 00:16:3e:12:34:56 (six hex pairs, not multicast)"),
                          value);
    }
  else if (strcmp (key, "bridge") == 0)
    {
      g_free (vif->bridge);
      vif->bridge = g_strdup (value);
    }
  else if (strcmp (key, "type") == 0)
    {
      if (strcmp (value, "ioemu") != 0 && strcmp (value, "netfront") != 0 && strcmp (value, "vif") != 0)
        return vif_error (reader, error, vif, _("type '%s' is not ioemu, netfront or vif"), value);
    }
  else if (strcmp (key, "model") == 0)
    {
      const NicModel *model = NULL;

      for (guint i = 0; i < G_N_ELEMENTS (nic_models) && model == NULL; i++)
        if (strcmp (nic_models[i].name, value) == 0)
          model = &nic_models[i];
      if (model == NULL)
        return vif_error (reader, error, vif,
                          _("model '%s' is not one of e1000, e1000e, rtl8139, ne2k_pci, pcnet, "
                            "i82551, i82557b, i82559er, virtio"),
                          value);
      g_free (vif->model);
      vif->model = g_strdup (model->device);
    }
  else
    notice (reader, "vif", _("vif %u: %s=%s ignored (it only meant something to Xen's scripts)"),
            vif->number, key, value);
  return TRUE;
}

static gboolean
read_vif_entry (Reader      *reader,
                guint        number,
                const char  *entry,
                GError     **error)
{
  g_auto(GStrv) items = g_strsplit (entry, ",", -1);
  HvVifSpec *vif = g_new0 (HvVifSpec, 1);

  /* Owned by the spec from here, so every error path frees it with the spec. */
  g_ptr_array_add (reader->spec->vifs, vif);
  vif->number = number;
  vif->entry = g_strdup (entry);

  for (guint i = 0; items[i] != NULL; i++)
    {
      char *item = g_strstrip (items[i]);
      char *equals = strchr (item, '=');
      g_autofree char *key = NULL;
      g_autofree char *value = NULL;

      if (*item == '\0')
        continue;
      if (equals == NULL)
        return vif_error (reader, error, vif, _("'%s' is not key=value"), item);
      key = g_strstrip (g_strndup (item, equals - item));
      value = g_strstrip (g_strdup (equals + 1));
      if (!read_vif_item (reader, vif, key, value, error))
        return FALSE;
    }

  if (vif->model == NULL)
    vif->model = g_strdup (reader->spec->builder == HV_DOMAIN_BUILDER_HVM ? "e1000" : "virtio-net-pci");
  if (vif->mac == NULL)
    {
      vif->mac = hv_domain_spec_generate_mac ();
      vif->mac_generated = TRUE;
      notice (reader, "vif",
              _("vif %u has no mac: a stable one is generated at first start and written back to the file"),
              number);
    }
  return TRUE;
}

static gboolean
read_vifs (Reader  *reader,
           GError **error)
{
  g_auto(GStrv) entries = NULL;

  if (!hv_config_get_string_list (reader->config, "vif", &entries, error))
    return FALSE;
  for (guint i = 0; entries[i] != NULL; i++)
    if (!read_vif_entry (reader, i, entries[i], error))
      return FALSE;
  return TRUE;
}

/* ------------------------------------------------------------------------- */
/* Screen, console, devices, actions                                          */

static void
explain_vnc_setting (Reader     *reader,
                     const char *key,
                     const char *value)
{
  if (strcmp (key, "vnclisten") == 0)
    notice (reader, key,
            _("'%s' ignored: VNC listens only on a Unix socket in the domain's run folder, never on a network address"),
            value);
  else if (strcmp (key, "vncdisplay") == 0)
    notice (reader, key, _("ignored: VNC has no display number: it listens on a Unix socket"));
  else if (strcmp (key, "vncpasswd") == 0 && *value != '\0')
    notice (reader, key,
            _("ignored: the VNC socket needs no password: only the domain's owner can open it"));
}

static gboolean
read_vfb (Reader  *reader,
          GError **error)
{
  g_auto(GStrv) entries = NULL;

  if (!hv_config_get_string_list (reader->config, "vfb", &entries, error))
    return FALSE;
  for (guint i = 0; entries[i] != NULL; i++)
    {
      g_auto(GStrv) items = g_strsplit (entries[i], ",", -1);

      for (guint j = 0; items[j] != NULL; j++)
        {
          char *item = g_strstrip (items[j]);
          char *equals = strchr (item, '=');
          g_autofree char *key = NULL;
          g_autofree char *value = NULL;

          if (equals == NULL)
            continue;
          key = g_strstrip (g_strndup (item, equals - item));
          value = g_strstrip (g_strdup (equals + 1));
          if (strcmp (key, "type") == 0 && strcmp (value, "vnc") == 0)
            reader->spec->vnc = TRUE;
          else if ((strcmp (key, "type") == 0 && strcmp (value, "sdl") == 0) ||
                   (strcmp (key, "sdl") == 0 && strcmp (value, "1") == 0))
            notice (reader, "vfb", _("no SDL window is opened: the screen is shown through VNC"));
          else if (strcmp (key, "vnc") == 0 && strcmp (value, "1") == 0)
            reader->spec->vnc = TRUE;
          else
            explain_vnc_setting (reader, key, value);
        }
    }
  return TRUE;
}

static gboolean
read_screen (Reader  *reader,
             GError **error)
{
  static const char * const vnc_strings[] = { "vnclisten", "vncdisplay", "vncpasswd" };
  gboolean vnc, sdl, viewer, unused;

  if (!hv_config_get_bool (reader->config, "vnc", FALSE, &vnc, error) ||
      !hv_config_get_bool (reader->config, "sdl", FALSE, &sdl, error) ||
      !hv_config_get_bool (reader->config, "vncviewer", FALSE, &viewer, error) ||
      !hv_config_get_bool (reader->config, "vncunused", TRUE, &unused, error))
    return FALSE;
  reader->spec->vnc = vnc;

  if (sdl)
    notice (reader, "sdl", _("no SDL window is opened: the screen is shown through VNC (vnc = 1)"));
  if (viewer)
    notice (reader, "vncviewer", _("no viewer is started: open the domain's console in Domus"));
  if (hv_config_has_key (reader->config, "vncconsole"))
    notice (reader, "vncconsole", _("no viewer is started: open the domain's console in Domus"));

  for (guint i = 0; i < G_N_ELEMENTS (vnc_strings); i++)
    {
      GVariant *value = hv_config_get_value (reader->config, vnc_strings[i]);
      g_autofree char *shown = NULL;

      if (value == NULL)
        continue;
      shown = g_variant_is_of_type (value, G_VARIANT_TYPE_STRING)
              ? g_variant_dup_string (value, NULL) : hv_config_value_to_string (value);
      explain_vnc_setting (reader, vnc_strings[i], shown);
    }
  return read_vfb (reader, error);
}

static gboolean
read_devices (Reader  *reader,
              GError **error)
{
  HvDomainSpec *spec = reader->spec;
  g_autofree char *usb = NULL;

  if (!hv_config_get_bool (reader->config, "localtime", FALSE, &spec->localtime, error) ||
      !hv_config_get_bool (reader->config, "acpi", TRUE, &spec->acpi, error) ||
      !get_nonempty_string (reader, "usbdevice", &usb, error))
    return FALSE;

  if (usb != NULL)
    {
      if (strcmp (usb, "tablet") == 0)
        spec->usb_device = g_strdup ("usb-tablet");
      else if (strcmp (usb, "mouse") == 0)
        spec->usb_device = g_strdup ("usb-mouse");
      else
        {
          hv_config_set_key_error (reader->config, error, HV_CONFIG_ERROR_INVALID, "usbdevice",
                                   _("'%s' is neither 'tablet' nor 'mouse'"), usb);
          return FALSE;
        }
    }

  if (hv_config_has_key (reader->config, "serial"))
    notice (reader, "serial",
            _("ignored: the serial console is always a Unix socket in the domain's run folder (serial.sock, logged to serial.log)"));
  return TRUE;
}

static gboolean
read_action (Reader          *reader,
             const char      *key,
             HvDomainAction   fallback,
             HvDomainAction  *out,
             GError         **error)
{
  const char *text = NULL;

  if (!hv_config_get_string (reader->config, key, NULL, &text, error))
    return FALSE;
  if (text == NULL)
    {
      *out = fallback;
      return TRUE;
    }
  if (!hv_domain_action_from_string (text, out))
    {
      hv_config_set_key_error (reader->config, error, HV_CONFIG_ERROR_INVALID, key,
                               _("'%s' is not one of destroy, restart, preserve, rename-restart, "
                                 "coredump-destroy, coredump-restart"),
                               text);
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_actions (Reader  *reader,
              GError **error)
{
  HvDomainSpec *spec = reader->spec;

  /* xm's defaults. */
  return read_action (reader, "on_poweroff", HV_DOMAIN_ACTION_DESTROY, &spec->on_poweroff, error) &&
         read_action (reader, "on_reboot", HV_DOMAIN_ACTION_RESTART, &spec->on_reboot, error) &&
         read_action (reader, "on_crash", HV_DOMAIN_ACTION_RESTART, &spec->on_crash, error);
}

/* Keys that only meant something to Xen, each with what happens instead. */
static void
read_xen_only_keys (Reader *reader)
{
  static const struct {
    const char *key;
    const char *why;
  } xen_only[] = {
    { "device_model", N_("ignored: Xen's device model is not used: Domus runs QEMU itself") },
    { "pae", N_("ignored: the virtual processor always supports PAE") },
    { "apic", N_("ignored: the virtual machine always has an APIC") },
    { "cpus", N_("ignored: virtual processors are not pinned to host processors") },
    { "cpu_weight", N_("ignored: Xen's scheduler settings have no QEMU equivalent") },
    { "cpu_cap", N_("ignored: Xen's scheduler settings have no QEMU equivalent") },
    { "shadow_memory", N_("ignored: Xen's shadow page tables have no QEMU equivalent") },
    { "maxmem", N_("ignored: the guest always has the memory given by 'memory'") },
    { "maxvcpus", N_("ignored: the guest always has the processors given by 'vcpus'") },
    { "on_xend_start", N_("ignored: there is no xend; mark the domain for autostart instead") },
    { "on_xend_stop", N_("ignored: there is no xend; running domains keep running when the daemon stops") },
    { "stdvga", N_("ignored: the graphics card is always QEMU's standard VGA") },
    { "nographic", N_("ignored: the screen is on VNC when vnc = 1 and hidden otherwise") },
    { "soundhw", N_("ignored: guests have no sound card") },
    { "hap", N_("ignored: a Xen-only setting with no QEMU equivalent") },
    { "viridian", N_("ignored: a Xen-only setting with no QEMU equivalent") },
    { "xen_platform_pci", N_("ignored: a Xen-only setting with no QEMU equivalent") },
    { "timer_mode", N_("ignored: a Xen-only setting with no QEMU equivalent") },
    { "hpet", N_("ignored: a Xen-only setting with no QEMU equivalent") },
    { "vpt_align", N_("ignored: a Xen-only setting with no QEMU equivalent") },
    { "extid", N_("ignored: a Xen-only setting with no QEMU equivalent") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (xen_only); i++)
    if (hv_config_has_key (reader->config, xen_only[i].key))
      notice (reader, xen_only[i].key, "%s", _(xen_only[i].why));
}

/* ------------------------------------------------------------------------- */

HvDomainSpec *
hv_domain_spec_new (HvConfig           *config,
                    HvDomainSpecFlags   flags,
                    GError            **error)
{
  g_autoptr(HvDomainSpec) spec = g_new0 (HvDomainSpec, 1);
  g_autofree char *dir = NULL;
  Reader reader = { 0 };

  g_return_val_if_fail (HV_IS_CONFIG (config), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  spec->filename = g_strdup (hv_config_get_filename (config));
  spec->disks = g_ptr_array_new_with_free_func ((GDestroyNotify) disk_spec_free);
  spec->vifs = g_ptr_array_new_with_free_func ((GDestroyNotify) vif_spec_free);
  spec->notices = g_ptr_array_new_with_free_func (g_free);

  dir = g_path_get_dirname (spec->filename);
  reader.config = config;
  reader.flags = flags;
  reader.spec = spec;
  reader.base_dir = g_canonicalize_filename (dir, NULL);

  if (!read_identity (&reader, error) ||
      !read_size (&reader, error))
    {
      g_free (reader.base_dir);
      return NULL;
    }
  if (flags & HV_DOMAIN_SPEC_BASICS_ONLY)
    {
      g_free (reader.base_dir);
      return g_steal_pointer (&spec);
    }
  if (!read_builder (&reader, error) ||
      !read_boot (&reader, error) ||
      !read_disks (&reader, error) ||
      !read_vifs (&reader, error) ||
      !read_screen (&reader, error) ||
      !read_devices (&reader, error) ||
      !read_actions (&reader, error))
    {
      g_free (reader.base_dir);
      return NULL;
    }
  read_xen_only_keys (&reader);
  g_free (reader.base_dir);
  return g_steal_pointer (&spec);
}
