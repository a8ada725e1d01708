/* SPDX-License-Identifier: GPL-3.0-or-later */
/* JSON-RPC framing and errors: the real HvRpcServer and DomusConnection, joined by a socketpair. */

#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "domus-connection.h"
#include "hv-rpc-server.h"
#include "test-util.h"

/* Methods of the test server */

static void
method_echo (HvRpcCall *call,
             JsonNode  *params,
             gpointer   user_data)
{
  hv_rpc_call_return (call, json_node_copy (params));
}

typedef struct {
  HvRpcCall *call;
  gint64     value;
} Delayed;

static gboolean
on_delay_over (gpointer user_data)
{
  Delayed *delayed = user_data;

  hv_rpc_call_return (delayed->call, json_node_init_int (json_node_alloc (), delayed->value));
  g_free (delayed);
  return G_SOURCE_REMOVE;
}

/* {"delay_ms": N, "value": V}: answers V after N ms, so answers can overtake each other. */
static void
method_delayed (HvRpcCall *call,
                JsonNode  *params,
                gpointer   user_data)
{
  JsonObject *object = json_node_get_object (params);
  Delayed *delayed = g_new0 (Delayed, 1);

  delayed->call = call;
  delayed->value = json_object_get_int_member (object, "value");
  g_timeout_add (json_object_get_int_member (object, "delay_ms"), on_delay_over, delayed);
}

static void
method_fail (HvRpcCall *call,
             JsonNode  *params,
             gpointer   user_data)
{
  hv_rpc_call_return_new_error (call, HV_RPC_ERROR_NO_SUCH_DOMAIN, "There is no domain “%s”.", "ghost");
}

static void
method_flag (HvRpcCall *call,
             JsonNode  *params,
             gpointer   user_data)
{
  g_autoptr(GError) error = NULL;
  gboolean on;

  if (!hv_rpc_params_get_boolean (params, "on", FALSE, &on, &error))
    hv_rpc_call_return_error (call, error);
  else
    hv_rpc_call_return (call, json_node_init_boolean (json_node_alloc (), on));
}

/* Sends the params back as a "test.event" notification first, then answers. */
static void
method_notify_me (HvRpcCall *call,
                  JsonNode  *params,
                  gpointer   user_data)
{
  hv_rpc_peer_notify (hv_rpc_call_get_peer (call), "test.event", params);
  hv_rpc_call_return (call, json_node_init_boolean (json_node_alloc (), TRUE));
}

static HvRpcServer *
new_test_server (void)
{
  HvRpcServer *server = hv_rpc_server_new ();

  hv_rpc_server_add_method (server, "echo", method_echo, NULL, NULL);
  hv_rpc_server_add_method (server, "delayed", method_delayed, NULL, NULL);
  hv_rpc_server_add_method (server, "fail", method_fail, NULL, NULL);
  hv_rpc_server_add_method (server, "flag", method_flag, NULL, NULL);
  hv_rpc_server_add_method (server, "notify-me", method_notify_me, NULL, NULL);
  return server;
}

/* A server and a client on the two ends of a socketpair. */
typedef struct {
  HvRpcServer     *server;
  HvRpcPeer       *peer;      /* borrowed from the server */
  DomusConnection *client;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GIOStream) server_end = NULL;
  g_autoptr(GIOStream) client_end = NULL;

  test_stream_pair (&server_end, &client_end);
  fixture->server = new_test_server ();
  fixture->peer = hv_rpc_server_add_stream (fixture->server, server_end);
  fixture->client = domus_connection_new (client_end);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  domus_connection_close (fixture->client);
  hv_rpc_server_stop (fixture->server);
  /* Let the closes finish before the objects go. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&fixture->client);
  g_clear_object (&fixture->server);
}

typedef struct {
  gboolean  done;
  JsonNode *result;
  GError   *error;
} CallResult;

static void
on_call_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  CallResult *call = user_data;

  call->result = domus_connection_call_finish (DOMUS_CONNECTION (source), result, &call->error);
  call->done = TRUE;
}

static void
call_result_clear (CallResult *call)
{
  g_clear_pointer (&call->result, json_node_unref);
  g_clear_error (&call->error);
  call->done = FALSE;
}

/* Calls and waits; params as JSON text or NULL. */
static void
call_sync (DomusConnection *client,
           const char      *method,
           const char      *params,
           CallResult      *call)
{
  g_autoptr(JsonNode) params_node = params != NULL ? test_parse_json (params) : NULL;

  domus_connection_call_async (client, method, params_node, NULL, on_call_done, call);
  test_wait_until (&call->done);
}

