/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A JSON-RPC 2.0 client for domusd: one JSON object per line over any GIOStream. */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "domus-error.h"
#include "domus-host.h"

G_BEGIN_DECLS

#define DOMUS_TYPE_CONNECTION (domus_connection_get_type ())
G_DECLARE_FINAL_TYPE (DomusConnection, domus_connection, DOMUS, CONNECTION, GObject)

/*
 * Starts reading at once, in the thread-default main context of the caller.
 * An open connection keeps itself alive (it holds a reference on itself until closed):
 * call domus_connection_close() when done, or wait for "closed".
 */
DomusConnection *domus_connection_new             (GIOStream          *stream);
GIOStream       *domus_connection_get_stream      (DomusConnection    *self);
gboolean         domus_connection_is_closed       (DomusConnection    *self);

/*
 * Calls a method. params: an object or array, or NULL for none (not consumed).
 * Any number of calls may be outstanding; answers are matched by id. Cancelling
 * only stops waiting: the daemon still does the work.
 */
void             domus_connection_call_async      (DomusConnection    *self,
                                                   const char         *method,
                                                   JsonNode           *params,
                                                   GCancellable       *cancellable,
                                                   GAsyncReadyCallback callback,
                                                   gpointer            user_data);
/* The result (transfer full; a JSON null is a node holding null, never NULL on success). */
JsonNode        *domus_connection_call_finish     (DomusConnection    *self,
                                                   GAsyncResult       *result,
                                                   GError            **error);

/* Closes the stream; outstanding calls fail with DOMUS_ERROR_CLOSED. */
void             domus_connection_close           (DomusConnection    *self);
/*
 * Closes, then waits (at most timeout_ms) until the transport under the stream has
 * ended: an SSH session's worker thread says goodbye to the server. For programs
 * about to exit; the window uses domus_connection_close().
 */
void             domus_connection_close_and_wait  (DomusConnection    *self,
                                                   guint               timeout_ms);

/* A sentence to show the user when the transport is less safe than asked (an SSH host key not checked), else NULL. */
const char      *domus_connection_get_security_notice (DomusConnection *self);

/*
 * Addresses (docs/protocol.md, "Addresses"):
 *   unix:PATH    a daemon's socket on this machine
 *   local        the user's session daemon, started when none answers
 *   ssh://[user@]host[:port][?socket=PATH&keyfile=PATH&known_hosts=PATH&bridge=PATH&no_verify=1]
 *                a daemon on another host, through `domusctl bridge` run over SSH
 * NULL or "" means DOMUS_DEFAULT_URI, "local" (domus-host.h).
 */

/* The session daemon's socket ($XDG_RUNTIME_DIR/domus/domusd.sock). */
char            *domus_connection_get_default_socket_path (void);
/* The address a URI stands for, spelled out: NULL or "" gives DOMUS_DEFAULT_URI. */
char            *domus_connection_expand_uri      (const char         *uri);

/* Connects with no prompts and no host key accepted: see domus_connection_connect_full_async(). */
void             domus_connection_connect_async   (const char         *uri,
                                                   GCancellable       *cancellable,
                                                   GAsyncReadyCallback callback,
                                                   gpointer            user_data);
/*
 * Connects to a daemon. interaction (nullable) answers SSH passphrase and password
 * prompts. An unknown SSH host key fails with DOMUS_ERROR_HOST_KEY_UNKNOWN, whose
 * fingerprint (domus_error_get_host_key()) the caller may show and, once the user
 * accepts it, pass as accept_host_key on the next try: it is then added to known_hosts.
 */
void             domus_connection_connect_full_async (const char         *uri,
                                                      GTlsInteraction    *interaction,
                                                      const char         *accept_host_key,
                                                      GCancellable       *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer            user_data);
/* For both connect functions. */
DomusConnection *domus_connection_connect_finish  (GAsyncResult       *result,
                                                   GError            **error);

/*
 * Opens a stream to a domain's screen (VNC) or serial port and returns its file
 * descriptor (transfer full), for gtk-vnc's vnc_display_open_fd() or any RFB client.
 * Locally the domain's socket; over SSH another exec channel running `domusctl bridge
 * --console NAME` (or --serial). Errors: DOMUS_ERROR_NO_SUCH_DOMAIN, _NOT_RUNNING,
 * _NOT_SUPPORTED (no vnc in its config).
 */
void             domus_connection_open_console_async  (DomusConnection    *self,
                                                       const char         *name,
                                                       DomusConsoleKind    kind,
                                                       GCancellable       *cancellable,
                                                       GAsyncReadyCallback callback,
                                                       gpointer            user_data);
int              domus_connection_open_console_finish (DomusConnection    *self,
                                                       GAsyncResult       *result,
                                                       GError            **error);

G_END_DECLS
