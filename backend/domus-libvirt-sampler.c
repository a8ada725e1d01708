/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A libvirt host's figures once a second. One virConnectGetAllDomainStats call reads every
 * running domain (state, CPU time, balloon, disks, interfaces) and two node calls the
 * host's CPU and memory, all on the connection's thread; rates and percentages are worked
 * out here on the main context from consecutive samples, as domusd does for its own.
 */

#include "config.h"

#include <string.h>

#include "domus-libvirt.h"
#include "domus-libvirt-domains.h"
#include "domus-libvirt-sampler.h"

/* Samples */

static void
domain_sample_free (DomusLibvirtDomainSample *sample)
{
  g_free (sample->uuid);
  g_free (sample->name);
  g_free (sample);
}

static DomusLibvirtDomainSample *
domain_sample_copy (const DomusLibvirtDomainSample *sample)
{
  DomusLibvirtDomainSample *copy = g_memdup2 (sample, sizeof *sample);

  copy->uuid = g_strdup (sample->uuid);
  copy->name = g_strdup (sample->name);
  return copy;
}

static DomusLibvirtSample *
sample_new (void)
{
  DomusLibvirtSample *sample = g_new0 (DomusLibvirtSample, 1);

  sample->host_cpu_percent = -1;
  sample->host_memory_mib = -1;
  sample->host_memory_used_mib = -1;
  sample->domains = g_ptr_array_new_with_free_func ((GDestroyNotify) domain_sample_free);
  return sample;
}

DomusLibvirtSample *
domus_libvirt_sample_copy (const DomusLibvirtSample *sample)
{
  DomusLibvirtSample *copy;

  g_return_val_if_fail (sample != NULL, NULL);
  copy = sample_new ();
  copy->time_us = sample->time_us;
  copy->host_cpus = sample->host_cpus;
  copy->host_cpu_percent = sample->host_cpu_percent;
  copy->host_memory_mib = sample->host_memory_mib;
  copy->host_memory_used_mib = sample->host_memory_used_mib;
  for (guint i = 0; i < sample->domains->len; i++)
    g_ptr_array_add (copy->domains, domain_sample_copy (g_ptr_array_index (sample->domains, i)));
  return copy;
}

void
domus_libvirt_sample_free (DomusLibvirtSample *sample)
{
  if (sample == NULL)
    return;
  g_ptr_array_unref (sample->domains);
  g_free (sample);
}

G_DEFINE_BOXED_TYPE (DomusLibvirtSample, domus_libvirt_sample,
                     domus_libvirt_sample_copy, domus_libvirt_sample_free)

const DomusLibvirtDomainSample *
domus_libvirt_sample_lookup (const DomusLibvirtSample *sample,
                             const char               *name)
{
  g_return_val_if_fail (sample != NULL, NULL);
  for (guint i = 0; i < sample->domains->len; i++)
    {
      const DomusLibvirtDomainSample *domain = g_ptr_array_index (sample->domains, i);

      if (g_strcmp0 (domain->name, name) == 0)
        return domain;
    }
  return NULL;
}

/* Reading (on the connection's thread) */

/* What one call brings back, before the rates are worked out. */
typedef struct {
  DomusLibvirtSample *sample;
  gint64              monotonic_us;
  gint64              host_cpu_busy_ns;   /* -1 unknown */
  gint64              host_cpu_total_ns;
} Reading;

static void
reading_free (Reading *reading)
{
  domus_libvirt_sample_free (reading->sample);
  g_free (reading);
}

static void
read_host_cpu (virConnectPtr  conn,
               Reading       *reading)
{
  g_autofree virNodeCPUStatsPtr params = NULL;
  int n = 0;
  guint64 total = 0, idle = 0;

  reading->host_cpu_busy_ns = -1;
  if (virNodeGetCPUStats (conn, VIR_NODE_CPU_STATS_ALL_CPUS, NULL, &n, 0) < 0 || n <= 0)
    return;
  params = g_new0 (virNodeCPUStats, n);
  if (virNodeGetCPUStats (conn, VIR_NODE_CPU_STATS_ALL_CPUS, params, &n, 0) < 0)
    return;
  for (int i = 0; i < n; i++)
    {
      total += params[i].value;
      if (strcmp (params[i].field, VIR_NODE_CPU_STATS_IDLE) == 0 ||
          strcmp (params[i].field, VIR_NODE_CPU_STATS_IOWAIT) == 0)
        idle += params[i].value;
    }
  reading->host_cpu_total_ns = (gint64) total;
  reading->host_cpu_busy_ns = (gint64) (total - idle);
}

