/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Builds the QEMU argv for a domain spec: machine, boot, drives, NICs and the run-folder sockets. */

#include "config.h"

#include <string.h>
#include <sys/un.h>
#include <glib/gi18n-lib.h>

#include "hv-qemu-command.h"

#define MAX_IFNAME_LENGTH 15  /* IFNAMSIZ - 1 */

void
hv_qemu_options_init (HvQemuOptions *options)
{
  memset (options, 0, sizeof *options);
  options->accel = HV_QEMU_ACCEL_TCG;
  options->tb_size_mib = HV_QEMU_TB_SIZE_AUTO;
  options->net_mode = HV_QEMU_NET_USER;
}

guint
hv_qemu_tb_size_for (const HvDomainSpec *spec,
                     guint               setting)
{
  gint64 share;

  if (spec->tb_size_mib >= 0)
    return (guint) spec->tb_size_mib;
  if (setting != HV_QEMU_TB_SIZE_AUTO)
    return setting;
  /* Small guests run little code: the least keeps their QEMUs light. A real system's boot
   * and work translate far more (bench/tb-size.py, docs/performance.md). */
  share = spec->memory_mib / HV_QEMU_TB_SIZE_MEMORY_DIVISOR;
  return (guint) CLAMP (share, HV_QEMU_TB_SIZE_MIN_MIB, HV_QEMU_TB_SIZE_MAX_MIB);
}

/* QEMU's option lists split on commas; a comma inside a value is written twice. */
static char *
escape_value (const char *value)
{
  g_autoptr(GString) escaped = g_string_new (value);

  g_string_replace (escaped, ",", ",,", 0);
  return g_string_free (g_steal_pointer (&escaped), FALSE);
}

static void
add (GPtrArray  *argv,
     const char *arg)
{
  g_ptr_array_add (argv, g_strdup (arg));
}

static void add_printf (GPtrArray  *argv,
                        const char *format,
                        ...) G_GNUC_PRINTF (2, 3);

static void
add_printf (GPtrArray  *argv,
            const char *format,
            ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (argv, g_strdup_vprintf (format, args));
  va_end (args);
}

char *
hv_qemu_default_tap_name (const HvDomainSpec *spec,
                          guint               index)
{
  g_autofree char *suffix = g_strdup_printf (".%u", index);
  int room = MAX_IFNAME_LENGTH - (int) strlen ("vif-") - (int) strlen (suffix);

  return g_strdup_printf ("vif-%.*s%s", MAX (room, 0), spec->name, suffix);
}

static gboolean
socket_path (const HvDomainSpec  *spec,
             const char          *run_dir,
             const char          *name,
             char               **out,
             GError             **error)
{
  struct sockaddr_un address;
  g_autofree char *path = g_build_filename (run_dir, name, NULL);

  if (strlen (path) >= sizeof address.sun_path)
    {
      g_set_error (error, HV_CONFIG_ERROR, HV_CONFIG_ERROR_INVALID,
                   _("%s: the run folder %s is too long for the Unix socket %s (at most %u bytes)"),
                   spec->filename, run_dir, path, (guint) sizeof address.sun_path - 1);
      return FALSE;
    }
  *out = escape_value (path);
  return TRUE;
}

static void
add_machine (GPtrArray           *argv,
             const HvDomainSpec  *spec,
             const HvQemuOptions *options)
{
  add (argv, "-machine");
  add (argv, spec->acpi ? "pc" : "pc,acpi=off");
  add (argv, "-accel");
  if (options->accel == HV_QEMU_ACCEL_KVM)
    add (argv, "kvm");
  else if (hv_qemu_tb_size_for (spec, options->tb_size_mib) > 0)
    add_printf (argv, "tcg,tb-size=%u", hv_qemu_tb_size_for (spec, options->tb_size_mib));
  else
    add (argv, "tcg");

  add (argv, "-m");
  add_printf (argv, "%" G_GINT64_FORMAT, spec->memory_mib);
  add (argv, "-smp");
  add_printf (argv, "%" G_GINT64_FORMAT, spec->vcpus);
  if (spec->localtime)
    {
      add (argv, "-rtc");
      add (argv, "base=localtime");
    }
  /* A reboot the domain must not survive becomes a shutdown the daemon sees. */
  if (spec->on_reboot != HV_DOMAIN_ACTION_RESTART &&
      spec->on_reboot != HV_DOMAIN_ACTION_RENAME_RESTART &&
      spec->on_reboot != HV_DOMAIN_ACTION_COREDUMP_RESTART)
    add (argv, "-no-reboot");
  /* "preserve" keeps a powered-off domain around: QEMU stays, stopped. */
  if (spec->on_poweroff == HV_DOMAIN_ACTION_PRESERVE)
    add (argv, "-no-shutdown");
}

