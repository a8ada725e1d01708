/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A libvirt domain's consoles. The screen is a descriptor libvirt hands over (QEMU's VNC
 * server takes it as a client), ready for gtk-vnc; on a remote connection, which cannot
 * pass descriptors, a socket through Domus's own SSH tunnel (domus-libvirt-tunnel.c). The serial port is a libvirt stream:
 * a bridge pumps it to one end of a socket pair on the main loop, in libvirt's
 * non-blocking stream events, so the rest of Domus sees a GIOStream as for domusd hosts.
 */

#include "config.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <libvirt-gconfig/libvirt-gconfig.h>

#include "domus-fd-task.h"
#include "domus-libvirt.h"
#include "domus-libvirt-console.h"
#include "domus-libvirt-tunnel.h"

#define CHUNK 4096

/* On the connection's thread */

static virDomainPtr
lookup_running (virConnectPtr   conn,
                const char     *name,
                GError        **error)
{
  virDomainPtr dom = domus_libvirt_lookup_domain (conn, name);

  if (dom == NULL)
    {
      domus_libvirt_set_error (error, DOMUS_ERROR_NO_SUCH_DOMAIN);
      return NULL;
    }
  if (virDomainIsActive (dom) != 1)
    {
      g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_NOT_RUNNING,
                   _("Domain “%s” is not running: it has no console to open."), name);
      virDomainFree (dom);
      return NULL;
    }
  return dom;
}

/* The index of the first VNC <graphics> among the domain's graphics (what
 * virDomainOpenGraphicsFD counts), or -1; *spice tells whether there is a SPICE one. */
static int
vnc_graphics_index (const char *xml,
                    gboolean   *spice)
{
  GVirConfigDomain *domain = gvir_config_domain_new_from_xml (xml, NULL);
  GList *devices;
  int index = 0, vnc = -1;

  *spice = FALSE;
  if (domain == NULL)
    return -1;
  devices = gvir_config_domain_get_devices (domain);
  for (GList *l = devices; l != NULL && vnc < 0; l = l->next)
    {
      if (!GVIR_CONFIG_IS_DOMAIN_GRAPHICS (l->data))
        continue;
      if (GVIR_CONFIG_IS_DOMAIN_GRAPHICS_VNC (l->data))
        vnc = index;
      else if (GVIR_CONFIG_IS_DOMAIN_GRAPHICS_SPICE (l->data))
        *spice = TRUE;
      index++;
    }
  g_list_free_full (devices, g_object_unref);
  g_object_unref (domain);
  return vnc;
}

/* What the connection's thread found: libvirt's descriptor, or where to tunnel to. */
typedef struct {
  int                      fd;
  DomusLibvirtVncEndpoint *endpoint;
} GraphicsAnswer;

static void
graphics_answer_free (gpointer data)
{
  GraphicsAnswer *answer = data;

  if (answer->fd >= 0)
    close (answer->fd);
  domus_libvirt_vnc_endpoint_free (answer->endpoint);
  g_free (answer);
}

/* The index of the domain's first VNC display, or -1 with error (a SPICE-only domain says so). */
static int
usable_vnc_index (const char  *xml,
                  const char  *name,
                  GError     **error)
{
  gboolean spice = FALSE;
  int index = vnc_graphics_index (xml, &spice);

  if (index < 0 && spice)
    g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED,
                 _("Domain “%s” shows its screen over SPICE only, which Domus cannot show: "
                   "add a VNC display to its definition, or use a SPICE viewer."), name);
  else if (index < 0)
    g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED,
                 _("Domain “%s” has no VNC display to show."), name);
  return index;
}

/* Where the VNC server listens, from the XML with secrets (which says whether VNC has a
 * password) when the connection may read it, else from the plain one. */
