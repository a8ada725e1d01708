/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Followed DomusHosts for the ssh:// addresses given, driven line by line from stdin by
 * test-ssh-share.py: "ping N" (answers "ping N ok" or "ping N failed: …"),
 * "disconnect N", "connect N", "quit". Prints "state N connected|connecting|disconnected" as each
 * host's state changes. Hosts are numbered from 0 in argument order.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <gio/gunixinputstream.h>

#include "domus-host.h"

#define RETRY_DELAY_MS 200

static GPtrArray *hosts;
static GMainLoop *loop;

static const char *
state_word (DomusHostState state)
{
  switch (state)
    {
    case DOMUS_HOST_STATE_CONNECTED:
      return "connected";
    case DOMUS_HOST_STATE_CONNECTING:
      return "connecting";
    case DOMUS_HOST_STATE_DISCONNECTED:
    default:
      return "disconnected";
    }
}

static void
on_state (DomusHost  *host,
          GParamSpec *pspec,
          gpointer    user_data)
{
  const GError *error = domus_host_get_error (host);

  printf ("state %u %s%s%s\n", GPOINTER_TO_UINT (user_data), state_word (domus_host_get_state (host)),
          error != NULL ? ": " : "", error != NULL ? error->message : "");
  fflush (stdout);
}

static void
on_ping (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (domus_host_ping_finish (DOMUS_HOST (source), result, &error))
    printf ("ping %u ok\n", GPOINTER_TO_UINT (user_data));
  else
    printf ("ping %u failed: %s\n", GPOINTER_TO_UINT (user_data), error->message);
  fflush (stdout);
}

static DomusHost *
host_at (const char *word)
{
  guint64 n = g_ascii_strtoull (word, NULL, 10);

  return n < hosts->len ? g_ptr_array_index (hosts, n) : NULL;
}

static void read_next (GDataInputStream *input);

static void
on_line (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GDataInputStream *input = G_DATA_INPUT_STREAM (source);
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (input, result, NULL, NULL);
  DomusHost *host;

  if (line == NULL || g_str_equal (line, "quit"))
    {
      g_main_loop_quit (loop);
      return;
    }
  if (g_str_has_prefix (line, "ping ") && (host = host_at (line + 5)) != NULL)
    domus_host_ping_async (host, NULL, on_ping, GUINT_TO_POINTER ((guint) g_ascii_strtoull (line + 5, NULL, 10)));
  else if (g_str_has_prefix (line, "disconnect ") && (host = host_at (line + 11)) != NULL)
    domus_host_disconnect (host);
  else if (g_str_has_prefix (line, "connect ") && (host = host_at (line + 8)) != NULL)
    domus_host_connect (host);
  else
    {
      printf ("unknown %s\n", line);
      fflush (stdout);
    }
  read_next (input);
}

static void
read_next (GDataInputStream *input)
{
  g_data_input_stream_read_line_async (input, G_PRIORITY_DEFAULT, NULL, on_line, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GInputStream) stdin_stream = g_unix_input_stream_new (0, FALSE);
  g_autoptr(GDataInputStream) input = g_data_input_stream_new (stdin_stream);

  if (argc < 2)
    {
      fprintf (stderr, "usage: %s SSH_URI...\n", argv[0]);
      return 2;
    }
  loop = g_main_loop_new (NULL, FALSE);
  hosts = g_ptr_array_new_with_free_func (g_object_unref);
  for (int i = 1; i < argc; i++)
    {
      DomusHost *host = domus_host_new (argv[i]);

      domus_host_set_retry_delay_ms (host, RETRY_DELAY_MS);
      g_signal_connect (host, "notify::state", G_CALLBACK (on_state), GUINT_TO_POINTER (i - 1));
      g_ptr_array_add (hosts, host);
      domus_host_connect (host);
    }
  read_next (input);
  g_main_loop_run (loop);
  for (guint i = 0; i < hosts->len; i++)
    domus_host_disconnect_and_wait (g_ptr_array_index (hosts, i), 2000);
  g_ptr_array_unref (hosts);
  g_main_loop_unref (loop);
  return 0;
}
