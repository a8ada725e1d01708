/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One domain of a host, as the daemon last described it, with its stats histories. */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "domus-domain.h"
#include "domus-host.h"

struct _DomusDomain
{
  GObject            parent_instance;

  DomusHost         *host;           /* weak pointer: the host owns us, not the other way */
  char              *name;
  gint64             id;
  DomusDomainState   state;
  char              *flags;
  gint64             memory_mib;
  gint64             vcpus;
  double             cpu_time;
  double             cpu_percent;
  gint64             rss_mib;
  double             disk_read_rate;
  double             disk_write_rate;
  double             net_rx_rate;
  double             net_tx_rate;
  gboolean           autostart;
  gboolean           template;
  GStrv              tags;             /* never NULL */
  char              *config;
  char              *error;

  DomusStatsHistory *histories[DOMUS_N_METRICS];

  /* The previous sample's totals, which the rates are computed from. */
  gboolean           have_totals;
  gint64             totals_time_us;
  gint64             totals_id;
  gint64             disk_rd_bytes;
  gint64             disk_wr_bytes;
  gint64             net_rx_bytes;   /* -1: the daemon sent null */
  gint64             net_tx_bytes;
};

G_DEFINE_FINAL_TYPE (DomusDomain, domus_domain, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_NAME,
  PROP_ID,
  PROP_STATE,
  PROP_FLAGS,
  PROP_MEMORY_MIB,
  PROP_VCPUS,
  PROP_CPU_TIME,
  PROP_CPU_PERCENT,
  PROP_RSS_MIB,
  PROP_DISK_READ_RATE,
  PROP_DISK_WRITE_RATE,
  PROP_NET_RX_RATE,
  PROP_NET_TX_RATE,
  PROP_AUTOSTART,
  PROP_TEMPLATE,
  PROP_TAGS,
  PROP_CONFIG,
  PROP_ERROR,
  PROP_HOST,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The state enum */

static const GEnumValue state_values[] = {
  /* The nicks are the protocol's strings. */
  { DOMUS_DOMAIN_STATE_RUNNING,  "DOMUS_DOMAIN_STATE_RUNNING",  "running" },
  { DOMUS_DOMAIN_STATE_BLOCKED,  "DOMUS_DOMAIN_STATE_BLOCKED",  "blocked" },
  { DOMUS_DOMAIN_STATE_PAUSED,   "DOMUS_DOMAIN_STATE_PAUSED",   "paused" },
  { DOMUS_DOMAIN_STATE_SHUTDOWN, "DOMUS_DOMAIN_STATE_SHUTDOWN", "shutdown" },
  { DOMUS_DOMAIN_STATE_CRASHED,  "DOMUS_DOMAIN_STATE_CRASHED",  "crashed" },
  { DOMUS_DOMAIN_STATE_DYING,    "DOMUS_DOMAIN_STATE_DYING",    "dying" },
  { DOMUS_DOMAIN_STATE_STARTING, "DOMUS_DOMAIN_STATE_STARTING", "starting" },
  { DOMUS_DOMAIN_STATE_SHUTOFF,  "DOMUS_DOMAIN_STATE_SHUTOFF",  "shutoff" },
  { DOMUS_DOMAIN_STATE_INCOMING, "DOMUS_DOMAIN_STATE_INCOMING", "incoming" },
  { DOMUS_DOMAIN_STATE_INVALID,  "DOMUS_DOMAIN_STATE_INVALID",  "invalid" },
  { 0, NULL, NULL }
};

GType
domus_domain_state_get_type (void)
{
  static gsize type_id = 0;

  if (g_once_init_enter (&type_id))
    g_once_init_leave (&type_id, g_enum_register_static (g_intern_static_string ("DomusDomainState"),
                                                         state_values));
  return type_id;
}

DomusDomainState
domus_domain_state_from_string (const char *state)
{
  for (guint i = 0; state != NULL && state_values[i].value_nick != NULL; i++)
    if (g_str_equal (state, state_values[i].value_nick))
      return state_values[i].value;
  return DOMUS_DOMAIN_STATE_INVALID;
}

const char *
domus_domain_state_to_string (DomusDomainState state)
{
  if ((guint) state < G_N_ELEMENTS (state_values) - 1)
    return state_values[state].value_nick;
  return "invalid";
}

/* The info struct */

DomusDomainInfo *
domus_domain_info_new (void)
{
  DomusDomainInfo *info = g_new0 (DomusDomainInfo, 1);

  info->id = -1;
  info->state = DOMUS_DOMAIN_STATE_INVALID;
  info->memory_mib = -1;
  info->vcpus = -1;
  info->cpu_time_ns = -1;
  info->tags = g_new0 (char *, 1);
  info->notices = g_new0 (char *, 1);
  return info;
}

void
domus_domain_info_free (DomusDomainInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->name);
  g_free (info->flags);
  g_strfreev (info->tags);
  g_strfreev (info->notices);
  g_free (info->config);
  g_free (info->error);
  g_free (info);
}

