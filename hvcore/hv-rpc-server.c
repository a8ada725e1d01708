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
/* Connections waiting when the listening socket wakes us: bursts of clients are common. */
#define LISTEN_BACKLOG     128
/* Accepted in one go before the main loop gets a turn. */
#define ACCEPT_BATCH       32
/* How long accepting rests after it failed (at the descriptor limit, say). */
#define ACCEPT_PAUSE_MS    500
/* Log lines about refused clients or failed accepts: one per this much time at most. */
#define ACCEPT_LOG_INTERVAL_US (60 * G_USEC_PER_SEC)
/* A refused client has this long to read why before its connection is closed... */
#define REFUSAL_LINGER_MS  2000
/* ... unless this many refusals linger already (a flood): then it is closed at once. */
#define MAX_REFUSALS       32

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
  guint64          next_peer_id;
  guint            max_clients;
  guint            idle_timeout_s;  /* 0: never */

  GSocket         *listener;
  GSource         *accept_source;  /* the listener is readable: clients wait */
  guint            accept_pause_id; /* accepting failed: resting */
  gint64           accept_failure_logged_at;
  gint64           refusal_logged_at;
  gboolean         accept_failing;  /* since the last accept that worked */
  GPtrArray       *refusals;        /* Refusal: clients over the cap, being told why */
  char            *socket_path;    /* NULL for a socket handed over (not ours to remove) */
  dev_t            socket_dev;     /* to recognise our socket file at exit */
  ino_t            socket_ino;
};

G_DEFINE_FINAL_TYPE (HvRpcServer, hv_rpc_server, G_TYPE_OBJECT)

typedef struct _Refusal Refusal;
static void refusal_free (Refusal *refusal);

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
  guint             idle_id;         /* until the first line: a client that says nothing goes */
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

  g_clear_handle_id (&peer->idle_id, g_source_remove);
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
  g_clear_handle_id (&peer->idle_id, g_source_remove);
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

/* Why the member is refused: a whole message for each type a parameter can be asked as. */
static void
set_wrong_type (GError     **error,
                const char  *member,
                GType        type)
{
  if (type == G_TYPE_BOOLEAN)
    g_set_error (error, HV_RPC_ERROR, HV_RPC_ERROR_INVALID_PARAMS,
                 _("The parameter “%s” must be true or false."), member);
  else if (type == G_TYPE_STRING)
    g_set_error (error, HV_RPC_ERROR, HV_RPC_ERROR_INVALID_PARAMS,
                 _("The parameter “%s” must be a string."), member);
  else if (type == G_TYPE_INT64)
    g_set_error (error, HV_RPC_ERROR, HV_RPC_ERROR_INVALID_PARAMS,
                 _("The parameter “%s” must be an integer."), member);
  else
    g_set_error (error, HV_RPC_ERROR, HV_RPC_ERROR_INVALID_PARAMS,
                 _("The parameter “%s” must be an object."), member);
}

/*
 * The member as a value of `type` (JSON_TYPE_OBJECT: an object): TRUE with *out NULL when
 * it is absent or null, TRUE with *out set when it has that type, FALSE with
 * invalid-params otherwise.
 */