static void
read_host_memory (virConnectPtr       conn,
                  DomusLibvirtSample *sample)
{
  g_autofree virNodeMemoryStatsPtr params = NULL;
  virNodeInfo info;
  int n = 0;
  gint64 total = -1, unused = 0;

  if (virNodeGetInfo (conn, &info) == 0)
    {
      sample->host_cpus = info.cpus;
      sample->host_memory_mib = (gint64) (info.memory / 1024);
    }
  if (virNodeGetMemoryStats (conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, NULL, &n, 0) < 0 || n <= 0)
    return;
  params = g_new0 (virNodeMemoryStats, n);
  if (virNodeGetMemoryStats (conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, params, &n, 0) < 0)
    return;
  /* Used as `free` counts it: what is neither free nor page cache nor buffers. */
  for (int i = 0; i < n; i++)
    {
      if (strcmp (params[i].field, VIR_NODE_MEMORY_STATS_TOTAL) == 0)
        total = (gint64) params[i].value;
      else if (strcmp (params[i].field, VIR_NODE_MEMORY_STATS_FREE) == 0 ||
               strcmp (params[i].field, VIR_NODE_MEMORY_STATS_BUFFERS) == 0 ||
               strcmp (params[i].field, VIR_NODE_MEMORY_STATS_CACHED) == 0)
        unused += (gint64) params[i].value;
    }
  if (total >= 0)
    {
      sample->host_memory_mib = total / 1024;
      sample->host_memory_used_mib = (total - unused) / 1024;
    }
}

/* block.N.rd.bytes and the like: the sum over N, or -1 when there is no such member. */
static gint64
sum_of (virTypedParameterPtr params,
        int                  n,
        const char          *prefix,
        const char          *suffix)
{
  gint64 sum = -1;

  for (int i = 0; i < n; i++)
    if (g_str_has_prefix (params[i].field, prefix) && g_str_has_suffix (params[i].field, suffix) &&
        params[i].type == VIR_TYPED_PARAM_ULLONG)
      sum = (sum < 0 ? 0 : sum) + (gint64) params[i].value.ul;
  return sum;
}

static gint64
ullong_of (virTypedParameterPtr params,
           int                  n,
           const char          *name)
{
  unsigned long long value;

  return virTypedParamsGetULLong (params, n, name, &value) == 1 ? (gint64) value : -1;
}

static DomusLibvirtDomainSample *
domain_sample_from (virDomainStatsRecordPtr record)
{
  DomusLibvirtDomainSample *sample = g_new0 (DomusLibvirtDomainSample, 1);
  char uuid[VIR_UUID_STRING_BUFLEN];
  unsigned int id = virDomainGetID (record->dom);
  int state = VIR_DOMAIN_NOSTATE, reason = 0;
  gint64 kib;

  if (virDomainGetUUIDString (record->dom, uuid) == 0)
    sample->uuid = g_strdup (uuid);
  sample->name = g_strdup (virDomainGetName (record->dom));
  sample->id = id == (unsigned int) -1 ? -1 : (gint64) id;
  virTypedParamsGetInt (record->params, record->nparams, "state.state", &state);
  virTypedParamsGetInt (record->params, record->nparams, "state.reason", &reason);
  sample->state = domus_libvirt_state_from_vir (state, reason);
  sample->cpu_time_ns = ullong_of (record->params, record->nparams, "cpu.time");
  sample->cpu_percent = -1;
  kib = ullong_of (record->params, record->nparams, "balloon.rss");
  sample->rss_mib = kib >= 0 ? kib / 1024 : -1;
  kib = ullong_of (record->params, record->nparams, "balloon.current");
  sample->balloon_mib = kib >= 0 ? kib / 1024 : -1;
  sample->disk_rd_bytes = sum_of (record->params, record->nparams, "block.", ".rd.bytes");
  sample->disk_wr_bytes = sum_of (record->params, record->nparams, "block.", ".wr.bytes");
  sample->net_rx_bytes = sum_of (record->params, record->nparams, "net.", ".rx.bytes");
  sample->net_tx_bytes = sum_of (record->params, record->nparams, "net.", ".tx.bytes");
  return sample;
}

