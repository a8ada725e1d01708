/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * An SSH connection made with libssh2, shared by every DomusSshSession for the same
 * user@host:port (with the same key file, known_hosts and no_verify), as OpenSSH's
 * ControlMaster shares one: one key exchange and one login, then channels per user (exec,
 * or direct-streamlocal to a daemon's socket). libssh2 sessions are not thread-safe and
 * its calls block or poll, so one worker thread per connection owns everything libssh2:
 * it connects, checks the host key, logs in, then pumps each channel to its own local
 * socket pair. The rest of the program only ever sees file descriptors.
 *
 * The main thread talks to the worker through a request queue and a wake-up pipe;
 * the worker answers through GTasks (delivered in the caller's main context).
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib-unix.h>
#include <libssh2.h>

#include "domus-error.h"
#include "domus-fd-task.h"
#include "domus-known-hosts.h"
#include "domus-ssh-channel.h"
#include "domus-ssh-login.h"
#include "domus-ssh-transport.h"

#define CONNECT_TIMEOUT_SECONDS  15
/* For the calls made in blocking mode (handshake, login, opening a channel). */
#define BLOCKING_TIMEOUT_MS      20000
/* A server that stops answering keepalives this long is gone. */
#define KEEPALIVE_SECONDS        15
#define PUMP_BUFFER_SIZE         (64 * 1024)
#define STDERR_KEPT              2048
/* How long a channel we ended may take to be closed by the server before we stop asking. */
#define CLOSE_WAIT_SECONDS       10
/* OpenSSH allows 10 sessions (exec channels) per connection by default (sshd's
   MaxSessions): this many servers share one and leave room for their consoles. A forward
   (direct-streamlocal to a daemon, a tunnel's direct-tcpip) is no session to sshd (session.c
   counts only "session" channels; forwards are limited by AllowStreamLocalForwarding,
   AllowTcpForwarding and PermitOpen): only an exec fallback counts. Servers whose streams
   are forwards leave all ten to consoles; the limit stays, for when they fall back. */
#define USERS_PER_CONNECTION     5

typedef struct {
  LIBSSH2_CHANNEL *channel;
  int              fd;              /* our end of the socket pair; non-blocking */
  guint            user;            /* whose it is */
  gboolean         primary;         /* the user's first: its end is the user's */
  DomusSshTunnelWay way;            /* exec, or a forward (no remote command) */
  char            *socket_path;     /* a direct-streamlocal channel's, for its end's message */

  char            *to_remote;
  gsize            to_remote_len, to_remote_off;
  char            *to_local;
  gsize            to_local_len, to_local_off;

  gboolean         local_eof;       /* the local side will send nothing more */
  gboolean         eof_sent;        /* ... and the server knows */
  gboolean         remote_eof;      /* the remote command will send nothing more */
  gboolean         local_shut;      /* ... and the local side knows */
  gboolean         broken;          /* a local or channel error: end it now */
  GString         *stderr_text;     /* the remote command's last words */
} Channel;

typedef struct {
  char    *command;   /* an exec channel's or a forward's fallback (nullable for a tunnel) */
  char    *socket_path; /* a direct-streamlocal target (nullable) */
  char    *tcp_host;  /* a tunnel's direct-tcpip target (nullable) */
  guint16  tcp_port;
  gboolean tunnel;    /* never its user's primary channel: its end is not the user's */
  guint    user;
  GTask   *task;
} ChannelRequest;

/* A channel we ended, waiting for the server to close its end. */
typedef struct {
  LIBSSH2_CHANNEL *channel;
  gint64           deadline;
} Closing;

/* One DomusSshSession's share of the connection. */
typedef struct {
  gboolean  released;        /* its session let go */
  gboolean  stopping;        /* end its channels */
  gboolean  ended;           /* none of its channels is left */
  gboolean  opened_primary;  /* the worker's alone */
  GError   *error;           /* why it ended */
} User;

/* A connect_async waiting for the login. */
typedef struct {
  GTask   *task;
  GSource *cancel_source;
} Waiter;

struct _DomusSshTransport
{
  GObject           parent_instance;

  DomusSshOptions  *options;
  char             *pool_key;
  GTlsInteraction  *interaction;
  char             *accept_fingerprint;
  char             *host_label;
  char             *security_notice;  /* written by the worker before it is connected */
  GCancellable     *cancellable;      /* cancelled when the last user lets go: stops prompts and the connect */

  int               wake_read, wake_write;
  GThread          *thread;          /* the worker, until live_remove() hands it on */

  GMutex            lock;            /* guards the fields up to the next comment */
  GCond             ended_cond;
  GQueue            requests;        /* ChannelRequest */
  GQueue            waiters;         /* Waiter */
  GHashTable       *users;           /* id -> User */
  guint             next_user;
  guint             holding;         /* users not released */
  gboolean          connected;
  gboolean          full;            /* the server refused a channel: take no more users */
  gboolean          stopping;
  gboolean          ended;
  GError           *error;

  /* The worker's alone. */
  GSocketConnection *tcp;
  int               sock;
  LIBSSH2_SESSION  *ssh;
  DomusSshLogin     login;           /* the session's abstract */
  GPtrArray        *channels;        /* Channel */
  GArray           *closing;         /* Closing: ours ended, the server's end not yet */
};

G_DEFINE_FINAL_TYPE (DomusSshTransport, domus_ssh_transport, G_TYPE_OBJECT)

/*
 * The connections whose worker still runs. A program that exits with one running would
 * pull OpenSSL from under it (libssh2's crypto is torn down by an atexit handler): our
 * own handler, registered after OpenSSL's and so run before it, stops them all and
 * waits a moment for them to let go.
 */
#define EXIT_WAIT_MS 2000

static GMutex     live_lock;
static GCond      live_cond;
static GPtrArray *live_sessions;   /* DomusSshTransport, no references: each worker holds one */
/* The workers that are done or about to be. Joined (at exit, or when the next connection
   starts): OpenSSL frees a thread's own state only as the thread ends, which must happen
   before the process exits, or it is reported lost. */
static GPtrArray *ending_threads;  /* GThread */

static void wake_worker (DomusSshTransport *self);
static void pool_remove (DomusSshTransport *self);

static void
join_ending_threads (void)
{
  g_autoptr(GPtrArray) ending = NULL;

  g_mutex_lock (&live_lock);
  ending = g_steal_pointer (&ending_threads);
  g_mutex_unlock (&live_lock);
  for (guint i = 0; ending != NULL && i < ending->len; i++)
    g_thread_join (g_ptr_array_index (ending, i));
}

static void
stop_live_sessions_at_exit (void)
{
  gint64 deadline = g_get_monotonic_time () + EXIT_WAIT_MS * 1000;

  g_mutex_lock (&live_lock);
  for (guint i = 0; live_sessions != NULL && i < live_sessions->len; i++)
    {
      DomusSshTransport *session = g_ptr_array_index (live_sessions, i);

      g_mutex_lock (&session->lock);
      session->stopping = TRUE;
      g_mutex_unlock (&session->lock);
      g_cancellable_cancel (session->cancellable);
      wake_worker (session);
    }
  while (live_sessions != NULL && live_sessions->len > 0)
    if (!g_cond_wait_until (&live_cond, &live_lock, deadline))
      break;
  g_mutex_unlock (&live_lock);
  join_ending_threads ();
}

static gpointer session_thread (gpointer data);

/* Starts the worker, with a reference of its own. */
static void
live_add (DomusSshTransport *self)
{
  g_mutex_lock (&live_lock);
  if (live_sessions == NULL)
    live_sessions = g_ptr_array_new ();
  g_ptr_array_add (live_sessions, self);
  /* Under the lock: live_remove() takes the handle, however soon the worker gets there. */
  self->thread = g_thread_new ("domus-ssh", session_thread, g_object_ref (self));
  g_mutex_unlock (&live_lock);
}

/* The worker's last step but letting go of self. */
static void
live_remove (DomusSshTransport *self)
{
  g_mutex_lock (&live_lock);
  g_ptr_array_remove_fast (live_sessions, self);
  if (ending_threads == NULL)
    ending_threads = g_ptr_array_new ();
  g_ptr_array_add (ending_threads, g_steal_pointer (&self->thread));
  g_cond_broadcast (&live_cond);
  g_mutex_unlock (&live_lock);
}

/* Errors */

static void
session_set_error (DomusSshTransport *self,
                   GError          *error)
{
  g_mutex_lock (&self->lock);
  if (self->error == NULL)
    self->error = error;
  else
    g_error_free (error);
  g_mutex_unlock (&self->lock);
}

/* Users */

static void
user_free (User *user)
{
  g_clear_error (&user->error);
  g_free (user);
}

/* Under the lock. */
static User *
find_user (DomusSshTransport *self,
           guint              id)
{
  return g_hash_table_lookup (self->users, GUINT_TO_POINTER (id));
}

/* Under the lock: the first reason given is the one kept. */
static void
user_stop (User   *user,
           GError *error)
{
  user->stopping = TRUE;
  if (user->error == NULL)
    user->error = error;
  else if (error != NULL)
    g_error_free (error);
}

static GError *
closed_error (DomusSshTransport *self)
{
  return g_error_new (DOMUS_ERROR, DOMUS_ERROR_DISCONNECTED,
                      _("The SSH connection to %s was closed."), self->host_label);
}

/* Channels */

static Channel *
channel_new (LIBSSH2_CHANNEL   *channel,
             int                fd,
             guint              user,
             gboolean           primary,
             DomusSshTunnelWay  way,
             const char        *socket_path)
{
  Channel *ch = g_new0 (Channel, 1);

  ch->channel = channel;
  ch->fd = fd;
  ch->user = user;
  ch->primary = primary;
  ch->way = way;
  ch->socket_path = g_strdup (socket_path);
  ch->to_remote = g_malloc (PUMP_BUFFER_SIZE);
  ch->to_local = g_malloc (PUMP_BUFFER_SIZE);
  ch->stderr_text = g_string_new (NULL);
  return ch;
}

static void
channel_free (Channel *ch)
{
  if (ch->fd >= 0)
    close (ch->fd);
  g_free (ch->to_remote);
  g_free (ch->to_local);
  g_string_free (ch->stderr_text, TRUE);
  g_free (ch->socket_path);
  g_free (ch);
}

static void
channel_request_free (ChannelRequest *request)
{
  g_free (request->command);
  g_free (request->socket_path);
  g_free (request->tcp_host);
  g_clear_object (&request->task);
  g_free (request);
}

/* Codes that say the connection itself is gone, not just one channel. */
static gboolean
is_session_error (int code)
{
  switch (code)
    {
    case LIBSSH2_ERROR_SOCKET_SEND:
    case LIBSSH2_ERROR_SOCKET_RECV:
    case LIBSSH2_ERROR_SOCKET_DISCONNECT:
    case LIBSSH2_ERROR_SOCKET_TIMEOUT:
    case LIBSSH2_ERROR_TIMEOUT:
    case LIBSSH2_ERROR_DECRYPT:
    case LIBSSH2_ERROR_BANNER_RECV:
    case LIBSSH2_ERROR_KEX_FAILURE:
    case LIBSSH2_ERROR_INVAL:
    case LIBSSH2_ERROR_ALLOC:
    case LIBSSH2_ERROR_BAD_SOCKET:
      return TRUE;
    default:
      return FALSE;
    }
}

/* Moves what it can in both directions without blocking. Returns TRUE if anything
   moved; sets *fatal when the connection is gone. */
static gboolean
channel_pump (DomusSshTransport *self,
              Channel         *ch,
              int             *fatal)
{
  gboolean moved = FALSE;
  ssize_t n;
  char err[512];

  /* The remote command's stderr: read it always, or its window fills and stdout stalls. */
  while ((n = libssh2_channel_read_stderr (ch->channel, err, sizeof err)) > 0)
    {
      g_string_append_len (ch->stderr_text, err, n);
      if (ch->stderr_text->len > STDERR_KEPT)
        g_string_erase (ch->stderr_text, 0, ch->stderr_text->len - STDERR_KEPT);
      moved = TRUE;
    }
  if (n < 0 && n != LIBSSH2_ERROR_EAGAIN && is_session_error ((int) n))
    {
      *fatal = (int) n;
      return moved;
    }

  /* Remote to local. */
  if (ch->to_local_off == ch->to_local_len && !ch->remote_eof)
    {
      n = libssh2_channel_read (ch->channel, ch->to_local, PUMP_BUFFER_SIZE);
      if (n > 0)
        {
          ch->to_local_off = 0;
          ch->to_local_len = (gsize) n;
          moved = TRUE;
        }
      else if (n == 0 || (n < 0 && n != LIBSSH2_ERROR_EAGAIN))
        {
          if (n < 0 && is_session_error ((int) n))
            {
              *fatal = (int) n;
              return moved;
            }
          if (n < 0 || libssh2_channel_eof (ch->channel))
            {
              ch->remote_eof = TRUE;
              moved = TRUE;
            }
        }
    }
  if (ch->to_local_off < ch->to_local_len)
    {
      n = send (ch->fd, ch->to_local + ch->to_local_off, ch->to_local_len - ch->to_local_off,
                MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0)
        {
          ch->to_local_off += (gsize) n;
          moved = TRUE;
        }
      else if (n < 0 && errno != EAGAIN && errno != EINTR)
        {
          /* The local reader is gone: nobody wants the rest. */
          ch->broken = TRUE;
          return TRUE;
        }
    }
  /* The primary channel's reader learns of the end only once its user's error says why
     (channel_finish() sets the error, then closes our end). */
  if (ch->remote_eof && ch->to_local_off == ch->to_local_len && !ch->local_shut && !ch->primary)
    {
      shutdown (ch->fd, SHUT_WR);
      ch->local_shut = TRUE;
      moved = TRUE;
    }

  /* Local to remote. */
  if (ch->to_remote_off == ch->to_remote_len && !ch->local_eof)
    {
      n = recv (ch->fd, ch->to_remote, PUMP_BUFFER_SIZE, MSG_DONTWAIT);
      if (n > 0)
        {
          ch->to_remote_off = 0;
          ch->to_remote_len = (gsize) n;
          moved = TRUE;
        }
      else if (n == 0 || (errno != EAGAIN && errno != EINTR))
        {
          ch->local_eof = TRUE;
          moved = TRUE;
        }
    }
  if (ch->to_remote_off < ch->to_remote_len)
    {
      n = libssh2_channel_write (ch->channel, ch->to_remote + ch->to_remote_off,
                                 ch->to_remote_len - ch->to_remote_off);
      if (n > 0)
        {
          ch->to_remote_off += (gsize) n;
          moved = TRUE;
        }
      else if (n < 0 && n != LIBSSH2_ERROR_EAGAIN)
        {
          if (is_session_error ((int) n))
            *fatal = (int) n;
          else
            ch->broken = TRUE;
          return TRUE;
        }
    }
  if (ch->local_eof && ch->to_remote_off == ch->to_remote_len && !ch->eof_sent)
    {
      n = libssh2_channel_send_eof (ch->channel);
      if (n == 0)
        {
          ch->eof_sent = TRUE;
          moved = TRUE;
        }
      else if (n != LIBSSH2_ERROR_EAGAIN)
        {
          ch->broken = TRUE;
          return TRUE;
        }
    }
  return moved;
}

static gboolean
channel_is_done (Channel *ch)
{
  /* Once the remote side has said all and we passed it on, the command is over:
     whatever the local side still writes has no reader. */
  if (ch->primary)
    return ch->broken || (ch->remote_eof && ch->to_local_off == ch->to_local_len);
  return ch->broken || (ch->remote_eof && ch->local_shut);
}

/* Frees channel once the server has closed it too, without waiting here; a server that
   never does keeps it until the connection ends (libssh2 frees it then). */
static void
let_channel_close (DomusSshTransport *self,
                   LIBSSH2_CHANNEL   *channel)
{
  Closing closing = { channel, g_get_monotonic_time () + CLOSE_WAIT_SECONDS * G_USEC_PER_SEC };

  if (libssh2_channel_free (channel) == LIBSSH2_ERROR_EAGAIN)
    g_array_append_val (self->closing, closing);
}

/* Returns whether one of them was freed. */
static gboolean
free_closed_channels (DomusSshTransport *self)
{
  gboolean freed = FALSE;
  gint64 now = g_get_monotonic_time ();

  for (guint i = 0; i < self->closing->len;)
    {
      Closing *closing = &g_array_index (self->closing, Closing, i);

      if (libssh2_channel_free (closing->channel) != LIBSSH2_ERROR_EAGAIN || now > closing->deadline)
        {
          g_array_remove_index_fast (self->closing, i);
          freed = TRUE;
        }
      else
        i++;
    }
  return freed;
}

static void
channel_finish (DomusSshTransport *self,
                Channel         *ch)
{
  int exit_status = -1;

  if (ch->remote_eof)
    {
      /* The command ended by itself: its exit status is on its way, and says why. */
      libssh2_session_set_blocking (self->ssh, 1);
      if (libssh2_channel_close (ch->channel) == 0)
        {
          libssh2_channel_wait_closed (ch->channel);
          exit_status = libssh2_channel_get_exit_status (ch->channel);
        }
      libssh2_channel_free (ch->channel);
      libssh2_session_set_blocking (self->ssh, 0);
    }
  else
    /* We end it: the command still runs until it reads our EOF, and the other channels
       on the connection must not wait for that. */
    let_channel_close (self, ch->channel);
  ch->channel = NULL;

  if (ch->primary)
    {
      GError *why = domus_ssh_channel_describe_end (self->host_label, self->options->bridge, ch->way,
                                                    ch->socket_path, ch->stderr_text->str, exit_status);
      User *user;

      g_mutex_lock (&self->lock);
      user = find_user (self, ch->user);
      if (user != NULL)
        user_stop (user, why);
      else
        g_error_free (why);
      g_mutex_unlock (&self->lock);
    }
}

static void
open_channel (DomusSshTransport *self,
              ChannelRequest  *request)
{
  LIBSSH2_CHANNEL *channel;
  int pair[2];
  g_autofree char *reason = NULL;
  GError *ended = NULL;
  User *user;
  gboolean primary = FALSE;
  DomusSshTunnelWay way = DOMUS_SSH_TUNNEL_EXEC;
  gint64 started;

  if (g_task_return_error_if_cancelled (request->task))
    return;
  g_mutex_lock (&self->lock);
  user = find_user (self, request->user);
  if (user == NULL || user->stopping)
    ended = user != NULL && user->error != NULL ? g_error_copy (user->error) : closed_error (self);
  else if (!request->tunnel)
    {
      primary = !user->opened_primary;
      user->opened_primary = TRUE;
    }
  g_mutex_unlock (&self->lock);
  if (ended != NULL)
    {
      g_task_return_error (request->task, ended);
      return;
    }

  started = g_get_monotonic_time ();
  libssh2_session_set_blocking (self->ssh, 1);
  if (request->tunnel || request->socket_path != NULL)
    channel = domus_ssh_channel_open_tunnel (self->ssh, self->host_label, request->socket_path, request->tcp_host,
                                             request->tcp_port, request->command, &way, &reason);
  else
    channel = domus_ssh_channel_open_exec (self->ssh, request->command, &reason);
  if (channel == NULL && way == DOMUS_SSH_TUNNEL_EXEC)
    {
      /* A session channel refused: the server's limit of sessions per connection, most
         likely (a forward's refusal is forwarding's, not this): the next server gets a
         connection of its own. */
      if (libssh2_session_last_errno (self->ssh) == LIBSSH2_ERROR_CHANNEL_FAILURE)
        {
          g_autofree char *detail = g_steal_pointer (&reason);

          /* Translators: %s is libssh2's own words, e.g. "Channel open failure (connect failed)". */
          reason = g_strdup_printf (_("%s; the server may allow no more sessions on this connection (sshd’s MaxSessions)"),
                                    detail);
          g_mutex_lock (&self->lock);
          self->full = TRUE;
          g_mutex_unlock (&self->lock);
          pool_remove (self);
        }
    }
  libssh2_session_set_blocking (self->ssh, 0);

  if (channel == NULL && request->tunnel)
    {
      g_task_return_new_error (request->task, DOMUS_ERROR, DOMUS_ERROR_CONNECT_FAILED,
                               _("%s would not open a tunnel to %s: %s"), self->host_label,
                               request->tcp_host != NULL ? request->tcp_host : request->command, reason);
      return;
    }
  if (channel == NULL)
    {
      g_task_return_new_error (request->task, DOMUS_ERROR, DOMUS_ERROR_CONNECT_FAILED,
                               _("%s would not run “%s”: %s"),
                               self->host_label, request->command, reason);
      return;
    }
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
    {
      int saved = errno;

      libssh2_channel_free (channel);
      g_task_return_new_error (request->task, G_IO_ERROR, g_io_error_from_errno (saved),
                               "socketpair: %s", g_strerror (saved));
      return;
    }
  g_unix_set_fd_nonblocking (pair[0], TRUE, NULL);
  g_ptr_array_add (self->channels, channel_new (channel, pair[0], request->user, primary, way,
                                                request->socket_path));
  /* For profiling, and for the tests that check which way a stream went. */
  g_debug ("%s: “%s” open (%s) in %.1f ms", self->host_label,
           way == DOMUS_SSH_TUNNEL_EXEC ? request->command
           : way == DOMUS_SSH_TUNNEL_STREAMLOCAL ? request->socket_path : request->tcp_host,
           domus_ssh_tunnel_way_name (way), (g_get_monotonic_time () - started) / 1000.0);

  /* Read by the finish function once the task has come back to the caller's context. */
  g_task_set_task_data (request->task, GINT_TO_POINTER (way), NULL);
  domus_task_return_fd (request->task, pair[1]);
}

/* Returns FALSE when the worker should stop. */
static gboolean
take_requests (DomusSshTransport *self)
{
  char drain[64];
  gboolean stopping;

  while (read (self->wake_read, drain, sizeof drain) > 0)
    ;
  for (;;)
    {
      ChannelRequest *request;

      g_mutex_lock (&self->lock);
      stopping = self->stopping;
      request = stopping ? NULL : g_queue_pop_head (&self->requests);
      g_mutex_unlock (&self->lock);
      if (request == NULL)
        break;
      open_channel (self, request);
      channel_request_free (request);
    }
  return !stopping;
}

static void
wait_for_work (DomusSshTransport *self,
               int              timeout_ms)
{
  g_autofree struct pollfd *fds = g_new0 (struct pollfd, self->channels->len + 2);
  guint n = 0;
  int directions = libssh2_session_block_directions (self->ssh);

  fds[n].fd = self->wake_read;
  fds[n++].events = POLLIN;
  fds[n].fd = self->sock;
  fds[n++].events = POLLIN | ((directions & LIBSSH2_SESSION_BLOCK_OUTBOUND) ? POLLOUT : 0);
  for (guint i = 0; i < self->channels->len; i++)
    {
      Channel *ch = g_ptr_array_index (self->channels, i);
      short events = 0;

      if (ch->to_remote_off == ch->to_remote_len && !ch->local_eof)
        events |= POLLIN;
      if (ch->to_local_off < ch->to_local_len)
        events |= POLLOUT;
      if (events == 0)
        continue;
      fds[n].fd = ch->fd;
      fds[n++].events = events;
    }
  poll (fds, n, timeout_ms);
}

static GError *
connection_lost_error (DomusSshTransport *self,
                       int              code)
{
  g_autofree char *detail = domus_ssh_last_error (self->ssh);

  return g_error_new (DOMUS_ERROR, DOMUS_ERROR_DISCONNECTED,
                      _("The SSH connection to %s was lost: %s"), self->host_label, detail);
}

static gboolean
user_has_channels (DomusSshTransport *self,
                   guint              id)
{
  for (guint i = 0; i < self->channels->len; i++)
    if (((Channel *) g_ptr_array_index (self->channels, i))->user == id)
      return TRUE;
  return FALSE;
}

/* Ends the channels of the users that stop, and says which users have none left.
   Returns whether it ended a channel. */
static gboolean
settle_users (DomusSshTransport *self)
{
  GHashTableIter iter;
  gpointer id;
  User *user;
  gboolean broke = FALSE, ended = FALSE;

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->channels->len; i++)
    {
      Channel *ch = g_ptr_array_index (self->channels, i);

      user = find_user (self, ch->user);
      if (!ch->broken && (user == NULL || user->stopping))
        ch->broken = broke = TRUE;
    }
  g_hash_table_iter_init (&iter, self->users);
  while (g_hash_table_iter_next (&iter, &id, (gpointer *) &user))
    {
      if (!user->stopping || user->ended || user_has_channels (self, GPOINTER_TO_UINT (id)))
        continue;
      user->ended = ended = TRUE;
      if (user->released)
        g_hash_table_iter_remove (&iter);
    }
  if (ended)
    g_cond_broadcast (&self->ended_cond);
  g_mutex_unlock (&self->lock);
  return broke;
}

/* libssh2's reads from the socket, noted: a packet read while pumping one channel may be
   another's, whose turn came already; the pass is then run again before polling. Each
   worker thread has one connection, so a flag of the thread's is the connection's. */
static _Thread_local gboolean socket_was_read;

static LIBSSH2_RECV_FUNC (noting_recv)
{
  ssize_t n = recv (socket, buffer, length, flags);

  if (n < 0)
    return -errno;
  if (n > 0)
    socket_was_read = TRUE;
  return n;
}

static void
pump_until_stopped (DomusSshTransport *self)
{
  libssh2_session_set_blocking (self->ssh, 0);
  libssh2_keepalive_config (self->ssh, 1, KEEPALIVE_SECONDS);

  while (take_requests (self))
    {
      gboolean moved = settle_users (self);
      int fatal = 0;
      int next_keepalive = KEEPALIVE_SECONDS;

      socket_was_read = FALSE;
      for (guint i = 0; i < self->channels->len && fatal == 0;)
        {
          Channel *ch = g_ptr_array_index (self->channels, i);

          moved |= channel_pump (self, ch, &fatal);
          if (fatal == 0 && channel_is_done (ch))
            {
              channel_finish (self, ch);
              g_ptr_array_remove_index (self->channels, i);
              moved = TRUE;
            }
          else
            i++;
        }
      if (fatal == 0 && free_closed_channels (self))
        moved = TRUE;
      if (fatal == 0 && libssh2_keepalive_send (self->ssh, &next_keepalive) != 0)
        fatal = libssh2_session_last_errno (self->ssh);
      if (fatal != 0 && fatal != LIBSSH2_ERROR_EAGAIN)
        {
          session_set_error (self, connection_lost_error (self, fatal));
          return;
        }
      if (!moved && !socket_was_read)
        wait_for_work (self, MAX (next_keepalive, 1) * 1000);
    }
}

/* Connecting */

static gboolean
connect_tcp (DomusSshTransport  *self,
             GError          **error)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) local_error = NULL;
  GSocket *socket;
  int one = 1;

  g_socket_client_set_timeout (client, CONNECT_TIMEOUT_SECONDS);
  self->tcp = g_socket_client_connect_to_host (client, self->options->host, self->options->port,
                                               self->cancellable, &local_error);
  if (self->tcp == NULL)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_CONNECT_FAILED,
                     _("Could not reach %s: %s"), self->host_label, local_error->message);
      return FALSE;
    }
  socket = g_socket_connection_get_socket (self->tcp);
  self->sock = g_socket_get_fd (socket);
  /* Calls are small and answered at once: Nagle's delay would dominate their latency. */
  setsockopt (self->sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return TRUE;
}