static gboolean
cmdline_has_word (const char *cmdline,
                  const char *word)
{
  g_auto(GStrv) words = g_strsplit_set (cmdline, " \t", -1);

  return g_strv_contains ((const char * const *) words, word);
}

static void
add_boot (GPtrArray           *argv,
          const HvDomainSpec  *spec,
          const HvQemuOptions *options)
{
  if (spec->boot_method == HV_DOMAIN_BOOT_KERNEL)
    {
      add (argv, "-kernel");
      add (argv, spec->kernel);
      if (spec->ramdisk != NULL)
        {
          add (argv, "-initrd");
          add (argv, spec->ramdisk);
        }
      add (argv, "-append");
      /*
       * Under TCG on a busy host, Linux's early check that the IO-APIC timer ticks can
       * miss its window and panic the boot ("IO-APIC + timer doesn't work!"); the check
       * says nothing about an emulated machine, so a directly booted kernel skips it.
       */
      if (options->accel == HV_QEMU_ACCEL_TCG && !cmdline_has_word (spec->cmdline, "no_timer_check"))
        add_printf (argv, "%s%sno_timer_check", spec->cmdline, spec->cmdline[0] != '\0' ? " " : "");
      else
        add (argv, spec->cmdline);
    }
  else
    {
      add (argv, "-boot");
      add_printf (argv, "order=%s", spec->boot_order);
    }
}

static void
add_drives (GPtrArray          *argv,
            const HvDomainSpec *spec)
{
  for (guint i = 0; i < spec->disks->len; i++)
    {
      const HvDiskSpec *disk = g_ptr_array_index (spec->disks, i);
      g_autoptr(GString) drive = g_string_new (NULL);

      if (*disk->path != '\0')
        {
          g_autofree char *path = escape_value (disk->path);

          g_string_append_printf (drive, "file=%s,format=%s,", path, disk->format);
        }
      if (disk->bus == HV_DISK_BUS_IDE)
        g_string_append_printf (drive, "if=ide,index=%d,", disk->ide_index);
      else
        g_string_append (drive, "if=virtio,");
      g_string_append (drive, disk->cdrom ? "media=cdrom" : "media=disk");
      if (disk->readonly)
        g_string_append (drive, ",readonly=on");
      /* w!: another guest may have the image open too, so QEMU must not lock it. */
      if (disk->shared)
        g_string_append (drive, ",file.locking=off");
      if (disk->number > 0)
        g_string_append_printf (drive, ",id=disk%u", disk->number - 1);
      else
        g_string_append (drive, ",id=cdrom");

      add (argv, "-drive");
      add (argv, drive->str);
    }
}

/* Whether a forward may listen where it says: this host only, or an address domusd.conf allows. */
static gboolean
forward_address_allowed (const HvPortForward *forward,
                         const HvQemuOptions *options)
{
  return hv_port_forward_is_loopback (forward) ||
         (options->forward_addresses != NULL &&
          g_strv_contains (options->forward_addresses, forward->host_address));
}

/* ",hostfwd=..." for each forward of a user-mode vif; an address the daemon does not allow is
 * an error for the daemon and a notice for checks. */
