/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The long-range stats: every sample is folded into the current minute of each
 * series (the host, and each domain by name); a minute that ended becomes a point
 * (average and maximum of each figure) and is folded into its hour. Points are
 * appended to minutes.jsonl and hours.jsonl as they close, one JSON object a line,
 * so a daemon killed at any moment loses at most the minute in progress; at start
 * the files are read back and rewritten without what has aged out.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "domus-json-util.h"
#include "hv-stats-archive.h"

#define MINUTE_US (G_GINT64_CONSTANT (60) * G_USEC_PER_SEC)
#define HOUR_US   (60 * MINUTE_US)

enum {
  METRIC_CPU,
  METRIC_MEMORY,
  METRIC_DISK_RD,
  METRIC_DISK_WR,
  METRIC_NET_RX,
  METRIC_NET_TX,
  METRIC_LOAD,
  N_METRICS
};

static const char * const metric_names[N_METRICS] = {
  [METRIC_CPU]     = "cpu_percent",
  [METRIC_MEMORY]  = "memory_mib",
  [METRIC_DISK_RD] = "disk_rd_bps",
  [METRIC_DISK_WR] = "disk_wr_bps",
  [METRIC_NET_RX]  = "net_rx_bps",
  [METRIC_NET_TX]  = "net_tx_bps",
  [METRIC_LOAD]    = "load",
};

/* A closed minute or hour: NAN where the series had no such figure. */
typedef struct {
  gint64 start_us;
  double avg[N_METRICS];
  double max[N_METRICS];
} Point;

/* A minute or hour still being filled. */
typedef struct {
  gint64  start_us;
  guint   count[N_METRICS];
  double  sum[N_METRICS];
  double  max[N_METRICS];
} Bucket;

typedef struct {
  char    *name;               /* NULL for the host */
  Bucket   minute, hour;
  GArray  *minutes;            /* Point, oldest first */
  GArray  *hours;              /* Point */

  /* The domain's previous totals, for rates. */
  gboolean have_totals;
  gint64   last_id;
  gint64   last_time_us;
  guint64  last_rd, last_wr;
  gint64   last_rx, last_tx;
} Series;

struct _HvStatsArchive {
  char       *dir;
  Series     *host;
  GHashTable *domains;         /* name -> Series */
  guint       minute_lines;    /* appended since the files were last rewritten */
  guint       hour_lines;
};

static const char *
minutes_file (void)
{
  return "minutes.jsonl";
}

static const char *
hours_file (void)
{
  return "hours.jsonl";
}

/* Buckets and points */

static gboolean
bucket_is_empty (const Bucket *bucket)
{
  for (guint i = 0; i < N_METRICS; i++)
    if (bucket->count[i] > 0)
      return FALSE;
  return TRUE;
}

static void
bucket_reset (Bucket *bucket,
              gint64  start_us)
{
  memset (bucket, 0, sizeof *bucket);
  bucket->start_us = start_us;
}

static void
bucket_add (Bucket *bucket,
            guint   metric,
            double  value,
            double  peak)
{
  if (isnan (value))
    return;
  if (bucket->count[metric] == 0 || peak > bucket->max[metric])
    bucket->max[metric] = peak;
  bucket->sum[metric] += value;
  bucket->count[metric]++;
}

static Point
bucket_to_point (const Bucket *bucket)
{
  Point point = { .start_us = bucket->start_us };

  for (guint i = 0; i < N_METRICS; i++)
    {
      point.avg[i] = bucket->count[i] > 0 ? bucket->sum[i] / bucket->count[i] : NAN;
      point.max[i] = bucket->count[i] > 0 ? bucket->max[i] : NAN;
    }
  return point;
}

static void
keep_newest (GArray *points,
             guint   capacity)
{
  /* Trimmed in batches: removing from the front moves the whole array. */
  if (points->len > capacity + capacity / 8)
    g_array_remove_range (points, 0, points->len - capacity);
}

/* Series */

