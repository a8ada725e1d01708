/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DomusHost and DomusDomain against a scripted daemon on a Unix socket in this process. */

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <json-glib/json-glib.h>

#include "domus-daemon-driver.h"
#include "domus-host.h"
#include "domus-host-private.h"
#include "test-util.h"

#define RETRY_MS           10
/* The first sample of the canned history. */
#define T0                 G_GINT64_CONSTANT (1795862400000000)
#define SECOND             G_GINT64_CONSTANT (1000000)

/* The fake daemon */

typedef struct _Fake Fake;

typedef struct {
  Fake              *fake;
  GSocketConnection *connection;
  GDataInputStream  *input;
  GCancellable      *cancellable;
} FakeClient;

struct _Fake
{
  char           *dir;
  char           *path;
  char           *uri;
  GSocketService *service;
  gboolean        listening;
  GPtrArray      *clients;        /* FakeClient: open connections */
  guint           accepted;
  GPtrArray      *requests;       /* JsonObject: every request, in order */

  JsonArray      *domains;        /* domain.list's answer, Domain-0 and all */
  GHashTable     *get;            /* name -> JsonObject: domain.get's answers */
  JsonObject     *stats;          /* stats.get's answer */
  gint64          interval_ms;    /* stats.subscribe's */
  char           *fail_method;    /* answered with fail_kind */
  char           *fail_kind;
  JsonArray      *images;         /* image.list's */
  char           *capabilities;   /* hello's, as JSON */
  guint           hold;           /* > 0: from domain.list on, this many answers are held */
  GPtrArray      *held;           /* JsonObject: replies held back */
};

static JsonObject *
parse_object (const char *text)
{
  g_autoptr(JsonNode) node = test_parse_json (text);

  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

static void
fake_client_free (FakeClient *client)
{
  g_cancellable_cancel (client->cancellable);
  g_io_stream_close (G_IO_STREAM (client->connection), NULL, NULL);
  g_object_unref (client->cancellable);
  g_object_unref (client->input);
  g_object_unref (client->connection);
  g_free (client);
}

static void
fake_send (Fake       *fake,
           JsonObject *message)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), message);
  g_autofree char *text = json_to_string (node, FALSE);
  g_autofree char *line = g_strconcat (text, "\n", NULL);

  for (guint i = 0; i < fake->clients->len; i++)
    {
      FakeClient *client = g_ptr_array_index (fake->clients, i);
      GOutputStream *output = g_io_stream_get_output_stream (G_IO_STREAM (client->connection));
      g_autoptr(GError) error = NULL;

      g_output_stream_write_all (output, line, strlen (line), NULL, NULL, &error);
      g_assert_no_error (error);
    }
}

/* Sends a notification to every client; params is JSON text. */
static void
fake_notify (Fake       *fake,
             const char *method,
             const char *params)
{
  g_autoptr(JsonObject) message = json_object_new ();

  json_object_set_string_member (message, "jsonrpc", "2.0");
  json_object_set_string_member (message, "method", method);
  json_object_set_member (message, "params", test_parse_json (params));
  fake_send (fake, message);
}

static void
fake_event (Fake       *fake,
            const char *name,
            gint64      id,
            const char *state,
            const char *flags,
            const char *reason)
{
  g_autofree char *params = NULL;
  g_autofree char *id_text = id >= 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, id) : g_strdup ("null");

  params = g_strdup_printf ("{\"name\": \"%s\", \"id\": %s, \"state\": \"%s\", \"flags\": \"%s\", \"reason\": \"%s\"}",
                            name, id_text, state, flags, reason);
  fake_notify (fake, "domain.event", params);
}

static JsonNode *
take_object (JsonObject *object)
{
  JsonNode *node = json_node_alloc ();

  json_node_take_object (node, object);
  return node;
}

static JsonNode *
fake_answer (Fake       *fake,
             const char *method,
             JsonObject *params,
             const char **error_kind)
{
  if (g_strcmp0 (method, fake->fail_method) == 0)
    {
      *error_kind = fake->fail_kind;
      return NULL;
    }
  if (g_str_equal (method, "hello"))
    {
      g_autofree char *text = g_strdup_printf (
        "{\"protocol\": 1, \"name\": \"testhost\", \"version\": \"0.1.0\", \"mode\": \"session\","
        " \"hypervisor\": \"qemu\", \"qemu_version\": \"7.2.22\", \"accelerator\": \"tcg\","
        " \"accelerator_probed\": false, \"accelerator_detail\": \"chosen by DOMUS_ACCEL=tcg\","
        " \"tb_size_mib\": 32, \"network\": \"user\", \"capabilities\": %s,"
        " \"pid\": 4242, \"cpus\": 4, \"memory_mib\": 8192}", fake->capabilities);

      return test_parse_json (text);
    }
  if (g_str_equal (method, "image.list"))
    {
      JsonObject *result = json_object_new ();

      json_object_set_string_member (result, "dir", "/srv/images");
      json_object_set_array_member (result, "images", json_array_ref (fake->images));
      return take_object (result);
    }
  if (g_str_equal (method, "image.create") || g_str_equal (method, "image.clone"))
    {
      const char *name = json_object_get_string_member (params, "name");
      g_autofree char *text = g_strdup_printf (
        "{\"name\": \"%s\", \"path\": \"/srv/images/%s\", \"format\": \"%s\", \"size_bytes\": %" G_GINT64_FORMAT ","
        " \"allocated_bytes\": 4096, \"used_by\": []}", name, name,
        json_object_get_string_member_with_default (params, "format", "qcow2"),
        json_object_get_int_member_with_default (params, "size_bytes", 1024));

      return test_parse_json (text);
    }
  if (g_str_equal (method, "domain.get_config"))
    return test_parse_json ("{\"config\": \"name = 'zeta'\\nmemory = 256\\n\", \"path\": \"/srv/domains/zeta.cfg\"}");
  if (g_str_equal (method, "domain.set_values"))
    return test_parse_json ("{\"config\": \"name = 'zeta'\\nmemory = 512\\n\"}");
  if (g_str_equal (method, "domain.define"))
    return test_parse_json ("{\"name\": \"made\", \"config\": \"/srv/domains/made.cfg\"}");
  if (g_str_equal (method, "domain.create") || g_str_equal (method, "domain.start"))
    return test_parse_json ("{\"name\": \"made\", \"id\": 9, \"notices\": [\"made.cfg:4: vif: bridge is not used\"]}");
  if (g_str_equal (method, "domain.dump"))
    return test_parse_json ("{\"path\": \"/srv/dumps/zeta.core\", \"size_bytes\": 268435456}");
  if (g_str_equal (method, "demo.prepare"))
    return test_parse_json ("{\"name\": \"demo-2\", \"kernel\": \"/k\", \"ramdisk\": \"/r\", \"config\": \"name = 'demo-2'\\n\"}");
  if (g_str_equal (method, "domain.save"))
    return test_parse_json ("{\"file\": \"/srv/save/zeta-20261207-170000.save\", \"size_bytes\": 1048576}");
  if (g_str_equal (method, "domain.restore"))
    return test_parse_json ("{\"name\": \"zeta\", \"id\": 12}");
  if (g_str_equal (method, "domain.snapshot.list"))
    /* The second has no name: left out, not a hole in the list. */
    return test_parse_json ("{\"snapshots\": ["
                  " {\"name\": \"before\", \"date\": 1796000000, \"memory\": false, \"vm_state_bytes\": 0,"
                  "  \"guest_clock_ns\": 0},"
                  " {\"date\": 1796000100, \"memory\": true},"
                  " {\"name\": \"live\", \"date\": 1796000200, \"memory\": true, \"vm_state_bytes\": 8388608,"
                  "  \"guest_clock_ns\": 3500000000}]}");
  if (g_str_equal (method, "domain.clone"))
    return test_parse_json ("{\"name\": \"copy\", \"images\": [\"/srv/images/copy.qcow2\", \"/srv/images/copy-disk1.img\"]}");
  if (g_str_equal (method, "image.debian"))
    {
      /* Before the answer, as the daemon sends them: another guest's, and a stage not known here going back. */
      fake_notify (fake, "image.progress", "{\"name\": \"other\", \"stage\": \"seed\", \"percent\": 90}");
      fake_notify (fake, "image.progress", "{\"name\": \"made\", \"stage\": \"checking\", \"percent\": 0}");
      fake_notify (fake, "image.progress", "{\"name\": \"made\", \"stage\": \"bootstrapping\", \"percent\": 40}");
      fake_notify (fake, "image.progress", "{\"name\": \"made\", \"stage\": \"polishing\", \"percent\": 30}");
      fake_notify (fake, "image.progress", "{\"name\": \"made\", \"stage\": \"done\", \"percent\": 100}");
      return test_parse_json ("{\"name\": \"made\", \"disk\": \"/srv/images/made.qcow2\", \"seed\": \"/srv/images/made-seed.iso\","
                    " \"base\": \"/srv/images/debian-bookworm-base.qcow2\", \"base_built\": true, \"ssh_port\": 2222}");
    }
  if (g_str_equal (method, "image.cloud"))
    return test_parse_json ("{\"name\": \"cloudy\", \"disk\": \"/srv/images/cloudy.qcow2\", \"seed\": \"/srv/images/cloudy-seed.iso\","
                  " \"image\": \"/srv/images/generic.qcow2\", \"cloud_init\": \"unknown\","
                  " \"cloud_init_detail\": \"an XFS file system\", \"ssh_port\": 2223}");
  if (g_str_equal (method, "host.bridges"))
    return test_parse_json ("{\"network\": \"user\", \"bridges\": [\"br0\", \"virbr1\"]}");
  if (g_str_equal (method, "domain.list"))
    {
      JsonObject *result = json_object_new ();

      json_object_set_array_member (result, "domains", json_array_ref (fake->domains));
      return take_object (result);
    }
  if (g_str_equal (method, "domain.get"))
    {
      const char *name = params != NULL ? json_object_get_string_member_with_default (params, "name", "") : "";
      JsonObject *domain = g_hash_table_lookup (fake->get, name);

      if (domain == NULL)
        {
          *error_kind = "no-such-domain";
          return NULL;
        }
      return json_node_init_object (json_node_alloc (), domain);
    }
  if (g_str_equal (method, "stats.get"))
    return json_node_init_object (json_node_alloc (), fake->stats);
  if (g_str_equal (method, "stats.archive"))
    /* Three minutes, the middle one without a CPU figure. */
    return test_parse_json ("{\"name\": null, \"interval_s\": 60, \"points\": ["
                  " {\"time_us\": 60000000, \"cpu_percent\": [12.5, 40], \"memory_mib\": [100, 120]},"
                  " {\"time_us\": 120000000, \"memory_mib\": [110, 130]},"
                  " {\"time_us\": 180000000, \"cpu_percent\": [7.5, 9], \"memory_mib\": [90, 95]}]}");
  if (g_str_equal (method, "alerts.list"))
    return test_parse_json ("{\"alerts\": [{\"id\": 7, \"time_us\": 1795862400000000, \"kind\": \"crashed\","
                            " \"domain\": \"zeta\", \"message\": \"zeta crashed\", \"acknowledged\": false}]}");
  if (g_str_equal (method, "stats.subscribe"))
    {
      JsonObject *result = json_object_new ();

      json_object_set_int_member (result, "interval_ms", fake->interval_ms);
      return take_object (result);
    }
  /* The actions (domain.pause, …) answer {}. */
  return take_object (json_object_new ());
}

static void fake_read_next (FakeClient *client);
static void send_sample (Fake       *fake,
                         gint64      time_us,
                         double      cpu_percent,
                         gint64      disk_rd_bytes,
                         const char *net_rx_bytes);

/*
 * Keeps reply until fake->hold replies are in: only a client that sent that many calls
 * without waiting for an answer gets any. Then two live samples go first, the last of
 * stats.get's history again (taken after the subscription) and a newer one, and the
 * replies follow in reverse order: the list comes last.
 */
static void
fake_hold (Fake       *fake,
           JsonObject *reply)
{
  g_ptr_array_add (fake->held, reply);
  if (fake->held->len < fake->hold)
    return;
  fake->hold = 0;
  send_sample (fake, T0 + 2 * SECOND, 99.0, 3000, "1000");
  send_sample (fake, T0 + 3 * SECOND, 55.5, 7000, "1000");
  for (guint i = fake->held->len; i > 0; i--)
    fake_send (fake, g_ptr_array_index (fake->held, i - 1));
  g_ptr_array_set_size (fake->held, 0);
}

static void
on_fake_line (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  FakeClient *client = user_data;
  Fake *fake;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), result, NULL, &error);
  g_autoptr(JsonObject) request = NULL;
  g_autoptr(JsonObject) reply = NULL;
  JsonObject *params;
  const char *method;
  const char *error_kind = NULL;
  JsonNode *answer;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  fake = client->fake;
  if (line == NULL)
    {
      /* The client went away. */
      g_ptr_array_remove (fake->clients, client);
      return;
    }

  request = parse_object (line);
  g_ptr_array_add (fake->requests, json_object_ref (request));
  method = json_object_get_string_member (request, "method");
  params = json_object_has_member (request, "params") ? json_object_get_object_member (request, "params") : NULL;
  answer = fake_answer (fake, method, params, &error_kind);

  reply = json_object_new ();
  json_object_set_string_member (reply, "jsonrpc", "2.0");
  json_object_set_member (reply, "id", json_node_copy (json_object_get_member (request, "id")));
  if (answer != NULL)
    json_object_set_member (reply, "result", answer);
  else
    {
      g_autofree char *text = g_strdup_printf ("{\"code\": 1000, \"message\": \"scripted failure\","
                                               " \"data\": {\"kind\": \"%s\"}}", error_kind);

      json_object_set_member (reply, "error", test_parse_json (text));
    }
  if (fake->hold > 0 && (fake->held->len > 0 || g_str_equal (method, "domain.list")))
    fake_hold (fake, g_steal_pointer (&reply));
  else
    fake_send (fake, reply);
  fake_read_next (client);
}