typedef struct {
  gboolean  closed;
  GError   *reason;
} Closed;

static void
on_closed (DomusConnection *client,
           const GError    *reason,
           Closed          *closed)
{
  closed->closed = TRUE;
  closed->reason = reason != NULL ? g_error_copy (reason) : NULL;
}

/* Tests through DomusConnection */

static void
test_call (Fixture       *fixture,
           gconstpointer  data)
{
  CallResult call = { 0 };
  g_autoptr(JsonNode) expected = test_parse_json ("{\"a\": 1, \"b\": [\"x\\ny\", null]}");

  call_sync (fixture->client, "echo", "{\"a\": 1, \"b\": [\"x\\ny\", null]}", &call);
  g_assert_no_error (call.error);
  g_assert_true (json_node_equal (call.result, expected));
  call_result_clear (&call);

  /* No params at all arrive as an empty object. */
  call_sync (fixture->client, "echo", NULL, &call);
  g_assert_no_error (call.error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (call.result));
  g_assert_cmpuint (json_object_get_size (json_node_get_object (call.result)), ==, 0);
  call_result_clear (&call);
}

typedef struct {
  gint64  expected;
  GArray *order;
} Outstanding;

static void
on_outstanding_done (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Outstanding *outstanding = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = domus_connection_call_finish (DOMUS_CONNECTION (source), result, &error);

  g_assert_no_error (error);
  /* Each answer reaches the call that asked for it, whatever the order. */
  g_assert_cmpint (json_node_get_int (node), ==, outstanding->expected);
  g_array_append_val (outstanding->order, outstanding->expected);
}

static void
test_outstanding (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GArray) order = g_array_new (FALSE, FALSE, sizeof (gint64));
  Outstanding outstanding[3];
  static const int delays[] = { 150, 75, 0 };
  gboolean all_done = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (outstanding); i++)
    {
      g_autofree char *params = g_strdup_printf ("{\"delay_ms\": %d, \"value\": %u}", delays[i], i + 1);
      g_autoptr(JsonNode) node = test_parse_json (params);

      outstanding[i].expected = i + 1;
      outstanding[i].order = order;
      domus_connection_call_async (fixture->client, "delayed", node, NULL,
                                   on_outstanding_done, &outstanding[i]);
    }
  while (!all_done)
    {
      g_main_context_iteration (NULL, TRUE);
      all_done = order->len == G_N_ELEMENTS (outstanding);
    }

  /* The last call was answered first: matching was by id, not by order. */
  g_assert_cmpint (g_array_index (order, gint64, 0), ==, 3);
  g_assert_cmpint (g_array_index (order, gint64, 1), ==, 2);
  g_assert_cmpint (g_array_index (order, gint64, 2), ==, 1);
}

typedef struct {
  guint     count;
  char     *method;
  JsonNode *params;
} Notified;

static void
on_notification (DomusConnection *client,
                 const char      *method,
                 JsonNode        *params,
                 Notified        *notified)
{
  notified->count++;
  g_free (notified->method);
  notified->method = g_strdup (method);
  g_clear_pointer (&notified->params, json_node_unref);
  notified->params = json_node_copy (params);
}

