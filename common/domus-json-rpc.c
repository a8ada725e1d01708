/* SPDX-License-Identifier: GPL-3.0-or-later */
/* JSON-RPC 2.0 messages as domusd and its clients write and read them: the one copy of the framing. */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "domus-json-rpc.h"

G_DEFINE_QUARK (domus-json-rpc-error-quark, domus_json_rpc_error)

/* Writing */

static JsonObject *
message_new (void)
{
  JsonObject *message = json_object_new ();

  json_object_set_string_member (message, "jsonrpc", "2.0");
  return message;
}

static JsonNode *
message_node (JsonObject *message)
{
  JsonNode *node = json_node_init_object (json_node_alloc (), message);

  json_object_unref (message);
  return node;
}

static void
set_call (JsonObject *message,
          const char *method,
          JsonNode   *params)
{
  json_object_set_string_member (message, "method", method);
  if (params != NULL)
    json_object_set_member (message, "params", json_node_copy (params));
}

JsonNode *
domus_json_rpc_new_request (gint64      id,
                            const char *method,
                            JsonNode   *params)
{
  JsonObject *message = message_new ();

  g_return_val_if_fail (method != NULL, NULL);
  json_object_set_int_member (message, "id", id);
  set_call (message, method, params);
  return message_node (message);
}

JsonNode *
domus_json_rpc_new_notification (const char *method,
                                 JsonNode   *params)
{
  JsonObject *message = message_new ();

  g_return_val_if_fail (method != NULL, NULL);
  set_call (message, method, params);
  return message_node (message);
}

static void
set_id (JsonObject *message,
        JsonNode   *id)
{
  json_object_set_member (message, "id", id != NULL ? json_node_copy (id) : json_node_new (JSON_NODE_NULL));
}

JsonNode *
domus_json_rpc_new_result (JsonNode *id,
                           JsonNode *result)
{
  JsonObject *message = message_new ();

  set_id (message, id);
  json_object_set_member (message, "result", result != NULL ? result : json_node_new (JSON_NODE_NULL));
  return message_node (message);
}

JsonNode *
domus_json_rpc_new_error (JsonNode   *id,
                          gint64      code,
                          const char *kind,
                          const char *message_text)
{
  JsonObject *message = message_new ();
  JsonObject *error = json_object_new ();
  JsonObject *data = json_object_new ();

  set_id (message, id);
  json_object_set_int_member (error, "code", code);
  json_object_set_string_member (error, "message", message_text);
  json_object_set_string_member (data, "kind", kind);
  json_object_set_object_member (error, "data", data);
  json_object_set_object_member (message, "error", error);
  return message_node (message);
}

/* Errors: the table of docs/protocol.md */

static const struct {
  const char *kind;
  gint64      code;
} error_codes[] = {
  { "parse-error",       -32700 },
  { "invalid-request",   -32600 },
  { "method-not-found",  -32601 },
  { "invalid-params",    -32602 },
  { "internal",          -32603 },
  { "message-too-large", -32000 },
  { "failed",              1000 },
  { "no-such-domain",      1001 },
  { "invalid-config",      1002 },
  { "already-running",     1003 },
  { "not-running",         1004 },
  { "permission-denied",   1005 },
  { "not-supported",       1006 },
  { "already-exists",      1007 },
  { "in-use",              1008 },
  { "no-such-image",       1009 },
  { "migration-refused",   1010 },
  { "migration-failed",    1011 },
  { "cancelled",           1012 },
  { "io-error",            1013 },
};

gint64
domus_json_rpc_code_for_kind (const char *kind)
{
  for (gsize i = 0; kind != NULL && i < G_N_ELEMENTS (error_codes); i++)
    if (g_str_equal (error_codes[i].kind, kind))
      return error_codes[i].code;
  return 1000;
}

const char *
domus_json_rpc_kind_for_code (gint64 code)
{
  for (gsize i = 0; i < G_N_ELEMENTS (error_codes); i++)
    if (error_codes[i].code == code)
      return error_codes[i].kind;
  return NULL;
}

/* Reading */

static const char *
string_member (JsonObject *object,
               const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
id_is_valid (JsonNode *id)
{
  GType type;

  if (JSON_NODE_HOLDS_NULL (id))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (id))
    return FALSE;
  type = json_node_get_value_type (id);
  return type == G_TYPE_STRING || type == G_TYPE_INT64;
}