static void
fake_read_next (FakeClient *client)
{
  g_data_input_stream_read_line_async (client->input, G_PRIORITY_DEFAULT, client->cancellable,
                                       on_fake_line, client);
}

static gboolean
on_fake_incoming (GSocketService    *service,
                  GSocketConnection *connection,
                  GObject           *source_object,
                  gpointer           user_data)
{
  Fake *fake = user_data;
  FakeClient *client = g_new0 (FakeClient, 1);

  client->fake = fake;
  client->connection = g_object_ref (connection);
  client->input = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  client->cancellable = g_cancellable_new ();
  g_ptr_array_add (fake->clients, client);
  fake->accepted++;
  fake_read_next (client);
  return TRUE;
}

static gboolean on_fake_incoming (GSocketService    *service,
                                  GSocketConnection *connection,
                                  GObject           *source_object,
                                  gpointer           user_data);

static void
fake_start_listening (Fake *fake)
{
  /* A closed listener cannot listen again: a new one, as a restarted daemon. */
  fake->service = test_listen_unix (fake->path, G_CALLBACK (on_fake_incoming), fake);
  fake->listening = TRUE;
}

/* Nobody answers at the address any more: a connect fails as with a daemon that is gone. */
static void
fake_stop_listening (Fake *fake)
{
  g_socket_service_stop (fake->service);
  g_socket_listener_close (G_SOCKET_LISTENER (fake->service));
  g_clear_object (&fake->service);
  g_unlink (fake->path);
  fake->listening = FALSE;
}

/* What the daemon would say with Domain-0, one running domain and two that are off. */
static void
fake_set_domains (Fake       *fake,
                  const char *json)
{
  g_autoptr(JsonNode) node = test_parse_json (json);

  g_clear_pointer (&fake->domains, json_array_unref);
  fake->domains = json_array_ref (json_node_get_array (node));
}

static void
fake_set_images (Fake       *fake,
                 const char *json)
{
  g_autoptr(JsonNode) node = test_parse_json (json);

  g_clear_pointer (&fake->images, json_array_unref);
  fake->images = json_array_ref (json_node_get_array (node));
}

static Fake *
fake_new (void)
{
  g_autoptr(GError) error = NULL;
  Fake *fake = g_new0 (Fake, 1);

  fake->dir = g_dir_make_tmp ("test-model-XXXXXX", &error);
  g_assert_no_error (error);
  fake->path = g_build_filename (fake->dir, "domusd.sock", NULL);
  fake->uri = g_strconcat ("unix:", fake->path, NULL);
  fake->clients = g_ptr_array_new_with_free_func ((GDestroyNotify) fake_client_free);
  fake->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  fake->held = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  fake->get = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) json_object_unref);
  fake->interval_ms = 1000;
  fake->capabilities = g_strdup ("[\"domain.get\", \"domain.list\", \"host.bridges\", \"image.list\","
                                 " \"domain.snapshot.list\", \"image.debian\"]");
  fake_set_images (fake,
    "[{\"name\": \"a.qcow2\", \"path\": \"/srv/images/a.qcow2\", \"format\": \"qcow2\","
    "  \"size_bytes\": 1073741824, \"allocated_bytes\": 196608, \"used_by\": [\"alpha\"]},"
    " {\"name\": \"b.raw\", \"path\": \"/srv/images/b.raw\", \"format\": \"raw\","
    "  \"size_bytes\": 65536, \"allocated_bytes\": 65536, \"used_by\": []}]");

  fake_set_domains (fake,
    "[{\"name\": \"Domain-0\", \"id\": 0, \"uuid\": null, \"state\": \"running\", \"flags\": \"r-----\","
    "  \"memory_mib\": 8192, \"vcpus\": 4, \"cpu_time_ns\": 3640240000000, \"cpu_time\": 3640.24, \"autostart\": true},"
    " {\"name\": \"zeta\", \"id\": 3, \"uuid\": null, \"state\": \"running\", \"flags\": \"r-----\","
    "  \"memory_mib\": 256, \"vcpus\": 1, \"cpu_time_ns\": 5000000000, \"cpu_time\": 5.0, \"autostart\": false,"
    "  \"template\": false, \"config\": \"/srv/domains/zeta.cfg\"},"
    " {\"name\": \"alpha\", \"id\": null, \"uuid\": null, \"state\": \"shutoff\", \"flags\": \"------\","
    "  \"memory_mib\": 512, \"vcpus\": 1, \"cpu_time_ns\": 0, \"cpu_time\": 0.0, \"autostart\": true,"
    "  \"tags\": [\"web\", \"prod\"], \"config\": \"/srv/domains/alpha.cfg\"},"
    " {\"name\": \"beta\", \"id\": null, \"uuid\": null, \"state\": \"invalid\", \"flags\": \"------\","
    "  \"memory_mib\": null, \"vcpus\": null, \"cpu_time_ns\": 0, \"cpu_time\": 0.0, \"autostart\": false,"
    "  \"config\": \"/srv/domains/beta.cfg\", \"error\": \"/srv/domains/beta.cfg:3:10: memory: not a number\"}]");

  /* Three samples a second apart; zeta reads 1000 then 2000 bytes more. */
  fake->stats = parse_object (
    "{\"interval_ms\": 1000, \"samples\": ["
    " {\"time_us\": 1795862400000000,"
    "  \"host\": {\"cpu_percent\": 10.0, \"memory_mib\": 8192, \"memory_used_mib\": 1000, \"load\": [0.1, 0.2, 0.3]},"
    "  \"domains\": [{\"name\": \"zeta\", \"id\": 3, \"cpu_percent\": 4.0, \"cpu_time_ns\": 4000000000,"
    "    \"memory_mib\": 256, \"rss_mib\": 300, \"disk_rd_bytes\": 0, \"disk_wr_bytes\": 0,"
    "    \"disk_rd_ops\": 0, \"disk_wr_ops\": 0, \"net_rx_bytes\": null, \"net_tx_bytes\": null}]},"
    " {\"time_us\": 1795862401000000,"
    "  \"host\": {\"cpu_percent\": 30.0, \"memory_mib\": 8192, \"memory_used_mib\": 1100, \"load\": [0.2, 0.2, 0.3]},"
    "  \"domains\": [{\"name\": \"zeta\", \"id\": 3, \"cpu_percent\": 12.5, \"cpu_time_ns\": 4500000000,"
    "    \"memory_mib\": 256, \"rss_mib\": 310, \"disk_rd_bytes\": 1000, \"disk_wr_bytes\": 500,"
    "    \"disk_rd_ops\": 1, \"disk_wr_ops\": 1, \"net_rx_bytes\": null, \"net_tx_bytes\": null}]},"
    " {\"time_us\": 1795862402000000,"
    "  \"host\": {\"cpu_percent\": 20.0, \"memory_mib\": 8192, \"memory_used_mib\": 1200, \"load\": [0.5, 0.2, 0.3]},"
    "  \"domains\": [{\"name\": \"zeta\", \"id\": 3, \"cpu_percent\": 8.0, \"cpu_time_ns\": 5000000000,"
    "    \"memory_mib\": 256, \"rss_mib\": 320, \"disk_rd_bytes\": 3000, \"disk_wr_bytes\": 500,"
    "    \"disk_rd_ops\": 2, \"disk_wr_ops\": 1, \"net_rx_bytes\": null, \"net_tx_bytes\": null}]}]}");

  fake_start_listening (fake);
  return fake;
}

/* Drops every client, as a daemon that exits. */
static void
fake_close_clients (Fake *fake)
{
  g_ptr_array_set_size (fake->clients, 0);
}

static void
fake_free (Fake *fake)
{
  fake_close_clients (fake);
  if (fake->listening)
    fake_stop_listening (fake);
  g_ptr_array_unref (fake->clients);
  g_ptr_array_unref (fake->requests);
  g_ptr_array_unref (fake->held);
  json_array_unref (fake->domains);
  g_hash_table_unref (fake->get);
  json_object_unref (fake->stats);
  g_free (fake->fail_method);
  g_free (fake->fail_kind);
  json_array_unref (fake->images);
  g_free (fake->capabilities);
  g_rmdir (fake->dir);
  g_free (fake->dir);
  g_free (fake->path);
  g_free (fake->uri);
  g_free (fake);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fake, fake_free)

static guint
fake_count (Fake       *fake,
            const char *method)
{
  guint n = 0;

  for (guint i = 0; i < fake->requests->len; i++)
    if (g_str_equal (json_object_get_string_member (g_ptr_array_index (fake->requests, i), "method"), method))
      n++;
  return n;
}

/* The params of the last request for method. */
static JsonObject *
fake_last_params (Fake       *fake,
                  const char *method)
{
  for (guint i = fake->requests->len; i > 0; i--)
    {
      JsonObject *request = g_ptr_array_index (fake->requests, i - 1);

      if (g_str_equal (json_object_get_string_member (request, "method"), method))
        return json_object_get_object_member (request, "params");
    }
  return NULL;
}

/* Waiting */

