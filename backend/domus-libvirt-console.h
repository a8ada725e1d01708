/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A libvirt domain's consoles: its VNC screen as a file descriptor, its serial port as a stream. */

#pragma once

#include <gio/gio.h>

#include "domus-libvirt-connection.h"

G_BEGIN_DECLS

/*
 * A connected socket to the domain's VNC server, for vnc_display_open_fd():
 * virDomainOpenGraphicsFD (libvirt's own authentication standing for VNC's) where the
 * connection passes descriptors (local Unix sockets); on a remote SSH connection
 * (qemu+ssh, qemu+libssh2, qemu+libssh), which cannot, a tunnel through Domus's own SSH
 * session to where the VNC server listens on the host (domus-libvirt-tunnel.h; VNC's
 * password, if the domain has one, is then asked by gtk-vnc). Errors:
 * DOMUS_ERROR_NOT_RUNNING; DOMUS_ERROR_NOT_SUPPORTED when the domain shows no VNC
 * screen (a SPICE-only domain says so) or the connection is remote but not over SSH;
 * the SSH session's errors (host key unknown or changed, login refused, tunnel refused).
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
