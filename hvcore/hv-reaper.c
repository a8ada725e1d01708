/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reaping the processes that QEMU's -daemonize leaves to domusd, a child subreaper. */

#include "config.h"

#include <errno.h>
#include <unistd.h>
#include <sys/wait.h>

#include "hv-proc-stats.h"
#include "hv-reaper.h"

static gboolean
reap_if_left (GPid pid,
              GPid self_pid,
              GPid self_session)
{
  HvProcessStats stats;
  int status;

  if (!hv_proc_stats_read_process (pid, &stats) ||
      stats.ppid != self_pid || stats.state != 'Z' || stats.session == self_session)
    return FALSE;
  if (waitpid (pid, &status, WNOHANG) != pid)
    return FALSE;
  g_debug ("reaped process %d that QEMU's -daemonize left (status %d)", pid, status);
  return TRUE;
}

/* The pids in a space-separated list, as /proc/PID/task/TID/children gives them. */
static guint
reap_listed (const char *list,
             GPid        self_pid,
             GPid        self_session)
{
  g_auto(GStrv) pids = g_strsplit (list, " ", -1);
  guint reaped = 0;

  for (guint i = 0; pids[i] != NULL; i++)
    {
      guint64 pid;

      if (g_ascii_string_to_unsigned (g_strstrip (pids[i]), 10, 1, G_MAXINT, &pid, NULL) &&
          reap_if_left ((GPid) pid, self_pid, self_session))
        reaped++;
    }
  return reaped;
}

guint
hv_reaper_reap_daemonized (void)
{
  g_autoptr(GDir) tasks = g_dir_open ("/proc/self/task", 0, NULL);
  g_autoptr(GDir) proc = NULL;
  GPid self_pid = getpid ();
  GPid self_session = getsid (0);
  const char *name;
  guint reaped = 0;

  /* Each thread's children (a reparented process goes to one of them): a few small reads. */
  while (tasks != NULL && (name = g_dir_read_name (tasks)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/proc/self/task", name, "children", NULL);
      g_autofree char *list = NULL;

      if (!g_file_get_contents (path, &list, NULL, NULL))
        break;     /* a kernel without CONFIG_PROC_CHILDREN: every process, below */
      reaped += reap_listed (list, self_pid, self_session);
    }
  if (name == NULL && tasks != NULL)
    return reaped;

  proc = g_dir_open ("/proc", 0, NULL);
  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL)
    {
      guint64 pid;

      if (g_ascii_string_to_unsigned (name, 10, 1, G_MAXINT, &pid, NULL) &&
          reap_if_left ((GPid) pid, self_pid, self_session))
        reaped++;
    }
  return reaped;
}
