/* SPDX-License-Identifier: GPL-3.0-or-later */
/* domusctl list: the host's domains, printed as xm list printed them. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "domus-connection.h"
#include "domusctl.h"

/* Long enough for a loaded host; short enough that a wedged daemon does not hang scripts. */
#define ANSWER_TIMEOUT_SECONDS 30

typedef struct {
  GMainLoop       *loop;
  GCancellable    *cancellable;
  char            *uri;
  gboolean         all;
  DomusConnection *connection;
  JsonNode        *result;
  GError          *error;
  gboolean         connect_failed;
} ListRun;

static void
on_listed (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  ListRun *run = user_data;

  run->result = domus_connection_call_finish (DOMUS_CONNECTION (source), result, &run->error);
  g_main_loop_quit (run->loop);
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  ListRun *run = user_data;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) params = NULL;

  run->connection = domus_connection_connect_finish (result, &run->error);
  if (run->connection == NULL)
    {
      run->connect_failed = TRUE;
      g_main_loop_quit (run->loop);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "all");
  json_builder_add_boolean_value (builder, run->all);
  json_builder_end_object (builder);
  params = json_builder_get_root (builder);
  domus_connection_call_async (run->connection, "domain.list", params,
                               run->cancellable, on_listed, run);
}

static gboolean
on_timeout (gpointer user_data)
{
  ListRun *run = user_data;

  g_set_error (&run->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
               _("the daemon at %s did not answer within %d seconds"),
               run->uri, ANSWER_TIMEOUT_SECONDS);
  g_cancellable_cancel (run->cancellable);
  g_main_loop_quit (run->loop);
  return G_SOURCE_REMOVE;
}

/* xm's six state flags: running, blocked, paused, shutdown, crashed, dying. */
static const char *
state_flags (const char *state)
{
  static const struct {
    const char *state;
    const char *flags;
  } table[] = {
    { "running",  "r-----" },
    { "blocked",  "-b----" },
    { "paused",   "--p---" },
    { "shutdown", "---s--" },
    { "crashed",  "----c-" },
    { "dying",    "-----d" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (table); i++)
    if (g_strcmp0 (table[i].state, state) == 0)
      return table[i].flags;
  /* Defined but not running ("shutoff"), or a config that does not parse ("invalid"). */
  return "------";
}

static gint64
member_int (JsonObject *domain,
            const char *member)
{
  JsonNode *node = json_object_get_member (domain, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return -1;
  return json_node_get_int (node);
}

static void
print_row (JsonObject *domain)
{
  const char *name = json_object_get_string_member_with_default (domain, "name", "?");
  const char *state = json_object_get_string_member_with_default (domain, "state", NULL);
  gint64 id = member_int (domain, "id");
  gint64 memory = member_int (domain, "memory_mib");
  gint64 vcpus = member_int (domain, "vcpus");
  double cpu_time = json_object_get_double_member_with_default (domain, "cpu_time", 0.0);
  char time_text[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree char *id_text = id >= 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, id) : g_strdup ("");
  glong name_width = g_utf8_strlen (name, -1);
  GString *line = g_string_new (name);

  /* Pad by characters, not bytes, so names beyond ASCII keep the columns straight. */
  for (glong i = name_width; i < 40; i++)
    g_string_append_c (line, ' ');
  /* A period whatever the locale, as xm (Python) printed it. */
  g_ascii_formatd (time_text, sizeof time_text, "%.1f", cpu_time);
  g_string_append_printf (line, " %3s %8" G_GINT64_FORMAT " %5" G_GINT64_FORMAT " %5s %8s",
                          id_text, MAX (memory, 0), MAX (vcpus, 0),
                          state_flags (state), time_text);
  g_print ("%s\n", line->str);
  g_string_free (line, TRUE);
}

static int
print_table (JsonArray *domains)
{
  guint n_domains = json_array_get_length (domains);

  /*
   * xm 3.0's columns exactly (Python: '%-40s %3s %8s %5s %5s %9s' for the header,
   * '%-40s %3d %8d %5d %5s %8.1f' for a row). Not translated: scripts parse this
   * output, and xm printed it the same in every locale.
   */
  g_print ("%-40s %3s %8s %5s %5s %9s\n", "Name", "ID", "Mem(MiB)", "VCPUs", "State", "Time(s)");
  for (guint i = 0; i < n_domains; i++)
    {
      JsonNode *node = json_array_get_element (domains, i);

      if (JSON_NODE_HOLDS_OBJECT (node))
        print_row (json_node_get_object (node));
    }

  /* A config that does not parse is listed, and why goes to stderr. */
  for (guint i = 0; i < n_domains; i++)
    {
      JsonNode *node = json_array_get_element (domains, i);
      JsonObject *domain = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *error = domain != NULL
        ? json_object_get_string_member_with_default (domain, "error", NULL) : NULL;

      if (error != NULL)
        g_printerr (_("domusctl: warning: %s\n"), error);
    }
  return 0;
}

static int
print_json (JsonNode *domains)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  json_generator_set_root (generator, domains);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
  return 0;
}

int
domusctl_verb_list (DomusctlGlobals *globals,
                    int              argc,
                    char           **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GCancellable) cancellable = NULL;
  g_autoptr(JsonNode) result = NULL;
  g_autoptr(DomusConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = NULL;
  gboolean all = FALSE;
  gboolean json = FALSE;
  ListRun run = { 0 };
  JsonNode *domains;
  guint timeout_id;
  const GOptionEntry entries[] = {
    { "all", 'a', 0, G_OPTION_ARG_NONE, &all,
      N_("Also list the defined domains that are not running"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      N_("Print the domains as JSON, as the daemon sent them"), NULL },
    { NULL }
  };

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("List domains, as xm list does."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!domusctl_parse_options (context, &argc, &argv))
    return 2;
  if (argc > 1)
    {
      domusctl_fail (_("list takes no arguments (got “%s”)"), argv[1]);
      return 2;
    }

  uri = domus_connection_expand_uri (globals->connect_uri);
  loop = g_main_loop_new (NULL, FALSE);
  cancellable = g_cancellable_new ();
  run.loop = loop;
  run.cancellable = cancellable;
  run.uri = uri;
  run.all = all;

  timeout_id = g_timeout_add_seconds (ANSWER_TIMEOUT_SECONDS, on_timeout, &run);
  domus_connection_connect_async (uri, cancellable, on_connected, &run);
  g_main_loop_run (loop);
  g_source_remove (timeout_id);

  connection = g_steal_pointer (&run.connection);
  result = g_steal_pointer (&run.result);
  error = g_steal_pointer (&run.error);
  if (connection != NULL)
    domus_connection_close (connection);

  if (error != NULL && run.connect_failed &&
      g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_CONNECT_FAILED))
    return domusctl_fail (_("cannot connect to %s: %s (is domusd running?)"), uri, error->message);
  if (error != NULL)
    return domusctl_fail_error (error);

  domains = JSON_NODE_HOLDS_OBJECT (result)
    ? json_object_get_member (json_node_get_object (result), "domains") : NULL;
  if (domains == NULL || !JSON_NODE_HOLDS_ARRAY (domains))
    return domusctl_fail (_("the daemon at %s sent an answer without a list of domains"), uri);

  if (json)
    return print_json (domains);
  return print_table (json_node_get_array (domains));
}