#define wait_for(expression)                                              \
  G_STMT_START {                                                          \
    guint limit_id_ = test_wait_limit (#expression);                      \
    while (!(expression))                                                 \
      g_main_context_iteration (NULL, TRUE);                              \
    g_source_remove (limit_id_);                                          \
  } G_STMT_END

static gboolean
on_spin_done (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop for a while: for "nothing happens" checks. */
static void
spin (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, on_spin_done, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static DomusDomain *
nth_domain (DomusHost *host,
            guint      n)
{
  g_autoptr(DomusDomain) domain = g_list_model_get_item (domus_host_get_domains (host), n);

  /* The list keeps it alive. */
  return domain;
}

static const char *
nth_name (DomusHost *host,
          guint      n)
{
  return domus_domain_get_name (nth_domain (host, n));
}

/* Counts signals. */
static void
on_count (GObject    *object,
          GParamSpec *pspec,
          gpointer    user_data)
{
  (*(guint *) user_data)++;
}

typedef struct {
  guint position, removed, added;
  guint count;
} ItemsChanged;

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gpointer    user_data)
{
  ItemsChanged *changed = user_data;

  changed->position = position;
  changed->removed = removed;
  changed->added = added;
  changed->count++;
}

static gboolean
host_is_connected (gpointer host)
{
  return domus_host_get_state (host) == DOMUS_HOST_STATE_CONNECTED;
}

static DomusHost *
connect_host (Fake *fake)
{
  DomusHost *host = domus_host_new (fake->uri);

  domus_host_set_retry_delay_ms (host, RETRY_MS);
  domus_host_connect (host);
  g_assert_cmpint (domus_host_get_state (host), ==, DOMUS_HOST_STATE_CONNECTING);
  test_wait_for (host_is_connected, host, "the host to connect");
  return host;
}

/* Everything the daemon sent before it has been handled once the host sees this. */
static void
barrier (Fake      *fake,
         DomusHost *host)
{
  DomusDomain *alpha = domus_host_lookup_domain (host, "alpha");
  gboolean want;

  g_assert_nonnull (alpha);
  want = !domus_domain_get_autostart (alpha);
  g_hash_table_insert (fake->get, g_strdup ("alpha"),
                       parse_object (want ? "{\"name\": \"alpha\", \"autostart\": true}"
                                          : "{\"name\": \"alpha\", \"autostart\": false}"));
  fake_event (fake, "alpha", domus_domain_get_id (alpha), domus_domain_state_to_string (domus_domain_get_state (alpha)),
              domus_domain_get_flags (alpha), "autostart-changed");
  wait_for (domus_domain_get_autostart (alpha) == want);
}

/* Tests */

static void
test_initial_sync (void)
{
  g_autoptr(Fake) fake = fake_new ();
  g_autoptr(DomusHost) host = domus_host_new (fake->uri);
  DomusDomain *alpha, *beta, *zeta;
  DomusStatsHistory *history;
  ItemsChanged changed = { 0 };
  gint64 time_us;
  double value;

  g_signal_connect (domus_host_get_domains (host), "items-changed", G_CALLBACK (on_items_changed), &changed);

  /* Before connecting, the URI stands for the name. */
  g_assert_cmpstr (domus_host_get_name (host), ==, fake->uri);
  g_assert_cmpint (domus_host_get_state (host), ==, DOMUS_HOST_STATE_DISCONNECTED);
  g_assert_null (domus_daemon_driver_get_host_connection (host));
  g_assert_false (domus_host_has_facts (host));

  domus_host_connect (host);
  g_assert_cmpint (domus_host_get_state (host), ==, DOMUS_HOST_STATE_CONNECTING);
  test_wait_for (host_is_connected, host, "the host to connect");

  /* The calls, in order, and nothing else. */
  g_assert_cmpuint (fake->requests->len, ==, 4);
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (fake->requests, 0), "method"), ==, "hello");
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (fake->requests, 1), "method"), ==, "domain.list");
  g_assert_true (json_object_get_boolean_member (fake_last_params (fake, "domain.list"), "all"));
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (fake->requests, 2), "method"), ==, "stats.subscribe");
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (fake->requests, 3), "method"), ==, "stats.get");

  g_assert_nonnull (domus_daemon_driver_get_host_connection (host));
  g_assert_true (domus_host_has_facts (host));
  g_assert_null (domus_host_get_error (host));
  g_assert_cmpstr (domus_host_get_name (host), ==, "testhost");
  g_assert_cmpstr (domus_host_get_accelerator (host), ==, "tcg");
  g_assert_cmpstr (domus_host_get_qemu_version (host), ==, "7.2.22");
  g_assert_cmpstr (domus_host_get_version (host), ==, "0.1.0");
  g_assert_cmpint (domus_host_get_cpus (host), ==, 4);
  g_assert_cmpint (domus_host_get_memory_mib (host), ==, 8192);
  g_assert_cmpstr (domus_host_get_hypervisor (host), ==, "qemu");
  g_assert_cmpint (domus_host_get_network (host), ==, DOMUS_HOST_NETWORK_USER);
  g_assert_cmpint (domus_host_get_capabilities (host), ==, DOMUS_HOST_CAN_LIST_BRIDGES | DOMUS_HOST_CAN_IMAGES |
                                                          DOMUS_HOST_CAN_SNAPSHOTS | DOMUS_HOST_CAN_BUILD_DEBIAN);
  g_assert_true (domus_host_is_local (host));

  /* Sorted by name, Domain-0 left out; the whole list in one items-changed, so that a view
   * takes it in one pass however many domains a host has. */
  g_assert_cmpuint (g_list_model_get_n_items (domus_host_get_domains (host)), ==, 3);
  g_assert_cmpuint (changed.count, ==, 1);
  g_assert_cmpuint (changed.position, ==, 0);
  g_assert_cmpuint (changed.removed, ==, 0);
  g_assert_cmpuint (changed.added, ==, 3);
  g_assert_cmpstr (nth_name (host, 0), ==, "alpha");
  g_assert_cmpstr (nth_name (host, 1), ==, "beta");
  g_assert_cmpstr (nth_name (host, 2), ==, "zeta");
  g_assert_null (domus_host_lookup_domain (host, "Domain-0"));

  alpha = domus_host_lookup_domain (host, "alpha");
  beta = domus_host_lookup_domain (host, "beta");
  zeta = domus_host_lookup_domain (host, "zeta");
  g_assert_true (alpha == nth_domain (host, 0));
  g_assert_true (domus_domain_get_host (alpha) == host);

  g_assert_cmpint (domus_domain_get_id (alpha), ==, -1);
  g_assert_cmpint (domus_domain_get_state (alpha), ==, DOMUS_DOMAIN_STATE_SHUTOFF);
  g_assert_cmpint (domus_domain_get_memory_mib (alpha), ==, 512);
  g_assert_true (domus_domain_get_autostart (alpha));
  g_assert_true (domus_domain_has_tag (alpha, "web"));
  g_assert_true (domus_domain_has_tag (alpha, "prod"));
  g_assert_false (domus_domain_has_tag (alpha, "lab"));
  g_assert_cmpuint (g_strv_length ((char **) domus_domain_get_tags (beta)), ==, 0);
  g_assert_cmpstr (domus_domain_get_config (alpha), ==, "/srv/domains/alpha.cfg");
  g_assert_null (domus_domain_get_error (alpha));

  g_assert_cmpint (domus_domain_get_state (beta), ==, DOMUS_DOMAIN_STATE_INVALID);
  g_assert_cmpint (domus_domain_get_memory_mib (beta), ==, -1);
  g_assert_cmpint (domus_domain_get_vcpus (beta), ==, -1);
  g_assert_cmpstr (domus_domain_get_error (beta), ==, "/srv/domains/beta.cfg:3:10: memory: not a number");

  g_assert_cmpint (domus_domain_get_id (zeta), ==, 3);
  g_assert_cmpint (domus_domain_get_state (zeta), ==, DOMUS_DOMAIN_STATE_RUNNING);
  g_assert_cmpstr (domus_domain_get_flags (zeta), ==, "r-----");
  g_assert_cmpint (domus_domain_get_memory_mib (zeta), ==, 256);
  g_assert_cmpint (domus_domain_get_vcpus (zeta), ==, 1);
  g_assert_cmpfloat_with_epsilon (domus_domain_get_cpu_time (zeta), 5.0, 1e-9);
  g_assert_false (domus_domain_get_autostart (zeta));
  g_assert_false (domus_domain_get_template (zeta));
  /* Said by no answer: not a template. */
  g_assert_false (domus_domain_get_template (alpha));

  /* The history from stats.get: the latest figures, rates from consecutive totals. */
  g_assert_cmpfloat (domus_domain_get_cpu_percent (zeta), ==, 8.0);
  g_assert_cmpint (domus_domain_get_rss_mib (zeta), ==, 320);
  g_assert_cmpfloat_with_epsilon (domus_domain_get_disk_read_rate (zeta), 2000.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (domus_domain_get_disk_write_rate (zeta), 0.0, 1e-6);
  g_assert_cmpfloat (domus_domain_get_net_rx_rate (zeta), ==, -1);
  g_assert_cmpfloat (domus_domain_get_net_tx_rate (zeta), ==, -1);

  history = domus_domain_get_history (zeta, DOMUS_METRIC_CPU_PERCENT);
  g_assert_cmpuint (domus_stats_history_get_length (history), ==, 3);
  g_assert_cmpuint (domus_stats_history_get_capacity (history), ==, 600);
  g_assert_true (domus_stats_history_get_nth (history, 0, &time_us, &value));
  g_assert_cmpint (time_us, ==, T0);
  g_assert_cmpfloat (value, ==, 4.0);
  g_assert_cmpfloat (domus_stats_history_get_max (history), ==, 12.5);
  history = domus_domain_get_history (zeta, DOMUS_METRIC_DISK_READ_RATE);
  g_assert_true (domus_stats_history_get_nth (history, 1, NULL, &value));
  g_assert_cmpfloat_with_epsilon (value, 1000.0, 1e-6);
  history = domus_domain_get_history (zeta, DOMUS_METRIC_MEMORY);
  g_assert_true (domus_stats_history_get_latest (history, &time_us, &value));
  g_assert_cmpint (time_us, ==, T0 + 2 * SECOND);
  g_assert_cmpfloat (value, ==, 320);
  /* User networking: no point rather than a made-up zero. */
  g_assert_cmpuint (domus_stats_history_get_length (domus_domain_get_history (zeta, DOMUS_METRIC_NET_RX_RATE)), ==, 0);
  g_assert_cmpuint (domus_stats_history_get_length (domus_domain_get_history (alpha, DOMUS_METRIC_CPU_PERCENT)), ==, 0);

  g_assert_cmpfloat (domus_host_get_cpu_percent (host), ==, 20.0);
  g_assert_cmpint (domus_host_get_memory_used_mib (host), ==, 1200);
  g_assert_cmpfloat (domus_host_get_load_1 (host), ==, 0.5);
  history = domus_host_get_history (host, DOMUS_HOST_METRIC_CPU_PERCENT);
  g_assert_cmpuint (domus_stats_history_get_length (history), ==, 3);
  g_assert_cmpfloat (domus_stats_history_get_max (history), ==, 30.0);
  history = domus_host_get_history (host, DOMUS_HOST_METRIC_MEMORY_USED);
  g_assert_true (domus_stats_history_get_nth (history, 0, NULL, &value));
  g_assert_cmpfloat (value, ==, 1000);
}

/* Each items-changed, in order. */
static void
on_items_changed_log (GListModel *model,
                      guint       position,
                      guint       removed,
                      guint       added,
                      gpointer    user_data)
{
  ItemsChanged changed = { position, removed, added, 1 };

  g_array_append_val ((GArray *) user_data, changed);
}

/* A domain list as a host would send it: names only, in the host's order. */
static void
sync_names (DomusHost          *host,
            const char * const *names)
{
  g_autoptr(GPtrArray) infos = g_ptr_array_new_with_free_func ((GDestroyNotify) domus_domain_info_free);

  for (guint i = 0; names[i] != NULL; i++)
    {
      DomusDomainInfo *info = domus_domain_info_new ();

      info->name = g_strdup (names[i]);
      g_ptr_array_add (infos, info);
    }
  _domus_host_sync_domains (host, infos);
}

static void
assert_change (GArray *log,
               guint   n,
               guint   position,
               guint   removed,
               guint   added)
{
  ItemsChanged *changed = &g_array_index (log, ItemsChanged, n);

  g_assert_cmpuint (changed->position, ==, position);
  g_assert_cmpuint (changed->removed, ==, removed);
  g_assert_cmpuint (changed->added, ==, added);
}

/* A list that changed in several places: one items-changed per stretch, in order, and the
 * domains that stayed are the same objects, never reported removed. */
static void
test_sync_splices (void)
{
  /* Freed after the host, whose dispose empties its list. */
  g_autoptr(GArray) log = g_array_new (FALSE, FALSE, sizeof (ItemsChanged));
  g_autoptr(DomusHost) host = domus_host_new ("unix:/nonexistent/domus.sock");
  const char *first[] = { "g", "c", "Domain-0", "a", "e", NULL };
  const char *second[] = { "h", "a", "b", "e", "f", "g", NULL };
  const char *sorted[] = { "a", "b", "e", "f", "g", "h" };
  const char *none[] = { NULL };
  DomusDomain *a, *e, *g;

  g_signal_connect (domus_host_get_domains (host), "items-changed", G_CALLBACK (on_items_changed_log), log);
  sync_names (host, first);
  g_assert_cmpuint (log->len, ==, 1);
  assert_change (log, 0, 0, 0, 4);
  g_assert_cmpstr (nth_name (host, 0), ==, "a");
  g_assert_cmpstr (nth_name (host, 3), ==, "g");
  a = domus_host_lookup_domain (host, "a");
  e = domus_host_lookup_domain (host, "e");
  g = domus_host_lookup_domain (host, "g");

  /* a c e g -> a b e f g h: c went and b came at 1, f before g, h at the end. */
  g_array_set_size (log, 0);
  sync_names (host, second);
  g_assert_cmpuint (log->len, ==, 3);
  assert_change (log, 0, 1, 1, 1);
  assert_change (log, 1, 3, 0, 1);
  assert_change (log, 2, 5, 0, 1);
  g_assert_cmpuint (g_list_model_get_n_items (domus_host_get_domains (host)), ==, 6);
  for (guint i = 0; i < G_N_ELEMENTS (sorted); i++)
    g_assert_cmpstr (nth_name (host, i), ==, sorted[i]);
  g_assert_true (nth_domain (host, 0) == a && nth_domain (host, 2) == e && nth_domain (host, 4) == g);
  g_assert_null (domus_host_lookup_domain (host, "c"));

  /* The same list again changes nothing; an empty one empties it at once. */
  g_array_set_size (log, 0);
  sync_names (host, second);
  g_assert_cmpuint (log->len, ==, 0);
  sync_names (host, none);
  g_assert_cmpuint (log->len, ==, 1);
  assert_change (log, 0, 0, 6, 0);
  g_assert_null (domus_host_lookup_domain (host, "a"));
}

