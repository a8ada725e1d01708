/* SPDX-License-Identifier: GPL-3.0-or-later */
/* domusctl top: a table of the domains' load redrawn on every stats sample, as xm top (xentop). */

#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <termios.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib-unix.h>

#include "domus-daemon-driver.h"
#include "domusctl-client.h"
#include "domusctl.h"

#define CLEAR_SCREEN "\033[H\033[2J"

typedef struct {
  DomusctlClient *client;
  GMainLoop      *loop;
  GCancellable   *cancellable;
  gboolean        batch;
  int             iterations;   /* tables to print; 0: until told to stop */
  int             printed;
  gint64          every;        /* print one sample in so many */
  gint64          seen;
  JsonNode       *waiting;      /* the sample to draw once the domain list is in */
  DomusHost      *followed;     /* another kind of host: its model, followed */
  gboolean        listing;      /* a list of the domains is outstanding */
  int             status;
  GError         *error;
  guint           stdin_watch;
  gboolean        raw;
  struct termios  saved;
} Top;

static void
top_stop (Top          *top,
          int           status,
          const GError *error)
{
  if (top->error == NULL && error != NULL)
    top->error = g_error_copy (error);
  if (top->status == 0)
    top->status = status;
  g_main_loop_quit (top->loop);
}

/* Domain name → its entry in the host's list, for the flags and vcpus a sample does not carry. */
static GHashTable *
index_domains (GPtrArray *listed)
{
  GHashTable *by_name = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < listed->len; i++)
    {
      DomusDomainInfo *info = g_ptr_array_index (listed, i);

      if (info->name != NULL)
        g_hash_table_insert (by_name, info->name, info);
    }
  return by_name;
}

static const char *
flags_of (const DomusDomainInfo *info,
          const char            *fallback)
{
  return info != NULL && info->flags != NULL ? info->flags : fallback;
}

static void
append_kib_or_na (GString    *line,
                  JsonObject *object,
                  const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    g_string_append_printf (line, " %8s", "n/a");
  else
    g_string_append_printf (line, " %8" PRId64, json_node_get_int (node) / 1024);
}

static void
append_count_or_na (GString    *line,
                    JsonObject *object,
                    const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    g_string_append_printf (line, " %8s", "n/a");
  else
    g_string_append_printf (line, " %8" PRId64, json_node_get_int (node));
}

static double
percent (double part,
         double whole)
{
  return whole > 0 ? 100.0 * part / whole : 0.0;
}

/* The host's own row, from the sample's host part and Domain-0's list entry. */
static void
append_host_row (GString               *table,
                 JsonObject            *host,
                 const DomusDomainInfo *domain0)
{
  gint64 total = domus_json_object_get_int (host, "memory_mib", 0);
  gint64 used = domus_json_object_get_int (host, "memory_used_mib", 0);

  g_string_append_printf (table, "%10s %6s %10" PRId64 " %6.1f %10" PRId64 " %6.1f %6" PRId64,
                          "Domain-0", flags_of (domain0, "r-----"),
                          domain0 != NULL ? (gint64) domain0->cpu_time : 0,
                          domus_json_object_get_double (host, "cpu_percent", 0.0),
                          used * 1024, percent (used, total),
                          domain0 != NULL ? MAX (domain0->vcpus, 0) : 0);
  g_string_append_printf (table, " %8s %8s %8s %8s\n", "n/a", "n/a", "n/a", "n/a");
}

static void
append_domain_row (GString               *table,
                   JsonObject            *domain,
                   const DomusDomainInfo *listed,
                   gint64                 host_memory_mib)
{
  gint64 memory = domus_json_object_get_int (domain, "memory_mib", 0);
  g_autofree char *vcpus = listed != NULL && listed->vcpus >= 0
    ? g_strdup_printf ("%" PRId64, listed->vcpus) : g_strdup ("?");

  g_string_append_printf (table, "%10s %6s %10" PRId64 " %6.1f %10" PRId64 " %6.1f %6s",
                          domus_json_object_get_string (domain, "name", "?"),
                          flags_of (listed, "------"),
                          domus_json_object_get_int (domain, "cpu_time_ns", 0) / 1000000000,
                          domus_json_object_get_double (domain, "cpu_percent", 0.0),
                          memory * 1024, percent (memory, host_memory_mib), vcpus);
  append_kib_or_na (table, domain, "net_tx_bytes");
  append_kib_or_na (table, domain, "net_rx_bytes");
  append_count_or_na (table, domain, "disk_rd_ops");
  append_count_or_na (table, domain, "disk_wr_ops");
  g_string_append_c (table, '\n');
}

