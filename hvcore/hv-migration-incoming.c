/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A migration's target. prepare makes the disk copies in the image store, starts QEMU with
 * -incoming defer, exports the copies through the NBD gate and listens on the relocation
 * address; the first TCP connection there that hosts-allow lets in is handed to QEMU (getfd +
 * migrate-incoming fd:), the others are turned away. finish adopts the domain that arrived, or rolls back
 * until the host is as it was.
 */

#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "domus-json-util.h"
#include "hv-migration-private.h"
#include "hv-relocation-peer.h"

/* The target's completion, polled once perform answered: it follows the source within moments. */
#define FINISH_POLL_MS    10
#define FINISH_POLL_LIMIT 3000

#define QEMU_FD_MIGRATE "domus-migrate"

/* Peers whose hosts-allow check (maybe a DNS lookup) runs at once; more are turned away. */
#define MAX_PEERS_CHECKED 8

static void incoming_fail (HvMigration *self, GError *error);
static void incoming_cleanup (HvMigration *self);
static char *copies_record_path (HvMigration *self);
static void finish_start (HvMigration *self, gboolean success, gboolean resume);

HvMigration *
hv_migration_new_incoming (const HvMigrationContext *context,
                           const HvMigrationRequest *request)
{
  HvMigration *self = hv_migration_new_with_context (context);

  self->incoming = TRUE;
  self->name = g_strdup (request->name);
  self->id = g_uuid_string_random ();
  self->copy_storage = request->copy_storage;
  self->postcopy = request->postcopy;
  self->request_text = g_strdup (request->config_text);
  self->tls_psk = g_strdup (request->tls_psk);
  for (guint i = 0; i < request->n_disks; i++)
    {
      HvMigrationDisk *disk = g_new0 (HvMigrationDisk, 1);

      disk->path = g_strdup (request->disks[i].path);
      disk->size_bytes = request->disks[i].size_bytes;
      g_ptr_array_add (self->request_disks, disk);
    }
  self->resume = TRUE;
  return self;
}

void
hv_migration_incoming_dispose (HvMigration *self)
{
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  if (self->accept_cancellable != NULL)
    g_cancellable_cancel (self->accept_cancellable);
  g_clear_object (&self->accept_cancellable);
  if (self->listener != NULL)
    g_socket_listener_close (self->listener);
  g_clear_object (&self->listener);
  if (self->nbd_gate != NULL)
    hv_nbd_gate_stop (self->nbd_gate);
  g_clear_object (&self->nbd_gate);
  g_clear_object (&self->nbd_socket);
  g_clear_object (&self->connection);
}

/* Where the source should connect: the relocation address, or this host's name when it is every address. */
static const char *
advertised_host (HvMigration *self)
{
  const char *host = self->context.config->relocation.address;

  return *host != '\0' ? host : g_get_host_name ();
}

const char *
hv_migration_get_uri (HvMigration *self)
{
  g_return_val_if_fail (HV_IS_MIGRATION (self), NULL);
  return self->uri;
}

gboolean
hv_migration_get_nbd (HvMigration    *self,
                      HvMigrationNbd *nbd)
{
  g_return_val_if_fail (HV_IS_MIGRATION (self), FALSE);

  if (self->nbd_socket == NULL)
    return FALSE;
  nbd->host = advertised_host (self);
  nbd->port = self->nbd_port;
  nbd->exports = (const HvMigrationExport *) self->exports->data;
  nbd->n_exports = self->exports->len;
  return TRUE;
}

static void
on_incoming_domain_ended (HvDomain   *domain,
                          const char *reason,
                          guint       action,
                          gpointer    user_data)
{
  HvMigration *self = user_data;

  if (self->step == STEP_CLEANING || self->step == STEP_DONE)
    {
      if (self->step == STEP_CLEANING)
        incoming_cleanup (self);
      return;
    }
  /* QEMU ends itself when the incoming stream breaks. */
  incoming_fail (self, g_error_new (HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_FAILED,
                                    _("QEMU on the target ended (%s) before the migration finished"), reason));
}

static void
stop_listening (HvMigration *self)
{
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  if (self->accept_cancellable != NULL)
    g_cancellable_cancel (self->accept_cancellable);
  if (self->listener != NULL)
    g_socket_listener_close (self->listener);
  if (self->nbd_gate != NULL)
    hv_nbd_gate_stop (self->nbd_gate);
  else if (self->nbd_socket != NULL)
    g_socket_close (self->nbd_socket, NULL);
  if (self->connection != NULL)
    g_io_stream_close (G_IO_STREAM (self->connection), NULL, NULL);
}

