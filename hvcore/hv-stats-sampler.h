/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Samples every running domain and the host at an interval, into a ring of the last 10 minutes. */

#pragma once

#include <gio/gio.h>

#include "hv-qmp.h"
#include "hv-stats-ring.h"

G_BEGIN_DECLS

/* How much history the ring keeps, whatever the interval. */
#define HV_STATS_HISTORY_SECONDS 600

/* One domain to sample; the sampler copies what it needs. */
typedef struct {
  char   *name;
  gint64  id;
  GPid    pid;
  HvQmp  *qmp;         /* NULL: no disk figures */
  GStrv   tap_names;   /* NULL: user-mode networking, no network figures */
  gint64  memory_mib;
  gint64  vcpus;
} HvStatsTarget;

void hv_stats_target_free (HvStatsTarget *target);

/* The domains to sample now (HvStatsTarget, transfer full with hv_stats_target_free set). */
typedef GPtrArray *(*HvStatsTargetsFunc) (gpointer user_data);

#define HV_TYPE_STATS_SAMPLER (hv_stats_sampler_get_type ())
G_DECLARE_FINAL_TYPE (HvStatsSampler, hv_stats_sampler, HV, STATS_SAMPLER, GObject)

/*
 * Signals:
 *   "sample" (gpointer sample)   an HvStatsSample just pushed into the ring (owned by it)
 */

HvStatsSampler *hv_stats_sampler_new          (HvStatsTargetsFunc  targets,
                                               gpointer            user_data,
                                               guint               interval_ms);
void            hv_stats_sampler_start        (HvStatsSampler     *self);
guint           hv_stats_sampler_get_interval (HvStatsSampler     *self);
/* 100 to 60000 ms; the ring is resized to keep HV_STATS_HISTORY_SECONDS. */
void            hv_stats_sampler_set_interval (HvStatsSampler     *self,
                                               guint               interval_ms);
HvStatsRing    *hv_stats_sampler_get_ring     (HvStatsSampler     *self);
/* The domain's CPU share in the latest sample; -1 when it has none. */
double          hv_stats_sampler_get_cpu_percent (HvStatsSampler *self,
                                                  const char     *name,
                                                  gint64          id);

G_END_DECLS
