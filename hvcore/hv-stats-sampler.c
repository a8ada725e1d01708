/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One sampling round: /proc for CPU and memory, QMP for disks, /sys for taps, then the ring. */

#include "config.h"

#include <string.h>

#include "domus-json-util.h"
#include "hv-proc-stats.h"
#include "hv-stats-sampler.h"

/* What the previous round saw of a domain, to turn CPU time into a share. */
typedef struct {
  gint64  id;
  guint64 cpu_time_ns;
  gint64  monotonic_us;
} CpuMark;

struct _HvStatsSampler
{
  GObject             parent_instance;

  HvStatsTargetsFunc  targets_func;
  gpointer            targets_data;
  guint               interval_ms;
  guint               timeout_id;
  HvStatsRing        *ring;
  GHashTable         *cpu_marks;     /* interned name → CpuMark */
  HvHostStats         last_host;
  gboolean            have_host;

  HvStatsSample      *round;         /* the sample being gathered; NULL between rounds */
  guint               round_pending; /* QMP answers still to come */
};

G_DEFINE_FINAL_TYPE (HvStatsSampler, hv_stats_sampler, G_TYPE_OBJECT)

enum {
  SIGNAL_SAMPLE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

void
hv_stats_target_free (HvStatsTarget *target)
{
  if (target == NULL)
    return;
  g_free (target->name);
  g_clear_object (&target->qmp);
  g_strfreev (target->tap_names);
  g_free (target);
}

static void
sample_host (HvStatsSampler *self,
             HvStatsSample  *sample)
{
  HvHostStats host;

  if (!hv_proc_stats_read_host (&host))
    return;
  sample->host_cpu_percent = -1;
  if (self->have_host && host.total_ticks > self->last_host.total_ticks)
    sample->host_cpu_percent = 100.0 * (double) (host.busy_ticks - self->last_host.busy_ticks) /
                               (double) (host.total_ticks - self->last_host.total_ticks);
  sample->host_memory_mib = (gint64) (host.mem_total_kib / 1024);
  sample->host_memory_used_mib = (gint64) ((host.mem_total_kib - host.mem_available_kib) / 1024);
  memcpy (sample->host_load, host.load, sizeof host.load);
  self->last_host = host;
  self->have_host = TRUE;
}

static double
cpu_percent_since_last (HvStatsSampler *self,
                        const char     *name,
                        gint64          id,
                        guint64         cpu_time_ns)
{
  gint64 now = g_get_monotonic_time ();
  CpuMark *mark = g_hash_table_lookup (self->cpu_marks, name);
  double percent = -1;

  if (mark == NULL)
    {
      mark = g_new0 (CpuMark, 1);
      g_hash_table_insert (self->cpu_marks, (gpointer) name, mark);
    }
  else if (mark->id == id && cpu_time_ns >= mark->cpu_time_ns && now > mark->monotonic_us)
    percent = 100.0 * (double) (cpu_time_ns - mark->cpu_time_ns) / 1000.0 /
              (double) (now - mark->monotonic_us);
  mark->id = id;
  mark->cpu_time_ns = cpu_time_ns;
  mark->monotonic_us = now;
  return percent;
}

static void
sample_taps (HvDomainSample      *domain,
             const char * const  *taps)
{
  domain->net_rx_bytes = -1;
  domain->net_tx_bytes = -1;
  for (guint i = 0; taps != NULL && taps[i] != NULL; i++)
    {
      guint64 rx, tx;

      if (!hv_proc_stats_read_net_device (taps[i], &rx, &tx))
        continue;
      /* What the host's tap receives, the guest sent. */
      domain->net_rx_bytes = MAX (domain->net_rx_bytes, 0) + (gint64) tx;
      domain->net_tx_bytes = MAX (domain->net_tx_bytes, 0) + (gint64) rx;
    }
}

static void
finish_round (HvStatsSampler *self)
{
  HvStatsSample *sample = g_steal_pointer (&self->round);

  hv_stats_ring_push (self->ring, sample);
  g_signal_emit (self, signals[SIGNAL_SAMPLE], 0, sample);
}

typedef struct {
  HvStatsSampler *sampler;
  guint           index;
} DiskRequest;

static void
add_blockstats (HvDomainSample *domain,
                JsonNode       *reply)
{
  JsonArray *devices = JSON_NODE_HOLDS_ARRAY (reply) ? json_node_get_array (reply) : NULL;

  for (guint i = 0; devices != NULL && i < json_array_get_length (devices); i++)
    {
      JsonObject *device = json_array_get_object_element (devices, i);
      JsonObject *stats = device != NULL ? domus_json_object_get_object (device, "stats") : NULL;

      if (stats == NULL)
        continue;
      domain->disk_rd_bytes += json_object_get_int_member_with_default (stats, "rd_bytes", 0);
      domain->disk_wr_bytes += json_object_get_int_member_with_default (stats, "wr_bytes", 0);
      domain->disk_rd_ops += json_object_get_int_member_with_default (stats, "rd_operations", 0);
      domain->disk_wr_ops += json_object_get_int_member_with_default (stats, "wr_operations", 0);
    }
}

static void
on_blockstats (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autofree DiskRequest *request = user_data;
  g_autoptr(HvStatsSampler) self = request->sampler;
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (source), result, NULL);

  /* A domain that went away meanwhile keeps zeros for its disks. */
  if (self->round == NULL)
    return;
  if (reply != NULL)
    add_blockstats (&self->round->domains[request->index], reply);
  if (--self->round_pending == 0)
    finish_round (self);
}