static void
remove_copies (HvMigration *self)
{
  for (guint i = 0; i < self->copies->len; i++)
    {
      DiskCopy *copy = g_ptr_array_index (self->copies, i);

      if (copy->created && g_unlink (copy->path) != 0 && errno != ENOENT)
        g_message ("migration of %s: cannot remove the copy %s: %s", self->name, copy->path, g_strerror (errno));
    }
  if (self->copies->len > 0)
    {
      g_autofree char *record = copies_record_path (self);

      g_unlink (record);
    }
}

/* Rolls the target back: QEMU ended, run folder, copies and the temporary config removed. */
static void
incoming_cleanup (HvMigration *self)
{
  g_autoptr(HvMigration) hold = g_object_ref (self);

  self->step = STEP_CLEANING;
  stop_listening (self);
  if (self->domain != NULL && hv_domain_is_active (self->domain))
    {
      if (hv_domain_get_state (self->domain) != HV_DOMAIN_STATE_DYING)
        hv_domain_destroy_async (self->domain, NULL, NULL, NULL);
      return;  /* on_incoming_domain_ended comes back here */
    }
  if (self->domain != NULL)
    hv_host_forget_incoming (self->context.host, self->domain);
  remove_copies (self);
  if (self->temp_config_path != NULL)
    g_unlink (self->temp_config_path);

  if (self->failure != NULL)
    hv_migration_return_error (self, self->failure);
  else if (self->task != NULL && g_task_get_source_tag (self->task) == hv_migration_prepare_async)
    {
      /* A prepare under way that a cancel ended: it is answered, as every call is. */
      g_autoptr(GError) error = g_error_new (HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_CANCELLED,
                                             _("The migration of %s was cancelled"), self->name);

      hv_migration_return_error (self, error);
    }
  else
    hv_migration_return_ok (self);
  hv_migration_set_done (self);
}

/* error: taken. */
static void
incoming_fail (HvMigration *self,
               GError      *error)
{
  if (self->step == STEP_CLEANING || self->step == STEP_DONE)
    {
      g_error_free (error);
      return;
    }
  error = hv_migration_failure_from (error);
  g_message ("migration of %s to this host failed: %s", self->name, error->message);
  g_clear_error (&self->failure);
  self->failure = error;
  incoming_cleanup (self);
}

void
hv_migration_incoming_driver_gone (HvMigration *self)
{
  /* A finish under way ends the migration anyway. */
  if (self->step == STEP_DONE || self->step == STEP_CLEANING || self->step == STEP_FINISHING)
    return;
  if (self->received)
    {
      /* The guest may live only here now: keep it, as finish would, but leave it as it is. */
      g_message ("migration of %s: the client left after the stream arrived; the domain stays here",
                 self->name);
      finish_start (self, TRUE, FALSE);
      return;
    }
  incoming_fail (self, g_error_new (HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_CANCELLED,
                                    _("The client that prepared the migration went away")));
}

void
hv_migration_incoming_cancel (HvMigration *self)
{
  if (self->step == STEP_DONE || self->step == STEP_CLEANING || self->step == STEP_FINISHING)
    return;
  if (self->step == STEP_PREPARING)
    incoming_fail (self, g_error_new (HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_CANCELLED,
                                      _("The migration of %s was cancelled"), self->name));
  else
    finish_start (self, FALSE, FALSE);
}

/* Accepting the stream */

static void
on_migrate_incoming (HvMigration  *self,
                     JsonNode     *reply,
                     const GError *error)
{
  if (error != NULL)
    {
      incoming_fail (self, g_error_new (HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_FAILED,
                                        _("QEMU refused the incoming stream: %s"), error->message));
      return;
    }
  /* QEMU has its own copy of the socket. */
  if (self->connection != NULL)
    g_io_stream_close (G_IO_STREAM (self->connection), NULL, NULL);
  g_clear_object (&self->connection);
}

static void
on_migrate_fd_passed (HvMigration  *self,
                      JsonNode     *reply,
                      const GError *error)
{
  JsonObject *arguments;

  if (error != NULL)
    {
      incoming_fail (self, g_error_new (HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_FAILED,
                                        _("Cannot hand the stream to QEMU: %s"), error->message));
      return;
    }
  arguments = json_object_new ();
  json_object_set_string_member (arguments, "uri", "fd:" QEMU_FD_MIGRATE);
  hv_migration_qmp (self, "migrate-incoming", arguments, -1, on_migrate_incoming);
}