static gboolean
start_session (DomusSshTransport  *self,
               GError          **error)
{
  g_autoptr(DomusKnownHosts) known = NULL;
  g_autofree char *detail = NULL;

  known = domus_known_hosts_load (self->options->known_hosts, error);
  if (known == NULL)
    return FALSE;
  if (!connect_tcp (self, error))
    return FALSE;

  self->ssh = libssh2_session_init_ex (NULL, NULL, NULL, &self->login);
  if (self->ssh == NULL)
    {
      g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_FAILED, _("libssh2 could not make a session."));
      return FALSE;
    }
  self->login = (DomusSshLogin) {
    .ssh = self->ssh, .options = self->options, .host_label = self->host_label,
    .interaction = self->interaction, .cancellable = self->cancellable,
    .accept_fingerprint = self->accept_fingerprint,
  };
  libssh2_session_callback_set (self->ssh, LIBSSH2_CALLBACK_RECV, (void *) noting_recv);
  libssh2_session_set_blocking (self->ssh, 1);
  libssh2_session_set_timeout (self->ssh, BLOCKING_TIMEOUT_MS);
  domus_ssh_login_prefer_known_key_types (&self->login, known);
  if (libssh2_session_handshake (self->ssh, self->sock) != 0)
    {
      detail = domus_ssh_last_error (self->ssh);
      g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_CONNECT_FAILED,
                   _("%s does not speak SSH with us: %s"), self->host_label, detail);
      return FALSE;
    }
  if (!domus_ssh_login_check_host_key (&self->login, known, error))
    return FALSE;
  /* Read by the sessions once they hear the connection is up. */
  self->security_notice = g_steal_pointer (&self->login.security_notice);
  return domus_ssh_login_authenticate (&self->login, error);
}