static void
test_events (void)
{
  g_autoptr(Fake) fake = fake_new ();
  g_autoptr(DomusHost) host = connect_host (fake);
  DomusDomain *alpha = domus_host_lookup_domain (host, "alpha");
  DomusDomain *zeta = domus_host_lookup_domain (host, "zeta");
  DomusDomain *gamma;
  ItemsChanged changed = { 0 };
  guint state_notifies = 0, template_notifies = 0, gets;
  gboolean template = FALSE;

  g_signal_connect (domus_host_get_domains (host), "items-changed", G_CALLBACK (on_items_changed), &changed);

  /* A new domain: shown at its sorted place, filled in by domain.get. */
  g_hash_table_insert (fake->get, g_strdup ("gamma"), parse_object (
    "{\"name\": \"gamma\", \"id\": 4, \"uuid\": null, \"state\": \"running\", \"flags\": \"r-----\","
    " \"memory_mib\": 1024, \"vcpus\": 2, \"cpu_time_ns\": 0, \"cpu_time\": 0.0, \"autostart\": false,"
    " \"config\": \"/srv/domains/gamma.cfg\", \"vnc_socket\": \"/run/gamma/vnc.sock\","
    " \"serial_socket\": \"/run/gamma/serial.sock\", \"serial_log\": null, \"run_dir\": \"/run/gamma\", \"notices\": []}"));
  fake_event (fake, "gamma", 4, "running", "r-----", "defined");
  wait_for ((gamma = domus_host_lookup_domain (host, "gamma")) != NULL && domus_domain_get_memory_mib (gamma) == 1024);
  g_assert_cmpuint (changed.count, ==, 1);
  g_assert_cmpuint (changed.position, ==, 2);
  g_assert_cmpuint (changed.removed, ==, 0);
  g_assert_cmpuint (changed.added, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (domus_host_get_domains (host)), ==, 4);
  g_assert_true (nth_domain (host, 2) == gamma);
  g_assert_cmpint (domus_domain_get_vcpus (gamma), ==, 2);
  g_assert_cmpint (domus_domain_get_id (gamma), ==, 4);
  g_assert_cmpstr (domus_domain_get_config (gamma), ==, "/srv/domains/gamma.cfg");
  g_assert_cmpstr (json_object_get_string_member (fake_last_params (fake, "domain.get"), "name"), ==, "gamma");

  /* started refreshes what the config says: alpha's memory was changed while it was off. */
  g_hash_table_insert (fake->get, g_strdup ("alpha"), parse_object (
    "{\"name\": \"alpha\", \"id\": 5, \"uuid\": null, \"state\": \"running\", \"flags\": \"r-----\","
    " \"memory_mib\": 768, \"vcpus\": 2, \"cpu_time_ns\": 0, \"cpu_time\": 0.0, \"autostart\": true,"
    " \"tags\": [\"web\"], \"config\": \"/srv/domains/alpha.cfg\"}"));
  fake_event (fake, "alpha", 5, "running", "r-----", "started");
  wait_for (domus_domain_get_memory_mib (alpha) == 768);
  /* The config lost a tag while alpha was off. */
  g_assert_false (domus_domain_has_tag (alpha, "prod"));
  g_assert_true (domus_domain_has_tag (alpha, "web"));
  g_assert_true (domus_host_lookup_domain (host, "alpha") == alpha);
  g_assert_cmpint (domus_domain_get_state (alpha), ==, DOMUS_DOMAIN_STATE_RUNNING);
  g_assert_cmpint (domus_domain_get_id (alpha), ==, 5);
  g_assert_cmpint (domus_domain_get_vcpus (alpha), ==, 2);
  g_assert_cmpuint (changed.count, ==, 1);

  /* pause: the event alone, one notify::state, no domain.get. */
  gets = fake_count (fake, "domain.get");
  g_signal_connect (zeta, "notify::state", G_CALLBACK (on_count), &state_notifies);
  fake_event (fake, "zeta", 3, "paused", "--p---", "paused");
  wait_for (domus_domain_get_state (zeta) == DOMUS_DOMAIN_STATE_PAUSED);
  /* The same state again (a daemon may repeat itself) notifies nothing. */
  fake_event (fake, "zeta", 3, "paused", "--p---", "paused");
  barrier (fake, host);
  g_assert_cmpuint (state_notifies, ==, 1);
  g_assert_cmpstr (domus_domain_get_flags (zeta), ==, "--p---");
  g_assert_cmpuint (fake_count (fake, "domain.get"), ==, gets + 1 /* the barrier's */);

  fake_event (fake, "zeta", 3, "running", "r-----", "unpaused");
  wait_for (domus_domain_get_state (zeta) == DOMUS_DOMAIN_STATE_RUNNING);
  g_assert_cmpuint (state_notifies, ==, 2);

  /* A domain that ends stays defined, off, with no id and no load. */
  fake_event (fake, "zeta", -1, "shutoff", "------", "destroyed");
  wait_for (domus_domain_get_state (zeta) == DOMUS_DOMAIN_STATE_SHUTOFF);
  g_assert_cmpint (domus_domain_get_id (zeta), ==, -1);
  g_assert_cmpfloat (domus_domain_get_cpu_percent (zeta), ==, 0);
  g_assert_cmpfloat (domus_domain_get_disk_read_rate (zeta), ==, 0);
  g_assert_true (domus_host_lookup_domain (host, "zeta") == zeta);

  /* Marked as a template (domain.set_template): config-changed, and the lookup says so. */
  g_hash_table_insert (fake->get, g_strdup ("zeta"), parse_object (
    "{\"name\": \"zeta\", \"id\": null, \"state\": \"shutoff\", \"flags\": \"------\","
    " \"template\": true, \"config\": \"/srv/domains/zeta.cfg\"}"));
  g_signal_connect (zeta, "notify::template", G_CALLBACK (on_count), &template_notifies);
  fake_event (fake, "zeta", -1, "shutoff", "------", "config-changed");
  wait_for (domus_domain_get_template (zeta));
  g_object_get (zeta, "template", &template, NULL);
  g_assert_true (template);
  /* An answer that does not mention it (the barrier's) leaves it alone. */
  barrier (fake, host);
  g_assert_true (domus_domain_get_template (zeta));
  g_assert_cmpuint (template_notifies, ==, 1);

  /* undefined removes it from the list. */
  fake_event (fake, "beta", -1, "shutoff", "------", "undefined");
  wait_for (domus_host_lookup_domain (host, "beta") == NULL);
  g_assert_cmpuint (changed.count, ==, 2);
  g_assert_cmpuint (changed.position, ==, 1);
  g_assert_cmpuint (changed.removed, ==, 1);
  g_assert_cmpuint (changed.added, ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (domus_host_get_domains (host)), ==, 3);
  g_assert_cmpstr (nth_name (host, 0), ==, "alpha");
  g_assert_cmpstr (nth_name (host, 1), ==, "gamma");
  g_assert_cmpstr (nth_name (host, 2), ==, "zeta");

  /* Domain-0 stays out of the list whatever it sends. */
  fake_event (fake, "Domain-0", 0, "running", "r-----", "config-changed");
  barrier (fake, host);
  g_assert_null (domus_host_lookup_domain (host, "Domain-0"));
  g_assert_cmpuint (g_list_model_get_n_items (domus_host_get_domains (host)), ==, 3);

  /* The barrier's partial answers leave what they do not mention alone. */
  g_assert_cmpstr (domus_domain_get_config (alpha), ==, "/srv/domains/alpha.cfg");

  /* Events, not timers: the list was read once. */
  g_assert_cmpuint (fake_count (fake, "domain.list"), ==, 1);
}

static void
send_sample (Fake       *fake,
             gint64      time_us,
             double      cpu_percent,
             gint64      disk_rd_bytes,
             const char *net_rx_bytes)
{
  g_autofree char *params = g_strdup_printf (
    "{\"time_us\": %" G_GINT64_FORMAT ","
    " \"host\": {\"cpu_percent\": 40.0, \"memory_mib\": 8192, \"memory_used_mib\": 2000, \"load\": [1.5, 0.2, 0.3]},"
    " \"domains\": [{\"name\": \"zeta\", \"id\": 3, \"cpu_percent\": %.1f, \"cpu_time_ns\": 6000000000,"
    "   \"memory_mib\": 256, \"rss_mib\": 330, \"disk_rd_bytes\": %" G_GINT64_FORMAT ", \"disk_wr_bytes\": 4500,"
    "   \"disk_rd_ops\": 3, \"disk_wr_ops\": 2, \"net_rx_bytes\": %s, \"net_tx_bytes\": null},"
    "  {\"name\": \"stranger\", \"id\": 9, \"cpu_percent\": 1.0, \"cpu_time_ns\": 1, \"memory_mib\": 64,"
    "   \"rss_mib\": 70, \"disk_rd_bytes\": 0, \"disk_wr_bytes\": 0, \"disk_rd_ops\": 0, \"disk_wr_ops\": 0,"
    "   \"net_rx_bytes\": null, \"net_tx_bytes\": null}]}",
    time_us, cpu_percent, disk_rd_bytes, net_rx_bytes);

  fake_notify (fake, "stats.sample", params);
}

static void
on_stats_updated (DomusHost *host,
                  gpointer   user_data)
{
  (*(guint *) user_data)++;
}

static void
test_stats (void)
{
  g_autoptr(Fake) fake = fake_new ();
  g_autoptr(DomusHost) host = connect_host (fake);
  DomusDomain *zeta = domus_host_lookup_domain (host, "zeta");
  DomusStatsHistory *cpu = domus_domain_get_history (zeta, DOMUS_METRIC_CPU_PERCENT);
  DomusStatsHistory *rx = domus_domain_get_history (zeta, DOMUS_METRIC_NET_RX_RATE);
  guint cpu_notifies = 0, updates = 0;
  gint64 time_us;
  double value;

  g_signal_connect (zeta, "notify::cpu-percent", G_CALLBACK (on_count), &cpu_notifies);
  g_signal_connect (host, "stats-updated", G_CALLBACK (on_stats_updated), &updates);

  /* One second after the last of stats.get: 3000 -> 7000 bytes read. */
  send_sample (fake, T0 + 3 * SECOND, 55.5, 7000, "1000");
  wait_for (updates == 1);
  g_assert_cmpfloat (domus_domain_get_cpu_percent (zeta), ==, 55.5);
  g_assert_cmpuint (cpu_notifies, ==, 1);
  g_assert_cmpfloat_with_epsilon (domus_domain_get_disk_read_rate (zeta), 4000.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (domus_domain_get_disk_write_rate (zeta), 4000.0, 1e-6);
  g_assert_cmpint (domus_domain_get_rss_mib (zeta), ==, 330);
  g_assert_cmpfloat_with_epsilon (domus_domain_get_cpu_time (zeta), 6.0, 1e-9);
  /* The first counted total gives no rate yet. */
  g_assert_cmpfloat (domus_domain_get_net_rx_rate (zeta), ==, 0);
  g_assert_cmpfloat (domus_domain_get_net_tx_rate (zeta), ==, -1);
  g_assert_cmpuint (domus_stats_history_get_length (cpu), ==, 4);
  g_assert_true (domus_stats_history_get_latest (cpu, &time_us, &value));
  g_assert_cmpint (time_us, ==, T0 + 3 * SECOND);
  g_assert_cmpfloat (value, ==, 55.5);
  g_assert_cmpfloat (domus_stats_history_get_max (cpu), ==, 55.5);

  g_assert_cmpfloat (domus_host_get_cpu_percent (host), ==, 40.0);
  g_assert_cmpint (domus_host_get_memory_used_mib (host), ==, 2000);
  g_assert_cmpfloat (domus_host_get_load_1 (host), ==, 1.5);
  g_assert_cmpuint (domus_stats_history_get_length (domus_host_get_history (host, DOMUS_HOST_METRIC_CPU_PERCENT)), ==, 4);

  /* Two seconds later: rates are per second. */
  send_sample (fake, T0 + 5 * SECOND, 55.5, 9000, "5000");
  wait_for (updates == 2);
  g_assert_cmpuint (cpu_notifies, ==, 1);
  g_assert_cmpfloat_with_epsilon (domus_domain_get_disk_read_rate (zeta), 1000.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (domus_domain_get_disk_write_rate (zeta), 0.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (domus_domain_get_net_rx_rate (zeta), 2000.0, 1e-6);
  g_assert_cmpuint (domus_stats_history_get_length (cpu), ==, 5);
  g_assert_cmpuint (domus_stats_history_get_length (rx), ==, 2);
  g_assert_true (domus_stats_history_get_latest (rx, NULL, &value));
  g_assert_cmpfloat_with_epsilon (value, 2000.0, 1e-6);

  /* A domain the list does not know is not made up from a sample. */
  g_assert_null (domus_host_lookup_domain (host, "stranger"));
}

/*
 * The follow's four calls go out together (the fake answers none of them until it has
 * them all), and their answers are applied in the order the model needs although they
 * come in reverse, after the live samples: the history is whole, the samples after it.
 */
static void
test_follow_pipelined (void)
{
  g_autoptr(Fake) fake = fake_new ();
  g_autoptr(DomusHost) host = NULL;
  static const char * const follow[] = { "domain.list", "stats.subscribe", "stats.get", "alerts.list" };
  DomusStatsHistory *cpu;
  DomusDomain *zeta;
  gint64 time_us;
  double value;

  g_free (fake->capabilities);
  fake->capabilities = g_strdup ("[\"domain.get\", \"domain.list\", \"alerts.list\"]");
  fake->hold = G_N_ELEMENTS (follow);
  host = connect_host (fake);

  g_assert_cmpuint (fake->requests->len, ==, 1 + G_N_ELEMENTS (follow));
  for (guint i = 0; i < G_N_ELEMENTS (follow); i++)
    g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (fake->requests, i + 1), "method"), ==, follow[i]);

  zeta = domus_host_lookup_domain (host, "zeta");
  g_assert_nonnull (zeta);
  cpu = domus_domain_get_history (zeta, DOMUS_METRIC_CPU_PERCENT);
  /* Three from the history, then the newer live one: none lost, none twice. */
  g_assert_cmpuint (domus_stats_history_get_length (cpu), ==, 4);
  g_assert_true (domus_stats_history_get_latest (cpu, &time_us, &value));
  g_assert_cmpint (time_us, ==, T0 + 3 * SECOND);
  g_assert_cmpfloat (value, ==, 55.5);
  g_assert_cmpfloat (domus_stats_history_get_max (cpu), ==, 55.5);
  g_assert_cmpfloat (domus_domain_get_cpu_percent (zeta), ==, 55.5);
  g_assert_cmpuint (domus_stats_history_get_length (domus_host_get_history (host, DOMUS_HOST_METRIC_CPU_PERCENT)), ==, 4);
  g_assert_cmpfloat (domus_host_get_cpu_percent (host), ==, 40.0);
  g_assert_cmpuint (g_list_model_get_n_items (domus_host_get_alerts (host)), ==, 1);
}

static gboolean
host_has_error (gpointer host)
{
  return domus_host_get_error (host) != NULL;
}

/* A daemon without one of the follow's methods: the error names it, out of order or not. */
static void
test_follow_missing_method (void)
{
  g_autoptr(Fake) fake = fake_new ();
  g_autoptr(DomusHost) host = domus_host_new (fake->uri);
  const GError *error;

  fake->fail_method = g_strdup ("stats.get");
  fake->fail_kind = g_strdup ("method-not-found");
  fake->hold = 3;
  domus_host_set_retry_delay_ms (host, RETRY_MS);
  domus_host_connect (host);
  test_wait_for (host_has_error, host, "the follow to fail");
  error = domus_host_get_error (host);
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_METHOD_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "“stats.get”"));
  g_assert_cmpint (domus_host_get_state (host), !=, DOMUS_HOST_STATE_CONNECTED);
}

