/* SPDX-License-Identifier: GPL-3.0-or-later */
/* HvQmp against a real QEMU (-machine none: no guest, just the monitor). */

#include <signal.h>
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "hv-proc-stats.h"
#include "hv-qmp.h"

typedef struct {
  char  *dir;
  char  *socket;
  GPid   pid;
  guint64 start_ticks;   /* tells our QEMU from a later process with its pid */
  HvQmp *qmp;
} Fixture;

typedef struct {
  GMainLoop *loop;
  HvQmp     *qmp;
  JsonNode  *reply;
  GError    *error;
  guint      pending;
} Wait;

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Wait *wait = user_data;

  wait->qmp = hv_qmp_connect_finish (result, &wait->error);
  g_main_loop_quit (wait->loop);
}

static HvQmp *
connect_sync (const char  *path,
              GError     **error)
{
  Wait wait = { .loop = g_main_loop_new (NULL, FALSE) };

  hv_qmp_connect_async (path, NULL, on_connected, &wait);
  g_main_loop_run (wait.loop);
  g_main_loop_unref (wait.loop);
  if (wait.error != NULL)
    g_propagate_error (error, wait.error);
  return wait.qmp;
}

static void
on_executed (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Wait *wait = user_data;
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (source), result, &wait->error);

  if (reply != NULL && wait->reply == NULL)
    wait->reply = g_steal_pointer (&reply);
  if (--wait->pending == 0)
    g_main_loop_quit (wait->loop);
}

static JsonNode *
execute_sync (HvQmp       *qmp,
              const char  *command,
              GError     **error)
{
  Wait wait = { .loop = g_main_loop_new (NULL, FALSE), .pending = 1 };

  hv_qmp_execute_async (qmp, command, NULL, NULL, on_executed, &wait);
  g_main_loop_run (wait.loop);
  g_main_loop_unref (wait.loop);
  if (wait.error != NULL)
    g_propagate_error (error, wait.error);
  return wait.reply;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *pidfile = NULL;
  g_autofree char *qmp_arg = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  fixture->dir = g_dir_make_tmp ("domus-qmp-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->socket = g_build_filename (fixture->dir, "qmp.sock", NULL);
  pidfile = g_build_filename (fixture->dir, "qemu.pid", NULL);
  qmp_arg = g_strdup_printf ("unix:%s,server=on,wait=off", fixture->socket);
  {
    const char *argv[] = { "qemu-system-x86_64", "-machine", "none", "-accel", "tcg", "-nodefaults",
                           "-display", "none", "-S", "-qmp", qmp_arg, "-pidfile", pidfile,
                           "-daemonize", NULL };

    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                  &status, &error);
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (status, NULL));
  }
  g_file_get_contents (pidfile, &text, NULL, &error);
  g_assert_no_error (error);
  fixture->pid = (GPid) g_ascii_strtoll (text, NULL, 10);
  g_assert_cmpint (fixture->pid, >, 0);
  {
    HvProcessStats stats;

    g_assert_true (hv_proc_stats_read_process (fixture->pid, &stats));
    fixture->start_ticks = stats.start_ticks;
  }

  fixture->qmp = connect_sync (fixture->socket, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->qmp);
  /* Only the QEMU this test started, by its pid, and only while it is still that QEMU. */
  {
    HvProcessStats stats;

    if (hv_proc_stats_read_process (fixture->pid, &stats) && stats.start_ticks == fixture->start_ticks)
      {
        kill (fixture->pid, SIGCONT);
        kill (fixture->pid, SIGKILL);
      }
  }
  g_unlink (fixture->socket);
  {
    g_autofree char *pidfile = g_build_filename (fixture->dir, "qemu.pid", NULL);

    g_unlink (pidfile);
  }
  g_rmdir (fixture->dir);
  g_free (fixture->socket);
  g_free (fixture->dir);
}