static DomusLibvirtVncEndpoint *
remote_endpoint (virDomainPtr   dom,
                 const char    *xml,
                 const char    *name,
                 GError       **error)
{
  char *secure = virDomainGetXMLDesc (dom, VIR_DOMAIN_XML_SECURE);
  DomusLibvirtVncEndpoint *endpoint;

  if (secure == NULL)
    virResetLastError ();
  endpoint = domus_libvirt_vnc_endpoint_from_xml (secure != NULL ? secure : xml, name, error);
  free (secure);
  return endpoint;
}

/*
 * libvirt's own descriptor on a local connection. Never asked for on a remote one: the
 * daemon opens the descriptor and sends it with its answer, the client library (which
 * cannot receive descriptors over ssh, libssh2, tcp or tls) fails on that answer and
 * drops the whole connection (seen with libvirt 9.0). There the answer is where the VNC
 * server listens on the host, read from the running domain's XML, for the SSH tunnel.
 */
static GraphicsAnswer *
find_graphics (virDomainPtr   dom,
               const char    *name,
               gboolean       remote,
               GError       **error)
{
  GraphicsAnswer *answer = NULL;
  char *xml = virDomainGetXMLDesc (dom, 0);
  int index;

  if (xml == NULL)
    {
      domus_libvirt_set_error (error, DOMUS_ERROR_FAILED);
      return NULL;
    }
  index = usable_vnc_index (xml, name, error);
  if (index >= 0)
    {
      answer = g_new0 (GraphicsAnswer, 1);
      answer->fd = -1;
      if (remote)
        answer->endpoint = remote_endpoint (dom, xml, name, error);
      /* libvirt has already checked who we are: VNC's own password would only ask again. */
      else if ((answer->fd = virDomainOpenGraphicsFD (dom, (unsigned int) index,
                                                      VIR_DOMAIN_OPEN_GRAPHICS_SKIPAUTH)) < 0)
        domus_libvirt_set_error (error, DOMUS_ERROR_NOT_SUPPORTED);
      if (answer->fd < 0 && answer->endpoint == NULL)
        g_clear_pointer (&answer, graphics_answer_free);
    }
  free (xml);
  return answer;
}

/* A connection with a host part goes over the network, where descriptors do not pass. */
static gboolean
is_remote (virConnectPtr conn)
{
  char *text = virConnectGetURI (conn);
  g_autoptr(GUri) uri = text != NULL ? g_uri_parse (text, G_URI_FLAGS_NONE, NULL) : NULL;

  free (text);
  return uri != NULL && g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0';
}

static void
open_graphics_work (DomusLibvirtReply *reply,
                    virConnectPtr      conn,
                    gpointer           task_data,
                    GCancellable      *cancellable)
{
  const char *name = task_data;
  GError *error = NULL;
  virDomainPtr dom = lookup_running (conn, name, &error);
  GraphicsAnswer *answer = NULL;

  if (dom != NULL)
    {
      answer = find_graphics (dom, name, is_remote (conn), &error);
      virDomainFree (dom);
    }
  if (answer == NULL)
    domus_libvirt_reply_error (reply, error);
  else
    domus_libvirt_reply_pointer (reply, answer, graphics_answer_free);
}

static void
on_tunnel_opened (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  DomusSshTunnelWay way;
  int fd = domus_libvirt_open_tunnel_finish (DOMUS_LIBVIRT_CONNECTION (source), result, &way, &error);

  if (fd < 0)
    {
      g_task_return_error (task, error);
      return;
    }
  g_debug ("screen of %s through SSH (%s)", (const char *) g_task_get_task_data (task),
           way == DOMUS_SSH_TUNNEL_DIRECT_TCPIP ? "direct-tcpip" : "nc in an exec channel");
  domus_task_return_fd (task, fd);
}

