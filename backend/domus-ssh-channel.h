/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Opening libssh2 channels, for domus-ssh-transport.c (in its worker thread, the session
 * in blocking mode): an exec channel, and a tunnel (direct-streamlocal to a Unix socket,
 * direct-tcpip, or a command in an exec channel when the server will not forward); and
 * what a server's primary channel's end means. Kept apart from the transport so that
 * file stays under the size limit.
 */

#pragma once

#include <glib.h>
#include <libssh2.h>

#include "domus-ssh-session.h"

G_BEGIN_DECLS

/* libssh2's words for the session's last error (transfer full). */
char            *domus_ssh_last_error         (LIBSSH2_SESSION    *ssh);
/* "exec", "direct-tcpip", "direct-streamlocal": for the debug log. */
const char      *domus_ssh_tunnel_way_name     (DomusSshTunnelWay   way);
/* An exec channel running command; NULL with *reason. */
LIBSSH2_CHANNEL *domus_ssh_channel_open_exec   (LIBSSH2_SESSION    *ssh,
                                                const char         *command,
                                                char              **reason);
/*
 * A tunnel to the Unix socket socket_path (nullable) or else to tcp_host:tcp_port
 * (nullable) as the server sees them: direct-streamlocal or direct-tcpip first; when the
 * server will not open it (sshd's AllowStreamLocalForwarding or AllowTcpForwarding no,
 * nothing listening there: any channel open failure) or neither target is given, and
 * command is given, command in an exec channel. *way says which one was tried last;
 * NULL with *reason.
 */
LIBSSH2_CHANNEL *domus_ssh_channel_open_tunnel (LIBSSH2_SESSION    *ssh,
                                                const char         *host_label,
                                                const char         *socket_path,
                                                const char         *tcp_host,
                                                guint16             tcp_port,
                                                const char         *command,
                                                DomusSshTunnelWay  *way,
                                                char              **reason);
/*
 * Why a server's primary channel ended, for its user: an exec channel's in the remote
 * bridge's own words (its exit status, the last line of its stderr; status 127, the
 * shell's "not found", as DOMUS_ERROR_NOT_INSTALLED naming bridge); a direct-streamlocal
 * channel's far end is the daemon's socket_path itself.
 */
GError          *domus_ssh_channel_describe_end (const char        *host_label,
                                                 const char        *bridge,
                                                 DomusSshTunnelWay  way,
                                                 const char        *socket_path,
                                                 const char        *stderr_text,
                                                 int                exit_status);

G_END_DECLS
