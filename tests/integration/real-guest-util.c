/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers of the real-guest integration tests: a bare QEMU test guest with QMP, tools, files. */

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <glib/gstdio.h>

#include "hv-tool.h"
#include "real-guest-util.h"

void
on_result_ready (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

char *
run_ok (const char * const *argv)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = -1;

  g_assert_true (hv_tool_run (argv, NULL, &out, &err, &status, NULL, &error));
  g_assert_no_error (error);
  if (status != 0)
    g_error ("%s exited with %d: %s", argv[0], status, err);
  return g_steal_pointer (&out);
}

char *
make_test_dir (const char *name)
{
  g_autofree char *template = g_strdup_printf ("domus-%s-XXXXXX", name);
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp (template, &error);

  g_assert_no_error (error);
  return dir;
}

void
remove_test_dir (const char *dir)
{
  if (g_getenv ("DOMUS_KEEP_TEST_DIR") == NULL)
    hv_tool_remove_tree (dir);
}

char *
file_checksum (const char *path)
{
  g_autofree char *contents = NULL;
  gsize size;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &contents, &size, &error);
  g_assert_no_error (error);
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, size);
}

/* The test guest */

/* A test that aborts (a failed assertion) takes its QEMU with it instead of leaving it
 * running, orphaned, holding the test's output open. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

TestGuest *
test_guest_start (const char         *guest_dir,
                  const char         *dir,
                  const char         *name,
                  const char * const *disks,
                  const char * const *extra_args)
{
  TestGuest *guest = g_new0 (TestGuest, 1);
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *serial = NULL;
  g_autofree char *qmp = NULL;
  const char *binary = g_getenv ("DOMUS_QEMU");

  guest->dir = g_strdup (dir);
  guest->serial_path = g_strdup_printf ("%s/%s.serial", dir, name);
  guest->qmp_path = g_strdup_printf ("%s/%s.qmp", dir, name);
  serial = g_strdup_printf ("file:%s", guest->serial_path);
  qmp = g_strdup_printf ("unix:%s,server=on,wait=off", guest->qmp_path);

  g_ptr_array_add (argv, g_strdup (binary != NULL ? binary : "qemu-system-x86_64"));
  static const char * const fixed[] = { "-accel", "tcg", "-m", "256", "-nodefaults", "-vga", "std",
                                        "-display", "none", NULL };

  for (guint i = 0; fixed[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (fixed[i]));
  g_ptr_array_add (argv, g_strdup ("-kernel"));
  g_ptr_array_add (argv, g_build_filename (guest_dir, "vmlinuz", NULL));
  g_ptr_array_add (argv, g_strdup ("-initrd"));
  g_ptr_array_add (argv, g_build_filename (guest_dir, "initrd.img", NULL));
  g_ptr_array_add (argv, g_strdup ("-append"));
  g_ptr_array_add (argv, g_strdup ("console=ttyS0 domus.disk=/dev/vda no_timer_check"));
  for (guint i = 0; disks != NULL && disks[i] != NULL; i++)
    {
      g_ptr_array_add (argv, g_strdup ("-drive"));
      g_ptr_array_add (argv, g_strdup (disks[i]));
    }
  g_ptr_array_add (argv, g_strdup ("-serial"));
  g_ptr_array_add (argv, g_steal_pointer (&serial));
  g_ptr_array_add (argv, g_strdup ("-qmp"));
  g_ptr_array_add (argv, g_steal_pointer (&qmp));
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (extra_args[i]));
  g_ptr_array_add (argv, NULL);

  {
    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
    g_autofree char *log = g_strdup_printf ("%s/%s.qemu-log", dir, name);

    g_subprocess_launcher_set_stderr_file_path (launcher, log);
    g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
    guest->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
    g_assert_no_error (error);

    /* The socket appears once QEMU listens. */
    for (int i = 0; i < 200 && !g_file_test (guest->qmp_path, G_FILE_TEST_EXISTS); i++)
      g_usleep (50 * 1000);
    if (!g_file_test (guest->qmp_path, G_FILE_TEST_EXISTS))
      {
        g_autofree char *text = NULL;

        g_file_get_contents (log, &text, NULL, NULL);
        g_error ("QEMU did not start: %s", text != NULL ? text : "");
      }
  }
  /* QEMU binds the socket a moment before it listens: a refused connection in between is
   * tried again (a loaded machine widens the moment). */
  for (int i = 0; i < 100 && guest->qmp == NULL; i++)
    {
      g_autoptr(GAsyncResult) result = NULL;

      g_clear_error (&error);
      hv_qmp_connect_async (guest->qmp_path, NULL, on_result_ready, &result);
      guest->qmp = hv_qmp_connect_finish (wait_result (&result), &error);
      if (guest->qmp == NULL && !g_error_matches (error, HV_QMP_ERROR, HV_QMP_ERROR_CONNECT))
        break;
      if (guest->qmp == NULL)
        g_usleep (50 * 1000);
    }
  g_assert_no_error (error);
  return guest;
}