static void
read_members (JsonObject          *object,
              DomusJsonRpcMessage *message)
{
  message->id = json_object_get_member (object, "id");
  message->method = string_member (object, "method");
  message->params = json_object_get_member (object, "params");
  message->result = json_object_get_member (object, "result");
  message->error = json_object_get_member (object, "error");
}

gboolean
domus_json_rpc_read_request (JsonNode             *root,
                             DomusJsonRpcMessage  *message,
                             GError              **error)
{
  JsonObject *object;

  g_return_val_if_fail (root != NULL && message != NULL, FALSE);

  memset (message, 0, sizeof *message);
  if (JSON_NODE_HOLDS_ARRAY (root))
    {
      g_set_error (error, DOMUS_JSON_RPC_ERROR, DOMUS_JSON_RPC_ERROR_INVALID_REQUEST,
                   _("Batch requests are not supported; send one request per line."));
      return FALSE;
    }
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, DOMUS_JSON_RPC_ERROR, DOMUS_JSON_RPC_ERROR_INVALID_REQUEST,
                   _("A request must be a JSON object."));
      return FALSE;
    }
  object = json_node_get_object (root);
  read_members (object, message);
  if (message->id != NULL && !id_is_valid (message->id))
    {
      /* An id we cannot echo: the answer goes with "id": null. */
      message->id = NULL;
      g_set_error (error, DOMUS_JSON_RPC_ERROR, DOMUS_JSON_RPC_ERROR_INVALID_REQUEST,
                   _("The request id must be a string or an integer."));
      return FALSE;
    }
  if (g_strcmp0 (string_member (object, "jsonrpc"), "2.0") != 0)
    g_set_error (error, DOMUS_JSON_RPC_ERROR, DOMUS_JSON_RPC_ERROR_INVALID_REQUEST,
                 _("The request must have \"jsonrpc\": \"2.0\"."));
  else if (message->method == NULL)
    g_set_error (error, DOMUS_JSON_RPC_ERROR, DOMUS_JSON_RPC_ERROR_INVALID_REQUEST,
                 _("The request must name its method as a string."));
  else if (message->params != NULL && !JSON_NODE_HOLDS_OBJECT (message->params) &&
           !JSON_NODE_HOLDS_ARRAY (message->params))
    g_set_error (error, DOMUS_JSON_RPC_ERROR, DOMUS_JSON_RPC_ERROR_INVALID_REQUEST,
                 _("The request parameters must be an object or an array."));
  else
    return TRUE;
  return FALSE;
}

gboolean
domus_json_rpc_read_incoming (JsonNode             *root,
                              DomusJsonRpcMessage  *message,
                              GError              **error)
{
  g_return_val_if_fail (root != NULL && message != NULL, FALSE);

  memset (message, 0, sizeof *message);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, DOMUS_JSON_RPC_ERROR, DOMUS_JSON_RPC_ERROR_INVALID_MESSAGE,
                   _("The daemon sent a message that is not a JSON object."));
      return FALSE;
    }
  read_members (json_node_get_object (root), message);
  if (message->id != NULL || message->method != NULL)
    return TRUE;
  g_set_error (error, DOMUS_JSON_RPC_ERROR, DOMUS_JSON_RPC_ERROR_INVALID_MESSAGE,
               _("The daemon sent a message that is neither an answer nor a notification."));
  return FALSE;
}

gboolean
domus_json_rpc_id_get_int (JsonNode *id,
                           gint64   *value)
{
  if (id == NULL || !JSON_NODE_HOLDS_VALUE (id) || json_node_get_value_type (id) != G_TYPE_INT64)
    return FALSE;
  *value = json_node_get_int (id);
  return TRUE;
}

gboolean
domus_json_rpc_read_error (JsonNode    *error,
                           const char **kind,
                           const char **message)
{
  JsonObject *object;
  JsonNode *data;
  JsonNode *code;

  if (error == NULL || !JSON_NODE_HOLDS_OBJECT (error))
    return FALSE;
  object = json_node_get_object (error);
  data = json_object_get_member (object, "data");
  *kind = data != NULL && JSON_NODE_HOLDS_OBJECT (data) ? string_member (json_node_get_object (data), "kind") : NULL;
  /* A daemon that sends a code but no kind: the codes say the kind. */
  code = json_object_get_member (object, "code");
  if (*kind == NULL && code != NULL && JSON_NODE_HOLDS_VALUE (code) && json_node_get_value_type (code) == G_TYPE_INT64)
    *kind = domus_json_rpc_kind_for_code (json_node_get_int (code));
  *message = string_member (object, "message");
  if (*message != NULL && **message == '\0')
    *message = NULL;
  return TRUE;
}
