/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A JSON-RPC 2.0 server: one JSON object per line over stream sockets, a method table. */

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <gio/gunixsocketaddress.h>

#include "domus-json-rpc.h"
#include "domus-json-stream.h"
#include "hv-rpc-server.h"

/* A client that stops reading while notifications pile up is dropped, not buffered forever. */
#define MAX_QUEUED_OUTPUT  (64 * 1024 * 1024)

G_DEFINE_QUARK (hv-rpc-error-quark, hv_rpc_error)

/* Indexed by HvRpcError; the codes that go with the kinds are the protocol's (common/). */
static const char * const error_kinds[] = {
  [HV_RPC_ERROR_PARSE_ERROR]       = "parse-error",
  [HV_RPC_ERROR_INVALID_REQUEST]   = "invalid-request",
  [HV_RPC_ERROR_METHOD_NOT_FOUND]  = "method-not-found",
  [HV_RPC_ERROR_INVALID_PARAMS]    = "invalid-params",
  [HV_RPC_ERROR_INTERNAL]          = "internal",
  [HV_RPC_ERROR_MESSAGE_TOO_LARGE] = "message-too-large",
  [HV_RPC_ERROR_FAILED]            = "failed",
  [HV_RPC_ERROR_NO_SUCH_DOMAIN]    = "no-such-domain",
  [HV_RPC_ERROR_INVALID_CONFIG]    = "invalid-config",
  [HV_RPC_ERROR_ALREADY_RUNNING]   = "already-running",
  [HV_RPC_ERROR_NOT_RUNNING]       = "not-running",
  [HV_RPC_ERROR_PERMISSION_DENIED] = "permission-denied",
  [HV_RPC_ERROR_NOT_SUPPORTED]     = "not-supported",
  [HV_RPC_ERROR_ALREADY_EXISTS]    = "already-exists",
  [HV_RPC_ERROR_IN_USE]            = "in-use",
  [HV_RPC_ERROR_NO_SUCH_IMAGE]     = "no-such-image",
  [HV_RPC_ERROR_MIGRATION_REFUSED] = "migration-refused",
  [HV_RPC_ERROR_MIGRATION_FAILED]  = "migration-failed",
  [HV_RPC_ERROR_CANCELLED]         = "cancelled",
  [HV_RPC_ERROR_IO]                = "io-error",
};

const char *
hv_rpc_error_get_kind (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain == HV_RPC_ERROR &&
      error->code >= 0 && (gsize) error->code < G_N_ELEMENTS (error_kinds))
    return error_kinds[error->code];
  return error_kinds[HV_RPC_ERROR_FAILED];
}

gint
hv_rpc_error_get_code (const GError *error)
{
  g_return_val_if_fail (error != NULL, 0);
  return (gint) domus_json_rpc_code_for_kind (hv_rpc_error_get_kind (error));
}

struct _HvRpcServer
{
  GObject          parent_instance;

  GHashTable      *methods;        /* name -> Method */
  GPtrArray       *peers;          /* HvRpcPeer, owned */
  GSocketService  *service;
  char            *socket_path;
  dev_t            socket_dev;     /* to recognise our socket file at exit */
  ino_t            socket_ino;
  guint64          next_peer_id;
};

G_DEFINE_FINAL_TYPE (HvRpcServer, hv_rpc_server, G_TYPE_OBJECT)