static int
get_all_stats (virConnectPtr              conn,
               virDomainStatsRecordPtr  **records)
{
  unsigned int groups = VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL |
                        VIR_DOMAIN_STATS_BALLOON | VIR_DOMAIN_STATS_BLOCK |
                        VIR_DOMAIN_STATS_INTERFACE;
  unsigned int flags = VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE;
  virErrorPtr error;
  int n;

  /* NOWAIT: a domain busy with a job (a migration) reports what it can at once instead
   * of holding the whole sample up. Drivers that do not know the flag refuse it. */
  n = virConnectGetAllDomainStats (conn, groups, records, flags | VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT);
  if (n >= 0)
    return n;
  error = virGetLastError ();
  if (error == NULL || error->code != VIR_ERR_INVALID_ARG)
    return n;
  return virConnectGetAllDomainStats (conn, groups, records, flags);
}

static void
sample_work (DomusLibvirtReply *reply,
             virConnectPtr      conn,
             gpointer           task_data,
             GCancellable      *cancellable)
{
  Reading *reading = g_new0 (Reading, 1);
  virDomainStatsRecordPtr *records = NULL;
  GError *error = NULL;
  int n;

  reading->sample = sample_new ();
  reading->sample->time_us = g_get_real_time ();
  reading->monotonic_us = g_get_monotonic_time ();
  n = get_all_stats (conn, &records);
  if (n < 0)
    {
      domus_libvirt_set_error (&error, DOMUS_ERROR_FAILED);
      reading_free (reading);
      domus_libvirt_reply_error (reply, error);
      return;
    }
  for (int i = 0; i < n; i++)
    g_ptr_array_add (reading->sample->domains, domain_sample_from (records[i]));
  virDomainStatsRecordListFree (records);
  read_host_cpu (conn, reading);
  read_host_memory (conn, reading->sample);
  /* The node calls are optional: a driver without them leaves -1 behind, not an error. */
  virResetLastError ();
  domus_libvirt_reply_pointer (reply, reading, (GDestroyNotify) reading_free);
}

/* The sampler (main context) */

typedef struct {
  gint64 id;
  gint64 cpu_time_ns;
  gint64 monotonic_us;
} Previous;

struct _DomusLibvirtSampler
{
  GObject                 parent_instance;

  DomusLibvirtConnection *connection;
  guint                   interval_ms;
  guint                   timer;
  gboolean                in_flight;
  guint                   skipped;
  GHashTable             *previous;     /* uuid → Previous */
  gint64                  host_busy_ns;
  gint64                  host_total_ns;
};

G_DEFINE_FINAL_TYPE (DomusLibvirtSampler, domus_libvirt_sampler, G_TYPE_OBJECT)

enum {
  SIGNAL_SAMPLE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
work_out_domain (DomusLibvirtSampler      *self,
                 DomusLibvirtDomainSample *domain,
                 gint64                    monotonic_us,
                 GHashTable               *seen)
{
  Previous *previous;

  if (domain->uuid == NULL || domain->cpu_time_ns < 0)
    return;
  previous = g_hash_table_lookup (self->previous, domain->uuid);
  if (previous != NULL && previous->id == domain->id && monotonic_us > previous->monotonic_us)
    domain->cpu_percent = MAX (0.0, (double) (domain->cpu_time_ns - previous->cpu_time_ns) /
                                    ((double) (monotonic_us - previous->monotonic_us) * 1000.0) * 100.0);
  if (previous == NULL)
    {
      previous = g_new0 (Previous, 1);
      g_hash_table_insert (self->previous, g_strdup (domain->uuid), previous);
    }
  previous->id = domain->id;
  previous->cpu_time_ns = domain->cpu_time_ns;
  previous->monotonic_us = monotonic_us;
  g_hash_table_add (seen, domain->uuid);
}

static void
work_out (DomusLibvirtSampler *self,
          Reading             *reading)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer key;

