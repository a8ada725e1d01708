/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DomusStatsHistory: the ring a graph reads, oldest first, and its maximum. */

#include "config.h"

#include "domus-stats-history.h"

static void
assert_points (DomusStatsHistory *history,
               const double      *values,
               guint              n)
{
  g_assert_cmpuint (domus_stats_history_get_length (history), ==, n);
  for (guint i = 0; i < n; i++)
    {
      gint64 time_us;
      double value;

      g_assert_true (domus_stats_history_get_nth (history, i, &time_us, &value));
      g_assert_cmpfloat (value, ==, values[i]);
      /* Every test pushes value v at time v * 1000. */
      g_assert_cmpint (time_us, ==, (gint64) (values[i] * 1000));
    }
  g_assert_false (domus_stats_history_get_nth (history, n, NULL, NULL));
}

static void
push (DomusStatsHistory *history,
      double             value)
{
  domus_stats_history_push (history, (gint64) (value * 1000), value);
}

static void
test_ring (void)
{
  g_autoptr(DomusStatsHistory) history = domus_stats_history_new (3);
  gint64 time_us = 0;
  double value = 0;

  g_assert_false (domus_stats_history_get_latest (history, &time_us, &value));
  g_assert_cmpfloat (domus_stats_history_get_max (history), ==, 0);
  g_assert_cmpuint (domus_stats_history_get_capacity (history), ==, 3);

  push (history, 1);
  push (history, 2);
  assert_points (history, (double[]) { 1, 2 }, 2);
  push (history, 3);
  push (history, 4);
  push (history, 5);
  assert_points (history, (double[]) { 3, 4, 5 }, 3);
  g_assert_true (domus_stats_history_get_latest (history, &time_us, &value));
  g_assert_cmpfloat (value, ==, 5);
  g_assert_cmpint (time_us, ==, 5000);

  domus_stats_history_clear (history);
  assert_points (history, NULL, 0);
  g_assert_false (domus_stats_history_get_latest (history, NULL, NULL));
}

static void
test_max (void)
{
  g_autoptr(DomusStatsHistory) history = domus_stats_history_new (3);

  push (history, 9);
  push (history, 2);
  push (history, 4);
  g_assert_cmpfloat (domus_stats_history_get_max (history), ==, 9);
  /* The maximum leaves the ring: the next largest kept value counts. */
  push (history, 1);
  g_assert_cmpfloat (domus_stats_history_get_max (history), ==, 4);
  push (history, 7);
  g_assert_cmpfloat (domus_stats_history_get_max (history), ==, 7);
  push (history, 3);
  push (history, 2);
  g_assert_cmpfloat (domus_stats_history_get_max (history), ==, 7);
  push (history, 6);
  g_assert_cmpfloat (domus_stats_history_get_max (history), ==, 6);
  domus_stats_history_clear (history);
  push (history, 0.5);
  g_assert_cmpfloat (domus_stats_history_get_max (history), ==, 0.5);
}

static void
test_capacity (void)
{
  g_autoptr(DomusStatsHistory) history = domus_stats_history_new (4);

  for (int i = 1; i <= 6; i++)
    push (history, i);
  assert_points (history, (double[]) { 3, 4, 5, 6 }, 4);

  /* Shrinking keeps the newest; the maximum follows. */
  domus_stats_history_set_capacity (history, 2);
  assert_points (history, (double[]) { 5, 6 }, 2);
  g_assert_cmpfloat (domus_stats_history_get_max (history), ==, 6);
  domus_stats_history_set_capacity (history, 1);
  push (history, 2);
  assert_points (history, (double[]) { 2 }, 1);
  g_assert_cmpfloat (domus_stats_history_get_max (history), ==, 2);

  /* Growing keeps everything and makes room. */
  domus_stats_history_set_capacity (history, 5);
  for (int i = 3; i <= 7; i++)
    push (history, i);
  assert_points (history, (double[]) { 3, 4, 5, 6, 7 }, 5);
  g_assert_cmpuint (domus_stats_history_get_capacity (history), ==, 5);

  /* A ring that wrapped before it grows keeps its order. */
  push (history, 8);
  domus_stats_history_set_capacity (history, 7);
  push (history, 9);
  assert_points (history, (double[]) { 4, 5, 6, 7, 8, 9 }, 6);

  /* No capacity would drop everything pushed: one point at least. */
  domus_stats_history_set_capacity (history, 0);
  g_assert_cmpuint (domus_stats_history_get_capacity (history), ==, 1);
  assert_points (history, (double[]) { 9 }, 1);
}

/* A long history (slots allocated as points come, doubling): the points stay in order
 * through each growth, the ring wraps once full, and shrinking keeps the newest. */
static void
test_growth (void)
{
  g_autoptr(DomusStatsHistory) history = domus_stats_history_new (600);
  double values[600];

  g_assert_cmpuint (domus_stats_history_get_length (history), ==, 0);
  for (guint i = 0; i < 1000; i++)
    {
      push (history, i + 1);
      if (i == 16 || i == 599 || i == 999)
        {
          guint n = MIN (i + 1, 600);

          for (guint j = 0; j < n; j++)
            values[j] = i + 1 - n + 1 + j;
          assert_points (history, values, n);
        }
    }
  domus_stats_history_set_capacity (history, 5);
  for (guint j = 0; j < 5; j++)
    values[j] = 996 + j;
  assert_points (history, values, 5);
  domus_stats_history_set_capacity (history, 100);
  for (guint i = 0; i < 40; i++)
    push (history, 1001 + i);
  for (guint j = 0; j < 45; j++)
    values[j] = 996 + j;
  assert_points (history, values, 45);
  domus_stats_history_clear (history);
  push (history, 7);
  values[0] = 7;
  assert_points (history, values, 1);
}

static void
test_boxed (void)
{
  g_autoptr(DomusStatsHistory) history = domus_stats_history_new (2);
  DomusStatsHistory *copy;

  g_assert_true (G_TYPE_IS_BOXED (DOMUS_TYPE_STATS_HISTORY));
  copy = g_boxed_copy (DOMUS_TYPE_STATS_HISTORY, history);
  /* A reference, not a copy: a graph holding it sees new points. */
  g_assert_true (copy == history);
  push (history, 1);
  g_assert_cmpuint (domus_stats_history_get_length (copy), ==, 1);
  g_boxed_free (DOMUS_TYPE_STATS_HISTORY, copy);
  g_assert_cmpuint (domus_stats_history_get_length (history), ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/stats-history/ring", test_ring);
  g_test_add_func ("/stats-history/max", test_max);
  g_test_add_func ("/stats-history/capacity", test_capacity);
  g_test_add_func ("/stats-history/growth", test_growth);
  g_test_add_func ("/stats-history/boxed", test_boxed);

  return g_test_run ();
}
