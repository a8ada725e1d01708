/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The .cfg text of a new domain from the create assistant's choices. Pure GLib, no GTK. */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "domus-cfg-builder.h"
#include "domus-domain-name.h"

G_DEFINE_QUARK (domus-cfg-error-quark, domus_cfg_error)

char *
domus_cfg_quote (const char *text)
{
  GString *out = g_string_new ("'");

  for (const unsigned char *p = (const unsigned char *) text; *p != '\0'; p++)
    {
      switch (*p)
        {
        case '\\': g_string_append (out, "\\\\"); break;
        case '\'': g_string_append (out, "\\'"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\t': g_string_append (out, "\\t"); break;
        case '\r': g_string_append (out, "\\r"); break;
        default:
          /* Other control characters would end the line or confuse a reader: spell them out.
           * Bytes from 0x80 up are UTF-8 and stay as they are (files are UTF-8). */
          if (*p < 0x20 || *p == 0x7f)
            g_string_append_printf (out, "\\x%02x", *p);
          else
            g_string_append_c (out, (char) *p);
        }
    }
  g_string_append_c (out, '\'');
  return g_string_free (out, FALSE);
}

static gboolean
is_set (const char *text)
{
  return text != NULL && text[0] != '\0';
}

/* A file the guest boots from or writes to: an absolute host path in valid UTF-8. When it
 * goes into a `disk` entry, commas would split the entry, so those are refused too. */
static gboolean
check_path (const char     *path,
            gboolean        in_disk_entry,
            DomusCfgError   code,
            const char     *what,
            GError        **error)
{
  if (!is_set (path))
    {
      g_set_error (error, DOMUS_CFG_ERROR, code, _("Choose the %s."), what);
      return FALSE;
    }
  if (!g_utf8_validate (path, -1, NULL))
    {
      g_set_error (error, DOMUS_CFG_ERROR, code, _("The %s’s path is not valid UTF-8."), what);
      return FALSE;
    }
  if (path[0] != '/')
    {
      g_set_error (error, DOMUS_CFG_ERROR, code,
                   _("The %s’s path must be absolute (start with “/”)."), what);
      return FALSE;
    }
  if (in_disk_entry && strchr (path, ',') != NULL)
    {
      g_set_error (error, DOMUS_CFG_ERROR, code,
                   _("The %s’s path cannot contain a comma."), what);
      return FALSE;
    }
  return TRUE;
}

/* The format in the entry, as the image store recorded it; `file:` (raw, or the store's
 * record for an image it made) when the caller does not know it. */
static const char *
disk_backend (const char *format)
{
  if (g_strcmp0 (format, "qcow2") == 0)
    return "tap:qcow2";
  if (g_strcmp0 (format, "raw") == 0)
    return "tap:aio";
  return "file";
}

static void
append_key (GString    *out,
            const char *key,
            const char *value)
{
  g_autofree char *quoted = domus_cfg_quote (value);

  g_string_append_printf (out, "%s = %s\n", key, quoted);
}

static void
append_list (GString    *out,
             const char *key,
             GPtrArray  *items)
{
  g_string_append_printf (out, "%s = [", key);
  for (guint i = 0; i < items->len; i++)
    {
      g_autofree char *quoted = domus_cfg_quote (g_ptr_array_index (items, i));

      g_string_append_printf (out, "%s%s", i == 0 ? " " : ", ", quoted);
    }
  g_string_append (out, " ]\n");
}

char *
domus_cfg_build (const DomusCfgChoices  *choices,
                 GError                **error)
{
  g_autoptr(GString) out = NULL;
  g_autoptr(GPtrArray) disks = NULL;
  g_autoptr(GError) name_error = NULL;
  gboolean has_disk;
  gboolean firmware;

  g_return_val_if_fail (choices != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* The daemon's own rule, so the assistant refuses what define would refuse. */
  if (!domus_domain_name_check (choices->name, &name_error))
    {
      g_set_error_literal (error, DOMUS_CFG_ERROR, DOMUS_CFG_ERROR_NAME, name_error->message);
      return NULL;
    }
  if (choices->memory_mib < 1)
    {
      g_set_error (error, DOMUS_CFG_ERROR, DOMUS_CFG_ERROR_MEMORY,
                   _("Memory must be at least 1 MiB."));
      return NULL;
    }
  if (choices->vcpus < 1 || choices->vcpus > 255)
    {
      g_set_error (error, DOMUS_CFG_ERROR, DOMUS_CFG_ERROR_VCPUS,
                   _("A domain has 1 to 255 virtual CPUs."));
      return NULL;
    }

  has_disk = is_set (choices->disk_path);
  firmware = choices->kind != DOMUS_CFG_KIND_KERNEL;
  disks = g_ptr_array_new_with_free_func (g_free);

  switch (choices->kind)
    {
    case DOMUS_CFG_KIND_ISO:
      if (!check_path (choices->iso_path, TRUE, DOMUS_CFG_ERROR_SOURCE, _("ISO image"), error))
        return NULL;
      break;
    case DOMUS_CFG_KIND_KERNEL:
      if (!check_path (choices->kernel, FALSE, DOMUS_CFG_ERROR_SOURCE, _("kernel"), error))
        return NULL;
      if (is_set (choices->ramdisk) &&
          !check_path (choices->ramdisk, FALSE, DOMUS_CFG_ERROR_SOURCE, _("ramdisk"), error))
        return NULL;
      if (choices->extra != NULL && !g_utf8_validate (choices->extra, -1, NULL))
        {
          g_set_error (error, DOMUS_CFG_ERROR, DOMUS_CFG_ERROR_SOURCE,
                       _("The kernel command line is not valid UTF-8."));
          return NULL;
        }
      break;
    case DOMUS_CFG_KIND_DISK:
      if (!has_disk)
        {
          g_set_error (error, DOMUS_CFG_ERROR, DOMUS_CFG_ERROR_DISK,
                       _("Booting from a disk image needs a disk image."));
          return NULL;
        }
      break;
    default:
      g_return_val_if_reached (NULL);
    }

  if (has_disk && !check_path (choices->disk_path, TRUE, DOMUS_CFG_ERROR_DISK, _("disk image"), error))
    return NULL;

  if (choices->network == DOMUS_CFG_NETWORK_BRIDGE)
    {
      const char *bridge = choices->bridge;

      /* Linux interface names: at most 15 bytes, no spaces or slashes; and nothing that
       * would split a vif entry. */
      if (!is_set (bridge) || strlen (bridge) > 15 ||
          strpbrk (bridge, ",= /\t\n'\"\\:") != NULL || !g_str_is_ascii (bridge))
        {
          g_set_error (error, DOMUS_CFG_ERROR, DOMUS_CFG_ERROR_NETWORK,
                       _("A bridge name is 1 to 15 characters without spaces, “/”, “,”, “:” or “=”."));
          return NULL;
        }
    }

  if (choices->network == DOMUS_CFG_NETWORK_NAMED)
    {
      g_set_error_literal (error, DOMUS_CFG_ERROR, DOMUS_CFG_ERROR_NETWORK,
                           is_set (choices->network_name)
                           ? _("A domusd host has no named networks: choose user-mode networking or a bridge.")
                           : _("Choose the network for the card."));
      return NULL;
    }

  out = g_string_new (NULL);
  g_string_append (out, "# Written by Domus's create assistant.\n");
  append_key (out, "name", choices->name);
  g_string_append_printf (out, "memory = %" G_GINT64_FORMAT "\n", choices->memory_mib);
  g_string_append_printf (out, "vcpus = %" G_GINT64_FORMAT "\n", choices->vcpus);

  if (firmware)
    {
      append_key (out, "builder", "hvm");
      /* IDE for firmware guests: every BIOS and installer finds it. */
      if (has_disk)
        g_ptr_array_add (disks, g_strdup_printf ("%s:%s,hda,w",
                                                 disk_backend (choices->disk_format),
                                                 choices->disk_path));
      if (choices->kind == DOMUS_CFG_KIND_ISO)
        g_ptr_array_add (disks, g_strdup_printf ("file:%s,hdc:cdrom,r", choices->iso_path));
    }
  else
    {
      append_key (out, "kernel", choices->kernel);
      if (is_set (choices->ramdisk))
        append_key (out, "ramdisk", choices->ramdisk);
      if (is_set (choices->extra))
        append_key (out, "extra", choices->extra);
      /* A Linux kernel has virtio drivers: the disk is /dev/vda. */
      if (has_disk)
        g_ptr_array_add (disks, g_strdup_printf ("%s:%s,xvda,w",
                                                 disk_backend (choices->disk_format),
                                                 choices->disk_path));
    }

  if (disks->len > 0)
    append_list (out, "disk", disks);
  if (firmware)
    append_key (out, "boot", choices->kind == DOMUS_CFG_KIND_ISO ? (has_disk ? "dc" : "d") : "c");

  if (choices->network != DOMUS_CFG_NETWORK_NONE)
    {
      g_autoptr(GPtrArray) vifs = g_ptr_array_new_with_free_func (g_free);

      /* No mac: the daemon picks a stable one at the first start and writes it back. */
      if (choices->network == DOMUS_CFG_NETWORK_BRIDGE)
        g_ptr_array_add (vifs, g_strdup_printf ("bridge=%s", choices->bridge));
      else
        g_ptr_array_add (vifs, g_strdup (""));
      append_list (out, "vif", vifs);
    }

  g_string_append_printf (out, "vnc = %d\n", choices->vnc ? 1 : 0);
  return g_string_free (g_steal_pointer (&out), FALSE);
}
