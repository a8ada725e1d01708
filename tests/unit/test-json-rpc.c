/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The JSON-RPC framing both sides share (common/domus-json-rpc.c): what is written, what is read. */

#include "config.h"

#include <json-glib/json-glib.h>

#include "domus-json-rpc.h"
#include "test-util.h"

static void
assert_json (JsonNode   *node,
             const char *expected)
{
  g_autoptr(JsonNode) want = test_parse_json (expected);
  g_autofree char *got = json_to_string (node, FALSE);

  if (!json_node_equal (want, node))
    g_error ("wrote %s, not %s", got, expected);
}

static void
test_write (void)
{
  g_autoptr(JsonNode) params = test_parse_json ("{\"name\": \"web\"}");
  g_autoptr(JsonNode) id = test_parse_json ("\"a\"");
  g_autoptr(JsonNode) request = domus_json_rpc_new_request (7, "domain.get", params);
  g_autoptr(JsonNode) bare = domus_json_rpc_new_request (8, "hello", NULL);
  g_autoptr(JsonNode) event = domus_json_rpc_new_notification ("domain.event", params);
  g_autoptr(JsonNode) result = domus_json_rpc_new_result (id, test_parse_json ("{}"));
  g_autoptr(JsonNode) null_result = domus_json_rpc_new_result (id, NULL);
  g_autoptr(JsonNode) error = domus_json_rpc_new_error (id, 1001, "no-such-domain", "No such domain.");
  g_autoptr(JsonNode) unread = domus_json_rpc_new_error (NULL, -32700, "parse-error", "Not JSON.");

  assert_json (request, "{\"jsonrpc\": \"2.0\", \"id\": 7, \"method\": \"domain.get\", \"params\": {\"name\": \"web\"}}");
  assert_json (bare, "{\"jsonrpc\": \"2.0\", \"id\": 8, \"method\": \"hello\"}");
  assert_json (event, "{\"jsonrpc\": \"2.0\", \"method\": \"domain.event\", \"params\": {\"name\": \"web\"}}");
  assert_json (result, "{\"jsonrpc\": \"2.0\", \"id\": \"a\", \"result\": {}}");
  assert_json (null_result, "{\"jsonrpc\": \"2.0\", \"id\": \"a\", \"result\": null}");
  assert_json (error, "{\"jsonrpc\": \"2.0\", \"id\": \"a\", \"error\": {\"code\": 1001, \"message\": \"No such domain.\","
                      " \"data\": {\"kind\": \"no-such-domain\"}}}");
  assert_json (unread, "{\"jsonrpc\": \"2.0\", \"id\": null, \"error\": {\"code\": -32700, \"message\": \"Not JSON.\","
                       " \"data\": {\"kind\": \"parse-error\"}}}");
  /* The caller's params are copied, not taken. */
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (params), "name"), ==, "web");
}

static const struct {
  const char *line;
  gboolean    ok;
  const char *method;      /* read */
  const char *id;          /* the id the answer goes with, as JSON; NULL: none (null) */
  const char *problem;     /* the sentence sent back */
} requests[] = {
  { "{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"hello\"}", TRUE, "hello", "1", NULL },
  { "{\"jsonrpc\": \"2.0\", \"id\": \"x\", \"method\": \"domain.get\", \"params\": {}}", TRUE, "domain.get", "\"x\"", NULL },
  { "{\"jsonrpc\": \"2.0\", \"method\": \"stats.subscribe\", \"params\": []}", TRUE, "stats.subscribe", NULL, NULL },
  { "{\"jsonrpc\": \"2.0\", \"id\": null, \"method\": \"hello\"}", TRUE, "hello", "null", NULL },
  { "[{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"hello\"}]", FALSE, NULL, NULL,
    "Batch requests are not supported; send one request per line." },
  { "42", FALSE, NULL, NULL, "A request must be a JSON object." },
  { "{\"jsonrpc\": \"2.0\", \"id\": 1.5, \"method\": \"hello\"}", FALSE, NULL, NULL,
    "The request id must be a string or an integer." },
  { "{\"jsonrpc\": \"2.0\", \"id\": {}, \"method\": \"hello\"}", FALSE, NULL, NULL,
    "The request id must be a string or an integer." },
  { "{\"jsonrpc\": \"1.0\", \"id\": 3, \"method\": \"hello\"}", FALSE, NULL, "3",
    "The request must have \"jsonrpc\": \"2.0\"." },
  { "{\"id\": 3, \"method\": \"hello\"}", FALSE, NULL, "3", "The request must have \"jsonrpc\": \"2.0\"." },
  { "{\"jsonrpc\": \"2.0\", \"id\": 4, \"method\": 5}", FALSE, NULL, "4", "The request must name its method as a string." },
  { "{\"jsonrpc\": \"2.0\", \"id\": 5, \"method\": \"hello\", \"params\": \"x\"}", FALSE, NULL, "5",
    "The request parameters must be an object or an array." },
};

