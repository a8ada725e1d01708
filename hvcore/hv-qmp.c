/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A QMP client over QEMU's monitor socket: greeting, capabilities, commands matched by id, events. */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <gio/gunixfdmessage.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gi18n-lib.h>

#include "domus-json-stream.h"
#include "domus-json-util.h"
#include "hv-qmp.h"

/* QMP replies can hold big lists (query-blockstats of many drives); events are small. */
#define MAX_LINE_SIZE      (16 * 1024 * 1024)
#define MAX_QUEUED_OUTPUT  (16 * 1024 * 1024)
/* QEMU greets at once; a socket that stays silent is not a QEMU we can use. */
#define GREETING_TIMEOUT_S 10

G_DEFINE_QUARK (hv-qmp-error-quark, hv_qmp_error)

typedef enum {
  PHASE_GREETING,
  PHASE_CAPABILITIES,
  PHASE_READY,
  PHASE_CLOSED,
} Phase;

struct _HvQmp
{
  GObject          parent_instance;

  DomusJsonStream *stream;
  Phase            phase;
  char            *version;
  char            *path;
  gint64           next_id;
  GHashTable      *pending;      /* id → GTask */
  GTask           *connect_task; /* until capabilities are negotiated */
  guint            greeting_timeout_id;
  gulong           cancelled_id;
};

G_DEFINE_FINAL_TYPE (HvQmp, hv_qmp, G_TYPE_OBJECT)

enum {
  SIGNAL_EVENT,
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void send_command (HvQmp *self, const char *command, JsonObject *arguments, GTask *task);

/* Connecting */

static void
fail_connect (HvQmp  *self,
              GError *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->connect_task);

  g_clear_handle_id (&self->greeting_timeout_id, g_source_remove);
  if (task == NULL)
    {
      g_error_free (error);
      return;
    }
  if (self->cancelled_id != 0)
    g_cancellable_disconnect (g_task_get_cancellable (task), self->cancelled_id);
  self->cancelled_id = 0;
  hv_qmp_close (self);
  g_task_return_error (task, error);
  /* The reference the connection attempt held. */
  g_object_unref (self);
}

static gboolean
on_greeting_timeout (gpointer user_data)
{
  HvQmp *self = user_data;

  self->greeting_timeout_id = 0;
  fail_connect (self, g_error_new (HV_QMP_ERROR, HV_QMP_ERROR_CONNECT,
                                   _("QEMU did not greet on %s within %d s"),
                                   self->path, GREETING_TIMEOUT_S));
  return G_SOURCE_REMOVE;
}

static gboolean
finish_cancelled_connect (gpointer user_data)
{
  HvQmp *self = user_data;

  fail_connect (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                           _("The operation was cancelled")));
  return G_SOURCE_REMOVE;
}

static void
on_connect_cancelled (GCancellable *cancellable,
                      gpointer      user_data)
{
  /* Called with the cancellable's lock held: finish outside it. */
  g_idle_add_full (G_PRIORITY_DEFAULT, finish_cancelled_connect,
                   g_object_ref (user_data), g_object_unref);
}

static void
on_capabilities (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  HvQmp *self = HV_QMP (source);
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;

  reply = hv_qmp_execute_finish (self, result, &error);
  if (reply == NULL)
    {
      g_prefix_error (&error, _("QMP on %s: "), self->path);
      fail_connect (self, error);
      return;
    }
  task = g_steal_pointer (&self->connect_task);
  if (task == NULL)
    return;
  if (self->cancelled_id != 0)
    g_cancellable_disconnect (g_task_get_cancellable (task), self->cancelled_id);
  self->cancelled_id = 0;
  self->phase = PHASE_READY;
  /* The attempt's reference becomes the caller's. */
  g_task_return_pointer (task, self, g_object_unref);
}

static void
handle_greeting (HvQmp      *self,
                 JsonObject *message)
{
  JsonObject *qmp = domus_json_object_get_object (message, "QMP");
  JsonObject *version = qmp != NULL ? domus_json_object_get_object (qmp, "version") : NULL;
  JsonObject *qemu = version != NULL ? domus_json_object_get_object (version, "qemu") : NULL;
  GTask *task;

  if (qemu == NULL)
    {
      fail_connect (self, g_error_new (HV_QMP_ERROR, HV_QMP_ERROR_PROTOCOL,
                                       _("%s does not greet like QMP"), self->path));
      return;
    }
  g_clear_handle_id (&self->greeting_timeout_id, g_source_remove);
  self->version = g_strdup_printf ("%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT,
                                   json_object_get_int_member_with_default (qemu, "major", 0),
                                   json_object_get_int_member_with_default (qemu, "minor", 0),
                                   json_object_get_int_member_with_default (qemu, "micro", 0));
  self->phase = PHASE_CAPABILITIES;
  task = g_task_new (self, NULL, on_capabilities, NULL);
  g_task_set_source_tag (task, hv_qmp_execute_async);
  send_command (self, "qmp_capabilities", NULL, task);
}

