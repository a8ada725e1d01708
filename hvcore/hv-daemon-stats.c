/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The stats.* methods: history for late-comers, samples for subscribers, the interval. */

#include "config.h"

#include <inttypes.h>

#include <glib/gi18n-lib.h>

#include "hv-daemon-private.h"

static GPtrArray *
collect_targets (gpointer user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(GPtrArray) active = hv_host_dup_active (self->host);
  GPtrArray *targets = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_stats_target_free);

  for (guint i = 0; i < active->len; i++)
    {
      HvDomain *domain = g_ptr_array_index (active, i);
      const HvDomainSpec *spec = hv_domain_get_spec (domain);
      HvStatsTarget *target;

      /* A domain still starting or being cleaned up has nothing to measure yet. */
      if (hv_domain_get_pid (domain) <= 0 || hv_domain_get_qmp (domain) == NULL)
        continue;
      target = g_new0 (HvStatsTarget, 1);
      target->name = g_strdup (hv_domain_get_name (domain));
      target->id = hv_domain_get_id (domain);
      target->pid = hv_domain_get_pid (domain);
      target->qmp = g_object_ref (hv_domain_get_qmp (domain));
      target->tap_names = g_strdupv ((char **) hv_domain_get_tap_names (domain));
      target->memory_mib = spec != NULL ? spec->memory_mib : 0;
      target->vcpus = spec != NULL ? spec->vcpus : 0;
      g_ptr_array_add (targets, target);
    }
  return targets;
}

static void
on_sample (HvStatsSampler *sampler,
           gpointer        sample,
           gpointer        user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(JsonNode) params = NULL;

  hv_stats_archive_add (self->archive, sample);
  /* Turned into JSON only when somebody listens. */
  if (self->stats_subscribers->len == 0)
    return;
  params = hv_stats_sample_to_json (sample);
  for (guint i = 0; i < self->stats_subscribers->len; )
    {
      HvRpcPeer *peer = g_ptr_array_index (self->stats_subscribers, i);

      if (hv_rpc_peer_is_closed (peer))
        {
          g_ptr_array_remove_index_fast (self->stats_subscribers, i);
          continue;
        }
      hv_rpc_peer_notify (peer, "stats.sample", params);
      i++;
    }
}

void
hv_daemon_start_stats (HvDaemon *self)
{
  g_autoptr(GError) error = NULL;

  self->archive = hv_stats_archive_new (self->paths->stats_dir);
  /* Without last week's history the daemon is still worth running: say so, carry on. */
  if (!hv_stats_archive_load (self->archive, g_get_real_time (), &error))
    g_message ("%s", error->message);
  self->sampler = hv_stats_sampler_new (collect_targets, self, self->options.stats_interval_ms);
  g_signal_connect_object (self->sampler, "sample", G_CALLBACK (on_sample), self, 0);
  hv_stats_sampler_start (self->sampler);
}

double
hv_daemon_get_domain_cpu_percent (HvDaemon *self,
                                  HvDomain *domain)
{
  if (self->sampler == NULL)
    return -1;
  return hv_stats_sampler_get_cpu_percent (self->sampler, hv_domain_get_name (domain),
                                           hv_domain_get_id (domain));
}

static JsonNode *
interval_result (HvDaemon *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "interval_ms");
  json_builder_add_int_value (builder, hv_stats_sampler_get_interval (self->sampler));
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
method_stats_get (HvRpcCall *call,
                  JsonNode  *params,
                  gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);

  hv_rpc_call_return (call, hv_stats_ring_to_json (hv_stats_sampler_get_ring (self->sampler),
                                                   hv_stats_sampler_get_interval (self->sampler)));
}

static void
method_stats_subscribe (HvRpcCall *call,
                        JsonNode  *params,
                        gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  HvRpcPeer *peer = hv_rpc_call_get_peer (call);
  g_autoptr(GError) error = NULL;
  gboolean enable;
  guint index;

  if (!hv_rpc_params_get_boolean (params, "enable", TRUE, &enable, &error))
    {
      hv_rpc_call_return_error (call, error);
      return;
    }
  if (g_ptr_array_find (self->stats_subscribers, peer, &index))
    g_ptr_array_remove_index_fast (self->stats_subscribers, index);
  if (enable)
    g_ptr_array_add (self->stats_subscribers, hv_rpc_peer_ref (peer));
  hv_rpc_call_return (call, interval_result (self));
}

static void
method_stats_set_interval (HvRpcCall *call,
                           JsonNode  *params,
                           gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(GError) error = NULL;
  gint64 interval;

  if (!hv_rpc_params_get_int (params, "interval_ms", -1, &interval, &error))
    {
      hv_rpc_call_return_error (call, error);
      return;
    }
  if (interval < 100 || interval > 60000)
    {
      hv_rpc_call_return_new_error (call, HV_RPC_ERROR_INVALID_PARAMS,
                                    _("interval_ms: %" PRId64 " is not between 100 and 60000"), interval);
      return;
    }
  hv_stats_sampler_set_interval (self->sampler, (guint) interval);
  hv_rpc_call_return (call, hv_daemon_new_empty_result ());
}

static void
method_stats_archive (HvRpcCall *call,
                      JsonNode  *params,
                      gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(GError) error = NULL;
  const char *name = NULL;
  const char *range_text = NULL;
  HvStatsRange range;

  if (!hv_rpc_params_get_string (params, "name", NULL, &name, &error) ||
      !hv_rpc_params_get_string (params, "range", "1h", &range_text, &error))
    {
      hv_rpc_call_return_error (call, error);
      return;
    }
  if (!hv_stats_range_from_string (range_text, &range))
    {
      hv_rpc_call_return_new_error (call, HV_RPC_ERROR_INVALID_PARAMS,
                                    _("range: “%s” is not one of 1h, 24h, 30d"), range_text);
      return;
    }
  hv_rpc_call_return (call, hv_stats_archive_to_json (self->archive, name, range, g_get_real_time ()));
}

void
hv_daemon_add_stats_methods (HvDaemon *self)
{
  hv_rpc_server_add_method (self->server, "stats.archive", method_stats_archive, self, NULL);
  hv_rpc_server_add_method (self->server, "stats.get", method_stats_get, self, NULL);
  hv_rpc_server_add_method (self->server, "stats.subscribe", method_stats_subscribe, self, NULL);
  hv_rpc_server_add_method (self->server, "stats.set_interval", method_stats_set_interval, self, NULL);
}
