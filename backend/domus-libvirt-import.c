/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A libvirt domain's definition as an xm .cfg, so an estate can move onto domusd hosts one
 * domain at a time. The XML is read with libxml2 (libvirt-gconfig stands on it but cannot
 * read back a kernel, the on_* actions or an interface's source); the .cfg is quoted as the
 * create assistant's builder quotes (common/domus-cfg-builder.c). Anything that has no
 * xm form becomes a sentence in the list of what was lost, never a silent omission.
 * docs/libvirt.md has the table of what becomes what.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "domus-cfg-builder.h"
#include "domus-domain-name.h"
#include "domus-error.h"
#include "domus-libvirt.h"
#include "domus-libvirt-import.h"
#include "domus-libvirt-xml.h"

typedef struct {
  xmlNodePtr  domain;
  GString    *cfg;
  GPtrArray  *lost;
  GPtrArray  *disks;
  GPtrArray  *vifs;
  gboolean    vnc;
  const char *usbdevice;
} Import;

/* The tree */

/* An element's text, stripped (g_free it), or NULL when it has no such child. */
static char *
text_of (xmlNodePtr  parent,
         const char *name)
{
  xmlNodePtr node = name != NULL ? domus_libvirt_xml_child (parent, name) : parent;
  xmlChar *content;
  char *copy;

  if (node == NULL)
    return NULL;
  content = xmlNodeGetContent (node);
  copy = g_strstrip (g_strdup (content != NULL ? (const char *) content : ""));
  xmlFree (content);
  return copy;
}

static void lose (Import *import, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
lose (Import     *import,
      const char *format,
      ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (import->lost, g_strdup_vprintf (format, args));
  va_end (args);
}

/* Writing */

static void
put_string (Import     *import,
            const char *key,
            const char *value)
{
  g_autofree char *quoted = domus_cfg_quote (value);

  g_string_append_printf (import->cfg, "%s = %s\n", key, quoted);
}

static void
put_list (Import     *import,
          const char *key,
          GPtrArray  *items)
{
  g_string_append_printf (import->cfg, "%s = [\n", key);
  for (guint i = 0; i < items->len; i++)
    {
      g_autofree char *quoted = domus_cfg_quote (g_ptr_array_index (items, i));

      g_string_append_printf (import->cfg, "    %s,\n", quoted);
    }
  g_string_append (import->cfg, "]\n");
}

/* Sizes: libvirt writes KiB, a hand-written file may use any of libvirt's units. */
static gint64
size_in_mib (xmlNodePtr node)
{
  static const struct {
    const char *unit;
    double      bytes;
  } units[] = {
    { "b", 1 }, { "bytes", 1 }, { "KB", 1e3 }, { "k", 1024 }, { "KiB", 1024 },
    { "MB", 1e6 }, { "M", 1048576 }, { "MiB", 1048576 }, { "GB", 1e9 }, { "G", 1073741824.0 },
    { "GiB", 1073741824.0 }, { "TB", 1e12 }, { "T", 1099511627776.0 }, { "TiB", 1099511627776.0 },
  };
  g_autofree char *text = text_of (node, NULL);
  g_autofree char *unit = domus_libvirt_xml_prop (node, "unit");
  double bytes = 1024;
  guint64 value;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64, &value, NULL))
    return -1;
  for (gsize i = 0; unit != NULL && i < G_N_ELEMENTS (units); i++)
    if (strcmp (units[i].unit, unit) == 0)
      bytes = units[i].bytes;
  return (gint64) (value * bytes / 1048576.0);
}

/* Identity and size */

static void
import_size (Import *import)
{
  xmlNodePtr memory = domus_libvirt_xml_child (import->domain, "memory");
  xmlNodePtr current = domus_libvirt_xml_child (import->domain, "currentMemory");
  xmlNodePtr vcpu = domus_libvirt_xml_child (import->domain, "vcpu");
  g_autofree char *vcpus = text_of (vcpu, NULL);
  g_autofree char *current_vcpus = domus_libvirt_xml_prop (vcpu, "current");
  gint64 mib = size_in_mib (memory);

  if (mib > 0)
    g_string_append_printf (import->cfg, "memory = %" G_GINT64_FORMAT "\n", mib);
  if (current != NULL && size_in_mib (current) > 0 && size_in_mib (current) < mib)
    lose (import, _("The memory balloon: it starts with all %lld MiB, not %lld MiB."),
          (long long) mib, (long long) size_in_mib (current));
  if (domus_libvirt_xml_child (import->domain, "maxMemory") != NULL)
    lose (import, _("Memory hot-plug (<maxMemory>)."));
  if (vcpus != NULL && *vcpus != '\0')
    g_string_append_printf (import->cfg, "vcpus = %s\n", current_vcpus != NULL ? current_vcpus : vcpus);
  if (current_vcpus != NULL)
    lose (import, _("vCPU hot-plug: it gets %s vCPUs, and cannot grow to %s."), current_vcpus, vcpus);
}