enum {
  SIGNAL_PEER_ADDED,
  SIGNAL_PEER_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct {
  HvRpcMethodFunc func;
  gpointer        user_data;
  GDestroyNotify  destroy;
} Method;

static void
method_free (Method *method)
{
  if (method->destroy != NULL)
    method->destroy (method->user_data);
  g_free (method);
}

struct _HvRpcPeer
{
  gint              ref_count;
  guint64           id;
  HvRpcServer      *server;          /* weak: cleared when the server goes */
  DomusJsonStream  *json;
  GCancellable     *cancellable;     /* cancelled at close */
  gboolean          closed;
  GSocket          *socket;          /* NULL for a stream that is not a socket */
  gint64            uid;             /* the client's Unix user, once asked; -2 before */
};

struct _HvRpcCall
{
  HvRpcPeer *peer;
  JsonNode  *id;      /* NULL for a notification from the client: nobody wants a reply */
  char      *method;
};

G_DEFINE_BOXED_TYPE (HvRpcPeer, hv_rpc_peer, hv_rpc_peer_ref, hv_rpc_peer_unref)

HvRpcPeer *
hv_rpc_peer_ref (HvRpcPeer *peer)
{
  g_return_val_if_fail (peer != NULL, NULL);
  peer->ref_count++;
  return peer;
}

void
hv_rpc_peer_unref (HvRpcPeer *peer)
{
  g_return_if_fail (peer != NULL);

  if (--peer->ref_count > 0)
    return;

  g_signal_handlers_disconnect_by_data (peer->json, peer);
  domus_json_stream_close (peer->json);
  g_clear_object (&peer->json);
  g_clear_object (&peer->socket);
  g_clear_weak_pointer (&peer->server);
  g_clear_object (&peer->cancellable);
  g_free (peer);
}

guint64
hv_rpc_peer_get_id (HvRpcPeer *peer)
{
  g_return_val_if_fail (peer != NULL, 0);
  return peer->id;
}

/* The kernel's word on who connected (SO_PEERCRED), asked when a method first needs it; a
 * stream that is not a socket was made by the daemon itself (stdio, a socketpair of its own). */
gint64
hv_rpc_peer_get_uid (HvRpcPeer *peer)
{
  g_autoptr(GCredentials) credentials = NULL;
  uid_t uid;

  g_return_val_if_fail (peer != NULL, -1);

  if (peer->uid != -2)
    return peer->uid;
  peer->uid = -1;
  if (peer->socket == NULL)
    peer->uid = (gint64) getuid ();
  else if ((credentials = g_socket_get_credentials (peer->socket, NULL)) != NULL &&
           (uid = g_credentials_get_unix_user (credentials, NULL)) != (uid_t) -1)
    peer->uid = (gint64) uid;
  return peer->uid;
}

gboolean
hv_rpc_peer_is_closed (HvRpcPeer *peer)
{
  g_return_val_if_fail (peer != NULL, TRUE);
  return peer->closed;
}

static void
peer_close_with_reason (HvRpcPeer  *peer,
                        const char *reason)
{
  g_autoptr(HvRpcPeer) hold = NULL;
  HvRpcServer *server;

  if (peer->closed)
    return;

  hold = hv_rpc_peer_ref (peer);
  peer->closed = TRUE;
  if (reason != NULL)
    g_debug ("client %" G_GUINT64_FORMAT ": dropped: %s", peer->id, reason);
  else
    g_debug ("client %" G_GUINT64_FORMAT ": connection closed", peer->id);
  g_cancellable_cancel (peer->cancellable);
  domus_json_stream_close (peer->json);

  server = peer->server;
  if (server != NULL)
    {
      g_signal_emit (server, signals[SIGNAL_PEER_CLOSED], 0, peer);
      g_ptr_array_remove (server->peers, peer);
    }
}

void
hv_rpc_peer_close (HvRpcPeer *peer)
{
  g_return_if_fail (peer != NULL);
  peer_close_with_reason (peer, NULL);
}

/*
 * The stream ends itself: after a clean end of input once every answer is out
 * (each call in progress holds it open), or when the client stops reading.
 */
static void
on_json_closed (DomusJsonStream *json,
                const GError    *error,
                gpointer         user_data)
{
  peer_close_with_reason (user_data, error != NULL ? error->message : NULL);
}

static void
peer_send (HvRpcPeer *peer,
           JsonNode  *message)
{
  domus_json_stream_send (peer->json, message);
}

static void
peer_send_error (HvRpcPeer    *peer,
                 JsonNode     *id,
                 const GError *error)
{
  g_autoptr(JsonNode) message = domus_json_rpc_new_error (id, hv_rpc_error_get_code (error),
                                                          hv_rpc_error_get_kind (error), error->message);

  peer_send (peer, message);
}

void
hv_rpc_peer_notify (HvRpcPeer  *peer,
                    const char *method,
                    JsonNode   *params)
{
  g_autoptr(JsonNode) message = NULL;

  g_return_if_fail (peer != NULL);
  g_return_if_fail (method != NULL);

  if (peer->closed)
    return;
  message = domus_json_rpc_new_notification (method, params);
  peer_send (peer, message);
}

/* Calls */

HvRpcPeer *
hv_rpc_call_get_peer (HvRpcCall *call)
{
  g_return_val_if_fail (call != NULL, NULL);
  return call->peer;
}

const char *
hv_rpc_call_get_method (HvRpcCall *call)
{
  g_return_val_if_fail (call != NULL, NULL);
  return call->method;
}

GCancellable *
hv_rpc_call_get_cancellable (HvRpcCall *call)
{
  g_return_val_if_fail (call != NULL, NULL);
  return call->peer->cancellable;
}

static void
call_free (HvRpcCall *call)
{
  HvRpcPeer *peer = call->peer;

  g_clear_pointer (&call->id, json_node_unref);
  g_free (call->method);
  g_free (call);
  domus_json_stream_release (peer->json);
  hv_rpc_peer_unref (peer);
}

void
hv_rpc_call_return (HvRpcCall *call,
                    JsonNode  *result)
{
  g_autoptr(JsonNode) owned_result = result;

  g_return_if_fail (call != NULL);

  if (call->id != NULL)
    {
      g_autoptr(JsonNode) message = domus_json_rpc_new_result (call->id, g_steal_pointer (&owned_result));

      peer_send (call->peer, message);
    }
  call_free (call);
}

void
hv_rpc_call_return_error (HvRpcCall    *call,
                          const GError *error)
{
  g_return_if_fail (call != NULL);
  g_return_if_fail (error != NULL);

  if (call->id != NULL)
    peer_send_error (call->peer, call->id, error);
  else
    g_debug ("client %" G_GUINT64_FORMAT ": notification %s failed: %s",
             call->peer->id, call->method, error->message);
  call_free (call);
}

void
hv_rpc_call_return_new_error (HvRpcCall  *call,
                              HvRpcError  code,
                              const char *format,
                              ...)
{
  g_autoptr(GError) error = NULL;
  va_list args;

  va_start (args, format);
  error = g_error_new_valist (HV_RPC_ERROR, code, format, args);
  va_end (args);
  hv_rpc_call_return_error (call, error);
}

/* Params */

/*
 * The member as a value of `type`: TRUE with *out NULL when it is absent or null,
 * TRUE with *out set when it has that type, FALSE with invalid-params otherwise.
 */
static gboolean
params_lookup_value (JsonNode    *params,
                     const char  *member,
                     GType        type,
                     JsonNode   **out,
                     GError     **error)
{
  JsonNode *node;

  *out = NULL;
  if (!JSON_NODE_HOLDS_OBJECT (params))
    {
      g_set_error (error, HV_RPC_ERROR, HV_RPC_ERROR_INVALID_PARAMS,
                   _("The parameters must be an object with named members."));
      return FALSE;
    }
  node = json_object_get_member (json_node_get_object (params), member);
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != type)
    return FALSE;
  *out = node;
  return TRUE;
}

