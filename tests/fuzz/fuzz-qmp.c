/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer entry point for the QMP client (hvcore/hv-qmp.c): the input is what "QEMU" says
 * on the monitor socket (greeting, answers, events), then it hangs up. The client connects,
 * negotiates, runs one command and closes, as the daemon does with every guest.
 */

#include "config.h"

#include <string.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>

#include "fuzz-util.h"
#include "hv-qmp.h"

/* Every step ends by itself once the input has ended; this only turns a hang into a crash. */
#define STEP_LIMIT_MS 15000

static char    *socket_path;
static GSocket *listener;

typedef struct {
  gboolean  done;
  HvQmp    *qmp;
  JsonNode *result;
  guint     n_events;
} Step;

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autofree char *dir = NULL;

  fuzz_init_logging ();
  dir = g_dir_make_tmp ("domus-fuzz-qmp-XXXXXX", &error);
  g_assert_no_error (error);
  socket_path = g_build_filename (dir, "qmp.sock", NULL);
  address = g_unix_socket_address_new (socket_path);
  listener = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert (g_socket_bind (listener, address, FALSE, &error));
  g_assert (g_socket_listen (listener, &error));
  g_socket_set_blocking (listener, FALSE);
  return 0;
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Step *step = user_data;
  g_autoptr(GError) error = NULL;

  step->qmp = hv_qmp_connect_finish (result, &error);
  g_assert ((step->qmp != NULL) != (error != NULL));
  if (step->qmp != NULL)
    g_assert (hv_qmp_get_version (step->qmp) != NULL);
  step->done = TRUE;
}

static void
on_executed (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Step *step = user_data;
  g_autoptr(GError) error = NULL;

  step->result = hv_qmp_execute_finish (HV_QMP (source), result, &error);
  g_assert ((step->result != NULL) != (error != NULL));
  step->done = TRUE;
}

static void
on_event (HvQmp      *qmp,
          const char *name,
          JsonObject *data,
          gint64      time_us,
          Step       *step)
{
  g_assert (name != NULL && data != NULL);
  step->n_events++;
}

/* The daemon's end of the monitor socket, once the client's connect has reached it. */
static GSocket *
accept_client (void)
{
  gint64 deadline = g_get_monotonic_time () + STEP_LIMIT_MS * G_TIME_SPAN_MILLISECOND;

  while (g_get_monotonic_time () < deadline)
    {
      GSocket *peer = g_socket_accept (listener, NULL, NULL);

      if (peer != NULL)
        return peer;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (100);
    }
  g_error ("the QMP client never connected");
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GSocket) qemu = NULL;
  g_autoptr(GError) error = NULL;
  Step connect = { 0 };
  Step command = { 0 };

  /* Less than a socket buffer holds: nobody reads until it is all written. */
  if (size > 64 * 1024)
    return 0;
  hv_qmp_connect_async (socket_path, NULL, on_connected, &connect);
  qemu = accept_client ();
  g_socket_set_blocking (qemu, TRUE);
  for (gsize sent = 0; sent < size; )
    {
      gssize n = g_socket_send (qemu, (const char *) data + sent, size - sent, NULL, &error);

      g_assert_no_error (error);
      sent += n;
    }
  g_socket_shutdown (qemu, FALSE, TRUE, NULL);

  if (!fuzz_iterate_until (&connect.done, STEP_LIMIT_MS))
    g_error ("connecting never ended");
  if (connect.qmp != NULL)
    {
      g_signal_connect (connect.qmp, "event", G_CALLBACK (on_event), &command);
      hv_qmp_execute_async (connect.qmp, "query-status", NULL, NULL, on_executed, &command);
      if (!fuzz_iterate_until (&command.done, STEP_LIMIT_MS))
        g_error ("query-status never ended");
      g_signal_handlers_disconnect_by_data (connect.qmp, &command);
      hv_qmp_close (connect.qmp);
      g_clear_object (&connect.qmp);
    }
  g_clear_pointer (&command.result, json_node_unref);
  g_socket_close (qemu, NULL);
  fuzz_iterate_pending ();
  return 0;
}