static void
import_tags (Import *import)
{
  xmlNodePtr metadata = domus_libvirt_xml_child (import->domain, "metadata");
  g_autoptr(GPtrArray) tags = g_ptr_array_new_with_free_func (g_free);

  for (xmlNodePtr node = metadata != NULL ? metadata->children : NULL; node != NULL; node = node->next)
    {
      if (!domus_libvirt_xml_is_element (node, NULL) || node->ns == NULL ||
          xmlStrcmp (node->ns->href, (const xmlChar *) DOMUS_LIBVIRT_METADATA_URI) != 0)
        continue;
      for (xmlNodePtr tag = node->children; tag != NULL; tag = tag->next)
        if (domus_libvirt_xml_is_element (tag, "tag"))
          g_ptr_array_add (tags, text_of (tag, NULL));
    }
  if (tags->len > 0)
    put_list (import, "tags", tags);
}

/* Booting */

static const char *
boot_letter (const char *dev)
{
  static const char * const devices[][2] = {
    { "hd", "c" }, { "cdrom", "d" }, { "network", "n" }, { "fd", "a" },
  };

  for (gsize i = 0; dev != NULL && i < G_N_ELEMENTS (devices); i++)
    if (strcmp (dev, devices[i][0]) == 0)
      return devices[i][1];
  return NULL;
}

static void
import_firmware_boot (Import     *import,
                      xmlNodePtr  os)
{
  g_autoptr(GString) order = g_string_new (NULL);

  put_string (import, "builder", "hvm");
  for (xmlNodePtr node = os->children; node != NULL; node = node->next)
    if (domus_libvirt_xml_is_element (node, "boot"))
      {
        g_autofree char *dev = domus_libvirt_xml_prop (node, "dev");
        const char *letter = boot_letter (dev);

        if (letter != NULL && strchr (order->str, *letter) == NULL)
          g_string_append (order, letter);
      }
  if (order->len > 0)
    put_string (import, "boot", order->str);
}

static void
import_os (Import *import)
{
  xmlNodePtr os = domus_libvirt_xml_child (import->domain, "os");
  g_autofree char *type = text_of (os, "type");
  g_autofree char *machine = domus_libvirt_xml_prop (domus_libvirt_xml_child (os, "type"), "machine");
  g_autofree char *arch = domus_libvirt_xml_prop (domus_libvirt_xml_child (os, "type"), "arch");
  g_autofree char *kernel = text_of (os, "kernel");
  g_autofree char *initrd = text_of (os, "initrd");
  g_autofree char *cmdline = text_of (os, "cmdline");
  g_autofree char *loader = text_of (os, "loader");
  g_autofree char *firmware = domus_libvirt_xml_prop (os, "firmware");
  g_autofree char *bootloader = text_of (import->domain, "bootloader");
  g_autofree char *bootargs = text_of (import->domain, "bootloader_args");

  if (kernel != NULL && *kernel != '\0')
    {
      put_string (import, "kernel", kernel);
      if (initrd != NULL && *initrd != '\0')
        put_string (import, "ramdisk", initrd);
      if (cmdline != NULL && *cmdline != '\0')
        put_string (import, "extra", cmdline);
    }
  else if (bootloader != NULL && *bootloader != '\0')
    {
      put_string (import, "bootloader", bootloader);
      if (bootargs != NULL && *bootargs != '\0')
        put_string (import, "bootargs", bootargs);
    }
  else if (g_strcmp0 (type, "hvm") == 0)
    import_firmware_boot (import, os);
  else
    lose (import, _("It boots neither a kernel, nor a boot loader, nor firmware (os type “%s”)."),
          type != NULL ? type : "");

  if ((loader != NULL && *loader != '\0') || g_strcmp0 (firmware, "efi") == 0)
    lose (import, _("UEFI firmware: a domusd host boots its guests with SeaBIOS."));
  if (machine != NULL && strcmp (machine, "pc") != 0 && !g_str_has_prefix (machine, "pc-i440fx") &&
      !g_str_has_prefix (machine, "xen"))
    lose (import, _("The machine type %s: a domusd host runs QEMU’s pc machine."), machine);
  if (arch != NULL && strcmp (arch, "x86_64") != 0 && strcmp (arch, "i686") != 0)
    lose (import, _("The %s architecture: a domusd host runs x86_64 guests."), arch);
}