/* Messages */

static void
handle_reply (HvQmp      *self,
              JsonObject *message)
{
  JsonNode *id = json_object_get_member (message, "id");
  g_autoptr(GTask) task = NULL;
  gint64 key;

  if (id == NULL || !JSON_NODE_HOLDS_VALUE (id) || json_node_get_value_type (id) != G_TYPE_INT64)
    return;
  key = json_node_get_int (id);
  if (key <= 0 || !g_hash_table_steal_extended (self->pending, GSIZE_TO_POINTER ((gsize) key),
                                                 NULL, (gpointer *) &task))
    return;
  /* A caller that gave up already has its answer. */
  if (g_task_return_error_if_cancelled (task))
    return;

  if (json_object_has_member (message, "error"))
    {
      JsonObject *error = domus_json_object_get_object (message, "error");
      const char *desc = error != NULL ? json_object_get_string_member_with_default (error, "desc", NULL) : NULL;

      g_task_return_new_error (task, HV_QMP_ERROR, HV_QMP_ERROR_COMMAND, "%s",
                               desc != NULL ? desc : _("QEMU refused the command"));
      return;
    }
  {
    JsonNode *value = json_object_get_member (message, "return");

    JsonNode *copy = value != NULL ? json_node_copy (value) : json_node_new (JSON_NODE_OBJECT);

    if (value == NULL)
      json_node_take_object (copy, json_object_new ());
    g_task_return_pointer (task, copy, (GDestroyNotify) json_node_unref);
  }
}

static void
handle_event (HvQmp      *self,
              JsonObject *message)
{
  const char *name = json_object_get_string_member_with_default (message, "event", "");
  JsonObject *data = domus_json_object_get_object (message, "data");
  JsonObject *timestamp = domus_json_object_get_object (message, "timestamp");
  g_autoptr(JsonObject) empty = NULL;
  gint64 time_us = 0;

  if (timestamp != NULL)
    time_us = json_object_get_int_member_with_default (timestamp, "seconds", 0) * G_USEC_PER_SEC +
              json_object_get_int_member_with_default (timestamp, "microseconds", 0);
  if (data == NULL)
    data = empty = json_object_new ();
  g_signal_emit (self, signals[SIGNAL_EVENT], 0, name, data, time_us);
}

static void
on_message (DomusJsonStream *stream,
            JsonNode        *node,
            gpointer         user_data)
{
  HvQmp *self = user_data;
  g_autoptr(HvQmp) hold = g_object_ref (self);
  JsonObject *message;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return;
  message = json_node_get_object (node);

  if (self->phase == PHASE_GREETING)
    handle_greeting (self, message);
  else if (json_object_has_member (message, "event"))
    handle_event (self, message);
  else
    handle_reply (self, message);
}

static void
on_bad_line (DomusJsonStream *stream,
             const GError    *error,
             gpointer         user_data)
{
  HvQmp *self = user_data;

  g_warning ("QMP on %s: %s", self->path, error->message);
}

static void
fail_pending (HvQmp *self)
{
  g_autoptr(GList) tasks = g_hash_table_get_values (self->pending);

  g_hash_table_steal_all (self->pending);
  for (GList *l = tasks; l != NULL; l = l->next)
    {
      g_autoptr(GTask) task = l->data;

      g_task_return_new_error (task, HV_QMP_ERROR, HV_QMP_ERROR_CLOSED,
                               _("The QMP connection to %s closed before QEMU answered"), self->path);
    }
}

static void
on_closed (DomusJsonStream *stream,
           const GError    *error,
           gpointer         user_data)
{
  HvQmp *self = user_data;
  g_autoptr(HvQmp) hold = g_object_ref (self);
  gboolean was_ready = self->phase == PHASE_READY;

  if (self->phase == PHASE_CLOSED)
    return;
  self->phase = PHASE_CLOSED;
  fail_pending (self);
  if (self->connect_task != NULL)
    {
      fail_connect (self, g_error_new (HV_QMP_ERROR, HV_QMP_ERROR_CONNECT,
                                       _("QEMU closed %s before QMP was ready"), self->path));
      return;
    }
  if (was_ready)
    g_signal_emit (self, signals[SIGNAL_CLOSED], 0, error);
}

