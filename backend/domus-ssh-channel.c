/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Opening libssh2 channels for the transport's worker (see the header). */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "domus-error.h"
#include "domus-ssh-channel.h"

char *
domus_ssh_last_error (LIBSSH2_SESSION *ssh)
{
  char *message = NULL;

  libssh2_session_last_error (ssh, &message, NULL, 0);
  return g_strdup (message != NULL && *message != '\0' ? message : _("no detail"));
}

const char *
domus_ssh_tunnel_way_name (DomusSshTunnelWay way)
{
  switch (way)
    {
    case DOMUS_SSH_TUNNEL_DIRECT_TCPIP:
      return "direct-tcpip";
    case DOMUS_SSH_TUNNEL_STREAMLOCAL:
      return "direct-streamlocal";
    case DOMUS_SSH_TUNNEL_EXEC:
    default:
      return "exec";
    }
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

/*
 * libssh2 1.10 has no call for OpenSSH's direct-streamlocal@openssh.com (1.11 does), but
 * sends whatever type-specific data it is given. OpenSSH's PROTOCOL file, 2.4: the socket
 * path (a string), then a reserved string and a reserved uint32; sshd drops the whole
 * connection when the data does not end there, so nothing more is sent.
 */
static LIBSSH2_CHANNEL *
open_streamlocal (LIBSSH2_SESSION *ssh,
                  const char      *socket_path)
{
  static const char type[] = "direct-streamlocal@openssh.com";
  static const guint8 reserved[8] = { 0 };   /* an empty string, then a zero */
  g_autoptr(GByteArray) data = g_byte_array_new ();
  gsize path_length = strlen (socket_path);
  guint32 length = GUINT32_TO_BE ((guint32) path_length);

  g_byte_array_append (data, (const guint8 *) &length, sizeof length);
  g_byte_array_append (data, (const guint8 *) socket_path, (guint) path_length);
  g_byte_array_append (data, reserved, sizeof reserved);
  return libssh2_channel_open_ex (ssh, type, sizeof type - 1, LIBSSH2_CHANNEL_WINDOW_DEFAULT,
                                  LIBSSH2_CHANNEL_PACKET_DEFAULT, (const char *) data->data, data->len);
}

LIBSSH2_CHANNEL *
domus_ssh_channel_open_tunnel (LIBSSH2_SESSION    *ssh,
                               const char         *host_label,
                               const char         *socket_path,
                               const char         *tcp_host,
                               guint16             tcp_port,
                               const char         *command,
                               DomusSshTunnelWay  *way,
                               char              **reason)
{
  LIBSSH2_CHANNEL *channel;
  g_autofree char *refused = NULL;
  g_autofree char *target = NULL;

  if (socket_path != NULL || tcp_host != NULL)
    {
      *way = socket_path != NULL ? DOMUS_SSH_TUNNEL_STREAMLOCAL : DOMUS_SSH_TUNNEL_DIRECT_TCPIP;
      /* The originator's address is ours as the server sees it; loopback is what ssh -W says. */
      channel = socket_path != NULL ? open_streamlocal (ssh, socket_path)
                : libssh2_channel_direct_tcpip_ex (ssh, tcp_host, tcp_port, "127.0.0.1", 0);
      if (channel != NULL)
        return channel;
      refused = domus_ssh_last_error (ssh);
      /* Any refusal of the channel (forwarding off, nothing listening, a server that knows
         no such channel type) leaves the command to try; anything else is the connection's. */
      if (command == NULL || libssh2_session_last_errno (ssh) != LIBSSH2_ERROR_CHANNEL_FAILURE)
        {
          *reason = g_steal_pointer (&refused);
          return NULL;
        }
      target = socket_path != NULL ? g_strdup (socket_path) : g_strdup_printf ("%s:%u", tcp_host, tcp_port);
      g_debug ("%s refused a %s channel to %s (%s): running “%s” instead", host_label,
               domus_ssh_tunnel_way_name (*way), target, refused, command);
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

/* What a shell answers when it finds no such command (POSIX: 127). */
#define EXIT_STATUS_NOT_FOUND 127

GError *
domus_ssh_channel_describe_end (const char        *host_label,
                                const char        *bridge,
                                DomusSshTunnelWay  way,
                                const char        *socket_path,
                                const char        *stderr_text,
                                int                exit_status)
{
  g_autofree char *said = g_strstrip (g_strdup (stderr_text));
  char *last_line = strrchr (said, '\n');

  /* No remote process: sshd's connection to the socket ended, which only the daemon does
     (or the daemon's end: a stop, a crash, a restart). */
  if (way == DOMUS_SSH_TUNNEL_STREAMLOCAL)
    return g_error_new (DOMUS_ERROR, DOMUS_ERROR_DISCONNECTED,
                        _("The daemon on %s closed the connection: it stopped or restarted (its socket %s)."),
                        host_label, socket_path);

  if (last_line != NULL)
    last_line++;
  else
    last_line = said;

  /* A host without Domus: say what to put there, not the shell's "command not found". */
  if (exit_status == EXIT_STATUS_NOT_FOUND)
    return g_error_new (DOMUS_ERROR, DOMUS_ERROR_NOT_INSTALLED,
                        _("Domus is not installed on %s: the command “%s” was not found there. "
                          "On %s, install the package domusd (sudo apt install ./domusd_*.deb) "
                          "and enable its daemon (sudo systemctl enable --now domusd.socket)."),
                        host_label, bridge, host_label);
  if (exit_status != 0 && *last_line != '\0')
    return g_error_new (DOMUS_ERROR, DOMUS_ERROR_DISCONNECTED,
                        _("The bridge to the daemon on %s ended (exit status %d): %s"),
                        host_label, exit_status, last_line);
  if (exit_status != 0)
    return g_error_new (DOMUS_ERROR, DOMUS_ERROR_DISCONNECTED,
                        _("The bridge to the daemon on %s ended (exit status %d)."),
                        host_label, exit_status);
  return g_error_new (DOMUS_ERROR, DOMUS_ERROR_DISCONNECTED,
                      _("The daemon on %s closed the connection."), host_label);
}