/* Disks */

static const char *
disk_backend (const char *type,
              const char *format)
{
  static const char * const formats[][2] = {
    { "raw", "tap:aio:" }, { "qcow2", "tap:qcow2:" }, { "qcow", "tap:qcow:" }, { "vmdk", "tap:vmdk:" },
  };

  if (g_strcmp0 (type, "block") == 0)
    return "phy:";
  if (format == NULL)
    return "file:";
  for (gsize i = 0; i < G_N_ELEMENTS (formats); i++)
    if (strcmp (format, formats[i][0]) == 0)
      return formats[i][1];
  return NULL;
}

static char *
disk_source (xmlNodePtr disk,
             const char *type)
{
  xmlNodePtr source = domus_libvirt_xml_child (disk, "source");

  if (g_strcmp0 (type, "file") == 0)
    return domus_libvirt_xml_prop (source, "file");
  if (g_strcmp0 (type, "block") == 0)
    return domus_libvirt_xml_prop (source, "dev");
  return NULL;
}

static void
import_cdrom (Import     *import,
              xmlNodePtr  disk,
              const char *type,
              const char *dev)
{
  g_autofree char *path = disk_source (disk, type);
  const char *backend = g_strcmp0 (type, "block") == 0 ? "phy:" : "file:";

  if (path != NULL && strchr (path, ',') != NULL)
    {
      lose (import, _("The CD-ROM %s: its path %s has a comma, which a disk entry cannot hold."), dev, path);
      return;
    }
  /* hvcore puts a CD that is not hdX on the first free IDE place. */
  g_ptr_array_add (import->disks, g_strdup_printf ("%s%s,%s:cdrom,r", path != NULL ? backend : "",
                                                  path != NULL ? path : "", dev));
}

static gboolean
known_device_name (const char *dev)
{
  return g_str_has_prefix (dev, "hd") || g_str_has_prefix (dev, "sd") ||
         g_str_has_prefix (dev, "vd") || g_str_has_prefix (dev, "xvd");
}

static void
import_disk (Import     *import,
             xmlNodePtr  disk)
{
  g_autofree char *type = domus_libvirt_xml_prop (disk, "type");
  g_autofree char *device = domus_libvirt_xml_prop (disk, "device");
  g_autofree char *dev = domus_libvirt_xml_prop (domus_libvirt_xml_child (disk, "target"), "dev");
  g_autofree char *bus = domus_libvirt_xml_prop (domus_libvirt_xml_child (disk, "target"), "bus");
  g_autofree char *format = domus_libvirt_xml_prop (domus_libvirt_xml_child (disk, "driver"), "type");
  g_autofree char *path = NULL;
  const char *backend;
  const char *mode = domus_libvirt_xml_child (disk, "readonly") != NULL ? "r" : domus_libvirt_xml_child (disk, "shareable") != NULL ? "w!" : "w";

  if (dev == NULL || !known_device_name (dev))
    {
      lose (import, _("A disk on %s: a domusd host names disks hdX, sdX, vdX or xvdX."), dev != NULL ? dev : "?");
      return;
    }
  if (g_strcmp0 (device, "cdrom") == 0)
    {
      import_cdrom (import, disk, type, dev);
      return;
    }
  if (device != NULL && strcmp (device, "disk") != 0)
    {
      lose (import, _("The %s device %s: a domusd host has disks and CD-ROMs only."), device, dev);
      return;
    }
  path = disk_source (disk, type);
  if (path == NULL)
    {
      lose (import, _("The disk %s: a %s disk has no xm form (give it a file or block device path)."),
            dev, type != NULL ? type : "?");
      return;
    }
  backend = disk_backend (type, format);
  if (backend == NULL)
    {
      lose (import, _("The disk %s: images in %s format are not read by a domusd host."), dev, format);
      return;
    }
  if (strchr (path, ',') != NULL)
    {
      lose (import, _("The disk %s: its path %s has a comma, which a disk entry cannot hold."), dev, path);
      return;
    }
  g_ptr_array_add (import->disks, g_strdup_printf ("%s%s,%s,%s", backend, path, dev, mode));
  if (g_str_has_prefix (dev, "sd") && bus != NULL && strcmp (bus, "virtio") != 0)
    lose (import, _("The disk %s on the %s bus becomes a virtio disk (/dev/vdX in the guest)."), dev, bus);
}