static void
send_command (HvQmp      *self,
              const char *command,
              JsonObject *arguments,
              GTask      *task)
{
  g_autoptr(JsonNode) message = json_node_new (JSON_NODE_OBJECT);
  JsonObject *object = json_object_new ();
  gint64 id = self->next_id++;

  json_object_set_string_member (object, "execute", command);
  if (arguments != NULL)
    json_object_set_object_member (object, "arguments", json_object_ref (arguments));
  json_object_set_int_member (object, "id", id);
  json_node_take_object (message, object);

  g_hash_table_insert (self->pending, GSIZE_TO_POINTER ((gsize) id), task);
  domus_json_stream_send (self->stream, message);
}

static void
on_socket_connected (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(HvQmp) self = user_data;
  g_autoptr(GSocketConnection) connection = NULL;
  GError *error = NULL;

  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (connection == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autoptr(GError) cause = error;

          error = g_error_new (HV_QMP_ERROR, HV_QMP_ERROR_CONNECT,
                               _("Cannot connect to QMP on %s: %s"), self->path, cause->message);
        }
      fail_connect (self, error);
      return;
    }
  if (self->connect_task == NULL)
    return;  /* cancelled meanwhile */

  self->stream = domus_json_stream_new (G_IO_STREAM (connection), MAX_LINE_SIZE, MAX_QUEUED_OUTPUT);
  g_signal_connect (self->stream, "message", G_CALLBACK (on_message), self);
  g_signal_connect (self->stream, "bad-line", G_CALLBACK (on_bad_line), self);
  g_signal_connect (self->stream, "closed", G_CALLBACK (on_closed), self);
  self->greeting_timeout_id = g_timeout_add_seconds (GREETING_TIMEOUT_S, on_greeting_timeout, self);
  domus_json_stream_start (self->stream);
}

void
hv_qmp_connect_async (const char          *path,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketAddress) address = NULL;
  HvQmp *self;

  g_return_if_fail (path != NULL);

  self = g_object_new (HV_TYPE_QMP, NULL);
  self->path = g_strdup (path);
  /* The task's source object is the connection being made: it lives until the task ends. */
  self->connect_task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (self->connect_task, hv_qmp_connect_async);
  if (cancellable != NULL)
    self->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (on_connect_cancelled), self, NULL);

  address = g_unix_socket_address_new (path);
  /* self holds itself until the attempt ends (fail_connect, or handed to the caller). */
  g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (address), NULL,
                                 on_socket_connected, g_object_ref (self));
}