/* The pool of connections, by account: each entry is a connection that takes users
   (not stopping, nor full); the worker removes its own before it lets go of it. */
static GMutex      pool_lock;
static GHashTable *pool;   /* key -> DomusSshTransport, no references */

static void
pool_remove (DomusSshTransport *self)
{
  g_mutex_lock (&pool_lock);
  if (pool != NULL && g_hash_table_lookup (pool, self->pool_key) == self)
    g_hash_table_remove (pool, self->pool_key);
  g_mutex_unlock (&pool_lock);
}

static void
waiter_free (Waiter *waiter)
{
  if (waiter->cancel_source != NULL)
    {
      g_source_destroy (waiter->cancel_source);
      g_source_unref (waiter->cancel_source);
    }
  g_clear_object (&waiter->task);
  g_free (waiter);
}

/* Answers every connect_async waiting: error NULL for "logged in". */
static void
answer_waiters (DomusSshTransport *self,
                const GError      *error)
{
  GQueue waiters = G_QUEUE_INIT;
  Waiter *waiter;

  g_mutex_lock (&self->lock);
  self->connected = error == NULL;
  waiters = self->waiters;
  g_queue_init (&self->waiters);
  g_mutex_unlock (&self->lock);
  while ((waiter = g_queue_pop_head (&waiters)) != NULL)
    {
      if (error != NULL)
        g_task_return_error (waiter->task, g_error_copy (error));
      else
        g_task_return_boolean (waiter->task, TRUE);
      waiter_free (waiter);
    }
}