static GStrv
serial_lines (TestGuest *guest)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents (guest->serial_path, &text, NULL, NULL))
    return g_new0 (char *, 1);
  g_strdelimit (text, "\r", '\n');
  return g_strsplit (text, "\n", -1);
}

guint
test_guest_count_lines (TestGuest *guest)
{
  g_auto(GStrv) lines = serial_lines (guest);

  return g_strv_length (lines);
}

static void
spin (guint ms)
{
  gint64 until = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < until)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10 * 1000);
    }
}

char *
test_guest_wait_line (TestGuest  *guest,
                      const char *prefix,
                      guint       after_line,
                      guint       timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;

  do
    {
      g_auto(GStrv) lines = serial_lines (guest);
      guint n = g_strv_length (lines);

      for (guint i = after_line; i < n; i++)
        if (g_str_has_prefix (lines[i], prefix))
          return g_strdup (lines[i]);
      spin (200);
    }
  while (g_get_monotonic_time () < deadline);
  {
    g_autofree char *text = NULL;

    g_file_get_contents (guest->serial_path, &text, NULL, NULL);
    g_error ("no serial line “%s” after line %u within %u s; serial log:\n%s",
             prefix, after_line, timeout_s, text != NULL ? text : "(none)");
  }
  return NULL;
}

guint
test_guest_last_tick (TestGuest *guest)
{
  g_auto(GStrv) lines = serial_lines (guest);
  guint tick = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "tick "))
      tick = (guint) g_ascii_strtoull (lines[i] + 5, NULL, 10);
  return tick;
}

guint
test_guest_next_tick (TestGuest *guest,
                      guint      after_line,
                      guint      timeout_s)
{
  g_autofree char *line = test_guest_wait_line (guest, "tick ", after_line, timeout_s);

  return (guint) g_ascii_strtoull (line + 5, NULL, 10);
}

JsonNode *
test_guest_qmp (TestGuest  *guest,
                const char *command,
                const char *arguments_json)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) arguments = NULL;
  JsonNode *reply;

  if (arguments_json != NULL)
    {
      arguments = json_from_string (arguments_json, &error);
      g_assert_no_error (error);
    }
  hv_qmp_execute_async (guest->qmp, command, arguments != NULL ? json_node_get_object (arguments) : NULL,
                        NULL, on_result_ready, &result);
  reply = hv_qmp_execute_finish (guest->qmp, wait_result (&result), &error);
  g_assert_no_error (error);
  return reply;
}

gboolean
test_guest_wait_exit (TestGuest *guest,
                      guint      timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      /* g_subprocess_get_identifier is NULL once GLib reaped it. */
      g_main_context_iteration (NULL, FALSE);
      if (g_subprocess_get_identifier (guest->process) == NULL)
        return TRUE;
      g_usleep (20 * 1000);
    }
  return FALSE;
}

void
test_guest_stop (TestGuest *guest)
{
  if (guest == NULL)
    return;
  if (guest->qmp != NULL)
    hv_qmp_close (guest->qmp);
  g_clear_object (&guest->qmp);
  /* Only our own QEMU, by its PID. */
  g_subprocess_force_exit (guest->process);
  g_subprocess_wait (guest->process, NULL, NULL);
  g_object_unref (guest->process);
  g_free (guest->dir);
  g_free (guest->serial_path);
  g_free (guest->qmp_path);
  g_free (guest);
}