static Series *
series_new (const char *name)
{
  Series *series = g_new0 (Series, 1);

  series->name = g_strdup (name);
  series->minutes = g_array_new (FALSE, FALSE, sizeof (Point));
  series->hours = g_array_new (FALSE, FALSE, sizeof (Point));
  return series;
}

static void
series_free (Series *series)
{
  g_free (series->name);
  g_array_unref (series->minutes);
  g_array_unref (series->hours);
  g_free (series);
}

static Series *
series_for (HvStatsArchive *self,
            const char     *name)
{
  Series *series;

  if (name == NULL)
    return self->host;
  series = g_hash_table_lookup (self->domains, name);
  if (series == NULL)
    {
      series = series_new (name);
      g_hash_table_insert (self->domains, series->name, series);
    }
  return series;
}

/* Writing */

static void
append_point_json (GString     *out,
                   const char  *name,
                   const Point *point)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  domus_json_builder_add_string_or_null (builder, "s", name);
  json_builder_set_member_name (builder, "t");
  json_builder_add_int_value (builder, point->start_us);
  for (guint pass = 0; pass < 2; pass++)
    {
      const double *values = pass == 0 ? point->avg : point->max;

      json_builder_set_member_name (builder, pass == 0 ? "a" : "m");
      json_builder_begin_array (builder);
      for (guint i = 0; i < N_METRICS; i++)
        if (isnan (values[i]))
          json_builder_add_null_value (builder);
        else
          json_builder_add_double_value (builder, round (values[i] * 1000) / 1000);
      json_builder_end_array (builder);
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  g_string_append (out, text);
  g_string_append_c (out, '\n');
}

static void
append_lines (HvStatsArchive *self,
              const char     *file,
              GString        *lines)
{
  g_autofree char *path = NULL;
  int fd;

  if (self->dir == NULL || lines->len == 0)
    return;
  path = g_build_filename (self->dir, file, NULL);
  fd = g_open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  /* Losing a minute of long-range history is not worth stopping for: say so and go on. */
  if (fd < 0 || write (fd, lines->str, lines->len) != (gssize) lines->len)
    g_message ("stats archive: cannot append to %s: %s", path, g_strerror (errno));
  if (fd >= 0)
    close (fd);
}

static void
append_series (GString      *text,
               const Series *series,
               gboolean      hours)
{
  GArray *points = hours ? series->hours : series->minutes;

  for (guint i = 0; i < points->len; i++)
    append_point_json (text, series->name, &g_array_index (points, Point, i));
}

static gboolean
rewrite_file (HvStatsArchive  *self,
              const char      *file,
              gboolean         hours,
              GError         **error)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *path = NULL;
  GHashTableIter iter;
  Series *series;

  if (self->dir == NULL)
    return TRUE;
  append_series (text, self->host, hours);
  g_hash_table_iter_init (&iter, self->domains);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &series))
    append_series (text, series, hours);
  path = g_build_filename (self->dir, file, NULL);
  return g_file_set_contents_full (path, text->str, text->len,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

/* Folding */

static void close_hour (HvStatsArchive *self, Series *series, GString *hour_lines);

static void
add_minute_to_hour (HvStatsArchive *self,
                    Series         *series,
                    const Point    *minute,
                    GString        *hour_lines)
{
  gint64 hour_start = minute->start_us - minute->start_us % HOUR_US;

  if (series->hour.start_us != hour_start)
    {
      if (!bucket_is_empty (&series->hour))
        close_hour (self, series, hour_lines);
      bucket_reset (&series->hour, hour_start);
    }
  for (guint i = 0; i < N_METRICS; i++)
    bucket_add (&series->hour, i, minute->avg[i], minute->max[i]);
}

static void
close_hour (HvStatsArchive *self,
            Series         *series,
            GString        *hour_lines)
{
  Point point = bucket_to_point (&series->hour);

  g_array_append_val (series->hours, point);
  keep_newest (series->hours, HV_STATS_ARCHIVE_HOURS);
  append_point_json (hour_lines, series->name, &point);
  self->hour_lines++;
  bucket_reset (&series->hour, 0);
}

static void
close_minute (HvStatsArchive *self,
              Series         *series,
              GString        *minute_lines,
              GString        *hour_lines)
{
  Point point = bucket_to_point (&series->minute);

  g_array_append_val (series->minutes, point);
  keep_newest (series->minutes, HV_STATS_ARCHIVE_MINUTES);
  append_point_json (minute_lines, series->name, &point);
  self->minute_lines++;
  add_minute_to_hour (self, series, &point, hour_lines);
  bucket_reset (&series->minute, 0);
}

static void
close_ended_minutes (HvStatsArchive *self,
                     gint64          minute_start,
                     GString        *minute_lines,
                     GString        *hour_lines)
{
  GHashTableIter iter;
  Series *series;

  if (!bucket_is_empty (&self->host->minute) && self->host->minute.start_us < minute_start)
    close_minute (self, self->host, minute_lines, hour_lines);
  g_hash_table_iter_init (&iter, self->domains);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &series))
    if (!bucket_is_empty (&series->minute) && series->minute.start_us < minute_start)
      close_minute (self, series, minute_lines, hour_lines);
}