static void
set_reconnect_state (Fake *fake)
{
  g_autoptr(JsonArray) samples = NULL;

  /* While we were away: beta undefined, delta defined, alpha started. */
  fake_set_domains (fake,
    "[{\"name\": \"Domain-0\", \"id\": 0, \"uuid\": null, \"state\": \"running\", \"flags\": \"r-----\","
    "  \"memory_mib\": 8192, \"vcpus\": 4, \"cpu_time_ns\": 3640240000000, \"cpu_time\": 3640.24, \"autostart\": true},"
    " {\"name\": \"zeta\", \"id\": 3, \"uuid\": null, \"state\": \"blocked\", \"flags\": \"-b----\","
    "  \"memory_mib\": 256, \"vcpus\": 1, \"cpu_time_ns\": 5000000000, \"cpu_time\": 5.0, \"autostart\": false,"
    "  \"config\": \"/srv/domains/zeta.cfg\"},"
    " {\"name\": \"alpha\", \"id\": 7, \"uuid\": null, \"state\": \"running\", \"flags\": \"r-----\","
    "  \"memory_mib\": 512, \"vcpus\": 1, \"cpu_time_ns\": 0, \"cpu_time\": 0.0, \"autostart\": true,"
    "  \"config\": \"/srv/domains/alpha.cfg\"},"
    " {\"name\": \"delta\", \"id\": null, \"uuid\": null, \"state\": \"shutoff\", \"flags\": \"------\","
    "  \"memory_mib\": 128, \"vcpus\": 1, \"cpu_time_ns\": 0, \"cpu_time\": 0.0, \"autostart\": false,"
    "  \"config\": \"/srv/domains/delta.cfg\"}]");
  /* The daemon's ring still has the old samples, and one more. */
  samples = json_array_ref (json_object_get_array_member (fake->stats, "samples"));
  json_array_add_element (samples, test_parse_json (
    "{\"time_us\": 1795862403000000,"
    " \"host\": {\"cpu_percent\": 50.0, \"memory_mib\": 8192, \"memory_used_mib\": 1300, \"load\": [0.7, 0.2, 0.3]},"
    " \"domains\": [{\"name\": \"zeta\", \"id\": 3, \"cpu_percent\": 2.0, \"cpu_time_ns\": 5100000000,"
    "   \"memory_mib\": 256, \"rss_mib\": 320, \"disk_rd_bytes\": 3500, \"disk_wr_bytes\": 500,"
    "   \"disk_rd_ops\": 2, \"disk_wr_ops\": 1, \"net_rx_bytes\": null, \"net_tx_bytes\": null}]}"));
}

typedef struct {
  GArray *connecting_us;   /* when each attempt began */
} Attempts;

static void
on_state_for_attempts (DomusHost  *host,
                       GParamSpec *pspec,
                       Attempts   *attempts)
{
  if (domus_host_get_state (host) == DOMUS_HOST_STATE_CONNECTING)
    {
      gint64 now = g_get_monotonic_time ();

      g_array_append_val (attempts->connecting_us, now);
    }
}

static void
test_reconnect (void)
{
  g_autoptr(Fake) fake = fake_new ();
  g_autoptr(DomusHost) host = connect_host (fake);
  DomusDomain *alpha = domus_host_lookup_domain (host, "alpha");
  DomusDomain *zeta = domus_host_lookup_domain (host, "zeta");
  DomusStatsHistory *cpu = domus_domain_get_history (zeta, DOMUS_METRIC_CPU_PERCENT);
  Attempts attempts = { g_array_new (FALSE, FALSE, sizeof (gint64)) };
  const GError *error;
  gint64 time_us;
  guint hello_notifies = 0, memory_notifies = 0;
  ItemsChanged changed = { 0 };

  g_signal_connect (domus_host_get_domains (host), "items-changed", G_CALLBACK (on_items_changed), &changed);
  g_signal_connect (host, "notify::state", G_CALLBACK (on_state_for_attempts), &attempts);
  g_signal_connect (host, "notify::accelerator", G_CALLBACK (on_count), &hello_notifies);
  g_signal_connect (host, "notify::name", G_CALLBACK (on_count), &hello_notifies);
  g_signal_connect (zeta, "notify::memory-mib", G_CALLBACK (on_count), &memory_notifies);
  set_reconnect_state (fake);

  /* The daemon goes away: disconnected, with the reason. */
  fake_close_clients (fake);
  wait_for (domus_host_get_state (host) == DOMUS_HOST_STATE_DISCONNECTED);
  error = domus_host_get_error (host);
  g_assert_nonnull (error);
  g_assert_true (error->domain == DOMUS_ERROR);
  g_assert_false (domus_host_error_is_permanent (error));
  g_assert_null (domus_daemon_driver_get_host_connection (host));
  /* What we knew stays until the daemon says otherwise. */
  g_assert_true (domus_host_lookup_domain (host, "beta") != NULL);

  /* and back, resynchronised. */
  test_wait_for (host_is_connected, host, "the host to reconnect");
  g_assert_null (domus_host_get_error (host));
  g_assert_cmpuint (fake->accepted, ==, 2);
  g_assert_cmpuint (fake_count (fake, "hello"), ==, 2);
  g_assert_cmpuint (fake_count (fake, "domain.list"), ==, 2);
  g_assert_true (json_object_get_boolean_member (fake_last_params (fake, "domain.list"), "all"));
  g_assert_cmpuint (fake_count (fake, "stats.subscribe"), ==, 2);

  g_assert_true (domus_host_lookup_domain (host, "alpha") == alpha);
  g_assert_true (domus_host_lookup_domain (host, "zeta") == zeta);
  g_assert_null (domus_host_lookup_domain (host, "beta"));
  g_assert_nonnull (domus_host_lookup_domain (host, "delta"));
  g_assert_cmpuint (g_list_model_get_n_items (domus_host_get_domains (host)), ==, 3);
  g_assert_cmpstr (nth_name (host, 0), ==, "alpha");
  g_assert_cmpstr (nth_name (host, 1), ==, "delta");
  g_assert_cmpstr (nth_name (host, 2), ==, "zeta");
  /* beta went and delta came at the same place: one change there, alpha and zeta untouched. */
  g_assert_cmpuint (changed.count, ==, 1);
  g_assert_cmpuint (changed.position, ==, 1);
  g_assert_cmpuint (changed.removed, ==, 1);
  g_assert_cmpuint (changed.added, ==, 1);
  g_assert_cmpint (domus_domain_get_state (alpha), ==, DOMUS_DOMAIN_STATE_RUNNING);
  g_assert_cmpint (domus_domain_get_id (alpha), ==, 7);
  g_assert_cmpint (domus_domain_get_state (zeta), ==, DOMUS_DOMAIN_STATE_BLOCKED);
  /* The same daemon and the same config: nothing to notify there. */
  g_assert_cmpuint (hello_notifies, ==, 0);
  g_assert_cmpuint (memory_notifies, ==, 0);
  g_assert_cmpstr (domus_host_get_name (host), ==, "testhost");

  /* Old points kept, the new one added once. */
  g_assert_cmpuint (domus_stats_history_get_length (cpu), ==, 4);
  g_assert_true (domus_stats_history_get_nth (cpu, 0, &time_us, NULL));
  g_assert_cmpint (time_us, ==, T0);
  g_assert_true (domus_stats_history_get_latest (cpu, &time_us, NULL));
  g_assert_cmpint (time_us, ==, T0 + 3 * SECOND);
  g_assert_cmpfloat_with_epsilon (domus_domain_get_disk_read_rate (zeta), 500.0, 1e-6);
  g_assert_cmpuint (domus_stats_history_get_length (domus_host_get_history (host, DOMUS_HOST_METRIC_CPU_PERCENT)), ==, 4);

  /* Now nobody answers at all: connects fail, and the waits between them double. */
  g_array_set_size (attempts.connecting_us, 0);
  fake_stop_listening (fake);
  fake_close_clients (fake);
  wait_for (attempts.connecting_us->len >= 4);
  g_assert_cmpint (domus_host_get_state (host), !=, DOMUS_HOST_STATE_CONNECTED);
  error = domus_host_get_error (host);
  g_assert_nonnull (error);
  g_assert_true (error->domain == DOMUS_ERROR);
  for (guint i = 1; i < 3; i++)
    {
      gint64 gap_ms = (g_array_index (attempts.connecting_us, gint64, i + 1) -
                       g_array_index (attempts.connecting_us, gint64, i)) / 1000;

      /* The first retry is the base delay after the lost connection; each next waits twice as long. */
      g_assert_cmpint (gap_ms, >=, (RETRY_MS << i) - 1);
    }

  fake_start_listening (fake);
  test_wait_for (host_is_connected, host, "the host to reconnect once the daemon is back");
  g_assert_true (domus_host_lookup_domain (host, "alpha") == alpha);
  g_assert_cmpuint (fake_count (fake, "domain.list"), ==, 3);

  g_array_unref (attempts.connecting_us);
}

static void
test_disconnect (void)
{
  g_autoptr(Fake) fake = fake_new ();
  g_autoptr(DomusHost) host = connect_host (fake);
  DomusDomain *zeta = domus_host_lookup_domain (host, "zeta");
  guint error_notifies = 0;

  g_signal_connect (host, "notify::error", G_CALLBACK (on_count), &error_notifies);
  domus_host_disconnect (host);
  g_assert_cmpint (domus_host_get_state (host), ==, DOMUS_HOST_STATE_DISCONNECTED);
  g_assert_null (domus_host_get_error (host));
  g_assert_null (domus_daemon_driver_get_host_connection (host));
  g_assert_cmpuint (error_notifies, ==, 0);
  /* The daemon sees us go, and no retry comes. */
  wait_for (fake->clients->len == 0);
  spin (RETRY_MS * 20);
  g_assert_cmpuint (fake->accepted, ==, 1);
  g_assert_cmpint (domus_host_get_state (host), ==, DOMUS_HOST_STATE_DISCONNECTED);
  /* The model stays for a GUI to show, greyed. */
  g_assert_true (domus_host_lookup_domain (host, "zeta") == zeta);

  domus_host_connect (host);
  test_wait_for (host_is_connected, host, "the host to connect again");
  g_assert_cmpuint (fake->accepted, ==, 2);
  g_assert_true (domus_host_lookup_domain (host, "zeta") == zeta);

  /* disconnect() while waiting to retry: no attempt after it. */
  {
    Attempts attempts = { g_array_new (FALSE, FALSE, sizeof (gint64)) };
    gulong handler = g_signal_connect (host, "notify::state", G_CALLBACK (on_state_for_attempts), &attempts);

    domus_host_set_retry_delay_ms (host, 50);
    fake_stop_listening (fake);
    fake_close_clients (fake);
    /* Lost, then one failed connect: the host now waits 50 ms, then 100 ms. */
    wait_for (attempts.connecting_us->len == 1 && domus_host_get_state (host) == DOMUS_HOST_STATE_DISCONNECTED);
    g_assert_error (domus_host_get_error (host), DOMUS_ERROR, DOMUS_ERROR_CONNECT_FAILED);
    domus_host_disconnect (host);
    g_assert_null (domus_host_get_error (host));
    fake_start_listening (fake);
    spin (300);
    g_assert_cmpuint (attempts.connecting_us->len, ==, 1);
    g_assert_cmpuint (fake->accepted, ==, 2);
    g_assert_cmpint (domus_host_get_state (host), ==, DOMUS_HOST_STATE_DISCONNECTED);
    g_signal_handler_disconnect (host, handler);
    g_array_unref (attempts.connecting_us);
  }

  /* disconnect() while a connect is under way also ends it. */
  domus_host_set_retry_delay_ms (host, RETRY_MS);
  domus_host_connect (host);
  test_wait_for (host_is_connected, host, "the host to connect a third time");
  domus_host_disconnect (host);
  fake_stop_listening (fake);
  domus_host_connect (host);
  g_assert_cmpint (domus_host_get_state (host), ==, DOMUS_HOST_STATE_CONNECTING);
  domus_host_disconnect (host);
  spin (RETRY_MS * 20);
  g_assert_cmpint (domus_host_get_state (host), ==, DOMUS_HOST_STATE_DISCONNECTED);
  g_assert_null (domus_host_get_error (host));
}

static void
test_permanent_error (void)
{
  g_autoptr(DomusHost) host = domus_host_new ("gopher://nowhere");
  g_autoptr(GError) connect_failed = g_error_new_literal (DOMUS_ERROR, DOMUS_ERROR_CONNECT_FAILED, "x");
  g_autoptr(GError) closed = g_error_new_literal (DOMUS_ERROR, DOMUS_ERROR_CLOSED, "x");
  g_autoptr(GError) host_key = g_error_new_literal (DOMUS_ERROR, DOMUS_ERROR_HOST_KEY_CHANGED, "x");
  g_autoptr(GError) auth = g_error_new_literal (DOMUS_ERROR, DOMUS_ERROR_AUTH_FAILED, "x");
  g_autoptr(GError) io = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "x");
  Attempts attempts = { g_array_new (FALSE, FALSE, sizeof (gint64)) };

  g_assert_false (domus_host_error_is_permanent (NULL));
  g_assert_false (domus_host_error_is_permanent (connect_failed));
  g_assert_false (domus_host_error_is_permanent (closed));
  g_assert_false (domus_host_error_is_permanent (io));
  g_assert_true (domus_host_error_is_permanent (host_key));
  g_assert_true (domus_host_error_is_permanent (auth));

  domus_host_set_retry_delay_ms (host, RETRY_MS);
  g_signal_connect (host, "notify::state", G_CALLBACK (on_state_for_attempts), &attempts);
  domus_host_connect (host);
  wait_for (domus_host_get_state (host) == DOMUS_HOST_STATE_DISCONNECTED);
  g_assert_error (domus_host_get_error (host), DOMUS_ERROR, DOMUS_ERROR_INVALID_URI);
  g_assert_true (domus_host_error_is_permanent (domus_host_get_error (host)));
  /* Retrying cannot fix an address: no second attempt. */
  spin (RETRY_MS * 20);
  g_assert_cmpuint (attempts.connecting_us->len, ==, 1);
  g_assert_cmpint (domus_host_get_state (host), ==, DOMUS_HOST_STATE_DISCONNECTED);
  g_array_unref (attempts.connecting_us);
}

