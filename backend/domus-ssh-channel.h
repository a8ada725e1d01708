/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Opening libssh2 channels, for domus-ssh-transport.c (in its worker thread, the session
 * in blocking mode): an exec channel, and a tunnel (direct-tcpip, or a command in an
 * exec channel when the server will not forward). Kept apart from the transport so that
 * file stays under the size limit.
 */

#pragma once

#include <glib.h>
#include <libssh2.h>

#include "domus-ssh-session.h"

G_BEGIN_DECLS

/* libssh2's words for the session's last error (transfer full). */
char            *domus_ssh_last_error         (LIBSSH2_SESSION    *ssh);
/* An exec channel running command; NULL with *reason. */
LIBSSH2_CHANNEL *domus_ssh_channel_open_exec   (LIBSSH2_SESSION    *ssh,
                                                const char         *command,
                                                char              **reason);
/*
 * A tunnel to tcp_host:tcp_port (nullable) as the server sees them: direct-tcpip first;
 * when the server will not open it (sshd's AllowTcpForwarding no answers "administratively
 * prohibited") or tcp_host is NULL, and command is given, command in an exec channel.
 * *way says which one was tried last; NULL with *reason.
 */
LIBSSH2_CHANNEL *domus_ssh_channel_open_tunnel (LIBSSH2_SESSION    *ssh,
                                                const char         *host_label,
                                                const char         *tcp_host,
                                                guint16             tcp_port,
                                                const char         *command,
                                                DomusSshTunnelWay  *way,
                                                char              **reason);

G_END_DECLS