static void
series_add (Series *series,
            gint64  minute_start,
            guint   metric,
            double  value)
{
  if (series->minute.start_us != minute_start && bucket_is_empty (&series->minute))
    bucket_reset (&series->minute, minute_start);
  bucket_add (&series->minute, metric, value, value);
}

static double
rate (guint64 now,
      guint64 before,
      double  seconds)
{
  /* Counters restart with QEMU: a total that went down has no rate. */
  return now >= before ? (double) (now - before) / seconds : NAN;
}

static void
add_domain (Series               *series,
            gint64                minute_start,
            gint64                time_us,
            const HvDomainSample *domain)
{
  series_add (series, minute_start, METRIC_CPU, domain->cpu_percent >= 0 ? domain->cpu_percent : NAN);
  series_add (series, minute_start, METRIC_MEMORY, domain->rss_mib);

  if (series->have_totals && series->last_id == domain->id && time_us > series->last_time_us)
    {
      double seconds = (double) (time_us - series->last_time_us) / G_USEC_PER_SEC;

      series_add (series, minute_start, METRIC_DISK_RD, rate (domain->disk_rd_bytes, series->last_rd, seconds));
      series_add (series, minute_start, METRIC_DISK_WR, rate (domain->disk_wr_bytes, series->last_wr, seconds));
      if (domain->net_rx_bytes >= 0 && series->last_rx >= 0)
        series_add (series, minute_start, METRIC_NET_RX,
                    rate ((guint64) domain->net_rx_bytes, (guint64) series->last_rx, seconds));
      if (domain->net_tx_bytes >= 0 && series->last_tx >= 0)
        series_add (series, minute_start, METRIC_NET_TX,
                    rate ((guint64) domain->net_tx_bytes, (guint64) series->last_tx, seconds));
    }
  series->have_totals = TRUE;
  series->last_id = domain->id;
  series->last_time_us = time_us;
  series->last_rd = domain->disk_rd_bytes;
  series->last_wr = domain->disk_wr_bytes;
  series->last_rx = domain->net_rx_bytes;
  series->last_tx = domain->net_tx_bytes;
}

static guint
total_series (HvStatsArchive *self)
{
  return 1 + g_hash_table_size (self->domains);
}

