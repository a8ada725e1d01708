/* SPDX-License-Identifier: GPL-3.0-or-later */
/* domusctl console: the domain's serial port on this terminal, as xm console; Ctrl-] leaves. */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib-unix.h>

#include "domusctl-client.h"
#include "domusctl.h"

/* Ctrl-], xm console's (and telnet's) way out. */
#define ESCAPE_BYTE 0x1d

typedef struct {
  GMainLoop      *loop;
  int             socket_fd;
  guint           socket_watch;
  guint           stdin_watch;
  gboolean        raw;
  struct termios  saved;
} Console;

static gboolean
write_all (int         fd,
           const char *data,
           gsize       length)
{
  while (length > 0)
    {
      ssize_t written = write (fd, data, length);

      if (written < 0 && errno == EINTR)
        continue;
      if (written <= 0)
        return FALSE;
      data += written;
      length -= written;
    }
  return TRUE;
}

static gboolean
on_socket_readable (int          fd,
                    GIOCondition condition,
                    gpointer     user_data)
{
  Console *console = user_data;
  char buffer[4096];
  ssize_t n;

  do
    n = read (fd, buffer, sizeof buffer);
  while (n < 0 && errno == EINTR);

  /* End of file: QEMU closed the port, which it does when the domain is gone. */
  if (n <= 0 || !write_all (STDOUT_FILENO, buffer, n))
    {
      console->socket_watch = 0;
      g_main_loop_quit (console->loop);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_stdin_readable (int          fd,
                   GIOCondition condition,
                   gpointer     user_data)
{
  Console *console = user_data;
  char buffer[4096];
  const char *escape;
  ssize_t n;

  do
    n = read (fd, buffer, sizeof buffer);
  while (n < 0 && errno == EINTR);

  if (n <= 0)
    {
      /* Nothing more to type, but the guest may have more to say: keep listening. */
      console->stdin_watch = 0;
      return G_SOURCE_REMOVE;
    }

  escape = memchr (buffer, ESCAPE_BYTE, n);
  if (!write_all (console->socket_fd, buffer, escape != NULL ? escape - buffer : n) || escape != NULL)
    {
      console->stdin_watch = 0;
      g_main_loop_quit (console->loop);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_signal (gpointer user_data)
{
  Console *console = user_data;

  g_main_loop_quit (console->loop);
  return G_SOURCE_CONTINUE;
}

static void
terminal_make_raw (Console *console)
{
  struct termios raw;

  if (!isatty (STDIN_FILENO) || tcgetattr (STDIN_FILENO, &console->saved) != 0)
    return;
  raw = console->saved;
  cfmakeraw (&raw);
  /* Keys go to the guest untouched, but our own newlines still return the carriage. */
  raw.c_oflag |= OPOST | ONLCR;
  if (tcsetattr (STDIN_FILENO, TCSAFLUSH, &raw) == 0)
    console->raw = TRUE;
}

static void
terminal_restore (Console *console)
{
  if (console->raw)
    tcsetattr (STDIN_FILENO, TCSAFLUSH, &console->saved);
  console->raw = FALSE;
}

int
domusctl_attach_console (DomusctlGlobals *globals,
                         const char      *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  /* Over SSH the serial stream rides on this client's session: keep it until the end. */
  g_autoptr(DomusctlClient) client = NULL;
  Console console = { 0 };
  guint signal_ids[3];
  int status = 0;

  if ((client = domusctl_open (globals, &status)) == NULL)
    return status;
  console.socket_fd = domusctl_client_open_console (client, name, DOMUS_CONSOLE_SERIAL, &error);
  if (console.socket_fd < 0)
    return domusctl_fail_error (error);

  /* What was printed before (create -c's "Started domain") must come before the guest's output. */
  fflush (stdout);
  /* A closed stdout or socket must be an error from write(), not a silent death. */
  signal (SIGPIPE, SIG_IGN);
  loop = g_main_loop_new (NULL, FALSE);
  console.loop = loop;
  terminal_make_raw (&console);
  if (console.raw)
    g_printerr (_("Connected to %s’s console; press Ctrl-] to leave.\n"), name);

  console.socket_watch = g_unix_fd_add (console.socket_fd, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                on_socket_readable, &console);
  console.stdin_watch = g_unix_fd_add (STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                       on_stdin_readable, &console);
  signal_ids[0] = g_unix_signal_add (SIGINT, on_signal, &console);
  signal_ids[1] = g_unix_signal_add (SIGTERM, on_signal, &console);
  signal_ids[2] = g_unix_signal_add (SIGHUP, on_signal, &console);

  g_main_loop_run (loop);

  terminal_restore (&console);
  for (gsize i = 0; i < G_N_ELEMENTS (signal_ids); i++)
    g_source_remove (signal_ids[i]);
  g_clear_handle_id (&console.stdin_watch, g_source_remove);
  g_clear_handle_id (&console.socket_watch, g_source_remove);
  close (console.socket_fd);
  return 0;
}

int
domusctl_verb_console (DomusctlGlobals *globals,
                       int              argc,
                       char           **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (_("NAME"));

  g_option_context_set_summary (context,
                                _("Attach to a domain’s serial console, as xm console does. "
                                  "Ctrl-] leaves; so does the end of the domain. With standard "
                                  "input not a terminal, its end leaves the console listening "
                                  "until the domain ends or domusctl gets SIGINT or SIGTERM."));
  if (!domusctl_parse_options (context, &argc, &argv))
    return 2;
  if (argc != 2)
    return domusctl_usage_error (_("console needs exactly one domain name or id"));
  return domusctl_attach_console (globals, argv[1]);
}
