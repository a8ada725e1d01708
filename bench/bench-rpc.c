/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Times the client library against a daemon: bench-rpc URI CALLS CONNECTS.
 * CONNECTS times: connect, the first `hello` answered, close. Then on one connection
 * CALLS sequential `hello` calls, each waiting for its answer. Prints one JSON object.
 *
 * bench-rpc --stream SSH_URI COMMAND: the SSH pump's ceiling, with no daemon and no
 * guest setting the pace: runs COMMAND (e.g. `head -c 200000000 /dev/zero`) in an
 * exec channel and reads its output to the end through the socket pair.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domus-connection.h"
#include "domus-ssh-options.h"
#include "domus-ssh-session.h"

/* Each step waits for its answer: a small sync wrapper over the async calls. */
typedef struct {
  GAsyncResult *result;
} Waiter;

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Waiter *waiter = user_data;

  waiter->result = g_object_ref (result);
}

static GAsyncResult *
wait_for (Waiter *waiter)
{
  while (waiter->result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return waiter->result;
}

static DomusConnection *
connect_sync (const char  *uri,
              GError     **error)
{
  Waiter waiter = { NULL };
  DomusConnection *connection;

  domus_connection_connect_async (uri, NULL, on_done, &waiter);
  connection = domus_connection_connect_finish (wait_for (&waiter), error);
  g_object_unref (waiter.result);
  return connection;
}

static gboolean
hello_sync (DomusConnection  *connection,
            GError          **error)
{
  Waiter waiter = { NULL };
  g_autoptr(JsonNode) answer = NULL;

  domus_connection_call_async (connection, "hello", NULL, NULL, on_done, &waiter);
  answer = domus_connection_call_finish (connection, wait_for (&waiter), error);
  g_object_unref (waiter.result);
  if (answer == NULL)
    return FALSE;
  /* An answer that is not hello's would make the timing meaningless. */
  if (!JSON_NODE_HOLDS_OBJECT (answer) ||
      !json_object_has_member (json_node_get_object (answer), "protocol"))
    {
      g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_FAILED, "hello's answer has no protocol member");
      return FALSE;
    }
  return TRUE;
}

