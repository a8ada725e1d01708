/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Keys of xm and xl files that only meant something to Xen: accepted, and each explained. */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "hv-domain-spec-private.h"

/* Why a key has no effect; one sentence for each family of keys. */
#define WHY_XEN       N_("ignored: a Xen-only setting with no QEMU equivalent")
#define WHY_SCHEDULER N_("ignored: Xen's scheduler settings have no QEMU equivalent")
#define WHY_DM        N_("ignored: Xen's device model is not used: Domus runs QEMU itself")
#define WHY_HOST_DEV  N_("ignored: no device of the host is passed through to a guest")
#define WHY_FIRMWARE  N_("ignored: QEMU's own BIOS starts the guest")
#define WHY_SPICE     N_("ignored: there is no SPICE server: the screen is on VNC")
#define WHY_PV_DEVICE N_("ignored: Xen's paravirtual devices have no counterpart under QEMU")
#define WHY_XEND      N_("ignored: there is no xend; mark the domain for autostart instead")

/* Keys that only meant something to Xen (xm's and xl's), each with what happens instead. */
static const struct {
  const char *key;
  const char *why;
} xen_only[] = {
  { "device_model", WHY_DM },
  { "device_model_version", WHY_DM },
  { "device_model_override", WHY_DM },
  { "device_model_args", WHY_DM },
  { "device_model_args_pv", WHY_DM },
  { "device_model_args_hvm", WHY_DM },
  { "device_model_stubdomain_override", WHY_DM },
  { "device_model_stubdomain_seclabel", WHY_DM },
  { "stubdomain_kernel", WHY_DM },
  { "stubdomain_cmdline", WHY_DM },
  { "stubdomain_ramdisk", WHY_DM },
  { "stubdomain_memory", WHY_DM },
  { "pae", N_("ignored: the virtual processor always supports PAE") },
  { "apic", N_("ignored: the virtual machine always has an APIC") },
  { "cpus", N_("ignored: virtual processors are not pinned to host processors") },
  { "cpus_soft", N_("ignored: virtual processors are not pinned to host processors") },
  { "cpu_weight", WHY_SCHEDULER },
  { "cpu_cap", WHY_SCHEDULER },
  { "cap", WHY_SCHEDULER },
  { "pool", WHY_SCHEDULER },
  { "vnuma", WHY_XEN },
  { "shadow_memory", N_("ignored: Xen's shadow page tables have no QEMU equivalent") },
  { "maxmem", N_("ignored: the guest always has the memory given by 'memory'") },
  { "maxvcpus", N_("ignored: the guest always has the processors given by 'vcpus'") },
  { "on_xend_start", WHY_XEND },
  { "on_xend_stop", N_("ignored: there is no xend; running domains keep running when the daemon stops") },
  { "stdvga", N_("ignored: the graphics card is QEMU's standard VGA unless vga names another") },
  { "videoram", N_("ignored: the graphics card has QEMU's own amount of video memory") },
  { "nographic", N_("ignored: the screen is on VNC when vnc = 1 and hidden otherwise") },
  { "keymap", N_("ignored: the console sends the keys' codes, so no keymap is needed") },
  { "opengl", N_("ignored: no SDL window is opened: the screen is shown through VNC") },
  { "soundhw", N_("ignored: guests have no sound card") },
  { "firmware", WHY_FIRMWARE },
  { "bios", WHY_FIRMWARE },
  { "bios_path_override", WHY_FIRMWARE },
  { "acpi_firmware", WHY_FIRMWARE },
  { "smbios_firmware", WHY_FIRMWARE },
  { "smbios", WHY_FIRMWARE },
  { "hdtype", N_("ignored: disks are on IDE or virtio as their names say (see docs/config-format.md)") },
  { "usbversion", N_("ignored: the USB controller is QEMU's default one") },
  { "rtc_timeoffset", N_("ignored: the clock starts at the host's time (or local time with localtime = 1)") },
  { "pci", WHY_HOST_DEV },
  { "gfx_passthru", WHY_HOST_DEV },
  { "dtdev", WHY_HOST_DEV },
  { "irqs", WHY_HOST_DEV },
  { "iomem", WHY_HOST_DEV },
  { "ioports", WHY_HOST_DEV },
  { "rdm", WHY_HOST_DEV },
  { "usbctrl", WHY_HOST_DEV },
  { "usbdev", WHY_HOST_DEV },
  { "vtpm", WHY_PV_DEVICE },
  { "vscsi", WHY_PV_DEVICE },
  { "vkb", WHY_PV_DEVICE },
  { "vkb_device", WHY_PV_DEVICE },
  { "p9", WHY_PV_DEVICE },
  { "vdispl", WHY_PV_DEVICE },
  { "vsnd", WHY_PV_DEVICE },
  { "channel", WHY_PV_DEVICE },
  { "vendor_device", WHY_PV_DEVICE },
  { "spice", WHY_SPICE },
  { "spicehost", WHY_SPICE },
  { "spiceport", WHY_SPICE },
  { "spicetls_port", WHY_SPICE },
  { "spicedisable_ticketing", WHY_SPICE },
  { "spicepasswd", WHY_SPICE },
  { "spiceagent_mouse", WHY_SPICE },
  { "spicevdagent", WHY_SPICE },
  { "spice_clipboard_sharing", WHY_SPICE },
  { "spiceusbredirection", WHY_SPICE },
  { "spice_image_compression", WHY_SPICE },
  { "spice_streaming_video", WHY_SPICE },
  { "hap", WHY_XEN },
  { "oos", WHY_XEN },
  { "nx", WHY_XEN },
  { "nestedhvm", WHY_XEN },
  { "cpuid", WHY_XEN },
  { "tsc_mode", WHY_XEN },
  { "acpi_s3", WHY_XEN },
  { "acpi_s4", WHY_XEN },
  { "acpi_laptop_slate", WHY_XEN },
  { "altp2m", WHY_XEN },
  { "altp2mhvm", WHY_XEN },
  { "hvm_pirq", WHY_XEN },
  { "mmio_hole", WHY_XEN },
  { "ms_vm_genid", WHY_XEN },
  { "e820_host", WHY_XEN },
  { "pvshim", WHY_XEN },
  { "pvshim_path", WHY_XEN },
  { "pvshim_cmdline", WHY_XEN },
  { "pvshim_extra", WHY_XEN },
  { "seclabel", WHY_XEN },
  { "init_seclabel", WHY_XEN },
  { "max_grant_frames", WHY_XEN },
  { "max_maptrack_frames", WHY_XEN },
  { "max_event_channels", WHY_XEN },
  { "driver_domain", WHY_XEN },
  { "viridian", WHY_XEN },
  { "xen_platform_pci", WHY_XEN },
  { "timer_mode", WHY_XEN },
  { "hpet", WHY_XEN },
  { "vpt_align", WHY_XEN },
  { "extid", WHY_XEN },
};

void
hv_spec_read_xen_only_keys (HvSpecReader *reader)
{
  for (guint i = 0; i < G_N_ELEMENTS (xen_only); i++)
    if (hv_config_has_key (reader->config, xen_only[i].key))
      hv_spec_notice (reader, xen_only[i].key, "%s", _(xen_only[i].why));
}

