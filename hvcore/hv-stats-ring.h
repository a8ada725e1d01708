/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The last minutes of stats samples, as compact records, and their JSON form for clients. */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *name;            /* interned */
  gint64      id;
  double      cpu_percent;     /* of one core; < 0 when there is no earlier sample to compare with */
  guint64     cpu_time_ns;
  gint64      memory_mib;      /* configured */
  gint64      vcpus;           /* configured */
  guint32     rss_mib;
  guint64     disk_rd_bytes;
  guint64     disk_wr_bytes;
  guint64     disk_rd_ops;
  guint64     disk_wr_ops;
  gint64      net_rx_bytes;    /* -1: not countable (user-mode networking) */
  gint64      net_tx_bytes;
} HvDomainSample;

typedef struct {
  gint64          time_us;     /* wall clock */
  double          host_cpu_percent;
  gint64          host_memory_mib;
  gint64          host_memory_used_mib;
  double          host_load[3];
  guint           n_domains;
  HvDomainSample *domains;
} HvStatsSample;

HvStatsSample *hv_stats_sample_new      (guint                n_domains);
void           hv_stats_sample_free     (HvStatsSample       *sample);
JsonNode      *hv_stats_sample_to_json  (const HvStatsSample *sample);

typedef struct _HvStatsRing HvStatsRing;

HvStatsRing         *hv_stats_ring_new           (guint          capacity);
void                 hv_stats_ring_free          (HvStatsRing   *ring);
/* Takes the sample; the oldest goes once the ring is full. */
void                 hv_stats_ring_push          (HvStatsRing   *ring,
                                                  HvStatsSample *sample);
guint                hv_stats_ring_get_length    (HvStatsRing   *ring);
guint                hv_stats_ring_get_capacity  (HvStatsRing   *ring);
/* index 0 is the oldest. */
const HvStatsSample *hv_stats_ring_get           (HvStatsRing   *ring,
                                                  guint          index);
const HvStatsSample *hv_stats_ring_get_latest    (HvStatsRing   *ring);
/* Keeps the newest samples that fit. */
void                 hv_stats_ring_set_capacity  (HvStatsRing   *ring,
                                                  guint          capacity);
/* {"interval_ms": …, "samples": [oldest … newest]} */
JsonNode            *hv_stats_ring_to_json       (HvStatsRing   *ring,
                                                  guint          interval_ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvStatsSample, hv_stats_sample_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvStatsRing, hv_stats_ring_free)

G_END_DECLS
