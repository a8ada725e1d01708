/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A new libvirt domain from the create assistant's choices. The same DomusCfgChoices a
 * domusd host turns into a .cfg (common/domus-cfg-builder.c, whose checks are reused so
 * both kinds of host refuse the same things) become domain XML written with
 * libvirt-gconfig, as GNOME Boxes writes its domains.
 */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libvirt-gconfig/libvirt-gconfig.h>

#include "domus-libvirt.h"
#include "domus-libvirt-builder.h"
#include "domus-libvirt-storage.h"

/* The XML */

static gboolean
is_set (const char *text)
{
  return text != NULL && *text != '\0';
}

static GVirConfigDomainOs *
new_os (const DomusCfgChoices           *choices,
        const DomusLibvirtCreateOptions *options)
{
  GVirConfigDomainOs *os = gvir_config_domain_os_new ();
  GList *boot = NULL;

  gvir_config_domain_os_set_os_type (os, GVIR_CONFIG_DOMAIN_OS_TYPE_HVM);
  gvir_config_domain_os_set_arch (os, options->arch);
  switch (choices->kind)
    {
    case DOMUS_CFG_KIND_KERNEL:
      gvir_config_domain_os_set_kernel (os, choices->kernel);
      if (is_set (choices->ramdisk))
        gvir_config_domain_os_set_ramdisk (os, choices->ramdisk);
      if (is_set (choices->extra))
        gvir_config_domain_os_set_cmdline (os, choices->extra);
      break;
    case DOMUS_CFG_KIND_ISO:
      /* The CD first (the installer), then the disk it installs to, as boot = "dc". */
      boot = g_list_append (boot, GINT_TO_POINTER (GVIR_CONFIG_DOMAIN_OS_BOOT_DEVICE_CDROM));
      boot = g_list_append (boot, GINT_TO_POINTER (GVIR_CONFIG_DOMAIN_OS_BOOT_DEVICE_HD));
      break;
    case DOMUS_CFG_KIND_DISK:
    default:
      boot = g_list_append (boot, GINT_TO_POINTER (GVIR_CONFIG_DOMAIN_OS_BOOT_DEVICE_HD));
      break;
    }
  if (boot != NULL)
    gvir_config_domain_os_set_boot_devices (os, boot);
  g_list_free (boot);
  return os;
}

static void
add_device (GVirConfigDomain *domain,
            gpointer          device)
{
  gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (device));
  g_object_unref (device);
}

static GVirConfigDomainDisk *
new_disk (const char                      *path,
          const char                      *format,
          GVirConfigDomainDiskGuestDeviceType device,
          GVirConfigDomainDiskBus          bus,
          const char                      *target)
{
  GVirConfigDomainDisk *disk = gvir_config_domain_disk_new ();
  GVirConfigDomainDiskDriver *driver = gvir_config_domain_disk_driver_new ();

  gvir_config_domain_disk_set_type (disk, GVIR_CONFIG_DOMAIN_DISK_FILE);
  gvir_config_domain_disk_set_guest_device_type (disk, device);
  gvir_config_domain_disk_set_source (disk, path);
  gvir_config_domain_disk_set_target_bus (disk, bus);
  gvir_config_domain_disk_set_target_dev (disk, target);
  gvir_config_domain_disk_driver_set_name (driver, "qemu");
  gvir_config_domain_disk_driver_set_format (driver, g_strcmp0 (format, "raw") == 0
                                                     ? GVIR_CONFIG_DOMAIN_DISK_FORMAT_RAW
                                                     : GVIR_CONFIG_DOMAIN_DISK_FORMAT_QCOW2);
  gvir_config_domain_disk_set_driver (disk, driver);
  g_object_unref (driver);
  return disk;
}