/* Network */

static gboolean
known_nic_model (const char *model)
{
  static const char * const models[] = {
    "e1000", "e1000e", "rtl8139", "ne2k_pci", "pcnet", "i82551", "i82557b", "i82559er", "virtio",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (models); i++)
    if (strcmp (model, models[i]) == 0)
      return TRUE;
  return FALSE;
}

static void
import_interface (Import     *import,
                  xmlNodePtr  iface)
{
  g_autofree char *type = domus_libvirt_xml_prop (iface, "type");
  g_autofree char *mac = domus_libvirt_xml_prop (domus_libvirt_xml_child (iface, "mac"), "address");
  g_autofree char *model = domus_libvirt_xml_prop (domus_libvirt_xml_child (iface, "model"), "type");
  g_autofree char *bridge = domus_libvirt_xml_prop (domus_libvirt_xml_child (iface, "source"), "bridge");
  g_autofree char *network = domus_libvirt_xml_prop (domus_libvirt_xml_child (iface, "source"), "network");
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  guint index = import->vifs->len;

  if (g_strcmp0 (type, "bridge") != 0 && g_strcmp0 (type, "network") != 0 && g_strcmp0 (type, "user") != 0)
    {
      lose (import, _("Network interface %u: a %s interface has no xm form."), index, type != NULL ? type : "?");
      return;
    }
  if (mac != NULL)
    g_ptr_array_add (parts, g_strdup_printf ("mac=%s", mac));
  if (bridge != NULL && g_strcmp0 (type, "bridge") == 0)
    g_ptr_array_add (parts, g_strdup_printf ("bridge=%s", bridge));
  if (model != NULL && known_nic_model (model))
    g_ptr_array_add (parts, g_strdup_printf ("model=%s", model));
  else if (model != NULL)
    lose (import, _("Network interface %u: the NIC model %s; a domusd host chooses its own."), index, model);
  if (network != NULL && g_strcmp0 (type, "network") == 0)
    lose (import, _("Network interface %u: the libvirt network “%s” has no xm form; it goes on the "
                    "domusd host’s default network (add bridge= to put it on a bridge)."), index, network);
  g_ptr_array_add (parts, NULL);
  g_ptr_array_add (import->vifs, g_strjoinv (", ", (char **) parts->pdata));
}

/* Screen, consoles, input */

static void
import_graphics (Import     *import,
                 xmlNodePtr  graphics)
{
  g_autofree char *type = domus_libvirt_xml_prop (graphics, "type");

  if (g_strcmp0 (type, "vnc") == 0)
    import->vnc = TRUE;
  else if (g_strcmp0 (type, "spice") == 0)
    {
      import->vnc = TRUE;
      lose (import, _("The SPICE display: a domusd host shows the screen over VNC instead."));
    }
  else
    lose (import, _("The %s display has no xm form."), type != NULL ? type : "?");
}

static void
import_chardev (Import     *import,
                xmlNodePtr  chardev)
{
  g_autofree char *type = domus_libvirt_xml_prop (chardev, "type");

  /* A domusd host's serial console is always its own socket: a pty is what it replaces. */
  if (g_strcmp0 (type, "pty") != 0)
    lose (import, _("The <%s> of type %s: a domusd host’s serial console is a socket of its own."),
          (const char *) chardev->name, type != NULL ? type : "?");
}

static void
import_input (Import     *import,
              xmlNodePtr  input)
{
  g_autofree char *type = domus_libvirt_xml_prop (input, "type");
  g_autofree char *bus = domus_libvirt_xml_prop (input, "bus");

  if (g_strcmp0 (bus, "usb") == 0 && (g_strcmp0 (type, "tablet") == 0 || g_strcmp0 (type, "mouse") == 0))
    import->usbdevice = g_strcmp0 (type, "tablet") == 0 ? "tablet" : "mouse";
  else if (g_strcmp0 (bus, "ps2") != 0 && bus != NULL)
    lose (import, _("The %s input device on the %s bus."), type != NULL ? type : "?", bus);
}

