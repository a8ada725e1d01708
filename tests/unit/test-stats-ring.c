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

static void
test_grow_after_wrap (void)
{
  g_autoptr(HvStatsRing) ring = hv_stats_ring_new (3);

  for (gint64 t = 1; t <= 5; t++)
    hv_stats_ring_push (ring, sample_at (t));
  /* Wrapped: the oldest kept (3) is not at the start of the storage. */
  hv_stats_ring_set_capacity (ring, 5);
  g_assert_cmpuint (hv_stats_ring_get_length (ring), ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (hv_stats_ring_get (ring, i)->time_us, ==, 3 + i);
  hv_stats_ring_push (ring, sample_at (6));
  hv_stats_ring_push (ring, sample_at (7));
  hv_stats_ring_push (ring, sample_at (8));
  g_assert_cmpuint (hv_stats_ring_get_length (ring), ==, 5);
  for (guint i = 0; i < 5; i++)
    g_assert_cmpint (hv_stats_ring_get (ring, i)->time_us, ==, 4 + i);
  hv_stats_ring_set_capacity (ring, 5);
  g_assert_cmpint (hv_stats_ring_get (ring, 0)->time_us, ==, 4);
  hv_stats_ring_set_capacity (ring, 1);
  g_assert_cmpuint (hv_stats_ring_get_length (ring), ==, 1);
  g_assert_cmpint (hv_stats_ring_get_latest (ring)->time_us, ==, 8);
  hv_stats_ring_push (ring, sample_at (9));
  g_assert_cmpint (hv_stats_ring_get (ring, 0)->time_us, ==, 9);
}

static void
assert_members (JsonObject  *object,
                const char **expected)
{
  g_autoptr(GList) members = json_object_get_members (object);
  guint n = 0;

  for (GList *l = members; l != NULL; l = l->next, n++)
    g_assert_true (g_strv_contains (expected, l->data));
  g_assert_cmpuint (n, ==, g_strv_length ((char **) expected));
}

/* Through text and back, as a client reads it: exactly the members docs/protocol.md names. */
static void
test_json_text_round_trip (void)
{
  const char *sample_members[] = { "time_us", "host", "domains", NULL };
  const char *host_members[] = { "cpu_percent", "memory_mib", "memory_used_mib", "load", NULL };
  const char *domain_members[] = { "name", "id", "cpu_percent", "cpu_time_ns", "memory_mib", "rss_mib",
                                   "disk_rd_bytes", "disk_wr_bytes", "disk_rd_ops", "disk_wr_ops",
                                   "net_rx_bytes", "net_tx_bytes", NULL };
  g_autoptr(HvStatsSample) sample = sample_at (1795862400000000);
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  JsonObject *object, *host, *domain;
  JsonArray *load;

  sample->host_load[1] = 0.25;
  sample->host_load[2] = 2.0;
  sample->domains[0].cpu_percent = -1;  /* no earlier sample */
  sample->domains[0].net_tx_bytes = -1;
  sample->domains[0].disk_wr_ops = 9;
  node = hv_stats_sample_to_json (sample);
  text = json_to_string (node, FALSE);
  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);

  object = json_node_get_object (json_parser_get_root (parser));
  assert_members (object, sample_members);
  g_assert_cmpint (json_object_get_int_member (object, "time_us"), ==, 1795862400000000);
  host = json_object_get_object_member (object, "host");
  assert_members (host, host_members);
  g_assert_cmpint (json_object_get_int_member (host, "memory_mib"), ==, 24000);
  load = json_object_get_array_member (host, "load");
  g_assert_cmpuint (json_array_get_length (load), ==, 3);
  g_assert_cmpfloat_with_epsilon (json_array_get_double_element (load, 1), 0.25, 1e-9);
  g_assert_cmpfloat_with_epsilon (json_array_get_double_element (load, 2), 2.0, 1e-9);

  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "domains")), ==, 1);
  domain = json_array_get_object_element (json_object_get_array_member (object, "domains"), 0);
  assert_members (domain, domain_members);
  /* Unknown is shown as 0, never as a negative percentage. */
  g_assert_cmpfloat (json_object_get_double_member (domain, "cpu_percent"), ==, 0.0);
  g_assert_cmpint (json_object_get_int_member (domain, "memory_mib"), ==, 128);
  g_assert_cmpint (json_object_get_int_member (domain, "rss_mib"), ==, 200);
  g_assert_cmpint (json_object_get_int_member (domain, "disk_wr_ops"), ==, 9);
  g_assert_true (json_object_get_null_member (domain, "net_rx_bytes"));
  g_assert_true (json_object_get_null_member (domain, "net_tx_bytes"));
}

/* Ten minutes at 1 s with 20 guests must stay small: the daemon's RSS goal is 20 MiB. */
static void
test_memory_bound (void)
{
  gsize per_sample = sizeof (HvStatsSample) + 20 * sizeof (HvDomainSample);
  /* The ring's slot array and malloc's bookkeeping (two blocks a sample) on top. */
  gsize total = 600 * (per_sample + sizeof (HvStatsSample *) + 2 * 16);

  g_test_message ("600 samples of 20 domains: %" G_GSIZE_FORMAT " bytes", total);
  g_assert_cmpuint (total, <, 2 * 1024 * 1024);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/stats-ring/wraps-keeping-newest", test_wraps_keeping_newest);
  g_test_add_func ("/stats-ring/resize", test_resize);
  g_test_add_func ("/stats-ring/grow-after-wrap", test_grow_after_wrap);
  g_test_add_func ("/stats-ring/json-shape", test_json_shape);
  g_test_add_func ("/stats-ring/json-text-round-trip", test_json_text_round_trip);
  g_test_add_func ("/stats-ring/memory-bound", test_memory_bound);
  return g_test_run ();
}
