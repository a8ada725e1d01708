/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The stats ring: order, capacity changes, and the JSON clients read. */

#include <glib.h>
#include <json-glib/json-glib.h>

#include "hv-stats-ring.h"

static HvStatsSample *
sample_at (gint64 time_us)
{
  HvStatsSample *sample = hv_stats_sample_new (1);

  sample->time_us = time_us;
  sample->host_cpu_percent = 12.345;
  sample->host_memory_mib = 24000;
  sample->host_memory_used_mib = 1000;
  sample->host_load[0] = 0.5;
  sample->domains[0].name = g_intern_string ("alpha");
  sample->domains[0].id = 3;
  sample->domains[0].cpu_percent = 4.16;
  sample->domains[0].cpu_time_ns = 1234567890;
  sample->domains[0].memory_mib = 128;
  sample->domains[0].rss_mib = 200;
  sample->domains[0].disk_rd_bytes = 4096;
  sample->domains[0].net_rx_bytes = -1;
  sample->domains[0].net_tx_bytes = 77;
  return sample;
}

static void
test_wraps_keeping_newest (void)
{
  g_autoptr(HvStatsRing) ring = hv_stats_ring_new (3);

  g_assert_null (hv_stats_ring_get_latest (ring));
  for (gint64 t = 1; t <= 5; t++)
    hv_stats_ring_push (ring, sample_at (t));
  g_assert_cmpuint (hv_stats_ring_get_length (ring), ==, 3);
  g_assert_cmpint (hv_stats_ring_get (ring, 0)->time_us, ==, 3);
  g_assert_cmpint (hv_stats_ring_get (ring, 2)->time_us, ==, 5);
  g_assert_cmpint (hv_stats_ring_get_latest (ring)->time_us, ==, 5);
}

static void
test_resize (void)
{
  g_autoptr(HvStatsRing) ring = hv_stats_ring_new (4);

  for (gint64 t = 1; t <= 6; t++)
    hv_stats_ring_push (ring, sample_at (t));
  hv_stats_ring_set_capacity (ring, 2);
  g_assert_cmpuint (hv_stats_ring_get_length (ring), ==, 2);
  g_assert_cmpint (hv_stats_ring_get (ring, 0)->time_us, ==, 5);
  hv_stats_ring_set_capacity (ring, 10);
  g_assert_cmpuint (hv_stats_ring_get_capacity (ring), ==, 10);
  g_assert_cmpuint (hv_stats_ring_get_length (ring), ==, 2);
  hv_stats_ring_push (ring, sample_at (7));
  g_assert_cmpint (hv_stats_ring_get_latest (ring)->time_us, ==, 7);
  g_assert_cmpint (hv_stats_ring_get (ring, 0)->time_us, ==, 5);
}

static void
test_json_shape (void)
{
  g_autoptr(HvStatsRing) ring = hv_stats_ring_new (5);
  g_autoptr(JsonNode) history = NULL;
  JsonObject *object, *sample, *host, *domain;
  JsonArray *samples;

  hv_stats_ring_push (ring, sample_at (100));
  hv_stats_ring_push (ring, sample_at (200));
  history = hv_stats_ring_to_json (ring, 1000);
  object = json_node_get_object (history);
  g_assert_cmpint (json_object_get_int_member (object, "interval_ms"), ==, 1000);
  samples = json_object_get_array_member (object, "samples");
  g_assert_cmpuint (json_array_get_length (samples), ==, 2);

  sample = json_array_get_object_element (samples, 1);
  g_assert_cmpint (json_object_get_int_member (sample, "time_us"), ==, 200);
  host = json_object_get_object_member (sample, "host");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (host, "cpu_percent"), 12.3, 1e-9);
  g_assert_cmpint (json_object_get_int_member (host, "memory_used_mib"), ==, 1000);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (host, "load")), ==, 3);

  domain = json_array_get_object_element (json_object_get_array_member (sample, "domains"), 0);
  g_assert_cmpstr (json_object_get_string_member (domain, "name"), ==, "alpha");
  g_assert_cmpint (json_object_get_int_member (domain, "id"), ==, 3);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (domain, "cpu_percent"), 4.2, 1e-9);
  g_assert_cmpint (json_object_get_int_member (domain, "cpu_time_ns"), ==, 1234567890);
  g_assert_cmpint (json_object_get_int_member (domain, "disk_rd_bytes"), ==, 4096);
  /* -1 is "cannot be counted": null, never a number. */
  g_assert_true (json_object_get_null_member (domain, "net_rx_bytes"));
  g_assert_cmpint (json_object_get_int_member (domain, "net_tx_bytes"), ==, 77);
}

/* Ten minutes at 1 s with 20 guests must stay small: the daemon's RSS goal is 20 MiB. */
static void
test_memory_bound (void)
{
  gsize per_sample = sizeof (HvStatsSample) + 20 * sizeof (HvDomainSample);

  g_assert_cmpuint (600 * per_sample, <, 2 * 1024 * 1024);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/stats-ring/wraps-keeping-newest", test_wraps_keeping_newest);
  g_test_add_func ("/stats-ring/resize", test_resize);
  g_test_add_func ("/stats-ring/json-shape", test_json_shape);
  g_test_add_func ("/stats-ring/memory-bound", test_memory_bound);
  return g_test_run ();
}
