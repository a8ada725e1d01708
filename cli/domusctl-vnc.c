/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * domusctl vnc: a domain's screen on a TCP port of this machine, for any VNC viewer.
 * Loopback only unless --listen says otherwise; each viewer that connects gets its
 * own stream to the domain (over SSH, its own exec channel).
 */

#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <glib/gi18n.h>
#include <glib-unix.h>

#include "domusctl-client.h"
#include "domusctl.h"

/* As VNC displays :0 to :99 count; a free one is taken when --listen names no port. */
#define FIRST_VNC_PORT 5900
#define LAST_VNC_PORT  5999

typedef struct {
  DomusctlClient *client;
  const char     *name;
  GMainLoop      *loop;
  int             status;
} Forwarder;

static void
on_spliced (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!g_io_stream_splice_finish (result, &error))
    g_debug ("a viewer's stream ended: %s", error->message);
}

static void
on_console_opened (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GSocketConnection) viewer = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketConnection) screen = NULL;
  int fd;

  fd = domus_host_open_console_finish (DOMUS_HOST (source), result, &error);
  if (fd >= 0)
    socket = g_socket_new_from_fd (fd, &error);
  if (socket == NULL)
    {
      /* This viewer is turned away; the next one may have better luck. */
      g_printerr ("domusctl: %s\n", error->message);
      return;
    }
  screen = g_socket_connection_factory_create_connection (socket);
  g_io_stream_splice_async (G_IO_STREAM (viewer), G_IO_STREAM (screen),
                            G_IO_STREAM_SPLICE_CLOSE_STREAM1 | G_IO_STREAM_SPLICE_CLOSE_STREAM2,
                            G_PRIORITY_DEFAULT, NULL, on_spliced, NULL);
}

static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *viewer,
             GObject           *source_object,
             gpointer           user_data)
{
  Forwarder *forwarder = user_data;
  GSocket *socket = g_socket_connection_get_socket (viewer);

  /* Frame updates are small and many: do not hold them back. */
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  domus_host_open_console_async (domusctl_client_get_host (forwarder->client), forwarder->name,
                                 DOMUS_CONSOLE_GRAPHICS, NULL, on_console_opened, g_object_ref (viewer));
  return TRUE;
}

static void
on_host_state (DomusHost  *host,
               GParamSpec *pspec,
               gpointer    user_data)
{
  Forwarder *forwarder = user_data;

  if (domus_host_get_state (host) != DOMUS_HOST_STATE_DISCONNECTED)
    return;
  if (domus_host_get_error (host) != NULL)
    g_printerr ("domusctl: %s\n", domus_host_get_error (host)->message);
  forwarder->status = 1;
  g_main_loop_quit (forwarder->loop);
}

static gboolean
on_signal (gpointer user_data)
{
  Forwarder *forwarder = user_data;

  g_main_loop_quit (forwarder->loop);
  return G_SOURCE_CONTINUE;
}

/* "ADDR:PORT", "[v6]:PORT" or "ADDR" (a free VNC port then). */
static gboolean
parse_listen (const char  *text,
              char       **address,
              guint16     *port,
              GError     **error)
{
  g_autofree char *host = NULL;
  const char *colon = strrchr (text, ':');
  guint64 value = 0;

  if (colon != NULL && (text[0] != '[' || colon > strchr (text, ']')))
    {
      host = g_strndup (text, colon - text);
      if (!g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &value, NULL))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("--listen %s: “%s” is not a port number (1 to 65535)"), text, colon + 1);
          return FALSE;
        }
    }
  else
    host = g_strdup (text);
  if (host[0] == '[' && host[strlen (host) - 1] == ']')
    {
      char *inner = g_strndup (host + 1, strlen (host) - 2);
      g_free (host);
      host = inner;
    }
  if (!g_hostname_is_ip_address (host))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--listen %s: “%s” is not an IP address"), text, host);
      return FALSE;
    }
  *address = g_steal_pointer (&host);
  *port = (guint16) value;
  return TRUE;
}