static gboolean
append_forwards (GString             *netdev,
                 const HvDomainSpec  *spec,
                 const HvVifSpec     *vif,
                 const HvQemuOptions *options,
                 GPtrArray           *notices,
                 GError             **error)
{
  for (guint i = 0; i < vif->forwards->len; i++)
    {
      const HvPortForward *forward = g_ptr_array_index (vif->forwards, i);
      g_autofree char *hostfwd = NULL;

      if (!forward_address_allowed (forward, options))
        {
          g_autofree char *message =
            g_strdup_printf (_("%s: vif: vif %u '%s': forward=%s: %s is not a loopback address: the port would "
                               "be open to other machines; domusd.conf's [network] forward-addresses must list "
                               "it for the daemon to allow it"),
                             spec->filename, vif->number, vif->entry, forward->text, forward->host_address);

          if (options->strict)
            {
              g_set_error_literal (error, HV_CONFIG_ERROR, HV_CONFIG_ERROR_INVALID, message);
              return FALSE;
            }
          if (notices != NULL)
            g_ptr_array_add (notices, g_steal_pointer (&message));
        }
      hostfwd = hv_port_forward_to_hostfwd (forward);
      g_string_append_printf (netdev, ",%s", hostfwd);
    }
  return TRUE;
}

static gboolean
add_nics (GPtrArray           *argv,
          const HvDomainSpec  *spec,
          const HvQemuOptions *options,
          GPtrArray           *notices,
          GError             **error)
{
  guint n_taps = options->tap_names != NULL ? g_strv_length ((char **) options->tap_names) : 0;

  for (guint i = 0; i < spec->vifs->len; i++)
    {
      const HvVifSpec *vif = g_ptr_array_index (spec->vifs, i);
      g_autoptr(GString) netdev = g_string_new (NULL);

      if (options->net_mode == HV_QEMU_NET_TAP)
        {
          g_autofree char *name = i < n_taps ? g_strdup (options->tap_names[i])
                                             : hv_qemu_default_tap_name (spec, i);
          g_autofree char *escaped = escape_value (name);

          g_string_printf (netdev, "tap,id=net%u,ifname=%s,script=no,downscript=no", i, escaped);
          if (vif->forwards->len > 0 && notices != NULL)
            g_ptr_array_add (notices,
                             g_strdup_printf (_("vif: vif %u: forward= not used: this daemon puts guests on "
                                                "bridges, where they are reached at their own address"),
                                              vif->number));
        }
      else
        {
          g_string_printf (netdev, "user,id=net%u", i);
          if (!append_forwards (netdev, spec, vif, options, notices, error))
            return FALSE;
          if (vif->bridge != NULL && notices != NULL)
            g_ptr_array_add (notices,
                             g_strdup_printf (_("vif: vif %u: bridge=%s not used: this daemon gives guests user-mode networking"),
                                              vif->number, vif->bridge));
        }
      add (argv, "-netdev");
      add (argv, netdev->str);
      add (argv, "-device");
      add_printf (argv, "%s,netdev=net%u,mac=%s", vif->model, i, vif->mac);
    }
  return TRUE;
}

/* QEMU's own vdagent: the VNC server's cut-text (the console's clipboard) reaches the guest's
 * spice-vdagent through a virtio serial port of the name SPICE uses. */
static void
add_clipboard (GPtrArray          *argv,
               const HvDomainSpec *spec)
{
  if (!spec->clipboard || !spec->vnc)
    return;
  add (argv, "-device");
  add (argv, "virtio-serial-pci,id=vdagent-serial");
  add (argv, "-chardev");
  add (argv, "qemu-vdagent,id=vdagent,name=vdagent,clipboard=on");
  add (argv, "-device");
  add (argv, "virtserialport,bus=vdagent-serial.0,chardev=vdagent,name=com.redhat.spice.0");
}