static void
on_graphics_found (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GraphicsAnswer *answer = g_task_propagate_pointer (G_TASK (result), &error);

  if (answer == NULL)
    g_task_return_error (task, error);
  else if (answer->endpoint != NULL)
    {
      GCancellable *cancellable = g_task_get_cancellable (task);

      domus_libvirt_open_tunnel_async (DOMUS_LIBVIRT_CONNECTION (source), answer->endpoint,
                                       cancellable, on_tunnel_opened, g_steal_pointer (&task));
    }
  else
    {
      domus_task_return_fd (task, answer->fd);
      answer->fd = -1;
    }
  if (answer != NULL)
    graphics_answer_free (answer);
}

void
domus_libvirt_open_graphics_async (DomusLibvirtConnection *connection,
                                   const char             *name,
                                   GCancellable           *cancellable,
                                   GAsyncReadyCallback     callback,
                                   gpointer                user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) find_task = NULL;

  g_return_if_fail (DOMUS_IS_LIBVIRT_CONNECTION (connection));
  g_return_if_fail (name != NULL);

  task = g_task_new (connection, cancellable, callback, user_data);
  g_task_set_source_tag (task, domus_libvirt_open_graphics_async);
  g_task_set_task_data (task, g_strdup (name), g_free);
  /* The answer comes back to on_graphics_found, which tunnels to a remote host (main context). */
  find_task = g_task_new (connection, cancellable, on_graphics_found, g_steal_pointer (&task));
  g_task_set_task_data (find_task, g_strdup (name), g_free);
  domus_libvirt_connection_run (connection, find_task, open_graphics_work);
}

int
domus_libvirt_open_graphics_finish (DomusLibvirtConnection  *connection,
                                    GAsyncResult            *result,
                                    GError                 **error)
{
  g_return_val_if_fail (g_task_is_valid (result, connection), -1);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == domus_libvirt_open_graphics_async, -1);
  return domus_task_propagate_fd (G_TASK (result), error);
}

/* The serial console */

static void
free_stream (gpointer stream)
{
  virStreamFree (stream);
}

static void
open_serial_work (DomusLibvirtReply *reply,
                  virConnectPtr      conn,
                  gpointer           task_data,
                  GCancellable      *cancellable)
{
  const char *name = task_data;
  GError *error = NULL;
  virDomainPtr dom = lookup_running (conn, name, &error);
  virStreamPtr stream = NULL;

  if (dom != NULL)
    {
      stream = virStreamNew (conn, VIR_STREAM_NONBLOCK);
      if (stream == NULL || virDomainOpenConsole (dom, NULL, stream, VIR_DOMAIN_CONSOLE_FORCE) < 0)
        {
          domus_libvirt_set_error (&error, DOMUS_ERROR_NOT_SUPPORTED);
          g_clear_pointer (&stream, virStreamFree);
        }
      virDomainFree (dom);
    }
  if (stream == NULL)
    domus_libvirt_reply_error (reply, error);
  else
    domus_libvirt_reply_pointer (reply, stream, free_stream);
}

/* The bridge between the stream and our end of the socket pair (main context). */
typedef struct {
  DomusLibvirtConnection *connection;
  virStreamPtr            stream;
  GSocket                *socket;
  GSource                *socket_source;
  GIOCondition            socket_condition;
  int                     stream_events;
  GByteArray             *to_socket;   /* the guest's output the socket did not take yet */
  GByteArray             *to_guest;    /* input the stream did not take yet */
  gboolean                ended;
} Bridge;

static void update_watches (Bridge *bridge);

static void
abort_stream_work (DomusLibvirtReply *reply,
                   virConnectPtr      conn,
                   gpointer           task_data,
                   GCancellable      *cancellable)
{
  virStreamAbort (task_data);
  virResetLastError ();
  domus_libvirt_reply_boolean (reply, TRUE);
}

static gboolean
free_bridge (gpointer data)
{
  Bridge *bridge = data;

  g_clear_object (&bridge->connection);
  g_clear_object (&bridge->socket);
  g_byte_array_unref (bridge->to_socket);
  g_byte_array_unref (bridge->to_guest);
  g_free (bridge);
  return G_SOURCE_REMOVE;
}