static gboolean
listen_on (GSocketService  *service,
           const char      *address,
           guint16          port,
           guint16         *bound,
           GError         **error)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (address);
  guint16 first = port != 0 ? port : FIRST_VNC_PORT;
  guint16 last = port != 0 ? port : LAST_VNC_PORT;

  for (guint p = first; p <= last; p++)
    {
      g_autoptr(GSocketAddress) socket_address = g_inet_socket_address_new (inet, (guint16) p);
      g_autoptr(GError) local_error = NULL;

      if (g_socket_listener_add_address (G_SOCKET_LISTENER (service), socket_address,
                                         G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                         NULL, NULL, &local_error))
        {
          *bound = (guint16) p;
          return TRUE;
        }
      if (p == last || !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
        {
          g_set_error (error, local_error->domain, local_error->code,
                       _("cannot listen on %s:%u: %s"), address, p, local_error->message);
          return FALSE;
        }
    }
  g_assert_not_reached ();
}

int
domusctl_verb_vnc (DomusctlGlobals *globals,
                   int              argc,
                   char           **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (_("NAME"));
  g_autofree char *listen = NULL;
  g_autofree char *address = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusctlClient) client = NULL;
  g_autoptr(GSocketService) service = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(DomusDomainInfo) domain = NULL;
  guint16 port = 0, bound = 0;
  Forwarder forwarder = { 0 };
  guint signal_ids[3];
  GOptionEntry entries[] = {
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &listen,
      N_("Listen on ADDR[:PORT] (default 127.0.0.1 and the first free port from 5900)"), N_("ADDR:PORT") },
    { NULL }
  };
  int status = 0;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
                                _("Show a domain’s screen to any VNC viewer: listen on a local "
                                  "port and forward each viewer to the domain, locally or over SSH. "
                                  "Runs until interrupted."));
  if (!domusctl_parse_options (context, &argc, &argv))
    return 2;
  if (argc != 2)
    return domusctl_usage_error (_("vnc needs exactly one domain name or id"));
  if (!parse_listen (listen != NULL ? listen : "127.0.0.1", &address, &port, &error))
    return domusctl_usage_error ("%s", error->message);

  if ((client = domusctl_open (globals, &status)) == NULL)
    return status;
  /* Refuse at once rather than at the first viewer when there is no screen to show. */
  domus_host_get_domain_async (domusctl_client_get_host (client), argv[1], domusctl_client_get_cancellable (client),
                               domusctl_store_result, &result);
  if (!domusctl_client_wait (client, &result, &error) ||
      (domain = domus_host_get_domain_finish (domusctl_client_get_host (client), result, &error)) == NULL)
    return domusctl_fail_error (error);
  if (!domain->has_graphics)
    return domusctl_fail (_("domain %s is not running, or its config has no vnc = 1"), argv[1]);

  service = g_socket_service_new ();
  if (!listen_on (service, address, port, &bound, &error))
    return domusctl_fail_error (error);

  loop = g_main_loop_new (NULL, FALSE);
  forwarder.client = client;
  forwarder.name = argv[1];
  forwarder.loop = loop;
  g_signal_connect (service, "incoming", G_CALLBACK (on_incoming), &forwarder);
  g_signal_connect (domusctl_client_get_host (client), "notify::state", G_CALLBACK (on_host_state), &forwarder);
  signal_ids[0] = g_unix_signal_add (SIGINT, on_signal, &forwarder);
  signal_ids[1] = g_unix_signal_add (SIGTERM, on_signal, &forwarder);
  signal_ids[2] = g_unix_signal_add (SIGHUP, on_signal, &forwarder);
  signal (SIGPIPE, SIG_IGN);

  /* Scripts read this line to know where to point the viewer. */
  if (strchr (address, ':') != NULL)
    g_print ("[%s]:%u\n", address, bound);
  else
    g_print ("%s:%u\n", address, bound);
  fflush (stdout);

  g_socket_service_start (service);
  g_main_loop_run (loop);
  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));

  g_signal_handlers_disconnect_by_data (domusctl_client_get_host (client), &forwarder);
  for (gsize i = 0; i < G_N_ELEMENTS (signal_ids); i++)
    g_source_remove (signal_ids[i]);
  return forwarder.status;
}
