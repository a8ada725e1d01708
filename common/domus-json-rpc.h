/* SPDX-License-Identifier: GPL-3.0-or-later */
/* JSON-RPC 2.0 messages as domusd and its clients write and read them (docs/protocol.md, "Framing"). */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define DOMUS_JSON_RPC_ERROR (domus_json_rpc_error_quark ())

typedef enum {
  DOMUS_JSON_RPC_ERROR_INVALID_REQUEST,   /* JSON, but not a request this side takes */
  DOMUS_JSON_RPC_ERROR_INVALID_MESSAGE,   /* JSON, but neither an answer nor a notification */
} DomusJsonRpcError;

GQuark domus_json_rpc_error_quark (void);

/* Writing: each returns a new message node (transfer full). */

/* params: an object or an array, or NULL for none (copied). */
JsonNode   *domus_json_rpc_new_request      (gint64       id,
                                             const char  *method,
                                             JsonNode    *params);
/* params nullable (copied). */
JsonNode   *domus_json_rpc_new_notification (const char  *method,
                                             JsonNode    *params);
/* id copied; result taken, NULL for a JSON null. */
JsonNode   *domus_json_rpc_new_result       (JsonNode    *id,
                                             JsonNode    *result);
/* id copied, NULL for "id": null (a message the daemon could not read); data.kind is kind. */
JsonNode   *domus_json_rpc_new_error        (JsonNode    *id,
                                             gint64       code,
                                             const char  *kind,
                                             const char  *message);

/*
 * The protocol's error kinds and their codes (docs/protocol.md, "Errors"): the codes
 * JSON-RPC itself reserves and Domus's from 1000 up. 1000 ("failed") for a kind not in
 * the table; NULL for a code not in it.
 */
gint64      domus_json_rpc_code_for_kind    (const char  *kind);
const char *domus_json_rpc_kind_for_code    (gint64       code);

/* Reading: what a line says, its members borrowed from the message's root. */
typedef struct {
  JsonNode   *id;             /* NULL for a notification; may hold null */
  const char *method;         /* requests and notifications */
  JsonNode   *params;         /* NULL when absent */
  JsonNode   *result;         /* an answer that succeeded */
  JsonNode   *error;          /* an answer that failed: its error object */
} DomusJsonRpcMessage;

/*
 * A request or a notification sent to a server: an object with "jsonrpc": "2.0", a
 * string method, an id that is a string, an integer or null (or none), params an
 * object or an array (or none). Else FALSE with DOMUS_JSON_RPC_ERROR_INVALID_REQUEST
 * and the sentence to send back; *message then has the id, when it was readable.
 */
gboolean    domus_json_rpc_read_request     (JsonNode             *root,
                                             DomusJsonRpcMessage  *message,
                                             GError              **error);
/*
 * An answer (an id, with result or error) or a notification (a string method and no
 * id) sent to a client. Else FALSE with DOMUS_JSON_RPC_ERROR_INVALID_MESSAGE.
 */
gboolean    domus_json_rpc_read_incoming    (JsonNode             *root,
                                             DomusJsonRpcMessage  *message,
                                             GError              **error);

/* An answer's id as the integer a client sent; FALSE for another id (or null). */
gboolean    domus_json_rpc_id_get_int       (JsonNode             *id,
                                             gint64               *value);

/* An error object's members: its kind (data.kind, else the kind of its code), its
 * message (NULL when empty or absent). FALSE when it is no object. */
gboolean    domus_json_rpc_read_error       (JsonNode             *error,
                                             const char          **kind,
                                             const char          **message);

G_END_DECLS