static void
test_read_requests (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (requests); i++)
    {
      g_autoptr(JsonNode) root = test_parse_json (requests[i].line);
      g_autoptr(GError) error = NULL;
      DomusJsonRpcMessage message;
      gboolean ok = domus_json_rpc_read_request (root, &message, &error);

      g_test_message ("%s", requests[i].line);
      g_assert_cmpint (ok, ==, requests[i].ok);
      if (ok)
        {
          g_assert_no_error (error);
          g_assert_cmpstr (message.method, ==, requests[i].method);
        }
      else
        {
          g_assert_error (error, DOMUS_JSON_RPC_ERROR, DOMUS_JSON_RPC_ERROR_INVALID_REQUEST);
          g_assert_cmpstr (error->message, ==, requests[i].problem);
        }
      if (requests[i].id == NULL)
        g_assert_null (message.id);
      else
        {
          g_autoptr(JsonNode) id = test_parse_json (requests[i].id);

          g_assert_true (json_node_equal (id, message.id));
        }
    }
}

static void
test_read_incoming (void)
{
  g_autoptr(JsonNode) answer = test_parse_json ("{\"jsonrpc\": \"2.0\", \"id\": 9, \"result\": {\"a\": 1}}");
  g_autoptr(JsonNode) failure = test_parse_json ("{\"jsonrpc\": \"2.0\", \"id\": 10, \"error\": {\"code\": -32601,"
                                       " \"message\": \"There is no method “x”.\"}}");
  g_autoptr(JsonNode) event = test_parse_json ("{\"jsonrpc\": \"2.0\", \"method\": \"stats.sample\", \"params\": {}}");
  g_autoptr(JsonNode) neither = test_parse_json ("{\"jsonrpc\": \"2.0\", \"result\": 1}");
  g_autoptr(JsonNode) array = test_parse_json ("[]");
  g_autoptr(GError) error = NULL;
  DomusJsonRpcMessage message;
  const char *kind, *text;
  gint64 id = 0;

  g_assert_true (domus_json_rpc_read_incoming (answer, &message, NULL));
  g_assert_true (domus_json_rpc_id_get_int (message.id, &id));
  g_assert_cmpint (id, ==, 9);
  g_assert_nonnull (message.result);
  g_assert_null (message.error);

  /* A kind-less error says its kind through its code. */
  g_assert_true (domus_json_rpc_read_incoming (failure, &message, NULL));
  g_assert_true (domus_json_rpc_read_error (message.error, &kind, &text));
  g_assert_cmpstr (kind, ==, "method-not-found");
  g_assert_cmpstr (text, ==, "There is no method “x”.");

  g_assert_true (domus_json_rpc_read_incoming (event, &message, NULL));
  g_assert_null (message.id);
  g_assert_cmpstr (message.method, ==, "stats.sample");

  g_assert_false (domus_json_rpc_read_incoming (neither, &message, &error));
  g_assert_error (error, DOMUS_JSON_RPC_ERROR, DOMUS_JSON_RPC_ERROR_INVALID_MESSAGE);
  g_clear_error (&error);
  g_assert_false (domus_json_rpc_read_incoming (array, &message, &error));
  g_assert_error (error, DOMUS_JSON_RPC_ERROR, DOMUS_JSON_RPC_ERROR_INVALID_MESSAGE);
}

static void
test_codes (void)
{
  static const char * const kinds[] = {
    "parse-error", "invalid-request", "method-not-found", "invalid-params", "internal", "message-too-large",
    "failed", "no-such-domain", "invalid-config", "already-running", "not-running", "permission-denied",
    "not-supported", "already-exists", "in-use", "no-such-image", "migration-refused", "migration-failed",
    "cancelled", "io-error",
  };
  g_autoptr(GHashTable) codes = g_hash_table_new (g_int64_hash, g_int64_equal);
  gint64 values[G_N_ELEMENTS (kinds)];

  /* docs/protocol.md's table: every kind has its own code, and the code says the kind. */
  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      values[i] = domus_json_rpc_code_for_kind (kinds[i]);
      g_assert_false (g_hash_table_contains (codes, &values[i]));
      g_hash_table_add (codes, &values[i]);
      g_assert_cmpstr (domus_json_rpc_kind_for_code (values[i]), ==, kinds[i]);
    }
  g_assert_cmpint (domus_json_rpc_code_for_kind ("no-such-domain"), ==, 1001);
  g_assert_cmpint (domus_json_rpc_code_for_kind ("parse-error"), ==, -32700);
  g_assert_cmpint (domus_json_rpc_code_for_kind ("a-kind-of-tomorrow"), ==, 1000);
  g_assert_null (domus_json_rpc_kind_for_code (4242));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/json-rpc/write", test_write);
  g_test_add_func ("/json-rpc/read-requests", test_read_requests);
  g_test_add_func ("/json-rpc/read-incoming", test_read_incoming);
  g_test_add_func ("/json-rpc/codes", test_codes);
  return g_test_run ();
}
