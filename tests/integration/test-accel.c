/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The KVM probe: DOMUS_ACCEL answers without probing; a real probe answers in time and leaves no child. */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>

#include "hv-accel.h"
#include "hv-proc-stats.h"

typedef struct {
  gboolean    done;
  HvQemuAccel accel;
  gboolean    probed;
  char       *detail;
} Answer;

static void
on_probed (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Answer *answer = user_data;

  g_assert_null (source);
  answer->accel = hv_accel_probe_finish (result, &answer->probed, &answer->detail);
  answer->done = TRUE;
}

static gboolean
on_deadline (gpointer user_data)
{
  gboolean *passed = user_data;

  *passed = TRUE;
  return G_SOURCE_REMOVE;
}

/* The answer, or a failed test when none comes within `limit_s`. */
static void
probe (guint   timeout_ms,
       guint   limit_s,
       Answer *answer)
{
  gboolean too_late = FALSE;
  guint deadline = g_timeout_add_seconds (limit_s, on_deadline, &too_late);

  hv_accel_probe_async (timeout_ms, NULL, on_probed, answer);
  while (!answer->done && !too_late)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (answer->done);
  g_source_remove (deadline);
}

/* Our children, zombies included: processes whose parent is this test. */
static guint
count_children (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc", 0, NULL);
  const char *name;
  guint count = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      guint64 pid;
      HvProcessStats stats;

      if (!g_ascii_string_to_unsigned (name, 10, 1, G_MAXINT, &pid, NULL))
        continue;
      if (hv_proc_stats_read_process ((GPid) pid, &stats) && stats.ppid == getpid ())
        {
          g_test_message ("child %" G_GUINT64_FORMAT " in state %c", pid, stats.state);
          count++;
        }
    }
  return count;
}

/* Lets child watches run (they reap), for `ms` milliseconds. */
static void
spin (guint ms)
{
  gboolean passed = FALSE;

  g_timeout_add (ms, on_deadline, &passed);
  while (!passed)
    g_main_context_iteration (NULL, TRUE);
}

static void
test_forced (void)
{
  const char *choices[] = { "tcg", "kvm", NULL };

  for (guint i = 0; choices[i] != NULL; i++)
    {
      Answer answer = { 0 };
      gint64 start;

      g_setenv ("DOMUS_ACCEL", choices[i], TRUE);
      start = g_get_monotonic_time ();
      probe (2000, 5, &answer);
      /* At once: no child, no waiting on a timeout. */
      g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC / 2);
      g_assert_cmpint (answer.accel, ==, i == 0 ? HV_QEMU_ACCEL_TCG : HV_QEMU_ACCEL_KVM);
      g_assert_cmpstr (hv_accel_to_string (answer.accel), ==, choices[i]);
      g_assert_false (answer.probed);
      g_assert_nonnull (answer.detail);
      g_assert_nonnull (strstr (answer.detail, "DOMUS_ACCEL"));
      g_assert_cmpuint (count_children (), ==, 0);
      g_free (answer.detail);
    }
  g_unsetenv ("DOMUS_ACCEL");
}

static void
test_real_probe (void)
{
  Answer answer = { 0 };
  gint64 start;

  g_unsetenv ("DOMUS_ACCEL");
  g_assert_cmpuint (count_children (), ==, 0);
  start = g_get_monotonic_time ();
  probe (2000, 15, &answer);
  g_test_message ("answered %s after %" G_GINT64_FORMAT " ms: %s", hv_accel_to_string (answer.accel),
                  (g_get_monotonic_time () - start) / 1000, answer.detail);
  g_assert_true (answer.probed);
  g_assert_true (answer.accel == HV_QEMU_ACCEL_TCG || answer.accel == HV_QEMU_ACCEL_KVM);
  g_assert_nonnull (answer.detail);
  g_assert_cmpstr (answer.detail, !=, "");

  /* Neither the forked vCPU test nor the kernel-booting QEMU outlives the answer. */
  spin (1000);
  g_assert_cmpuint (count_children (), ==, 0);
  g_free (answer.detail);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/accel/forced", test_forced);
  g_test_add_func ("/accel/real-probe", test_real_probe);
  return g_test_run ();
}