static void
add_network (GVirConfigDomain                *domain,
             const DomusCfgChoices           *choices,
             const DomusLibvirtCreateOptions *options)
{
  if (choices->network == DOMUS_CFG_NETWORK_BRIDGE)
    {
      GVirConfigDomainInterfaceBridge *nic = gvir_config_domain_interface_bridge_new ();

      gvir_config_domain_interface_bridge_set_source (nic, choices->bridge);
      add_device (domain, nic);
    }
  else if (choices->network == DOMUS_CFG_NETWORK_NAMED ||
           (choices->network == DOMUS_CFG_NETWORK_USER && is_set (options->network)))
    {
      GVirConfigDomainInterfaceNetwork *nic = gvir_config_domain_interface_network_new ();

      gvir_config_domain_interface_network_set_source (nic, choices->network == DOMUS_CFG_NETWORK_NAMED
                                                            ? choices->network_name : options->network);
      add_device (domain, nic);
    }
  else if (choices->network == DOMUS_CFG_NETWORK_USER)
    add_device (domain, gvir_config_domain_interface_user_new ());
}

static void
add_consoles (GVirConfigDomain      *domain,
              const DomusCfgChoices *choices)
{
  GVirConfigDomainChardev *serial = GVIR_CONFIG_DOMAIN_CHARDEV (gvir_config_domain_serial_new ());
  GVirConfigDomainChardev *console = GVIR_CONFIG_DOMAIN_CHARDEV (gvir_config_domain_console_new ());
  GVirConfigDomainChardevSourcePty *pty = gvir_config_domain_chardev_source_pty_new ();

  /* One serial port (ttyS0), also the console `domusctl console` opens. */
  gvir_config_domain_chardev_set_source (serial, GVIR_CONFIG_DOMAIN_CHARDEV_SOURCE (pty));
  gvir_config_domain_chardev_set_source (console, GVIR_CONFIG_DOMAIN_CHARDEV_SOURCE (pty));
  g_object_unref (pty);
  add_device (domain, serial);
  add_device (domain, console);
  if (choices->vnc)
    {
      GVirConfigDomainGraphicsVnc *vnc = gvir_config_domain_graphics_vnc_new ();
      GVirConfigDomainVideo *video = gvir_config_domain_video_new ();

      gvir_config_domain_graphics_vnc_set_autoport (vnc, TRUE);
      gvir_config_domain_video_set_model (video, GVIR_CONFIG_DOMAIN_VIDEO_MODEL_VGA);
      add_device (domain, vnc);
      add_device (domain, video);
    }
}

static gboolean
virt_type_from_name (const char                *name,
                     GVirConfigDomainVirtType  *type)
{
  GEnumClass *types = g_type_class_ref (GVIR_CONFIG_TYPE_DOMAIN_VIRT_TYPE);
  GEnumValue *value = g_enum_get_value_by_nick (types, name);

  if (value != NULL)
    *type = value->value;
  g_type_class_unref (types);
  return value != NULL;
}

/* The assistant's rules, whichever kind of host (the .cfg text itself is not wanted); a
 * named network, which no .cfg can say, is checked here. disk_stand_in: a path standing
 * for a disk still to be made. */
static gboolean
check_choices (const DomusCfgChoices  *choices,
               const char             *disk_stand_in,
               GError                **error)
{
  DomusCfgChoices check = *choices;
  g_autofree char *checked = NULL;

  if (disk_stand_in != NULL)
    check.disk_path = disk_stand_in;
  if (choices->network == DOMUS_CFG_NETWORK_NAMED)
    {
      if (!is_set (choices->network_name))
        {
          g_set_error_literal (error, DOMUS_CFG_ERROR, DOMUS_CFG_ERROR_NETWORK,
                               _("Choose the network for the card."));
          return FALSE;
        }
      check.network = DOMUS_CFG_NETWORK_USER;
    }
  checked = domus_cfg_build (&check, error);
  return checked != NULL;
}

