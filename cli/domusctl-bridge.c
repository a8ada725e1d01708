/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * domusctl bridge: what an SSH client runs on the host (libssh2 1.10 has no Unix
 * socket forwarding). Standard input and output become a stream to the daemon's
 * socket, or with --console/--serial to a domain's VNC server or serial port.
 */

#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <glib/gi18n.h>

#include "domusctl-client.h"
#include "domus-connection.h"
#include "domusctl.h"

#define BRIDGE_BUFFER_SIZE (64 * 1024)

typedef struct {
  int    from, to;
  char  *buffer;
  gsize  length, offset;
  gboolean eof;        /* nothing more to read from `from` */
  gboolean shut;       /* `to` was told */
} Direction;

static void
direction_shut (Direction *d)
{
  if (d->shut)
    return;
  d->shut = TRUE;
  /* A socket can be half-closed; standard output can only be closed. */
  if (shutdown (d->to, SHUT_WR) != 0)
    close (d->to);
}

/* Returns FALSE on a write error: the other side is gone. */
static gboolean
direction_step (Direction *d,
                short      from_events,
                short      to_events)
{
  ssize_t n;

  if (d->offset == d->length && !d->eof && (from_events & (POLLIN | POLLHUP | POLLERR)))
    {
      n = read (d->from, d->buffer, BRIDGE_BUFFER_SIZE);
      if (n > 0)
        {
          d->offset = 0;
          d->length = (gsize) n;
        }
      else if (n == 0 || errno != EINTR)
        d->eof = TRUE;
    }
  if (d->offset < d->length && (to_events & POLLOUT))
    {
      n = write (d->to, d->buffer + d->offset, d->length - d->offset);
      if (n < 0 && errno != EINTR && errno != EAGAIN)
        return FALSE;
      if (n > 0)
        d->offset += (gsize) n;
    }
  if (d->eof && d->offset == d->length)
    direction_shut (d);
  return TRUE;
}

static short
direction_read_events (Direction *d)
{
  return d->offset == d->length && !d->eof ? POLLIN : 0;
}

static short
direction_write_events (Direction *d)
{
  return d->offset < d->length ? POLLOUT : 0;
}

/* Copies both ways until the far side has said all it will. */
static int
splice_stdio (int socket_fd)
{
  g_autofree char *up_buffer = g_malloc (BRIDGE_BUFFER_SIZE);
  g_autofree char *down_buffer = g_malloc (BRIDGE_BUFFER_SIZE);
  Direction up = { STDIN_FILENO, socket_fd, up_buffer };
  Direction down = { socket_fd, STDOUT_FILENO, down_buffer };

  signal (SIGPIPE, SIG_IGN);
  while (!down.shut)
    {
      struct pollfd fds[3] = {
        { STDIN_FILENO, direction_read_events (&up), 0 },
        { socket_fd, (short) (direction_read_events (&down) | direction_write_events (&up)), 0 },
        { STDOUT_FILENO, direction_write_events (&down), 0 },
      };

      if (poll (fds, G_N_ELEMENTS (fds), -1) < 0 && errno != EINTR)
        return domusctl_fail ("poll: %s", g_strerror (errno));
      if (!direction_step (&up, fds[0].revents, fds[1].revents) ||
          !direction_step (&down, fds[1].revents, fds[2].revents))
        break;
    }
  close (socket_fd);
  return 0;
}

static int
connect_unix (const char  *path,
              GError     **error)
{
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  int fd;

  if (strlen (path) >= sizeof address.sun_path)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("the socket path %s is too long"), path);
      return -1;
    }
  strcpy (address.sun_path, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect (fd, (struct sockaddr *) &address, sizeof address) != 0)
    {
      int saved_errno = errno;

      if (fd >= 0)
        close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("cannot connect to the daemon at %s: %s"), path, g_strerror (saved_errno));
      return -1;
    }
  return fd;
}

static int
bridge_daemon (const char *socket_path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *session_path = NULL;
  int fd;

  if (socket_path == NULL)
    {
      /* The session daemon may need starting first: the library knows how. */
      g_autoptr(DomusctlClient) client = domusctl_client_open (DOMUS_DEFAULT_URI, &error);

      if (client == NULL)
        return domusctl_fail_error (error);
      session_path = domus_connection_get_default_socket_path ();
      socket_path = session_path;
    }
  fd = connect_unix (socket_path, &error);
  if (fd < 0)
    return domusctl_fail_error (error);
  return splice_stdio (fd);
}

static int
bridge_console (const char       *socket_path,
                const char       *name,
                DomusConsoleKind  kind)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = socket_path != NULL ? g_strconcat ("unix:", socket_path, NULL) : NULL;
  g_autoptr(DomusctlClient) client = domusctl_client_open (uri, &error);
  int fd;

  if (client == NULL)
    return domusctl_fail_error (error);
  /* The daemon says whether the domain runs and has that console; its socket is ours to use
     because the daemon's is. */
  fd = domusctl_client_open_console (client, name, kind, &error);
  if (fd < 0)
    return domusctl_fail_error (error);
  return splice_stdio (fd);
}

int
domusctl_verb_bridge (DomusctlGlobals *globals,
                      int              argc,
                      char           **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autofree char *socket_path = NULL;
  g_autofree char *console = NULL;
  g_autofree char *serial = NULL;
  GOptionEntry entries[] = {
    { "socket", 0, 0, G_OPTION_ARG_FILENAME, &socket_path,
      N_("The daemon’s socket (default: the session daemon, started if need be)"), N_("PATH") },
    { "console", 0, 0, G_OPTION_ARG_STRING, &console,
      N_("Carry the screen (VNC) of domain NAME instead of the daemon’s protocol"), N_("NAME") },
    { "serial", 0, 0, G_OPTION_ARG_STRING, &serial,
      N_("Carry the serial console of domain NAME instead"), N_("NAME") },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
                                _("Connect standard input and output to the daemon, or to a domain’s "
                                  "screen or serial console. SSH clients run this on the host: "
                                  "domusctl --connect ssh://HOST does."));
  if (!domusctl_parse_options (context, &argc, &argv))
    return 2;
  if (argc != 1)
    return domusctl_usage_error (_("bridge takes no arguments besides its options"));
  if (console != NULL && serial != NULL)
    return domusctl_usage_error (_("--console and --serial cannot be used together"));
  if (globals->connect_uri != NULL)
    return domusctl_usage_error (_("bridge runs on the daemon’s host: use --socket, not --connect"));

  if (console != NULL)
    return bridge_console (socket_path, console, DOMUS_CONSOLE_GRAPHICS);
  if (serial != NULL)
    return bridge_console (socket_path, serial, DOMUS_CONSOLE_SERIAL);
  return bridge_daemon (socket_path);
}