static void
test_history_seconds (void)
{
  g_autoptr(Fake) fake = fake_new ();
  g_autoptr(DomusHost) host = domus_host_new (fake->uri);
  g_autoptr(JsonObject) stats = json_object_new ();
  g_autoptr(JsonArray) samples = json_array_new ();
  DomusDomain *zeta;
  DomusStatsHistory *cpu, *host_cpu;
  gint64 time_us;
  guint history_notifies = 0;

  /* A daemon sampling every 500 ms: 2 s of history are 4 samples; it has 6. */
  for (int i = 0; i < 6; i++)
    {
      g_autofree char *text = g_strdup_printf (
        "{\"time_us\": %" G_GINT64_FORMAT ", \"host\": {\"cpu_percent\": %d.0, \"memory_mib\": 8192,"
        " \"memory_used_mib\": 1000, \"load\": [0.1, 0.2, 0.3]},"
        " \"domains\": [{\"name\": \"zeta\", \"id\": 3, \"cpu_percent\": %d.0, \"cpu_time_ns\": 1, \"memory_mib\": 256,"
        " \"rss_mib\": 300, \"disk_rd_bytes\": 0, \"disk_wr_bytes\": 0, \"disk_rd_ops\": 0, \"disk_wr_ops\": 0,"
        " \"net_rx_bytes\": null, \"net_tx_bytes\": null}]}",
        T0 + i * SECOND / 2, i, i);

      json_array_add_element (samples, test_parse_json (text));
    }
  json_object_set_int_member (stats, "interval_ms", 500);
  json_object_set_array_member (stats, "samples", json_array_ref (samples));
  json_object_unref (fake->stats);
  fake->stats = json_object_ref (stats);
  fake->interval_ms = 500;

  g_assert_cmpuint (domus_host_get_history_seconds (host), ==, 600);
  g_signal_connect (host, "notify::history-seconds", G_CALLBACK (on_count), &history_notifies);
  g_object_set (host, "history-seconds", 2, "retry-delay-ms", RETRY_MS, NULL);
  g_assert_cmpuint (history_notifies, ==, 1);
  domus_host_connect (host);
  test_wait_for (host_is_connected, host, "the host to connect");
  g_assert_cmpuint (domus_host_get_stats_interval_ms (host), ==, 500);

  zeta = domus_host_lookup_domain (host, "zeta");
  cpu = domus_domain_get_history (zeta, DOMUS_METRIC_CPU_PERCENT);
  host_cpu = domus_host_get_history (host, DOMUS_HOST_METRIC_CPU_PERCENT);
  g_assert_cmpuint (domus_stats_history_get_capacity (cpu), ==, 4);
  g_assert_cmpuint (domus_stats_history_get_length (cpu), ==, 4);
  g_assert_cmpuint (domus_stats_history_get_length (host_cpu), ==, 4);
  g_assert_true (domus_stats_history_get_nth (cpu, 0, &time_us, NULL));
  g_assert_cmpint (time_us, ==, T0 + SECOND);
  g_assert_cmpfloat (domus_stats_history_get_max (cpu), ==, 5.0);

  /* Shorter: the newest stay. */
  domus_host_set_history_seconds (host, 1);
  g_assert_cmpuint (domus_stats_history_get_capacity (cpu), ==, 2);
  g_assert_cmpuint (domus_stats_history_get_length (cpu), ==, 2);
  g_assert_cmpuint (domus_stats_history_get_length (host_cpu), ==, 2);
  g_assert_true (domus_stats_history_get_nth (cpu, 0, &time_us, NULL));
  g_assert_cmpint (time_us, ==, T0 + 2 * SECOND);
  g_assert_cmpuint (domus_stats_history_get_length (domus_domain_get_history (zeta, DOMUS_METRIC_MEMORY)), ==, 2);

  /* Longer: room for more, nothing invented. */
  domus_host_set_history_seconds (host, 10);
  g_assert_cmpuint (domus_stats_history_get_capacity (cpu), ==, 20);
  g_assert_cmpuint (domus_stats_history_get_length (cpu), ==, 2);
  g_assert_cmpuint (history_notifies, ==, 3);
}

static void
on_archive_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
test_archive (void)
{
  g_autoptr(Fake) fake = fake_new ();
  g_autoptr(DomusHost) host = connect_host (fake);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) closed_result = NULL;
  g_autoptr(DomusStatsHistory) cpu = NULL;
  g_autoptr(DomusStatsHistory) none = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *params;
  gint64 time_us;
  double value;

  domus_host_get_archive_async (host, "alpha", "24h", "cpu_percent", NULL, on_archive_done, &result);
  wait_for (result != NULL);
  cpu = domus_host_get_archive_finish (host, result, &error);
  g_assert_no_error (error);
  params = fake_last_params (fake, "stats.archive");
  g_assert_cmpstr (json_object_get_string_member (params, "range"), ==, "24h");
  g_assert_cmpstr (json_object_get_string_member (params, "name"), ==, "alpha");
  /* The averages, and a gap where the figure is missing rather than a zero. */
  g_assert_cmpuint (domus_stats_history_get_length (cpu), ==, 2);
  g_assert_true (domus_stats_history_get_nth (cpu, 0, &time_us, &value));
  g_assert_cmpint (time_us, ==, 60000000);
  g_assert_cmpfloat (value, ==, 12.5);
  g_assert_true (domus_stats_history_get_nth (cpu, 1, &time_us, &value));
  g_assert_cmpint (time_us, ==, 180000000);
  g_assert_cmpfloat (value, ==, 7.5);

  domus_host_disconnect (host);
  domus_host_get_archive_async (host, NULL, "1h", "cpu_percent", NULL, on_archive_done, &closed_result);
  wait_for (closed_result != NULL);
  none = domus_host_get_archive_finish (host, closed_result, &error);
  g_assert_null (none);
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_CLOSED);
}

static void
test_host_gone (void)
{
  g_autoptr(Fake) fake = fake_new ();
  DomusHost *host = connect_host (fake);
  g_autoptr(DomusDomain) zeta = g_object_ref (domus_host_lookup_domain (host, "zeta"));

  g_object_add_weak_pointer (G_OBJECT (host), (gpointer *) &host);
  g_object_unref (host);
  /* Nothing else keeps a connected host alive, and a domain outlives it safely. */
  g_assert_null (host);
  g_assert_null (domus_domain_get_host (zeta));
  wait_for (fake->clients->len == 0);
}

/* The typed calls: what each sends, and what it makes of the answer */

static void
on_result (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **result)
{
  wait_for (*result != NULL);
  return *result;
}

/* params, compared with what the fake got: the same members with the same values. */
static void
assert_params (Fake       *fake,
               const char *method,
               const char *expected)
{
  g_autoptr(JsonNode) want = test_parse_json (expected);
  JsonObject *got = fake_last_params (fake, method);
  g_autoptr(JsonNode) got_node = NULL;
  g_autofree char *got_text = NULL;

  g_assert_nonnull (got);
  got_node = json_node_init_object (json_node_alloc (), got);
  got_text = json_to_string (got_node, FALSE);
  if (!json_node_equal (want, got_node))
    g_error ("%s was sent %s, not %s", method, got_text, expected);
}

typedef struct {
  const char *name;
  /* Makes the call and checks its answer. */
  void      (*run)    (DomusHost *host);
  const char *method;   /* the request the host sent last */
  const char *params;   /* its params, exactly */
} CallCase;

static void
run_list (DomusHost *host)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) infos = NULL;
  DomusDomainInfo *zeta, *beta;

  domus_host_list_domains_async (host, FALSE, NULL, on_result, &result);
  infos = domus_host_list_domains_finish (host, wait_result (&result), &error);
  g_assert_no_error (error);
  /* Domain-0 too: the model leaves it out, domusctl list does not. */
  g_assert_cmpuint (infos->len, ==, 4);
  g_assert_cmpstr (((DomusDomainInfo *) g_ptr_array_index (infos, 0))->name, ==, "Domain-0");
  zeta = g_ptr_array_index (infos, 1);
  g_assert_cmpstr (zeta->name, ==, "zeta");
  g_assert_cmpint (zeta->id, ==, 3);
  g_assert_cmpint (zeta->state, ==, DOMUS_DOMAIN_STATE_RUNNING);
  g_assert_cmpstr (zeta->flags, ==, "r-----");
  g_assert_cmpint (zeta->memory_mib, ==, 256);
  g_assert_cmpint (zeta->cpu_time_ns, ==, 5000000000);
  g_assert_cmpfloat (zeta->cpu_time, ==, 5.0);
  g_assert_cmpstr (zeta->config, ==, "/srv/domains/zeta.cfg");
  beta = g_ptr_array_index (infos, 3);
  g_assert_cmpint (beta->memory_mib, ==, -1);
  g_assert_cmpint (beta->state, ==, DOMUS_DOMAIN_STATE_INVALID);
  g_assert_cmpstr (beta->error, ==, "/srv/domains/beta.cfg:3:10: memory: not a number");
  g_assert_true (beta->fields & DOMUS_DOMAIN_INFO_ERROR);
}

static void
run_get (DomusHost *host)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusDomainInfo) info = NULL;

  domus_host_get_domain_async (host, "zeta", NULL, on_result, &result);
  info = domus_host_get_domain_finish (host, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info->name, ==, "zeta");
  g_assert_true (info->fields & DOMUS_DOMAIN_INFO_CONSOLES);
  g_assert_true (info->has_graphics);
  g_assert_false (info->has_serial);
}

static void
run_action (DomusHost              *host,
            DomusDomainAction       action,
            DomusDomainActionFlags  flags,
            gint64                  want_id)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id = -2;

  domus_host_domain_action_async (host, "zeta", action, flags, NULL, on_result, &result);
  g_assert_true (domus_host_domain_action_finish (host, wait_result (&result), &id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (id, ==, want_id);
}

static void run_start (DomusHost *host)         { run_action (host, DOMUS_DOMAIN_ACTION_START, 0, 9); }
static void run_shutdown (DomusHost *host)      { run_action (host, DOMUS_DOMAIN_ACTION_SHUTDOWN, 0, -1); }
static void run_shutdown_wait (DomusHost *host) { run_action (host, DOMUS_DOMAIN_ACTION_SHUTDOWN, DOMUS_DOMAIN_ACTION_FLAGS_WAIT, -1); }
static void run_reboot (DomusHost *host)        { run_action (host, DOMUS_DOMAIN_ACTION_REBOOT, 0, -1); }
static void run_pause (DomusHost *host)         { run_action (host, DOMUS_DOMAIN_ACTION_PAUSE, 0, -1); }
static void run_resume (DomusHost *host)        { run_action (host, DOMUS_DOMAIN_ACTION_RESUME, 0, -1); }
static void run_destroy (DomusHost *host)       { run_action (host, DOMUS_DOMAIN_ACTION_DESTROY, 0, -1); }

static void
run_get_config (DomusHost *host)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;

  domus_host_get_domain_config_async (host, "zeta", NULL, on_result, &result);
  text = domus_host_get_domain_config_finish (host, wait_result (&result), &path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "name = 'zeta'\nmemory = 256\n");
  g_assert_cmpstr (path, ==, "/srv/domains/zeta.cfg");
}

static void
run_set_config (DomusHost *host)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  domus_host_set_domain_config_async (host, "zeta", "name = 'zeta'\n", NULL, on_result, &result);
  g_assert_true (domus_host_set_domain_config_finish (host, wait_result (&result), &error));
  g_assert_no_error (error);
}

static void
run_set_values (DomusHost *host)
{
  g_auto(GVariantBuilder) tags = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("av"));
  g_auto(GVariantDict) values = G_VARIANT_DICT_INIT (NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  g_variant_builder_add (&tags, "v", g_variant_new_string ("web"));
  g_variant_builder_add (&tags, "v", g_variant_new_string ("db"));
  g_variant_dict_insert (&values, "memory", "x", (gint64) 512);
  g_variant_dict_insert (&values, "on_crash", "s", "restart");
  g_variant_dict_insert (&values, "acpi", "b", TRUE);
  g_variant_dict_insert_value (&values, "tags", g_variant_builder_end (&tags));
  g_variant_dict_insert_value (&values, "extra", g_variant_new_maybe (G_VARIANT_TYPE_VARIANT, NULL));
  domus_host_set_domain_values_async (host, "zeta", g_variant_dict_end (&values), NULL, on_result, &result);
  text = domus_host_set_domain_values_finish (host, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "name = 'zeta'\nmemory = 512\n");
}