char *
domus_libvirt_domain_xml_new (const DomusCfgChoices            *choices,
                              const DomusLibvirtCreateOptions  *options,
                              GError                          **error)
{
  GVirConfigDomain *domain;
  GVirConfigDomainOs *os;
  GVirConfigDomainVirtType virt_type;
  const char *features[] = { "acpi", "apic", NULL };
  char *xml;

  g_return_val_if_fail (choices != NULL && options != NULL, NULL);
  g_return_val_if_fail (options->virt_type != NULL && options->arch != NULL, NULL);

  if (!check_choices (choices, NULL, error))
    return NULL;
  if (!virt_type_from_name (options->virt_type, &virt_type))
    {
      g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED,
                   _("libvirt knows no virtualisation type “%s”."), options->virt_type);
      return NULL;
    }

  domain = gvir_config_domain_new ();
  gvir_config_domain_set_virt_type (domain, virt_type);
  gvir_config_domain_set_name (domain, choices->name);
  gvir_config_domain_set_memory (domain, (guint64) choices->memory_mib * 1024);
  gvir_config_domain_set_vcpus (domain, (guint64) choices->vcpus);
  gvir_config_domain_set_features (domain, (GStrv) features);
  os = new_os (choices, options);
  gvir_config_domain_set_os (domain, os);
  g_object_unref (os);

  if (is_set (choices->disk_path))
    add_device (domain, new_disk (choices->disk_path, choices->disk_format,
                                  GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_DISK,
                                  GVIR_CONFIG_DOMAIN_DISK_BUS_VIRTIO, "vda"));
  if (choices->kind == DOMUS_CFG_KIND_ISO)
    {
      GVirConfigDomainDisk *cdrom = new_disk (choices->iso_path, "raw",
                                              GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_CDROM,
                                              GVIR_CONFIG_DOMAIN_DISK_BUS_SATA, "sda");

      gvir_config_domain_disk_set_readonly (cdrom, TRUE);
      add_device (domain, cdrom);
    }
  add_network (domain, choices, options);
  add_consoles (domain, choices);

  xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (domain));
  g_object_unref (domain);
  return xml;
}

/* The whole create, on the connection's thread */

typedef struct {
  /* Owned copies of what the caller gave, and the views into them. */
  GPtrArray                 *strings;
  DomusCfgChoices            choices;
  DomusLibvirtCreateOptions  options;
} Create;

static void
create_free (Create *create)
{
  g_ptr_array_unref (create->strings);
  g_free (create);
}

static const char *
keep (Create     *create,
      const char *text)
{
  char *copy = g_strdup (text);

  if (copy != NULL)
    g_ptr_array_add (create->strings, copy);
  return copy;
}

static Create *
create_new (const DomusCfgChoices           *choices,
            const DomusLibvirtCreateOptions *options)
{
  Create *create = g_new0 (Create, 1);

  create->strings = g_ptr_array_new_with_free_func (g_free);
  create->choices = *choices;
  create->choices.name = keep (create, choices->name);
  create->choices.iso_path = keep (create, choices->iso_path);
  create->choices.kernel = keep (create, choices->kernel);
  create->choices.ramdisk = keep (create, choices->ramdisk);
  create->choices.extra = keep (create, choices->extra);
  create->choices.disk_path = keep (create, choices->disk_path);
  create->choices.disk_format = keep (create, choices->disk_format);
  create->choices.bridge = keep (create, choices->bridge);
  create->choices.network_name = keep (create, choices->network_name);
  create->options = *options;
  create->options.virt_type = keep (create, options->virt_type);
  create->options.arch = keep (create, options->arch);
  create->options.network = keep (create, options->network);
  create->options.new_disk_pool = keep (create, options->new_disk_pool);
  create->options.new_disk_format = keep (create, options->new_disk_format != NULL
                                                  ? options->new_disk_format : "qcow2");
  return create;
}

/* The host's own architecture (unless want_arch) and the best way it runs full virtual
 * machines of it (kvm before qemu). */
