/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The long-range stats archive: minutes and hours folded from samples, and kept across restarts. */

#include <math.h>
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "hv-stats-archive.h"

#define MINUTE_US (G_GINT64_CONSTANT (60) * G_USEC_PER_SEC)
#define HOUR_US   (60 * MINUTE_US)
/* A whole hour, so that minute and hour boundaries fall where the test says. */
#define T0        (G_GINT64_CONSTANT (1795860000) * G_USEC_PER_SEC)

static HvStatsSample *
sample_at (gint64  time_us,
           double  host_cpu,
           double  domain_cpu,
           guint64 disk_rd)
{
  HvStatsSample *sample = hv_stats_sample_new (1);

  sample->time_us = time_us;
  sample->host_cpu_percent = host_cpu;
  sample->host_memory_used_mib = 1000;
  sample->host_load[0] = 0.5;
  sample->domains[0].name = g_intern_string ("web1");
  sample->domains[0].id = 3;
  sample->domains[0].cpu_percent = domain_cpu;
  sample->domains[0].rss_mib = 200;
  sample->domains[0].disk_rd_bytes = disk_rd;
  sample->domains[0].net_rx_bytes = -1;
  sample->domains[0].net_tx_bytes = -1;
  return sample;
}

static void
add (HvStatsArchive *archive,
     gint64          time_us,
     double          host_cpu,
     double          domain_cpu,
     guint64         disk_rd)
{
  g_autoptr(HvStatsSample) sample = sample_at (time_us, host_cpu, domain_cpu, disk_rd);

  hv_stats_archive_add (archive, sample);
}

static JsonArray *
points_of (JsonNode *node)
{
  return json_object_get_array_member (json_node_get_object (node), "points");
}

static double
figure (JsonArray  *points,
        guint       index,
        const char *metric,
        guint       which)
{
  JsonObject *point = json_array_get_object_element (points, index);

  if (!json_object_has_member (point, metric))
    return NAN;
  return json_array_get_double_element (json_object_get_array_member (point, metric), which);
}

static void
test_minutes (void)
{
  g_autoptr(HvStatsArchive) archive = hv_stats_archive_new (NULL);
  g_autoptr(JsonNode) host = NULL;
  g_autoptr(JsonNode) domain = NULL;
  g_autoptr(JsonNode) unknown = NULL;
  JsonArray *points;

  /* Minute 0: 10 and 30; minute 1: 50; minute 2 (in progress): 70. */
  add (archive, T0 + 1 * G_USEC_PER_SEC, 10, 1, 0);
  add (archive, T0 + 31 * G_USEC_PER_SEC, 30, 3, 3000);
  add (archive, T0 + MINUTE_US + 5 * G_USEC_PER_SEC, 50, 5, 3000);
  add (archive, T0 + 2 * MINUTE_US, 70, 7, 9000);

  host = hv_stats_archive_to_json (archive, NULL, HV_STATS_RANGE_HOUR, T0 + 2 * MINUTE_US);
  points = points_of (host);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (host), "interval_s"), ==, 60);
  g_assert_cmpuint (json_array_get_length (points), ==, 3);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (points, 0), "time_us"), ==, T0);
  g_assert_cmpfloat (figure (points, 0, "cpu_percent", 0), ==, 20);   /* average */
  g_assert_cmpfloat (figure (points, 0, "cpu_percent", 1), ==, 30);   /* maximum */
  g_assert_cmpfloat (figure (points, 1, "cpu_percent", 0), ==, 50);
  g_assert_cmpfloat (figure (points, 2, "cpu_percent", 0), ==, 70);   /* the minute in progress */
  g_assert_cmpfloat (figure (points, 0, "load", 0), ==, 0.5);
  g_assert_true (isnan (figure (points, 0, "disk_rd_bps", 0)));       /* hosts have none */

  domain = hv_stats_archive_to_json (archive, "web1", HV_STATS_RANGE_HOUR, T0 + 2 * MINUTE_US);
  points = points_of (domain);
  g_assert_cmpuint (json_array_get_length (points), ==, 3);
  g_assert_cmpfloat (figure (points, 0, "memory_mib", 0), ==, 200);
  /* 3000 bytes over 30 s: the first sample has no earlier totals to compare with. */
  g_assert_cmpfloat (figure (points, 0, "disk_rd_bps", 0), ==, 100);
  /* 0 bytes in 34 s, then 6000 in 55 s. */
  g_assert_cmpfloat (figure (points, 1, "disk_rd_bps", 0), ==, 0);
  g_assert_cmpfloat_with_epsilon (figure (points, 2, "disk_rd_bps", 0), 6000.0 / 55, 0.01);
  /* User-mode networking cannot be counted: no figure rather than zero. */
  g_assert_true (isnan (figure (points, 0, "net_rx_bps", 0)));

  unknown = hv_stats_archive_to_json (archive, "nobody", HV_STATS_RANGE_DAY, T0);
  g_assert_cmpuint (json_array_get_length (points_of (unknown)), ==, 0);
}