/* Lets the SSH worker let go of its session before the next round (and before exit). */
static void
close_and_settle (DomusConnection *connection)
{
  domus_connection_close_and_wait (connection, 2000);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static int
compare_int64 (gconstpointer a,
               gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted values. */
static gint64
percentile (const gint64 *sorted,
            guint         n,
            double        p)
{
  guint rank = (guint) (p / 100.0 * n + 0.999999);

  if (rank < 1)
    rank = 1;
  if (rank > n)
    rank = n;
  return sorted[rank - 1];
}

static void
print_array (const char   *name,
             const gint64 *values,
             guint         n)
{
  printf ("  \"%s\": [", name);
  for (guint i = 0; i < n; i++)
    printf ("%s%" G_GINT64_FORMAT, i == 0 ? "" : ", ", values[i]);
  printf ("]");
}

static DomusSshSession *
ssh_connect_sync (const DomusSshOptions  *options,
                  GError                **error)
{
  Waiter waiter = { NULL };
  DomusSshSession *session;

  domus_ssh_session_connect_async (options, NULL, NULL, NULL, on_done, &waiter);
  session = domus_ssh_session_connect_finish (wait_for (&waiter), error);
  g_object_unref (waiter.result);
  return session;
}

static int
stream (const char *uri,
        const char *command)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusSshSession) session = NULL;
  DomusSshOptions *options;
  Waiter waiter = { NULL };
  g_autofree char *buffer = g_malloc (1 << 20);
  gint64 start, first = 0, total = 0;
  int fd;

  options = domus_ssh_options_parse (uri, &error);
  if (options != NULL)
    session = ssh_connect_sync (options, &error);
  if (session == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  domus_ssh_session_open_channel_async (session, command, NULL, NULL, on_done, &waiter);
  fd = domus_ssh_session_open_channel_finish (session, wait_for (&waiter), &error);
  g_object_unref (waiter.result);
  if (fd < 0)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  start = g_get_monotonic_time ();
  for (;;)
    {
      ssize_t n = read (fd, buffer, 1 << 20);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          fprintf (stderr, "read: %s\n", g_strerror (errno));
          return 1;
        }
      if (n == 0)
        break;
      if (total == 0)
        first = g_get_monotonic_time ();
      total += n;
    }
  printf ("{\n  \"bytes\": %" G_GINT64_FORMAT ",\n  \"us\": %" G_GINT64_FORMAT
          ",\n  \"first_byte_us\": %" G_GINT64_FORMAT "\n}\n",
          total, g_get_monotonic_time () - start, first - start);
  close (fd);
  domus_ssh_session_close (session);
  domus_ssh_session_wait_ended (session, 2000);
  domus_ssh_options_free (options);
  return 0;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusConnection) connection = NULL;
  g_autofree gint64 *connect_us = NULL;
  g_autofree gint64 *first_hello_us = NULL;
  g_autofree gint64 *call_us = NULL;
  g_autofree gint64 *sorted = NULL;
  g_autoptr(JsonNode) uri_node = NULL;
  g_autofree char *uri_json = NULL;
  long calls, connects;

  if (argc == 4 && strcmp (argv[1], "--stream") == 0)
    return stream (argv[2], argv[3]);
  if (argc != 4 || (calls = strtol (argv[2], NULL, 10)) <= 0 ||
      (connects = strtol (argv[3], NULL, 10)) < 0)
    {
      fprintf (stderr, "usage: %s URI CALLS CONNECTS\n       %s --stream SSH_URI COMMAND\n",
               argv[0], argv[0]);
      return 2;
    }

  connect_us = g_new0 (gint64, MAX (connects, 1));
  first_hello_us = g_new0 (gint64, MAX (connects, 1));
  for (long i = 0; i < connects; i++)
    {
      g_autoptr(DomusConnection) round = NULL;
      gint64 start = g_get_monotonic_time ();

      round = connect_sync (argv[1], &error);
      if (round == NULL)
        {
          fprintf (stderr, "connect %ld: %s\n", i + 1, error->message);
          return 1;
        }
      connect_us[i] = g_get_monotonic_time () - start;
      if (!hello_sync (round, &error))
        {
          fprintf (stderr, "hello after connect %ld: %s\n", i + 1, error->message);
          return 1;
        }
      first_hello_us[i] = g_get_monotonic_time () - start;
      close_and_settle (round);
    }

  connection = connect_sync (argv[1], &error);
  if (connection == NULL || !hello_sync (connection, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  call_us = g_new0 (gint64, calls);
  for (long i = 0; i < calls; i++)
    {
      gint64 start = g_get_monotonic_time ();

      if (!hello_sync (connection, &error))
        {
          fprintf (stderr, "call %ld: %s\n", i + 1, error->message);
          return 1;
        }
      call_us[i] = g_get_monotonic_time () - start;
    }
  close_and_settle (connection);

  sorted = g_memdup2 (call_us, sizeof (gint64) * calls);
  qsort (sorted, calls, sizeof (gint64), compare_int64);

  uri_node = json_node_init_string (json_node_alloc (), argv[1]);
  uri_json = json_to_string (uri_node, FALSE);
  printf ("{\n  \"uri\": %s,\n", uri_json);
  print_array ("connect_us", connect_us, connects);
  printf (",\n");
  /* Connect plus the first hello answered: what a client waits before it can show anything. */
  print_array ("connect_hello_us", first_hello_us, connects);
  printf (",\n  \"calls\": %ld,\n", calls);
  printf ("  \"call_min_us\": %" G_GINT64_FORMAT ",\n", sorted[0]);
  printf ("  \"call_median_us\": %" G_GINT64_FORMAT ",\n", percentile (sorted, calls, 50));
  printf ("  \"call_p90_us\": %" G_GINT64_FORMAT ",\n", percentile (sorted, calls, 90));
  printf ("  \"call_max_us\": %" G_GINT64_FORMAT "\n}\n", sorted[calls - 1]);
  return 0;
}
