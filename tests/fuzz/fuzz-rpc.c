/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer entry point for the daemon's dispatcher: a real HvDaemon under a temporary
 * --root answers one request per input over a socketpair. The first byte picks the method
 * (every one the daemon registers), the rest is the params text, pasted in as it is.
 *
 * What must hold: the daemon answers (a reply with the request's id, or an "id": null error
 * when the line is not a request), and once the client is gone nothing of it is left. No
 * guest or long job starts: QEMU is /bin/false, the demo guest's build script does not
 * exist. Run it without a network (`unshare -n`, as .ci/run does): the methods take host
 * names and addresses.
 */

#include "config.h"

#include <string.h>
#include <sys/socket.h>
#include <gio/gio.h>

#include "domus-json-stream.h"
#include "fuzz-util.h"
#include "hv-daemon.h"

#define REQUEST_ID   7
/* A request that waits longer than this was forgotten, not slow (nothing here is slow). */
#define ANSWER_LIMIT_MS 20000

static HvDaemon *daemon_under_test;
static GStrv     methods;
static guint     n_methods;

typedef struct {
  gboolean answered;
  gboolean closed;
} Client;

static void
on_started (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!hv_daemon_start_finish (HV_DAEMON (source), result, &error))
    g_error ("the daemon did not start: %s", error->message);
  *(gboolean *) user_data = TRUE;
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *root = NULL;
  g_autoptr(HvPaths) paths = NULL;
  g_autoptr(HvDaemonConfig) config = hv_daemon_config_new ();
  HvDaemonOptions options;
  gboolean started = FALSE;

  fuzz_init_logging ();
  g_setenv ("DOMUS_GUEST_SCRIPT", "/nonexistent/domus-fuzz/build-guest.sh", TRUE);
  root = g_dir_make_tmp ("domus-fuzz-rpc-XXXXXX", &error);
  g_assert_no_error (error);
  paths = hv_paths_new_root (root);

  hv_daemon_options_init (&options);
  options.accel = HV_DAEMON_ACCEL_TCG;
  options.qemu_binary = "/bin/false";
  options.stats_interval_ms = 60000;
  daemon_under_test = hv_daemon_new (paths, "fuzzhost", &options);
  hv_daemon_set_config (daemon_under_test, config);
  /* Every input is a client of its own, most of them silent until their line is written. */
  hv_rpc_server_set_client_limits (hv_daemon_get_server (daemon_under_test), 64, 0);
  hv_daemon_start_async (daemon_under_test, NULL, on_started, &started);
  g_assert (fuzz_iterate_until (&started, 60000));

  methods = hv_rpc_server_dup_method_names (hv_daemon_get_server (daemon_under_test));
  n_methods = g_strv_length (methods);
  g_assert (n_methods > 0);
  return 0;
}

static void
on_message (DomusJsonStream *stream,
            JsonNode        *value,
            Client          *client)
{
  JsonObject *message;
  JsonNode *id;

  g_assert (JSON_NODE_HOLDS_OBJECT (value));
  message = json_node_get_object (value);
  id = json_object_get_member (message, "id");
  if (id == NULL)
    return;     /* a notification: domain.event, stats.sample */
  /* Our request's answer, or the daemon could not read it as one. */
  g_assert (JSON_NODE_HOLDS_NULL (id) || json_node_get_int (id) == REQUEST_ID);
  g_assert (json_object_has_member (message, "result") != json_object_has_member (message, "error"));
  g_assert (!JSON_NODE_HOLDS_NULL (id) || json_object_has_member (message, "error"));
  g_assert (!client->answered);
  client->answered = TRUE;
}

/* The daemon's every line is JSON (a message with a stray byte of UTF-8 once was not). */
static void
on_bad_line (DomusJsonStream *stream,
             const GError    *error,
             Client          *client)
{
  g_error ("the daemon sent a line its clients cannot read: %s", error->message);
}

static void
on_closed (DomusJsonStream *stream,
           const GError    *error,
           Client          *client)
{
  client->closed = TRUE;
}

static GIOStream *
stream_from_fd (int fd)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = g_socket_new_from_fd (fd, &error);

  g_assert_no_error (error);
  return G_IO_STREAM (g_socket_connection_factory_create_connection (socket));
}

static GString *
request_line (const guint8 *data,
              size_t        size)
{
  GString *line = g_string_new (NULL);

  g_string_append_printf (line, "{\"jsonrpc\": \"2.0\", \"id\": %d, \"method\": \"%s\", \"params\": ",
                          REQUEST_ID, methods[data[0] % n_methods]);
  /* One line, one request: the fuzzer's newlines would make several. */
  for (size_t i = 1; i < size; i++)
    g_string_append_c (line, data[i] == '\n' || data[i] == '\r' ? ' ' : (char) data[i]);
  g_string_append (line, "}\n");
  return line;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  HvRpcServer *server = hv_daemon_get_server (daemon_under_test);
  g_autoptr(GIOStream) daemon_end = NULL;
  g_autoptr(GIOStream) client_end = NULL;
  g_autoptr(DomusJsonStream) client_stream = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) line = NULL;
  Client client = { 0 };
  guint peers_before = hv_rpc_server_get_n_peers (server);
  int fds[2];

  if (size == 0 || size > 64 * 1024)
    return 0;
  g_assert (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
  daemon_end = stream_from_fd (fds[0]);
  client_end = stream_from_fd (fds[1]);
  hv_rpc_server_add_stream (server, daemon_end);

  client_stream = domus_json_stream_new (client_end, 64 * 1024 * 1024, 64 * 1024 * 1024);
  g_signal_connect (client_stream, "message", G_CALLBACK (on_message), &client);
  g_signal_connect (client_stream, "bad-line", G_CALLBACK (on_bad_line), &client);
  g_signal_connect (client_stream, "closed", G_CALLBACK (on_closed), &client);
  domus_json_stream_start (client_stream);

  line = request_line (data, size);
  /* All of it, zero bytes included: they are the daemon's to refuse. */
  g_output_stream_write_all (g_io_stream_get_output_stream (client_end), line->str, line->len,
                             NULL, NULL, &error);
  g_assert_no_error (error);

  if (!fuzz_iterate_until (&client.answered, ANSWER_LIMIT_MS))
    g_error ("%s was not answered: %s", methods[data[0] % n_methods], line->str);

  /* The client leaves: the daemon lets go of it at once, whatever it still works on. */
  domus_json_stream_close (client_stream);
  fuzz_iterate_until (&client.closed, 1000);
  for (guint i = 0; i < 1000 && hv_rpc_server_get_n_peers (server) > peers_before; i++)
    {
      fuzz_iterate_pending ();
      g_usleep (1000);
    }
  g_assert (hv_rpc_server_get_n_peers (server) == peers_before);
  return 0;
}