static void
count_states (GHashTable *listed,
              guint       counts[6])
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, listed);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      const char *flags = flags_of (value, "");

      for (guint i = 0; i < 6 && flags[i] != '\0'; i++)
        if (flags[i] != '-')
          counts[i]++;
    }
}

static char *
render (JsonObject *sample,
        GPtrArray  *list,
        gboolean    batch)
{
  g_autoptr(GHashTable) listed = index_domains (list);
  g_autoptr(GDateTime) when = NULL;
  g_autofree char *clock = NULL;
  JsonObject *host = NULL;
  JsonNode *node = json_object_get_member (sample, "host");
  JsonNode *domains = json_object_get_member (sample, "domains");
  JsonArray *array = domains != NULL && JSON_NODE_HOLDS_ARRAY (domains) ? json_node_get_array (domains) : NULL;
  GString *table = g_string_new (batch ? "" : CLEAR_SCREEN);
  guint counts[6] = { 0 };
  gint64 total;
  JsonArray *load = NULL;

  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    host = json_node_get_object (node);
  total = domus_json_object_get_int (host, "memory_mib", 0);
  if (host != NULL && json_object_has_member (host, "load") &&
      JSON_NODE_HOLDS_ARRAY (json_object_get_member (host, "load")))
    load = json_object_get_array_member (host, "load");

  when = g_date_time_new_from_unix_local (domus_json_object_get_int (sample, "time_us", 0) / G_USEC_PER_SEC);
  clock = when != NULL ? g_date_time_format (when, "%H:%M:%S") : g_strdup ("--:--:--");
  count_states (listed, counts);

  g_string_append_printf (table, _("domusctl top - %s   load average: %.2f %.2f %.2f\n"), clock,
                          load != NULL && json_array_get_length (load) > 0 ? json_array_get_double_element (load, 0) : 0.0,
                          load != NULL && json_array_get_length (load) > 1 ? json_array_get_double_element (load, 1) : 0.0,
                          load != NULL && json_array_get_length (load) > 2 ? json_array_get_double_element (load, 2) : 0.0);
  g_string_append_printf (table, _("%u domains: %u running, %u blocked, %u paused, %u shutdown, %u crashed, %u dying\n"),
                          g_hash_table_size (listed), counts[0], counts[1], counts[2], counts[3], counts[4], counts[5]);
  g_string_append_printf (table, _("Mem: %" PRId64 "k total, %" PRId64 "k used\n\n"),
                          total * 1024, domus_json_object_get_int (host, "memory_used_mib", 0) * 1024);

  /* xentop's columns; not translated, as scripts read batch output. */
  g_string_append_printf (table, "%10s %6s %10s %6s %10s %6s %6s %8s %8s %8s %8s\n",
                          "NAME", "STATE", "CPU(sec)", "CPU(%)", "MEM(k)", "MEM(%)", "VCPUS",
                          "NETTX(k)", "NETRX(k)", "VBD_RD", "VBD_WR");
  append_host_row (table, host, g_hash_table_lookup (listed, "Domain-0"));
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      JsonObject *domain;
      const char *name;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        continue;
      domain = json_node_get_object (element);
      name = domus_json_object_get_string (domain, "name", "?");
      if (g_strcmp0 (name, "Domain-0") == 0)
        continue;
      append_domain_row (table, domain, g_hash_table_lookup (listed, name), total);
    }
  if (batch)
    g_string_append_c (table, '\n');
  else
    g_string_append (table, _("\nPress q to quit.\n"));
  return g_string_free (table, FALSE);
}

/* Another kind of host (libvirt): the table from the host's followed model */