static void
run_autostart (DomusHost *host)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  domus_host_set_domain_autostart_async (host, "zeta", TRUE, NULL, on_result, &result);
  g_assert_true (domus_host_set_domain_autostart_finish (host, wait_result (&result), &error));
  g_assert_no_error (error);
}

static void
run_define (DomusHost *host,
            gboolean   start)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusDomainInfo) info = NULL;

  if (start)
    domus_host_create_domain_async (host, "name = 'made'\n", "made.cfg", NULL, on_result, &result);
  else
    domus_host_define_domain_async (host, "name = 'made'\n", "made.cfg", NULL, on_result, &result);
  info = domus_host_define_domain_finish (host, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info->name, ==, "made");
  g_assert_cmpint (info->id, ==, start ? 9 : -1);
  g_assert_cmpstr (info->config, ==, start ? NULL : "/srv/domains/made.cfg");
  /* What the host took without honouring it, for domusctl create to say. */
  g_assert_cmpuint (g_strv_length (info->notices), ==, start ? 1 : 0);
}

static void run_define_only (DomusHost *host) { run_define (host, FALSE); }
static void run_create (DomusHost *host)      { run_define (host, TRUE); }

static void
run_undefine (DomusHost *host)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  domus_host_undefine_domain_async (host, "alpha", NULL, on_result, &result);
  g_assert_true (domus_host_undefine_domain_finish (host, wait_result (&result), &error));
  g_assert_no_error (error);
}

static void
run_dump (DomusHost *host)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  guint64 size = 0;

  domus_host_dump_domain_async (host, "zeta", NULL, on_result, &result);
  path = domus_host_dump_domain_finish (host, wait_result (&result), &size, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (path, ==, "/srv/dumps/zeta.core");
  g_assert_cmpuint (size, ==, 268435456);
}

static void
run_sysrq (DomusHost *host)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  domus_host_send_sysrq_async (host, "zeta", "s", NULL, on_result, &result);
  g_assert_true (domus_host_send_sysrq_finish (host, wait_result (&result), &error));
  g_assert_no_error (error);
}

static void
run_bridges (DomusHost *host)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) bridges = NULL;

  domus_host_list_bridges_async (host, NULL, on_result, &result);
  bridges = domus_host_list_bridges_finish (host, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (bridges), ==, 2);
  g_assert_cmpstr (bridges[1], ==, "virbr1");
}

static void
run_demo (DomusHost *host)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;

  domus_host_create_demo_async (host, NULL, on_result, &result);
  name = domus_host_create_demo_finish (host, wait_result (&result), &error);
  g_assert_no_error (error);
  /* The name the host chose when it prepared the guest, not the one create answered. */
  g_assert_cmpstr (name, ==, "demo-2");
}

static void
run_ping (DomusHost *host)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  domus_host_ping_async (host, NULL, on_result, &result);
  g_assert_true (domus_host_ping_finish (host, wait_result (&result), &error));
  g_assert_no_error (error);
}

static void
run_save (DomusHost *host)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  guint64 size = 0;

  domus_host_save_domain_async (host, "zeta", "zeta.save", NULL, on_result, &result);
  path = domus_host_save_domain_finish (host, wait_result (&result), &size, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (path, ==, "/srv/save/zeta-20261207-170000.save");
  g_assert_cmpuint (size, ==, 1048576);
}

static void
run_save_default (DomusHost *host)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *path = NULL;

  /* No file: the host names it, so the params say nothing of it. */
  domus_host_save_domain_async (host, "zeta", NULL, NULL, on_result, &result);
  path = domus_host_save_domain_finish (host, wait_result (&result), NULL, NULL);
  g_assert_nonnull (path);
}

static void
run_restore (DomusHost *host)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusDomainInfo) info = NULL;

  domus_host_restore_domain_async (host, "zeta.save", NULL, on_result, &result);
  info = domus_host_restore_domain_finish (host, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info->name, ==, "zeta");
  g_assert_true (info->fields & DOMUS_DOMAIN_INFO_ID);
  g_assert_cmpint (info->id, ==, 12);
}

static void
run_snapshot_list (DomusHost *host)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) snapshots = NULL;
  g_autoptr(GDateTime) taken = NULL;
  DomusSnapshot *before, *live;

  domus_host_list_snapshots_async (host, "zeta", NULL, on_result, &result);
  snapshots = domus_host_list_snapshots_finish (host, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (snapshots->len, ==, 2);
  before = g_ptr_array_index (snapshots, 0);
  live = g_ptr_array_index (snapshots, 1);
  g_assert_cmpstr (domus_snapshot_get_name (before), ==, "before");
  g_assert_cmpint (domus_snapshot_get_time (before), ==, 1796000000);
  g_assert_false (domus_snapshot_get_has_memory (before));
  g_assert_cmpuint (domus_snapshot_get_memory_size (before), ==, 0);
  g_assert_cmpstr (domus_snapshot_get_name (live), ==, "live");
  g_assert_true (domus_snapshot_get_has_memory (live));
  g_assert_cmpuint (domus_snapshot_get_memory_size (live), ==, 8388608);
  g_assert_cmpint (domus_snapshot_get_guest_clock_ns (live), ==, 3500000000);
  taken = domus_snapshot_get_date_time (live);
  g_assert_cmpint (g_date_time_to_unix (taken), ==, 1796000200);
}

static void
run_snapshot (DomusHost           *host,
              DomusSnapshotAction  action)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  domus_host_snapshot_action_async (host, "zeta", "live", action, NULL, on_result, &result);
  g_assert_true (domus_host_snapshot_action_finish (host, wait_result (&result), &error));
  g_assert_no_error (error);
}

static void run_snapshot_create (DomusHost *host) { run_snapshot (host, DOMUS_SNAPSHOT_CREATE); }
static void run_snapshot_revert (DomusHost *host) { run_snapshot (host, DOMUS_SNAPSHOT_REVERT); }
static void run_snapshot_delete (DomusHost *host) { run_snapshot (host, DOMUS_SNAPSHOT_DELETE); }

static void
run_clone (DomusHost *host)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) images = NULL;

  domus_host_clone_domain_async (host, "alpha", "copy", TRUE, NULL, on_result, &result);
  images = domus_host_clone_domain_finish (host, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (images), ==, 2);
  g_assert_cmpstr (images[1], ==, "/srv/images/copy-disk1.img");
}

static void
run_template (DomusHost *host)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  domus_host_set_domain_template_async (host, "alpha", FALSE, NULL, on_result, &result);
  g_assert_true (domus_host_set_domain_template_finish (host, wait_result (&result), &error));
  g_assert_no_error (error);
}

typedef struct {
  GString *stages;     /* "stage:percent " for each call */
  guint    freed;
} BuildProgress;

static void
on_build_progress (DomusBuildStage  stage,
                   const char      *stage_name,
                   int              percent,
                   gpointer         user_data)
{
  BuildProgress *progress = user_data;

  g_string_append_printf (progress->stages, "%d/%s:%d ", stage, stage_name, percent);
}

static void
on_build_progress_freed (gpointer user_data)
{
  ((BuildProgress *) user_data)->freed++;
}

static void
run_debian (DomusHost *host)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusNewGuest) guest = NULL;
  g_autoptr(DomusDebianRequest) request = domus_debian_request_new ();
  g_autofree char *expected = NULL;
  BuildProgress progress = { g_string_new (NULL), 0 };

  request->suite = g_strdup ("trixie");
  request->size_bytes = 3221225472;
  request->ssh_keys = g_strdup ("ssh-ed25519 AAAA test\n");
  request->root_password = g_strdup ("s3cret");
  request->packages = g_strsplit ("vim,curl", ",", -1);
  domus_host_build_debian_guest_async (host, "made", request, on_build_progress, &progress, on_build_progress_freed,
                                       NULL, on_result, &result);
  guest = domus_host_build_guest_finish (host, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (guest->name, ==, "made");
  g_assert_cmpstr (guest->disk, ==, "/srv/images/made.qcow2");
  g_assert_cmpstr (guest->seed, ==, "/srv/images/made-seed.iso");
  g_assert_cmpstr (guest->base, ==, "/srv/images/debian-bookworm-base.qcow2");
  g_assert_true (guest->base_built);
  g_assert_cmpint (guest->ssh_port, ==, 2222);
  g_assert_cmpint (guest->cloud_init, ==, DOMUS_CLOUD_INIT_NOT_APPLICABLE);
  /* Only its own guest's, in order; a stage not known here is OTHER with its name, and the figure never goes back. */
  expected = g_strdup_printf ("%d/checking:0 %d/bootstrapping:40 %d/polishing:40 %d/done:100 ",
                              DOMUS_BUILD_STAGE_CHECKING, DOMUS_BUILD_STAGE_BOOTSTRAPPING,
                              DOMUS_BUILD_STAGE_OTHER, DOMUS_BUILD_STAGE_DONE);
  g_assert_cmpstr (progress.stages->str, ==, expected);
  g_clear_object (&result);
  g_assert_cmpuint (progress.freed, ==, 1);
  g_string_free (progress.stages, TRUE);
}

static void
run_cloud (DomusHost *host)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusNewGuest) guest = NULL;
  g_autoptr(DomusCloudRequest) request = domus_cloud_request_new ();

  request->image = g_strdup ("generic.qcow2");
  request->user_data = g_strdup ("#cloud-config\n");
  request->user = g_strdup ("ana");
  request->ssh_port = 0;
  domus_host_build_cloud_guest_async (host, "cloudy", request, NULL, on_result, &result);
  guest = domus_host_build_guest_finish (host, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (guest->base, ==, "/srv/images/generic.qcow2");
  g_assert_false (guest->base_built);
  g_assert_cmpint (guest->cloud_init, ==, DOMUS_CLOUD_INIT_UNKNOWN);
  g_assert_cmpstr (guest->cloud_init_detail, ==, "an XFS file system");
  g_assert_cmpint (guest->ssh_port, ==, 2223);
}

static const CallCase call_cases[] = {
  { "list",          run_list,          "domain.list",           "{\"all\": false}" },
  { "get",           run_get,           "domain.get",            "{\"name\": \"zeta\"}" },
  { "start",         run_start,         "domain.start",          "{\"name\": \"zeta\"}" },
  { "shutdown",      run_shutdown,      "domain.shutdown",       "{\"name\": \"zeta\", \"wait\": false}" },
  { "shutdown-wait", run_shutdown_wait, "domain.shutdown",       "{\"name\": \"zeta\", \"wait\": true}" },
  { "reboot",        run_reboot,        "domain.reboot",         "{\"name\": \"zeta\"}" },
  { "pause",         run_pause,         "domain.pause",          "{\"name\": \"zeta\"}" },
  { "resume",        run_resume,        "domain.unpause",        "{\"name\": \"zeta\"}" },
  { "destroy",       run_destroy,       "domain.destroy",        "{\"name\": \"zeta\"}" },
  { "get-config",    run_get_config,    "domain.get_config",     "{\"name\": \"zeta\"}" },
  { "set-config",    run_set_config,    "domain.set_config",     "{\"name\": \"zeta\", \"config\": \"name = 'zeta'\\n\"}" },
  { "set-values",    run_set_values,    "domain.set_values",
    "{\"name\": \"zeta\", \"values\": {\"memory\": 512, \"on_crash\": \"restart\", \"acpi\": true,"
    " \"tags\": [\"web\", \"db\"], \"extra\": null}}" },
  { "autostart",     run_autostart,     "domain.set_autostart",  "{\"name\": \"zeta\", \"autostart\": true}" },
  { "define",        run_define_only,   "domain.define",         "{\"config\": \"name = 'made'\\n\", \"filename\": \"made.cfg\"}" },
  { "create",        run_create,        "domain.create",         "{\"config\": \"name = 'made'\\n\", \"filename\": \"made.cfg\"}" },
  { "undefine",      run_undefine,      "domain.undefine",       "{\"name\": \"alpha\"}" },
  { "dump",          run_dump,          "domain.dump",           "{\"name\": \"zeta\"}" },
  { "sysrq",         run_sysrq,         "domain.sysrq",          "{\"name\": \"zeta\", \"key\": \"s\"}" },
  { "bridges",       run_bridges,       "host.bridges",          NULL },
  { "demo",          run_demo,          "domain.create",         "{\"config\": \"name = 'demo-2'\\n\", \"filename\": \"demo.cfg\"}" },
  { "ping",          run_ping,          "hello",                 NULL },
  { "save",          run_save,          "domain.save",           "{\"name\": \"zeta\", \"file\": \"zeta.save\"}" },
  { "save-default",  run_save_default,  "domain.save",           "{\"name\": \"zeta\"}" },
  { "restore",       run_restore,       "domain.restore",        "{\"file\": \"zeta.save\"}" },
  { "snapshot-list", run_snapshot_list, "domain.snapshot.list",  "{\"name\": \"zeta\"}" },
  { "snapshot-create", run_snapshot_create, "domain.snapshot.create", "{\"name\": \"zeta\", \"snapshot\": \"live\"}" },
  { "snapshot-revert", run_snapshot_revert, "domain.snapshot.revert", "{\"name\": \"zeta\", \"snapshot\": \"live\"}" },
  { "snapshot-delete", run_snapshot_delete, "domain.snapshot.delete", "{\"name\": \"zeta\", \"snapshot\": \"live\"}" },
  { "clone",         run_clone,         "domain.clone",          "{\"name\": \"alpha\", \"new_name\": \"copy\", \"linked\": true}" },
  { "template",      run_template,      "domain.set_template",   "{\"name\": \"alpha\", \"template\": false}" },
  /* The defaults (hostname, memory, mirror, ssh_port -1) are left to the host. */
  { "debian",        run_debian,        "image.debian",
    "{\"name\": \"made\", \"suite\": \"trixie\", \"size_bytes\": 3221225472, \"ssh_keys\": \"ssh-ed25519 AAAA test\\n\","
    " \"root_password\": \"s3cret\", \"packages\": [\"vim\", \"curl\"]}" },
  { "cloud",         run_cloud,         "image.cloud",
    "{\"name\": \"cloudy\", \"image\": \"generic.qcow2\", \"user_data\": \"#cloud-config\\n\", \"user\": \"ana\","
    " \"ssh_port\": 0}" },
};

