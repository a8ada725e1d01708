/* SPDX-License-Identifier: GPL-3.0-or-later */
/* domusd: the per-host daemon that answers Domus clients on a Unix socket. */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <glib/gi18n.h>
#include <glib-unix.h>

#include "domus-i18n.h"
#include "hv-daemon.h"
#include "hv-reaper.h"
#include "hv-socket-activation.h"

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

/*
 * The domains reap what their QEMUs leave as they go; this catches the rest, such as the
 * guest process of a failed start, which may still be exiting when the start gives up.
 */
#define REAP_INTERVAL_S 2

static gboolean
on_reap_timer (gpointer user_data)
{
  hv_reaper_reap_daemonized ();
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

/*
 * Every client and every guest holds descriptors of the daemon. The soft limit (1,024 on
 * many systems) exists for programs that still use select(); GLib polls, so the daemon
 * takes what the hard limit allows. Its children inherit the raised limit: QEMU and
 * qemu-img poll too.
 */
static void
raise_fd_limit (void)
{
  struct rlimit limit;
  g_autofree char *nr_open = NULL;
  guint64 kernel_max;
  int saved_errno;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == limit.rlim_max)
    return;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit (RLIMIT_NOFILE, &limit) == 0)
    return;
  saved_errno = errno;
  /* An unlimited hard limit still stops at the kernel's fs.nr_open. */
  if (saved_errno == EPERM && g_file_get_contents ("/proc/sys/fs/nr_open", &nr_open, NULL, NULL) &&
      g_ascii_string_to_unsigned (g_strstrip (nr_open), 10, 1, G_MAXUINT64, &kernel_max, NULL) &&
      kernel_max < limit.rlim_max)
    {
      limit.rlim_cur = kernel_max;
      if (setrlimit (RLIMIT_NOFILE, &limit) == 0)
        return;
      saved_errno = errno;
    }
  g_message ("cannot raise the open files limit to %" G_GUINT64_FORMAT ": %s",
             (guint64) limit.rlim_cur, g_strerror (saved_errno));
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
  g_autofree char *accel = NULL;
  g_autofree char *network = NULL;
  g_autofree char *qemu = NULL;
  g_autofree char *config_path = NULL;
  g_autoptr(HvDaemonConfig) config = NULL;
  int tb_size = -1;
  int stats_interval = 1000;
  HvDaemonOptions options;
  gboolean system_mode = FALSE;
  gboolean show_version = FALSE;
  Run run = { 0 };
  guint sigint_id, sigterm_id, reap_id;
  const GOptionEntry entries[] = {
    { "root", 'r', 0, G_OPTION_ARG_FILENAME, &root,
      N_("Keep configs, images, run folders and the socket under DIR"), N_("DIR") },
    { "name", 'n', 0, G_OPTION_ARG_STRING, &name,
      N_("The host name to report (default: the machine’s)"), N_("NAME") },
    { "system", 0, 0, G_OPTION_ARG_NONE, &system_mode,
      N_("Run as the system daemon (/etc/domus, /var/lib/domus, /run/domus)"), NULL },
    { "socket", 's', 0, G_OPTION_ARG_FILENAME, &socket_path,
      N_("Listen on PATH instead of the default socket"), N_("PATH") },
    { "accel", 0, 0, G_OPTION_ARG_STRING, &accel,
      N_("auto (probe KVM, else TCG), kvm or tcg"), N_("ACCEL") },
    { "tb-size", 0, 0, G_OPTION_ARG_INT, &tb_size,
      N_("TCG translation cache per guest in MiB (0: QEMU’s default; default: a quarter of "
         "the guest’s memory, 32 to 256)"), N_("MIB") },
    { "network", 0, 0, G_OPTION_ARG_STRING, &network,
      N_("user (user-mode networking) or bridge (taps on the vifs’ bridges; needs root)"), N_("MODE") },
    { "stats-interval", 0, 0, G_OPTION_ARG_INT, &stats_interval,
      N_("Sample stats every MS milliseconds (100 to 60000; default 1000)"), N_("MS") },
    { "qemu", 0, 0, G_OPTION_ARG_FILENAME, &qemu,
      N_("The QEMU binary (default: qemu-system-x86_64 from PATH)"), N_("PATH") },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      N_("Read the daemon’s settings from PATH (default: domusd.conf in the root, "
         "XDG config or /etc/domus folder)"), N_("PATH") },
    { "version", 0, 0, G_OPTION_ARG_NONE, &show_version,
      N_("Print the version and exit"), NULL },
    { NULL }
  };

  /* Before any thread starts: it takes LISTEN_PID/LISTEN_FDS out of the environment. */
  hv_socket_activation_get_n_fds ();
  domus_i18n_init ();

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

  hv_daemon_options_init (&options);
  options.net_mode = system_mode ? HV_QEMU_NET_TAP : HV_QEMU_NET_USER;
  options.qemu_binary = qemu;
  if (accel == NULL || strcmp (accel, "auto") == 0)
    options.accel = HV_DAEMON_ACCEL_AUTO;
  else if (strcmp (accel, "kvm") == 0)
    options.accel = HV_DAEMON_ACCEL_KVM;
  else if (strcmp (accel, "tcg") == 0)
    options.accel = HV_DAEMON_ACCEL_TCG;
  else
    {
      g_printerr (_("domusd: --accel: “%s” is not auto, kvm or tcg\n"), accel);
      return 2;
    }
  if (network == NULL)
    ;
  else if (strcmp (network, "user") == 0)
    options.net_mode = HV_QEMU_NET_USER;
  else if (strcmp (network, "bridge") == 0)
    options.net_mode = HV_QEMU_NET_TAP;
  else
    {
      g_printerr (_("domusd: --network: “%s” is not user or bridge\n"), network);
      return 2;
    }
  if (tb_size > 4096)
    {
      g_printerr (_("domusd: --tb-size: %d MiB is more than 4096\n"), tb_size);
      return 2;
    }
  if (stats_interval < 100 || stats_interval > 60000)
    {
      g_printerr (_("domusd: --stats-interval: %d is not between 100 and 60000\n"), stats_interval);
      return 2;
    }
  options.stats_interval_ms = (guint) stats_interval;
  if (tb_size < -1)
    {
      g_printerr (_("domusd: --tb-size: %d is negative\n"), tb_size);
      return 2;
    }
  if (tb_size >= 0)
    options.tb_size_mib = (guint) tb_size;

  if (root != NULL)
    paths = hv_paths_new_root (root);
  else if (system_mode)
    paths = hv_paths_new_system ();
  else
    paths = hv_paths_new_session ();
  if (socket_path != NULL)
    hv_paths_set_socket (paths, socket_path);

  /* A bad file stops the daemon before it listens: better than running with other settings. */
  if (config_path != NULL)
    config = hv_daemon_config_load (config_path, TRUE, &error);
  else
    {
      g_autofree char *default_path = hv_daemon_config_default_path (paths->kind, root);

      config = hv_daemon_config_load (default_path, FALSE, &error);
    }
  if (config == NULL)
    {
      g_printerr ("domusd: %s\n", error->message);
      return 2;
    }

  raise_fd_limit ();
  /* A client that hangs up mid-reply must not kill the daemon. */
  signal (SIGPIPE, SIG_IGN);
  /* QEMUs daemonize: as a subreaper we inherit them (and what -daemonize leaves), so they are
     reaped here rather than left as zombies where PID 1 may not reap (see hv-reaper.h). */
  prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

  loop = g_main_loop_new (NULL, FALSE);
  run.loop = loop;
  sigint_id = g_unix_signal_add (SIGINT, on_quit_signal, &run);
  sigterm_id = g_unix_signal_add (SIGTERM, on_quit_signal, &run);
  reap_id = g_timeout_add_seconds (REAP_INTERVAL_S, on_reap_timer, NULL);

  daemon = hv_daemon_new (paths, name, &options);
  hv_daemon_set_config (daemon, config);
  hv_rpc_server_set_client_limits (hv_daemon_get_server (daemon),
                                   config->clients.max, config->clients.idle_timeout_s);
  hv_daemon_start_async (daemon, NULL, on_started, &run);
  g_main_loop_run (loop);

  hv_daemon_stop (daemon);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  g_source_remove (reap_id);
  return run.status;
}
