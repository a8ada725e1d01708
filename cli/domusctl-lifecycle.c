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

/* Runs a lifecycle action to its end and prints nothing on success, as xm did. */
static int
act_on_domain (DomusctlGlobals        *globals,
               const char             *name,
               DomusDomainAction       action,
               DomusDomainActionFlags  flags,
               gint64                 *id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(DomusctlClient) client = NULL;
  int status = 0;

  if ((client = domusctl_open (globals, &status)) == NULL)
    return status;
  domus_host_domain_action_async (domusctl_client_get_host (client), name, action, flags,
                                  domusctl_client_get_cancellable (client), domusctl_store_result, &result);
  if (!domusctl_client_wait (client, &result, &error) ||
      !domus_host_domain_action_finish (domusctl_client_get_host (client), result, id, &error))
    return domusctl_fail_error (error);
  return 0;
}

static int
simple_verb (DomusctlGlobals   *globals,
             int                argc,
             char             **argv,
             const char        *verb,
             DomusDomainAction  action,
             const char        *summary)
{
  int status = 0;

  if (!parse_name_only (&argc, &argv, summary, verb, &status))
    return status;
  return act_on_domain (globals, argv[1], action, DOMUS_DOMAIN_ACTION_FLAGS_NONE, NULL);
}

int
domusctl_verb_start (DomusctlGlobals *globals,
                     int              argc,
                     char           **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autofree char *on_uri = NULL;
  gint64 id = -1;
  int status;
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
  /* Starting takes as long as it takes; the wait is as long as the daemon answers. */
  status = act_on_domain (globals, argv[1], DOMUS_DOMAIN_ACTION_START, DOMUS_DOMAIN_ACTION_FLAGS_NONE, &id);
  if (status == 0)
    g_print (_("Started domain %s (id=%" PRId64 ")\n"), argv[1], id);
  return status;
}

int
domusctl_verb_shutdown (DomusctlGlobals *globals,
                        int              argc,
                        char           **argv)
{
  g_autoptr(GOptionContext) context = NULL;
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

  /* A guest takes as long as it takes to power off, as with xm shutdown -w. */
  return act_on_domain (globals, argv[1], DOMUS_DOMAIN_ACTION_SHUTDOWN,
                        wait ? DOMUS_DOMAIN_ACTION_FLAGS_WAIT : DOMUS_DOMAIN_ACTION_FLAGS_NONE, NULL);
}

int
domusctl_verb_destroy (DomusctlGlobals *globals,
                       int              argc,
                       char           **argv)
{
  return simple_verb (globals, argc, argv, "destroy", DOMUS_DOMAIN_ACTION_DESTROY,
                      _("Stop a domain at once, as xm destroy does: its QEMU process is killed "
                        "without asking the guest."));
}

int
domusctl_verb_pause (DomusctlGlobals *globals,
                     int              argc,
                     char           **argv)
{
  return simple_verb (globals, argc, argv, "pause", DOMUS_DOMAIN_ACTION_PAUSE,
                      _("Pause a running domain: it keeps its memory but gets no processor time."));
}

int
domusctl_verb_unpause (DomusctlGlobals *globals,
                       int              argc,
                       char           **argv)
{
  return simple_verb (globals, argc, argv, "unpause", DOMUS_DOMAIN_ACTION_RESUME,
                      _("Resume a paused domain."));
}

int
domusctl_verb_reboot (DomusctlGlobals *globals,
                      int              argc,
                      char           **argv)
{
  return simple_verb (globals, argc, argv, "reboot", DOMUS_DOMAIN_ACTION_REBOOT,
                      _("Reboot a domain, as xm reboot does."));
}

int
domusctl_verb_dump_core (DomusctlGlobals *globals,
                         int              argc,
                         char           **argv)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusctlClient) client = NULL;
  g_autofree char *path = NULL;
  guint64 size = 0;
  int status = 0;

  if (!parse_name_only (&argc, &argv,
                        _("Write a running or crashed domain’s memory to an ELF core file in the "
                          "host’s dump folder, as xm dump-core does (crash(8) and gdb read it)."),
                        "dump-core", &status))
    return status;
  if ((client = domusctl_open (globals, &status)) == NULL)
    return status;
  /* A big guest takes a while to write: waited for as long as the daemon answers. */
  domus_host_dump_domain_async (domusctl_client_get_host (client), argv[1], domusctl_client_get_cancellable (client),
                                domusctl_store_result, &result);
  if (!domusctl_client_wait (client, &result, &error) ||
      (path = domus_host_dump_domain_finish (domusctl_client_get_host (client), result, &size, &error)) == NULL)
    return domusctl_fail_error (error);
  g_print (_("Dumped the memory of %s to %s (%" PRId64 " bytes)\n"), argv[1], path, (gint64) size);
  return 0;
}