static gboolean
params_lookup (JsonNode    *params,
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
  if (type == JSON_TYPE_OBJECT ? !JSON_NODE_HOLDS_OBJECT (node)
                               : !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != type)
    {
      set_wrong_type (error, member, type);
      return FALSE;
    }
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
  JsonNode *node;

  if (!params_lookup (params, member, G_TYPE_BOOLEAN, &node, error))
    return FALSE;
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
  JsonNode *node;

  if (!params_lookup (params, member, G_TYPE_STRING, &node, error))
    return FALSE;
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
  JsonNode *node;

  if (!params_lookup (params, member, G_TYPE_INT64, &node, error))
    return FALSE;
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
  if (!params_lookup (params, member, JSON_TYPE_OBJECT, &node, error))
    return FALSE;
  *out = node != NULL ? json_node_get_object (node) : NULL;
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

  g_clear_handle_id (&peer->idle_id, g_source_remove);
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

  g_clear_handle_id (&peer->idle_id, g_source_remove);
  if (g_error_matches (error, DOMUS_JSON_STREAM_ERROR, DOMUS_JSON_STREAM_ERROR_TOO_LARGE))
    reply_error = g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_MESSAGE_TOO_LARGE,
                               _("The message is longer than %d bytes and was ignored."),
                               HV_RPC_MAX_MESSAGE_SIZE);
  else if (g_error_matches (error, DOMUS_JSON_STREAM_ERROR, DOMUS_JSON_STREAM_ERROR_TOO_DEEP))
    reply_error = g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_PARSE_ERROR,
                               _("The message was ignored unread: %s"), error->message);
  else if (g_error_matches (error, DOMUS_JSON_STREAM_ERROR, DOMUS_JSON_STREAM_ERROR_INEXACT))
    reply_error = g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_INVALID_REQUEST,
                               _("The request was refused: %s"), error->message);
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
  g_clear_pointer (&self->refusals, g_ptr_array_unref);
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
  self->refusals = g_ptr_array_new_with_free_func ((GDestroyNotify) refusal_free);
  self->next_peer_id = 1;
  self->max_clients = HV_RPC_DEFAULT_MAX_CLIENTS;
  self->idle_timeout_s = HV_RPC_DEFAULT_IDLE_TIMEOUT_S;
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

/* A connection that never said anything: told why, then closed (see docs/daemon.md). */
static gboolean
on_peer_idle (gpointer user_data)
{
  HvRpcPeer *peer = user_data;
  g_autoptr(GError) error = NULL;
  guint timeout_s = peer->server != NULL ? peer->server->idle_timeout_s : 0;

  peer->idle_id = 0;
  g_debug ("client %" G_GUINT64_FORMAT ": dropped: no request in %u s", peer->id, timeout_s);
  error = g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_FAILED,
                       _("No request came in %u seconds: the daemon closes the connection."),
                       timeout_s);
  peer_send_error (peer, NULL, error);
  domus_json_stream_close_when_flushed (peer->json);
  return G_SOURCE_REMOVE;
}

void
hv_rpc_server_set_client_limits (HvRpcServer *self,
                                 guint        max_clients,
                                 guint        idle_timeout_s)
{
  g_return_if_fail (HV_IS_RPC_SERVER (self));
  g_return_if_fail (max_clients > 0);

  self->max_clients = max_clients;
  self->idle_timeout_s = idle_timeout_s;
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
  /* A name with a NUL would be cut short, an id beyond 64 bits answered as another. */
  domus_json_stream_set_exact (peer->json, TRUE);
  peer->cancellable = g_cancellable_new ();
  g_signal_connect (peer->json, "message", G_CALLBACK (on_json_message), peer);
  g_signal_connect (peer->json, "bad-line", G_CALLBACK (on_json_bad_line), peer);
  g_signal_connect (peer->json, "closed", G_CALLBACK (on_json_closed), peer);
  if (self->idle_timeout_s > 0)
    peer->idle_id = g_timeout_add_seconds (self->idle_timeout_s, on_peer_idle, peer);
  g_ptr_array_add (self->peers, peer);

  g_debug ("client %" G_GUINT64_FORMAT ": connected", peer->id);
  g_signal_emit (self, signals[SIGNAL_PEER_ADDED], 0, peer);
  domus_json_stream_start (peer->json);
  return peer;
}

/* Accepting */

/* Says so at most once a minute: a client flood must not become a log flood. */
static gboolean
log_allowed (gint64 *logged_at)
{
  gint64 now = g_get_monotonic_time ();

  if (*logged_at != 0 && now - *logged_at < ACCEPT_LOG_INTERVAL_US)
    return FALSE;
  *logged_at = now;
  return TRUE;
}

/*
 * A client over the cap. Its first request is likely on its way: closing at once would
 * fail its write before it reads why, so the connection stays a moment, half-closed,
 * its input read and dropped, until the client closes or the moment is over.
 */
struct _Refusal
{
  HvRpcServer *server;        /* weak: refusals end with the server */
  GSocket     *socket;
  GSource     *input_source;
  guint        linger_id;
};