static void
end_session (DomusSshTransport *self)
{
  GHashTableIter iter;
  User *user;

  pool_remove (self);
  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  if (self->error == NULL)
    self->error = closed_error (self);
  /* Each user's reader learns why before its stream ends. */
  g_hash_table_iter_init (&iter, self->users);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &user))
    user_stop (user, g_error_copy (self->error));
  g_mutex_unlock (&self->lock);

  /* Ends every channel the plain way: the local side reads EOF. libssh2 frees its own
     channels with the session. */
  g_clear_pointer (&self->channels, g_ptr_array_unref);
  g_clear_pointer (&self->closing, g_array_unref);
  if (self->ssh != NULL)
    {
      libssh2_session_set_blocking (self->ssh, 0);
      libssh2_session_disconnect (self->ssh, "Domus is done");
      libssh2_session_free (self->ssh);
      self->ssh = NULL;
    }
  g_clear_object (&self->tcp);

  g_mutex_lock (&self->lock);
  self->ended = TRUE;
  g_hash_table_iter_init (&iter, self->users);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &user))
    user->ended = TRUE;
  g_cond_broadcast (&self->ended_cond);
  while (!g_queue_is_empty (&self->requests))
    {
      ChannelRequest *request = g_queue_pop_head (&self->requests);

      g_task_return_error (request->task, g_error_copy (self->error));
      channel_request_free (request);
    }
  g_mutex_unlock (&self->lock);
}

