/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * One libssh2 connection shared by the DomusSshSessions that reach the same account
 * (domus-ssh-session.c is its only caller). Each session is a "user" of it, known by an
 * id: its channels are its own, the first one its primary, and the connection ends when
 * its last user lets go.
 */

#pragma once

#include <gio/gio.h>

#include "domus-ssh-options.h"
#include "domus-ssh-session.h"

G_BEGIN_DECLS

#define DOMUS_TYPE_SSH_TRANSPORT (domus_ssh_transport_get_type ())
G_DECLARE_FINAL_TYPE (DomusSshTransport, domus_ssh_transport, DOMUS, SSH_TRANSPORT, GObject)

/*
 * The connection for options' account that is up or on its way (the same user, host,
 * port, key file, known_hosts and no_verify), or a new one started in a worker thread;
 * either way with a new user, whose id goes to *user. With accept_fingerprint, only a
 * connection already up is joined: one still on its way may be refusing that key.
 */
DomusSshTransport *domus_ssh_transport_acquire            (const DomusSshOptions *options,
                                                          GTlsInteraction       *interaction,
                                                          const char            *accept_fingerprint,
                                                          guint                 *user);
/* Answers once the connection is logged in, or with why it will never be. */
void               domus_ssh_transport_wait_connected_async  (DomusSshTransport   *self,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
gboolean           domus_ssh_transport_wait_connected_finish (DomusSshTransport   *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);
/* An exec channel of user's, or with socket_path a direct-streamlocal channel to it and
   command as the fallback (domus_ssh_session_open_channel_async() says more): our end of
   a socket pair (transfer full). */
void               domus_ssh_transport_open_channel_async  (DomusSshTransport   *self,
                                                           guint                user,
                                                           const char          *command,
                                                           const char          *socket_path,
                                                           GCancellable        *cancellable,
                                                           GAsyncReadyCallback  callback,
                                                           gpointer             user_data);
int                domus_ssh_transport_open_channel_finish (DomusSshTransport   *self,
                                                           GAsyncResult        *result,
                                                           GError             **error);
/* A tunnel of user's (domus_ssh_session_open_tunnel_async() says what it is); never the
   user's primary channel. */
void               domus_ssh_transport_open_tunnel_async   (DomusSshTransport   *self,
                                                           guint                user,
                                                           const char          *host,
                                                           guint16              port,
                                                           const char          *fallback_command,
                                                           GCancellable        *cancellable,
                                                           GAsyncReadyCallback  callback,
                                                           gpointer             user_data);
int                domus_ssh_transport_open_tunnel_finish  (DomusSshTransport   *self,
                                                           GAsyncResult        *result,
                                                           DomusSshTunnelWay   *way,
                                                           GError             **error);
/* Why user's share ended (its primary channel, or the whole connection), or NULL. */
GError            *domus_ssh_transport_dup_user_error     (DomusSshTransport   *self,
                                                          guint                user);
/* Ends user's channels; the last user's release ends the connection. Does not wait. */
void               domus_ssh_transport_release            (DomusSshTransport   *self,
                                                          guint                user);
/* Blocks until user's channels are gone and, if it was the last user, the connection
   too, or timeout_ms passed. Returns whether that happened. */
gboolean           domus_ssh_transport_wait_released      (DomusSshTransport   *self,
                                                          guint                user,
                                                          guint                timeout_ms);
/* Whether the server refused a channel on this connection (its MaxSessions, most likely):
   it takes no new users, and a user refused its first channel may move to another. */
gboolean           domus_ssh_transport_is_full            (DomusSshTransport   *self);
const char        *domus_ssh_transport_get_host_label     (DomusSshTransport   *self);
const char        *domus_ssh_transport_get_security_notice (DomusSshTransport  *self);

G_END_DECLS
