/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The target's checks before a migration: relocation, memory, name, disks, CPU, devices. */

#include "config.h"

#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "hv-bridges.h"
#include "hv-migration-private.h"

void
hv_migration_check_free (HvMigrationCheck *check)
{
  g_free (check->id);
  g_free (check->message);
  g_free (check);
}

static void add_check (GPtrArray *checks, const char *id, gboolean ok,
                       const char *format, ...) G_GNUC_PRINTF (4, 5);

static void
add_check (GPtrArray  *checks,
           const char *id,
           gboolean    ok,
           const char *format,
           ...)
{
  HvMigrationCheck *check = g_new0 (HvMigrationCheck, 1);
  va_list args;

  check->id = g_strdup (id);
  check->ok = ok;
  va_start (args, format);
  check->message = g_strdup_vprintf (format, args);
  va_end (args);
  g_ptr_array_add (checks, check);
}

static gint64
available_memory_mib (void)
{
  g_autofree char *text = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/meminfo", &text, NULL, NULL))
    return -1;
  line = strstr (text, "MemAvailable:");
  if (line == NULL)
    return -1;
  return (gint64) (g_ascii_strtoull (line + strlen ("MemAvailable:"), NULL, 10) / 1024);
}

/* A qcow2 image's header says it (only when the format is known to be qcow2: a raw image's
 * first bytes are the guest's); any other file is its own size. */
gint64
hv_migration_local_virtual_size (const char *path,
                                 const char *format,
                                 gint64     *file_size)
{
  struct stat info;
  guint8 header[32];
  FILE *file;
  gint64 size;

  *file_size = -1;
  if (g_stat (path, &info) != 0)
    return -1;
  *file_size = info.st_size;
  size = info.st_size;
  if (g_strcmp0 (format, "qcow2") != 0)
    return size;
  file = g_fopen (path, "rb");
  if (file == NULL)
    return size;
  if (fread (header, 1, sizeof header, file) == sizeof header &&
      memcmp (header, "QFI\xfb", 4) == 0)
    {
      size = 0;
      for (guint i = 24; i < 32; i++)
        size = (size << 8) | header[i];
    }
  fclose (file);
  return size;
}

gint64
hv_migration_disk_size (const char *path,
                        const char *format)
{
  gint64 file_size;

  return hv_migration_local_virtual_size (path, format, &file_size);
}

gint64
hv_migration_requested_size (const HvMigrationDisk *disks,
                             guint                  n_disks,
                             const char            *path)
{
  for (guint i = 0; i < n_disks; i++)
    if (g_strcmp0 (disks[i].path, path) == 0)
      return disks[i].size_bytes;
  return -1;
}

gboolean
hv_migration_disk_is_copyable (const HvDiskSpec *disk)
{
  return !disk->cdrom && *disk->path != '\0' && g_strcmp0 (disk->backend, "phy") != 0 &&
         (g_strcmp0 (disk->format, "raw") == 0 || g_strcmp0 (disk->format, "qcow2") == 0);
}

/* Whether the disk is there at the same path and the same size: then both hosts share it. */
static gboolean
disk_is_shared (const HvDiskSpec         *disk,
                const HvMigrationRequest *request)
{
  gint64 wanted = hv_migration_requested_size (request->disks, request->n_disks, disk->path);
  gint64 file_size;
  gint64 size = hv_migration_local_virtual_size (disk->path, disk->format, &file_size);

  if (size < 0)
    return FALSE;
  return wanted < 0 || wanted == size || wanted == file_size;
}

static gboolean
is_host_device (const HvDiskSpec *disk)
{
  return *disk->path != '\0' &&
         (g_strcmp0 (disk->backend, "phy") == 0 || g_str_has_prefix (disk->path, "/dev/"));
}

static void
check_disks (GPtrArray                *checks,
             const HvDomainSpec       *spec,
             const HvMigrationRequest *request)
{
  g_autoptr(GString) message = g_string_new (NULL);
  gboolean ok = TRUE;

  for (guint i = 0; i < spec->disks->len; i++)
    {
      const HvDiskSpec *disk = g_ptr_array_index (spec->disks, i);
      const char *what;

      if (*disk->path == '\0' || is_host_device (disk))
        continue;  /* an empty drive moves as it is; host devices are the devices check's */
      if (request->copy_storage && hv_migration_disk_is_copyable (disk))
        what = _("will be copied to the image store");
      else if (disk_is_shared (disk, request))
        what = _("shared (the same file at the same path)");
      else if (hv_migration_disk_is_copyable (disk))
        {
          what = _("not here at the same path and size: use --copy-storage");
          ok = FALSE;
        }
      else
        {
          what = disk->cdrom ? _("a CD-ROM image missing here: put the same file at the same path, or eject it")
                             : _("not here, and only raw and qcow2 images can be copied");
          ok = FALSE;
        }
      if (message->len > 0)
        g_string_append (message, "; ");
      g_string_append_printf (message, "%s: %s", disk->path, what);
    }
  if (message->len == 0)
    g_string_append (message, _("no disk images"));
  add_check (checks, "disks", ok, "%s", message->str);
}