static gboolean
is_stopping (DomusSshTransport *self)
{
  gboolean stopping;

  g_mutex_lock (&self->lock);
  stopping = self->stopping;
  g_mutex_unlock (&self->lock);
  return stopping;
}

static gpointer
session_thread (gpointer data)
{
  DomusSshTransport *self = data;   /* the thread holds this reference */
  g_autoptr(GError) error = NULL;

  gint64 started = g_get_monotonic_time ();

  self->channels = g_ptr_array_new_with_free_func ((GDestroyNotify) channel_free);
  self->closing = g_array_new (FALSE, FALSE, sizeof (Closing));
  if (!start_session (self, &error))
    {
      session_set_error (self, g_error_copy (error));
      end_session (self);
      answer_waiters (self, error);
    }
  else
    {
      /* For profiling a window's start (G_MESSAGES_DEBUG=domus-backend). */
      g_debug ("%s: connected and logged in after %.1f ms", self->host_label,
               (g_get_monotonic_time () - started) / 1000.0);
      answer_waiters (self, NULL);
      /* Users that gave up meanwhile released it already. */
      if (!is_stopping (self))
        pump_until_stopped (self);
      end_session (self);
    }
  live_remove (self);
  g_object_unref (self);
  return NULL;
}

/* Private API (domus-ssh-session.c) */