gboolean
hv_rpc_params_get_boolean (JsonNode    *params,
                           const char  *member,
                           gboolean     fallback,
                           gboolean    *out,
                           GError     **error)
{
  GError *local_error = NULL;
  JsonNode *node;

  if (!params_lookup_value (params, member, G_TYPE_BOOLEAN, &node, &local_error))
    {
      if (local_error == NULL)
        local_error = g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_INVALID_PARAMS,
                                   _("The parameter “%s” must be true or false."), member);
      g_propagate_error (error, local_error);
      return FALSE;
    }
  *out = node != NULL ? json_node_get_boolean (node) : fallback;
  return TRUE;
}

gboolean
hv_rpc_params_get_string (JsonNode    *params,
                          const char  *member,
                          const char  *fallback,
                          const char **out,
                          GError     **error)
{
  GError *local_error = NULL;
  JsonNode *node;

  if (!params_lookup_value (params, member, G_TYPE_STRING, &node, &local_error))
    {
      if (local_error == NULL)
        local_error = g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_INVALID_PARAMS,
                                   _("The parameter “%s” must be a string."), member);
      g_propagate_error (error, local_error);
      return FALSE;
    }
  *out = node != NULL ? json_node_get_string (node) : fallback;
  return TRUE;
}

gboolean
hv_rpc_params_get_int (JsonNode    *params,
                       const char  *member,
                       gint64       fallback,
                       gint64      *out,
                       GError     **error)
{
  GError *local_error = NULL;
  JsonNode *node;

  if (!params_lookup_value (params, member, G_TYPE_INT64, &node, &local_error))
    {
      if (local_error == NULL)
        local_error = g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_INVALID_PARAMS,
                                   _("The parameter “%s” must be an integer."), member);
      g_propagate_error (error, local_error);
      return FALSE;
    }
  *out = node != NULL ? json_node_get_int (node) : fallback;
  return TRUE;
}