static void
check_devices (GPtrArray                *checks,
               const HvMigrationContext *context,
               const HvDomainSpec       *spec)
{
  for (guint i = 0; i < spec->disks->len; i++)
    {
      const HvDiskSpec *disk = g_ptr_array_index (spec->disks, i);

      if (is_host_device (disk))
        {
          add_check (checks, "devices", FALSE,
                     _("%s is a host device (%s): it cannot move; remove it or eject the CD-ROM first"),
                     disk->device, disk->path);
          return;
        }
    }
  for (guint i = 0; context->net_mode == HV_QEMU_NET_TAP && i < spec->vifs->len; i++)
    {
      const HvVifSpec *vif = g_ptr_array_index (spec->vifs, i);

      if (vif->bridge == NULL || !hv_bridge_exists (HV_SYS_CLASS_NET, vif->bridge))
        {
          add_check (checks, "devices", FALSE,
                     _("vif %u: the bridge %s does not exist on this host; create it or change the vif"),
                     vif->number, vif->bridge != NULL ? vif->bridge : "(none)");
          return;
        }
    }
  add_check (checks, "devices", TRUE, _("no host devices"));
}

HvDomainSpec *
hv_migration_parse_request (const HvMigrationRequest  *request,
                            HvConfig                 **config_out,
                            GError                   **error)
{
  g_autoptr(HvConfig) config = NULL;
  g_autoptr(HvDomainSpec) spec = NULL;

  if (request->config_text == NULL)
    {
      g_set_error (error, HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_INVALID, _("config is missing"));
      return NULL;
    }
  config = hv_config_new_from_data (request->config_text, -1, "<migrating config>", error);
  if (config == NULL)
    return NULL;
  spec = hv_domain_spec_new (config, HV_DOMAIN_SPEC_FLAGS_NONE, error);
  if (spec == NULL)
    return NULL;
  if (request->name != NULL && strcmp (request->name, spec->name) != 0)
    {
      g_set_error (error, HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_INVALID,
                   _("name is “%s” but the config names “%s”"), request->name, spec->name);
      return NULL;
    }
  if (config_out != NULL)
    *config_out = g_steal_pointer (&config);
  return g_steal_pointer (&spec);
}

GPtrArray *
hv_migration_run_checks (const HvMigrationContext *context,
                         const HvMigrationRequest *request,
                         GError                  **error)
{
  g_autoptr(GPtrArray) checks = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_migration_check_free);
  g_autoptr(HvDomainSpec) spec = NULL;
  g_autoptr(GError) lookup_error = NULL;
  const HvRelocationConfig *relocation = &context->config->relocation;
  const char *accel = context->accel == HV_QEMU_ACCEL_KVM ? "kvm" : "tcg";
  HvDomain *existing;
  gint64 available;

  spec = hv_migration_parse_request (request, NULL, error);
  if (spec == NULL)
    return NULL;

  if (relocation->enabled)
    add_check (checks, "relocation", TRUE, _("relocation is on (address %s)"),
               *relocation->address != '\0' ? relocation->address : _("every address"));
  else
    add_check (checks, "relocation", FALSE,
               _("relocation is off on this host: set enabled=true in [relocation] of %s and restart domusd"),
               context->config->path != NULL ? context->config->path : "domusd.conf");

  available = available_memory_mib ();
  if (available < 0)
    add_check (checks, "memory", TRUE, _("free memory unknown; %" PRId64 " MiB needed"), spec->memory_mib);
  else
    add_check (checks, "memory", available >= spec->memory_mib,
               available >= spec->memory_mib
                 ? _("%" PRId64 " MiB needed, %" PRId64 " MiB free")
                 : _("%" PRId64 " MiB needed but only %" PRId64 " MiB free: stop a domain here or lower memory"),
               spec->memory_mib, available);

  existing = hv_host_find (context->host, spec->name, &lookup_error);
  if (existing == NULL)
    add_check (checks, "name", TRUE, _("no domain named %s here"), spec->name);
  else
    add_check (checks, "name", FALSE,
               hv_domain_is_active (existing)
                 ? _("a domain named %s already runs here: rename or remove one of them")
                 : _("a domain named %s is already defined here: undefine it or rename one of them"),
               spec->name);

  check_disks (checks, spec, request);

  if (request->accelerator == NULL)
    add_check (checks, "cpu", TRUE, _("this host runs guests with %s (the source’s accelerator was not given)"), accel);
  else if (g_ascii_strcasecmp (request->accelerator, accel) == 0)
    add_check (checks, "cpu", TRUE, _("both hosts run guests with %s"), accel);
  else
    add_check (checks, "cpu", FALSE,
               _("the source runs the guest with %s, this host with %s: a running guest cannot move between them; shut it down and start it here"),
               request->accelerator, accel);

  check_devices (checks, context, spec);
  return g_steal_pointer (&checks);
}
