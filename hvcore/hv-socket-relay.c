/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Bytes copied both ways between two connected sockets, off the main loop.
 *
 * GIO's g_io_stream_splice() copies in 8 KiB steps on the main loop: for a disk copy
 * (migration's NBD traffic) that cost the daemon about 1.7 ms of CPU per MiB
 * (bench/migration.py, storage). Here each direction is one thread doing 256 KiB reads
 * and writes; blocking is fine there, and the main loop only hears the end. */

#include "config.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>
#include <sys/socket.h>

#include "hv-socket-relay.h"

#define RELAY_CHUNK (256 * 1024)

typedef struct {
  GSocket *a;
  GSocket *b;
  gulong   cancelled_id;
  GMutex   lock;         /* for bytes and error: both directions write them */
  gint64   bytes;
  GError  *error;        /* the first failure */
} Relay;

typedef struct {
  Relay *relay;
  int    from;
  int    to;
} Direction;

static void
relay_free (Relay *relay)
{
  g_clear_object (&relay->a);
  g_clear_object (&relay->b);
  g_clear_error (&relay->error);
  g_mutex_clear (&relay->lock);
  g_free (relay);
}

static void
note_failure (Relay      *relay,
              const char *what,
              int         saved_errno)
{
  g_mutex_lock (&relay->lock);
  if (relay->error == NULL)
    relay->error = g_error_new (G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s: %s",
                                what, g_strerror (saved_errno));
  g_mutex_unlock (&relay->lock);
}

/* GSocket keeps its descriptors non-blocking: wait for them here instead. */
static gboolean
wait_for (int   fd,
          short events)
{
  struct pollfd p = { .fd = fd, .events = events };

  while (poll (&p, 1, -1) < 0)
    if (errno != EINTR)
      return FALSE;
  return TRUE;
}

static gboolean
write_all (Direction  *direction,
           const char *data,
           gsize       length)
{
  while (length > 0)
    {
      ssize_t n = write (direction->to, data, length);

      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        {
          if (!wait_for (direction->to, POLLOUT))
            return FALSE;
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      length -= (gsize) n;
    }
  return TRUE;
}

static gpointer
copy_one_way (gpointer data)
{
  Direction *direction = data;
  g_autofree char *buffer = g_malloc (RELAY_CHUNK);

  for (;;)
    {
      ssize_t n = read (direction->from, buffer, RELAY_CHUNK);

      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        {
          if (!wait_for (direction->from, POLLIN))
            break;
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          /* A shutdown by the other direction or by cancelling reads as an error too. */
          if (errno != ECONNRESET && errno != ENOTCONN)
            note_failure (direction->relay, "read", errno);
          break;
        }
      if (n == 0)
        break;
      if (!write_all (direction, buffer, (gsize) n))
        {
          if (errno != EPIPE && errno != ECONNRESET && errno != ENOTCONN)
            note_failure (direction->relay, "write", errno);
          /* The reader on the other side is gone: this side's writer must hear it. */
          shutdown (direction->from, SHUT_RD);
          break;
        }
      g_mutex_lock (&direction->relay->lock);
      direction->relay->bytes += n;
      g_mutex_unlock (&direction->relay->lock);
    }
  /* The end of one side's stream becomes the end of what the other side reads. */
  shutdown (direction->to, SHUT_WR);
  return NULL;
}

static void
relay_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  Relay *relay = task_data;
  int fd_a = g_socket_get_fd (relay->a);
  int fd_b = g_socket_get_fd (relay->b);
  Direction a_to_b = { relay, fd_a, fd_b };
  Direction b_to_a = { relay, fd_b, fd_a };
  GThread *other = g_thread_new ("domus-relay", copy_one_way, &b_to_a);

  copy_one_way (&a_to_b);
  g_thread_join (other);

  g_mutex_lock (&relay->lock);
  if (relay->error != NULL)
    g_task_return_error (task, g_steal_pointer (&relay->error));
  else
    g_task_return_int (task, relay->bytes);
  g_mutex_unlock (&relay->lock);
}

static void
on_cancelled (GCancellable *cancellable,
              Relay        *relay)
{
  /* Wakes both threads: their reads end, their writes fail. */
  shutdown (g_socket_get_fd (relay->a), SHUT_RDWR);
  shutdown (g_socket_get_fd (relay->b), SHUT_RDWR);
}

static void
on_relay_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) outer = user_data;
  Relay *relay = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;
  gssize bytes;

  if (relay->cancelled_id != 0)
    g_cancellable_disconnect (g_task_get_cancellable (outer), relay->cancelled_id);
  relay->cancelled_id = 0;
  bytes = g_task_propagate_int (G_TASK (result), &error);
  if (error != NULL)
    g_task_return_error (outer, error);
  else
    g_task_return_int (outer, bytes);
}

void
hv_socket_relay_async (GSocket             *a,
                       GSocket             *b,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) outer = NULL;
  g_autoptr(GTask) inner = NULL;
  Relay *relay;

  g_return_if_fail (G_IS_SOCKET (a));
  g_return_if_fail (G_IS_SOCKET (b));

  outer = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (outer, hv_socket_relay_async);
  relay = g_new0 (Relay, 1);
  g_mutex_init (&relay->lock);
  relay->a = g_object_ref (a);
  relay->b = g_object_ref (b);
  /* The thread runs to the end whatever happens: cancelling acts on the sockets, and the
   * outer task reports the end on the caller's main context. */
  inner = g_task_new (NULL, NULL, on_relay_done, g_object_ref (outer));
  g_task_set_task_data (inner, relay, (GDestroyNotify) relay_free);
  if (cancellable != NULL)
    relay->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), relay, NULL);
  g_task_run_in_thread (inner, relay_thread);
}

gint64
hv_socket_relay_finish (GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), -1);
  return g_task_propagate_int (G_TASK (result), error);
}
