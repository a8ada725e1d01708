/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * One server's use of an SSH connection. The connection itself (domus-ssh-transport.c)
 * is shared by every session for the same account, as OpenSSH's ControlMaster shares
 * one: twenty servers behind one sshd cost a key exchange and a login, not twenty. Each
 * session has its own channels on it, its own options (the bridge and the daemon's
 * socket), and ends on its own; the connection ends with its last session, and a lost
 * connection ends every session on it, each with the reason.
 */

#include "config.h"

#include "domus-error.h"
#include "domus-fd-task.h"
#include "domus-ssh-session.h"
#include "domus-ssh-transport.h"

struct _DomusSshSession
{
  GObject            parent_instance;

  DomusSshOptions   *options;
  GTlsInteraction   *interaction;
  DomusSshTransport *transport;
  guint              user;       /* our id on the transport */
  gboolean           released;
  gboolean           opened;     /* a channel was asked for */
};

typedef struct {
  char              *command;   /* an exec channel's; a fallback's (nullable for a tunnel) */
  char              *socket_path; /* a direct-streamlocal target, command the fallback (nullable) */
  char              *tcp_host;  /* a tunnel's direct-tcpip target (nullable) */
  guint16            tcp_port;
  gboolean           tunnel;
  DomusSshTunnelWay  way;       /* how the tunnel went */
  gboolean           moved;     /* already tried on a connection of its own */
} OpenData;

static void
open_data_free (OpenData *data)
{
  g_free (data->command);
  g_free (data->socket_path);
  g_free (data->tcp_host);
  g_free (data);
}

G_DEFINE_FINAL_TYPE (DomusSshSession, domus_ssh_session, G_TYPE_OBJECT)

static void
on_transport_connected (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DomusSshSession *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (domus_ssh_transport_wait_connected_finish (DOMUS_SSH_TRANSPORT (source), result, &error))
    g_task_return_pointer (task, g_object_ref (self), g_object_unref);
  else
    g_task_return_error (task, error);
}

void
domus_ssh_session_connect_async (const DomusSshOptions *options,
                                 GTlsInteraction       *interaction,
                                 const char            *accept_fingerprint,
                                 GCancellable          *cancellable,
                                 GAsyncReadyCallback    callback,
                                 gpointer               user_data)
{
  g_autoptr(DomusSshSession) self = NULL;
  GTask *task;

  g_return_if_fail (options != NULL);

  self = g_object_new (DOMUS_TYPE_SSH_SESSION, NULL);
  self->options = domus_ssh_options_copy (options);
  self->interaction = interaction != NULL ? g_object_ref (interaction) : NULL;
  self->transport = domus_ssh_transport_acquire (options, interaction, accept_fingerprint,
                                                 &self->user);
  /* The task holds the session until the answer: a caller that fails or gives up drops
     it, which lets go of the connection. */
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, domus_ssh_session_connect_async);
  domus_ssh_transport_wait_connected_async (self->transport, cancellable, on_transport_connected, task);
}

DomusSshSession *
domus_ssh_session_connect_finish (GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == domus_ssh_session_connect_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void on_channel_opened (GObject      *source,
                               GAsyncResult *result,
                               gpointer      user_data);

/* Asks the transport for the channel task's data describes; task (transfer full) answers. */
static void
request_channel (DomusSshSession *self,
                 GTask           *task)
{
  OpenData *data = g_task_get_task_data (task);

  if (data->tunnel)
    domus_ssh_transport_open_tunnel_async (self->transport, self->user, data->tcp_host, data->tcp_port,
                                           data->command, g_task_get_cancellable (task), on_channel_opened, task);
  else
    domus_ssh_transport_open_channel_async (self->transport, self->user, data->command, data->socket_path,
                                            g_task_get_cancellable (task), on_channel_opened, task);
}

/* Starts task (transfer full) with data; only a session's first channel may move. */
static void
start_open (DomusSshSession *self,
            GTask           *task,
            OpenData        *data)
{
  data->moved = self->opened;
  self->opened = TRUE;
  g_task_set_task_data (task, data, (GDestroyNotify) open_data_free);
  request_channel (self, task);
}

/* A server that refused our first channel on a shared connection (its MaxSessions) gets
   one more try on a connection of ours: the pool no longer offers the full one. */
static void
on_moved (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DomusSshSession *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!domus_ssh_transport_wait_connected_finish (DOMUS_SSH_TRANSPORT (source), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  request_channel (self, g_object_ref (task));
}

static gboolean
move_to_new_connection (DomusSshSession *self,
                        GTask           *task)
{
  OpenData *data = g_task_get_task_data (task);

  if (data->moved || self->released || !domus_ssh_transport_is_full (self->transport))
    return FALSE;
  data->moved = TRUE;
  g_debug ("%s refused a channel on a shared connection: “%s” gets one of its own",
           domus_ssh_transport_get_host_label (self->transport),
           data->command != NULL ? data->command : data->tcp_host);
  domus_ssh_transport_release (self->transport, self->user);
  g_clear_object (&self->transport);
  self->transport = domus_ssh_transport_acquire (self->options, self->interaction, NULL, &self->user);
  domus_ssh_transport_wait_connected_async (self->transport, g_task_get_cancellable (task), on_moved,
                                            g_object_ref (task));
  return TRUE;
}

static void
on_channel_opened (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DomusSshSession *self = g_task_get_source_object (task);
  OpenData *data = g_task_get_task_data (task);
  GError *error = NULL;
  int fd = data->tunnel
           ? domus_ssh_transport_open_tunnel_finish (DOMUS_SSH_TRANSPORT (source), result, &data->way, &error)
           : domus_ssh_transport_open_channel_finish (DOMUS_SSH_TRANSPORT (source), result, &error);

  if (fd >= 0)
    domus_task_return_fd (task, fd);
  else if (g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_CONNECT_FAILED)
           && DOMUS_SSH_TRANSPORT (source) == self->transport && move_to_new_connection (self, task))
    g_error_free (error);
  else
    g_task_return_error (task, error);
}

void
domus_ssh_session_open_channel_async (DomusSshSession     *self,
                                      const char          *command,
                                      const char          *socket_path,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  GTask *task;
  OpenData *data;

  g_return_if_fail (DOMUS_IS_SSH_SESSION (self));
  g_return_if_fail (command != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, domus_ssh_session_open_channel_async);
  data = g_new0 (OpenData, 1);
  data->command = g_strdup (command);
  data->socket_path = g_strdup (socket_path);
  start_open (self, task, data);
}

int
domus_ssh_session_open_channel_finish (DomusSshSession  *self,
                                       GAsyncResult     *result,
                                       GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), -1);

  return domus_task_propagate_fd (G_TASK (result), error);
}