gboolean
hv_rpc_params_get_object (JsonNode    *params,
                          const char  *member,
                          JsonObject **out,
                          GError     **error)
{
  JsonNode *node;

  *out = NULL;
  if (!JSON_NODE_HOLDS_OBJECT (params))
    {
      g_set_error (error, HV_RPC_ERROR, HV_RPC_ERROR_INVALID_PARAMS,
                   _("The parameters must be an object with named members."));
      return FALSE;
    }
  node = json_object_get_member (json_node_get_object (params), member);
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, HV_RPC_ERROR, HV_RPC_ERROR_INVALID_PARAMS,
                   _("The parameter “%s” must be an object."), member);
      return FALSE;
    }
  *out = json_node_get_object (node);
  return TRUE;
}

/* Reading requests */

static void
peer_dispatch (HvRpcPeer           *peer,
               DomusJsonRpcMessage *request)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) empty_params = NULL;
  JsonNode *params = request->params;
  HvRpcCall *call;
  Method *method;

  method = peer->server != NULL ? g_hash_table_lookup (peer->server->methods, request->method) : NULL;
  if (method == NULL)
    {
      error = g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_METHOD_NOT_FOUND,
                           _("There is no method “%s”."), request->method);
      if (request->id != NULL)
        peer_send_error (peer, request->id, error);
      return;
    }

  if (params == NULL)
    {
      params = empty_params = json_node_new (JSON_NODE_OBJECT);
      json_node_take_object (empty_params, json_object_new ());
    }

  call = g_new0 (HvRpcCall, 1);
  call->peer = hv_rpc_peer_ref (peer);
  call->id = request->id != NULL ? json_node_copy (request->id) : NULL;
  call->method = g_strdup (request->method);
  /* Even a client that sent everything and half-closed gets the answer. */
  domus_json_stream_hold (peer->json);
  method->func (call, params, method->user_data);
}

static void
on_json_message (DomusJsonStream *json,
                 JsonNode        *root,
                 gpointer         user_data)
{
  HvRpcPeer *peer = user_data;
  g_autoptr(HvRpcPeer) hold = hv_rpc_peer_ref (peer);
  g_autoptr(GError) error = NULL;
  DomusJsonRpcMessage request;

  if (domus_json_rpc_read_request (root, &request, &error))
    peer_dispatch (peer, &request);
  else
    {
      g_autoptr(GError) reply_error = g_error_new_literal (HV_RPC_ERROR, HV_RPC_ERROR_INVALID_REQUEST,
                                                           error->message);

      peer_send_error (peer, request.id, reply_error);
    }
}

