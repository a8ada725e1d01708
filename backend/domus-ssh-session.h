/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * One server's use of an SSH connection (libssh2), whose channels appear here as
 * plain file descriptors. Sessions for the same account (user, host, port, key file,
 * known_hosts, no_verify) share one connection, up to five to a connection (OpenSSH's
 * default MaxSessions is 10: room is left for their consoles).
 */

#pragma once

#include <gio/gio.h>

#include "domus-ssh-options.h"

G_BEGIN_DECLS

#define DOMUS_TYPE_SSH_SESSION (domus_ssh_session_get_type ())
G_DECLARE_FINAL_TYPE (DomusSshSession, domus_ssh_session, DOMUS, SSH_SESSION, GObject)

/*
 * Joins the connection to options' account that is up or on its way, or connects: checks
 * the host key against options->known_hosts and logs in: ssh-agent,
 * options->keyfile, the default key files, then keyboard-interactive or password
 * through interaction (nullable: no prompts). A worker thread owns the libssh2
 * session from then on; nothing here blocks the caller's main context.
 *
 * An unknown host key fails with DOMUS_ERROR_HOST_KEY_UNKNOWN carrying the key
 * (domus_error_get_host_key()); pass its fingerprint as accept_fingerprint on the next
 * try to accept it: it is then appended to known_hosts. A changed key fails with
 * DOMUS_ERROR_HOST_KEY_CHANGED whatever accept_fingerprint says.
 */
void             domus_ssh_session_connect_async      (const DomusSshOptions *options,
                                                       GTlsInteraction       *interaction,
                                                       const char            *accept_fingerprint,
                                                       GCancellable          *cancellable,
                                                       GAsyncReadyCallback    callback,
                                                       gpointer               user_data);
DomusSshSession *domus_ssh_session_connect_finish     (GAsyncResult          *result,
                                                       GError               **error);

/*
 * Runs command on the server in an exec channel and returns our end of a socket
 * pair carrying its stdin and stdout (transfer full: the caller closes it; closing
 * it ends the channel). With socket_path (nullable), the stream goes to that Unix
 * socket on the server through a direct-streamlocal channel instead (no remote shell,
 * no remote process), and command runs only when the server will not open one (sshd's
 * AllowStreamLocalForwarding no, or nothing listening there: the command then says
 * why in its own words). The first channel opened is the session's primary one: when
 * it ends, the session ends (its other channels with it; other sessions on the same
 * connection carry on), and domus_ssh_session_dup_error() says why (the remote
 * command's exit status and its last words on stderr, or that the socket's far end
 * closed). A lost connection ends every session on it, each with that reason.
 */
void             domus_ssh_session_open_channel_async (DomusSshSession       *self,
                                                       const char            *command,
                                                       const char            *socket_path,
                                                       GCancellable          *cancellable,
                                                       GAsyncReadyCallback    callback,
                                                       gpointer               user_data);
int              domus_ssh_session_open_channel_finish (DomusSshSession      *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);

/* How a tunnel, or a stream to a socket, reached its target. */
typedef enum {
  DOMUS_SSH_TUNNEL_DIRECT_TCPIP,   /* the server connected to it (ssh -W, ssh -L) */
  DOMUS_SSH_TUNNEL_EXEC,           /* a command on the server (nc, socat, the bridge) carries it */
  DOMUS_SSH_TUNNEL_STREAMLOCAL,    /* the server connected to a Unix socket (ssh -L LOCAL:PATH) */
} DomusSshTunnelWay;

/*
 * A byte stream to host:port as the server sees it (127.0.0.1 is the server's own
 * loopback), for a VNC server that listens there: a direct-tcpip channel. When the
 * server refuses to forward (sshd's AllowTcpForwarding no) and fallback_command is
 * given, or host is NULL, fallback_command runs in an exec channel instead and carries
 * the stream on its stdin and stdout. Returns our end of a socket pair (transfer full);
 * *way (nullable) says which way it went. A tunnel is never the session's primary
 * channel: its end ends nothing else.
 */
void             domus_ssh_session_open_tunnel_async  (DomusSshSession       *self,
                                                       const char            *host,
                                                       guint16                port,
                                                       const char            *fallback_command,
                                                       GCancellable          *cancellable,
                                                       GAsyncReadyCallback    callback,
                                                       gpointer               user_data);
int              domus_ssh_session_open_tunnel_finish (DomusSshSession       *self,
                                                       GAsyncResult          *result,
                                                       DomusSshTunnelWay     *way,
                                                       GError               **error);

/* Why the session ended (DOMUS_ERROR_DISCONNECTED), or NULL while it is up. Transfer full. */
GError          *domus_ssh_session_dup_error          (DomusSshSession       *self);
/* What the session was made with: the bridge and socket to use for more channels. */
const DomusSshOptions *domus_ssh_session_get_options  (DomusSshSession       *self);
/* "[host]:port", for messages. */
const char      *domus_ssh_session_get_host_label     (DomusSshSession       *self);
/* A sentence to show the user when the host key was not checked (no_verify=1), else NULL. */
const char      *domus_ssh_session_get_security_notice (DomusSshSession      *self);
/* Ends every channel of this session, and the connection if no other session uses it;
   safe to call more than once. Does not wait. */
void             domus_ssh_session_close              (DomusSshSession       *self);
/* Blocks until this session's channels are gone and, when it was the connection's last,
   the worker has let go of the connection, or timeout_ms passed: call it
   after close before the process exits, whose clean-up would pull libssh2's crypto from
   under the worker. Returns whether it ended. */
gboolean         domus_ssh_session_wait_ended         (DomusSshSession       *self,
                                                       guint                  timeout_ms);

G_END_DECLS