static void
append_model_row (GString     *table,
                  DomusDomain *domain,
                  gint64       host_memory_mib)
{
  gint64 memory = MAX (domus_domain_get_memory_mib (domain), 0);
  g_autofree char *vcpus = domus_domain_get_vcpus (domain) >= 0
    ? g_strdup_printf ("%" PRId64, domus_domain_get_vcpus (domain)) : g_strdup ("?");

  g_string_append_printf (table, "%10s %6s %10" PRId64 " %6.1f %10" PRId64 " %6.1f %6s",
                          domus_domain_get_name (domain), domus_domain_get_flags (domain),
                          (gint64) domus_domain_get_cpu_time (domain), domus_domain_get_cpu_percent (domain),
                          memory * 1024, percent (memory, host_memory_mib), vcpus);
  /* The model keeps rates for the graphs, not the totals and request counts xentop shows. */
  g_string_append_printf (table, " %8s %8s %8s %8s\n", "n/a", "n/a", "n/a", "n/a");
}

static char *
render_model (DomusHost *host,
              gboolean   batch)
{
  GListModel *domains = domus_host_get_domains (host);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *clock = g_date_time_format (now, "%H:%M:%S");
  GString *table = g_string_new (batch ? "" : CLEAR_SCREEN);
  gint64 total = MAX (domus_host_get_memory_mib (host), 0);
  gint64 used = domus_host_get_memory_used_mib (host);
  guint n = g_list_model_get_n_items (domains);
  guint counts[6] = { 0 };

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(DomusDomain) domain = g_list_model_get_item (domains, i);
      const char *flags = domus_domain_get_flags (domain);

      for (guint j = 0; j < 6 && flags[j] != '\0'; j++)
        if (flags[j] != '-')
          counts[j]++;
    }
  g_string_append_printf (table, _("domusctl top - %s   %s (a %s host)\n"), clock, domus_host_get_name (host),
                          domus_host_get_kind (host));
  g_string_append_printf (table, _("%u domains: %u running, %u blocked, %u paused, %u shutdown, %u crashed, %u dying\n"),
                          n, counts[0], counts[1], counts[2], counts[3], counts[4], counts[5]);
  g_string_append_printf (table, _("Mem: %" PRId64 "k total, %" PRId64 "k used\n\n"), total * 1024, used * 1024);
  g_string_append_printf (table, "%10s %6s %10s %6s %10s %6s %6s %8s %8s %8s %8s\n",
                          "NAME", "STATE", "CPU(sec)", "CPU(%)", "MEM(k)", "MEM(%)", "VCPUS",
                          "NETTX(k)", "NETRX(k)", "VBD_RD", "VBD_WR");
  g_string_append_printf (table, "%10s %6s %10s %6.1f %10" PRId64 " %6.1f %6" PRId64 " %8s %8s %8s %8s\n",
                          "Domain-0", "r-----", "n/a", domus_host_get_cpu_percent (host), used * 1024,
                          percent (used, total), MAX (domus_host_get_cpus (host), 0), "n/a", "n/a", "n/a", "n/a");
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(DomusDomain) domain = g_list_model_get_item (domains, i);

      append_model_row (table, domain, total);
    }
  g_string_append (table, batch ? "\n" : _("\nPress q to quit.\n"));
  return g_string_free (table, FALSE);
}

static void
on_model_sample (DomusHost *host,
                 gpointer   user_data)
{
  Top *top = user_data;
  g_autofree char *text = NULL;

  if (top->seen++ % MAX (top->every, 1) != 0)
    return;
  text = render_model (host, top->batch);
  fputs (text, stdout);
  fflush (stdout);
  top->printed++;
  if (top->iterations > 0 && top->printed >= top->iterations)
    top_stop (top, 0, NULL);
}

static void
on_model_state (DomusHost  *host,
                GParamSpec *pspec,
                gpointer    user_data)
{
  Top *top = user_data;

  /* The host retries by itself after a drop; a permanent failure needs the user. */
  if (domus_host_get_state (host) == DOMUS_HOST_STATE_DISCONNECTED && domus_host_get_error (host) != NULL &&
      domus_host_error_is_permanent (domus_host_get_error (host)))
    top_stop (top, 1, domus_host_get_error (host));
}

/* The opened host is followed from now on: its model gets the list, events and samples. */
static void
follow_model (Top *top)
{
  DomusHost *host = domusctl_client_get_host (top->client);

  top->followed = host;
  g_signal_connect (host, "stats-updated", G_CALLBACK (on_model_sample), top);
  g_signal_connect (host, "notify::state", G_CALLBACK (on_model_state), top);
  domus_host_disconnect (host);
  domus_host_connect (host);
  top->every = MAX (1, top->every);
}

static void list_domains (Top *top);

