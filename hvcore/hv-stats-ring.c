/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A ring of stats samples: plain records (about 100 bytes per domain), JSON only on request. */

#include "config.h"

#include "hv-stats-ring.h"

struct _HvStatsRing
{
  HvStatsSample **samples;
  guint           capacity;
  guint           start;    /* index of the oldest */
  guint           length;
};

HvStatsSample *
hv_stats_sample_new (guint n_domains)
{
  HvStatsSample *sample = g_new0 (HvStatsSample, 1);

  sample->n_domains = n_domains;
  sample->domains = g_new0 (HvDomainSample, n_domains);
  return sample;
}

void
hv_stats_sample_free (HvStatsSample *sample)
{
  if (sample == NULL)
    return;
  g_free (sample->domains);
  g_free (sample);
}

/* One decimal is all a graph shows; fewer digits keep the history reply small. */
static double
round_1 (double value)
{
  return (double) (gint64) (value * 10.0 + (value >= 0 ? 0.5 : -0.5)) / 10.0;
}

static void
add_int (JsonBuilder *builder,
         const char  *member,
         gint64       value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_int_value (builder, value);
}

static void
add_counter (JsonBuilder *builder,
             const char  *member,
             gint64       value)
{
  json_builder_set_member_name (builder, member);
  if (value < 0)
    json_builder_add_null_value (builder);
  else
    json_builder_add_int_value (builder, value);
}

static void
add_domain (JsonBuilder          *builder,
            const HvDomainSample *domain)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, domain->name);
  add_int (builder, "id", domain->id);
  json_builder_set_member_name (builder, "cpu_percent");
  json_builder_add_double_value (builder, round_1 (MAX (domain->cpu_percent, 0.0)));
  add_int (builder, "cpu_time_ns", (gint64) domain->cpu_time_ns);
  add_int (builder, "memory_mib", domain->memory_mib);
  add_int (builder, "rss_mib", domain->rss_mib);
  add_int (builder, "disk_rd_bytes", (gint64) domain->disk_rd_bytes);
  add_int (builder, "disk_wr_bytes", (gint64) domain->disk_wr_bytes);
  add_int (builder, "disk_rd_ops", (gint64) domain->disk_rd_ops);
  add_int (builder, "disk_wr_ops", (gint64) domain->disk_wr_ops);
  add_counter (builder, "net_rx_bytes", domain->net_rx_bytes);
  add_counter (builder, "net_tx_bytes", domain->net_tx_bytes);
  json_builder_end_object (builder);
}

static void
add_sample (JsonBuilder         *builder,
            const HvStatsSample *sample)
{
  json_builder_begin_object (builder);
  add_int (builder, "time_us", sample->time_us);
  json_builder_set_member_name (builder, "host");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "cpu_percent");
  json_builder_add_double_value (builder, round_1 (MAX (sample->host_cpu_percent, 0.0)));
  add_int (builder, "memory_mib", sample->host_memory_mib);
  add_int (builder, "memory_used_mib", sample->host_memory_used_mib);
  json_builder_set_member_name (builder, "load");
  json_builder_begin_array (builder);
  for (guint i = 0; i < 3; i++)
    json_builder_add_double_value (builder, sample->host_load[i]);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "domains");
  json_builder_begin_array (builder);
  for (guint i = 0; i < sample->n_domains; i++)
    add_domain (builder, &sample->domains[i]);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

JsonNode *
hv_stats_sample_to_json (const HvStatsSample *sample)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  add_sample (builder, sample);
  return json_builder_get_root (builder);
}

HvStatsRing *
hv_stats_ring_new (guint capacity)
{
  HvStatsRing *ring;

  g_return_val_if_fail (capacity > 0, NULL);
  ring = g_new0 (HvStatsRing, 1);
  ring->capacity = capacity;
  ring->samples = g_new0 (HvStatsSample *, capacity);
  return ring;
}

void
hv_stats_ring_free (HvStatsRing *ring)
{
  if (ring == NULL)
    return;
  for (guint i = 0; i < ring->length; i++)
    hv_stats_sample_free (ring->samples[(ring->start + i) % ring->capacity]);
  g_free (ring->samples);
  g_free (ring);
}

void
hv_stats_ring_push (HvStatsRing   *ring,
                    HvStatsSample *sample)
{
  if (ring->length == ring->capacity)
    {
      hv_stats_sample_free (ring->samples[ring->start]);
      ring->samples[ring->start] = sample;
      ring->start = (ring->start + 1) % ring->capacity;
      return;
    }
  ring->samples[(ring->start + ring->length) % ring->capacity] = sample;
  ring->length++;
}

guint
hv_stats_ring_get_length (HvStatsRing *ring)
{
  return ring->length;
}

guint
hv_stats_ring_get_capacity (HvStatsRing *ring)
{
  return ring->capacity;
}

const HvStatsSample *
hv_stats_ring_get (HvStatsRing *ring,
                   guint        index)
{
  g_return_val_if_fail (index < ring->length, NULL);
  return ring->samples[(ring->start + index) % ring->capacity];
}

const HvStatsSample *
hv_stats_ring_get_latest (HvStatsRing *ring)
{
  return ring->length > 0 ? hv_stats_ring_get (ring, ring->length - 1) : NULL;
}

void
hv_stats_ring_set_capacity (HvStatsRing *ring,
                            guint        capacity)
{
  HvStatsSample **samples;
  guint keep;

  g_return_if_fail (capacity > 0);
  if (capacity == ring->capacity)
    return;
  keep = MIN (ring->length, capacity);
  samples = g_new0 (HvStatsSample *, capacity);
  for (guint i = 0; i < ring->length; i++)
    {
      HvStatsSample *sample = ring->samples[(ring->start + i) % ring->capacity];

      if (i < ring->length - keep)
        hv_stats_sample_free (sample);
      else
        samples[i - (ring->length - keep)] = sample;
    }
  g_free (ring->samples);
  ring->samples = samples;
  ring->capacity = capacity;
  ring->start = 0;
  ring->length = keep;
}

JsonNode *
hv_stats_ring_to_json (HvStatsRing *ring,
                       guint        interval_ms)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_int (builder, "interval_ms", interval_ms);
  json_builder_set_member_name (builder, "samples");
  json_builder_begin_array (builder);
  for (guint i = 0; i < ring->length; i++)
    add_sample (builder, hv_stats_ring_get (ring, i));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}
