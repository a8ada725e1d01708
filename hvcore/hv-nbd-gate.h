/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The disk copies' way into a migration target: a TCP socket that admits only peers hosts-allow
 * names, only as many as there are disks, and relays each to QEMU's own NBD server on a Unix
 * socket in the domain's private run folder.
 */

#pragma once

#include <gio/gio.h>

#include "hv-daemon-config.h"

G_BEGIN_DECLS

#define HV_TYPE_NBD_GATE (hv_nbd_gate_get_type ())
G_DECLARE_FINAL_TYPE (HvNbdGate, hv_nbd_gate, HV, NBD_GATE, GObject)

/*
 * socket: bound and listening (the gate closes it when stopped). limit: how many connections
 * are let in, in all. unix_path: QEMU's NBD server. name: the domain, for log messages.
 */
HvNbdGate *hv_nbd_gate_new  (GSocket         *socket,
                             HvDaemonConfig  *config,
                             guint            limit,
                             const char      *unix_path,
                             const char      *name,
                             GError         **error);
/* No one else gets in; relays under way end. */
void       hv_nbd_gate_stop (HvNbdGate       *self);

G_END_DECLS
