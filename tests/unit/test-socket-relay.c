/* SPDX-License-Identifier: GPL-3.0-or-later */
/* HvSocketRelay between socket pairs: both ways at once, ends passed on, cancelling. */

#include "config.h"

#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <gio/gio.h>

#include "hv-socket-relay.h"

#define PAYLOAD (4 * 1024 * 1024 + 123)

typedef struct {
  GMainLoop *loop;
  gint64     bytes;
  GError    *error;
} Ended;

static void
relay_ended (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Ended *ended = user_data;

  ended->bytes = hv_socket_relay_finish (result, &ended->error);
  g_main_loop_quit (ended->loop);
}

typedef struct {
  int    fd;
  GBytes *data;
} Writer;

/* Writes it all, then ends its side's writing, as a peer finishing its request would. */
static gpointer
write_then_shut (gpointer user_data)
{
  Writer *writer = user_data;
  gsize length;
  const char *data = g_bytes_get_data (writer->data, &length);

  while (length > 0)
    {
      ssize_t n = write (writer->fd, data, length);

      g_assert_cmpint (n, >, 0);
      data += n;
      length -= (gsize) n;
    }
  shutdown (writer->fd, SHUT_WR);
  return NULL;
}

static gpointer
read_all (gpointer user_data)
{
  int fd = GPOINTER_TO_INT (user_data);
  GByteArray *got = g_byte_array_new ();
  char buffer[65536];
  ssize_t n;

  while ((n = read (fd, buffer, sizeof buffer)) > 0)
    g_byte_array_append (got, (guint8 *) buffer, (guint) n);
  return g_byte_array_free_to_bytes (got);
}

static GSocket *
socket_for (int fd)
{
  g_autoptr(GError) error = NULL;
  GSocket *socket = g_socket_new_from_fd (fd, &error);

  g_assert_no_error (error);
  return socket;
}

static GBytes *
random_bytes (gsize length)
{
  guint8 *data = g_malloc (length);

  for (gsize i = 0; i < length; i++)
    data[i] = (guint8) g_random_int ();
  return g_bytes_new_take (data, length);
}

static void
test_both_ways (void)
{
  int left[2], right[2];
  g_autoptr(GSocket) near = NULL;
  g_autoptr(GSocket) far = NULL;
  g_autoptr(GBytes) outward = random_bytes (PAYLOAD);
  g_autoptr(GBytes) inward = random_bytes (PAYLOAD / 3);
  g_autoptr(GBytes) got_out = NULL;
  g_autoptr(GBytes) got_in = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Ended ended = { loop, 0, NULL };
  Writer out_writer, in_writer;
  GThread *threads[4];

  /* left[0] | left[1] <relay> right[0] | right[1] */
  g_assert_no_errno (socketpair (AF_UNIX, SOCK_STREAM, 0, left));
  g_assert_no_errno (socketpair (AF_UNIX, SOCK_STREAM, 0, right));
  near = socket_for (left[1]);
  far = socket_for (right[0]);
  hv_socket_relay_async (near, far, NULL, relay_ended, &ended);

  out_writer = (Writer) { left[0], outward };
  in_writer = (Writer) { right[1], inward };
  threads[0] = g_thread_new ("out-writer", write_then_shut, &out_writer);
  threads[1] = g_thread_new ("in-writer", write_then_shut, &in_writer);
  threads[2] = g_thread_new ("out-reader", read_all, GINT_TO_POINTER (right[1]));
  threads[3] = g_thread_new ("in-reader", read_all, GINT_TO_POINTER (left[0]));
  g_main_loop_run (loop);
  g_thread_join (threads[0]);
  g_thread_join (threads[1]);
  got_out = g_thread_join (threads[2]);
  got_in = g_thread_join (threads[3]);

  g_assert_no_error (ended.error);
  g_assert_true (g_bytes_equal (got_out, outward));
  g_assert_true (g_bytes_equal (got_in, inward));
  g_assert_cmpint (ended.bytes, ==, PAYLOAD + PAYLOAD / 3);
  close (left[0]);
  close (right[1]);
}

static void
test_cancel (void)
{
  int left[2], right[2];
  g_autoptr(GSocket) near = NULL;
  g_autoptr(GSocket) far = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Ended ended = { loop, 0, NULL };
  char byte;

  g_assert_no_errno (socketpair (AF_UNIX, SOCK_STREAM, 0, left));
  g_assert_no_errno (socketpair (AF_UNIX, SOCK_STREAM, 0, right));
  near = socket_for (left[1]);
  far = socket_for (right[0]);
  /* Nobody writes: both threads wait until the cancel shuts the sockets down. */
  hv_socket_relay_async (near, far, cancellable, relay_ended, &ended);
  g_cancellable_cancel (cancellable);
  g_main_loop_run (loop);
  g_assert_error (ended.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (ended.bytes, ==, -1);
  g_clear_error (&ended.error);
  /* The outer ends see the end of their streams. */
  g_assert_cmpint (read (left[0], &byte, 1), ==, 0);
  g_assert_cmpint (read (right[1], &byte, 1), ==, 0);
  close (left[0]);
  close (right[1]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/socket-relay/both-ways", test_both_ways);
  g_test_add_func ("/socket-relay/cancel", test_cancel);
  return g_test_run ();
}