static void
on_listed (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Top *top = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(JsonNode) sample = NULL;
  g_autofree char *text = NULL;

  list = domus_host_list_domains_finish (DOMUS_HOST (source), result, &error);
  top->listing = FALSE;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (list == NULL)
    {
      top_stop (top, 1, error);
      return;
    }

  sample = g_steal_pointer (&top->waiting);
  if (sample == NULL || !JSON_NODE_HOLDS_OBJECT (sample))
    return;
  text = render (json_node_get_object (sample), list, top->batch);
  fputs (text, stdout);
  fflush (stdout);

  top->printed++;
  if (top->iterations > 0 && top->printed >= top->iterations)
    top_stop (top, 0, NULL);
}

static void
list_domains (Top *top)
{
  top->listing = TRUE;
  domus_host_list_domains_async (domusctl_client_get_host (top->client), FALSE, top->cancellable, on_listed, top);
}

/* A sample to draw: the domain list is fetched for each, so states are as fresh as the numbers. */
static void
show_sample (Top      *top,
             JsonNode *sample)
{
  g_clear_pointer (&top->waiting, json_node_unref);
  top->waiting = json_node_copy (sample);
  if (!top->listing)
    list_domains (top);
}

static void
on_sample (DomusConnection *connection,
           const char      *method,
           JsonNode        *params,
           gpointer         user_data)
{
  Top *top = user_data;

  if (top->seen++ % MAX (top->every, 1) != 0)
    return;
  show_sample (top, params);
}

static void
on_closed (DomusConnection *connection,
           GError          *reason,
           gpointer         user_data)
{
  Top *top = user_data;
  g_autoptr(GError) error = NULL;

  if (reason != NULL)
    error = g_error_new (DOMUS_ERROR, DOMUS_ERROR_CLOSED, _("the daemon closed the connection: %s"),
                         reason->message);
  else
    error = g_error_new_literal (DOMUS_ERROR, DOMUS_ERROR_CLOSED, _("the daemon closed the connection"));
  top_stop (top, 1, error);
}

static gboolean
on_key (int          fd,
        GIOCondition condition,
        gpointer     user_data)
{
  Top *top = user_data;
  char buffer[64];
  ssize_t n;

  do
    n = read (fd, buffer, sizeof buffer);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    {
      top->stdin_watch = 0;
      return G_SOURCE_REMOVE;
    }
  for (ssize_t i = 0; i < n; i++)
    if (buffer[i] == 'q' || buffer[i] == 'Q')
      top_stop (top, 0, NULL);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_signal (gpointer user_data)
{
  top_stop (user_data, 0, NULL);
  return G_SOURCE_CONTINUE;
}

static void
terminal_make_raw (Top *top)
{
  struct termios raw;

  if (!isatty (STDIN_FILENO) || tcgetattr (STDIN_FILENO, &top->saved) != 0)
    return;
  raw = top->saved;
  /* One key at a time without echo; Ctrl-C still interrupts. */
  raw.c_lflag &= ~(ICANON | ECHO);
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  if (tcsetattr (STDIN_FILENO, TCSAFLUSH, &raw) == 0)
    top->raw = TRUE;
}

static JsonNode *
subscribe_params (gboolean enable)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "enable");
  json_builder_add_boolean_value (builder, enable);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* The newest sample of the daemon's ring, so an interactive top draws at once. */
static void
show_latest (Top *top)
{
  g_autoptr(JsonNode) ring = domusctl_client_call (top->client, "stats.get", NULL, NULL);
  JsonArray *array = domus_json_object_get_array (domus_json_node_get_object (ring), "samples");

  if (array != NULL && json_array_get_length (array) > 0)
    show_sample (top, json_array_get_element (array, json_array_get_length (array) - 1));
}

