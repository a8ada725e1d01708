/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Does KVM work here? Found out once per daemon start, in a child process, under a timeout. */

#pragma once

#include <gio/gio.h>

#include "hv-qemu-command.h"

G_BEGIN_DECLS

/*
 * A child process opens /dev/kvm, makes a one-page virtual machine and runs a `hlt` in it.
 * KVM when that ends within timeout_ms, TCG otherwise; `detail` says why, for hello and the log.
 * DOMUS_ACCEL=kvm|tcg in the environment answers without probing.
 */
void        hv_accel_probe_async  (guint                timeout_ms,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data);
/* probed: FALSE when DOMUS_ACCEL chose. */
HvQemuAccel hv_accel_probe_finish (GAsyncResult        *result,
                                   gboolean            *probed,
                                   char               **detail);

const char *hv_accel_to_string    (HvQemuAccel          accel);

G_END_DECLS
