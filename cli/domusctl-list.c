/* SPDX-License-Identifier: GPL-3.0-or-later */
/* domusctl list: the host's domains, printed as xm list printed them. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "domusctl-client.h"
#include "domusctl.h"

static void
print_row (JsonObject *domain)
{
  const char *name = json_object_get_string_member_with_default (domain, "name", "?");
  /* The daemon computes the flags; the first daemons, which ran no domain, sent none. */
  const char *flags = domus_json_object_get_string (domain, "flags", "------");
  gint64 id = domus_json_object_get_int (domain, "id", -1);
  gint64 memory = domus_json_object_get_int (domain, "memory_mib", -1);
  gint64 vcpus = domus_json_object_get_int (domain, "vcpus", -1);
  double cpu_time = domus_json_object_get_double (domain, "cpu_time", 0.0);
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
                          flags, time_text);
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
      JsonObject *domain = domus_json_node_get_object (node);
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
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) params = NULL;
  g_autoptr(JsonNode) result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean all = FALSE;
  gboolean json = FALSE;
  JsonNode *domains;
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
    return domusctl_usage_error (_("list takes no arguments (got “%s”)"), argv[1]);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "all");
  json_builder_add_boolean_value (builder, all);
  json_builder_end_object (builder);
  params = json_builder_get_root (builder);
  result = domusctl_call (globals->connect_uri, "domain.list", params, &error);
  if (result == NULL)
    return domusctl_fail_error (error);

  domains = domusctl_result_member (result, "domains");
  if (domains == NULL || !JSON_NODE_HOLDS_ARRAY (domains))
    return domusctl_fail (_("the daemon sent an answer without a list of domains"));

  if (json)
    return print_json (domains);
  return print_table (json_node_get_array (domains));
}