int
domusctl_verb_sysrq (DomusctlGlobals *globals,
                     int              argc,
                     char           **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (_("NAME KEY"));
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusctlClient) client = NULL;
  int status = 0;

  g_option_context_set_summary (context,
                                _("Press the magic SysRq key with KEY on the domain’s keyboard, as xm sysrq "
                                  "does: s syncs, u remounts read-only, b reboots, c crashes the guest "
                                  "(then on_crash decides what follows)."));
  if (!domusctl_parse_options (context, &argc, &argv))
    return 2;
  if (argc != 3)
    return domusctl_usage_error (_("%s needs a domain name or id and one key"), "sysrq");
  if ((client = domusctl_open (globals, &status)) == NULL)
    return status;
  domus_host_send_sysrq_async (domusctl_client_get_host (client), argv[1], argv[2],
                               domusctl_client_get_cancellable (client), domusctl_store_result, &result);
  if (!domusctl_client_wait (client, &result, &error) ||
      !domus_host_send_sysrq_finish (domusctl_client_get_host (client), result, &error))
    return domusctl_fail_error (error);
  return 0;
}

int
domusctl_verb_undefine (DomusctlGlobals *globals,
                        int              argc,
                        char           **argv)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusctlClient) client = NULL;
  int status = 0;

  if (!parse_name_only (&argc, &argv,
                        _("Remove a domain that is not running from the host, as xm delete does: "
                          "its configuration file goes, its disk images stay."),
                        "undefine", &status))
    return status;
  if ((client = domusctl_open (globals, &status)) == NULL)
    return status;
  domus_host_undefine_domain_async (domusctl_client_get_host (client), argv[1],
                                    domusctl_client_get_cancellable (client), domusctl_store_result, &result);
  if (!domusctl_client_wait (client, &result, &error) ||
      !domus_host_undefine_domain_finish (domusctl_client_get_host (client), result, &error))
    return domusctl_fail_error (error);
  return 0;
}

int
domusctl_define_file (DomusctlClient   *client,
                      const char       *path,
                      gboolean          start,
                      DomusDomainInfo **info)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  domus_host_define_domain_from_file_async (domusctl_client_get_host (client), path, start,
                                            domusctl_client_get_cancellable (client), domusctl_store_result, &result);
  if (!domusctl_client_wait (client, &result, &error) ||
      (*info = domus_host_define_domain_finish (domusctl_client_get_host (client), result, &error)) == NULL)
    return domusctl_fail_error (error);
  return 0;
}

int
domusctl_verb_define (DomusctlGlobals *globals,
                      int              argc,
                      char           **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(DomusctlClient) client = NULL;
  g_autoptr(DomusDomainInfo) defined = NULL;
  int status = 0;

  context = g_option_context_new (_("FILE"));
  g_option_context_set_summary (context,
                                _("Add a domain to the host from a configuration file without "
                                  "starting it, as xm new does. The daemon keeps its own copy."));
  if (!domusctl_parse_options (context, &argc, &argv))
    return 2;
  if (argc != 2)
    return domusctl_usage_error (_("define needs exactly one configuration file"));

  if ((client = domusctl_open (globals, &status)) == NULL)
    return status;
  if ((status = domusctl_define_file (client, argv[1], FALSE, &defined)) != 0)
    return status;
  g_print (_("Defined domain %s (%s)\n"), defined->name != NULL ? defined->name : "?",
           defined->config != NULL ? defined->config : "?");
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
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusctlClient) client = NULL;
  gboolean autostart;
  int status = 0;

  context = g_option_context_new (_("NAME on|off"));
  g_option_context_set_summary (context,
                                _("Choose whether the daemon starts a domain when the daemon itself starts."));
  if (!domusctl_parse_options (context, &argc, &argv))
    return 2;
  if (argc != 3)
    return domusctl_usage_error (_("autostart needs a domain name and on or off"));
  if (!parse_switch (argv[2], &autostart))
    return domusctl_usage_error (_("autostart takes on or off, not “%s”"), argv[2]);

  if ((client = domusctl_open (globals, &status)) == NULL)
    return status;
  domus_host_set_domain_autostart_async (domusctl_client_get_host (client), argv[1], autostart,
                                         domusctl_client_get_cancellable (client), domusctl_store_result, &result);
  if (!domusctl_client_wait (client, &result, &error) ||
      !domus_host_set_domain_autostart_finish (domusctl_client_get_host (client), result, &error))
    return domusctl_fail_error (error);
  return 0;
}