/* The peer was let in: QEMU gets its socket. */
static void
hand_stream_to_qemu (HvMigration *self)
{
  JsonObject *arguments;
  GSocket *socket;

  g_debug ("migration of %s: stream from %s", self->name, self->peer_address);
  self->step = STEP_RECEIVING;
  socket = g_socket_connection_get_socket (self->connection);
  arguments = json_object_new ();
  json_object_set_string_member (arguments, "fdname", QEMU_FD_MIGRATE);
  /* getfd names the fd that came with its own message (SCM_RIGHTS). */
  hv_migration_qmp (self, "getfd", arguments, g_socket_get_fd (socket), on_migrate_fd_passed);
}

typedef struct {
  HvMigration       *self;
  GSocketConnection *connection;
  GInetAddress      *address;
} StreamPeer;

static void
stream_peer_free (StreamPeer *peer)
{
  if (peer->connection != NULL)
    g_io_stream_close (G_IO_STREAM (peer->connection), NULL, NULL);
  g_clear_object (&peer->connection);
  g_clear_object (&peer->address);
  g_clear_object (&peer->self);
  g_free (peer);
}

static void
on_stream_peer_checked (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  StreamPeer *peer = user_data;
  HvMigration *self = peer->self;
  g_autoptr(GError) error = NULL;

  self->peers_checked--;
  if (hv_relocation_peer_check_finish (result, &error) && self->step == STEP_PREPARED)
    {
      /* One stream per migration: nobody else gets in (the other checks end cancelled). */
      g_clear_handle_id (&self->timeout_id, g_source_remove);
      g_cancellable_cancel (self->accept_cancellable);
      g_socket_listener_close (self->listener);
      self->connection = g_steal_pointer (&peer->connection);
      self->peer_address = g_inet_address_to_string (peer->address);
      hand_stream_to_qemu (self);
    }
  else if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* Turned away, and the migration waits on for the right peer until its deadline:
       * whoever reaches the port must not be able to end a migration they cannot join. */
      g_message ("migration of %s: a stream was refused: %s", self->name, error->message);
      g_clear_error (&self->refusal);
      self->refusal = g_error_new (HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_REFUSED,
                                   _("A migration stream was refused: %s"), error->message);
    }
  stream_peer_free (peer);
}

static void
on_accepted (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(HvMigration) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GInetAddress) address = NULL;
  StreamPeer *peer;

  connection = g_socket_listener_accept_finish (G_SOCKET_LISTENER (source), result, NULL, &error);
  if (connection == NULL)
    {
      if (self->step == STEP_PREPARED && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        incoming_fail (self, g_error_new (HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_FAILED,
                                          _("The relocation listener failed: %s"), error->message));
      return;
    }
  if (self->step != STEP_PREPARED)
    {
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      return;
    }
  address = hv_relocation_peer_address (connection);
  if (address == NULL || self->peers_checked >= MAX_PEERS_CHECKED)
    {
      g_message ("migration of %s: a stream was turned away (%s)", self->name,
                 address == NULL ? "no network address" : "too many peers at once");
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
    }
  else
    {
      peer = g_new0 (StreamPeer, 1);
      peer->self = g_object_ref (self);
      peer->connection = g_steal_pointer (&connection);
      peer->address = g_steal_pointer (&address);
      self->peers_checked++;
      hv_relocation_peer_check_async (self->context.config, peer->address, NULL, self->accept_cancellable,
                                      on_stream_peer_checked, peer);
    }
  g_socket_listener_accept_async (self->listener, self->accept_cancellable, on_accepted, g_object_ref (self));
}

static gboolean
on_prepared_timeout (gpointer user_data)
{
  HvMigration *self = user_data;

  self->timeout_id = 0;
  incoming_fail (self, g_error_new (HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_FAILED,
                                    _("No migration stream arrived within %d s"), HV_MIGRATION_PREPARED_TIMEOUT_S));
  return G_SOURCE_REMOVE;
}

/* Listening */

/* A TCP socket listening on the relocation address; port 0 takes a free one. */
static GSocket *
listen_socket (HvMigration  *self,
               guint         port,
               guint        *bound_port,
               GError      **error)
{
  const char *host = self->context.config->relocation.address;
  g_autoptr(GInetAddress) address = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GSocket) socket = NULL;

  address = *host != '\0' ? g_inet_address_new_from_string (host)
                          : g_inet_address_new_any (G_SOCKET_FAMILY_IPV6);
  if (address == NULL)
    {
      g_set_error (error, HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_FAILED, _("“%s” is not an address"), host);
      return NULL;
    }
  socket = g_socket_new (g_inet_address_get_family (address), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return NULL;
  g_socket_set_option (socket, SOL_SOCKET, SO_REUSEADDR, 1, NULL);
  socket_address = g_inet_socket_address_new (address, (guint16) port);
  if (!g_socket_bind (socket, socket_address, TRUE, error))
    {
      g_prefix_error (error, _("Cannot listen on %s port %u: "), *host != '\0' ? host : "*", port);
      return NULL;
    }
  /* Refused peers are accepted and closed at once: a short queue is enough. */
  g_socket_set_listen_backlog (socket, 4);
  if (!g_socket_listen (socket, error))
    return NULL;
  local = g_socket_get_local_address (socket, error);
  if (local == NULL)
    return NULL;
  *bound_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  return g_steal_pointer (&socket);
}