static void
import_video (Import     *import,
              xmlNodePtr  video)
{
  g_autofree char *model = domus_libvirt_xml_prop (domus_libvirt_xml_child (video, "model"), "type");

  if (model != NULL && strcmp (model, "vga") != 0 && strcmp (model, "none") != 0)
    lose (import, _("The %s video card: a domusd host gives its guests a standard VGA card."), model);
}

/* What every QEMU guest has anyway, or what only wires the others up: passed over without a word. */
static gboolean
is_plumbing (xmlNodePtr node)
{
  static const char * const plumbing[] = { "emulator", "controller", "memballoon", "panic", "audio" };

  for (gsize i = 0; i < G_N_ELEMENTS (plumbing); i++)
    if (domus_libvirt_xml_is_element (node, plumbing[i]))
      return TRUE;
  return FALSE;
}

static void
import_devices (Import *import)
{
  xmlNodePtr devices = domus_libvirt_xml_child (import->domain, "devices");

  for (xmlNodePtr node = devices != NULL ? devices->children : NULL; node != NULL; node = node->next)
    {
      if (!domus_libvirt_xml_is_element (node, NULL) || is_plumbing (node))
        continue;
      if (domus_libvirt_xml_is_element (node, "disk"))
        import_disk (import, node);
      else if (domus_libvirt_xml_is_element (node, "interface"))
        import_interface (import, node);
      else if (domus_libvirt_xml_is_element (node, "graphics"))
        import_graphics (import, node);
      else if (domus_libvirt_xml_is_element (node, "serial") || domus_libvirt_xml_is_element (node, "console"))
        import_chardev (import, node);
      else if (domus_libvirt_xml_is_element (node, "input"))
        import_input (import, node);
      else if (domus_libvirt_xml_is_element (node, "video"))
        import_video (import, node);
      else
        lose (import, _("The <%s> device has no xm form."), (const char *) node->name);
    }
  if (import->disks->len > 0)
    put_list (import, "disk", import->disks);
  if (import->vifs->len > 0)
    put_list (import, "vif", import->vifs);
  if (import->vnc)
    g_string_append (import->cfg, "vnc = 1\n");
  if (import->usbdevice != NULL)
    put_string (import, "usbdevice", import->usbdevice);
}

/* Firmware tables, clock, CPU, life cycle */

static void
import_machine (Import *import)
{
  xmlNodePtr features = domus_libvirt_xml_child (import->domain, "features");
  g_autofree char *offset = domus_libvirt_xml_prop (domus_libvirt_xml_child (import->domain, "clock"), "offset");
  xmlNodePtr cpu = domus_libvirt_xml_child (import->domain, "cpu");
  g_autofree char *cpu_mode = domus_libvirt_xml_prop (cpu, "mode");

  if (features != NULL && domus_libvirt_xml_child (features, "acpi") == NULL)
    g_string_append (import->cfg, "acpi = 0\n");
  for (xmlNodePtr node = features != NULL ? features->children : NULL; node != NULL; node = node->next)
    if (domus_libvirt_xml_is_element (node, NULL) && !domus_libvirt_xml_is_element (node, "acpi") && !domus_libvirt_xml_is_element (node, "apic") &&
        !domus_libvirt_xml_is_element (node, "pae"))
      lose (import, _("The %s feature."), (const char *) node->name);
  if (g_strcmp0 (offset, "localtime") == 0)
    g_string_append (import->cfg, "localtime = 1\n");
  else if (offset != NULL && strcmp (offset, "utc") != 0)
    lose (import, _("The clock offset “%s”: a domusd guest’s clock is UTC or local time."), offset);
  if (cpu_mode != NULL || domus_libvirt_xml_child (cpu, "model") != NULL)
    lose (import, _("The CPU model (%s): a domusd host gives its guests QEMU’s default CPU."),
          cpu_mode != NULL ? cpu_mode : "custom");
}

static void
import_lifecycle (Import *import)
{
  static const char * const events[] = { "on_poweroff", "on_reboot", "on_crash" };
  static const char * const actions[] = {
    "destroy", "restart", "preserve", "rename-restart", "coredump-destroy", "coredump-restart",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (events); i++)
    {
      g_autofree char *action = text_of (import->domain, events[i]);
      gboolean known = FALSE;

      for (gsize j = 0; action != NULL && j < G_N_ELEMENTS (actions); j++)
        known |= strcmp (action, actions[j]) == 0;
      if (known)
        put_string (import, events[i], action);
      else if (action != NULL)
        lose (import, _("%s = %s has no xm form."), events[i], action);
    }
}