/* A tunnel is a channel of ours on the shared connection like any other (released with
   us, moved with our first channel), but never our primary one: its end ends nothing. */
void
domus_ssh_session_open_tunnel_async (DomusSshSession     *self,
                                     const char          *host,
                                     guint16              port,
                                     const char          *fallback_command,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  GTask *task;
  OpenData *data;

  g_return_if_fail (DOMUS_IS_SSH_SESSION (self));
  g_return_if_fail (host != NULL || fallback_command != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, domus_ssh_session_open_tunnel_async);
  data = g_new0 (OpenData, 1);
  data->tunnel = TRUE;
  data->tcp_host = g_strdup (host);
  data->tcp_port = port;
  data->command = g_strdup (fallback_command);
  start_open (self, task, data);
}

int
domus_ssh_session_open_tunnel_finish (DomusSshSession    *self,
                                      GAsyncResult       *result,
                                      DomusSshTunnelWay  *way,
                                      GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), -1);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == domus_ssh_session_open_tunnel_async, -1);

  if (way != NULL)
    *way = ((OpenData *) g_task_get_task_data (G_TASK (result)))->way;
  return domus_task_propagate_fd (G_TASK (result), error);
}

GError *
domus_ssh_session_dup_error (DomusSshSession *self)
{
  g_return_val_if_fail (DOMUS_IS_SSH_SESSION (self), NULL);
  return domus_ssh_transport_dup_user_error (self->transport, self->user);
}

const DomusSshOptions *
domus_ssh_session_get_options (DomusSshSession *self)
{
  g_return_val_if_fail (DOMUS_IS_SSH_SESSION (self), NULL);
  return self->options;
}

const char *
domus_ssh_session_get_host_label (DomusSshSession *self)
{
  g_return_val_if_fail (DOMUS_IS_SSH_SESSION (self), NULL);
  return domus_ssh_transport_get_host_label (self->transport);
}

const char *
domus_ssh_session_get_security_notice (DomusSshSession *self)
{
  g_return_val_if_fail (DOMUS_IS_SSH_SESSION (self), NULL);
  return domus_ssh_transport_get_security_notice (self->transport);
}

void
domus_ssh_session_close (DomusSshSession *self)
{
  g_return_if_fail (DOMUS_IS_SSH_SESSION (self));

  if (self->released)
    return;
  self->released = TRUE;
  domus_ssh_transport_release (self->transport, self->user);
}

gboolean
domus_ssh_session_wait_ended (DomusSshSession *self,
                              guint            timeout_ms)
{
  g_return_val_if_fail (DOMUS_IS_SSH_SESSION (self), TRUE);
  return domus_ssh_transport_wait_released (self->transport, self->user, timeout_ms);
}

static void
domus_ssh_session_finalize (GObject *object)
{
  DomusSshSession *self = DOMUS_SSH_SESSION (object);

  domus_ssh_session_close (self);
  g_clear_object (&self->transport);
  g_clear_object (&self->interaction);
  g_clear_pointer (&self->options, domus_ssh_options_free);
  G_OBJECT_CLASS (domus_ssh_session_parent_class)->finalize (object);
}

static void
domus_ssh_session_class_init (DomusSshSessionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = domus_ssh_session_finalize;
}

static void
domus_ssh_session_init (DomusSshSession *self)
{
}
