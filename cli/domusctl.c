/* SPDX-License-Identifier: GPL-3.0-or-later */
/* domusctl: the xm verbs for Domus hosts; this file dispatches to them. */

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <glib/gi18n.h>

#include "domus-i18n.h"
#include "domusctl.h"

typedef struct {
  const char       *name;
  DomusctlVerbFunc  run;
  const char       *summary;
} DomusctlVerb;

static const DomusctlVerb verbs[] = {
  { "alerts",    domusctl_verb_alerts,    N_("List a host’s alerts, follow them, acknowledge them, or change their rules") },
  { "autostart", domusctl_verb_autostart, N_("Start a domain when the daemon starts, or not") },
  { "bridge",    domusctl_verb_bridge,    N_("Connect standard input and output to the daemon (what SSH clients run)") },
  { "check",     domusctl_verb_check,     N_("Validate a domain configuration file") },
  { "clone",     domusctl_verb_clone,     N_("Copy a shut-off domain under a new name, fully or as a linked clone") },
  { "config",    domusctl_verb_config,    N_("Show a domain’s configuration, or change values in it") },
  { "console",   domusctl_verb_console,   N_("Attach to a domain’s serial console") },
  { "create",    domusctl_verb_create,    N_("Create a domain from a configuration file") },
  { "define",    domusctl_verb_define,    N_("Add a domain from a configuration file without starting it") },
  { "destroy",   domusctl_verb_destroy,   N_("Stop a domain at once, as pulling its plug") },
  { "dump-core", domusctl_verb_dump_core, N_("Write a domain’s memory to a core file on its host") },
  { "image",     domusctl_verb_image,     N_("List, create, clone and delete disk images; build Debian and cloud guests") },
  { "import",    domusctl_verb_import,    N_("Write a libvirt domain’s definition as an xm .cfg (--from URI)") },
  { "list",      domusctl_verb_list,      N_("List domains, as xm list does") },
  { "migrate",   domusctl_verb_migrate,   N_("Move a running domain to another host, live or paused") },
  { "monitor",   domusctl_verb_monitor,   N_("Follow a host’s connection and domains, reconnecting when it drops") },
  { "pause",     domusctl_verb_pause,     N_("Pause a running domain") },
  { "reboot",    domusctl_verb_reboot,    N_("Reboot a domain") },
  { "restore",   domusctl_verb_restore,   N_("Bring a saved domain back running where it was saved") },
  { "save",      domusctl_verb_save,      N_("Write a running domain’s whole state to a file and stop it") },
  { "saves",     domusctl_verb_saves,     N_("List the saved domains in the host’s save folder") },
  { "shutdown",  domusctl_verb_shutdown,  N_("Ask a domain to shut down (ACPI power button)") },
  { "snapshot",  domusctl_verb_snapshot,  N_("Take, list, revert to or delete a domain’s snapshots") },
  { "start",     domusctl_verb_start,     N_("Start a defined domain") },
  { "sysrq",     domusctl_verb_sysrq,     N_("Press the magic SysRq key on a domain’s keyboard") },
  { "template",  domusctl_verb_template,  N_("Make a shut-off domain a template for linked clones, or not") },
  { "top",       domusctl_verb_top,       N_("Show the domains’ load live, as xm top does") },
  { "undefine",  domusctl_verb_undefine,  N_("Remove a domain’s configuration") },
  { "unpause",   domusctl_verb_unpause,   N_("Resume a paused domain") },
  { "vnc",       domusctl_verb_vnc,       N_("Show a domain’s screen to any VNC viewer on a local port") },
};

static void
print_failure (const char *format,
               va_list     args)
{
  g_autofree char *message = g_strdup_vprintf (format, args);

  g_printerr ("domusctl: %s\n", message);
}

int
domusctl_fail (const char *format, ...)
{
  va_list args;

  va_start (args, format);
  print_failure (format, args);
  va_end (args);
  return 1;
}

int
domusctl_usage_error (const char *format, ...)
{
  va_list args;

  va_start (args, format);
  print_failure (format, args);
  va_end (args);
  return 2;
}

int
domusctl_fail_error (const GError *error)
{
  domusctl_fail ("%s", error->message);
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? 130 : 1;
}

DomusctlClient *
domusctl_open (DomusctlGlobals *globals,
               int             *status)
{
  g_autoptr(GError) error = NULL;
  DomusctlClient *client = domusctl_client_open (globals->connect_uri, &error);

  if (client == NULL)
    *status = domusctl_fail_error (error);
  return client;
}

gboolean
domusctl_parse_options (GOptionContext *context,
                        int            *argc,
                        char         ***argv)
{
  g_autoptr(GError) error = NULL;

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      domusctl_fail ("%s", error->message);
      return FALSE;
    }
  return TRUE;
}

static char *
describe_verbs (void)
{
  GString *text = g_string_new (_("Commands:"));

  for (gsize i = 0; i < G_N_ELEMENTS (verbs); i++)
    g_string_append_printf (text, "\n  %-11s %s", verbs[i].name, _(verbs[i].summary));
  g_string_append_printf (text, "\n\n%s", _("Run “domusctl COMMAND --help” for a command’s options."));
  return g_string_free (text, FALSE);
}

static const DomusctlVerb *
find_verb (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (verbs); i++)
    if (strcmp (verbs[i].name, name) == 0)
      return &verbs[i];
  return NULL;
}

int
main (int argc, char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autofree char *connect_uri = NULL;
  g_autofree char *verbs_text = NULL;
  g_autofree char *verb_argv0 = NULL;
  gboolean show_version = FALSE;
  DomusctlGlobals globals = { 0 };
  const DomusctlVerb *verb;
  const GOptionEntry entries[] = {
    { "connect", 'c', 0, G_OPTION_ARG_STRING, &connect_uri,
      N_("Host to talk to (unix:PATH, ssh://…, or a libvirt URI such as qemu:///system; default: the session daemon)"), N_("URI") },
    { "version", 0, 0, G_OPTION_ARG_NONE, &show_version,
      N_("Print the version and exit"), NULL },
    { NULL }
  };

  domus_i18n_init ();

  context = g_option_context_new (_("COMMAND [ARGUMENT…]"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  /* Options after the verb belong to the verb. */
  g_option_context_set_strict_posix (context, TRUE);
  verbs_text = describe_verbs ();
  g_option_context_set_description (context, verbs_text);
  if (!domusctl_parse_options (context, &argc, &argv))
    return 2;

  if (show_version)
    {
      g_print ("domusctl %s\n", PACKAGE_VERSION);
      return 0;
    }

  if (argc < 2)
    {
      g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);
      g_printerr ("%s", help);
      return 2;
    }

  verb = find_verb (argv[1]);
  if (verb == NULL)
    {
      domusctl_fail (_("unknown command “%s”; run “domusctl --help” for the list"), argv[1]);
      return 2;
    }

  globals.connect_uri = connect_uri;
  verb_argv0 = g_strdup_printf ("domusctl %s", verb->name);
  argv[1] = verb_argv0;
  /* The verb's --help then reads "Usage: domusctl VERB [OPTION…]". */
  g_set_prgname (verb_argv0);
  return verb->run (&globals, argc - 1, argv + 1);
}