static void
test_typed_calls (void)
{
  g_autoptr(Fake) fake = fake_new ();
  g_autoptr(DomusHost) host = connect_host (fake);

  g_hash_table_insert (fake->get, g_strdup ("zeta"), parse_object (
    "{\"name\": \"zeta\", \"id\": 3, \"state\": \"running\", \"vnc_socket\": \"/run/zeta/vnc.sock\","
    " \"serial_socket\": null}"));
  for (gsize i = 0; i < G_N_ELEMENTS (call_cases); i++)
    {
      guint before = fake->requests->len;

      g_test_message ("%s", call_cases[i].name);
      call_cases[i].run (host);
      g_assert_cmpuint (fake->requests->len, >, before);
      g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (fake->requests, fake->requests->len - 1),
                                                      "method"), ==, call_cases[i].method);
      if (call_cases[i].params != NULL)
        assert_params (fake, call_cases[i].method, call_cases[i].params);
    }
}

/* The daemon's refusals come back in DOMUS_ERROR; a host that cannot be asked is not. */
static void
test_typed_call_errors (void)
{
  g_autoptr(Fake) fake = fake_new ();
  g_autoptr(DomusHost) host = NULL;
  g_autoptr(GAsyncResult) refused = NULL;
  g_autoptr(GAsyncResult) unsupported = NULL;
  g_autoptr(GAsyncResult) closed = NULL;
  g_autoptr(GAsyncResult) io = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) bridges = NULL;
  guint before;

  /* An older daemon without host.bridges: not asked at all. */
  g_free (fake->capabilities);
  fake->capabilities = g_strdup ("[\"domain.list\"]");
  host = connect_host (fake);
  g_assert_false (domus_host_get_capabilities (host) & DOMUS_HOST_CAN_LIST_BRIDGES);
  g_assert_cmpint (domus_host_get_network (host), ==, DOMUS_HOST_NETWORK_USER);
  before = fake->requests->len;
  domus_host_list_bridges_async (host, NULL, on_result, &unsupported);
  bridges = domus_host_list_bridges_finish (host, wait_result (&unsupported), &error);
  g_assert_null (bridges);
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED);
  g_assert_cmpuint (fake->requests->len, ==, before);
  g_clear_error (&error);

  fake->fail_method = g_strdup ("domain.undefine");
  fake->fail_kind = g_strdup ("already-running");
  domus_host_undefine_domain_async (host, "zeta", NULL, on_result, &refused);
  g_assert_false (domus_host_undefine_domain_finish (host, wait_result (&refused), &error));
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_ALREADY_RUNNING);
  g_clear_error (&error);

  /* A full disk on the host: its own kind. */
  g_free (fake->fail_method);
  g_free (fake->fail_kind);
  fake->fail_method = g_strdup ("domain.set_autostart");
  fake->fail_kind = g_strdup ("io-error");
  domus_host_set_domain_autostart_async (host, "zeta", TRUE, NULL, on_result, &io);
  g_assert_false (domus_host_set_domain_autostart_finish (host, wait_result (&io), &error));
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_IO);
  g_clear_error (&error);

  domus_host_disconnect (host);
  before = fake->requests->len;
  domus_host_send_sysrq_async (host, "zeta", "s", NULL, on_result, &closed);
  g_assert_false (domus_host_send_sysrq_finish (host, wait_result (&closed), &error));
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_CLOSED);
  g_assert_cmpuint (fake->requests->len, ==, before);
}

static void
test_define_from_file (void)
{
  g_autoptr(Fake) fake = fake_new ();
  g_autoptr(DomusHost) host = connect_host (fake);
  g_autofree char *path = g_build_filename (fake->dir, "from-file.cfg", NULL);
  g_autofree char *latin1 = g_build_filename (fake->dir, "latin1.cfg", NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) bad = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusDomainInfo) info = NULL;
  g_autoptr(DomusDomainInfo) none = NULL;
  g_autofree char *expected = NULL;
  guint before;

  g_assert_true (g_file_set_contents (path, "name = 'made'\n", -1, NULL));
  domus_host_define_domain_from_file_async (host, path, TRUE, NULL, on_result, &result);
  info = domus_host_define_domain_finish (host, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpint (info->id, ==, 9);
  /* The file's name names it in the host's messages. */
  expected = g_strdup_printf ("{\"config\": \"name = 'made'\\n\", \"filename\": \"%s\"}", path);
  assert_params (fake, "domain.create", expected);

  /* Not UTF-8: refused here, nothing sent. */
  g_assert_true (g_file_set_contents (latin1, "name = 'caf\xe9'\n", -1, NULL));
  before = fake->requests->len;
  domus_host_define_domain_from_file_async (host, latin1, FALSE, NULL, on_result, &bad);
  none = domus_host_define_domain_finish (host, wait_result (&bad), &error);
  g_assert_null (none);
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_INVALID_CONFIG);
  g_assert_nonnull (strstr (error->message, "latin1.cfg"));
  g_assert_cmpuint (fake->requests->len, ==, before);
  g_unlink (path);
  g_unlink (latin1);
}

/* The image store: read on request, kept by the calls that change it */

static guint
count_images (DomusHost *host)
{
  return g_list_model_get_n_items (domus_host_get_images (host));
}

static void
refresh_images (DomusHost *host)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  domus_host_refresh_images_async (host, NULL, on_result, &result);
  g_assert_true (domus_host_refresh_images_finish (host, wait_result (&result), &error));
  g_assert_no_error (error);
}

static void
test_images (void)
{
  g_autoptr(Fake) fake = fake_new ();
  g_autoptr(DomusHost) host = connect_host (fake);
  g_autoptr(GAsyncResult) created = NULL;
  g_autoptr(GAsyncResult) cloned = NULL;
  g_autoptr(GAsyncResult) deleted = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusImage) made = NULL;
  g_autoptr(DomusImage) copy = NULL;
  DomusImage *a;
  ItemsChanged changed = { 0 };

  /* Nothing is read until someone asks: the store is costly for the host to list. */
  g_assert_cmpuint (count_images (host), ==, 0);
  g_assert_null (domus_host_get_image_dir (host));
  g_assert_cmpuint (fake_count (fake, "image.list"), ==, 0);

  refresh_images (host);
  g_assert_cmpuint (count_images (host), ==, 2);
  g_assert_cmpstr (domus_host_get_image_dir (host), ==, "/srv/images");
  a = domus_host_lookup_image (host, "a.qcow2");
  g_assert_nonnull (a);
  g_assert_cmpstr (domus_image_get_path (a), ==, "/srv/images/a.qcow2");
  g_assert_cmpstr (domus_image_get_format (a), ==, "qcow2");
  g_assert_cmpuint (domus_image_get_size (a), ==, 1073741824);
  g_assert_cmpuint (domus_image_get_allocated (a), ==, 196608);
  g_assert_true (g_strv_equal (domus_image_get_users (a), (const char * const[]) { "alpha", NULL }));
  g_assert_cmpuint (g_strv_length ((char **) domus_image_get_users (domus_host_lookup_image (host, "b.raw"))), ==, 0);

  /* Listed again unchanged: the same objects, nothing signalled. */
  g_signal_connect (domus_host_get_images (host), "items-changed", G_CALLBACK (on_items_changed), &changed);
  refresh_images (host);
  g_assert_true (domus_host_lookup_image (host, "a.qcow2") == a);
  g_assert_cmpuint (changed.count, ==, 0);

  /* Changes another client made: a changed image is replaced in its place, a gone one removed. */
  fake_set_images (fake,
    "[{\"name\": \"a.qcow2\", \"path\": \"/srv/images/a.qcow2\", \"format\": \"qcow2\","
    "  \"size_bytes\": 1073741824, \"allocated_bytes\": 196608, \"used_by\": []}]");
  refresh_images (host);
  a = domus_host_lookup_image (host, "a.qcow2");
  g_assert_cmpuint (g_strv_length ((char **) domus_image_get_users (a)), ==, 0);
  g_assert_cmpuint (count_images (host), ==, 1);
  g_assert_null (domus_host_lookup_image (host, "b.raw"));
  g_assert_cmpuint (changed.count, ==, 2);
  g_assert_cmpuint (changed.position, ==, 1);
  g_assert_cmpuint (changed.removed, ==, 1);
  g_assert_cmpuint (changed.added, ==, 0);

  /* Made here: in the model at once, in its sorted place, without listing again. */
  domus_host_create_image_async (host, "0first.raw", "raw", 65536, NULL, on_result, &created);
  made = domus_host_create_image_finish (host, wait_result (&created), &error);
  g_assert_no_error (error);
  assert_params (fake, "image.create", "{\"name\": \"0first.raw\", \"format\": \"raw\", \"size_bytes\": 65536}");
  g_assert_true (made == domus_host_lookup_image (host, "0first.raw"));
  g_assert_true (g_list_model_get_item (domus_host_get_images (host), 0) == (gpointer) made);
  g_object_unref (made);   /* the get_item's */
  g_assert_cmpuint (fake_count (fake, "image.list"), ==, 3);

  domus_host_clone_image_async (host, "a.qcow2", "c.qcow2", NULL, on_result, &cloned);
  copy = domus_host_create_image_finish (host, wait_result (&cloned), &error);
  g_assert_no_error (error);
  assert_params (fake, "image.clone", "{\"source\": \"a.qcow2\", \"name\": \"c.qcow2\"}");
  g_assert_cmpuint (count_images (host), ==, 3);

  domus_host_delete_image_async (host, "0first.raw", NULL, on_result, &deleted);
  g_assert_true (domus_host_delete_image_finish (host, wait_result (&deleted), &error));
  g_assert_no_error (error);
  assert_params (fake, "image.delete", "{\"name\": \"0first.raw\"}");
  g_assert_null (domus_host_lookup_image (host, "0first.raw"));
  g_assert_cmpuint (count_images (host), ==, 2);
}

/* One-shot: hello only, nothing followed, no reconnection. */
static void
test_open (void)
{
  g_autoptr(Fake) fake = fake_new ();
  g_autoptr(DomusHost) host = domus_host_new (fake->uri);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  domus_host_set_retry_delay_ms (host, RETRY_MS);
  domus_host_open_async (host, NULL, on_result, &result);
  g_assert_true (domus_host_open_finish (host, wait_result (&result), &error));
  g_assert_no_error (error);
  g_assert_cmpint (domus_host_get_state (host), ==, DOMUS_HOST_STATE_CONNECTED);
  g_assert_cmpstr (domus_host_get_name (host), ==, "testhost");
  g_assert_cmpint (domus_host_get_cpus (host), ==, 4);
  g_assert_cmpstr (domus_host_get_kind (host), ==, "domusd");
  g_assert_cmpuint (fake->requests->len, ==, 1);

  /* Events do not fill a model nobody follows. */
  fake_event (fake, "gamma", 4, "running", "r-----", "defined");
  run_ping (host);
  g_assert_cmpuint (g_list_model_get_n_items (domus_host_get_domains (host)), ==, 0);

  /* The daemon goes: the host says why and stays down. */
  fake_close_clients (fake);
  wait_for (domus_host_get_state (host) == DOMUS_HOST_STATE_DISCONNECTED);
  g_assert_error (domus_host_get_error (host), DOMUS_ERROR, DOMUS_ERROR_CLOSED);
  spin (RETRY_MS * 20);
  g_assert_cmpuint (fake->accepted, ==, 1);

  /* Nobody there: the open fails with the connection's error. */
  g_clear_object (&result);
  fake_stop_listening (fake);
  domus_host_open_async (host, NULL, on_result, &result);
  g_assert_false (domus_host_open_finish (host, wait_result (&result), &error));
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_CONNECT_FAILED);
  g_assert_cmpint (domus_host_get_state (host), ==, DOMUS_HOST_STATE_DISCONNECTED);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/model/initial-sync", test_initial_sync);
  g_test_add_func ("/model/sync-splices", test_sync_splices);
  g_test_add_func ("/model/events", test_events);
  g_test_add_func ("/model/stats", test_stats);
  g_test_add_func ("/model/follow-pipelined", test_follow_pipelined);
  g_test_add_func ("/model/follow-missing-method", test_follow_missing_method);
  g_test_add_func ("/model/reconnect", test_reconnect);
  g_test_add_func ("/model/disconnect", test_disconnect);
  g_test_add_func ("/model/permanent-error", test_permanent_error);
  g_test_add_func ("/model/history-seconds", test_history_seconds);
  g_test_add_func ("/model/archive", test_archive);
  g_test_add_func ("/model/host-gone", test_host_gone);
  g_test_add_func ("/model/typed-calls", test_typed_calls);
  g_test_add_func ("/model/typed-call-errors", test_typed_call_errors);
  g_test_add_func ("/model/define-from-file", test_define_from_file);
  g_test_add_func ("/model/images", test_images);
  g_test_add_func ("/model/open", test_open);

  return g_test_run ();
}