void
hv_stats_archive_add (HvStatsArchive      *self,
                      const HvStatsSample *sample)
{
  g_autoptr(GString) minute_lines = g_string_new (NULL);
  g_autoptr(GString) hour_lines = g_string_new (NULL);
  gint64 minute_start = sample->time_us - sample->time_us % MINUTE_US;

  close_ended_minutes (self, minute_start, minute_lines, hour_lines);

  series_add (self->host, minute_start, METRIC_CPU, sample->host_cpu_percent);
  series_add (self->host, minute_start, METRIC_MEMORY, sample->host_memory_used_mib);
  series_add (self->host, minute_start, METRIC_LOAD, sample->host_load[0]);
  for (guint i = 0; i < sample->n_domains; i++)
    add_domain (series_for (self, sample->domains[i].name), minute_start, sample->time_us,
                &sample->domains[i]);

  append_lines (self, minutes_file (), minute_lines);
  append_lines (self, hours_file (), hour_lines);

  /* Appending forever would grow the files without bound: rewrite them once they
     hold about twice what is kept. */
  if (self->minute_lines > HV_STATS_ARCHIVE_MINUTES * total_series (self))
    {
      g_autoptr(GError) error = NULL;

      if (!rewrite_file (self, minutes_file (), FALSE, &error))
        g_message ("stats archive: %s", error->message);
      self->minute_lines = 0;
    }
  if (self->hour_lines > HV_STATS_ARCHIVE_HOURS * total_series (self))
    {
      g_autoptr(GError) error = NULL;

      if (!rewrite_file (self, hours_file (), TRUE, &error))
        g_message ("stats archive: %s", error->message);
      self->hour_lines = 0;
    }
}

/* Loading */

static gboolean
parse_values (JsonObject *object,
              const char *member,
              double     *values)
{
  JsonArray *array;

  if (!json_object_has_member (object, member) ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, member)))
    return FALSE;
  array = json_object_get_array_member (object, member);
  for (guint i = 0; i < N_METRICS; i++)
    {
      JsonNode *node = i < json_array_get_length (array) ? json_array_get_element (array, i) : NULL;

      values[i] = node != NULL && JSON_NODE_HOLDS_VALUE (node) ? json_node_get_double (node) : NAN;
    }
  return TRUE;
}

/* One line of a file; FALSE for a line that cannot be read. */
static gboolean
parse_line (const char  *line,
            char       **name,
            Point       *point)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *object;
  JsonNode *s;

  if (!json_parser_load_from_data (parser, line, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return FALSE;
  object = json_node_get_object (json_parser_get_root (parser));
  s = json_object_get_member (object, "s");
  if (s == NULL || !json_object_has_member (object, "t"))
    return FALSE;
  point->start_us = json_object_get_int_member (object, "t");
  if (!parse_values (object, "a", point->avg) || !parse_values (object, "m", point->max))
    return FALSE;
  if (JSON_NODE_HOLDS_NULL (s))
    *name = NULL;    /* the host */
  else if (JSON_NODE_HOLDS_VALUE (s) && json_node_get_value_type (s) == G_TYPE_STRING)
    *name = g_strdup (json_node_get_string (s));
  else
    return FALSE;
  return TRUE;
}

static gboolean
load_file (HvStatsArchive  *self,
           const char      *file,
           gboolean         hours,
           gint64           oldest_us,
           GError         **error)
{
  g_autofree char *path = g_build_filename (self->dir, file, NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) local_error = NULL;
  char *line, *next;

  if (!g_file_get_contents (path, &text, NULL, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  _("Cannot read the stats archive: "));
      return FALSE;
    }
  for (line = text; line != NULL && *line != '\0'; line = next)
    {
      g_autofree char *name = NULL;
      Point point;

      next = strchr (line, '\n');
      if (next != NULL)
        *next++ = '\0';
      if (!parse_line (line, &name, &point) || point.start_us < oldest_us)
        continue;
      g_array_append_val (hours ? series_for (self, name)->hours : series_for (self, name)->minutes, point);
    }
  return TRUE;
}

/* The minutes after the last whole hour go back into the hour in progress. */
static void
refold_open_hour (HvStatsArchive *self,
                  Series         *series)
{
  g_autoptr(GString) ignored = g_string_new (NULL);
  gint64 covered = series->hours->len > 0
    ? g_array_index (series->hours, Point, series->hours->len - 1).start_us + HOUR_US
    : G_MININT64;

  for (guint i = 0; i < series->minutes->len; i++)
    {
      const Point *minute = &g_array_index (series->minutes, Point, i);

      if (minute->start_us >= covered)
        add_minute_to_hour (self, series, minute, ignored);
    }
  /* Hours closed here were written before the restart, or are rebuilt in memory and
     written with the rewrite below. */
}

gboolean
hv_stats_archive_load (HvStatsArchive  *self,
                       gint64           now_us,
                       GError         **error)
{
  GHashTableIter iter;
  Series *series;

  if (self->dir == NULL)
    return TRUE;
  if (!load_file (self, minutes_file (), FALSE, now_us - HV_STATS_ARCHIVE_MINUTES * MINUTE_US, error) ||
      !load_file (self, hours_file (), TRUE, now_us - HV_STATS_ARCHIVE_HOURS * HOUR_US, error))
    return FALSE;

  refold_open_hour (self, self->host);
  g_hash_table_iter_init (&iter, self->domains);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &series))
    refold_open_hour (self, series);

  return rewrite_file (self, minutes_file (), FALSE, error) &&
         rewrite_file (self, hours_file (), TRUE, error);
}