static void
test_notifications (Fixture       *fixture,
                    gconstpointer  data)
{
  Notified notified = { 0 };
  Notified detailed = { 0 };
  CallResult call = { 0 };
  g_autoptr(JsonNode) expected = test_parse_json ("{\"domain\": \"debian1\", \"state\": \"paused\"}");
  g_autoptr(JsonNode) broadcast = test_parse_json ("[1, 2, 3]");
  gulong handler, detailed_handler;

  handler = g_signal_connect (fixture->client, "notification", G_CALLBACK (on_notification), &notified);
  detailed_handler = g_signal_connect (fixture->client, "notification::test.event",
                                       G_CALLBACK (on_notification), &detailed);

  call_sync (fixture->client, "notify-me", "{\"domain\": \"debian1\", \"state\": \"paused\"}", &call);
  g_assert_no_error (call.error);
  /* Sent before the answer, so seen before the answer. */
  g_assert_cmpuint (notified.count, ==, 1);
  g_assert_cmpstr (notified.method, ==, "test.event");
  g_assert_true (json_node_equal (notified.params, expected));
  g_assert_cmpuint (detailed.count, ==, 1);
  call_result_clear (&call);

  hv_rpc_server_broadcast (fixture->server, "other.event", broadcast);
  while (notified.count < 2)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (notified.method, ==, "other.event");
  g_assert_true (json_node_equal (notified.params, broadcast));
  /* The detail filters by method name. */
  g_assert_cmpuint (detailed.count, ==, 1);

  g_signal_handler_disconnect (fixture->client, handler);
  g_signal_handler_disconnect (fixture->client, detailed_handler);
  g_free (notified.method);
  g_clear_pointer (&notified.params, json_node_unref);
  g_free (detailed.method);
  g_clear_pointer (&detailed.params, json_node_unref);
}

static void
test_error_kinds (Fixture       *fixture,
                  gconstpointer  data)
{
  CallResult call = { 0 };

  call_sync (fixture->client, "no.such.method", NULL, &call);
  g_assert_error (call.error, DOMUS_ERROR, DOMUS_ERROR_METHOD_NOT_FOUND);
  g_assert_nonnull (strstr (call.error->message, "no.such.method"));
  call_result_clear (&call);

  call_sync (fixture->client, "fail", NULL, &call);
  g_assert_error (call.error, DOMUS_ERROR, DOMUS_ERROR_NO_SUCH_DOMAIN);
  g_assert_cmpstr (call.error->message, ==, "There is no domain “ghost”.");
  call_result_clear (&call);

  call_sync (fixture->client, "flag", "{\"on\": 1}", &call);
  g_assert_error (call.error, DOMUS_ERROR, DOMUS_ERROR_INVALID_PARAMS);
  call_result_clear (&call);

  call_sync (fixture->client, "flag", "[true]", &call);
  g_assert_error (call.error, DOMUS_ERROR, DOMUS_ERROR_INVALID_PARAMS);
  call_result_clear (&call);

  /* And the connection is still fine. */
  call_sync (fixture->client, "flag", "{\"on\": true}", &call);
  g_assert_no_error (call.error);
  g_assert_true (json_node_get_boolean (call.result));
  call_result_clear (&call);
}

/* The two kind tables (daemon and client) must agree, both ways, for every kind. */
static void
test_kind_tables (void)
{
  for (int code = HV_RPC_ERROR_PARSE_ERROR; code <= HV_RPC_ERROR_NO_SUCH_IMAGE; code++)
    {
      g_autoptr(GError) error = g_error_new_literal (HV_RPC_ERROR, code, "x");
      const char *kind = hv_rpc_error_get_kind (error);
      DomusError mapped = domus_error_from_kind (kind);

      g_assert_nonnull (kind);
      g_assert_cmpstr (domus_error_to_kind (mapped), ==, kind);
      if (code != HV_RPC_ERROR_FAILED)
        g_assert_cmpint (mapped, !=, DOMUS_ERROR_FAILED);
    }
  g_assert_cmpint (domus_error_from_kind ("a-kind-from-the-future"), ==, DOMUS_ERROR_FAILED);
  g_assert_null (domus_error_to_kind (DOMUS_ERROR_CLOSED));

  {
    g_autoptr(GError) foreign = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "x");

    g_assert_cmpstr (hv_rpc_error_get_kind (foreign), ==, "failed");
    g_assert_cmpint (hv_rpc_error_get_code (foreign), ==, 1000);
  }
}