static void
test_status_and_errors (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) status = NULL;
  g_autoptr(JsonNode) nothing = NULL;

  g_assert_true (g_str_has_prefix (hv_qmp_get_version (fixture->qmp), "7.") ||
                 g_str_has_prefix (hv_qmp_get_version (fixture->qmp), "8."));
  status = execute_sync (fixture->qmp, "query-status", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (status), "status"), ==, "prelaunch");

  nothing = execute_sync (fixture->qmp, "no-such-command", &error);
  g_assert_null (nothing);
  g_assert_error (error, HV_QMP_ERROR, HV_QMP_ERROR_COMMAND);
  /* QEMU's own words. */
  g_assert_nonnull (strstr (error->message, "no-such-command"));
}

static void
on_event (HvQmp      *qmp,
          const char *name,
          JsonObject *data,
          gint64      timestamp_us,
          gpointer    user_data)
{
  GPtrArray *events = user_data;

  g_assert_nonnull (data);
  g_assert_cmpint (timestamp_us, >, 0);
  g_ptr_array_add (events, g_strdup (name));
}

static void
on_closed (HvQmp        *qmp,
           const GError *error,
           gpointer      user_data)
{
  gboolean *closed = user_data;

  *closed = TRUE;
}

static void
test_events_and_close (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  Wait wait = { .loop = g_main_loop_new (NULL, FALSE), .pending = 2 };
  g_autoptr(GError) error = NULL;
  gboolean closed = FALSE;
  g_autoptr(JsonNode) reply = NULL;

  g_signal_connect (fixture->qmp, "event", G_CALLBACK (on_event), events);
  g_signal_connect (fixture->qmp, "closed", G_CALLBACK (on_closed), &closed);

  /* Two commands in flight at once, both answered. */
  hv_qmp_execute_async (fixture->qmp, "cont", NULL, NULL, on_executed, &wait);
  hv_qmp_execute_async (fixture->qmp, "query-status", NULL, NULL, on_executed, &wait);
  g_main_loop_run (wait.loop);
  g_assert_no_error (wait.error);
  g_clear_pointer (&wait.reply, json_node_unref);
  reply = execute_sync (fixture->qmp, "stop", &error);
  g_assert_no_error (error);
  while (events->len < 2)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (g_ptr_array_index (events, 0), ==, "RESUME");
  g_assert_cmpstr (g_ptr_array_index (events, 1), ==, "STOP");

  /* quit: QEMU answers, then goes; a command sent after it fails as closed. */
  wait.pending = 2;
  hv_qmp_execute_async (fixture->qmp, "quit", NULL, NULL, on_executed, &wait);
  hv_qmp_execute_async (fixture->qmp, "query-status", NULL, NULL, on_executed, &wait);
  g_main_loop_run (wait.loop);
  while (!closed)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (hv_qmp_is_closed (fixture->qmp));
  /* QEMU may answer the command after quit or go first: either an answer or CLOSED, nothing else. */
  if (wait.error != NULL)
    g_assert_error (wait.error, HV_QMP_ERROR, HV_QMP_ERROR_CLOSED);
  g_clear_pointer (&wait.reply, json_node_unref);
  g_clear_error (&wait.error);
  wait.pending = 1;
  hv_qmp_execute_async (fixture->qmp, "query-status", NULL, NULL, on_executed, &wait);
  g_main_loop_run (wait.loop);
  g_assert_error (wait.error, HV_QMP_ERROR, HV_QMP_ERROR_CLOSED);
  g_clear_error (&wait.error);
  g_main_loop_unref (wait.loop);
}

static void
count_closed (HvQmp        *qmp,
              const GError *error,
              gpointer      user_data)
{
  guint *count = user_data;

  (*count)++;
}

static void
count_closed_without_error (HvQmp        *qmp,
                            const GError *error,
                            gpointer      user_data)
{
  g_assert_null (error);
  count_closed (qmp, error, user_data);
}

/* Lets the main context run for `ms` milliseconds. */
static void
spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
}