gboolean
domus_libvirt_best_guest (virConnectPtr   conn,
                          const char     *want_arch,
                          char          **virt_type,
                          char          **arch,
                          GError        **error)
{
  char *xml = virConnectGetCapabilities (conn);
  GVirConfigCapabilities *caps;
  GVirConfigCapabilitiesHost *host;
  GVirConfigCapabilitiesCpu *cpu;
  GList *guests;
  const char *best = NULL;
  g_autofree char *chosen_arch = g_strdup (want_arch);

  if (xml == NULL)
    {
      domus_libvirt_set_error (error, DOMUS_ERROR_FAILED);
      return FALSE;
    }
  caps = gvir_config_capabilities_new_from_xml (xml, NULL);
  free (xml);
  if (caps == NULL)
    {
      g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_PROTOCOL,
                   _("The host’s capabilities could not be read."));
      return FALSE;
    }
  host = gvir_config_capabilities_get_host (caps);
  cpu = host != NULL ? gvir_config_capabilities_host_get_cpu (host) : NULL;
  if (chosen_arch == NULL && cpu != NULL)
    chosen_arch = g_strdup (gvir_config_capabilities_cpu_get_arch (cpu));
  guests = gvir_config_capabilities_get_guests (caps);
  for (GList *g = guests; g != NULL && best == NULL; g = g->next)
    {
      GVirConfigCapabilitiesGuestArch *guest_arch = gvir_config_capabilities_guest_get_arch (g->data);
      GList *domains = gvir_config_capabilities_guest_arch_get_domains (guest_arch);

      if (gvir_config_capabilities_guest_get_os_type (g->data) == GVIR_CONFIG_DOMAIN_OS_TYPE_HVM &&
          g_strcmp0 (gvir_config_capabilities_guest_arch_get_name (guest_arch), chosen_arch) == 0)
        for (GList *d = domains; d != NULL; d = d->next)
          {
            GEnumClass *types = g_type_class_ref (GVIR_CONFIG_TYPE_DOMAIN_VIRT_TYPE);
            GEnumValue *value = g_enum_get_value (types, gvir_config_capabilities_guest_domain_get_virt_type (d->data));

            if (value != NULL && (best == NULL || g_strcmp0 (value->value_nick, "kvm") == 0))
              best = value->value_nick;
            g_type_class_unref (types);
          }
      g_list_free_full (domains, g_object_unref);
      g_object_unref (guest_arch);
    }
  g_list_free_full (guests, g_object_unref);
  g_clear_object (&cpu);
  g_clear_object (&host);
  g_object_unref (caps);
  if (chosen_arch == NULL || best == NULL)
    {
      g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED,
                   _("The host offers no way to run full virtual machines (libvirt’s capabilities list no hvm guests)."));
      return FALSE;
    }
  *virt_type = g_strdup (best);
  *arch = g_steal_pointer (&chosen_arch);
  return TRUE;
}

static gboolean
choose_from_capabilities (virConnectPtr   conn,
                          Create         *create,
                          GError        **error)
{
  char *virt_type = NULL, *arch = NULL;

  if (create->options.virt_type != NULL && create->options.arch != NULL)
    return TRUE;
  if (!domus_libvirt_best_guest (conn, create->options.arch, &virt_type, &arch, error))
    return FALSE;
  if (create->options.virt_type == NULL)
    g_ptr_array_add (create->strings, (gpointer) (create->options.virt_type = virt_type));
  else
    g_free (virt_type);
  if (create->options.arch == NULL)
    g_ptr_array_add (create->strings, (gpointer) (create->options.arch = arch));
  else
    g_free (arch);
  return TRUE;
}

/* The new disk volume, named after the domain; its path becomes the choices' disk. */
static virStorageVolPtr
make_disk (virConnectPtr   conn,
           Create         *create,
           GError        **error)
{
  gboolean raw = g_strcmp0 (create->options.new_disk_format, "raw") == 0;
  g_autofree char *name = g_strdup_printf ("%s.%s", create->choices.name, raw ? "img" : "qcow2");
  virStorageVolPtr vol;
  char *path;

  vol = domus_libvirt_storage_create_volume (conn, create->options.new_disk_pool, name,
                                             create->options.new_disk_mib * 1024 * 1024,
                                             create->options.new_disk_format, error);
  if (vol == NULL)
    return NULL;
  path = virStorageVolGetPath (vol);
  create->choices.disk_path = keep (create, path);
  create->choices.disk_format = create->options.new_disk_format;
  free (path);
  return vol;
}