static void
test_closed (Fixture       *fixture,
             gconstpointer  data)
{
  CallResult pending = { 0 };
  CallResult late = { 0 };
  Closed closed = { 0 };
  g_autoptr(JsonNode) params = test_parse_json ("{\"delay_ms\": 5000, \"value\": 1}");

  g_signal_connect (fixture->client, "closed", G_CALLBACK (on_closed), &closed);
  domus_connection_call_async (fixture->client, "delayed", params, NULL, on_call_done, &pending);
  /* Let the request reach the server, then the server drops us. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_false (pending.done);
  hv_rpc_peer_close (fixture->peer);

  test_wait_until (&pending.done);
  g_assert_error (pending.error, DOMUS_ERROR, DOMUS_ERROR_CLOSED);
  g_assert_true (closed.closed);
  g_assert_error (closed.reason, DOMUS_ERROR, DOMUS_ERROR_CLOSED);
  g_assert_true (domus_connection_is_closed (fixture->client));
  g_assert_cmpuint (hv_rpc_server_get_n_peers (fixture->server), ==, 0);

  call_sync (fixture->client, "echo", NULL, &late);
  g_assert_error (late.error, DOMUS_ERROR, DOMUS_ERROR_CLOSED);

  call_result_clear (&pending);
  call_result_clear (&late);
  g_clear_error (&closed.reason);
  /* The delayed answer still fires later; the server drops it quietly. */
}

static void
test_cancel (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(JsonNode) params = test_parse_json ("{\"delay_ms\": 50, \"value\": 1}");
  CallResult cancelled = { 0 };
  CallResult after = { 0 };

  domus_connection_call_async (fixture->client, "delayed", params, cancellable,
                               on_call_done, &cancelled);
  g_cancellable_cancel (cancellable);
  test_wait_until (&cancelled.done);
  g_assert_error (cancelled.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* The answer to the cancelled call arrives and is dropped; later calls are unaffected. */
  call_sync (fixture->client, "delayed", "{\"delay_ms\": 100, \"value\": 2}", &after);
  g_assert_no_error (after.error);
  g_assert_cmpint (json_node_get_int (after.result), ==, 2);
  g_assert_false (domus_connection_is_closed (fixture->client));

  call_result_clear (&cancelled);
  call_result_clear (&after);
}

/* Tests with a raw client: lines written by hand, replies read back as text */

typedef struct {
  GIOStream        *stream;
  GDataInputStream *input;
  GOutputStream    *output;
} RawClient;

typedef struct {
  HvRpcServer *server;
  RawClient    raw;
} RawFixture;

static void
raw_fixture_set_up (RawFixture    *fixture,
                    gconstpointer  data)
{
  g_autoptr(GIOStream) server_end = NULL;

  test_stream_pair (&server_end, &fixture->raw.stream);
  fixture->server = new_test_server ();
  hv_rpc_server_add_stream (fixture->server, server_end);
  fixture->raw.input = g_data_input_stream_new (g_io_stream_get_input_stream (fixture->raw.stream));
  fixture->raw.output = g_io_stream_get_output_stream (fixture->raw.stream);
}

static void
raw_fixture_tear_down (RawFixture    *fixture,
                       gconstpointer  data)
{
  hv_rpc_server_stop (fixture->server);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&fixture->server);
  g_clear_object (&fixture->raw.input);
  g_clear_object (&fixture->raw.stream);
}

typedef struct {
  gboolean  done;
  char     *line;
} LineRead;

static void
on_write_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error);
  g_assert_no_error (error);
  *done = TRUE;
}

/* Writes asynchronously: the server reads in this same main loop. */
static void
raw_write (RawClient  *raw,
           const char *data,
           gsize       length)
{
  gboolean done = FALSE;

  g_output_stream_write_all_async (raw->output, data, length, G_PRIORITY_DEFAULT, NULL,
                                   on_write_done, &done);
  test_wait_until (&done);
}

static void
raw_send (RawClient  *raw,
          const char *line)
{
  g_autofree char *text = g_strconcat (line, "\n", NULL);

  raw_write (raw, text, strlen (text));
}

static void
on_line_read (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  LineRead *read = user_data;
  g_autoptr(GError) error = NULL;

  read->line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), result, NULL, &error);
  g_assert_no_error (error);
  read->done = TRUE;
}