static void
sample_domain (HvStatsSampler      *self,
               HvStatsTarget       *target,
               guint                index)
{
  HvDomainSample *domain = &self->round->domains[index];
  HvProcessStats process;

  domain->name = g_intern_string (target->name);
  domain->id = target->id;
  domain->memory_mib = target->memory_mib;
  domain->vcpus = target->vcpus;
  domain->cpu_percent = -1;
  if (hv_proc_stats_read_process (target->pid, &process))
    {
      domain->cpu_time_ns = process.cpu_time_ns;
      domain->rss_mib = (guint32) (process.rss_bytes / (1024 * 1024));
      domain->cpu_percent = cpu_percent_since_last (self, domain->name, target->id, process.cpu_time_ns);
    }
  sample_taps (domain, (const char * const *) target->tap_names);

  if (target->qmp != NULL && !hv_qmp_is_closed (target->qmp))
    {
      DiskRequest *request = g_new0 (DiskRequest, 1);

      request->sampler = g_object_ref (self);
      request->index = index;
      self->round_pending++;
      hv_qmp_execute_async (target->qmp, "query-blockstats", NULL, NULL, on_blockstats, request);
    }
}

static gboolean
on_tick (gpointer user_data)
{
  HvStatsSampler *self = user_data;
  g_autoptr(GPtrArray) targets = NULL;

  /* QEMU slow to answer: skip a beat rather than pile rounds up. */
  if (self->round != NULL)
    return G_SOURCE_CONTINUE;

  targets = self->targets_func (self->targets_data);
  self->round = hv_stats_sample_new (targets->len);
  self->round->time_us = g_get_real_time ();
  sample_host (self, self->round);
  self->round_pending = 1;
  for (guint i = 0; i < targets->len; i++)
    sample_domain (self, g_ptr_array_index (targets, i), i);
  if (--self->round_pending == 0)
    finish_round (self);
  return G_SOURCE_CONTINUE;
}

static guint
capacity_for (guint interval_ms)
{
  return MAX (1, HV_STATS_HISTORY_SECONDS * 1000 / interval_ms);
}

void
hv_stats_sampler_start (HvStatsSampler *self)
{
  g_return_if_fail (HV_IS_STATS_SAMPLER (self));

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  self->timeout_id = g_timeout_add (self->interval_ms, on_tick, self);
  on_tick (self);
}

guint
hv_stats_sampler_get_interval (HvStatsSampler *self)
{
  g_return_val_if_fail (HV_IS_STATS_SAMPLER (self), 0);
  return self->interval_ms;
}

void
hv_stats_sampler_set_interval (HvStatsSampler *self,
                               guint           interval_ms)
{
  g_return_if_fail (HV_IS_STATS_SAMPLER (self));
  g_return_if_fail (interval_ms >= 100 && interval_ms <= 60000);

  self->interval_ms = interval_ms;
  hv_stats_ring_set_capacity (self->ring, capacity_for (interval_ms));
  if (self->timeout_id != 0)
    {
      g_source_remove (self->timeout_id);
      self->timeout_id = g_timeout_add (interval_ms, on_tick, self);
    }
}

HvStatsRing *
hv_stats_sampler_get_ring (HvStatsSampler *self)
{
  g_return_val_if_fail (HV_IS_STATS_SAMPLER (self), NULL);
  return self->ring;
}

double
hv_stats_sampler_get_cpu_percent (HvStatsSampler *self,
                                  const char     *name,
                                  gint64          id)
{
  const HvStatsSample *latest;

  g_return_val_if_fail (HV_IS_STATS_SAMPLER (self), -1);

  latest = hv_stats_ring_get_latest (self->ring);
  for (guint i = 0; latest != NULL && i < latest->n_domains; i++)
    if (latest->domains[i].id == id && g_str_equal (latest->domains[i].name, name))
      return latest->domains[i].cpu_percent;
  return -1;
}

static void
hv_stats_sampler_dispose (GObject *object)
{
  HvStatsSampler *self = HV_STATS_SAMPLER (object);

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  G_OBJECT_CLASS (hv_stats_sampler_parent_class)->dispose (object);
}

static void
hv_stats_sampler_finalize (GObject *object)
{
  HvStatsSampler *self = HV_STATS_SAMPLER (object);

  g_clear_pointer (&self->round, hv_stats_sample_free);
  g_clear_pointer (&self->ring, hv_stats_ring_free);
  g_hash_table_unref (self->cpu_marks);
  G_OBJECT_CLASS (hv_stats_sampler_parent_class)->finalize (object);
}

static void
hv_stats_sampler_class_init (HvStatsSamplerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hv_stats_sampler_dispose;
  object_class->finalize = hv_stats_sampler_finalize;

  signals[SIGNAL_SAMPLE] =
    g_signal_new ("sample", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
hv_stats_sampler_init (HvStatsSampler *self)
{
  self->cpu_marks = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
}

HvStatsSampler *
hv_stats_sampler_new (HvStatsTargetsFunc targets,
                      gpointer           user_data,
                      guint              interval_ms)
{
  HvStatsSampler *self;

  g_return_val_if_fail (targets != NULL, NULL);
  g_return_val_if_fail (interval_ms >= 100 && interval_ms <= 60000, NULL);

  self = g_object_new (HV_TYPE_STATS_SAMPLER, NULL);
  self->targets_func = targets;
  self->targets_data = user_data;
  self->interval_ms = interval_ms;
  self->ring = hv_stats_ring_new (capacity_for (interval_ms));
  return self;
}
