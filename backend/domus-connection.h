/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A JSON-RPC 2.0 client for domusd: one JSON object per line over any GIOStream. */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define DOMUS_ERROR (domus_error_quark ())

/*
 * Every failure the backend reports. The first group mirrors the daemon's error
 * kinds (error.data.kind, see docs/protocol.md); the rest happen on this side.
 */
typedef enum {
  DOMUS_ERROR_FAILED,             /* "failed", or a kind this client does not know */
  DOMUS_ERROR_PARSE_ERROR,        /* "parse-error": the daemon could not parse what we sent */
  DOMUS_ERROR_INVALID_REQUEST,    /* "invalid-request" */
  DOMUS_ERROR_METHOD_NOT_FOUND,   /* "method-not-found": an older daemon */
  DOMUS_ERROR_INVALID_PARAMS,     /* "invalid-params" */
  DOMUS_ERROR_MESSAGE_TOO_LARGE,  /* "message-too-large" */
  DOMUS_ERROR_INTERNAL,           /* "internal": a bug in the daemon */
  DOMUS_ERROR_NO_SUCH_DOMAIN,     /* "no-such-domain" */
  DOMUS_ERROR_INVALID_CONFIG,     /* "invalid-config" */
  DOMUS_ERROR_ALREADY_RUNNING,    /* "already-running" */
  DOMUS_ERROR_NOT_RUNNING,        /* "not-running" */
  DOMUS_ERROR_PERMISSION_DENIED,  /* "permission-denied" */
  DOMUS_ERROR_NOT_SUPPORTED,      /* "not-supported", or a transport not written yet */

  DOMUS_ERROR_CLOSED,             /* the connection closed before the answer came */
  DOMUS_ERROR_PROTOCOL,           /* the other side does not speak our protocol */
  DOMUS_ERROR_INVALID_URI,        /* --connect got something we cannot read */
  DOMUS_ERROR_CONNECT_FAILED,     /* nobody answered at that address */

  DOMUS_ERROR_ALREADY_EXISTS,     /* "already-exists": a domain or image of that name */
  DOMUS_ERROR_IN_USE,             /* "in-use": an image a domain uses */
  DOMUS_ERROR_NO_SUCH_IMAGE,      /* "no-such-image" */
} DomusError;

GQuark      domus_error_quark     (void);
/* The code for a daemon's kind string; DOMUS_ERROR_FAILED for unknown kinds. */
DomusError  domus_error_from_kind (const char *kind);
/* The daemon's kind string for a code, or NULL for errors that only happen here. */
const char *domus_error_to_kind   (DomusError  code);

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

/* The session daemon's socket ($XDG_RUNTIME_DIR/domus/domusd.sock), and "unix:" + it. */
char            *domus_connection_get_default_socket_path (void);
char            *domus_connection_get_default_uri         (void);
/* The address a URI stands for, spelled out (NULL or "" gives the default's). */
char            *domus_connection_expand_uri      (const char         *uri);

/*
 * Connects to a daemon. uri: "unix:PATH", or NULL for the session daemon.
 * "ssh://…" gives DOMUS_ERROR_NOT_SUPPORTED until the SSH transport lands.
 */
void             domus_connection_connect_async   (const char         *uri,
                                                   GCancellable       *cancellable,
                                                   GAsyncReadyCallback callback,
                                                   gpointer            user_data);
DomusConnection *domus_connection_connect_finish  (GAsyncResult       *result,
                                                   GError            **error);

G_END_DECLS