static char *
format_host_port (const char *host,
                  guint       port)
{
  return strchr (host, ':') != NULL ? g_strdup_printf ("[%s]:%u", host, port)
                                    : g_strdup_printf ("%s:%u", host, port);
}

static void
prepared (HvMigration *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autofree char *host_port = NULL;
  guint port = 0;

  socket = listen_socket (self, self->context.config->relocation.port, &port, &error);
  if (socket == NULL)
    {
      incoming_fail (self, g_steal_pointer (&error));
      return;
    }
  self->listener = g_socket_listener_new ();
  if (!g_socket_listener_add_socket (self->listener, socket, NULL, &error))
    {
      incoming_fail (self, g_steal_pointer (&error));
      return;
    }
  host_port = format_host_port (advertised_host (self), port);
  self->uri = g_strdup_printf ("tcp:%s", host_port);
  for (guint i = 0; self->nbd_socket != NULL && i < self->copies->len; i++)
    {
      DiskCopy *copy = g_ptr_array_index (self->copies, i);
      HvMigrationExport export = { copy->source_path, copy->export_name };

      g_array_append_val (self->exports, export);
    }

  self->step = STEP_PREPARED;
  self->accept_cancellable = g_cancellable_new ();
  self->timeout_id = g_timeout_add_seconds (HV_MIGRATION_PREPARED_TIMEOUT_S, on_prepared_timeout, self);
  g_socket_listener_accept_async (self->listener, self->accept_cancellable, on_accepted, g_object_ref (self));
  g_message ("migration of %s: prepared, waiting on %s (%s)", self->name, self->uri,
             hv_migration_get_tls (self) ? "encrypted: TLS with this migration's key" : "in clear");
  hv_migration_return_ok (self);
}

static void
on_nbd_added (HvMigration  *self,
              JsonNode     *reply,
              const GError *error)
{
  DiskCopy *copy;
  JsonObject *arguments;

  if (error != NULL)
    {
      incoming_fail (self, g_error_new (HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_FAILED,
                                        _("Cannot export a disk copy over NBD: %s"), error->message));
      return;
    }
  if (self->next_copy >= self->copies->len)
    {
      prepared (self);
      return;
    }
  copy = g_ptr_array_index (self->copies, self->next_copy++);
  arguments = json_object_new ();
  json_object_set_string_member (arguments, "device", copy->export_name);
  json_object_set_string_member (arguments, "name", copy->export_name);
  json_object_set_boolean_member (arguments, "writable", TRUE);
  hv_migration_qmp (self, "nbd-server-add", arguments, -1, on_nbd_added);
}

static char *
nbd_unix_path (HvMigration *self)
{
  return g_build_filename (hv_domain_get_run_dir (self->domain), "nbd.sock", NULL);
}

static void
on_nbd_started (HvMigration  *self,
                JsonNode     *reply,
                const GError *error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *unix_path = NULL;

  if (error != NULL)
    {
      incoming_fail (self, g_error_new (HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_FAILED,
                                        _("QEMU’s NBD server did not start: %s"), error->message));
      return;
    }
  unix_path = nbd_unix_path (self);
  self->nbd_gate = hv_nbd_gate_new (self->nbd_socket, self->context.config, self->copies->len,
                                    unix_path, self->name, &local_error);
  if (self->nbd_gate == NULL)
    {
      incoming_fail (self, g_steal_pointer (&local_error));
      return;
    }
  self->next_copy = 0;
  on_nbd_added (self, reply, NULL);
}

/* QEMU's own NBD server, on a socket in the domain's private run folder; the gate before it. */
static void
start_nbd (HvMigration *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *unix_path = NULL;
  guint port = self->context.config->relocation.port;
  JsonObject *arguments, *addr, *data;

  self->nbd_socket = listen_socket (self, port != 0 && port < 65535 ? port + 1 : 0, &self->nbd_port, &error);
  if (self->nbd_socket == NULL)
    {
      incoming_fail (self, g_steal_pointer (&error));
      return;
    }
  unix_path = nbd_unix_path (self);
  data = json_object_new ();
  json_object_set_string_member (data, "path", unix_path);
  addr = json_object_new ();
  json_object_set_string_member (addr, "type", "unix");
  json_object_set_object_member (addr, "data", data);
  arguments = json_object_new ();
  json_object_set_object_member (arguments, "addr", addr);
  /* With a key, the server takes no client that has not done TLS first (NBD's STARTTLS). */
  if (self->tls_id != NULL)
    json_object_set_string_member (arguments, "tls-creds", self->tls_id);
  hv_migration_qmp (self, "nbd-server-start", arguments, -1, on_nbd_started);
}

