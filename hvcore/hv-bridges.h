/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The host's network bridges, as the kernel lists them in sysfs. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The default place: /sys/class/net. */
#define HV_SYS_CLASS_NET "/sys/class/net"

/* Whether name is a bridge (a device with a bridge/ folder) under sys_class_net. */
gboolean hv_bridge_exists (const char *sys_class_net,
                           const char *name);
/* Every bridge under sys_class_net, sorted (NULL-terminated, maybe empty). */
GStrv    hv_bridges_list  (const char *sys_class_net);

G_END_DECLS
