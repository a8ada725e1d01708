/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Keys of xm and xl files that only meant something to Xen: accepted, and each explained. */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "hv-domain-spec-private.h"

/* Keys that only meant something to Xen, each with what happens instead. */
void
hv_spec_read_xen_only_keys (HvSpecReader *reader)
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
      hv_spec_notice (reader, xen_only[i].key, "%s", _(xen_only[i].why));
}