  for (guint i = 0; i < reading->sample->domains->len; i++)
    work_out_domain (self, g_ptr_array_index (reading->sample->domains, i), reading->monotonic_us, seen);
  /* Domains that stopped start afresh when they run again. */
  g_hash_table_iter_init (&iter, self->previous);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (seen, key))
      g_hash_table_iter_remove (&iter);

  if (reading->host_cpu_busy_ns >= 0 && self->host_total_ns > 0 &&
      reading->host_cpu_total_ns > self->host_total_ns)
    reading->sample->host_cpu_percent =
      CLAMP ((double) (reading->host_cpu_busy_ns - self->host_busy_ns) /
             (double) (reading->host_cpu_total_ns - self->host_total_ns) * 100.0, 0.0, 100.0);
  if (reading->host_cpu_busy_ns >= 0)
    {
      self->host_busy_ns = reading->host_cpu_busy_ns;
      self->host_total_ns = reading->host_cpu_total_ns;
    }
}

static void
on_sampled (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  DomusLibvirtSampler *self = DOMUS_LIBVIRT_SAMPLER (source);
  g_autoptr(GError) error = NULL;
  Reading *reading = g_task_propagate_pointer (G_TASK (result), &error);

  self->in_flight = FALSE;
  if (reading == NULL)
    {
      g_debug ("a libvirt sample failed: %s", error->message);
      return;
    }
  work_out (self, reading);
  if (self->timer != 0)
    g_signal_emit (self, signals[SIGNAL_SAMPLE], 0, reading->sample);
  reading_free (reading);
}

static void
sample_now (DomusLibvirtSampler *self)
{
  g_autoptr(GTask) task = NULL;

  if (self->in_flight)
    {
      self->skipped++;
      return;
    }
  self->in_flight = TRUE;
  task = g_task_new (self, NULL, on_sampled, NULL);
  g_task_set_source_tag (task, sample_now);
  domus_libvirt_connection_run (self->connection, task, sample_work);
}

static gboolean
on_tick (gpointer user_data)
{
  sample_now (user_data);
  return G_SOURCE_CONTINUE;
}

void
domus_libvirt_sampler_start (DomusLibvirtSampler *self)
{
  g_return_if_fail (DOMUS_IS_LIBVIRT_SAMPLER (self));

  if (self->timer != 0)
    return;
  self->timer = g_timeout_add (self->interval_ms, on_tick, self);
  sample_now (self);
}

void
domus_libvirt_sampler_stop (DomusLibvirtSampler *self)
{
  g_return_if_fail (DOMUS_IS_LIBVIRT_SAMPLER (self));

  g_clear_handle_id (&self->timer, g_source_remove);
}

guint
domus_libvirt_sampler_get_skipped (DomusLibvirtSampler *self)
{
  g_return_val_if_fail (DOMUS_IS_LIBVIRT_SAMPLER (self), 0);
  return self->skipped;
}

static void
domus_libvirt_sampler_dispose (GObject *object)
{
  DomusLibvirtSampler *self = DOMUS_LIBVIRT_SAMPLER (object);

  g_clear_handle_id (&self->timer, g_source_remove);
  g_clear_object (&self->connection);
  G_OBJECT_CLASS (domus_libvirt_sampler_parent_class)->dispose (object);
}

static void
domus_libvirt_sampler_finalize (GObject *object)
{
  DomusLibvirtSampler *self = DOMUS_LIBVIRT_SAMPLER (object);

  g_hash_table_unref (self->previous);
  G_OBJECT_CLASS (domus_libvirt_sampler_parent_class)->finalize (object);
}

static void
domus_libvirt_sampler_class_init (DomusLibvirtSamplerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = domus_libvirt_sampler_dispose;
  object_class->finalize = domus_libvirt_sampler_finalize;

  signals[SIGNAL_SAMPLE] =
    g_signal_new ("sample", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, DOMUS_TYPE_LIBVIRT_SAMPLE | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
domus_libvirt_sampler_init (DomusLibvirtSampler *self)
{
  self->previous = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->host_busy_ns = -1;
}

DomusLibvirtSampler *
domus_libvirt_sampler_new (DomusLibvirtConnection *connection,
                           guint                   interval_ms)
{
  DomusLibvirtSampler *self;

  g_return_val_if_fail (DOMUS_IS_LIBVIRT_CONNECTION (connection), NULL);
  g_return_val_if_fail (interval_ms > 0, NULL);

  self = g_object_new (DOMUS_TYPE_LIBVIRT_SAMPLER, NULL);
  self->connection = g_object_ref (connection);
  self->interval_ms = interval_ms;
  return self;
}