/* Lines we cannot read are answered with id null; the connection carries on. */
static void
on_json_bad_line (DomusJsonStream *json,
                  const GError    *error,
                  gpointer         user_data)
{
  HvRpcPeer *peer = user_data;
  g_autoptr(GError) reply_error = NULL;

  if (g_error_matches (error, DOMUS_JSON_STREAM_ERROR, DOMUS_JSON_STREAM_ERROR_TOO_LARGE))
    reply_error = g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_MESSAGE_TOO_LARGE,
                               _("The message is longer than %d bytes and was ignored."),
                               HV_RPC_MAX_MESSAGE_SIZE);
  else
    reply_error = g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_PARSE_ERROR,
                               _("The message is not valid JSON: %s"), error->message);
  peer_send_error (peer, NULL, reply_error);
}

/* Server */

static void
hv_rpc_server_dispose (GObject *object)
{
  HvRpcServer *self = HV_RPC_SERVER (object);

  hv_rpc_server_stop (self);
  G_OBJECT_CLASS (hv_rpc_server_parent_class)->dispose (object);
}

static void
hv_rpc_server_finalize (GObject *object)
{
  HvRpcServer *self = HV_RPC_SERVER (object);

  g_clear_pointer (&self->methods, g_hash_table_unref);
  g_clear_pointer (&self->peers, g_ptr_array_unref);
  g_free (self->socket_path);
  G_OBJECT_CLASS (hv_rpc_server_parent_class)->finalize (object);
}

static void
hv_rpc_server_class_init (HvRpcServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hv_rpc_server_dispose;
  object_class->finalize = hv_rpc_server_finalize;

  /**
   * HvRpcServer::peer-added:
   * A client connected.
   */
  signals[SIGNAL_PEER_ADDED] =
    g_signal_new ("peer-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, HV_TYPE_RPC_PEER);
  /**
   * HvRpcServer::peer-closed:
   * A client went away (or was dropped): forget what it subscribed to.
   */
  signals[SIGNAL_PEER_CLOSED] =
    g_signal_new ("peer-closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, HV_TYPE_RPC_PEER);
}

static void
hv_rpc_server_init (HvRpcServer *self)
{
  self->methods = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) method_free);
  self->peers = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_rpc_peer_unref);
  self->next_peer_id = 1;
}

HvRpcServer *
hv_rpc_server_new (void)
{
  return g_object_new (HV_TYPE_RPC_SERVER, NULL);
}

void
hv_rpc_server_add_method (HvRpcServer    *self,
                          const char     *name,
                          HvRpcMethodFunc func,
                          gpointer        user_data,
                          GDestroyNotify  destroy)
{
  Method *method;

  g_return_if_fail (HV_IS_RPC_SERVER (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (func != NULL);

  method = g_new0 (Method, 1);
  method->func = func;
  method->user_data = user_data;
  method->destroy = destroy;
  g_hash_table_replace (self->methods, g_strdup (name), method);
}

static int
compare_names (const void *a,
               const void *b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

GStrv
hv_rpc_server_dup_method_names (HvRpcServer *self)
{
  g_autofree const char **names = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  guint n_names;

  g_return_val_if_fail (HV_IS_RPC_SERVER (self), NULL);

  names = (const char **) g_hash_table_get_keys_as_array (self->methods, &n_names);
  qsort (names, n_names, sizeof (char *), compare_names);
  for (guint i = 0; i < n_names; i++)
    g_strv_builder_add (builder, names[i]);
  return g_strv_builder_end (builder);
}

HvRpcPeer *
hv_rpc_server_add_stream (HvRpcServer *self,
                          GIOStream   *stream)
{
  HvRpcPeer *peer;

  g_return_val_if_fail (HV_IS_RPC_SERVER (self), NULL);
  g_return_val_if_fail (G_IS_IO_STREAM (stream), NULL);

  peer = g_new0 (HvRpcPeer, 1);
  peer->ref_count = 1;
  peer->id = self->next_peer_id++;
  peer->uid = -2;
  if (G_IS_SOCKET_CONNECTION (stream))
    peer->socket = g_object_ref (g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream)));
  g_set_weak_pointer (&peer->server, self);
  peer->json = domus_json_stream_new (stream, HV_RPC_MAX_MESSAGE_SIZE, MAX_QUEUED_OUTPUT);
  peer->cancellable = g_cancellable_new ();
  g_signal_connect (peer->json, "message", G_CALLBACK (on_json_message), peer);
  g_signal_connect (peer->json, "bad-line", G_CALLBACK (on_json_bad_line), peer);
  g_signal_connect (peer->json, "closed", G_CALLBACK (on_json_closed), peer);
  g_ptr_array_add (self->peers, peer);

  g_debug ("client %" G_GUINT64_FORMAT ": connected", peer->id);
  g_signal_emit (self, signals[SIGNAL_PEER_ADDED], 0, peer);
  domus_json_stream_start (peer->json);
  return peer;
}

static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             gpointer           user_data)
{
  HvRpcServer *self = HV_RPC_SERVER (user_data);

  hv_rpc_server_add_stream (self, G_IO_STREAM (connection));
  return TRUE;
}

