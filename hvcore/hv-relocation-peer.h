/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Whether a relocation peer (the migration stream's connection, a disk copy's) may come in:
 * hosts-allow names its address, or a name of it that is forward-confirmed — the reverse name's
 * own addresses include the peer's. A reverse name alone is whatever the peer's DNS says.
 */

#pragma once

#include <gio/gio.h>

#include "hv-daemon-config.h"

G_BEGIN_DECLS

/* The peer's address as hosts-allow reads it (an IPv4 peer on an IPv6 socket, ::ffff:a.b.c.d, is
 * a.b.c.d); NULL when the connection has no network address. */
GInetAddress *hv_relocation_peer_address      (GSocketConnection    *connection);

/* resolver: NULL for the default one. */
void          hv_relocation_peer_check_async  (HvDaemonConfig       *config,
                                               GInetAddress         *address,
                                               GResolver            *resolver,
                                               GCancellable         *cancellable,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
/*
 * TRUE: the peer may come in. FALSE: G_IO_ERROR_PERMISSION_DENIED with a whole sentence saying
 * why (hosts-allow names neither its address nor a confirmed name), or G_IO_ERROR_CANCELLED.
 */
gboolean      hv_relocation_peer_check_finish (GAsyncResult         *result,
                                               GError              **error);

G_END_DECLS
