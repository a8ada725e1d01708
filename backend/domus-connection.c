/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A JSON-RPC 2.0 client for domusd: one JSON object per line over any GIOStream. */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <gio/gunixsocketaddress.h>

#include "domus-connection.h"
#include "domus-connection-private.h"
#include "domus-json-rpc.h"
#include "domus-json-stream.h"

/* Replies carry stats history and can be big; anything beyond this is not domusd talking. */
#define MAX_MESSAGE_SIZE   (64 * 1024 * 1024)
/* Requests are small: this much unsent means the daemon stopped reading. */
#define MAX_QUEUED_OUTPUT  (64 * 1024 * 1024)

typedef struct {
  gint64   id;
  GTask   *task;
  GSource *cancel_source;   /* fires when the caller's cancellable does */
} PendingCall;

struct _DomusConnection
{
  GObject           parent_instance;

  GIOStream        *stream;
  DomusJsonStream  *json;

  GHashTable       *pending;         /* gint64 id -> PendingCall */
  gint64            next_id;
  gboolean          closed;
  /* The daemon's last "id": null error: when it closes next, this is most likely why
     (too many clients, a connection that said nothing). */
  char             *rejection;

  /* The SSH connection under the stream, when there is one: it goes when we do. */
  DomusSshSession  *ssh;
};

G_DEFINE_FINAL_TYPE (DomusConnection, domus_connection, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STREAM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_NOTIFICATION,
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
pending_call_free (PendingCall *call)
{
  if (call->cancel_source != NULL)
    {
      g_source_destroy (call->cancel_source);
      g_source_unref (call->cancel_source);
    }
  g_clear_object (&call->task);
  g_free (call);
}

/* Closing */

/* reason: NULL when we close on purpose. */
static void
connection_close_with_error (DomusConnection *self,
                             const GError    *reason)
{
  g_autoptr(DomusConnection) hold = NULL;
  g_autoptr(GHashTable) pending = NULL;
  GHashTableIter iter;
  PendingCall *call;

  if (self->closed)
    return;

  hold = g_object_ref (self);
  self->closed = TRUE;
  domus_json_stream_close (self->json);
  if (self->ssh != NULL)
    domus_ssh_session_close (self->ssh);

  /* Callers hear about it before anything else happens. */
  pending = g_steal_pointer (&self->pending);
  self->pending = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
                                         (GDestroyNotify) pending_call_free);
  g_hash_table_iter_init (&iter, pending);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &call))
    {
      /* Nothing was lost when there never was a daemon: the reason says what to install. */
      if (g_error_matches (reason, DOMUS_ERROR, DOMUS_ERROR_NOT_INSTALLED))
        g_task_return_error (call->task, g_error_copy (reason));
      else if (reason != NULL)
        g_task_return_new_error (call->task, DOMUS_ERROR, DOMUS_ERROR_CLOSED,
                                 _("The connection to the daemon was lost: %s"),
                                 reason->message);
      else
        g_task_return_new_error (call->task, DOMUS_ERROR, DOMUS_ERROR_CLOSED,
                                 _("The connection to the daemon was closed."));
    }

  g_signal_emit (self, signals[SIGNAL_CLOSED], 0, reason);
  /* The reference an open connection holds on itself (see domus_connection_new()). */
  g_object_unref (self);
}

static void
connection_close_with_new_error (DomusConnection *self,
                                 DomusError       code,
                                 const char      *format,
                                 ...) G_GNUC_PRINTF (3, 4);

static void
connection_close_with_new_error (DomusConnection *self,
                                 DomusError       code,
                                 const char      *format,
                                 ...)
{
  g_autoptr(GError) error = NULL;
  va_list args;

  va_start (args, format);
  error = g_error_new_valist (DOMUS_ERROR, code, format, args);
  va_end (args);
  connection_close_with_error (self, error);
}

void
domus_connection_close (DomusConnection *self)
{
  g_return_if_fail (DOMUS_IS_CONNECTION (self));
  connection_close_with_error (self, NULL);
}

