/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reads an xm configuration into an HvDomainSpec: every key checked, every Xen-ism explained. */

#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "domus-domain-name.h"
#include "hv-domain-spec-private.h"

#define DEFAULT_MEMORY_MIB 128  /* what xm gave a guest without `memory`; the one default */
#define MAX_VCPUS          255  /* the pc machine's limit */
#define MAX_TB_SIZE_MIB    4096 /* as domusd's --tb-size */


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
vif_spec_free (HvVifSpec *vif)
{
  g_free (vif->entry);
  g_free (vif->mac);
  g_free (vif->bridge);
  g_free (vif->model);
  g_clear_pointer (&vif->forwards, g_ptr_array_unref);
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
  g_strfreev (spec->usb_devices);
  g_free (spec->vga);
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

void
hv_spec_notice (HvSpecReader *reader,
                const char   *key,
                const char   *format,
                ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_ptr_array_add (reader->spec->notices, g_strdup_printf ("%s: %s", key, message));
}

char *
hv_spec_resolve_path (HvSpecReader *reader,
                      const char   *path)
{
  return g_canonicalize_filename (path, reader->base_dir);
}

/* A key's value when it is a non-empty string (after stripping), else NULL. */
gboolean
hv_spec_get_nonempty_string (HvSpecReader  *reader,
                             const char    *key,
                             char         **out,
                             GError       **error)
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
gboolean
hv_spec_check_file (HvSpecReader  *reader,
                    const char    *key,
                    const char    *path,
                    GError       **error)
{
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  if (reader->flags & HV_DOMAIN_SPEC_STRICT_FILES)
    {
      hv_config_set_key_error (reader->config, error, HV_CONFIG_ERROR_INVALID, key,
                               _("%s does not exist"), path);
      return FALSE;
    }
  hv_spec_notice (reader, key, _("%s does not exist"), path);
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
read_identity (HvSpecReader  *reader,
               GError       **error)
{
  HvDomainSpec *spec = reader->spec;
  g_autofree char *uuid = NULL;
  g_autoptr(GError) name_error = NULL;

  if (!hv_spec_get_nonempty_string (reader, "name", &spec->name, error))
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

  if (!hv_spec_get_nonempty_string (reader, "uuid", &uuid, error))
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
read_size (HvSpecReader  *reader,
           GError       **error)
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

  /* Domus's own key (xm has none): TCG's translation cache for this guest. */
  if (!hv_config_get_int (reader->config, "tb_size", "MiB", -1, &spec->tb_size_mib, error))
    return FALSE;
  if (hv_config_has_key (reader->config, "tb_size") &&
      (spec->tb_size_mib < 0 || spec->tb_size_mib > MAX_TB_SIZE_MIB))
    {
      hv_config_set_key_error (reader->config, error, HV_CONFIG_ERROR_INVALID, "tb_size",
                               _("%" PRId64 " MiB is not from 0 (QEMU's default) to %d"),
                               spec->tb_size_mib, MAX_TB_SIZE_MIB);
      return FALSE;
    }
  return TRUE;
}

/* xl's `type` ("pv", "pvh", "hvm") or xm's `builder` ("linux", "generic", "hvm"). */
static gboolean
read_builder (HvSpecReader  *reader,
              GError       **error)
{
  const char *builder = NULL;
  const char *type = NULL;
  HvDomainBuilder from_builder;

  if (!hv_config_get_string (reader->config, "builder", "linux", &builder, error) ||
      !hv_config_get_string (reader->config, "type", NULL, &type, error))
    return FALSE;
  if (g_ascii_strcasecmp (builder, "hvm") == 0)
    from_builder = HV_DOMAIN_BUILDER_HVM;
  else if (g_ascii_strcasecmp (builder, "linux") == 0 || g_ascii_strcasecmp (builder, "generic") == 0 ||
           *builder == '\0')
    from_builder = HV_DOMAIN_BUILDER_LINUX;
  else
    {
      hv_config_set_key_error (reader->config, error, HV_CONFIG_ERROR_INVALID, "builder",
                               _("'%s' is neither 'linux' nor 'hvm'"), builder);
      return FALSE;
    }
  reader->spec->builder = from_builder;
  if (type == NULL)
    return TRUE;

  if (g_ascii_strcasecmp (type, "hvm") == 0)
    reader->spec->builder = HV_DOMAIN_BUILDER_HVM;
  else if (g_ascii_strcasecmp (type, "pv") == 0)
    reader->spec->builder = HV_DOMAIN_BUILDER_LINUX;
  else if (g_ascii_strcasecmp (type, "pvh") == 0)
    {
      reader->spec->builder = HV_DOMAIN_BUILDER_LINUX;
      hv_spec_notice (reader, "type", _("pvh: started like a pv guest, from its kernel (QEMU has no PVH container)"));
    }
  else
    {
      hv_config_set_key_error (reader->config, error, HV_CONFIG_ERROR_INVALID, "type",
                               _("'%s' is not pv, pvh or hvm"), type);
      return FALSE;
    }
  if (hv_config_has_key (reader->config, "builder") && reader->spec->builder != from_builder)
    {
      hv_config_set_key_error (reader->config, error, HV_CONFIG_ERROR_INVALID, "type",
                               _("'%s' and builder = '%s' disagree: keep one of them"), type, builder);
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------------- */
/* Boot: kernel, or firmware and `boot`                                      */

static gboolean
read_boot_order (HvSpecReader  *reader,
                 const char    *fallback,
                 GError       **error)
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
          /* The whole character: one byte of a multibyte one is not UTF-8. */
          g_autofree char *letter = g_strndup (p, g_utf8_next_char (p) - p);

          hv_config_set_key_error (reader->config, error, HV_CONFIG_ERROR_INVALID, "boot",
                                   _("'%s' in '%s' is not a boot device: use a (floppy), c (disk), d (CD-ROM) or n (network)"),
                                   letter, boot);
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
ignore_for_hvm (HvSpecReader *reader,
                const char   *key)
{
  if (hv_config_has_key (reader->config, key))
    hv_spec_notice (reader, key, _("ignored: a builder = 'hvm' guest boots through its firmware"));
}

static gboolean
read_kernel_command_line (HvSpecReader  *reader,
                          GError       **error)
{
  g_autofree char *root = NULL;
  g_autofree char *extra = NULL;
  g_autofree char *cmdline = NULL;
  const char *line_key = "extra";
  g_autoptr(GStrvBuilder) parts = g_strv_builder_new ();
  g_auto(GStrv) words = NULL;

  if (!hv_spec_get_nonempty_string (reader, "root", &root, error) ||
      !hv_spec_get_nonempty_string (reader, "extra", &extra, error) ||
      !hv_spec_get_nonempty_string (reader, "cmdline", &cmdline, error))
    return FALSE;

  /* xl's cmdline is the whole command line: root and extra then mean nothing, as in xl. */
  if (cmdline != NULL)
    {
      if (root != NULL)
        hv_spec_notice (reader, "root", _("ignored: cmdline gives the whole kernel command line"));
      if (extra != NULL)
        hv_spec_notice (reader, "extra", _("ignored: cmdline gives the whole kernel command line"));
      g_clear_pointer (&root, g_free);
      g_clear_pointer (&extra, g_free);
      extra = g_steal_pointer (&cmdline);
      line_key = "cmdline";
    }

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
    hv_spec_notice (reader, line_key,
            _("console=hvc0 and console=xvc0 are Xen's consoles: under QEMU the serial console is console=ttyS0"));

  words = g_strv_builder_end (parts);
  reader->spec->cmdline = g_strjoinv (" ", words);
  return TRUE;
}

static gboolean
read_boot (HvSpecReader  *reader,
           GError       **error)
{
  HvDomainSpec *spec = reader->spec;
  g_autofree char *kernel = NULL;
  g_autofree char *ramdisk = NULL;
  g_autofree char *bootloader = NULL;

  if (!hv_spec_get_nonempty_string (reader, "kernel", &kernel, error) ||
      !hv_spec_get_nonempty_string (reader, "ramdisk", &ramdisk, error) ||
      !hv_spec_get_nonempty_string (reader, "bootloader", &bootloader, error))
    return FALSE;

  if (spec->builder == HV_DOMAIN_BUILDER_HVM)
    {
      g_autofree char *base = kernel != NULL ? g_path_get_basename (kernel) : NULL;

      spec->boot_method = HV_DOMAIN_BOOT_FIRMWARE;
      if (base != NULL && strcmp (base, "hvmloader") == 0)
        hv_spec_notice (reader, "kernel",
                _("hvmloader is Xen's firmware loader: QEMU's own firmware boots the guest"));
      else
        ignore_for_hvm (reader, "kernel");
      ignore_for_hvm (reader, "ramdisk");
      ignore_for_hvm (reader, "root");
      ignore_for_hvm (reader, "extra");
      ignore_for_hvm (reader, "cmdline");
      if (bootloader != NULL)
        hv_spec_notice (reader, "bootloader", _("ignored: a builder = 'hvm' guest boots through its firmware"));
      /* xl boots the disk first and falls back to the CD; xm booted the disk only. */
      return read_boot_order (reader, reader->xl ? "cd" : "c", error);
    }

  if (hv_config_has_key (reader->config, "boot"))
    hv_spec_notice (reader, "boot", _("ignored: only builder = 'hvm' guests boot from a boot order"));

  if (kernel == NULL && bootloader != NULL)
    {
      /* pygrub read the guest's grub menu from its disk; the firmware does the same job. */
      spec->boot_method = HV_DOMAIN_BOOT_FIRMWARE;
      spec->boot_order = g_strdup ("c");
      hv_spec_notice (reader, "bootloader",
              _("Xen's bootloader is not used: the firmware boots the first disk"));
      if (hv_config_has_key (reader->config, "bootargs"))
        hv_spec_notice (reader, "bootargs", _("ignored: Xen's bootloader is not used"));
      return TRUE;
    }
  if (kernel == NULL)
    {
      hv_config_set_key_error (reader->config, error, HV_CONFIG_ERROR_MISSING, "kernel",
                               _("missing: a guest without builder = 'hvm' needs a kernel (or a bootloader)"));
      return FALSE;
    }
  if (bootloader != NULL)
    hv_spec_notice (reader, "bootloader", _("ignored: the guest boots the kernel named by 'kernel'"));

  spec->boot_method = HV_DOMAIN_BOOT_KERNEL;
  spec->kernel = hv_spec_resolve_path (reader, kernel);
  if (!hv_spec_check_file (reader, "kernel", spec->kernel, error))
    return FALSE;
  if (ramdisk != NULL)
    {
      spec->ramdisk = hv_spec_resolve_path (reader, ramdisk);
      if (!hv_spec_check_file (reader, "ramdisk", spec->ramdisk, error))
        return FALSE;
    }
  return read_kernel_command_line (reader, error);
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

static gboolean vif_error (HvSpecReader  *reader,
                           GError       **error,
                           HvVifSpec     *vif,
                           const char    *format,
                           ...) G_GNUC_PRINTF (4, 5);

static gboolean
vif_error (HvSpecReader  *reader,
           GError       **error,
           HvVifSpec     *vif,
           const char    *format,
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

/* forward=[tcp:|udp:][ADDRESS:]HOSTPORT-GUESTPORT, Domus's own item: one host port per item,
 * never one the domain forwards already (QEMU would refuse to start). */
static gboolean
read_vif_forward (HvSpecReader  *reader,
                  HvVifSpec     *vif,
                  const char    *value,
                  GError       **error)
{
  g_autofree char *message = NULL;
  HvPortForward *forward = hv_port_forward_parse (value, &message);

  if (forward == NULL)
    return vif_error (reader, error, vif, "%s", message);
  g_ptr_array_add (vif->forwards, forward);
  for (guint i = 0; i < reader->spec->vifs->len; i++)
    {
      HvVifSpec *other = g_ptr_array_index (reader->spec->vifs, i);

      for (guint j = 0; j < other->forwards->len; j++)
        {
          HvPortForward *earlier = g_ptr_array_index (other->forwards, j);

          if (earlier != forward && hv_port_forward_clash (earlier, forward))
            return vif_error (reader, error, vif, _("forward=%s: host port %u (%s) is forwarded already by vif %u"),
                              value, forward->host_port, hv_port_forward_protocol_name (forward->protocol),
                              other->number);
        }
    }
  return TRUE;
}

static gboolean
read_vif_item (HvSpecReader  *reader,
               HvVifSpec     *vif,
               const char    *key,
               const char    *value,
               GError       **error)
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
  else if (strcmp (key, "forward") == 0)
    return read_vif_forward (reader, vif, value, error);
  else
    hv_spec_notice (reader, "vif", _("vif %u: %s=%s ignored (it only meant something to Xen's scripts)"),
            vif->number, key, value);
  return TRUE;
}

static gboolean
read_vif_entry (HvSpecReader  *reader,
                guint          number,
                const char    *entry,
                GError       **error)
{
  g_auto(GStrv) items = g_strsplit (entry, ",", -1);
  HvVifSpec *vif = g_new0 (HvVifSpec, 1);

  /* Owned by the spec from here, so every error path frees it with the spec. */
  g_ptr_array_add (reader->spec->vifs, vif);
  vif->number = number;
  vif->entry = g_strdup (entry);
  vif->forwards = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_port_forward_free);

  for (guint i = 0; items[i] != NULL; i++)
    {
      char *item = g_strstrip (items[i]);
      char *equals = strchr (item, '=');
      g_autofree char *key = NULL;
      g_autofree char *value = NULL;

      if (*item == '\0')
        continue;
      if (equals == NULL && (strcmp (item, "trusted") == 0 || strcmp (item, "untrusted") == 0))
        {
          hv_spec_notice (reader, "vif", _("vif %u: %s ignored (advice to Xen's network frontend)"),
                          vif->number, item);
          continue;
        }
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
      hv_spec_notice (reader, "vif",
              _("vif %u has no mac: a stable one is generated at first start and written back to the file"),
              number);
    }
  return TRUE;
}

static gboolean
read_vifs (HvSpecReader  *reader,
           GError       **error)
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
explain_vnc_setting (HvSpecReader *reader,
                     const char   *key,
                     const char   *value)
{
  if (strcmp (key, "vnclisten") == 0)
    hv_spec_notice (reader, key,
            _("'%s' ignored: VNC listens only on a Unix socket in the domain's run folder, never on a network address"),
            value);
  else if (strcmp (key, "vncdisplay") == 0)
    hv_spec_notice (reader, key, _("ignored: VNC has no display number: it listens on a Unix socket"));
  else if (strcmp (key, "vncpasswd") == 0 && *value != '\0')
    hv_spec_notice (reader, key,
            _("ignored: the VNC socket needs no password: only the domain's owner can open it"));
}

static gboolean
read_vfb (HvSpecReader  *reader,
          GError       **error)
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
            hv_spec_notice (reader, "vfb", _("no SDL window is opened: the screen is shown through VNC"));
          else if (strcmp (key, "vnc") == 0 && strcmp (value, "1") == 0)
            reader->spec->vnc = TRUE;
          else
            explain_vnc_setting (reader, key, value);
        }
    }
  return TRUE;
}

static gboolean
read_screen (HvSpecReader  *reader,
             GError       **error)
{
  static const char * const vnc_strings[] = { "vnclisten", "vncdisplay", "vncpasswd" };
  gboolean vnc, sdl, viewer, unused;

  /* xl gives an HVM guest a VNC screen unless told otherwise; xm did not. */
  gboolean vnc_default = reader->xl && reader->spec->builder == HV_DOMAIN_BUILDER_HVM;

  if (!hv_config_get_bool (reader->config, "vnc", vnc_default, &vnc, error) ||
      !hv_config_get_bool (reader->config, "sdl", FALSE, &sdl, error) ||
      !hv_config_get_bool (reader->config, "vncviewer", FALSE, &viewer, error) ||
      !hv_config_get_bool (reader->config, "vncunused", TRUE, &unused, error))
    return FALSE;
  reader->spec->vnc = vnc;

  if (sdl)
    hv_spec_notice (reader, "sdl", _("no SDL window is opened: the screen is shown through VNC (vnc = 1)"));
  if (viewer)
    hv_spec_notice (reader, "vncviewer", _("no viewer is started: open the domain's console in Domus"));
  if (hv_config_has_key (reader->config, "vncconsole"))
    hv_spec_notice (reader, "vncconsole", _("no viewer is started: open the domain's console in Domus"));

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

/* xl's vga ("stdvga", "cirrus", "none", "qxl") and the older stdvga = 1. Domus's default
 * stays QEMU's standard VGA, which every guest it has met drives, where Xen's was Cirrus. */
static gboolean
read_vga (HvSpecReader  *reader,
          GError       **error)
{
  const char *vga = NULL;

  if (!hv_config_get_string (reader->config, "vga", NULL, &vga, error))
    return FALSE;
  if (vga == NULL || strcmp (vga, "stdvga") == 0)
    reader->spec->vga = g_strdup ("std");
  else if (strcmp (vga, "cirrus") == 0 || strcmp (vga, "none") == 0)
    reader->spec->vga = g_strdup (vga);
  else if (strcmp (vga, "qxl") == 0)
    {
      reader->spec->vga = g_strdup ("std");
      hv_spec_notice (reader, "vga", _("qxl: the standard VGA card instead (QXL needs SPICE, and the screen is on VNC)"));
    }
  else
    {
      hv_config_set_key_error (reader->config, error, HV_CONFIG_ERROR_INVALID, "vga",
                               _("'%s' is not stdvga, cirrus, none or qxl"), vga);
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_devices (HvSpecReader  *reader,
              GError       **error)
{
  HvDomainSpec *spec = reader->spec;
  g_auto(GStrv) usb = NULL;
  g_autoptr(GStrvBuilder) devices = g_strv_builder_new ();

  /* xm wrote usbdevice = 'tablet', xl a list: usbdevice = [ 'tablet' ] with usb = 1. */
  if (!hv_config_get_bool (reader->config, "localtime", FALSE, &spec->localtime, error) ||
      !hv_config_get_bool (reader->config, "acpi", TRUE, &spec->acpi, error) ||
      !hv_config_get_bool (reader->config, "clipboard", FALSE, &spec->clipboard, error) ||
      !hv_config_get_bool (reader->config, "usb", FALSE, &spec->usb, error) ||
      !hv_config_get_string_list (reader->config, "usbdevice", &usb, error))
    return FALSE;
  /* QEMU shares the clipboard with VNC clients: without a screen there is no one to share with. */
  if (spec->clipboard && !spec->vnc)
    hv_spec_notice (reader, "clipboard",
                    _("no clipboard is shared: the domain has no screen (vnc = 1) whose console could share it"));

  for (guint i = 0; usb[i] != NULL; i++)
    {
      g_autofree char *device = g_strstrip (g_strdup (usb[i]));

      if (strcmp (device, "tablet") == 0)
        g_strv_builder_add (devices, "usb-tablet");
      else if (strcmp (device, "mouse") == 0)
        g_strv_builder_add (devices, "usb-mouse");
      else if (*device != '\0')
        {
          hv_config_set_key_error (reader->config, error, HV_CONFIG_ERROR_INVALID, "usbdevice",
                                   _("'%s' is neither 'tablet' nor 'mouse'"), device);
          return FALSE;
        }
    }
  spec->usb_devices = g_strv_builder_end (devices);
  if (spec->usb_devices[0] != NULL)
    spec->usb = TRUE;

  if (!read_vga (reader, error))
    return FALSE;

  if (hv_config_has_key (reader->config, "serial"))
    hv_spec_notice (reader, "serial",
            _("ignored: the serial console is always a Unix socket in the domain's run folder (serial.sock, logged to serial.log)"));
  return TRUE;
}

static gboolean
read_action (HvSpecReader    *reader,
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
  if (strcmp (text, "soft-reset") == 0)
    {
      /* Xen reset its own interfaces for the guest; a QEMU guest has none: it starts anew. */
      hv_spec_notice (reader, key, _("soft-reset: the domain restarts (a reset of Xen's own interfaces means nothing under QEMU)"));
      *out = HV_DOMAIN_ACTION_RESTART;
      return TRUE;
    }
  if (!hv_domain_action_from_string (text, out))
    {
      hv_config_set_key_error (reader->config, error, HV_CONFIG_ERROR_INVALID, key,
                               _("'%s' is not one of destroy, restart, preserve, rename-restart, "
                                 "coredump-destroy, coredump-restart, soft-reset"),
                               text);
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_actions (HvSpecReader  *reader,
              GError       **error)
{
  HvDomainSpec *spec = reader->spec;

  HvDomainAction unused;

  /* xm's defaults, but xl destroys a crashed guest. on_watchdog and on_soft_reset are checked
   * only: QEMU gives the guest no Xen watchdog, and a kexec stays inside the guest. */
  return read_action (reader, "on_poweroff", HV_DOMAIN_ACTION_DESTROY, &spec->on_poweroff, error) &&
         read_action (reader, "on_reboot", HV_DOMAIN_ACTION_RESTART, &spec->on_reboot, error) &&
         read_action (reader, "on_crash", reader->xl ? HV_DOMAIN_ACTION_DESTROY : HV_DOMAIN_ACTION_RESTART,
                      &spec->on_crash, error) &&
         read_action (reader, "on_watchdog", HV_DOMAIN_ACTION_DESTROY, &unused, error) &&
         read_action (reader, "on_soft_reset", HV_DOMAIN_ACTION_RESTART, &unused, error);
}

/* ------------------------------------------------------------------------- */
/* Folders a domain of another user may name                                 */

/* The path with every symbolic link resolved; a file that does not exist yet is resolved
 * through its folder. NULL when neither can be. */
static char *
resolved_path (const char *path)
{
  g_autofree char *dir = NULL;
  g_autofree char *real_dir = NULL;
  g_autofree char *base = NULL;
  char *real = realpath (path, NULL);

  if (real != NULL)
    return real;
  dir = g_path_get_dirname (path);
  base = g_path_get_basename (path);
  real_dir = realpath (dir, NULL);
  return real_dir != NULL ? g_build_filename (real_dir, base, NULL) : NULL;
}

static gboolean
path_in_folders (const char         *path,
                 const char * const *folders)
{
  g_autofree char *real = resolved_path (path);

  for (guint i = 0; real != NULL && folders[i] != NULL; i++)
    {
      g_autofree char *folder = resolved_path (folders[i]);

      if (folder != NULL && g_str_has_prefix (real, folder) && real[strlen (folder)] == '/')
        return TRUE;
    }
  return FALSE;
}

static gboolean
refuse_path (const HvDomainSpec  *spec,
             const char          *key,
             const char          *path,
             const char * const  *folders,
             GError             **error)
{
  g_autofree char *list = g_strjoinv (", ", (char **) folders);

  g_set_error (error, HV_CONFIG_ERROR, HV_CONFIG_ERROR_INVALID,
               _("%s: %s: %s is outside the folders this daemon lets other users' domains use (%s)"),
               spec->filename, key, path, list);
  return FALSE;
}

gboolean
hv_domain_spec_check_folders (const HvDomainSpec  *spec,
                              const char * const  *folders,
                              GError             **error)
{
  g_return_val_if_fail (spec != NULL && folders != NULL, FALSE);

  if (spec->kernel != NULL && !path_in_folders (spec->kernel, folders))
    return refuse_path (spec, "kernel", spec->kernel, folders, error);
  if (spec->ramdisk != NULL && !path_in_folders (spec->ramdisk, folders))
    return refuse_path (spec, "ramdisk", spec->ramdisk, folders, error);
  for (guint i = 0; i < spec->disks->len; i++)
    {
      const HvDiskSpec *disk = g_ptr_array_index (spec->disks, i);

      if (*disk->path != '\0' && !path_in_folders (disk->path, folders))
        return refuse_path (spec, disk->number > 0 ? "disk" : "cdrom", disk->path, folders, error);
    }
  return TRUE;
}

/* ------------------------------------------------------------------------- */

HvDomainSpec *
hv_domain_spec_new (HvConfig           *config,
                    HvDomainSpecFlags   flags,
                    GError            **error)
{
  g_autoptr(HvDomainSpec) spec = g_new0 (HvDomainSpec, 1);
  g_autofree char *dir = NULL;
  HvSpecReader reader = { 0 };

  g_return_val_if_fail (HV_IS_CONFIG (config), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  spec->filename = g_strdup (hv_config_get_filename (config));
  spec->disks = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_disk_spec_free);
  spec->vifs = g_ptr_array_new_with_free_func ((GDestroyNotify) vif_spec_free);
  spec->notices = g_ptr_array_new_with_free_func (g_free);

  dir = g_path_get_dirname (spec->filename);
  reader.config = config;
  reader.flags = flags;
  reader.spec = spec;
  reader.base_dir = g_canonicalize_filename (dir, NULL);
  /* Only xl knows `type`: a file that uses it gets xl's defaults where xl and xm differ. */
  reader.xl = hv_config_has_key (config, "type");

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
      !hv_spec_read_disks (&reader, error) ||
      !read_vifs (&reader, error) ||
      !read_screen (&reader, error) ||
      !read_devices (&reader, error) ||
      !read_actions (&reader, error))
    {
      g_free (reader.base_dir);
      return NULL;
    }
  hv_spec_read_xen_only_keys (&reader);
  g_free (reader.base_dir);
  return g_steal_pointer (&spec);
}
