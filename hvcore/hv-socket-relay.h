/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Bytes copied both ways between two connected sockets, off the main loop. */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * Copies what arrives on one socket to the other, both ways, with large reads on threads of
 * its own, until both directions have ended (an end of stream is passed on as a shutdown
 * of the other side's writing). Cancelling shuts both sockets down. The sockets are
 * referenced until the relay finishes; closing them stays the caller's.
 */
void     hv_socket_relay_async  (GSocket             *a,
                                 GSocket             *b,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data);
/* The bytes copied, both ways together; -1 and error when a read or write failed, or
 * G_IO_ERROR_CANCELLED when cancelled. */
gint64   hv_socket_relay_finish (GAsyncResult        *result,
                                 GError             **error);

G_END_DECLS