gboolean
hv_rpc_server_listen_unix (HvRpcServer  *self,
                           const char   *path,
                           guint         mode,
                           GError      **error)
{
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketService) service = NULL;
  struct stat info;
  mode_t old_umask;
  gboolean listening;
  int saved_errno;

  g_return_val_if_fail (HV_IS_RPC_SERVER (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (self->service == NULL, FALSE);

  address = g_unix_socket_address_new (path);
  service = g_socket_service_new ();

  /* Nobody else may connect, not even in the instant between bind and chmod. */
  old_umask = umask (0777 & ~mode);
  listening = g_socket_listener_add_address (G_SOCKET_LISTENER (service), address,
                                             G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT,
                                             NULL, NULL, error);
  umask (old_umask);
  if (!listening)
    return FALSE;

  if (g_chmod (path, mode) != 0 || g_stat (path, &info) != 0)
    {
      saved_errno = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Cannot set the permissions of the socket “%s”: %s"),
                   path, g_strerror (saved_errno));
      g_socket_listener_close (G_SOCKET_LISTENER (service));
      g_unlink (path);
      return FALSE;
    }

  self->socket_path = g_strdup (path);
  self->socket_dev = info.st_dev;
  self->socket_ino = info.st_ino;
  g_signal_connect_object (service, "incoming", G_CALLBACK (on_incoming), self, 0);
  g_socket_service_start (service);
  self->service = g_steal_pointer (&service);
  return TRUE;
}

void
hv_rpc_server_stop (HvRpcServer *self)
{
  g_return_if_fail (HV_IS_RPC_SERVER (self));

  if (self->service != NULL)
    {
      struct stat info;

      g_socket_service_stop (self->service);
      g_socket_listener_close (G_SOCKET_LISTENER (self->service));
      g_clear_object (&self->service);

      /* Another daemon may have taken the path over since: leave its socket alone. */
      if (g_lstat (self->socket_path, &info) == 0 &&
          info.st_dev == self->socket_dev && info.st_ino == self->socket_ino)
        g_unlink (self->socket_path);
      g_clear_pointer (&self->socket_path, g_free);
    }

  while (self->peers != NULL && self->peers->len > 0)
    hv_rpc_peer_close (g_ptr_array_index (self->peers, self->peers->len - 1));
}

guint
hv_rpc_server_get_n_peers (HvRpcServer *self)
{
  g_return_val_if_fail (HV_IS_RPC_SERVER (self), 0);
  return self->peers->len;
}

void
hv_rpc_server_broadcast (HvRpcServer *self,
                         const char  *method,
                         JsonNode    *params)
{
  g_autoptr(GPtrArray) peers = NULL;

  g_return_if_fail (HV_IS_RPC_SERVER (self));

  /* A copy: sending may drop a peer that stopped reading. */
  peers = g_ptr_array_new_full (self->peers->len, (GDestroyNotify) hv_rpc_peer_unref);
  for (guint i = 0; i < self->peers->len; i++)
    g_ptr_array_add (peers, hv_rpc_peer_ref (g_ptr_array_index (self->peers, i)));
  for (guint i = 0; i < peers->len; i++)
    hv_rpc_peer_notify (g_ptr_array_index (peers, i), method, params);
}