static void
test_hours (void)
{
  g_autoptr(HvStatsArchive) archive = hv_stats_archive_new (NULL);
  g_autoptr(JsonNode) month = NULL;
  JsonArray *points;

  /* A sample a minute for two hours and a bit: the first hour at 10, the second at 40
     but for one minute at 100. */
  for (gint64 m = 0; m < 125; m++)
    add (archive, T0 + m * MINUTE_US, m < 60 ? 10 : (m == 90 ? 100 : 40), 0, 0);

  month = hv_stats_archive_to_json (archive, NULL, HV_STATS_RANGE_MONTH, T0 + 125 * MINUTE_US);
  points = points_of (month);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (month), "interval_s"), ==, 3600);
  g_assert_cmpuint (json_array_get_length (points), ==, 3);
  g_assert_cmpfloat (figure (points, 0, "cpu_percent", 0), ==, 10);
  g_assert_cmpfloat_with_epsilon (figure (points, 1, "cpu_percent", 0), (59 * 40 + 100) / 60.0, 1e-9);
  g_assert_cmpfloat (figure (points, 1, "cpu_percent", 1), ==, 100);
}

static void
test_persisted (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("domus-archive-XXXXXX", &error);
  g_autofree char *minutes = g_build_filename (dir, "minutes.jsonl", NULL);
  g_autofree char *hours = g_build_filename (dir, "hours.jsonl", NULL);
  g_autofree char *text = NULL;
  g_autofree char *old_time = g_strdup_printf ("%" G_GINT64_FORMAT, T0 - 2 * 24 * HOUR_US);
  g_auto(GStrv) lines = NULL;
  g_autoptr(JsonNode) day = NULL;
  g_autoptr(JsonNode) month = NULL;
  HvStatsArchive *first;
  HvStatsArchive *second;
  FILE *file;

  g_assert_no_error (error);
  first = hv_stats_archive_new (dir);
  g_assert_true (hv_stats_archive_load (first, T0, &error));
  g_assert_no_error (error);
  for (gint64 m = 0; m < 65; m++)
    add (first, T0 + m * MINUTE_US, 25, 1, 0);
  hv_stats_archive_free (first);

  /* A line from long ago, and a last line cut short by a crash. */
  file = fopen (minutes, "a");
  g_assert_nonnull (file);
  fprintf (file, "{\"s\":null,\"t\":%" G_GINT64_FORMAT ",\"a\":[99],\"m\":[99]}\n", T0 - 2 * 24 * HOUR_US);
  fprintf (file, "{\"s\":\"web1\",\"t\":");
  fclose (file);

  second = hv_stats_archive_new (dir);
  g_assert_true (hv_stats_archive_load (second, T0 + 65 * MINUTE_US, &error));
  g_assert_no_error (error);
  day = hv_stats_archive_to_json (second, NULL, HV_STATS_RANGE_DAY, T0 + 65 * MINUTE_US);
  /* 64 closed minutes came back (the 65th was in progress when the first one ended). */
  g_assert_cmpuint (json_array_get_length (points_of (day)), ==, 64);
  g_assert_cmpfloat (figure (points_of (day), 0, "cpu_percent", 0), ==, 25);
  /* The hour that closed was written; the next one is rebuilt from its minutes. */
  month = hv_stats_archive_to_json (second, "web1", HV_STATS_RANGE_MONTH, T0 + 65 * MINUTE_US);
  g_assert_cmpuint (json_array_get_length (points_of (month)), ==, 2);
  hv_stats_archive_free (second);

  /* The rewrite dropped the old line and the broken one. */
  g_assert_true (g_file_get_contents (minutes, &text, NULL, NULL));
  g_assert_null (strstr (text, old_time));
  g_assert_true (g_str_has_suffix (text, "\n"));
  lines = g_strsplit (g_strstrip (text), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 2 * 64);   /* the host's and web1's minutes */
  for (guint i = 0; lines[i] != NULL; i++)
    g_assert_true (g_str_has_suffix (lines[i], "]}"));
  g_assert_cmpint (g_remove (minutes), ==, 0);
  g_assert_cmpint (g_remove (hours), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_ranges (void)
{
  HvStatsRange range;

  g_assert_true (hv_stats_range_from_string ("1h", &range));
  g_assert_cmpint (range, ==, HV_STATS_RANGE_HOUR);
  g_assert_true (hv_stats_range_from_string ("24h", &range));
  g_assert_cmpint (range, ==, HV_STATS_RANGE_DAY);
  g_assert_true (hv_stats_range_from_string ("30d", &range));
  g_assert_cmpint (range, ==, HV_STATS_RANGE_MONTH);
  g_assert_false (hv_stats_range_from_string ("1w", &range));
  g_assert_false (hv_stats_range_from_string (NULL, &range));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/stats-archive/minutes", test_minutes);
  g_test_add_func ("/stats-archive/hours", test_hours);
  g_test_add_func ("/stats-archive/persisted", test_persisted);
  g_test_add_func ("/stats-archive/ranges", test_ranges);
  return g_test_run ();
}