static gboolean
initialize_libssh2 (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      gsize result = libssh2_init (0) == 0 ? 1 : 2;

      /* After libssh2_init(): OpenSSL's own handler is registered by then. */
      atexit (stop_live_sessions_at_exit);
      g_once_init_leave (&initialized, result);
    }
  return initialized == 1;
}

static char *
pool_key_for (const DomusSshOptions *options)
{
  /* What the login and the host key check depend on; the bridge and socket are per channel. */
  return g_strdup_printf ("%s\x1f%s\x1f%u\x1f%s\x1f%s\x1f%d", options->user, options->host,
                          options->port, options->keyfile != NULL ? options->keyfile : "",
                          options->known_hosts, options->no_verify);
}

/* Under the pool lock. */
static gboolean
takes_users (DomusSshTransport *self,
             const char        *accept_fingerprint)
{
  gboolean takes;

  g_mutex_lock (&self->lock);
  takes = !self->stopping && !self->full && self->holding < USERS_PER_CONNECTION
          && (accept_fingerprint == NULL || self->connected);
  g_mutex_unlock (&self->lock);
  return takes;
}

static guint
add_user (DomusSshTransport *self)
{
  guint id;

  g_mutex_lock (&self->lock);
  id = ++self->next_user;
  g_hash_table_insert (self->users, GUINT_TO_POINTER (id), g_new0 (User, 1));
  self->holding++;
  g_mutex_unlock (&self->lock);
  return id;
}

