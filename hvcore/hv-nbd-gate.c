/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The disk copies' way into a migration target. QEMU's NBD server listens on a socket in the
 * domain's private run folder; the TCP socket the source is told about is the daemon's, which
 * admits a connection only from a peer hosts-allow names (its address, or a forward-confirmed name:
 * hv-relocation-peer.c) and only as many as there are disks, then relays it to QEMU's
 * (hv-socket-relay.c, off the main loop). An
 * NBD export is writable: without the gate anyone who reached the relocation address first
 * could write into the copy.
 */

#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <gio/gunixsocketaddress.h>

#include "hv-nbd-gate.h"
#include "hv-relocation-peer.h"
#include "hv-socket-relay.h"

struct _HvNbdGate
{
  GObject          parent_instance;

  GSocket         *socket;
  GSocketService  *service;
  GCancellable    *cancellable;   /* the peers' lookups, connections and relays */
  HvDaemonConfig  *config;
  guint            limit;
  guint            admitted;
  char            *unix_path;
  char            *name;
};

G_DEFINE_FINAL_TYPE (HvNbdGate, hv_nbd_gate, G_TYPE_OBJECT)

typedef struct {
  HvNbdGate         *gate;
  GSocketConnection *tcp;
  GSocketConnection *qemu;
  GInetAddress      *address;
} NbdPeer;

static void
nbd_peer_free (NbdPeer *peer)
{
  g_clear_object (&peer->gate);
  g_clear_object (&peer->tcp);
  g_clear_object (&peer->qemu);
  g_clear_object (&peer->address);
  g_free (peer);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NbdPeer, nbd_peer_free)

static void
on_relayed (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(NbdPeer) peer = user_data;
  g_autoptr(GError) error = NULL;
  gint64 bytes = hv_socket_relay_finish (result, &error);

  if (bytes < 0)
    g_debug ("migration of %s: NBD connection ended: %s", peer->gate->name, error->message);
  else
    g_debug ("migration of %s: NBD connection ended, %" G_GINT64_FORMAT " bytes", peer->gate->name, bytes);
  g_io_stream_close (G_IO_STREAM (peer->tcp), NULL, NULL);
  g_io_stream_close (G_IO_STREAM (peer->qemu), NULL, NULL);
}

static void
on_unix_connected (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(NbdPeer) peer = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) qemu = NULL;
  HvNbdGate *self = peer->gate;
  GSocket *tcp;

  qemu = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (qemu == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("migration of %s: cannot reach QEMU's NBD server: %s", self->name, error->message);
      return;
    }
  peer->qemu = g_object_ref (qemu);
  tcp = g_socket_connection_get_socket (peer->tcp);   /* before the peer moves into the call */
  /* NBD replies are small and many: Nagle would hold them for the source's ACKs, as QEMU's
   * own NBD server knows (it sets TCP_NODELAY too). */
  g_socket_set_option (tcp, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  hv_socket_relay_async (tcp, g_socket_connection_get_socket (qemu), self->cancellable,
                         on_relayed, g_steal_pointer (&peer));
}

static void
admit_peer (NbdPeer *peer)
{
  HvNbdGate *self = peer->gate;
  g_autofree char *address = g_inet_address_to_string (peer->address);
  g_autoptr(GSocketClient) client = NULL;
  g_autoptr(GSocketAddress) unix_address = NULL;

  if (self->admitted >= self->limit)
    {
      g_message ("migration of %s: an NBD connection from %s was refused (one per disk)", self->name, address);
      g_io_stream_close (G_IO_STREAM (peer->tcp), NULL, NULL);
      nbd_peer_free (peer);
      return;
    }
  self->admitted++;
  g_debug ("migration of %s: NBD connection from %s", self->name, address);
  client = g_socket_client_new ();
  unix_address = g_unix_socket_address_new (self->unix_path);
  g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (unix_address), self->cancellable,
                                 on_unix_connected, peer);
}

static void
on_peer_checked (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  NbdPeer *peer = user_data;
  g_autoptr(GError) error = NULL;

  if (hv_relocation_peer_check_finish (result, &error))
    {
      admit_peer (peer);
      return;
    }
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_message ("migration of %s: an NBD connection was refused: %s", peer->gate->name, error->message);
      g_io_stream_close (G_IO_STREAM (peer->tcp), NULL, NULL);
    }
  nbd_peer_free (peer);
}

static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             gpointer           user_data)
{
  HvNbdGate *self = user_data;
  g_autoptr(GInetAddress) address = hv_relocation_peer_address (connection);
  NbdPeer *peer;

  if (address == NULL)
    return TRUE;   /* dropped: the connection is closed when the service lets go of it */
  peer = g_new0 (NbdPeer, 1);
  peer->gate = g_object_ref (self);
  peer->tcp = g_object_ref (connection);
  peer->address = g_steal_pointer (&address);
  hv_relocation_peer_check_async (self->config, peer->address, NULL, self->cancellable, on_peer_checked, peer);
  return TRUE;
}

void
hv_nbd_gate_stop (HvNbdGate *self)
{
  g_return_if_fail (HV_IS_NBD_GATE (self));

  g_cancellable_cancel (self->cancellable);
  if (self->service != NULL)
    {
      g_socket_service_stop (self->service);
      g_socket_listener_close (G_SOCKET_LISTENER (self->service));
    }
  g_clear_object (&self->service);
  if (self->socket != NULL)
    g_socket_close (self->socket, NULL);
}

static void
hv_nbd_gate_dispose (GObject *object)
{
  HvNbdGate *self = HV_NBD_GATE (object);

  hv_nbd_gate_stop (self);
  g_clear_object (&self->socket);
  G_OBJECT_CLASS (hv_nbd_gate_parent_class)->dispose (object);
}

static void
hv_nbd_gate_finalize (GObject *object)
{
  HvNbdGate *self = HV_NBD_GATE (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->config, hv_daemon_config_unref);
  g_free (self->unix_path);
  g_free (self->name);
  G_OBJECT_CLASS (hv_nbd_gate_parent_class)->finalize (object);
}

static void
hv_nbd_gate_class_init (HvNbdGateClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hv_nbd_gate_dispose;
  object_class->finalize = hv_nbd_gate_finalize;
}

static void
hv_nbd_gate_init (HvNbdGate *self)
{
  self->cancellable = g_cancellable_new ();
}

HvNbdGate *
hv_nbd_gate_new (GSocket         *socket,
                 HvDaemonConfig  *config,
                 guint            limit,
                 const char      *unix_path,
                 const char      *name,
                 GError         **error)
{
  g_autoptr(HvNbdGate) self = NULL;

  g_return_val_if_fail (G_IS_SOCKET (socket) && config != NULL && unix_path != NULL, NULL);

  self = g_object_new (HV_TYPE_NBD_GATE, NULL);
  self->socket = g_object_ref (socket);
  self->config = hv_daemon_config_ref (config);
  self->limit = limit;
  self->unix_path = g_strdup (unix_path);
  self->name = g_strdup (name);
  self->service = g_socket_service_new ();
  if (!g_socket_listener_add_socket (G_SOCKET_LISTENER (self->service), socket, NULL, error))
    return NULL;
  g_signal_connect_object (self->service, "incoming", G_CALLBACK (on_incoming), self, 0);
  g_socket_service_start (self->service);
  return g_steal_pointer (&self);
}
