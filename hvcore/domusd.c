/* SPDX-License-Identifier: GPL-3.0-or-later */
/* domusd: the per-host daemon that answers Domus clients on a Unix socket. */

#include "config.h"

#include <locale.h>
#include <signal.h>
#include <glib/gi18n.h>
#include <glib-unix.h>

#include "hv-daemon.h"

typedef struct {
  GMainLoop *loop;
  int        status;
} Run;

static gboolean
on_quit_signal (gpointer user_data)
{
  Run *run = user_data;

  g_main_loop_quit (run->loop);
  return G_SOURCE_CONTINUE;
}

static void
on_started (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  HvDaemon *daemon = HV_DAEMON (source);

  if (!hv_daemon_start_finish (daemon, result, &error))
    {
      g_printerr ("domusd: %s\n", error->message);
      run->status = 1;
      g_main_loop_quit (run->loop);
      return;
    }
  g_printerr (_("domusd: host “%s” listening on %s\n"),
              hv_daemon_get_name (daemon), hv_daemon_get_paths (daemon)->socket_path);
}

int
main (int argc, char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HvPaths) paths = NULL;
  g_autoptr(HvDaemon) daemon = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *root = NULL;
  g_autofree char *name = NULL;
  g_autofree char *socket_path = NULL;
  gboolean system_mode = FALSE;
  gboolean show_version = FALSE;
  Run run = { 0 };
  guint sigint_id, sigterm_id;
  const GOptionEntry entries[] = {
    { "root", 'r', 0, G_OPTION_ARG_FILENAME, &root,
      N_("Keep configs, images, run folders and the socket under DIR"), N_("DIR") },
    { "name", 'n', 0, G_OPTION_ARG_STRING, &name,
      N_("The host name to report (default: the machine’s)"), N_("NAME") },
    { "system", 0, 0, G_OPTION_ARG_NONE, &system_mode,
      N_("Run as the system daemon (/etc/domus, /var/lib/domus, /run/domus)"), NULL },
    { "socket", 's', 0, G_OPTION_ARG_FILENAME, &socket_path,
      N_("Listen on PATH instead of the default socket"), N_("PATH") },
    { "version", 0, 0, G_OPTION_ARG_NONE, &show_version,
      N_("Print the version and exit"), NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("The Domus hypervisor daemon."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("domusd: %s\n", error->message);
      return 2;
    }
  if (show_version)
    {
      g_print ("domusd %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (argc > 1)
    {
      g_printerr (_("domusd: unexpected argument “%s”\n"), argv[1]);
      return 2;
    }
  if (root != NULL && system_mode)
    {
      g_printerr (_("domusd: --root and --system cannot be used together\n"));
      return 2;
    }
  if (name != NULL && *name == '\0')
    {
      g_printerr (_("domusd: the host name must not be empty\n"));
      return 2;
    }

  if (root != NULL)
    paths = hv_paths_new_root (root);
  else if (system_mode)
    paths = hv_paths_new_system ();
  else
    paths = hv_paths_new_session ();
  if (socket_path != NULL)
    hv_paths_set_socket (paths, socket_path);

  /* A client that hangs up mid-reply must not kill the daemon. */
  signal (SIGPIPE, SIG_IGN);

  loop = g_main_loop_new (NULL, FALSE);
  run.loop = loop;
  sigint_id = g_unix_signal_add (SIGINT, on_quit_signal, &run);
  sigterm_id = g_unix_signal_add (SIGTERM, on_quit_signal, &run);

  daemon = hv_daemon_new (paths, name);
  hv_daemon_start_async (daemon, NULL, on_started, &run);
  g_main_loop_run (loop);

  hv_daemon_stop (daemon);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  return run.status;
}