static void
refusal_free (Refusal *refusal)
{
  if (refusal->input_source != NULL)
    {
      g_source_destroy (refusal->input_source);
      g_source_unref (refusal->input_source);
    }
  g_clear_handle_id (&refusal->linger_id, g_source_remove);
  g_socket_close (refusal->socket, NULL);
  g_object_unref (refusal->socket);
  g_free (refusal);
}

static gboolean
on_refusal_over (gpointer user_data)
{
  Refusal *refusal = user_data;

  refusal->linger_id = 0;
  g_ptr_array_remove_fast (refusal->server->refusals, refusal);
  return G_SOURCE_REMOVE;
}

static gboolean
on_refusal_input (GSocket      *socket,
                  GIOCondition  condition,
                  gpointer      user_data)
{
  Refusal *refusal = user_data;
  char buffer[4096];
  gssize n_read;

  n_read = g_socket_receive (socket, buffer, sizeof buffer, NULL, NULL);
  if (n_read > 0)
    return G_SOURCE_CONTINUE;
  /* The client closed (or failed): nothing more to wait for. */
  g_clear_pointer (&refusal->input_source, g_source_unref);
  g_ptr_array_remove_fast (refusal->server->refusals, refusal);
  return G_SOURCE_REMOVE;
}

static void
server_refuse_client (HvRpcServer *self,
                      GSocket     *client)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) message = NULL;
  g_autofree char *text = NULL;
  g_autofree char *line = NULL;
  Refusal *refusal;

  error = g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_FAILED,
                       _("The daemon serves %u clients already, the most it takes ([clients] max in "
                         "domusd.conf); try again when one has left."),
                       self->peers->len);
  message = domus_json_rpc_new_error (NULL, hv_rpc_error_get_code (error),
                                      hv_rpc_error_get_kind (error), error->message);
  text = json_to_string (message, FALSE);
  line = g_strconcat (text, "\n", NULL);
  if (log_allowed (&self->refusal_logged_at))
    g_message ("refusing clients: %u connected, the most [clients] max allows", self->peers->len);

  g_socket_set_blocking (client, FALSE);
  g_socket_send (client, line, strlen (line), NULL, NULL);
  if (self->refusals->len >= MAX_REFUSALS || !g_socket_shutdown (client, FALSE, TRUE, NULL))
    {
      g_socket_close (client, NULL);
      return;
    }
  refusal = g_new0 (Refusal, 1);
  refusal->server = self;
  refusal->socket = g_object_ref (client);
  refusal->input_source = g_socket_create_source (client, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (refusal->input_source, G_SOURCE_FUNC (on_refusal_input), refusal, NULL);
  g_source_attach (refusal->input_source, g_main_context_get_thread_default ());
  refusal->linger_id = g_timeout_add (REFUSAL_LINGER_MS, on_refusal_over, refusal);
  g_ptr_array_add (self->refusals, refusal);
}

static void server_start_accepting (HvRpcServer *self);

static gboolean
on_accept_pause_over (gpointer user_data)
{
  HvRpcServer *self = user_data;

  self->accept_pause_id = 0;
  server_start_accepting (self);
  return G_SOURCE_REMOVE;
}

/*
 * accept() failed, at the descriptor limit most likely (EMFILE, ENFILE): the client stays in
 * the backlog and the listener stays readable, so trying again at once would spin. Rest a
 * moment instead, with the listener unwatched; clients that leave free descriptors.
 */
static void
server_pause_accepting (HvRpcServer  *self,
                        const GError *error)
{
  if (self->accept_source != NULL)
    {
      g_source_destroy (self->accept_source);
      g_clear_pointer (&self->accept_source, g_source_unref);
    }
  if (!self->accept_failing && log_allowed (&self->accept_failure_logged_at))
    g_message ("cannot accept clients (%u connected): %s; trying again every %d ms",
               self->peers->len, error->message, ACCEPT_PAUSE_MS);
  self->accept_failing = TRUE;
  self->accept_pause_id = g_timeout_add (ACCEPT_PAUSE_MS, on_accept_pause_over, self);
}

