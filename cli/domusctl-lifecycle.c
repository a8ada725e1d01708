/* SPDX-License-Identifier: GPL-3.0-or-later */
/* domusctl start, shutdown, destroy, pause, unpause, reboot, define, undefine, autostart. */

#include "config.h"

#include <inttypes.h>
#include <string.h>
#include <glib/gi18n.h>

#include "domusctl-client.h"
#include "domusctl.h"

/* Parses a verb that takes one domain name and no options of its own. */
static gboolean
parse_name_only (int          *argc,
                 char       ***argv,
                 const char   *summary,
                 const char   *verb,
                 int          *status)
{
  g_autoptr(GOptionContext) context = g_option_context_new (_("NAME"));

  g_option_context_set_summary (context, summary);
  if (!domusctl_parse_options (context, argc, argv))
    {
      *status = 2;
      return FALSE;
    }
  if (*argc != 2)
    {
      *status = domusctl_usage_error (_("%s needs exactly one domain name or id"), verb);
      return FALSE;
    }
  return TRUE;
}

/* Calls a domain.* method whose result is {} and prints nothing on success, as xm did. */
static int
call_on_domain (DomusctlGlobals *globals,
                const char      *method,
                JsonNode        *params)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) result = domusctl_call (globals->connect_uri, method, params, &error);

  if (result == NULL)
    return domusctl_fail_error (error);
  return 0;
}

static int
simple_verb (DomusctlGlobals *globals,
             int              argc,
             char           **argv,
             const char      *verb,
             const char      *method,
             const char      *summary)
{
  g_autoptr(JsonNode) params = NULL;
  int status = 0;

  if (!parse_name_only (&argc, &argv, summary, verb, &status))
    return status;
  params = domusctl_name_params (argv[1]);
  return call_on_domain (globals, method, params);
}

int
domusctl_verb_start (DomusctlGlobals *globals,
                     int              argc,
                     char           **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(JsonNode) params = NULL;
  g_autoptr(JsonNode) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *on_uri = NULL;
  JsonObject *started;
  const GOptionEntry entries[] = {
    { "on", 0, 0, G_OPTION_ARG_STRING, &on_uri,
      N_("Start it on another host that sees its disks at the same paths; the domain then belongs to that host"),
      N_("TARGET_URI") },
    { NULL }
  };

  context = g_option_context_new (_("NAME"));
  g_option_context_set_summary (context, _("Start a defined domain, as xm start does."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!domusctl_parse_options (context, &argc, &argv))
    return 2;
  if (argc != 2)
    return domusctl_usage_error (_("%s needs exactly one domain name or id"), "start");
  if (on_uri != NULL)
    return domusctl_start_on (globals, on_uri, argv[1]);
  params = domusctl_name_params (argv[1]);
  result = domusctl_call (globals->connect_uri, "domain.start", params, &error);
  if (result == NULL)
    return domusctl_fail_error (error);
  started = domus_json_node_get_object (result);
  g_print (_("Started domain %s (id=%" PRId64 ")\n"),
           domus_json_object_get_string (started, "name", argv[1]),
           domus_json_object_get_int (started, "id", -1));
  return 0;
}

int
domusctl_verb_shutdown (DomusctlGlobals *globals,
                        int              argc,
                        char           **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) params = NULL;
  g_autoptr(JsonNode) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusctlClient) client = NULL;
  gboolean wait = FALSE;
  const GOptionEntry entries[] = {
    { "wait", 'w', 0, G_OPTION_ARG_NONE, &wait,
      N_("Return only once the domain is off"), NULL },
    { NULL }
  };

  context = g_option_context_new (_("NAME"));
  g_option_context_set_summary (context,
                                _("Ask a domain to shut down by pressing its ACPI power button, "
                                  "as xm shutdown does. The guest decides what to do."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!domusctl_parse_options (context, &argc, &argv))
    return 2;
  if (argc != 2)
    return domusctl_usage_error (_("%s needs exactly one domain name or id"), "shutdown");

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, argv[1]);
  json_builder_set_member_name (builder, "wait");
  json_builder_add_boolean_value (builder, wait);
  json_builder_end_object (builder);
  params = json_builder_get_root (builder);

  client = domusctl_client_open (globals->connect_uri, &error);
  if (client == NULL)
    return domusctl_fail_error (error);
  /* A guest takes as long as it takes to power off, as with xm shutdown -w. */
  result = domusctl_client_call (client, "domain.shutdown", params,
                                 wait ? 0 : DOMUSCTL_ANSWER_TIMEOUT_SECONDS, &error);
  if (result == NULL)
    return domusctl_fail_error (error);
  return 0;
}

int
domusctl_verb_destroy (DomusctlGlobals *globals,
                       int              argc,
                       char           **argv)
{
  return simple_verb (globals, argc, argv, "destroy", "domain.destroy",
                      _("Stop a domain at once, as xm destroy does: its QEMU process is killed "
                        "without asking the guest."));
}

int
domusctl_verb_pause (DomusctlGlobals *globals,
                     int              argc,
                     char           **argv)
{
  return simple_verb (globals, argc, argv, "pause", "domain.pause",
                      _("Pause a running domain: it keeps its memory but gets no processor time."));
}

int
domusctl_verb_unpause (DomusctlGlobals *globals,
                       int              argc,
                       char           **argv)
{
  return simple_verb (globals, argc, argv, "unpause", "domain.unpause",
                      _("Resume a paused domain."));
}