/* Closing our end tells the reader; the stream is aborted on the connection's thread
 * (a remote one answers over the network) and freed with the task. */
static void
end_bridge (Bridge *bridge)
{
  g_autoptr(GTask) task = NULL;

  if (bridge->ended)
    return;
  bridge->ended = TRUE;
  virStreamEventRemoveCallback (bridge->stream);
  if (bridge->socket_source != NULL)
    {
      g_source_destroy (bridge->socket_source);
      g_clear_pointer (&bridge->socket_source, g_source_unref);
    }
  g_socket_close (bridge->socket, NULL);
  task = g_task_new (NULL, NULL, NULL, NULL);
  g_task_set_task_data (task, g_steal_pointer (&bridge->stream), free_stream);
  domus_libvirt_connection_run (bridge->connection, task, abort_stream_work);
  /* A callback of ours may be on the stack: the memory goes once it has returned. */
  g_idle_add (free_bridge, bridge);
}

static void
flush_to_socket (Bridge *bridge)
{
  while (!bridge->ended && bridge->to_socket->len > 0)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_send (bridge->socket, (const char *) bridge->to_socket->data,
                                bridge->to_socket->len, NULL, &error);

      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return;
      if (n <= 0)
        {
          end_bridge (bridge);
          return;
        }
      g_byte_array_remove_range (bridge->to_socket, 0, (guint) n);
    }
}

static void
flush_to_guest (Bridge *bridge)
{
  while (!bridge->ended && bridge->to_guest->len > 0)
    {
      int n = virStreamSend (bridge->stream, (const char *) bridge->to_guest->data, bridge->to_guest->len);

      if (n == -2)
        return;
      if (n < 0)
        {
          end_bridge (bridge);
          return;
        }
      g_byte_array_remove_range (bridge->to_guest, 0, (guint) n);
    }
}

/* What the guest wrote, until the stream has no more now or the socket takes no more. */
static void
read_stream (Bridge *bridge)
{
  char buffer[CHUNK];

  while (!bridge->ended && bridge->to_socket->len == 0)
    {
      int n = virStreamRecv (bridge->stream, buffer, sizeof buffer);

      if (n == -2)
        return;
      if (n <= 0)
        {
          end_bridge (bridge);
          return;
        }
      g_byte_array_append (bridge->to_socket, (const guint8 *) buffer, (guint) n);
      flush_to_socket (bridge);
    }
}

static void
on_stream_event (virStreamPtr  stream,
                 int           events,
                 void         *opaque)
{
  Bridge *bridge = opaque;

  if (bridge->ended)
    return;
  if (events & VIR_STREAM_EVENT_READABLE)
    read_stream (bridge);
  if (events & VIR_STREAM_EVENT_WRITABLE)
    flush_to_guest (bridge);
  if (!bridge->ended && (events & (VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP)))
    end_bridge (bridge);
  update_watches (bridge);
}

