/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A libvirt host's virtual networks: what the create assistant offers a new domain's card. */

#pragma once

#include <gio/gio.h>

#include "domus-libvirt-connection.h"

G_BEGIN_DECLS

/* The names of the host's active networks, sorted (transfer full): an inactive one
 * cannot take a running domain's card. Errors: libvirt's (DOMUS_ERROR_NOT_SUPPORTED from
 * a driver without networks). */
void  domus_libvirt_list_networks_async  (DomusLibvirtConnection  *connection,
                                          GCancellable            *cancellable,
                                          GAsyncReadyCallback      callback,
                                          gpointer                 user_data);
GStrv domus_libvirt_list_networks_finish (DomusLibvirtConnection  *connection,
                                          GAsyncResult            *result,
                                          GError                 **error);

G_END_DECLS