static virDomainPtr
define_and_start (virConnectPtr      conn,
                  Create            *create,
                  virStorageVolPtr   new_disk,
                  GError           **error)
{
  g_autofree char *xml = domus_libvirt_domain_xml_new (&create->choices, &create->options, error);
  virDomainPtr dom;

  if (xml == NULL)
    return NULL;
  dom = virDomainDefineXML (conn, xml);
  if (dom == NULL)
    {
      domus_libvirt_set_error (error, DOMUS_ERROR_INVALID_CONFIG);
      /* Nothing half-made is left behind: the volume made for it goes too. */
      if (new_disk != NULL)
        virStorageVolDelete (new_disk, 0);
      return NULL;
    }
  if (create->options.start && virDomainCreate (dom) < 0)
    {
      g_autoptr(GError) start_error = NULL;

      domus_libvirt_set_error (&start_error, DOMUS_ERROR_FAILED);
      g_set_error (error, DOMUS_ERROR, start_error->code,
                   _("Domain “%s” was defined but did not start: %s"), create->choices.name,
                   start_error->message);
      virDomainFree (dom);
      return NULL;
    }
  return dom;
}

/* libvirt would take a second definition of a name as an update of the first. */
static gboolean
name_is_free (virConnectPtr   conn,
              const char     *name,
              GError        **error)
{
  virDomainPtr existing = virDomainLookupByName (conn, name);

  virResetLastError ();
  if (existing == NULL)
    return TRUE;
  virDomainFree (existing);
  g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_ALREADY_EXISTS,
               _("The host already has a domain “%s”."), name);
  return FALSE;
}

static void
create_work (DomusLibvirtReply *reply,
             virConnectPtr      conn,
             gpointer           task_data,
             GCancellable      *cancellable)
{
  Create *create = task_data;
  GError *error = NULL;
  virStorageVolPtr new_disk = NULL;
  virDomainPtr dom = NULL;
  DomusLibvirtDomainInfo *info = NULL;

  /* Every choice first (with the disk to be made standing in for its path), so that a
   * wrong one leaves no volume behind. */
  if (check_choices (&create->choices, create->options.new_disk_pool != NULL ? "/new-volume" : NULL, &error) &&
      name_is_free (conn, create->choices.name, &error) &&
      choose_from_capabilities (conn, create, &error) &&
      (create->options.new_disk_pool == NULL || (new_disk = make_disk (conn, create, &error)) != NULL))
    dom = define_and_start (conn, create, new_disk, &error);
  if (dom != NULL)
    info = domus_libvirt_describe_domain (dom, &error);
  g_clear_pointer (&dom, virDomainFree);
  g_clear_pointer (&new_disk, virStorageVolFree);
  if (info == NULL)
    domus_libvirt_reply_error (reply, error);
  else
    domus_libvirt_reply_pointer (reply, info, (GDestroyNotify) domus_libvirt_domain_info_free);
}

void
domus_libvirt_create_domain_async (DomusLibvirtConnection           *connection,
                                   const DomusCfgChoices            *choices,
                                   const DomusLibvirtCreateOptions  *options,
                                   GCancellable                     *cancellable,
                                   GAsyncReadyCallback               callback,
                                   gpointer                          user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (DOMUS_IS_LIBVIRT_CONNECTION (connection));
  g_return_if_fail (choices != NULL && options != NULL);

  task = g_task_new (connection, cancellable, callback, user_data);
  g_task_set_source_tag (task, domus_libvirt_create_domain_async);
  g_task_set_task_data (task, create_new (choices, options), (GDestroyNotify) create_free);
  domus_libvirt_connection_run (connection, task, create_work);
}

DomusLibvirtDomainInfo *
domus_libvirt_create_domain_finish (DomusLibvirtConnection  *connection,
                                    GAsyncResult            *result,
                                    GError                 **error)
{
  g_return_val_if_fail (g_task_is_valid (result, connection), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == domus_libvirt_create_domain_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