static DomusSshTransport *
transport_start (const DomusSshOptions *options,
                 GTlsInteraction       *interaction,
                 const char            *accept_fingerprint,
                 char                  *pool_key)
{
  DomusSshTransport *self = g_object_new (DOMUS_TYPE_SSH_TRANSPORT, NULL);
  g_autoptr(GError) error = NULL;
  int wake[2];

  self->options = domus_ssh_options_copy (options);
  self->pool_key = pool_key;
  self->host_label = domus_ssh_options_host_label (options);
  self->interaction = interaction != NULL ? g_object_ref (interaction) : NULL;
  self->accept_fingerprint = g_strdup (accept_fingerprint);

  if (!initialize_libssh2 ())
    error = g_error_new (DOMUS_ERROR, DOMUS_ERROR_FAILED, _("libssh2 failed to initialise."));
  else if (g_unix_open_pipe (wake, FD_CLOEXEC, &error))
    {
      g_unix_set_fd_nonblocking (wake[0], TRUE, NULL);
      g_unix_set_fd_nonblocking (wake[1], TRUE, NULL);
      self->wake_read = wake[0];
      self->wake_write = wake[1];
    }
  if (error != NULL)
    {
      /* Never in the pool: every waiter hears this. */
      self->stopping = self->ended = TRUE;
      self->error = g_steal_pointer (&error);
      return self;
    }
  join_ending_threads ();
  live_add (self);
  return self;
}

DomusSshTransport *
domus_ssh_transport_acquire (const DomusSshOptions *options,
                             GTlsInteraction       *interaction,
                             const char            *accept_fingerprint,
                             guint                 *user)
{
  g_autofree char *key = pool_key_for (options);
  DomusSshTransport *self;

  g_return_val_if_fail (options != NULL && user != NULL, NULL);

  g_mutex_lock (&pool_lock);
  if (pool == NULL)
    pool = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, NULL);
  self = g_hash_table_lookup (pool, key);
  if (self != NULL && takes_users (self, accept_fingerprint))
    g_object_ref (self);
  else
    {
      self = transport_start (options, interaction, accept_fingerprint, g_steal_pointer (&key));
      if (!self->ended)
        g_hash_table_replace (pool, self->pool_key, self);
    }
  *user = add_user (self);
  g_mutex_unlock (&pool_lock);
  return self;
}

static gboolean
on_waiter_cancelled (GCancellable *cancellable,
                     gpointer      user_data)
{
  GTask *task = user_data;
  DomusSshTransport *self = g_task_get_source_object (task);
  Waiter *waiter = NULL;

  g_mutex_lock (&self->lock);
  for (GList *l = self->waiters.head; l != NULL; l = l->next)
    if (((Waiter *) l->data)->task == task)
      {
        waiter = l->data;
        g_queue_delete_link (&self->waiters, l);
        break;
      }
  g_mutex_unlock (&self->lock);
  if (waiter != NULL)
    {
      g_task_return_error_if_cancelled (waiter->task);
      waiter_free (waiter);
    }
  return G_SOURCE_REMOVE;
}

void
domus_ssh_transport_wait_connected_async (DomusSshTransport   *self,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Waiter *waiter;

  g_return_if_fail (DOMUS_IS_SSH_TRANSPORT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, domus_ssh_transport_wait_connected_async);

  g_mutex_lock (&self->lock);
  if (self->connected || self->ended)
    {
      GError *error = self->connected ? NULL : g_error_copy (self->error);

      g_mutex_unlock (&self->lock);
      if (error != NULL)
        g_task_return_error (task, error);
      else
        g_task_return_boolean (task, TRUE);
      return;
    }
  waiter = g_new0 (Waiter, 1);
  waiter->task = g_steal_pointer (&task);
  if (cancellable != NULL)
    {
      waiter->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (waiter->cancel_source, G_SOURCE_FUNC (on_waiter_cancelled),
                             g_object_ref (waiter->task), g_object_unref);
      g_source_attach (waiter->cancel_source, g_task_get_context (waiter->task));
    }
  g_queue_push_tail (&self->waiters, waiter);
  g_mutex_unlock (&self->lock);
}

gboolean
domus_ssh_transport_wait_connected_finish (DomusSshTransport  *self,
                                           GAsyncResult       *result,
                                           GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
wake_worker (DomusSshTransport *self)
{
  char byte = 1;

  /* A full pipe already holds a wake-up. */
  if (self->wake_write >= 0)
    (void) !write (self->wake_write, &byte, 1);
}

/* Hands request to the worker, or fails its task at once when its user or the connection
   has ended. */
static void
queue_request (DomusSshTransport *self,
               ChannelRequest    *request)
{
  User *state;

  g_mutex_lock (&self->lock);
  state = find_user (self, request->user);
  if (self->ended || self->stopping || state == NULL || state->stopping)
    {
      GError *error = state != NULL && state->error != NULL ? g_error_copy (state->error)
                      : self->error != NULL ? g_error_copy (self->error) : closed_error (self);

      g_mutex_unlock (&self->lock);
      g_task_return_error (request->task, error);
      channel_request_free (request);
      return;
    }
  g_queue_push_tail (&self->requests, request);
  g_mutex_unlock (&self->lock);
  wake_worker (self);
}

void
domus_ssh_transport_open_channel_async (DomusSshTransport   *self,
                                        guint                user,
                                        const char          *command,
                                        const char          *socket_path,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  ChannelRequest *request;

  g_return_if_fail (DOMUS_IS_SSH_TRANSPORT (self));
  g_return_if_fail (command != NULL);

  request = g_new0 (ChannelRequest, 1);
  request->command = g_strdup (command);
  request->socket_path = g_strdup (socket_path);
  request->user = user;
  request->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (request->task, domus_ssh_transport_open_channel_async);
  queue_request (self, request);
}

int
domus_ssh_transport_open_channel_finish (DomusSshTransport  *self,
                                         GAsyncResult       *result,
                                         GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), -1);

  return domus_task_propagate_fd (G_TASK (result), error);
}

