/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the C gui tests share: an X server of their own, and children that die with them. */

#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <stdio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>

#include "gui-test-util.h"

void
gui_test_die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

void
gui_test_end_process (GSubprocess **process)
{
  if (*process == NULL)
    return;
  g_subprocess_send_signal (*process, SIGTERM);
  g_subprocess_wait (*process, NULL, NULL);
  g_clear_object (process);
}

GSubprocess *
gui_test_start_xvfb (void)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GError) error = NULL;
  g_autofree char *display = NULL;
  GSubprocess *xvfb;
  char buffer[32] = { 0 };
  gsize got = 0;
  int fds[2];

  g_assert_true (g_unix_open_pipe (fds, FD_CLOEXEC, &error));
  g_subprocess_launcher_take_fd (launcher, fds[1], 3);
  g_subprocess_launcher_set_child_setup (launcher, gui_test_die_with_parent, NULL, NULL);
  xvfb = g_subprocess_launcher_spawn (launcher, &error, "Xvfb", "-displayfd", "3", "-screen", "0",
                                      "1024x768x24", "-nolisten", "tcp", NULL);
  g_assert_no_error (error);
  /* The launcher holds our copy of the write end: without it, EOF means Xvfb died. */
  g_clear_object (&launcher);

  while (got < sizeof buffer - 1 && strchr (buffer, '\n') == NULL)
    {
      struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
      ssize_t n;

      g_assert_cmpint (poll (&pfd, 1, 10000), ==, 1);
      n = read (fds[0], buffer + got, sizeof buffer - 1 - got);
      if (n < 0 && errno == EINTR)
        continue;
      g_assert_cmpint (n, >, 0);
      got += (gsize) n;
    }
  close (fds[0]);
  display = g_strdup_printf (":%d", atoi (buffer));
  g_setenv ("DISPLAY", display, TRUE);
  return xvfb;
}

void
gui_test_remove_tree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          gui_test_remove_tree (child);
        }
    }
  g_remove (path);
}

static int failures;

gboolean
gui_test_check (gboolean    passed,
                const char *format,
                ...)
{
  va_list args;
  g_autofree char *description = NULL;

  va_start (args, format);
  description = g_strdup_vprintf (format, args);
  va_end (args);
  printf ("%s - %s\n", passed ? "ok" : "not ok", description);
  fflush (stdout);
  if (!passed)
    failures++;
  return passed;
}

int
gui_test_failures (void)
{
  return failures;
}

gboolean
gui_test_timed_out (gpointer what)
{
  g_error ("timed out waiting for %s", (const char *) what);
  return G_SOURCE_REMOVE;
}