GStrv
hv_qemu_command_build (const HvDomainSpec  *spec,
                       const HvQemuOptions *options,
                       GPtrArray           *notices,
                       GError             **error)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *binary = NULL;
  g_autofree char *vnc = NULL;
  g_autofree char *serial = NULL;
  g_autofree char *qmp = NULL;
  g_autofree char *log = NULL;
  g_autofree char *pidfile = NULL;

  g_return_val_if_fail (spec != NULL, NULL);
  g_return_val_if_fail (options != NULL && options->run_dir != NULL, NULL);

  if (!socket_path (spec, options->run_dir, "vnc.sock", &vnc, error) ||
      !socket_path (spec, options->run_dir, "serial.sock", &serial, error) ||
      !socket_path (spec, options->run_dir, "qmp.sock", &qmp, error))
    return NULL;
  {
    g_autofree char *log_path = g_build_filename (options->run_dir, "serial.log", NULL);
    log = escape_value (log_path);
  }
  pidfile = g_build_filename (options->run_dir, "qemu.pid", NULL);

  if (options->binary != NULL)
    binary = g_strdup (options->binary);
  else
    {
      binary = g_find_program_in_path (HV_QEMU_DEFAULT_BINARY);
      if (binary == NULL)
        binary = g_strdup (HV_QEMU_DEFAULT_BINARY);
    }

  add (argv, binary);
  add (argv, "-name");
  add (argv, spec->name);
  if (spec->uuid != NULL)
    {
      add (argv, "-uuid");
      add (argv, spec->uuid);
    }
  /* Only the devices the file asks for: no default NIC, CD, floppy or user config. */
  add (argv, "-nodefaults");
  add (argv, "-no-user-config");
  add_machine (argv, spec, options);
  add_boot (argv, spec, options);
  add_drives (argv, spec);
  if (!add_nics (argv, spec, options, notices, error))
    return NULL;
  if (spec->usb)
    add (argv, "-usb");
  for (guint i = 0; spec->usb_devices[i] != NULL; i++)
    {
      add (argv, "-device");
      add (argv, spec->usb_devices[i]);
    }
  add_clipboard (argv, spec);
  /* A guest kernel that panics says so (pvpanic) instead of hanging: QEMU then ends, and
   * on_crash decides what follows; "preserve" keeps the dead guest, stopped. */
  add (argv, "-device");
  add (argv, "pvpanic");
  if (spec->on_crash == HV_DOMAIN_ACTION_PRESERVE)
    {
      add (argv, "-action");
      add (argv, "panic=pause");
    }
  add (argv, "-vga");
  add (argv, spec->vga != NULL ? spec->vga : "std");
  add (argv, "-display");
  add (argv, "none");
  /* Never a network address: whoever can open the run folder may see the screen. */
  if (spec->vnc)
    {
      add (argv, "-vnc");
      add_printf (argv, "unix:%s", vnc);
    }
  add (argv, "-chardev");
  add_printf (argv, "socket,id=serial0,path=%s,server=on,wait=off,logfile=%s", serial, log);
  add (argv, "-serial");
  add (argv, "chardev:serial0");
  add (argv, "-qmp");
  add_printf (argv, "unix:%s,server=on,wait=off", qmp);
  add (argv, "-pidfile");
  add (argv, pidfile);
  if (options->paused)
    add (argv, "-S");
  /* The stream's address comes later over QMP: the daemon hands QEMU a connection it checked. */
  if (options->incoming)
    {
      add (argv, "-incoming");
      add (argv, "defer");
    }

  g_ptr_array_add (argv, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&argv), FALSE);
}

/* Plain words stay plain, so the printed command reads like one typed by hand. */
static char *
quote_if_needed (const char *arg)
{
  if (*arg == '\0')
    return g_shell_quote (arg);
  for (const char *p = arg; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("_./:=,@%+-", *p) == NULL)
      return g_shell_quote (arg);
  return g_strdup (arg);
}

char *
hv_qemu_command_to_shell (const char * const *argv,
                          gboolean            multiline)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; argv[i] != NULL; i++)
    {
      g_autofree char *quoted = quote_if_needed (argv[i]);
      gboolean is_value = i > 0 && argv[i - 1][0] == '-' && argv[i][0] != '-';

      if (i > 0)
        g_string_append (text, multiline && !is_value ? " \\\n    " : " ");
      g_string_append (text, quoted);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}