/* QEMU is ready for the stream: the NBD server next when disks are copied. */
static void
ready_for_stream (HvMigration *self)
{
  if (!self->copy_storage || self->copies->len == 0)
    prepared (self);
  else
    start_nbd (self);
}

static void
on_incoming_tls_set (HvMigration  *self,
                     JsonNode     *reply,
                     const GError *error)
{
  if (error != NULL)
    {
      incoming_fail (self, g_error_new (HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_FAILED,
                                        _("QEMU cannot take the stream over TLS: %s"), error->message));
      return;
    }
  ready_for_stream (self);
}

static void
on_incoming_tls_added (HvMigration  *self,
                       JsonNode     *reply,
                       const GError *error)
{
  JsonObject *arguments;

  if (error != NULL)
    {
      incoming_fail (self, g_error_new (HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_FAILED,
                                        _("Cannot set up TLS for the migration: %s"), error->message));
      return;
    }
  arguments = json_object_new ();
  json_object_set_string_member (arguments, "tls-creds", self->tls_id);
  hv_migration_qmp (self, "migrate-set-parameters", arguments, -1, on_incoming_tls_set);
}

static void
on_capabilities_set (HvMigration  *self,
                     JsonNode     *reply,
                     const GError *error)
{
  if (error != NULL && self->postcopy)
    {
      incoming_fail (self, g_error_new (HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_REFUSED,
                                        _("Post-copy cannot be used on this host: %s"), error->message));
      return;
    }
  if (self->tls_psk != NULL)
    hv_migration_tls_add (self, "server", on_incoming_tls_added);
  else
    ready_for_stream (self);
}

static void
on_incoming_started (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(HvMigration) self = user_data;
  GError *error = NULL;
  HvDomain *domain;

  domain = hv_host_start_incoming_finish (HV_HOST (source), result, &error);
  if (domain == NULL)
    {
      incoming_fail (self, error);
      return;
    }
  self->domain = domain;
  self->ended_id = g_signal_connect (domain, "ended", G_CALLBACK (on_incoming_domain_ended), self);
  if (self->step != STEP_PREPARING)
    {
      incoming_cleanup (self);
      return;
    }
  /* postcopy-ram must be on at both ends; events lets query-migrate and events agree. */
  hv_migration_qmp (self, "migrate-set-capabilities",
                    hv_migration_capabilities ("events", TRUE,
                                               self->postcopy ? "postcopy-ram" : NULL, TRUE, NULL),
                    -1, on_capabilities_set);
}

static void
start_incoming_qemu (HvMigration *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = NULL;

  folder = g_path_get_dirname (self->temp_config_path);
  if (g_mkdir_with_parents (folder, 0700) != 0 ||
      !g_file_set_contents_full (self->temp_config_path, self->config_text, -1,
                                 G_FILE_SET_CONTENTS_NONE, 0600, &error))
    {
      if (error == NULL)
        g_set_error (&error, G_FILE_ERROR, g_file_error_from_errno (errno),
                     _("Cannot make %s: %s"), folder, g_strerror (errno));
      incoming_fail (self, g_steal_pointer (&error));
      return;
    }
  hv_host_start_incoming_async (self->context.host, self->name, self->temp_config_path,
                                self->copy_storage, NULL, NULL, on_incoming_started, g_object_ref (self));
}

/* Disk copies */

static void create_next_copy (HvMigration *self);

/* NAME.copies next to the temporary config: what to remove if the daemon dies meanwhile. */
static char *
copies_record_path (HvMigration *self)
{
  g_autofree char *file = g_strdup_printf ("%s.copies", self->name);

  return g_build_filename (self->context.incoming_dir, file, NULL);
}

static void
write_copies_record (HvMigration *self)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *path = copies_record_path (self);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < self->copies->len; i++)
    {
      DiskCopy *copy = g_ptr_array_index (self->copies, i);

      g_string_append_printf (text, "%s\n", copy->path);
    }
  if (g_mkdir_with_parents (self->context.incoming_dir, 0700) != 0 ||
      !g_file_set_contents_full (path, text->str, -1, G_FILE_SET_CONTENTS_NONE, 0600, &error))
    g_message ("migration of %s: cannot record the disk copies: %s", self->name,
               error != NULL ? error->message : g_strerror (errno));
}