void
domus_ssh_transport_open_tunnel_async (DomusSshTransport   *self,
                                       guint                user,
                                       const char          *host,
                                       guint16              port,
                                       const char          *fallback_command,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  ChannelRequest *request;

  g_return_if_fail (DOMUS_IS_SSH_TRANSPORT (self));
  g_return_if_fail (host != NULL || fallback_command != NULL);

  request = g_new0 (ChannelRequest, 1);
  request->tunnel = TRUE;
  request->tcp_host = g_strdup (host);
  request->tcp_port = port;
  request->command = g_strdup (fallback_command);
  request->user = user;
  request->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (request->task, domus_ssh_transport_open_tunnel_async);
  queue_request (self, request);
}

int
domus_ssh_transport_open_tunnel_finish (DomusSshTransport  *self,
                                        GAsyncResult       *result,
                                        DomusSshTunnelWay  *way,
                                        GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), -1);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == domus_ssh_transport_open_tunnel_async, -1);

  if (way != NULL)
    *way = (DomusSshTunnelWay) GPOINTER_TO_INT (g_task_get_task_data (G_TASK (result)));
  return domus_task_propagate_fd (G_TASK (result), error);
}

GError *
domus_ssh_transport_dup_user_error (DomusSshTransport *self,
                                    guint              user)
{
  GError *error = NULL;
  User *state;

  g_return_val_if_fail (DOMUS_IS_SSH_TRANSPORT (self), NULL);

  g_mutex_lock (&self->lock);
  state = find_user (self, user);
  if (state != NULL && state->error != NULL)
    error = g_error_copy (state->error);
  g_mutex_unlock (&self->lock);
  return error;
}

void
domus_ssh_transport_release (DomusSshTransport *self,
                             guint              user)
{
  User *state;
  gboolean last = FALSE;

  g_return_if_fail (DOMUS_IS_SSH_TRANSPORT (self));

  g_mutex_lock (&self->lock);
  state = find_user (self, user);
  if (state != NULL && !state->released)
    {
      state->released = TRUE;
      user_stop (state, NULL);
      if (state->ended)
        g_hash_table_remove (self->users, GUINT_TO_POINTER (user));
      last = --self->holding == 0;
      if (last)
        self->stopping = TRUE;
    }
  g_mutex_unlock (&self->lock);
  if (last)
    {
      /* Nobody joins a connection on its way out. */
      pool_remove (self);
      g_cancellable_cancel (self->cancellable);
    }
  wake_worker (self);
}

gboolean
domus_ssh_transport_wait_released (DomusSshTransport *self,
                                   guint              user,
                                   guint              timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  gboolean done;

  g_return_val_if_fail (DOMUS_IS_SSH_TRANSPORT (self), TRUE);

  g_mutex_lock (&self->lock);
  for (;;)
    {
      User *state = find_user (self, user);

      done = self->ended || ((state == NULL || state->ended) && self->holding > 0);
      if (done || !g_cond_wait_until (&self->ended_cond, &self->lock, deadline))
        break;
    }
  g_mutex_unlock (&self->lock);
  return done;
}

gboolean
domus_ssh_transport_is_full (DomusSshTransport *self)
{
  gboolean full;

  g_return_val_if_fail (DOMUS_IS_SSH_TRANSPORT (self), FALSE);

  g_mutex_lock (&self->lock);
  full = self->full;
  g_mutex_unlock (&self->lock);
  return full;
}

const char *
domus_ssh_transport_get_host_label (DomusSshTransport *self)
{
  g_return_val_if_fail (DOMUS_IS_SSH_TRANSPORT (self), NULL);
  return self->host_label;
}

const char *
domus_ssh_transport_get_security_notice (DomusSshTransport *self)
{
  g_return_val_if_fail (DOMUS_IS_SSH_TRANSPORT (self), NULL);
  return self->security_notice;
}

static void
domus_ssh_transport_finalize (GObject *object)
{
  DomusSshTransport *self = DOMUS_SSH_TRANSPORT (object);

  /* The worker held a reference until it ended: nothing libssh2 is left here. */
  g_assert (self->ssh == NULL);
  g_queue_clear_full (&self->requests, (GDestroyNotify) channel_request_free);
  g_queue_clear_full (&self->waiters, (GDestroyNotify) waiter_free);
  g_hash_table_unref (self->users);
  if (self->wake_read >= 0)
    close (self->wake_read);
  if (self->wake_write >= 0)
    close (self->wake_write);
  g_clear_pointer (&self->options, domus_ssh_options_free);
  g_free (self->pool_key);
  g_clear_object (&self->interaction);
  g_clear_object (&self->cancellable);
  g_clear_error (&self->error);
  g_free (self->accept_fingerprint);
  g_free (self->host_label);
  g_free (self->security_notice);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->ended_cond);
  G_OBJECT_CLASS (domus_ssh_transport_parent_class)->finalize (object);
}

static void
domus_ssh_transport_class_init (DomusSshTransportClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = domus_ssh_transport_finalize;
}

static void
domus_ssh_transport_init (DomusSshTransport *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->ended_cond);
  g_queue_init (&self->requests);
  g_queue_init (&self->waiters);
  self->users = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) user_free);
  self->cancellable = g_cancellable_new ();
  self->wake_read = -1;
  self->wake_write = -1;
  self->sock = -1;
}