/* The next reply, parsed; it must be an object. */
static JsonObject *
raw_receive (RawClient *raw)
{
  LineRead read = { 0 };
  g_autoptr(JsonNode) node = NULL;

  g_data_input_stream_read_line_async (raw->input, G_PRIORITY_DEFAULT, NULL, on_line_read, &read);
  test_wait_until (&read.done);
  g_assert_nonnull (read.line);
  node = test_parse_json (read.line);
  g_free (read.line);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

/* Checks an error reply: its id (-1 for null), code and kind. */
static void
assert_error_reply (JsonObject *reply,
                    gint64      id,
                    gint64      code,
                    const char *kind)
{
  JsonObject *error;
  JsonNode *id_node = json_object_get_member (reply, "id");

  g_assert_cmpstr (json_object_get_string_member (reply, "jsonrpc"), ==, "2.0");
  g_assert_nonnull (id_node);
  if (id < 0)
    g_assert_true (JSON_NODE_HOLDS_NULL (id_node));
  else
    g_assert_cmpint (json_node_get_int (id_node), ==, id);
  g_assert_false (json_object_has_member (reply, "result"));
  error = json_object_get_object_member (reply, "error");
  g_assert_nonnull (error);
  g_assert_cmpint (json_object_get_int_member (error, "code"), ==, code);
  g_assert_cmpstr (json_object_get_string_member (error, "message"), !=, "");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (error, "data"), "kind"),
                   ==, kind);
}

static void
assert_result_reply (JsonObject *reply,
                     gint64      id)
{
  g_assert_cmpint (json_object_get_int_member (reply, "id"), ==, id);
  g_assert_true (json_object_has_member (reply, "result"));
  g_assert_false (json_object_has_member (reply, "error"));
}