/* Reading */

gboolean
hv_stats_range_from_string (const char   *text,
                            HvStatsRange *range)
{
  if (g_strcmp0 (text, "1h") == 0)
    *range = HV_STATS_RANGE_HOUR;
  else if (g_strcmp0 (text, "24h") == 0)
    *range = HV_STATS_RANGE_DAY;
  else if (g_strcmp0 (text, "30d") == 0)
    *range = HV_STATS_RANGE_MONTH;
  else
    return FALSE;
  return TRUE;
}

static void
add_point (JsonBuilder *builder,
           const Point *point)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "time_us");
  json_builder_add_int_value (builder, point->start_us);
  for (guint i = 0; i < N_METRICS; i++)
    {
      if (isnan (point->avg[i]))
        continue;
      json_builder_set_member_name (builder, metric_names[i]);
      json_builder_begin_array (builder);
      json_builder_add_double_value (builder, point->avg[i]);
      json_builder_add_double_value (builder, point->max[i]);
      json_builder_end_array (builder);
    }
  json_builder_end_object (builder);
}

JsonNode *
hv_stats_archive_to_json (HvStatsArchive *self,
                          const char     *name,
                          HvStatsRange    range,
                          gint64          now_us)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  Series *series = name == NULL ? self->host : g_hash_table_lookup (self->domains, name);
  gboolean by_hour = range == HV_STATS_RANGE_MONTH;
  gint64 span = range == HV_STATS_RANGE_HOUR ? HOUR_US
              : range == HV_STATS_RANGE_DAY ? HV_STATS_ARCHIVE_MINUTES * MINUTE_US
              : HV_STATS_ARCHIVE_HOURS * HOUR_US;

  json_builder_begin_object (builder);
  domus_json_builder_add_string_or_null (builder, "name", name);
  json_builder_set_member_name (builder, "interval_s");
  json_builder_add_int_value (builder, by_hour ? 3600 : 60);
  json_builder_set_member_name (builder, "points");
  json_builder_begin_array (builder);
  if (series != NULL)
    {
      GArray *points = by_hour ? series->hours : series->minutes;
      const Bucket *open = by_hour ? &series->hour : &series->minute;

      for (guint i = 0; i < points->len; i++)
        {
          const Point *point = &g_array_index (points, Point, i);

          if (point->start_us >= now_us - span)
            add_point (builder, point);
        }
      if (!bucket_is_empty (open))
        {
          Point partial = bucket_to_point (open);
          add_point (builder, &partial);
        }
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* Life */

HvStatsArchive *
hv_stats_archive_new (const char *dir)
{
  HvStatsArchive *self = g_new0 (HvStatsArchive, 1);

  self->dir = g_strdup (dir);
  self->host = series_new (NULL);
  self->domains = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) series_free);
  return self;
}

void
hv_stats_archive_free (HvStatsArchive *self)
{
  if (self == NULL)
    return;
  series_free (self->host);
  g_hash_table_unref (self->domains);
  g_free (self->dir);
  g_free (self);
}