/* Draws until q, a signal, the last iteration or a failure; connection: a domusd host's. */
static int
run_top (Top             *top,
         GMainLoop       *loop,
         GCancellable    *cancellable,
         DomusConnection *connection)
{
  guint signal_ids[3];
  int status;

  if (!top->batch)
    {
      terminal_make_raw (top);
      top->stdin_watch = g_unix_fd_add (STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR, on_key, top);
      if (connection != NULL)
        show_latest (top);
    }
  signal_ids[0] = g_unix_signal_add (SIGINT, on_signal, top);
  signal_ids[1] = g_unix_signal_add (SIGTERM, on_signal, top);
  signal_ids[2] = g_unix_signal_add (SIGHUP, on_signal, top);

  if (top->error == NULL && (top->iterations == 0 || top->printed < top->iterations))
    g_main_loop_run (loop);

  if (top->raw)
    tcsetattr (STDIN_FILENO, TCSAFLUSH, &top->saved);
  for (gsize i = 0; i < G_N_ELEMENTS (signal_ids); i++)
    g_source_remove (signal_ids[i]);
  g_clear_handle_id (&top->stdin_watch, g_source_remove);
  g_cancellable_cancel (cancellable);
  if (connection != NULL)
    g_signal_handlers_disconnect_by_data (connection, top);
  if (top->followed != NULL)
    g_signal_handlers_disconnect_by_data (top->followed, top);
  g_clear_pointer (&top->waiting, json_node_unref);
  /* Let the cancelled list call report back before its Top goes away. */
  while (top->listing)
    g_main_context_iteration (NULL, TRUE);

  if (top->error != NULL)
    {
      status = domusctl_fail_error (top->error);
      g_error_free (top->error);
      return status;
    }
  return top->status;
}

int
domusctl_verb_top (DomusctlGlobals *globals,
                   int              argc,
                   char           **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusctlClient) client = NULL;
  g_autoptr(JsonNode) params = NULL;
  g_autoptr(JsonNode) subscribed = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GCancellable) cancellable = NULL;
  DomusConnection *connection;
  gboolean batch = FALSE;
  int iterations = 0;
  double delay = 0.0;
  gint64 interval_ms;
  Top top = { 0 };
  const GOptionEntry entries[] = {
    { "batch", 'b', 0, G_OPTION_ARG_NONE, &batch,
      N_("Print plain tables one after another, for scripts and logs"), NULL },
    { "iterations", 'n', 0, G_OPTION_ARG_INT, &iterations,
      N_("Stop after this many tables"), N_("N") },
    { "delay", 'd', 0, G_OPTION_ARG_DOUBLE, &delay,
      N_("Seconds between tables (default: every sample the daemon takes)"), N_("SECONDS") },
    { NULL }
  };
  int status = 0;

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context,
                                _("Show the domains’ processor, memory, network and disk load, "
                                  "redrawn on every sample the daemon takes, as xm top does. "
                                  "Press q to quit."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!domusctl_parse_options (context, &argc, &argv))
    return 2;
  if (argc > 1)
    return domusctl_usage_error (_("top takes no arguments (got “%s”)"), argv[1]);
  if (iterations < 0)
    return domusctl_usage_error (_("--iterations must be a positive number, not %d"), iterations);
  if (!(delay >= 0 && delay <= 86400))
    return domusctl_usage_error (_("--delay must be a number of seconds"));

  if ((client = domusctl_open (globals, &status)) == NULL)
    return status;
  loop = g_main_loop_new (NULL, FALSE);
  cancellable = g_cancellable_new ();
  top.client = client;
  top.loop = loop;
  top.cancellable = cancellable;
  top.batch = batch;
  top.iterations = iterations;
  top.every = 1;

  /* The samples as they come: a domusd host sends its own (with totals and request
   * counts); another kind's are read from the host's followed model, one a second. */
  connection = domus_daemon_driver_get_host_connection (domusctl_client_get_host (client));
  if (connection == NULL)
    {
      if (delay > 0)
        top.every = MAX (1, (gint64) (delay + 0.5));
      follow_model (&top);
      return run_top (&top, loop, cancellable, NULL);
    }
  g_signal_connect (connection, "notification::stats.sample", G_CALLBACK (on_sample), &top);
  g_signal_connect (connection, "closed", G_CALLBACK (on_closed), &top);

  params = subscribe_params (TRUE);
  subscribed = domusctl_client_call (client, "stats.subscribe", params, &error);
  if (subscribed == NULL)
    {
      g_signal_handlers_disconnect_by_data (connection, &top);
      return domusctl_fail_error (error);
    }
  interval_ms = JSON_NODE_HOLDS_OBJECT (subscribed)
    ? domus_json_object_get_int (json_node_get_object (subscribed), "interval_ms", 1000) : 1000;
  if (delay > 0 && interval_ms > 0)
    top.every = MAX (1, (gint64) (delay * 1000.0 / interval_ms + 0.5));

  return run_top (&top, loop, cancellable, connection);
}
