/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A libvirt domain's consoles: its VNC screen as a file descriptor, its serial port as a stream. */

#pragma once

#include <gio/gio.h>

#include "domus-libvirt-connection.h"

G_BEGIN_DECLS

/*
 * A connected socket to the domain's VNC server (virDomainOpenGraphicsFD, libvirt's own
 * authentication standing for VNC's), for vnc_display_open_fd(). Errors:
 * DOMUS_ERROR_NOT_RUNNING; DOMUS_ERROR_NOT_SUPPORTED when the domain shows no VNC
 * screen (a SPICE-only domain says so) or the connection cannot pass a descriptor
 * (libvirt passes them over local Unix sockets only).
 */
void         domus_libvirt_open_graphics_async  (DomusLibvirtConnection  *connection,
                                                 const char              *name,
                                                 GCancellable            *cancellable,
                                                 GAsyncReadyCallback      callback,
                                                 gpointer                 user_data);
/* The descriptor (transfer full), or -1. */
int          domus_libvirt_open_graphics_finish (DomusLibvirtConnection  *connection,
                                                 GAsyncResult            *result,
                                                 GError                 **error);

/*
 * The domain's serial console (virDomainOpenConsole, taking it over from any other
 * client, as `virsh console --force` does) as a GIOStream: what the guest writes comes
 * out of it, what is written to it goes to the guest. It ends (end of stream) when the
 * domain stops; closing it ends the console session. Errors: DOMUS_ERROR_NOT_RUNNING,
 * DOMUS_ERROR_NOT_SUPPORTED (no serial port or console libvirt can open).
 */
void         domus_libvirt_open_serial_async    (DomusLibvirtConnection  *connection,
                                                 const char              *name,
                                                 GCancellable            *cancellable,
                                                 GAsyncReadyCallback      callback,
                                                 gpointer                 user_data);
GIOStream   *domus_libvirt_open_serial_finish   (DomusLibvirtConnection  *connection,
                                                 GAsyncResult            *result,
                                                 GError                 **error);

G_END_DECLS