void
domus_connection_close_and_wait (DomusConnection *self,
                                 guint            timeout_ms)
{
  g_return_if_fail (DOMUS_IS_CONNECTION (self));

  connection_close_with_error (self, NULL);
  if (self->ssh != NULL)
    domus_ssh_session_wait_ended (self->ssh, timeout_ms);
}

gboolean
domus_connection_is_closed (DomusConnection *self)
{
  g_return_val_if_fail (DOMUS_IS_CONNECTION (self), TRUE);
  return self->closed;
}

GIOStream *
domus_connection_get_stream (DomusConnection *self)
{
  g_return_val_if_fail (DOMUS_IS_CONNECTION (self), NULL);
  return self->stream;
}

/* Writing */

static void
connection_send (DomusConnection *self,
                 JsonNode        *message)
{
  domus_json_stream_send (self->json, message);
}

/* Reading */

/* The error object of an answer as a DomusError: the daemon's kind is the code. */
static GError *
error_from_reply (JsonNode *error_node)
{
  const char *kind, *message;
  DomusError code;

  if (!domus_json_rpc_read_error (error_node, &kind, &message))
    return g_error_new (DOMUS_ERROR, DOMUS_ERROR_PROTOCOL,
                        _("The daemon sent an error without a description."));
  code = domus_error_from_kind (kind);
  if (message == NULL)
    return g_error_new (DOMUS_ERROR, code, _("The daemon reported an error without a message."));
  return g_error_new_literal (DOMUS_ERROR, code, message);
}

static void
connection_handle_reply (DomusConnection           *self,
                         const DomusJsonRpcMessage *reply)
{
  PendingCall *call;
  gint64 id;

  if (JSON_NODE_HOLDS_NULL (reply->id))
    {
      /* Only a request the daemon could not read gets this; we never send one. */
      g_autoptr(GError) error = reply->error != NULL ? error_from_reply (reply->error) : NULL;

      g_debug ("the daemon rejected a message: %s",
               error != NULL ? error->message : "(no error)");
      if (error != NULL)
        {
          g_free (self->rejection);
          self->rejection = g_strdup (error->message);
        }
      return;
    }
  if (!domus_json_rpc_id_get_int (reply->id, &id))
    {
      connection_close_with_new_error (self, DOMUS_ERROR_PROTOCOL,
                                       _("The daemon answered with an id this client never uses."));
      return;
    }
  if (!g_hash_table_steal_extended (self->pending, &id, NULL, (gpointer *) &call))
    {
      /* The caller cancelled and stopped waiting. */
      g_debug ("dropping the answer to call %" G_GINT64_FORMAT, id);
      return;
    }

  if (reply->error != NULL)
    g_task_return_error (call->task, error_from_reply (reply->error));
  else if (reply->result != NULL)
    g_task_return_pointer (call->task, json_node_copy (reply->result), (GDestroyNotify) json_node_unref);
  else
    g_task_return_new_error (call->task, DOMUS_ERROR, DOMUS_ERROR_PROTOCOL,
                             _("The daemon answered with neither a result nor an error."));
  pending_call_free (call);
}

static void
on_json_message (DomusJsonStream *json,
                 JsonNode        *root,
                 gpointer         user_data)
{
  DomusConnection *self = user_data;
  g_autoptr(DomusConnection) hold = g_object_ref (self);
  g_autoptr(GError) error = NULL;
  DomusJsonRpcMessage message;

  if (!domus_json_rpc_read_incoming (root, &message, &error))
    connection_close_with_new_error (self, DOMUS_ERROR_PROTOCOL, "%s", error->message);
  else if (message.id != NULL)
    connection_handle_reply (self, &message);
  else
    {
      g_autoptr(JsonNode) no_params = NULL;
      JsonNode *params = message.params;

      if (params == NULL)
        params = no_params = json_node_new (JSON_NODE_NULL);
      g_signal_emit (self, signals[SIGNAL_NOTIFICATION], g_quark_try_string (message.method),
                     message.method, params);
    }
}