static gboolean
on_listener_readable (GSocket      *listener,
                      GIOCondition  condition,
                      gpointer      user_data)
{
  HvRpcServer *self = user_data;

  for (guint i = 0; i < ACCEPT_BATCH; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSocket) client = g_socket_accept (listener, NULL, &error);
      g_autoptr(GSocketConnection) connection = NULL;

      if (client == NULL)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            return G_SOURCE_CONTINUE;
          server_pause_accepting (self, error);
          return G_SOURCE_REMOVE;
        }
      if (self->accept_failing)
        {
          self->accept_failing = FALSE;
          if (self->accept_failure_logged_at != 0)
            g_message ("accepting clients again (%u connected)", self->peers->len);
        }
      if (self->peers->len >= self->max_clients)
        {
          server_refuse_client (self, client);
          continue;
        }
      connection = g_socket_connection_factory_create_connection (client);
      hv_rpc_server_add_stream (self, G_IO_STREAM (connection));
    }
  return G_SOURCE_CONTINUE;
}

static void
server_start_accepting (HvRpcServer *self)
{
  g_return_if_fail (self->accept_source == NULL);

  self->accept_source = g_socket_create_source (self->listener, G_IO_IN, NULL);
  g_source_set_callback (self->accept_source, G_SOURCE_FUNC (on_listener_readable), self, NULL);
  g_source_attach (self->accept_source, g_main_context_get_thread_default ());
}

gboolean
hv_rpc_server_listen_socket (HvRpcServer  *self,
                             GSocket      *socket,
                             GError      **error)
{
  g_return_val_if_fail (HV_IS_RPC_SERVER (self), FALSE);
  g_return_val_if_fail (G_IS_SOCKET (socket), FALSE);
  g_return_val_if_fail (self->listener == NULL, FALSE);

  /* Accepting until it would block, never waiting in accept(). */
  g_socket_set_blocking (socket, FALSE);
  self->listener = g_object_ref (socket);
  server_start_accepting (self);
  return TRUE;
}

gboolean
hv_rpc_server_listen_unix (HvRpcServer  *self,
                           const char   *path,
                           guint         mode,
                           GError      **error)
{
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocket) socket = NULL;
  struct stat info;
  mode_t old_umask;
  gboolean listening;
  int saved_errno;

  g_return_val_if_fail (HV_IS_RPC_SERVER (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (self->listener == NULL, FALSE);

  address = g_unix_socket_address_new (path);
  socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, error);
  if (socket == NULL)
    return FALSE;
  g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);

  /* Nobody else may connect, not even in the instant between bind and chmod. */
  old_umask = umask (0777 & ~mode);
  listening = g_socket_bind (socket, address, FALSE, error);
  umask (old_umask);
  if (!listening)
    return FALSE;
  if (!g_socket_listen (socket, error))
    {
      g_unlink (path);
      return FALSE;
    }

  if (g_chmod (path, mode) != 0 || g_stat (path, &info) != 0)
    {
      saved_errno = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Cannot set the permissions of the socket “%s”: %s"),
                   path, g_strerror (saved_errno));
      g_socket_close (socket, NULL);
      g_unlink (path);
      return FALSE;
    }

  self->socket_path = g_strdup (path);
  self->socket_dev = info.st_dev;
  self->socket_ino = info.st_ino;
  return hv_rpc_server_listen_socket (self, socket, error);
}

void
hv_rpc_server_stop (HvRpcServer *self)
{
  g_return_if_fail (HV_IS_RPC_SERVER (self));

  if (self->accept_source != NULL)
    {
      g_source_destroy (self->accept_source);
      g_clear_pointer (&self->accept_source, g_source_unref);
    }
  g_clear_handle_id (&self->accept_pause_id, g_source_remove);
  if (self->refusals != NULL)
    g_ptr_array_set_size (self->refusals, 0);
  if (self->listener != NULL)
    {
      g_socket_close (self->listener, NULL);
      g_clear_object (&self->listener);
    }
  if (self->socket_path != NULL)
    {
      struct stat info;

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