static gboolean
on_socket (GSocket      *socket,
           GIOCondition  condition,
           gpointer      user_data)
{
  Bridge *bridge = user_data;

  if (condition & (G_IO_IN | G_IO_HUP | G_IO_ERR))
    {
      char buffer[CHUNK];
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_receive (socket, buffer, sizeof buffer, NULL, &error);

      if (n > 0)
        {
          g_byte_array_append (bridge->to_guest, (const guint8 *) buffer, (guint) n);
          flush_to_guest (bridge);
        }
      else if (n == 0 || !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        end_bridge (bridge);
    }
  if (!bridge->ended && (condition & G_IO_OUT))
    {
      flush_to_socket (bridge);
      read_stream (bridge);
    }
  update_watches (bridge);
  return G_SOURCE_CONTINUE;
}

/* Back-pressure both ways: read a side only while what it gave last has been passed on. */
static void
update_watches (Bridge *bridge)
{
  GIOCondition condition;
  int events;

  if (bridge->ended)
    return;
  condition = bridge->to_guest->len == 0 ? G_IO_IN : 0;
  if (bridge->to_socket->len > 0)
    condition |= G_IO_OUT;
  events = VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP;
  if (bridge->to_socket->len == 0)
    events |= VIR_STREAM_EVENT_READABLE;
  if (bridge->to_guest->len > 0)
    events |= VIR_STREAM_EVENT_WRITABLE;

  if (events != bridge->stream_events)
    {
      virStreamEventUpdateCallback (bridge->stream, events);
      bridge->stream_events = events;
    }
  if (condition != bridge->socket_condition || bridge->socket_source == NULL)
    {
      if (bridge->socket_source != NULL)
        {
          g_source_destroy (bridge->socket_source);
          g_clear_pointer (&bridge->socket_source, g_source_unref);
        }
      bridge->socket_condition = condition;
      bridge->socket_source = g_socket_create_source (bridge->socket, condition | G_IO_HUP | G_IO_ERR, NULL);
      g_source_set_callback (bridge->socket_source, G_SOURCE_FUNC (on_socket), bridge, NULL);
      g_source_attach (bridge->socket_source, NULL);
    }
}

/* The socket pair's far end, for the caller; NULL with error when the pair cannot be made. */
static GIOStream *
start_bridge (DomusLibvirtConnection  *connection,
              virStreamPtr             stream,
              GError                 **error)
{
  g_autoptr(GSocket) far = NULL;
  Bridge *bridge;
  int fds[2];

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot make a socket pair for the console: %s"), g_strerror (saved));
      return NULL;
    }
  bridge = g_new0 (Bridge, 1);
  bridge->connection = g_object_ref (connection);
  bridge->stream = stream;
  bridge->to_socket = g_byte_array_new ();
  bridge->to_guest = g_byte_array_new ();
  bridge->socket = g_socket_new_from_fd (fds[0], NULL);
  far = g_socket_new_from_fd (fds[1], NULL);
  g_assert (bridge->socket != NULL && far != NULL);
  g_socket_set_blocking (bridge->socket, FALSE);
  bridge->stream_events = VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP;
  if (virStreamEventAddCallback (stream, bridge->stream_events, on_stream_event, bridge, NULL) < 0)
    {
      domus_libvirt_set_error (error, DOMUS_ERROR_FAILED);
      end_bridge (bridge);
      return NULL;
    }
  update_watches (bridge);
  return G_IO_STREAM (g_socket_connection_factory_create_connection (far));
}

static void
on_serial_opened (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DomusLibvirtConnection *connection = DOMUS_LIBVIRT_CONNECTION (source);
  GError *error = NULL;
  virStreamPtr stream = g_task_propagate_pointer (G_TASK (result), &error);
  GIOStream *io;

  if (stream == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  io = start_bridge (connection, stream, &error);
  if (io == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, io, g_object_unref);
}

void
domus_libvirt_open_serial_async (DomusLibvirtConnection *connection,
                                 const char             *name,
                                 GCancellable           *cancellable,
                                 GAsyncReadyCallback     callback,
                                 gpointer                user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) open_task = NULL;

  g_return_if_fail (DOMUS_IS_LIBVIRT_CONNECTION (connection));
  g_return_if_fail (name != NULL);

  task = g_task_new (connection, cancellable, callback, user_data);
  g_task_set_source_tag (task, domus_libvirt_open_serial_async);
  /* The stream comes back to on_serial_opened, which bridges it (main context). */
  open_task = g_task_new (connection, NULL, on_serial_opened, g_steal_pointer (&task));
  g_task_set_task_data (open_task, g_strdup (name), g_free);
  domus_libvirt_connection_run (connection, open_task, open_serial_work);
}

GIOStream *
domus_libvirt_open_serial_finish (DomusLibvirtConnection  *connection,
                                  GAsyncResult            *result,
                                  GError                 **error)
{
  g_return_val_if_fail (g_task_is_valid (result, connection), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == domus_libvirt_open_serial_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