HvQmp *
hv_qmp_connect_finish (GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

const char *
hv_qmp_get_version (HvQmp *self)
{
  g_return_val_if_fail (HV_IS_QMP (self), NULL);
  return self->version;
}

/* Commands */

void
hv_qmp_execute_async (HvQmp               *self,
                      const char          *command,
                      JsonObject          *arguments,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (HV_IS_QMP (self));
  g_return_if_fail (command != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hv_qmp_execute_async);
  if (self->phase != PHASE_READY)
    {
      g_task_return_new_error (task, HV_QMP_ERROR, HV_QMP_ERROR_CLOSED,
                               _("The QMP connection to %s is closed"), self->path);
      return;
    }
  send_command (self, command, arguments, g_steal_pointer (&task));
}

/* Passing an fd */

/* Our queued lines must be out first: the fd-carrying line goes straight to the socket. */
#define FD_SEND_RETRY_MS 2
#define FD_SEND_TRIES    2500

typedef struct {
  char       *line;
  int         fd;
  gint64      id;
  guint       tries;
} FdSend;

static void
fd_send_free (FdSend *send)
{
  g_free (send->line);
  if (send->fd >= 0)
    close (send->fd);
  g_free (send);
}

static gboolean send_with_fd (gpointer user_data);

static gboolean
send_with_fd (gpointer user_data)
{
  GTask *task = user_data;
  HvQmp *self = g_task_get_source_object (task);
  FdSend *send = g_task_get_task_data (task);
  g_autoptr(GSocketControlMessage) message = NULL;
  GSocketConnection *connection;
  GError *error = NULL;
  GOutputVector vector;
  gssize sent;

  if (self->phase != PHASE_READY)
    {
      g_task_return_new_error (task, HV_QMP_ERROR, HV_QMP_ERROR_CLOSED,
                               _("The QMP connection to %s is closed"), self->path);
      g_object_unref (task);
      return G_SOURCE_REMOVE;
    }
  if (domus_json_stream_get_queued_bytes (self->stream) > 0 && ++send->tries < FD_SEND_TRIES)
    return G_SOURCE_CONTINUE;

  connection = G_SOCKET_CONNECTION (domus_json_stream_get_stream (self->stream));
  message = g_unix_fd_message_new ();
  if (!g_unix_fd_message_append_fd (G_UNIX_FD_MESSAGE (message), send->fd, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return G_SOURCE_REMOVE;
    }
  vector.buffer = send->line;
  vector.size = strlen (send->line);
  /* One short line on a local socket: the kernel takes it whole. */
  sent = g_socket_send_message (g_socket_connection_get_socket (connection), NULL, &vector, 1,
                                &message, 1, 0, NULL, &error);
  if (sent != (gssize) vector.size)
    {
      if (error == NULL)
        error = g_error_new (HV_QMP_ERROR, HV_QMP_ERROR_CLOSED,
                             _("QMP on %s took only part of a command"), self->path);
      g_task_return_error (task, error);
      g_object_unref (task);
      return G_SOURCE_REMOVE;
    }
  g_hash_table_insert (self->pending, GSIZE_TO_POINTER ((gsize) send->id), task);
  return G_SOURCE_REMOVE;
}

void
hv_qmp_execute_with_fd_async (HvQmp               *self,
                              const char          *command,
                              JsonObject          *arguments,
                              int                  fd,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonNode) message = NULL;
  g_autoptr(JsonGenerator) generator = NULL;
  g_autofree char *text = NULL;
  JsonObject *object;
  FdSend *send;

  g_return_if_fail (HV_IS_QMP (self));
  g_return_if_fail (command != NULL && fd >= 0);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hv_qmp_execute_async);
  if (self->phase != PHASE_READY)
    {
      g_task_return_new_error (task, HV_QMP_ERROR, HV_QMP_ERROR_CLOSED,
                               _("The QMP connection to %s is closed"), self->path);
      return;
    }
  send = g_new0 (FdSend, 1);
  send->fd = dup (fd);
  send->id = self->next_id++;
  object = json_object_new ();
  json_object_set_string_member (object, "execute", command);
  if (arguments != NULL)
    json_object_set_object_member (object, "arguments", json_object_ref (arguments));
  json_object_set_int_member (object, "id", send->id);
  message = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (message, object);
  generator = json_generator_new ();
  json_generator_set_root (generator, message);
  text = json_generator_to_data (generator, NULL);
  send->line = g_strconcat (text, "\n", NULL);
  g_task_set_task_data (task, send, (GDestroyNotify) fd_send_free);
  if (send->fd < 0)
    {
      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (errno),
                               _("Cannot pass a file descriptor to QEMU: %s"), g_strerror (errno));
      return;
    }
  if (send_with_fd (task))
    g_timeout_add (FD_SEND_RETRY_MS, send_with_fd, g_steal_pointer (&task));
  else
    g_steal_pointer (&task);
}

JsonNode *
hv_qmp_execute_finish (HvQmp         *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
hv_qmp_is_closed (HvQmp *self)
{
  g_return_val_if_fail (HV_IS_QMP (self), TRUE);
  return self->phase == PHASE_CLOSED;
}

void
hv_qmp_close (HvQmp *self)
{
  g_autoptr(HvQmp) hold = NULL;
  gboolean was_ready;

  g_return_if_fail (HV_IS_QMP (self));

  if (self->phase == PHASE_CLOSED)
    return;
  hold = g_object_ref (self);
  was_ready = self->phase == PHASE_READY;
  self->phase = PHASE_CLOSED;
  if (self->stream != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->stream, self);
      domus_json_stream_close (self->stream);
    }
  fail_pending (self);
  if (was_ready)
    g_signal_emit (self, signals[SIGNAL_CLOSED], 0, NULL);
}

/* The object */

static void
hv_qmp_dispose (GObject *object)
{
  HvQmp *self = HV_QMP (object);

  g_clear_handle_id (&self->greeting_timeout_id, g_source_remove);
  if (self->stream != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->stream, self);
      domus_json_stream_close (self->stream);
      g_clear_object (&self->stream);
    }
  G_OBJECT_CLASS (hv_qmp_parent_class)->dispose (object);
}

static void
hv_qmp_finalize (GObject *object)
{
  HvQmp *self = HV_QMP (object);

  g_hash_table_unref (self->pending);
  g_free (self->version);
  g_free (self->path);
  G_OBJECT_CLASS (hv_qmp_parent_class)->finalize (object);
}

static void
hv_qmp_class_init (HvQmpClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hv_qmp_dispose;
  object_class->finalize = hv_qmp_finalize;

  signals[SIGNAL_EVENT] =
    g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRING, JSON_TYPE_OBJECT, G_TYPE_INT64);
  signals[SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
hv_qmp_init (HvQmp *self)
{
  /* Ids are small positive numbers: they are their own keys. */
  self->pending = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->next_id = 1;
  self->phase = PHASE_GREETING;
}