static void
test_malformed (RawFixture    *fixture,
                gconstpointer  data)
{
  RawClient *raw = &fixture->raw;
  static const struct {
    const char *line;
    gint64      id;
    gint64      code;
    const char *kind;
  } bad[] = {
    { "this is not json",                                       -1, -32700, "parse-error" },
    { "{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": ",         -1, -32700, "parse-error" },
    { "[{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"echo\"}]", -1, -32600, "invalid-request" },
    { "42",                                                     -1, -32600, "invalid-request" },
    { "{\"jsonrpc\": \"2.0\", \"id\": 2}",                       2, -32600, "invalid-request" },
    { "{\"jsonrpc\": \"1.0\", \"id\": 3, \"method\": \"echo\"}",  3, -32600, "invalid-request" },
    { "{\"id\": 4, \"method\": \"echo\"}",                        4, -32600, "invalid-request" },
    { "{\"jsonrpc\": \"2.0\", \"id\": 5, \"method\": 7}",         5, -32600, "invalid-request" },
    { "{\"jsonrpc\": \"2.0\", \"id\": {\"a\": 1}, \"method\": \"echo\"}", -1, -32600, "invalid-request" },
    { "{\"jsonrpc\": \"2.0\", \"id\": 6, \"method\": \"echo\", \"params\": 3}", 6, -32600, "invalid-request" },
    { "{\"jsonrpc\": \"2.0\", \"id\": 7, \"method\": \"nope\"}",  7, -32601, "method-not-found" },
    /* Refused before json-glib sees them: its recursion, its truncation, its wrapping. */
    { "{\"jsonrpc\": \"2.0\", \"id\": 9, \"method\": \"echo\", \"params\": {\"a\": "
      "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
      "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
                                                                -1, -32700, "parse-error" },
    { "{\"jsonrpc\": \"2.0\", \"id\": 18446744073709551615, \"method\": \"echo\"}",
                                                                -1, -32600, "invalid-request" },
    { "{\"jsonrpc\": \"2.0\", \"id\": 10, \"method\": \"echo\", \"params\": {\"name\": \"a\\u0000b\"}}",
                                                                -1, -32600, "invalid-request" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(JsonObject) reply = NULL;

      raw_send (raw, bad[i].line);
      reply = raw_receive (raw);
      assert_error_reply (reply, bad[i].id, bad[i].code, bad[i].kind);
    }

  /* Blank lines and a notification (no id) get no reply at all: the next reply is id 8's. */
  raw_send (raw, "");
  raw_send (raw, "  \r");
  raw_send (raw, "{\"jsonrpc\": \"2.0\", \"method\": \"echo\"}");
  raw_send (raw, "{\"jsonrpc\": \"2.0\", \"method\": \"nope\"}");
  raw_send (raw, "{\"jsonrpc\": \"2.0\", \"id\": 8, \"method\": \"echo\", \"params\": {\"ok\": true}}\r");
  {
    g_autoptr(JsonObject) reply = raw_receive (raw);

    assert_result_reply (reply, 8);
    g_assert_true (json_object_get_boolean_member (json_object_get_object_member (reply, "result"), "ok"));
  }

  /* String ids come back as strings. */
  raw_send (raw, "{\"jsonrpc\": \"2.0\", \"id\": \"abc\", \"method\": \"echo\"}");
  {
    g_autoptr(JsonObject) reply = raw_receive (raw);

    g_assert_cmpstr (json_object_get_string_member (reply, "id"), ==, "abc");
  }
}

/* A request of exactly length bytes, padded with a string member. */
static char *
padded_request (gint64 id,
                gsize  length)
{
  g_autofree char *head = g_strdup_printf ("{\"jsonrpc\":\"2.0\",\"id\":%" G_GINT64_FORMAT
                                           ",\"method\":\"echo\",\"params\":{\"pad\":\"", id);
  const char *tail = "\"}}";
  gsize pad = length - strlen (head) - strlen (tail);
  GString *text = g_string_sized_new (length + 1);

  g_string_append (text, head);
  for (gsize i = 0; i < pad; i++)
    g_string_append_c (text, 'x');
  g_string_append (text, tail);
  g_assert_cmpuint (text->len, ==, length);
  return g_string_free (text, FALSE);
}

static void
test_oversized (RawFixture    *fixture,
                gconstpointer  data)
{
  RawClient *raw = &fixture->raw;
  g_autofree char *at_limit = padded_request (1, HV_RPC_MAX_MESSAGE_SIZE);
  g_autofree char *over_limit = padded_request (2, HV_RPC_MAX_MESSAGE_SIZE + 1);
  gsize huge_length = 3 * HV_RPC_MAX_MESSAGE_SIZE + 12345;
  g_autofree char *huge = g_malloc (huge_length + 1);
  g_autoptr(JsonObject) reply = NULL;

  /* Exactly the limit is fine, and answered. */
  raw_send (raw, at_limit);
  reply = raw_receive (raw);
  assert_result_reply (reply, 1);
  g_clear_pointer (&reply, json_object_unref);

  /* One byte more is refused, with id null: the server never read the id. */
  raw_send (raw, over_limit);
  reply = raw_receive (raw);
  assert_error_reply (reply, -1, -32000, "message-too-large");
  g_clear_pointer (&reply, json_object_unref);

  /* Megabytes without a newline, written in pieces: one error, once the line ends. */
  memset (huge, 'x', huge_length);
  raw_write (raw, huge, huge_length / 2);
  raw_write (raw, huge, huge_length - huge_length / 2);
  raw_send (raw, "");
  reply = raw_receive (raw);
  assert_error_reply (reply, -1, -32000, "message-too-large");
  g_clear_pointer (&reply, json_object_unref);

  /* And the connection carries on. */
  raw_send (raw, "{\"jsonrpc\": \"2.0\", \"id\": 3, \"method\": \"echo\"}");
  reply = raw_receive (raw);
  assert_result_reply (reply, 3);
  g_assert_cmpuint (hv_rpc_server_get_n_peers (fixture->server), ==, 1);
}

/* The server ends the connection only after answering a client that stopped sending. */
static void
test_half_close (RawFixture    *fixture,
                 gconstpointer  data)
{
  RawClient *raw = &fixture->raw;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = NULL;
  LineRead read = { 0 };
  GSocket *socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (raw->stream));

  raw_send (raw, "{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"delayed\", "
                 "\"params\": {\"delay_ms\": 50, \"value\": 9}}");
  g_socket_shutdown (socket, FALSE, TRUE, &error);
  g_assert_no_error (error);

  reply = raw_receive (raw);
  assert_result_reply (reply, 1);
  g_assert_cmpint (json_object_get_int_member (reply, "result"), ==, 9);

  /* Then end of stream. */
  g_data_input_stream_read_line_async (raw->input, G_PRIORITY_DEFAULT, NULL, on_line_read, &read);
  test_wait_until (&read.done);
  g_assert_null (read.line);
  g_assert_cmpuint (hv_rpc_server_get_n_peers (fixture->server), ==, 0);
}

/* A last request without its newline, then the end of the client's output: still answered. */
static void
test_last_line (RawFixture    *fixture,
                gconstpointer  data)
{
  RawClient *raw = &fixture->raw;
  const char *request = "{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"echo\", \"params\": {\"x\": 1}}";
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = NULL;
  GSocket *socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (raw->stream));

  raw_write (raw, request, strlen (request));
  g_socket_shutdown (socket, FALSE, TRUE, &error);
  g_assert_no_error (error);

  reply = raw_receive (raw);
  assert_result_reply (reply, 1);
}