/* What the .cfg says about everything else at the top of <domain>. */
static void
list_other_settings (Import *import)
{
  static const char * const read[] = {
    "name", "uuid", "title", "description", "metadata", "memory", "currentMemory", "maxMemory",
    "vcpu", "os", "features", "clock", "cpu", "on_poweroff", "on_reboot", "on_crash", "devices",
    "bootloader", "bootloader_args",
    /* libvirt's own bookkeeping for the running domain: nothing a person set. */
    "resource", "seclabel", "genid",
  };

  for (xmlNodePtr node = import->domain->children; node != NULL; node = node->next)
    {
      gboolean known = FALSE;

      if (!domus_libvirt_xml_is_element (node, NULL))
        continue;
      for (gsize i = 0; i < G_N_ELEMENTS (read); i++)
        known |= domus_libvirt_xml_is_element (node, read[i]);
      if (!known)
        lose (import, _("The <%s> settings have no xm form."), (const char *) node->name);
    }
}

static void
import_identity (Import     *import,
                 const char *name)
{
  g_autofree char *uuid = text_of (import->domain, "uuid");
  g_autofree char *title = text_of (import->domain, "title");
  g_autofree char *description = text_of (import->domain, "description");

  /* Comments: a .cfg has no place for these, but a reader of the file does. */
  g_string_append_printf (import->cfg, "# %s\n", _("Imported from a libvirt domain definition by Domus."));
  if (title != NULL && *title != '\0' && strchr (title, '\n') == NULL)
    g_string_append_printf (import->cfg, "# %s\n", title);
  put_string (import, "name", name);
  if (uuid != NULL && *uuid != '\0')
    put_string (import, "uuid", uuid);
  if (description != NULL && *description != '\0')
    lose (import, _("The description (kept nowhere in a .cfg)."));
}

static void
append_lost_as_comments (Import *import)
{
  if (import->lost->len == 0)
    return;
  g_string_append_printf (import->cfg, "\n# %s\n", _("What the libvirt definition said that this file cannot:"));
  for (guint i = 0; i < import->lost->len; i++)
    {
      g_auto(GStrv) lines = g_strsplit (g_ptr_array_index (import->lost, i), "\n", -1);
      g_autofree char *line = g_strjoinv (" ", lines);

      g_string_append_printf (import->cfg, "#   - %s\n", line);
    }
}

char *
domus_libvirt_import_xml (const char  *xml,
                          GPtrArray  **lost,
                          GError     **error)
{
  Import import = { NULL };
  xmlDocPtr doc;
  g_autofree char *name = NULL;
  g_autoptr(GError) name_error = NULL;

  g_return_val_if_fail (xml != NULL, NULL);
  g_return_val_if_fail (lost != NULL, NULL);

  doc = xmlReadMemory (xml, (int) strlen (xml), "domain.xml", NULL,
                       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  import.domain = doc != NULL ? xmlDocGetRootElement (doc) : NULL;
  name = domus_libvirt_xml_is_element (import.domain, "domain") ? text_of (import.domain, "name") : NULL;
  if (name == NULL || *name == '\0')
    {
      g_set_error_literal (error, DOMUS_ERROR, DOMUS_ERROR_INVALID_CONFIG,
                           doc == NULL ? _("The libvirt domain definition is not XML.")
                                       : _("This is not a libvirt domain definition (no <domain> with a <name>)."));
      xmlFreeDoc (doc);
      return NULL;
    }
  /* The .cfg must load on a domusd host, whose names follow a rule of their own. */
  if (!domus_domain_name_check (name, &name_error))
    {
      g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_INVALID_CONFIG,
                   _("The libvirt domain cannot keep its name on a domusd host: %s"), name_error->message);
      xmlFreeDoc (doc);
      return NULL;
    }
  import.cfg = g_string_new (NULL);
  import.lost = g_ptr_array_new_with_free_func (g_free);
  import.disks = g_ptr_array_new_with_free_func (g_free);
  import.vifs = g_ptr_array_new_with_free_func (g_free);

  import_identity (&import, name);
  import_size (&import);
  import_tags (&import);
  import_os (&import);
  import_devices (&import);
  import_machine (&import);
  import_lifecycle (&import);
  list_other_settings (&import);
  append_lost_as_comments (&import);

  g_ptr_array_unref (import.disks);
  g_ptr_array_unref (import.vifs);
  xmlFreeDoc (doc);
  *lost = import.lost;
  return g_string_free (import.cfg, FALSE);
}
