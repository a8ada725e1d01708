/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Socket activation without libsystemd: the protocol is two environment variables and
 * descriptors from 3 up, small enough to read here rather than link a library for it.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>
#include <glib/gi18n-lib.h>
#include <gio/gio.h>

#include "hv-socket-activation.h"

static gboolean
parse_uint (const char *text,
            guint64     max,
            guint64    *out)
{
  return text != NULL && g_ascii_string_to_unsigned (text, 10, 0, max, out, NULL);
}

static guint
read_environment (void)
{
  const char *pid_text = g_getenv ("LISTEN_PID");
  const char *fds_text = g_getenv ("LISTEN_FDS");
  guint64 pid = 0;
  guint64 n_fds = 0;

  /* The variables are inherited by whatever the manager's child starts: they are ours only
   * when LISTEN_PID names this very process. */
  if (!parse_uint (pid_text, G_MAXINT, &pid) || pid != (guint64) getpid () ||
      !parse_uint (fds_text, 1024, &n_fds))
    n_fds = 0;

  g_unsetenv ("LISTEN_PID");
  g_unsetenv ("LISTEN_FDS");
  g_unsetenv ("LISTEN_FDNAMES");

  for (guint64 i = 0; i < n_fds; i++)
    {
      int fd = HV_SOCKET_ACTIVATION_FD_START + (int) i;
      int flags = fcntl (fd, F_GETFD);

      if (flags < 0)
        {
          g_warning ("LISTEN_FDS=%" G_GUINT64_FORMAT " but descriptor %d is not open", n_fds, fd);
          return 0;
        }
      fcntl (fd, F_SETFD, flags | FD_CLOEXEC);
    }
  if (n_fds > 0)
    g_debug ("socket-activated: %" G_GUINT64_FORMAT " descriptor(s) from %d",
             n_fds, HV_SOCKET_ACTIVATION_FD_START);
  return (guint) n_fds;
}

guint
hv_socket_activation_get_n_fds (void)
{
  static gsize n_fds_plus_one = 0;

  if (g_once_init_enter (&n_fds_plus_one))
    g_once_init_leave (&n_fds_plus_one, read_environment () + 1);
  return (guint) n_fds_plus_one - 1;
}

static gboolean
listen_inherited (HvRpcServer  *server,
                  GError      **error)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) local_error = NULL;
  int accepting = 0;
  socklen_t length = sizeof accepting;
  int fd = HV_SOCKET_ACTIVATION_FD_START;

  if (hv_socket_activation_get_n_fds () != 1)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("The service manager passed %u sockets; domusd listens on exactly one."),
                   hv_socket_activation_get_n_fds ());
      return FALSE;
    }

  socket = g_socket_new_from_fd (fd, &local_error);
  if (socket == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("The socket passed by the service manager cannot be used: %s"),
                   local_error->message);
      return FALSE;
    }
  /* A datagram or TCP socket, or one nobody called listen() on, would fail later and less
   * clearly: a unit file with the wrong ListenStream= or Accept=yes, say. */
  if (g_socket_get_family (socket) != G_SOCKET_FAMILY_UNIX ||
      g_socket_get_socket_type (socket) != G_SOCKET_TYPE_STREAM ||
      getsockopt (fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) != 0 || !accepting)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("The socket passed by the service manager is not a listening Unix stream socket "
                     "(the socket unit needs ListenStream=PATH and Accept=no)."));
      return FALSE;
    }

  /* The socket file stays when the server stops: it is the service manager's. */
  return hv_rpc_server_listen_socket (server, socket, error);
}

gboolean
hv_socket_activation_listen (HvRpcServer  *server,
                             const char   *path,
                             guint         mode,
                             GError      **error)
{
  g_return_val_if_fail (HV_IS_RPC_SERVER (server), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (hv_socket_activation_get_n_fds () == 0)
    return hv_rpc_server_listen_unix (server, path, mode, error);
  return listen_inherited (server, error);
}
