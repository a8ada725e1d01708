/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Opening libssh2 channels for the transport's worker (see the header). */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "domus-ssh-channel.h"

char *
domus_ssh_last_error (LIBSSH2_SESSION *ssh)
{
  char *message = NULL;

  libssh2_session_last_error (ssh, &message, NULL, 0);
  return g_strdup (message != NULL && *message != '\0' ? message : _("no detail"));
}

LIBSSH2_CHANNEL *
domus_ssh_channel_open_exec (LIBSSH2_SESSION  *ssh,
                             const char       *command,
                             char            **reason)
{
  LIBSSH2_CHANNEL *channel = libssh2_channel_open_session (ssh);

  if (channel != NULL && libssh2_channel_exec (channel, command) != 0)
    {
      *reason = domus_ssh_last_error (ssh);
      libssh2_channel_free (channel);
      return NULL;
    }
  if (channel == NULL)
    *reason = domus_ssh_last_error (ssh);
  return channel;
}

LIBSSH2_CHANNEL *
domus_ssh_channel_open_tunnel (LIBSSH2_SESSION    *ssh,
                               const char         *host_label,
                               const char         *tcp_host,
                               guint16             tcp_port,
                               const char         *command,
                               DomusSshTunnelWay  *way,
                               char              **reason)
{
  LIBSSH2_CHANNEL *channel;
  g_autofree char *refused = NULL;

  if (tcp_host != NULL)
    {
      *way = DOMUS_SSH_TUNNEL_DIRECT_TCPIP;
      /* The originator's address is ours as the server sees it; loopback is what ssh -W says. */
      channel = libssh2_channel_direct_tcpip_ex (ssh, tcp_host, tcp_port, "127.0.0.1", 0);
      if (channel != NULL)
        return channel;
      refused = domus_ssh_last_error (ssh);
      if (command == NULL || libssh2_session_last_errno (ssh) != LIBSSH2_ERROR_CHANNEL_FAILURE)
        {
          *reason = g_steal_pointer (&refused);
          return NULL;
        }
      g_debug ("%s refused a direct-tcpip channel to %s:%u (%s): running “%s” instead",
               host_label, tcp_host, tcp_port, refused, command);
    }
  *way = DOMUS_SSH_TUNNEL_EXEC;
  channel = domus_ssh_channel_open_exec (ssh, command, reason);
  if (channel == NULL && refused != NULL)
    {
      g_autofree char *exec_reason = *reason;

      *reason = g_strdup_printf (_("forwarding refused (%s), and “%s” could not run (%s)"),
                                 refused, command, exec_reason);
    }
  return channel;
}
