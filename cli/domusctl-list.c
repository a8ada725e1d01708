/* SPDX-License-Identifier: GPL-3.0-or-later */
/* domusctl list: the host's domains, printed as xm list printed them. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "domusctl-client.h"
#include "domusctl.h"

static void
print_row (const DomusDomainInfo *domain)
{
  const char *name = domain->name != NULL ? domain->name : "?";
  /* The daemon computes the flags; the first daemons, which ran no domain, sent none. */
  const char *flags = domain->flags != NULL ? domain->flags : "------";
  char time_text[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree char *id_text = domain->id >= 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, domain->id) : g_strdup ("");
  glong name_width = g_utf8_strlen (name, -1);
  GString *line = g_string_new (name);

  /* Pad by characters, not bytes, so names beyond ASCII keep the columns straight. */
  for (glong i = name_width; i < 40; i++)
    g_string_append_c (line, ' ');
  /* A period whatever the locale, as xm (Python) printed it. */
  g_ascii_formatd (time_text, sizeof time_text, "%.1f", domain->cpu_time);
  g_string_append_printf (line, " %3s %8" G_GINT64_FORMAT " %5" G_GINT64_FORMAT " %5s %8s",
                          id_text, MAX (domain->memory_mib, 0), MAX (domain->vcpus, 0),
                          flags, time_text);
  g_print ("%s\n", line->str);
  g_string_free (line, TRUE);
}

static int
print_table (GPtrArray *domains)
{
  /*
   * xm 3.0's columns exactly (Python: '%-40s %3s %8s %5s %5s %9s' for the header,
   * '%-40s %3d %8d %5d %5s %8.1f' for a row). Not translated: scripts parse this
   * output, and xm printed it the same in every locale.
   */
  g_print ("%-40s %3s %8s %5s %5s %9s\n", "Name", "ID", "Mem(MiB)", "VCPUs", "State", "Time(s)");
  for (guint i = 0; i < domains->len; i++)
    print_row (g_ptr_array_index (domains, i));

  /* A config that does not parse is listed, and why goes to stderr. */
  for (guint i = 0; i < domains->len; i++)
    {
      const DomusDomainInfo *domain = g_ptr_array_index (domains, i);

      if (domain->error != NULL)
        g_printerr (_("domusctl: warning: %s\n"), domain->error);
    }
  return 0;
}

/* --json: the daemon's own words, which only a domusd host has. */
static int
print_json (DomusctlClient *client,
            gboolean        all)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) params = json_node_init_object (json_node_alloc (), json_object_new ());
  g_autoptr(JsonNode) result = NULL;
  JsonArray *domains;

  json_object_set_boolean_member (json_node_get_object (params), "all", all);
  result = domusctl_client_call (client, "domain.list", params, &error);
  if (result == NULL)
    return domusctl_fail_error (error);
  domains = domus_json_object_get_array (domus_json_node_get_object (result), "domains");
  if (domains == NULL)
    return domusctl_fail (_("the daemon sent an answer without a list of domains"));
  domusctl_print_json (json_object_get_member (json_node_get_object (result), "domains"));
  return 0;
}

int
domusctl_verb_list (DomusctlGlobals *globals,
                    int              argc,
                    char           **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusctlClient) client = NULL;
  g_autoptr(GPtrArray) domains = NULL;
  gboolean all = FALSE;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "all", 'a', 0, G_OPTION_ARG_NONE, &all,
      N_("Also list the defined domains that are not running"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      N_("Print the domains as JSON, as the daemon sent them"), NULL },
    { NULL }
  };
  int status = 0;

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("List domains, as xm list does."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!domusctl_parse_options (context, &argc, &argv))
    return 2;
  if (argc > 1)
    return domusctl_usage_error (_("list takes no arguments (got “%s”)"), argv[1]);

  if ((client = domusctl_open (globals, &status)) == NULL)
    return status;
  if (json)
    return print_json (client, all);
  domus_host_list_domains_async (domusctl_client_get_host (client), all, domusctl_client_get_cancellable (client),
                                 domusctl_store_result, &result);
  if (!domusctl_client_wait (client, &result, &error) ||
      (domains = domus_host_list_domains_finish (domusctl_client_get_host (client), result, &error)) == NULL)
    return domusctl_fail_error (error);
  return print_table (domains);
}