/* Unlike the daemon, we do not carry on: the answer some caller waits for may be lost. */
static void
on_json_bad_line (DomusJsonStream *json,
                  const GError    *error,
                  gpointer         user_data)
{
  DomusConnection *self = user_data;

  if (g_error_matches (error, DOMUS_JSON_STREAM_ERROR, DOMUS_JSON_STREAM_ERROR_TOO_LARGE))
    connection_close_with_new_error (self, DOMUS_ERROR_PROTOCOL,
                                     _("The daemon sent a message larger than %d bytes."),
                                     MAX_MESSAGE_SIZE);
  else if (g_error_matches (error, DOMUS_JSON_STREAM_ERROR, DOMUS_JSON_STREAM_ERROR_TOO_DEEP))
    connection_close_with_new_error (self, DOMUS_ERROR_PROTOCOL,
                                     _("The daemon sent a message nested deeper than %d levels."),
                                     DOMUS_JSON_STREAM_MAX_DEPTH);
  else
    connection_close_with_new_error (self, DOMUS_ERROR_PROTOCOL,
                                     _("The daemon sent something that is not JSON: %s"),
                                     error->message);
}

/* Only the daemon's doing arrives here: our own close marks us closed first. */
static void
on_json_closed (DomusJsonStream *json,
                const GError    *error,
                gpointer         user_data)
{
  DomusConnection *self = user_data;

  if (self->closed)
    return;
  /* Over SSH, the session knows better why the stream ended (sshd gone, bridge failed,
     Domus not installed there), and its error says so with its own code. */
  if (self->ssh != NULL)
    {
      g_autoptr(GError) transport_error = domus_ssh_session_dup_error (self->ssh);

      if (transport_error != NULL)
        {
          connection_close_with_error (self, transport_error);
          return;
        }
    }
  if (error == NULL && self->rejection != NULL)
    connection_close_with_new_error (self, DOMUS_ERROR_CLOSED,
                                     _("The daemon closed the connection: %s"), self->rejection);
  else if (error == NULL)
    connection_close_with_new_error (self, DOMUS_ERROR_CLOSED,
                                     _("The daemon closed the connection."));
  else
    connection_close_with_new_error (self, DOMUS_ERROR_CLOSED, "%s", error->message);
}

/* Calls */

static gboolean
on_call_cancelled (GCancellable *cancellable,
                   gpointer      user_data)
{
  GTask *task = user_data;
  DomusConnection *self = g_task_get_source_object (task);
  gint64 id = GPOINTER_TO_SIZE (g_task_get_task_data (task));
  PendingCall *call;

  if (g_hash_table_steal_extended (self->pending, &id, NULL, (gpointer *) &call))
    {
      g_task_return_error_if_cancelled (call->task);
      pending_call_free (call);
    }
  return G_SOURCE_REMOVE;
}

void
domus_connection_call_async (DomusConnection    *self,
                             const char         *method,
                             JsonNode           *params,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonNode) message = NULL;
  PendingCall *call;

  g_return_if_fail (DOMUS_IS_CONNECTION (self));
  g_return_if_fail (method != NULL);
  g_return_if_fail (params == NULL || JSON_NODE_HOLDS_OBJECT (params) || JSON_NODE_HOLDS_ARRAY (params));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, domus_connection_call_async);

  if (self->closed)
    {
      g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_CLOSED,
                               _("The connection to the daemon is closed."));
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  call = g_new0 (PendingCall, 1);
  call->id = self->next_id++;
  call->task = g_object_ref (task);
  g_task_set_task_data (task, GSIZE_TO_POINTER (call->id), NULL);
  if (cancellable != NULL)
    {
      call->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (call->cancel_source, G_SOURCE_FUNC (on_call_cancelled), task, NULL);
      g_source_attach (call->cancel_source, g_task_get_context (task));
    }
  g_hash_table_insert (self->pending, &call->id, call);

  message = domus_json_rpc_new_request (call->id, method, params);
  connection_send (self, message);
}