static gboolean
on_timeout_set_flag (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* A client that closes while its request is being worked out is dropped at once. */
static void
test_hangup (RawFixture    *fixture,
             gconstpointer  data)
{
  RawClient *raw = &fixture->raw;
  g_autoptr(GError) error = NULL;
  gboolean answered = FALSE;
  gint64 start = g_get_monotonic_time ();

  raw_send (raw, "{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"delayed\", "
                 "\"params\": {\"delay_ms\": 2000, \"value\": 9}}");
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (hv_rpc_server_get_n_peers (fixture->server), ==, 1);

  g_io_stream_close (raw->stream, NULL, &error);
  g_assert_no_error (error);
  while (hv_rpc_server_get_n_peers (fixture->server) > 0)
    g_main_context_iteration (NULL, TRUE);
  /* Long before the answer. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 1500 * G_TIME_SPAN_MILLISECOND);

  /* The late answer goes nowhere, quietly. */
  g_timeout_add (2100, on_timeout_set_flag, &answered);
  test_wait_until (&answered);
}

/* A hostile daemon's 100,000 "[" end the connection with a reason, not the client. */
static void
test_client_too_deep (void)
{
  g_autoptr(GIOStream) daemon_end = NULL;
  g_autoptr(GIOStream) client_end = NULL;
  g_autoptr(DomusConnection) client = NULL;
  g_autofree char *line = g_strnfill (100001, '[');
  CallResult call = { 0 };
  Closed closed = { 0 };

  test_stream_pair (&daemon_end, &client_end);
  client = domus_connection_new (client_end);
  g_signal_connect (client, "closed", G_CALLBACK (on_closed), &closed);
  domus_connection_call_async (client, "hello", NULL, NULL, on_call_done, &call);

  line[100000] = '\n';
  g_output_stream_write_all_async (g_io_stream_get_output_stream (daemon_end), line, 100001,
                                   G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  test_wait_until (&call.done);
  g_assert_error (call.error, DOMUS_ERROR, DOMUS_ERROR_CLOSED);
  g_assert_true (closed.closed);
  g_assert_error (closed.reason, DOMUS_ERROR, DOMUS_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (closed.reason->message, "128"));

  call_result_clear (&call);
  g_clear_error (&closed.reason);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* Listening on a real socket path, and the URI helper */

typedef struct {
  gboolean         done;
  DomusConnection *connection;
  GError          *error;
} Connected;

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Connected *connected = user_data;

  connected->connection = domus_connection_connect_finish (result, &connected->error);
  connected->done = TRUE;
}

static void
connect_sync (const char *uri,
              Connected  *connected)
{
  domus_connection_connect_async (uri, NULL, on_connected, connected);
  test_wait_until (&connected->done);
}

static void
test_listen_on_unix_path (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HvRpcServer) server = new_test_server ();
  g_autofree char *dir = g_dir_make_tmp ("test-rpc-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autofree char *uri = NULL;
  Connected connected = { 0 };
  CallResult call = { 0 };
  struct stat info;

  g_assert_no_error (error);
  path = g_build_filename (dir, "test.sock", NULL);
  uri = g_strconcat ("unix:", path, NULL);

  g_assert_true (hv_rpc_server_listen_unix (server, path, 0600, &error));
  g_assert_no_error (error);
  g_assert_no_errno (g_stat (path, &info));
  g_assert_true (S_ISSOCK (info.st_mode));
  g_assert_cmpint (info.st_mode & 0777, ==, 0600);

  connect_sync (uri, &connected);
  g_assert_no_error (connected.error);
  call_sync (connected.connection, "echo", "{\"via\": \"socket\"}", &call);
  g_assert_no_error (call.error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (call.result), "via"), ==, "socket");
  call_result_clear (&call);

  domus_connection_close (connected.connection);
  hv_rpc_server_stop (server);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_clear_object (&connected.connection);
  g_assert_no_errno (g_rmdir (dir));
}

static void
test_uris (void)
{
  static const struct {
    const char *uri;
    DomusError  code;
  } cases[] = {
    { "ssh://root@example.org:22?bogus=1", DOMUS_ERROR_INVALID_URI },
    { "ssh://",                          DOMUS_ERROR_INVALID_URI },
    { "ssh://example.org/var/run/x.sock", DOMUS_ERROR_INVALID_URI },
    { "ssh://example.org?no_verify=yes", DOMUS_ERROR_INVALID_URI },
    { "http://example.org/",             DOMUS_ERROR_INVALID_URI },
    { "unix:",                           DOMUS_ERROR_INVALID_URI },
    { "unix:/nonexistent/domusd.sock",   DOMUS_ERROR_CONNECT_FAILED },
    { "unix:///nonexistent/domusd.sock", DOMUS_ERROR_CONNECT_FAILED },
  };
  g_autofree char *default_path = domus_connection_get_default_socket_path ();
  g_autofree char *expanded = domus_connection_expand_uri (NULL);
  g_autofree char *expanded_empty = domus_connection_expand_uri ("");

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      Connected connected = { 0 };

      connect_sync (cases[i].uri, &connected);
      g_assert_null (connected.connection);
      g_assert_error (connected.error, DOMUS_ERROR, (gint) cases[i].code);
      g_clear_error (&connected.error);
    }

  g_assert_true (g_path_is_absolute (default_path));
  g_assert_true (g_str_has_suffix (default_path, "/domus/domusd.sock"));
  g_assert_cmpstr (expanded, ==, "local");
  g_assert_cmpstr (expanded_empty, ==, "local");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/rpc/call", Fixture, NULL, fixture_set_up, test_call, fixture_tear_down);
  g_test_add ("/rpc/outstanding", Fixture, NULL, fixture_set_up, test_outstanding, fixture_tear_down);
  g_test_add ("/rpc/notifications", Fixture, NULL, fixture_set_up, test_notifications, fixture_tear_down);
  g_test_add ("/rpc/error-kinds", Fixture, NULL, fixture_set_up, test_error_kinds, fixture_tear_down);
  g_test_add ("/rpc/closed", Fixture, NULL, fixture_set_up, test_closed, fixture_tear_down);
  g_test_add ("/rpc/cancel", Fixture, NULL, fixture_set_up, test_cancel, fixture_tear_down);
  g_test_add ("/rpc/framing/malformed", RawFixture, NULL, raw_fixture_set_up, test_malformed, raw_fixture_tear_down);
  g_test_add ("/rpc/framing/oversized", RawFixture, NULL, raw_fixture_set_up, test_oversized, raw_fixture_tear_down);
  g_test_add ("/rpc/framing/half-close", RawFixture, NULL, raw_fixture_set_up, test_half_close, raw_fixture_tear_down);
  g_test_add ("/rpc/framing/last-line", RawFixture, NULL, raw_fixture_set_up, test_last_line, raw_fixture_tear_down);
  g_test_add ("/rpc/framing/hangup", RawFixture, NULL, raw_fixture_set_up, test_hangup, raw_fixture_tear_down);
  g_test_add_func ("/rpc/client-too-deep", test_client_too_deep);
  g_test_add_func ("/rpc/kind-tables", test_kind_tables);
  g_test_add_func ("/rpc/listen-unix", test_listen_on_unix_path);
  g_test_add_func ("/rpc/uris", test_uris);

  return g_test_run ();
}