/* A QEMU process exists in these states: its figures mean something. */
static gboolean
state_is_active (DomusDomainState state)
{
  return state != DOMUS_DOMAIN_STATE_SHUTOFF && state != DOMUS_DOMAIN_STATE_INVALID;
}





/* Setters that notify only on a real change */

static void
set_int (DomusDomain *self,
         gint64      *field,
         gint64       value,
         guint        prop)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_double (DomusDomain *self,
            double      *field,
            double       value,
            guint        prop)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_string (DomusDomain *self,
            char       **field,
            const char  *value,
            guint        prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_state (DomusDomain      *self,
           DomusDomainState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
set_boolean (DomusDomain *self,
             gboolean    *field,
             gboolean     value,
             guint        prop)
{
  value = !!value;
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

/* An ended domain uses nothing; its next run's counters start from zero again. */
static void
reset_live_figures (DomusDomain *self)
{
  set_double (self, &self->cpu_percent, 0, PROP_CPU_PERCENT);
  set_int (self, &self->rss_mib, 0, PROP_RSS_MIB);
  set_double (self, &self->disk_read_rate, 0, PROP_DISK_READ_RATE);
  set_double (self, &self->disk_write_rate, 0, PROP_DISK_WRITE_RATE);
  set_double (self, &self->net_rx_rate, -1, PROP_NET_RX_RATE);
  set_double (self, &self->net_tx_rate, -1, PROP_NET_TX_RATE);
  self->have_totals = FALSE;
}

static void
set_tags (DomusDomain        *self,
          const char * const *tags)
{
  if (g_strv_equal (tags, (const char * const *) self->tags))
    return;
  g_strfreev (self->tags);
  self->tags = g_strdupv ((char **) tags);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TAGS]);
}

void
_domus_domain_update (DomusDomain           *self,
                      const DomusDomainInfo *info)
{
  DomusDomainInfoFields fields;

  g_return_if_fail (DOMUS_IS_DOMAIN (self));
  g_return_if_fail (info != NULL);

  fields = info->fields;
  g_object_freeze_notify (G_OBJECT (self));
  if (fields & DOMUS_DOMAIN_INFO_ID)
    set_int (self, &self->id, info->id, PROP_ID);
  if (fields & DOMUS_DOMAIN_INFO_STATE)
    set_state (self, info->state);
  if ((fields & DOMUS_DOMAIN_INFO_FLAGS) && info->flags != NULL)
    set_string (self, &self->flags, info->flags, PROP_FLAGS);
  if (!state_is_active (self->state))
    reset_live_figures (self);
  if (fields & DOMUS_DOMAIN_INFO_MEMORY)
    set_int (self, &self->memory_mib, info->memory_mib, PROP_MEMORY_MIB);
  if (fields & DOMUS_DOMAIN_INFO_VCPUS)
    set_int (self, &self->vcpus, info->vcpus, PROP_VCPUS);
  /* The exact integer, when there is one. */
  if (fields & DOMUS_DOMAIN_INFO_CPU_TIME)
    set_double (self, &self->cpu_time, info->cpu_time_ns >= 0 ? info->cpu_time_ns / 1e9 : info->cpu_time,
                PROP_CPU_TIME);
  if (fields & DOMUS_DOMAIN_INFO_AUTOSTART)
    set_boolean (self, &self->autostart, info->autostart, PROP_AUTOSTART);
  if (fields & DOMUS_DOMAIN_INFO_TEMPLATE)
    set_boolean (self, &self->template, info->template, PROP_TEMPLATE);
  if (fields & DOMUS_DOMAIN_INFO_TAGS)
    set_tags (self, (const char * const *) info->tags);
  if (fields & DOMUS_DOMAIN_INFO_CONFIG)
    set_string (self, &self->config, info->config, PROP_CONFIG);
  if (fields & DOMUS_DOMAIN_INFO_ERROR)
    set_string (self, &self->error, info->error, PROP_ERROR);
  g_object_thaw_notify (G_OBJECT (self));
}

/* Bytes per second between two totals; 0 when the counter went back (a new QEMU process). */
static double
rate (gint64 before,
      gint64 now,
      gint64 elapsed_us)
{
  if (now < before || elapsed_us <= 0)
    return 0;
  return (double) (now - before) * G_USEC_PER_SEC / elapsed_us;
}

static void
push_newer (DomusStatsHistory *history,
            gint64             time_us,
            double             value)
{
  gint64 latest_us;

  /* After a reconnect stats.get repeats points we have already. */
  if (domus_stats_history_get_latest (history, &latest_us, NULL) && time_us <= latest_us)
    return;
  domus_stats_history_push (history, time_us, value);
}

void
_domus_domain_apply_sample (DomusDomain             *self,
                            gint64                   time_us,
                            const DomusDomainSample *sample)
{
  gint64 rx, tx;
  gboolean have_previous;
  double read_rate = 0, write_rate = 0, rx_rate = -1, tx_rate = -1;

  g_return_if_fail (DOMUS_IS_DOMAIN (self));
  g_return_if_fail (sample != NULL);

  /* A sample older than the last one (stats.get after a reconnect) adds nothing. */
  if (self->have_totals && time_us <= self->totals_time_us)
    return;

  rx = sample->net_rx_bytes;
  tx = sample->net_tx_bytes;
  have_previous = self->have_totals && self->totals_id == sample->id;

  if (have_previous)
    {
      gint64 elapsed_us = time_us - self->totals_time_us;

      read_rate = rate (self->disk_rd_bytes, sample->disk_rd_bytes, elapsed_us);
      write_rate = rate (self->disk_wr_bytes, sample->disk_wr_bytes, elapsed_us);
      if (rx >= 0)
        rx_rate = self->net_rx_bytes >= 0 ? rate (self->net_rx_bytes, rx, elapsed_us) : 0;
      if (tx >= 0)
        tx_rate = self->net_tx_bytes >= 0 ? rate (self->net_tx_bytes, tx, elapsed_us) : 0;
    }
  else
    {
      /* The first sample of a run: no rate yet. */
      rx_rate = rx >= 0 ? 0 : -1;
      tx_rate = tx >= 0 ? 0 : -1;
    }

  self->have_totals = TRUE;
  self->totals_time_us = time_us;
  self->totals_id = sample->id;
  self->disk_rd_bytes = sample->disk_rd_bytes;
  self->disk_wr_bytes = sample->disk_wr_bytes;
  self->net_rx_bytes = rx;
  self->net_tx_bytes = tx;

  g_object_freeze_notify (G_OBJECT (self));
  set_double (self, &self->cpu_percent, sample->cpu_percent, PROP_CPU_PERCENT);
  if (sample->cpu_time_ns >= 0)
    set_double (self, &self->cpu_time, sample->cpu_time_ns / 1e9, PROP_CPU_TIME);
  set_int (self, &self->rss_mib, sample->rss_mib, PROP_RSS_MIB);
  set_double (self, &self->disk_read_rate, read_rate, PROP_DISK_READ_RATE);
  set_double (self, &self->disk_write_rate, write_rate, PROP_DISK_WRITE_RATE);
  set_double (self, &self->net_rx_rate, rx_rate, PROP_NET_RX_RATE);
  set_double (self, &self->net_tx_rate, tx_rate, PROP_NET_TX_RATE);
  g_object_thaw_notify (G_OBJECT (self));

  push_newer (self->histories[DOMUS_METRIC_CPU_PERCENT], time_us, self->cpu_percent);
  push_newer (self->histories[DOMUS_METRIC_MEMORY], time_us, self->rss_mib);
  push_newer (self->histories[DOMUS_METRIC_DISK_READ_RATE], time_us, read_rate);
  push_newer (self->histories[DOMUS_METRIC_DISK_WRITE_RATE], time_us, write_rate);
  /* A graph of "unknown" as zero would lie: no point at all instead. */
  if (rx_rate >= 0)
    push_newer (self->histories[DOMUS_METRIC_NET_RX_RATE], time_us, rx_rate);
  if (tx_rate >= 0)
    push_newer (self->histories[DOMUS_METRIC_NET_TX_RATE], time_us, tx_rate);
}

void
_domus_domain_set_history_capacity (DomusDomain *self,
                                    guint        capacity)
{
  g_return_if_fail (DOMUS_IS_DOMAIN (self));

  for (guint i = 0; i < DOMUS_N_METRICS; i++)
    domus_stats_history_set_capacity (self->histories[i], capacity);
}

void
_domus_domain_forget_host (DomusDomain *self)
{
  g_return_if_fail (DOMUS_IS_DOMAIN (self));

  g_clear_weak_pointer (&self->host);
}

DomusDomain *
_domus_domain_new (DomusHost  *host,
                   const char *name,
                   guint       history_capacity)
{
  DomusDomain *self;

  g_return_val_if_fail (DOMUS_IS_HOST (host), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  self = g_object_new (DOMUS_TYPE_DOMAIN, NULL);
  self->name = g_strdup (name);
  g_set_weak_pointer (&self->host, host);
  _domus_domain_set_history_capacity (self, history_capacity);
  return self;
}

/* Getters */

const char *
domus_domain_get_name (DomusDomain *self)
{
  g_return_val_if_fail (DOMUS_IS_DOMAIN (self), NULL);
  return self->name;
}

gint64
domus_domain_get_id (DomusDomain *self)
{
  g_return_val_if_fail (DOMUS_IS_DOMAIN (self), -1);
  return self->id;
}

DomusDomainState
domus_domain_get_state (DomusDomain *self)
{
  g_return_val_if_fail (DOMUS_IS_DOMAIN (self), DOMUS_DOMAIN_STATE_INVALID);
  return self->state;
}

const char *
domus_domain_get_flags (DomusDomain *self)
{
  g_return_val_if_fail (DOMUS_IS_DOMAIN (self), NULL);
  return self->flags;
}

gint64
domus_domain_get_memory_mib (DomusDomain *self)
{
  g_return_val_if_fail (DOMUS_IS_DOMAIN (self), -1);
  return self->memory_mib;
}

gint64
domus_domain_get_vcpus (DomusDomain *self)
{
  g_return_val_if_fail (DOMUS_IS_DOMAIN (self), -1);
  return self->vcpus;
}

double
domus_domain_get_cpu_time (DomusDomain *self)
{
  g_return_val_if_fail (DOMUS_IS_DOMAIN (self), 0);
  return self->cpu_time;
}

double
domus_domain_get_cpu_percent (DomusDomain *self)
{
  g_return_val_if_fail (DOMUS_IS_DOMAIN (self), 0);
  return self->cpu_percent;
}

gint64
domus_domain_get_rss_mib (DomusDomain *self)
{
  g_return_val_if_fail (DOMUS_IS_DOMAIN (self), 0);
  return self->rss_mib;
}

double
domus_domain_get_disk_read_rate (DomusDomain *self)
{
  g_return_val_if_fail (DOMUS_IS_DOMAIN (self), 0);
  return self->disk_read_rate;
}

double
domus_domain_get_disk_write_rate (DomusDomain *self)
{
  g_return_val_if_fail (DOMUS_IS_DOMAIN (self), 0);
  return self->disk_write_rate;
}

double
domus_domain_get_net_rx_rate (DomusDomain *self)
{
  g_return_val_if_fail (DOMUS_IS_DOMAIN (self), -1);
  return self->net_rx_rate;
}

double
domus_domain_get_net_tx_rate (DomusDomain *self)
{
  g_return_val_if_fail (DOMUS_IS_DOMAIN (self), -1);
  return self->net_tx_rate;
}

const char * const *
domus_domain_get_tags (DomusDomain *self)
{
  g_return_val_if_fail (DOMUS_IS_DOMAIN (self), NULL);
  return (const char * const *) self->tags;
}

gboolean
domus_domain_has_tag (DomusDomain *self,
                      const char  *tag)
{
  g_return_val_if_fail (DOMUS_IS_DOMAIN (self), FALSE);
  return tag != NULL && g_strv_contains ((const char * const *) self->tags, tag);
}

gboolean
domus_domain_get_autostart (DomusDomain *self)
{
  g_return_val_if_fail (DOMUS_IS_DOMAIN (self), FALSE);
  return self->autostart;
}

gboolean
domus_domain_get_template (DomusDomain *self)
{
  g_return_val_if_fail (DOMUS_IS_DOMAIN (self), FALSE);
  return self->template;
}

const char *
domus_domain_get_config (DomusDomain *self)
{
  g_return_val_if_fail (DOMUS_IS_DOMAIN (self), NULL);
  return self->config;
}

const char *
domus_domain_get_error (DomusDomain *self)
{
  g_return_val_if_fail (DOMUS_IS_DOMAIN (self), NULL);
  return self->error;
}

DomusHost *
domus_domain_get_host (DomusDomain *self)
{
  g_return_val_if_fail (DOMUS_IS_DOMAIN (self), NULL);
  return self->host;
}

DomusStatsHistory *
domus_domain_get_history (DomusDomain *self,
                          DomusMetric  metric)
{
  g_return_val_if_fail (DOMUS_IS_DOMAIN (self), NULL);
  g_return_val_if_fail ((guint) metric < DOMUS_N_METRICS, NULL);
  return self->histories[metric];
}

/* GObject */

static void
domus_domain_finalize (GObject *object)
{
  DomusDomain *self = DOMUS_DOMAIN (object);

  g_clear_weak_pointer (&self->host);
  g_free (self->name);
  g_free (self->flags);
  g_free (self->config);
  g_strfreev (self->tags);
  g_free (self->error);
  for (guint i = 0; i < DOMUS_N_METRICS; i++)
    g_clear_pointer (&self->histories[i], domus_stats_history_unref);

  G_OBJECT_CLASS (domus_domain_parent_class)->finalize (object);
}

static void
domus_domain_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  DomusDomain *self = DOMUS_DOMAIN (object);

  switch (prop_id)
    {
    case PROP_NAME:            g_value_set_string (value, self->name); break;
    case PROP_ID:              g_value_set_int64 (value, self->id); break;
    case PROP_STATE:           g_value_set_enum (value, self->state); break;
    case PROP_FLAGS:           g_value_set_string (value, self->flags); break;
    case PROP_MEMORY_MIB:      g_value_set_int64 (value, self->memory_mib); break;
    case PROP_VCPUS:           g_value_set_int64 (value, self->vcpus); break;
    case PROP_CPU_TIME:        g_value_set_double (value, self->cpu_time); break;
    case PROP_CPU_PERCENT:     g_value_set_double (value, self->cpu_percent); break;
    case PROP_RSS_MIB:         g_value_set_int64 (value, self->rss_mib); break;
    case PROP_DISK_READ_RATE:  g_value_set_double (value, self->disk_read_rate); break;
    case PROP_DISK_WRITE_RATE: g_value_set_double (value, self->disk_write_rate); break;
    case PROP_NET_RX_RATE:     g_value_set_double (value, self->net_rx_rate); break;
    case PROP_NET_TX_RATE:     g_value_set_double (value, self->net_tx_rate); break;
    case PROP_AUTOSTART:       g_value_set_boolean (value, self->autostart); break;
    case PROP_TEMPLATE:        g_value_set_boolean (value, self->template); break;
    case PROP_TAGS:            g_value_set_boxed (value, self->tags); break;
    case PROP_CONFIG:          g_value_set_string (value, self->config); break;
    case PROP_ERROR:           g_value_set_string (value, self->error); break;
    case PROP_HOST:            g_value_set_object (value, self->host); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_domain_class_init (DomusDomainClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = domus_domain_finalize;
  object_class->get_property = domus_domain_get_property;

  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_ID] =
    g_param_spec_int64 ("id", NULL, NULL, -1, G_MAXINT64, -1, flags);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, DOMUS_TYPE_DOMAIN_STATE, DOMUS_DOMAIN_STATE_SHUTOFF, flags);
  properties[PROP_FLAGS] =
    g_param_spec_string ("flags", NULL, NULL, "------", flags);
  properties[PROP_MEMORY_MIB] =
    g_param_spec_int64 ("memory-mib", NULL, NULL, -1, G_MAXINT64, -1, flags);
  properties[PROP_VCPUS] =
    g_param_spec_int64 ("vcpus", NULL, NULL, -1, G_MAXINT64, -1, flags);
  properties[PROP_CPU_TIME] =
    g_param_spec_double ("cpu-time", NULL, NULL, 0, G_MAXDOUBLE, 0, flags);
  properties[PROP_CPU_PERCENT] =
    g_param_spec_double ("cpu-percent", NULL, NULL, 0, G_MAXDOUBLE, 0, flags);
  properties[PROP_RSS_MIB] =
    g_param_spec_int64 ("rss-mib", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_DISK_READ_RATE] =
    g_param_spec_double ("disk-read-rate", NULL, NULL, 0, G_MAXDOUBLE, 0, flags);
  properties[PROP_DISK_WRITE_RATE] =
    g_param_spec_double ("disk-write-rate", NULL, NULL, 0, G_MAXDOUBLE, 0, flags);
  properties[PROP_NET_RX_RATE] =
    g_param_spec_double ("net-rx-rate", NULL, NULL, -1, G_MAXDOUBLE, -1, flags);
  properties[PROP_NET_TX_RATE] =
    g_param_spec_double ("net-tx-rate", NULL, NULL, -1, G_MAXDOUBLE, -1, flags);
  properties[PROP_AUTOSTART] =
    g_param_spec_boolean ("autostart", NULL, NULL, FALSE, flags);
  properties[PROP_TEMPLATE] =
    g_param_spec_boolean ("template", NULL, NULL, FALSE, flags);
  properties[PROP_TAGS] =
    g_param_spec_boxed ("tags", NULL, NULL, G_TYPE_STRV, flags);
  properties[PROP_CONFIG] =
    g_param_spec_string ("config", NULL, NULL, NULL, flags);
  properties[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL, flags);
  properties[PROP_HOST] =
    g_param_spec_object ("host", NULL, NULL, DOMUS_TYPE_HOST, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
domus_domain_init (DomusDomain *self)
{
  self->id = -1;
  self->state = DOMUS_DOMAIN_STATE_SHUTOFF;
  self->flags = g_strdup ("------");
  self->tags = g_new0 (char *, 1);
  self->memory_mib = -1;
  self->vcpus = -1;
  self->net_rx_rate = -1;
  self->net_tx_rate = -1;
  for (guint i = 0; i < DOMUS_N_METRICS; i++)
    self->histories[i] = domus_stats_history_new (1);
}