/* QEMU dies with two commands unanswered: both fail as CLOSED, and "closed" comes once. */
static void
test_outstanding_when_qemu_dies (Fixture       *fixture,
                                 gconstpointer  data)
{
  Wait first = { .loop = g_main_loop_new (NULL, FALSE), .pending = 1 };
  Wait second = { .loop = g_main_loop_new (NULL, FALSE), .pending = 1 };
  guint closed = 0;

  g_signal_connect (fixture->qmp, "closed", G_CALLBACK (count_closed), &closed);
  /* A stopped QEMU reads nothing: the commands stay outstanding, deterministically. */
  g_assert_cmpint (kill (fixture->pid, SIGSTOP), ==, 0);
  hv_qmp_execute_async (fixture->qmp, "query-status", NULL, NULL, on_executed, &first);
  hv_qmp_execute_async (fixture->qmp, "query-version", NULL, NULL, on_executed, &second);
  spin (300);
  g_assert_cmpuint (first.pending, ==, 1);
  g_assert_cmpuint (second.pending, ==, 1);
  g_assert_false (hv_qmp_is_closed (fixture->qmp));

  g_assert_cmpint (kill (fixture->pid, SIGKILL), ==, 0);
  while (first.pending > 0 || second.pending > 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_null (first.reply);
  g_assert_error (first.error, HV_QMP_ERROR, HV_QMP_ERROR_CLOSED);
  g_assert_null (second.reply);
  g_assert_error (second.error, HV_QMP_ERROR, HV_QMP_ERROR_CLOSED);
  g_assert_true (hv_qmp_is_closed (fixture->qmp));
  spin (100);
  g_assert_cmpuint (closed, ==, 1);

  g_clear_error (&first.error);
  g_clear_error (&second.error);
  g_main_loop_unref (first.loop);
  g_main_loop_unref (second.loop);
}

/* Our own close: the outstanding command fails as CLOSED, "closed" comes once with no error. */
static void
test_close (Fixture       *fixture,
            gconstpointer  data)
{
  Wait wait = { .loop = g_main_loop_new (NULL, FALSE), .pending = 1 };
  guint closed = 0;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = NULL;

  g_signal_connect (fixture->qmp, "closed", G_CALLBACK (count_closed_without_error), &closed);
  hv_qmp_execute_async (fixture->qmp, "query-status", NULL, NULL, on_executed, &wait);
  hv_qmp_close (fixture->qmp);
  g_assert_true (hv_qmp_is_closed (fixture->qmp));
  g_assert_cmpuint (closed, ==, 1);
  while (wait.pending > 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (wait.error, HV_QMP_ERROR, HV_QMP_ERROR_CLOSED);
  hv_qmp_close (fixture->qmp);
  spin (100);
  g_assert_cmpuint (closed, ==, 1);

  reply = execute_sync (fixture->qmp, "query-status", &error);
  g_assert_null (reply);
  g_assert_error (error, HV_QMP_ERROR, HV_QMP_ERROR_CLOSED);
  g_clear_error (&wait.error);
  g_main_loop_unref (wait.loop);
}

static void
test_missing_socket (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HvQmp) qmp = connect_sync ("/nonexistent/qmp.sock", &error);

  g_assert_null (qmp);
  g_assert_error (error, HV_QMP_ERROR, HV_QMP_ERROR_CONNECT);
  g_assert_nonnull (strstr (error->message, "/nonexistent/qmp.sock"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/qmp/status-and-errors", Fixture, NULL, fixture_set_up, test_status_and_errors,
              fixture_tear_down);
  g_test_add ("/qmp/events-and-close", Fixture, NULL, fixture_set_up, test_events_and_close,
              fixture_tear_down);
  g_test_add ("/qmp/outstanding-when-qemu-dies", Fixture, NULL, fixture_set_up,
              test_outstanding_when_qemu_dies, fixture_tear_down);
  g_test_add ("/qmp/close", Fixture, NULL, fixture_set_up, test_close, fixture_tear_down);
  g_test_add_func ("/qmp/missing-socket", test_missing_socket);
  return g_test_run ();
}
