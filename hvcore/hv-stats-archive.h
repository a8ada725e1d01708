/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Stats rolled up for the long graphs: minute averages and maxima for 24 hours, hours for 30 days, kept on disk. */

#pragma once

#include <json-glib/json-glib.h>

#include "hv-stats-ring.h"

G_BEGIN_DECLS

#define HV_STATS_ARCHIVE_MINUTES 1440   /* 24 hours of minutes */
#define HV_STATS_ARCHIVE_HOURS    720   /* 30 days of hours */

typedef enum {
  HV_STATS_RANGE_HOUR,    /* the last 60 minutes, a point a minute */
  HV_STATS_RANGE_DAY,     /* the last 24 hours, a point a minute */
  HV_STATS_RANGE_MONTH,   /* the last 30 days, a point an hour */
} HvStatsRange;

typedef struct _HvStatsArchive HvStatsArchive;

/* dir: where minutes.jsonl and hours.jsonl live (NULL: in memory only). */
HvStatsArchive *hv_stats_archive_new      (const char           *dir);
void            hv_stats_archive_free     (HvStatsArchive       *self);

/*
 * Reads what earlier runs wrote, drops what is older than the archive keeps, and
 * writes the rest back compacted. A line that cannot be read is skipped (a crash
 * can cut the last one short); a file that cannot be read is an error.
 */
gboolean        hv_stats_archive_load     (HvStatsArchive       *self,
                                           gint64                now_us,
                                           GError              **error);

/*
 * Folds one sample in: the host's figures, and for each domain its CPU, memory and
 * disk and network rates (from the totals of its previous sample with the same id).
 * Minutes that ended are closed and appended to disk.
 */
void            hv_stats_archive_add      (HvStatsArchive       *self,
                                           const HvStatsSample  *sample);

/* "1h", "24h", "30d" */
gboolean        hv_stats_range_from_string (const char          *text,
                                            HvStatsRange        *range);

/*
 * {"name": NAME or null, "interval_s": 60 or 3600, "points": [{"time_us": START,
 *  "cpu_percent": [AVG, MAX], "memory_mib": [AVG, MAX], …}, …]} oldest first, the
 * bucket in progress last. name NULL is the host. A domain the archive never saw
 * gets no points.
 */
JsonNode       *hv_stats_archive_to_json  (HvStatsArchive       *self,
                                           const char           *name,
                                           HvStatsRange          range,
                                           gint64                now_us);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvStatsArchive, hv_stats_archive_free)

G_END_DECLS