static void
on_copy_created (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(HvMigration) self = user_data;
  g_autoptr(HvImageInfo) info = NULL;
  GError *error = NULL;
  DiskCopy *copy = g_ptr_array_index (self->copies, self->next_copy - 1);

  info = hv_image_store_create_finish (HV_IMAGE_STORE (source), result, &error);
  if (info == NULL)
    {
      g_prefix_error (&error, _("Cannot make the copy of %s: "), copy->source_path);
      incoming_fail (self, error);
      return;
    }
  copy->created = TRUE;
  if (self->step != STEP_PREPARING)
    {
      incoming_cleanup (self);
      return;
    }
  create_next_copy (self);
}

static void
create_next_copy (HvMigration *self)
{
  DiskCopy *copy;
  g_autofree char *name = NULL;

  if (self->next_copy == 0 && self->copies->len > 0)
    write_copies_record (self);
  if (self->next_copy >= self->copies->len)
    {
      start_incoming_qemu (self);
      return;
    }
  copy = g_ptr_array_index (self->copies, self->next_copy++);
  name = g_path_get_basename (copy->path);
  hv_image_store_create_async (self->context.images, name, copy->format, copy->size, NULL,
                               on_copy_created, g_object_ref (self));
}

/* Decides the copies and rewrites the config's disk entries to them. */
static gboolean
plan_copies (HvMigration               *self,
             HvConfig                  *config,
             const HvDomainSpec        *spec,
             const HvMigrationRequest  *request,
             GError                   **error)
{
  g_auto(GStrv) entries = NULL;
  const char *store = hv_image_store_get_dir (self->context.images);

  if (!self->copy_storage)
    return TRUE;
  if (!hv_config_get_string_list (config, "disk", &entries, NULL) || entries == NULL)
    return TRUE;
  for (guint i = 0; i < spec->disks->len; i++)
    {
      const HvDiskSpec *disk = g_ptr_array_index (spec->disks, i);
      g_autofree char *base = NULL;
      g_autofree char *path = NULL;
      g_autoptr(GString) entry = NULL;
      gint64 file_size;
      gint64 size;
      DiskCopy *copy;

      if (disk->number == 0 || !hv_migration_disk_is_copyable (disk) || disk->number > g_strv_length (entries))
        continue;
      size = hv_migration_requested_size (request->disks, request->n_disks, disk->path);
      if (size <= 0)
        size = hv_migration_local_virtual_size (disk->path, disk->format, &file_size);
      if (size <= 0)
        {
          g_set_error (error, HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_REFUSED,
                       _("%s: the size of the disk is unknown; give size_bytes"), disk->path);
          return FALSE;
        }
      base = g_path_get_basename (disk->path);
      path = g_build_filename (store, base, NULL);
      if (g_file_test (path, G_FILE_TEST_EXISTS))
        {
          g_autofree char *unique = g_strdup_printf ("%.8s-%s", self->id, base);

          g_free (path);
          path = g_build_filename (store, unique, NULL);
        }
      entry = g_string_new (entries[disk->number - 1]);
      if (strstr (entry->str, disk->path) == NULL)
        {
          g_set_error (error, HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_REFUSED,
                       _("disk %u: the entry does not spell its path out; write the absolute path"), disk->number);
          return FALSE;
        }
      g_string_replace (entry, disk->path, path, 1);
      g_free (entries[disk->number - 1]);
      entries[disk->number - 1] = g_string_free (g_steal_pointer (&entry), FALSE);

      copy = g_new0 (DiskCopy, 1);
      copy->source_path = g_strdup (disk->path);
      copy->path = g_steal_pointer (&path);
      copy->format = g_strdup (disk->format);
      copy->export_name = g_strdup_printf ("disk%u", disk->number - 1);
      copy->size = (guint64) size;
      g_ptr_array_add (self->copies, copy);
    }
  hv_config_set_string_list (config, "disk", (const char * const *) entries);
  return TRUE;
}

