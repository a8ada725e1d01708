/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The screen of a domain on a remote libvirt host, reached through SSH to where its VNC server listens. */

#pragma once

#include <gio/gio.h>

#include "domus-libvirt-connection.h"
#include "domus-ssh-options.h"
#include "domus-ssh-session.h"

G_BEGIN_DECLS

/* Where a domain's VNC server listens, as its host sees it: a TCP address or a Unix socket. */
typedef struct {
  char    *host;     /* the address to connect to on the host (loopback for a wildcard); NULL for a socket */
  guint16  port;
  char    *socket;   /* the Unix socket on the host, or NULL */
} DomusLibvirtVncEndpoint;

void                     domus_libvirt_vnc_endpoint_free     (DomusLibvirtVncEndpoint *endpoint);

/*
 * The first VNC display's endpoint in a running domain's XML (libvirt fills in the port
 * it chose). DOMUS_ERROR_NOT_SUPPORTED naming the domain when there is none, when it
 * listens nowhere (type none) or has no port yet.
 */
DomusLibvirtVncEndpoint *domus_libvirt_vnc_endpoint_from_xml (const char               *xml,
                                                              const char               *name,
                                                              GError                  **error);

/*
 * How Domus logs in to the host of a libvirt URI reached through SSH (qemu+ssh,
 * qemu+libssh2, qemu+libssh): the URI's user, host, port and keyfile; its known_hosts,
 * or the file that transport checks by default (~/.ssh/known_hosts for ssh, libvirt's
 * ~/.config/libvirt/known_hosts for libssh2 and libssh); no_verify=1 as libvirt reads it.
 * DOMUS_ERROR_NOT_SUPPORTED for a URI with no host or another transport (tcp, tls),
 * saying why.
 */
DomusSshOptions         *domus_libvirt_tunnel_options        (const char               *uri,
                                                              GError                  **error);

/*
 * Applies what `ssh -G HOST` printed (config: the ssh program's settings for the host)
 * to options made by domus_libvirt_tunnel_options() from uri: HostName, Port and User;
 * IdentityFile when the URI names no keyfile and the file is not one of ssh's default
 * keys; the first UserKnownHostsFile when the URI names no known_hosts. A ProxyJump or
 * ProxyCommand fails with DOMUS_ERROR_NOT_SUPPORTED saying so (the tunnel cannot follow).
 */
gboolean                 domus_libvirt_apply_ssh_config      (DomusSshOptions          *options,
                                                              const char               *uri,
                                                              const char               *config,
                                                              GError                  **error);

/*
 * A stream to endpoint on connection's host: one SSH session per connection (made on
 * the first call with the connection's interaction for passphrases and passwords, kept
 * for the next ones, closed with the connection; for qemu+ssh, after `ssh -G` said where
 * and as whom the ssh program would go), and in it a direct-tcpip channel, or
 * `nc` in an exec channel when the server does not forward (or for a Unix socket).
 * Returns a connected socket (transfer full) for vnc_display_open_fd(); *way (nullable)
 * says which channel carried it.
 */
void                     domus_libvirt_open_tunnel_async     (DomusLibvirtConnection        *connection,
                                                              const DomusLibvirtVncEndpoint *endpoint,
                                                              GCancellable                  *cancellable,
                                                              GAsyncReadyCallback            callback,
                                                              gpointer                       user_data);
int                      domus_libvirt_open_tunnel_finish    (DomusLibvirtConnection        *connection,
                                                              GAsyncResult                  *result,
                                                              DomusSshTunnelWay             *way,
                                                              GError                       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DomusLibvirtVncEndpoint, domus_libvirt_vnc_endpoint_free)

G_END_DECLS