int
domusctl_verb_reboot (DomusctlGlobals *globals,
                      int              argc,
                      char           **argv)
{
  return simple_verb (globals, argc, argv, "reboot", "domain.reboot",
                      _("Reboot a domain, as xm reboot does."));
}

int
domusctl_verb_dump_core (DomusctlGlobals *globals,
                         int              argc,
                         char           **argv)
{
  g_autoptr(JsonNode) params = NULL;
  g_autoptr(JsonNode) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusctlClient) client = NULL;
  JsonObject *dumped;
  int status = 0;

  if (!parse_name_only (&argc, &argv,
                        _("Write a running or crashed domain’s memory to an ELF core file in the "
                          "host’s dump folder, as xm dump-core does (crash(8) and gdb read it)."),
                        "dump-core", &status))
    return status;
  params = domusctl_name_params (argv[1]);
  client = domusctl_client_open (globals->connect_uri, &error);
  if (client == NULL)
    return domusctl_fail_error (error);
  /* A big guest takes a while to write: no answer timeout. */
  result = domusctl_client_call (client, "domain.dump", params, 0, &error);
  if (result == NULL)
    return domusctl_fail_error (error);
  dumped = domus_json_node_get_object (result);
  g_print (_("Dumped the memory of %s to %s (%" PRId64 " bytes)\n"), argv[1],
           domus_json_object_get_string (dumped, "path", "?"),
           domus_json_object_get_int (dumped, "size_bytes", 0));
  return 0;
}

int
domusctl_verb_sysrq (DomusctlGlobals *globals,
                     int              argc,
                     char           **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (_("NAME KEY"));
  g_autoptr(JsonNode) params = NULL;

  g_option_context_set_summary (context,
                                _("Press the magic SysRq key with KEY on the domain’s keyboard, as xm sysrq "
                                  "does: s syncs, u remounts read-only, b reboots, c crashes the guest "
                                  "(then on_crash decides what follows)."));
  if (!domusctl_parse_options (context, &argc, &argv))
    return 2;
  if (argc != 3)
    return domusctl_usage_error (_("%s needs a domain name or id and one key"), "sysrq");
  params = domusctl_name_params (argv[1]);
  json_object_set_string_member (json_node_get_object (params), "key", argv[2]);
  return call_on_domain (globals, "domain.sysrq", params);
}

int
domusctl_verb_undefine (DomusctlGlobals *globals,
                        int              argc,
                        char           **argv)
{
  return simple_verb (globals, argc, argv, "undefine", "domain.undefine",
                      _("Remove a domain that is not running from the host, as xm delete does: "
                        "its configuration file goes, its disk images stay."));
}

int
domusctl_verb_define (DomusctlGlobals *globals,
                      int              argc,
                      char           **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) params = NULL;
  g_autoptr(JsonNode) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  JsonObject *defined;

  context = g_option_context_new (_("FILE"));
  g_option_context_set_summary (context,
                                _("Add a domain to the host from a configuration file without "
                                  "starting it, as xm new does. The daemon keeps its own copy."));
  if (!domusctl_parse_options (context, &argc, &argv))
    return 2;
  if (argc != 2)
    return domusctl_usage_error (_("define needs exactly one configuration file"));

  if (!g_file_get_contents (argv[1], &text, NULL, &error))
    return domusctl_fail_error (error);
  if (!g_utf8_validate (text, -1, NULL))
    return domusctl_fail (_("%s is not UTF-8 text"), argv[1]);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "config");
  json_builder_add_string_value (builder, text);
  json_builder_set_member_name (builder, "filename");
  json_builder_add_string_value (builder, argv[1]);
  json_builder_end_object (builder);
  params = json_builder_get_root (builder);

  result = domusctl_call (globals->connect_uri, "domain.define", params, &error);
  if (result == NULL)
    return domusctl_fail_error (error);
  defined = domus_json_node_get_object (result);
  g_print (_("Defined domain %s (%s)\n"),
           domus_json_object_get_string (defined, "name", "?"),
           domus_json_object_get_string (defined, "config", "?"));
  return 0;
}

/* The words xm's config files accept for booleans, and the ones people type. */
static gboolean
parse_switch (const char *text,
              gboolean   *out)
{
  static const char * const on[] = { "on", "yes", "true", "1", NULL };
  static const char * const off[] = { "off", "no", "false", "0", NULL };

  for (gsize i = 0; on[i] != NULL; i++)
    if (g_ascii_strcasecmp (text, on[i]) == 0)
      {
        *out = TRUE;
        return TRUE;
      }
  for (gsize i = 0; off[i] != NULL; i++)
    if (g_ascii_strcasecmp (text, off[i]) == 0)
      {
        *out = FALSE;
        return TRUE;
      }
  return FALSE;
}

int
domusctl_verb_autostart (DomusctlGlobals *globals,
                         int              argc,
                         char           **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) params = NULL;
  gboolean autostart;

  context = g_option_context_new (_("NAME on|off"));
  g_option_context_set_summary (context,
                                _("Choose whether the daemon starts a domain when the daemon itself starts."));
  if (!domusctl_parse_options (context, &argc, &argv))
    return 2;
  if (argc != 3)
    return domusctl_usage_error (_("autostart needs a domain name and on or off"));
  if (!parse_switch (argv[2], &autostart))
    return domusctl_usage_error (_("autostart takes on or off, not “%s”"), argv[2]);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, argv[1]);
  json_builder_set_member_name (builder, "autostart");
  json_builder_add_boolean_value (builder, autostart);
  json_builder_end_object (builder);
  params = json_builder_get_root (builder);
  return call_on_domain (globals, "domain.set_autostart", params);
}