void
hv_migration_prepare_async (HvMigration         *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(HvConfig) config = NULL;
  g_autoptr(HvDomainSpec) spec = NULL;
  g_autofree char *file = NULL;
  GError *error = NULL;
  HvMigrationRequest request = { 0 };

  g_return_if_fail (HV_IS_MIGRATION (self) && self->incoming && self->step == STEP_NEW);

  hv_migration_begin_task (self, hv_migration_prepare_async, cancellable, callback, user_data);
  hv_migration_watch_driver (self, cancellable);
  self->step = STEP_PREPARING;
  /* A guest's memory holds its secrets: it leaves this machine encrypted, or not at all. */
  if (self->tls_psk == NULL && !hv_relocation_config_is_loopback (&self->context.config->relocation))
    {
      const char *address = self->context.config->relocation.address;

      if (*address == '\0')
        incoming_fail (self, g_error_new_literal (HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_REFUSED,
                                                  _("Migrations to this host are encrypted (it takes them on every "
                                                    "address), and no key came with this one: the client or the "
                                                    "source’s daemon predates encrypted migration; update it")));
      else
        incoming_fail (self, g_error_new (HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_REFUSED,
                                          _("Migrations to this host are encrypted (its relocation address %s is "
                                            "not loopback), and no key came with this one: the client or the "
                                            "source’s daemon predates encrypted migration; update it"), address));
      return;
    }
  /* The caller checked the request; here it is read once more for what it asks. */
  request.config_text = self->request_text;
  request.name = self->name;
  request.disks = (const HvMigrationDisk *) self->request_disks->pdata;
  request.n_disks = self->request_disks->len;
  spec = hv_migration_parse_request (&request, &config, &error);
  if (spec == NULL || !plan_copies (self, config, spec, &request, &error))
    {
      incoming_fail (self, error);
      return;
    }
  self->config_text = hv_config_to_data (config, NULL);
  file = g_strdup_printf ("%s.cfg", self->name);
  /* Not in the config folder yet: the domain is not this host's until finish. */
  self->temp_config_path = g_build_filename (self->context.incoming_dir, file, NULL);
  self->next_copy = 0;
  create_next_copy (self);
}

/* Finish */

static void
adopt (HvMigration   *self,
       HvDomainState  state)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *record = copies_record_path (self);

  if (!hv_host_adopt_incoming (self->context.host, self->domain, self->config_text, &error))
    {
      /* The guest runs: it must not be killed for a file; it keeps its temporary config. */
      g_message ("migration of %s: %s", self->name, error->message);
    }
  else if (self->temp_config_path != NULL)
    g_unlink (self->temp_config_path);
  g_unlink (record);
  if (self->ended_id != 0)
    g_signal_handler_disconnect (self->domain, self->ended_id);
  self->ended_id = 0;
  /* Whatever migrates this guest on next brings its own key. */
  hv_migration_tls_drop (self);
  hv_domain_complete_incoming (self->domain, state);
  g_message ("migration of %s: arrived (id %" G_GINT64_FORMAT ")", self->name, hv_domain_get_id (self->domain));
  hv_migration_return_ok (self);
  hv_migration_set_done (self);
}

static void
on_finished_cont (HvMigration  *self,
                  JsonNode     *reply,
                  const GError *error)
{
  if (error != NULL)
    g_message ("migration of %s: cont failed: %s", self->name, error->message);
  adopt (self, error == NULL ? HV_DOMAIN_STATE_RUNNING : HV_DOMAIN_STATE_PAUSED);
}

static void
on_finished_status (HvMigration  *self,
                    JsonNode     *reply,
                    const GError *error)
{
  JsonObject *status = domus_json_node_get_object (reply);

  if (error != NULL)
    {
      incoming_fail (self, g_error_copy (error));
      return;
    }
  if (domus_json_object_get_bool (status, "running", FALSE))
    adopt (self, HV_DOMAIN_STATE_RUNNING);
  else if (self->resume)
    hv_migration_qmp (self, "cont", NULL, -1, on_finished_cont);
  else
    adopt (self, HV_DOMAIN_STATE_PAUSED);
}

static void
on_nbd_stopped (HvMigration  *self,
                JsonNode     *reply,
                const GError *error)
{
  if (error != NULL)
    g_debug ("migration of %s: nbd-server-stop: %s", self->name, error->message);
  hv_migration_qmp (self, "query-status", NULL, -1, on_finished_status);
}

static gboolean
on_incoming_info (HvMigration  *self,
                  JsonNode     *reply,
                  const GError *error)
{
  JsonObject *info = domus_json_node_get_object (reply);
  const char *status = domus_json_object_get_string (info, "status", "none");

  if (self->step != STEP_FINISHING)
    return FALSE;
  if (error != NULL)
    {
      incoming_fail (self, g_error_copy (error));
      return FALSE;
    }
  if (g_str_equal (status, "completed"))
    {
      self->received = TRUE;
      hv_migration_tls_remove_key (self);
      if (self->nbd_gate != NULL)
        {
          hv_nbd_gate_stop (self->nbd_gate);
          hv_migration_qmp (self, "nbd-server-stop", NULL, -1, on_nbd_stopped);
        }
      else
        hv_migration_qmp (self, "query-status", NULL, -1, on_finished_status);
      return FALSE;
    }
  if (g_str_equal (status, "failed") || g_str_equal (status, "cancelled") ||
      ++self->finish_polls > FINISH_POLL_LIMIT)
    {
      incoming_fail (self, g_error_new (HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_FAILED,
                                        _("The incoming migration did not complete (QEMU says %s)"), status));
      return FALSE;
    }
  return TRUE;
}