JsonNode *
domus_connection_call_finish (DomusConnection  *self,
                              GAsyncResult     *result,
                              GError          **error)
{
  g_return_val_if_fail (DOMUS_IS_CONNECTION (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == domus_connection_call_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Object */

static void
domus_connection_constructed (GObject *object)
{
  DomusConnection *self = DOMUS_CONNECTION (object);

  G_OBJECT_CLASS (domus_connection_parent_class)->constructed (object);

  g_return_if_fail (self->stream != NULL);
  self->json = domus_json_stream_new (self->stream, MAX_MESSAGE_SIZE, MAX_QUEUED_OUTPUT);
  g_signal_connect (self->json, "message", G_CALLBACK (on_json_message), self);
  g_signal_connect (self->json, "bad-line", G_CALLBACK (on_json_bad_line), self);
  g_signal_connect (self->json, "closed", G_CALLBACK (on_json_closed), self);
  /* An open connection keeps itself alive; closing drops this. */
  g_object_ref (self);
  domus_json_stream_start (self->json);
}

static void
domus_connection_dispose (GObject *object)
{
  DomusConnection *self = DOMUS_CONNECTION (object);

  if (self->json != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->json, self);
      domus_json_stream_close (self->json);
      g_clear_object (&self->json);
    }
  G_OBJECT_CLASS (domus_connection_parent_class)->dispose (object);
}

static void
domus_connection_finalize (GObject *object)
{
  DomusConnection *self = DOMUS_CONNECTION (object);

  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_clear_object (&self->stream);
  if (self->ssh != NULL)
    domus_ssh_session_close (self->ssh);
  g_clear_object (&self->ssh);
  g_free (self->rejection);
  G_OBJECT_CLASS (domus_connection_parent_class)->finalize (object);
}

static void
domus_connection_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  DomusConnection *self = DOMUS_CONNECTION (object);

  switch (prop_id)
    {
    case PROP_STREAM:
      g_value_set_object (value, self->stream);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_connection_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  DomusConnection *self = DOMUS_CONNECTION (object);

  switch (prop_id)
    {
    case PROP_STREAM:
      self->stream = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_connection_class_init (DomusConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = domus_connection_constructed;
  object_class->dispose = domus_connection_dispose;
  object_class->finalize = domus_connection_finalize;
  object_class->get_property = domus_connection_get_property;
  object_class->set_property = domus_connection_set_property;

  properties[PROP_STREAM] =
    g_param_spec_object ("stream", NULL, NULL, G_TYPE_IO_STREAM,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * DomusConnection::notification:
   * @method: the event, e.g. "domain.state"
   * @params: its parameters (a JSON null node when it has none)
   *
   * The daemon sent an event. The detail is the method name.
   */
  signals[SIGNAL_NOTIFICATION] =
    g_signal_new ("notification", G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, JSON_TYPE_NODE);
  /**
   * DomusConnection::closed:
   * @reason: (nullable): why, or NULL when domus_connection_close() was called
   *
   * The connection is gone; every outstanding call has failed already.
   */
  signals[SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
domus_connection_init (DomusConnection *self)
{
  self->pending = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
                                         (GDestroyNotify) pending_call_free);
  self->next_id = 1;
}

DomusConnection *
domus_connection_new (GIOStream *stream)
{
  g_return_val_if_fail (G_IS_IO_STREAM (stream), NULL);

  return g_object_new (DOMUS_TYPE_CONNECTION, "stream", stream, NULL);
}

/* The transport */

void
domus_connection_set_ssh_session (DomusConnection *self,
                                  DomusSshSession *session)
{
  g_return_if_fail (DOMUS_IS_CONNECTION (self));
  g_set_object (&self->ssh, session);
}

DomusSshSession *
domus_connection_get_ssh_session (DomusConnection *self)
{
  g_return_val_if_fail (DOMUS_IS_CONNECTION (self), NULL);
  return self->ssh;
}

const char *
domus_connection_get_security_notice (DomusConnection *self)
{
  g_return_val_if_fail (DOMUS_IS_CONNECTION (self), NULL);
  return self->ssh != NULL ? domus_ssh_session_get_security_notice (self->ssh) : NULL;
}