/* The work of finish, for a caller or for the migration itself (no task then). */
static void
finish_start (HvMigration *self,
              gboolean     success,
              gboolean     resume)
{
  if (!success)
    {
      g_clear_error (&self->failure);
      incoming_cleanup (self);
      return;
    }
  if (self->step != STEP_RECEIVING)
    {
      incoming_fail (self, g_error_new (HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_FAILED,
                                        _("No migration stream reached this host")));
      return;
    }
  self->resume = resume;
  self->step = STEP_FINISHING;
  self->finish_polls = 0;
  hv_migration_poll (self, "query-migrate", FINISH_POLL_MS, on_incoming_info);
}

void
hv_migration_finish_async (HvMigration         *self,
                           gboolean             success,
                           gboolean             resume,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (HV_IS_MIGRATION (self) && self->incoming);

  if (self->step == STEP_DONE || self->step == STEP_CLEANING || self->step == STEP_FINISHING)
    {
      task = hv_migration_new_side_task (self, hv_migration_finish_async, cancellable, callback, user_data);
      if (!success && self->step == STEP_CLEANING)
        g_ptr_array_add (self->waiters, g_steal_pointer (&task));  /* answered once the rollback is over */
      else if (!success && self->step == STEP_DONE)
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_new_error (task, HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_FAILED, "%s",
                                 self->failure != NULL ? self->failure->message
                                                       : _("The migration is already ending"));
      return;
    }
  if (self->task != NULL)
    {
      task = hv_migration_new_side_task (self, hv_migration_finish_async, cancellable, callback, user_data);
      g_task_return_new_error (task, HV_MIGRATION_ERROR, HV_MIGRATION_ERROR_WRONG_STEP,
                               _("The migration of %s is still being prepared"), self->name);
      return;
    }
  hv_migration_begin_task (self, hv_migration_finish_async, cancellable, callback, user_data);
  finish_start (self, success, resume);
}

/* After a restart */

static void
on_abandoned_destroyed (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(HvHost) host = user_data;
  HvDomain *domain = HV_DOMAIN (source);

  hv_domain_destroy_finish (domain, result, NULL);
  hv_host_forget_incoming (host, domain);
}

static void
remove_recorded_copies (const char *record)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  if (g_file_get_contents (record, &text, NULL, NULL))
    lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines != NULL && lines[i] != NULL; i++)
    if (*lines[i] != '\0')
      g_unlink (lines[i]);
  g_unlink (record);
}

void
hv_migration_clean_abandoned (HvHost     *host,
                              const char *incoming_dir)
{
  g_autoptr(GDir) dir = g_dir_open (incoming_dir, 0, NULL);
  g_autoptr(GPtrArray) active = hv_host_dup_active (host);
  const char *entry;

  /* No migration outlives its daemon: a key one left behind has no use any more. */
  for (guint i = 0; i < active->len; i++)
    {
      g_autofree char *key = g_build_filename (hv_domain_get_run_dir (g_ptr_array_index (active, i)),
                                               HV_MIGRATION_PSK_FILE, NULL);

      if (g_unlink (key) == 0)
        g_message ("removed %s, left by a migration the daemon did not see end", key);
    }

  while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (incoming_dir, entry, NULL);
      g_autofree char *name = NULL;
      HvDomain *domain;

      if (g_str_has_suffix (entry, ".copies"))
        {
          remove_recorded_copies (path);
          continue;
        }
      if (!g_str_has_suffix (entry, ".cfg"))
        continue;
      name = g_strndup (entry, strlen (entry) - strlen (".cfg"));
      domain = hv_host_find (host, name, NULL);
      /* Its QEMU outlived the daemon: reattached, but nobody will finish it. */
      if (domain != NULL && hv_domain_is_active (domain) &&
          (g_strcmp0 (hv_domain_get_config_path (domain), path) == 0 ||
           hv_domain_get_config_path (domain) == NULL))
        {
          g_message ("migration of %s to this host was abandoned when the daemon stopped; ending it", name);
          hv_domain_destroy_async (domain, NULL, on_abandoned_destroyed, g_object_ref (host));
        }
      g_unlink (path);
    }
}
